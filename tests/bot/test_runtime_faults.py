"""Safe under faults (issue 13): a slow conversation is waited for, never answered "failed" while it may
still commit; a message that ends without its reply gets an apology that says what the store holds; and a
retry after that never makes a second version."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from datetime import datetime
from pathlib import Path

import pytest

import bot.run.process as process
from bot.run.process import WorkerSpec
from bot.run.runtime import NOT_SAVED, Runtime
from bot.store.sqlite import SqliteStore
from handlers.conversation import Conversation
from handlers.messages import Incoming
from handlers.nlu import warm_up
from scoring.loader import load_all
from scoring.thaidate import BANGKOK

from .telegram_setup import MUEANG_OFFICER, TG, make_db

OFFICER = str(TG[MUEANG_OFFICER])


class Stalls(Conversation):
    """In the child: a marker file next to the database makes one message stall for good (SIGSTOP),
    "<db>.stall-after" once the message is handled (committed), "<db>.stall-before" before it begins;
    "<db>.die-after": the child exits at once after handling. Each marker is used once."""

    def _marker(self, name: str) -> bool:
        marker = Path(f"{self.store.path}.{name}")
        if marker.exists():
            marker.unlink()
            return True
        return False

    def handle(self, msg: Incoming):
        if msg.choice is not None or msg.text in ("ยืนยัน", "ยกเลิกรายการล่าสุด"):
            if self._marker("stall-before"):
                os.kill(os.getpid(), signal.SIGSTOP)
        replies = super().handle(msg)
        if msg.choice is not None or msg.text in ("ยืนยัน", "ยกเลิกรายการล่าสุด"):
            if self._marker("stall-after"):
                os.kill(os.getpid(), signal.SIGSTOP)
            if self._marker("die-after"):
                os._exit(3)
        return replies


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


@pytest.fixture
async def runtime(tmp_path, catalogs, monkeypatch):
    monkeypatch.setattr(process, "SOFT_TIMEOUT", 0.3)
    monkeypatch.setattr(process, "HARD_TIMEOUT", 3.0)
    db, evidence = make_db(tmp_path)
    rt = Runtime(lambda: SqliteStore(db, evidence), catalogs,
                 worker=WorkerSpec(str(db), str(evidence), conversation=f"{__name__}:Stalls"))
    await rt.start()
    rt.db = db
    yield rt
    rt.close()


def said(text: str, choice: str | None = None, message_id: str = "1") -> Incoming:
    return Incoming(channel="telegram", sender=OFFICER, chat=OFFICER, text=text, sent_at=datetime.now(BANGKOK),
                    message_id=message_id, choice=choice)


def versions(rt: Runtime) -> list[int]:
    return [r["version"] for r in rt.store._rows("SELECT version FROM submissions ORDER BY id")]


def mark(rt: Runtime, name: str) -> None:
    Path(f"{rt.db}.{name}").touch()


async def test_a_slow_message_past_the_soft_timeout_still_gets_its_real_reply(runtime, caplog):
    pid = runtime.worker.pid
    os.kill(pid, signal.SIGSTOP)
    with caplog.at_level(logging.WARNING, logger="kpibot.worker"):
        task = asyncio.ensure_future(runtime.handle(said("คะแนนปัจจุบัน")))
        await asyncio.sleep(1.0)  # past the soft timeout (0.3 s)
        assert not task.done()
        os.kill(pid, signal.SIGCONT)
        (card,) = await asyncio.wait_for(task, 10)
    assert card.text.startswith("คะแนนปัจจุบัน เมืองยะลา")  # the real answer, no apology
    assert "still in hand" in caplog.text and runtime.worker.starts == 1


async def test_killed_after_saving_the_apology_says_saved_and_a_retry_makes_no_second_version(runtime):
    (card,) = await runtime.handle(said("รายงาน ตชว.1 เบิกจ่าย 96%", message_id="10"))
    assert "ยืนยันบันทึกไหมคะ" in card.text
    mark(runtime, "stall-after")
    first = runtime.worker._process
    (reply,) = await asyncio.wait_for(runtime.handle(said("ยืนยัน", choice="ok", message_id="10")), 20)
    assert not first.is_alive() and first.exitcode == -signal.SIGKILL  # killed at the hard limit
    assert reply.text.startswith("ขออภัยที่ตอบช้าค่ะ บันทึกแล้ว (ฉบับที่ 1): ตชว.1") and "ระดับ 4" in reply.text
    (again,) = await runtime.handle(said("ยืนยัน", choice="ok", message_id="10"))  # the user presses again
    assert again.text.startswith("บันทึกแล้วค่ะ (ฉบับที่ 1)")
    assert versions(runtime) == [1] and runtime.worker.starts == 2


async def test_killed_before_saving_the_apology_says_not_saved_and_the_retry_saves_once(runtime):
    await runtime.handle(said("รายงาน ตชว.1 เบิกจ่าย 96%", message_id="20"))
    mark(runtime, "stall-before")
    (reply,) = await asyncio.wait_for(runtime.handle(said("ยืนยัน", choice="ok", message_id="20")), 20)
    assert reply.text == NOT_SAVED and versions(runtime) == []
    (card,) = await runtime.handle(said("รายงาน ตชว.1 เบิกจ่าย 96%", message_id="21"))
    (saved,) = await runtime.handle(said("ยืนยัน", choice="ok", message_id="21"))
    assert saved.text.startswith("บันทึกแล้วค่ะ") and versions(runtime) == [1]


async def test_a_child_that_dies_after_saving_is_reported_truthfully(runtime):
    await runtime.handle(said("รายงาน ตชว.1 เบิกจ่าย 96%", message_id="30"))
    mark(runtime, "die-after")
    (reply,) = await asyncio.wait_for(runtime.handle(said("ยืนยัน", message_id="31")), 20)  # typed
    assert reply.text.startswith("ขออภัยที่ตอบช้าค่ะ บันทึกแล้ว (ฉบับที่ 1)")
    await runtime.handle(said("ยืนยัน", message_id="32"))  # typed again: nothing left to confirm
    assert versions(runtime) == [1]


async def test_an_undo_killed_after_committing_says_undone(runtime):
    await runtime.handle(said("รายงาน ตชว.1 เบิกจ่าย 96%", message_id="40"))
    await runtime.handle(said("ยืนยัน", choice="ok", message_id="40"))
    mark(runtime, "stall-after")
    (reply,) = await asyncio.wait_for(runtime.handle(said("ยกเลิกรายการล่าสุด", message_id="41")), 20)
    assert reply.text.startswith("ขออภัยที่ตอบช้าค่ะ ยกเลิกรายการ ตชว.1"), reply.text
    assert versions(runtime) == [1, 2]  # the version and its retraction: a retry must not undo another


async def test_a_message_queued_behind_a_stuck_one_was_never_begun(runtime):
    await runtime.handle(said("รายงาน ตชว.1 เบิกจ่าย 96%", message_id="50"))
    mark(runtime, "stall-before")
    stuck = asyncio.ensure_future(runtime.handle(said("ยืนยัน", choice="ok", message_id="50")))
    await asyncio.sleep(0.2)
    queued = asyncio.ensure_future(runtime.handle(said("คะแนนปัจจุบัน", message_id="51")))
    (first,), (second,) = await asyncio.wait_for(asyncio.gather(stuck, queued), 20)
    assert first.text == NOT_SAVED and second.text == NOT_SAVED and versions(runtime) == []


async def test_inline_an_error_after_the_commit_says_saved(tmp_path, catalogs, monkeypatch):
    db, evidence = make_db(tmp_path)
    rt = Runtime(lambda: SqliteStore(db, evidence), catalogs)
    try:
        await rt.handle(said("รายงาน ตชว.1 เบิกจ่าย 96%", message_id="60"))
        real = rt.conversation.handle

        def breaks_after(msg):
            real(msg)
            raise RuntimeError("rendering failed after the commit")

        monkeypatch.setattr(rt.conversation, "handle", breaks_after)
        (reply,) = await rt.handle(said("ยืนยัน", choice="ok", message_id="60"))
        assert reply.text.startswith("ขออภัยที่ตอบช้าค่ะ บันทึกแล้ว (ฉบับที่ 1)") and versions(rt) == [1]
        monkeypatch.setattr(rt.conversation, "handle", lambda msg: (_ for _ in ()).throw(RuntimeError("x")))
        (reply,) = await rt.handle(said("คะแนนปัจจุบัน", message_id="61"))
        assert reply.text == NOT_SAVED  # nothing changed: known not saved
    finally:
        rt.close()
