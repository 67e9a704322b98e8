"""The calendar and the reminder ladder (handlers/reminders/), with the clock given explicitly.

The demo database (Yala, seed 002): monthly KPIs i1/i2 due on the 20th for every district, the
optional i7 (กรงปินัง, เบตง) and i8 (กาบัง, รามัน) on the 15th; round 2 runs 1 Apr - 30 Sep 2025.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from bot.cli.demo import build
from handlers.calendar import cutoffs, day_off
from handlers.ports import NewSubmission
from handlers.reminders import Config, due, plan
from scoring.thaidate import BANGKOK

from .conftest import MUEANG_CHIEF, MUEANG_OFFICER, PROVINCE_CHIEF, Chat

IND = "yala-2568-r2-district-individual"
KRONGPINANG_OFFICER, KABANG_OFFICER, BETONG_OFFICER = 1, 2, 5
COORD_SONGSERM = 13  # ส่งเสริม: i1, i2, i8


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BANGKOK)


def submit(store, person: int, unit: str, kpi: str, period: str, catalog: str = IND, steps=None) -> None:
    inputs = {"steps": steps} if steps is not None else {}
    store.add_submission(NewSubmission(person, unit, catalog, kpi, period, inputs, 3, "console", "t",
                                       at(date(2025, 6, 1))))


def keys(planned, person: int | None = None) -> set[tuple[int, str, str]]:
    return {p.key for p in planned if person is None or p.person.id == person}


def never(_key) -> bool:
    return False


@pytest.fixture()
def demo_at(tmp_path):
    stores = []

    def make(today: date):
        store = build(str(tmp_path / f"demo-{today}.sqlite3"), str(tmp_path / "ev"), today, figures=False)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


def slots_of(store, catalogs, unit_id: str, day: date):
    from handlers.agreements import slots

    return slots(store, catalogs, store.unit(unit_id), day)


# ---------------------------------------------------------------- the calendar


def test_the_15th_and_20th_cutoffs_across_month_ends(store, catalogs):
    found = cutoffs(slots_of(store, catalogs, "yala-betong", date(2025, 6, 10)), date(2025, 6, 1), date(2025, 8, 31))
    monthly = sorted((c.nominal, c.period, c.slots[0].kpi.id) for c in found if c.kind == "monthly")
    assert (date(2025, 6, 15), "2025-06", "i7") in monthly
    assert (date(2025, 6, 20), "2025-06", "i1") in monthly and (date(2025, 7, 20), "2025-07", "i2") in monthly
    assert (date(2025, 8, 15), "2025-08", "i7") in monthly
    # Sunday 15 June: the figure is asked for by Friday 13 June; the cutoff itself stays the 15th
    june15 = next(c for c in found if c.nominal == date(2025, 6, 15))
    assert june15.off == "วันอาทิตย์" and june15.submit_by == date(2025, 6, 13) and june15.day == date(2025, 6, 15)


def test_a_cutoff_on_a_holiday_is_reminded_earlier(demo_at, catalogs):
    store = demo_at(date(2025, 4, 5))
    assert day_off(date(2025, 4, 15)) == "วันสงกรานต์"
    planned = plan(store, catalogs, date(2025, 4, 5), date(2025, 4, 20))
    mine = {p.stage: p for p in planned if p.person.id == BETONG_OFFICER and p.deadline_key == "due:2025-04-15"}
    # Songkran 13-16 April (and the weekend before): last working day is Friday 11 April
    assert mine["d0"].at == at(date(2025, 4, 11), 8) and mine["d-1"].at == at(date(2025, 4, 10), 8)
    assert mine["d-3"].at == at(date(2025, 4, 8), 8)
    text = mine["d-1"].text
    assert "15 เม.ย. 2568 ตรงกับวันสงกรานต์" in text and "ส่งภายในวันศุกร์ 11 เม.ย. 2568" in text
    assert "ตชว.7 Click ชุมชน — ผลเดือน เม.ย. 2568" in text
    # the overdue notice waits for the first working day after the holidays
    assert mine["overdue"].at == at(date(2025, 4, 17), 8)
    # "กำหนดส่ง" in the chat says the same
    reply = Chat(store, catalogs, today=date(2025, 4, 5)).text(BETONG_OFFICER, "กำหนดส่ง")
    assert "15 เม.ย. 2568" in reply and "ตรงกับวันสงกรานต์" in reply


def test_a_catalog_may_move_the_cutoff_instead(demo_at, catalogs):
    store = demo_at(date(2025, 4, 5))
    moved = dict(catalogs)
    moved[IND] = catalogs[IND].model_copy(update={"reminders": {"holidays": "move"}})
    planned = plan(store, moved, date(2025, 4, 5), date(2025, 4, 25))
    mine = {p.stage: p for p in planned if p.person.id == BETONG_OFFICER and p.deadline_key.startswith("due:2025-04-1")}
    assert {p.deadline_key for p in mine.values()} == {"due:2025-04-17"}  # Thursday after Songkran
    assert mine["d0"].at == at(date(2025, 4, 17), 8)
    assert "เลื่อนจากวันอังคาร 15 เม.ย. 2568 ซึ่งตรงกับวันสงกรานต์" in mine["d0"].text


def test_the_buddhist_year_changes_with_january(demo_at, catalogs):
    store = demo_at(date(2025, 12, 10))  # round 1 of FY2569: Oct 2025 - Mar 2026
    planned = plan(store, catalogs, date(2025, 12, 15), date(2026, 1, 20))
    mine = {(p.deadline_key, p.stage): p for p in planned if p.person.id == MUEANG_OFFICER}
    dec = mine[("due:2025-12-20", "d-1")]  # 20 Dec 2025 is a Saturday: d0 Friday 19, d-1 Thursday 18
    assert dec.at.date() == date(2025, 12, 18)
    assert "ผลเดือน ธ.ค. 2568" in dec.text and "20 ธ.ค. 2568" in dec.text
    jan = mine[("due:2026-01-20", "d-3")]  # Saturday 17 Jan -> Friday 16 Jan
    assert jan.at.date() == date(2026, 1, 16)
    assert "ผลเดือน ม.ค. 2569" in jan.text and "วันอังคาร 20 ม.ค. 2569" in jan.text


def test_round_boundary(demo_at, catalogs):
    store = demo_at(date(2025, 9, 10))
    store.assign_agreement(IND, "yala-mueang", 2569, 1, date(2025, 10, 1), date(2026, 3, 31))
    planned = plan(store, catalogs, date(2025, 9, 26), date(2025, 10, 25))
    mine = {(p.deadline_key, p.stage): p for p in planned if p.person.id == MUEANG_OFFICER}
    end = mine[("due:2025-09-30", "d0")]
    assert "สิ้นรอบการประเมิน" in end.text
    # the old round's overdue notice and escalation still go out after it ended
    assert ("due:2025-09-30", "overdue") in mine
    assert any(p.key == (MUEANG_CHIEF, "due:2025-09-30", "escalate") for p in planned)
    # the new round's first monthly cutoff (Monday 20 Oct) asks for October's figure
    october = mine[("due:2025-10-20", "d-1")]
    assert "ผลเดือน ต.ค. 2568" in october.text and october.at.date() == date(2025, 10, 17)


# ---------------------------------------------------------------- the ladder


def test_ladder_before_the_cutoff_and_suppression_after_submission(store, catalogs):
    planned = plan(store, catalogs, date(2025, 6, 16), date(2025, 6, 20))
    assert {(MUEANG_OFFICER, "due:2025-06-20", s) for s in ("d-3", "d-1", "d0")} <= keys(planned)
    d3 = next(p for p in planned if p.key == (MUEANG_OFFICER, "due:2025-06-20", "d-3"))
    assert d3.at == at(date(2025, 6, 17), 8) and d3.until == at(date(2025, 6, 21), 0)
    assert "อีก 3 วันครบกำหนดส่ง (วันศุกร์ 20 มิ.ย. 2568)" in d3.text
    assert "ตชว.1 OTOP — ผลเดือน มิ.ย. 2568" in d3.text and "ตชว.2 นวัตวิถี" in d3.text

    submit(store, MUEANG_OFFICER, "yala-mueang", "i1", "2025-06")
    after = plan(store, catalogs, date(2025, 6, 16), date(2025, 6, 20))
    d3 = next(p for p in after if p.key == (MUEANG_OFFICER, "due:2025-06-20", "d-3"))
    assert "OTOP" not in d3.text and "นวัตวิถี" in d3.text
    submit(store, MUEANG_OFFICER, "yala-mueang", "i2", "2025-06")
    after = plan(store, catalogs, date(2025, 6, 16), date(2025, 6, 30))
    assert not any(p.person.id == MUEANG_OFFICER and p.deadline_key == "due:2025-06-20" for p in after)
    assert not any(p.person.id == MUEANG_CHIEF and p.deadline_key == "due:2025-06-20" for p in after)


def test_overdue_then_escalation_after_the_grace_period(store, catalogs):
    planned = plan(store, catalogs, date(2025, 6, 21), date(2025, 6, 30))
    overdue = next(p for p in planned if p.key == (MUEANG_OFFICER, "due:2025-06-20", "overdue"))
    assert overdue.at == at(date(2025, 6, 23), 8)  # Saturday 21 -> Monday 23
    assert "เลยกำหนดส่ง วันศุกร์ 20 มิ.ย. 2568 แล้วค่ะ" in overdue.text
    # Mueang has its own chief; the other districts escalate to the provincial chief, in one message
    own = next(p for p in planned if p.key == (MUEANG_CHIEF, "due:2025-06-20", "escalate"))
    assert own.at == at(date(2025, 6, 23), 8)
    assert "เมืองยะลา (ผู้รายงาน: นางสาวสุภาพร ใจดี)" in own.text and "ตชว.1 OTOP" in own.text
    province = next(p for p in planned if p.key == (PROVINCE_CHIEF, "due:2025-06-20", "escalate"))
    assert "เบตง" in province.text and "กาบัง" in province.text and "เมืองยะลา" not in province.text
    # nothing to the chief before the grace period is over
    early = plan(store, catalogs, date(2025, 6, 20), date(2025, 6, 22))
    assert not any(p.stage == "escalate" and p.deadline_key == "due:2025-06-20" for p in early)


def test_catalog_ladder_override(store, catalogs):
    changed = dict(catalogs)
    changed[IND] = catalogs[IND].model_copy(update={"reminders": {"before_days": [5, 0], "grace_days": 5}})
    planned = plan(store, changed, date(2025, 6, 13), date(2025, 6, 30))
    stages = {p.stage for p in planned if p.person.id == MUEANG_OFFICER and p.deadline_key == "due:2025-06-20"}
    assert stages == {"d-5", "d0", "overdue"}
    chief = next(p for p in planned if p.key == (MUEANG_CHIEF, "due:2025-06-20", "escalate"))
    assert chief.at.date() == date(2025, 6, 25)
    with pytest.raises(ValueError):
        Config.of(catalogs[IND].model_copy(update={"reminders": {"bogus": 1}}))


def test_coordinator_digest_lists_units_still_missing_and_unreachable_people(store, catalogs):
    submit(store, MUEANG_OFFICER, "yala-mueang", "i1", "2025-06")
    store.set_reachable(BETONG_OFFICER, False)
    planned = plan(store, catalogs, date(2025, 6, 20), date(2025, 6, 23))
    d0 = next(p for p in planned if p.key == (COORD_SONGSERM, "due:2025-06-20", "digest-d0"))
    assert d0.at == at(date(2025, 6, 20), 8)
    text = d0.text
    otop = next(line for line in text.splitlines() if "OTOP" in line and "ระดับอำเภอ" in line)
    assert "ยังไม่ส่ง 7/8 หน่วย" in otop and "เมืองยะลา" not in otop and "เบตง" in otop
    assert "นวัตวิถี" in text and "8/8" in text
    assert "ติดต่อทางแชทไม่ได้" in text and "นางสาวกมลชนก ทองดี (เบตง)" in text
    assert "เบิกจ่าย" not in text  # another group's KPI
    d1 = next(p for p in planned if p.key == (COORD_SONGSERM, "due:2025-06-20", "digest-d1"))
    assert d1.at == at(date(2025, 6, 23), 8) and "เลยกำหนดแล้ว" in d1.text
    # the unreachable officer gets nothing planned
    assert not any(p.person.id == BETONG_OFFICER for p in planned)


def test_chief_weekly_digest(store, catalogs):
    submit(store, MUEANG_OFFICER, "yala-mueang", "i1", "2025-05")
    planned = plan(store, catalogs, date(2025, 6, 16), date(2025, 6, 22))
    weekly = next(p for p in planned if p.key == (MUEANG_CHIEF, "week:2025-W25", "weekly"))
    assert weekly.at == at(date(2025, 6, 16), 8)
    text = weekly.text
    assert "สรุปประจำสัปดาห์ ณ 16 มิ.ย. 2568" in text
    assert "เมืองยะลา รายบุคคล:" in text and "คะแนน (ระดับ" in text
    assert "ตัวชี้วัดที่เสี่ยงลดระดับ:" in text and "ตชว.1 OTOP: ยังไม่ส่งผลเดือน มิ.ย. 2568" in text
    province = next(p for p in planned if p.key == (PROVINCE_CHIEF, "week:2025-W25", "weekly"))
    assert "หน่วยงานในความดูแล" in province.text and "เบตง" in province.text


def test_province_chiefs_digest_ranks_the_districts_first_team_and_individual_apart(store, catalogs):
    """Issue 14: what the chief wants first are the districts; a parent is never ranked among its children,
    and team and individual totals are two figures with their bands, never one average."""
    submit(store, MUEANG_OFFICER, "yala-mueang", "i1", "2025-05")
    planned = plan(store, catalogs, date(2025, 6, 16), date(2025, 6, 22))
    text = next(p for p in planned if p.key == (PROVINCE_CHIEF, "week:2025-W25", "weekly")).text
    lines = text.splitlines()
    head = lines.index("หน่วยงานในความดูแล เรียงตามคะแนนรายทีม:")
    own = lines.index("ข้อตกลงของจังหวัดยะลาเอง:")
    ranked = lines[head + 1:own]
    assert head == 2 and len(ranked) == 8  # the eight districts, before the province's own figures
    assert [line.split(". ", 1)[0] for line in ranked] == [str(i) for i in range(1, 9)]
    assert not any(line.split(". ", 1)[1].startswith("ยะลา:") for line in ranked)  # the province is not ranked
    mueang = next(line for line in ranked if "เมืองยะลา:" in line)
    assert "ทีม " in mueang and "บุคคล " in mueang and mueang.count("(ระดับ") == 2  # each with its band
    assert "เฉลี่ย" not in text
    assert any(line.startswith("ยะลา รายทีม:") for line in lines[own:])


# ---------------------------------------------------------------- when: quiet hours, downtime, mute


def test_quiet_hours_send_nothing_and_a_snooze_ends_at_seven(store, catalogs):
    planned = plan(store, catalogs, date(2025, 6, 17), date(2025, 6, 20))
    assert due(planned, at(date(2025, 6, 17), 21), never) == []
    assert due(planned, at(date(2025, 6, 18), 6, 59), never) == []
    assert due(planned, at(date(2025, 6, 18), 7, 0), never)
    store.set_reminders(MUEANG_OFFICER, "snoozed", at(date(2025, 6, 17), 23))
    snoozed = plan(store, catalogs, date(2025, 6, 17), date(2025, 6, 20))
    stages = {p.stage: p.at for p in snoozed if p.person.id == MUEANG_OFFICER and p.deadline_key == "due:2025-06-20"}
    assert stages["d-3"] == at(date(2025, 6, 18), 7)  # the snooze ended in quiet hours: 07:00 next morning
    assert stages["d-1"] == at(date(2025, 6, 19), 8)
    store.set_reminders(MUEANG_OFFICER, "snoozed", at(date(2025, 6, 19), 5))
    snoozed = plan(store, catalogs, date(2025, 6, 17), date(2025, 6, 20))
    stages = {p.stage: p.at for p in snoozed if p.person.id == MUEANG_OFFICER and p.deadline_key == "due:2025-06-20"}
    assert stages == {"d-1": at(date(2025, 6, 19), 8), "d0": at(date(2025, 6, 20), 8)}  # one message a day
    config = Config()
    assert config.quiet(at(date(2025, 6, 17), 20)) and not config.quiet(at(date(2025, 6, 17), 19, 59))


def test_after_downtime_only_the_latest_useful_stage(store, catalogs):
    planned = plan(store, catalogs, date(2025, 6, 10), date(2025, 6, 20))
    now = at(date(2025, 6, 20), 10)
    mine = [p for p in due(planned, now, never) if p.person.id == MUEANG_OFFICER]
    assert [(p.deadline_key, p.stage) for p in mine] == [("due:2025-06-20", "d0")]
    # once d0 is logged, the earlier stages are never sent late
    sent = {(MUEANG_OFFICER, "due:2025-06-20", "d0")}
    assert not [p for p in due(planned, now + timedelta(hours=1), sent.__contains__) if p.person.id == MUEANG_OFFICER]
    # after the cutoff day the pre-cutoff reminders are no longer useful
    later = plan(store, catalogs, date(2025, 6, 10), date(2025, 6, 24))
    mine = [p for p in due(later, at(date(2025, 6, 23), 9), never) if p.person.id == MUEANG_OFFICER]
    assert [(p.deadline_key, p.stage) for p in mine] == [("due:2025-06-20", "overdue")]


def test_muted_people_are_not_reminded(store, catalogs):
    store.set_reminders(MUEANG_OFFICER, "muted")
    planned = plan(store, catalogs, date(2025, 6, 10), date(2025, 6, 30))
    assert not keys(planned, MUEANG_OFFICER)
    assert keys(planned, KABANG_OFFICER)
    store.set_reminders(MUEANG_OFFICER, "on")
    assert keys(plan(store, catalogs, date(2025, 6, 10), date(2025, 6, 30)), MUEANG_OFFICER)


def test_missing_and_deadlines_use_the_same_calendar(store, catalogs):
    chat = Chat(store, catalogs, today=date(2025, 6, 10))
    deadlines = chat.text(KRONGPINANG_OFFICER, "กำหนดส่ง")
    assert "15 มิ.ย. 2568" in deadlines and "เป็นวันหยุด กรุณาส่งภายในวันศุกร์ 13 มิ.ย. 2568" in deadlines
    missing = chat.text(KRONGPINANG_OFFICER, "ยังไม่ส่ง")
    planned = plan(store, catalogs, date(2025, 6, 10), date(2025, 6, 13))
    d0 = next(p for p in planned if p.key == (KRONGPINANG_OFFICER, "due:2025-06-15", "d0"))
    assert "Click ชุมชน" in d0.text and "Click ชุมชน" in missing and "มิ.ย. 2568" in missing
