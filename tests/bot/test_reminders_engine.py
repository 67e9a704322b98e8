"""The reminder engine (bot/reminders/engine.py) with a controllable clock and fake channels that record pushes.

Real parts: the SQLite store, the Runtime's store thread, the planner; the channels are fakes
(the Telegram/LINE channels have their own tests against stand-ins; bench/reminders_bench.py
pushes through the Telegram stand-in)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.cli.demo import build
from bot.reminders.engine import ReminderEngine, install, outbox, preview, start_scheduler
from bot.run.runtime import PushResult, Runtime
from bot.store.sqlite import SqliteStore
from scoring.loader import load_all
from scoring.thaidate import BANGKOK

REPORTERS = [1, 2, 3, 4, 5, 6, 7, 8]
MUEANG_OFFICER, BETONG_OFFICER, COORD_SONGSERM = 6, 5, 13


class Crash(BaseException):
    """The process dies (not an Exception: nothing catches it)."""


class FakeChannel:
    def __init__(self, name: str = "telegram", *, idempotent: bool = False, crash_after: int | None = None,
                 blocked: set[str] = frozenset(), fail: set[str] = frozenset()):
        self.name = name
        self.idempotent = idempotent
        self.crash_after = crash_after
        self.blocked, self.fail = set(blocked), set(fail)
        self.pushes: list[tuple[str, str, str | None]] = []  # delivered: (external id, text, key)
        self.keys: set[str] = set()
        self.calls = 0

    async def push(self, external_id: str, reply, *, key: str | None = None) -> PushResult:
        self.calls += 1
        if self.crash_after is not None and self.calls > self.crash_after:
            raise Crash()
        if external_id in self.blocked:
            return PushResult(False, blocked=True, error="403 blocked")
        if external_id in self.fail:
            return PushResult(False, error="502 bad gateway")
        if self.idempotent and key in self.keys:
            return PushResult(True)  # like LINE's X-Line-Retry-Key: accepted once
        self.keys.add(key)
        self.pushes.append((external_id, reply.text, key))
        return PushResult(True)

    def to(self, person_id: int) -> list[str]:
        return [text for ext, text, _ in self.pushes if ext == str(1000 + person_id)]


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:  # a handlers.ports.Clock
        return self.moment

    def set(self, day: date, hour: int, minute: int = 0) -> None:
        self.moment = datetime.combine(day, time(hour, minute), BANGKOK)


@pytest.fixture(scope="module")
def catalogs():
    return load_all()


@pytest.fixture()
def db(tmp_path):
    """The demo database as of 10 June 2025, no figures; everyone on Telegram as 1000 + person id."""
    path, evidence = tmp_path / "kpibot.sqlite3", tmp_path / "evidence"
    store = build(str(path), str(evidence), date(2025, 6, 10), figures=False)
    for person in store.people():
        store.link_identity(person.id, "telegram", str(1000 + person.id))
    store.close()
    return path, evidence


class Bot:
    """A running bot: Runtime + engine + channels; restart() is a new process on the same file."""

    def __init__(self, db, catalogs, clock: Clock, *channels: FakeChannel):
        self.db, self.catalogs, self.clock = db, catalogs, clock
        self.runtime: Runtime | None = None
        self.start(*channels)

    def start(self, *channels: FakeChannel) -> None:
        path, evidence = self.db
        self.runtime = Runtime(lambda: SqliteStore(path, evidence), self.catalogs)
        self.runtime.channels = {ch.name: ch for ch in channels}
        self.engine = ReminderEngine(self.runtime, clock=self.clock, rates={"telegram": None, "line": None},
                                     concurrency=1)

    def restart(self, *channels: FakeChannel) -> None:
        self.runtime.close()
        self.start(*channels)

    async def tick(self):
        return await self.engine.tick()

    async def store(self, fn, *args):
        return await self.runtime.call(fn, self.runtime.store, *args)

    def close(self) -> None:
        self.runtime.close()


@pytest.fixture()
def bot(db, catalogs):
    made: list[Bot] = []

    def make(clock: Clock, *channels: FakeChannel) -> Bot:
        b = Bot(db, catalogs, clock, *channels)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


def at(day: date, hour: int, minute: int = 0) -> Clock:
    return Clock(datetime.combine(day, time(hour, minute), BANGKOK))


async def test_a_tick_sends_once_and_a_second_tick_sends_nothing(bot):
    channel = FakeChannel()
    b = bot(at(date(2025, 6, 17), 8, 5), channel)
    report = await b.tick()
    assert report.sent == len(channel.pushes) > 0
    assert "อีก 3 วันครบกำหนดส่ง (วันศุกร์ 20 มิ.ย. 2568)" in channel.to(MUEANG_OFFICER)[0]
    again = await b.tick()
    assert again.sent == 0 and again.enqueued == 0
    b.clock.set(date(2025, 6, 17), 15)
    assert (await b.tick()).sent == 0
    rows = await b.store(outbox)
    assert {r["status"] for r in rows} == {"sent"} and len(rows) == len(channel.pushes)


@pytest.mark.parametrize("idempotent", [False, True], ids=["telegram-like", "line-like"])
async def test_crash_half_way_through_a_fan_out_then_restart(bot, idempotent):
    from bot.reminders.engine import due_now
    from handlers.reminders import Config

    clock = at(date(2025, 6, 20), 8, 1)
    first = FakeChannel("telegram", idempotent=idempotent)
    b = bot(clock, first)
    due = await b.store(due_now, b.catalogs, clock(), Config())
    total = len(due) + sum(len(m.charts) for m in due)  # one identity each; a chart is a push of its own
    first.crash_after = total // 2
    with pytest.raises(Crash):
        await b.tick()
    rows = await b.store(outbox)
    assert len(rows) == total > 10 and len(first.pushes) == total // 2
    assert [r["status"] for r in rows].count("sending") == 1  # the push in flight when it died

    second = FakeChannel("telegram", idempotent=idempotent)
    second.keys = set(first.keys)  # the same LINE account remembers retry keys across our restart
    b.restart(second)
    report = await b.tick()
    delivered = first.pushes + second.pushes
    keys = [k for _, _, k in delivered]
    assert len(keys) == len(set(keys))  # no duplicates
    rows = await b.store(outbox)
    statuses = [r["status"] for r in rows]
    if idempotent:  # LINE: the in-flight push is repeated with the same retry key: exactly once
        assert len(delivered) == total and statuses == ["sent"] * total
    else:  # Telegram: at most once; the one in flight is recorded as unknown, all others delivered
        assert len(delivered) == total - 1 and statuses.count("unknown") == 1
        assert report.recovered == {"unknown": 1}
    # and nothing more on later ticks
    clock.set(date(2025, 6, 20), 9)
    assert (await b.tick()).sent == 0


async def test_downtime_across_reminder_times_sends_the_latest_once(bot):
    channel = FakeChannel()
    b = bot(at(date(2025, 6, 16), 7, 30), channel)
    await b.tick()
    assert not any("20 มิ.ย. 2568" in t for t in channel.to(MUEANG_OFFICER))
    b.clock.set(date(2025, 6, 20), 10)  # down from Monday to Friday: d-3, d-1 and d0 all passed
    await b.tick()
    await b.tick()
    mine = [t for t in channel.to(MUEANG_OFFICER) if "20 มิ.ย. 2568" in t]
    assert len(mine) == 1 and "วันนี้ครบกำหนดส่ง" in mine[0]


async def test_suppression_after_submission(bot):
    from handlers.ports import NewSubmission

    channel = FakeChannel()
    b = bot(at(date(2025, 6, 17), 8, 5), channel)
    await b.tick()
    for kpi in ("i1", "i2"):
        await b.store(lambda s, k=kpi: s.add_submission(NewSubmission(
            MUEANG_OFFICER, "yala-mueang", "yala-2568-r2-district-individual", k, "2025-06", {}, 3, "console",
            "x", datetime(2025, 6, 17, 9, tzinfo=BANGKOK))))
    b.clock.set(date(2025, 6, 19), 8, 5)
    await b.tick()
    assert len(channel.to(MUEANG_OFFICER)) == 1  # the d-3 before submitting; no d-1
    assert len(channel.to(BETONG_OFFICER)) >= 2


async def test_muted_and_quiet_hours(bot):
    channel = FakeChannel()
    b = bot(at(date(2025, 6, 17), 21), channel)
    await b.store(lambda s: s.set_reminders(MUEANG_OFFICER, "muted"))
    assert (await b.tick()).sent == 0  # 21:00: quiet hours
    b.clock.set(date(2025, 6, 18), 7)
    await b.tick()
    assert channel.to(BETONG_OFFICER) and not channel.to(MUEANG_OFFICER)


async def test_blocked_person_is_marked_unreachable_and_named_to_coordinators(bot):
    channel = FakeChannel(blocked={str(1000 + BETONG_OFFICER)})
    b = bot(at(date(2025, 6, 17), 8, 5), channel)
    report = await b.tick()
    assert report.blocked >= 1  # (the overdue notice of the 15th and the d-3 of the 20th)
    person = await b.store(lambda s: s.person(BETONG_OFFICER))
    assert person.reachable is False
    b.clock.set(date(2025, 6, 20), 8, 5)
    await b.tick()
    assert not channel.to(BETONG_OFFICER)
    digest = channel.to(COORD_SONGSERM)[-1]
    assert "ติดต่อทางแชทไม่ได้" in digest and "นางสาวกมลชนก ทองดี (เบตง)" in digest


async def test_failed_push_is_retried_later_once(bot):
    channel = FakeChannel(fail={str(1000 + MUEANG_OFFICER)})
    b = bot(at(date(2025, 6, 17), 8, 5), channel)
    report = await b.tick()
    assert report.failed == 1 and not channel.to(MUEANG_OFFICER)
    channel.fail.clear()
    await b.tick()  # too early: backoff
    assert not channel.to(MUEANG_OFFICER)
    b.clock.set(date(2025, 6, 17), 8, 10)
    await b.tick()
    await b.tick()
    assert len(channel.to(MUEANG_OFFICER)) == 1


async def test_people_without_a_running_channel_are_not_logged(bot, db):
    channel = FakeChannel("line", idempotent=True)  # everyone is on Telegram only
    b = bot(at(date(2025, 6, 17), 8, 5), channel)
    report = await b.tick()
    assert report.sent == 0 and report.no_identity > 0
    b.restart(FakeChannel())  # Telegram comes up: the reminders are still owed
    assert (await b.tick()).sent > 0


async def test_preview_lists_what_would_be_sent(db, catalogs):
    store = SqliteStore(*db)
    try:
        items = preview(store, catalogs, date(2025, 6, 17), 4)
    finally:
        store.close()
    stages = {(m.person.id, m.deadline_key, m.stage) for m in items}
    assert {(MUEANG_OFFICER, "due:2025-06-20", s) for s in ("d-3", "d-1", "d0")} <= stages
    assert (COORD_SONGSERM, "due:2025-06-20", "digest-d0") in stages


def test_preview_cli(db, capsys):
    import argparse

    from bot.cli import reminders as reminders_cli

    parser = argparse.ArgumentParser()
    reminders_cli.register(parser.add_subparsers())
    args = parser.parse_args(["reminders", "preview", "--db", str(db[0]), "--from", "2025-06-19", "--days", "2"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "19 มิ.ย. 2568 08:00 น. → นางสาวสุภาพร ใจดี (ผู้รายงาน · เมืองยะลา) [due:2025-06-20 d-1] ทาง: console, telegram" in out
    assert "พรุ่งนี้ครบกำหนดส่ง" in out


async def test_install_on_the_job_queue_and_the_plain_scheduler(db, catalogs):
    from telegram.ext import ApplicationBuilder

    path, evidence = db
    runtime = Runtime(lambda: SqliteStore(path, evidence), catalogs)
    try:
        app = ApplicationBuilder().token("123:TEST").build()
        install(app.job_queue, runtime, interval=60)
        assert [j.name for j in app.job_queue.jobs()] == ["kpibot-reminders"]
        scheduler, engine = start_scheduler(runtime, interval=60)
        try:
            assert [j.id for j in scheduler.get_jobs()] == ["kpibot-reminders"]
        finally:
            scheduler.shutdown(wait=False)
    finally:
        runtime.close()


async def test_texts_are_rendered_outside_the_write_transaction(bot, monkeypatch):
    from handlers.reminders.plan import Planned

    channel = FakeChannel()
    b = bot(at(date(2025, 6, 17), 8, 5), channel)
    seen: list[bool] = []
    render = Planned.text.fget

    def spy(self):
        seen.append(b.runtime.store.db.conn.in_transaction)
        return render(self)

    monkeypatch.setattr(Planned, "text", property(spy))
    report = await b.tick()
    assert report.sent == len(channel.pushes) > 0
    assert seen and not any(seen)  # every text made while the store held no transaction


# ---------------------------------------------------------------- faults: exactly once where possible, at most once


class AnnouncingChannel(FakeChannel):
    """A fake whose push announces each request (``on_request``), as the real channels do."""

    async def push(self, external_id: str, reply, *, key: str | None = None, on_request=None) -> PushResult:
        if on_request is not None:
            await on_request()
        return await super().push(external_id, reply, key=key)


async def test_a_crash_in_the_pacer_wait_loses_nothing_and_sends_nothing_twice(bot):
    """The 8 rows in hand wait in the pacer when the process dies: none reached the channel, so none
    is `sending`/`unknown`; the next start sends each of them exactly once."""
    import asyncio

    from bot.reminders import engine as engine_module

    clock = at(date(2025, 6, 20), 8, 1)
    first = AnnouncingChannel()
    b = bot(clock, first)
    b.engine.concurrency = 8
    waits, free, all_waiting = 0, 3, asyncio.Event()

    class DyingPacer(engine_module.Pacer):
        async def wait(self) -> None:
            nonlocal waits
            waits += 1
            if waits > free:  # every worker ends up here, a row in hand: the process dies now
                if waits == free + 8:
                    all_waiting.set()
                await asyncio.Event().wait()

    b.engine._pacers["telegram"] = DyingPacer(None)
    task = asyncio.create_task(b.tick())
    await asyncio.wait_for(all_waiting.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rows = await b.store(outbox)
    statuses = [r["status"] for r in rows]
    assert len(first.pushes) == free and statuses.count("sent") == free
    assert statuses.count("pending") == len(rows) - free > 8  # the 8 in hand among them
    assert "sending" not in statuses and "unknown" not in statuses

    second = AnnouncingChannel()
    b.restart(second)
    report = await b.tick()
    assert report.recovered == {} and report.unknown == 0
    keys = [k for _, _, k in first.pushes + second.pushes]
    assert len(keys) == len(set(keys)) == len(rows)  # every row delivered, exactly once
    rows = await b.store(outbox)
    assert {r["status"] for r in rows} == {"sent"} and {r["attempts"] for r in rows} == {1}


async def _telegram_bot(b, standin):
    """The real Telegram channel (python-telegram-bot over HTTP) against the stand-in, in b's runtime."""
    from bot.channels.telegram.channel import TelegramSettings, build_application

    channel = build_application(b.runtime, TelegramSettings(token=standin.token, base_url=standin.base_url,
                                                            base_file_url=standin.base_file_url,
                                                            set_commands=False))
    await channel.application.initialize()
    b.runtime.channels = {"telegram": channel}
    return channel


def _deliver_then(standin, chat_id: int, fault: str):
    """sendMessage to `chat_id` is delivered, then answered 502 (or never answered in time)."""
    import asyncio

    from tests.standins.telegram_api import _ApiError

    real = standin._m_sendMessage

    async def send(params):
        result = await real(params)
        if params.get("chat_id") == chat_id:
            if fault == "502":
                raise _ApiError(502, "Bad Gateway")
            await asyncio.sleep(5)  # longer than the read timeout below
        return result

    standin._m_sendMessage = send


@pytest.mark.parametrize("fault", ["502", "timeout"])
async def test_telegram_delivers_then_fails_one_copy_and_unknown(bot, fault):
    from tests.standins.telegram_api import TelegramStandIn

    chat = 1000 + MUEANG_OFFICER
    async with TelegramStandIn() as standin:
        b = bot(at(date(2025, 6, 17), 8, 5))
        channel = await _telegram_bot(b, standin)
        try:
            channel.application.bot.request._read_timeout = 1.0  # the timeout case within a second
            _deliver_then(standin, chat, fault)
            report = await b.tick()
            assert len(standin.sent_messages(chat)) == 1  # delivered once: no retry in the channel or the engine
            assert len(standin.calls_of("sendMessage")) == report.sent - report.charts + 1  # charts: sendPhoto
            mine = [r for r in await b.store(outbox) if r["external_id"] == str(chat)]
            assert len(mine) == 1  # one reminder due to this chat
            rows = {r["external_id"]: r for r in await b.store(outbox)}
            assert rows[str(chat)]["status"] == "unknown" and rows[str(chat)]["attempts"] == 1
            assert report.unknown == 1 and report.failed == 0
            assert {r["attempts"] for r in rows.values()} == {1}
            b.clock.set(date(2025, 6, 17), 10)  # later ticks never repeat it
            assert (await b.tick()).sent == 0
            assert len(standin.sent_messages(chat)) == 1
        finally:
            await channel.application.shutdown()


async def test_telegram_429_is_retried_and_delivered_once(bot):
    from tests.standins.telegram_api import TelegramStandIn

    async with TelegramStandIn() as standin:
        b = bot(at(date(2025, 6, 17), 8, 5))
        channel = await _telegram_bot(b, standin)
        try:
            standin.fail_next("sendMessage", 429, retry_after=1)
            report = await b.tick()
            sent = [(m.chat_id, m.text) for m in standin.sent_messages()]
            assert len(sent) == len(set(sent)) == report.sent > 0 and report.failed == report.unknown == 0
            rows = await b.store(outbox)
            assert {r["status"] for r in rows} == {"sent"}
            attempts = sorted(r["attempts"] for r in rows)  # requests actually made: one row needed two
            assert attempts == [1] * (len(rows) - 1) + [2]
            texts = [r for r in rows if r["chart"] is None]  # the weekly digests' charts go by sendPhoto
            assert len(standin.calls_of("sendMessage")) == len(texts) + 1
        finally:
            await channel.application.shutdown()


def test_outcome_after_a_maybe_delivered_push():
    from bot.reminders.engine import outcome
    from bot.store.outbox import OutboxRow

    row, now = OutboxRow(1, 1, "telegram", "1", "k", "t", 0), datetime(2025, 6, 17, 8, tzinfo=BANGKOK)
    maybe = PushResult(False, unknown=True, error="502")
    assert outcome(row, maybe, now, 5)[0] == "unknown"  # Telegram: never repeated
    assert outcome(row, maybe, now, 5, idempotent=True)[0] == "pending"  # LINE: same retry key, safe
    assert outcome(row, PushResult(False, error="400"), now, 5)[0] == "pending"
