"""The conversation core in its own process (bot/run/process.py): same answers, same database, and a
dead process costs the messages in its hands an apology that says what was stored, never the bot
(slow and killed-after-saving children: tests/bot/test_runtime_faults.py)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
from datetime import datetime

import pytest

from bot.run.process import WorkerSpec
from bot.run.runtime import NOT_SAVED, Runtime
from bot.store.sqlite import SqliteStore
from handlers.messages import Attachment, Incoming
from handlers.nlu import warm_up
from scoring.loader import load_all
from scoring.thaidate import BANGKOK

from .telegram_setup import MUEANG_OFFICER, TG, make_db

OFFICER = str(TG[MUEANG_OFFICER])


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


@pytest.fixture
async def runtime(tmp_path, catalogs):
    db, evidence = make_db(tmp_path)
    rt = Runtime(lambda: SqliteStore(db, evidence), catalogs, worker=WorkerSpec(str(db), str(evidence)))
    await rt.start()
    yield rt
    rt.close()


def said(text: str, choice: str | None = None, attachments: tuple[Attachment, ...] = ()) -> Incoming:
    return Incoming(channel="telegram", sender=OFFICER, chat=OFFICER, text=text, sent_at=datetime.now(BANGKOK),
                    message_id="1", choice=choice, attachments=attachments)


async def test_the_conversation_runs_in_another_process_on_the_same_database(runtime):
    assert runtime.worker.pid not in (None, os.getpid())
    (card,) = await runtime.handle(said("รายงาน ตชว.1 เบิกจ่าย 96%"))
    assert "ยืนยันบันทึกไหมคะ" in card.text and [c.data for c in card.choices] == ["ok", "no"]
    (saved,) = await runtime.handle(said("ยืนยัน", choice="ok"))
    assert saved.text.startswith("บันทึกแล้วค่ะ") and "ระดับ 4" in saved.text
    sub = runtime.store.last_submission_by(MUEANG_OFFICER)  # the parent's own connection sees it
    assert sub is not None and sub.level == 4 and sub.unit_id == "yala-mueang"


async def test_evidence_bytes_cross_to_the_process(runtime):
    data = b"%PDF-1.4\n% evidence sent through the pipe\n%%EOF\n"
    loaded = []

    def load() -> bytes:  # a closure, as the channels give: not picklable, loaded in the parent
        loaded.append(True)
        return data

    attachment = Attachment(load, "application/pdf", len(data), "เบิกจ่าย.pdf", "file")
    (reply,) = await runtime.handle(said("หลักฐาน ตชว.1 เบิกจ่าย", attachments=(attachment,)))
    assert reply.text.startswith("เก็บหลักฐาน 1 ไฟล์") and loaded
    rows = runtime.store._rows("SELECT sha256, file_name FROM evidence")
    assert [(r["sha256"], r["file_name"]) for r in rows] == [(hashlib.sha256(data).hexdigest(), "เบิกจ่าย.pdf")]


async def test_a_killed_process_costs_its_message_an_apology_and_the_next_one_starts_again(runtime):
    first = runtime.worker.pid
    os.kill(first, signal.SIGSTOP)  # holds the next message for sure
    pending = runtime.handle(said("คะแนนปัจจุบัน"))
    task = asyncio.ensure_future(pending)
    await asyncio.sleep(0.2)
    assert not task.done()
    os.kill(first, signal.SIGKILL)
    (apology,) = await asyncio.wait_for(task, 10)
    assert apology.text == NOT_SAVED  # nothing of the sender's changed in the store: known not saved
    (card,) = await runtime.handle(said("คะแนนปัจจุบัน"))  # a new process answers
    assert card.text.startswith("คะแนนปัจจุบัน เมืองยะลา")
    assert runtime.worker.starts == 2 and runtime.worker.pid not in (first, os.getpid())


async def test_close_leaves_no_process_behind(tmp_path, catalogs):
    db, evidence = make_db(tmp_path)
    rt = Runtime(lambda: SqliteStore(db, evidence), catalogs, worker=WorkerSpec(str(db), str(evidence)))
    await rt.start()
    process = rt.worker._process
    assert process is not None and process.is_alive()
    rt.close()
    assert not process.is_alive() and process.exitcode == 0  # it left by itself, asked to stop
