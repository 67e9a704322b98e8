"""The running bot's core, shared by every channel: store, catalogs, conversation, one owner thread.

The store (sqlite) is owned by a single worker thread; channels (asyncio) hand messages to it
with `await runtime.handle(msg)`, so a slow disk never blocks the event loop and no database
object crosses threads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from handlers.conversation import Conversation
from handlers.messages import Incoming, Reply
from scoring.model import Catalog

from .store import SqliteStore

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
    def __init__(self, store_factory: Callable[[], SqliteStore], catalogs: Mapping[str, Catalog]):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpibot-store")
        self.catalogs = catalogs
        # the store is created inside its owner thread
        self.store: SqliteStore = self._executor.submit(store_factory).result()
        self.conversation = Conversation(self.store, catalogs)
        self.channels: dict[str, Channel] = {}

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn in the store's owner thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    async def handle(self, msg: Incoming) -> list[Reply]:
        """One message through the handlers; an error becomes a short Thai apology, never a crash."""
        try:
            return await self.call(self._handle, msg)
        except Exception:
            log.exception("update failed: channel=%s chat=%s message=%s", msg.channel, msg.chat, msg.message_id)
            return [Reply("ขออภัยค่ะ ระบบขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้ง")]

    def _handle(self, msg: Incoming) -> list[Reply]:
        """In the owner thread: “เชื่อมบัญชี CODE” (any channel) first, then the conversation."""
        from .linking import link_command

        replies = link_command(self.store, msg)
        return replies if replies is not None else self.conversation.handle(msg)

    def close(self) -> None:
        self._executor.submit(self.store.close).result()
        self._executor.shutdown(wait=True)
