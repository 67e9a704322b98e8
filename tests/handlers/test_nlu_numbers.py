"""Numbers as staff type them: Thai and Arabic digits, number words, separators, percent marks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.nlu import find_values, parse_value
from handlers.nlu.text import clean, words_to_number


@pytest.mark.parametrize(
    ("text", "value", "percent"),
    [
        ("92.5", "92.5", False),
        ("๙๒.๕", "92.5", False),
        ("๙2.5", "92.5", False),  # mixed digits
        ("33,109,323.18", "33109323.18", False),
        ("๓๓,๑๐๙,๓๒๓.๑๘", "33109323.18", False),
        ("ร้อยละ 92.5", "92.5", True),
        ("ร้อยละ๙๒.๕", "92.5", True),
        ("92.5%", "92.5", True),
        ("92.5 %", "92.5", True),
        ("92.5 เปอร์เซ็นต์", "92.5", True),
        ("92.5เปอร์เซ็น", "92.5", True),
        ("เก้าสิบสอง", "92", False),
        ("สามพันห้าร้อย", "3500", False),
        ("เก้าสิบสองจุดห้า", "92.5", False),
        ("ร้อยละเก้าสิบสอง", "92", True),
        ("เก้าสิบสองเปอร์เซ็นต์ครับ", "92", True),
        ("หนึ่งล้านสองแสน", "1200000", False),
        ("ร้อยเปอร์เซ็นต์", "100", True),
        ("-5", "-5", False),
        ("90.50 ค่ะ", "90.50", False),
    ],
)
def test_one_value(text, value, percent):
    v = parse_value(text)
    assert v is not None
    assert v.value == Decimal(value)
    assert v.percent is percent


def test_values_in_order_with_spans():
    found = find_values(clean("ช่องทาง 3 โพสต์ 4 รายได้เพิ่ม 12.5%"))
    assert [(f.value.value, f.value.percent) for f in found] == [
        (Decimal(3), False), (Decimal(4), False), (Decimal("12.5"), True)]


def test_number_words_inside_thai_words_are_left_alone():
    # สามารถ, ศูนย์เรียนรู้, ร้อยละ, กุมภาพันธ์ contain number words but are not numbers
    assert find_values(clean("สามารถลดหนี้ได้")) == []
    assert find_values(clean("ศูนย์เรียนรู้โคกหนองนา")) == []
    assert find_values(clean("เดือนกุมภาพันธ์")) == []
    assert [f.value.value for f in find_values(clean("ลดหนี้ได้ยี่สิบคน"))] == [Decimal(20)]


def test_particles_and_emoji_do_not_matter():
    assert clean("เบิกจ่าย 90% ครับผม 😊") == "เบิกจ่าย 90%"
    assert clean("คะแนนนะคะ") == "คะแนน"  # คะ at the start of คะแนน is not a particle


def test_doubled_vowel_is_normalised():
    assert clean("คะเเนน") == "คะแนน"


def test_not_one_number():
    assert parse_value("3 ช่องทาง 4 ครั้ง") is None
    assert parse_value("สวัสดี") is None
    assert words_to_number("ไม่ใช่ตัวเลข") is None
