"""The kpibot command line, as a coordinator uses it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]

CATALOG = """\
id: cli-test
document: test
source: synthetic
title: ตัวชี้วัดรายทีม (ทดสอบ)
fiscal_year: 2568
round: 2
set: team
stated_total: 100
kpis:
  - id: t1
    number: 1
    name: ร้อยละของการใช้จ่ายงบประมาณ
    weight: 50
    inputs: [{id: percent, name: ร้อยละการเบิกจ่าย, unit: ร้อยละ, min: 0, max: 100}]
    rubric:
      levels:
        - {level: 1, when: percent >= 80}
        - {level: 2, when: percent >= 85}
        - {level: 3, when: percent >= 90}
        - {level: 4, when: percent >= 95}
        - {level: 5, when: percent >= 100}
  - id: t3
    number: 3
    name: หนี้เกินกำหนดชำระ
    weight: 50
    inputs:
      - {id: overdue, name: หนี้เกินกำหนดชำระ, unit: บาท, min: 0}
      - {id: total, name: ลูกหนี้ทั้งหมด, unit: บาท, min: 0}
      - {id: percent, name: ร้อยละหนี้เกินกำหนดชำระ, unit: ร้อยละ, min: 0, max: 100}
    derive: {percent: overdue * 100 / total}
    rubric:
      levels:
        - {level: 1, when: percent > 20}
        - {level: 2, when: percent < 20}
        - {level: 3, when: percent < 15}
        - {level: 4, when: percent < 10}
        - {level: 5, when: percent < 5}
"""


@pytest.fixture()
def catalog(tmp_path: Path) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(CATALOG, encoding="utf-8")
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_level_json_has_level_next_level_and_needed(capsys, catalog):
    code, out, _ = run(capsys, "level", str(catalog), "1", "๙๒.๗", "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["level"], data["next_level"]) == (3, 4)
    assert data["needed"][0]["text"] == "ร้อยละการเบิกจ่าย เพิ่มอีก 2.30 จุดร้อยละ"
    assert data["unmet"][0]["text"] == "percent >= 95"


def test_level_from_named_inputs_in_thai_text(capsys, catalog):
    code, out, _ = run(capsys, "level", str(catalog), "3", "--input", "overdue=489,204.87",
                       "--input", "total=๓๓,๑๐๙,๓๒๓.๑๘")
    assert code == 0
    assert "ระดับที่ได้: 5" in out and "percent = 1.48" in out and "ได้ระดับสูงสุดแล้ว" in out


def test_bad_value_gets_a_thai_reply_and_exit_2(capsys, catalog):
    code, _, err = run(capsys, "level", str(catalog), "1", "150")
    assert code == 2 and "ต้องไม่เกิน 100" in err


def test_unknown_kpi(capsys, catalog):
    code, _, err = run(capsys, "level", str(catalog), "9", "10")
    assert code == 2 and "ไม่พบตัวชี้วัด" in err


def test_score_from_an_inputs_file(capsys, catalog, tmp_path):
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("kpis:\n  t1: ๙๕\n  t3: {overdue: 489204.87, total: 33109323.18}\n", encoding="utf-8")
    code, out, _ = run(capsys, "score", str(catalog), "--inputs", str(inputs), "--json")
    data = json.loads(out)
    assert code == 0
    assert [r["level"] for r in data["rows"]] == [4, 5]
    assert (data["weighted_sum"], data["score100"], data["average5"]) == ("450", "90.00", "4.50")
    assert data["band"] == "ระดับคุณภาพ"


def test_score_with_a_kpi_missing_shows_best_still_possible(capsys, catalog, tmp_path):
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("kpis:\n  t1: 90\n", encoding="utf-8")
    code, out, _ = run(capsys, "score", str(catalog), "--inputs", str(inputs))
    assert code == 0
    assert "ยังไม่รายงาน 1 ตัวชี้วัด" in out and "สูงสุดที่ยังเป็นไปได้ 80.00" in out


def test_catalog_check_exit_codes(capsys, catalog, tmp_path):
    code, out, _ = run(capsys, "catalog", "check", str(catalog))
    assert code == 0 and "percent = 20" in out  # warning only: the gap the rubric itself leaves
    broken = tmp_path / "broken.yaml"
    broken.write_text(CATALOG.replace("weight: 50\n    inputs: [{id: percent", "wieght: 50\n    inputs: [{id: percent"),
                      encoding="utf-8")
    code, out, _ = run(capsys, "catalog", "check", str(broken))
    assert code == 1 and f"{broken}:13: error:" in out


def test_console_script_runs():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "catalog", "check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "errors" in result.stdout
