"""The running bot's core, shared by every channel: store, catalogs, conversation.

- The event loop never waits on SQLite. The parent's store is opened in, and reached through, one
  dedicated thread ("kpibot-store", `call`): a write lock another connection holds (the conversation
  process, a CLI import) makes that call wait up to the store's busy timeout (5 s), while the loop goes
  on polling, answering webhooks and ticking reminders. One thread, so the parent's store calls run
  one at a time in the order they were made.
- Two ways to run the handlers, one behaviour:
  - inline: the conversation runs through `call` too (about a millisecond of Python and SQLite a
    message, on the store thread);
  - `worker=WorkerSpec(...)`: in a child process (bot/run/process.py), so the channels and the
    conversation core use two cores; `kpibot run` does this on a machine with more than one core.
    The parent keeps its own connection for the channels' look-ups and the reminders.
- A user is never told "failed" for work that committed. A slow message is waited for (process.py:
  only its hard limit or the child's death ends the wait, the child dead first). When a message ends
  without its reply, the store says what it left: just before the message is handled, where it is
  handled, the sender's latest live submission is noted (process.py's `sender_note`: the child sends it
  as it begins, so a message queued behind another was not begun); after, a submission carrying this
  message's channel and id means "saved" (with the version), a retraction by it "undone", no change at all
  "not saved, send again"; anything else (another process changed the sender's records meanwhile) "check
  with คะแนนปัจจุบัน before sending again".
  Any such apology sets ``trouble``: the storage watch (bot/run/watch.py) probes the store at once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from bot.channels.base import Channel, PushResult  # noqa: F401 - PushResult: re-exported for the engine
from bot.exports.renderer import ExportRenderer
from bot.run.process import ConversationProcess, Note, WorkerDied, WorkerSpec, sender_note
from bot.store.sqlite import SqliteStore
from handlers import audience, texts
from handlers.conversation import Conversation
from handlers.messages import Incoming, Reply
from handlers.ports import Submission
from scoring.model import Catalog

log = logging.getLogger("kpibot")
T = TypeVar("T")

APOLOGY = "ขออภัยค่ะ ระบบขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้ง"
NOT_SAVED = "ขออภัยค่ะ ระบบขัดข้องชั่วคราว ยังไม่ได้บันทึกข้อมูลจากข้อความนี้ กรุณาส่งใหม่อีกครั้ง"
UNSURE = ("ขออภัยค่ะ ระบบขัดข้องชั่วคราว ยังไม่ทราบว่าข้อความนี้บันทึกแล้วหรือไม่ "
          "กรุณาตรวจดูด้วย “คะแนนปัจจุบัน” ก่อนส่งใหม่")


class Runtime:
    """The core; also bot/channels/base.py's ``Host``: what a channel may ask of the running bot."""

    def __init__(self, store_factory: Callable[[], SqliteStore], catalogs: Mapping[str, Catalog], *,
                 worker: WorkerSpec | None = None):
        self.catalogs = catalogs
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpibot-store")
        try:
            self.store: SqliteStore = self._executor.submit(store_factory).result()  # opened in its thread
        except BaseException:
            self._executor.shutdown(wait=False)
            raise
        self.conversation = Conversation(self.store, catalogs, ExportRenderer())
        self.channels: dict[str, Channel] = {}
        self.worker = ConversationProcess(worker, catalogs) if worker is not None else None
        self._closed = False
        self.trouble = asyncio.Event()  # set when a message ended in an apology: bot/run/watch.py looks at once
        self._failures = 0  # messages that ended in an apology on the store thread (inline)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn on the store thread (the one seam where the store is reached from async code); the loop
        goes on meanwhile. A call whose awaiter is cancelled still runs to its end (a write commits)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def handle(self, msg: Incoming) -> list[Reply]:
        """One message through the handlers; an error becomes a short Thai apology that says what was
        stored (module docstring), never a crash."""
        if self.worker is None:
            failures = self._failures
            try:
                return await self.call(self._handle, msg)
            except Exception:  # the store thread itself failed us (it never should)
                log.exception("update failed: channel=%s chat=%s message=%s", msg.channel, msg.chat, msg.message_id)
                self._failures += 1
                return [Reply(UNSURE)]
            finally:
                if self._failures != failures:
                    self.trouble.set()
        try:
            return await self.worker.handle(msg)
        except Exception as exc:
            log.exception("update failed: channel=%s chat=%s message=%s", msg.channel, msg.chat, msg.message_id)
            self.trouble.set()
            if isinstance(exc, WorkerDied) and not exc.started:
                return [Reply(NOT_SAVED)]  # queued behind another message, or not begun: nothing of it was done
            try:
                return [await self.call(self._outcome, msg, getattr(exc, "note", None))]
            except Exception:
                log.exception("the outcome of message %s is unknown", msg.message_id)
                return [Reply(UNSURE)]

    def _handle(self, msg: Incoming) -> list[Reply]:
        """On the store thread: the conversation (account linking included, handlers/linking.py)."""
        try:
            before: Note | None = sender_note(self.store, msg)
        except Exception:  # e.g. the database locked past the busy timeout: nothing was handled
            log.exception("update not handled: channel=%s chat=%s message=%s", msg.channel, msg.chat, msg.message_id)
            self._failures += 1
            return [Reply(NOT_SAVED)]
        try:
            return self.conversation.handle(msg)
        except Exception:
            log.exception("update failed: channel=%s chat=%s message=%s", msg.channel, msg.chat, msg.message_id)
            self._failures += 1
            try:
                return [self._outcome(msg, before)]
            except Exception:
                log.exception("the outcome of message %s is unknown", msg.message_id)
                return [Reply(UNSURE)]

    # -- what a message that ended without its reply left in the store -------------------------------
    def _outcome(self, msg: Incoming, before: Note | None) -> Reply:
        """On the store thread, once nothing more of the message can commit: the apology that tells the truth.
        `before`: the sender's note taken just before the message was handled (process.py's `sender_note`)."""
        person = self.store.person_by_identity(msg.channel, msg.sender)
        if person is None:
            return Reply(NOT_SAVED)  # an unregistered sender stores nothing but a failed code attempt
        if before is None or before[0] != person.id:
            return Reply(UNSURE)  # registered meanwhile, or no note taken
        noted = before[1]
        last = self.store.last_submission_by(person.id)
        if last is not None and msg.message_id and (last.channel, last.message_id) == (msg.channel, msg.message_id):
            return Reply(f"ขออภัยที่ตอบช้าค่ะ บันทึกแล้ว (ฉบับที่ {last.version}): {self._what(last)} "
                         f"{texts.level_th(last.level)}")
        if noted is not None and msg.message_id:
            undone = self.store.retracted_by(noted)
            if undone is not None and (undone.channel, undone.message_id) == (msg.channel, msg.message_id):
                return Reply(f"ขออภัยที่ตอบช้าค่ะ ยกเลิกรายการ {self._what(undone)} แล้ว (ประวัติยังเก็บไว้)")
        unchanged = (None if last is None else last.id) == noted and (
            noted is None or self.store.retracted_by(noted) is None)
        return Reply(NOT_SAVED if unchanged else UNSURE)

    def _what(self, sub: Submission) -> str:
        """ "ตชว.1 เบิกจ่าย รอบการประเมินนี้", as the report flow names a KPI (handlers/agreements.py Slot.short)."""
        catalog = self.catalogs.get(sub.catalog_id)
        kpi = next((k for k in catalog.kpis if k.id == sub.kpi_id), None) if catalog is not None else None
        if kpi is None:
            return f"{sub.kpi_id} {texts.period_th(sub.period)}"
        number = kpi.number if kpi.number is not None else kpi.id
        name = kpi.aliases[0] if kpi.aliases else kpi.name
        return f"{f'ตชว.{number} {name}'[:40]} {texts.period_th(sub.period)}"

    async def start(self) -> None:
        """Start the conversation process, if there is one, and wait until it is warm; inline, warm up
        Thai NLP (its first calls take about a second) off the loop. Idempotent."""
        if self.worker is not None:
            await self.worker.start()
            return
        from handlers.nlu import warm_up

        await asyncio.get_running_loop().run_in_executor(None, warm_up)

    # -- Host (bot/channels/base.py): what channels ask of the running bot, each on the store thread ---
    async def role(self, channel: str, external_id: str) -> str | None:
        person = await self.call(self.store.person_by_identity, channel, external_id)
        return None if person is None else person.role

    async def person_name(self, channel: str, external_id: str) -> str | None:
        person = await self.call(self.store.person_by_identity, channel, external_id)
        return None if person is None else person.name

    async def set_reachable(self, channel: str, external_id: str, reachable: bool) -> bool:
        return await self.call(self._set_reachable, channel, external_id, reachable)

    def _set_reachable(self, channel: str, external_id: str, reachable: bool) -> bool:
        person = self.store.person_by_identity(channel, external_id)
        if person is None:
            return False
        self.store.set_reachable(person.id, reachable)
        return True

    async def first_delivery(self, channel: str, event_id: str, now: datetime) -> bool:
        return await self.call(self.store.first_delivery, channel, event_id, now)

    async def forget_events(self, channel: str, before: datetime) -> int:
        return await self.call(self.store.forget_events, channel, before)

    # Telegram's handled updates (bot/channels/telegram/channel.py's ``UpdatesHost``)
    async def seen_events(self, channel: str, event_ids: Sequence[str]) -> set[str]:
        return await self.call(self.store.seen_events, channel, event_ids)

    async def record_events(self, channel: str, event_ids: Sequence[str], now: datetime, *, durable: bool = True) -> int:
        """A batch of event ids in one commit (bot/store/channel_events.py: ``durable``)."""
        return await self.call(self.store.record_events, channel, event_ids, now, durable=durable)

    async def notify_admins(self, text: str, key: str, now: datetime, stage: str = "notice") -> int:
        """handlers/audience.py picks who and where; reminder_log keeps it once per admin, key and stage."""
        told = 0
        for person in await self.call(self.store.people, None, None):
            if not audience.receives_notices(person.role):
                continue
            identities = dict(await self.call(self.store.identities, person.id))
            name = audience.notice_channel(identities, self.channels)
            if name is None or not await self.call(self.store.log_reminder, person.id, key, stage, now, name):
                continue
            await self.channels[name].push(identities[name], Reply(text), key=f"{key}:{person.id}")
            told += 1
        return told

    def close(self) -> None:
        """Stop the conversation process, then close the store on its thread (after the calls queued). Idempotent."""
        if self.worker is not None:
            self.worker.close()
        if self._closed:
            return
        self._closed = True
        self._executor.submit(self.store.close).result()
        self._executor.shutdown(wait=True)
