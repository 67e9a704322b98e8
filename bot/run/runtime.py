"""The running bot's core, shared by every channel: store, catalogs, conversation.

Two ways to run the handlers, one behaviour:
- inline (the default): on the event loop itself; a message costs about a millisecond of Python
  and SQLite (WAL) work. The store guards its connection with a lock, so a thread that must touch
  it (tests, admin tools) still may.
- `worker=WorkerSpec(...)`: in a child process (bot/run/process.py), so the channels and the
  conversation core use two cores; `kpibot run` does this on a machine with more than one core.
  The parent keeps its own connection for the channels' look-ups and the reminders.
(A third, the store in a worker thread, measured half the throughput of inline under load, the two
threads contending for the GIL, and was removed unused.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
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
                 worker: WorkerSpec | None = None):
        self.catalogs = catalogs
        self.store: SqliteStore = store_factory()
        self.conversation = Conversation(self.store, catalogs)
        self.channels: dict[str, Channel] = {}
        self.worker = ConversationProcess(worker, catalogs) if worker is not None else None

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn on the store (inline on the loop: the one seam where the store is reached from async code)."""
        return fn(*args, **kwargs)

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
        """In the owner thread: the conversation (account linking included, handlers/linking.py)."""
        return self.conversation.handle(msg)

    async def start(self) -> None:
        """Start the conversation process, if there is one, and wait until it is warm."""
        if self.worker is not None:
            await self.worker.start()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
        self.store.close()
