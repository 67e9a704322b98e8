"""Answers on an open card, corrections, undo, re-sending and reminder controls, as staff type them
(demo database, the officer of เมืองยะลา)."""

from __future__ import annotations

import pytest

from handlers.nlu import understand
from handlers.nlu.answers import new_part, new_values, yes_no

from .conftest import MUEANG_OFFICER, TODAY

TEAM, INDIVIDUAL = "yala-2568-r2-district-team", "yala-2568-r2-district-individual"
CHAT_KEY = f"console:{MUEANG_OFFICER}:{MUEANG_OFFICER}"
REPORT = "รายงาน ตชว.1 เบิกจ่าย 92.5%"
OTOP = "รายงาน OTOP รายได้เพิ่มขึ้น 12% 2 ช่องทาง 3 ครั้ง"


def current(store, catalog=TEAM, kpi="t1"):
    return store.current("yala-mueang", catalog, kpi)


def open_card(chat, text=REPORT):
    [card] = chat.say(MUEANG_OFFICER, text)
    assert "ยืนยันบันทึก" in card.text, card.text
    return card


def report(chat, text=REPORT):
    open_card(chat, text)
    [done] = chat.say(MUEANG_OFFICER, "ยืนยัน")
    assert done.text.startswith(("บันทึกแล้วค่ะ", "แก้ไขแล้วค่ะ")), done.text
    return done


# -- the yes/no reader, on its own ------------------------------------------------------------------

YES = ["ยืนยัน", "ยืนยันครับ", "ยืนยันค่ะ", "ยืนยันจ้า", "ยืนยันนะคะ", "ใช่", "ใช่ครับ", "ถูกต้อง", "ตกลง", "โอเค",
       "โอเคค่ะ", "ok", "OK", "Ok", "👍", "👍🏻", "๑", "1", "1 ค่ะ", "ยืนยันค่าาา", "ใช่แล้วค่ะ ขอบคุณค่ะ",
       "ถูกต้องแล้วครับ", "ok ครับ", " ตกลง ", "ยืนยัน!"]
NO = ["ยกเลิก", "ยกเลิกค่ะ", "ไม่ใช่", "ไม่ใช่ค่ะ", "ไม่", "ไม่เอา", "ไม่เอาค่ะ", "2", "๒", "ไม่ถูกต้อง", "no",
      "ไม่ยืนยัน"]
NEITHER = ["", "ค่ะ", "อืม", "555", "12", "11", "1.5", "๑๒", "คะแนนปัจจุบัน", "แก้เป็น 95", "ไม่ต้องเตือน",
           "ไม่ใช่ 92 ต้องเป็น 95", "ใช่ไหม", "ใช่ ยกเลิก", "ยืนยัน 95", "รายงาน ตชว.2 90%", None]


@pytest.mark.parametrize("text", YES)
def test_yes_answers(text):
    assert yes_no(text) == "yes"


@pytest.mark.parametrize("text", NO)
def test_no_answers(text):
    assert yes_no(text) == "no"


@pytest.mark.parametrize("text", NEITHER)
def test_neither_yes_nor_no(text):
    assert yes_no(text) is None


@pytest.mark.parametrize("text, new", [
    ("ไม่ใช่ 92 ค่ะ ต้องเป็น 95", "95"),
    ("ไม่ใช่ ๙๒ ต้องเป็น ๙๕ ค่ะ", "95"),
    ("แก้จาก 3 ครั้ง เป็น 4 ครั้ง", "4"),
    ("ผิดค่ะ 92 ที่ถูกคือ 95", "95"),
    ("ตัวเลขผิดค่ะ ลดหนี้ได้ 25 ไม่ใช่ 52", "25"),  # the new figure first
    ("แก้เป็น 95", None),  # only the new value is named: every value of the text is new
    ("ขอแก้ 95 นะคะ", None),
    ("แก้ไข ๔ ครั้ง", None),
])
def test_the_new_value_of_a_correction(text, new):
    values = new_values(text)
    if new is None:
        assert values is None and new_part(text) is None
    else:
        assert [str(v.value) for v in values] == [new]


@pytest.mark.parametrize("text, intent", [
    ("ยกเลิกรายงานเมื่อกี้", "undo"), ("ลบที่ส่งไปล่าสุด", "undo"), ("ยกเลิกที่ส่งไปเมื่อกี้", "undo"),
    ("ยกเลิกรายการล่าสุด", "undo"), ("ยกเลิก", "cancel"), ("ยกเลิกการเตือน", "mute"),
    ("ไม่ใช่ 92 ค่ะ ต้องเป็น 95", "correct"), ("แก้เป็น 95", "correct"), ("ขอแก้ 95 นะคะ", "correct"),
    ("ตัวเลขผิดค่ะ ลดหนี้ได้ 25 ไม่ใช่ 52", "correct"), ("ต้องเป็น 95 ค่ะ", "correct"),
    ("ระดับ 5 ต้องเป็นเท่าไหร่", "criteria"),
    ("งดเตือน 3 วัน", "snooze"), ("ไม่ต้องเตือน 2 วัน", "snooze"), ("พักเตือน 1 สัปดาห์", "snooze"),
    ("ไม่ต้องเตือน", "mute"), ("งดเตือน", "mute"), ("เตือนได้แล้ว", "unmute"), ("กลับมาเตือนได้", "unmute"),
    ("ไม่ต้องเตือนได้แล้ว", "mute"),
])
def test_intents_of_corrections_undo_and_reminder_words(text, intent):
    assert understand(text, [], TODAY).intent == intent


@pytest.mark.parametrize("text, days", [("งดเตือน 3 วัน", 3), ("ไม่ต้องเตือน 2 วัน", 2), ("พักเตือน 1 สัปดาห์", 7),
                                        ("งดเตือน 45 วัน", 45), ("งดเตือน 0 วัน", 0)])
def test_snooze_lengths_are_read(text, days):
    assert understand(text, [], TODAY).days == days


# -- confirming and refusing on an open card --------------------------------------------------------

@pytest.mark.parametrize("answer", ["ยืนยัน", "ยืนยันครับ", "ยืนยันค่ะ", "ยืนยันจ้า", "ยืนยันนะคะ", "ใช่", "ใช่ครับ",
                                    "ถูกต้อง", "ตกลง", "โอเค", "ok", "OK", "Ok", "👍", "๑", "1"])
def test_natural_confirmations_save_the_card(chat, store, answer):
    open_card(chat)
    [done] = chat.say(MUEANG_OFFICER, answer)
    assert done.text.startswith("บันทึกแล้วค่ะ") and "ระดับ 3" in done.text
    [saved] = current(store)
    assert saved.inputs == {"percent": "92.5"} and saved.level == 3


@pytest.mark.parametrize("answer", ["ยกเลิก", "ยกเลิกค่ะ", "ไม่ใช่", "ไม่", "ไม่เอา", "2", "๒"])
def test_refusals_drop_the_card_and_store_nothing(chat, store, answer):
    open_card(chat)
    [reply] = chat.say(MUEANG_OFFICER, answer)
    assert reply.text == "ยกเลิกแล้วค่ะ ไม่มีการบันทึก"
    assert current(store) == [] and store.history("yala-mueang", TEAM, "t1") == []
    assert store.get_state(CHAT_KEY) is None
    chat.say(MUEANG_OFFICER, "1")  # nothing left to confirm
    assert current(store) == []


def test_buttons_still_confirm_and_refuse(chat, store):
    card = open_card(chat)
    [no] = chat.say(MUEANG_OFFICER, "ยกเลิก", choice=card.choices[1].data)
    assert no.text == "ยกเลิกแล้วค่ะ ไม่มีการบันทึก" and no.edit and current(store) == []
    card = open_card(chat)
    [ok] = chat.say(MUEANG_OFFICER, "ยืนยัน", choice=card.choices[0].data)
    assert ok.text.startswith("บันทึกแล้วค่ะ") and ok.edit and len(current(store)) == 1


@pytest.mark.parametrize("unclear", ["อืม", "555", "ค่ะ", "12", "ได้ 88 ค่ะ", "ใช่ ไม่ใช่", "เดี๋ยวนะ"])
def test_an_unclear_answer_keeps_the_draft_and_asks_again(chat, store, unclear):
    card = open_card(chat)
    [again] = chat.say(MUEANG_OFFICER, unclear)
    assert "กรุณากด ยืนยัน หรือ ยกเลิก ค่ะ" in again.text
    assert [(c.label, c.data) for c in again.choices] == [(c.label, c.data) for c in card.choices]
    assert current(store) == []
    assert store.get_state(CHAT_KEY)["awaiting"] == "confirm"
    [done] = chat.say(MUEANG_OFFICER, "1")
    assert done.text.startswith("บันทึกแล้วค่ะ")
    [saved] = current(store)
    assert saved.inputs == {"percent": "92.5"}


def test_a_bare_number_on_an_open_card_is_not_a_new_report(chat, store):
    open_card(chat)
    text = chat.text(MUEANG_OFFICER, "95")
    assert "กรุณากด ยืนยัน หรือ ยกเลิก ค่ะ" in text and "“แก้เป็น 95”" in text
    assert store.get_state(CHAT_KEY)["awaiting"] == "confirm" and current(store) == []


def test_a_mixed_answer_with_cancel_cancels(chat, store):
    open_card(chat)
    assert "ยกเลิกแล้ว" in chat.text(MUEANG_OFFICER, "ใช่ ยกเลิก")
    assert current(store) == [] and store.get_state(CHAT_KEY) is None


def test_confirm_with_a_particle_then_one_is_not_lost(chat, store):
    """The issue's case: "ยืนยันครับ" used to drop the draft, and "1" after it was not understood."""
    open_card(chat)
    assert chat.text(MUEANG_OFFICER, "ยืนยันครับ").startswith("บันทึกแล้วค่ะ")
    open_card(chat, "รายงาน ตชว.1 เบิกจ่าย 96%")
    assert chat.text(MUEANG_OFFICER, "เอ่อ").startswith("ยังไม่ได้บันทึก")
    assert chat.text(MUEANG_OFFICER, "1").startswith("บันทึกแล้วค่ะ (ฉบับที่ 2)")
    assert current(store)[0].inputs == {"percent": "96"}


def test_a_clear_other_command_on_an_open_card_still_works(chat, store):
    open_card(chat)
    score = chat.text(MUEANG_OFFICER, "คะแนนปัจจุบัน")
    assert "คะแนนปัจจุบัน เมืองยะลา" in score
    assert store.get_state(CHAT_KEY)["awaiting"] == "confirm"  # the draft is still there
    assert chat.text(MUEANG_OFFICER, "ยืนยันค่ะ").startswith("บันทึกแล้วค่ะ")
    assert len(current(store)) == 1


def test_a_new_report_on_an_open_card_replaces_it(chat, store):
    open_card(chat)
    reply = chat.text(MUEANG_OFFICER, "รายงาน ตชว.2 90%")
    assert "กรุณากด ยืนยัน" not in reply and "ตัวชี้วัดไหน" in reply  # team or individual KPI 2?
    state = store.get_state(CHAT_KEY)
    assert state["awaiting"] == "kpi" and f"{TEAM}/t2" in state["candidates"]
    assert current(store) == []


def test_a_correction_on_an_open_card_changes_the_card(chat, store):
    open_card(chat, "รายงาน ตชว.1 เบิกจ่าย 92%")
    [card] = chat.say(MUEANG_OFFICER, "ไม่ใช่ 92 ค่ะ ต้องเป็น 95")
    assert "ร้อยละ 95" in card.text and "ร้อยละ 92" not in card.text and "ผล: ระดับ 4" in card.text
    assert current(store) == []
    chat.say(MUEANG_OFFICER, "ใช่")
    [saved] = current(store)
    assert saved.inputs == {"percent": "95"} and saved.version == 1


def test_undo_words_on_an_open_card_drop_that_card_not_a_stored_figure(chat, store):
    report(chat, "รายงาน ตชว.1 เบิกจ่าย 90%")
    open_card(chat, "รายงาน ตชว.1 เบิกจ่าย 80%")
    reply = chat.text(MUEANG_OFFICER, "ยกเลิกรายงานเมื่อกี้")
    assert "ยังไม่ได้ยืนยัน" in reply and "ไม่มีการบันทึก" in reply
    [kept] = current(store)
    assert kept.inputs == {"percent": "90"} and store.get_state(CHAT_KEY) is None


# -- undo ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("words", ["ยกเลิกรายงานเมื่อกี้", "ลบที่ส่งไปล่าสุด", "ยกเลิกที่ส่งไปเมื่อกี้"])
def test_undo_retracts_the_report_and_names_the_figure(chat, store, words):
    report(chat)
    text = chat.text(MUEANG_OFFICER, words)
    assert "ยกเลิกรายการ ตชว.1 เบิกจ่าย" in text and "ร้อยละ 92.5 (ระดับ 3) แล้วค่ะ" in text
    assert "ตอนนี้ไม่มีผลของรอบการประเมินนี้" in text  # KPI 1 (team) is measured once a round
    assert current(store) == []
    history = store.history("yala-mueang", TEAM, "t1")
    assert [s.retracted for s in history] == [False, True]


def test_undo_of_a_monthly_figure_says_this_month_has_none(chat, store):
    report(chat, OTOP)
    text = chat.text(MUEANG_OFFICER, "ลบที่ส่งไปล่าสุด")
    assert "ตชว.1 OTOP เดือน มิ.ย. 2568 ร้อยละ 12, 2 ช่องทาง, 3 ครั้ง (ระดับ 3)" in text
    assert "ตอนนี้ไม่มีผลของเดือนนี้" in text
    assert current(store, INDIVIDUAL, "i1") == []


def test_undo_of_a_second_version_says_which_figure_counts_now(chat, store):
    report(chat, "รายงาน ตชว.1 เบิกจ่าย 90%")
    report(chat, "รายงาน ตชว.1 เบิกจ่าย 96%")
    text = chat.text(MUEANG_OFFICER, "ยกเลิกรายงานเมื่อกี้")
    assert "ร้อยละ 96 (ระดับ 4) แล้วค่ะ" in text and "ตอนนี้ใช้ผลฉบับที่ 1: ร้อยละ 90 (ระดับ 3)" in text
    [now] = current(store)
    assert now.version == 1 and now.inputs == {"percent": "90"}


def test_undo_with_nothing_reported(chat, store):
    assert "ยังไม่มีรายการ" in chat.text(MUEANG_OFFICER, "ยกเลิกรายงานเมื่อกี้")


# -- corrections -----------------------------------------------------------------------------------

@pytest.mark.parametrize("words", ["ไม่ใช่ 92 ค่ะ ต้องเป็น 95", "แก้เป็น 95", "ขอแก้ 95 นะคะ"])
def test_correction_names_the_old_and_the_new_figure(chat, store, words):
    report(chat, "รายงาน ตชว.1 เบิกจ่าย 92%")
    [card] = chat.say(MUEANG_OFFICER, words)
    assert "ร้อยละ 95" in card.text and "ผล: ระดับ 4" in card.text and "ยืนยันบันทึก" in card.text
    assert current(store)[0].inputs == {"percent": "92"}  # nothing changes before the confirm
    [done] = chat.say(MUEANG_OFFICER, "ยืนยัน")
    assert done.text.startswith("แก้ไขแล้วค่ะ: จาก ร้อยละ 92 เป็น ร้อยละ 95 (ระดับ 4)")
    [latest] = current(store)
    assert latest.version == 2 and latest.inputs == {"percent": "95"} and latest.level == 4


def test_correction_of_one_input_keeps_the_others(chat, store):
    report(chat, OTOP)
    [card] = chat.say(MUEANG_OFFICER, "แก้ไข ๔ ครั้ง")
    assert "4 ครั้ง" in card.text and "ร้อยละ 12" in card.text and "2 ช่องทาง" in card.text
    done = chat.text(MUEANG_OFFICER, "ตกลง")
    assert done.startswith("แก้ไขแล้วค่ะ: จาก ร้อยละ 12, 2 ช่องทาง, 3 ครั้ง เป็น ร้อยละ 12, 2 ช่องทาง, 4 ครั้ง")
    [latest] = current(store, INDIVIDUAL, "i1")
    assert latest.inputs == {"growth": "12", "channels": "2", "posts": "4"}


def test_a_correction_goes_where_the_old_figure_was(chat, store):
    report(chat, OTOP)
    [card] = chat.say(MUEANG_OFFICER, "ไม่ใช่ 3 ครั้ง ต้องเป็น 4")  # 3 was the posts count
    assert "4 ครั้ง" in card.text and "ร้อยละ 12" in card.text
    chat.say(MUEANG_OFFICER, "ยืนยัน")
    assert current(store, INDIVIDUAL, "i1")[0].inputs == {"growth": "12", "channels": "2", "posts": "4"}


def test_new_figure_first_then_the_old_one(chat, store):
    report(chat, "รายงาน ลดหนี้ ๒๔ ครัวเรือน")
    [card] = chat.say(MUEANG_OFFICER, "ตัวเลขผิดค่ะ ลดหนี้ได้ 25 ไม่ใช่ 24")
    assert "25 จาก 30" in card.text, card.text
    done = chat.text(MUEANG_OFFICER, "ยืนยัน")
    assert done.startswith("แก้ไขแล้วค่ะ: จาก ร้อยละ 80 เป็น ร้อยละ 83.33 (ระดับ 3)"), done
    [latest] = current(store, INDIVIDUAL, "i3")
    assert latest.inputs == {"households": "25"} and latest.version == 2


def test_refusing_a_correction_keeps_the_stored_figure(chat, store):
    report(chat, "รายงาน ตชว.1 เบิกจ่าย 92%")
    chat.say(MUEANG_OFFICER, "แก้เป็น 95")
    assert chat.text(MUEANG_OFFICER, "ไม่ใช่") == "ยกเลิกแล้วค่ะ ไม่มีการบันทึก"
    [kept] = current(store)
    assert kept.version == 1 and kept.inputs == {"percent": "92"}


# -- re-sending the same figure ------------------------------------------------------------------

@pytest.mark.parametrize("again", ["รายงาน ตชว.1 เบิกจ่าย 92.5%", "รายงาน ตชว.1 เบิกจ่าย ๙๒.๕๐ %"])
def test_the_same_figure_again_makes_no_new_version(chat, store, again):
    report(chat)
    open_card(chat, again)
    text = chat.text(MUEANG_OFFICER, "ยืนยัน")
    assert text.startswith("ค่าเดิม ไม่มีการเปลี่ยนแปลงค่ะ (") and "ร้อยละ 92.5" in text and "ฉบับที่ 1" in text
    assert len(store.history("yala-mueang", TEAM, "t1")) == 1
    assert store.get_state(CHAT_KEY)["flow"] == "after_report"  # evidence may still follow


def test_a_different_figure_is_a_new_version_that_names_the_old_one(chat, store):
    report(chat)
    open_card(chat, "รายงาน ตชว.1 เบิกจ่าย 96%")
    text = chat.text(MUEANG_OFFICER, "ยืนยัน")
    assert text.startswith("บันทึกแล้วค่ะ (ฉบับที่ 2)") and "แทนค่าเดิม ร้อยละ 92.5 (ระดับ 3, ฉบับที่ 1)" in text
    assert len(store.history("yala-mueang", TEAM, "t1")) == 2


def test_the_same_figure_after_an_undo_is_stored_again(chat, store):
    report(chat)
    chat.say(MUEANG_OFFICER, "ยกเลิกรายการล่าสุด")
    open_card(chat)
    assert chat.text(MUEANG_OFFICER, "ยืนยัน").startswith("บันทึกแล้วค่ะ")
    [now] = current(store)
    assert now.inputs == {"percent": "92.5"}


# -- reminder controls ----------------------------------------------------------------------------

@pytest.mark.parametrize("words, days, until", [
    ("งดเตือน 3 วัน", 3, "13 มิ.ย. 2568"),
    ("ไม่ต้องเตือน 2 วัน", 2, "12 มิ.ย. 2568"),
    ("พักเตือน 1 สัปดาห์", 7, "17 มิ.ย. 2568"),
    ("เลื่อนเตือน 30 วัน", 30, "10 ก.ค. 2568"),
    ("งดเตือน 1 วัน", 1, "11 มิ.ย. 2568"),
])
def test_snooze_in_everyday_words(chat, store, words, days, until):
    text = chat.text(MUEANG_OFFICER, words)
    assert f"เลื่อนการเตือนไป {days} วัน ถึง {until}" in text
    person = store.person(MUEANG_OFFICER)
    assert person.reminders == "snoozed"
    assert (person.snoozed_until.date() - TODAY).days == days


@pytest.mark.parametrize("words", ["งดเตือน 0 วัน", "เลื่อนเตือน 31 วัน", "ไม่ต้องเตือน 45 วัน", "พักเตือน 5 สัปดาห์"])
def test_snooze_outside_one_to_thirty_days_changes_nothing(chat, store, words):
    text = chat.text(MUEANG_OFFICER, words)
    assert "ยังไม่ได้เปลี่ยนการเตือน" in text and "1–30 วัน" in text and "เช่น “งดเตือน 3 วัน”" in text
    person = store.person(MUEANG_OFFICER)
    assert person.reminders == "on" and person.snoozed_until is None


def test_snooze_with_a_number_but_no_unit_asks_how_many_days(chat, store):
    text = chat.text(MUEANG_OFFICER, "/snooze")
    assert "เลื่อนการเตือนไป 1 วัน" in text  # no length at all: one day, as before
    chat.text(MUEANG_OFFICER, "เปิดการเตือน")
    assert "กี่วัน" in chat.text(MUEANG_OFFICER, "เลื่อนเตือน 3")
    assert store.person(MUEANG_OFFICER).reminders == "on"


@pytest.mark.parametrize("words", ["ไม่ต้องเตือน", "งดเตือน", "ปิดการเตือนค่ะ"])
def test_mute_in_everyday_words(chat, store, words):
    assert "ปิดการเตือนแล้ว" in chat.text(MUEANG_OFFICER, words)
    assert store.person(MUEANG_OFFICER).reminders == "muted"


@pytest.mark.parametrize("words", ["เตือนได้แล้ว", "กลับมาเตือนได้", "เปิดการเตือน"])
def test_unmute_in_everyday_words(chat, store, words):
    chat.say(MUEANG_OFFICER, "งดเตือน 3 วัน")
    assert "เปิดการเตือนแล้ว" in chat.text(MUEANG_OFFICER, words)
    person = store.person(MUEANG_OFFICER)
    assert person.reminders == "on" and person.snoozed_until is None


def test_reminder_words_on_an_open_card_keep_the_card(chat, store):
    open_card(chat)
    assert "เลื่อนการเตือนไป 3 วัน" in chat.text(MUEANG_OFFICER, "งดเตือน 3 วัน")
    assert chat.text(MUEANG_OFFICER, "ยืนยันค่ะ").startswith("บันทึกแล้วค่ะ")

