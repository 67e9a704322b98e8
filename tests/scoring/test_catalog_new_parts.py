"""Issue 11: what the documents hold that no catalog held before.

- 002: the agreement between the provincial chief and the group directors (002:L117, L123, L264-268).
- 004: the unit level (§6.4, 004:L483-498) and the individual level (§5.3, the mandatory KPI at L230).
- 004: the target-tier model (004:L137-142) offered beside the levels model (scoring/tiers.py).
- 004: a KPI whose Performance/Potential group differs by division (ITA L322, PMQA L451).
- `include:` in a catalog, which the new catalogs use to keep one copy of each detail sheet.

Every expected figure is worked by hand from the document's words, quoted with its line.
"""

from __future__ import annotations

import pathlib
import textwrap
from decimal import Decimal

import pytest

from scoring.errors import CatalogError, EvaluationError
from scoring.evaluate import evaluate
from scoring.lint import check
from scoring.loader import load_catalog, parse_catalog
from scoring.tiers import BELOW, tier_total
from scoring.totals import total

CATALOGS = pathlib.Path(__file__).parents[2] / "data" / "catalogs"


def cat(stem: str):
    return load_catalog(CATALOGS / f"{stem}.yaml")


GROUP_TEAM = cat("002-yala-2568-r2-group-team")
GROUP_IND = cat("002-yala-2568-r2-group-individual")
DISTRICT_TEAM = cat("002-yala-2568-r2-district-team")
PROVINCE_IND = cat("002-yala-2568-r2-province-individual")
R1, R2 = cat("004-dsdw-2566-r1-department"), cat("004-dsdw-2566-r2-department")
U1, U2 = cat("004-dsdw-2566-r1-unit"), cat("004-dsdw-2566-r2-unit")
P1, P2 = cat("004-dsdw-2566-r1-individual"), cat("004-dsdw-2566-r2-individual")


def level(catalog, ref, inputs, **kw):
    return evaluate(catalog.kpi(ref), inputs, **kw).level


def shape(kpi):
    """What a reader of the sheet compares: each level's text, conditions, steps; bands of a two-stage KPI."""
    r = kpi.rubric
    levels = [(lv.level, lv.text, [c.text for c in lv.conditions], lv.steps, lv.blank) for lv in r.levels]
    parts = [(p.id, [(b.when.text, b.score) for b in p.bands]) for p in r.parts]
    return levels, parts, [s.th for s in r.steps], r.reviewer, kpi.inputs, kpi.name


# ------------------------------------------------------------------------------ 002 group directors
def test_group_agreements_are_between_the_provincial_chief_and_the_group_directors():
    # 002:L117 / L123 "ระหว่าง พัฒนาการจังหวัด กับ ผู้อำนวยการกลุ่มงาน"; L268 the same for the individual sheets
    for catalog, kind in ((GROUP_TEAM, "team"), (GROUP_IND, "individual")):
        assert catalog.between == ("พัฒนาการจังหวัด", "ผู้อำนวยการกลุ่มงาน")
        assert (catalog.set, catalog.fiscal_year, catalog.round) == (kind, 2568, 2)
        assert (catalog.period.start.isoformat(), catalog.period.end.isoformat()) == ("2025-04-01", "2025-09-30")
    assert GROUP_TEAM.id != DISTRICT_TEAM.id


def test_group_team_has_the_three_team_sheets_with_their_printed_weights():
    # 002:L133 "น้ำหนัก : ร้อยละ ๕๐", L174 "ร้อยละ ๔๐", L214 "น้ำหนัก : ๑๕"; no summary table for this agreement
    assert [(k.number, k.weight) for k in GROUP_TEAM.kpis] == [(1, 50), (2, 40), (3, 15)]
    assert [k.line for k in GROUP_TEAM.kpis] == [129, 172, 210]
    assert GROUP_TEAM.stated_total is None  # the document states no total for it
    assert total(GROUP_TEAM, {}).weights_total == 105  # 50 + 40 + 15, flagged, never corrected
    assert any(p.code == "weights" and "105" in p.en for p in check(GROUP_TEAM, "x"))


def test_group_team_debt_sheet_scores_as_printed():
    # 002:L233-235: 489,204.87 x 100 / 33,109,323.18 = 1.48 -> "ต่ำกว่าร้อยละ ๕" level 5 (L250)
    assert level(GROUP_TEAM, "3", {"overdue": "489,204.87", "total": "33,109,323.18"}) == 5
    # L246 "มากกว่าร้อยละ ๒๐" and L247 "ต่ำกว่าร้อยละ ๒๐": exactly 20 is in no level
    assert level(GROUP_TEAM, "3", {"percent": "20"}) == 0
    assert level(GROUP_TEAM, "3", {"percent": "20.01"}) == 1
    # the weight note of the district agreement (summary 10) is not carried over
    assert all("10 is used" not in n.en for n in GROUP_TEAM.kpi("t3").notes)


def test_group_team_sheets_are_the_district_sheets():
    for kpi_id in ("t1", "t2", "t3"):
        mine, theirs = GROUP_TEAM.kpi(kpi_id), DISTRICT_TEAM.kpi(kpi_id)
        assert shape(mine) == shape(theirs)


def test_group_individual_has_sheets_1_to_6_with_their_printed_weights():
    # 002:L274 ๒๐, L319 ๒๐, L359 ๑๕, L395 ๑๕, L450 ๑๕, L491 ๑๕ -> 100
    assert [(k.number, k.weight) for k in GROUP_IND.kpis] == [(1, 20), (2, 20), (3, 15), (4, 15), (5, 15), (6, 15)]
    assert total(GROUP_IND, {}).weights_total == 100
    # the optional KPIs 7-9 belong to the province-district agreement (L59-61)
    assert GROUP_IND.optional_groups == () and GROUP_IND.kpi("7") is None


def test_group_individual_reads_the_province_wide_figures():
    # KPI 4, total row of the district table (002:L442): 278 / 281 / 285 / 287 / 291 households must pass
    assert level(GROUP_IND, "4", {"passed": 277}) == 0
    assert level(GROUP_IND, "4", {"passed": 278}) == 1
    assert level(GROUP_IND, "4", {"passed": 291}) == 5
    # KPI 3, 4 centres of 30 people = 120 (002:L360, L364); 84 / 120 = 70 % is "ระหว่างร้อยละ ๗๐ – ๗๙" (L372)
    assert level(GROUP_IND, "3", {"households": 84}) == 2
    assert level(GROUP_IND, "3", {"households": 120}) == 5  # "ร้อยละ ๑๐๐" (L375)
    # KPI 6: levels follow each person's project, set by a reviewer (L508-512, evidence L515)
    assert GROUP_IND.kpi("6").rubric.reviewer and level(GROUP_IND, "6", {"level": 3}) == 3
    # KPI 5: "มากกว่าร้อยละ ๗๕" is level 5 (L475)
    assert level(GROUP_IND, "5", {"percent": "76"}) == 5


# ------------------------------------------------------------------------------ 004 unit level §6.4
UNIT_ROWS = [  # (§6.4 number, department sheet, group by the ● column), 004:L487-494
    (1, "d3u", "performance"), (2, "d4", "performance"), (3, "d7", "performance"), (4, "d8", "performance"),
    (5, "d9", "potential"), (6, "d10", "potential"), (7, "d12", "potential"), (8, "d13", "potential"),
]


@pytest.mark.parametrize("unit_cat, dept, rnd", [(U1, R1, 1), (U2, R2, 2)], ids=["r1", "r2"])
def test_unit_framework_lists_eight_kpis_in_order_without_weights(unit_cat, dept, rnd):
    assert (unit_cat.set, unit_cat.round) == ("unit", rnd)
    assert [(k.number, k.id, k.group) for k in unit_cat.kpis] == UNIT_ROWS
    assert all(k.weight is None and not k.weights for k in unit_cat.kpis)  # §6.4 prints no weights
    # "Performance Base ร้อยละ 70 ... Potential Base ร้อยละ 30" for divisions, units and individuals (L30)
    assert {g.id: g.weight for g in unit_cat.groups} == {"performance": 70, "potential": 30}
    for kpi in unit_cat.kpis:  # the levels are the department sheet of the same round
        assert shape(kpi)[:4] == shape(dept.kpi(kpi.id))[:4]


def test_unit_framework_names_and_responsible_units():
    assert U2.kpi("6").name == "ร้อยละของการเบิกจ่ายงบประมาณรายจ่าย"  # L492, without "ภาพรวม"
    assert U2.kpi("2").source_group == "นิคมสร้างตนเอง"  # L488
    assert "ใช้คะแนนของหน่วยงาน" in U2.kpi("7").source_group  # energy: the unit's own score (L496)
    assert "ใช้คะแนนรวมของกรม" in U2.kpi("8").source_group  # waste: the department total (L498)
    assert any(n.line == 493 and "รายกร" in n.th for n in U2.notes)  # misprint kept and recorded


def test_unit_kpis_score_with_the_department_sheets():
    # d3u unit sheet, Kanchanaburi row (004:L949): 50 % target 14,637 households
    assert level(U2, "1", {"helped": 14637}, unit="กาญจนบุรี") == 5
    assert level(U2, "1", {"helped": 14636}, unit="กาญจนบุรี") == 4
    # disbursement bands (004:L1351): "ร้อยละ 47.50 – 49.49" is level 2
    assert level(U1, "6", {"percent": "47.50"}) == 2
    assert level(U1, "6", {"percent": "53.50"}) == 5


# ------------------------------------------------------------------------------ 004 individual level §5.3
@pytest.mark.parametrize("catalog, rnd, start, end", [(P1, 1, "2022-10-01", "2023-03-31"),
                                                      (P2, 2, "2023-04-01", "2023-09-30")], ids=["r1", "r2"])
def test_individual_level_holds_the_mandatory_self_development_kpi(catalog, rnd, start, end):
    # L247: ปผ.2 rounds "ครั้งที่ 1 วันที่ 1 ตุลาคม ถึงวันที่ 31 มีนาคม และครั้งที่ 2 วันที่ 1 เมษายน ถึงวันที่ 30 กันยายน"
    assert (catalog.set, catalog.round) == ("individual", rnd)
    assert (catalog.period.start.isoformat(), catalog.period.end.isoformat()) == (start, end)
    (kpi,) = catalog.kpis
    # L228 "เป็นตัวชี้วัดบังคับ", L230 the KPI as printed
    assert kpi.name == "พัฒนาตนเองให้มีสมรรถนะที่สอดคล้องกับภารกิจและยุทธศาสตร์การพัฒนา"
    assert kpi.line == 230 and kpi.weight is None
    # no levels in the document: the supervisor reviews what the person sets (L266)
    assert kpi.rubric.reviewer and level(catalog, "p", {"level": 4}) == 4


# ------------------------------------------------------------------------------ 004 target tiers L137-142
DEPT = ["d1", "d2", "d3", "d4", "d5", "d6"]  # §6.2 (004:L280-286) weights 15 / 20 / 15 / 20 / 15 / 15


@pytest.mark.parametrize("catalog", [R1, R2], ids=["r1", "r2"])
def test_the_department_catalogs_offer_the_tiers_beside_their_levels(catalog):
    # L137 "เป้าหมายขั้นต้น (ร้อยละ 50) เป้าหมายขั้นมาตรฐาน (ร้อยละ 75) และเป้าหมายขั้นสูง (ร้อยละ 100)"
    tiers = catalog.target_tiers
    assert catalog.scoring == "levels"
    assert [(t.th, t.credit) for t in tiers.tiers] == [
        ("ค่าเป้าหมายขั้นต้น", 50), ("ค่าเป้าหมายมาตรฐาน", 75), ("ค่าเป้าหมายขั้นสูง", 100)]
    assert tiers.below == 0 and tiers.line == 137  # "ไม่ผ่านค่าเป้าหมายขั้นต้น ... คิดค่าคะแนนเป็น 0"


def test_every_kpi_at_the_high_tier_scores_100_and_below_base_scores_0():
    top = tier_total(R2, dict.fromkeys(DEPT, "high"))
    assert (top.weights_total, top.score100, top.band) == (100, Decimal("100.00"), "ระดับคุณภาพ")
    none = tier_total(R2, dict.fromkeys(DEPT, BELOW))
    assert (none.score100, none.band) == (Decimal("0.00"), "ระดับต้องปรับปรุง")


def test_mixed_tiers_by_hand():
    # high, standard, base, below, high, standard:
    # 15x100% + 20x75% + 15x50% + 20x0 + 15x100% + 15x75% = 15 + 15 + 7.5 + 0 + 15 + 11.25 = 63.75
    reached = dict(zip(DEPT, ["high", "standard", "base", BELOW, "high", "standard"], strict=True))
    result = tier_total(R2, reached)
    assert [r.earned for r in result.rows] == [15, 15, Decimal("7.5"), 0, 15, Decimal("11.25")]
    assert result.score100 == Decimal("63.75")
    assert result.band == "ระดับมาตรฐานขั้นต้น"  # "60 – 74.99 คะแนน" (L150)
    assert result.band_basis == "score" and result.complete
    # Performance: d1-d4 = 15 + 15 + 7.5 + 0 = 37.5 of 70; Potential: d5-d6 = 26.25 of 30 (L280-286)
    assert [(g.id, g.weight, g.earned) for g in result.groups] == [
        ("performance", 70, Decimal("37.5")), ("potential", 30, Decimal("26.25"))]


def test_tiers_by_their_thai_names_and_the_edge_of_a_band():
    # standard everywhere: 75 % of 100 = 75.00, the lower edge of "75 – 89.99" (L149)
    result = tier_total(R1, dict.fromkeys(DEPT, "ค่าเป้าหมายมาตรฐาน"))
    assert (result.score100, result.band) == (Decimal("75.00"), "ระดับมาตรฐานขั้นสูง")
    with pytest.raises(EvaluationError):
        tier_total(R1, {"d1": "ขั้นสูงมาก"})


def test_unreported_kpis_give_the_best_and_worst_still_possible():
    # d1-d5 high (85 of weight), d6 (15) not reported: so far 85, best 100, worst 85
    result = tier_total(R2, dict.fromkeys(DEPT[:5], "high"))
    assert (result.complete, result.missing) == (False, ["d6"])
    assert (result.score100, result.best100, result.worst100) == (Decimal("85.00"), Decimal("100.00"),
                                                                 Decimal("85.00"))


def test_division_tables_keep_their_own_components_in_the_tier_model():
    # division 1 (L321-328): function KPIs 55 + ITA 15 in Performance; PMQA/satisfaction/budget/energy/waste 6 each
    div1 = tier_total(R2, {"f": "high", "d11": "high"}, variant="div1")
    assert [(g.id, g.weight, g.earned) for g in div1.groups] == [("performance", 70, 70), ("potential", 30, 0)]
    assert (div1.score100, div1.complete) == (Decimal("70.00"), False)
    # division 8 (L449-456): function KPIs 55 + PMQA 4.0 15 in Performance
    div8 = tier_total(R2, {"d6": "base"}, variant="div8")
    perf = next(g for g in div8.groups if g.id == "performance")
    assert (perf.weight, perf.earned) == (70, Decimal("7.5"))  # 15 x 50 %


def test_a_catalog_without_tiers_has_no_tier_total():
    with pytest.raises(EvaluationError):
        tier_total(GROUP_TEAM, {"t1": "high"})


def test_weights_not_100_are_banded_against_the_weights_present():
    catalog = parse_catalog(textwrap.dedent("""\
        id: tiers-90
        document: test
        source: synthetic
        title: น้ำหนักรวม 90
        fiscal_year: 2566
        set: department
        target_tiers:
          tiers:
          - {id: base, th: ค่าเป้าหมายขั้นต้น, credit: 50}
          - {id: high, th: ค่าเป้าหมายขั้นสูง, credit: 100}
        kpis:
        - {id: a, name: a, weight: 60, rubric: {reviewer: true}}
        - {id: b, name: b, weight: 30, rubric: {reviewer: true}}
        """), "t.yaml")
    result = tier_total(catalog, {"a": "high", "b": "base"})
    # 60 + 15 = 75 earned of 90 weight: 75 x 100 / 90 = 83.33 against the weights present
    assert (result.score100, result.normalised100) == (Decimal("75.00"), Decimal("83.33"))
    assert (result.band_basis, result.band) == ("normalised", "ระดับมาตรฐานขั้นสูง") and result.warnings


def test_tier_credits_must_rise():
    with pytest.raises(CatalogError):
        parse_catalog(textwrap.dedent("""\
            id: bad-tiers
            document: test
            source: synthetic
            title: ผิด
            fiscal_year: 2566
            set: department
            target_tiers: {tiers: [{id: high, th: ขั้นสูง, credit: 100}, {id: base, th: ขั้นต้น, credit: 50}]}
            kpis: [{id: a, name: a, weight: 100, rubric: {reviewer: true}}]
            """), "t.yaml")


# ------------------------------------------------------------------------------ group per division
def test_ita_and_pmqa_change_component_by_division_in_level_totals():
    # ITA is Potential at department level (L305) but Performance in division 1 (L322)
    assert R2.kpi("d11").group == "potential" and R2.kpi("d11").variant_groups == {"div1": "performance"}
    # PMQA 4.0 is Potential (L298) but Performance in division 8 (L451)
    assert R2.kpi("d6").variant_groups == {"div8": "performance"}
    levels = dict.fromkeys(["f", "d6", "d9", "d10", "d11", "d12", "d13"], 5)
    for division, moved in (("div1", "d11"), ("div8", "d6")):
        result = total(R2, levels, variant=division)
        groups = {g.id: g.weight for g in result.groups}
        assert groups == {"performance": 70, "potential": 30}, division
        assert next(r for r in result.rows if r.kpi == moved).group == "performance"


def test_a_group_for_an_unknown_weight_table_is_an_error():
    catalog = parse_catalog(textwrap.dedent("""\
        id: vg
        document: test
        source: synthetic
        title: กลุ่มต่อกอง
        fiscal_year: 2566
        set: department
        groups: [{id: performance, name: P}, {id: potential, name: Q}]
        variants: {div1: กอง 1}
        kpis:
        - {id: a, name: a, weights: {div1: 100}, group: potential, variant_groups: {div9: performance},
           rubric: {reviewer: true}}
        """), "t.yaml")
    assert any(p.severity == "error" and p.code == "unknown_variant" for p in check(catalog, "t.yaml"))


# ------------------------------------------------------------------------------ include:
SOURCE = """\
id: src
document: test
source: synthetic
title: แหล่ง
fiscal_year: 2568
set: team
kpis:
- id: k1
  number: 1
  name: ร้อยละของการใช้จ่ายเงินงบประมาณ
  weight: 50
  inputs: [{id: percent, name: ร้อยละ, unit: ร้อยละ}]
  rubric:
    levels:
    - {level: 1, when: percent >= 80}
  notes: [{line: 81, th: หมายเหตุเดิม, en: the sheet's note}]
- id: k2
  name: สอง
  include: {file: other.yaml, kpi: x}
"""

HEAD = """\
id: inc
document: test
source: synthetic
title: รวม
fiscal_year: 2568
set: team
kpis:
"""


def _including(tmp_path, kpis: str):
    (tmp_path / "src.yaml").write_text(SOURCE, encoding="utf-8")
    path = tmp_path / "inc.yaml"
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(kpis), "  "), encoding="utf-8")
    return path


def test_include_takes_the_sheet_and_local_keys_replace_its_keys(tmp_path):
    catalog = load_catalog(_including(tmp_path, """\
        - include: {file: src.yaml, kpi: k1}
          weight: 40
        - include: {file: src.yaml, kpi: k1}
          id: k1b
          notes: []
        """))
    a, b = catalog.kpis
    assert (a.id, a.weight, a.name, a.rubric.levels[0].when.text) == ("k1", 40, "ร้อยละของการใช้จ่ายเงินงบประมาณ",
                                                                      "percent >= 80")
    assert [n.line for n in a.notes] == [81] and b.notes == () and b.id == "k1b"


@pytest.mark.parametrize("kpis, words", [
    ("- include: {file: src.yaml, kpi: nope}\n", "no KPI 'nope'"),
    ("- include: {file: missing.yaml, kpi: k1}\n", "cannot open"),
    ("- include: {file: src.yaml, kpi: k2}\n", "no chains"),
    ("- include: src.yaml\n", "include must be"),
])
def test_include_problems_name_the_line(tmp_path, kpis, words):
    path = _including(tmp_path, "- {id: first, name: ก, weight: 50, rubric: {reviewer: true}}\n" + kpis)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    (problem,) = [p for p in info.value.problems if p.code == "include"]
    assert words in problem.en and problem.line == 9 and problem.file == str(path)
