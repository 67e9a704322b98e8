"""A store that stops taking writes while the bot runs alerts the admins once, and once when it mends
(issue 13; bot/run/watch.py, bot/store/health.py ``probe_storage``).

Real parts: SQLite files on disk, the Runtime and its store thread, the real probe. The channel is a fake
that keeps what it was given. Root ignores file modes, so the read-only case runs the probe in a process
without the capabilities that override them (as tests/bot/test_startup.py does).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bot.run.runtime import PushResult, Runtime
from bot.run.watch import StorageWatch
from bot.store.health import probe_storage
from bot.store.sqlite import SqliteStore
from handlers.messages import Incoming
from handlers.ports import Unit
from scoring.loader import load_all
from scoring.thaidate import BANGKOK
from tests.bot.test_startup import _permissions_apply

ADMIN_CHAT, OTHER_ADMIN_CHAT, REPORTER_CHAT = "900", "901", "100"
NOW = datetime(2026, 12, 3, 14, 5, tzinfo=BANGKOK)


class Channel:
    def __init__(self):
        self.pushes: list[tuple[str, str]] = []

    async def push(self, external_id: str, reply, *, key: str | None = None) -> PushResult:
        self.pushes.append((external_id, reply.text))
        return PushResult(True)


@pytest.fixture(scope="module")
def catalogs():
    return load_all()


@pytest.fixture
def files(tmp_path):
    db, evidence = tmp_path / "kpibot.sqlite3", tmp_path / "evidence"
    store = SqliteStore(db, evidence)
    store.put_unit(Unit("yala", "ยะลา", "province", None, {}))
    for name, role, chat in (("ผู้ดูแล หนึ่ง", "admin", ADMIN_CHAT), ("ผู้ดูแล สอง", "admin", OTHER_ADMIN_CHAT),
                             ("พัฒนากร ทดสอบ", "reporter", REPORTER_CHAT)):
        person = store.add_person(name, role, "yala")
        store.link_identity(person.id, "telegram", chat)
    store.close()
    evidence.mkdir(exist_ok=True)
    return db, evidence


@pytest.fixture
def running(files, catalogs):
    db, evidence = files
    runtime = Runtime(lambda: SqliteStore(db, evidence), catalogs)
    channel = Channel()
    runtime.channels = {"telegram": channel}
    yield runtime, channel
    runtime.close()


def corrupt(db: Path) -> bytes:
    header = db.read_bytes()[:100]
    with db.open("r+b") as f:
        f.write(b"\0" * 100)
    return header


def mend(db: Path, header: bytes) -> None:
    with db.open("r+b") as f:
        f.write(header)


def test_probe_passes_on_a_good_store_and_names_each_problem(files, tmp_path):
    db, evidence = files
    assert probe_storage(db, evidence) is None
    header = corrupt(db)
    assert probe_storage(db, evidence).kind == "corrupt"
    mend(db, header)
    assert probe_storage(db, evidence) is None
    evidence.rmdir()
    evidence.write_text("not a folder")
    assert probe_storage(db, evidence).kind == "evidence"
    assert probe_storage(tmp_path / "gone.sqlite3", tmp_path).kind == "unopenable"
    assert not (tmp_path / "gone.sqlite3").exists()  # the probe never creates a database


def test_probe_sees_a_file_made_read_only_under_a_running_store(files):
    """A connection already open keeps writing; the probe opens its own, as a restart would."""
    db, evidence = files
    prefix = _permissions_apply()
    db.chmod(0o444)
    try:
        code = ("import sys; from bot.store.health import probe_storage; p = probe_storage(sys.argv[1], sys.argv[2]);"
                "print(p.kind if p else 'ok')")
        done = subprocess.run([*prefix, sys.executable, "-c", code, str(db), str(evidence)], capture_output=True,
                              text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    finally:
        db.chmod(0o644)
    assert done.stdout.strip() == "readonly", done.stderr


async def test_admins_are_told_once_when_writes_stop_and_once_when_they_work_again(running, files):
    runtime, channel = running
    db, evidence = files
    watch = StorageWatch(runtime, db, evidence, clock=lambda: NOW)
    assert await watch.check() is None and channel.pushes == []  # all well: nothing said
    header = corrupt(db)
    assert (await watch.check()).kind == "corrupt"
    assert (await watch.check()).kind == "corrupt"  # still broken: not said again
    told = {chat: text for chat, text in channel.pushes}
    assert sorted(told) == [ADMIN_CHAT, OTHER_ADMIN_CHAT] and len(channel.pushes) == 2  # admins only, once each
    alert = told[ADMIN_CHAT]
    assert "ไฟล์ฐานข้อมูลเสียหาย" in alert and "14:05 น. 3 ธ.ค. 2569" in alert and "บันทึกไม่ได้" in alert
    channel.pushes.clear()
    mend(db, header)
    assert await watch.check() is None
    assert [chat for chat, _ in channel.pushes] == [ADMIN_CHAT, OTHER_ADMIN_CHAT]
    assert all("กลับมาบันทึกได้แล้ว" in text for _, text in channel.pushes)
    channel.pushes.clear()
    assert await watch.check() is None and channel.pushes == []


async def test_an_apology_makes_the_watch_look_at_once(running, files):
    runtime, channel = running
    db, evidence = files
    probes: list[float] = []

    def probe(db: Path, evidence: Path):
        probes.append(1.0)
        return probe_storage(db, evidence)

    watch = StorageWatch(runtime, db, evidence, interval=3600, clock=lambda: NOW, probe=probe)
    stop = asyncio.Event()
    task = asyncio.create_task(watch.run(stop))
    await asyncio.sleep(0.2)
    assert len(probes) == 1  # the first look, at start

    def broken(msg):
        raise RuntimeError("disk I/O error")

    runtime.conversation.handle = broken  # the next message fails in the conversation
    replies = await runtime.handle(Incoming(channel="telegram", chat=REPORTER_CHAT, sender=REPORTER_CHAT,
                                            text="รายงาน ตชว.1 เบิกจ่าย 90%", sent_at=NOW, message_id="1"))
    assert replies and replies[0].text.startswith("ขออภัย")
    for _ in range(50):
        if len(probes) >= 2:
            break
        await asyncio.sleep(0.05)
    assert len(probes) == 2  # looked again at once, not an hour later
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_a_store_that_cannot_be_read_still_alerts_the_admins_known_before(running, files):
    runtime, channel = running
    db, evidence = files
    watch = StorageWatch(runtime, db, evidence, clock=lambda: NOW)
    await watch.check()  # reads who the admins are
    corrupt(db)
    await watch.check()
    assert sorted(chat for chat, _ in channel.pushes) == [ADMIN_CHAT, OTHER_ADMIN_CHAT]
