"""Reports laid out as staff copy them from a form or a LINE group: a heading line, bullets, numbered lines,
a BE year glued to an abbreviation. The layout's marks are no figures and the heading's generic words name no
KPI; each line's KPI gets its own figure. And a few wordings of chat and requests met in such groups (issue 10).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from handlers.nlu import understand, warm_up
from scoring.loader import load_all
from tests.handlers.conftest import MUEANG_OFFICER

CDD = ("cdd-2567-r1-team", "cdd-2567-r1-individual")  # seed 000
CHONBURI = ("chonburi-2567-r2-team", "chonburi-2567-r2-individual")  # seed 001
YALA = ("yala-2568-r2-district-team", "yala-2568-r2-district-individual")  # seed 002


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


def _read(catalogs, text: str, ids=CDD, unit: str = "เมืองชัยภูมิ", today: date = date(2024, 2, 14)):
    kpis = [(cid, k) for cid in ids for k in catalogs[cid].kpis if k.applies(unit)]
    units = [unit] + [u for cid in ids for u in catalogs[cid].units]
    return understand(text, kpis, today, units)


def _reports(u) -> list[tuple[str, dict[str, Decimal]]]:
    return [(d.kpi.kpi_id, dict(d.inputs)) for d in u.reports]


@pytest.mark.parametrize("text, want", [
    # bullets under a heading whose words ("ผลการดำเนินงาน") are also a KPI's alias
    ("สรุปผลการดำเนินงาน เดือน ม.ค.\n• เบิกจ่าย 64.2%\n• แผนปฏิบัติงาน 71%",
     [("t1", {"percent": Decimal("64.2")}), ("t2", {"percent": Decimal("71")})]),
    ("รายงานผลการปฏิบัติงาน\n- จปฐ. 97.5%\n- แผนปฏิบัติงาน 80%",
     [("i6", {"percent": Decimal("97.5")}), ("t2", {"percent": Decimal("80")})]),
    # numbered lines: "1." and "2)" are the list's, not the figures
    ("1. เบิกจ่าย 58.75\n2. ครัวเรือนยากจน 70%",
     [("t1", {"percent": Decimal("58.75")}), ("i1", {"percent": Decimal("70")})]),
    ("1) ตชว.ทีม 2 แผนปฏิบัติงาน 66\n2) ตชว.ทีม 1 เบิกจ่าย 61.5",
     [("t2", {"percent": Decimal("66")}), ("t1", {"percent": Decimal("61.5")})]),
    ("(1) เบิกจ่าย 77.1\n(2) จปฐ. 100",
     [("t1", {"percent": Decimal("77.1")}), ("i6", {"percent": Decimal("100")})]),
])
def test_form_lines_each_report_their_own_figure(catalogs, text, want):
    u = _read(catalogs, text)
    assert u.intent == "report" and not u.ask, (u.intent, u.notes)
    assert _reports(u) == want


def test_numbered_lines_of_one_kpi_are_its_inputs(catalogs):
    u = _read(catalogs, "คลิกชุมชน\n1. โพสต์ 9 ครั้ง\n2. 2 ช่องทาง\n3. ดาวน์โหลด 230 ครั้ง เป้า 400")
    assert u.intent == "report" and not u.ask, u.notes
    assert _reports(u) == [("i7", {"posts": Decimal(9), "channels": Decimal(2), "downloads": Decimal(230),
                                   "goal": Decimal(400)})]


def test_numbers_that_are_the_kpis_themselves_stay(catalogs):
    # "1)" followed by a figure numbers the KPIs of the heading, as before
    u = _read(catalogs, "ตัวชี้วัดทีม\n1) 81%\n2) 90%")
    assert _reports(u) == [("t1", {"percent": Decimal(81)}), ("t2", {"percent": Decimal(90)})]


def test_heading_keeps_its_month(catalogs):
    u = _read(catalogs, "รายงานผลการดำเนินงาน ประจำเดือน ม.ค. 67\n- เบิกจ่าย 60%\n- แผนปฏิบัติงาน 75%")
    assert u.period == "2024-01"
    assert [k for k, _ in _reports(u)] == ["t1", "t2"]


def test_a_heading_alone_still_names_its_kpi(catalogs):
    # one line: "ผลการดำเนินงาน 88%" is the plan KPI's figure (no heading without lines under it)
    u = _read(catalogs, "ผลการดำเนินงาน 88%")
    assert _reports(u) == [("t2", {"percent": Decimal(88)})]


@pytest.mark.parametrize("text", ["จปฐ.67 ได้ 99.1%", "จปฐ. ปี 67 จัดเก็บได้ 99.1%", "จปฐ67 99.1%"])
def test_year_glued_to_the_abbreviation(catalogs, text):
    u = _read(catalogs, text)
    assert _reports(u) == [("i6", {"percent": Decimal("99.1")})], u.notes


def test_a_data_sources_year_is_no_kpi(catalogs):
    # "ตาม จปฐ.66": the year of the survey a count comes from; the KPI is the one the rest names
    u = _read(catalogs, "ครัวเรือนยากจนตาม จปฐ.66 พัฒนาได้ 75%")
    assert _reports(u) == [("i1", {"percent": Decimal(75)})]


def test_alias_with_mai_taikhu_is_found_among_others(catalogs):
    u = _read(catalogs, "หนี้เกินกำหนด 2.9%\nตำบลเข้มแข็ง 91 คะแนน", ids=CHONBURI, unit="พานทอง",
              today=date(2024, 7, 10))
    assert [k for k, _ in _reports(u)] == ["i4", "i1"]


@pytest.mark.parametrize("text", [
    "พี่ครับ แผนปฏิบัติงานของอำเภอเราได้กี่เปอร์เซ็นต์แล้วครับ",  # asked of a colleague, not of the bot
    "น้องๆ ใครมีตัวเลข จปฐ. ล่าสุดบ้างคะ",
    "ก๊ะหนา ไฟล์ OTOP ส่งให้ยังคะ",  # a southern colleague addressed by name
    "ทำบุญกฐินคนละ 200 นะคะ โอนเข้าบัญชีพี่ได้เลย",  # money collected among colleagues
    "เบอร์ผู้ดูแลคลิกชุมชน 081-234-xxxx ค่ะ",  # a masked phone number by a KPI word
    "ส่งต่อจากกองคลัง ผลการเบิกจ่ายภาพรวม ร้อยละ 48.7 เพื่อทราบ",  # someone else's figures, forwarded
    "แจ้งเวียน ให้ทุกอำเภอรายงาน จปฐ. ให้ครบร้อยละ 100 ภายในวันที่ 20",
    "สรุปการประชุมประจำเดือน ที่ประชุมรับทราบผลการเบิกจ่ายร้อยละ 65",
    "ขอเชิญเจ้าหน้าที่ทุกท่านเข้าร่วมประชุมชี้แจง OTOP วันที่ 9 นี้",  # a meeting, not an invite code
    "แนบภาพกิจกรรมไว้ในระบบ e-Project แล้วครับ",  # evidence kept in another system
])
def test_chat_in_the_group_is_no_report(catalogs, text):
    u = _read(catalogs, text)
    assert u.intent == "unknown", (u.intent, u.notes)
    assert not any(d.inputs for d in u.reports)


@pytest.mark.parametrize("text, intent", [
    ("ส่งผลให้บอทยังไงคะ", "help"),
    ("รายงานทางบอทต้องทำอย่างไรครับ", "help"),
    ("ลบอันเมื่อกี้ค่ะ ยังไม่ได้กดยืนยัน", "cancel"),  # nothing saved yet: the draft goes
    ("ยกเลิกรายงานเมื่อกี้ครับ", "undo"),  # saved: taken back
    ("ตัวชี้วัดจปฐ. ต้องรายงานให้แล้วเสร็จภายในวันที่เท่าใดครับ", "deadlines"),
    ("การเบิกจ่ายต้องถึงร้อยละ 50 ภายในเดือนใด", "deadlines"),
    ("ขอทราบว่ายังมิได้รายงานตัวชี้วัดใดบ้าง", "missing"),
    ("ตัวชี้วัดใดที่ยังไม่ได้บันทึกผลคะ", "missing"),
])
def test_request_words(catalogs, text, intent):
    assert _read(catalogs, text).intent == intent


def test_hours_of_training_are_no_time_of_day(catalogs):
    dsdw = ("dsdw-2566-r2-unit", "dsdw-2566-r2-individual")
    u = _read(catalogs, "พัฒนาตนเอง เรียนออนไลน์ครบ 12 ชั่วโมงแล้วครับ", ids=dsdw, unit="ตรัง",
              today=date(2023, 8, 15))
    assert u.intent == "report" and u.kpi is not None and u.kpi.kpi_id == "p", (u.intent, u.notes)


def test_a_bare_total_with_a_generic_word_is_asked(catalogs):
    # "ส่งยอด 15": no KPI's input is named by ส่ง or ยอด, so which KPI is asked
    u = _read(catalogs, "ส่งยอด 15 ครับ", ids=CHONBURI, unit="พานทอง", today=date(2024, 7, 10))
    assert u.intent == "report" and u.ask and not any(d.inputs for d in u.reports)


def test_a_base_other_than_the_documents_is_not_used(catalogs):
    # 002 KPI 3 at province level divides by the province's 120 households (L360): "21 จาก 30" (one centre's
    # base) leaves the document's divisor in place and the 30 unused (the card says so), never 21/30 = 70 %
    group = ("yala-2568-r2-group-team", "yala-2568-r2-group-individual")
    u = _read(catalogs, "ลดหนี้ได้ 21 ครัวเรือน จาก 30 ครัวเรือน", ids=group,
              unit="กลุ่มงานสารสนเทศการพัฒนาชุมชน", today=date(2025, 7, 22))
    assert _reports(u) == [("i3", {"households": Decimal(21)})]
    assert [v.value for v in u.reports[0].ignored] == [Decimal(30)]


# -- figures as staff say them: bounds, suffixes, fractions ----------------------------------------------


@pytest.mark.parametrize("text, kpi", [
    ("เบิกจ่ายเกือบ 80 แล้วครับ", "t1"),  # almost: the figure is still to come
    ("แผนปฏิบัติงานไม่ต่ำกว่า 70% แน่นอนค่ะ", "t2"),
    ("หนี้เกินกำหนดไม่เกิน 5% ครับ", "i4"),
    ("OTOP ยอดขายแสนกว่าบาทค่ะ", "i2"),
])
def test_a_bound_is_no_figure_the_input_is_asked(catalogs, text, kpi):
    u = _read(catalogs, text)
    assert u.intent == "report" and u.ask and "not_a_figure:bound" in u.notes, (u.intent, u.notes)
    assert [d.kpi.kpi_id for d in u.reports] == [kpi] and not u.reports[0].inputs


def test_an_approximate_figure_is_the_figure_and_names_no_kpi(catalogs):
    # "ประมาณ" is no typo of the alias "งบประมาณ"
    assert _reports(_read(catalogs, "จปฐ. ประมาณ 97%")) == [("i6", {"percent": Decimal(97)})]
    u = _read(catalogs, "ได้ประมาณ 85 ครับ")
    assert u.intent == "report" and u.ask and u.kpi is None


@pytest.mark.parametrize("text, want", [
    ("OTOP ยอดขาย 920k ครับ", {"income": Decimal(920000)}),
    ("OTOP ยอดขาย 2.1 ล. ค่ะ", {"income": Decimal(2100000)}),
    ("OTOP ยอดขาย 1.75M", {"income": Decimal(1750000)}),
])
def test_thousand_and_million_suffixes(catalogs, text, want):
    assert _reports(_read(catalogs, text)) == [("i2", want)]


@pytest.mark.parametrize("text, kpi, percent", [
    ("ครัวเรือนยากจนพัฒนาได้ 4/5 ของเป้าค่ะ", "i1", Decimal(80)),  # a KPI that takes only its percent
    ("รวมกลุ่มหนุนเสริมอาชีพผ่าน 3 ใน 4 กลุ่ม", "i5", Decimal(75)),
    ("จปฐ. เก็บได้ครึ่งหนึ่งของเป้าแล้วค่ะ", "i6", Decimal(50)),
])
def test_a_fraction_is_its_percent_never_its_numerator(catalogs, text, kpi, percent):
    assert _reports(_read(catalogs, text)) == [(kpi, {"percent": percent})]


@pytest.mark.parametrize("text", ["อันเมื่อกี้ผิดครับ ต้อง 91", "ตัวเมื่อเช้าผิดค่ะ เบิกจ่าย 91"])
def test_the_one_sent_before_was_wrong_is_a_correction(catalogs, text):
    assert _read(catalogs, text).intent == "correct"


def test_the_new_figure_before_saying_the_old_one_was_mistyped(catalogs):
    u = _read(catalogs, "เบิกจ่าย 66.6 ค่ะ อันเมื่อวานพิมพ์ผิด")
    assert u.intent == "correct" and _reports(u) == [("t1", {"percent": Decimal("66.6")})]


@pytest.mark.parametrize("text, days", [("mute 1 week นะคะ", 7), ("งดเตือนสักสัปดาห์ครับ", 7), ("MUTE 3 days", 3)])
def test_mute_with_a_length_is_a_snooze(catalogs, text, days):
    u = _read(catalogs, text)
    assert (u.intent, u.days) == ("snooze", days)


def test_mute_alone_is_mute(catalogs):
    assert _read(catalogs, "mute ก่อนนะ").intent == "mute"


def test_the_card_asks_for_the_figure_a_bound_stands_for(chat):
    first, question = chat.say(MUEANG_OFFICER, "เบิกจ่ายเกือบ 80 แล้วครับ")
    assert "ใช้คิดระดับไม่ได้ ขอตัวเลขจริงค่ะ" in first.text
    # the percent the bound stood for is asked first (not the baht amounts it is derived from)
    assert "กรุณาพิมพ์ร้อยละการใช้จ่ายงบประมาณ" in question.text, question.text
    (card,) = chat.say(MUEANG_OFFICER, "79.6")
    assert "ร้อยละ 79.6" in card.text and "ยืนยันบันทึกไหมคะ" in card.text


def test_a_numbered_line_sent_alone(catalogs):
    assert _reports(_read(catalogs, "1. เบิกจ่าย 71.2%")) == [("t1", {"percent": Decimal("71.2")})]
    assert _reports(_read(catalogs, "2) แผนปฏิบัติงาน 83")) == [("t2", {"percent": Decimal(83)})]


def test_a_new_report_while_a_figure_is_asked_about_starts_anew(chat):
    (ask,) = chat.say(MUEANG_OFFICER, "เบิกจ่าย 900 ล้าน 1,000,000")
    assert "คือข้อมูลใดคะ" in ask.text, ask.text  # two amounts, neither labelled: which is which is asked
    (card,) = chat.say(MUEANG_OFFICER, "แผนปฏิบัติงาน 88%")
    assert "ร้อยละ 88" in card.text and "คือข้อมูลใดคะ" not in card.text, card.text


# -- dates in formal reports (corpus_staff_13) ---------------------------------------------------------


def test_the_day_a_step_was_done_is_no_reporting_month(catalogs):
    u = _read(catalogs, "องค์กรคุณธรรม แต่งตั้งคณะทำงานเรียบร้อยแล้วเมื่อวันที่ 9 ม.ค. 67")
    assert u.intent == "report" and u.kpi is not None and u.kpi.kpi_id == "t3"
    assert u.period is None and u.day == date(2024, 1, 9)


def test_the_date_a_kpi_takes_as_its_input_keeps_its_month(catalogs):
    u = _read(catalogs, "กลุ่มทอผ้าลงทะเบียนผลิตภัณฑ์ชุมชน OTOP เมื่อ 25 ม.ค. 67", ids=CHONBURI, unit="พานทอง",
              today=date(2024, 2, 10))
    assert u.period == "2024-01"


def test_a_figure_against_its_target_is_no_fraction(catalogs):
    # "ได้ 88 จากเป้า 90": 88 % spent, its target 90 (88/90 = 97.8 % would show level 5 for a level 4)
    assert _reports(_read(catalogs, "เบิกจ่ายได้ 88 จากเป้า 90 ค่ะ")) == [("t1", {"percent": Decimal(88)})]
