"""`kpibot export-evidence`: the evidence pack checked as a user would, by unzipping it and opening the
index with openpyxl: which files are there, under which names, with which bytes, and what the index says."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from PIL import Image

from bot.cli.demo import build
from bot.cli.main import main
from bot.exports.evidence_pack import HEAD_ROW, HEADINGS, INDEX_NAME, INDEX_SHEET, pack
from handlers.ports import NewSubmission
from handlers.views.evidence import collect
from scoring.loader import load_all
from scoring.thaidate import BANGKOK

TODAY = date(2025, 6, 10)
MUEANG_OFFICER, BETONG_OFFICER = 6, 5  # people of the demo database (tests/handlers/conftest.py)
TEAM, IND = "yala-2568-r2-district-team", "yala-2568-r2-district-individual"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def jpeg(color: str, *, taken: str | None = None, gps: bool = False) -> bytes:
    img = Image.new("RGB", (64, 48), color)
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken  # DateTimeOriginal
    if gps:
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "N", (6.0, 32.0, 30.0), "E", (101.0, 17.0, 0.0)  # Yala town
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


RED = jpeg("red", taken="2025:06:09 08:30:00", gps=True)
BLUE = jpeg("blue")


@pytest.fixture()
def world(tmp_path, monkeypatch):
    """A demo database whose evidence lives where the CLI looks for it ($KPIBOT_VAR/evidence)."""
    monkeypatch.setenv("KPIBOT_VAR", str(tmp_path / "var"))
    db = tmp_path / "demo.sqlite3"
    store = build(str(db), str(tmp_path / "var" / "evidence"), TODAY, figures=False)
    at = datetime(2025, 6, 10, 9, 15, tzinfo=BANGKOK)
    kept = [
        store.add_evidence(RED, person_id=MUEANG_OFFICER, unit_id="yala-mueang", catalog_id=IND, kpi_id="i1",
                           period="2025-06", received_at=at, file_name="otop-fair.jpg"),
        store.add_evidence(RED, person_id=MUEANG_OFFICER, unit_id="yala-mueang", catalog_id=IND, kpi_id="i1",
                           period="2025-05", received_at=at, file_name="otop-fair.jpg"),  # same bytes, May
        store.add_evidence(PDF, person_id=MUEANG_OFFICER, unit_id="yala-mueang", catalog_id=TEAM, kpi_id="t1",
                           period="round", received_at=at, file_name="gfms.pdf"),
        store.add_evidence(BLUE, person_id=BETONG_OFFICER, unit_id="yala-betong", catalog_id=TEAM, kpi_id="t1",
                           period="round", received_at=at),  # another district's: never in Mueang's pack
    ]
    store.add_submission(NewSubmission(MUEANG_OFFICER, "yala-mueang", IND, "i1", "2025-06", {"products": "3"}, 4,
                                       "console", "m1", at))
    yield store, db, kept
    store.close()


def _export(db, out, *more: str) -> tuple[int, str, str]:
    import contextlib

    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        code = main(["export-evidence", "--db", str(db), "--unit", "เมืองยะลา", "--today", "10 มิ.ย. 2568",
                     "-o", str(out), *more])
    return code, o.getvalue(), e.getvalue()


def _index(zf: zipfile.ZipFile) -> list[dict[str, object]]:
    ws = openpyxl.load_workbook(io.BytesIO(zf.read(INDEX_NAME))).active
    assert ws.title == INDEX_SHEET
    rows = list(ws.iter_rows(values_only=True))
    assert rows[HEAD_ROW] == tuple(h for h, _ in HEADINGS)
    return [dict(zip(rows[HEAD_ROW], r, strict=True)) for r in rows[HEAD_ROW + 1:]]


def test_the_pack_holds_the_units_files_and_an_index_that_names_them(world, tmp_path):
    _store, db, kept = world
    out = tmp_path / "mueang.zip"
    code, line, _ = _export(db, out)
    assert code == 0
    assert "บันทึกแล้ว" in line and "หลักฐานเมืองยะลา รอบที่ 2 ปีงบประมาณ 2568: 3 ไฟล์ จาก 2 ตัวชี้วัด" in line
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        index = _index(zf)
        names = sorted(n for n in zf.namelist() if n != INDEX_NAME)
        assert names == sorted(str(r["ไฟล์ในชุดนี้"]) for r in index)
        assert all(n.isascii() for n in names)
        for r in index:  # every file is the bytes its row's sha256 names
            assert hashlib.sha256(zf.read(str(r["ไฟล์ในชุดนี้"]))).hexdigest() == r["sha256"]
        assert hashlib.sha256(BLUE).hexdigest() not in {r["sha256"] for r in index}  # Betong's file
        assert zf.read(f"team-kpi1/round_{kept[2].id:05d}_{kept[2].sha256[:12]}.pdf") == PDF
        assert zf.getinfo(names[0]).date_time[:5] == (2025, 6, 10, 9, 15)  # when it was received
    team, may, june = index  # the agreements' order (team first), then by period
    assert team["ตัวชี้วัด"] == "ตชว.1 เบิกจ่าย" and team["ชุดตัวชี้วัด"] == "รายทีม"
    assert team["งวด"] == "ทั้งรอบการประเมิน" and team["ระดับที่อ้าง"] == "ยังไม่รายงานผล"
    assert team["ชื่อไฟล์ที่ส่ง"] == "gfms.pdf" and team["เวลาถ่าย (EXIF)"] == "-"
    assert june["ตัวชี้วัด"] == "ตชว.1 OTOP" and june["ชุดตัวชี้วัด"] == "รายบุคคล"
    assert june["งวด"] == "เดือน มิ.ย. 2568" and june["ระดับที่อ้าง"] == 4
    assert may["งวด"] == "เดือน พ.ค. 2568" and may["ระดับที่อ้าง"] == "ยังไม่รายงานผล"
    assert june["ผู้ส่ง"] == "นางสาวสุภาพร ใจดี" and june["วันที่ส่ง"] == "10 มิ.ย. 2568 09:15 น."
    assert june["เวลาถ่าย (EXIF)"] == "9 มิ.ย. 2568 08:30 น." and june["สถานที่ถ่าย (EXIF)"] == "6.541667, 101.283333"
    assert june["ขนาด (ไบต์)"] == len(RED) and june["รหัสหลักฐาน"] == kept[0].id
    assert str(june["ไฟล์ในชุดนี้"]).startswith("individual-kpi1/2025-06_")
    assert may["sha256"] == june["sha256"] and may["ไฟล์ในชุดนี้"] != june["ไฟล์ในชุดนี้"]
    assert f"หลักฐานรหัส {kept[0].id}" in str(may["หมายเหตุ"])  # the same photo sent for another month


def test_a_file_gone_or_altered_on_disk_is_left_out_and_said_so(world, tmp_path):
    _store, db, kept = world
    from pathlib import Path

    Path(kept[2].path).unlink()  # the PDF is gone
    Path(kept[0].path).write_bytes(BLUE)  # the photo's bytes changed under its name
    out = tmp_path / "mueang.zip"
    code, line, _ = _export(db, out)
    assert code == 0 and "ไม่ได้ใส่ 3 ไฟล์" in line  # the photo is two rows (June and May)
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == [INDEX_NAME]
        notes = [str(r["หมายเหตุ"]) for r in _index(zf)]
    assert "ไม่พบไฟล์ในที่เก็บ" in notes[0]
    assert all("ไม่ตรงกับ sha256" in n for n in notes[1:])


def test_an_unknown_unit_or_a_round_without_agreements_writes_nothing(world, tmp_path):
    _store, db, _ = world
    out = tmp_path / "x.zip"
    code, _, err = _export(db, out, "--round", "2567/1")
    assert code == 2 and "ไม่มีข้อตกลงตัวชี้วัด" in err
    import contextlib

    e = io.StringIO()
    with contextlib.redirect_stderr(e):
        code = main(["export-evidence", "--db", str(db), "--unit", "ไม่มีอำเภอนี้", "-o", str(out)])
    assert code == 2 and "ไม่พบหน่วยงาน" in e.getvalue()
    assert not out.exists() and not (tmp_path / "x.zip.part").exists()


def test_pack_is_a_pure_renderer(world):
    store, _db, _ = world
    listing = collect(store, load_all(), store.unit("yala-betong"), TODAY)
    packed = pack(listing, lambda ev: BLUE)
    assert packed.files == 1 and packed.problems == 0
    with zipfile.ZipFile(io.BytesIO(packed.data)) as zf:
        assert len(zf.namelist()) == 2 and _index(zf)[0]["ผู้ส่ง"]


def test_a_withdrawn_file_stays_in_the_index_marked_and_is_not_in_the_zip(world, tmp_path):
    store, db, kept = world
    store.retract_evidence(kept[1].id, MUEANG_OFFICER, at=datetime(2025, 6, 10, 11, 0, tzinfo=BANGKOK))
    out = tmp_path / "mueang.zip"
    code, line, _ = _export(db, out)
    assert code == 0 and ": 2 ไฟล์ จาก 2 ตัวชี้วัด" in line and "ถอนแล้ว 1 ไฟล์" in line
    with zipfile.ZipFile(out) as zf:
        index = _index(zf)
        assert len(zf.namelist()) == 3  # two files and the index
    may = next(r for r in index if r["รหัสหลักฐาน"] == kept[1].id)
    assert may["ไฟล์ในชุดนี้"] == "-" and "ถอนแล้ว 10 มิ.ย. 2568 11:00 น." in str(may["หมายเหตุ"])
