"""The deadline calendar: what is due when, for a unit's KPIs, with Thai working days.

One calendar for everything that talks about dates: "กำหนดส่ง" shows it, "ยังไม่ส่ง" and the
reminder ladder (handlers/reminders/) use the same cutoffs and the same period rule
(agreements.period_for). Sources:

- monthly measuring days (``measure: {every: month, day: 20}``): one cutoff per month of the
  agreement, for that month's figure;
- dated conditions inside criteria (KPI ``deadlines`` of kind criterion/round, rubric step ``due``);
- round deadlines from the catalog (``deadlines:`` at catalog level) and the end of the round.

Weekends and Thai public holidays come from the ``holidays`` package. When a cutoff falls on a
day off, the catalog's policy (``reminders: {holidays: earlier|move}``) says what happens:
``earlier`` (default) keeps the date and asks for the figure by the last working day before it;
``move`` moves the cutoff to the next working day.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays as _holidays

from scoring.model import Catalog
from scoring.thaidate import format_be

from .agreements import Slot, period_for

WEEKDAYS_TH = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์")
POLICIES = ("earlier", "move")


@dataclass(frozen=True)
class Due:
    day: date
    text: str
    kind: str  # monthly | round | criterion | snapshot
    slot_key: str | None = None


@lru_cache(maxsize=64)
def _thai_holidays(year: int) -> dict[date, str]:
    return dict(_holidays.country_holidays("TH", years=year, language="th").items())


def day_off(day: date) -> str | None:
    """Why a day is not a working day ("วันเสาร์", a holiday's Thai name), or None."""
    name = _thai_holidays(day.year).get(day)
    if name:
        return name.split(";")[0].strip()
    if day.weekday() >= 5:
        return f"วัน{WEEKDAYS_TH[day.weekday()]}"
    return None


def off_phrase(day: date) -> str:
    """'เป็นวันหยุด' for a weekend, 'ตรงกับวันสงกรานต์' for a holiday ("" for a working day)."""
    off = day_off(day)
    if not off:
        return ""
    return "เป็นวันหยุด" if off == f"วัน{WEEKDAYS_TH[day.weekday()]}" else f"ตรงกับ{off}"


def working_on_or_before(day: date) -> date:
    while day_off(day):
        day -= timedelta(days=1)
    return day


def working_on_or_after(day: date) -> date:
    while day_off(day):
        day += timedelta(days=1)
    return day


def day_th(day: date) -> str:
    """'วันศุกร์ 20 มิ.ย. 2568'."""
    return f"วัน{WEEKDAYS_TH[day.weekday()]} {format_be(day)}"


def holiday_policy(catalog: Catalog) -> str:
    policy = str((catalog.reminders or {}).get("holidays", "earlier"))
    if policy not in POLICIES:
        raise ValueError(f"reminders.holidays of {catalog.id} must be one of {POLICIES}, not {policy!r}")
    return policy


@dataclass(frozen=True)
class Cutoff:
    """One dated thing a unit must deliver (or, for snapshots, a date its data is taken at)."""

    nominal: date  # the date as the documents write it
    kind: str  # monthly | round | criterion | snapshot
    what: str  # Thai: what is due
    catalog: Catalog
    slots: tuple[Slot, ...]  # the KPIs this cutoff asks for (all of a catalog's for round deadlines)
    period: str | None = None  # the figure's period for a monthly KPI ("2025-06"); None: period_for(kpi, day)
    step: str | None = None  # a rubric step that must be done by the date
    policy: str = "earlier"

    @property
    def off(self) -> str | None:
        return day_off(self.nominal)

    @property
    def day(self) -> date:
        """The effective cutoff: moved to the next working day under the "move" policy."""
        return working_on_or_after(self.nominal) if self.policy == "move" else self.nominal

    @property
    def submit_by(self) -> date:
        """The last working day on which the figure can be sent in time."""
        return working_on_or_before(self.day)

    @property
    def reminded(self) -> bool:
        """Snapshots are data-as-of dates, not submissions: shown, never reminded."""
        return self.kind != "snapshot"

    def period_of(self, slot: Slot) -> str:
        return self.period or period_for(slot.kpi, self.nominal)

    def note(self) -> str:
        """The holiday remark shown with the date, or ""."""
        off = self.off
        if not off:
            return ""
        if self.policy == "move":
            return f" (เลื่อนจาก{day_th(self.nominal)} ซึ่ง{off_phrase(self.nominal)})"
        return f" ({off_phrase(self.nominal)} กรุณาส่งภายใน{day_th(self.submit_by)})"


def _month_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, _calendar.monthrange(year, month)[1]))


def next_monthly(day_of_month: int, today: date) -> date:
    this_month = _month_day(today.year, today.month, day_of_month)
    if this_month >= today:
        return this_month
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return _month_day(year, month, day_of_month)


def _months(start: date, end: date) -> Iterable[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def cutoffs(slots: Iterable[Slot], start: date, end: date) -> list[Cutoff]:
    """Every cutoff of these slots (one unit's) whose date as written lies in [start, end].

    Monthly cutoffs are limited to the agreement's own months; dated criteria and catalog
    deadlines are taken as the documents give them.
    """
    found: dict[tuple, Cutoff] = {}
    by_catalog: dict[tuple[int, str], list[Slot]] = {}
    for slot in slots:
        by_catalog.setdefault((slot.agreement.id, slot.catalog.id), []).append(slot)
        kpi, policy = slot.kpi, holiday_policy(slot.catalog)
        if kpi.measure and kpi.measure.every == "month" and kpi.measure.day:
            lo, hi = max(start, slot.agreement.start), min(end, slot.agreement.end)
            for year, month in _months(lo, hi) if lo <= hi else ():
                day = _month_day(year, month, kpi.measure.day)
                if lo <= day <= hi:
                    what = f"รายงานผล{slot.short} ประจำเดือน (ทุกวันที่ {kpi.measure.day})"
                    found[(day, what)] = Cutoff(day, "monthly", what, slot.catalog, (slot,),
                                                f"{year:04d}-{month:02d}", policy=policy)
        for d in kpi.deadlines:
            if d.kind in ("criterion", "round") and start <= d.date <= end:
                what = f"{slot.short}: {d.th}"
                found[(d.date, what)] = Cutoff(d.date, d.kind, what, slot.catalog, (slot,), policy=policy)
        for step in kpi.rubric.steps:
            if step.due and start <= step.due <= end:
                what = f"{slot.short}: {step.th}"
                found[(step.due, what)] = Cutoff(step.due, "criterion", what, slot.catalog, (slot,),
                                                 step=step.id, policy=policy)
    for group in by_catalog.values():
        catalog, agreement = group[0].catalog, group[0].agreement
        policy = holiday_policy(catalog)
        for d in catalog.deadlines:
            if start <= d.date <= end:
                found.setdefault((d.date, d.th), Cutoff(d.date, d.kind, d.th, catalog, tuple(group), policy=policy))
        if start <= agreement.end <= end:
            what = f"สิ้นรอบการประเมิน ({group[0].set_name()})"
            found.setdefault((agreement.end, what),
                             Cutoff(agreement.end, "round", what, catalog, tuple(group), policy=policy))
    return sorted(found.values(), key=lambda c: (c.day, c.what))


def deadlines(slots: list[Slot], today: date, horizon_days: int = 120) -> list[Due]:
    """What "กำหนดส่ง" shows: the coming cutoffs, each monthly KPI's next one only."""
    items: dict[tuple[date, str], Due] = {}
    seen_monthly: set[str] = set()
    for c in cutoffs(slots, today - timedelta(days=7), today + timedelta(days=horizon_days)):
        if c.day < today or (c.day - today).days > horizon_days:
            continue
        if c.kind == "monthly":
            key = c.slots[0].key
            if key in seen_monthly:
                continue
            seen_monthly.add(key)
        slot_key = c.slots[0].key if len(c.slots) == 1 else None
        items[(c.day, c.what)] = Due(c.day, c.what + c.note(), c.kind, slot_key)
    return sorted(items.values(), key=lambda d: (d.day, d.text))
