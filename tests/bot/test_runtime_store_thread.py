"""The event loop never waits on SQLite (issue 13): the parent's store calls run on one store thread, so a
write lock held by another connection stalls that call only, never the channels on the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import datetime

import pytest

from bot.run.runtime import Runtime
from bot.store.sqlite import SqliteStore
from handlers.messages import Incoming
from handlers.nlu import warm_up
from scoring.loader import load_all
from scoring.thaidate import BANGKOK

from .telegram_setup import MUEANG_OFFICER, TG, make_db

OFFICER = str(TG[MUEANG_OFFICER])
HOLD = 2.5  # seconds the other connection holds the write lock (the store waits up to 5 s)


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


async def ticking(gaps: list[float], stop: asyncio.Event) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.05)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


async def test_a_held_write_lock_stalls_the_call_not_the_loop(tmp_path, catalogs):
    db, evidence = make_db(tmp_path)
    rt = Runtime(lambda: SqliteStore(db, evidence), catalogs)  # inline: the conversation goes through call too
    other = sqlite3.connect(str(db), isolation_level=None, check_same_thread=False)
    try:
        assert (await rt.call(lambda: threading.current_thread().name)).startswith("kpibot-store")
        gaps: list[float] = []
        stop = asyncio.Event()
        ticker = asyncio.create_task(ticking(gaps, stop))
        other.execute("BEGIN IMMEDIATE")
        held = time.perf_counter()
        asyncio.get_running_loop().call_later(HOLD, other.execute, "ROLLBACK")
        now = datetime.now(BANGKOK)
        msg = Incoming(channel="telegram", sender=OFFICER, chat=OFFICER, text="รายงาน ตชว.1 เบิกจ่าย 96%",
                       sent_at=now, message_id="1")
        card, recorded, first = await asyncio.gather(
            rt.handle(msg),  # writes the chat's state: waits for the lock
            rt.record_events("telegram", ["u1", "u2"], now),
            rt.first_delivery("line", "ev-1", now))
        waited = time.perf_counter() - held
        stop.set()
        await ticker
        assert "ยืนยันบันทึกไหมคะ" in card[0].text  # the real card, after the lock was released
        assert recorded == 2 and first is True
        assert waited >= HOLD - 0.1
        assert len(gaps) >= HOLD / 0.05 * 0.5 and max(gaps) < 0.5, max(gaps)  # the loop ticked on throughout
        assert await rt.role("telegram", OFFICER) == "reporter"
    finally:
        other.close()
        rt.close()
