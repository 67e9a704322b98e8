"""The PDF to sign (bot/exports/pdf.py): its text layer, its pages, and a page image to look at."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from pathlib import Path

import pypdfium2
import pytest
from pypdf import PdfReader

from bot.cli.demo import build
from bot.exports.pdf import SARA_AM, SARA_AM_PARTS, ZWSP, appraisal_pdf, thai_breaks
from handlers.ports import NewSubmission
from handlers.views import appraisal
from scoring.evaluate import evaluate
from scoring.loader import load_all
from scoring.thaidate import BANGKOK

TODAY = date(2025, 6, 10)
TEAM = "yala-2568-r2-district-team"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    catalogs = load_all()
    tmp = tmp_path_factory.mktemp("pdf")
    store = build(str(tmp / "demo.sqlite3"), str(tmp / "evidence"), TODAY, figures=False)
    officer = store.people(unit_id="yala-mueang", role="reporter")[0].id
    for kpi_id, value in (("t1", "92.5"), ("t2", "90")):
        level = evaluate(catalogs[TEAM].kpi(kpi_id), {"percent": value}, unit="เมืองยะลา").level
        store.add_submission(NewSubmission(officer, "yala-mueang", TEAM, kpi_id, "round", {"percent": value}, level,
                                           "console", "t", datetime.combine(TODAY, time(9), BANGKOK)))
    result = appraisal.sheets(store, catalogs, store.unit("yala-mueang"), TODAY)
    store.close()
    return result


@pytest.fixture(scope="module")
def pdf(sheets):
    return appraisal_pdf(sheets)


def text_of(data: bytes) -> list[str]:
    """Each page's text: U+200B word breaks dropped, ำ composed back from its two parts (bot/exports/pdf.py)."""
    return [" ".join(p.extract_text().replace(ZWSP, "").replace(SARA_AM_PARTS, SARA_AM).split())
            for p in PdfReader(io.BytesIO(data)).pages]


def test_the_text_layer_holds_unit_round_parties_totals_and_band(pdf, sheets):
    pages = text_of(pdf)
    assert len(pages) <= 2
    team = pages[0]
    assert "อำเภอเมืองยะลา" in team and "รอบที่ 2 ปีงบประมาณ 2568" in team
    assert "1 เมษายน 2568 – 30 กันยายน 2568" in team
    assert "ผู้รับการประเมิน: พัฒนาการอำเภอเมืองยะลา" in team and "ผู้ประเมิน: พัฒนาการจังหวัดยะลา" in team
    assert sheets[0].score100 == 62 and "62.00 คะแนน" in team  # (3 x 50 + 4 x 40) / 5
    assert "รวม 100 310" in team  # Σข, Σค
    assert "ระดับผลการประเมิน: ระดับมาตรฐานขั้นต้น" in team
    assert "ร้อยละ 92.5" in team and "ยังไม่รายงาน 1 ตัวชี้วัด" in team
    assert team.count("ลงชื่อ") == 2 and "ผู้รับการประเมิน" in team
    assert "ตัวชี้วัดรายบุคคล" in pages[1] and "0.00 คะแนน" in pages[1]


def test_thai_is_broken_between_words_only():
    assert thai_breaks("ร้อยละของการใช้จ่ายเงินงบประมาณ").replace(ZWSP, "") == "ร้อยละของการใช้จ่ายเงินงบประมาณ"
    assert thai_breaks("ร้อยละของการใช้จ่ายเงินงบประมาณ").count(ZWSP) >= 3
    assert SARA_AM not in thai_breaks("น้ำหนัก") and SARA_AM_PARTS in thai_breaks("น้ำหนัก")
    assert thai_breaks("100") == "100"


def test_page_one_renders_to_an_image(pdf):
    """Writes var/test-exports/appraisal-page1.png to look at (Thai marks on their consonants, no boxes)."""
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=1.5).to_pil()
    assert image.size[0] > 800 and image.getextrema() != ((255, 255), (255, 255), (255, 255))
    out = ROOT / "var" / "test-exports"
    out.mkdir(parents=True, exist_ok=True)
    image.save(out / "appraisal-page1.png")


def test_no_agreement_gives_one_page_that_says_so():
    assert "ยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้" in text_of(appraisal_pdf([]))[0]
