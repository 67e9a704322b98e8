"""Seed 002 (Yala FY2568 round 2): the four catalogs reproduce the document's numbers."""

import pathlib
from decimal import Decimal

import pytest

from scoring.errors import EvaluationError
from scoring.evaluate import evaluate
from scoring.lint import check
from scoring.loader import load_catalog
from scoring.targets import target_value, total_value
from scoring.totals import applicable_kpis, total

CATALOGS = pathlib.Path(__file__).parents[2] / "data" / "catalogs"
PROVINCE_TEAM = CATALOGS / "002-yala-2568-r2-province-team.yaml"
DISTRICT_TEAM = CATALOGS / "002-yala-2568-r2-district-team.yaml"
PROVINCE_INDIVIDUAL = CATALOGS / "002-yala-2568-r2-province-individual.yaml"
DISTRICT_INDIVIDUAL = CATALOGS / "002-yala-2568-r2-district-individual.yaml"
ALL = [PROVINCE_TEAM, DISTRICT_TEAM, PROVINCE_INDIVIDUAL, DISTRICT_INDIVIDUAL]

DISTRICTS = ["กรงปินัง", "กาบัง", "ธารโต", "บันนังสตา", "เบตง", "เมืองยะลา", "ยะหา", "รามัน"]

# 002:L434-442, as published (บันนังสตา and รามัน stray from the 86..90 % rule and are kept)
KPI4_TABLE = {
    "กรงปินัง": (20, [17, 17, 18, 18, 18]),
    "กาบัง": (9, [8, 8, 8, 8, 8]),
    "ธารโต": (7, [6, 6, 6, 6, 6]),
    "บันนังสตา": (12, [11, 11, 11, 11, 11]),
    "เบตง": (41, [35, 36, 36, 36, 37]),
    "เมืองยะลา": (214, [184, 186, 188, 190, 193]),
    "ยะหา": (6, [5, 5, 5, 5, 5]),
    "รามัน": (14, [12, 12, 13, 13, 13]),
}
KPI4_TOTAL = (323, [278, 281, 285, 287, 291])


def level(path, ref, inputs, **kw):
    return evaluate(load_catalog(path).kpi(ref), inputs, **kw)


def texts(e):
    return [n.text for n in e.needed]


# -- the catalogs load, lint clean of errors, and report only the document's own flaws -------------

@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_catalog_loads_without_errors(path):
    catalog = load_catalog(path)
    assert catalog.document == "002"
    assert catalog.fiscal_year == 2568 and catalog.round == 2
    problems = check(catalog, str(path))
    assert [p for p in problems if p.severity == "error"] == []


def test_lint_warnings_are_the_documents_own():
    warnings = check(load_catalog(DISTRICT_INDIVIDUAL), "x")
    cells = sorted((w.line, w.code) for w in warnings)
    # บันนังสตา L1-2 (L437) and รามัน L3-4 (L441) differ from the rule; nothing else
    assert len(cells) == 4
    assert {line for line, _ in cells} == {437, 441}
    team = check(load_catalog(DISTRICT_TEAM), "x")
    assert [w.code for w in team] == ["gap"]  # exactly 20 % overdue debt is in no level


def test_kpi_counts_and_numbers():
    assert [k.number for k in load_catalog(PROVINCE_TEAM).kpis] == [1, 2]
    assert [k.number for k in load_catalog(DISTRICT_TEAM).kpis] == [1, 2, 3]
    assert [k.number for k in load_catalog(PROVINCE_INDIVIDUAL).kpis] == [1, 2, 3, 4, 5]
    assert [k.number for k in load_catalog(DISTRICT_INDIVIDUAL).kpis] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert list(load_catalog(DISTRICT_INDIVIDUAL).units) == DISTRICTS


# -- team KPI 3: overdue debt of the Women's Development Fund (lower is better) ----------------------

def test_worked_number_overdue_debt_is_level_5():
    e = level(DISTRICT_TEAM, "3", {"overdue": "489,204.87", "total": "33,109,323.18"})
    assert e.level == 5
    assert e.next_level is None
    checked = next(r for r in e.levels if r.level == 5).checks[0]
    assert checked.actual == Decimal("1.48")


def test_worked_number_given_as_percent_directly():
    assert level(DISTRICT_TEAM, "3", {"percent": "๑.๔๘"}).level == 5


@pytest.mark.parametrize(
    ("percent", "expected", "next_level"),
    [
        ("20", 0, 2),  # "มากกว่า ๒๐" and "ต่ำกว่า ๒๐": exactly 20 is in no level
        ("20.00", 0, 2),
        ("19.995", 0, 2),  # rounds half-up to 20.00
        ("19.99", 2, 3),
        ("20.01", 1, 2),
        ("15", 2, 3),
        ("14.99", 3, 4),
        ("10", 3, 4),
        ("5", 4, 5),
        ("4.99", 5, None),
        ("0", 5, None),
        ("55", 1, 2),
    ],
)
def test_overdue_debt_thresholds(percent, expected, next_level):
    e = level(DISTRICT_TEAM, "3", {"percent": percent})
    assert (e.level, e.next_level) == (expected, next_level)


def test_exactly_20_percent_from_amounts_needs_a_decrease():
    e = level(DISTRICT_TEAM, "3", {"overdue": "200", "total": "1000"})
    assert e.level == 0 and e.next_level == 2
    assert texts(e) == ["ร้อยละหนี้เกินกำหนดชำระ ลดลงอีก 0.01 จุดร้อยละ"]


def test_province_individual_kpi5_uses_the_same_rubric():
    e = level(PROVINCE_INDIVIDUAL, "5", {"overdue": "489,204.87", "total": "33,109,323.18"})
    assert e.level == 5
    assert level(PROVINCE_INDIVIDUAL, "5", {"percent": "20"}).level == 0


# -- team KPIs 1-2 (at least) -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("percent", "expected"),
    [("79.99", 0), ("80", 1), ("84.99", 1), ("85", 2), ("90", 3), ("94.99", 3), ("95", 4), ("99.99", 4),
     ("100", 5)],
)
def test_budget_spending_levels(percent, expected):
    # 002:L156-160 "ไม่น้อยกว่าร้อยละ ๘๐ … ๙๕", "ร้อยละ ๑๐๐": read literally (99.99 is not 100)
    assert level(PROVINCE_TEAM, "1", {"percent": percent}).level == expected
    assert level(DISTRICT_TEAM, "1", {"percent": percent}).level == expected


def test_budget_spending_from_amounts():
    e = level(DISTRICT_TEAM, "1", {"spent": "9,400,000", "allocated": "10,000,000"})
    assert e.level == 3
    assert texts(e) == ["ร้อยละการใช้จ่ายงบประมาณ เพิ่มอีก 1.00 จุดร้อยละ"]


@pytest.mark.parametrize(("percent", "expected"), [("74", 0), ("75", 1), ("89", 3), ("95", 5)])
def test_plan_achievement_levels(percent, expected):
    assert level(PROVINCE_TEAM, "2", {"percent": percent}).level == expected


# -- KPI 4: per-district household targets ----------------------------------------------------------

def test_kpi4_table_reads_back_exactly():
    table = load_catalog(DISTRICT_INDIVIDUAL).kpi("4").targets
    assert list(table.units) == DISTRICTS
    for unit, (base, cells) in KPI4_TABLE.items():
        assert table.units[unit].base == Decimal(base)
        assert [target_value(table, unit, lv) for lv in range(1, 6)] == [Decimal(c) for c in cells], unit
    assert table.total.base == Decimal(KPI4_TOTAL[0])
    assert [total_value(table, lv) for lv in range(1, 6)] == [Decimal(c) for c in KPI4_TOTAL[1]]


def test_kpi4_total_row_is_the_sum_of_the_cells():
    table = load_catalog(DISTRICT_INDIVIDUAL).kpi("4").targets
    assert table.total_rule == "sum"
    for lv in range(1, 6):
        assert sum(target_value(table, u, lv) for u in DISTRICTS) == total_value(table, lv)
    assert sum(table.units[u].base for u in DISTRICTS) == table.total.base


@pytest.mark.parametrize(
    ("unit", "passed", "expected", "needed"),
    [
        ("เมืองยะลา", 188, 3, ["ผ่านเกณฑ์เพิ่มอีก 2 ครัวเรือน"]),
        ("เมืองยะลา", 187, 2, ["ผ่านเกณฑ์เพิ่มอีก 1 ครัวเรือน"]),
        ("เมืองยะลา", 186, 2, ["ผ่านเกณฑ์เพิ่มอีก 2 ครัวเรือน"]),
        ("เมืองยะลา", 183, 0, ["ผ่านเกณฑ์เพิ่มอีก 1 ครัวเรือน"]),
        ("เมืองยะลา", 193, 5, []),
        ("บันนังสตา", 10, 0, ["ผ่านเกณฑ์เพิ่มอีก 1 ครัวเรือน"]),  # published 11, not the rule's 10
        ("บันนังสตา", 11, 5, []),
        ("รามัน", 12, 2, ["ผ่านเกณฑ์เพิ่มอีก 1 ครัวเรือน"]),  # published 13 at level 3
        ("รามัน", 13, 5, []),
        ("เบตง", 36, 4, ["ผ่านเกณฑ์เพิ่มอีก 1 ครัวเรือน"]),
        ("ยะหา", 5, 5, []),
    ],
)
def test_kpi4_level_from_households_passed(unit, passed, expected, needed):
    e = level(DISTRICT_INDIVIDUAL, "4", {"passed": passed}, unit=unit)
    assert e.level == expected
    assert texts(e) == needed


def test_kpi4_needs_a_district():
    with pytest.raises(EvaluationError):
        level(DISTRICT_INDIVIDUAL, "4", {"passed": 188})


@pytest.mark.parametrize(("passed", "expected"), [(277, 0), (278, 1), (284, 2), (285, 3), (291, 5)])
def test_province_kpi4_uses_the_total_row(passed, expected):
    assert level(PROVINCE_INDIVIDUAL, "4", {"passed": passed}).level == expected


# -- KPI 1: compound (all conditions of a level must hold) ------------------------------------------

def test_otop_compound_one_condition_failing():
    # growth 12 % and 2 channels reach level 3, but 2 posts a month stop at level 2
    e = level(DISTRICT_INDIVIDUAL, "1", {"growth": "12", "channels": 2, "posts": 2})
    assert e.level == 2 and e.next_level == 3
    assert texts(e) == ["เผยแพร่เพิ่มอีก 1 ครั้งในเดือนนี้"]


def test_otop_compound_growth_failing_blocks_everything():
    e = level(DISTRICT_INDIVIDUAL, "1", {"growth": "6.4", "channels": 3, "posts": 4})
    assert e.level == 0
    assert texts(e) == ["รายได้จากการจำหน่ายที่เพิ่มขึ้นทั้งปี (ผลิตภัณฑ์เป้าหมายที่ต่ำสุด) เพิ่มอีก 0.60 จุดร้อยละ"]


@pytest.mark.parametrize(
    ("growth", "channels", "posts", "expected"),
    [("7", 1, 1, 1), ("9", 1, 2, 2), ("11", 2, 3, 3), ("13", 3, 3, 4), ("15", 3, 4, 5), ("15", 2, 4, 3),
     ("14.99", 3, 4, 4), ("15.00", 3, 4, 5)],
)
def test_otop_levels(growth, channels, posts, expected):
    inputs = {"growth": growth, "channels": channels, "posts": posts}
    assert level(DISTRICT_INDIVIDUAL, "1", inputs).level == expected
    assert level(PROVINCE_INDIVIDUAL, "1", inputs).level == expected


def test_otop_and_nawatwithi_are_measured_on_the_20th():
    catalog = load_catalog(DISTRICT_INDIVIDUAL)
    for ref in ("1", "2"):
        assert catalog.kpi(ref).measure.every == "month"
        assert catalog.kpi(ref).measure.day == 20
    for ref in ("7", "8"):
        assert catalog.kpi(ref).measure.day == 15


def test_nawatwithi_compound():
    e = level(DISTRICT_INDIVIDUAL, "2", {"media": 2, "channels": 3, "posts": 3, "growth": "7"})
    assert e.level == 4
    assert texts(e) == ["สื่อชุมชนท่องเที่ยว OTOP นวัตวิถี (soft power ๔ ด้าน) เพิ่มอีก 1 ชิ้น",
                        "ช่องทางออฟไลน์หรือออนไลน์ เพิ่มอีก 1 ช่องทาง",
                        "ประชาสัมพันธ์เพิ่มอีก 1 ครั้งในเดือนนี้"]


# -- KPI 3: debt households, ranges with person counts ----------------------------------------------

@pytest.mark.parametrize(
    ("households", "expected"),
    [(17, 0), (18, 1), (20, 1), (21, 2), (23, 2), (24, 3), (26, 3), (27, 4), (29, 4), (30, 5)],
)
def test_debt_households_ranges_match_printed_person_counts(households, expected):
    assert level(DISTRICT_INDIVIDUAL, "3", {"households": households}, unit="เมืองยะลา").level == expected


@pytest.mark.parametrize(("percent", "expected"), [("59.4", 0), ("59.5", 1), ("69.4", 1), ("69.5", 2), ("99.4", 4)])
def test_debt_households_percent_boundaries(percent, expected):
    assert level(DISTRICT_INDIVIDUAL, "3", {"percent": percent}, unit="ยะหา").level == expected


def test_debt_households_applies_to_three_districts_only():
    kpi = load_catalog(DISTRICT_INDIVIDUAL).kpi("3")
    assert kpi.applies_to == ("เมืองยะลา", "ธารโต", "ยะหา")
    with pytest.raises(EvaluationError) as err:
        evaluate(kpi, {"households": 30}, unit="กาบัง")
    assert err.value.code == "not_applicable"


# -- KPI 5: Women's Development Fund members ---------------------------------------------------------

@pytest.mark.parametrize(
    ("percent", "expected"),
    [("0", 0), ("10", 1), ("64.99", 1), ("65", 2), ("70", 3), ("75", 4), ("75.01", 5), ("76", 5)],
)
def test_wdf_members_levels(percent, expected):
    assert level(DISTRICT_INDIVIDUAL, "5", {"percent": percent}).level == expected


def test_wdf_members_from_counts():
    assert level(DISTRICT_INDIVIDUAL, "5", {"members": 700, "women": 1000}).level == 3


# -- KPI 6: set by a reviewer; KPIs 7-9: cumulative ladders -------------------------------------------

def test_proactive_project_is_set_by_a_reviewer():
    kpi = load_catalog(DISTRICT_INDIVIDUAL).kpi("6")
    assert kpi.rubric.reviewer
    assert evaluate(kpi, {}).level == 0
    assert evaluate(kpi, {"level": 4}).level == 4


def test_click_chumchon_ladder():
    full = {"places": 1, "shops": 5, "activities": 1}
    e = level(DISTRICT_INDIVIDUAL, "7", full)
    assert e.level == 4
    assert level(DISTRICT_INDIVIDUAL, "7", {**full, "steps": ["report"]}).level == 5
    # reporting alone does not jump to level 5
    assert level(DISTRICT_INDIVIDUAL, "7", {"places": 1, "shops": 2, "steps": ["report"]}).level == 1
    e = level(DISTRICT_INDIVIDUAL, "7", {"places": 1, "shops": 4})
    assert e.level == 2 and texts(e) == ["ร้านค้าผู้ประกอบการ OTOP ที่สมัครใน Shop ชุมชนเพิ่มขึ้น เพิ่มอีก 1 ร้านค้า"]


def test_khok_nong_na_ladder():
    assert level(DISTRICT_INDIVIDUAL, "8", {"activities": 1, "channels": 3}).level == 3
    assert level(DISTRICT_INDIVIDUAL, "8", {"activities": 1, "channels": 4, "lessons": 1}).level == 5
    assert level(DISTRICT_INDIVIDUAL, "8", {"activities": 0, "channels": 4, "lessons": 1}).level == 0


def test_kkhkch_ladder():
    assert level(DISTRICT_INDIVIDUAL, "9", {"steps": ["register"]}).level == 1
    assert level(DISTRICT_INDIVIDUAL, "9", {"steps": ["register", "plan"], "activities": 1}).level == 3
    # the plan is missing: activities alone do not climb past level 1
    assert level(DISTRICT_INDIVIDUAL, "9", {"steps": ["register"], "activities": 2}).level == 1
    e = level(DISTRICT_INDIVIDUAL, "9", {"steps": ["register", "plan", "report"], "activities": 2})
    assert e.level == 5


# -- weights ------------------------------------------------------------------------------------

def _weights(path, unit=None, chosen=None):
    return sum((k.weight for k in applicable_kpis(load_catalog(path), unit, chosen)), Decimal(0))


def test_team_weights_total_100():
    assert [k.weight for k in load_catalog(PROVINCE_TEAM).kpis] == [50, 50]
    assert [k.weight for k in load_catalog(DISTRICT_TEAM).kpis] == [50, 40, 10]
    assert _weights(PROVINCE_TEAM) == 100
    for unit in DISTRICTS:
        assert _weights(DISTRICT_TEAM, unit) == 100


def test_province_individual_weights_total_100():
    assert [k.weight for k in load_catalog(PROVINCE_INDIVIDUAL).kpis] == [20] * 5
    assert _weights(PROVINCE_INDIVIDUAL) == 100


@pytest.mark.parametrize("unit", ["เมืองยะลา", "ธารโต", "ยะหา"])
def test_district_individual_weights_with_kpi3(unit):
    kpis = applicable_kpis(load_catalog(DISTRICT_INDIVIDUAL), unit)
    assert [k.number for k in kpis] == [1, 2, 3, 4, 5, 6]
    assert [k.weight for k in kpis] == [20, 20, 15, 15, 15, 15]
    assert _weights(DISTRICT_INDIVIDUAL, unit) == 100


@pytest.mark.parametrize("unit", ["กรงปินัง", "กาบัง", "บันนังสตา", "เบตง", "รามัน"])
@pytest.mark.parametrize("choice", ["i7", "i8", "i9"])
def test_district_individual_weights_with_an_optional_kpi(unit, choice):
    kpis = applicable_kpis(load_catalog(DISTRICT_INDIVIDUAL), unit, {"choice": choice})
    assert [k.id for k in kpis] == ["i1", "i2", "i4", "i5", "i6", choice]
    assert _weights(DISTRICT_INDIVIDUAL, unit, {"choice": choice}) == 100


def test_district_total_with_an_optional_kpi():
    catalog = load_catalog(DISTRICT_INDIVIDUAL)
    levels = {"i1": 5, "i2": 4, "i4": 3, "i5": 5, "i6": 4, "i8": 5}
    t = total(catalog, levels, unit="กาบัง", chosen={"choice": "i8"})
    assert t.weights_total == 100 and t.warnings == []
    # 100 + 80 + 45 + 75 + 60 + 75 = 435
    assert t.weighted_sum == Decimal(435)
    assert t.score100 == Decimal("87.00")
    assert t.average5 == Decimal("4.35")


def test_optional_group_replaces_kpi3():
    catalog = load_catalog(DISTRICT_INDIVIDUAL)
    assert [g.instead_of for g in catalog.optional_groups] == [("i3",)]
    assert [k.id for k in catalog.kpis if k.optional_group == "choice"] == ["i7", "i8", "i9"]
    assert all(k.weight == 15 for k in catalog.kpis if k.optional_group)


# -- contacts --------------------------------------------------------------------------------------

def test_owners_and_coordinators_with_phones():
    team = load_catalog(DISTRICT_TEAM)
    assert team.kpi("2").owner[0].name == "นางซูเรียนา ระเด่นกุล"
    assert team.kpi("2").coordinator[0].phone == "084-848-7698"
    assert [c.name for c in team.kpi("1").coordinator] == ["นางสาวสุดารัตน์ วิรัชต์", "นางสาวภวิกา จันทร์ปรุง"]
    ind = load_catalog(DISTRICT_INDIVIDUAL)
    assert ind.kpi("8").coordinator[0].name == "นายสุรียน สุวรรณโคตร"
    assert ind.kpi("8").coordinator[0].phone == "084-330-1464"
    assert ind.kpi("7").coordinator[0].phone == "086-295-4944"
    for kpi in ind.kpis:
        assert kpi.owner and kpi.owner[0].phone, kpi.id
        assert kpi.coordinator, kpi.id
