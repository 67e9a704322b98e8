"""Hostile or careless values never escape the conversation (issue 13, "Values and text"): each gets a clear
Thai reply and nothing is stored."""

from __future__ import annotations

import pytest

from tests.handlers.conftest import MUEANG_OFFICER
from tests.handlers.test_issue10_reports import nothing_stored


@pytest.mark.parametrize("text", [
    "รายงาน ตชว.1 เบิกจ่าย " + "9" * 5000,            # 5,000 digits: int() refuses over 4,300
    "รายงาน ตชว.1 เบิกจ่าย " + "1" * 30,              # 30 significant digits: past Decimal's precision
    "รายงาน ตชว.1 ใช้จ่ายแล้ว 1" + "0" * 40 + " บาท จากงบ 2" + "0" * 40 + " บาท",
    "รายงาน ลดหนี้ 100000000000000000000 ครัวเรือน",   # 10^20 households
    "/snooze 99999999999",
    "เลื่อนเตือน 99999999999 วัน",
])
def test_huge_numbers_get_a_thai_reply_and_nothing_is_stored(chat, store, text):
    assert nothing_stored(store)  # the demo is built without figures
    replies = chat.say(MUEANG_OFFICER, text)
    joined = " ".join(r.text for r in replies)
    assert replies and all("\u0e00" <= ch <= "\u0e7f" or not ch.isalpha() or ch.isascii() for ch in joined)
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in joined)  # answered in Thai
    chat.say(MUEANG_OFFICER, "ยืนยัน")  # a confirm after it stores nothing
    chat.say(MUEANG_OFFICER, "1,000,000")  # nor does an answer to a question it asked
    chat.say(MUEANG_OFFICER, "ยืนยัน")
    assert nothing_stored(store)


@pytest.mark.parametrize("text, said", [
    ("รายงาน ลดหนี้ 1,000,000,000,000 ครัวเรือน", "มากเกินกว่าที่เป็นไปได้"),
    ("รายงาน ตชว.1 ใช้จ่ายแล้ว 1" + "0" * 5000 + " บาท จากงบ 2" + "0" * 5000 + " บาท", "ยาวเกินไป"),
])
def test_the_reply_says_what_was_wrong(chat, text, said):
    assert said in chat.text(MUEANG_OFFICER, text)


def test_a_very_long_message_is_refused_before_understanding(chat, store):
    assert nothing_stored(store)  # the demo is built without figures
    [reply] = chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 92.5 " + "ก" * 10_000)
    assert "ข้อความยาวเกินไป" in reply.text and "2,000" in reply.text
    chat.say(MUEANG_OFFICER, "ยืนยัน")
    assert nothing_stored(store)


def test_a_negative_count_is_refused(chat):
    text = chat.text(MUEANG_OFFICER, "รายงาน ลดหนี้ -5 ครัวเรือน")
    assert "ยังไม่ได้บันทึก" in text and "ไม่น้อยกว่า 0" in text
