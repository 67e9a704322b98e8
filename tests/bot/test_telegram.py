"""Telegram end to end: the real python-telegram-bot Application over real HTTP to a Bot API stand-in.

Every test starts the bot (getMe, setMyCommands, deleteWebhook, long polling), talks to it as a user
would through injected updates, and checks what the user would see in the chat and what the store kept.
"""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from bot.channels.telegram.channel import COMMANDS
from handlers.nlu import warm_up
from scoring.loader import load_all

from .telegram_setup import GROUP, MUEANG_CHIEF, MUEANG_OFFICER, PROVINCE_CHIEF, TG, running_bot

REPORT = "รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%"
OFFICER = TG[MUEANG_OFFICER]
# the conversation inline, and in its own process as `kpibot run` runs it on two cores
BOTH_MODES = pytest.mark.parametrize("process", [False, True], ids=["inline", "process"])


@pytest.fixture(scope="module")
def catalogs():
    warm_up()  # the first pythainlp calls take about a second: not inside a test's timeouts
    return load_all()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x0132] = "2025:06:01 09:30:00"  # DateTime
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def test_start_sets_thai_command_menu_and_polls(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        await bot.api.wait_for(lambda: bot.api.calls_of("getUpdates"), what="the first long poll")
        methods = [c.method for c in bot.api.calls]
        assert methods[0] == "getMe"
        assert "setMyCommands" in methods and "deleteWebhook" in methods and "getUpdates" in methods
        menu = {c["command"]: c["description"] for c in bot.api.commands}
        assert menu["score"] == "ดูคะแนนปัจจุบัน" and len(menu) == len(COMMANDS)


async def test_registration_by_deep_link(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        code = bot.store_call(bot.runtime.store.create_invite, "reporter", "yala-betong")
        bot.api.inject_message(4242, f"/start {code}", first_name="สมหญิง")
        (reply,) = await bot.api.wait_sent(4242)
        assert reply.text.startswith("ลงทะเบียนเรียบร้อยค่ะ คุณสมหญิง")
        assert "เบตง" in reply.text
        person = bot.store_call(bot.runtime.store.person_by_identity, "telegram", "4242")
        assert person is not None and person.role == "reporter" and person.unit_id == "yala-betong"
        bot.api.inject_message(4343, f"/start {code}")  # single use
        (again,) = await bot.api.wait_sent(4343)
        assert "ถูกใช้ไปแล้ว" in again.text


@BOTH_MODES
async def test_report_by_text_then_confirm_button_edits_the_card(tmp_path, catalogs, process):
    async with running_bot(tmp_path, catalogs, process=process) as bot:
        bot.api.inject_message(OFFICER, REPORT)
        (card,) = await bot.api.wait_sent(OFFICER)
        assert "ร้อยละการใช้จ่ายงบประมาณ: ร้อยละ 92.5" in card.text and "ยืนยันบันทึกไหมคะ" in card.text
        assert card.buttons == [("ยืนยัน", "ok"), ("ยกเลิก", "no")]
        bot.api.inject_callback(OFFICER, card.message_id, "ok")
        await bot.api.wait_for(lambda: card.edits == 1, what="the card edited")
        assert card.text.startswith("บันทึกแล้วค่ะ") and "ระดับ 3" in card.text
        assert card.buttons == []  # the buttons are gone with the edit
        assert len(bot.api.sent_messages(OFFICER)) == 1  # edited in place, not a new message
        await bot.api.wait_for(lambda: len(bot.api.callback_answers) == 1, what="answerCallbackQuery")
        sub = bot.store_call(bot.runtime.store.last_submission_by, MUEANG_OFFICER)
        assert sub.level == 3 and sub.channel == "telegram" and sub.unit_id == "yala-mueang"
        assert sub.inputs == {"percent": "92.5"} or "92.5" in sub.inputs.values()


@BOTH_MODES
async def test_report_by_buttons_only(tmp_path, catalogs, process):
    async with running_bot(tmp_path, catalogs, process=process) as bot:
        bot.api.inject_message(OFFICER, "/report")
        (ask,) = await bot.api.wait_sent(OFFICER)
        assert ask.text.startswith("ตัวชี้วัดไหนคะ")
        label, data = next((lb, d) for lb, d in ask.buttons if lb.startswith("ตชว.1 ") and "รายทีม" in lb)
        bot.api.inject_callback(OFFICER, ask.message_id, data)
        question = (await bot.api.wait_sent(OFFICER, 2))[1]
        assert "กรุณาพิมพ์" in question.text
        answers = iter(["๙๖๐,๐๐๐", "1,000,000"])  # spent, then allocated: whatever the KPI asks for
        card = question
        while "กรุณาพิมพ์" in card.text:
            count = len(bot.api.sent_messages(OFFICER))
            bot.api.inject_message(OFFICER, next(answers))
            card = (await bot.api.wait_sent(OFFICER, count + 1))[-1]
        assert "ยืนยันบันทึกไหมคะ" in card.text
        bot.api.inject_callback(OFFICER, card.message_id, "ok")
        await bot.api.wait_for(lambda: card.edits == 1, what="the card edited")
        assert card.text.startswith("บันทึกแล้วค่ะ")
        await bot.api.wait_for(lambda: len(bot.api.callback_answers) == 2, what="both presses answered")


@BOTH_MODES
async def test_photo_and_pdf_are_downloaded_stored_hashed_and_linked(tmp_path, catalogs, process):
    async with running_bot(tmp_path, catalogs, process=process) as bot:
        photo = jpeg_with_exif()
        bot.api.inject_photo(OFFICER, photo, caption="หลักฐาน ตชว.1 เบิกจ่าย")
        (stored,) = await bot.api.wait_sent(OFFICER)
        assert stored.text.startswith("เก็บหลักฐาน 1 ไฟล์ของ ตชว.1")
        pdf = b"%PDF-1.4\n% kpibot evidence\n1 0 obj << >> endobj\n%%EOF\n"
        bot.api.inject_document(OFFICER, pdf, "รายงานเบิกจ่าย.pdf", "application/pdf", caption="หลักฐาน ตชว.1 เบิกจ่าย")
        second = (await bot.api.wait_sent(OFFICER, 2))[1]
        assert second.text.startswith("เก็บหลักฐาน 1 ไฟล์")
        rows = bot.store_call(bot.runtime.store._rows, "SELECT catalog_id, kpi_id FROM evidence ORDER BY id")
        (catalog_id, kpi_id), = {(r["catalog_id"], r["kpi_id"]) for r in rows}
        assert catalogs[catalog_id].kpi(kpi_id).number == 1
        kept = bot.store_call(bot.runtime.store.evidence_for, "yala-mueang", catalog_id, kpi_id)
        assert [e.sha256 for e in kept] == [hashlib.sha256(photo).hexdigest(), hashlib.sha256(pdf).hexdigest()]
        assert kept[0].mime == "image/jpeg" and kept[1].mime == "application/pdf"
        assert kept[1].file_name == "รายงานเบิกจ่าย.pdf"
        assert bot.store_call(bot.runtime.store.evidence_bytes, kept[0].id) == photo  # the largest size, intact
        downloads = [c.params["path"] for c in bot.api.calls_of("download")]
        assert len(downloads) == 2 and downloads[0].startswith("photos/file")  # not the thumbnail


async def test_too_large_and_unwanted_files_are_refused_in_thai(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        bot.api.inject_document(OFFICER, b"x" * 100, "video.pdf", "application/pdf", caption="หลักฐาน ตชว.1",
                                file_size=25 * 1024 * 1024)
        (big,) = await bot.api.wait_sent(OFFICER)
        assert "ใหญ่เกิน 20 MB" in big.text
        bot.api.inject_document(OFFICER, b"PK\x03\x04", "data.zip", "application/zip", caption="หลักฐาน ตชว.1")
        other = (await bot.api.wait_sent(OFFICER, 2))[1]
        assert "รูปภาพหรือไฟล์ PDF เท่านั้น" in other.text
        assert bot.api.calls_of("getFile") == []  # refused before any download


async def test_chief_asks_for_scores(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        bot.api.inject_message(TG[PROVINCE_CHIEF], "คะแนนทุกอำเภอ")
        (overview,) = await bot.api.wait_sent(TG[PROVINCE_CHIEF])
        assert overview.text.startswith("ภาพรวมคะแนน") and "เมืองยะลา" in overview.text and "เบตง" in overview.text
        bot.api.inject_message(TG[MUEANG_CHIEF], "คะแนนปัจจุบัน")
        (card,) = await bot.api.wait_sent(TG[MUEANG_CHIEF])
        assert card.text.startswith("คะแนนปัจจุบัน เมืองยะลา")


async def test_a_429_in_the_middle_of_a_reply_is_waited_out(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        bot.api.fail_next("sendMessage", status=429, retry_after=1)
        bot.api.inject_message(OFFICER, "กำหนดส่ง")
        (reply,) = await bot.api.wait_sent(OFFICER, timeout=15)
        assert reply.text.startswith("กำหนดส่งที่ใกล้จะถึง") or reply.text.startswith("ไม่มีกำหนดส่ง")
        first, second = bot.api.calls_of("sendMessage")[:2]
        assert first.status == 429 and second.status == 200
        assert second.time - first.time >= 0.9  # sent again only after retry_after
        assert bot.api.too_many_requests == 1


async def test_an_update_that_raises_gets_an_apology_and_the_bot_goes_on(tmp_path, catalogs, caplog):
    async with running_bot(tmp_path, catalogs) as bot:
        original = bot.runtime.conversation.handle

        def explode(msg):
            if msg.text == "ระเบิด":
                raise RuntimeError("boom")
            return original(msg)

        bot.runtime.conversation.handle = explode
        bot.api.inject_message(OFFICER, "ระเบิด")
        (apology,) = await bot.api.wait_sent(OFFICER)
        assert apology.text.startswith("ขออภัยค่ะ ระบบขัดข้องชั่วคราว")
        # a failure in the channel itself (the file server fails twice): logged with the update id
        bot.api.fail_5xx("getFile", times=2)
        update_id = bot.api.inject_photo(OFFICER, jpeg_with_exif(), caption="หลักฐาน ตชว.1 เบิกจ่าย")
        second = (await bot.api.wait_sent(OFFICER, 2))[1]
        assert second.text.startswith("ขออภัยค่ะ ระบบขัดข้องชั่วคราว")
        assert any(f"telegram update {update_id} failed" in r.getMessage() for r in caplog.records)
        bot.api.inject_message(OFFICER, REPORT)  # and the bot goes on
        third = (await bot.api.wait_sent(OFFICER, 3))[2]
        assert "ยืนยันบันทึกไหมคะ" in third.text


async def test_blocked_user_push_marks_unreachable(tmp_path, catalogs):
    from handlers.messages import Reply

    async with running_bot(tmp_path, catalogs) as bot:
        ok = await bot.channel.push(str(OFFICER), Reply("เตือนค่ะ ส่งรายงานภายในวันที่ 25"))
        assert ok.ok and bot.api.sent_messages(OFFICER)[0].text.startswith("เตือนค่ะ")
        bot.api.block(OFFICER)
        result = await bot.channel.push(str(OFFICER), Reply("เตือนอีกครั้งค่ะ"))
        assert not result.ok and result.blocked
        person = bot.store_call(bot.runtime.store.person, MUEANG_OFFICER)
        assert person.reachable is False
        assert bot.runtime.channels["telegram"] is bot.channel


async def test_group_only_when_addressed_and_reporters_answered_privately(tmp_path, catalogs):
    async with running_bot(tmp_path, catalogs) as bot:
        api = bot.api
        api.inject_message(GROUP, "คะแนนปัจจุบัน", user_id=OFFICER)  # not addressed: silence
        api.inject_message(GROUP, f"@{api.username} คะแนนปัจจุบัน", user_id=OFFICER)
        note = (await api.wait_sent(GROUP))[0]
        assert note.text.startswith("ตอบทางแชทส่วนตัวแล้วค่ะ")
        (private,) = await api.wait_sent(OFFICER)
        assert private.text.startswith("คะแนนปัจจุบัน เมืองยะลา")  # the figures, privately
        # a chief addressed in the group is answered in the group
        api.inject_message(GROUP, f"คะแนนทุกอำเภอ @{api.username}", user_id=TG[PROVINCE_CHIEF])
        answer = (await api.wait_sent(GROUP, 2))[1]
        assert answer.text.startswith("ภาพรวมคะแนน")
        # a reply to the bot's message addresses it too
        api.inject_message(GROUP, "กำหนดส่ง", user_id=TG[PROVINCE_CHIEF], reply_to=answer.message_id)
        third = (await api.wait_sent(GROUP, 3))[2]
        assert "กำหนดส่ง" in third.text
        # a reporter who never opened a private chat: a note without figures, nothing else
        api.block(OFFICER)
        api.inject_message(GROUP, f"@{api.username} คะแนนปัจจุบัน", user_id=OFFICER)
        fourth = (await api.wait_sent(GROUP, 4))[3]
        assert "เริ่มแชทส่วนตัว" in fourth.text and "ระดับ" not in fourth.text
        await api.wait_for(lambda: not api.pending_updates, what="all updates confirmed")
        assert len(api.sent_messages(GROUP)) == 4  # the unaddressed message got no answer


async def test_clean_stop_loses_no_update(tmp_path, catalogs):
    from tests.standins.telegram_api import TelegramStandIn

    from .telegram_setup import TOKEN

    api = TelegramStandIn(token=TOKEN)
    await api.start()
    try:
        async with running_bot(tmp_path / "a", catalogs, api=api):
            api.slow("sendMessage", 0.05)  # replies take a while: updates are in hand at stop
            users = [900 + i for i in range(6)]
            for user in users:
                api.inject_message(user, "วิธีใช้")
            await api.wait_sent(users[0])
        # stopped: each update either answered, or still unconfirmed for the next start — none lost
        answered = {m.chat_id for m in api.sent_messages()}
        pending = {u["message"]["chat"]["id"] for u in api.pending_updates}
        assert answered | pending == set(users)
        assert not answered & pending  # nothing answered twice after a restart
        assert "getUpdates" == api.calls[-1].method  # the confirming call comes last
        api.slow("sendMessage", 0)
        async with running_bot(tmp_path / "b", catalogs, api=api):
            await api.wait_for(lambda: {m.chat_id for m in api.sent_messages()} == set(users),
                               what="every user answered after the restart")
        assert len(api.sent_messages()) == len(users)
        assert api.pending_updates == []
    finally:
        await api.stop()


async def test_a_chart_comes_as_a_photo_and_a_long_scroll_as_a_file(tmp_path, catalogs):
    """Issue 14: "กราฟอันดับ" gets the districts' ranking as a photo with a Thai caption; an image much longer
    than wide (a national ranking) goes as a file, since Telegram shrinks photos to 1,280 px."""
    from handlers.messages import Reply

    chief = TG[PROVINCE_CHIEF]
    async with running_bot(tmp_path, catalogs) as bot:
        bot.api.inject_message(chief, "กราฟอันดับ")
        (photo,) = await bot.api.wait_sent(chief, timeout=60)
        assert photo.kind == "photo" and photo.file[:8] == b"\x89PNG\r\n\x1a\n"
        assert photo.text and "อันดับคะแนน" in photo.text
        with Image.open(io.BytesIO(photo.file)) as picture:
            assert picture.width >= 800
        tall = io.BytesIO()
        Image.new("RGB", (810, 6000), "white").save(tall, "PNG")
        channel = bot.runtime.channels["telegram"]
        result = await channel.push(str(chief), Reply("อันดับคะแนนทั้งประเทศ", image=tall.getvalue(),
                                                      image_name="ranking-national.png"))
        assert result.ok
        sent = await bot.api.wait_sent(chief, count=2)
        assert sent[-1].kind == "document" and sent[-1].file_name == "ranking-national.png"
        assert sent[-1].text == "อันดับคะแนนทั้งประเทศ" and sent[-1].file == tall.getvalue()
