"""LINE out of band: push and multicast with retry keys, blocked users, quota warnings, images, long texts."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from bot.channels.line.channel import (
    MAX_TEXT,
    NO_CHART_NOTE,
    LineChannel,
    LineConfig,
    MediaStore,
    choices_carousel,
    retry_key,
    split_text,
)
from handlers.messages import Choice, Reply
from tests.bot.line_harness import SECRET, LineBot, line_bot_fixture, line_catalogs, png  # noqa: F401
from tests.handlers.conftest import ADMIN

USER = "U6mueang0000000000000000000000000"


async def test_multicast_of_1200_recipients_goes_in_3_calls_with_retry_keys(line_bot: LineBot):
    users = [f"U{i:032d}" for i in range(1200)]
    results = await line_bot.channel.multicast(users, Reply("อีก 3 วันถึงกำหนดส่ง ตชว.1 ค่ะ"), key="remind:2025-06")
    assert [r.ok for r in results] == [True, True, True]
    calls = line_bot.api.multicasts
    assert [len(c.to) for c in calls] == [500, 500, 200]
    assert [u for c in calls for u in c.to] == users  # everyone once, in order
    keys = [c.retry_key for c in calls]
    assert len(set(keys)) == 3 and all(len(k) == 36 for k in keys)
    assert calls[0].texts == ["อีก 3 วันถึงกำหนดส่ง ตชว.1 ค่ะ"]

    # the reminder job crashed and runs again: the same key delivers nothing twice
    again = await line_bot.channel.multicast(users, Reply("อีก 3 วันถึงกำหนดส่ง ตชว.1 ค่ะ"), key="remind:2025-06")
    assert [r.ok for r in again] == [True, True, True]
    assert len(line_bot.api.multicasts) == 3
    assert [r[:2] for r in line_bot.api.refused] == [("multicast", 409)] * 3


async def test_push_with_a_key_is_delivered_once_and_a_block_is_reported(line_bot: LineBot):
    first = await line_bot.channel.push(USER, Reply("เตือนส่งรายงานค่ะ"), key="remind:6:t1:2025-06:d3")
    second = await line_bot.channel.push(USER, Reply("เตือนส่งรายงานค่ะ"), key="remind:6:t1:2025-06:d3")
    assert first.ok and second.ok
    assert len(line_bot.api.pushes) == 1
    assert line_bot.api.pushes[0].retry_key == retry_key("remind:6:t1:2025-06:d3", 0)

    line_bot.api.blocked.add("Ublocked")
    result = await line_bot.channel.push("Ublocked", Reply("เตือนค่ะ"), key="k2")
    assert (result.ok, result.blocked) == (False, True) and result.error.startswith("403")


async def test_quota_is_read_and_admins_are_warned_once_above_80_percent(line_bot: LineBot):
    line_bot.api.limit, line_bot.api.used = 1000, 700
    status = await line_bot.channel.quota_status()
    assert (status.used, status.limit, status.warning) == (700, 1000, None)

    await line_bot.call(line_bot.store.link_identity, ADMIN, "line", "Uadmin")
    line_bot.api.used = 850
    status = await line_bot.channel.warn_admins_if_needed()
    assert status.used == 850 and "โควตาข้อความ LINE" in status.warning and "850" in status.warning
    [push] = line_bot.api.pushes
    assert push.to == ["Uadmin"] and "ร้อยละ 85" in push.texts[0]
    await line_bot.channel.warn_admins_if_needed()  # later the same month: not again
    assert len(line_bot.api.pushes) == 1

    line_bot.api.limit = None  # a plan without a monthly limit
    assert (await line_bot.channel.quota_status()).warning is None


async def test_images_are_served_under_expiring_unguessable_paths_when_a_public_url_is_set(line_bot: LineBot):
    channel = line_bot.channel
    chart = png(320, 200, "blue")
    # without a public base URL: text only, and how to see the chart on Telegram
    await channel.push(USER, Reply("กราฟคะแนนเมืองยะลา", image=chart), key="chart-1")
    [push] = line_bot.api.pushes
    assert [m["type"] for m in push.messages] == ["text"] and NO_CHART_NOTE in push.texts[0]

    channel.config = LineConfig(**{**channel.config.__dict__, "public_base_url": line_bot.url})
    await channel.push(USER, Reply("กราฟคะแนนเมืองยะลา", image=chart), key="chart-2")
    text, image = line_bot.api.pushes[-1].messages
    assert text["text"] == "กราฟคะแนนเมืองยะลา" and image["type"] == "image"
    url = image["originalContentUrl"]
    assert url.startswith(f"{line_bot.url}/line/media/") and image["previewImageUrl"] == url
    assert len(url.rsplit("/", 1)[1]) >= 40  # 32 random bytes
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert response.status == 200 and response.content_type == "image/png"
            assert await response.read() == chart
        async with session.get(f"{line_bot.url}/line/media/guessed-token") as response:
            assert response.status == 404


def test_media_expires():
    now = [1000.0]
    media = MediaStore(timedelta(hours=1), clock=lambda: now[0])
    token = media.put(b"png", "image/png")
    assert media.get(token) == (b"png", "image/png")
    now[0] += 3601
    assert media.get(token) is None


async def test_long_texts_are_split_within_line_limits(line_bot: LineBot):
    lines = [f"{i}. เมืองยะลา · ตชว.{i % 12} ยังไม่รายงาน" for i in range(1200)]
    text = "\n".join(lines)
    assert len(text) > 6 * MAX_TEXT
    await line_bot.channel.push(USER, Reply(text), key="long")
    pushes = line_bot.api.pushes
    assert [len(p.messages) for p in pushes] == [5, len(split_text(text)) - 5]  # ≤ 5 messages a call
    sent = [t for p in pushes for t in p.texts]
    assert all(len(t) <= MAX_TEXT for t in sent)
    assert "\n".join(sent) == text  # cut at line ends, nothing lost
    assert split_text("ก" * 12001) == ["ก" * 5000, "ก" * 5000, "ก" * 2001]


def test_choices_as_quick_replies_or_a_carousel(tmp_path):
    channel = LineChannel.__new__(LineChannel)
    channel.config = LineConfig(secret=SECRET, token="t")
    channel.media = MediaStore(timedelta(days=1))
    short = LineChannel.render(channel, Reply("ยืนยันไหมคะ", (Choice("ยืนยัน", "ok"), Choice("ยกเลิก", "no"))))
    assert len(short) == 1 and len(short[0].quick_reply.items) == 2

    many = tuple(Choice(f"ข้อ {i}", f"k:{i}") for i in range(14))  # 14 > 13
    long_label = (Choice("ตชว.3 การพัฒนาศักยภาพผู้นำชุมชน (รายทีม)", "k:0"),)  # > 20 characters
    for choices in (many, long_label):
        messages = LineChannel.render(channel, Reply("เลือกตัวชี้วัดค่ะ", choices))
        assert [m.type for m in messages] == ["text", "flex"] and messages[0].quick_reply is None
        flex = messages[1].to_dict()
        rows = [r for b in flex["contents"]["contents"] for r in b["body"]["contents"]]
        assert [r["action"]["data"] for r in rows] == [c.data for c in choices]
        assert rows[0]["contents"][0]["text"] == choices[0].label  # the full label is shown, wrapped
    big = choices_carousel([Choice(f"ข้อ {i}", str(i)) for i in range(25)], "x")
    assert [len(b.body.contents) for b in big.contents.contents] == [10, 10, 5]


async def test_run_line_serves_the_webhook_from_environment_settings(line_bot: LineBot, monkeypatch):
    import asyncio
    import socket

    from bot.channels.line.channel import run_line
    from bot.run.config import settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for name, value in {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": line_bot.api.token,
                        "KPIBOT_LINE_PORT": str(port), "KPIBOT_LINE_HOST": "127.0.0.1",
                        "KPIBOT_LINE_API_URL": line_bot.api.url + "/",
                        "KPIBOT_PUBLIC_BASE_URL": "https://kpibot.example.go.th/"}.items():
        monkeypatch.setenv(name, value)
    config = LineConfig.from_settings(settings())
    assert (config.port, config.api_url, config.public_base_url) == (
        port, line_bot.api.url, "https://kpibot.example.go.th")
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN")
    assert LineConfig.from_settings(settings()) is None
    stop = asyncio.Event()
    task = asyncio.create_task(run_line(line_bot.runtime, config=config, stop=stop))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for _ in range(200):  # wait for the server to listen (bounded)
            try:
                async with session.get(f"http://127.0.0.1:{port}/line/health") as response:
                    assert await response.text() == "ok"
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("run_line did not start")
        async with session.post(f"http://127.0.0.1:{port}/line/callback", data=b"{}") as response:
            assert response.status == 400  # no signature
    stop.set()
    await asyncio.wait_for(task, 30)


def test_the_json_sent_is_what_line_bot_sdk_models_would_send():
    """``wire`` skips the SDK's models for speed; the JSON must be the one they serialise to."""
    from linebot.v3.messaging import (
        ImageMessage,
        MulticastRequest,
        PostbackAction,
        PushMessageRequest,
        QuickReply,
        QuickReplyItem,
        ReplyMessageRequest,
        TextMessage,
    )

    channel = LineChannel.__new__(LineChannel)
    channel.config = LineConfig(secret=SECRET, token="t", public_base_url="https://kpibot.example.go.th")
    channel.media = MediaStore(timedelta(days=1))
    channel.media.put = lambda data, mime: "token"  # type: ignore[method-assign]  # the same URL each time
    two = (Choice("ยืนยัน", "ok"), Choice("ยกเลิก", "no"))
    many = tuple(Choice(f"ข้อ {i}", f"k:{i}") for i in range(14)) + (Choice("", "empty"),)
    for reply in (Reply("สวัสดีค่ะ"), Reply("ยืนยันไหมคะ", two), Reply("เลือกค่ะ\n" * 3000, many),
                  Reply("กราฟ", two, image=png()), Reply("", image=png()), Reply("ส่งออก", document=b"x")):
        wire = channel.wire(reply)
        assert [m.to_dict() for m in channel.render(reply)] == wire
        for message in wire:
            if message["type"] == "text":
                quick = message.get("quickReply")
                model = TextMessage(text=message["text"], quick_reply=None if quick is None else QuickReply(items=[
                    QuickReplyItem(action=PostbackAction(label=c.label, data=c.data, display_text=c.label))
                    for c in reply.choices]))
                assert model.to_dict() == message
            elif message["type"] == "image":
                url = message["originalContentUrl"]
                assert ImageMessage(original_content_url=url, preview_image_url=url).to_dict() == message
            else:
                assert choices_carousel(reply.choices, "x").to_dict()["contents"] == message["contents"]
        text = TextMessage(text="x")
        for request, body in ((ReplyMessageRequest(reply_token="r", messages=[text]), {"replyToken": "r"}),
                              (PushMessageRequest(to="U", messages=[text]), {"to": "U"}),
                              (MulticastRequest(to=["U"], messages=[text]), {"to": ["U"]})):
            assert request.to_dict() == {**body, "messages": [{"type": "text", "text": "x"}],
                                         "notificationDisabled": False}
