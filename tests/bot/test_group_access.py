"""Issue 13, groups, through the real channels: codes never posted into a group, another's card not pressed.

Telegram: python-telegram-bot against the Bot API stand-in (tests/bot/telegram_setup.py). LINE: the
webhook server against the Messaging API stand-in (tests/bot/line_harness.py), events from a group.
The whole matrix (chat × role × kind) is tests/handlers/test_access_matrix.py.
"""

from __future__ import annotations

import re

import pytest

from handlers import audience
from handlers.nlu import warm_up
from scoring.loader import load_all

from .line_harness import EVENT_MS, line_bot_fixture, line_catalogs  # noqa: F401 (fixtures)
from .telegram_setup import ADMIN, GROUP, MUEANG_CHIEF, MUEANG_OFFICER, PROVINCE_CHIEF, TG, running_bot

REPORT = "รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%"
CODE = re.compile(r"\b[A-Z0-9]{8}\b")


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


async def test_telegram_group_codes_refused_and_a_card_works_only_for_its_owner(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        api = bot.api
        api.inject_message(GROUP, f"@{api.username} ขอรหัสเชื่อมบัญชี", user_id=TG[ADMIN])
        [note] = await api.wait_sent(GROUP)
        assert note.text == audience.CODE_IN_GROUP and not CODE.search(note.text)
        api.inject_message(GROUP, f"@{api.username} เชิญ ผู้ดูแล", user_id=TG[ADMIN])
        second = (await api.wait_sent(GROUP, 2))[1]
        assert second.text == audience.CODE_IN_GROUP
        assert bot.runtime.store.invites() == []
        # chief A's card in the group; chief P has a pending report of his own
        api.inject_message(GROUP, f"@{api.username} {REPORT}", user_id=TG[MUEANG_CHIEF])
        card = (await api.wait_sent(GROUP, 3))[2]
        api.inject_message(GROUP, f"@{api.username} {REPORT}", user_id=TG[PROVINCE_CHIEF])
        await api.wait_sent(GROUP, 4)
        ok = card.buttons[0][1]
        assert ok == f"ok{audience.OWNER_SEP}{TG[MUEANG_CHIEF]}"
        api.inject_callback(GROUP, card.message_id, ok, user_id=TG[PROVINCE_CHIEF])
        refused = (await api.wait_sent(GROUP, 5))[4]
        assert refused.text.startswith("ปุ่มนี้เป็นของคุณ")
        assert api.message(GROUP, card.message_id).edits == 0  # chief A's card is left as it was
        store = bot.runtime.store
        assert store.last_submission_by(PROVINCE_CHIEF) is None and store.last_submission_by(MUEANG_CHIEF) is None
        api.inject_callback(GROUP, card.message_id, ok, user_id=TG[MUEANG_CHIEF])
        await api.wait_for(lambda: store.last_submission_by(MUEANG_CHIEF) is not None, what="chief A's press saved")
        assert store.last_submission_by(PROVINCE_CHIEF) is None


def group_event(event: dict, group: str = "Cgroup0001") -> dict:
    event["source"] = {"type": "group", "groupId": group, "userId": event["source"]["userId"]}
    return event


async def test_line_group_a_reporter_is_asked_to_write_privately_and_codes_never_reach_it(line_bot):
    bot = line_bot
    reporter, admin = "U" + "6" * 32, "U" + "f" * 32
    await bot.call(bot.store.link_identity, MUEANG_OFFICER, "line", reporter)
    await bot.call(bot.store.link_identity, ADMIN, "line", admin)
    for text in ("คะแนนปัจจุบัน", REPORT, "ขอรหัสเชื่อมบัญชี"):
        assert await bot.send(group_event(bot.events.text(reporter, text, EVENT_MS))) == [audience.ASK_PRIVATELY]
    assert await bot.call(bot.store.get_state, f"line:Cgroup0001:{reporter}") is None  # not handled at all
    for text in ("ขอรหัสเชื่อมบัญชี", "เชิญ ผู้ดูแล"):
        assert await bot.send(group_event(bot.events.text(admin, text, EVENT_MS))) == [audience.CODE_IN_GROUP]
    assert await bot.call(bot.store.invites) == []
    # an admin's card in the group carries the admin's id; another staff member's press is refused
    await bot.send(group_event(bot.events.text(admin, REPORT, EVENT_MS)))
    data = f"ok{audience.OWNER_SEP}{admin}"
    chief = "U" + "a" * 32
    await bot.call(bot.store.link_identity, MUEANG_CHIEF, "line", chief)
    [refused] = await bot.send(group_event(bot.events.postback(chief, data, EVENT_MS)))
    assert refused.startswith("ปุ่มนี้เป็นของคุณ")
    assert await bot.call(bot.store.last_submission_by, ADMIN) is None
    [saved] = await bot.send(group_event(bot.events.postback(admin, data, EVENT_MS)))
    assert saved.startswith("บันทึกแล้ว")
