"""The ladder's settings (defaults, or a catalog's ``reminders:`` mapping) and the quiet hours."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from scoring.model import Catalog
from scoring.thaidate import BANGKOK

from ..calendar import POLICIES


def _time(value: Any) -> time:
    if isinstance(value, time):
        return value
    hours, _, minutes = str(value).partition(":")
    return time(int(hours), int(minutes or 0))


@dataclass(frozen=True)
class Config:
    """The ladder's settings. Catalog YAML: ``reminders: {before_days: [3, 1, 0], grace_days: 3,
    holidays: earlier|move, morning: "08:30", quiet_hours: "20:00-07:00", ...}``."""

    before_days: tuple[int, ...] = (3, 1, 0)  # reporter reminders, days before the cutoff (0 = its morning)
    morning: time = time(8, 0)  # the time of day reminders and digests go out
    overdue_days: int = 1  # overdue notice to the reporter, days after the cutoff
    grace_days: int = 3  # escalation to the chief, days after the cutoff
    digest_days: tuple[int, ...] = (0, 1)  # coordinators' digest: the morning of, the day after
    weekly_day: int = 0  # chiefs' weekly digest: 0 = Monday
    quiet_start: time = time(20, 0)
    quiet_end: time = time(7, 0)
    holidays: str = "earlier"  # earlier | move (handlers/calendar.py)

    @classmethod
    def of(cls, catalog: Catalog | None, base: Config | None = None) -> Config:
        base = base or cls()
        raw = dict((catalog.reminders if catalog is not None else None) or {})
        if not raw:
            return base
        known = {f.name for f in fields(cls)} | {"quiet_hours"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown reminders settings in {catalog.id}: {unknown}")  # type: ignore[union-attr]
        changes: dict[str, Any] = {}
        if "quiet_hours" in raw:
            start, _, end = str(raw.pop("quiet_hours")).partition("-")
            changes.update(quiet_start=_time(start), quiet_end=_time(end))
        for name, value in raw.items():
            if name in ("before_days", "digest_days"):
                changes[name] = tuple(sorted({int(v) for v in value}, reverse=True))
            elif name in ("morning", "quiet_start", "quiet_end"):
                changes[name] = _time(value)
            elif name == "holidays":
                if value not in POLICIES:
                    raise ValueError(f"reminders.holidays must be one of {POLICIES}")
                changes[name] = value
            else:
                changes[name] = int(value)
        return replace(base, **changes)

    def quiet(self, moment: datetime) -> bool:
        t = moment.astimezone(BANGKOK).time()
        if self.quiet_start > self.quiet_end:  # across midnight
            return t >= self.quiet_start or t < self.quiet_end
        return self.quiet_start <= t < self.quiet_end

    def out_of_quiet(self, moment: datetime) -> datetime:
        """The moment itself, or the end of the quiet hours it falls in."""
        if not self.quiet(moment):
            return moment
        local = moment.astimezone(BANGKOK)
        end = datetime.combine(local.date(), self.quiet_end, BANGKOK)
        return end if end > local else end + timedelta(days=1)

    def at(self, day: date) -> datetime:
        return self.out_of_quiet(datetime.combine(day, self.morning, BANGKOK))
