"""Issue 10, from the user's side: every example of its first list, through the conversation on the
demo database (Yala, seed 002, 2025-06-10). What a user checks: the card, and what the store keeps
only after confirming."""

from __future__ import annotations

from datetime import date

from .conftest import MUEANG_OFFICER

TEAM, INDIVIDUAL = "yala-2568-r2-district-team", "yala-2568-r2-district-individual"
MUEANG, BETONG = "yala-mueang", "yala-betong"
STATE = f"console:{MUEANG_OFFICER}:{MUEANG_OFFICER}"  # the officer's chat: an open draft lives here


def current(store, unit=MUEANG, catalog=TEAM, kpi="t1"):
    return store.current(unit, catalog, kpi)


def nothing_stored(store) -> bool:
    """No live figure for any unit of the demo, in any of its catalogs."""
    units = [u.id for u in store.units()]
    catalogs = [TEAM, INDIVIDUAL, "yala-2568-r2-province-team", "yala-2568-r2-province-individual"]
    return all(store.current(u, c) == [] for u in units for c in catalogs)


def is_card(text: str) -> bool:
    return "ยืนยันบันทึก" in text


def confirm(chat, user=MUEANG_OFFICER, word="ยืนยัน"):
    return chat.say(user, word, choice="ok")


# -- numbers go to inputs by meaning


def test_women_fund_counts_are_counts_and_the_percent_is_derived(chat, store):
    [card] = chat.say(MUEANG_OFFICER, "รายงาน ตชว.5 สมาชิกกองทุนสตรี สมัครใหม่ 1,250 คน จากสตรีทั้งหมด 25,000 คน")
    assert is_card(card.text)
    assert "1,250 คน" in card.text and "25,000 คน" in card.text
    assert "ร้อยละ 5.00" in card.text
    assert "ผล: ระดับ 1" in card.text and "ผล: ระดับ 5" not in card.text
    assert "ร้อยละ 1,250" not in card.text  # the count never lands in the percent
    assert current(store, catalog=INDIVIDUAL, kpi="i5") == []  # nothing before confirming
    [done] = confirm(chat)
    assert done.text.startswith("บันทึกแล้ว") and "ระดับ 1" in done.text
    [saved] = current(store, catalog=INDIVIDUAL, kpi="i5")
    assert saved.inputs == {"members": "1250", "women": "25000"}
    assert saved.level == 1 and saved.person_id == MUEANG_OFFICER


def test_households_are_compared_with_the_districts_own_base(chat, store):
    [card] = chat.say(MUEANG_OFFICER, "รายงาน ลดหนี้ ๒๔ ครัวเรือน")
    assert is_card(card.text)
    assert "24 จาก 30" in card.text and "ร้อยละ 80.00" in card.text
    assert "ผล: ระดับ 3" in card.text
    assert "ร้อยละ 24 " not in card.text and "ยังไม่ถึงระดับ 1" not in card.text
    assert current(store, catalog=INDIVIDUAL, kpi="i3") == []
    confirm(chat)
    [saved] = current(store, catalog=INDIVIDUAL, kpi="i3")
    assert saved.inputs["households"] == "24" and saved.level == 3


def test_a_bare_figure_after_a_percent_kpi_is_that_percent_not_baht(chat, store):
    [card] = chat.say(MUEANG_OFFICER, "ส่งผล ตชว.1 เบิกจ่าย 92.5 ครับ")
    assert is_card(card.text)
    assert "ร้อยละ 92.5" in card.text and "ผล: ระดับ 3" in card.text
    assert "92.5 บาท" not in card.text
    assert current(store) == []
    confirm(chat)
    [saved] = current(store)
    assert saved.inputs == {"percent": "92.5"} and saved.level == 3


def test_saen_and_lan_scale_the_amounts(chat, store):
    [card] = chat.say(MUEANG_OFFICER, "หนี้เกินกำหนด 4.9 แสนบาท ลูกหนี้คงเหลือ 33 ล้าน")
    assert is_card(card.text)
    assert "490,000 บาท" in card.text and "33,000,000 บาท" in card.text
    assert "ผล: ระดับ 5" in card.text
    assert current(store, kpi="t3") == []
    confirm(chat)
    [saved] = current(store, kpi="t3")
    assert saved.inputs["overdue"] == "490000" and saved.inputs["total"] == "33000000"
    assert saved.level == 5


def test_amounts_in_baht_are_never_checked_against_the_percent_maximum(chat, store):
    [card] = chat.say(MUEANG_OFFICER, "เบิกจ่าย ใช้จ่ายได้จริง 1,234,567 บาท งบประมาณทั้งหมด 1,300,000 บาท")
    assert is_card(card.text)
    assert "ต้องไม่เกิน 100" not in card.text and "ยังไม่ได้บันทึก" not in card.text
    assert "1,234,567 บาท" in card.text and "1,300,000 บาท" in card.text
    assert "94.97" in card.text
    confirm(chat)
    [saved] = current(store)
    assert saved.inputs["spent"] == "1234567" and saved.inputs["allocated"] == "1300000"


# -- several KPIs in one message


def test_two_kpis_in_one_message_become_two_cards_confirmed_one_by_one(chat, store):
    [first] = chat.say(MUEANG_OFFICER, "ส่งผล 2 ตัว เบิกจ่าย 91 BPM 88")
    assert is_card(first.text)
    assert "ร้อยละการใช้จ่ายงบประมาณ: ร้อยละ 91" in first.text
    assert "88" not in first.text  # one card per KPI
    assert "ยืนยันทั้งหมด" in [c.label for c in first.choices]
    assert current(store) == [] and current(store, kpi="t2") == []
    replies = confirm(chat)
    assert replies[0].text.startswith("บันทึกแล้ว")
    second = replies[-1]
    assert is_card(second.text) and "BPM" in second.text and "ร้อยละ 88" in second.text
    [t1] = current(store)
    assert t1.inputs == {"percent": "91"} and t1.level == 3
    assert current(store, kpi="t2") == []  # the second waits for its own confirm
    confirm(chat)
    [t2] = current(store, kpi="t2")
    assert t2.inputs == {"percent": "88"} and t2.level == 3


def test_two_kpis_confirmed_together(chat, store):
    [first] = chat.say(MUEANG_OFFICER, "ส่งผล 2 ตัว เบิกจ่าย 91 BPM 88")
    both = next(c for c in first.choices if c.label == "ยืนยันทั้งหมด")
    replies = chat.say(MUEANG_OFFICER, both.label, choice=both.data)
    assert all(r.text.startswith("บันทึกแล้ว") for r in replies) and len(replies) == 2
    [t1], [t2] = current(store), current(store, kpi="t2")
    assert t1.inputs == {"percent": "91"} and t2.inputs == {"percent": "88"}


# -- a value with no KPI


def _asked_which_kpi_then_pick_spending(chat, store, text, figure):
    [ask] = chat.say(MUEANG_OFFICER, text)
    assert "ตัวชี้วัดไหน" in ask.text and "ไม่เข้าใจ" not in ask.text
    labels = [c.label for c in ask.choices]
    assert any(x.startswith("ตชว.1 เบิกจ่าย") for x in labels[:3]), labels  # team KPI 1 among the first
    pick = next(c for c in ask.choices if c.label.startswith("ตชว.1 เบิกจ่าย"))
    assert current(store) == []
    [card] = chat.say(MUEANG_OFFICER, pick.label, choice=pick.data)
    assert is_card(card.text) and f"ร้อยละ {figure}" in card.text
    return card


def test_a_bare_number_asks_which_kpi(chat, store):
    card = _asked_which_kpi_then_pick_spending(chat, store, "92.5", "92.5")
    assert "ผล: ระดับ 3" in card.text
    confirm(chat)
    [saved] = current(store)
    assert saved.inputs == {"percent": "92.5"}


def test_a_figure_in_a_sentence_asks_which_kpi(chat, store):
    _asked_which_kpi_then_pick_spending(chat, store, "ได้ 88 ค่ะ", "88")


# -- not every number is a report


def test_a_meeting_notice_is_not_a_report(chat, store):
    replies = chat.say(MUEANG_OFFICER, "วันที่ 20 มิ.ย. มีอบรม OTOP ที่ศาลากลาง")
    assert not any(is_card(r.text) for r in replies)
    assert not any("ตัวชี้วัดไหน" in r.text for r in replies)
    assert store.get_state(STATE) is None and nothing_stored(store)


def test_a_deadline_question_is_answered(chat, store):
    text = chat.text(MUEANG_OFFICER, "ตชว.7 ต้องรายงานทุกวันที่เท่าไหร่")
    assert "ตชว.7" in text and ("๑๕" in text or "15" in text)
    assert not is_card(text) and "ไม่เข้าใจ" not in text
    assert store.get_state(STATE) is None and nothing_stored(store)


def test_a_criteria_question_gets_the_level_text(chat, store):
    text = chat.text(MUEANG_OFFICER, "ระดับ 5 โคกหนองนาต้องทำอะไรบ้าง")
    assert "โคก หนอง นา" in text or "โคกหนองนา" in text
    assert "ระดับ 5:" in text and "บทเรียน" in text  # level 5 of KPI 8 in the document's words
    assert not is_card(text) and "ไม่เข้าใจ" not in text
    assert store.get_state(STATE) is None and nothing_stored(store)


# -- natural confirmations on an open card


def test_confirm_with_khrap_saves(chat, store):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 92.5%")
    text = chat.text(MUEANG_OFFICER, "ยืนยันครับ")
    assert text.startswith("บันทึกแล้ว") and "ไม่เข้าใจ" not in text
    [saved] = current(store)
    assert saved.inputs == {"percent": "92.5"}


def test_confirm_with_kha_saves(chat, store):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 92.5%")
    text = chat.text(MUEANG_OFFICER, "ยืนยันค่ะ")
    assert text.startswith("บันทึกแล้ว")
    assert len(current(store)) == 1


def test_an_unclear_answer_keeps_the_draft_and_a_one_saves(chat, store):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 92.5%")
    [again] = chat.say(MUEANG_OFFICER, "เดี๋ยวนะ")
    assert "ไม่เข้าใจ" not in again.text and "ยืนยัน" in again.text
    assert [c.label for c in again.choices][:1] == ["ยืนยัน"]  # asked again with the buttons
    assert current(store) == [] and store.get_state(STATE) is not None
    text = chat.text(MUEANG_OFFICER, "1")
    assert text.startswith("บันทึกแล้ว")
    [saved] = current(store)
    assert saved.inputs == {"percent": "92.5"} and saved.level == 3


# -- another unit named in a report


def test_a_reporter_naming_another_unit_is_refused_in_one_line(chat, store):
    replies = chat.say(MUEANG_OFFICER, "รายงาน เบตง ตชว.1 เบิกจ่าย 90%")
    text = "\n".join(r.text for r in replies)
    assert len(replies) == 1 and len(text.splitlines()) == 1, text
    assert "เมืองยะลา" in text and not is_card(text)
    assert nothing_stored(store) and store.get_state(STATE) is None
    chat.say(MUEANG_OFFICER, "ยืนยัน")  # nothing to confirm: still nothing anywhere
    assert nothing_stored(store)


# -- corrections, undo, reminders by meaning


def test_undo_the_last_report_by_meaning(chat, store):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 92%")
    confirm(chat)
    assert len(current(store)) == 1
    text = chat.text(MUEANG_OFFICER, "ยกเลิกรายงานเมื่อกี้")
    assert "92" in text  # says what was undone
    assert current(store) == []


def test_correction_by_meaning(chat, store):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 92%")
    confirm(chat)
    [card] = chat.say(MUEANG_OFFICER, "ไม่ใช่ 92 ค่ะ ต้องเป็น 95")
    assert is_card(card.text) and "ร้อยละ 95" in card.text
    [before] = current(store)
    assert before.inputs == {"percent": "92"}  # not yet: the correction waits for its confirm
    [done] = confirm(chat)
    assert "92" in done.text and "95" in done.text  # what it was and what it is now
    [saved] = current(store)
    assert saved.inputs == {"percent": "95"} and saved.level == 4 and saved.version == 2


def test_correcting_the_count_of_posts_by_its_unit_word(chat, store):
    chat.say(MUEANG_OFFICER, "OTOP รายได้เพิ่ม 12% 3 ช่องทาง 2 ครั้ง")
    confirm(chat)
    [first] = current(store, catalog=INDIVIDUAL, kpi="i1")
    assert first.inputs == {"growth": "12", "channels": "3", "posts": "2"}
    [card] = chat.say(MUEANG_OFFICER, "แก้ไข ๔ ครั้ง")
    assert is_card(card.text) and "4 ครั้ง" in card.text and "ร้อยละ 12" in card.text
    confirm(chat)
    [saved] = current(store, catalog=INDIVIDUAL, kpi="i1")
    assert saved.inputs == {"growth": "12", "channels": "3", "posts": "4"} and saved.version == 2


def test_snooze_reminders_in_everyday_words(chat, store):
    text = chat.text(MUEANG_OFFICER, "งดเตือน 3 วัน")
    assert "3 วัน" in text and "ไม่เข้าใจ" not in text
    person = store.person(MUEANG_OFFICER)
    assert person.reminders == "snoozed"
    assert person.snoozed_until is not None and person.snoozed_until.date() == date(2025, 6, 13)


# -- plausibility before the card


def test_an_implausible_growth_is_flagged_and_needs_a_second_confirm(chat, store):
    [card] = chat.say(MUEANG_OFFICER, "OTOP รายได้เพิ่ม 1,250% 3 ช่องทาง 4 ครั้ง")
    assert is_card(card.text) and "⚠️" in card.text and "1,250" in card.text
    [second] = confirm(chat)
    assert not second.text.startswith("บันทึกแล้ว") and "⚠️" in second.text
    assert current(store, catalog=INDIVIDUAL, kpi="i1") == []  # the first confirm stores nothing
    [done] = confirm(chat)
    assert done.text.startswith("บันทึกแล้ว")
    [saved] = current(store, catalog=INDIVIDUAL, kpi="i1")
    assert saved.inputs["growth"] == "1250" and saved.flags
