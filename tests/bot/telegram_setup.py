"""Shared setup of the Telegram end-to-end tests: demo database, Runtime, Bot API stand-in, channel."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.channels.telegram.channel import TelegramChannel, TelegramSettings
from bot.cli.demo import build
from bot.run.process import WorkerSpec
from bot.run.runtime import Runtime
from bot.store.sqlite import SqliteStore
from scoring.thaidate import BANGKOK
from tests.standins.telegram_api import TelegramStandIn

TOKEN = "123456:TEST-kpibot"
# demo people (bot.cli.demo) and the Telegram user ids the tests give them
MUEANG_OFFICER, BETONG_OFFICER, PROVINCE_CHIEF, MUEANG_CHIEF, ADMIN = 6, 5, 9, 10, 15
TG = {MUEANG_OFFICER: 7006, BETONG_OFFICER: 7005, PROVINCE_CHIEF: 7009, MUEANG_CHIEF: 7010, ADMIN: 7015}
GROUP = -100555


def no_proxy() -> None:
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    os.environ["no_proxy"] = "127.0.0.1,localhost"


@dataclass
class Bot:
    api: TelegramStandIn
    channel: TelegramChannel
    runtime: Runtime
    db: Path
    evidence: Path

    def store_call(self, fn, *args, **kwargs):
        """Run a store method (the store is inline and lock-guarded: a direct call)."""
        return fn(*args, **kwargs)


def make_db(tmp_path: Path, catalogs_today=None) -> tuple[Path, Path]:
    db, evidence = tmp_path / "demo.sqlite3", tmp_path / "evidence"
    today = catalogs_today or datetime.now(BANGKOK).date()
    store = build(str(db), str(evidence), today, figures=False)
    for person, user in TG.items():
        store.link_identity(person, "telegram", str(user), display_name="ผู้ทดสอบ")
    store.close()
    return db, evidence


@contextlib.asynccontextmanager
async def running_bot(tmp_path: Path, catalogs, *, start: bool = True, api: TelegramStandIn | None = None,
                      process: bool = False, **settings) -> AsyncIterator[Bot]:
    """The bot against a stand-in; `process=True` runs the conversation in its own process, as
    `kpibot run` does on a machine with two cores (the test's store is then the parent's connection)."""
    no_proxy()
    db, evidence = make_db(tmp_path)
    runtime = Runtime(lambda: SqliteStore(db, evidence), catalogs,
                      worker=WorkerSpec(str(db), str(evidence)) if process else None)
    await runtime.start()
    own_api = api is None
    api = api or TelegramStandIn(token=TOKEN)
    if own_api:
        await api.start()
    options = {"poll_timeout": 5, **settings}
    channel = TelegramChannel(runtime, TelegramSettings(TOKEN, api.base_url, api.base_file_url, **options))
    bot = Bot(api, channel, runtime, db, evidence)
    try:
        if start:
            await channel.start()
        yield bot
    finally:
        with contextlib.suppress(Exception):
            await channel.stop()
        runtime.close()
        if own_api:
            await api.stop()
