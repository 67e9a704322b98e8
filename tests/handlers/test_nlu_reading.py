"""How staff write figures, read from the reporter's side: units written per month, a stated total, a
word right after a percent, ordinals, a base named by "ฐาน", and KPI words after ลงทะเบียน."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from handlers.nlu import understand, warm_up
from scoring.loader import load_all

TODAY = date(2025, 6, 10)


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


def _read(catalogs, text: str, *ids: str, unit: str = "เมืองยะลา"):
    kpis = [(cid, k) for cid in ids for k in catalogs[cid].kpis if k.applies(unit)]
    return understand(text, kpis, TODAY, [unit])


def _inputs(u) -> dict[str, Decimal]:
    [draft] = u.reports
    return dict(draft.inputs)


def test_a_count_per_month_is_a_count_of_posts_not_of_channels(catalogs):
    u = _read(catalogs, "นวัตวิถี สื่อ ๑ ชิ้น ๒ ช่องทาง ๒ ครั้ง/เดือน รายได้เพิ่ม ๔.๒%", "yala-2568-r2-district-individual")
    assert not u.ask
    assert _inputs(u) == {"media": 1, "channels": 2, "posts": 2, "growth": Decimal("4.2")}


def test_the_stated_total_of_pieces_is_the_figure(catalogs):
    u = _read(catalogs, "soft power คลิปวิดีโอ 1 ชิ้น โปสเตอร์ 1 ชิ้น รวม 2 ชิ้นค่ะ", "yala-2568-r2-district-individual")
    assert _inputs(u) == {"media": 2}


def test_a_base_named_by_the_word_base_is_the_base(catalogs):
    u = _read(catalogs, "ฐานสตรีอายุ 15 ปีขึ้นไป ของตัวชี้วัดสมาชิกกองทุนสตรี มี 25,310 คน",
              "yala-2568-r2-district-individual")
    assert not u.ask and _inputs(u) == {"women": 25310}  # 15 is an age, not a figure


def test_income_from_sales_is_not_a_base_and_thai_number_words_are_read(catalogs):
    u = _read(catalogs, "รายได้จากการจำหน่าย OTOP ม.ค. 67 สองล้านห้าแสนบาท", "cdd-2567-r1-individual")
    assert not u.ask and _inputs(u) == {"income": 2500000} and u.period == "2024-01"


def test_the_download_goal_is_told_from_the_downloads(catalogs):
    u = _read(catalogs, "คลิกชุมชน เป้าหมายดาวน์โหลดที่กรมกำหนด 2,000 ครั้ง", "cdd-2567-r1-individual")
    assert _inputs(u) == {"goal": 2000}
    u = _read(catalogs, "คลิกชุมชน ดาวน์โหลดแล้ว 1,500 ครั้ง", "cdd-2567-r1-individual")
    assert _inputs(u) == {"downloads": 1500}


def test_activities_and_their_monthly_count(catalogs):
    u = _read(catalogs, "Click ชุมชน จัดกิจกรรม 2 กิจกรรม เดือนละ 1 ครั้ง", "buriram-2565-r2-individual",
              unit="เมืองบุรีรัมย์")
    assert _inputs(u) == {"activities": 2, "activity_monthly": 1}


def test_a_kpi_word_that_names_one_input_tells_it_from_the_others(catalogs):
    ids = ("buriram-2565-r2-individual",)
    assert _inputs(_read(catalogs, "OTOP มูลค่าจำหน่ายเพิ่ม 7%", *ids, unit="เมืองบุรีรัมย์")) == {"otop_growth": 7}
    assert _inputs(_read(catalogs, "ผ้าไทย ยอดขายเพิ่ม 12%", *ids, unit="เมืองบุรีรัมย์")) == {"textile_growth": 12}


def test_households_helped_outside_the_menu_are_a_count_of_any_kind(catalogs):
    u = _read(catalogs, "TPMAP 87% เมนูแก้จน 80% นอกเมนู 22 ราย", "buriram-2565-r2-team", unit="เมืองบุรีรัมย์")
    assert _inputs(u) == {"tpmp_percent": 87, "menu_percent": 80, "nonmenu_units": 22}
    u = _read(catalogs, "แก้จน แก้ปัญหานอกเมนูแก้จน 25 ครัวเรือน", "buriram-2565-r2-team", unit="เมืองบุรีรัมย์")
    assert u.intent == "report" and _inputs(u) == {"nonmenu_units": 25}  # แก้จน is the KPI, not a correction


def test_ordinals_and_kinds_are_not_figures(catalogs):
    u = _read(catalogs, "คัดสรรฯ ได้รางวัลที่ 2 ระดับจังหวัด 1 รางวัล", "chonburi-2567-r2-individual", unit="เกาะสีชัง")
    assert _inputs(u) == {"awards": 1}
    u = _read(catalogs, "ผักสวนครัว เจ้าหน้าที่ปลูกครบ 5 ชนิดทุกคน", "buriram-2565-r2-team", unit="เมืองบุรีรัมย์")
    assert "planting" not in _inputs(u)  # five kinds of vegetables, not five households


def test_a_word_after_a_percent_is_not_its_unit(catalogs):
    # "100% รายงาน…": รายงาน starts with ราย but is no count of people
    u = _read(catalogs, "สัมมาชีพ กลุ่มได้รับเงินทุน 100%", "buriram-2565-r2-individual", unit="เมืองบุรีรัมย์")
    assert _inputs(u) == {"funded_percent": 100}


def test_one_thing_counted_by_a_generic_word_is_not_a_channel_count(catalogs):
    u = _read(catalogs, "ถอดบทเรียนองค์กรคุณธรรม 1 เรื่องเสร็จแล้ว", "chonburi-2567-r2-team", unit="เกาะสีชัง")
    assert all("channels" not in d.inputs for d in u.reports)


@pytest.mark.parametrize("text, intent", [
    ("แผนส่งเสริมกลุ่มอาชีพลงทะเบียน OTOP ทำแล้ว ดำเนินการตามแผนแล้ว", "report"),
    ("ถ้ากลุ่มอาชีพลงทะเบียน OTOP ช้ากว่ากำหนดจะได้ระดับอะไร", "criteria"),
    ("ลงทะเบียน ABCD2345", "register"),
])
def test_a_kpi_word_after_register_is_not_a_code(catalogs, text, intent):
    u = _read(catalogs, text, "chonburi-2567-r2-individual", unit="เกาะสีชัง")
    assert u.intent == intent


@pytest.mark.parametrize("text, intent", [
    ("กาบังส่ง BPM หรือยัง", "missing"),
    ("ตชว.6 ใครเป็นคนกำหนดระดับคะแนน", "criteria"),
    ("ส่งคืนงบเหลือจ่ายได้ถึงวันไหนครับ", "deadlines"),
])
def test_questions_go_where_they_are_answered(catalogs, text, intent):
    u = _read(catalogs, text, "yala-2568-r2-district-team", "yala-2568-r2-district-individual")
    assert u.intent == intent


def test_a_place_in_chat_is_not_a_unit(catalogs):
    u = _read(catalogs, "เบตงอากาศเย็นสบาย 18 องศา", "yala-2568-r2-district-team")
    assert u.intent == "unknown" and u.unit is None


def test_where_the_figures_come_from_is_no_base(catalogs):
    # "ข้อมูลจากระบบ LM": จาก names the source; the debt figures still go to their own inputs
    u = _read(catalogs, "ข้อมูลจากระบบ LM ค่ะ หนี้ค้างชำระ 250,000 บาท ลูกหนี้ทั้งหมด 2,500,000 บาท",
              "yala-2568-r2-district-team")
    assert not u.ask
    assert _inputs(u) == {"overdue": 250000, "total": 2500000}


def test_a_percent_is_followed_by_the_next_label_not_by_its_unit(catalogs):
    u = _read(catalogs, "สัมมาชีพ ประกอบอาชีพได้ 80% กลุ่มที่จดทะเบียนแล้ว 90%", "buriram-2565-r2-individual",
              unit="เมืองบุรีรัมย์")
    assert _inputs(u) == {"people_percent": 80, "registered_percent": 90}


@pytest.mark.parametrize("text", [
    "เบิกจ่าย 91% ดีขึ้นกว่าเดือนที่แล้วเยอะเลย",  # the month compared with
    "เบิกจ่าย 91% เพิ่มจาก พ.ค. นิดหน่อย",
    "แผนงาน ก.ค.-ก.ย. ทำครบแล้ว เบิกจ่าย 91%",  # a span of months
])
def test_a_month_compared_with_or_a_span_is_no_reporting_period(catalogs, text):
    u = _read(catalogs, text, "yala-2568-r2-district-team")
    assert u.intent == "report" and u.period is None, (u.intent, u.period)


def test_a_dated_snapshot_before_the_figure_of_now_is_no_period(catalogs):
    u = _read(catalogs, "ยอดหนี้ ณ 1 ต.ค. 67 = 500,000 บาท ตอนนี้เหลือ 300,000 บาท", "yala-2568-r2-district-team")
    assert u.period is None


def test_a_month_typed_alone_with_a_figure_is_still_the_period(catalogs):
    assert _read(catalogs, "เบิกจ่าย พ.ค. 91%", "yala-2568-r2-district-team").period == "2025-05"


@pytest.mark.parametrize("text,days", [("พักเตือนถึงสัปดาห์หน้านะคะ", 7), ("เลื่อนเตือนไปเดือนหน้า", 30)])
def test_snooze_until_next_week_or_month(catalogs, text, days):
    u = _read(catalogs, text, "yala-2568-r2-district-team")
    assert (u.intent, u.days) == ("snooze", days)


@pytest.mark.parametrize("text,intent", [
    ("ขอไฟล์ excel ผลประเมินไว้แนบหนังสือรายงานจังหวัด", "export"),
    ("ตัวชี้วัดไหนที่เราจะตกเกณฑ์บ้าง", "risk"),
    ("ขอดูเทียบผลรอบนี้กับรอบก่อน", "trend"),
    ("เบิกจ่ายถึงเป้าหรือยังคะ", "score"),
    ("ถ้าเบิกจ่ายไม่ถึง 90 จะได้คะแนนไหม", "criteria"),
    ("ลูกสาวเป็นครูประถมแล้วนะพี่", "unknown"),  # ครู + ปร… is no photo (รูป)
])
def test_chiefs_questions_and_their_intents(catalogs, text, intent):
    assert _read(catalogs, text, "yala-2568-r2-district-team").intent == intent


@pytest.mark.parametrize("text", [
    "ช่วยด้วยเมนูแก้จนครบ 100%",  # ช่วยด้วย inside a sentence is no call for help
    "เผยแพร่คู่มือ Click ชุมชนให้ทุกหมู่บ้านแล้ว",
    "มีคำสั่งแต่งตั้งคณะทำงานแล้วค่ะ",
])
def test_words_of_help_inside_a_report_are_not_a_call_for_help(catalogs, text):
    assert _read(catalogs, text, "cdd-2567-r1-team", "cdd-2567-r1-individual").intent != "help"


def test_a_count_with_its_unit_and_no_kpi_asks_which_kpi(catalogs):
    u = _read(catalogs, "ตอนนี้เผยแพร่ครบ 4 ช่องทางแล้วค่ะ", "yala-2568-r2-district-individual")
    assert u.intent == "report" and u.ask
