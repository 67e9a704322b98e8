"""The plan: every reminder whose send time falls in a window of days, and which of them are due now.

``plan`` reads the store once (world.py), finds per cutoff day what each unit still misses, and
adds each rung of the ladder with its own small function: reporters (before the cutoff, then
overdue), chiefs (escalation after the grace period), coordinators (digests), chiefs (weekly).
Texts are bound with ``functools.partial`` and rendered only when read (``Planned.text``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial

from scoring.model import Catalog
from scoring.thaidate import BANGKOK

from ..calendar import cutoffs, working_on_or_after, working_on_or_before
from ..permissions import kpi_groups, units_in_scope
from ..ports import Person, Store, Unit
from . import charts, texts
from .config import Config
from .world import Item, World

STAGE_RANK = {"overdue": 50, "escalate": 60, "weekly": 0}
LOOK_BEFORE, LOOK_AFTER = timedelta(days=45), timedelta(days=20)  # cutoffs whose rungs may fall in the window

PerUnit = dict[str, list[Item]]  # unit id -> what it still misses at one cutoff day
Charts = tuple[tuple[str, str], ...]  # (chart spec, Thai label): handlers/reminders/charts.py


def _no_charts() -> Charts:
    return ()


@dataclass(frozen=True)
class Planned:
    """One message to one person: sent at most once per (person, deadline_key, stage)."""

    person: Person
    deadline_key: str  # "due:2025-06-20" (a cutoff day) | "week:2025-W25"
    stage: str  # d-3 | d-1 | d0 | overdue | escalate | digest-d0 | digest-d1 | weekly
    at: datetime  # not before
    until: datetime  # not after: no longer useful
    role: str  # reporter | chief | coordinator
    make_text: Callable[[], str] = field(repr=False, compare=False)
    make_charts: Callable[[], Charts] = field(default=_no_charts, repr=False, compare=False)

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.person.id, self.deadline_key, self.stage)

    @property
    def series(self) -> tuple[int, str]:
        return (self.person.id, self.deadline_key)

    @property
    def rank(self) -> int:
        if self.stage.startswith("d-"):
            return 40 - int(self.stage[2:])
        if self.stage.startswith("digest-d"):
            return 10 + int(self.stage[8:])
        return 40 if self.stage == "d0" else STAGE_RANK.get(self.stage, 0)

    @property
    def text(self) -> str:
        return texts.clip(self.make_text())

    @property
    def charts(self) -> Charts:
        """The charts sent after the text (the weekly digest's), chosen on demand like the text."""
        return self.make_charts()


@dataclass
class _Window:
    """The days planned for and the messages found so far."""

    start: date
    end: date
    base: Config
    out: list[Planned] = field(default_factory=list)

    def add(self, person: Person, key: str, stage: str, at: datetime, until: datetime, role: str,
            make: Callable[[], str], make_charts: Callable[[], Charts] = _no_charts) -> None:
        at = _snooze(person, at, self.base)
        if self.start <= at.astimezone(BANGKOK).date() <= self.end and at < until and _remindable(person):
            self.out.append(Planned(person, key, stage, at, until, role, make, make_charts))


def _remindable(person: Person) -> bool:
    return person.reminders != "muted" and person.reachable


def _snooze(person: Person, moment: datetime, config: Config) -> datetime:
    if person.reminders == "snoozed" and person.snoozed_until is not None and person.snoozed_until > moment:
        return config.out_of_quiet(person.snoozed_until)
    return moment


def _midnight_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), BANGKOK)


def _missing_by_day(world: World, first: date, last: date) -> dict[date, PerUnit]:
    """Per effective cutoff day and unit: the figures still missing (reminded cutoffs only)."""
    missing: dict[date, PerUnit] = {}
    for unit_id, unit_slots in world.slots.items():
        for cutoff in cutoffs(unit_slots, first, last):
            if not cutoff.reminded:
                continue
            items = world.missing(unit_id, cutoff)
            if items:
                missing.setdefault(cutoff.day, {}).setdefault(unit_id, []).extend(items)
    return missing


def _before_days(config: Config, by: date) -> dict[date, int]:
    """Send day -> days before the cutoff; a later stage landing on the same day replaces the earlier one."""
    stages: dict[date, int] = {}
    for n in sorted(config.before_days, reverse=True):
        stages[working_on_or_before(by - timedelta(days=n))] = n
    return stages


def _reporters(window: _Window, world: World, key: str, day: date, per_unit: PerUnit) -> None:
    """Reporters: reminders before the cutoff (working days, earlier when needed), then overdue."""
    for unit_id, items in per_unit.items():
        config = Config.of(items[0].cutoff.catalog, window.base)
        stages = _before_days(config, items[0].cutoff.submit_by)
        overdue_day = working_on_or_after(day + timedelta(days=config.overdue_days))
        escalate_day = working_on_or_after(day + timedelta(days=config.grace_days))
        for person in world.reporters(unit_id):
            for send_day, n in stages.items():
                stage = f"d-{n}" if n else "d0"
                window.add(person, key, stage, config.at(send_day), _midnight_after(day), "reporter",
                           partial(texts.reporter, person, day, items, send_day, stage))
            window.add(person, key, "overdue", config.at(overdue_day), config.at(escalate_day) + timedelta(days=1),
                       "reporter", partial(texts.reporter, person, day, items, overdue_day, "overdue"))


def _escalations(window: _Window, world: World, key: str, day: date, per_unit: PerUnit) -> None:
    """Chiefs, after the grace period: one message per chief for all their units (the first unit's settings)."""
    found: dict[int, tuple[Person, Config, date, dict[str, tuple[Unit, list[Item]]]]] = {}
    for unit_id, items in per_unit.items():
        config = Config.of(items[0].cutoff.catalog, window.base)
        escalate_day = working_on_or_after(day + timedelta(days=config.grace_days))
        for chief in world.chiefs(unit_id):
            entry = found.setdefault(chief.id, (chief, config, escalate_day, {}))
            entry[3][unit_id] = (world.units[unit_id], items)
    for chief, config, send_day, units in found.values():
        at = config.at(send_day)
        window.add(chief, key, "escalate", at, at + timedelta(days=7), "chief",
                   partial(texts.escalation, chief, day, send_day, units, world))


def _digest_rows(world: World, store: Store, coordinator: Person, per_unit: PerUnit
                 ) -> tuple[dict[str, tuple[str, int, list[str]]], list[str]]:
    """Per KPI (label) the units in the coordinator's scope still missing it, and reporters not reachable."""
    groups = kpi_groups(coordinator)
    visible = {u.id for u in units_in_scope(store, coordinator)}
    rows: dict[str, tuple[str, int, list[str]]] = {}
    unreachable: set[str] = set()
    for unit_id, items in per_unit.items():
        if unit_id not in visible:
            continue
        unit = world.units[unit_id]
        level = {"province": " ระดับจังหวัด", "district": " ระดับอำเภอ"}.get(unit.kind, "")
        for item in items:
            if groups and not any(g in (item.slot.kpi.source_group or "") for g in groups):
                continue
            label = f"{item.line()} ({item.slot.set_name()}{level})"
            row = rows.get(label)
            if row is None:
                total_units = sum(1 for u in visible if item.slot.key in world.slot_keys(u))
                row = rows[label] = (label, total_units, [])
            if unit.name not in row[2]:
                row[2].append(unit.name)
            unreachable |= {f"{p.name} ({unit.name})" for p in world.reporters(unit_id) if not p.reachable}
    return rows, sorted(unreachable)


def _digests(window: _Window, world: World, store: Store, key: str, day: date, per_unit: PerUnit) -> None:
    """Coordinators: on the morning of the cutoff and after it, per KPI the units still missing."""
    for coordinator in [p for p in world.people if p.role == "coordinator"]:
        rows, unreachable = _digest_rows(world, store, coordinator, per_unit)
        if not rows:
            continue
        for n in window.base.digest_days:
            send_day = working_on_or_before(day) if n == 0 else working_on_or_after(day + timedelta(days=n))
            stage = f"digest-d{n}"
            window.add(coordinator, key, stage, window.base.at(send_day), _midnight_after(max(day, send_day)),
                       "coordinator", partial(texts.digest, coordinator, day, stage, rows, unreachable))


def _weekly(window: _Window, world: World) -> None:
    """Chiefs: a weekly digest on the configured weekday (the next working day when it is off), with its
    charts (charts.py: the ranking of the children for a provincial chief, the unit's levels otherwise)."""
    base = window.base
    for chief in [p for p in world.people if p.role == "chief"]:
        day = window.start - timedelta(days=(window.start.weekday() - base.weekly_day) % 7)
        while day <= window.end:
            send_day = working_on_or_after(day)
            iso = day.isocalendar()
            window.add(chief, f"week:{iso.year}-W{iso.week:02d}", "weekly", base.at(send_day),
                       datetime.combine(day + timedelta(days=7), time(0), BANGKOK), "chief",
                       partial(texts.weekly, world, chief, send_day), partial(charts.queued, world, chief, send_day))
            day += timedelta(days=7)


def _one_a_day(out: list[Planned]) -> list[Planned]:
    """At most one message a day per series: a stage pushed by a snooze onto the day of a later one goes."""
    by_series: dict[tuple[int, str], list[Planned]] = {}
    for p in out:
        by_series.setdefault(p.series, []).append(p)
    return [p for p in out if not any(o.rank > p.rank and o.at.date() <= p.at.date() for o in by_series[p.series])]


def plan(store: Store, catalogs: Mapping[str, Catalog], start: date, end: date,
         config: Config | None = None) -> list[Planned]:
    """Every message whose send time falls on a day in [start, end], given the store as it is now
    (figures sent so far, people's settings). Texts are made on demand (``Planned.text``)."""
    window = _Window(start, end, config or Config())
    first, last = start - LOOK_BEFORE, end + LOOK_AFTER
    world = World(store, catalogs, first, last)
    for day, per_unit in sorted(_missing_by_day(world, first, last).items()):
        key = f"due:{day.isoformat()}"
        _reporters(window, world, key, day, per_unit)
        _escalations(window, world, key, day, per_unit)
        _digests(window, world, store, key, day, per_unit)
    _weekly(window, world)
    return sorted(_one_a_day(window.out), key=lambda p: (p.at, p.person.id, p.deadline_key, p.stage))


def due(candidates: list[Planned], now: datetime, sent: Callable[[tuple[int, str, str]], bool],
        config: Config | None = None) -> list[Planned]:
    """What to send at ``now``: due and still useful, not sent before, not superseded by a later
    stage of its series that is sent or due too. Nothing during quiet hours."""
    config = config or Config()
    if config.quiet(now):
        return []
    live = [c for c in candidates if c.at <= now < c.until]
    series: dict[tuple[int, str], list[Planned]] = {}
    for c in candidates:
        series.setdefault(c.series, []).append(c)
    live_keys = {c.key for c in live}
    chosen = []
    for c in live:
        if sent(c.key):
            continue
        later = [o for o in series[c.series] if o.rank > c.rank]
        if any(o.key in live_keys or sent(o.key) for o in later):
            continue
        chosen.append(c)
    return chosen
