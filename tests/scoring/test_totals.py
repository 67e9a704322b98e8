"""Agreement totals: ค = ก × ข, Σค/5 (0-100), Σค/100 (1-5), bands, groups, missing KPIs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring.bands import band_of
from scoring.errors import EvaluationError
from scoring.totals import total

from .conftest import make_catalog

LADDER = """
  rubric:
    levels:
      - {level: 1, when: x >= 1}
      - {level: 2, when: x >= 2}
      - {level: 3, when: x >= 3}
      - {level: 4, when: x >= 4}
      - {level: 5, when: x >= 5}
  inputs: [{id: x, name: x}]
"""


def kpis(*specs: str) -> str:
    return "".join(f"- id: {spec}\n" + LADDER for spec in specs)


TEAM = make_catalog(
    "- id: k1\n  number: 1\n  name: เบิกจ่าย\n  weight: 50\n" + LADDER
    + "- id: k2\n  number: 2\n  name: ตามแผน\n  weight: 40\n" + LADDER
    + "- id: k3\n  number: 3\n  name: หนี้\n  weight: 10\n" + LADDER
)


def test_weighted_score_and_both_scales():
    result = total(TEAM, {"k1": 4, "k2": 5, "k3": 3})
    assert [r.weighted for r in result.rows] == [Decimal(200), Decimal(200), Decimal(30)]
    assert result.weighted_sum == Decimal(430)
    assert result.score100 == Decimal("86.00")
    assert result.average5 == Decimal("4.30")
    assert result.band == "ระดับมาตรฐานขั้นสูง"
    assert result.complete and result.missing == []


def test_not_yet_reported_gives_so_far_best_and_worst():
    result = total(TEAM, {"k1": 4, "k2": None})
    assert not result.complete
    assert result.missing == ["k2", "k3"]
    assert result.score100 == Decimal("40.00")  # 200 / 5
    assert result.worst100 == Decimal("40.00")
    assert result.best100 == Decimal("90.00")  # (200 + 40*5 + 10*5) / 5
    assert result.best_band == "ระดับคุณภาพ"


def test_level_zero_counts_as_reported():
    result = total(TEAM, {"k1": 0, "k2": 0, "k3": 0})
    assert result.complete and result.score100 == Decimal("0.00") and result.band == "ระดับต้องปรับปรุง"


def test_levels_outside_0_to_5_are_refused():
    with pytest.raises(EvaluationError):
        total(TEAM, {"k1": 6})


@pytest.mark.parametrize(("score", "band"), [
    ("100", "ระดับคุณภาพ"), ("90.00", "ระดับคุณภาพ"), ("89.995", "ระดับคุณภาพ"), ("89.99", "ระดับมาตรฐานขั้นสูง"),
    ("75.00", "ระดับมาตรฐานขั้นสูง"), ("74.99", "ระดับมาตรฐานขั้นต้น"), ("74.994", "ระดับมาตรฐานขั้นต้น"),
    ("60.00", "ระดับมาตรฐานขั้นต้น"), ("59.99", "ระดับต้องปรับปรุง"), ("0", "ระดับต้องปรับปรุง"),
])
def test_band_edges(score, band):
    assert band_of(Decimal(score)).th == band


def test_weights_not_totalling_100_are_flagged_not_fixed():
    ninety = make_catalog(
        "- id: a\n  name: a\n  weight: 50\n" + LADDER + "- id: b\n  name: b\n  weight: 40\n" + LADDER)
    result = total(ninety, {"a": 5, "b": 5})
    assert result.weights_total == Decimal(90)
    assert result.score100 == Decimal("90.00")  # Σค / 5 as the official form computes it
    assert result.warnings and "90" in result.warnings[0]
    # 450 × 100 / 90 / 5 = 100.00: the band is read there, and marked as such
    assert (result.normalised100, result.band, result.band_basis) == (Decimal("100.00"), "ระดับคุณภาพ",
                                                                      "weights_present")


GROUPED = make_catalog(
    "- id: d1\n  name: d1\n  weight: 40\n  group: performance\n" + LADDER
    + "- id: d2\n  name: d2\n  weight: 30\n  group: performance\n" + LADDER
    + "- id: d5\n  name: d5\n  weight: 30\n  group: potential\n" + LADDER,
    head="""\
id: grouped
document: test
source: synthetic
title: กลุ่ม
fiscal_year: 2566
set: department
groups:
  - {id: performance, name: Performance Base, weight: 70}
  - {id: potential, name: Potential Base, weight: 30}
""")


def test_groups_split_the_total():
    result = total(GROUPED, {"d1": 5, "d2": 4, "d5": 3})
    perf, pot = result.groups
    assert (perf.weight, perf.weighted, perf.score100) == (Decimal(70), Decimal(320), Decimal("64.00"))
    assert (pot.weight, pot.weighted, pot.score100) == (Decimal(30), Decimal(90), Decimal("18.00"))
    assert result.score100 == perf.score100 + pot.score100


OPTIONAL = make_catalog(
    "- id: k1\n  name: k1\n  weight: 85\n" + LADDER
    + "- id: k3\n  name: ลดหนี้ ๓ อำเภอ\n  weight: 15\n  applies_to: [เมืองยะลา, ธารโต, ยะหา]\n" + LADDER
    + "- id: k7\n  number: 7\n  name: Click ชุมชน\n  weight: 15\n  optional_group: choice\n" + LADDER
    + "- id: k8\n  number: 8\n  name: โคก หนอง นา\n  weight: 15\n  optional_group: choice\n" + LADDER,
    head="""\
id: optional
document: test
source: synthetic
title: ทางเลือก
fiscal_year: 2568
set: individual
units: [เมืองยะลา, กาบัง]
optional_groups:
  - {id: choice, name: ตัวชี้วัดทางเลือก, choose: 1, instead_of: [k3]}
""")


def test_optional_kpi_replaces_the_named_unit_kpi_elsewhere():
    yala = total(OPTIONAL, {"k1": 5, "k3": 5}, unit="เมืองยะลา")
    assert [r.kpi for r in yala.rows] == ["k1", "k3"] and yala.weights_total == 100
    kabang = total(OPTIONAL, {"k1": 5, "k8": 4}, unit="กาบัง", chosen={"choice": "k8"})
    assert [r.kpi for r in kabang.rows] == ["k1", "k8"] and kabang.weights_total == 100
    assert kabang.score100 == Decimal("97.00")
    with pytest.raises(EvaluationError):
        total(OPTIONAL, {}, unit="กาบัง", chosen={"choice": "k3"})


def test_tier_credit_model():
    tiers = make_catalog(
        "- id: a\n  name: a\n  weight: 60\n" + LADDER + "- id: b\n  name: b\n  weight: 40\n" + LADDER,
        head="""\
id: tiers
document: test
source: synthetic
title: ขั้นต้น มาตรฐาน ขั้นสูง
fiscal_year: 2566
set: department
scoring: tiers
tier_credit: {1: 0, 2: 0, 3: 50, 4: 75, 5: 100}
""")
    result = total(tiers, {"a": 5, "b": 3})
    assert result.score100 == Decimal("80.00")  # 60 x 100% + 40 x 50%


# ------------------------------------------------------------------ weights that do not total 100
# Quality bands (004 §4, DOMAIN): 90-100 คุณภาพ; 75-89.99 มาตรฐานขั้นสูง; 60-74.99 มาตรฐานขั้นต้น; below 60 ต้องปรับปรุง.

def test_001_individual_a_unit_has_one_kpi1_row_so_its_weights_total_90(catalog_by_id):
    c = catalog_by_id("001-chonburi-2567-r2-individual")
    # 001 prints two KPI-1 rows, 10 each: L66 "(ยกเว้นอำเภอเกาะสีชัง)" and L67 "(เฉพาะอำเภอเกาะสีชัง)";
    # then KPI 2 = 20 (L76), 3 = 20 (L77), 4 = 10 (L78), 5 = 10 (L87), 6 = 10 (L88), 7 = 10 (L98).
    # The column adds to 100 only when both KPI-1 rows are counted; a unit has one: Σข = 90, and the
    # document prints no total row (L64 header "ร้อยละ"). Nothing is missing for a unit: the total is complete.
    levels = [5, 4, 4, 3, 5, 4, 3]  # KPI 1 (its own row), 2, 3, 4, 5, 6, 7
    for unit, first in (("เกาะสีชัง", "i1k"), ("บางละมุง", "i1")):
        ids = [first, "i2", "i3", "i4", "i5", "i6", "i7"]
        result = total(c, dict(zip(ids, levels, strict=True)), unit=unit)
        assert [r.kpi for r in result.rows] == ids
        # Σค = 10×5 + 20×4 + 20×4 + 10×3 + 10×5 + 10×4 + 10×3 = 50 + 80 + 80 + 30 + 50 + 40 + 30 = 360
        assert result.weights_total == Decimal(90) and result.weighted_sum == Decimal(360)
        assert result.score100 == Decimal("72.00")  # raw: 360 / 5
        assert result.normalised100 == Decimal("80.00")  # 360 × 100 / 90 / 5
        # the band is that of 80.00 (มาตรฐานขั้นสูง), not of the raw 72.00 (which would be มาตรฐานขั้นต้น)
        assert (result.band, result.band_basis) == ("ระดับมาตรฐานขั้นสูง", "weights_present")
        assert result.complete and result.weights_missing == 0 and result.stated_total is None
        assert result.best100 == result.worst100 == Decimal("72.00")
        assert result.best_normalised100 == Decimal("80.00") and result.best_band == "ระดับมาตรฐานขั้นสูง"
        assert "90" in result.weights_note and "ตัวชี้วัดที่ 1" in result.weights_note


def test_001_individual_unreported_kpi_best_and_worst_against_the_weights_present(catalog_by_id):
    c = catalog_by_id("001-chonburi-2567-r2-individual")
    result = total(c, {"i1k": 5, "i2": 4, "i3": 4, "i4": 3, "i5": 5, "i6": 4}, unit="เกาะสีชัง")  # KPI 7 not yet
    # Σค = 360 - 30 = 330; raw 66.00; against Σข 90: 330 × 100 / 90 / 5 = 73.333… → 73.33 (มาตรฐานขั้นต้น)
    assert (result.weighted_sum, result.score100, result.normalised100) == (330, Decimal("66.00"), Decimal("73.33"))
    assert result.band == "ระดับมาตรฐานขั้นต้น" and not result.complete and result.missing == ["i7"]
    # best: KPI 7 (10) at level 5: 380 / 5 = 76.00, against 90: 380 × 100 / 90 / 5 = 84.444… → 84.44
    assert (result.best100, result.best_normalised100) == (Decimal("76.00"), Decimal("84.44"))
    assert (result.worst100, result.worst_normalised100) == (Decimal("66.00"), Decimal("73.33"))
    assert result.best_band == "ระดับมาตรฐานขั้นสูง"


def test_003_individual_weight_missing_from_the_document_gives_a_total_so_far(catalog_by_id):
    c = catalog_by_id("003-buriram-2565-r2-individual")
    # 003 individual table: KPI 4 = ๕ (L87), 5 = ๕ (L88), 6 = ๑๕ (L89), 7 = ๑๕ (L94), 8 = ๕ (L95),
    # 9 = ๕ (L100), 10 = ๕ (L105), 11 = ๕ (L109), 12 = ๑๕ (L110): Σข = 75; the total row prints ๑๐๐ (L111).
    # KPIs 1-3 (25) are missing from the document: like unreported KPIs, they count 0 so far and 5 at best.
    ids = ["i4", "i5", "i6", "i7", "i8", "i9", "i10", "i11", "i12"]
    levels = [5, 4, 3, 5, 4, 3, 5, 4, 3]
    result = total(c, dict(zip(ids, levels, strict=True)))
    assert [r.weight for r in result.rows] == [5, 5, 15, 15, 5, 5, 5, 5, 15]
    # Σค = 5×5 + 5×4 + 15×3 + 15×5 + 5×4 + 5×3 + 5×5 + 5×4 + 15×3 = 25+20+45+75+20+15+25+20+45 = 290
    assert (result.weights_total, result.weighted_sum) == (Decimal(75), Decimal(290))
    assert result.score100 == Decimal("58.00")  # raw: 290 / 5
    assert result.normalised100 == Decimal("77.33")  # 290 × 100 / 75 / 5 = 77.333…
    # band of 77.33 against the weights present (มาตรฐานขั้นสูง), never of the raw 58.00 (ต้องปรับปรุง)
    assert (result.band, result.band_basis) == ("ระดับมาตรฐานขั้นสูง", "weights_present")
    assert (result.stated_total, result.weights_missing) == (Decimal(100), Decimal(25))
    assert not result.complete and result.missing == []  # every KPI in the document is reported: still "so far"
    assert result.worst100 == Decimal("58.00")  # KPIs 1-3 at 0
    assert result.best100 == Decimal("83.00")  # (290 + 25 × 5) / 5 = 415 / 5
    assert result.best_band == "ระดับมาตรฐานขั้นสูง" and result.best_normalised100 is None  # finished Σข = 100
    assert "100" in result.weights_note and "75" in result.weights_note and "25" in result.weights_note


def test_003_individual_all_at_level_5(catalog_by_id):
    # Σค = 75 × 5 = 375: raw 75.00, against the weights present 375 × 100 / 75 / 5 = 100.00 (คุณภาพ);
    # KPIs 1-3 can still bring the final total anywhere from 75.00 to 100.00
    c = catalog_by_id("003-buriram-2565-r2-individual")
    result = total(c, {k.id: 5 for k in c.kpis})
    assert (result.score100, result.normalised100, result.band) == (Decimal("75.00"), Decimal("100.00"), "ระดับคุณภาพ")
    assert (result.worst100, result.best100, result.complete) == (Decimal("75.00"), Decimal("100.00"), False)


def test_weights_totalling_100_keep_the_band_of_the_raw_score():
    result = total(TEAM, {"k1": 4, "k2": 5, "k3": 3})
    assert result.normalised100 is None and result.band_basis == "score" and result.weights_note is None


def test_weights_above_100_are_normalised_too():
    over = make_catalog("- id: a\n  name: a\n  weight: 60\n" + LADDER + "- id: b\n  name: b\n  weight: 60\n" + LADDER)
    result = total(over, {"a": 4, "b": 3})
    # Σค = 240 + 180 = 420: raw 84.00 (ขั้นสูง); against 120: 420 × 100 / 120 / 5 = 70.00 (ขั้นต้น)
    assert (result.score100, result.normalised100, result.band) == (Decimal("84.00"), Decimal("70.00"),
                                                                    "ระดับมาตรฐานขั้นต้น")
    assert result.complete and "120" in result.weights_note


# ------------------------------------------------------------------ completeness: a case to choose

def test_003_team_kpi4_without_a_case_leaves_the_total_incomplete_and_names_the_cases(catalog_by_id):
    from scoring.evaluate import evaluate

    c = catalog_by_id("003-buriram-2565-r2-team")
    # 003:L64 KPI 4 (weight ๑๕) splits every level by case: "กรณีที่มีเงินยืมที่ผิดนัดตามสัญญาฯ" /
    # "กรณีไม่มีปัญหาเงินยืมที่ผิดนัดตามสัญญาฯ". Without the unit's case no level can be read.
    t4 = c.kpi("t4")
    unscored = evaluate(t4, {"recovered": "40", "funds_percent": "40"})
    assert unscored.level == 0  # what a silent ก = 0 would have counted
    levels = {k.id: 5 for k in c.kpis} | {"t4": unscored.level}
    result = total(c, levels, cases={})
    row = next(r for r in result.rows if r.kpi == "t4")
    assert row.level is None and row.weighted is None
    assert not result.complete and list(result.pending) == ["t4"]
    assert "defaulted" in result.pending["t4"] and "normal" in result.pending["t4"]
    assert "กรณีที่มีเงินยืมที่ผิดนัดตามสัญญาฯ" in result.pending["t4"]
    # weights 15+15+10+15+10+15+10+10 = 100 (L58-L83); Σค without KPI 4 = 85 × 5 = 425 → 85.00; best (425+75)/5
    assert (result.weighted_sum, result.score100, result.best100) == (Decimal(425), Decimal("85.00"),
                                                                     Decimal("100.00"))
    chosen = total(c, {k.id: 5 for k in c.kpis}, cases={"t4": "normal"})
    assert chosen.complete and chosen.pending == {} and chosen.score100 == Decimal("100.00")
