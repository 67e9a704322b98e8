"""The reminder ladder: who is reminded of what, when, and in which words. No channel, no clock.

``plan(store, catalogs, start, end)`` turns the calendar (handlers/calendar.py) and the store's
submissions into candidate messages whose send time falls in [start, end]; ``due(candidates, now,
sent)`` picks the ones to send at ``now``. bot/reminders/engine.py runs it on a timer and sends.

The ladder (defaults; a catalog may override with a top-level ``reminders:`` mapping, see Config):

- reporters of a unit that has not sent a figure due at a cutoff: 3 days before, 1 day before and
  the morning of the cutoff ("d-3", "d-1", "d0"); after it an overdue notice ("overdue");
- after a grace period, the unit's chief (or, without one, the parent unit's) is told what is
  missing ("escalate");
- coordinators: a digest on the morning of and the day after each cutoff ("digest-d0",
  "digest-d1"), per KPI the units still missing, naming people the bot cannot reach;
- chiefs: a weekly digest ("weekly"): score, band, KPIs at risk of dropping a level.

Every message has a unique key (person, deadline key, stage). Messages of one (person, deadline
key) form a series: a later stage supersedes an earlier one, so after downtime only the latest
useful stage goes out, never a burst. Each stage is useful until its ``until`` (for reminders
before a cutoff: the end of the cutoff day). Quiet hours (20:00-07:00) send nothing; a send time
inside them moves to their end. Muted and unreachable people are not planned; a snoozed person's
messages wait for the snooze to end (and are dropped if no longer useful by then).
Reminder days avoid weekends and Thai public holidays (they move earlier; digests after a
cutoff and escalations move later).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from scoring.bands import band_of
from scoring.model import Catalog
from scoring.thaidate import format_be

from . import texts
from .agreements import Slot, evaluate_submission, monthly, period_for, slots, unit_score
from .calendar import (
    POLICIES,
    Cutoff,
    cutoffs,
    day_th,
    off_phrase,
    working_on_or_after,
    working_on_or_before,
)
from .permissions import kpi_groups, units_in_scope
from .ports import Person, Store, Submission, Unit

BANGKOK = ZoneInfo("Asia/Bangkok")
MAX_TEXT = 3900  # under Telegram's 4,096 characters and LINE's 5,000
STAGE_RANK = {"overdue": 50, "escalate": 60, "weekly": 0}


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
        text = self.make_text()
        return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


# ------------------------------------------------------------------ what is missing


@dataclass(frozen=True)
class Item:
    """One missing figure of a unit at a cutoff."""

    cutoff: Cutoff
    slot: Slot
    period: str

    def line(self) -> str:
        if self.cutoff.kind == "monthly":
            return f"{self.slot.short} — ผล{texts.period_th(self.period)}"
        if len(self.cutoff.slots) == 1:
            return self.cutoff.what
        return f"{self.slot.short} ({self.cutoff.what})"


def _bullets(items: Iterable[Item], limit: int = 25) -> str:
    lines = sorted({i.line() for i in items})
    more = len(lines) - limit
    return "\n".join(f"• {x}" for x in lines[:limit]) + (f"\n• และอีก {more} รายการ" if more > 0 else "")


class _World:
    """The store read once per plan: units, people, slots around the window, current figures."""

    def __init__(self, store: Store, catalogs: Mapping[str, Catalog], first: date, last: date):
        self.store, self.catalogs = store, catalogs
        self.units = {u.id: u for u in store.units()}
        self.people = store.people()
        self._current: dict[tuple[str, str], dict[tuple[str, str], Submission]] = {}
        samples = [first + timedelta(days=d) for d in range(0, (last - first).days + 1, 20)] + [last]
        self.slots: dict[str, list[Slot]] = {}
        self._keys: dict[str, set[str]] = {}
        for unit in self.units.values():
            seen: dict[tuple[int, str], Slot] = {}
            for day in samples:
                for slot in slots(store, catalogs, unit, day):
                    seen.setdefault((slot.agreement.id, slot.kpi.id), slot)
            if seen:
                self.slots[unit.id] = list(seen.values())

    def slot_keys(self, unit_id: str) -> set[str]:
        if unit_id not in self._keys:
            self._keys[unit_id] = {s.key for s in self.slots.get(unit_id, [])}
        return self._keys[unit_id]

    def current(self, unit_id: str, catalog_id: str) -> dict[tuple[str, str], Submission]:
        key = (unit_id, catalog_id)
        if key not in self._current:
            self._current[key] = {(s.kpi_id, s.period): s for s in self.store.current(unit_id, catalog_id)}
        return self._current[key]

    def done(self, unit_id: str, slot: Slot, period: str, step: str | None) -> bool:
        sub = self.current(unit_id, slot.catalog.id).get((slot.kpi.id, period))
        if sub is None:
            return False
        return step is None or step in (sub.inputs.get("steps") or ())

    def missing(self, unit_id: str, cutoff: Cutoff) -> list[Item]:
        found = []
        for slot in cutoff.slots:
            if slot.kpi.rubric.reviewer:
                continue  # a reviewer sets the level; nothing for the unit to send
            period = cutoff.period_of(slot)
            if not self.done(unit_id, slot, period, cutoff.step):
                found.append(Item(cutoff, slot, period))
        return found

    def people_of(self, unit_id: str, role: str) -> list[Person]:
        return [p for p in self.people if p.unit_id == unit_id and p.role == role]

    def reporters(self, unit_id: str) -> list[Person]:
        return self.people_of(unit_id, "reporter") or self.people_of(unit_id, "chief")

    def chiefs(self, unit_id: str) -> list[Person]:
        found = self.people_of(unit_id, "chief")
        unit = self.units.get(unit_id)
        if not found and unit is not None and unit.parent:
            found = self.people_of(unit.parent, "chief")
        return found


def _remindable(person: Person) -> bool:
    return person.reminders != "muted" and person.reachable


def _snooze(person: Person, moment: datetime, config: Config) -> datetime:
    if person.reminders == "snoozed" and person.snoozed_until is not None and person.snoozed_until > moment:
        return config.out_of_quiet(person.snoozed_until)
    return moment


def _midnight_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), BANGKOK)


# ------------------------------------------------------------------ texts


TITLES = ("นางสาว", "นาง", "นาย", "ว่าที่ร้อยตรี", "ดร.")


def dear(person: Person) -> str:
    """"เรียน นางสาวอัสมะ ดือราแม" for a name with a title, else "เรียน คุณสมชาย"."""
    name = person.name.strip()
    return f"เรียน {name}" if name.startswith(TITLES) else f"เรียน คุณ{name}"


def _n_days(n: int) -> str:
    return {0: "วันนี้", 1: "พรุ่งนี้"}.get(n, f"อีก {n} วัน")


def _reporter_text(person: Person, day: date, items: list[Item], send_day: date, stage: str) -> str:
    cutoff = items[0].cutoff
    by = cutoff.submit_by
    if stage == "overdue":
        head = f"⏰ {dear(person)}\nเลยกำหนดส่ง {day_th(day)} แล้วค่ะ ยังไม่ได้รับ:"
        tail = "กรุณาส่งโดยเร็วนะคะ หากติดปัญหาโปรดแจ้งผู้ประสานงานตัวชี้วัด"
    else:
        n = (by - send_day).days
        if by != day:  # the cutoff is a day off: send by the working day before it
            when = (f"กำหนดส่ง{day_th(day)} {off_phrase(cutoff.nominal)} จึงขอให้ส่งภายใน{day_th(by)}"
                    + (" (วันนี้)" if n == 0 else f" ({_n_days(n)})"))
        else:
            when = f"{_n_days(n)}ครบกำหนดส่ง ({day_th(day)}){cutoff.note()}"
        head = f"🔔 {dear(person)}\n{when}\nยังไม่ได้รับ:"
        tail = "พิมพ์ “รายงาน” เพื่อส่งผลได้เลยค่ะ (ไม่สะดวกตอนนี้ พิมพ์ “เลื่อนเตือน 1 วัน”)"
    return f"{head}\n{_bullets(items)}\n{tail}"


def _escalation_text(chief: Person, day: date, send_day: date, per_unit: dict[str, tuple[Unit, list[Item]]],
                     world: _World) -> str:
    lines = [f"📣 {dear(chief)}",
             f"เลยกำหนดส่ง{day_th(day)} มา {(send_day - day).days} วันแล้ว ยังไม่ได้รับ:"]
    for unit, items in sorted(per_unit.values(), key=lambda x: x[0].name):
        names = ", ".join(p.name for p in world.reporters(unit.id)) or "ยังไม่มีผู้รายงานในระบบ"
        lines.append(f"{unit.name} (ผู้รายงาน: {names})")
        lines.append(_bullets(items, limit=12))
    lines.append("รบกวนช่วยติดตามด้วยค่ะ")
    return "\n".join(lines)


def _digest_text(coordinator: Person, day: date, stage: str, rows: dict[str, tuple[str, int, list[str]]],
                 unreachable: list[str]) -> str:
    when = "วันนี้ครบกำหนด" if stage == "digest-d0" else "เลยกำหนดแล้ว"
    lines = [f"📋 {dear(coordinator)}", f"สรุปผู้ยังไม่ส่ง กำหนดส่ง{day_th(day)} ({when})"]
    for label, total_units, names in sorted(rows.values()):
        lines.append(f"• {label}: ยังไม่ส่ง {len(names)}/{total_units} หน่วย — {', '.join(sorted(names))}")
    if unreachable:
        lines.append("ติดต่อทางแชทไม่ได้ (บล็อกหรือเลิกติดตามบอท): " + ", ".join(sorted(unreachable)))
    return "\n".join(lines)


def _risks(world: _World, unit: Unit, today: date, horizon: date) -> list[str]:
    """KPIs at risk of dropping a level: this month's figure not in with its cutoff near or past,
    or the latest figure lower than the one before it."""
    risks: list[str] = []
    upcoming = {(c.slots[0].key, c.period): c for c in cutoffs(world.slots.get(unit.id, []), today.replace(day=1),
                                                                 horizon) if c.kind == "monthly"}
    for slot in world.slots.get(unit.id, []):
        if not (slot.agreement.start <= today <= slot.agreement.end) or slot.kpi.rubric.reviewer:
            continue
        history = world.store.current(unit.id, slot.catalog.id, slot.kpi.id)
        if monthly(slot.kpi):
            period = period_for(slot.kpi, today)
            cutoff = upcoming.get((slot.key, period))
            if history and not any(s.period == period for s in history) and cutoff and cutoff.day <= horizon:
                risks.append(f"{slot.short}: ยังไม่ส่งผล{texts.period_th(period)} (กำหนด {format_be(cutoff.day)})")
                continue
        if len(history) >= 2:
            ordered = sorted(history, key=lambda s: s.period)
            now_level = evaluate_submission(slot, unit, ordered[-1]).level
            before = evaluate_submission(slot, unit, ordered[-2]).level
            if now_level < before:
                risks.append(f"{slot.short}: ลดลงจากระดับ {before} เป็นระดับ {now_level}")
    return risks


def _weekly_text(world: _World, chief: Person, today: date) -> str:
    scope = units_in_scope(world.store, chief)
    own = [u for u in scope if u.id == chief.unit_id]
    others = [u for u in scope if u.id != chief.unit_id and u.id in world.slots]
    lines = [f"📊 {dear(chief)}", f"สรุปประจำสัปดาห์ ณ {format_be(today)}"]
    horizon = today + timedelta(days=7)
    for unit in own:
        score = unit_score(world.store, world.catalogs, unit, today)
        for catalog, result in score.totals:
            set_name = {"team": "รายทีม", "individual": "รายบุคคล"}.get(catalog.set, catalog.set)
            pending = f" · ยังไม่รายงาน {len(result.missing)} ตัวชี้วัด" if result.missing else ""
            lines.append(f"{unit.name} {set_name}: {texts.total_brief(result)}{pending}")
        risks = _risks(world, unit, today, horizon)
        if risks:
            lines.append("ตัวชี้วัดที่เสี่ยงลดระดับ:")
            lines += [f"• {r}" for r in risks[:15]]
    rows = []
    for unit in others:
        score = unit_score(world.store, world.catalogs, unit, today)
        if not score.totals:
            continue
        points = sum((t.score100 for _, t in score.totals), Decimal(0)) / len(score.totals)
        shown = (texts.total_brief(score.totals[0][1]) if len(score.totals) == 1
                 else f"{texts.score(points)} ({_band(points)})")
        risks = _risks(world, unit, today, horizon)
        rows.append((points, f"{unit.name} {shown}"
                     + (f" · เสี่ยงลดระดับ {len(risks)}: " + "; ".join(r.split(':')[0] for r in risks[:3])
                        if risks else "")))
    if rows:
        lines.append("หน่วยงานในความดูแล (เฉลี่ยรายทีมและรายบุคคล):")
        lines += [f"{i}. {text}" for i, (_, text) in enumerate(sorted(rows, key=lambda r: -r[0]), 1)]
    if len(lines) == 2:
        lines.append("ยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้ค่ะ")
    return "\n".join(lines)


def _band(points: Decimal) -> str:
    return band_of(points).th


# ------------------------------------------------------------------ the plan


def plan(store: Store, catalogs: Mapping[str, Catalog], start: date, end: date,
         config: Config | None = None) -> list[Planned]:
    """Every message whose send time falls on a day in [start, end], given the store as it is now
    (figures sent so far, people's settings). Texts are made on demand (``Planned.text``)."""
    base = config or Config()
    first, last = start - timedelta(days=45), end + timedelta(days=20)
    world = _World(store, catalogs, first, last)
    out: list[Planned] = []

    def add(person: Person, key: str, stage: str, at: datetime, until: datetime, role: str,
            make: Callable[[], str]) -> None:
        at = _snooze(person, at, base)
        if start <= at.astimezone(BANGKOK).date() <= end and at < until and _remindable(person):
            out.append(Planned(person, key, stage, at, until, role, make))

    # per unit and effective cutoff day: what is missing
    missing: dict[date, dict[str, list[Item]]] = {}
    for unit_id, unit_slots in world.slots.items():
        for cutoff in cutoffs(unit_slots, first, last):
            if not cutoff.reminded:
                continue
            items = world.missing(unit_id, cutoff)
            if items:
                missing.setdefault(cutoff.day, {}).setdefault(unit_id, []).extend(items)

    for day, per_unit in sorted(missing.items()):
        key = f"due:{day.isoformat()}"
        escalations: dict[int, tuple[Person, datetime, datetime, date, dict[str, tuple[Unit, list[Item]]]]] = {}
        for unit_id, items in per_unit.items():
            config = Config.of(items[0].cutoff.catalog, base)
            cutoff = items[0].cutoff
            by = cutoff.submit_by
            # reporters: before the cutoff (working days, earlier when needed), then overdue
            stages: dict[date, int] = {}
            for n in sorted(config.before_days, reverse=True):
                send_day = working_on_or_before(by - timedelta(days=n))
                stages[send_day] = n  # a later stage landing on the same day replaces the earlier one
            overdue_day = working_on_or_after(day + timedelta(days=config.overdue_days))
            escalate_day = working_on_or_after(day + timedelta(days=config.grace_days))
            for person in world.reporters(unit_id):
                for send_day, n in stages.items():
                    stage = f"d-{n}" if n else "d0"
                    add(person, key, stage, config.at(send_day), _midnight_after(day), "reporter",
                        lambda p=person, s=send_day, st=stage, i=items, d=day: _reporter_text(p, d, i, s, st))
                add(person, key, "overdue", config.at(overdue_day), config.at(escalate_day) + timedelta(days=1),
                    "reporter", lambda p=person, s=overdue_day, i=items, d=day: _reporter_text(p, d, i, s, "overdue"))
            # the chief, after the grace period
            for chief in world.chiefs(unit_id):
                entry = escalations.setdefault(chief.id, (chief, config.at(escalate_day),
                                                          config.at(escalate_day) + timedelta(days=7),
                                                          escalate_day, {}))
                entry[4][unit_id] = (world.units[unit_id], items)
        for chief, at, until, send_day, units in escalations.values():
            add(chief, key, "escalate", at, until, "chief",
                lambda c=chief, s=send_day, u=units, d=day: _escalation_text(c, d, s, u, world))

        # coordinators: per KPI the units still missing
        for coordinator in [p for p in world.people if p.role == "coordinator"]:
            groups = kpi_groups(coordinator)
            visible = {u.id for u in units_in_scope(store, coordinator)}
            rows: dict[str, tuple[str, int, list[str]]] = {}
            unreachable: set[str] = set()
            for unit_id, items in per_unit.items():
                if unit_id not in visible:
                    continue
                for item in items:
                    if groups and not any(g in (item.slot.kpi.source_group or "") for g in groups):
                        continue
                    unit = world.units[unit_id]
                    level = {"province": " ระดับจังหวัด", "district": " ระดับอำเภอ"}.get(unit.kind, "")
                    label = f"{item.line()} ({item.slot.set_name()}{level})"
                    row = rows.get(label)
                    if row is None:
                        total_units = sum(1 for u in visible if item.slot.key in world.slot_keys(u))
                        row = rows[label] = (label, total_units, [])
                    name = unit.name
                    if name not in row[2]:
                        row[2].append(name)
                    unreachable |= {f"{p.name} ({name})" for p in world.reporters(unit_id) if not p.reachable}
            if not rows:
                continue
            names = sorted(unreachable)
            for n in base.digest_days:
                if n == 0:
                    send_day = working_on_or_before(day)
                else:
                    send_day = working_on_or_after(day + timedelta(days=n))
                stage = f"digest-d{n}"
                add(coordinator, key, stage, base.at(send_day), _midnight_after(max(day, send_day)), "coordinator",
                    lambda c=coordinator, st=stage, r=rows, un=names, d=day:
                    _digest_text(c, d, st, r, un))

    # chiefs: weekly
    for chief in [p for p in world.people if p.role == "chief"]:
        day = start - timedelta(days=(start.weekday() - base.weekly_day) % 7)
        while day <= end:
            send_day = working_on_or_after(day)
            iso = day.isocalendar()
            add(chief, f"week:{iso.year}-W{iso.week:02d}", "weekly", base.at(send_day),
                datetime.combine(day + timedelta(days=7), time(0), BANGKOK), "chief",
                lambda c=chief, d=send_day: _weekly_text(world, c, d))
            day += timedelta(days=7)
    # at most one message a day per series: a stage pushed by a snooze onto the day of a later one goes
    latest_day: dict[tuple[int, str], list[Planned]] = {}
    for p in out:
        latest_day.setdefault(p.series, []).append(p)
    out = [p for p in out if not any(o.rank > p.rank and o.at.date() <= p.at.date() for o in latest_day[p.series])]
    return sorted(out, key=lambda p: (p.at, p.person.id, p.deadline_key, p.stage))


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


__all__ = ["Config", "Planned", "Item", "plan", "due", "dear", "BANGKOK"]
