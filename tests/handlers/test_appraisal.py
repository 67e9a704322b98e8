"""The chiefs' plain data (handlers/views/appraisal.py) on the demo organisation, figures added by hand."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from PIL import Image

from handlers.agreements import unit_score
from handlers.ports import NewSubmission
from handlers.views import appraisal
from scoring.evaluate import evaluate
from scoring.thaidate import BANGKOK

from .conftest import MUEANG_OFFICER, TODAY

TEAM = "yala-2568-r2-district-team"
INDIVIDUAL = "yala-2568-r2-district-individual"


def report(store, catalogs, unit_id: str, catalog_id: str, kpi_id: str, period: str, inputs: dict,
           sent: date, person: int = MUEANG_OFFICER):
    unit = store.unit(unit_id)
    level = evaluate(catalogs[catalog_id].kpi(kpi_id), inputs, unit=unit.name,
                     unit_attributes=unit.attributes).level
    return store.add_submission(NewSubmission(
        person_id=person, unit_id=unit_id, catalog_id=catalog_id, kpi_id=kpi_id, period=period, inputs=inputs,
        level=level, channel="console", message_id="t", sent_at=datetime.combine(sent, time(10), BANGKOK)))


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_a_district_sheet_is_the_official_form_row_by_row(store, catalogs):
    report(store, catalogs, "yala-mueang", TEAM, "t1", "round", {"percent": "92.5"}, TODAY)
    report(store, catalogs, "yala-mueang", TEAM, "t2", "round", {"percent": "85"}, TODAY)
    store.add_evidence(png(), person_id=MUEANG_OFFICER, unit_id="yala-mueang", catalog_id=TEAM, kpi_id="t1",
                       period="round", received_at=datetime(2025, 6, 10, 10, tzinfo=BANGKOK))
    unit = store.unit("yala-mueang")
    team, individual = appraisal.sheets(store, catalogs, unit, TODAY)
    assert (team.set_name, individual.set_name) == ("รายทีม", "รายบุคคล")
    assert team.parties == ("พัฒนาการอำเภอเมืองยะลา", "พัฒนาการจังหวัดยะลา")
    assert team.round_label == "รอบที่ 2 ปีงบประมาณ 2568"
    assert (team.round_start, team.round_end) == (date(2025, 4, 1), date(2025, 9, 30))
    t1, t2, t3 = team.lines
    assert t1.criteria == ("ไม่น้อยกว่าร้อยละ ๘๐", "ไม่น้อยกว่าร้อยละ ๘๕", "ไม่น้อยกว่าร้อยละ ๙๐",
                           "ไม่น้อยกว่าร้อยละ ๙๕", "ร้อยละ ๑๐๐")
    assert (t1.number, t1.result, t1.level, t1.weight, t1.weighted, t1.evidence) == (
        "1", "ร้อยละ 92.5", 3, Decimal(50), Decimal(150), 1)
    assert (t2.level, t2.weighted, t2.evidence) == (3, Decimal(120), 0)
    assert (t3.result, t3.level, t3.weighted) == ("", None, None)
    assert team.weights_total == Decimal(100)
    assert team.weighted_sum == Decimal(270)
    assert team.score100 == Decimal("54.00")
    assert team.band == "ระดับต้องปรับปรุง"
    assert (team.missing, team.complete) == (1, False)
    # the same figures as the score card (one model: card, workbook and PDF never disagree)
    card = {c.id: t for c, t in unit_score(store, catalogs, unit, TODAY).totals}
    assert card[TEAM].score100 == team.score100 and card[INDIVIDUAL].score100 == individual.score100


def test_a_derived_percent_is_shown_as_derived(store, catalogs):
    report(store, catalogs, "yala-mueang", TEAM, "t1", "round", {"spent": "925000", "allocated": "1000000"}, TODAY)
    team = appraisal.sheets(store, catalogs, store.unit("yala-mueang"), TODAY)[0]
    assert team.lines[0].result == "ร้อยละ 92.50"
    assert team.lines[0].level == 3


def test_ranking_holds_the_children_only_with_team_and_individual_apart(store, catalogs):
    province = store.unit("yala")
    # เมืองยะลา: level 2 sent in May, corrected to level 4 in June -> change +20.00 (2 levels x 50 / 5)
    report(store, catalogs, "yala-mueang", TEAM, "t1", "round", {"percent": "85"}, date(2025, 5, 20))
    report(store, catalogs, "yala-mueang", TEAM, "t1", "round", {"percent": "95"}, date(2025, 6, 5))
    # เบตง: only a June figure -> no score at the end of May, change None
    report(store, catalogs, "yala-betong", TEAM, "t1", "round", {"percent": "100"}, date(2025, 6, 2))
    rows = appraisal.ranking(store, catalogs, province, TODAY)
    names = [r.unit for r in rows]
    assert "ยะลา" not in names and len(names) == 8
    assert names[:2] == ["เบตง", "เมืองยะลา"]
    betong, mueang = rows[0], rows[1]
    assert (betong.team, betong.team_band, betong.change) == (Decimal("50.00"), "ระดับต้องปรับปรุง", None)
    assert (mueang.team, mueang.change) == (Decimal("40.00"), Decimal("20.00"))
    assert mueang.individual == Decimal("0.00") and mueang.individual_band == "ระดับต้องปรับปรุง"
    assert mueang.missing == 2 + 6  # team t2, t3 + the six individual KPIs
    assert all(r.team is not None and r.individual is not None for r in rows)


def test_a_retraction_after_the_month_keeps_the_figure_it_undid_then(store, catalogs):
    first = report(store, catalogs, "yala-mueang", TEAM, "t1", "round", {"percent": "95"}, date(2025, 5, 20))
    store.retract(first.id, MUEANG_OFFICER, "console", "u", datetime(2025, 6, 3, 9, tzinfo=BANGKOK))
    mueang = next(r for r in appraisal.ranking(store, catalogs, store.unit("yala"), TODAY) if r.unit == "เมืองยะลา")
    assert (mueang.team, mueang.change) == (Decimal("0.00"), Decimal("-40.00"))


def test_missing_items_are_every_figure_owed_with_cutoff_status_and_who(store, catalogs):
    store.add_person("นางสาวทดสอบ โทรได้", "reporter", "yala-kabang", phone="081-234-5678")
    items = appraisal.missing_items(store, catalogs, [store.unit("yala-mueang"), store.unit("yala-kabang")], TODAY)
    mueang = [m for m in items if m.unit == "เมืองยะลา"]
    assert [m.unit for m in items] == sorted((m.unit for m in items), key=["เมืองยะลา", "กาบัง"].index)
    # monthly i1 (measured on the 20th): April, May overdue; June due on 20 Jun (10 days: later)
    i1 = [(m.period, m.cutoff, m.status) for m in mueang if m.kpi.startswith("ตชว.1 ") and m.set_name == "รายบุคคล"]
    assert i1 == [("2025-04", date(2025, 4, 20), "overdue"), ("2025-05", date(2025, 5, 20), "overdue"),
                  ("2025-06", date(2025, 6, 20), "later")]
    # a round KPI: due at the end of the round
    t1 = next(m for m in mueang if m.set_name == "รายทีม" and m.kpi.startswith("ตชว.1 "))
    assert (t1.period, t1.cutoff, t1.status) == ("round", date(2025, 9, 30), "later")
    # measured on the 15th: 15 Jun is within 7 days
    assert any(m.period == "2025-06" and m.cutoff == date(2025, 6, 15) and m.status == "soon" for m in items)
    # a KPI whose level the appraiser sets is never owed (i6)
    assert not any(m.kpi.startswith("ตชว.6 ") for m in items)
    assert {m.who for m in mueang} == {"นางสาวสุภาพร ใจดี"}
    kabang = [m for m in items if m.unit == "กาบัง"]
    assert kabang[0].who == "นายอับดุลเลาะ สาและ, นางสาวทดสอบ โทรได้" and kabang[0].phone == "081-234-5678"
    order = [appraisal.STATUS_ORDER[m.status] for m in mueang]
    assert order == sorted(order)
    # a figure sent is no longer owed
    report(store, catalogs, "yala-mueang", INDIVIDUAL, "i1", "2025-04", {"growth": "10"}, date(2025, 4, 18))
    again = appraisal.missing_items(store, catalogs, [store.unit("yala-mueang")], TODAY)
    assert len(again) == len(mueang) - 1
    assert not any(m.period == "2025-04" and m.kpi.startswith("ตชว.1 ") and m.set_name == "รายบุคคล"
                   for m in again)


def test_the_province_book(store, catalogs):
    report(store, catalogs, "yala-mueang", TEAM, "t1", "round", {"percent": "95"}, TODAY)
    b = appraisal.book(store, catalogs, store.unit("yala"), TODAY)
    assert b.title == "จังหวัดยะลา" and b.round_label == "รอบที่ 2 ปีงบประมาณ 2568" and b.today == TODAY
    assert [r.unit for r in b.ranking][0] == "เมืองยะลา" and len(b.ranking) == 8
    assert len(b.sheets) == 8 * 2 + 2
    assert b.sheets[0].unit == "เมืองยะลา" and b.sheets[-1].unit == "ยะลา"
    assert b.sheets[-1].parties == ("พัฒนาการจังหวัดยะลา", "อธิบดีกรมการพัฒนาชุมชน")
    assert {m.unit for m in b.missing} == {r.unit for r in b.ranking} | {"ยะลา"}
    assert b.bands[0] == ("ระดับคุณภาพ", Decimal(90)) and b.bands[-1] == ("ระดับต้องปรับปรุง", Decimal(0))


def test_a_district_book_has_no_ranking(store, catalogs):
    b = appraisal.book(store, catalogs, store.unit("yala-mueang"), TODAY)
    assert b.title == "อำเภอเมืองยะลา" and b.ranking == () and len(b.sheets) == 2


@pytest.mark.parametrize("unit_id", ["yala", "yala-mueang"])
def test_builders_are_pure_reads(store, catalogs, unit_id):
    before = [store.current(u.id, c) for u in store.units() for c in (TEAM, INDIVIDUAL)]
    appraisal.book(store, catalogs, store.unit(unit_id), TODAY)
    assert [store.current(u.id, c) for u in store.units() for c in (TEAM, INDIVIDUAL)] == before
