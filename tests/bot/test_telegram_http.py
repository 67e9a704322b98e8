"""The aiohttp transport under python-telegram-bot (bot/channels/telegram/http.py): uploads, downloads,
timeouts and network failures as PTB's own errors, and PTB's httpx transport as a fallback."""

from __future__ import annotations

import io
import socket

import pytest
from PIL import Image
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.channels.telegram.channel import TelegramSettings
from bot.channels.telegram.http import AiohttpRequest, make_request
from bot.run.config import settings
from handlers.messages import Reply
from handlers.nlu import warm_up
from scoring.loader import load_all
from tests.standins.telegram_api import TelegramStandIn

from .telegram_setup import MUEANG_OFFICER, TG, TOKEN, no_proxy, running_bot

OFFICER = TG[MUEANG_OFFICER]


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


async def test_a_chart_goes_as_a_photo_and_an_export_as_a_document(tmp_path, catalogs):
    chart, sheet = png(), b"PK\x03\x04 an xlsx file, as bytes"
    async with running_bot(tmp_path, catalogs) as bot:
        await bot.channel.push(str(OFFICER), Reply("กราฟคะแนนเมืองยะลา", image=chart, image_name="คะแนน.png"))
        await bot.channel.push(str(OFFICER), Reply("ตารางคะแนนรอบที่ 1", document=sheet,
                                                   document_name="คะแนน-รอบ1.xlsx"))
        photo, document = bot.api.sent_messages(OFFICER)
    assert (photo.kind, photo.text, photo.file, photo.file_name) == ("photo", "กราฟคะแนนเมืองยะลา", chart, "คะแนน.png")
    assert (document.kind, document.text, document.file) == ("document", "ตารางคะแนนรอบที่ 1", sheet)
    assert document.file_name == "คะแนน-รอบ1.xlsx"


async def test_a_closed_port_is_a_network_error():
    no_proxy()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{closed}/bot", request=AiohttpRequest(2, connect_timeout=2))
    with pytest.raises(NetworkError) as failed:
        await bot.initialize()
    assert not isinstance(failed.value, TimedOut) and "aiohttp" in str(failed.value)


async def test_read_timeout_maps_to_ptb_timed_out():
    no_proxy()
    async with TelegramStandIn(token=TOKEN) as api:
        api.slow("getMe", 3)
        bot = Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest(2, read_timeout=0.3))
        with pytest.raises(TimedOut):
            await bot.initialize()
        api.slow("getMe", 0)
        await bot.initialize()  # and the same transport goes on once the server answers
        assert bot.username
        await bot.shutdown()


@pytest.mark.parametrize("kind", ["aiohttp", "httpx"])
async def test_both_transports_carry_a_whole_report(tmp_path, catalogs, kind):
    async with running_bot(tmp_path, catalogs, http=kind) as bot:
        bot.api.inject_message(OFFICER, "รายงาน ตชว.1 เบิกจ่าย 96%")
        (card,) = await bot.api.wait_sent(OFFICER)
        bot.api.inject_callback(OFFICER, card.message_id, "ok")
        await bot.api.wait_for(lambda: card.edits == 1, what="the card edited")
        assert card.text.startswith("บันทึกแล้วค่ะ")


def test_transport_is_chosen_by_environment():
    env = {"TELEGRAM_BOT_TOKEN": TOKEN}
    assert TelegramSettings.from_settings(settings(env)).http == "aiohttp"
    assert TelegramSettings.from_settings(settings({**env, "KPIBOT_TELEGRAM_HTTP": "httpx"})).http == "httpx"
    with pytest.raises(ValueError, match="unknown Telegram HTTP transport"):
        make_request("requests", 4, read_timeout=5)
