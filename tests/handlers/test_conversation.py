"""Whole conversations in Thai through the handlers, on the demo database (Yala, seed 002)."""

from __future__ import annotations

from io import BytesIO

from PIL import Image

from .conftest import (
    ADMIN,
    BETONG_OFFICER,
    COORD_PRASAN,
    KABANG_OFFICER,
    MUEANG_OFFICER,
    PROVINCE_CHIEF,
)

TEAM, INDIVIDUAL = "yala-2568-r2-district-team", "yala-2568-r2-district-individual"


def current(store, unit="yala-mueang", catalog=TEAM, kpi="t1"):
    return store.current(unit, catalog, kpi)


def test_report_in_one_message_shows_a_card_then_saves_after_confirming(chat, store):
    [card] = chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย ๙๒.๕% ครับ")
    assert "ร้อยละของการใช้จ่ายเงินงบประมาณ" in card.text
    assert "ร้อยละ 92.5" in card.text and "ผล: ระดับ 3" in card.text
    assert "ระดับ 4 ต้อง: ร้อยละการใช้จ่ายงบประมาณ เพิ่มอีก 2.50 จุดร้อยละ" in card.text
    assert [c.label for c in card.choices] == ["ยืนยัน", "ยกเลิก"]
    assert current(store) == []  # nothing stored before confirming
    [done] = chat.say(MUEANG_OFFICER, "ยืนยัน", choice=card.choices[0].data)
    assert done.text.startswith("บันทึกแล้วค่ะ") and "ระดับ 3" in done.text
    [saved] = current(store)
    assert saved.inputs == {"percent": "92.5"} and saved.level == 3 and saved.person_id == MUEANG_OFFICER


def test_ambiguous_kpi_number_is_asked_back_with_choices(chat, store):
    [ask] = chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 92")
    assert "ตัวชี้วัดไหน" in ask.text
    labels = [c.label for c in ask.choices]
    assert any("รายทีม" in x for x in labels) and any("รายบุคคล" in x for x in labels)
    team = next(c for c in ask.choices if "รายทีม" in c.label)
    [card] = chat.say(MUEANG_OFFICER, team.label, choice=team.data)
    assert "ร้อยละ 92" in card.text and "ผล: ระดับ 3" in card.text


def test_compound_kpi_asks_for_each_input(chat, store):
    [first] = chat.say(MUEANG_OFFICER, "รายงาน OTOP รายได้เพิ่มขึ้น 12%")
    assert "กรุณาพิมพ์" in first.text
    replies = [first]
    for answer in ("๒", "3", "3", "3", "3"):
        if "ยืนยันบันทึก" in replies[-1].text:
            break
        replies = chat.say(MUEANG_OFFICER, answer)
    card = replies[-1]
    assert "ยืนยันบันทึก" in card.text and "ผล: ระดับ" in card.text
    chat.say(MUEANG_OFFICER, "1", choice="ok")
    [saved] = current(store, catalog=INDIVIDUAL, kpi="i1")
    assert saved.period == "2025-06"  # KPI 1 is measured monthly (the 20th)
    assert {"growth", "channels", "posts"} <= set(saved.inputs)


def test_out_of_range_value_is_refused_in_thai_and_nothing_is_stored(chat, store):
    text = chat.text(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 150%")
    assert "ยังไม่ได้บันทึก" in text and "ต้องไม่เกิน 100" in text and "ตัวอย่าง" in text
    assert current(store) == []
    assert store.get_state("console:6:6") is None


def test_period_outside_the_round_is_refused(chat, store):
    text = chat.text(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 90% เดือน ม.ค. 68")
    assert "นอกรอบการประเมิน" in text and current(store) == []


def test_cancel_leaves_nothing(chat, store):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 95%")
    assert "ยกเลิกแล้ว" in chat.text(MUEANG_OFFICER, "ยกเลิก")
    assert current(store) == []


def test_undo_keeps_history_and_correct_adds_a_version(chat, store):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 90%")
    chat.say(MUEANG_OFFICER, "ยืนยัน")
    [card] = chat.say(MUEANG_OFFICER, "แก้ไข 96")
    assert "ร้อยละ 96" in card.text
    chat.say(MUEANG_OFFICER, "ยืนยัน")
    [latest] = current(store)
    assert latest.version == 2 and latest.level == 4
    assert "ยกเลิกรายการ" in chat.text(MUEANG_OFFICER, "ยกเลิกรายการล่าสุด")
    [back] = current(store)
    assert back.version == 1 and back.level == 3
    assert len(store.history("yala-mueang", TEAM, "t1")) == 3


def _jpeg() -> bytes:
    buf = BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def test_evidence_right_after_a_report_is_attached_to_that_kpi(chat, store):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 96%")
    chat.say(MUEANG_OFFICER, "ยืนยัน")
    text = chat.text(MUEANG_OFFICER, "", files=(_jpeg(),))
    assert "เก็บหลักฐาน 1 ไฟล์" in text and "เบิกจ่าย" in text
    [ev] = store.evidence_for("yala-mueang", TEAM, "t1")
    assert ev.mime == "image/jpeg" and (ev.width, ev.height) == (32, 24)


def test_evidence_without_a_kpi_asks_which_one(chat, store):
    [ask] = chat.say(MUEANG_OFFICER, "ส่งรูปค่ะ", files=(_jpeg(),))
    assert "ตัวชี้วัดไหน" in ask.text
    pick = next(c for c in ask.choices if "OTOP" in c.label)
    text = chat.text(MUEANG_OFFICER, pick.label, choice=pick.data)
    assert "เก็บหลักฐาน 1 ไฟล์" in text
    assert len(store.evidence_for("yala-mueang", INDIVIDUAL, "i1")) == 1


def test_score_for_own_unit_lists_levels_total_band_and_missing(chat, store):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 100%")
    chat.say(MUEANG_OFFICER, "ยืนยัน")
    text = chat.text(MUEANG_OFFICER, "คะแนนปัจจุบัน")
    assert "คะแนนปัจจุบัน เมืองยะลา" in text
    assert "ตชว.1 เบิกจ่าย: ระดับ 5 (น้ำหนัก 50)" in text
    assert "รวม 50.00 คะแนน (ระดับต้องปรับปรุง)" in text
    assert "สูงสุดที่ยังเป็นไปได้ 100.00 คะแนน" in text


def test_chief_sees_any_district_and_a_ranked_overview(chat, store):
    chat.say(KABANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 100%")
    chat.say(KABANG_OFFICER, "ยืนยัน")
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 80%")
    chat.say(MUEANG_OFFICER, "ยืนยัน")
    assert "คะแนนปัจจุบัน กาบัง" in chat.text(PROVINCE_CHIEF, "คะแนน กาบัง")
    overview = chat.text(PROVINCE_CHIEF, "คะแนนทุกอำเภอ").splitlines()
    ranked = [line for line in overview if line[:2] in ("1.", "2.")]
    # team and individual apart, never averaged (issue 14): กาบัง 250 / 5, เมืองยะลา 50 / 5; the province not ranked
    assert ranked[0].startswith("1. กาบัง") and ranked[1].startswith("2. เมืองยะลา")
    assert overview[overview.index(ranked[0]) + 1].strip().startswith("ทีม 50.00")
    assert overview[overview.index(ranked[1]) + 1].strip().startswith("ทีม 10.00")
    assert not any(line.startswith(("9.", "10.")) for line in overview)


def test_missing_for_a_reporter_and_for_a_coordinator(chat, store):
    mine = chat.text(MUEANG_OFFICER, "ยังไม่ส่ง")
    assert "ตชว.1 เบิกจ่าย (รายทีม" in mine and "เบตง" not in mine
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 100%")
    chat.say(MUEANG_OFFICER, "ยืนยัน")
    theirs = chat.text(COORD_PRASAN, "ยังไม่ส่ง")
    betong = theirs[theirs.index("▸ เบตง"):].split("▸")[1]
    mueang = theirs[theirs.index("▸ เมืองยะลา"):].split("▸")[1] if "▸ เมืองยะลา" in theirs else ""
    assert "ตชว.1 เบิกจ่าย" in betong and "ตชว.1 เบิกจ่าย" not in mueang
    assert "นวัตวิถี" not in theirs  # not the coordinator's group (ส่งเสริม)


def test_deadlines_in_buddhist_era(chat):
    text = chat.text(MUEANG_OFFICER, "กำหนดส่ง")
    assert "20 มิ.ย. 2568" in text and "(ทุกวันที่ 20)" in text
    assert "30 ก.ย. 2568" in text  # end of the round


def test_registration_by_invite_code(chat, store):
    code = store.create_invite("reporter", "yala-betong")
    assert "ลงทะเบียน" in chat.text("tg-777", "สวัสดีครับ")
    welcome = chat.text("tg-777", f"ลงทะเบียน {code}")
    assert "ลงทะเบียนเรียบร้อย" in welcome and "เบตง" in welcome
    person = store.person_by_identity("console", "tg-777")
    assert person is not None and person.role == "reporter" and person.unit_id == "yala-betong"
    assert "ถูกใช้ไปแล้ว" in chat.text("tg-888", f"ลงทะเบียน {code}")


def test_admin_invites_from_the_chat(chat, store):
    text = chat.text(ADMIN, "เชิญ พัฒนากร เบตง")
    code = text.split("): ")[1].split()[0]
    assert "ลงทะเบียน" in chat.text("new-1", f"ลงทะเบียน {code}")
    assert store.person_by_identity("console", "new-1").unit_id == "yala-betong"


def test_mute_and_snooze(chat, store):
    assert "ปิดการเตือนแล้ว" in chat.text(BETONG_OFFICER, "ปิดการเตือนค่ะ")
    assert store.person(BETONG_OFFICER).reminders == "muted"
    assert "เลื่อนการเตือนไป 2 วัน" in chat.text(BETONG_OFFICER, "เลื่อนเตือน 2 วัน")
    assert store.person(BETONG_OFFICER).reminders == "snoozed"
    chat.text(BETONG_OFFICER, "เปิดการเตือน")
    assert store.person(BETONG_OFFICER).reminders == "on"


def test_unknown_kpi_number_says_so_and_offers_the_list(chat, store):
    [ask] = chat.say(MUEANG_OFFICER, "รายงาน ตชว.12 50%")
    assert "ไม่มีตัวชี้วัดที่ 12" in ask.text and len(ask.choices) > 3
    assert store.current("yala-mueang", TEAM) == []


def test_milestone_kpi_takes_which_steps_are_done(chat, store):
    officer = 4  # บันนังสตา chose optional KPI 9 (กข.คจ.) in the demo
    replies = chat.say(officer, "รายงาน กข.คจ. 2 กิจกรรม")
    card = replies[-1]
    if "กรุณาพิมพ์" in card.text:
        card = chat.say(officer, "2")[-1]
    assert "เลือกขั้นตอนที่ดำเนินการแล้ว" in card.text
    first, second = card.choices[0], card.choices[1]
    card = chat.say(officer, first.label, choice=first.data)[-1]
    assert card.text.count("✅") == 1 and card.edit
    card = chat.say(officer, second.label, choice=second.data)[-1]
    assert card.text.count("✅") == 2
    card = chat.say(officer, "เสร็จ", choice="done")[-1]
    assert "ขั้นตอนที่ทำแล้ว: 2 จาก 3" in card.text and "ยืนยันบันทึก" in card.text
    chat.say(officer, "ยืนยัน", choice="ok")
    [saved] = store.current("yala-bannangsata", INDIVIDUAL, "i9")
    assert len(saved.inputs["steps"]) == 2
