"""`kpibot export` through the CLI entry, on a demo database."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from pypdf import PdfReader

from bot.cli.demo import build
from bot.cli.export import day_in_round, round_arg
from bot.cli.main import main


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    build(str(tmp / "demo.sqlite3"), str(tmp / "evidence"), date(2025, 6, 10)).close()
    return tmp / "demo.sqlite3"


@pytest.fixture(autouse=True)
def var(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIBOT_VAR", str(tmp_path / "var"))


def test_export_a_province_workbook(db, tmp_path, capsys):
    out = tmp_path / "yala.xlsx"
    code = main(["export", "--db", str(db), "--unit", "จังหวัดยะลา", "--today", "10 มิ.ย. 2568", "-o", str(out)])
    line = capsys.readouterr().out
    assert code == 0
    assert "บันทึกแล้ว" in line and "จังหวัดยะลา รอบที่ 2 ปีงบประมาณ 2568" in line and "จัดอันดับ 8 หน่วยงาน" in line
    wb = openpyxl.load_workbook(out, data_only=True)
    assert wb.sheetnames[0] == "สรุปอันดับ" and len(wb.sheetnames) == 20


def test_export_a_past_round_and_a_district_pdf(db, tmp_path, capsys):
    out = tmp_path / "mueang.pdf"
    code = main(["export", "--db", str(db), "--unit", "yala-mueang", "--round", "2568/2", "--today", "2025-12-01",
                 "--pdf", "-o", str(out)])
    line = capsys.readouterr().out
    assert code == 0 and "ข้อมูล ณ 30 ก.ย. 2568" in line
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert len(reader.pages) == 2
    assert "เมืองยะลา" in reader.pages[0].extract_text().replace("\u200b", "")


def test_an_unknown_unit_is_one_thai_line(db, tmp_path, capsys):
    code = main(["export", "--db", str(db), "--unit", "ไม่มีอำเภอนี้", "-o", str(tmp_path / "x.xlsx")])
    assert code == 2 and "ไม่พบหน่วยงาน" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()


def test_round_and_day_arguments():
    assert round_arg("2568/2") == round_arg("2/2568") == round_arg("รอบ ๒/๒๕๖๘") == (2568, 2)
    with pytest.raises(ValueError):
        round_arg("2568")
    assert day_in_round(date(2025, 6, 10), 2568, 2) == date(2025, 6, 10)
    assert day_in_round(date(2025, 12, 1), 2568, 2) == date(2025, 9, 30)
    assert day_in_round(date(2025, 1, 1), 2568, 2) == date(2025, 4, 1)
