"""Catalogs of seeds 000 (FY2567 round 1) and 001 (Chonburi FY2567 round 2): transcription and scoring."""

from __future__ import annotations

import pathlib
import re
from datetime import date
from decimal import Decimal

import pytest

from scoring.errors import EvaluationError
from scoring.evaluate import evaluate
from scoring.loader import load_catalog
from scoring.totals import applicable_kpis, total

CATALOGS = pathlib.Path(__file__).parents[2] / "data" / "catalogs"
SEEDS = pathlib.Path(__file__).parents[3] / "shared" / "seeds"
SEED_FILES = {"000": "000_104a10f06d2f6e74.txt", "001": "001_9271f8900e240559.txt"}

FILES = {
    "000-team": "000-cdd-2567-r1-team.yaml",
    "000-ind": "000-cdd-2567-r1-individual.yaml",
    "001-team": "001-chonburi-2567-r2-team.yaml",
    "001-ind": "001-chonburi-2567-r2-individual.yaml",
}


def cat(key: str):
    return load_catalog(CATALOGS / FILES[key])


def level(key: str, kpi: str, inputs: dict, **kw) -> int:
    return evaluate(cat(key).kpi(kpi), inputs, **kw).level


# -- the catalogs as a whole -------------------------------------------------------------------


def test_catalog_headers():
    t0, i0, t1, i1 = cat("000-team"), cat("000-ind"), cat("001-team"), cat("001-ind")
    for c in (t0, i0):
        assert (c.document, c.fiscal_year, c.round) == ("000", 2567, 1)
        assert (c.period.start, c.period.end) == (date(2023, 10, 1), date(2024, 3, 31))
    for c in (t1, i1):
        assert (c.document, c.fiscal_year, c.round) == ("001", 2567, 2)
        assert (c.period.start, c.period.end) == (date(2024, 4, 1), date(2024, 9, 30))
        assert c.organisation == "สำนักงานพัฒนาชุมชนจังหวัดชลบุรี"
    assert [c.set for c in (t0, i0, t1, i1)] == ["team", "individual", "team", "individual"]
    ids = {c.id for c in (t0, i0, t1, i1)}
    assert len(ids) == 4


def test_kpi_counts_and_weights():
    assert [(k.id, k.weight) for k in cat("000-team").kpis] == [
        ("t1", Decimal(40)), ("t2", Decimal(40)), ("t3", Decimal(20))]
    assert [k.weight for k in cat("000-ind").kpis] == [Decimal(w) for w in (20, 20, 15, 10, 10, 15, 10)]
    assert [k.weight for k in cat("001-team").kpis] == [Decimal(w) for w in (40, 40, 20)]
    i1 = cat("001-ind")
    assert [(k.id, k.number, k.weight) for k in i1.kpis] == [
        ("i1", 1, Decimal(10)), ("i1k", 1, Decimal(10)), ("i2", 2, Decimal(20)), ("i3", 3, Decimal(20)),
        ("i4", 4, Decimal(10)), ("i5", 5, Decimal(10)), ("i6", 6, Decimal(10)), ("i7", 7, Decimal(10))]
    for key in FILES:
        for k in cat(key).kpis:
            assert sorted(lv.level for lv in k.rubric.levels) == [1, 2, 3, 4, 5], (key, k.id)
            assert k.source_group and k.aliases


def test_001_individual_weights_total_90_flagged_not_fixed():
    c = cat("001-ind")
    assert c.stated_total is None  # the document prints no total row
    assert any("90" in n.en and "90" in n.th.replace("๙๐", "90") for n in c.notes)
    for unit in ("บางละมุง", "เกาะสีชัง"):
        kpis = applicable_kpis(c, unit)
        assert len(kpis) == 7
        result = total(c, {k.id: 5 for k in kpis}, unit=unit)
        assert result.weights_total == Decimal(90)
        assert result.weighted_sum == Decimal(450)
        assert result.score100 == Decimal("90.00")
        assert result.warnings
    assert [k.id for k in applicable_kpis(c, "เกาะสีชัง")][0] == "i1k"
    assert [k.id for k in applicable_kpis(c, "บางละมุง")][0] == "i1"


def test_other_sets_total_100():
    for key in ("000-team", "000-ind", "001-team"):
        c = cat(key)
        result = total(c, {k.id: 3 for k in c.kpis})
        assert result.weights_total == Decimal(100)
        assert result.weighted_sum == Decimal(300)
        assert result.score100 == Decimal("60.00")
        assert not result.warnings


def test_variant_applies_to_and_except():
    c = cat("001-ind")
    assert c.kpi("i1").except_ == ("เกาะสีชัง",) and not c.kpi("i1").applies("เกาะสีชัง")
    assert c.kpi("i1k").applies_to == ("เกาะสีชัง",) and not c.kpi("i1k").applies("สัตหีบ")
    with pytest.raises(EvaluationError):
        evaluate(c.kpi("i1k"), {}, unit="บางละมุง")
    with pytest.raises(EvaluationError):
        evaluate(c.kpi("i1"), {}, unit="เกาะสีชัง")
    steps = {"steps": ["forum", "plan", "project", "lessons", "clip"]}
    assert evaluate(c.kpi("i1k"), steps, unit="เกาะสีชัง").level == 5


def needs_seeds():
    if not SEEDS.is_dir():
        pytest.skip("seed documents not available")


def test_round_deadline_001():
    for key in ("001-team", "001-ind"):
        (d,) = cat(key).deadlines
        assert (d.date, d.kind, d.line) == (date(2024, 9, 16), "round", 32)
    needs_seeds()
    line = (SEEDS / SEED_FILES["001"]).read_text(encoding="utf-8").splitlines()[31]
    assert "๑๖ กันยายน ๒๕๖๗" in line


def squash(text: str) -> str:
    """Seed text without HTML tags and spaces (catalog texts wrap long lines at spaces)."""
    return re.sub(r"<[^>]+>", "", text).replace(" ", "")


def test_lines_point_at_the_seed():
    needs_seeds()
    thai = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
    for key in FILES:
        c = cat(key)
        lines = (SEEDS / SEED_FILES[c.document]).read_text(encoding="utf-8").splitlines()
        for k in c.kpis:
            text = lines[k.line - 1]
            assert f"ตัวชี้วัดที่ {k.number}" in text, (key, k.id)
            assert squash(k.name) in squash(text), (key, k.id)
            for lv in k.rubric.levels:
                here = lines[lv.line - 1]
                assert f"ระดับ {lv.level}" in here or f"ระดับ {str(lv.level).translate(thai)}" in here, (
                    key, k.id, lv.level)
                assert squash(lv.text) in squash(here), (key, k.id, lv.level)  # text as printed


# -- 000 team ----------------------------------------------------------------------------------


@pytest.mark.parametrize("percent, expected", [
    ("69.99", 0), ("70", 1), ("70.01", 1), ("74.99", 1), ("75", 2), ("80", 3), ("85", 4), ("89.99", 4),
    ("90", 5), ("100", 5),
])
def test_000_team_budget_at_least(percent, expected):
    assert level("000-team", "1", {"percent": percent}) == expected


def test_000_team_budget_needed():
    e = evaluate(cat("000-team").kpi("1"), {"percent": "65"})
    assert (e.level, e.next_level) == (0, 1)
    assert [n.text for n in e.needed] == ["ร้อยละของการใช้จ่ายเงินงบประมาณ เพิ่มอีก 5.00 จุดร้อยละ"]


@pytest.mark.parametrize("percent, expected", [
    ("75", 0), ("75.01", 1), ("76", 1), ("80", 1), ("80.01", 2), ("85", 2), ("86", 3),
    ("90", 3), ("91", 4), ("95", 4), ("95.01", 5), ("100", 5),
])
def test_000_team_plan_strictly_more(percent, expected):
    assert level("000-team", "2", {"percent": percent}) == expected


def test_000_team_morality_ladder():
    k = cat("000-team").kpi("3")
    assert [s.id for s in k.rubric.steps] == ["plan", "team", "announce", "activities", "report"]
    assert evaluate(k, {}).level == 0
    assert evaluate(k, {"steps": ["plan"]}).level == 1
    assert evaluate(k, {"steps": ["plan", "team", "announce"]}).level == 3
    # a skipped rung blocks everything above it
    e = evaluate(k, {"steps": ["plan", "announce", "activities", "report"]})
    assert (e.level, e.next_level) == (1, 2)
    assert e.needed[0].text.startswith("ยังขาด: มอบหมาย แต่งตั้งคณะทำงาน")
    assert evaluate(k, {"steps": ["plan", "team", "announce", "activities", "report"]}).level == 5
    assert "ไม่น้อยกว่าร้อยละ 50" in k.rubric.level(4).text


# -- 000 individual ----------------------------------------------------------------------------


@pytest.mark.parametrize("kpi", ["1", "3"])
@pytest.mark.parametrize("percent, expected", [
    ("79.99", 0), ("80", 1), ("85", 2), ("90", 3), ("94.99", 3), ("95", 4), ("99.99", 4), ("100", 5),
])
def test_000_households_at_least(kpi, percent, expected):
    assert level("000-ind", kpi, {"percent": percent}) == expected


REF = {"minimum": "100,000", "standard": "150,000", "high": "200,000"}


@pytest.mark.parametrize("income, expected", [
    ("0", 1), ("99,999.99", 1), ("100,000", 2), ("149,999.99", 2), ("150,000", 3), ("150,000.01", 4),
    ("199,999.99", 4), ("200,000", 5), ("350,000", 5),
])
def test_000_otop_against_reference_values(income, expected):
    assert level("000-ind", "2", {"income": income, **REF}) == expected


def test_000_otop_needed_and_missing_reference():
    k = cat("000-ind").kpi("2")
    e = evaluate(k, {"income": "80,000", **REF})
    assert (e.level, e.next_level) == (1, 2)
    assert [n.text for n in e.needed] == ["รายได้จากการจำหน่ายผลิตภัณฑ์ชุมชน OTOP เพิ่มอีก 20,000.00 บาท"]
    e = evaluate(k, {"income": "80,000"})
    assert e.level == 0
    assert any(n.kind == "report" and n.input == "minimum" for n in e.needed)
    assert any("เท่ากับ" in n.th and "reaches" in n.en for n in k.notes)


DEBT_STEPS = ["database", "plan", "operate", "report"]


@pytest.mark.parametrize("overdue, expected", [
    ("40", 3), ("17", 3), ("16.01", 3), ("16", 4), ("15", 4), ("14", 4), ("13.99", 5), ("13", 5), ("0", 5),
])
def test_000_debt_mixed_ladder(overdue, expected):
    assert level("000-ind", "4", {"overdue": overdue, "steps": DEBT_STEPS}) == expected


def test_000_debt_milestones_gate_the_numbers():
    k = cat("000-ind").kpi("4")
    assert evaluate(k, {}).level == 0
    assert evaluate(k, {"steps": ["database", "plan", "operate"]}).level == 1
    assert evaluate(k, {"steps": DEBT_STEPS}).level == 2
    e = evaluate(k, {"overdue": "5", "steps": ["database", "plan", "operate"]})
    assert (e.level, e.next_level) == (1, 2)
    assert e.needed[0].text.startswith("ยังขาด: รายงานผลการบริหารจัดการหนี้")
    e = evaluate(k, {"overdue": "16", "steps": DEBT_STEPS})
    assert (e.level, e.next_level) == (4, 5)
    assert e.needed[0].kind == "decrease"


@pytest.mark.parametrize("percent, expected", [
    ("0", 3), ("79.99", 3), ("79.994", 3), ("79.995", 4), ("80", 4), ("84.99", 4), ("84.994", 4),
    ("84.995", 5), ("85", 5), ("100", 5),
])
def test_000_women_fund_groups_mixed_ladder(percent, expected):
    steps = ["plan", "operate", "report"]
    assert level("000-ind", "5", {"percent": percent, "steps": steps}) == expected


def test_000_women_fund_groups_without_milestones():
    k = cat("000-ind").kpi("5")
    assert evaluate(k, {"percent": "90"}).level == 0
    assert evaluate(k, {"percent": "90", "steps": ["plan", "operate"]}).level == 1


@pytest.mark.parametrize("percent, expected", [
    ("0", 1), ("89.99", 1), ("89.995", 2), ("90", 2), ("94.99", 2), ("95", 3), ("99.99", 3),
    ("100", 4), ("100.004", 4), ("100.01", 5), ("112.5", 5),
])
def test_000_jpt_collection(percent, expected):
    assert level("000-ind", "6", {"percent": percent}) == expected


def test_000_jpt_collection_needed():
    e = evaluate(cat("000-ind").kpi("6"), {"percent": "100"})
    assert (e.level, e.next_level) == (4, 5)
    assert [n.text for n in e.needed] == ["ร้อยละการจัดเก็บข้อมูล จปฐ. ของจำนวนเป้าหมาย เพิ่มอีก 0.01 จุดร้อยละ"]


def test_000_click_ladder():
    k = cat("000-ind").kpi("7")
    base = {"steps": ["team", "update"]}
    assert evaluate(k, {"steps": ["team"]}).level == 1
    assert evaluate(k, base).level == 2
    assert evaluate(k, {**base, "posts": 1, "channels": 1}).level == 2
    assert evaluate(k, {**base, "posts": 1, "channels": 2}).level == 3
    assert evaluate(k, {**base, "posts": 1, "channels": 2, "activities": 1}).level == 4
    full = {**base, "posts": 1, "channels": 2, "activities": 1, "goal": 500}
    assert evaluate(k, {**full, "downloads": 499}).level == 4
    assert evaluate(k, {**full, "downloads": 500}).level == 5
    e = evaluate(k, {**full, "downloads": 300})
    assert [n.text for n in e.needed] == ["จำนวนการดาวน์โหลด Click ชุมชน เพิ่มอีก 200 ครั้ง"]
    # downloads alone do not skip the publicity and activity rungs
    assert evaluate(k, {**base, "downloads": 900, "goal": 500}).level == 2
    assert evaluate(k, {"posts": 3, "channels": 3, "activities": 2, "downloads": 900, "goal": 500}).level == 0


# -- 001 team ----------------------------------------------------------------------------------


@pytest.mark.parametrize("percent, expected", [
    ("79.99", 0), ("80", 1), ("85", 2), ("90", 3), ("95", 4), ("99.99", 4), ("100", 5),
])
def test_001_team_budget(percent, expected):
    assert level("001-team", "1", {"percent": percent}) == expected


@pytest.mark.parametrize("percent, expected", [("75", 0), ("75.01", 1), ("95", 4), ("95.01", 5)])
def test_001_team_plan_strictly_more(percent, expected):
    assert level("001-team", "2", {"percent": percent}) == expected


def test_001_team_morality():
    k = cat("001-team").kpi("3")
    assert evaluate(k, {"steps": ["activities"]}).level == 1
    assert evaluate(k, {"steps": ["activities", "honour"], "channels": 2}).level == 2
    assert evaluate(k, {"steps": ["activities", "honour"], "channels": 3}).level == 3
    assert evaluate(k, {"steps": ["activities", "honour", "lessons", "report"], "channels": 3}).level == 5
    assert evaluate(k, {"steps": ["activities", "honour", "lessons", "report"], "channels": 2}).level == 2
    assert evaluate(k, {"steps": ["honour", "lessons", "report"], "channels": 5}).level == 0
    e = evaluate(k, {"steps": ["activities", "honour"], "channels": 1})
    assert [n.text for n in e.needed] == ["ช่องทางการเผยแพร่ประชาสัมพันธ์ (ออนไลน์/ออฟไลน์) เพิ่มอีก 2 ช่องทาง"]


# -- 001 individual ----------------------------------------------------------------------------

TAMBON = ["mou", "plan", "submit"]


@pytest.mark.parametrize("score, expected", [
    ("50", 3), ("69", 3), ("69.99", 3), ("70", 4), ("79.99", 4), ("80", 5), ("89", 5), ("95", 5),
])
def test_001_strong_tambon_score(score, expected):
    assert level("001-ind", "i1", {"score": score, "steps": TAMBON}, unit="บางละมุง") == expected


def test_001_strong_tambon_steps_gate_score():
    k = cat("001-ind").kpi("i1")
    assert evaluate(k, {"steps": ["mou"]}).level == 1
    assert evaluate(k, {"steps": ["mou", "plan"], "score": 85}).level == 2
    assert evaluate(k, {"steps": ["mou", "plan", "submit"]}).level == 3


@pytest.mark.parametrize("percent, expected", [
    ("-4", 1), ("0", 1), ("2.99", 1), ("3", 2), ("3.99", 2), ("4", 3), ("5", 4), ("5.99", 4),
    ("6", 5), ("12", 5),
])
def test_001_otop_income(percent, expected):
    assert level("001-ind", "2", {"percent": percent}) == expected


def test_001_selection_contest():
    k = cat("001-ind").kpi("3")
    assert evaluate(k, {"types": 2}).level == 0
    assert evaluate(k, {"types": 3}).level == 1
    assert evaluate(k, {"types": 4}).level == 2
    assert evaluate(k, {"types": 5}).level == 3
    assert evaluate(k, {"types": 5, "steps": ["present"]}).level == 4
    assert evaluate(k, {"types": 5, "steps": ["present"], "awards": 1}).level == 5
    assert evaluate(k, {"types": 5, "awards": 2}).level == 3  # no presentation, no level 5
    assert evaluate(k, {"types": 4, "steps": ["present"], "awards": 1}).level == 2
    e = evaluate(k, {"types": 3})
    assert [n.text for n in e.needed] == ["ส่งเข้าคัดสรรเพิ่มอีก 1 ประเภท"]


@pytest.mark.parametrize("overdue, expected", [
    ("30", 3), ("15", 3), ("14.995", 3), ("14.99", 4), ("14.5", 4), ("14.01", 4), ("14", 4), ("12", 4),
    ("10", 4), ("9.995", 4), ("9.994", 5), ("9.99", 5), ("0", 5),
])
def test_001_debt_overlap_scores_higher_level(overdue, expected):
    assert level("001-ind", "4", {"overdue": overdue, "steps": DEBT_STEPS}) == expected


def test_001_debt_overlap_recorded():
    k = cat("001-ind").kpi("4")
    assert any("overlap" in n.en and "14.01" in n.en for n in k.notes)
    e = evaluate(k, {"overdue": "14.5", "steps": DEBT_STEPS})
    assert [r.met for r in e.levels] == [True, True, True, True, False]


OTOP_STEPS = ["plan", "operate", "report"]


@pytest.mark.parametrize("registered, expected", [
    ("2024-04-20", 5), ("2024-05-31", 5), ("2024-06-01", 4), ("2024-06-30", 4), ("2024-07-01", 3),
    ("2024-07-31", 3), ("2024-08-01", 2), ("2024-09-30", 2),
])
def test_001_otop_group_registration_by_date(registered, expected):
    assert level("001-ind", "5", {"registered": registered, "steps": OTOP_STEPS}) == expected


def test_001_otop_group_registration_needed_and_deadlines():
    k = cat("001-ind").kpi("5")
    e = evaluate(k, {"registered": date(2024, 6, 15), "steps": OTOP_STEPS})
    assert (e.level, e.next_level) == (4, 5)
    assert [n.text for n in e.needed] == [
        "ต้องมีวันที่กลุ่มอาชีพลงทะเบียนผลิตภัณฑ์ชุมชน OTOP (1 กลุ่ม) ภายใน 31 พ.ค. 2567"]
    assert evaluate(k, {"registered": "2024-05-02", "steps": ["plan", "operate"]}).level == 1
    assert sorted(d.date for d in k.deadlines) == [date(2024, 5, 31), date(2024, 6, 30), date(2024, 7, 31)]
    assert {d.kind for d in k.deadlines} == {"criterion"}


@pytest.mark.parametrize("download, expected", [
    ("0", 1), ("89.99", 1), ("89.995", 2), ("90", 2), ("94.99", 2), ("95", 3), ("99.99", 3), ("100", 4),
    ("100.004", 4), ("100.01", 5), ("135", 5),
])
def test_001_click_download(download, expected):
    assert level("001-ind", "6", {"posts": 1, "channels": 2, "download": download}) == expected


def test_001_click_publicity_rung():
    k = cat("001-ind").kpi("6")
    assert evaluate(k, {"posts": 1, "channels": 2}).level == 1
    assert evaluate(k, {"posts": 0, "channels": 2, "download": 120}).level == 0
    assert evaluate(k, {"posts": 2, "channels": 1, "download": 120}).level == 0
    e = evaluate(k, {"posts": 0, "channels": 2})
    (n,) = e.needed
    assert (n.input, n.amount, n.unit) == ("posts", Decimal(1), "ครั้ง")
    assert n.text.startswith("เผยแพร่เพิ่มอีก 1") and n.text.endswith("ครั้งในเดือนนี้")
    e = evaluate(k, {"posts": 1, "channels": 2, "download": 100})
    assert (e.level, e.next_level) == (4, 5)
    assert [n.text for n in e.needed] == ["ร้อยละการดาวน์โหลด Click ชุมชน ของเป้าหมาย เพิ่มอีก 0.01 จุดร้อยละ"]


@pytest.mark.parametrize("percent, expected", [
    ("0", 1), ("69.99", 1), ("70", 2), ("75", 3), ("80", 4), ("84.99", 4), ("85", 5), ("100", 5),
])
def test_001_idp(percent, expected):
    assert level("001-ind", "7", {"percent": percent, "steps": ["awareness"]}) == expected


def test_001_idp_needs_awareness_first():
    k = cat("001-ind").kpi("7")
    e = evaluate(k, {"percent": "90"})
    assert (e.level, e.next_level) == (0, 1)
    assert e.needed[0].text.startswith("ยังขาด: สร้างการรับรู้")


def test_aliases_staff_type():
    def names(key):
        return {a: k.id for k in cat(key).kpis for a in k.aliases}

    a0, a1 = names("000-ind"), names("001-ind")
    assert a0["OTOP"] == "i2" and a0["หนี้"] == "i4" and a0["จปฐ."] == "i6" and a0["Click ชุมชน"] == "i7"
    assert a1["IDP"] == "i7" and a1["Click ชุมชน"] == "i6" and a1["หนี้"] == "i4"
    assert names("000-team")["เบิกจ่าย"] == "t1" and names("001-team")["คุณธรรม"] == "t3"
