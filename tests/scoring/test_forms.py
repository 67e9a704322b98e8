"""Each rubric form of DOMAIN.md ("Five levels per KPI"), on small catalogs, at its boundaries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from scoring.errors import EvaluationError
from scoring.evaluate import evaluate

from .conftest import make_catalog

AT_LEAST = make_catalog("""
- id: spend
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
- id: plan
  number: 2
  name: ร้อยละความสำเร็จตามแผน
  weight: 50
  inputs: [{id: percent, name: ผลการดำเนินงาน, unit: ร้อยละ, min: 0, max: 100}]
  rubric:
    levels:
      - {level: 1, when: percent > 75.00}
      - {level: 2, when: percent > 80.00}
      - {level: 3, when: percent > 85.00}
      - {level: 4, when: percent > 90.00}
      - {level: 5, when: percent > 95.00}
""")


def level(catalog, kpi, **inputs):
    return evaluate(catalog.kpi(kpi), inputs).level


@pytest.mark.parametrize(("value", "expected"), [
    ("79", 0), ("80", 1), ("81", 1), ("84", 1), ("85", 2), ("99", 4), ("100", 5),
    # "ไม่น้อยกว่า 80" read literally: 79.99 is less than 80 (the result is rounded to 2 decimals only)
    ("79.49", 0), ("79.50", 0), ("79.99", 0), ("79.994", 0), ("79.995", 1), ("80.01", 1), ("99.99", 4),
    ("99.995", 5),
])
def test_at_least(value, expected):
    assert level(AT_LEAST, "spend", percent=value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("75.00", 0), ("75.01", 1), ("74.99", 0), ("80.00", 1), ("80.01", 2), ("95.00", 4), ("95.01", 5),
    ("95.005", 5), ("95.004", 4),
])
def test_strictly_more(value, expected):
    assert level(AT_LEAST, "plan", percent=value) == expected


def test_needed_is_in_the_rubric_units():
    result = evaluate(AT_LEAST.kpi("spend"), {"percent": "92.70"})
    assert (result.level, result.next_level) == (3, 4)
    assert [n.text for n in result.needed] == ["ร้อยละการเบิกจ่าย เพิ่มอีก 2.30 จุดร้อยละ"]
    assert result.needed[0].amount == Decimal("2.30")
    top = evaluate(AT_LEAST.kpi("spend"), {"percent": "100"})
    assert top.next_level is None and top.needed == []


def test_strictly_more_needs_one_step_past_the_threshold():
    result = evaluate(AT_LEAST.kpi("plan"), {"percent": "75.00"})
    assert result.level == 0 and result.next_level == 1
    assert result.needed[0].amount == Decimal("0.01")


def test_thai_digits_and_separators():
    assert level(AT_LEAST, "spend", percent="๙๒.๕") == 3
    assert level(AT_LEAST, "spend", percent="92.5%") == 3


@pytest.mark.parametrize("bad", ["150", "-1", "abc", "๑๐๑"])
def test_out_of_range_is_refused_in_thai(bad):
    with pytest.raises(EvaluationError) as exc:
        evaluate(AT_LEAST.kpi("spend"), {"percent": bad})
    assert exc.value.th  # a Thai message says what was wrong
    assert exc.value.code in {"out_of_range", "bad_value"}


def test_unknown_input_is_refused():
    with pytest.raises(EvaluationError) as exc:
        evaluate(AT_LEAST.kpi("spend"), {"percnt": "90"})
    assert "percent" in exc.value.th and exc.value.code == "unknown_input"


LOWER = make_catalog("""
- id: debt
  number: 3
  name: หนี้เกินกำหนดชำระ
  weight: 10
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
""")


def test_lower_is_better_with_the_gap_at_exactly_20():
    kpi = LOWER.kpi("3")
    assert evaluate(kpi, {"percent": "25"}).level == 1
    assert evaluate(kpi, {"percent": "21"}).level == 1
    assert evaluate(kpi, {"percent": "19"}).level == 2
    gap = evaluate(kpi, {"percent": "20"})
    assert gap.level == 0
    assert gap.next_level == 2  # the way up is to lower the debt, not to raise it past 20
    assert gap.needed[0].kind == "decrease"


def test_worked_number_002_team_kpi_3():
    result = evaluate(LOWER.kpi("3"), {"overdue": "489,204.87", "total": "33,109,323.18"})
    assert round(result.values["percent"], 2) == Decimal("1.48")
    assert result.level == 5


RANGES = make_catalog("""
- id: disburse
  number: 10
  name: ร้อยละการเบิกจ่าย
  weight: 5
  inputs: [{id: percent, name: ร้อยละการเบิกจ่าย, unit: ร้อยละ, min: 0, max: 100}]
  rubric:
    levels:
      - {level: 1, when: percent in 0..93.49}
      - {level: 2, when: percent in 93.50..95.49}
      - {level: 3, when: percent in 95.50..97.49}
      - {level: 4, when: percent in 97.50..98.99}
      - {level: 5, when: percent >= 99.00}
- id: people
  number: 3
  name: ครัวเรือนลดหนี้
  weight: 5
  inputs: [{id: percent, name: ร้อยละครัวเรือน, unit: ร้อยละ, min: 0, max: 100}]
  rubric:
    levels:
      - {level: 1, when: percent in 50..59}
      - {level: 2, when: percent in 60..69}
      - {level: 3, when: percent in 70..79}
      - {level: 4, when: percent in 80..89}
      - {level: 5, when: percent >= 90}
""")


@pytest.mark.parametrize(("value", "expected"), [
    ("93.49", 1), ("93.50", 2), ("93.494", 1), ("93.495", 2), ("95.49", 2), ("95.50", 3), ("97.49", 3),
    ("98.99", 4), ("98.994", 4), ("98.995", 5), ("99.00", 5),
])
def test_closed_ranges_after_half_up_rounding(value, expected):
    assert level(RANGES, "disburse", percent=value) == expected


@pytest.mark.parametrize(("value", "expected"), [("69", 2), ("69.4", 2), ("69.5", 3), ("49.5", 1), ("49.4", 0)])
def test_integer_ranges_leave_no_gap_after_rounding(value, expected):
    assert level(RANGES, "people", percent=value) == expected


MILESTONES = make_catalog("""
- id: moral
  number: 3
  name: องค์กรคุณธรรม
  weight: 20
  rubric:
    steps:
      - {id: plan, th: มีแผนการขับเคลื่อน}
      - {id: team, th: แต่งตั้งคณะทำงาน}
      - {id: announce, th: ประกาศเจตนารมณ์}
      - {id: half, th: ขับเคลื่อนกิจกรรมไม่น้อยกว่าร้อยละ 50}
      - {id: report, th: รายงานผลต่อผู้บังคับบัญชา, due: 2022-09-02}
    levels:
      - {level: 1, steps: [plan]}
      - {level: 2, steps: [team]}
      - {level: 3, steps: [announce]}
      - {level: 4, steps: [half]}
      - {level: 5, steps: [report]}
- id: sparse
  number: 4
  name: เกณฑ์มีระดับว่าง
  weight: 20
  rubric:
    steps:
      - {id: a, th: ขั้นที่ ๑}
      - {id: c, th: ขั้นที่ ๓}
      - {id: e, th: ขั้นที่ ๕}
    levels:
      - {level: 1, steps: [a]}
      - {level: 2, blank: true, text: "-"}
      - {level: 3, steps: [c]}
      - {level: 4, blank: true, text: "-"}
      - {level: 5, steps: [e]}
- id: loose
  number: 5
  name: เกณฑ์ไม่สะสม
  weight: 20
  rubric:
    cumulative: false
    steps:
      - {id: a, th: ขั้นที่ ๑}
      - {id: b, th: ขั้นที่ ๒}
    levels:
      - {level: 1, steps: [a]}
      - {level: 2, steps: [b]}
      - {level: 3, blank: true}
      - {level: 4, blank: true}
      - {level: 5, blank: true}
""")


def test_milestones_are_cumulative():
    kpi = MILESTONES.kpi("3")
    assert evaluate(kpi, {"steps": ["plan", "team", "announce"]}).level == 3
    skipped = evaluate(kpi, {"steps": ["plan", "announce", "half"]})
    assert skipped.level == 1
    assert skipped.next_level == 2
    assert [n.text for n in skipped.needed] == ["ยังขาด: แต่งตั้งคณะทำงาน"]


def test_dated_milestone_must_be_on_time():
    kpi = MILESTONES.kpi("3")
    done = ["plan", "team", "announce", "half"]
    on_time = {**{s: True for s in done}, "report": date(2022, 9, 2)}
    late = {**{s: True for s in done}, "report": date(2022, 9, 3)}
    assert evaluate(kpi, {"steps": on_time}).level == 5
    result = evaluate(kpi, {"steps": late})
    assert result.level == 4
    assert result.needed[0].text == "ยังขาด: รายงานผลต่อผู้บังคับบัญชา (ภายใน 2 ก.ย. 2565)"


def test_blank_levels_are_skipped_not_awarded():
    kpi = MILESTONES.kpi("4")
    assert evaluate(kpi, {"steps": ["a"]}).level == 1
    assert evaluate(kpi, {"steps": ["a"]}).next_level == 3
    assert evaluate(kpi, {"steps": ["a", "c"]}).level == 3
    assert evaluate(kpi, {"steps": ["a", "c", "e"]}).level == 5


def test_non_cumulative_ladder_takes_the_highest_level_met():
    assert evaluate(MILESTONES.kpi("5"), {"steps": ["b"]}).level == 2


def test_unknown_step_is_refused():
    with pytest.raises(EvaluationError):
        evaluate(MILESTONES.kpi("3"), {"steps": ["plann"]})


MIXED = make_catalog("""
- id: wdf
  number: 4
  name: หนี้กองทุนพัฒนาบทบาทสตรี
  weight: 10
  inputs: [{id: overdue, name: ร้อยละหนี้เกินกำหนดชำระ, unit: ร้อยละ, min: 0, max: 100}]
  rubric:
    steps:
      - {id: database, th: จัดทำฐานข้อมูลลูกหนี้และแผนบริหารจัดการหนี้}
      - {id: report, th: รายงานผลต่อคณะอนุกรรมการ}
    levels:
      - {level: 1, steps: [database]}
      - {level: 2, steps: [report]}
      - {level: 3, when: overdue > 16}
      - {level: 4, when: overdue in 14..16}
      - {level: 5, when: overdue < 14}
""")


def test_mixed_ladder_needs_the_milestones_below_the_numbers():
    kpi = MIXED.kpi("4")
    both = ["database", "report"]
    assert evaluate(kpi, {"steps": both, "overdue": "20"}).level == 3
    assert evaluate(kpi, {"steps": both, "overdue": "15"}).level == 4
    assert evaluate(kpi, {"steps": both, "overdue": "13"}).level == 5
    assert evaluate(kpi, {"steps": ["database"], "overdue": "13"}).level == 1
    assert evaluate(kpi, {"overdue": "13"}).level == 0


COMPOUND = make_catalog("""
- id: otop
  number: 1
  name: ผลิตภัณฑ์ OTOP มีรายได้เพิ่มขึ้น
  weight: 20
  measure: {every: month, day: 20}
  inputs:
    - {id: growth, name: รายได้เพิ่มขึ้น, unit: ร้อยละ}
    - {id: channels, name: ช่องทางการจำหน่าย, unit: ช่องทาง, integer: true, min: 0}
    - {id: posts, name: การเผยแพร่, unit: ครั้ง, per: เดือน, verb: เผยแพร่, integer: true, min: 0}
  rubric:
    levels:
      - {level: 1, all: [growth >= 7, channels >= 1, posts >= 1]}
      - {level: 2, all: [growth >= 9, channels >= 1, posts >= 2]}
      - {level: 3, all: [growth >= 11, channels >= 2, posts >= 3]}
      - {level: 4, all: [growth >= 13, channels >= 3, posts >= 3]}
      - {level: 5, all: [growth >= 15, channels >= 3, posts >= 4]}
""")


def test_compound_levels_need_every_condition():
    kpi = COMPOUND.kpi("1")
    assert evaluate(kpi, {"growth": "15", "channels": "3", "posts": "4"}).level == 5
    result = evaluate(kpi, {"growth": "15", "channels": "3", "posts": "3"})
    assert result.level == 4
    assert [n.text for n in result.needed] == ["เผยแพร่เพิ่มอีก 1 ครั้งในเดือนนี้"]
    partial = evaluate(kpi, {"growth": "12"})
    assert partial.level == 0
    assert "ยังไม่ได้รายงานช่องทางการจำหน่าย" in [n.text for n in partial.needed]


def test_counts_must_be_whole():
    with pytest.raises(EvaluationError):
        evaluate(COMPOUND.kpi("1"), {"growth": "12", "channels": "1.5", "posts": "1"})


REFERENCES = make_catalog("""
- id: otop_income
  number: 2
  name: รายได้จากการจำหน่ายผลิตภัณฑ์ OTOP
  weight: 20
  inputs:
    - {id: income, name: รายได้ OTOP, unit: บาท, min: 0}
    - {id: minimum, name: ค่าขั้นต่ำ, unit: บาท, min: 0}
    - {id: standard, name: ค่ามาตรฐาน, unit: บาท, min: 0}
    - {id: high, name: ค่าขั้นสูง, unit: บาท, min: 0}
  rubric:
    levels:
      - {level: 1, when: income < minimum}
      - {level: 2, when: income >= minimum}
      - {level: 3, when: income >= standard}
      - {level: 4, all: [income > standard, income < high]}
      - {level: 5, when: income >= high}
- id: bcg
  number: 4
  name: รายได้เพิ่มขึ้น (BCG)
  weight: 20
  constants: {baseline: 53.19}
  inputs: [{id: percent, name: ร้อยละผู้มีรายได้เพิ่มขึ้น, unit: ร้อยละ, min: 0, max: 100}]
  rubric:
    levels:
      - {level: 1, when: percent >= baseline - 10}
      - {level: 2, when: percent >= baseline - 5}
      - {level: 3, when: percent >= baseline}
      - {level: 4, when: percent >= baseline + 5}
      - {level: 5, when: percent >= baseline + 10}
- id: reduce
  number: 6
  name: ลดหนี้จากยอด ณ วันที่ ๑ ตุลาคม ๒๕๖๔
  weight: 20
  inputs:
    - {id: snapshot, name: หนี้ ณ วันที่ 1 ต.ค. 2564, unit: บาท, min: 0}
    - {id: current, name: หนี้ปัจจุบัน, unit: บาท, min: 0}
  derive: {reduction: (snapshot - current) * 100 / snapshot}
  rubric:
    levels:
      - {level: 1, when: reduction >= 10}
      - {level: 2, when: reduction >= 15}
      - {level: 3, when: reduction >= 20}
      - {level: 4, when: reduction >= 25}
      - {level: 5, when: reduction >= 30}
""")


def test_reference_values():
    kpi = REFERENCES.kpi("2")
    refs = {"minimum": "100000", "standard": "150000", "high": "200000"}
    assert evaluate(kpi, {**refs, "income": "99999"}).level == 1
    assert evaluate(kpi, {**refs, "income": "100000"}).level == 2
    assert evaluate(kpi, {**refs, "income": "150000"}).level == 3
    assert evaluate(kpi, {**refs, "income": "150001"}).level == 4
    assert evaluate(kpi, {**refs, "income": "200000"}).level == 5


@pytest.mark.parametrize(("value", "expected"), [
    ("43.18", 0), ("43.19", 1), ("48.19", 2), ("53.18", 2), ("53.19", 3), ("58.19", 4), ("63.19", 5)])
def test_steps_around_a_baseline(value, expected):
    assert level(REFERENCES, "4", percent=value) == expected


def test_reduction_from_a_snapshot():
    result = evaluate(REFERENCES.kpi("6"), {"snapshot": "1,000,000", "current": "780,000"})
    assert result.values["reduction"] == Decimal(22)
    assert result.level == 3


TABLES = make_catalog("""
- id: poor
  number: 4
  name: ครัวเรือนยากจนเป้าหมายคงเหลือ
  weight: 15
  inputs: [{id: passed, name: ครัวเรือนที่ผ่านเกณฑ์, unit: ครัวเรือน, integer: true, min: 0}]
  targets:
    factor: 1
    percent: {1: 86, 2: 87, 3: 88, 4: 89, 5: 90}
    total_rule: sum
    units:
      กรงปินัง: {base: 20, levels: {1: 17, 2: 17, 3: 18, 4: 18, 5: 18}}
      บันนังสตา: {base: 12, levels: {1: 11, 2: 11, 3: 11, 4: 11, 5: 11}}
      ใหม่: {base: 100}
  rubric:
    levels:
      - {level: 1, when: passed >= target}
      - {level: 2, when: passed >= target}
      - {level: 3, when: passed >= target}
      - {level: 4, when: passed >= target}
      - {level: 5, when: passed >= target}
""")


def test_per_unit_targets_published_cells_are_authoritative():
    kpi = TABLES.kpi("4")
    assert evaluate(kpi, {"passed": "17"}, unit="กรงปินัง").level == 2
    result = evaluate(kpi, {"passed": "16"}, unit="กรงปินัง")
    assert result.level == 0
    assert [n.text for n in result.needed] == ["ครัวเรือนที่ผ่านเกณฑ์ เพิ่มอีก 1 ครัวเรือน"]
    # the rule would give 10 (12 x 0.86 = 10.32); the document prints 11
    assert evaluate(kpi, {"passed": "10"}, unit="บันนังสตา").level == 0
    assert evaluate(kpi, {"passed": "11"}, unit="บันนังสตา").level == 5


def test_per_unit_targets_from_the_rule_where_nothing_is_published():
    kpi = TABLES.kpi("4")
    assert evaluate(kpi, {"passed": "88"}, unit="ใหม่").level == 3
    assert evaluate(kpi, {"passed": "87"}, unit="ใหม่").level == 2


def test_per_unit_targets_need_the_unit():
    with pytest.raises(EvaluationError) as exc:
        evaluate(TABLES.kpi("4"), {"passed": "17"})
    assert exc.value.code == "unit_required"
    with pytest.raises(EvaluationError):
        evaluate(TABLES.kpi("4"), {"passed": "17"}, unit="ไม่มีอำเภอนี้")


TIERS = make_catalog("""
- id: news
  number: 5
  name: ประชาสัมพันธ์งานพัฒนาชุมชน
  weight: 10
  inputs: [{id: news, name: ข่าว, unit: ข่าว, per: เดือน, verb: รายงานข่าว, integer: true, min: 0}]
  rubric:
    levels:
      - level: 1
        branches:
          - {if: staff <= 2, all: [news >= 1]}
          - {if: staff <= 4, all: [news >= 2]}
          - {if: staff > 4, all: [news >= 3]}
      - level: 2
        branches:
          - {if: staff <= 2, all: [news >= 2]}
          - {if: staff <= 4, all: [news >= 4]}
          - {if: staff > 4, all: [news >= 6]}
      - level: 3
        branches:
          - {if: staff <= 2, all: [news >= 3]}
          - {if: staff <= 4, all: [news >= 6]}
          - {if: staff > 4, all: [news >= 9]}
      - level: 4
        branches:
          - {if: staff <= 2, all: [news >= 4]}
          - {if: staff <= 4, all: [news >= 8]}
          - {if: staff > 4, all: [news >= 12]}
      - level: 5
        branches:
          - {if: staff <= 2, all: [news >= 5]}
          - {if: staff <= 5, all: [news >= 10]}
          - {if: staff > 5, all: [news >= 15]}
""")


@pytest.mark.parametrize(("staff", "news", "expected"), [(2, 3, 3), (4, 8, 4), (6, 15, 5), (1, 0, 0), (3, 2, 1)])
def test_tiers_by_staff_count(staff, news, expected):
    result = evaluate(TIERS.kpi("5"), {"news": str(news)}, unit_attributes={"staff": Decimal(staff)})
    assert result.level == expected


def test_tiers_need_the_unit_attribute():
    result = evaluate(TIERS.kpi("5"), {"news": "3"})
    assert result.level == 0
    assert "staff" in result.needed[0].text


CASES = make_catalog("""
- id: fund
  number: 4
  name: ติดตามเงินทุน กข.คจ.
  weight: 15
  cases:
    - {id: defaulted, th: กรณีมีเงินยืมผิดนัดตามสัญญา}
    - {id: normal, th: กรณีหมุนเวียนตามปกติ}
  inputs:
    - {id: recovered, name: ร้อยละเงินยืมที่เรียกคืนได้, unit: ร้อยละ, min: 0, max: 100}
    - {id: funds, name: ร้อยละกองทุนที่ได้รับการสนับสนุน, unit: ร้อยละ, min: 0, max: 100}
  rubric:
    levels:
      - level: 1
        branches:
          - {case: defaulted, all: [recovered >= 10]}
          - {case: normal, all: [funds >= 20]}
      - level: 2
        branches:
          - {case: defaulted, all: [recovered >= 15]}
          - {case: normal, all: [recovered >= 20]}
      - {level: 3, branches: [{case: defaulted, all: [recovered >= 20]}, {case: normal, all: [recovered >= 20]}]}
      - {level: 4, branches: [{case: defaulted, all: [recovered >= 25]}, {case: normal, all: [recovered >= 25]}]}
      - {level: 5, branches: [{case: defaulted, all: [recovered >= 30]}], text: "กรณีปกติ: ตัวเลขขาดหาย"}
""")


def test_case_split_chosen_by_the_unit():
    kpi = CASES.kpi("4")
    assert evaluate(kpi, {"recovered": "16"}, case="defaulted").level == 2
    assert evaluate(kpi, {"recovered": "16", "funds": "25"}, case="normal").level == 1
    assert evaluate(kpi, {"recovered": "30"}, case="defaulted").level == 5
    assert evaluate(kpi, {"recovered": "30"}, case="normal").level == 4
    undecided = evaluate(kpi, {"recovered": "30"})
    assert undecided.level == 0 and "กรณี" in undecided.needed[0].text
    with pytest.raises(EvaluationError):
        evaluate(kpi, {"recovered": "30"}, case="other")


DATED = make_catalog("""
- id: otop_group
  number: 5
  name: กลุ่มอาชีพลงทะเบียน OTOP
  weight: 10
  inputs: [{id: registered, name: การลงทะเบียนกลุ่มอาชีพ OTOP, kind: date}]
  rubric:
    steps:
      - {id: plan, th: จัดทำแผน}
      - {id: report, th: รายงานผลต่อคณะอนุกรรมการ}
    levels:
      - {level: 1, steps: [plan]}
      - {level: 2, steps: [report]}
      - {level: 3, when: registered by 2024-07-31}
      - {level: 4, when: registered by 2024-06-30}
      - {level: 5, when: registered by 2024-05-31}
""")


@pytest.mark.parametrize(("day", "expected"), [
    ("2024-05-31", 5), ("2024-06-01", 4), ("2024-06-30", 4), ("2024-07-01", 3), ("2024-07-31", 3), ("2024-08-01", 2)])
def test_dated_conditions(day, expected):
    result = evaluate(DATED.kpi("5"), {"steps": ["plan", "report"], "registered": day})
    assert result.level == expected


def test_dated_condition_needed_text_is_in_buddhist_era():
    result = evaluate(DATED.kpi("5"), {"steps": ["plan", "report"], "registered": "2024-07-15"})
    assert result.needed[0].text == "ต้องมีการลงทะเบียนกลุ่มอาชีพ OTOP ภายใน 30 มิ.ย. 2567"


TWO_STAGE = make_catalog("""
- id: energy
  number: 12
  name: การประหยัดพลังงาน
  weight: 5
  inputs:
    - {id: electricity, name: ร้อยละการใช้ไฟฟ้าลดลง, unit: ร้อยละ}
    - {id: fuel, name: ร้อยละการใช้น้ำมันลดลง, unit: ร้อยละ}
  rubric:
    combine: sum
    parts:
      - id: electricity
        bands:
          - {when: electricity >= 20.00, score: 5}
          - {when: electricity in 10.00..19.99, score: 4}
          - {when: electricity in 0.00..9.99, score: 3.5}
          - {when: electricity < 0.00, score: 0.5}
      - id: fuel
        bands:
          - {when: fuel >= 20.00, score: 5}
          - {when: fuel in 10.00..19.99, score: 4}
          - {when: fuel in 0.00..9.99, score: 3}
          - {when: fuel < 0.00, score: 0.5}
    levels:
      - {level: 1, when: score in 1..2}
      - {level: 2, when: score in 3..4}
      - {level: 3, when: score in 5..6}
      - {level: 4, when: score in 7..9}
      - {level: 5, when: score = 10}
""")


def test_two_stage_sum_then_levels():
    kpi = TWO_STAGE.kpi("12")
    top = evaluate(kpi, {"electricity": "25", "fuel": "20"})
    assert top.parts == {"electricity": Decimal(5), "fuel": Decimal(5)} and top.level == 5
    assert evaluate(kpi, {"electricity": "12", "fuel": "12"}).level == 4
    gap = evaluate(kpi, {"electricity": "5", "fuel": "5"})  # 3.5 + 3 = 6.5 maps to no level
    assert gap.values["score"] == Decimal("6.5") and gap.level == 0


REVIEWER = make_catalog("""
- id: project
  number: 6
  name: โครงการเชิงรุกการพัฒนางานพัฒนาชุมชน
  weight: 15
  rubric:
    reviewer: true
    levels:
      - {level: 1, text: ตามโครงการที่เสนอ}
      - {level: 2, text: ตามโครงการที่เสนอ}
      - {level: 3, text: ตามโครงการที่เสนอ}
      - {level: 4, text: ตามโครงการที่เสนอ}
      - {level: 5, text: ตามโครงการที่เสนอ}
""")


def test_reviewer_sets_the_level():
    kpi = REVIEWER.kpi("6")
    assert evaluate(kpi, {"level": "4"}).level == 4
    pending = evaluate(kpi, {})
    assert pending.level == 0 and pending.needed[0].kind == "reviewer"
    with pytest.raises(EvaluationError):
        evaluate(kpi, {"level": "6"})


def test_named_units_only():
    catalog = make_catalog("""
- id: debt_centre
  number: 3
  name: ครัวเรือนลดหนี้ (๓ อำเภอ)
  weight: 15
  applies_to: [เมืองยะลา, ธารโต, ยะหา]
  inputs: [{id: percent, name: ร้อยละ, unit: ร้อยละ, min: 0, max: 100}]
  rubric:
    levels:
      - {level: 1, when: percent >= 60}
      - {level: 2, when: percent >= 70}
      - {level: 3, when: percent >= 80}
      - {level: 4, when: percent >= 90}
      - {level: 5, when: percent >= 100}
""")
    assert evaluate(catalog.kpi("3"), {"percent": "85"}, unit="ธารโต").level == 3
    with pytest.raises(EvaluationError) as exc:
        evaluate(catalog.kpi("3"), {"percent": "85"}, unit="กาบัง")
    assert exc.value.code == "not_applicable"


# -- which ladders are rounded to their ranges' decimals (issue 11) ------------------------------------

GAPS = make_catalog("""
- id: gapped
  name: ช่วงเว้นช่อง
  inputs: [{id: percent, name: ร้อยละ, unit: ร้อยละ}]
  rubric:
    levels:
      - {level: 1, when: percent in 60..69}
      - {level: 2, when: percent in 70..79}
- id: touching
  name: ช่วงชนกัน
  inputs: [{id: percent, name: ร้อยละ, unit: ร้อยละ}]
  rubric:
    levels:
      - {level: 1, when: percent in 60..70}
      - {level: 2, when: percent in 70..80}
- id: wide
  name: ช่วงห่างกัน
  inputs: [{id: percent, name: ร้อยละ, unit: ร้อยละ}]
  rubric:
    levels:
      - {level: 1, when: percent in 60..69}
      - {level: 2, when: percent in 75..79}
- id: stated
  name: เอกสารกำหนดทศนิยม
  decimals: 0
  inputs: [{id: percent, name: ร้อยละ, unit: ร้อยละ}]
  rubric:
    levels:
      - {level: 1, when: percent >= 80}
""")


@pytest.mark.parametrize(("kpi", "value", "expected"), [
    ("gapped", "69.49", 1), ("gapped", "69.5", 2),  # one-step gap 69 -> 70: rounded to whole percents
    ("touching", "70.00", 2), ("touching", "70.4", 2), ("touching", "60.00", 1), ("touching", "59.99", 0),
    ("wide", "69.5", 0), ("wide", "69.01", 0), ("wide", "74.99", 0),  # a real hole in the ladder stays a hole
    ("stated", "79.5", 1), ("stated", "79.49", 0),  # a `decimals:` the document sets is obeyed
])
def test_only_one_step_gaps_between_closed_ranges_round_to_the_ranges_decimals(kpi, value, expected):
    assert level(GAPS, kpi, percent=value) == expected


def test_gapped_ranges_are_found_from_the_rubric_structure():
    from scoring.conditions import Condition, gapped_ranges

    def conds(*texts):
        return [Condition.parse(t) for t in texts]

    assert gapped_ranges(conds("percent in 60..69", "percent in 70..79"), {}) == {"percent": 0}
    assert gapped_ranges(conds("percent in 93.50..95.49", "percent in 95.50..97.49", "percent >= 99.5"), {}) == {
        "percent": 2}
    assert gapped_ranges(conds("percent in 60..70", "percent in 70..80"), {}) == {}
    assert gapped_ranges(conds("percent >= 60", "percent >= 70"), {}) == {}
    assert gapped_ranges(conds("x * 100 / y in 0..9", "x*100/y in 10..19"), {}) == {"x*100/y": 0}
