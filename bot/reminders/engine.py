"""The reminder engine: a periodic tick that sends what the ladder (handlers/reminders/) says is due.

Scheduling: APScheduler, through python-telegram-bot's JobQueue when Telegram runs
(``install(job_queue, runtime)``), or a plain ``AsyncIOScheduler`` when only LINE or the console
runs (``start_scheduler(runtime)``). The scheduler holds no state: every tick recomputes what is
due from the store and the catalogs, so a restart loses nothing.

Exactly once, in two phases (table ``reminder_outbox``, see bot/store/migrations.py):

1. enqueue: the texts are rendered first, outside any transaction; then in ONE transaction
   (``store.enqueue_reminders``) each reminder is logged (unique; a second tick or a restart finds
   it logged) with one ``pending`` outbox row per identity of the person on a running channel,
   carrying the message text and a fixed idempotency key;
2. send: after the pacer's wait, each row goes ``pending -> sending`` (committed, ``attempts`` + 1)
   only as an HTTP request of its push starts: the channel calls the push's ``on_request`` after
   its own rate limiter's waits, right before the request. Then ``sent``, ``blocked`` (the person is
   marked unreachable), ``unknown`` (a 5xx or a timeout after the request was made, on a channel
   without an idempotency key: perhaps delivered, never repeated, counted in the tick's report),
   or back to ``pending`` with a backoff after an error that delivered nothing (``failed`` after
   ``max_attempts`` requests; ``expired`` once no longer useful). ``attempts`` = requests made.

A crash between the two phases, or in the middle of a fan-out, leaves rows ``pending`` (never
tried, or waiting in a pacer or rate limiter: sent on the next tick) or ``sending`` (a request had
started). At the next tick a ``sending`` row is sent again with the same key where the channel
deduplicates by key (LINE's ``X-Line-Retry-Key``: exactly once); where it cannot (Telegram) it
becomes ``unknown`` and is not repeated: at most once, so a crash costs at most the requests in
flight (≤ ``concurrency`` per channel, each reported) and never sends a duplicate. Telegram's
channel itself retries only a 429 (Telegram refused: nothing delivered), after its retry_after.

Pacing: per channel, evenly spaced pushes below the channel's limit (Telegram 28/s against its 30/s;
the Telegram channel's own AIORateLimiter also waits out any 429), several in flight at once.

No SQL here: the outbox and log are the store's methods (bot/store/outbox.py). The clock is a
``handlers.ports.Clock`` (tests pass a controllable one).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.run.runtime import PushResult, Runtime
from bot.store.outbox import OutboxChart, OutboxEntry, OutboxRow
from bot.store.sqlite import SqliteStore
from handlers.messages import Reply
from handlers.ports import Clock, Renderer, system_clock
from handlers.reminders import Config, Planned, due, plan
from handlers.reminders.charts import ChartSpec, chart_view, draw
from scoring.thaidate import BANGKOK

log = logging.getLogger("kpibot.reminders")

DEFAULT_RATES = {"telegram": 28.0, "line": 100.0}  # pushes per second, under each channel's limit
IDEMPOTENT = {"line"}  # channels whose push deduplicates by key
KEY_NAMESPACE = uuid.UUID("6f1c9a52-5b7e-4d0e-9d55-4b9c1e0a7a11")
LOOKBACK_DAYS = 10  # how far back a tick looks for reminders still useful after downtime
DEFAULT_TICK = 60.0  # seconds between ticks (KPIBOT_REMINDER_TICK, read by bot/run/config.py)


@dataclass
class TickReport:
    at: datetime
    planned: int = 0  # due at this tick (before channel/identity checks)
    enqueued: int = 0  # reminders newly logged
    sent: int = 0  # pushes delivered
    blocked: int = 0
    failed: int = 0  # pushes that failed this tick (retried later unless given up)
    unknown: int = 0  # a request may have reached the channel, then a 5xx/timeout: perhaps delivered, not repeated
    recovered: dict[str, int] = field(default_factory=dict)  # crash recovery: pending / unknown
    no_identity: int = 0  # due, but the person has no identity on a running channel
    charts: int = 0  # chart pushes delivered (counted in ``sent`` too)
    charts_failed: int = 0  # charts that could not be drawn: their texts went without them

    def __str__(self) -> str:
        return (f"reminders {self.at:%Y-%m-%d %H:%M}: due {self.planned}, enqueued {self.enqueued}, sent {self.sent}, "
                f"blocked {self.blocked}, failed {self.failed}, unknown {self.unknown}, no channel {self.no_identity}"
                + (f", charts {self.charts}" if self.charts else "")
                + (f", charts not drawn {self.charts_failed}" if self.charts_failed else "")
                + (f", recovered {self.recovered}" if self.recovered else ""))


def idempotency_key(person_id: int, deadline_key: str, stage: str, channel: str, external_id: str) -> str:
    return str(uuid.uuid5(KEY_NAMESPACE, f"{person_id}|{deadline_key}|{stage}|{channel}|{external_id}"))


# ---------------------------------------------------------------- store side (SQL in bot/store/outbox.py)


def logged(store: SqliteStore, keys: Iterable[str]) -> set[tuple[int, str, str]]:
    """(person, deadline key, stage) already in reminder_log for these deadline keys."""
    return store.reminders_logged(keys)


def due_now(store: SqliteStore, catalogs: Any, now: datetime, config: Config) -> list[Planned]:
    today = now.astimezone(BANGKOK).date()
    candidates = plan(store, catalogs, today - timedelta(days=LOOKBACK_DAYS), today, config)
    sent = logged(store, {c.deadline_key for c in candidates})
    return due(candidates, now, sent.__contains__, config)


def recover(store: SqliteStore, idempotent: set[str]) -> dict[str, int]:
    """Rows left ``sending`` by a crash: resend where the channel deduplicates, else ``unknown``."""
    counts = store.recover_outbox(idempotent)
    for status, n in counts.items():
        log.warning("reminders: %d message(s) were in flight at a crash -> %s", n, status)
    return counts


def entries(store: SqliteStore, messages: list[Planned], channels: set[str], report: TickReport,
            images: set[str] = frozenset()) -> list[OutboxEntry]:
    """Each message's identities on running channels, its text and its charts' specs (on the channels
    in ``images``, those that can show one), made here: before, and outside, the write transaction of
    ``enqueue``."""
    out = []
    for message in messages:
        targets = [(ch, ext) for ch, ext in store.identities(message.person.id) if ch in channels]
        if not targets:
            report.no_identity += 1
            continue
        pid, key, stage = message.person.id, message.deadline_key, message.stage
        specs = message.charts if any(ch in images for ch, _ in targets) else ()
        charts = tuple(OutboxChart(ch, ext, idempotency_key(pid, key, f"{stage}#chart{n}", ch, ext), f"chart{n}",
                                   label, spec)
                       for ch, ext in targets if ch in images for n, (spec, label) in enumerate(specs, 1))
        out.append(OutboxEntry(pid, key, stage, message.until, message.text,
                               tuple((ch, ext, idempotency_key(pid, key, stage, ch, ext)) for ch, ext in targets),
                               charts))
    return out


def enqueue(store: SqliteStore, messages: list[Planned], now: datetime, channels: set[str],
            report: TickReport, images: set[str] = frozenset()) -> None:
    """Phase 1: texts rendered first, then in one transaction each reminder logged once and one row
    queued per identity, each followed by its charts' rows (specs only)."""
    report.enqueued += store.enqueue_reminders(entries(store, messages, channels, report, images), now)


def pending(store: SqliteStore, now: datetime, channels: set[str]) -> list[OutboxRow]:
    """Rows to push now; rows no longer useful become ``expired``."""
    return store.pending_outbox(now, channels)


def mark_sending(store: SqliteStore, row_id: int, again: bool = False) -> bool:
    """A request of the row's push starts (committed before it): ``sending``, one more attempt."""
    return store.mark_outbox_sending(row_id, again=again)


class NotOurs(Exception):
    """The row left ``pending`` before its request started (nothing is sent)."""


def outcome(row: OutboxRow, result: PushResult, now: datetime, max_attempts: int, *, requests: int = 1,
            idempotent: bool = False) -> tuple[str, datetime]:
    """A push's status and the next attempt's time: retries back off 1, 2, 4 ... up to 60 minutes.
    A push that may have delivered (``result.unknown``) is repeated only where the channel
    deduplicates by key."""
    if result.ok:
        return "sent", now
    if result.blocked:
        return "blocked", now
    if result.unknown and not idempotent:
        return "unknown", now
    tries = row.attempts + max(1, requests)
    if tries >= max_attempts:
        return "failed", now
    return "pending", now + timedelta(minutes=min(60, 2 ** (tries - 1)))


def mark_not_drawn(store: SqliteStore, row: OutboxRow, now: datetime, error: str, nothing: bool = False) -> None:
    """A chart row that was never pushed: ``failed`` (drawing failed; not retried) or ``expired``
    (nothing left to draw). No request was made."""
    store.mark_outbox_result(row, "expired" if nothing else "failed", sent_at=None, error=error, next_attempt_at=now)


def mark_result(store: SqliteStore, row: OutboxRow, result: PushResult, now: datetime, max_attempts: int,
                requests: int = 1, idempotent: bool = False) -> str:
    status, next_at = outcome(row, result, now, max_attempts, requests=requests, idempotent=idempotent)
    store.mark_outbox_result(row, status, sent_at=now if result.ok else None, error=result.error,
                             next_attempt_at=next_at)
    return status


def _takes_on_request(channel: Any) -> bool:
    """Whether ``channel.push`` announces its requests (``on_request``); else the engine marks the row
    itself right before calling it."""
    try:
        return "on_request" in inspect.signature(channel.push).parameters
    except (TypeError, ValueError):
        return False


def shows_images(name: str, channel: Any) -> bool:
    """Whether a push of a Reply's image shows the image: a channel may say so (``shows_images``); LINE
    only with a public base URL (its images are public HTTPS URLs; without one it would show a note)."""
    flag = getattr(channel, "shows_images", None)
    if flag is not None:
        return bool(flag)
    if name == "line":
        return bool(getattr(getattr(channel, "config", None), "public_base_url", None))
    return True


def outbox(store: SqliteStore) -> list[dict[str, Any]]:
    """Every outbox row (tests and `reminders preview` show them)."""
    return store.outbox_rows()


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
    def __init__(self, runtime: Runtime, *, clock: Clock | None = None, config: Config | None = None,
                 rates: dict[str, float | None] | None = None, concurrency: int = 8, max_attempts: int = 5,
                 renderer: Renderer | None = None):
        self.runtime = runtime
        # the charts of the weekly digest: the conversation's renderer unless given; None: texts only
        self.renderer = renderer or getattr(getattr(runtime, "conversation", None), "renderer", None)
        self.clock: Clock = clock or system_clock
        self.config = config or Config()
        self.rates = {**DEFAULT_RATES, **(rates or {})}
        self.concurrency = max(1, concurrency)
        self.max_attempts = max_attempts
        self._lock: asyncio.Lock | None = None
        self._pacers: dict[str, Pacer] = {}

    def _now(self) -> datetime:
        now = self.clock()
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
                images = {n for n, ch in channels.items() if shows_images(n, ch)} if self.renderer else set()
                await self.runtime.call(enqueue, store, messages, now, names, report, images)
                rows = await self.runtime.call(pending, store, now, names)
                await self._send(rows, channels, report)
            if report.planned or report.sent or report.failed or report.unknown or report.recovered:
                log.info("%s", report)
            return report

    async def _send(self, rows: list[OutboxRow], channels: dict[str, Any], report: TickReport) -> None:
        by_channel: dict[str, list[OutboxRow]] = {}
        for row in rows:
            by_channel.setdefault(row.channel, []).append(row)
        drawn: dict[str, asyncio.Task[Reply | None]] = {}  # this tick's charts by spec: each drawn once
        try:
            await asyncio.gather(*(self._send_channel(name, channels[name], queue, report, drawn)
                                   for name, queue in by_channel.items()))
        finally:
            for task in drawn.values():
                if not task.done():
                    task.cancel()

    def _chart(self, spec: str, drawn: dict[str, asyncio.Task[Reply | None]]) -> asyncio.Task[Reply | None]:
        """The chart of a spec, drawn once per tick however many rows want it: the figures read on the
        store's seam (``runtime.call``), the PNG drawn in a thread (0.3-0.5 s of matplotlib, off the loop)."""
        if spec not in drawn:
            async def make() -> Reply | None:
                view = await self.runtime.call(chart_view, self.runtime.store, self.runtime.catalogs,
                                               ChartSpec.decode(spec))
                return None if view is None else await asyncio.to_thread(draw, self.renderer, view)

            drawn[spec] = asyncio.ensure_future(make())
        return drawn[spec]

    async def _send_channel(self, name: str, channel: Any, rows: list[OutboxRow], report: TickReport,
                            drawn: dict[str, asyncio.Task[Reply | None]] | None = None) -> None:
        pacer = self._pacers.setdefault(name, Pacer(self.rates.get(name)))
        drawn = {} if drawn is None else drawn
        chains: dict[str, list[OutboxRow]] = {}  # one person's rows (a text, then its charts) go one after another
        for row in rows:
            chains.setdefault(row.external_id, []).append(row)
        queue = list(reversed(chains.values()))
        announces = _takes_on_request(channel)
        idempotent = self._idempotent(name, channel) or name in IDEMPOTENT
        store = self.runtime.store

        async def push(row: OutboxRow, reply: Reply, made: list[int]) -> PushResult:
            async def on_request() -> None:  # a request starts: committed first
                if not await self.runtime.call(mark_sending, store, row.id, made[0] > 0):
                    raise NotOurs(row.id)
                made[0] += 1

            if announces:
                return await channel.push(row.external_id, reply, key=row.key, on_request=on_request)
            await on_request()
            return await channel.push(row.external_id, reply, key=row.key)

        async def chart(row: OutboxRow) -> Reply | None:
            """The chart row's Reply; None when it is not to be pushed (marked here, no request made)."""
            assert row.chart is not None
            try:
                reply = await self._chart(row.chart, drawn) if self.renderer is not None else None
                if reply is None:
                    error = "nothing to draw" if self.renderer is not None else "no renderer"
                    await self.runtime.call(mark_not_drawn, store, row, self._now(), error, True)
                return reply
            except Exception as exc:  # never blocks the text (already pushed, or pushed on its own)
                log.exception("reminders: chart %s for %s:%s could not be drawn: the text went without it",
                              row.chart, name, row.external_id)
                await self.runtime.call(mark_not_drawn, store, row, self._now(), f"chart: {type(exc).__name__}: {exc}")
                report.charts_failed += 1
                return None

        async def send(row: OutboxRow) -> str | None:
            if row.chart is not None:
                reply = await chart(row)  # drawn before the pacer's wait: the slot goes to a ready push
                if reply is None:
                    return None
            else:
                reply = Reply(row.text)
            await pacer.wait()  # still pending while waiting: a crash here costs nothing
            made = [0]  # requests started (each committed as an attempt before it)
            try:
                result = await push(row, reply, made)
            except NotOurs:
                return None
            except Exception as exc:  # a channel bug: perhaps delivered if a request had started
                log.exception("reminders: push to %s:%s failed", name, row.external_id)
                result = PushResult(False, unknown=True, error=f"{type(exc).__name__}: {exc}")
            requests = made[0]
            if requests == 0 and result.unknown:
                result = replace(result, unknown=False)  # no request was made: nothing can have arrived
            status = await self.runtime.call(mark_result, store, row, result, self._now(), self.max_attempts,
                                             requests, idempotent)
            if status == "sent":
                report.sent += 1
                report.charts += int(row.chart is not None)
            elif status == "blocked":
                report.blocked += 1
            elif status == "unknown":
                report.unknown += 1
                log.warning("reminders: push to %s:%s may or may not have arrived (%s): not repeated",
                            name, row.external_id, result.error)
            else:
                report.failed += 1
            return status

        async def worker() -> None:
            while queue:
                for row in queue.pop():
                    status = await send(row)
                    if status == "blocked" or (row.chart is None and status not in ("sent", "unknown")):
                        break  # the rest (its charts) stay pending: never before their text

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(chains)))))


# ---------------------------------------------------------------- scheduling


def install(job_queue: Any, runtime: Runtime, *, interval: float | None = None, first: float = 10.0,
            **engine_options: Any) -> ReminderEngine:
    """Run the engine on python-telegram-bot's JobQueue (APScheduler on the bot's loop)."""
    engine = ReminderEngine(runtime, **engine_options)

    async def job(context: Any) -> None:
        try:
            await engine.tick()
        except Exception:
            log.exception("reminders: tick failed")

    job_queue.run_repeating(job, interval=interval or DEFAULT_TICK, first=first, name="kpibot-reminders",
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
    scheduler.add_job(job, "interval", seconds=interval or DEFAULT_TICK, id="kpibot-reminders",
                      next_run_time=system_clock() + timedelta(seconds=first),
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
