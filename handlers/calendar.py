"""Upcoming deadlines of a unit's KPIs: monthly measuring days, round and criterion dates.

(The reminder ladder, holidays and quiet hours come with the reminders issue; this is
what "กำหนดส่ง" shows now.)
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date

from .agreements import Slot


@dataclass(frozen=True)
class Due:
    day: date
    text: str
    kind: str  # monthly | round | criterion | snapshot
    slot_key: str | None = None


def _month_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, _calendar.monthrange(year, month)[1]))


def next_monthly(day_of_month: int, today: date) -> date:
    this_month = _month_day(today.year, today.month, day_of_month)
    if this_month >= today:
        return this_month
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return _month_day(year, month, day_of_month)


def deadlines(slots: list[Slot], today: date, horizon_days: int = 120) -> list[Due]:
    found: dict[tuple[date, str], Due] = {}
    catalogs_seen: set[str] = set()
    for slot in slots:
        end = slot.agreement.end
        kpi = slot.kpi
        if kpi.measure and kpi.measure.every == "month" and kpi.measure.day:
            day = next_monthly(kpi.measure.day, today)
            if day <= end:
                text = f"รายงานผล{slot.short} ประจำเดือน (ทุกวันที่ {kpi.measure.day})"
                found[(day, text)] = Due(day, text, "monthly", slot.key)
        for d in kpi.deadlines:
            if d.kind in ("criterion", "round") and today <= d.date:
                found[(d.date, d.th)] = Due(d.date, f"{slot.short}: {d.th}", d.kind, slot.key)
        for step in kpi.rubric.steps:
            if step.due and today <= step.due:
                text = f"{slot.short}: {step.th}"
                found[(step.due, text)] = Due(step.due, text, "criterion", slot.key)
        if slot.catalog.id not in catalogs_seen:
            catalogs_seen.add(slot.catalog.id)
            for d in slot.catalog.deadlines:
                if today <= d.date:
                    found[(d.date, d.th)] = Due(d.date, d.th, d.kind)
            if today <= end:
                text = f"สิ้นรอบการประเมิน ({slot.set_name()})"
                found[(end, text)] = Due(end, text, "round")
    items = [d for d in found.values() if (d.day - today).days <= horizon_days]
    return sorted(items, key=lambda d: (d.day, d.text))
