"""Fiscal years and rounds (scoring/rounds.py), from DOMAIN.md's cycle: FY2568 = 1 Oct 2024 – 30 Sep 2025;
round 1 = 1 Oct – 31 Mar, round 2 = 1 Apr – 30 Sep."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scoring.rounds import Round, round_dates, round_of
from scoring.thaidate import BANGKOK, fiscal_year_be


def test_fiscal_year_2568_as_domain_md_states_it():
    assert round_dates(2568) == Round(2568, None, date(2024, 10, 1), date(2025, 9, 30))


@pytest.mark.parametrize("number, start, end", [
    (1, date(2024, 10, 1), date(2025, 3, 31)),
    (2, date(2025, 4, 1), date(2025, 9, 30)),
])
def test_rounds_of_fy2568(number, start, end):
    r = round_dates(2568, number)
    assert (r.fiscal_year, r.number, r.start, r.end) == (2568, number, start, end)


def test_the_seed_documents_rounds():
    assert round_dates(2567, 1).start == date(2023, 10, 1)  # 000: FY2567 round 1
    assert round_dates(2565, 2).end == date(2022, 9, 30)  # 003: Buriram FY2565 round 2


@pytest.mark.parametrize("day, fy, number", [
    (date(2024, 9, 30), 2567, 2),
    (date(2024, 10, 1), 2568, 1),
    (date(2024, 12, 31), 2568, 1),
    (date(2025, 1, 1), 2568, 1),
    (date(2025, 3, 31), 2568, 1),
    (date(2025, 4, 1), 2568, 2),
    (date(2025, 6, 20), 2568, 2),
    (date(2025, 9, 30), 2568, 2),
])
def test_round_of_a_day_at_the_edges(day, fy, number):
    r = round_of(day)
    assert (r.fiscal_year, r.number) == (fy, number)
    assert day in r and fiscal_year_be(day) == fy


def test_every_day_of_a_year_lies_in_exactly_one_round_and_rounds_tile_the_year():
    year = round_dates(2568)
    r1, r2 = round_dates(2568, 1), round_dates(2568, 2)
    assert r1.start == year.start and r2.end == year.end and r1.end + timedelta(days=1) == r2.start
    day = year.start
    while day <= year.end:
        assert round_of(day) in (r1, r2) and (day in r1) != (day in r2)
        day += timedelta(days=1)


def test_unknown_round_is_refused():
    with pytest.raises(ValueError):
        round_dates(2568, 3)


def test_the_one_time_zone():
    assert str(BANGKOK) == "Asia/Bangkok"
