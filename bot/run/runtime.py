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

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from bot.channels.base import Channel, PushResult  # noqa: F401 - PushResult: re-exported for the engine
from bot.exports.renderer import ExportRenderer
from bot.run.process import ConversationProcess, WorkerSpec
from bot.store.sqlite import SqliteStore
from handlers import audience
from handlers.conversation import Conversation
from handlers.messages import Incoming, Reply
from scoring.model import Catalog

log = logging.getLogger("kpibot")
T = TypeVar("T")


class Runtime:
    """The core; also bot/channels/base.py's ``Host``: what a channel may ask of the running bot."""

    def __init__(self, store_factory: Callable[[], SqliteStore], catalogs: Mapping[str, Catalog], *,
                 worker: WorkerSpec | None = None):
        self.catalogs = catalogs
        self.store: SqliteStore = store_factory()
        self.conversation = Conversation(self.store, catalogs, ExportRenderer())
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
        """Start the conversation process, if there is one, and wait until it is warm; inline, warm up
        Thai NLP (its first calls take about a second) off the loop. Idempotent."""
        if self.worker is not None:
            await self.worker.start()
            return
        from handlers.nlu import warm_up

        await asyncio.get_running_loop().run_in_executor(None, warm_up)

    # -- Host (bot/channels/base.py): what channels ask of the running bot ---------------------------
    async def role(self, channel: str, external_id: str) -> str | None:
        person = self.store.person_by_identity(channel, external_id)
        return None if person is None else person.role

    async def person_name(self, channel: str, external_id: str) -> str | None:
        person = self.store.person_by_identity(channel, external_id)
        return None if person is None else person.name

    async def set_reachable(self, channel: str, external_id: str, reachable: bool) -> bool:
        person = self.store.person_by_identity(channel, external_id)
        if person is None:
            return False
        self.store.set_reachable(person.id, reachable)
        return True

    async def first_delivery(self, channel: str, event_id: str, now: datetime) -> bool:
        return self.store.first_delivery(channel, event_id, now)

    async def forget_events(self, channel: str, before: datetime) -> int:
        return self.store.forget_events(channel, before)

    # Telegram's handled updates (bot/channels/telegram/channel.py's ``UpdatesHost``)
    async def seen_events(self, channel: str, event_ids: Sequence[str]) -> set[str]:
        return self.store.seen_events(channel, event_ids)

    async def record_events(self, channel: str, event_ids: Sequence[str], now: datetime) -> int:
        """A batch of handled update ids in one commit, its fsync off the loop (the store is lock-guarded)."""
        return await asyncio.to_thread(self.store.record_events, channel, event_ids, now)

    async def notify_admins(self, text: str, key: str, now: datetime, stage: str = "notice") -> int:
        """handlers/audience.py picks who and where; reminder_log keeps it once per admin, key and stage."""
        told = 0
        for person in self.store.people(None, None):
            if not audience.receives_notices(person.role):
                continue
            identities = dict(self.store.identities(person.id))
            name = audience.notice_channel(identities, self.channels)
            if name is None or not self.store.log_reminder(person.id, key, stage, now, name):
                continue
            await self.channels[name].push(identities[name], Reply(text), key=f"{key}:{person.id}")
            told += 1
        return told

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
        self.store.close()
