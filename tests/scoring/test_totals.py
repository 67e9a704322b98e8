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
