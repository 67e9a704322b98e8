"""Messages staff send to each other in the same group, read from their side: a colleague addressed by name,
an event announced, money among colleagues, praise passed on, a lost thing; none is a report and none
carries a unit. And the few request words they use for the bot that sit close to chat (issue 10)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from handlers.nlu import understand, warm_up
from scoring.loader import load_all

TODAY = date(2025, 7, 16)
YALA = ("yala-2568-r2-district-team", "yala-2568-r2-district-individual")
DSDW = ("dsdw-2566-r2-department",)


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


def _read(catalogs, text: str, ids=YALA, unit: str = "เมืองยะลา", today: date = TODAY):
    kpis = [(cid, k) for cid in ids for k in catalogs[cid].kpis if k.applies(unit)]
    units = [unit] + [u for cid in ids for u in catalogs[cid].units]
    return understand(text, kpis, today, units)


@pytest.mark.parametrize("text", [
    "น้องแอนคะ รายงาน OTOP ของเดือนนี้ส่งพี่ก่อนเที่ยงนะ",  # to a colleague, with a KPI word
    "พี่ต้นครับ ไฟล์ กข.คจ. ปีก่อนยังเก็บไว้ไหมครับ",
    "ฝากประชาสัมพันธ์ งานเทศกาลผ้าไทย 12-14 ส.ค. ที่หน้าอำเภอค่ะ",  # an event's dates are no figures
    "ค่าแชร์งวดนี้ 2,000 นะคะ โอนภายในวันศุกร์",  # a savings circle among colleagues
    "ขอชมรามันที่ส่งผลเบิกจ่ายครบก่อนใครเลยครับ 👏",  # praise passed on, naming a district
    "รถตู้ไปบันนังสตาออก 8 โมงครึ่งครับ",  # a district in chat is no unit reported for
    "ใครเห็นแฟ้มสีแดงของ OTOP ไหมคะ หาไม่เจอ",
    "แก้วน้ำใครวางไว้ที่โต๊ะพี่ 555",  # แก้ว is a glass, not a correction
    "ติดต่อคุณสมชาย โทร 073-212-xxx ต่อ 205 ได้เลยค่ะ",  # a phone number with masked digits
    "ส่งไฟล์สรุปให้ทางไลน์แล้วนะคะ ลองเปิดดู",  # shared with a colleague, not evidence for the bot
])
def test_chat_among_colleagues_is_no_report_and_names_no_unit(catalogs, text):
    u = _read(catalogs, text)
    assert u.intent == "unknown", (u.intent, u.notes)
    assert not u.reports or not any(d.inputs for d in u.reports)
    assert u.unit is None and u.period is None


@pytest.mark.parametrize("text, intent", [
    ("ยกเลิกการปิดเตือนด้วยค่ะ", "unmute"),
    ("ไม่ต้องเตือนสัปดาห์นึงนะครับ ลาพักร้อน", "snooze"),  # cancelling a mute turns reminders back on
    ("ไม่ปิดเตือนแล้วครับ เปิดตามเดิม", "unmute"),
    ("เหลือตัวไหนบ้างที่ยังไม่ได้กรอก", "missing"),
    ("อำเภอไหนไม่ส่งผลบ้างคะ", "missing"),
    ("ดูอันดับรายอำเภอยังไงคะ สอนหน่อย", "help"),
])
def test_request_words_close_to_chat(catalogs, text, intent):
    u = _read(catalogs, text)
    assert u.intent == intent
    if intent == "snooze":
        assert u.days == 7


def test_a_sender_sending_a_pdf_asks_for_no_export(catalogs):
    assert _read(catalogs, "ประกาศผลการประเมินออกแล้ว เดี๋ยวส่ง pdf ให้ในกลุ่มนะคะ").intent == "unknown"
    assert _read(catalogs, "ขอ pdf สรุปผลการประเมินของอำเภอค่ะ").intent == "export"


def test_the_maximum_of_a_scale_is_no_second_figure(catalogs):
    u = _read(catalogs, "ประหยัดพลังงานรอบนี้ได้ 9 คะแนนเต็ม 10 ค่ะ", DSDW, "กองยุทธศาสตร์และแผนงาน",
              date(2023, 9, 6))
    assert u.kpi is not None and u.kpi.kpi_id == "d12" and not u.ask
    assert dict(u.reports[0].inputs) == {"score": Decimal(9)}
    # "ได้เต็ม 100" is the figure itself
    u = _read(catalogs, "เบิกจ่ายเดือนนี้ได้เต็ม 100 ค่ะ")
    assert dict(u.reports[0].inputs) == {"percent": Decimal(100)}


def test_the_budget_named_as_staff_say_it(catalogs):
    u = _read(catalogs, "งบกรมทั้งหมด 3,100 ล้านบาท เบิกจ่ายไปแล้ว 2,880 ล้านบาท", DSDW, "กองยุทธศาสตร์และแผนงาน",
              date(2023, 9, 6))
    assert not u.ask and dict(u.reports[0].inputs) == {"budget": Decimal(3_100_000_000),
                                                       "disbursed": Decimal(2_880_000_000)}


def test_done_for_a_kpi_a_reviewer_levels_is_a_report(catalogs):
    u = _read(catalogs, "พัฒนาตนเอง เรียนหลักสูตร e-learning ของกรมจบแล้วค่ะ", ("dsdw-2566-r2-individual",),
              "นครสวรรค์", date(2023, 8, 16))
    assert u.intent == "report" and u.kpi is not None and u.kpi.kpi_id == "p"


def test_an_abbreviations_dot_inside_a_word_is_no_month(catalogs):
    u = _read(catalogs, "นวัตวิถี ปชส.ความเคลื่อนไหว 2 ช่องทางค่ะ", ("yala-2568-r2-district-individual",))
    assert u.period is None
