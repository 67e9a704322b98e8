"""Dates and periods in clean text: Thai months (full, short, abbreviated with or without dots),
BE and CE years (short BE years "68"), numeric dates, and relative periods ("เดือนนี้", "เดือนที่แล้ว",
"รอบนี้"). A monthly period is "YYYY-MM" (CE); "รอบนี้" (the current round, every request's default) gives no
period of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.thaidate import MONTH_WORDS as _MONTH_WORDS
from scoring.thaidate import year_from

_ALTS: list[tuple[str, int]] = []
for _month, _words in _MONTH_WORDS:
    for _w in _words:
        _ALTS.append((_w, _month))
# longest first so "มกราคม" wins over "มกรา"; abbreviations carry dots or are guarded below
_ALTS.sort(key=lambda a: -len(a[0]))
_MONTH_GROUPS = "|".join(f"(?P<m{i}>{w})" for i, (w, _m) in enumerate(_ALTS))

_THAI = r"\u0E01-\u0E4E"
_YEAR_WORD = r"(?:ปีงบประมาณ|ปีงบฯ?|ปี\s*พ\.?\s?ศ\.?|พ\.\s?ศ\.?|ค\.\s?ศ\.?|ปี)"
DATE = re.compile(
    rf"(?:(?<!\d)(?P<day>\d{{1,2}})(?!\d)\s*)?(?<![a-zA-Z])(?:{_MONTH_GROUPS})(?![a-zA-Z])"
    rf"(?:\s*{_YEAR_WORD}?\s*(?P<year>\d{{4}}|\d{{2}})(?![\d.,%]))?",
    re.IGNORECASE,
)
NUMERIC_DATE = re.compile(r"(?<![\d.,/])(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})(?![\d/])")
ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
MONTH_YEAR = re.compile(r"(?<![\d.,/])(\d{1,2})/(\d{4}|\d{2})(?![\d/.,])")
YEAR_ONLY = re.compile(rf"{_YEAR_WORD}\s*(\d{{4}}|\d{{2}})(?![\d.,%])")
TIME = re.compile(r"(?<![\d.])\d{1,2}[.:]\d{2}\s*(?:น\.|นาฬิกา)")
NOT_THAI_AFTER = re.compile(rf"(?![{_THAI}])")

RELATIVE = [
    (re.compile(r"เดือนนี้|เดือนปัจจุบัน|this\s*month"), "this_month"),
    (re.compile(r"เดือนที่แล้ว|เดือนก่อน(?:หน้า)?|เดือนที่ผ่านมา|(?<!ทุก)(?<!ทุก )เดือนแล้ว|last\s*month"), "last_month"),
    (re.compile(r"เดือนหน้า|next\s*month"), "next_month"),
    (re.compile(r"รอบนี้|รอบปัจจุบัน|รอบการประเมินนี้"), "this_round"),
    (re.compile(r"วันนี้|today"), "today"),
    (re.compile(r"เมื่อวานนี้|เมื่อวาน|yesterday"), "yesterday"),
]


@dataclass
class DateMatch:
    start: int
    end: int
    period: str | None = None
    day: date | None = None
    kind: str = "date"  # date | month | relative | year | time


def fiscal_year_ce(today: date) -> int:
    """The CE year the fiscal year of `today` ends in (1 Oct - 30 Sep)."""
    return today.year + (1 if today.month >= 10 else 0)


def month_year(month: int, today: date) -> int:
    """A month without a year: the one inside the fiscal year that contains today."""
    end = fiscal_year_ce(today)
    return end - 1 if month >= 10 else end


def round_period(today: date) -> str:
    fy_be = fiscal_year_ce(today) + 543
    return f"FY{fy_be}-R{1 if today.month >= 10 or today.month <= 3 else 2}"


def _shift_month(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _month_of(m: re.Match[str]) -> int:
    for i, (_w, month) in enumerate(_ALTS):
        if m.group(f"m{i}") is not None:
            return month
    raise AssertionError("no month group matched")


def _undotted_ok(m: re.Match[str], text: str) -> bool:
    """Abbreviations written without dots ("พค") only count with a day or year, or after เดือน."""
    word = m.group(0)
    if "." in word or len(_strip(word)) > 4 or m.group("day") or m.group("year"):
        return True
    return text[max(0, m.start() - 6):m.start()].rstrip().endswith("เดือน")


def _strip(word: str) -> str:
    return re.sub(r"[\s\d.]", "", word)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


_OCSC = re.compile(r"(?:ของ|สำนักงาน|สนง\.?|ระเบียบ|มติ|หลักสูตร|e-?learning)\s*$", re.IGNORECASE)


def find_dates(text: str, today: date) -> list[DateMatch]:
    """Dates, months, relative periods and lone years in clean text, in order of position."""
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    def add(match: DateMatch) -> None:
        found.append(match)
        taken.append((match.start, match.end))

    for m in ISO_DATE.finditer(text):
        d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            add(DateMatch(m.start(), m.end(), f"{d.year:04d}-{d.month:02d}", d))
    for m in NUMERIC_DATE.finditer(text):
        year = year_from(m.group(3))
        d = _safe_date(year, int(m.group(2)), int(m.group(1))) if year else None
        if d and free(m.start(), m.end()):
            add(DateMatch(m.start(), m.end(), f"{d.year:04d}-{d.month:02d}", d))
    for m in DATE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        month_text = next(m.group(f"m{i}") for i in range(len(_ALTS)) if m.group(f"m{i}") is not None)
        after = text[m.start() + m.group(0).find(month_text) + len(month_text):][:1]
        if re.match(rf"[{_THAI}]", after) and "." not in month_text and len(_strip(month_text)) <= 4:
            continue  # "พค" inside a longer word is not a month
        if re.match(rf"[{_THAI}]", after) and not month_text.endswith(".") and re.search(r"\s", month_text):
            continue  # "ปชส. ความก้าวหน้า": an abbreviation's dot and the next word's first letter, no "ส.ค."
        at = m.start() + m.group(0).find(month_text)
        if re.match(rf"[{_THAI}]", after) and not month_text.endswith(".") and not m.group("day") \
                and at > 0 and re.match(rf"[{_THAI}]", text[at - 1]):
            continue  # "ปชส.ความก้าวหน้า": letters of two words joined by an abbreviation's dot, no "ส.ค."
        if not _undotted_ok(m, text):
            continue
        if _strip(month_text) == "กพ" and not m.group("day") and not m.group("year") and _OCSC.search(
                text[:m.start() + m.group(0).find(month_text)]):
            continue  # "หลักสูตรออนไลน์ของ ก.พ.": the Civil Service Commission, not February
        month = _month_of(m)
        start, end = m.start(), m.end()
        year = year_from(m.group("year")) if m.group("year") else None
        if m.group("year") and year is None:
            end = m.start("year")  # "พ.ค. 92%": 92 is a value, not a year
            end = start + len(text[start:end].rstrip())
        if year is None:
            year = month_year(month, today)
        day = None
        if m.group("day"):
            day = _safe_date(year, month, int(m.group("day")))
            if day is None:
                start = m.start(0) + m.group(0).find(month_text)
        add(DateMatch(start, end, f"{year:04d}-{month:02d}", day, "date" if day else "month"))
    for m in MONTH_YEAR.finditer(text):
        year = year_from(m.group(2))
        month = int(m.group(1))
        if year and 1 <= month <= 12 and free(m.start(), m.end()):
            add(DateMatch(m.start(), m.end(), f"{year:04d}-{month:02d}", None, "month"))
    for pattern, kind in RELATIVE:
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            if kind == "this_month":
                add(DateMatch(m.start(), m.end(), f"{today.year:04d}-{today.month:02d}", None, "relative"))
            elif kind in ("last_month", "next_month"):
                y, mo = _shift_month(today, -1 if kind == "last_month" else 1)
                add(DateMatch(m.start(), m.end(), f"{y:04d}-{mo:02d}", None, "relative"))
            elif kind == "this_round":
                # the current round is every request's default period: said, it names nothing more
                add(DateMatch(m.start(), m.end(), None, None, "relative"))
            elif kind == "today":
                add(DateMatch(m.start(), m.end(), None, today, "relative"))
            else:
                add(DateMatch(m.start(), m.end(), None, today - timedelta(days=1), "relative"))
    for m in YEAR_ONLY.finditer(text):
        if year_from(m.group(1)) and free(m.start(), m.end()):
            add(DateMatch(m.start(), m.end(), None, None, "year"))
    for m in TIME.finditer(text):
        if free(m.start(), m.end()):
            add(DateMatch(m.start(), m.end(), None, None, "time"))
    found.sort(key=lambda d: d.start)
    return found


def parse_period(text: str, today: date) -> str | None:
    """The first period in a short answer ("พ.ค. 68", "เดือนที่แล้ว"), or None."""
    from .text import clean

    for match in find_dates(clean(text), today):
        if match.period:
            return match.period
    return None


def parse_date(text: str, today: date) -> date | None:
    from .text import clean

    for match in find_dates(clean(text), today):
        if match.day:
            return match.day
    return None
