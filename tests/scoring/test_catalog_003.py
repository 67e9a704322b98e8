"""Catalogs of seed 003 (Buriram FY2565 round 2): transcription and scoring.

Expected results are the cases of seeds/NOTES-003-004.md §7.2 ("Tests for 003 KPIs") and the
boundaries of each rubric form the document uses.
"""

from __future__ import annotations

import pathlib
import re
from datetime import date
from decimal import Decimal

import pytest

from scoring.errors import EvaluationError
from scoring.evaluate import evaluate
from scoring.lint import check
from scoring.loader import load_catalog
from scoring.numbers import to_thai_digits
from scoring.totals import total

CATALOGS = pathlib.Path(__file__).parents[2] / "data" / "catalogs"
TEAM_FILE = CATALOGS / "003-buriram-2565-r2-team.yaml"
IND_FILE = CATALOGS / "003-buriram-2565-r2-individual.yaml"
SEED = pathlib.Path(__file__).parents[3] / "shared" / "seeds" / "003_70471ac3e5efc3f9.txt"


def team():
    return load_catalog(TEAM_FILE)


def ind():
    return load_catalog(IND_FILE)


def ev(catalog, kpi: str, inputs: dict, **kw):
    return evaluate(catalog.kpi(kpi), inputs, **kw)


def needed(e) -> list[str]:
    return [n.text for n in e.needed]


# -- the catalogs as a whole -------------------------------------------------------------------


def test_headers_period_and_sets():
    t, i = team(), ind()
    for c in (t, i):
        assert (c.document, c.source, c.fiscal_year, c.round) == ("003", "003_70471ac3e5efc3f9.txt", 2565, 2)
        assert (c.period.start, c.period.end) == (date(2022, 4, 1), date(2022, 9, 30))
        assert c.organisation == "สำนักงานพัฒนาชุมชนจังหวัดบุรีรัมย์"
        assert c.between == ("พัฒนาการจังหวัด", "พัฒนาการอำเภอ")
        assert c.stated_total == Decimal(100)
    assert (t.set, i.set) == ("team", "individual")
    assert (t.id, i.id) == ("buriram-2565-r2-team", "buriram-2565-r2-individual")


def test_round_deadlines_from_the_letter():
    for c in (team(), ind()):
        rounds = [(d.date, d.line) for d in c.deadlines if d.kind == "round"]
        assert rounds == [(date(2022, 7, 31), 24), (date(2022, 9, 15), 24), (date(2022, 9, 30), 26)]


def test_kpi_numbers_weights_and_groups():
    t, i = team(), ind()
    assert [(k.number, k.weight, k.source_group) for k in t.kpis] == [
        (1, 15, "กลุ่มงานประสานฯ"), (2, 15, "กลุ่มงานยุทธศาสตร์ฯ"), (3, 10, "กลุ่มงานประสานฯ"),
        (4, 15, "กลุ่มงานสารสนเทศฯ"), (5, 10, "กลุ่มงานส่งเสริมฯ"), (6, 15, "กลุ่มงานสารสนเทศฯ"),
        (7, 10, "กลุ่มงานยุทธศาสตร์ฯ"), (8, 10, "กลุ่มงานส่งเสริมฯ"),
    ]
    assert [(k.number, k.weight) for k in i.kpis] == [
        (4, 5), (5, 5), (6, 15), (7, 15), (8, 5), (9, 5), (10, 5), (11, 5), (12, 15),
    ]
    for c in (t, i):
        for k in c.kpis:
            assert [lv.level for lv in k.rubric.levels] == [1, 2, 3, 4, 5], k.id
            assert k.line and all(lv.line for lv in k.rubric.levels), k.id
            assert k.aliases, k.id


def test_weight_totals_team_100_individual_75_of_stated_100():
    t, i = team(), ind()
    assert sum(k.weight for k in t.kpis) == Decimal(100)
    assert sum(k.weight for k in i.kpis) == Decimal(75)
    full_team = total(t, {k.id: 5 for k in t.kpis})
    assert (full_team.weights_total, full_team.weighted_sum, full_team.score100) == (100, 500, Decimal("100.00"))
    assert full_team.warnings == []
    full_ind = total(i, {k.id: 5 for k in i.kpis})
    assert (full_ind.weights_total, full_ind.weighted_sum, full_ind.score100) == (75, 375, Decimal("75.00"))
    assert full_ind.average5 == Decimal("3.75")
    assert any("75" in w for w in full_ind.warnings)
    note = next(n for n in i.notes if n.line == 111)
    assert "๑-๓" in note.th and "1-3" in note.en


def test_lint_reports_only_what_the_document_causes():
    t_problems = check(team(), str(TEAM_FILE))
    i_problems = check(ind(), str(IND_FILE))
    assert [(p.severity, p.code, p.line) for p in t_problems] == [("warning", "non_monotone", 72)]
    assert "staff = 5" in t_problems[0].en
    assert [(p.severity, p.code) for p in i_problems] == [("warning", "weights")]
    assert "75" in i_problems[0].en and "100" in i_problems[0].en


@pytest.mark.skipif(not SEED.exists(), reason="seed 003 not available")
def test_kpi_lines_point_at_their_rows_in_the_seed():
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for c in (team(), ind()):
        for k in c.kpis:
            head = f"ตัวชี้วัดที่ {to_thai_digits(str(k.number))} "
            assert head in lines[k.line - 1], (c.id, k.id)
            for lv in k.rubric.levels:
                assert head in lines[lv.line - 1] or re.search(r"\(ต่อ\)", lines[lv.line - 1]), (k.id, lv.level)


def test_aliases_find_subjects_staff_type():
    t, i = team(), ind()
    by_alias = {a: k.id for c in (t, i) for k in c.kpis for a in k.aliases}
    assert by_alias["เบิกจ่าย"] == "t1"
    assert by_alias["กข.คจ."] == "t4"
    assert by_alias["ข่าว"] == "t5"
    assert by_alias["หนี้"] == "i4"
    assert by_alias["OTOP"] == "i6"
    assert by_alias["จปฐ."] == "i8"
    assert by_alias["Click ชุมชน"] == "i11"


# -- team KPI 1: at least, L5 exactly 100, evidence required at every level ---------------------


EVIDENCE = {"steps": ["loan_evidence"]}


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        ("95.00", 4),  # NOTES §7.2
        ("100", 5),  # NOTES §7.2
        ("79.99", 0),  # NOTES §7.2
        ("80.00", 1),
        ("80.01", 1),
        ("84.99", 1),
        ("85", 2),
        ("90", 3),
        ("94.99", 3),
        ("99.99", 4),  # L5 is "ได้ร้อยละ ๑๐๐": 99.99 is not 100
        ("79.994", 0),  # rounds half-up to 79.99
        ("79.995", 1),  # rounds half-up to 80.00
        ("๑๐๐", 5),
    ],
)
def test_t1_budget_with_loan_evidence(percent, expected):
    assert ev(team(), "1", {"percent": percent, **EVIDENCE}).level == expected


def test_t1_without_complete_evidence_reaches_no_level():
    e = ev(team(), "1", {"percent": "97"})  # NOTES §7.2: none, on a strict reading
    assert (e.level, e.next_level) == (0, 1)
    assert any("หลักฐานการใช้จ่ายเงินยืม" in t for t in needed(e))


def test_t1_needed_for_level_5():
    e = ev(team(), "1", {"percent": "96.50", **EVIDENCE})
    assert (e.level, e.next_level) == (4, 5)
    assert e.needed[0].amount == Decimal("3.50")


# -- team KPI 2: strictly more than ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "expected"),
    [("75.00", 0), ("75.01", 1), ("80.00", 1), ("80.01", 2), ("90.00", 3), ("95.00", 4), ("95.01", 5),
     ("๙๕.๐๑", 5)],
)
def test_t2_more_than(percent, expected):
    assert ev(team(), "2", {"percent": percent}).level == expected


def test_t2_at_exactly_75_needs_a_hundredth_more():
    e = ev(team(), "2", {"percent": "75.00"})
    assert (e.level, e.next_level) == (0, 1)
    assert e.needed[0].amount == Decimal("0.01")


# -- team KPI 3: milestones, level 5 dated 2 Sep 2565 -------------------------------------------


ALL_T3 = ["activities", "publish", "summary", "report"]


def test_t3_evidence_sent_on_the_day_is_level_5():
    steps = {s: True for s in ALL_T3} | {"send": date(2022, 9, 2)}
    assert ev(team(), "3", {"steps": steps}).level == 5


def test_t3_evidence_sent_late_tops_out_at_level_4():
    steps = {s: True for s in ALL_T3} | {"send": date(2022, 9, 3)}
    e = ev(team(), "3", {"steps": steps})
    assert (e.level, e.next_level) == (4, 5)
    assert needed(e) == ["ยังขาด: ส่งหลักฐานการดำเนินงานให้จังหวัดบุรีรัมย์ (ภายใน 2 ก.ย. 2565)"]


def test_t3_is_cumulative():
    assert ev(team(), "3", {"steps": ["activities", "publish"]}).level == 2
    assert ev(team(), "3", {"steps": ["activities", "summary", "report"]}).level == 1
    kpi = team().kpi("3")
    assert kpi.rubric.steps[-1].due == date(2022, 9, 2)
    assert [(d.date, d.kind) for d in kpi.deadlines] == [(date(2022, 9, 2), "criterion")]


# -- team KPI 4: case split ------------------------------------------------------------------------


def test_t4_needs_the_case():
    e = ev(team(), "4", {"recovered": "22"})
    assert e.level == 0
    assert any("กรณี" in t for t in needed(e))


@pytest.mark.parametrize(
    ("recovered", "steps", "expected"),
    [
        ("9.99", [], 0),  # "ไม่น้อยกว่าร้อยละ ๑๐" (003:L64): 9.99 is less
        ("10", [], 1),
        ("15", [], 2),
        ("22", [], 3),
        ("25", [], 3),  # level 4 also needs the debt report
        ("25", ["debt_report"], 4),
        ("30", ["debt_report"], 4),  # level 5 also needs the Big Data entry
        ("30", ["debt_report", "bigdata"], 5),
    ],
)
def test_t4_defaulted_case(recovered, steps, expected):
    e = ev(team(), "4", {"recovered": recovered, "steps": steps}, case="defaulted")
    assert e.level == expected


def test_t4_normal_case_levels_2_and_3_share_20_percent():
    e = ev(team(), "4", {"funds_percent": "20", "recovered": "20"}, case="normal")
    assert e.level == 3
    assert ev(team(), "4", {"funds_percent": "20", "recovered": "19"}, case="normal").level == 1
    assert ev(team(), "4", {"funds_percent": "19", "recovered": "25"}, case="normal").level == 0


def test_t4_normal_case_level_5_number_is_cut_off():
    steps = ["debt_report", "bigdata", "normal_l5_report"]
    e = ev(team(), "4", {"funds_percent": "30", "recovered": "40", "steps": steps}, case="normal")
    assert (e.level, e.next_level) == (4, 5)
    assert len(e.needed) == 1 and "ตัวเลขขาดหาย" in e.needed[0].text
    e5 = ev(team(), "4", {"funds_percent": "30", "recovered": "40", "steps": steps + ["normal_l5_rate"]},
            case="normal")
    assert e5.level == 5
    kpi = team().kpi("4")
    assert any(n.line == 67 and "ไม่น้อย" in n.th and "no number" in n.en for n in kpi.notes)
    assert not any("30" in c.text for b in kpi.rubric.level(5).branches if b.case == "normal" for c in b.all)


def test_t4_unknown_case_is_refused():
    with pytest.raises(EvaluationError):
        ev(team(), "4", {"recovered": "22"}, case="other")


# -- team KPI 5: news per month by staff tier -----------------------------------------------------


@pytest.mark.parametrize(
    ("staff", "news", "expected"),
    [
        (2, 3, 3),  # NOTES §7.2
        (4, 8, 4),  # NOTES §7.2
        (6, 15, 5),  # NOTES §7.2
        (2, 0, 0),
        (2, 5, 5),
        (3, 1, 0),
        (3, 2, 1),
        (4, 7, 3),
        (4, 10, 5),
        (6, 14, 4),
    ],
)
def test_t5_news_by_staff(staff, news, expected):
    assert ev(team(), "5", {"news": news}, unit_attributes={"staff": staff}).level == expected


def news_needed(staff: int) -> list[int]:
    """Per level, the fewest news a month that meet that level for this staff count (engine-derived)."""
    kpi = team().kpi("5")
    out = []
    for lv in range(1, 6):
        out.append(next(n for n in range(0, 30)
                        if evaluate(kpi, {"news": n}, unit_attributes={"staff": staff}).levels[lv - 1].met))
    return out


def test_t5_tier_tables_as_printed():
    assert news_needed(2) == [1, 2, 3, 4, 5]
    assert news_needed(4) == [2, 4, 6, 8, 10]
    assert news_needed(6) == [3, 6, 9, 12, 15]


def test_t5_five_staff_conflict():
    # NOTES §7.2: 5 staff, 10 news meets the L5 rule (≤5 staff → 10) but fails L4 (>4 staff → 12).
    thresholds = news_needed(5)
    assert thresholds == [3, 6, 9, 12, 10]
    assert thresholds[3] > thresholds[4]  # non-monotone
    e = ev(team(), "5", {"news": 10}, unit_attributes={"staff": 5})
    assert [r.met for r in e.levels] == [True, True, True, False, True]
    assert (e.level, e.next_level) == (5, None)  # the engine gives the highest level met
    assert any(n.line == 72 and "non-monotone" in n.en for n in team().kpi("5").notes)


def test_t5_needed_text_and_missing_staff():
    e = ev(team(), "5", {"news": 3}, unit_attributes={"staff": 2})
    assert needed(e) == ["รายงานข่าวเพิ่มอีก 1 ข่าวในเดือนนี้"]
    e = ev(team(), "5", {"news": 3})
    assert e.level == 0 and e.needed[0].kind == "unit"


# -- team KPI 6: dated milestones, missing L5 heading -----------------------------------------------


T6_STEPS = {
    "mechanism": True, "pr": True, "roadmap": True, "database": True,
    "tpmp_teams": True, "logbook_problems": date(2022, 4, 15), "logbook_summary": date(2022, 4, 20),
    "classify": True, "solutions": date(2022, 4, 25), "sjpa_meeting": True,
    "agency_plans": True, "intensive_care": True, "logbook_evidence": True,
    "followup_twice": True, "progress_monthly": True, "all_solved": date(2022, 9, 30),
    "logbook_results": date(2022, 9, 30), "report_monthly": True,
}
T6_NUMBERS = {"tpmp_percent": "85", "menu_percent": "80", "nonmenu_units": 20}


def test_t6_everything_on_time_is_level_5():
    assert ev(team(), "6", {**T6_NUMBERS, "steps": T6_STEPS}).level == 5


def test_t6_late_logbook_entry_stops_at_level_1():
    steps = T6_STEPS | {"logbook_problems": date(2022, 4, 16)}
    e = ev(team(), "6", {**T6_NUMBERS, "steps": steps})
    assert (e.level, e.next_level) == (1, 2)
    assert any("15 เม.ย. 2565" in t for t in needed(e))


@pytest.mark.parametrize(("tpmp", "expected"), [("84.99", 2), ("84.995", 5), ("85", 5)])
def test_t6_tpmp_85_percent_holds_from_level_3(tpmp, expected):
    assert ev(team(), "6", {**T6_NUMBERS, "tpmp_percent": tpmp, "steps": T6_STEPS}).level == expected


def test_t6_non_menu_units_and_notes():
    assert ev(team(), "6", {**T6_NUMBERS, "nonmenu_units": 19, "steps": T6_STEPS}).level == 3
    kpi = team().kpi("6")
    assert kpi.rubric.level(5).line == 77
    assert any(n.line == 77 and "ระดับ ๕" in n.th for n in kpi.notes)
    assert any(n.line == 73 and "ภายในวันที่ ๓๐" in n.th for n in kpi.notes)
    sjpa = next(s for s in kpi.rubric.steps if s.id == "sjpa_meeting")
    assert sjpa.due is None


# -- team KPI 7: percent of reports submitted -----------------------------------------------------


def test_t7_13_of_20_is_65_percent_level_4():
    e = ev(team(), "7", {"submitted": 13, "notified": 20})  # NOTES §7.2
    assert e.values["percent"] == Decimal(65)
    assert e.level == 4


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"submitted": 9, "notified": 14}, 3),  # 64.29 % is not yet "ร้อยละ ๖๕" (003:L78)
        ({"submitted": 10, "notified": 20}, 1),
        ({"submitted": 14, "notified": 20}, 5),
        ({"submitted": 13, "notified": 20}, 4),  # exactly 65 %
        ({"percent": "64.99"}, 3),
        ({"percent": "65.00"}, 4),
        ({"percent": "49.99"}, 0),
        ({"percent": "50"}, 1),
    ],
)
def test_t7_boundaries(inputs, expected):
    assert ev(team(), "7", inputs).level == expected


# -- team KPI 8: milestones plus household percent ------------------------------------------------


T8_STEPS = {
    "staff_plant": True, "checklist": True, "leaders_report": date(2022, 4, 30), "village_teams": True,
    "support": True, "coaching": True, "role_models": True, "visits": True, "network": date(2022, 9, 30),
}


@pytest.mark.parametrize(
    ("planting", "expected"), [(699, 2), (700, 3), (701, 3), (799, 3), (800, 4), (899, 4), (900, 5)]
)
def test_t8_households_planting(planting, expected):
    # 003:L82 "ร้อยละ ๗๐/๘๐/๙๐ ของครัวเรือนทั้งหมด": 69.9 % of 1,000 households is not yet 70 %
    e = ev(team(), "8", {"planting": planting, "households": 1000, "steps": T8_STEPS})
    assert e.level == expected


def test_t8_late_leaders_report_stops_at_level_1():
    steps = T8_STEPS | {"leaders_report": date(2022, 5, 1)}
    assert ev(team(), "8", {"households_percent": "95", "steps": steps}).level == 1


# -- individual KPI 4: reduction from the 1 Oct 2564 snapshot ------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("780,000", 3),  # NOTES §7.2: 22 % cut
        ("800,000", 3),  # exactly 20 %
        ("800,050", 3),  # 19.995 % is printed 20.00
        ("800,051", 2),  # 19.9949 % is printed 19.99: not "ร้อยละ ๒๐" (003:L87)
        ("805,000", 2),  # 19.5 %
        ("900,000", 1),
        ("900,001", 1),  # 9.9999 % is printed 10.00
        ("900,100", 0),  # 9.99 %
        ("700,000", 5),
        ("1,100,000", 0),  # debt went up
    ],
)
def test_i4_reduction_from_snapshot(now, expected):
    e = ev(ind(), "4", {"overdue_base": "1,000,000", "overdue_now": now})
    assert e.level == expected


def test_i4_derived_percent_and_snapshot():
    e = ev(ind(), "4", {"overdue_base": "1,000,000", "overdue_now": "780,000"})
    assert e.values["reduction"] == Decimal(22)
    assert (e.level, e.next_level) == (3, 4)
    assert e.needed[0].amount == Decimal(3)
    assert ev(ind(), "4", {"reduction": "22"}).level == 3
    kpi = ind().kpi("4")
    assert [(d.date, d.kind) for d in kpi.deadlines] == [(date(2021, 10, 1), "snapshot")]
    with pytest.raises(EvaluationError):
        ev(ind(), "4", {"overdue_base": "0", "overdue_now": "0"})


# -- individual KPI 5: each level a different measure, read cumulatively ---------------------------


def test_i5_levels():
    c = ind()
    assert ev(c, "5", {"people_percent": 74}).level == 0
    assert ev(c, "5", {"people_percent": 80}).level == 1
    assert ev(c, "5", {"people_percent": 90, "registered_percent": 100}).level == 3
    assert ev(c, "5", {"people_percent": 70, "registered_percent": 100, "funded_percent": 100}).level == 0
    full = {"people_percent": 90, "registered_percent": 100, "funded_percent": 100, "reports_percent": 100}
    assert ev(c, "5", full).level == 5
    assert ev(c, "5", full | {"reports_percent": 50}).level == 4


# -- individual KPI 6: OTOP compound, levels 2-4 missing --------------------------------------------


OTOP_L1 = {"channels": 1, "new_sellers": 1, "promotions": 4, "online_sales": 11, "textile_growth": 4,
           "otop_growth": 4}
OTOP_L5 = {"channels": 1, "new_sellers": 5, "promotions": 16, "online_sales": 15, "textile_growth": 10,
           "otop_growth": 6}


def test_i6_levels_2_to_4_are_blank_with_notes():
    kpi = ind().kpi("6")
    assert [lv.blank for lv in kpi.rubric.levels] == [False, True, True, True, False]
    assert any(n.line == 89 and "๒-๔" in n.th for n in kpi.notes)


def test_i6_compound_levels():
    c = ind()
    e = ev(c, "6", OTOP_L1)
    assert (e.level, e.next_level) == (1, 5)
    assert ev(c, "6", OTOP_L5).level == 5
    assert ev(c, "6", OTOP_L1 | {"otop_growth": 3}).level == 0
    assert ev(c, "6", OTOP_L5 | {"promotions": 15}).level == 1
    e = ev(c, "6", OTOP_L5 | {"promotions": 15, "online_sales": "14.4"})
    assert sorted(n.input for n in e.needed) == ["online_sales", "promotions"]


# -- individual KPI 7: pure milestones ------------------------------------------------------------


def test_i7_milestones():
    c = ind()
    assert ev(c, "7", {"steps": ["working_group", "data_current", "use_project"]}).level == 3
    assert ev(c, "7", {"steps": ["working_group", "use_project", "publicise", "report"]}).level == 1
    done = ["working_group", "data_current", "use_project", "publicise", "report"]
    assert ev(c, "7", {"steps": done}).level == 5


# -- individual KPI 8: จปฐ. collection and budget ----------------------------------------------------


I8_STEPS = ["mechanism", "target_db", "pr", "register", "communicate"]


@pytest.mark.parametrize(
    ("collected", "budget", "certified", "expected"),
    [
        ("96", "97.99", None, 2),  # NOTES §7.2: budget below ๙๘.๐๐
        ("96", "98.00", None, 3),
        ("96", "97.995", None, 3),  # rounds half-up to 98.00
        ("94.99", "99", None, 2),
        ("95.00", "99", None, 3),
        ("100", "99", date(2022, 9, 10), 4),
        ("100", "99", date(2022, 9, 11), 3),  # certified after 10 Sep 2565
        ("100", "99.99", date(2022, 9, 10), 4),
        ("100", "100", date(2022, 9, 10), 5),
    ],
)
def test_i8_collection_budget_and_certification(collected, budget, certified, expected):
    steps = {s: True for s in I8_STEPS}
    if certified:
        steps["certify"] = certified
    e = ev(ind(), "8", {"collected": collected, "budget": budget, "steps": steps})
    assert e.level == expected


def test_i8_needed_for_level_3():
    e = ev(ind(), "8", {"collected": "96", "budget": "97.99", "steps": I8_STEPS})
    assert (e.level, e.next_level) == (2, 3)
    assert [(n.input, n.amount) for n in e.needed] == [("budget", Decimal("0.01"))]


# -- individual KPI 9: Khok-Nong-Na -------------------------------------------------------------------


I9_STEPS = ["complaints_80", "household_db", "complaints_all", "analysis", "monthly_report",
            "data_presentation", "analysis_evidence"]


@pytest.mark.parametrize(
    ("channels", "days", "expected"), [(3, 3, 5), (3, 2, 3), (2, 3, 3), (1, 2, 2), (1, 1, 1)]
)
def test_i9_pr_channels_and_days(channels, days, expected):
    e = ev(ind(), "9", {"pr_channels": channels, "pr_days": days, "steps": I9_STEPS})
    assert e.level == expected


# -- individual KPI 10: grassroots economy ------------------------------------------------------------


def test_i10_plans_carried_out():
    c = ind()
    steps = ["mechanism", "plan", "business_plan", "financial_statements", "report_district", "summary_province"]
    assert ev(c, "10", {"khsp_percent": 30, "company_percent": 30, "steps": steps}).level == 5
    assert ev(c, "10", {"khsp_percent": 30, "company_percent": 29, "steps": steps}).level == 3
    assert ev(c, "10", {"khsp_percent": 19, "company_percent": 30, "steps": steps}).level == 1


# -- individual KPI 11: Click ชุมชน 3 % = 10,033 uses ----------------------------------------------


I11_BASE = {"pr_channels": 2, "pr_monthly": 1, "activities": 2, "activity_monthly": 1}
I11_STEPS = ["mechanism", "communicate", "data_fixed", "support_process"]


@pytest.mark.parametrize(("uses", "expected"), [("10,032", 3), ("10,033", 4), ("๑๐,๐๓๓", 4), ("12,000", 4)])
def test_i11_click_chumchon_uses(uses, expected):
    e = ev(ind(), "11", {**I11_BASE, "uses": uses, "steps": I11_STEPS})
    assert e.level == expected


def test_i11_level_5_and_needed():
    c = ind()
    steps = I11_STEPS + ["monthly_summary", "monthly_report"]
    assert ev(c, "11", {**I11_BASE, "uses": 10033, "steps": steps}).level == 5
    e = ev(c, "11", {**I11_BASE, "uses": 10000, "steps": steps})
    assert (e.level, e.next_level) == (3, 4)
    assert [(n.input, n.amount) for n in e.needed] == [("uses", Decimal(33))]
    kpi = c.kpi("11")
    assert "๑๐,๐๓๓" in kpi.rubric.level(4).text and "ร้อยละ ๓" in kpi.rubric.level(4).text


# -- individual KPI 12: savings groups ------------------------------------------------------------------


def test_i12_savings_groups():
    c = ind()
    steps = ["targets", "action_plan", "progress_evidence", "report_db", "km"]
    assert ev(c, "12", {"groups": 1, "steps": steps}).level == 5
    assert ev(c, "12", {"groups": 0, "steps": steps}).level == 3
    assert ev(c, "12", {"groups": 2, "steps": ["targets", "action_plan"]}).level == 2
