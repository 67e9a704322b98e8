"""Numbers in clean text: Arabic digits (Thai digits and number words are already converted by
text.clean), thousands separators, decimals, and percent marks ("ร้อยละ 92.5", "92.5%", "92.5 เปอร์เซ็นต์").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .text import clean


@dataclass
class Value:
    value: Decimal
    percent: bool
    text: str  # as found in the clean text (Arabic digits; number words already turned into digits)


NUMBER = re.compile(
    r"(?P<sign>(?:(?<=\s)|(?<=^)|(?<=[=:(]))[-−])?"
    r"(?<![A-Za-z0-9.,])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![0-9])"
)
_PERCENT_AFTER = re.compile(
    r"\s*(?:%|เปอร์เซ็นต์|เปอร์เซนต์|เปอร์เซ็นท์|เปอร์เซ็น|เปอร์เซน|เปอร์เซ้นต์|เปอเซ็นต์|เปอเซนต์|เปอเซ็น|เปอเซน|เปอร์|percent"
    r"|pct)", re.IGNORECASE
)
_PERCENT_BEFORE = re.compile(r"(?:ร้อยละ|ร้อยล่ะ|รอ้ยละ)\s*(?:ได้\s*)?$")


@dataclass
class Found:
    value: Value
    start: int
    end: int


def to_decimal(digits: str) -> Decimal | None:
    try:
        return Decimal(digits.replace(",", ""))
    except InvalidOperation:
        return None


def find_values(text: str) -> list[Found]:
    """All numbers in (clean, masked) text, in order, with their spans."""
    found: list[Found] = []
    for m in NUMBER.finditer(text):
        number = to_decimal(m.group("num"))
        if number is None:
            continue
        if m.group("sign"):
            number = -number
        start, end = m.start(), m.end()
        percent = False
        after = _PERCENT_AFTER.match(text, end)
        if after:
            percent, end = True, after.end()
        before = _PERCENT_BEFORE.search(text, max(0, start - 12), start)
        if before:
            percent, start = True, before.start()
        found.append(Found(Value(number, percent, text[start:end].strip()), start, end))
    return found


def parse_value(text: str) -> Value | None:
    """One number from a short answer ("92.5%", "ร้อยละ ๙๒.๕", "เก้าสิบสอง ครับ"); None unless exactly one."""
    found = find_values(clean(text))
    return found[0].value if len(found) == 1 else None
