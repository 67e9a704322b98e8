"""Telegram in webhook mode: setWebhook with a secret token; only posts carrying it are taken."""

from __future__ import annotations

import pytest

from handlers.nlu import warm_up
from scoring.loader import load_all

from .telegram_setup import MUEANG_OFFICER, TG, running_bot

OFFICER = TG[MUEANG_OFFICER]


@pytest.fixture(scope="module")
def catalogs():
    warm_up()
    return load_all()


async def test_webhook_takes_the_right_secret_and_refuses_a_wrong_one(tmp_path, catalogs):
    settings = {"webhook_url": "https://kpibot.example.org/telegram/hook", "webhook_secret": "s3cret-token",
                "webhook_listen": "127.0.0.1", "webhook_port": 0}
    async with running_bot(tmp_path, catalogs, **settings) as bot:
        api = bot.api
        assert api.webhook == {"url": "https://kpibot.example.org/telegram/hook", "secret_token": "s3cret-token"}
        assert api.calls_of("getUpdates") == []  # no polling in webhook mode
        hook = f"http://127.0.0.1:{bot.channel.webhook_port}/telegram/hook"
        api.inject_message(OFFICER, "วิธีใช้")
        assert await api.deliver_webhook(hook, secret="wrong") == [403]
        assert await api.deliver_webhook(hook, secret="") == [403]  # no header at all
        assert api.sent_messages() == []  # nothing was processed
        assert await api.deliver_webhook(hook) == [200]  # the secret given to setWebhook
        (reply,) = await api.wait_sent(OFFICER)
        assert "รายงาน" in reply.text
        api.inject_message(OFFICER, "รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%")
        assert await api.deliver_webhook(hook) == [200]
        card = (await api.wait_sent(OFFICER, 2))[1]
        api.inject_callback(OFFICER, card.message_id, "ok")
        assert await api.deliver_webhook(hook) == [200]
        await api.wait_for(lambda: card.edits == 1, what="the card edited through the webhook")
        assert card.text.startswith("บันทึกแล้วค่ะ")


async def test_webhook_secret_is_generated_when_not_configured(tmp_path, catalogs):
    settings = {"webhook_url": "https://kpibot.example.org/tg", "webhook_listen": "127.0.0.1", "webhook_port": 0}
    async with running_bot(tmp_path, catalogs, **settings) as bot:
        secret = bot.api.webhook["secret_token"]
        assert secret and len(secret) >= 32 and secret == bot.channel.webhook_secret
