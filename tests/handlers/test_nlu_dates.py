"""Dates and periods: Thai months full and abbreviated, BE/CE and short BE years, relative periods."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.nlu import parse_date, parse_period
from handlers.nlu.dates import fiscal_year_ce, month_year, round_period, year_from

TODAY = date(2025, 6, 10)  # FY2568 round 2


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("16 พ.ค. 67", date(2024, 5, 16)),
        ("๑๖ พฤษภาคม ๒๕๖๗", date(2024, 5, 16)),
        ("16 พ.ค.2567", date(2024, 5, 16)),
        ("16 พค 67", date(2024, 5, 16)),
        ("ณ วันที่ 20 มิ.ย. 68", date(2025, 6, 20)),
        ("16/05/2568", date(2025, 5, 16)),
        ("16/5/68", date(2025, 5, 16)),
        ("2025-05-16", date(2025, 5, 16)),
        ("31 ก.ค. 2025", date(2025, 7, 31)),
        ("1 ต.ค.", date(2024, 10, 1)),  # no year: inside the fiscal year of today
        ("วันนี้", TODAY),
        ("เมื่อวาน", date(2025, 6, 9)),
    ],
)
def test_days(text, day):
    assert parse_date(text, TODAY) == day


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("พ.ค. 68", "2025-05"),
        ("พค68", "2025-05"),
        ("เดือน มีค", "2025-03"),
        ("มกราคม", "2025-01"),
        ("ตุลาคม", "2024-10"),
        ("ธ.ค.", "2024-12"),
        ("ก.ย.", "2025-09"),
        ("กันยายน 2568", "2025-09"),
        ("กรกฏาคม ๒๕๖๘", "2025-07"),  # common misspelling of กรกฎาคม
        ("พฤษภา", "2025-05"),
        ("05/2568", "2025-05"),
        ("may 2025", "2025-05"),
        ("เดือนนี้", "2025-06"),
        ("เดือนที่แล้ว", "2025-05"),
        ("เดือนก่อน", "2025-05"),
        ("รอบนี้", None),  # the current round: every request's default, no period of its own
        ("16 พ.ค. 67", "2024-05"),
    ],
)
def test_periods(text, period):
    assert parse_period(text, TODAY) == period


def test_month_without_dots_needs_context():
    # "พค" alone inside other text is not read as May; with a year or after เดือน it is
    assert parse_period("กพค", TODAY) is None
    assert parse_period("เดือน พค", TODAY) == "2025-05"


def test_a_value_after_a_month_is_not_a_year():
    assert parse_period("พ.ค. 92%", TODAY) == "2025-05"


def test_years():
    assert year_from("68") == 2025
    assert year_from("2568") == 2025
    assert year_from("2025") == 2025
    assert year_from("12") is None
    assert fiscal_year_ce(date(2024, 10, 1)) == 2025
    assert month_year(10, TODAY) == 2024 and month_year(9, TODAY) == 2025
    assert round_period(date(2024, 11, 5)) == "FY2568-R1"
    assert round_period(TODAY) == "FY2568-R2"
