"""Reminder fan-out: 3,000 reminders through the Telegram channel to the Bot API stand-in, which
answers 429 above 30 messages/s like Telegram's flood control.

The whole real path: the planner over the store (3,000 reporters who have not sent June's figures,
the Tuesday before the 20 June cutoff), the two-phase outbox, bot/channels/telegram/channel.py's push through
python-telegram-bot over HTTP. At 30 messages/s the limit allows 3,000 in 100 s; the engine paces
at 28/s (evenly spaced, never a burst) to stay clear of 429s. Figures: the time against those
100 s (ratio), duplicates (must be 0), 429s (should be 0), and a second tick (must send 0).

Then faults (a fan-out of 300 on a fresh database): the stand-in delivers some messages and then
answers 502, or answers too late (a read timeout), and refuses a few requests with 429. Telegram
has no idempotency key, so at most once: figures are duplicates (must be 0), unknown (must equal
the deliver-then-fail faults: each reported, none repeated), 429s retried and delivered, and
attempts recorded against the requests the stand-in saw (must be equal).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

FANOUT = 3000
LIMIT = 30  # messages/s the stand-in enforces (Telegram's overall limit)
UNITS = ("yala-mueang", "yala-thanto", "yala-yaha")  # their monthly KPIs are due on the 20th only


class _Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:  # a handlers.ports.Clock
        return self.moment


FAULT_FANOUT, FAULT_502, FAULT_TIMEOUT, FAULT_429 = 300, 10, 4, 5


def _database(folder: Path, fanout: int = FANOUT) -> tuple[Path, Path]:
    from bot.cli.demo import build

    path, evidence = folder / f"bench-{fanout}.sqlite3", folder / f"evidence-{fanout}"
    store = build(str(path), str(evidence), date(2025, 6, 10), figures=False)
    with store.batch():
        for person in store.people():  # the demo's own people stay quiet: exactly FANOUT messages
            store.set_reminders(person.id, "muted")
        for i in range(fanout):
            person = store.add_person(f"ผู้รายงานทดสอบ {i + 1}", "reporter", UNITS[i % len(UNITS)], actor="bench")
            store.link_identity(person.id, "telegram", str(500000 + i))
    store.close()
    return path, evidence


async def _run(folder: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bot.channels.telegram.channel import TelegramSettings, build_application
    from bot.reminders.engine import ReminderEngine
    from bot.run.runtime import Runtime
    from bot.store.sqlite import SqliteStore
    from scoring.loader import load_all
    from scoring.thaidate import BANGKOK
    from tests.standins.telegram_api import TelegramStandIn

    t0 = time.perf_counter()
    path, evidence = _database(folder)
    setup = time.perf_counter() - t0
    standin = TelegramStandIn(rate_limit_per_second=LIMIT)
    await standin.start()
    runtime = Runtime(lambda: SqliteStore(path, evidence), load_all())
    channel = build_application(runtime, TelegramSettings(token=standin.token, base_url=standin.base_url,
                                                          base_file_url=standin.base_file_url, set_commands=False))
    try:
        await channel.application.initialize()
        runtime.channels["telegram"] = channel
        engine = ReminderEngine(runtime, clock=_Clock(datetime(2025, 6, 17, 8, 5, tzinfo=BANGKOK)))
        start = time.perf_counter()
        report = await engine.tick()
        elapsed = time.perf_counter() - start
        again = await engine.tick()
        sent = [m.chat_id for m in standin.sent_messages()]
        duplicates = sum(n - 1 for n in Counter(sent).values() if n > 1)
        allowed = FANOUT / LIMIT
        print(f"reminders: fan-out of {report.sent:,} reminders (due {report.planned:,}) to the Telegram stand-in "
              f"limited to {LIMIT}/s: {elapsed:.1f} s against the {allowed:.0f} s the limit allows "
              f"(ratio {elapsed / allowed:.2f}); {len(set(sent)):,} chats reached, duplicates {duplicates}, "
              f"429s {standin.too_many_requests}; second tick sent {again.sent}; setup {setup:.1f} s")
    finally:
        runtime.channels.pop("telegram", None)
        await channel.application.shutdown()
        await standin.stop()
        runtime.close()


async def _faults(folder: Path) -> None:
    from bot.channels.telegram.channel import TelegramSettings, build_application
    from bot.reminders.engine import ReminderEngine, outbox
    from bot.run.runtime import Runtime
    from bot.store.sqlite import SqliteStore
    from scoring.loader import load_all
    from scoring.thaidate import BANGKOK
    from tests.standins.telegram_api import TelegramStandIn, _ApiError

    logging.getLogger("kpibot.reminders").setLevel(logging.ERROR)  # the 14 "may have arrived" warnings: counted below
    path, evidence = _database(folder, FAULT_FANOUT)
    standin = TelegramStandIn(rate_limit_per_second=LIMIT)
    await standin.start()
    chats = [500000 + i for i in range(0, FAULT_FANOUT, FAULT_FANOUT // (FAULT_502 + FAULT_TIMEOUT))]
    bad_gateway, late = set(chats[:FAULT_502]), set(chats[FAULT_502:FAULT_502 + FAULT_TIMEOUT])
    real = standin._m_sendMessage

    async def send(params: dict) -> dict:  # delivered, then a 502 or no answer in time
        result = await real(params)
        if params.get("chat_id") in bad_gateway:
            raise _ApiError(502, "Bad Gateway")
        if params.get("chat_id") in late:
            await asyncio.sleep(3)
        return result

    standin._m_sendMessage = send  # type: ignore[method-assign]
    runtime = Runtime(lambda: SqliteStore(path, evidence), load_all())
    channel = build_application(runtime, TelegramSettings(token=standin.token, base_url=standin.base_url,
                                                          base_file_url=standin.base_file_url, set_commands=False))
    try:
        await channel.application.initialize()
        channel.application.bot.request._read_timeout = 1.0  # type: ignore[attr-defined]
        runtime.channels["telegram"] = channel
        for _ in range(FAULT_429):
            standin.fail_next("sendMessage", 429, retry_after=1)
        engine = ReminderEngine(runtime, clock=_Clock(datetime(2025, 6, 17, 8, 5, tzinfo=BANGKOK)))
        report = await engine.tick()
        again = await ReminderEngine(runtime, clock=_Clock(datetime(2025, 6, 17, 10, 5, tzinfo=BANGKOK))).tick()
        sent = [m.chat_id for m in standin.sent_messages()]
        duplicates = sum(n - 1 for n in Counter(sent).values() if n > 1)
        rows = await runtime.call(outbox, runtime.store)
        attempts = sum(r["attempts"] for r in rows)
        requests = len(standin.calls_of("sendMessage"))
        print(f"reminders under faults: {FAULT_FANOUT} due, {FAULT_502} delivered-then-502, {FAULT_TIMEOUT} "
              f"delivered-then-timeout, {FAULT_429} 429s injected ({standin.too_many_requests} 429s in all, each retried): "
              f"{len(set(sent))} chats reached, duplicates {duplicates}, "
              f"sent {report.sent}, unknown {report.unknown} (reported, not repeated), failed {report.failed}; "
              f"outbox attempts {attempts} for {requests} requests made; a later tick sent {again.sent}")
    finally:
        runtime.channels.pop("telegram", None)
        await channel.application.shutdown()
        await standin.stop()
        runtime.close()


def main() -> None:
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with tempfile.TemporaryDirectory(prefix="kpibot-bench-") as folder:
        asyncio.run(_run(Path(folder)))
        asyncio.run(_faults(Path(folder)))


if __name__ == "__main__":
    main()
