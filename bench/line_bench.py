"""LINE throughput: the full bot (signature, dedupe, parse, store, score, reply) against a bare
line-bot-sdk echo bot, both behind aiohttp and replying over real HTTP to the same loopback stand-in.

Each simulated user runs a closed loop of signed webhook requests, waiting for the bot's answer
before the next: full bot: "รายงาน ตชว.1 เบิกจ่าย NN.N%" -> card; postback "ok" -> saved; "คะแนนปัจจุบัน"
-> score card. Echo bot: three texts, each replied with the same text. The ratio is full/echo.
A user waits on a future per reply token, set when the stand-in accepts the reply (it polled every
millisecond before: 24 timers in the bots' own process, about 100 wake-ups per full-bot event, charging
each bot CPU in proportion to its latency). Both bots are measured the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import MessageEvent, TextMessageContent

from bot.channels.line.channel import LineConfig, build_line_app
from bot.cli.demo import build
from bot.run.process import WorkerSpec
from bot.run.runtime import Runtime
from bot.store.sqlite import SqliteStore
from handlers.nlu import warm_up
from scoring.loader import load_all
from scoring.thaidate import BANGKOK
from tests.standins.line_api import Events, LineStandIn, Sent, sign, webhook_body

SECRET = "bench-secret"
TODAY = date(2025, 6, 10)
USERS = 24
CYCLES = 5  # per user; 3 requests each
TIMEOUT = 30.0
EVENTS = Events()  # one numbering for both bots: reply tokens and event ids are never reused


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def _answered(api: LineStandIn) -> Callable[[str], asyncio.Future[None]]:
    """A future per reply token, done when the stand-in accepts a reply with it. (Polling for it every
    millisecond, as this bench first did, ran 24 timers in the bots' own process and charged each bot
    CPU in proportion to its latency: about 100 wake-ups per full-bot event.)"""
    waiting: dict[str, asyncio.Future[None]] = {}
    record = api._record

    def recorded(bucket: list[Sent], sent: Sent) -> None:
        record(bucket, sent)
        future = waiting.pop(sent.reply_token or "", None)
        if future is not None and not future.done():
            future.set_result(None)

    api._record = recorded  # type: ignore[method-assign]

    def answered(token: str) -> asyncio.Future[None]:
        future = waiting[token] = asyncio.get_running_loop().create_future()
        return future

    return answered


async def _drive(url: str, api: LineStandIn, users: list[str], steps: list[tuple[str, str]], ms: int) -> float:
    """Every user sends the steps CYCLES times, each after the previous answer; returns requests/s."""
    events = EVENTS
    done: dict[str, int] = dict.fromkeys(users, 0)
    total_before = len(api.sent)
    answered = _answered(api)

    async def user_loop(session: aiohttp.ClientSession, user: str) -> None:
        for _ in range(CYCLES):
            for kind, value in steps:
                event = events.text(user, value, ms) if kind == "text" else events.postback(user, value, ms)
                body = webhook_body(event)
                reply = answered(event["replyToken"])
                async with session.post(f"{url}/line/callback", data=body,
                                        headers={"X-Line-Signature": sign(SECRET, body)}) as response:
                    assert response.status == 200, (response.status, await response.text())
                await asyncio.wait_for(reply, TIMEOUT)
                done[user] += 1

    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session:
        await asyncio.gather(*(user_loop(session, u) for u in users))
    elapsed = time.perf_counter() - started
    assert len(api.sent) - total_before == sum(done.values())
    return sum(done.values()) / elapsed


def _echo_app(api_url: str, token: str) -> web.Application:
    parser = WebhookParser(SECRET)
    app = web.Application()
    holder: dict[str, AsyncMessagingApi] = {}

    async def callback(request: web.Request) -> web.Response:
        events = parser.parse((await request.read()).decode(), request.headers.get("X-Line-Signature", ""))
        for event in events:
            if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                await holder["api"].reply_message(ReplyMessageRequest(
                    reply_token=event.reply_token, messages=[TextMessage(text=event.message.text)]))
        return web.Response(text="OK")

    async def startup(app: web.Application) -> None:
        holder["client"] = AsyncApiClient(Configuration(access_token=token, host=api_url))  # type: ignore[assignment]
        holder["api"] = AsyncMessagingApi(holder["client"])  # type: ignore[arg-type]

    async def cleanup(app: web.Application) -> None:
        await holder["client"].close()  # type: ignore[attr-defined]

    app.router.add_post("/line/callback", callback)
    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    return app


async def _full(catalogs, ms: int, process: bool) -> float:
    """The full bot as `kpibot run` runs it (conversation process) or all in one process."""
    with tempfile.TemporaryDirectory() as tmp:
        db, evidence = Path(tmp) / "bench.sqlite3", Path(tmp) / "evidence"
        store = build(str(db), str(evidence), TODAY, figures=False)
        users = [f"Ubench{i:027d}" for i in range(USERS)]
        for i, user in enumerate(users):  # the 8 district officers, each on 3 LINE accounts
            store.link_identity(1 + i % 8, "line", user)
        store.close()
        api = await LineStandIn().start()
        runtime = Runtime(lambda: SqliteStore(db, evidence), catalogs,
                          worker=WorkerSpec(str(db), str(evidence)) if process else None)
        await runtime.start()
        config = LineConfig(secret=SECRET, token=api.token, api_url=api.url)
        app, _channel = build_line_app(runtime, config, clock=lambda: ms / 1000 + 1)
        runner, url = await _serve(app)
        steps = [("text", "รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%"), ("postback", "ok"), ("text", "คะแนนปัจจุบัน")]
        try:
            return await _drive(url, api, users, steps, ms)
        finally:
            await runner.cleanup()
            runtime.close()
            await api.stop()


async def _echo(ms: int) -> float:
    api = await LineStandIn().start()
    users = [f"Ubench{i:027d}" for i in range(USERS)]
    echo_runner, echo_url = await _serve(_echo_app(api.url, api.token))
    try:
        return await _drive(echo_url, api, users, [("text", "สวัสดี")] * 3, ms)
    finally:
        await echo_runner.cleanup()
        await api.stop()


async def _run() -> None:
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    logging.basicConfig(level=logging.ERROR)
    warm_up()
    catalogs = load_all()
    ms = int(datetime(2025, 6, 10, 10, 0, tzinfo=BANGKOK).timestamp() * 1000)
    full = inline = echo = 0.0
    for _round in range(2):  # alternated, best of each
        full = max(full, await _full(catalogs, ms, process=True))
        inline = max(inline, await _full(catalogs, ms, process=False))
        echo = max(echo, await _echo(ms))
    print(f"line: full bot {full:,.0f} webhook events/s, bare SDK echo {echo:,.0f}/s, "
          f"ratio {full / echo:.2f} ({USERS} users × {CYCLES} cycles × 3, closed loop, reply token; best of 2)")
    print(f"line: for the record: full bot with the conversation inline (one process) {inline:,.0f}/s "
          f"(ratio {inline / echo:.2f})")


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run())


if __name__ == "__main__":
    main()
