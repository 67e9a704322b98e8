"""The reminder engine: a periodic tick that sends what the ladder (handlers/reminders.py) says is due.

Scheduling: APScheduler, through python-telegram-bot's JobQueue when Telegram runs
(``install(job_queue, runtime)``), or a plain ``AsyncIOScheduler`` when only LINE or the console
runs (``start_scheduler(runtime)``). The scheduler holds no state: every tick recomputes what is
due from the store and the catalogs, so a restart loses nothing.

Exactly once, in two phases (table ``reminder_outbox``, see bot/store/migrations.py):

1. enqueue: in ONE transaction, ``store.log_reminder(person, deadline_key, stage)`` (unique; a
   second tick or a restart finds it logged) and one ``pending`` outbox row per identity of the
   person on a running channel, with the message text and a fixed idempotency key;
2. send: each row goes ``pending -> sending`` (committed) before the push, then ``sent``,
   ``blocked`` (the person is marked unreachable), or back to ``pending`` with a backoff after an
   error (``failed`` after ``max_attempts``; ``expired`` once no longer useful).

A crash between the two phases, or in the middle of a fan-out, leaves rows ``pending`` (never
tried: sent on the next tick) or ``sending`` (the push was in flight). At the next tick a
``sending`` row is sent again with the same key where the channel deduplicates by key (LINE's
``X-Line-Retry-Key``: exactly once); where it cannot (Telegram has no idempotency key) it becomes
``unknown`` and is not repeated: at most once, so a crash can cost at most the messages in flight
(``concurrency`` per channel) and never sends a duplicate.

Pacing: per channel, evenly spaced pushes below the channel's limit (Telegram 28/s against its 30/s;
the Telegram channel's own AIORateLimiter also waits out any 429), several in flight at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.run.runtime import PushResult, Runtime
from bot.store.sqlite import SqliteStore
from handlers.messages import Reply
from handlers.reminders import BANGKOK, Config, Planned, due, plan

log = logging.getLogger("kpibot.reminders")

DEFAULT_RATES = {"telegram": 28.0, "line": 100.0}  # pushes per second, under each channel's limit
IDEMPOTENT = {"line"}  # channels whose push deduplicates by key
KEY_NAMESPACE = uuid.UUID("6f1c9a52-5b7e-4d0e-9d55-4b9c1e0a7a11")
LOOKBACK_DAYS = 10  # how far back a tick looks for reminders still useful after downtime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(BANGKOK)


@dataclass
class TickReport:
    at: datetime
    planned: int = 0  # due at this tick (before channel/identity checks)
    enqueued: int = 0  # reminders newly logged
    sent: int = 0  # pushes delivered
    blocked: int = 0
    failed: int = 0  # pushes that failed this tick (retried later unless given up)
    recovered: dict[str, int] = field(default_factory=dict)  # crash recovery: pending / unknown
    no_identity: int = 0  # due, but the person has no identity on a running channel

    def __str__(self) -> str:
        return (f"reminders {self.at:%Y-%m-%d %H:%M}: due {self.planned}, enqueued {self.enqueued}, sent {self.sent}, "
                f"blocked {self.blocked}, failed {self.failed}, no channel {self.no_identity}"
                + (f", recovered {self.recovered}" if self.recovered else ""))


@dataclass(frozen=True)
class OutboxRow:
    id: int
    person_id: int
    channel: str
    external_id: str
    key: str
    text: str
    attempts: int


def idempotency_key(person_id: int, deadline_key: str, stage: str, channel: str, external_id: str) -> str:
    return str(uuid.uuid5(KEY_NAMESPACE, f"{person_id}|{deadline_key}|{stage}|{channel}|{external_id}"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(BANGKOK).isoformat()


def _when(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=BANGKOK)


# ---------------------------------------------------------------- store side (runs in the store's thread)


def logged(store: SqliteStore, keys: Iterable[str]) -> set[tuple[int, str, str]]:
    """(person, deadline key, stage) already in reminder_log for these deadline keys."""
    keys = sorted(set(keys))
    found: set[tuple[int, str, str]] = set()
    with store.batch():
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            rows = store.db.execute(
                f"SELECT person_id, deadline_key, stage FROM reminder_log WHERE deadline_key IN "
                f"({','.join('?' * len(chunk))})", chunk).fetchall()
            found |= {(int(r[0]), r[1], r[2]) for r in rows}
    return found


def due_now(store: SqliteStore, catalogs: Any, now: datetime, config: Config) -> list[Planned]:
    today = now.astimezone(BANGKOK).date()
    candidates = plan(store, catalogs, today - timedelta(days=LOOKBACK_DAYS), today, config)
    sent = logged(store, {c.deadline_key for c in candidates})
    return due(candidates, now, sent.__contains__, config)


def recover(store: SqliteStore, idempotent: set[str]) -> dict[str, int]:
    """Rows left ``sending`` by a crash: resend where the channel deduplicates, else ``unknown``."""
    counts: dict[str, int] = {}
    with store.batch():
        rows = store.db.execute("SELECT id, channel FROM reminder_outbox WHERE status = 'sending'").fetchall()
        for row_id, channel in rows:
            status = "pending" if channel in idempotent else "unknown"
            store.db.execute("UPDATE reminder_outbox SET status = ?, error = ? WHERE id = ?",
                             [status, "in flight at a crash", row_id])
            counts[status] = counts.get(status, 0) + 1
    for status, n in counts.items():
        log.warning("reminders: %d message(s) were in flight at a crash -> %s", n, status)
    return counts


def enqueue(store: SqliteStore, messages: list[Planned], now: datetime, channels: set[str],
            report: TickReport) -> None:
    """Phase 1, all in one transaction: log each reminder once and queue one row per identity."""
    with store.batch():
        for message in messages:
            targets = [(ch, ext) for ch, ext in store.identities(message.person.id) if ch in channels]
            if not targets:
                report.no_identity += 1
                continue
            text = message.text
            if not store.log_reminder(message.person.id, message.deadline_key, message.stage, now,
                                      channel=",".join(sorted({ch for ch, _ in targets}))):
                continue  # logged by an earlier tick
            report.enqueued += 1
            for channel, external_id in targets:
                store.db.execute(
                    "INSERT OR IGNORE INTO reminder_outbox (person_id, deadline_key, stage, channel, external_id, "
                    "idempotency_key, text, status, created_at, next_attempt_at, until) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                    [message.person.id, message.deadline_key, message.stage, channel, external_id,
                     idempotency_key(message.person.id, message.deadline_key, message.stage, channel, external_id),
                     text, _iso(now), _iso(now), _iso(message.until)])


def pending(store: SqliteStore, now: datetime, channels: set[str]) -> list[OutboxRow]:
    """Rows to push now; rows no longer useful become ``expired``."""
    out = []
    with store.batch():
        rows = store.db.execute(
            "SELECT id, person_id, channel, external_id, idempotency_key, text, attempts, next_attempt_at, until "
            "FROM reminder_outbox WHERE status = 'pending' ORDER BY id").fetchall()
        for r in rows:
            if _when(r[8]) <= now:
                store.db.execute("UPDATE reminder_outbox SET status = 'expired' WHERE id = ?", [r[0]])
            elif r[2] in channels and _when(r[7]) <= now:
                out.append(OutboxRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6]))
    return out


def mark_sending(store: SqliteStore, row_id: int) -> bool:
    with store.batch():
        cursor = store.db.execute("UPDATE reminder_outbox SET status = 'sending', attempts = attempts + 1 "
                                  "WHERE id = ? AND status = 'pending'", [row_id])
        return cursor.rowcount == 1


def mark_result(store: SqliteStore, row: OutboxRow, result: PushResult, now: datetime, max_attempts: int) -> str:
    if result.ok:
        status, next_at = "sent", now
    elif result.blocked:
        status, next_at = "blocked", now
    elif row.attempts + 1 >= max_attempts:
        status, next_at = "failed", now
    else:
        status, next_at = "pending", now + timedelta(minutes=min(60, 2 ** row.attempts))
    with store.batch():
        store.db.execute("UPDATE reminder_outbox SET status = ?, sent_at = ?, error = ?, next_attempt_at = ? "
                         "WHERE id = ?", [status, _iso(now) if result.ok else None, result.error,
                                          _iso(next_at), row.id])
        if result.blocked:
            store.set_reachable(row.person_id, False)
    return status


def outbox(store: SqliteStore) -> list[dict[str, Any]]:
    """Every outbox row (tests and `reminders preview` show them)."""
    with store.batch():
        cursor = store.db.execute("SELECT * FROM reminder_outbox ORDER BY id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# ---------------------------------------------------------------- the engine


class Pacer:
    """Starts at most ``rate`` per second, each at least 1/rate after the previous one actually started,
    and never more than ``rate`` in any one-second window: a stall of the loop delays what follows
    instead of letting the delayed sends catch up in a burst. None = as fast as possible."""

    def __init__(self, rate: float | None):
        self.interval = 1.0 / rate if rate else 0.0
        self.cap = max(1, int(rate)) if rate else 0
        self._last = float("-inf")
        self._window: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            while self._window and now - self._window[0] >= 1.0:
                self._window.popleft()
            start = self._last + self.interval
            if len(self._window) >= self.cap:
                start = max(start, self._window[0] + 1.0)
            if start > now:
                await asyncio.sleep(start - now)
            self._last = loop.time()
            self._window.append(self._last)


class ReminderEngine:
    def __init__(self, runtime: Runtime, *, clock: Any = None, config: Config | None = None,
                 rates: dict[str, float | None] | None = None, concurrency: int = 8, max_attempts: int = 5):
        self.runtime = runtime
        self.clock = clock or SystemClock()
        self.config = config or Config()
        self.rates = {**DEFAULT_RATES, **(rates or {})}
        self.concurrency = max(1, concurrency)
        self.max_attempts = max_attempts
        self._lock: asyncio.Lock | None = None
        self._pacers: dict[str, Pacer] = {}

    def _now(self) -> datetime:
        now = self.clock.now()
        return (now if now.tzinfo else now.replace(tzinfo=BANGKOK)).astimezone(BANGKOK)

    def _idempotent(self, name: str, channel: Any) -> bool:
        return bool(getattr(channel, "idempotent", name in IDEMPOTENT))

    async def tick(self) -> TickReport:
        """One round: recover a crash's leftovers, enqueue what is due, push every pending row."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        if self._lock.locked():
            log.info("reminders: previous tick still running; skipped")
            return TickReport(self._now())
        async with self._lock:
            now = self._now()
            report = TickReport(now)
            channels = dict(self.runtime.channels)
            names = set(channels)
            idempotent = {n for n, ch in channels.items() if self._idempotent(n, ch)} | IDEMPOTENT
            store, catalogs = self.runtime.store, self.runtime.catalogs
            report.recovered = await self.runtime.call(recover, store, idempotent)
            if names and not self.config.quiet(now):
                messages = await self.runtime.call(due_now, store, catalogs, now, self.config)
                report.planned = len(messages)
                await self.runtime.call(enqueue, store, messages, now, names, report)
                rows = await self.runtime.call(pending, store, now, names)
                await self._send(rows, channels, report)
            if report.planned or report.sent or report.failed or report.recovered:
                log.info("%s", report)
            return report

    async def _send(self, rows: list[OutboxRow], channels: dict[str, Any], report: TickReport) -> None:
        by_channel: dict[str, list[OutboxRow]] = {}
        for row in rows:
            by_channel.setdefault(row.channel, []).append(row)
        await asyncio.gather(*(self._send_channel(name, channels[name], queue, report)
                               for name, queue in by_channel.items()))

    async def _send_channel(self, name: str, channel: Any, rows: list[OutboxRow], report: TickReport) -> None:
        pacer = self._pacers.setdefault(name, Pacer(self.rates.get(name)))
        queue = list(reversed(rows))

        async def worker() -> None:
            while queue:
                row = queue.pop()
                if not await self.runtime.call(mark_sending, self.runtime.store, row.id):
                    continue
                await pacer.wait()  # right before the push: the store hop adds no jitter to the spacing
                try:
                    result = await channel.push(row.external_id, Reply(row.text), key=row.key)
                except Exception as exc:  # a channel bug or network failure: retried later
                    log.exception("reminders: push to %s:%s failed", name, row.external_id)
                    result = PushResult(False, error=f"{type(exc).__name__}: {exc}")
                status = await self.runtime.call(mark_result, self.runtime.store, row, result, self._now(),
                                                 self.max_attempts)
                if status == "sent":
                    report.sent += 1
                elif status == "blocked":
                    report.blocked += 1
                else:
                    report.failed += 1

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(rows)))))


# ---------------------------------------------------------------- scheduling


def tick_seconds() -> float:
    return float(os.environ.get("KPIBOT_REMINDER_TICK", "60"))


def install(job_queue: Any, runtime: Runtime, *, interval: float | None = None, first: float = 10.0,
            **engine_options: Any) -> ReminderEngine:
    """Run the engine on python-telegram-bot's JobQueue (APScheduler on the bot's loop)."""
    engine = ReminderEngine(runtime, **engine_options)

    async def job(context: Any) -> None:
        try:
            await engine.tick()
        except Exception:
            log.exception("reminders: tick failed")

    job_queue.run_repeating(job, interval=interval or tick_seconds(), first=first, name="kpibot-reminders",
                            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None})
    return engine


def start_scheduler(runtime: Runtime, *, interval: float | None = None, first: float = 10.0,
                    **engine_options: Any) -> tuple[Any, ReminderEngine]:
    """Without Telegram (LINE or console only): an AsyncIOScheduler on the running loop.
    Returns (scheduler, engine); call ``scheduler.shutdown(wait=False)`` on exit."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    engine = ReminderEngine(runtime, **engine_options)

    async def job() -> None:
        try:
            await engine.tick()
        except Exception:
            log.exception("reminders: tick failed")

    scheduler = AsyncIOScheduler(timezone=BANGKOK, event_loop=asyncio.get_running_loop())
    scheduler.add_job(job, "interval", seconds=interval or tick_seconds(), id="kpibot-reminders",
                      next_run_time=datetime.now(BANGKOK) + timedelta(seconds=first),
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.start()
    return scheduler, engine


def preview(store: SqliteStore, catalogs: Any, start: date, days: int,
            config: Config | None = None) -> list[Planned]:
    """What the engine would send from ``start`` for ``days`` days if nobody reported meanwhile
    (each message at its own time, quiet hours and snoozes applied; ones already logged left out)."""
    config = config or Config()
    end = start + timedelta(days=max(1, days) - 1)
    candidates = plan(store, catalogs, start, end, config)
    sent = logged(store, {c.deadline_key for c in candidates})
    chosen: dict[tuple[int, str, str], Planned] = {}
    for c in candidates:
        moment = config.out_of_quiet(c.at)
        if c.key in sent or moment >= c.until:
            continue
        chosen[c.key] = c
    return sorted(chosen.values(), key=lambda c: (config.out_of_quiet(c.at), c.person.id))
