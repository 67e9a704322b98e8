"""LINE end to end: signed webhook requests to the real aiohttp server, line-bot-sdk talking HTTP to a stand-in."""

from __future__ import annotations

import json
import re

from handlers.messages import Incoming
from tests.bot.line_harness import EVENT_MS, EVENT_TIME, LineBot, line_bot_fixture, line_catalogs, png  # noqa: F401
from tests.handlers.conftest import MUEANG_OFFICER
from tests.standins.line_api import Events, webhook_body

USER = "U6mueang0000000000000000000000000"
REPORT = "รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%"


async def registered(bot: LineBot, user: str = USER, person: int = MUEANG_OFFICER) -> None:
    await bot.call(bot.store.link_identity, person, "line", user)


async def submissions(bot: LineBot) -> list:
    return await bot.call(bot.store.current, "yala-mueang", "yala-2568-r2-district-team")


async def test_registration_with_an_invite_code(line_bot: LineBot):
    code = await line_bot.call(line_bot.store.create_invite, "reporter", "yala-mueang", person_id=MUEANG_OFFICER)
    line_bot.api.profiles[USER] = "สุภาพร"
    text = await line_bot.say(USER, f"ลงทะเบียน {code}")
    assert "ลงทะเบียนเรียบร้อยค่ะ" in text and "เมืองยะลา" in text
    person = await line_bot.call(line_bot.store.person_by_identity, "line", USER)
    assert person is not None and person.id == MUEANG_OFFICER
    # answered with the reply token of the event, not by push
    assert [s.reply_token for s in line_bot.api.replies] == ["reply-token-1"] and not line_bot.api.pushes


async def test_follow_greets_in_thai_and_says_how_to_register(line_bot: LineBot):
    texts = await line_bot.send(line_bot.events.follow("Unew", EVENT_MS))
    assert len(texts) == 1 and "ลงทะเบียน" in texts[0] and "เชื่อมบัญชี" in texts[0]


async def test_report_card_with_quick_replies_then_postback_confirms(line_bot: LineBot):
    await registered(line_bot)
    card = await line_bot.say(USER, REPORT)
    assert "ระดับ 3" in card and "ยืนยันบันทึกไหมคะ" in card
    message = line_bot.api.replies[-1].messages[-1]
    items = message["quickReply"]["items"]
    assert [(i["action"]["label"], i["action"]["data"]) for i in items] == [("ยืนยัน", "ok"), ("ยกเลิก", "no")]
    assert items[0]["action"]["type"] == "postback" and items[0]["action"]["displayText"] == "ยืนยัน"
    assert await submissions(line_bot) == []

    saved = await line_bot.press(USER, "ok")
    assert "บันทึกแล้วค่ะ" in saved
    [sub] = await submissions(line_bot)
    assert (sub.kpi_id, sub.level, sub.channel, sub.person_id) == ("t1", 3, "line", MUEANG_OFFICER)
    assert sub.sent_at == EVENT_TIME


async def test_events_of_one_user_are_handled_in_order_across_requests(line_bot: LineBot):
    await registered(line_bot)
    # two webhook requests back to back, not waiting in between: the confirmation must follow the card
    assert await line_bot.post(line_bot.events.text(USER, REPORT, EVENT_MS)) == 200
    assert await line_bot.post(line_bot.events.postback(USER, "ok", EVENT_MS)) == 200
    await line_bot.channel.drain()
    assert len(await submissions(line_bot)) == 1
    assert "บันทึกแล้วค่ะ" in line_bot.api.texts()[-1]


async def test_image_is_downloaded_and_stored_as_evidence(line_bot: LineBot):
    await registered(line_bot)
    photo = png()
    line_bot.api.contents["img-1"] = (photo, "image/png")
    ask = await line_bot.send(line_bot.events.image(USER, "img-1", EVENT_MS))
    assert line_bot.api.content_calls == ["img-1"]
    assert "หลักฐานนี้ของตัวชี้วัดไหนคะ" in ask[0]
    # many KPIs with long names: the choices come as a Flex carousel of tappable rows, not quick replies
    flex = line_bot.api.replies[-1].messages[-1]
    assert flex["type"] == "flex" and flex["contents"]["type"] == "carousel"
    rows = [row for bubble in flex["contents"]["contents"] for row in bubble["body"]["contents"]]
    first = rows[0]["action"]
    assert first["type"] == "postback" and first["data"] == "k:0" and len(first["label"]) <= 20
    assert rows[-1]["action"]["data"] == "no"  # ยกเลิก

    stored = await line_bot.press(USER, "k:0")
    assert "เก็บหลักฐาน 1 ไฟล์" in stored
    state = await line_bot.call(line_bot.store.get_state, f"line:{USER}:{USER}")
    catalog, kpi = state["slot"].split("/")
    [evidence] = await line_bot.call(line_bot.store.evidence_for, "yala-mueang", catalog, kpi)
    assert evidence.mime == "image/png" and (evidence.width, evidence.height) == (64, 48)
    assert await line_bot.call(line_bot.store.evidence_bytes, evidence.id) == photo


async def test_file_message_is_stored_with_its_name(line_bot: LineBot):
    await registered(line_bot)
    await line_bot.say(USER, REPORT)
    await line_bot.press(USER, "ok")
    pdf = b"%PDF-1.4\n% kpibot test\n" + b"0" * 500
    line_bot.api.contents["file-1"] = (pdf, "application/pdf")
    text = "\n".join(await line_bot.send(line_bot.events.file(USER, "file-1", "รายงานเบิกจ่าย.pdf", len(pdf),
                                                               EVENT_MS)))
    assert "เก็บหลักฐาน 1 ไฟล์" in text
    [evidence] = await line_bot.call(line_bot.store.evidence_for, "yala-mueang", "yala-2568-r2-district-team", "t1")
    assert evidence.file_name == "รายงานเบิกจ่าย.pdf"
    assert await line_bot.call(line_bot.store.evidence_bytes, evidence.id) == pdf


async def test_score_query(line_bot: LineBot):
    await registered(line_bot)
    text = await line_bot.say(USER, "คะแนนปัจจุบัน")
    assert "คะแนนปัจจุบัน เมืองยะลา" in text and "ยังไม่รายงาน" in text


async def test_bad_signature_is_refused_and_nothing_is_processed(line_bot: LineBot, caplog):
    await registered(line_bot)
    body = webhook_body(line_bot.events.text(USER, "คะแนนปัจจุบัน", EVENT_MS))
    assert await line_bot.post(body=body, signature="bm90IHRoZSByaWdodCBzaWduYXR1cmU=") == 400
    assert await line_bot.post(body=body + b" ", signature=None) == 400  # no header at all
    await line_bot.channel.drain()
    assert line_bot.api.sent == [] and line_bot.api.content_calls == []
    seen = await line_bot.call(lambda: list(line_bot.store.db.query("SELECT * FROM channel_events")))
    assert seen == []
    assert "X-Line-Signature" in caplog.text
    # the same body correctly signed is accepted: the refusal was about the signature only
    assert await line_bot.post(body=body) == 200
    await line_bot.channel.drain()
    assert len(line_bot.api.replies) == 1


async def test_missing_signature_header_is_refused(line_bot: LineBot):
    code = await line_bot.call(line_bot.store.create_invite, "reporter", "yala-mueang", person_id=MUEANG_OFFICER)
    assert await line_bot.post(line_bot.events.text(USER, f"ลงทะเบียน {code}", EVENT_MS), signature=None) == 400
    assert await line_bot.post(line_bot.events.text(USER, f"ลงทะเบียน {code}", EVENT_MS), signature="") == 400
    await line_bot.channel.drain()
    assert await line_bot.call(line_bot.store.person_by_identity, "line", USER) is None
    assert line_bot.api.sent == []


async def test_a_redelivered_event_is_processed_once(line_bot: LineBot):
    await registered(line_bot)
    await line_bot.say(USER, REPORT)
    confirm = line_bot.events.postback(USER, "ok", EVENT_MS)
    await line_bot.send(confirm)
    again = dict(confirm, deliveryContext={"isRedelivery": True})
    assert await line_bot.send(again) == []  # nothing sent again
    assert len(await submissions(line_bot)) == 1


async def test_expired_reply_token_falls_back_to_push(line_bot: LineBot):
    await registered(line_bot)
    line_bot.api.expire_reply_tokens = True
    text = await line_bot.say(USER, "คะแนนปัจจุบัน")
    assert "คะแนนปัจจุบัน เมืองยะลา" in text
    assert line_bot.api.replies == [] and [r[:2] for r in line_bot.api.refused] == [("reply", 400)]
    [push] = line_bot.api.pushes
    assert push.to == [USER] and push.retry_key


async def test_a_stale_event_is_answered_by_push_without_trying_the_token(line_bot: LineBot):
    await registered(line_bot)
    line_bot.now[0] = EVENT_MS / 1000 + 120  # handled two minutes after the user sent it
    text = await line_bot.say(USER, "คะแนนปัจจุบัน")
    assert "คะแนนปัจจุบัน" in text
    assert line_bot.api.replies == [] and line_bot.api.refused == [] and len(line_bot.api.pushes) == 1


async def test_person_linked_on_telegram_and_line_sees_the_same_submissions(line_bot: LineBot):
    await line_bot.call(line_bot.store.link_identity, MUEANG_OFFICER, "telegram", "123")

    def telegram(text: str, choice: str | None = None) -> Incoming:
        return Incoming(channel="telegram", sender="123", chat="123", text=text, sent_at=EVENT_TIME,
                        message_id="t1", choice=choice)

    [reply] = await line_bot.runtime.handle(telegram("ขอรหัสเชื่อมบัญชี"))
    code = re.search(r"เชื่อมบัญชี ([A-Z0-9]{8})", reply.text).group(1)
    assert "LINE" in reply.text

    linked = await line_bot.say(USER, f"เชื่อมบัญชี {code}")
    assert "เชื่อมบัญชีเรียบร้อยค่ะ" in linked and "Telegram" in linked
    person = await line_bot.call(line_bot.store.person_by_identity, "line", USER)
    assert person.id == MUEANG_OFFICER
    assert "ถูกใช้ไปแล้ว" in await line_bot.say("Uother", f"เชื่อมบัญชี {code}")  # one time only

    # reported on Telegram, seen on LINE
    await line_bot.runtime.handle(telegram(REPORT))
    await line_bot.runtime.handle(telegram("", choice="ok"))
    score = await line_bot.say(USER, "คะแนนปัจจุบัน")  # on LINE a card: the KPI, its weight, its level
    assert re.search(r"ตชว\.1 เบิกจ่าย\nน้ำหนัก 50\nระดับ 3", score)
    # and corrected on LINE, seen on Telegram: one history
    await line_bot.say(USER, "แก้ไข ๙๕")
    await line_bot.press(USER, "ok")
    [after] = await line_bot.runtime.handle(telegram("คะแนนปัจจุบัน"))
    assert re.search(r"ตชว\.1 [^\n]*: ระดับ 4", after.text)
    versions = await line_bot.call(line_bot.store.history, "yala-mueang", "yala-2568-r2-district-team", "t1")
    assert [(s.version, s.channel) for s in versions] == [(1, "telegram"), (2, "line")]


async def test_unfollow_marks_unreachable_and_follow_again_welcomes_back(line_bot: LineBot):
    await registered(line_bot)
    assert await line_bot.send(line_bot.events.unfollow(USER, EVENT_MS)) == []
    assert (await line_bot.call(line_bot.store.person, MUEANG_OFFICER)).reachable is False
    [text] = await line_bot.send(line_bot.events.follow(USER, EVENT_MS))
    assert "ยินดีต้อนรับกลับ" in text
    assert (await line_bot.call(line_bot.store.person, MUEANG_OFFICER)).reachable is True


async def test_group_and_room_sources_are_answered_in_the_chat_by_audience(line_bot: LineBot):
    """Events are read from LINE's JSON (no SDK models): a group's or room's id is where the answer goes."""
    from handlers import audience
    from tests.handlers.conftest import MUEANG_CHIEF

    await registered(line_bot)
    chief = "U" + "a" * 32
    await registered(line_bot, chief, MUEANG_CHIEF)
    event = line_bot.events.text(USER, "คะแนนปัจจุบัน", EVENT_MS)
    event["source"] = {"type": "group", "groupId": "Cgroup0001", "userId": USER}
    assert await line_bot.send(event) == [audience.ASK_PRIVATELY]
    event = line_bot.events.text(chief, REPORT, EVENT_MS)
    event["source"] = {"type": "room", "roomId": "Rroom0001", "userId": chief}
    card = "\n".join(await line_bot.send(event))
    assert "ยืนยันบันทึกไหมคะ" in card
    items = line_bot.api.replies[-1].messages[-1]["quickReply"]["items"]
    assert items[0]["action"]["data"] == f"ok{audience.OWNER_SEP}{chief}"
    assert await line_bot.call(line_bot.store.get_state, f"line:Rroom0001:{chief}") is not None


async def test_several_events_in_one_body_are_recorded_together_and_a_repeated_id_is_handled_once(line_bot: LineBot):
    await registered(line_bot)
    score = line_bot.events.text(USER, "คะแนนปัจจุบัน", EVENT_MS)
    follow = line_bot.events.follow("Unew", EVENT_MS)
    texts = await line_bot.send(score, follow, dict(score, deliveryContext={"isRedelivery": True}))
    assert len(texts) == 2 and "คะแนนปัจจุบัน เมืองยะลา" in texts[0] and "ลงทะเบียน" in texts[1]
    seen = await line_bot.call(lambda: {r["event_id"] for r in line_bot.store.db.query("SELECT * FROM channel_events")})
    assert seen == {score["webhookEventId"], follow["webhookEventId"]}
    assert await line_bot.send(follow, score) == []  # both again, later: nothing


def test_the_signature_check_agrees_with_the_sdk():
    from linebot.v3.webhook import SignatureValidator

    from bot.channels.line.channel import signature_ok
    from tests.bot.line_harness import SECRET
    from tests.standins.line_api import sign

    body = webhook_body(Events().text(USER, "รายงาน ๙๒.๕%", EVENT_MS))
    for signature in (sign(SECRET, body), sign("other", body), "", "ไม่ใช่", sign(SECRET, body)[:-2]):
        assert signature_ok(SECRET, body, signature) == SignatureValidator(SECRET).validate(body.decode(), signature)


async def test_score_comes_as_a_flex_card_the_sdk_accepts(line_bot: LineBot):
    """Issue 14: on LINE "คะแนนปัจจุบัน" is a score card (one bubble per agreement, team first, header in
    the band's colour, a row per KPI with its level), its alternative text the chat's text."""
    from linebot.v3.messaging import FlexMessage

    from handlers.views.palette import BAND_COLOURS, TONE_COLOURS

    await registered(line_bot)
    await line_bot.say(USER, REPORT)
    await line_bot.press(USER, "ok")  # ตชว.1 เบิกจ่าย 92.5 %: level 3
    text = await line_bot.say(USER, "คะแนนปัจจุบัน")
    [message] = line_bot.api.replies[-1].messages
    assert message["type"] == "flex" and message["altText"].startswith("คะแนนปัจจุบัน เมืองยะลา")
    FlexMessage.from_dict(message)  # the SDK's own model of a Flex message takes it
    assert len(json.dumps(message, ensure_ascii=False).encode()) < 30_000  # LINE's limit per bubble set
    team, individual = message["contents"]["contents"]  # a carousel: team first
    assert team["header"]["contents"][1]["text"].startswith("ตัวชี้วัดรายทีม · ณ ")
    assert individual["header"]["contents"][1]["text"].startswith("ตัวชี้วัดรายบุคคล")
    assert team["header"]["backgroundColor"] == BAND_COLOURS[3]  # ระดับต้องปรับปรุง, so far
    first = team["body"]["contents"][0]["contents"]
    assert first[0]["contents"][0]["text"] == "ตชว.1 เบิกจ่าย" and first[1]["text"] == "ระดับ 3"
    assert first[1]["color"] == TONE_COLOURS["fair"]
    assert "รวม" in text and "คะแนน" in text and "ระดับต้องปรับปรุง" in text
    assert "ยังไม่รายงาน" in text
