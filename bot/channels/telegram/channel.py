"""The Telegram channel: python-telegram-bot 22 (asyncio) <-> the one message model.

Updates become `Incoming` messages and go through the runtime's `handle` (bot/channels/base.py's `Host`); the `Reply`s come back as
Bot API calls (inline keyboards for choices, the card edited in place after a button press, photos
for charts, documents for exports). Long polling by default; a webhook (our own aiohttp server that
checks `X-Telegram-Bot-Api-Secret-Token`) when `KPIBOT_TELEGRAM_WEBHOOK_URL` is set.

Groups: the bot answers only when addressed (a mention of the bot, a reply to one of its messages,
or `/command@bot`). Who is answered where is handlers/audience.py's rule: chiefs, coordinators and
admins in the group; anyone else (a reporter, someone not registered) in a private chat, so one person's figures and
invite codes never reach a group. If the bot may not write to them privately yet, the group gets
a short note without figures asking them to open a private chat. Staff answered in the group get no codes
there (the conversation refuses), and their cards' buttons carry their id: another member's press is refused.

Sending keeps to Telegram's limits: `PacedRateLimiter` = PTB's AIORateLimiter (30 messages/s
overall, 20/min per group, retries after a 429 waiting `retry_after`) plus about 1 message/s per
private chat (bursts of 3).

Handled before confirmed (issue 13). PTB's `Updater.start_polling` confirms a batch of updates with the
offset of its next `getUpdates`, which it sends as soon as the batch is queued, before the updates are
handled: a kill then loses them for good. So we poll ourselves, still through PTB (`Bot.get_updates`,
real HTTP, our transport), and keep PTB's Application for the bot, its rate limiter, the per-person
update order (`PerPersonUpdateProcessor`) and the JobQueue. Chosen over patching PTB's Updater (its
offset handling is private) or handling each batch to the end before the next poll (one slow update
would hold up everyone). For every update, in this order:
  1. fetched; the ids a killed predecessor had already recorded (`seen_events`) are skipped;
  2. handled (the conversation commits its effect) and answered (the Bot API calls made);
  3. its id recorded in the store (`record_events`, table channel_events, key "update:<id>"): ids that
     finished meanwhile go in one transaction, one fsync for all of them, its wait off the event loop;
  4. confirmed to Telegram by the next `getUpdates(offset=lowest id not yet recorded)`. While updates are in
     hand that offset returns them again (Telegram cannot skip one): they are known and left alone, and
     the loop polls without waiting, at each recorded batch or every `BUSY_POLL` seconds, so others'
     updates are not held up by a slow one. Those polls are read as JSON (`Bot.do_api_request`) and only
     the new updates made into PTB objects: PTB's `get_updates` builds every update it returns, and the
     ones in hand came back about 8 times each (measured: 5,589 Update.de_json for 720 updates, 1.6 M
     attribute sets, a third of the bot's CPU; the full bot then ran at a quarter of an echo bot's rate).
A kill before 3 leaves the update unconfirmed: Telegram delivers it again and it is handled again; the
conversation makes that safe where it matters (a repeated ยืนยัน answers "บันทึกแล้วค่ะ (ฉบับที่ N)", the
same figures again are "ค่าเดิม", never a second version; a card is sent again). A kill after 3 leaves it
recorded: delivered again, it is skipped, so nobody is answered twice. `stop` finishes the updates in
hand, records them and confirms with one last `getUpdates`. The webhook follows the same steps and
answers Telegram's POST only after 3 (a non-2xx or no answer makes Telegram post the update again).
The record and the effect are two commits, not one (the conversation may run in its own process, with
its own connection): between them a kill makes the update be handled twice, which the conversation's
idempotency covers for reports and confirms, not for every command (an "undo" could walk back twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hmac
import io
import logging
import mimetypes
import os
import secrets
import signal
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, cast
from urllib.parse import urlparse

from aiohttp import web
from aiolimiter import AsyncLimiter
from PIL import Image
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    Defaults,
    TypeHandler,
)
from telegram.warnings import PTBUserWarning

from bot.channels.base import Host, PushResult
from bot.channels.base import split_text as _split_text
from bot.channels.telegram.http import make_request
from handlers import audience
from handlers.messages import Attachment, Choice, Incoming, Reply
from scoring.thaidate import BANGKOK

# python-telegram-bot's PTB_TIMEDELTA opt-in is set by bot/run/config.py `library_environment` at the entry
# points; `_seconds` takes an int or a timedelta either way.
log = logging.getLogger("kpibot.telegram")

CHANNEL = "telegram"
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile serves files up to 20 MB
TEXT_LIMIT, CAPTION_LIMIT, CALLBACK_LIMIT = 4096, 1024, 64
KEPT_MIME = ("image/", "application/pdf")
KEPT_EXT = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".gif", ".tif", ".tiff", ".pdf"})
SEND_ENDPOINTS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage",
                            "forwardMessage"})

BUSY_POLL = 0.25  # seconds between two polls while updates are in hand (each returns them again)
GET_UPDATES_READ_TIMEOUT = 10  # seconds a getUpdates answer may take beyond its long-poll timeout
# `do_api_request("getUpdates")` is how we read updates as JSON (`_get_updates`); PTB suggests get_updates
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates' instead", category=PTBUserWarning)
STOP_GRACE = 20.0  # seconds `stop` waits for the updates in hand before leaving them unconfirmed
POLL_STOP_GRACE = 2.0  # seconds `stop` waits for a cancelled getUpdates before closing its connection
KEEP_HANDLED = timedelta(days=2)  # handled ids kept: Telegram holds unconfirmed updates 24 h, and after a
# week without updates it may restart its ids anywhere, so none may be kept that long
FORGET_EVERY = 3600.0  # seconds between two clean-ups of old handled ids

APOLOGY = "ขออภัยค่ะ ระบบขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้ง"
TOO_LARGE = "ไฟล์ใหญ่เกิน 20 MB ค่ะ Telegram ให้บอทรับได้ไม่เกิน 20 MB กรุณาย่อขนาดหรือส่งเป็นรูปภาพแทนค่ะ"
NOT_KEPT = "ขออภัยค่ะ รับหลักฐานเป็นรูปภาพหรือไฟล์ PDF เท่านั้น กรุณาส่งใหม่อีกครั้งค่ะ"
ANSWERED_PRIVATELY = "ตอบทางแชทส่วนตัวแล้วค่ะ (ข้อมูลรายบุคคลไม่แสดงในกลุ่ม)"
OPEN_PRIVATE_CHAT = "ข้อมูลรายบุคคลไม่แสดงในกลุ่มค่ะ กรุณาเริ่มแชทส่วนตัวกับบอทก่อน: https://t.me/{bot}"

# the command menu (setMyCommands); each is also understood by the handlers' slash aliases
COMMANDS: tuple[tuple[str, str], ...] = (
    ("report", "รายงานผลตัวชี้วัด"),
    ("score", "ดูคะแนนปัจจุบัน"),
    ("missing", "ตัวชี้วัดที่ยังไม่ส่ง"),
    ("deadlines", "กำหนดส่งที่ใกล้จะถึง"),
    ("evidence", "ส่งรูปหรือไฟล์หลักฐาน"),
    ("correct", "แก้ไขผลที่รายงานล่าสุด"),
    ("undo", "ยกเลิกรายการล่าสุด"),
    ("cancel", "ยกเลิกสิ่งที่กำลังทำ"),
    ("snooze", "เลื่อนการเตือน"),
    ("mute", "ปิดการเตือน"),
    ("unmute", "เปิดการเตือน"),
    ("help", "วิธีใช้"),
)


PHOTO_SIDE = 1280  # Telegram shows (and keeps) a photo at most this many pixels on its long side
PHOTO_MAX_RATIO = 2.5  # longer than this: text shrunk below ~half its size, sent as a file instead


def photo_keeps_text(image: bytes) -> bool:
    """Whether an image sent as a photo stays readable: not much longer than wide (either way)."""
    try:
        with Image.open(io.BytesIO(image)) as picture:
            width, height = picture.size
    except Exception:  # not an image Pillow reads: let Telegram judge it as a photo
        return True
    return max(width, height) <= PHOTO_SIDE or max(width, height) <= PHOTO_MAX_RATIO * min(width, height)


# -- configuration --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TelegramSettings:
    token: str
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    webhook_url: str | None = None  # public HTTPS URL Telegram posts to; None = long polling
    webhook_secret: str | None = None  # X-Telegram-Bot-Api-Secret-Token (generated when not given)
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    poll_timeout: int = 30  # seconds a getUpdates long poll waits
    rate_limit: bool = True  # AIORateLimiter + per-chat pacing (off only in benchmarks)
    concurrency: int = 8  # updates in flight at once (one at a time per person)
    set_commands: bool = True
    http: str = "aiohttp"  # PTB's transport: "aiohttp" (bot/channels/telegram/http.py) or "httpx" (PTB's default)

    @classmethod
    def from_settings(cls, conf: Any, token: str | None = None) -> TelegramSettings:
        """From bot/run/config.py's Settings (the environment read there, once)."""
        token = token or getattr(conf, "telegram_token", None) or ""
        if not token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        base = getattr(conf, "telegram_base_url", None) or "https://api.telegram.org/bot"
        base_file = getattr(conf, "telegram_base_file_url", None) or _file_url_for(base)
        return cls(
            token=token, base_url=base, base_file_url=base_file,
            webhook_url=getattr(conf, "telegram_webhook_url", None),
            webhook_secret=getattr(conf, "telegram_webhook_secret", None),
            webhook_listen=getattr(conf, "telegram_webhook_listen", "0.0.0.0"),
            webhook_port=getattr(conf, "telegram_webhook_port", 8443),
            poll_timeout=getattr(conf, "telegram_poll_timeout", 30),
            http=getattr(conf, "telegram_http", "aiohttp"),
        )


def _file_url_for(base_url: str) -> str:
    """`http://host:8081/bot` -> `http://host:8081/file/bot` (a local Bot API server's layout)."""
    head, sep, tail = base_url.rstrip("/").rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else base_url.rstrip("/") + "/file/bot"


# -- sending limits and update order ------------------------------------------------------------
class PacedRateLimiter(AIORateLimiter):
    """AIORateLimiter (overall and per group, waits out 429s) plus ~1 message/s per private chat."""

    def __init__(self, *, per_chat_rate: float = 1.0, per_chat_burst: int = 3, max_retries: int = 3, **kwargs: Any):
        super().__init__(max_retries=max_retries, **kwargs)
        self._per_chat_rate = per_chat_rate
        self._per_chat_burst = per_chat_burst
        self._chat_limiters: dict[int, AsyncLimiter] = {}

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # type: ignore[override]
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)
        if self._per_chat_rate and endpoint in SEND_ENDPOINTS and isinstance(chat_id, int) and chat_id > 0:
            limiter = self._chat_limiters.get(chat_id)
            if limiter is None:
                if len(self._chat_limiters) > 50_000:
                    self._chat_limiters.clear()
                limiter = self._chat_limiters[chat_id] = AsyncLimiter(
                    self._per_chat_burst, self._per_chat_burst / self._per_chat_rate)
            await limiter.acquire()
        push = _PUSH.get()
        if push is not None:  # a reminder push: counted (and recorded) when each HTTP request starts,
            inner = callback  # after every wait above and in AIORateLimiter (which retries 429s)

            async def callback(*a: Any, **k: Any) -> Any:
                await push.started()
                return await inner(*a, **k)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    """Several updates in flight, but one person's updates strictly in order (a confirm after its card)."""

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self._locks: dict[Any, list[Any]] = {}  # key -> [lock, users]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _order_key(update)
        entry = self._locks.setdefault(key, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                await coroutine
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _order_key(update: object) -> Any:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return ("other", id(update))


# -- reminder pushes ---------------------------------------------------------------------------
@dataclass
class _Push:
    """A `push` in progress (held in a context variable for the calls it makes): how many HTTP
    requests it made, each announced to `on_request` as it starts."""

    on_request: Callable[[], Awaitable[None]] | None
    requests: int = 0

    async def started(self) -> None:
        if self.on_request is not None:
            await self.on_request()  # raises to stop the request (the row is no longer ours)
        self.requests += 1


_PUSH: contextvars.ContextVar[_Push | None] = contextvars.ContextVar("kpibot_telegram_push", default=None)


# -- handled updates ------------------------------------------------------------------------
class UpdatesHost(Host, Protocol):
    """What the channel asks of the running bot beyond `Host` (bot/run/runtime.py's Runtime has it): the
    store's record of handled updates (bot/store/channel_events.py)."""

    async def seen_events(self, channel: str, event_ids: Sequence[str]) -> set[str]:
        """Which of these ids were recorded as handled."""

    async def record_events(self, channel: str, event_ids: Sequence[str], now: datetime) -> int:
        """Record these ids as handled, in one commit; returns after it."""


def update_key(update_id: int) -> str:
    """An update's id as recorded in channel_events."""
    return f"update:{update_id}"


# -- the channel --------------------------------------------------------------------------------
@dataclass
class _Target:
    chat_id: int
    is_group: bool
    group_chat_id: int | None = None  # the group the message came from, when answered privately
    owner: str | None = None  # answered in a group: the person the cards are for (handlers/audience.py)


class _Refusal(Exception):
    """A file we do not take: the Thai text says why."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


@dataclass
class TelegramChannel:
    """Implements the `Channel` protocol (push) and runs the bot (`start`/`stop`)."""

    runtime: Host
    settings: TelegramSettings
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(BANGKOK))
    name: str = CHANNEL

    def __post_init__(self) -> None:
        self.application: Application = self._build()
        self.bot = self.application.bot
        self.username: str | None = None
        self.bot_id: int | None = None
        self.webhook_secret: str | None = None
        self.webhook_port: int | None = None
        self._webhook_runner: web.AppRunner | None = None
        self._started = False
        # handled before confirmed (module docstring): ids fetched and not yet recorded -> their task
        self._open: dict[int, asyncio.Task[None]] = {}
        self._finished: list[int] = []  # handled and answered, waiting for the recorder
        self._recorded_waiters: dict[int, asyncio.Future[None]] = {}  # webhook posts waiting for their record
        self._next_offset = 0  # one past the highest update id fetched
        self._wake_recorder = asyncio.Event()
        self._progress = asyncio.Event()  # set after each recorded batch
        self._poller: asyncio.Task[None] | None = None
        self._stopping = False  # set by stop/abort: the poll loop fetches nothing more
        self._recorder: asyncio.Task[None] | None = None
        self._last_forget = 0.0

    def _build(self) -> Application:
        s = self.settings
        builder = (
            ApplicationBuilder()
            .token(s.token)
            .base_url(s.base_url)
            .base_file_url(s.base_file_url)
            .defaults(Defaults(tzinfo=BANGKOK))
            .request(make_request(s.http, max(8, s.concurrency * 2), read_timeout=15))
            .get_updates_request(make_request(s.http, 2, read_timeout=GET_UPDATES_READ_TIMEOUT))  # + the poll's
            .concurrent_updates(PerPersonUpdateProcessor(max(1, s.concurrency)))
        )
        if s.rate_limit:
            builder = builder.rate_limiter(PacedRateLimiter())
        application = builder.build()
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        return application

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        """Initialise (getMe), set the command menu, then long-poll or serve the webhook."""
        app = self.application
        await app.initialize()
        me = app.bot.bot
        self.username, self.bot_id = me.username, me.id
        if self.settings.set_commands:
            try:
                await app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
            except TelegramError as exc:  # a menu is a nicety: never block the start on it
                log.warning("setMyCommands failed: %s", exc)
        await app.start()
        allowed = [Update.MESSAGE, Update.CALLBACK_QUERY]
        await self._forget_old()
        self._recorder = asyncio.create_task(self._record_loop(), name="telegram-recorder")
        if self.settings.webhook_url:
            await self._start_webhook(allowed)
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)
            self._stopping = False
            self._poller = asyncio.create_task(self._poll(allowed), name="telegram-poll")
        self._started = True
        self.runtime.channels[CHANNEL] = self
        log.info("telegram: @%s running (%s)", self.username, "webhook" if self.settings.webhook_url else "polling")

    async def stop(self) -> None:
        """Stop fetching, finish the updates in hand (up to STOP_GRACE seconds), record them, confirm
        them with one last getUpdates, then shut down; nothing is left running. An update not finished
        in time is left unconfirmed: the next start handles it."""
        app = self.application
        poller = await self._stop_polling()
        if self._webhook_runner is not None:
            await self._webhook_runner.cleanup()
            self._webhook_runner = None
        if self._open:
            _done, late = await asyncio.wait(list(self._open.values()), timeout=STOP_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await _cancelled(self._recorder)
        self._recorder = None
        await self._record_finished()
        if not self.settings.webhook_url and self._next_offset:
            offset = min(self._open, default=self._next_offset)
            try:  # confirms every update before `offset`: all of them recorded
                await self.bot.get_updates(offset=offset, timeout=0, allowed_updates=[Update.MESSAGE,
                                                                                       Update.CALLBACK_QUERY])
            except TelegramError as exc:  # they stay unconfirmed: recorded, so skipped when delivered again
                log.warning("telegram: the last getUpdates failed (%s)", exc)
        await self._halt(app)
        await _ended(poller)

    async def _stop_polling(self) -> asyncio.Task[None] | None:
        """Cancel the poll loop, bounded. Cancelling alone hung about one stop in three in the suite:
        the task stayed 'cancelling' inside a new getUpdates read, most likely because the cancel
        came back as a TelegramError (a timeout or closed connection) that the loop retries. So the
        loop checks `_stopping` after every getUpdates, and a task still running after the grace is
        ended by `_halt`, which closes the HTTP session under it. Returns such a task, else None."""
        self._stopping = True
        poller, self._poller = self._poller, None
        if poller is None:
            return None
        poller.cancel()
        await asyncio.wait({poller}, timeout=POLL_STOP_GRACE)
        if not poller.done():
            log.warning("telegram: getUpdates did not end on cancel; its connection is closed instead")
            return poller
        _retrieve(poller)
        return None

    async def abort(self) -> None:
        """What a kill leaves behind, for tests: stop at once; nothing more is recorded or confirmed."""
        poller = await self._stop_polling()
        for task in (self._recorder, *self._open.values()):
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in (self._recorder, *self._open.values()) if t is not None),
                             return_exceptions=True)
        self._recorder = None
        self._open.clear()
        self._finished.clear()
        if self._webhook_runner is not None:
            await self._webhook_runner.cleanup()
            self._webhook_runner = None
        await self._halt(self.application)
        await _ended(poller)

    async def _halt(self, app: Application) -> None:
        if app.running:
            await app.stop()  # processes the updates already queued
        await app.shutdown()
        self._started = False
        if self.runtime.channels.get(CHANNEL) is self:
            del self.runtime.channels[CHANNEL]

    async def _start_webhook(self, allowed: list[str]) -> None:
        s = self.settings
        self.webhook_secret = s.webhook_secret or secrets.token_urlsafe(32)
        path = urlparse(s.webhook_url).path or "/"
        server = web.Application(client_max_size=1024 * 1024)
        server.router.add_post(path, self._webhook)
        self._webhook_runner = web.AppRunner(server, access_log=None)
        await self._webhook_runner.setup()
        site = web.TCPSite(self._webhook_runner, s.webhook_listen, s.webhook_port)
        await site.start()
        self.webhook_port = bound_port(self._webhook_runner)
        await self.application.bot.set_webhook(s.webhook_url, secret_token=self.webhook_secret,
                                               allowed_updates=allowed, drop_pending_updates=False)

    async def _webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), (self.webhook_secret or "").encode()):
            log.warning("webhook: wrong secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except Exception:  # a malformed body: tell the sender, keep running
            log.warning("webhook: unreadable update body")
            return web.Response(status=400, text="bad update")
        await self._take_posted(update)
        return web.Response(text="ok")  # only now: the update was handled, answered and recorded

    # -- handled before confirmed (module docstring) ----------------------------------------------
    async def _poll(self, allowed: list[str]) -> None:
        """Our getUpdates loop: the offset confirms only the updates already recorded."""
        host = cast(UpdatesHost, self.runtime)
        backoff = 0.5
        while not self._stopping:
            offset = min(self._open, default=self._next_offset)
            busy = bool(self._open)
            self._progress.clear()
            try:
                raw = await self._get_updates(offset, allowed, 0 if busy else self.settings.poll_timeout)
            except InvalidToken:
                log.error("telegram: the Bot API refused the token; polling stopped")
                raise
            except TelegramError as exc:  # a network error, a 5xx, a 409 (a webhook or another poller)
                if self._stopping:
                    return
                log.warning("telegram: getUpdates failed (%s); again in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 0.5
            if self._stopping:  # fetched while stopping: left unconfirmed, the next start takes them
                return
            fresh = self._fresh(raw)
            if fresh:
                handled = await host.seen_events(CHANNEL, [update_key(u.update_id) for u in fresh])
                for update in fresh:
                    if update_key(update.update_id) in handled:
                        log.info("telegram: update %s was handled before a restart: not again", update.update_id)
                        continue
                    self._open[update.update_id] = asyncio.create_task(self._take(update))
            elif busy:  # only updates in hand came back: poll again when some are recorded
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), BUSY_POLL)
            if time.monotonic() - self._last_forget > FORGET_EVERY:
                await self._forget_old()

    async def _get_updates(self, offset: int, allowed: list[str], timeout: int) -> list[Any]:
        """getUpdates as JSON (PTB's own request and error handling, no PTB objects yet)."""
        result = await self.bot.do_api_request(
            "getUpdates", api_kwargs={"offset": offset or None, "timeout": timeout, "allowed_updates": allowed},
            read_timeout=GET_UPDATES_READ_TIMEOUT + timeout)
        return result if isinstance(result, list) else []

    def _fresh(self, raw: list[Any]) -> list[Update]:
        """The updates not fetched before, as PTB objects; one PTB cannot read is logged and counted as
        handled (recorded, then confirmed), so it cannot hold the offset back for ever."""
        fresh: list[Update] = []
        for item in raw:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not isinstance(update_id, int) or update_id < self._next_offset:
                continue
            self._next_offset = max(self._next_offset, update_id + 1)
            try:
                fresh.append(Update.de_json(item, self.bot))
            except Exception:
                log.exception("telegram: update %s could not be read: skipped", update_id)
                self._finished.append(update_id)
                self._wake_recorder.set()
        return fresh

    async def _take(self, update: Update) -> None:
        """Handle and answer one update (in its person's order), then hand it to the recorder."""
        await self.application.update_processor.process_update(update, self._handle(update))
        self._finished.append(update.update_id)
        self._wake_recorder.set()

    async def _take_posted(self, update: Update) -> None:
        """A webhook post: handled once (a repeated post waits for the first), returns once recorded."""
        if update.update_id in self._open:
            await asyncio.shield(self._open[update.update_id])
        elif update_key(update.update_id) in await cast(UpdatesHost, self.runtime).seen_events(
                CHANNEL, [update_key(update.update_id)]):
            return
        else:
            loop = asyncio.get_running_loop()
            recorded = self._recorded_waiters.setdefault(update.update_id, loop.create_future())
            self._open[update.update_id] = task = asyncio.create_task(self._take(update))
            await asyncio.shield(task)
            await asyncio.shield(recorded)

    async def _record_loop(self) -> None:
        """Group commit: every id finished since the last commit, in one."""
        while True:
            await self._wake_recorder.wait()
            self._wake_recorder.clear()
            try:
                await self._record_finished()
            except Exception:  # e.g. a read-only store: the updates stay unconfirmed, tried again
                log.exception("telegram: could not record handled updates")
                await asyncio.sleep(1.0)
                self._wake_recorder.set()

    async def _record_finished(self) -> None:
        ids, self._finished = self._finished, []
        if not ids:
            return
        try:
            await cast(UpdatesHost, self.runtime).record_events(CHANNEL, [update_key(i) for i in ids], self.clock())
        except BaseException:
            self._finished[:0] = ids
            raise
        for update_id in ids:
            self._open.pop(update_id, None)
            waiter = self._recorded_waiters.pop(update_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        self._progress.set()

    async def _forget_old(self) -> None:
        self._last_forget = time.monotonic()
        try:
            await self.runtime.forget_events(CHANNEL, self.clock() - KEEP_HANDLED)
        except Exception:
            log.exception("telegram: could not drop old handled update ids")

    # -- updates -------------------------------------------------------------------------------
    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB's handler (an update put on the Application's queue); ours come through `_take`."""
        await self._handle(update)

    async def _handle(self, update: Update) -> None:
        try:
            if update.callback_query is not None:
                await self._on_callback(update)
            elif update.message is not None:
                await self._on_message(update.message)
        except Exception:
            log.exception("telegram update %s failed", update.update_id)
            await self._apologise(update)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Last net: an error outside our update handler (never stops the bot)."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram error (update %s): %s", update_id, context.error, exc_info=context.error)

    async def _apologise(self, update: Update) -> None:
        chat_id = update.effective_user.id if update.effective_user else None
        if update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
            chat_id = update.effective_chat.id
        with contextlib.suppress(Exception):
            if update.callback_query is not None:
                await update.callback_query.answer()
            if chat_id is not None:
                await self.bot.send_message(chat_id, APOLOGY)

    async def _on_message(self, message: Message) -> None:
        user = message.from_user
        if user is None or user.is_bot:
            return
        is_group = message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        if message.chat.type == ChatType.CHANNEL:
            return
        text = message.text or message.caption or ""
        if is_group:
            if not self._addressed(message):
                return
            text = self._strip_mention(text)
        target = await self._target(message.chat.id, user.id, is_group)
        try:
            attachments = await self._attachments(message)
        except _Refusal as refusal:
            await self._deliver(target, [Reply(refusal.text)])
            return
        msg = Incoming(channel=CHANNEL, sender=str(user.id), chat=str(target.chat_id), text=text,
                       sent_at=message.date.astimezone(BANGKOK), message_id=str(message.message_id),
                       attachments=attachments, display_name=user.full_name, is_group=target.is_group)
        replies = await self.runtime.handle(msg)
        await self._deliver(target, replies)

    async def _on_callback(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None

        async def answer() -> None:
            try:
                await query.answer()  # always: the button stops spinning
            except TelegramError as exc:
                log.warning("answerCallbackQuery failed (update %s): %s", update.update_id, exc)

        # answered while the handlers work and the card is edited, not before: one round trip less
        answering = asyncio.create_task(answer())
        try:
            await self._on_callback_query(query)
        finally:
            await answering

    async def _on_callback_query(self, query: CallbackQuery) -> None:
        message = query.message
        if not isinstance(message, Message) or query.data is None:
            return
        is_group = message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        target = await self._target(message.chat.id, query.from_user.id, is_group)
        label = _label_of(message, query.data)
        msg = Incoming(channel=CHANNEL, sender=str(query.from_user.id), chat=str(target.chat_id), text=label,
                       sent_at=self.clock(), message_id=str(message.message_id), choice=query.data,
                       display_name=query.from_user.full_name, is_group=target.is_group)
        replies = await self.runtime.handle(msg)
        edit = message.message_id if target.chat_id == message.chat.id else None
        await self._deliver(target, replies, edit_message_id=edit)

    def _addressed(self, message: Message) -> bool:
        """In a group: a mention of the bot, a reply to the bot, or /command@bot."""
        if message.reply_to_message is not None and message.reply_to_message.from_user is not None \
                and message.reply_to_message.from_user.id == self.bot_id:
            return True
        name = f"@{self.username}".lower() if self.username else None
        entities = message.parse_entities() if message.text else message.parse_caption_entities()
        for entity, value in entities.items():
            if entity.type == "mention" and name and value.lower() == name:
                return True
            if entity.type == "bot_command" and name and value.lower().endswith(name):
                return True
            if entity.type == "text_mention" and entity.user is not None and entity.user.id == self.bot_id:
                return True
        return False

    def _strip_mention(self, text: str) -> str:
        if not self.username:
            return text
        name = "@" + self.username
        out, lower, pos = text, text.lower(), 0
        while (pos := lower.find(name.lower())) >= 0:
            out = out[:pos] + out[pos + len(name):]
            lower = out.lower()
        return " ".join(out.split())

    async def _target(self, chat_id: int, user_id: int, is_group: bool) -> _Target:
        """Where the answer goes (handlers/audience.py): the chat itself, or the person's private chat."""
        if not is_group:
            return _Target(chat_id, False)
        role = await self.runtime.role(CHANNEL, str(user_id))
        if audience.answer_where("group", role) == "here":
            return _Target(chat_id, True, owner=str(user_id))
        return _Target(user_id, False, group_chat_id=chat_id)

    async def _attachments(self, message: Message) -> tuple[Attachment, ...]:
        """The evidence of a message, downloaded (getFile, 20 MB at most); _Refusal for what we do not keep."""
        if message.photo:
            largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
            if (largest.file_size or 0) > DOWNLOAD_LIMIT:
                raise _Refusal(TOO_LARGE)
            data = await self._download(largest.file_id)
            name = f"photo_{message.message_id}.jpg"
            return (Attachment(lambda data=data: data, "image/jpeg", len(data), name, "photo"),)
        doc = message.document
        if doc is not None:
            name = doc.file_name or f"file_{message.message_id}"
            mime = doc.mime_type or mimetypes.guess_type(name)[0] or ""
            ext = os.path.splitext(name)[1].lower()
            if not (mime.startswith(KEPT_MIME) or ext in KEPT_EXT):
                raise _Refusal(NOT_KEPT)
            if (doc.file_size or 0) > DOWNLOAD_LIMIT:
                raise _Refusal(TOO_LARGE)
            data = await self._download(doc.file_id)
            return (Attachment(lambda data=data: data, mime or None, len(data), name, "file"),)
        if any((message.video, message.voice, message.audio, message.video_note, message.animation)):
            raise _Refusal(NOT_KEPT)
        return ()

    async def _download(self, file_id: str) -> bytes:
        try:
            tg_file = await self.bot.get_file(file_id)
        except BadRequest as exc:
            if "too big" in str(exc).lower():
                raise _Refusal(TOO_LARGE) from exc
            raise
        if tg_file.file_size and tg_file.file_size > DOWNLOAD_LIMIT:
            raise _Refusal(TOO_LARGE)
        return bytes(await tg_file.download_as_bytearray())

    # -- replies -------------------------------------------------------------------------------
    async def _deliver(self, target: _Target, replies: Sequence[Reply], edit_message_id: int | None = None) -> None:
        if target.owner is not None:  # a card in a group: its buttons work for its owner only
            replies = [replace(r, choices=audience.own_choices(r.choices, target.owner, CALLBACK_LIMIT))
                       for r in replies]
        if target.group_chat_id is not None and replies:
            try:
                await self._send_all(target.chat_id, replies, None)
            except Forbidden:
                await self._call(self.bot.send_message, target.group_chat_id,
                                 OPEN_PRIVATE_CHAT.format(bot=self.username or ""))
                return
            if edit_message_id is None:  # a message in the group: say where the answer went
                await self._call(self.bot.send_message, target.group_chat_id, ANSWERED_PRIVATELY)
            return
        await self._send_all(target.chat_id, replies, edit_message_id)

    async def _send_all(self, chat_id: int, replies: Sequence[Reply], edit_message_id: int | None) -> None:
        for reply in replies:
            if reply.edit and edit_message_id is not None and reply.image is None and reply.document is None:
                if await self._edit(chat_id, edit_message_id, reply):
                    edit_message_id = None  # one card, edited once
                    continue
            await self._send(chat_id, reply)

    async def _edit(self, chat_id: int, message_id: int, reply: Reply) -> bool:
        if len(reply.text) > TEXT_LIMIT:
            return False
        try:
            await self._call(self.bot.edit_message_text, reply.text, chat_id=chat_id, message_id=message_id,
                             reply_markup=keyboard(reply.choices))
            return True
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True
            log.info("edit of %s/%s failed (%s): sending a new message", chat_id, message_id, exc)
            return False

    async def _send(self, chat_id: int, reply: Reply) -> None:
        markup = keyboard(reply.choices)
        text = reply.text or ""
        if reply.image is not None or reply.document is not None:
            caption = text if len(text) <= CAPTION_LIMIT else None
            if reply.image is not None and not photo_keeps_text(reply.image):
                # a long scroll (a national ranking): as a photo Telegram would shrink it to 1,280 px on its
                # long side and its text with it; as a file it opens at full size
                await self._call(self.bot.send_document, chat_id,
                                 InputFile(reply.image, reply.image_name or "chart.png"),
                                 caption=caption, reply_markup=markup if caption is not None else None)
            elif reply.image is not None:
                await self._call(self.bot.send_photo, chat_id, InputFile(reply.image, reply.image_name or "chart.png"),
                                 caption=caption, reply_markup=markup if caption is not None else None)
            if reply.document is not None:
                await self._call(self.bot.send_document, chat_id,
                                 InputFile(reply.document, reply.document_name or "export.xlsx"),
                                 caption=caption if reply.image is None else None,
                                 reply_markup=markup if caption is not None and reply.image is None else None)
            if caption is not None:
                return
        chunks = split_text(text)
        for i, chunk in enumerate(chunks):
            await self._call(self.bot.send_message, chat_id, chunk,
                             reply_markup=markup if i == len(chunks) - 1 else None)

    async def _call(self, fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """A Bot API call that waits out a 429 (when the rate limiter has not already) and retries
        a 5xx/network failure once; within a reminder `push`, never: the request may have reached
        Telegram (a 502 or a timeout after delivery), and Telegram has no idempotency key."""
        push = _PUSH.get()
        network_retries = 0 if push is not None else 1
        for attempt in range(4):
            try:
                if push is not None and self.bot.rate_limiter is None:
                    await push.started()  # with a rate limiter, PacedRateLimiter counts it after its waits
                return await fn(*args, **kwargs)
            except RetryAfter as exc:  # Telegram refused it (not delivered): safe to repeat
                if attempt == 3:
                    raise
                await asyncio.sleep(_seconds(exc.retry_after) + 0.1)
            except (Forbidden, BadRequest):
                raise
            except NetworkError:
                if network_retries == 0:
                    raise
                network_retries -= 1
                await asyncio.sleep(0.5)
        raise AssertionError("unreachable")

    # -- Channel protocol (reminders) -------------------------------------------------------
    async def push(self, external_id: str, reply: Reply, *, key: str | None = None,
                   on_request: Callable[[], Awaitable[None]] | None = None) -> PushResult:
        """Send a reply to a person's Telegram id. 403 (blocked) marks them unreachable.

        At most once: Telegram has no idempotency key (`key` is accepted for the protocol), so a
        request that may have reached it is never repeated: a 5xx or a timeout once a request was
        made gives `unknown=True` (perhaps delivered). Only a 429 (not delivered) is retried, after
        its retry_after. `on_request` is awaited as each HTTP request starts (after the rate
        limiter's waits): the reminder engine records the attempt there; if it raises, nothing is sent."""
        state = _Push(on_request)
        token = _PUSH.set(state)
        try:
            await self._send_all(int(external_id), [reply], None)
        except Forbidden as exc:
            await self._mark_unreachable(external_id)
            return PushResult(False, blocked=True, error=str(exc), requests=state.requests)
        except NetworkError as exc:  # a 5xx, a timeout, a dropped connection
            return PushResult(False, unknown=state.requests > 0, error=f"{type(exc).__name__}: {exc}",
                              requests=state.requests)
        except TelegramError as exc:  # 400, or 429s beyond the retries: not delivered
            return PushResult(False, error=str(exc), requests=state.requests)
        finally:
            _PUSH.reset(token)
        return PushResult(True, requests=state.requests)

    async def _mark_unreachable(self, external_id: str) -> None:
        try:
            await self.runtime.set_reachable(CHANNEL, str(external_id), False)
        except Exception:
            log.exception("could not mark telegram:%s unreachable", external_id)


# -- helpers ----------------------------------------------------------------------------------
async def _cancelled(task: asyncio.Task[Any] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _ended(task: asyncio.Task[Any] | None, timeout: float = 10.0) -> None:
    """Wait (bounded) for a task already told to end, and take its outcome so none is left unretrieved."""
    if task is None:
        return
    await asyncio.wait({task}, timeout=timeout)
    if task.done():
        _retrieve(task)
    else:
        log.error("telegram: the poll task is still running after stop")


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("telegram: the poll loop ended with %r", task.exception())


def keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """Choices as an inline keyboard: short ones side by side, longer ones one per row."""
    buttons = []
    for c in choices:
        if not 1 <= len(c.data.encode()) <= CALLBACK_LIMIT:
            log.error("callback data of %r is %d bytes (Telegram allows 1-64): button left out",
                      c.label, len(c.data.encode()))
            continue
        buttons.append(InlineKeyboardButton(c.label, callback_data=c.data))
    if not buttons:
        return None
    if len(buttons) <= 3 and all(len(b.text) <= 12 for b in buttons):
        return InlineKeyboardMarkup([buttons])
    return InlineKeyboardMarkup([[b] for b in buttons])


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Telegram's 4,096-character messages, split at line ends (Telegram refuses blank texts)."""
    return [piece if piece.strip() else "…" for piece in _split_text(text, limit)]


def _label_of(message: Message, data: str) -> str:
    markup = message.reply_markup
    if markup is not None:
        for row in markup.inline_keyboard:
            for button in row:
                if button.callback_data == data:
                    return button.text
    return ""


def _seconds(value: Any) -> float:
    """`RetryAfter.retry_after`: seconds as an int, or a timedelta (PTB 22 with timedelta settings)."""
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def bound_port(runner: web.AppRunner) -> int:
    """The port an aiohttp runner's site listens on (port 0 asked for any free one)."""
    address = runner.addresses[0]
    return int(address[1])


def telegram_settings(settings: Any = None) -> TelegramSettings:
    """TelegramSettings from a TelegramSettings or from bot/run/config.py's Settings."""
    if isinstance(settings, TelegramSettings):
        return settings
    return TelegramSettings.from_settings(settings)


def build_application(runtime: Host, settings: Any = None, **overrides: Any) -> TelegramChannel:
    """The channel with its PTB Application (`.application`), not yet started."""
    tsettings = telegram_settings(settings)
    if overrides:
        tsettings = replace(tsettings, **overrides)
    return TelegramChannel(runtime, tsettings)


async def run_telegram(runtime: Host, settings: Any = None, stop: asyncio.Event | None = None,
                       on_started: Callable[[TelegramChannel], Any] | None = None) -> None:
    """Run the Telegram bot until SIGINT/SIGTERM (or `stop` is set), then stop cleanly.

    `on_started(channel)` runs once the bot is up (e.g. to put the reminders on its JobQueue)."""
    await runtime.start()  # Thai NLP warm (its first calls take about a second): not in the first update
    channel = build_application(runtime, settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await channel.start()
    if on_started is not None:
        on_started(channel)
    try:
        await stop.wait()
    finally:
        await channel.stop()
