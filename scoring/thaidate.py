"""Buddhist Era dates for rubric texts ("31 ก.ค. 2567"); pure, no locale."""

from __future__ import annotations

from datetime import date

MONTHS_FULL = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
MONTHS_ABBR = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)
BE_OFFSET = 543


def be_year(day: date) -> int:
    return day.year + BE_OFFSET


def format_be(day: date, *, full: bool = False) -> str:
    """date(2024, 7, 31) -> '31 ก.ค. 2567' (or '31 กรกฎาคม 2567' with full=True)."""
    months = MONTHS_FULL if full else MONTHS_ABBR
    return f"{day.day} {months[day.month - 1]} {be_year(day)}"


def fiscal_year_be(day: date) -> int:
    """The BE fiscal year a day belongs to (1 Oct - 30 Sep, named by the year it ends)."""
    return be_year(day) + (1 if day.month >= 10 else 0)
