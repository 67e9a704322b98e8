"""The LINE channel for real on loopback: the kpibot webhook server, the Messaging API stand-in, signed requests."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from bot.channels.line.channel import LineChannel, LineConfig, build_line_app
from bot.cli.demo import build
from bot.run.runtime import Runtime
from scoring.loader import load_all
from tests.handlers.conftest import BANGKOK, TODAY
from tests.standins.line_api import Events, LineStandIn, sign, webhook_body

SECRET = "line-test-channel-secret"
EVENT_TIME = datetime.combine(TODAY, time(10, 0), BANGKOK)
EVENT_MS = int(EVENT_TIME.timestamp() * 1000)
TIMEOUT = aiohttp.ClientTimeout(total=20)


def png(width: int = 64, height: int = 48, color: str = "green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


@dataclass
class LineBot:
    """The webhook server with a runtime on the demo database, and a client that signs what it posts."""

    runtime: Runtime
    channel: LineChannel
    api: LineStandIn
    url: str
    session: aiohttp.ClientSession
    events: Events = field(default_factory=Events)
    now: list[float] = field(default_factory=lambda: [EVENT_MS / 1000 + 1])  # the bot's clock (seconds)

    @property
    def store(self) -> Any:
        return self.runtime.store

    async def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.runtime.call(fn, *args, **kwargs)

    async def post(self, *events: dict[str, Any], signature: str | None = "sign", body: bytes | None = None
                   ) -> int:
        """POST a webhook; signature "sign" = correct, None = no header, other text = that header."""
        body = body if body is not None else webhook_body(*events)
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            headers["X-Line-Signature"] = sign(SECRET, body)
        elif signature is not None:
            headers["X-Line-Signature"] = signature
        async with self.session.post(f"{self.url}/line/callback", data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def send(self, *events: dict[str, Any]) -> list[str]:
        """Post signed events, wait until the bot has handled them, return the texts it sent for them."""
        before = len(self.api.sent)
        assert await self.post(*events) == 200
        await self.channel.drain(timeout=30)
        return [t for s in self.api.sent[before:] for t in s.texts]

    async def say(self, user: str, text: str) -> str:
        return "\n".join(await self.send(self.events.text(user, text, EVENT_MS)))

    async def press(self, user: str, data: str) -> str:
        return "\n".join(await self.send(self.events.postback(user, data, EVENT_MS)))


@pytest.fixture(scope="session")
def line_catalogs():
    return load_all()


@pytest.fixture(name="line_bot")
async def line_bot_fixture(tmp_path, monkeypatch, line_catalogs):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    runtime = Runtime(lambda: build(str(tmp_path / "demo.sqlite3"), str(tmp_path / "evidence"), TODAY,
                                    figures=False), line_catalogs)
    api = await LineStandIn().start()
    now = [EVENT_MS / 1000 + 1]
    config = LineConfig(secret=SECRET, token=api.token, api_url=api.url, host="127.0.0.1", port=0)
    app, channel = build_line_app(runtime, config, clock=lambda: now[0])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    session = aiohttp.ClientSession(timeout=TIMEOUT)
    bot = LineBot(runtime, channel, api, f"http://127.0.0.1:{port}", session, now=now)
    try:
        yield bot
    finally:
        await session.close()
        await asyncio.wait_for(runner.cleanup(), 30)
        await api.stop()
        runtime.close()
