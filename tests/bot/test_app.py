"""`kpibot run` with credentials: Telegram and LINE together on one loop, one store, then a clean stop."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import time
from datetime import date

import aiohttp
import pytest

from bot.cli.demo import build
from bot.run.app import serve
from bot.run.config import settings
from tests.standins.line_api import Events, LineStandIn, sign, webhook_body
from tests.standins.telegram_api import TelegramStandIn

TOKEN = "123456:TEST-run"
SECRET = "run-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_run_serves_telegram_and_line_from_one_database(tmp_path, monkeypatch):
    db, evidence = tmp_path / "kpibot.sqlite3", tmp_path / "evidence"
    store = build(str(db), str(evidence), date.today(), figures=False)
    store.link_identity(6, "telegram", "7006")
    store.link_identity(6, "line", "U-mueang")
    store.close()
    telegram = TelegramStandIn(token=TOKEN)
    await telegram.start()
    line = await LineStandIn().start()
    port = free_port()
    for name, value in {
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "KPIBOT_DB": str(db), "KPIBOT_VAR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN, "KPIBOT_TELEGRAM_BASE_URL": telegram.base_url,
        "KPIBOT_TELEGRAM_BASE_FILE_URL": telegram.base_file_url, "KPIBOT_TELEGRAM_POLL_TIMEOUT": "2",
        "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": line.token,
        "KPIBOT_LINE_API_URL": line.url, "KPIBOT_LINE_HOST": "127.0.0.1", "KPIBOT_LINE_PORT": str(port),
        "KPIBOT_CONVERSATION": "process",  # as on any machine with two cores
    }.items():
        monkeypatch.setenv(name, value)
    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings(), stop))
    try:
        # Telegram: a report, confirmed by text
        telegram.inject_message(7006, "รายงาน ตชว.1 เบิกจ่าย 96%", user_id=7006)
        await telegram.wait_sent(7006, count=1, timeout=60)
        telegram.inject_message(7006, "ยืนยัน", user_id=7006)
        await telegram.wait_sent(7006, count=2, timeout=30)
        assert "บันทึกแล้วค่ะ" in telegram.sent_messages(7006)[-1].text
        # LINE: the same person sees the figure just reported on Telegram
        now_ms = int(time.time() * 1000)
        body = webhook_body(Events().text("U-mueang", "คะแนนปัจจุบัน", now_ms))
        async with aiohttp.ClientSession() as session:
            for _ in range(100):  # the LINE server starts after warm-up
                try:
                    async with session.post(f"http://127.0.0.1:{port}/line/callback", data=body,
                                            headers={"X-Line-Signature": sign(SECRET, body),
                                                     "Content-Type": "application/json"}) as response:
                        assert response.status == 200
                        break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.2)
        for _ in range(150):
            if line.texts():
                break
            await asyncio.sleep(0.2)
        assert any("ตชว.1 เบิกจ่าย\nน้ำหนัก 50\nระดับ 4" in t for t in line.texts()), line.texts()  # the card
    finally:
        stop.set()
        await asyncio.wait_for(server, 60)
        await line.stop()
        await telegram.stop()
    assert server.done() and server.exception() is None
    assert multiprocessing.active_children() == []  # the conversation process left with the bot


def test_conversation_mode_from_the_environment(monkeypatch):
    monkeypatch.setenv("KPIBOT_CONVERSATION", "inline")
    assert settings().conversation_process is False
    monkeypatch.setenv("KPIBOT_CONVERSATION", "process")
    assert settings().conversation_process is True
    monkeypatch.delenv("KPIBOT_CONVERSATION")
    assert settings().conversation_process is ((os.cpu_count() or 1) > 1)
    monkeypatch.setenv("KPIBOT_CONVERSATION", "threads")
    with pytest.raises(ValueError, match="process.*inline"):
        settings()


async def test_run_tells_the_admin_when_the_database_breaks_and_when_it_mends(tmp_path, monkeypatch):
    """Issue 13: a store that stops taking writes while running alerts the admins once (bot/run/watch.py)."""
    db, evidence = tmp_path / "kpibot.sqlite3", tmp_path / "evidence"
    store = build(str(db), str(evidence), date.today(), figures=False)
    admin = next(p for p in store.people() if p.role == "admin")
    store.link_identity(admin.id, "telegram", "7015")
    store.close()
    telegram = TelegramStandIn(token=TOKEN)
    await telegram.start()
    for name, value in {
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "KPIBOT_DB": str(db), "KPIBOT_VAR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN, "KPIBOT_TELEGRAM_BASE_URL": telegram.base_url,
        "KPIBOT_TELEGRAM_BASE_FILE_URL": telegram.base_file_url, "KPIBOT_TELEGRAM_POLL_TIMEOUT": "1",
        "KPIBOT_CONVERSATION": "inline", "KPIBOT_STORAGE_CHECK": "0.3",
    }.items():
        monkeypatch.setenv(name, value)
    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings(), stop))
    try:
        telegram.inject_message(7015, "สวัสดีค่ะ", user_id=7015)  # the bot is up: it answers
        await telegram.wait_sent(7015, count=1, timeout=60)
        await asyncio.sleep(1.0)
        assert len(telegram.sent_messages(7015)) == 1  # all well: nothing said but the answer
        header = db.read_bytes()[:100]
        with db.open("r+b") as f:
            f.write(b"\0" * 100)  # the file under the running bot is no longer a database
        await telegram.wait_sent(7015, count=2, timeout=30)
        await asyncio.sleep(1.0)
        alerts = telegram.sent_messages(7015)[1:]
        assert len(alerts) == 1 and "ไฟล์ฐานข้อมูลเสียหาย" in alerts[0].text  # once, not every probe
        with db.open("r+b") as f:
            f.write(header)
        await telegram.wait_sent(7015, count=3, timeout=30)
        assert "กลับมาบันทึกได้แล้ว" in telegram.sent_messages(7015)[-1].text
    finally:
        stop.set()
        await asyncio.wait_for(server, 60)
        await telegram.stop()
