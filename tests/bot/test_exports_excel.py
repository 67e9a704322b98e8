"""The official Excel form (bot/exports/excel.py), reopened with openpyxl as a chief's viewer would."""

from __future__ import annotations

import io
import time
from datetime import date, datetime
from datetime import time as clock
from decimal import Decimal

import openpyxl
import pytest

from bot.cli.demo import build
from bot.exports.excel import MISSING, SUMMARY, band_formula, sheet_name, workbook
from handlers.ports import NewSubmission
from handlers.views import appraisal
from scoring.bands import BANDS
from scoring.evaluate import evaluate
from scoring.loader import load_all
from scoring.thaidate import BANGKOK

TODAY = date(2025, 6, 10)
TEAM = "yala-2568-r2-district-team"
INDIVIDUAL = "yala-2568-r2-district-individual"


@pytest.fixture(scope="module")
def catalogs():
    return load_all()


@pytest.fixture(scope="module")
def book(tmp_path_factory, catalogs):
    """The demo province with known figures for เมืองยะลา's team agreement (t1 level 3, t2 level 4)."""
    tmp = tmp_path_factory.mktemp("xlsx")
    store = build(str(tmp / "demo.sqlite3"), str(tmp / "evidence"), TODAY, figures=False)
    officer = store.people(unit_id="yala-mueang", role="reporter")[0].id
    mueang = store.unit("yala-mueang")
    for kpi_id, inputs, sent in (("t1", {"percent": "85"}, date(2025, 5, 20)),
                                 ("t1", {"percent": "92.5"}, date(2025, 6, 5)),
                                 ("t2", {"percent": "90"}, date(2025, 6, 6))):
        level = evaluate(catalogs[TEAM].kpi(kpi_id), inputs, unit=mueang.name).level
        store.add_submission(NewSubmission(officer, "yala-mueang", TEAM, kpi_id, "round", inputs, level, "console",
                                           "t", datetime.combine(sent, clock(9), BANGKOK)))
    result = appraisal.book(store, catalogs, store.unit("yala"), TODAY)
    store.close()
    return result


@pytest.fixture(scope="module")
def files(book):
    data = workbook(book)
    return (openpyxl.load_workbook(io.BytesIO(data)), openpyxl.load_workbook(io.BytesIO(data), data_only=True))


def find(ws, text: str) -> tuple[int, int]:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.row, cell.column
    raise AssertionError(f"{text!r} not on {ws.title}")


def test_sheets_summary_one_per_unit_and_agreement_and_missing(files, book):
    formulas, _ = files
    names = formulas.sheetnames
    assert names[0] == SUMMARY and names[-1] == MISSING
    assert len(names) == 2 + len(book.sheets) == 2 + 8 * 2 + 2
    assert "เมืองยะลา-ทีม" in names and "ยะลา-บุคคล" in names
    assert len(set(names)) == len(names)
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)


def test_sheet_names_follow_excel_rules():
    used: set[str] = set()
    long = "ก" * 40
    assert sheet_name("a/b:c*d?[e]\\f", used) == "a-b-c-d--e--f"
    first, second = sheet_name(long, used), sheet_name(long, used)
    assert len(first) == len(second) == 31 and first != second and second.endswith(" (2)")
    assert sheet_name("A-ทีม", {"a-ทีม"}) == "A-ทีม (2)"  # Excel compares names case-insensitively


def test_the_annex_2_table_with_formulas_and_stored_values(files):
    formulas, values = files
    f, v = formulas["เมืองยะลา-ทีม"], values["เมืองยะลา-ทีม"]
    # headings as annex 2 prints them
    assert f.cell(6, 2).value == "ตัวชี้วัดผลงาน"
    assert f.cell(6, 3).value == "คะแนนตามระดับค่าเป้าหมาย"
    assert [f.cell(7, c).value for c in range(3, 8)] == [1, 2, 3, 4, 5]
    assert f.cell(6, 8).value == "ผลการดำเนินงาน"
    assert "(ก)" in f.cell(6, 9).value and "(ข)" in f.cell(6, 10).value and "ค = ก×ข" in f.cell(6, 11).value
    assert "ผู้รับการประเมิน: พัฒนาการอำเภอเมืองยะลา" in f.cell(3, 1).value
    assert "1 เม.ย. 2568 – 30 ก.ย. 2568" in f.cell(2, 1).value  # BE dates
    assert f.cell(4, 1).value == "ข้อมูล ณ วันที่ 10 มิถุนายน 2568"
    # KPI 1: criteria in the document's words, the result as read, ก = 3, ข = 50, ค = ก × ข = 150
    row = find(f, "ร้อยละของการใช้จ่ายเงินงบประมาณ")[0]
    assert [f.cell(row, c).value for c in range(3, 8)] == [
        "ไม่น้อยกว่าร้อยละ ๘๐", "ไม่น้อยกว่าร้อยละ ๘๕", "ไม่น้อยกว่าร้อยละ ๙๐", "ไม่น้อยกว่าร้อยละ ๙๕", "ร้อยละ ๑๐๐"]
    assert f.cell(row, 8).value == "ร้อยละ 92.5"
    assert (f.cell(row, 9).value, f.cell(row, 10).value) == (3, 50)
    assert f.cell(row, 11).value == f'=IF(I{row}="","",I{row}*J{row})'
    assert v.cell(row, 11).value == 150
    assert f.cell(row, 11).number_format == "#,##0"
    # KPI 3 not reported: no ก, ค empty, "ยังไม่รายงาน"
    row3 = row + 2
    assert f.cell(row3, 8).value == "ยังไม่รายงาน" and f.cell(row3, 9).value is None
    assert v.cell(row3, 11).value in (None, "")
    # totals: Σข = 100, Σค = 150 + 160 = 310, score = 62.00, band
    total = find(f, "รวม")[0]
    assert f.cell(total, 10).value == f"=SUM(J{row}:J{row3})" and v.cell(total, 10).value == 100
    assert f.cell(total, 11).value == f"=SUM(K{row}:K{row3})" and v.cell(total, 11).value == 310
    assert f.cell(total + 1, 11).value == f"=ROUND(K{total}/5,2)"
    assert v.cell(total + 1, 11).value == 62.0 and f.cell(total + 1, 11).number_format == "#,##0.00"
    assert f.cell(total + 2, 11).value == band_formula(f"K{total + 1}", [(b.th, b.minimum) for b in BANDS])
    assert v.cell(total + 2, 11).value == "ระดับมาตรฐานขั้นต้น"
    assert "ยังไม่รายงาน 1 ตัวชี้วัด" in v.cell(total + 3, 1).value
    # signature lines for both parties
    assert find(f, "พัฒนาการอำเภอเมืองยะลา ผู้รับการประเมิน") and find(f, "พัฒนาการจังหวัดยะลา ผู้ประเมิน")


def test_every_stored_value_is_the_books_figure(files, book):
    """A phone viewer shows the stored values: they must equal the Book's score and band on every sheet."""
    _, values = files
    for sheet in book.sheets:
        name = f"{sheet.unit}-{'ทีม' if sheet.set_name == 'รายทีม' else 'บุคคล'}"
        ws = values[name]
        total = find(ws, "รวม")[0]
        assert Decimal(str(ws.cell(total, 10).value)) == sheet.weights_total, name
        assert Decimal(str(ws.cell(total, 11).value)) == sheet.weighted_sum, name
        assert Decimal(str(ws.cell(total + 1, 11).value)).quantize(Decimal("0.01")) == sheet.score100, name
        assert ws.cell(total + 2, 11).value == sheet.band, name


def test_the_summary_ranks_the_districts_with_references_and_values(files, book):
    formulas, values = files
    f, v = formulas[SUMMARY], values[SUMMARY]
    head = find(f, "หน่วยงาน")[0]
    units = [v.cell(head + i, 2).value for i in range(1, 9)]
    assert units == [r.unit for r in book.ranking] and "ยะลา" not in units
    first = head + 1
    assert units[0] == "เมืองยะลา"
    assert f.cell(first, 3).value.startswith("='เมืองยะลา-ทีม'!K")
    assert v.cell(first, 3).value == 62.0 and v.cell(first, 4).value == "ระดับมาตรฐานขั้นต้น"
    assert v.cell(first, 5).value == 0.0 and v.cell(first, 6).value == "ระดับต้องปรับปรุง"  # individual, apart
    assert v.cell(first, 7).value == 1 + 6  # KPIs still unreported
    # change since the end of May: 62.00 now, 20.00 then (t1 level 2 only)
    assert v.cell(first, 8).value == pytest.approx(42.0) and f.cell(first, 8).number_format.startswith("+")
    assert v.cell(first + 1, 8).value == "-"
    assert find(v, "ระดับคุณภาพ") and find(v, "75 – 89.99 คะแนน") and find(v, "ต่ำกว่า 60 คะแนน")


def test_the_missing_sheet_lists_every_item_with_cutoff_in_be_and_who(files, book):
    _, values = files
    ws = values[MISSING]
    head = find(ws, "หน่วยงาน")[0]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=head + 1, max_row=ws.max_row)]
    assert len(rows) == len(book.missing)
    first = book.missing[0]
    assert rows[0][0] == first.unit and rows[0][1] == first.kpi
    assert any(r[3] == "เดือน เม.ย. 2568" and r[4] == "20 เม.ย. 2568" and r[5] == "เลยกำหนด"
               and r[6] == "นางสาวสุภาพร ใจดี" for r in rows)
    assert f"ทั้งหมด {len(book.missing):,} รายการ" in ws.cell(2, 1).value


def test_a_district_workbook_and_its_speed(book):
    district = appraisal.Book(title="อำเภอเมืองยะลา", today=book.today, round_label=book.round_label, ranking=(),
                              sheets=book.sheets[:2], missing=book.missing[:3], bands=book.bands)
    wb = openpyxl.load_workbook(io.BytesIO(workbook(district)))
    assert len(wb.sheetnames) == 4
    start = time.perf_counter()
    workbook(book)
    assert time.perf_counter() - start < 1.0  # the province book: about 0.1 s on this machine


def test_the_whole_country_ranked_in_chat_and_as_one_workbook(tmp_path, catalogs):
    """A department: "คะแนนทุกอำเภอ" too long for chat comes as the provinces ranked plus the workbook of every
    ranking; "ขอไฟล์ excel" gives the provinces ranked, then each province's districts, and every item owed."""
    from bot.exports.renderer import ExportRenderer
    from handlers.conversation import Conversation
    from handlers.messages import Incoming
    from handlers.ports import Unit
    from scoring.rounds import round_of

    store = build(str(tmp_path / "demo.sqlite3"), str(tmp_path / "evidence"), TODAY, figures=False)
    store.put_unit(Unit("cdd", "กรมการพัฒนาชุมชน", "department", None, {}))
    yala = store.unit("yala")
    store.put_unit(Unit("yala", yala.name, "province", "cdd", yala.attributes))
    current = round_of(TODAY)
    provinces = [f"p{i:02d}" for i in range(12)]
    for i, pid in enumerate(provinces):
        store.put_unit(Unit(pid, f"จังหวัดทดสอบ{i + 1}", "province", "cdd", {}))
        for j in range(8):
            uid = f"{pid}-d{j}"
            store.put_unit(Unit(uid, f"อำเภอทดสอบ{i + 1}-{j + 1}", "district", pid, {"staff": 3}))
            for catalog_id in (TEAM, INDIVIDUAL):
                store.assign_agreement(catalog_id, uid, current.fiscal_year, current.number, current.start,
                                       current.end, chosen={"choice": "i7"} if catalog_id == INDIVIDUAL else {})
    admin = store.add_person("ผู้ดูแล กรม", "admin", "cdd")
    store.link_identity(admin.id, "console", "a1")
    conversation = Conversation(store, catalogs, ExportRenderer())

    def say(text: str):
        return conversation.handle(Incoming(channel="console", sender="a1", chat="a1", text=text,
                                            sent_at=datetime.combine(TODAY, clock(10), BANGKOK)))

    (reply,) = say("คะแนนทุกอำเภอ")
    assert reply.document is not None and reply.document_name.endswith(".xlsx")
    assert reply.text.startswith("ภาพรวมคะแนน กรมการพัฒนาชุมชน") and "ไฟล์ Excel" in reply.text
    assert len(reply.text) <= 4096  # one Telegram message
    ws = openpyxl.load_workbook(io.BytesIO(reply.document))[SUMMARY]
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert sum(1 for v in cells if v.startswith("อันดับในจังหวัด")) == 13  # each province's own ranking
    assert sum(1 for v in cells if v.startswith("อำเภอทดสอบ")) == 12 * 8  # every district, once

    (export,) = say("ขอไฟล์ excel")
    wb = openpyxl.load_workbook(io.BytesIO(export.document))
    cells = [str(c.value) for row in wb[SUMMARY].iter_rows() for c in row if c.value is not None]
    assert "อำเภอในจังหวัดยะลา" in cells and sum(1 for v in cells if v.startswith("อำเภอทดสอบ")) == 96
    owed = [str(c.value) for row in wb[MISSING].iter_rows() for c in row if c.value is not None]
    assert any(v.startswith("อำเภอทดสอบ") for v in owed)  # the districts' items, not only the provinces'
    store.close()
