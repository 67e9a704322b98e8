"""The kpibot command line, as a coordinator uses it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main

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
    result = subprocess.run([sys.executable, "-m", "bot.cli.main", "catalog", "check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "errors" in result.stdout


# --- issue 11: KPI numbers per unit, milestone dates, Thai and BE dates, the total row as a unit, speed ---

def _level_json(capsys, *args: str) -> dict:
    code, out, err = run(capsys, "level", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_kpi_1_at_koh_sichang_is_the_koh_sichang_row(capsys):
    # 001:L66 KPI 1 "(ยกเว้นอำเภอเกาะสีชัง)", 001:L67 KPI 1 "(เฉพาะอำเภอเกาะสีชัง)": one number, two rows
    data = _level_json(capsys, "chonburi-2567-r2-individual", "1", "--unit", "เกาะสีชัง", "--step", "forum")
    assert data["kpi"] == "i1k" and data["level"] == 1  # L67 ระดับ 1: จัดเวทีทบทวนคำสั่ง...
    data = _level_json(capsys, "chonburi-2567-r2-individual", "๑", "--unit", "ศรีราชา", "--step", "mou")
    assert data["kpi"] == "i1" and data["level"] == 1  # L66 ระดับ 1: จัดเวที ... MOU


def test_a_shared_kpi_number_without_a_unit_asks_for_one(capsys):
    code, _, err = run(capsys, "level", "chonburi-2567-r2-individual", "1", "--step", "mou")
    assert code == 2
    assert "--unit" in err and "i1" in err and "i1k" in err and "เกาะสีชัง" in err


def test_the_koh_sichang_row_asked_for_elsewhere_says_where_it_applies(capsys):
    code, _, err = run(capsys, "level", "chonburi-2567-r2-individual", "i1k", "--unit", "ศรีราชา")
    assert code == 2 and "ใช้เฉพาะ เกาะสีชัง" in err


@pytest.mark.parametrize(("sent", "level"), [
    ("2 ก.ย. 2565", 5), ("๒ กันยายน ๒๕๖๕", 5), ("2022-09-02", 5), ("2565-09-02", 5), ("02/09/65", 5),
    ("3 ก.ย. 65", 4), ("2022-09-03", 4),
])
def test_a_dated_milestone_counts_only_by_its_due_date(capsys, sent, level):
    # 003:L60 team KPI 3: levels 1-4 are steps; level 5 "ส่งหลักฐาน ... ภายในวันที่ ๒ กันยายน ๒๕๖๕"
    steps = f"steps=activities@1 ส.ค. 65,publish,summary,report,send@{sent}"
    data = _level_json(capsys, "buriram-2565-r2-team", "3", "--input", steps)
    assert data["level"] == level


def test_milestones_with_step_options(capsys):
    data = _level_json(capsys, "buriram-2565-r2-team", "3", "--step", "activities", "--step", "publish",
                       "--step", "summary", "--step", "report", "--step", "send@1 กันยายน 2565")
    assert data["level"] == 5
    code, _, err = run(capsys, "level", "buriram-2565-r2-team", "3", "--step", "send@2 ก.ย.")
    assert code == 2 and "ต้องมีปี" in err  # a date without its year is refused, not guessed


@pytest.mark.parametrize(("registered", "level"), [
    ("๓๑ พฤษภาคม ๒๕๖๗", 5), ("31 พ.ค. 67", 5), ("2567-05-31", 5), ("1 มิ.ย. 2567", 4), ("30/06/2567", 4),
    ("31 ก.ค. 67", 3), ("1 ส.ค. 2567", 2),
])
def test_a_date_input_in_thai_and_be_forms(capsys, registered, level):
    # 001:L87 KPI 5: L1 plan + operate, L2 report, L3/L4/L5 one group registered by July/June/May 2567
    data = _level_json(capsys, "chonburi-2567-r2-individual", "5", registered,
                       "--step", "plan", "--step", "operate", "--step", "report")
    assert data["level"] == level


def test_the_004_total_row_is_a_unit(capsys):
    # 004:L1036 "รวม 572,976 ... 696,166 773,518": 90 % and 100 % of the total target (R2 levels 4 and 5)
    assert _level_json(capsys, "dsdw-2566-r2-department", "d3u", "773,518", "--unit", "รวม")["level"] == 5
    assert _level_json(capsys, "dsdw-2566-r2-department", "d3u", "773,517", "--unit", "รวม")["level"] == 4
    assert _level_json(capsys, "dsdw-2566-r2-department", "d3u", "696,166", "--unit", "รวม")["level"] == 4
    # and one province row, for contrast (004:L999 ยะลา: 100 % = 9,392)
    assert _level_json(capsys, "dsdw-2566-r2-department", "d3u", "9,392", "--unit", "ยะลา")["level"] == 5


def test_the_002_total_row_is_a_unit(capsys):
    # 002:L442 "รวม ๓๒๓ ๒๗๘ ๒๘๑ ๒๘๕ ๒๘๗ ๒๙๑": households that must pass, levels 1-5
    assert _level_json(capsys, "yala-2568-r2-district-individual", "4", "285", "--unit", "รวม")["level"] == 3
    assert _level_json(capsys, "yala-2568-r2-district-individual", "4", "284", "--unit", "รวม")["level"] == 2


def test_score_file_kpi_numbers_resolve_by_unit(capsys, tmp_path):
    inputs = tmp_path / "koh-sichang.yaml"
    inputs.write_text("unit: เกาะสีชัง\nkpis:\n  1: {steps: [forum, plan]}\n", encoding="utf-8")
    code, out, err = run(capsys, "score", "chonburi-2567-r2-individual", "--inputs", str(inputs), "--json")
    assert code == 0, err
    rows = {r["kpi"]: r["level"] for r in json.loads(out)["rows"]}
    assert rows.get("i1k") == 2 and "i1" not in rows  # 001:L67 ระดับ 2: มีแผนการขับเคลื่อน
    inputs.write_text("kpis:\n  1: {steps: [forum, plan]}\n", encoding="utf-8")  # no unit: which KPI 1?
    code, _, err = run(capsys, "score", "chonburi-2567-r2-individual", "--inputs", str(inputs))
    assert code == 2 and "--unit" in err


def test_score_file_step_dates(capsys, tmp_path):
    inputs = tmp_path / "buriram.yaml"
    inputs.write_text("kpis:\n  t3: {steps: {activities: true, publish: true, summary: true, report: true,\n"
                      "                  send: \"๓ กันยายน ๒๕๖๕\"}}\n", encoding="utf-8")
    code, out, err = run(capsys, "score", "buriram-2565-r2-team", "--inputs", str(inputs), "--json")
    assert code == 0, err
    assert {r["kpi"]: r["level"] for r in json.loads(out)["rows"]}["t3"] == 4  # one day late for level 5


def test_today_accepts_thai_dates():
    from datetime import date

    from bot.cli.main import _today

    assert _today("10 มิ.ย. 68") == _today("๑๐ มิถุนายน ๒๕๖๘") == _today("2025-06-10") == date(2025, 6, 10)


def test_level_by_catalog_id_reads_one_catalog_and_not_the_chat(tmp_path):
    # the speed of `kpibot level` (bench/cli_bench.py times it): one catalog parsed, no chat understanding,
    # no store imported; checked in a fresh interpreter, the way a coordinator runs it
    probe = (
        "import sys\n"
        "import scoring.loader as loader\n"
        "parsed = []\n"
        "real = loader.parse_catalog\n"
        "loader.parse_catalog = lambda text, file='', base_dir=None: parsed.append(file) or real(text, file, base_dir)\n"
        "from bot.cli.main import main\n"
        "code = main(['level', 'yala-2568-r2-district-team', '1', '95'])\n"
        "heavy = [m for m in ('handlers.nlu', 'bot.store.sqlite', 'pythainlp', 'sqlite_utils') if m in sys.modules]\n"
        "print(code, len(parsed), heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 1 []"


def test_score_001_individual_weights_90_show_raw_and_against_weights_present(capsys, tmp_path):
    # 001 เกาะสีชัง: its own KPI-1 row (L67) + KPIs 2-7 = 10+20+20+10+10+10+10 = 90 (L67, L76-L78, L87, L88, L98).
    # KPI 2 "ไม่น้อยกว่าร้อยละ 6" → 5 (×20 = 100); KPI 6 download 95 → 3 (×10 = 30); KPI 7 85 % → 5 (×10 = 50).
    # Σค = 180: raw 180 / 5 = 36.00; against Σข: 180 × 100 / 90 / 5 = 40.00; best (180 + 50 × 5) / 5 = 86.00,
    # against 90: 430 × 100 / 90 / 5 = 95.56 (ระดับคุณภาพ).
    inputs = tmp_path / "in.yaml"
    inputs.write_text("kpis:\n  i2: 6\n  i6: {posts: 1, channels: 2, download: 95}\n"
                      "  i7: {percent: 85, steps: [awareness]}\n", encoding="utf-8")
    code, out, _ = run(capsys, "score", "chonburi-2567-r2-individual", "--inputs", str(inputs), "--unit", "เกาะสีชัง")
    assert code == 0
    assert "รวม 36.00 คะแนน (ผลรวม ค = 180 ÷ 5 จากน้ำหนักรวม 90)" in out
    assert "คิดเทียบน้ำหนักที่มี 40.00 คะแนน (ระดับต้องปรับปรุง คิดเทียบน้ำหนักที่มี)" in out
    assert "สูงสุดที่ยังเป็นไปได้ 86.00 คะแนน (คิดเทียบน้ำหนักที่มี 95.56 ระดับคุณภาพ)" in out
    assert "(ระดับต้องปรับปรุง)" not in out.split("คิดเทียบ")[0]  # no band next to the raw figure
    code, out, _ = run(capsys, "score", "chonburi-2567-r2-individual", "--inputs", str(inputs), "--unit", "เกาะสีชัง",
                       "--json")
    data = json.loads(out)
    assert (data["weights_total"], data["weighted_sum"], data["score100"], data["normalised100"]) == (
        "90", "180", "36.00", "40.00")
    assert data["band_basis"] == "weights_present" and data["rows"][0]["kpi"] == "i1k"


def test_score_003_team_kpi4_without_a_case_is_incomplete_and_names_the_case(capsys, tmp_path):
    # 003:L64 KPI 4 levels split by case; KPI 2 (L59) "มากกว่าร้อยละ ๙๕" → 96 is level 5 (×15 = 75).
    inputs = tmp_path / "in.yaml"
    inputs.write_text("kpis:\n  t2: 96\n  t4: {recovered: 40, funds_percent: 40}\n", encoding="utf-8")
    code, out, _ = run(capsys, "score", "buriram-2565-r2-team", "--inputs", str(inputs), "--json")
    data = json.loads(out)
    assert code == 0 and data["complete"] is False and list(data["pending"]) == ["t4"]
    t4 = next(r for r in data["rows"] if r["kpi"] == "t4")
    assert t4["level"] is None and t4["weighted"] is None and data["weighted_sum"] == "75"
    code, out, _ = run(capsys, "score", "buriram-2565-r2-team", "--inputs", str(inputs))
    assert "รอระบุกรณี" in out and "(รหัส defaulted)" in out and "(รหัส normal)" in out
    assert "“กรณีไม่มีปัญหาเงินยืมที่ผิดนัดตามสัญญาฯ" in out
    assert "ยังไม่ครบ (ยังไม่รายงาน 6 ตัวชี้วัด · รอระบุกรณี 1 ตัวชี้วัด)" in out
    # with its case (normal: L64 level 3 "ไม่น้อยกว่าร้อยละ ๒๐" met by 40, level 4 needs the debt report): level 3
    inputs.write_text("kpis:\n  t2: 96\n  t4: {recovered: 40, funds_percent: 40, case: normal}\n", encoding="utf-8")
    code, out, _ = run(capsys, "score", "buriram-2565-r2-team", "--inputs", str(inputs), "--json")
    data = json.loads(out)
    assert data["pending"] == {} and next(r for r in data["rows"] if r["kpi"] == "t4")["level"] == 3
    assert data["weighted_sum"] == "120"  # 75 + 15 × 3


def test_score_under_the_target_tier_model(capsys, tmp_path):
    # 004:L137-142: high tier = 100 % of the weight, standard 75 %, base 50 %, below base 0. §6.2 weights of
    # KPIs 1-4 are 15/20/15/20: 15 + 20 × 0.75 + 15 × 0.5 + 0 = 37.50; KPIs 5, 6 (15 each) not reported:
    # at best 37.50 + 30 = 67.50.
    inputs = tmp_path / "tiers.yaml"
    inputs.write_text("tiers:\n  1: high\n  2: standard\n  3: base\n  4: below\n", encoding="utf-8")
    code, out, _ = run(capsys, "score", "dsdw-2566-r2-department", "--inputs", str(inputs), "--model", "tiers")
    assert code == 0
    assert "ค่าเป้าหมายมาตรฐาน\t15.00" in out and "ไม่ผ่านขั้นต้น\t0.00" in out
    assert "รวม 37.50 คะแนน" in out and "สูงสุดที่ยังเป็นไปได้ 67.50 คะแนน" in out
    code, out, _ = run(capsys, "score", "dsdw-2566-r2-department", "--inputs", str(inputs), "--model", "tiers",
                       "--json")
    data = json.loads(out)
    assert (data["score100"], data["best100"], data["missing"]) == ("37.50", "67.50", ["d5", "d6"])
