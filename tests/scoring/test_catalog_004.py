"""Seed 004 (DSDW FY2566 manual): the per-province target table and the department KPI sheets, rounds 1 and 2.

Worked numbers come from the seed (004_8d7d217d8fd7fed0.txt) and seeds/NOTES-003-004.md §7.
"""

import pathlib
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from scoring.evaluate import evaluate
from scoring.loader import load_catalog
from scoring.model import TargetTable
from scoring.numbers import round_half_up
from scoring.targets import mismatches, rule_value, target_value, total_value
from scoring.yamlread import read_yaml

DATA = pathlib.Path(__file__).parents[2] / "data"
CATALOGS = DATA / "catalogs"
TABLE_FILE = DATA / "tables" / "004-vulnerable-households.yaml"
R1 = load_catalog(CATALOGS / "004-dsdw-2566-r1-department.yaml")
R2 = load_catalog(CATALOGS / "004-dsdw-2566-r2-department.yaml")

COLUMNS = (20, 30, 40, 50, 60, 70, 80, 90, 100)


def level(catalog, kpi_id, inputs, **kw):
    return evaluate(catalog.kpi(kpi_id), inputs, **kw).level


def all_columns_table() -> TargetTable:
    """The shared table with every printed percentage column as a level (1..9 = 20..100 %)."""
    data, _lines, problems = read_yaml(TABLE_FILE.read_text(encoding="utf-8"), str(TABLE_FILE))
    assert not problems
    return TargetTable.model_validate({**data, "percent": {i + 1: p for i, p in enumerate(COLUMNS)}})


TABLE = all_columns_table()


# ---------------------------------------------------------------------------------------------- target table
def test_table_has_76_provinces_and_the_base_total():
    assert len(TABLE.units) == 76
    assert TABLE.factor == Decimal("1.35")
    assert TABLE.total_rule == "base"
    assert sum(r.base for r in TABLE.units.values()) == Decimal(572976) == TABLE.total.base
    assert TABLE.units["กระบี่"].line == 948 and TABLE.units["อุบลราชธานี"].line == 1035
    assert TABLE.total.line == 1036


@pytest.mark.parametrize("unit", sorted(TABLE.units))
def test_every_row_follows_the_rule_and_equals_the_published_cells(unit):
    row = TABLE.units[unit]
    base = row.base
    assert row.cells["inc"] == round_half_up(base * Decimal("0.35"))
    assert row.cells["target"] == round_half_up(base * Decimal("1.35")) == base + row.cells["inc"]
    for i, p in enumerate(COLUMNS, start=1):
        rule = rule_value(TABLE, base, i)
        assert rule == round_half_up(base * Decimal("1.35") * p / 100)
        assert rule == row.cells[str(p)], (unit, p)
        assert target_value(TABLE, unit, i) == row.cells[str(p)]


def test_total_row_is_computed_from_the_base_total():
    total = TABLE.total
    base = Decimal(572976)
    assert total.cells["inc"] == round_half_up(base * Decimal("0.35")) == 200542
    assert total.cells["target"] == round_half_up(base * Decimal("1.35")) == 773518
    expected = {20: 154704, 30: 232055, 40: 309407, 50: 386759, 60: 464111, 70: 541462, 80: 618814,
                90: 696166, 100: 773518}
    for i, p in enumerate(COLUMNS, start=1):
        assert total.cells[str(p)] == expected[p] == total_value(TABLE, i) == rule_value(TABLE, base, i)


def test_total_row_is_not_the_sum_of_rounded_cells():
    sums = {key: sum(r.cells[key] for r in TABLE.units.values()) for key in ("inc", "target", "20", "90")}
    assert sums == {"inc": 200544, "target": 773520, "20": 154701, "90": 696165}
    assert TABLE.total.cells["target"] == 773518


def test_no_published_cell_differs_from_the_rule():
    assert mismatches(TABLE) == []
    for catalog in (R1, R2):
        assert mismatches(catalog.kpi("d3u").targets) == []


def test_rows_that_tell_rounding_rules_apart():
    kan, bur, phe, chan = (TABLE.units[u] for u in ("กาญจนบุรี", "บุรีรัมย์", "เพชรบูรณ์", "จันทบุรี"))
    # กาญจนบุรี 50 %: 14,636.70 x 0.5 = 7,318.35 -> 7,318 (rounding the target first gives 7,319)
    assert kan.cells["50"] == 7318 == rule_value(TABLE, kan.base, 4)
    assert round_half_up(kan.cells["target"] * Decimal("0.5")) == 7319
    # บุรีรัมย์ 90 %: 20,403.495 -> 20,403 (rounding the target first gives 20,404)
    assert bur.cells["90"] == 20403 == rule_value(TABLE, bur.base, 8)
    assert round_half_up(bur.cells["target"] * Decimal("0.9")) == 20404
    # เพชรบูรณ์: 2,292.5 -> 2,293 half-up (banker's rounding would give 2,292)
    assert phe.cells["inc"] == 2293 == round_half_up(phe.base * Decimal("0.35"))
    assert (phe.base * Decimal("0.35")).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) == 2292
    assert phe.cells["target"] == 8843
    assert phe.cells["20"] == 1769 == rule_value(TABLE, phe.base, 1)
    assert phe.cells["60"] == 5306 == rule_value(TABLE, phe.base, 5)
    # จันทบุรี: 2,229.5 -> 2,230; 8,599.5 -> 8,600
    assert (chan.cells["inc"], chan.cells["target"]) == (2230, 8600)
    assert TABLE.total.cells["target"] == 773518


def test_round_tables_pick_the_round_percentages():
    t1, t2 = R1.kpi("d3u").targets, R2.kpi("d3u").targets
    assert t1.percent == {2: 20, 3: 30, 4: 40, 5: 50}
    assert t2.percent == {1: 60, 2: 70, 3: 80, 4: 90, 5: 100}
    assert target_value(t1, "กาญจนบุรี", 5) == 7318
    assert target_value(t1, "กาญจนบุรี", 1) is None
    assert target_value(t2, "บุรีรัมย์", 4) == 20403
    assert target_value(t2, "เพชรบูรณ์", 1) == 5306
    assert total_value(t2, 5) == 773518
    assert total_value(t1, 5) == 386759


# ---------------------------------------------------------------------------------------------- D3 households
def test_d3u_round2_helped_households_against_the_province_target():
    assert level(R2, "d3u", {"helped": 14637}, unit="กาญจนบุรี") == 5
    assert level(R2, "d3u", {"helped": 14636}, unit="กาญจนบุรี") == 4
    e = evaluate(R2.kpi("d3u"), {"helped": 13172}, unit="กาญจนบุรี")  # 90 % target is 13,173
    assert (e.level, e.next_level) == (3, 4)
    assert [n.text for n in e.needed] == ["ช่วยเหลือ/พัฒนาคุณภาพชีวิตครัวเรือนเพิ่มอีก 1 ครัวเรือน"]
    assert level(R2, "d3u", {"helped": 5305}, unit="เพชรบูรณ์") == 0
    assert level(R2, "d3u", {"helped": 5306}, unit="เพชรบูรณ์") == 1


def test_d3u_round1_needs_the_confirmation_step_then_20_to_50_percent():
    assert level(R1, "d3u", {"helped": 7318, "steps": ["confirm"]}, unit="กาญจนบุรี") == 5
    assert level(R1, "d3u", {"helped": 7317, "steps": ["confirm"]}, unit="กาญจนบุรี") == 4
    assert level(R1, "d3u", {"helped": 7318}, unit="กาญจนบุรี") == 0
    assert level(R1, "d3u", {"helped": 0, "steps": ["confirm"]}, unit="กาญจนบุรี") == 1
    assert level(R1, "d3u", {"helped": 1769, "steps": ["confirm"]}, unit="เพชรบูรณ์") == 2


def test_d3_division_average_percent():
    assert level(R2, "d3", {"percent": 80}) == 3
    assert level(R2, "d3", {"percent": "59.4"}) == 0
    assert level(R1, "d3", {"percent": 50, "steps": ["confirm"]}) == 5
    assert level(R1, "d3", {"percent": 50}) == 0


# ---------------------------------------------------------------------------------------------- D10 budget
@pytest.mark.parametrize("percent, expected", [
    ("0", 1), ("47.49", 1), ("47.494", 1), ("47.495", 2), ("47.50", 2), ("49.49", 2), ("49.50", 3),
    ("51.50", 4), ("53.49", 4), ("53.50", 5), ("100", 5),
])
def test_d10_round1_disbursement_bands(percent, expected):
    assert level(R1, "d10", {"percent": percent}) == expected


@pytest.mark.parametrize("percent, expected", [
    ("95.45", 2), ("97.38", 3), ("97.74", 4), ("97.96", 4),
    ("93.49", 1), ("93.50", 2), ("95.49", 2), ("95.50", 3), ("97.49", 3), ("97.50", 4), ("99.49", 4),
    ("99.50", 5), ("100", 5),
])
def test_d10_round2_disbursement_bands(percent, expected):
    assert level(R2, "d10", {"percent": percent}) == expected


def test_d10_from_amounts_and_needed_text():
    assert level(R2, "d10", {"disbursed": "9,350,000", "budget": "10,000,000"}) == 2
    e = evaluate(R1.kpi("d10"), {"percent": "47.49"})
    assert (e.level, e.next_level) == (1, 2)
    assert [n.text for n in e.needed] == ["ร้อยละการเบิกจ่าย เพิ่มอีก 0.01 จุดร้อยละ"]


# ---------------------------------------------------------------------------------------------- D11 ITA
@pytest.mark.parametrize("ita, expected", [
    ("86.33", 5), ("80.50", 4), ("92.99", 5), ("88.02", 5),
    ("54.99", 1), ("55.00", 2), ("64.99", 2), ("65.00", 3), ("84.99", 4), ("85.00", 5), ("100", 5),
])
def test_d11_round2_ita_score(ita, expected):
    assert level(R2, "d11", {"ita": ita}) == expected


def test_d11_round1_all_five_milestones():
    steps = ["appoint", "meet", "guideline", "assign", "follow", "compile"]
    assert level(R1, "d11", {"steps": steps[:2]}) == 2
    assert level(R1, "d11", {"steps": steps[:4]}) == 3  # level 4 also needs "follow"
    assert level(R1, "d11", {"steps": steps}) == 5
    assert level(R1, "d11", {"steps": steps[1:]}) == 0  # cumulative: level 1 missing
    kpi = R1.kpi("d11")
    assert kpi.owner[0].name == "นายกิตติ อินทรกุล" and kpi.owner[0].phone == "0 2659 6014"
    assert len(kpi.coordinator) == 3


# ---------------------------------------------------------------------------------------------- D6 PMQA
@pytest.mark.parametrize("score, expected", [
    ("347.14", 0), ("407.02", 1), ("426.86", 2), ("449.83", 3),
    ("399.99", 0), ("400", 1), ("424.91", 1), ("424.92", 2), ("449.82", 2), ("454.33", 4), ("458.82", 4),
    ("458.83", 5),
])
def test_d6_round2_pmqa(score, expected):
    assert level(R2, "d6", {"pmqa": score}) == expected


def test_d6_round1_blank_levels_are_not_awarded_and_do_not_block():
    assert level(R1, "d6", {"steps": ["criteria"]}) == 1
    assert level(R1, "d6", {"steps": ["criteria", "self_assess"]}) == 3
    assert level(R1, "d6", {"steps": ["criteria", "self_assess", "submit"]}) == 5
    blanks = [lv.level for lv in R1.kpi("d6").rubric.levels if lv.blank]
    assert blanks == [2, 4]


# ---------------------------------------------------------------------------------------------- D4 BCG
@pytest.mark.parametrize("percent, expected", [
    ("53.19", 3), ("53.18", 2), ("48.19", 2), ("43.19", 1), ("43.18", 0), ("58.19", 4), ("63.18", 4),
    ("63.19", 5),
])
def test_d4_round2_five_point_steps_around_the_baseline(percent, expected):
    assert level(R2, "d4", {"percent": percent}) == expected


def test_d4_baseline_915_of_1720():
    kpi = R2.kpi("d4")
    assert kpi.constants["baseline"] == Decimal("53.19")
    assert [lv.text for lv in kpi.rubric.levels] == [f"ร้อยละ {v}" for v in
                                                     ("43.19", "48.19", "53.19", "58.19", "63.19")]
    assert level(R2, "d4", {"increased": 915, "participants": 1720}) == 3


# ---------------------------------------------------------------------------------------------- D9 satisfaction
@pytest.mark.parametrize("satisfaction, expected", [
    ("69.99", 1), ("70.00", 2), ("74.99", 2), ("75.00", 3), ("79.99", 3), ("80.00", 4), ("84.99", 4),
    ("85.00", 5),
])
def test_d9_satisfaction_bands(satisfaction, expected):
    for catalog in (R1, R2):
        assert level(catalog, "d9", {"satisfaction": satisfaction, "dissatisfaction": 0}) == expected


@pytest.mark.parametrize("dissatisfaction, expected", [
    ("30.01", 1), ("30.00", 2), ("25.00", 2), ("24.99", 3), ("20.00", 3), ("19.99", 4), ("15.00", 4),
    ("14.99", 5),
])
def test_d9_dissatisfaction_bands_descending(dissatisfaction, expected):
    assert level(R2, "d9", {"satisfaction": 100, "dissatisfaction": dissatisfaction}) == expected


def test_d9_both_rows_must_hold():
    assert level(R2, "d9", {"satisfaction": 90, "dissatisfaction": 22}) == 3
    assert level(R2, "d9", {"satisfaction": 72, "dissatisfaction": 5}) == 2
    assert level(R2, "d9", {"satisfaction": 90}) == 0  # dissatisfaction not reported


# ---------------------------------------------------------------------------------------------- D12 energy
def test_d12_energy_two_stage_sum():
    e = evaluate(R2.kpi("d12"), {"electricity": "12.00", "fuel": "19.99"})
    assert e.parts == {"electricity": Decimal("3"), "fuel": Decimal("4.5")}
    assert e.values["score"] == Decimal("7.5")
    assert e.level == 0  # 7.5 lies between "7" and "8": the gap is kept as printed
    assert level(R2, "d12", {"score": 10}) == 5
    assert level(R2, "d12", {"electricity": 20, "fuel": 25}) == 5
    assert level(R2, "d12", {"electricity": "12.00", "fuel": "13.99"}) == 2  # 3 + 3 = 6
    assert level(R2, "d12", {"electricity": "14.00", "fuel": "12.00"}) == 0  # 3.5 + 3 = 6.5
    assert level(R1, "d12", {"electricity": "3.99", "fuel": "-2"}) == 1  # 0.5 + 0.5 = 1
    assert level(R1, "d12", {"electricity": "18.00", "fuel": "18.00"}) == 5  # 4.5 + 4.5 = 9
    assert level(R1, "d12", {"score": "8.5"}) == 0


def test_d12_band_edges():
    def part(value):
        return evaluate(R2.kpi("d12"), {"electricity": value, "fuel": 0}).parts["electricity"]

    assert [part(v) for v in ("3.99", "4.00", "5.99", "6.00", "19.99", "20")] == [
        Decimal("0.5"), Decimal("1"), Decimal("1"), Decimal("1.5"), Decimal("4.5"), Decimal("5")]


# ---------------------------------------------------------------------------------------------- D13 waste
def test_d13_waste_two_stage_average():
    assert level(R2, "d13", {"score": "9.5"}) == 5
    assert level(R2, "d13", {"score": "10"}) == 5
    e = evaluate(R2.kpi("d13"), {"disposal": "27.00", "bags": 100, "cups": "90.00", "foam": "60.00"})
    assert e.parts == {"disposal": 9, "bags": 10, "cups": 8, "foam": 2}
    assert e.values["score"] == Decimal("7.25")
    assert e.level == 0  # 7.25 matches no level
    assert level(R2, "d13", {"disposal": 30, "bags": 100, "cups": 95, "foam": 100}) == 5  # 9.75
    assert level(R1, "d13", {"disposal": "5.99", "bags": 59, "cups": 0, "foam": 0}) == 1
    assert level(R1, "d13", {"disposal": "18.00", "bags": 80, "cups": 80, "foam": 80}) == 2  # 6
    bags = evaluate(R2.kpi("d13"), {"disposal": 0, "bags": "99.99", "cups": 0, "foam": 0}).parts["bags"]
    assert bags == 9


# ---------------------------------------------------------------------------------------------- D1, D2, D7, F
@pytest.mark.parametrize("percent, expected", [("2", 0), ("4.5", 0), ("10.29", 1), ("9.99", 0), ("10", 1),
                                               ("30", 5)])
def test_d1_round2_opo_percent(percent, expected):
    assert level(R2, "d1", {"percent": percent}) == expected


def test_d1_round1_milestones_and_training():
    assert level(R1, "d1", {"steps": ["analyse", "plan"]}) == 1
    assert level(R1, "d1", {"steps": ["analyse", "plan", "propose"]}) == 3
    assert level(R1, "d1", {"steps": ["analyse", "plan", "propose"], "trainings": 1}) == 5
    assert level(R1, "d1", {"steps": ["analyse"], "trainings": 1}) == 0


def test_d2_round2_only_levels_3_and_5_are_set():
    assert level(R2, "d2", {"volunteers": 406561}) == 3  # 73.0399 -> 73.04
    assert level(R2, "d2", {"volunteers": 306371}) == 0  # 55.04, levels 1-2 are "..."
    assert level(R2, "d2", {"volunteers": 556629}) == 5
    assert [lv.blank for lv in R2.kpi("d2").rubric.levels] == [True, True, False, True, False]


def test_template_kpis_have_blank_levels():
    for catalog in (R1, R2):
        for kpi_id in ("d7", "d8"):
            kpi = catalog.kpi(kpi_id)
            assert all(lv.blank and lv.text == "ร้อยละ..." for lv in kpi.rubric.levels)
            assert level(catalog, kpi_id, {"percent": 90}) == 0


def test_division_function_bucket_is_set_by_a_reviewer():
    kpi = R2.kpi("f")
    assert kpi.rubric.reviewer
    assert level(R2, "f", {"level": 4}) == 4


# ---------------------------------------------------------------------------------------------- weights, groups
DIVISION_PERFORMANCE_OVERRIDES = {  # KPIs in the Performance column of a division table but Potential at department level
    "div1": {"d11"},  # L322 ITA 15
    "div5": {"d5"},  # L395
    "div6": {"d5"},  # L415
    "div8": {"d6"},  # L451 PMQA 15
}
EXPECTED_DIVISION_WEIGHTS = {
    "div1": {"f": 55, "d11": 15, "d6": 6, "d9": 6, "d10": 6, "d12": 6, "d13": 6},
    "div2": {"f": 55, "d3": 15, "d11": 5, "d6": 5, "d9": 5, "d10": 5, "d12": 5, "d13": 5},
    "div3": {"f": 35, "d3": 15, "d7": 10, "d8": 10, "d11": 5, "d6": 5, "d9": 5, "d10": 5, "d12": 5, "d13": 5},
    "div4": {"f": 55, "d1": 15, "d11": 5, "d6": 5, "d9": 5, "d10": 5, "d12": 5, "d13": 5},
    "div5": {"f": 55, "d5": 15, "d11": 5, "d6": 5, "d9": 5, "d10": 5, "d12": 5, "d13": 5},
    "div6": {"f": 20, "d3": 15, "d4": 20, "d5": 15, "d11": 5, "d6": 5, "d9": 5, "d10": 5, "d12": 5, "d13": 5},
    "div7": {"f": 50, "d2": 20, "d11": 5, "d6": 5, "d9": 5, "d10": 5, "d12": 5, "d13": 5},
    "div8": {"f": 55, "d6": 15, "d11": 6, "d9": 6, "d10": 6, "d12": 6, "d13": 6},
    "div9": {"f": 70, "d11": 5, "d6": 5, "d9": 5, "d10": 5, "d12": 5, "d13": 5},
}


@pytest.mark.parametrize("catalog", [R1, R2], ids=["r1", "r2"])
def test_department_set_weights_total_100_split_70_30(catalog):
    weighted = [k for k in catalog.kpis if k.weight is not None]
    assert [k.id for k in weighted] == ["d1", "d2", "d3", "d4", "d5", "d6"]
    assert sum(k.weight for k in weighted) == 100 == catalog.stated_total
    assert sum(k.weight for k in weighted if k.group == "performance") == 70
    assert sum(k.weight for k in weighted if k.group == "potential") == 30
    assert {g.id: g.weight for g in catalog.groups} == {"performance": 70, "potential": 30}


@pytest.mark.parametrize("catalog", [R1, R2], ids=["r1", "r2"])
@pytest.mark.parametrize("division", sorted(EXPECTED_DIVISION_WEIGHTS))
def test_division_tables_total_100_split_70_30(catalog, division):
    assert division in catalog.variants
    weights = {k.id: k.weights[division] for k in catalog.kpis if division in k.weights}
    assert weights == EXPECTED_DIVISION_WEIGHTS[division]
    assert sum(weights.values()) == 100

    def group(kpi_id):
        if kpi_id in DIVISION_PERFORMANCE_OVERRIDES.get(division, set()):
            return "performance"
        return catalog.kpi(kpi_id).group

    assert sum(w for k, w in weights.items() if group(k) == "performance") == 70
    assert sum(w for k, w in weights.items() if group(k) == "potential") == 30


def test_overridden_kpis_are_potential_at_department_level():
    for kpis in DIVISION_PERFORMANCE_OVERRIDES.values():
        for kpi_id in kpis:
            assert R2.kpi(kpi_id).group == "potential"


# ---------------------------------------------------------------------------------------------- catalog shape
def test_rounds_periods_and_five_levels_everywhere():
    assert (R1.round, R1.period.start.isoformat(), R1.period.end.isoformat()) == (1, "2022-10-01", "2023-03-31")
    assert (R2.round, R2.period.start.isoformat(), R2.period.end.isoformat()) == (2, "2023-04-01", "2023-09-30")
    assert R1.scoring == R2.scoring == "levels"
    for catalog in (R1, R2):
        assert catalog.fiscal_year == 2566 and catalog.set == "department"
        assert len(catalog.kpis) == 15
        for kpi in catalog.kpis:
            assert [lv.level for lv in kpi.rubric.levels] == [1, 2, 3, 4, 5], kpi.id
            assert kpi.line and all(lv.line for lv in kpi.rubric.levels), kpi.id


def test_round1_blank_levels_are_marked():
    blank = {k.id: [lv.level for lv in k.rubric.levels if lv.blank] for k in R1.kpis}
    for kpi_id in ("d1", "d2", "d4", "d5", "d6"):
        assert blank[kpi_id] == [2, 4]
    assert blank["d11"] == [] and blank["d10"] == []


def test_kpis_found_by_number_and_alias():
    assert R2.kpi("๖").id == "d6"
    assert "เบิกจ่าย" in R2.kpi("d10").aliases
    assert "ITA" in R2.kpi("d11").aliases
