"""One-time link codes: one person on Telegram and LINE (handlers/linking.py, the store's link codes)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.cli.demo import build
from handlers.linking import redeem
from handlers.messages import Incoming
from handlers.ports import LinkError
from scoring.loader import load_all
from tests.handlers.conftest import BANGKOK, BETONG_OFFICER, MUEANG_OFFICER, TODAY, Chat

NOW = datetime(2025, 6, 10, 10, 0, tzinfo=BANGKOK)


@pytest.fixture(name="db")
def db_fixture(tmp_path):
    store = build(str(tmp_path / "demo.sqlite3"), str(tmp_path / "evidence"), TODAY, figures=False)
    yield store
    store.close()


def line_msg(text: str, sender: str = "Uline", at: datetime = NOW) -> Incoming:
    return Incoming(channel="line", sender=sender, chat=sender, text=text, sent_at=at, message_id="1")


def test_a_code_works_once_within_15_minutes(db):
    store = db
    code = store.create_link_code(MUEANG_OFFICER, now=NOW)
    assert store.redeem_link_code(code.lower(), "line", "Uline", now=NOW + timedelta(minutes=14)).id == MUEANG_OFFICER
    assert ("line", "Uline") in store.identities(MUEANG_OFFICER)
    with pytest.raises(LinkError) as used:
        store.redeem_link_code(code, "line", "Uother", now=NOW)
    assert used.value.reason == "used"

    late = store.create_link_code(MUEANG_OFFICER, now=NOW)
    [reply] = redeem(store, line_msg(f"เชื่อมบัญชี {late}", "Ulate", NOW + timedelta(minutes=16)))
    assert "หมดอายุ" in reply.text and store.person_by_identity("line", "Ulate") is None


def test_a_new_code_replaces_the_unused_one_and_a_taken_id_is_refused(db):
    store = db
    first = store.create_link_code(MUEANG_OFFICER)
    second = store.create_link_code(MUEANG_OFFICER)
    assert "ไม่พบรหัส" in redeem(store, line_msg(f"เชื่อมบัญชี {first}"))[0].text
    store.link_identity(BETONG_OFFICER, "line", "Ubetong")
    [reply] = redeem(store, line_msg(f"เชื่อมบัญชี {second}", "Ubetong"))
    assert "ผู้ใช้อีกคน" in reply.text
    assert store.person_by_identity("line", "Ubetong").id == BETONG_OFFICER
    assert redeem(store, line_msg("คะแนนปัจจุบัน")) is None  # not a link command: the handlers answer


def test_asking_for_a_code_on_the_console_goes_through_the_store(db):
    chat = Chat(db, load_all())
    text = chat.text(MUEANG_OFFICER, "ขอรหัสเชื่อมบัญชี")
    assert "รหัสเชื่อมบัญชีของท่าน" in text and "LINE" in text
    assert "ยังไม่พบข้อมูลการลงทะเบียน" in chat.text("stranger", "ขอรหัสเชื่อมบัญชี")


def test_the_conversation_redeems_a_code_for_registered_and_unregistered_senders(db):
    chat = Chat(db, load_all())
    code = db.create_link_code(MUEANG_OFFICER)
    linked = chat.text("Unew", f"เชื่อม บัญชี {code[:4].lower()}-{code[4:]}", channel="line")
    assert "เชื่อมบัญชีเรียบร้อยค่ะ" in linked and db.person_by_identity("line", "Unew").id == MUEANG_OFFICER
    assert "ถูกใช้ไปแล้ว" in chat.text(str(BETONG_OFFICER), f"/link {code}")  # registered: same words, same rule
