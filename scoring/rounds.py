"""Fiscal years and appraisal rounds: the dates of the cycle, computed in this one place.

The cycle (DOMAIN.md): a fiscal year (ปีงบประมาณ) runs 1 Oct – 30 Sep and is named by the Buddhist
Era year in which it ends (FY2568 = 1 Oct 2024 – 30 Sep 2025); round 1 runs 1 Oct – 31 Mar, round 2
1 Apr – 30 Sep. Pure: no clock, no I/O; the caller says which day is "today".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scoring.thaidate import BE_OFFSET, fiscal_year_be

ROUNDS = (1, 2)


@dataclass(frozen=True)
class Round:
    """One appraisal period: a round of a fiscal year, or the whole year (number None)."""

    fiscal_year: int  # BE, named by the year it ends: 2568
    number: int | None  # 1 | 2 | None (the whole fiscal year)
    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def round_dates(fiscal_year: int, number: int | None = None) -> Round:
    """The dates of round 1 or 2 of a BE fiscal year, or of the whole year when number is None.

    >>> round_dates(2568, 2)
    Round(fiscal_year=2568, number=2, start=datetime.date(2025, 4, 1), end=datetime.date(2025, 9, 30))
    """
    if number not in (None, *ROUNDS):
        raise ValueError(f"round must be 1 or 2, not {number!r}")
    end_year = fiscal_year - BE_OFFSET
    if number == 1:
        return Round(fiscal_year, 1, date(end_year - 1, 10, 1), date(end_year, 3, 31))
    if number == 2:
        return Round(fiscal_year, 2, date(end_year, 4, 1), date(end_year, 9, 30))
    return Round(fiscal_year, None, date(end_year - 1, 10, 1), date(end_year, 9, 30))


def round_of(day: date) -> Round:
    """The round that contains a day: 1 Oct – 31 Mar is round 1, 1 Apr – 30 Sep round 2."""
    return round_dates(fiscal_year_be(day), 1 if day.month >= 10 or day.month <= 3 else 2)


__all__ = ["ROUNDS", "Round", "round_dates", "round_of"]
