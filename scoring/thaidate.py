"""Buddhist Era dates: formatting for rubric texts ("31 ก.ค. 2567") and reading one written date.

Pure, no locale. `parse_date` reads a single date as coordinators type it on the command line or in
an inputs file: "2024-07-31", "2567-07-31" (a year from 2400 is BE), "31/07/2567", "31 ก.ค. 67",
"๓๑ กรกฎาคม ๒๕๖๗", "31 ก.ค. พ.ศ. 2567". The year must be written: a date without one is refused
rather than guessed. The month words and the year rule are the ones the chat understanding uses
(handlers/nlu/dates.py imports them from here), so the CLI and the chat read dates alike.

``BANGKOK`` is the one time zone of the project (Thailand keeps no daylight saving time): every
floor imports it from here, and every clock (``handlers.ports.Clock``) returns times in it.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")  # the one time zone constant: import it, never define another

MONTHS_FULL = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
MONTHS_ABBR = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)
BE_OFFSET = 543

# Month words as staff write them (regular expressions): full, short, abbreviated with or without dots,
# common misspellings, English. Shared with handlers/nlu/dates.py.
MONTH_WORDS: list[tuple[int, list[str]]] = [
    (1, ["มกราคม", "มกรา", r"ม(?:\.\s?)?ค\.?", "jan(?:uary)?"]),
    (2, ["กุมภาพันธ์", "กุมภาพันธ", "กุมภา", r"ก(?:\.\s?)?พ\.?", "feb(?:ruary)?"]),
    (3, ["มีนาคม", "มีนา", r"มี(?:\.\s?)?ค\.?", "mar(?:ch)?"]),
    (4, ["เมษายน", "เมษา", r"เม(?:\.\s?)?ย\.?", "apr(?:il)?"]),
    (5, ["พฤษภาคม", "พฤษภา", "พฤษภาฯ", r"พ(?:\.\s?)?ค\.?", "may"]),
    (6, ["มิถุนายน", "มิถุนา", r"มิ(?:\.\s?)?ย\.?", "june?"]),
    (7, ["กรกฎาคม", "กรกฏาคม", "กรกฎา", "กรกฏา", r"ก(?:\.\s?)?ค\.?", "july?"]),
    (8, ["สิงหาคม", "สิงหา", r"ส(?:\.\s?)?ค\.?", "aug(?:ust)?"]),
    (9, ["กันยายน", "กันยา", r"ก(?:\.\s?)?ย\.?", "sep(?:t|tember)?"]),
    (10, ["ตุลาคม", "ตุลา", r"ต(?:\.\s?)?ค\.?", "oct(?:ober)?"]),
    (11, ["พฤศจิกายน", "พฤศจิกา", "พฤศจิ", r"พ(?:\.\s?)?ย\.?", "nov(?:ember)?"]),
    (12, ["ธันวาคม", "ธันวา", r"ธ(?:\.\s?)?ค\.?", "dec(?:ember)?"]),
]

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_MONTH_ALTS = sorted(((w, m) for m, words in MONTH_WORDS for w in words), key=lambda a: -len(a[0]))
_MONTHS = [(re.compile(rf"(?:{w})\Z", re.IGNORECASE), m) for w, m in _MONTH_ALTS]
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\Z")
_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\Z")
_WORDED = re.compile(r"(?:วันที่\s*|ที่\s*)?(\d{1,2})\s*(.+?)\s*(?:พ\.\s?ศ\.?|ค\.\s?ศ\.?|ปี)?\s*(\d{4}|\d{2})\Z",
                     re.IGNORECASE)


def be_year(day: date) -> int:
    return day.year + BE_OFFSET


def format_be(day: date, *, full: bool = False) -> str:
    """date(2024, 7, 31) -> '31 ก.ค. 2567' (or '31 กรกฎาคม 2567' with full=True)."""
    months = MONTHS_FULL if full else MONTHS_ABBR
    return f"{day.day} {months[day.month - 1]} {be_year(day)}"


def fiscal_year_be(day: date) -> int:
    """The BE fiscal year a day belongs to (1 Oct - 30 Sep, named by the year it ends)."""
    return be_year(day) + (1 if day.month >= 10 else 0)


def year_from(text: str) -> int | None:
    """A CE year from "2568", "68" (short BE), "2025"; None when it is not a plausible year."""
    n = int(text)
    if len(text) == 2:
        return n + 2500 - BE_OFFSET if 50 <= n <= 99 else None
    if 2400 <= n <= 2700:
        return n - BE_OFFSET
    if 1900 <= n <= 2200:
        return n
    return None


def month_of(word: str) -> int | None:
    """The month a whole word names ("ก.ค.", "กค", "กรกฎาคม", "July"), or None."""
    word = word.strip()
    return next((m for pattern, m in _MONTHS if pattern.match(word)), None)


def _safe(year: int | None, month: int | None, day: int) -> date | None:
    if year is None or month is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """One written date with its year, Thai or Arabic digits, BE or CE; None when it is not one.

    >>> parse_date("๓๑ กรกฎาคม ๒๕๖๗"), parse_date("31 ก.ค. 67"), parse_date("2567-07-31")
    (datetime.date(2024, 7, 31), datetime.date(2024, 7, 31), datetime.date(2024, 7, 31))
    """
    text = " ".join(str(text).translate(_THAI_DIGITS).split())
    if m := _ISO.match(text):
        return _safe(year_from(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _NUMERIC.match(text):
        return _safe(year_from(m.group(3)), int(m.group(2)), int(m.group(1)))
    if m := _WORDED.match(text):
        return _safe(year_from(m.group(3)), month_of(m.group(2)), int(m.group(1)))
    return None


def day_arg(text: str) -> date:
    """`parse_date` for command-line options (argparse `type=`): a ValueError when it is not a date."""
    day = parse_date(text)
    if day is None:
        raise ValueError(f"not a date with its year: {text!r} (2024-07-31, 2567-07-31, \"31 ก.ค. 67\")")
    return day
