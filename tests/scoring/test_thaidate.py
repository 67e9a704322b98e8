"""One written date, as coordinators type it (DOMAIN: "๑๖ พฤษภาคม ๒๕๖๗", "16 พ.ค. 67", short BE years)."""

from __future__ import annotations

from datetime import date

import pytest

from scoring.thaidate import format_be, month_of, parse_date

JULY_31 = date(2024, 7, 31)  # 31 ก.ค. 2567


@pytest.mark.parametrize("text", [
    "31 ก.ค. 67", "31 ก.ค. 2567", "31 ก.ค.2567", "31 กค 67", "๓๑ กรกฎาคม ๒๕๖๗", "31 กรกฏาคม 2567",
    "วันที่ 31 ก.ค. พ.ศ. 2567", "2567-07-31", "2024-07-31", "31/07/2567", "31/7/67", "31.07.2567", "31 July 2024",
    " 31  ก.ค.  67 ",
])
def test_the_same_day_in_every_form(text):
    assert parse_date(text) == JULY_31


@pytest.mark.parametrize("text", [
    "31 ก.ค.",  # no year: refused, not guessed
    "31 ก.พ. 67",  # no such day
    "31 ก.ค. 17",  # a two-digit year is a short BE year (50-99), 17 is none
    "2567-13-01", "hello", "", "92.5",
])
def test_not_a_date(text):
    assert parse_date(text) is None


def test_two_september_2565_from_003():
    # 003:L60 "ภายในวันที่ ๒ กันยายน ๒๕๖๕"
    assert parse_date("๒ กันยายน ๒๕๖๕") == date(2022, 9, 2)
    assert format_be(parse_date("2 ก.ย. 65")) == "2 ก.ย. 2565"  # type: ignore[arg-type]


def test_months_by_word():
    assert [month_of(w) for w in ("ม.ค.", "กพ", "มีนาคม", "เม.ย", "พฤษภา", "มิ.ย.", "ก.ค.", "สิงหาคม",
                                  "ก.ย.", "ตุลา", "พ.ย.", "ธันวาคม")] == list(range(1, 13))
    assert month_of("ก.ค.ก") is None
