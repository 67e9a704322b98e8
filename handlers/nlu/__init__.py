"""Thai understanding: messages as staff type them -> intent, KPI candidates, values, period.

Pure: imports scoring and pythainlp/rapidfuzz, never bot/, a channel SDK or a database driver.
Call warm_up() at start (the first pythainlp calls take about a second).
"""

from __future__ import annotations

from .dates import find_dates, parse_date, parse_period
from .kpis import KpiRef
from .numbers import Value, find_values, parse_value
from .understand import Understanding, understand, warm_up

__all__ = [
    "KpiRef", "Understanding", "Value", "find_dates", "find_values", "parse_date", "parse_period",
    "parse_value", "understand", "warm_up",
]
