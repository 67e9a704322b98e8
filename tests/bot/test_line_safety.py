"""LINE webhook safety from the operator's side: replayed old events are refused, malformed or huge bodies are
400/413 (never 500), and the event-id memory always outlasts the replay window."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bot.channels.line import channel as line_channel
from bot.channels.line.channel import KEEP_EVENT_IDS, MAX_BODY, MAX_EVENT_AGE, LineConfig, run_line
from bot.run.config import settings
from scoring.thaidate import BANGKOK
from tests.bot.line_harness import EVENT_MS, SECRET, LineBot, line_bot_fixture, line_catalogs  # noqa: F401
from tests.handlers.conftest import MUEANG_OFFICER
from tests.standins.line_api import webhook_body

USER = "U6mueang0000000000000000000000000"
REPORT = "รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%"
HOUR = 3600.0


async def registered(bot: LineBot) -> None:
    await bot.call(bot.store.link_identity, MUEANG_OFFICER, "line", USER)


async def versions(bot: LineBot) -> list:
    return await bot.call(bot.store.history, "yala-mueang", "yala-2568-r2-district-team", "t1")


async def seen_ids(bot: LineBot) -> list[str]:
    return await bot.call(lambda: [r["event_id"] for r in bot.store.db.query("SELECT * FROM channel_events")])


async def post_body(bot: LineBot, body: bytes) -> int:
    status = await bot.post(body=body)
    await bot.channel.drain()
    return status


# ---------------------------------------------------------------- replays (issue 13)


async def test_a_replayed_signed_report_older_than_the_window_is_not_stored_nor_answered(line_bot: LineBot, caplog):
    await registered(line_bot)
    report = webhook_body(line_bot.events.text(USER, REPORT, EVENT_MS))
    confirm = webhook_body(line_bot.events.postback(USER, "ok", EVENT_MS))
    assert await post_body(line_bot, report) == 200 and await post_body(line_bot, confirm) == 200
    assert [v.version for v in await versions(line_bot)] == [1]
    sent = len(line_bot.api.sent)

    # eight days later the event ids are forgotten (housekeeping); someone replays the captured bodies verbatim
    line_bot.now[0] = EVENT_MS / 1000 + 8 * 24 * HOUR
    now = datetime.fromtimestamp(line_bot.now[0], BANGKOK)
    assert await line_bot.runtime.forget_events("line", now - line_bot.channel.config.event_id_window) == 2
    caplog.set_level(logging.WARNING, "kpibot.line")
    assert await post_body(line_bot, report) == 200  # LINE (or whoever) is answered 200 for the body
    assert await post_body(line_bot, confirm) == 200
    assert len(line_bot.api.sent) == sent  # no card, no "บันทึกแล้ว", no push
    assert [v.version for v in await versions(line_bot)] == [1]  # nothing stored again
    assert await seen_ids(line_bot) == []  # refused events are not even recorded
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 2 and "3600 s" in refusals[0].getMessage()


async def test_an_event_just_over_the_window_is_refused_and_one_just_inside_is_handled(line_bot: LineBot):
    await registered(line_bot)
    line_bot.now[0] = EVENT_MS / 1000 + HOUR + 1
    assert await line_bot.say(USER, "คะแนนปัจจุบัน") == ""
    line_bot.now[0] = EVENT_MS / 1000 + HOUR - 1  # late but inside: answered (by push, the token is stale)
    text = await line_bot.say(USER, "คะแนนปัจจุบัน")
    assert "คะแนนปัจจุบัน เมืองยะลา" in text
    assert line_bot.api.replies == [] and len(line_bot.api.pushes) == 1


async def test_a_fresh_report_is_stored(line_bot: LineBot):
    await registered(line_bot)
    line_bot.now[0] = EVENT_MS / 1000 + 5
    assert "ยืนยันบันทึกไหมคะ" in await line_bot.say(USER, REPORT)
    assert "บันทึกแล้วค่ะ" in await line_bot.press(USER, "ok")
    assert [v.version for v in await versions(line_bot)] == [1]


async def test_an_event_stamped_far_in_the_future_is_refused(line_bot: LineBot):
    await registered(line_bot)
    future = EVENT_MS + int((HOUR + 60) * 1000)
    assert await line_bot.send(line_bot.events.text(USER, "คะแนนปัจจุบัน", future)) == []
    assert await seen_ids(line_bot) == []


async def test_in_one_body_only_the_old_event_is_refused(line_bot: LineBot):
    await registered(line_bot)
    old = line_bot.events.text(USER, REPORT, EVENT_MS - int(2 * HOUR * 1000))
    fresh = line_bot.events.text(USER, "คะแนนปัจจุบัน", EVENT_MS)
    texts = await line_bot.send(old, fresh)
    assert len(texts) == 1 and "คะแนนปัจจุบัน เมืองยะลา" in texts[0]
    assert await seen_ids(line_bot) == [fresh["webhookEventId"]]


async def test_a_redelivery_inside_the_window_is_handled_once_by_its_id(line_bot: LineBot):
    await registered(line_bot)
    await line_bot.say(USER, REPORT)
    confirm = line_bot.events.postback(USER, "ok", EVENT_MS)
    # the first delivery got no 2xx at LINE's side: LINE redelivers it 59 minutes on, twice
    redelivered = dict(confirm, deliveryContext={"isRedelivery": True})
    line_bot.now[0] = EVENT_MS / 1000 + 59 * 60
    assert "บันทึกแล้วค่ะ" in "\n".join(await line_bot.send(redelivered))
    now = datetime.fromtimestamp(line_bot.now[0], BANGKOK)
    await line_bot.runtime.forget_events("line", now - line_bot.channel.config.event_id_window)  # housekeeping
    assert await line_bot.send(redelivered) == []
    assert await line_bot.send(confirm) == []
    assert [v.version for v in await versions(line_bot)] == [1]


async def test_a_shorter_configured_window_is_used(line_bot: LineBot):
    await registered(line_bot)
    line_bot.channel.config = replace(line_bot.channel.config, max_event_age=60.0)
    line_bot.now[0] = EVENT_MS / 1000 + 61
    assert await line_bot.say(USER, "คะแนนปัจจุบัน") == ""
    line_bot.now[0] = EVENT_MS / 1000 + 59
    assert "คะแนนปัจจุบัน" in await line_bot.say(USER, "คะแนนปัจจุบัน")


# ---------------------------------------------------------------- the id window outlasts the age window


@pytest.mark.parametrize("age", [1.0, 60.0, MAX_EVENT_AGE, 3 * 24 * HOUR, 30 * 24 * HOUR])
def test_event_ids_are_remembered_longer_than_twice_the_age_window(age):
    config = LineConfig(secret=SECRET, token="t", max_event_age=age)
    assert config.event_id_window > timedelta(seconds=2 * age)
    assert config.event_id_window >= KEEP_EVENT_IDS


def test_the_age_window_setting_is_read_and_must_be_positive():
    assert settings({}).line_max_event_age == MAX_EVENT_AGE == 3600
    conf = settings({"KPIBOT_LINE_MAX_EVENT_AGE": "900", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"})
    config = LineConfig.from_settings(conf)
    assert config is not None and config.max_event_age == 900
    for bad in (0, -5):
        with pytest.raises(ValueError):
            LineConfig(secret="s", token="t", max_event_age=bad)


async def test_housekeeping_forgets_ids_only_past_the_id_window(line_bot: LineBot):
    """`run_line`'s housekeeping with a 30-day age window keeps an id recorded 59 days ago."""
    config = replace(line_bot.channel.config, max_event_age=30 * 24 * HOUR, port=0)
    now = datetime.now(BANGKOK)
    window = config.event_id_window
    await line_bot.runtime.first_delivery("line", "kept", now - timedelta(days=59))
    await line_bot.runtime.first_delivery("line", "gone", now - window - timedelta(hours=1))
    stop = asyncio.Event()
    task = asyncio.get_running_loop().create_task(run_line(line_bot.runtime, config=config, stop=stop))
    try:
        async with asyncio.timeout(20):
            while "gone" in await seen_ids(line_bot):
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert await seen_ids(line_bot) == ["kept"]


# ---------------------------------------------------------------- malformed and huge bodies


def nested(depth: int) -> bytes:
    return b'{"destination":"Ubot","events":[' + b"[" * depth + b"]" * depth + b"]}"


BAD_BODIES = {
    "nested 5000 deep": nested(5000),
    "nested object": b'{"events":[{"type":"message","x":' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}]}",
    "not json": b"{events: nope",
    "not utf-8": b'{"events":["\xff\xfe"]}',
    "a list": b"[1, 2]",
    "no events": b'{"destination":"Ubot"}',
    "events not a list": b'{"events":5}',
    "event not an object": b'{"events":[1]}',
    "event without fields": b'{"events":[{"type":"message"}]}',
    "unknown event type": b'{"events":[{"type":"weird","timestamp":1}]}',
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
async def test_a_signed_malformed_body_is_400_with_one_log_line(line_bot: LineBot, caplog, name):
    caplog.set_level(logging.INFO, "kpibot.line")
    status = await line_bot.post(body=BAD_BODIES[name])
    await line_bot.channel.drain()
    assert status == 400
    lines = [r for r in caplog.records if r.name == "kpibot.line"]
    assert len(lines) == 1 and "unreadable body" in lines[0].getMessage()
    assert line_bot.api.sent == [] and await seen_ids(line_bot) == []
    # the server is fine afterwards
    await registered(line_bot)
    assert "คะแนนปัจจุบัน" in await line_bot.say(USER, "คะแนนปัจจุบัน")


async def test_a_readable_event_of_an_odd_shape_is_accepted_and_ignored(line_bot: LineBot):
    """The SDK reads a message it does not understand as an UnknownEvent: 200, nothing answered."""
    await registered(line_bot)
    body = json.dumps({"events": [{
        "type": "message", "mode": "active", "timestamp": EVENT_MS, "source": {"type": "user", "userId": USER},
        "webhookEventId": "01X", "deliveryContext": {"isRedelivery": False}, "replyToken": "r",
        "message": {"type": "text", "id": 5, "text": ["a"]}}]}).encode()
    assert await post_body(line_bot, body) == 200
    assert line_bot.api.sent == []


async def test_an_oversized_body_is_refused_unparsed(line_bot: LineBot, monkeypatch):
    def parse(*args, **kwargs):
        raise AssertionError("an oversized body was parsed")

    monkeypatch.setattr(line_channel, "read_events", parse)
    monkeypatch.setattr(line_channel, "signature_ok", parse)
    big = webhook_body(line_bot.events.text(USER, "x" * (MAX_BODY + 10), EVENT_MS))
    assert await line_bot.post(body=big) == 413

    async def chunks():  # no Content-Length: the read itself is bounded
        for _ in range(MAX_BODY // 65536 + 2):
            yield b" " * 65536

    async with line_bot.session.post(f"{line_bot.url}/line/callback", data=chunks(),
                                     headers={"X-Line-Signature": "x"}) as response:
        assert response.status == 413
    await line_bot.channel.drain()
    assert line_bot.api.sent == []
