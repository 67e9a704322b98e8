"""What a chief looks at, as plain data: a unit's appraisal sheet, a province's ranking, missing items,
a monthly trend. Built here from the store and the catalogs (pure over the Store port); drawn elsewhere:
charts, the official Excel form and the PDF to sign are renderers in `bot/exports/` that take only
these dataclasses, and the chat views turn them into text. One model, so the card, the chart, the
workbook and the PDF can never disagree on a figure.

Figures are Decimal as the scoring engine computes them (scoring/totals.py): ค = ก × ข, Σค, the 0-100
score (Σค / 5, half-up to 2 places) and its band come from `scoring.totals.total`, never recomputed.
Dates are `datetime.date` (renderers print them in BE).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class KpiLine:
    """One KPI of an agreement, one row of the official form (004 annex 2)."""

    number: str  # "1", "2.1" as the document numbers it
    name: str  # the KPI's name in the document's words
    criteria: tuple[str, ...]  # level 1..5, the document's words (empty strings where it has none)
    result: str  # the figure as read, Thai ("ร้อยละ 86.40", "24 จาก 30 ครัวเรือน"); "" when not reported
    level: int | None  # ก (None: not reported yet)
    weight: Decimal  # ข
    weighted: Decimal | None  # ค = ก × ข (None when not reported)
    evidence: int = 0  # evidence files stored for this KPI in the round
    monthly: bool = False  # reported month by month (a trend exists)
    kpi_id: str = ""  # catalog KPI id, for links back (trend, evidence)


@dataclass(frozen=True)
class Sheet:
    """One agreement of one unit for the round: the form's table, total and band."""

    unit: str  # unit name ("เมืองยะลา")
    unit_kind: str  # "province" | "district" | ...
    catalog_id: str
    set_name: str  # "รายทีม" | "รายบุคคล" | the catalog's own set word
    title: str  # the document's title of the agreement
    round_label: str  # "รอบที่ 2 ปีงบประมาณ 2568"
    round_start: date | None
    round_end: date | None
    parties: tuple[str, str]  # (the one appraised, the appraiser), e.g. ("พัฒนาการอำเภอเมืองยะลา", "พัฒนาการจังหวัดยะลา")
    lines: tuple[KpiLine, ...]
    weights_total: Decimal  # Σข
    weighted_sum: Decimal  # Σค (missing KPIs count 0)
    score100: Decimal  # the form's 0-100 figure
    band: str  # Thai band name ("ดีเด่น", "ดีมาก", ...)
    missing: int  # KPIs not reported yet
    notes: tuple[str, ...] = ()  # Thai, e.g. the weights note when Σข ≠ 100


@dataclass(frozen=True)
class RankRow:
    """One child unit in its parent's ranking; team and individual are never averaged together."""

    unit: str
    team: Decimal | None  # score100 of the team agreement (None: no such agreement)
    team_band: str | None
    individual: Decimal | None
    individual_band: str | None
    missing: int  # KPIs still unreported, all agreements
    change: Decimal | None = None  # team score now minus at the end of last month (None: no figure then)


@dataclass(frozen=True)
class MissingItem:
    """One KPI figure a unit still owes."""

    unit: str
    kpi: str  # short label, "ตชว.1 เบิกจ่าย"
    set_name: str
    period: str  # "2025-07" or "round"
    cutoff: date | None  # the date it is due
    status: str  # "overdue" | "soon" (within 7 days) | "later"
    who: str = ""  # the person who should send it
    phone: str = ""


@dataclass(frozen=True)
class TrendPoint:
    month: str  # "2025-06"
    value: Decimal | None  # the KPI's main figure that month (None: not reported)
    level: int | None


@dataclass(frozen=True)
class Trend:
    unit: str
    kpi: str  # short label
    unit_word: str  # "ร้อยละ", "ครัวเรือน", ...
    points: tuple[TrendPoint, ...]
    thresholds: tuple[tuple[int, Decimal], ...] = ()  # (level, the figure that reaches it), for band lines


@dataclass(frozen=True)
class Book:
    """Everything a province (or district) workbook holds."""

    title: str  # "จังหวัดยะลา"
    today: date
    round_label: str
    ranking: tuple[RankRow, ...]
    sheets: tuple[Sheet, ...]
    missing: tuple[MissingItem, ...]
    bands: tuple[tuple[str, Decimal], ...] = field(default=())  # (band name, lowest score100), best first
