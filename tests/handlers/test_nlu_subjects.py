"""Reports and requests as staff type them, read from the sender's side: a subject word two KPIs share is
asked back, figures go to the KPI their words name, photos shared elsewhere are no evidence, and everyday
words for help, reminders, cancelling, missing reports and trends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from handlers.nlu import understand, warm_up
from scoring.loader import load_all

BURIRAM = ("buriram-2565-r2-team", "buriram-2565-r2-individual")
YALA = ("yala-2568-r2-district-team", "yala-2568-r2-district-individual")
YALA_PROVINCE = ("yala-2568-r2-province-team", "yala-2568-r2-province-individual")
CHONBURI = ("chonburi-2567-r2-team", "chonburi-2567-r2-individual")
CDD = ("cdd-2567-r1-team", "cdd-2567-r1-individual")
DSDW = ("dsdw-2566-r1-unit", "dsdw-2566-r1-individual")


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


def _read(catalogs, text: str, ids: tuple[str, ...], unit: str = "เมืองยะลา", today: date = date(2025, 6, 10)):
    kpis = [(cid, k) for cid in ids for k in catalogs[cid].kpis if k.applies(unit)]
    return understand(text, kpis, today, [unit])


def _one(u) -> tuple[str, dict[str, Decimal]]:
    [draft] = u.reports
    return draft.kpi.kpi_id, dict(draft.inputs)


def _all(u) -> list[tuple[str, dict[str, Decimal]]]:
    return [(d.kpi.kpi_id, dict(d.inputs)) for d in u.reports]


# --- a subject word two KPIs share is asked back; two words of one KPI name it -----------------------------

def test_debt_alone_fits_both_debt_kpis_of_buriram(catalogs):
    u = _read(catalogs, "หนี้ 12 ค่ะ", BURIRAM, unit="กระสัง")
    assert u.intent == "report" and u.ask and u.kpi is None


def test_debt_with_the_womens_fund_abbreviation_is_that_kpi(catalogs):
    u = _read(catalogs, "หนี้ สทส. ลดลง 10%", BURIRAM, unit="กระสัง")
    assert not u.ask and _one(u) == ("i4", {"reduction": Decimal("10")})


def test_womens_fund_alone_is_asked_in_chonburi(catalogs):
    u = _read(catalogs, "กองทุนสตรี 9 ค่ะ", CHONBURI, unit="สัตหีบ")
    assert u.ask and u.kpi is None


def test_debt_alone_is_asked_on_the_province_agreement(catalogs):
    u = _read(catalogs, "หนี้ ส่งตัวเลข 30 ค่ะ", YALA_PROVINCE, unit="ยะลา")
    assert u.ask and u.kpi is None


def test_a_criteria_question_on_a_number_two_sets_share_is_asked(catalogs):
    u = _read(catalogs, "เกณฑ์ ตชว.2", YALA)
    assert u.intent == "criteria" and u.ask and u.kpi is None


def test_channels_for_a_kpi_that_counts_none_are_asked(catalogs):
    u = _read(catalogs, "ประชาสัมพันธ์ครบ 2 ช่องทางแล้วค่ะ", BURIRAM, unit="กระสัง")
    assert u.ask and u.kpi is None
    ids = {c.kpi_id for c in u.fits}
    assert "t5" not in ids and {"i6", "i9", "i11"} <= ids


# --- figures go to the inputs their words name -----------------------------------------------------------

def test_a_later_word_that_labels_the_first_kpis_input_stays_with_it(catalogs):
    u = _read(catalogs, "จปฐ. จัดเก็บผ่านแอปได้ 97% ส่วนงบจัดเก็บเบิกไป 80%", BURIRAM, unit="กระสัง")
    assert _one(u) == ("i8", {"collected": Decimal("97"), "budget": Decimal("80")})


def test_the_same_kpi_named_twice_keeps_each_part_its_own_figures(catalogs):
    u = _read(catalogs, "ไฟฟ้าลด 4 / โฟมลด 50 แก้วพลาสติกลด 30", DSDW, unit="นครราชสีมา")
    assert not u.ask
    assert _all(u) == [("d12", {"electricity": Decimal("4")}), ("d13", {"foam": Decimal("50"), "cups": Decimal("30")})]


def test_an_electricity_bill_word_names_the_energy_kpi_not_a_particle(catalogs):
    u = _read(catalogs, "ค่าไฟสำนักงานลดลง 6 เปอร์เซ็นต์", DSDW, unit="นครราชสีมา")
    assert _one(u) == ("d12", {"electricity": Decimal("6")})
    home = _read(catalogs, "ค่าไฟที่บ้านเดือนนี้ 1,900 บาท ร้อนมาก", DSDW, unit="นครราชสีมา")
    assert home.intent == "unknown" and not home.reports


def test_vulnerable_households_join_a_summary_of_several_kpis(catalogs):
    u = _read(catalogs, "สรุป มี.ค. 66: เปราะบาง 7,100 ครัวเรือน / เบิกจ่าย 55.5%", DSDW, unit="นครราชสีมา",
              today=date(2023, 3, 20))
    assert _all(u) == [("d3u", {"helped": Decimal("7100")}), ("d10", {"percent": Decimal("55.5")})]


def test_a_province_in_the_per_province_table_is_the_unit_reported_for(catalogs):
    u = _read(catalogs, "ส่งแทน พมจ.ขอนแก่น ครัวเรือนเปราะบาง 2,000 ครัวเรือน", DSDW, unit="นครราชสีมา")
    assert u.unit == "ขอนแก่น" and _one(u) == ("d3u", {"helped": Decimal("2000")})


def test_budget_received_and_spent_with_a_scale_word(catalogs):
    u = _read(catalogs, "ได้งบมา 1,200,000 บาท ใช้ไปแล้ว 9.5 แสน", YALA, unit="กาบัง")
    assert _one(u) == ("t1", {"allocated": Decimal("1200000"), "spent": Decimal("950000")})


def test_a_download_goal_stated_after_the_downloads(catalogs):
    u = _read(catalogs, "click ดาวน์โหลด 900 ครั้ง เป้า 1,000", CDD, unit="ชุมแพ")
    assert not u.ask and _one(u) == ("i7", {"downloads": Decimal("900"), "goal": Decimal("1000")})


def test_the_ranks_of_awards_are_not_figures(catalogs):
    u = _read(catalogs, "คัดสรรระดับจังหวัด ได้ 2 รางวัล (ที่ 2 และที่ 3)", CHONBURI, unit="บางละมุง")
    assert not u.ask and _one(u) == ("i3", {"awards": Decimal("2")})


def test_a_slash_list_of_figures_in_different_units_is_no_ratio(catalogs):
    u = _read(catalogs, "OTOP รายได้เพิ่ม 12.5 / 2 ช่องทาง / 3 ครั้ง", YALA)
    assert not u.ask
    assert _one(u) == ("i1", {"growth": Decimal("12.5"), "channels": Decimal("2"), "posts": Decimal("3")})


def test_a_survey_named_with_satisfaction_is_the_satisfaction(catalogs):
    u = _read(catalogs, "แบบสำรวจความพึงพอใจ ได้ 90.5", DSDW, unit="นครราชสีมา")
    assert not u.ask and _one(u) == ("d9", {"satisfaction": Decimal("90.5")})


def test_an_activity_held_counted_in_the_kpis_unit_is_a_report(catalogs):
    u = _read(catalogs, "กข.คจ. จัดอบรมกรรมการ 2 กิจกรรม", YALA)
    assert u.intent == "report" and _one(u) == ("i9", {"activities": Decimal("2")})
    notice = _read(catalogs, "ขอเชิญอบรม กข.คจ. พรุ่งนี้ 9 โมง", YALA)
    assert notice.intent != "report"


def test_a_deadline_date_is_no_reporting_period(catalogs):
    u = _read(catalogs, "ส่งหลักฐานความโปร่งใสแล้ว ก่อนกำหนด 5 ก.ย.", BURIRAM, unit="กระสัง", today=date(2022, 8, 20))
    assert u.period is None


# --- not reports, and everyday words for requests ----------------------------------------------------------

def test_photos_shared_in_a_chat_album_are_no_evidence(catalogs):
    u = _read(catalogs, "ลงรูปงานปีใหม่ไว้ในอัลบั้มไลน์กลุ่มแล้วนะคะ", YALA)
    assert u.intent == "unknown"
    assert _read(catalogs, "ส่งรูปกิจกรรม OTOP 3 รูปค่ะ", YALA).intent == "evidence"


def test_personal_interest_rates_are_chat(catalogs):
    u = _read(catalogs, "ดอกเบี้ยสหกรณ์ออมทรัพย์ปีนี้ 4.5% เอง", BURIRAM, unit="กระสัง")
    assert u.intent == "unknown" and not u.reports


@pytest.mark.parametrize(("text", "intent"), [
    ("บอทนี้ช่วยอะไรได้บ้างคะ", "help"),
    ("บอทคิดคะแนนให้ได้ไหม ใช้ยังไง", "help"),
    ("ไม่ต้องส่งเตือนแล้วครับ", "mute"),
    ("ยังไม่ต้องบันทึกนะ", "cancel"),
    ("เดือนนี้ลืมส่งตัวไหนไปบ้าง", "missing"),
    ("BPM ช่วงนี้ดีขึ้นหรือแย่ลง", "trend"),
    ("ขอสมัครเข้าระบบค่ะ", "register"),
])
def test_everyday_words_for_requests(catalogs, text, intent):
    assert _read(catalogs, text, YALA).intent == intent


def test_do_not_remind_yet_with_a_length_is_a_snooze(catalogs):
    u = _read(catalogs, "อย่าเพิ่งเตือนนะ ขอ 2 วัน", YALA)
    assert u.intent == "snooze" and u.days == 2
