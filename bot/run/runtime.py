"""The running bot's core, shared by every channel: store, catalogs, conversation.

Three ways to run the handlers, one behaviour:
- inline (the default): on the event loop itself; a message costs about a millisecond of Python
  and SQLite (WAL) work. The store guards its connection with a lock, so a thread that must touch
  it (tests, admin tools) still may.
- `worker=WorkerSpec(...)`: in a child process (bot/run/process.py), so the channels and the
  conversation core use two cores; `kpibot run` does this on a machine with more than one core.
  The parent keeps its own connection for the channels' look-ups and the reminders.
- `threaded=True`: the store in one worker thread, for a slow disk. Measured half the throughput
  of inline under load (the two threads contend for the GIL; bench/telegram_bench.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from bot.run.process import ConversationProcess, WorkerSpec
from bot.store.sqlite import SqliteStore
from handlers.conversation import Conversation
from handlers.messages import Incoming, Reply
from scoring.model import Catalog

log = logging.getLogger("kpibot")
T = TypeVar("T")


@dataclass(frozen=True)
class PushResult:
    ok: bool
    blocked: bool = False  # the person blocked the bot / unfollowed (Telegram 403, LINE 403)
    error: str | None = None


class Channel(Protocol):
    """A chat channel as reminders and links see it: push a reply to a person's id on that channel."""

    name: str  # "telegram" | "line"

    async def push(self, external_id: str, reply: Reply, *, key: str | None = None) -> PushResult: ...


class Runtime:
    def __init__(self, store_factory: Callable[[], SqliteStore], catalogs: Mapping[str, Catalog], *,
                 threaded: bool = False, worker: WorkerSpec | None = None):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpibot-store")
        self.threaded = threaded
        self.catalogs = catalogs
        self.store: SqliteStore = self._executor.submit(store_factory).result() if threaded else store_factory()
        self.conversation = Conversation(self.store, catalogs)
        self.channels: dict[str, Channel] = {}
        self.worker = ConversationProcess(worker, catalogs) if worker is not None else None

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn where the store lives: inline on the loop, or in the store's worker thread."""
        if not self.threaded:
            return fn(*args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    async def handle(self, msg: Incoming) -> list[Reply]:
        """One message through the handlers; an error becomes a short Thai apology, never a crash."""
        try:
            if self.worker is not None:
                return await self.worker.handle(msg)
            return await self.call(self._handle, msg)
        except Exception:
            log.exception("update failed: channel=%s chat=%s message=%s", msg.channel, msg.chat, msg.message_id)
            return [Reply("ขออภัยค่ะ ระบบขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้ง")]

    def _handle(self, msg: Incoming) -> list[Reply]:
        """In the owner thread: “เชื่อมบัญชี CODE” (any channel) first, then the conversation."""
        from bot.linking import link_command

        replies = link_command(self.store, msg)
        return replies if replies is not None else self.conversation.handle(msg)

    async def start(self) -> None:
        """Start the conversation process, if there is one, and wait until it is warm."""
        if self.worker is not None:
            await self.worker.start()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
        if self.threaded:
            self._executor.submit(self.store.close).result()
        else:
            self.store.close()
        self._executor.shutdown(wait=True)
