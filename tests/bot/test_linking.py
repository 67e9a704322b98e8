"""Account linking through the console (`kpibot chat`), like on Telegram and LINE: the console has no
runtime of its own, so “เชื่อมบัญชี CODE” must be answered by the conversation itself."""

from __future__ import annotations

import io
import re

from bot.channels.console import ConsoleChat
from bot.cli.demo import build
from handlers.conversation import Conversation
from scoring.loader import load_all
from tests.bot.test_console import chat
from tests.handlers.conftest import MUEANG_OFFICER, TODAY

STRANGER = 99  # no console identity in the demo organisation


def test_a_code_asked_on_the_console_links_another_console_user(tmp_path):
    store = build(str(tmp_path / "demo.sqlite3"), str(tmp_path / "evidence"), TODAY, figures=False)
    try:
        out = io.StringIO()
        console = ConsoleChat(store, Conversation(store, load_all()), MUEANG_OFFICER, TODAY, out=out)
        [asked] = console.send("ขอรหัสเชื่อมบัญชี")
        code = re.search(r"เชื่อมบัญชี ([A-Z0-9]{8})", asked.text).group(1)
        console.send(f"/user {STRANGER}")
        [linked] = console.send(f"เชื่อมบัญชี {code}")
        assert "เชื่อมบัญชีเรียบร้อยค่ะ" in linked.text and "คอนโซล" in linked.text
        assert store.person_by_identity("console", str(STRANGER)).id == MUEANG_OFFICER
        assert "ถูกใช้ไปแล้ว" in console.send(f"เชื่อมบัญชี {code}")[0].text  # one time only
    finally:
        store.close()


def test_kpibot_chat_links_an_account(tmp_path):
    out = chat(tmp_path, ["ขอรหัสเชื่อมบัญชี"], "--user", str(MUEANG_OFFICER))
    code = re.search(r"เชื่อมบัญชี ([A-Z0-9]{8})", out).group(1)
    out = chat(tmp_path, [f"/user {STRANGER}", f"เชื่อมบัญชี {code}", "คะแนนปัจจุบัน"])
    assert "เชื่อมบัญชีเรียบร้อยค่ะ" in out and "วิธีใช้" in out
    assert "คะแนนปัจจุบัน เมืองยะลา" in out  # the stranger's console id is now the Mueang officer
