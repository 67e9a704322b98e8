"""More of issue 10's examples through the conversation: figures named only by their labels, chat with
laughter, an admin reporting for a named unit, and the card saying when the rubric rounds."""

from __future__ import annotations

from tests.handlers.conftest import ADMIN, MUEANG_OFFICER
from tests.handlers.test_issue10_reports import (  # noqa: F401
    BETONG,
    INDIVIDUAL,
    MUEANG,
    STATE,
    TEAM,
    confirm,
    current,
    is_card,
    nothing_stored,
)


def test_allocated_and_spent_in_thai_digits_give_the_spending_card(chat, store):
    [card] = chat.say(MUEANG_OFFICER, "ได้รับจัดสรร ๓,๒๐๐,๐๐๐ บาท ใช้จ่ายแล้ว ๒,๙๘๐,๐๐๐ บาท")
    assert is_card(card.text), card.text
    assert "ร้อยละของการใช้จ่ายเงินงบประมาณ" in card.text
    assert "3,200,000 บาท" in card.text and "2,980,000 บาท" in card.text
    assert "93.13" in card.text and "ผล: ระดับ 3" in card.text
    assert current(store) == []
    confirm(chat)
    [saved] = current(store)
    assert saved.inputs["spent"] == "2980000" and saved.inputs["allocated"] == "3200000"
    assert saved.level == 3


def test_the_card_says_when_the_rubric_rounds_the_figure_for_the_level(chat, store):
    # 1,234,567 / 1,300,000 = 94.97 %: level 4 only if the comparison rounds it to 95, and then the card
    # must say so ("94.97 → ปัดเป็น 95.00 ตามเกณฑ์"); compared literally it is level 3 with no such note
    [card] = chat.say(MUEANG_OFFICER, "เบิกจ่าย ใช้จ่ายได้จริง 1,234,567 บาท งบประมาณทั้งหมด 1,300,000 บาท")
    assert "ร้อยละ 94.97" in card.text, card.text
    rounded = "ปัดเป็น 95.00 ตามเกณฑ์" in card.text
    assert ("ผล: ระดับ 4" in card.text) == rounded and ("ผล: ระดับ 3" in card.text) == (not rounded), card.text


def test_personal_chat_with_laughter_is_not_a_report(chat, store):
    replies = chat.say(MUEANG_OFFICER, "หนี้บัตรเครดิตผมเหลือ 20,000 บาท 555")
    text = "\n".join(r.text for r in replies)
    assert not is_card(text)
    assert "ตัวชี้วัดไหน" not in text, text  # not taken for a debt-KPI report either
    assert store.get_state(STATE) is None, store.get_state(STATE)
    assert nothing_stored(store)


def test_an_admin_naming_a_unit_gets_its_card_and_the_figure_goes_there(chat, store):
    [card] = chat.say(ADMIN, "รายงาน เบตง ตชว.1 เบิกจ่าย 90%")
    assert is_card(card.text), card.text
    assert "หน่วยงาน: เบตง" in card.text and "ร้อยละ 90" in card.text
    confirm(chat, ADMIN)
    [saved] = current(store, unit=BETONG)
    assert saved.inputs == {"percent": "90"} and saved.person_id == ADMIN
    assert current(store, unit=MUEANG) == [] and current(store, unit="yala") == []


def test_a_question_while_a_number_is_asked_is_answered_and_the_draft_waits(chat, store):
    [ask] = chat.say(MUEANG_OFFICER, "รายงาน OTOP รายได้เพิ่มขึ้น 12%")
    assert "กรุณาพิมพ์" in ask.text and "ช่องทาง" in ask.text
    [answer] = chat.say(MUEANG_OFFICER, "ระดับ 5 ต้องทำอะไร")
    assert "ระดับ 5" in answer.text and "กรุณาพิมพ์" not in answer.text
    state = store.get_state(STATE)
    assert state and state.get("awaiting") == "input:channels" and state["inputs"].get("growth") == "12"
    assert "channels" not in state["inputs"]  # the 5 of the question is not the number of channels


def test_a_count_is_shown_against_the_units_own_target_row(chat, store):
    from tests.handlers.conftest import BETONG_OFFICER

    [card] = chat.say(BETONG_OFFICER, "จปฐ. ผ่านเกณฑ์ 36 ครัวเรือน")
    assert "หน่วยงาน: เบตง" in card.text and "36 ครัวเรือน" in card.text
    # 002 L434-441: เบตง must pass 35/36/36/36/37 households for levels 1-5
    assert "ค่าเป้าหมายของเบตง" in card.text and "ระดับ 5 37" in card.text
    assert "ผล: ระดับ 4" in card.text and "ผ่านเกณฑ์เพิ่มอีก 1 ครัวเรือน" in card.text


def test_a_cumulative_spending_figure_that_drops_is_flagged_and_needs_a_second_confirm(chat, store):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 92%")
    confirm(chat)
    [card] = chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 85%")
    assert "⚠️" in card.text and "ต่ำกว่าครั้งก่อน" in card.text and "ร้อยละ 92" in card.text
    [again] = chat.say(MUEANG_OFFICER, "ยืนยัน", choice="ok")
    assert "อีกครั้ง" in again.text
    assert [s.inputs["percent"] for s in current(store)] == ["92"]  # not yet stored
    chat.say(MUEANG_OFFICER, "ยืนยัน", choice="ok")
    [saved] = current(store)
    assert saved.inputs["percent"] == "85" and saved.flags


def test_amounts_in_thai_number_words_with_their_own_labels_give_the_spending_card(chat, store):
    # no KPI word: "เบิกไป" and "ได้มา" are the inputs' own words, which tell the spending KPI from the other
    # "X จาก Y" KPIs (overdue debt of total, households of a base)
    [card] = chat.say(MUEANG_OFFICER, "งบเบิกไปแล้วหนึ่งล้านเจ็ดแสนห้าหมื่น จากที่ได้มาสองล้านถ้วน")
    assert "ร้อยละของการใช้จ่ายเงินงบประมาณ" in card.text, card.text
    assert "1,750,000 บาท" in card.text and "2,000,000 บาท" in card.text and "87.50" in card.text


def test_this_round_named_in_a_report_is_the_default_period_not_a_crash(chat, store):
    [card] = chat.say(MUEANG_OFFICER, "รายงาน เบิกจ่าย รอบนี้ 91%")
    assert is_card(card.text) and "ร้อยละ 91" in card.text, card.text
    confirm(chat)
    [saved] = current(store)
    assert saved.inputs["percent"] == "91"


def test_a_changed_figure_without_a_kpi_is_asked_back_with_the_kpis_it_fits(chat, store):
    [reply] = chat.say(MUEANG_OFFICER, "ลดลงเหลือ 8%")
    assert "ตัวชี้วัดไหน" in reply.text, reply.text
    labels = [c.label for c in reply.choices]
    assert any("หนี้" in x for x in labels) and any("เบิกจ่าย" in x for x in labels), labels
    assert current(store) == []


def test_a_question_naming_a_day_is_answered_with_the_kpis_deadline(chat, store):
    text = chat.text(MUEANG_OFFICER, "เบิกจ่ายต้องส่งภายในวันที่ 20 ใช่มั้ยคะ")
    assert text.startswith("ตชว.1 เบิกจ่าย") and "กำหนดส่งครั้งถัดไป: 29 ส.ค. 2568" in text, text
    assert "เกณฑ์การให้คะแนน" not in text  # not the criteria
    assert current(store) == []


def test_a_registration_date_is_the_date_input_of_the_kpi_that_takes_one(catalogs):
    # 001 individual KPI 5 is scored on the day an OTOP group registered: the date typed is that input,
    # and "ได้ 1 กลุ่ม" describes it (no question back for it)
    from datetime import date

    from handlers.nlu import understand

    cid = "chonburi-2567-r2-individual"
    kpis = [(cid, k) for k in catalogs[cid].kpis]
    u = understand("กลุ่มอาชีพลงทะเบียนผลิตภัณฑ์ OTOP ได้ 1 กลุ่ม เมื่อ 25 มิ.ย. 67", kpis, date(2024, 7, 10))
    assert u.kpi is not None and u.kpi.kpi_id == "i5" and not u.ask
    assert u.inputs == {"registered": date(2024, 6, 25)}


def test_a_kpi_the_unit_did_not_choose_is_named_never_silently_dropped(chat, store):
    # เมืองยะลา did not choose the optional KPI 9 (กข.คจ.): alone it is refused by name, beside another KPI
    # the card of the other comes with a line saying that part was not stored
    [alone] = chat.say(MUEANG_OFFICER, "กข.คจ. ทำทะเบียนครบแล้ว")
    assert "ตชว.9 กข.คจ." in alone.text and "ไม่อยู่ในข้อตกลงของเมืองยะลา" in alone.text, alone.text
    assert nothing_stored(store)
    note, card = chat.say(MUEANG_OFFICER, "กข.คจ. ทำทะเบียนครบแล้ว และเบิกจ่าย 92%")
    assert "ตชว.9 กข.คจ." in note.text and "ไม่ได้บันทึกส่วนนั้น" in note.text, note.text
    assert is_card(card.text) and "ร้อยละ 92" in card.text
    confirm(chat)
    [saved] = current(store)
    assert saved.inputs["percent"] == "92"


def test_a_report_of_chosen_kpis_only_has_no_such_note(chat, store):
    replies = chat.say(MUEANG_OFFICER, "OTOP 3 ช่องทาง")
    assert len(replies) == 1 and "ไม่อยู่ในข้อตกลง" not in replies[0].text


def test_a_spaced_slash_is_a_ratio_between_counts_and_a_list_between_units(catalogs):
    from datetime import date

    from handlers.nlu import understand

    ids = ("yala-2568-r2-district-team", "yala-2568-r2-district-individual")
    kpis = [(c, k) for c in ids for k in catalogs[c].kpis if k.applies("เมืองยะลา")]
    ratio = understand("ลดหนี้ได้ 20 / 30 ครัวเรือน", kpis, date(2025, 6, 10))
    assert ratio.kpi is not None and ratio.kpi.kpi_id == "i3" and ratio.inputs == {"households": 20}
    listed = understand("OTOP 3 ช่องทาง / 4 ครั้ง", kpis, date(2025, 6, 10))
    assert listed.inputs == {"channels": 3, "posts": 4}
    portions = understand("ภารกิจที่จังหวัดแจ้ง 14 จาก 16 เรื่อง", [(
        "buriram-2565-r2-team", catalogs["buriram-2565-r2-team"].kpi("t7"))], date(2022, 7, 14))
    assert portions.inputs == {"submitted": 14, "notified": 16}
