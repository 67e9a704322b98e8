"""Telegram: an update is confirmed only after it was handled, answered and recorded (issue 13).

As a user would see it, against the loopback Bot API: a bot killed (simulated: `channel.abort()`, which
records and confirms nothing more) between handling an update and confirming it is started again on the
same database and the same Bot API; the user has exactly one answer and the store one submission. An
update delivered twice is handled once; ยืนยัน pressed again on a saved card answers its version.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from bot.channels.telegram.channel import TelegramChannel, TelegramSettings, update_key
from bot.run.runtime import Runtime
from bot.store.sqlite import SqliteStore
from handlers.nlu import warm_up
from scoring.loader import load_all
from tests.standins.telegram_api import TelegramStandIn

from .telegram_setup import MUEANG_OFFICER, TG, TOKEN, make_db, no_proxy

REPORT = "รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%"
OFFICER = TG[MUEANG_OFFICER]


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


@contextlib.asynccontextmanager
async def bot_on(db, evidence, api, catalogs):
    """One life of the bot on a database and a Bot API that outlive it."""
    runtime = Runtime(lambda: SqliteStore(db, evidence), catalogs)
    await runtime.start()
    channel = TelegramChannel(runtime, TelegramSettings(TOKEN, api.base_url, api.base_file_url, poll_timeout=2))
    await channel.start()
    try:
        yield channel, runtime
    finally:
        with contextlib.suppress(Exception):
            await channel.stop()
        runtime.close()


def submissions(db, evidence) -> int:
    store = SqliteStore(db, evidence)
    try:
        return store.db.execute("SELECT COUNT(*) FROM submissions WHERE person_id = ?",
                                [MUEANG_OFFICER]).fetchone()[0]
    finally:
        store.close()


async def _card(api: TelegramStandIn):
    api.inject_message(OFFICER, REPORT)
    (card,) = await api.wait_sent(OFFICER)
    assert "ยืนยันบันทึกไหมคะ" in card.text
    return card


async def test_killed_after_answering_before_confirming_answers_once(tmp_path, catalogs):
    """The update is recorded, the kill comes before the offset reaches Telegram: after the restart the
    update is delivered again and skipped, so the user gets one answer and one version is stored."""
    no_proxy()
    db, evidence = make_db(tmp_path)
    async with TelegramStandIn(token=TOKEN) as api:
        async with bot_on(db, evidence, api, catalogs) as (channel, runtime):
            card = await _card(api)
            # the report is confirmed: the poll that did it is now in the air, and it will carry the press;
            # the poll after it, which would confirm the press, never gets through
            await api.wait_for(lambda: not api.pending_updates, what="the report confirmed")
            api.slow("getUpdates", 30)
            press = api.inject_callback(OFFICER, card.message_id, "ok")
            await api.wait_for(lambda: card.edits == 1, what="the card edited")
            await api.wait_for(lambda: runtime.store.seen_events("telegram", [update_key(press)]),
                               what="the press recorded")
            await channel.abort()  # killed: the press is not confirmed to Telegram
            assert press in [u["update_id"] for u in api.pending_updates]
        api.slow("getUpdates", 0)
        async with bot_on(db, evidence, api, catalogs) as (channel, runtime):
            await api.wait_for(lambda: not api.pending_updates, timeout=10, what="the press confirmed")
        assert card.edits == 1 and card.text.startswith("บันทึกแล้วค่ะ")
        assert len(api.sent_messages(OFFICER)) == 1
        assert submissions(db, evidence) == 1


async def test_killed_before_recording_is_handled_again_without_a_second_version(tmp_path, catalogs):
    """Killed after the save was committed and before the press was recorded (the issue's "killed during
    the บันทึกแล้ว edit"): delivered again, the press edits the same card to its version; no version 2."""
    no_proxy()
    db, evidence = make_db(tmp_path)
    async with TelegramStandIn(token=TOKEN) as api:
        async with bot_on(db, evidence, api, catalogs) as (channel, runtime):
            card = await _card(api)
            api.slow("editMessageText", 30)  # the edit of the card never arrives
            press = api.inject_callback(OFFICER, card.message_id, "ok")
            await api.wait_for(lambda: submissions(db, evidence) == 1, what="the submission committed")
            await channel.abort()
            assert card.edits == 0 and press in [u["update_id"] for u in api.pending_updates]
        api.slow("editMessageText", 0)
        async with bot_on(db, evidence, api, catalogs) as (channel, runtime):
            await api.wait_for(lambda: card.edits == 1, what="the card edited after the restart")
            await api.wait_for(lambda: not api.pending_updates, what="the press confirmed")
        assert card.text.startswith("บันทึกแล้วค่ะ (ฉบับที่ 1)")
        assert len(api.sent_messages(OFFICER)) == 1
        assert submissions(db, evidence) == 1


async def test_an_update_delivered_twice_is_handled_once(tmp_path, catalogs):
    """Telegram delivers an update again (its confirmation lost): the copy is not handled."""
    no_proxy()
    db, evidence = make_db(tmp_path)
    async with TelegramStandIn(token=TOKEN) as api:
        async with bot_on(db, evidence, api, catalogs) as (channel, runtime):
            card = await _card(api)
            api.inject_callback(OFFICER, card.message_id, "ok")
            await api.wait_for(lambda: card.edits == 1 and not api.pending_updates, what="the press confirmed")
            first = [u for u in api._state.updates]  # noqa: SLF001 - nothing pending
            assert first == []
        # the same press once more, with the same update id, to a new life of the bot
        async with bot_on(db, evidence, api, catalogs) as (channel, runtime):
            handled = max(int(k.split(":")[1]) for k in runtime.store.seen_events(
                "telegram", [update_key(i) for i in range(1, api.last_update_id + 1)]))
            api._state.updates.append({"update_id": handled, "callback_query": {  # noqa: SLF001
                "id": "again", "from": {"id": OFFICER, "is_bot": False, "first_name": "สมชาย"}, "chat_instance": "1",
                "data": "ok", "message": {"message_id": card.message_id, "date": 0,
                                          "chat": {"id": OFFICER, "type": "private"}, "text": card.text}}})
            api._wake.set()  # noqa: SLF001
            await api.wait_for(lambda: not api.pending_updates, what="the copy confirmed")
            await asyncio.sleep(0.3)
        assert card.edits == 1 and len(api.sent_messages(OFFICER)) == 1
        assert submissions(db, evidence) == 1


async def test_confirm_pressed_again_answers_the_version_and_same_figures_are_unchanged(tmp_path, catalogs):
    no_proxy()
    db, evidence = make_db(tmp_path)
    async with TelegramStandIn(token=TOKEN) as api:
        async with bot_on(db, evidence, api, catalogs):
            card = await _card(api)
            api.inject_callback(OFFICER, card.message_id, "ok")
            await api.wait_for(lambda: card.edits == 1, what="the card edited")
            api.inject_callback(OFFICER, card.message_id, "ok")  # pressed again (a stale client, a retry)
            await api.wait_for(lambda: card.edits == 2, what="the card answered again")
            assert card.text.startswith("บันทึกแล้วค่ะ (ฉบับที่ 1)") and "ไม่เข้าใจ" not in card.text
            # the same figures again: no second version
            second = (api.inject_message(OFFICER, REPORT), (await api.wait_sent(OFFICER, 2))[1])[1]
            api.inject_callback(OFFICER, second.message_id, "ok")
            await api.wait_for(lambda: second.edits == 1, what="the second card answered")
            assert second.text.startswith("ค่าเดิม ไม่มีการเปลี่ยนแปลงค่ะ") and "ฉบับที่ 1" in second.text
        assert submissions(db, evidence) == 1
