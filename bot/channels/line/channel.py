"""The LINE channel: the Messaging API (line-bot-sdk 3, async client) behind an aiohttp web server.

- ``POST /line/callback`` checks ``X-Line-Signature`` (base64 HMAC-SHA256 of the raw body with the
  channel secret; a missing header is an empty string) and answers 400 when it is wrong, logging it and
  processing nothing. A good request is answered 200 at once; its events are handled afterwards in a
  background task, the events of one chat in the order they arrived (one chain of tasks per chat).
- Events are de-duplicated by ``webhookEventId`` (LINE redelivers) in the ``channel_events`` table.
- Text, image and file messages (content downloaded through the blob API and handed over as an
  Attachment, stored as evidence by the handlers), postbacks (a pressed choice), follow (greeting and
  how to register) and unfollow (the person is marked unreachable, so reminders stop).
- Replies use the reply token while it is fresh (< 50 s after the event) and fall back to push, also
  when the reply call is refused (an invalid or used token). Choices become quick replies (≤ 13 items,
  labels ≤ 20 characters) or else a Flex carousel of tappable rows; texts are split at 5,000 characters
  and calls carry ≤ 5 messages.
- Images must be public HTTPS URLs: with ``KPIBOT_PUBLIC_BASE_URL`` the same server serves generated
  images (and documents) under unguessable, expiring ``/line/media/<token>`` paths; without it the bot
  sends text only and says how to see the chart on Telegram.
- ``LineChannel`` implements the runtime's Channel protocol: ``push`` with an ``X-Line-Retry-Key`` derived
  from the caller's key (UUID5), so a retried reminder is never delivered twice, 403 meaning blocked;
  ``multicast`` in chunks of ≤ 500 users; ``quota_status`` reads the monthly quota and its consumption.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    FlexMessage,
    ImageMessage,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import (
    FileMessageContent,
    FollowEvent,
    GroupSource,
    ImageMessageContent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    TextMessageContent,
    UnfollowEvent,
)

from bot.channels.base import split_text as _split_text
from bot.run.runtime import PushResult, Runtime
from handlers.messages import Attachment, Choice, Incoming, Reply
from scoring.thaidate import BANGKOK

log = logging.getLogger("kpibot.line")

CHANNEL = "line"
MAX_TEXT = 5000  # characters in one text message
MAX_MESSAGES = 5  # messages in one reply, push or multicast call
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20  # quick reply / action label
MAX_MULTICAST = 500  # recipients in one multicast call
ROWS_PER_BUBBLE = 10
MAX_BUBBLES = 12
REPLY_WINDOW = 50.0  # seconds after the event during which the reply token is used
QUOTA_WARN_RATIO = 0.8
# Fixed namespace for retry keys: the same (key, part) always gives the same X-Line-Retry-Key.
RETRY_NAMESPACE = uuid.UUID("6b1f3c0e-5d0a-4c1e-9a57-0d6c2b7f4e21")

FOLLOW_TEXT = (
    "สวัสดีค่ะ ยินดีต้อนรับสู่ kpibot ผู้ช่วยรายงานตัวชี้วัดของสำนักงานพัฒนาชุมชน 🙏\n"
    "ลงทะเบียน: พิมพ์ “ลงทะเบียน รหัสเชิญ” เช่น “ลงทะเบียน ABCD2345” (ขอรหัสเชิญจากผู้ดูแลของจังหวัด)\n"
    "ใช้บอททาง Telegram อยู่แล้ว: พิมพ์ “ขอรหัสเชื่อมบัญชี” ใน Telegram แล้วพิมพ์ “เชื่อมบัญชี รหัส” ที่นี่"
)
NO_CHART_NOTE = ("(LINE ยังแสดงกราฟไม่ได้ในระบบนี้ ดูกราฟได้ทาง Telegram: พิมพ์ “ขอรหัสเชื่อมบัญชี” "
                 "แล้วนำรหัสไปพิมพ์ “เชื่อมบัญชี รหัส” ในบอท Telegram)")
NO_DOCUMENT_NOTE = "(ไฟล์เอกสารส่งทาง LINE ไม่ได้ ดาวน์โหลดได้ทาง Telegram หรือขอจากผู้ดูแลค่ะ)"
UNSUPPORTED_TEXT = "ขออภัยค่ะ บอทรับได้เฉพาะข้อความ รูปภาพ และไฟล์"
DOWNLOAD_FAILED = "ขออภัยค่ะ ดาวน์โหลดไฟล์จาก LINE ไม่สำเร็จ กรุณาส่งใหม่อีกครั้ง"
_NEEDS_NAME = re.compile(r"^\s*(ลงทะเบียน|/start|เชื่อม\s*บัญชี|/link)", re.IGNORECASE)


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class LineConfig:
    secret: str
    token: str
    public_base_url: str | None = None  # e.g. https://kpibot.example.go.th (images need public HTTPS)
    port: int = 8080
    host: str = "0.0.0.0"
    api_url: str | None = None  # a stand-in of the Messaging API (tests); None = LINE's own hosts
    media_ttl: timedelta = timedelta(days=7)
    timeout: float = 20.0  # seconds for one Messaging API call

    @classmethod
    def from_settings(cls, conf: Any) -> LineConfig | None:
        """From bot/run/config.py's Settings (LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN, KPIBOT_PUBLIC_BASE_URL,
        KPIBOT_LINE_PORT, KPIBOT_LINE_HOST, KPIBOT_LINE_API_URL); None when the secret or the token is missing."""
        secret, token = getattr(conf, "line_secret", None), getattr(conf, "line_token", None)
        if not (secret and token):
            return None
        return cls(secret=secret, token=token, public_base_url=getattr(conf, "public_base_url", None),
                   port=getattr(conf, "line_port", 8080), host=getattr(conf, "line_host", "0.0.0.0"),
                   api_url=getattr(conf, "line_api_url", None))


# ---------------------------------------------------------------- media served to LINE


class MediaStore:
    """Generated images and documents under unguessable tokens that expire (in memory, capped)."""

    def __init__(self, ttl: timedelta, *, max_items: int = 1000, clock: Callable[[], float] = time.time):
        self.ttl = ttl.total_seconds()
        self.max_items = max_items
        self.clock = clock
        self._items: dict[str, tuple[bytes, str, float]] = {}

    def put(self, data: bytes, mime: str) -> str:
        now = self.clock()
        for token in [t for t, (_, _, until) in self._items.items() if until <= now]:
            del self._items[token]
        while len(self._items) >= self.max_items:
            del self._items[next(iter(self._items))]
        token = secrets.token_urlsafe(32)
        self._items[token] = (bytes(data), mime, now + self.ttl)
        return token

    def get(self, token: str) -> tuple[bytes, str] | None:
        item = self._items.get(token)
        if item is None:
            return None
        data, mime, until = item
        if until <= self.clock():
            del self._items[token]
            return None
        return data, mime


def _image_mime(data: bytes) -> str:
    return "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"


# ---------------------------------------------------------------- replies as LINE messages


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """LINE's 5,000-character text messages, split at line ends."""
    return _split_text(text, limit)


def _label(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _postback(choice: Choice) -> dict[str, Any]:
    return {"type": "postback", "label": _label(choice.label), "data": choice.data[:300],
            "displayText": choice.label[:300]}


def fits_quick_reply(choices: Sequence[Choice]) -> bool:
    return len(choices) <= MAX_QUICK_REPLIES and all(len(c.label) <= MAX_LABEL for c in choices)


def quick_reply(choices: Sequence[Choice]) -> QuickReply:
    return QuickReply(items=[QuickReplyItem(action=PostbackAction(label=c.label, data=c.data, display_text=c.label))
                             for c in choices])


def choices_carousel(choices: Sequence[Choice], alt_text: str) -> FlexMessage:
    """Choices too many or too long for quick replies: a carousel of bubbles of tappable, wrapped rows."""
    bubbles = []
    for start in range(0, min(len(choices), ROWS_PER_BUBBLE * MAX_BUBBLES), ROWS_PER_BUBBLE):
        rows = []
        for choice in choices[start:start + ROWS_PER_BUBBLE]:
            rows.append({"type": "box", "layout": "vertical", "paddingAll": "10px", "cornerRadius": "8px",
                         "backgroundColor": "#EEF3FB", "action": _postback(choice),
                         "contents": [{"type": "text", "text": choice.label or " ", "wrap": True, "size": "sm",
                                       "color": "#1F4E96"}]})
        bubbles.append({"type": "bubble", "size": "mega",
                        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": rows}})
    alt = alt_text.strip().replace("\n", " ")
    alt = (alt[:390] + "…") if len(alt) > 400 else (alt or "ตัวเลือก")
    return FlexMessage.from_dict({"type": "flex", "altText": alt,
                                  "contents": {"type": "carousel", "contents": bubbles}})


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class QuotaStatus:
    used: int
    limit: int | None  # None: no monthly limit on this plan

    @property
    def ratio(self) -> float | None:
        return None if not self.limit else self.used / self.limit

    @property
    def warning(self) -> str | None:
        """A Thai warning for admins when more than 80 % of the month's messages are used."""
        if self.limit is None or self.ratio is None or self.ratio <= QUOTA_WARN_RATIO:
            return None
        left = max(self.limit - self.used, 0)
        return (f"⚠️ โควตาข้อความ LINE เดือนนี้ใช้ไปแล้ว {self.used:,} จาก {self.limit:,} ข้อความ "
                f"(ร้อยละ {self.ratio * 100:.0f}) เหลือ {left:,} ข้อความ\n"
                "เมื่อครบโควตา บอทจะส่งการเตือนทาง LINE ไม่ได้จนถึงต้นเดือนหน้า "
                "พิจารณาเพิ่มแพ็กเกจ หรือให้ผู้ใช้เชื่อมบัญชี Telegram ค่ะ")


def retry_key(key: str, part: str | int) -> str:
    """The X-Line-Retry-Key of one call: the same key and part always give the same UUID."""
    return str(uuid.uuid5(RETRY_NAMESPACE, f"{key}#{part}"))


def _api_error(exc: ApiException) -> str:
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes | bytearray) else str(exc.body or "")
    return f"{exc.status} {body[:300]}".strip()


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---------------------------------------------------------------- the channel


class LineChannel:
    """The LINE channel: webhook in, Messaging API out. Open it inside a running event loop."""

    name = CHANNEL

    def __init__(self, runtime: Runtime, config: LineConfig, *, clock: Callable[[], float] = time.time):
        self.runtime = runtime
        self.config = config
        self.clock = clock
        self.parser = WebhookParser(config.secret)
        self.media = MediaStore(config.media_ttl)
        self._client: AsyncApiClient | None = None
        self.api: AsyncMessagingApi | None = None
        self.blob: AsyncMessagingApiBlob | None = None
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle

    async def open(self) -> None:
        if self._client is not None:
            return
        configuration = Configuration(access_token=self.config.token, host=self.config.api_url)
        self._client = AsyncApiClient(configuration)
        self.api = AsyncMessagingApi(self._client)
        self.blob = AsyncMessagingApiBlob(self._client)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = self.api = self.blob = None

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until every accepted webhook event has been handled (tests, shutdown)."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _api(self) -> AsyncMessagingApi:
        if self.api is None:
            raise RuntimeError("LineChannel.open() was not awaited")
        return self.api

    # -- webhook

    async def callback(self, request: web.Request) -> web.Response:
        signature = request.headers.get("X-Line-Signature", "")
        raw = await request.read()
        try:
            events = self.parser.parse(raw.decode("utf-8"), signature)
        except InvalidSignatureError:
            log.warning("LINE webhook: bad or missing X-Line-Signature from %s; nothing processed", request.remote)
            return web.Response(status=400, text="bad signature")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            log.warning("LINE webhook: unreadable body from %s; nothing processed", request.remote)
            return web.Response(status=400, text="bad request")
        by_chat: dict[str, list[Any]] = {}
        for event in events:
            by_chat.setdefault(self._chat_key(event), []).append(event)
        for key, chat_events in by_chat.items():
            self._schedule(key, chat_events)
        return web.Response(text="OK")

    def _schedule(self, key: str, events: list[Any]) -> None:
        previous = self._tails.get(key)

        async def run() -> None:
            if previous is not None and not previous.done():
                await asyncio.wait([previous])  # the chat's earlier events first; their errors are logged there
            for event in events:
                try:
                    await self.handle_event(event)
                except Exception:
                    log.exception("LINE event failed: %s", getattr(event, "webhook_event_id", "?"))

        task = asyncio.get_running_loop().create_task(run())
        self._tails[key] = task
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            if self._tails.get(key) is t:
                del self._tails[key]

        task.add_done_callback(done)

    @staticmethod
    def _ids(event: Any) -> tuple[str, str, bool]:
        """(sender user id, chat id, is_group) of an event."""
        source = event.source
        user = getattr(source, "user_id", None) or ""
        if isinstance(source, GroupSource):
            return user, source.group_id, True
        if isinstance(source, RoomSource):
            return user, source.room_id, True
        return user, user, False

    def _chat_key(self, event: Any) -> str:
        user, chat, _ = self._ids(event)
        return f"{chat}:{user}"

    async def handle_event(self, event: Any) -> None:
        event_id = getattr(event, "webhook_event_id", None)
        if event_id and not await self.runtime.call(first_delivery, self.runtime.store, event_id, self._now()):
            log.info("LINE event %s delivered again: skipped", event_id)
            return
        if isinstance(event, MessageEvent):
            await self._message(event)
        elif isinstance(event, PostbackEvent):
            await self._incoming(event, "", choice=event.postback.data)
        elif isinstance(event, FollowEvent):
            await self._follow(event)
        elif isinstance(event, UnfollowEvent):
            await self._unfollow(event)
        else:
            log.debug("LINE event %s ignored", getattr(event, "type", type(event).__name__))

    async def _message(self, event: MessageEvent) -> None:
        content = event.message
        if isinstance(content, TextMessageContent):
            await self._incoming(event, content.text or "")
            return
        if isinstance(content, ImageMessageContent | FileMessageContent):
            try:
                data, mime = await self._download(content.id)
            except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("LINE content %s download failed: %s", content.id, exc)
                await self._send(event, [Reply(DOWNLOAD_FAILED)])
                return
            if isinstance(content, ImageMessageContent):
                name = f"line-{content.id}.{'jpg' if mime == 'image/jpeg' else 'png' if mime == 'image/png' else 'bin'}"
                attachment = Attachment(lambda data=data: data, mime, len(data), name, "photo")
            else:
                attachment = Attachment(lambda data=data: data, mime, len(data), content.file_name, "file")
            await self._incoming(event, "", attachments=(attachment,))
            return
        type_ = getattr(content, "type", "")
        if type_ == "sticker":
            return  # a sticker is a greeting or a thank-you: no answer needed
        await self._send(event, [Reply(UNSUPPORTED_TEXT)])

    async def _download(self, message_id: str) -> tuple[bytes, str | None]:
        assert self.blob is not None
        response = await self.blob.get_message_content_with_http_info(
            message_id=message_id, _request_timeout=self.config.timeout)
        headers = response.headers or {}
        mime = headers.get("Content-Type") or headers.get("content-type")
        return bytes(response.data), (mime.split(";")[0].strip() if mime else None)

    async def _incoming(self, event: Any, text: str, *, choice: str | None = None,
                        attachments: tuple[Attachment, ...] = ()) -> None:
        user, chat, is_group = self._ids(event)
        display_name = await self._display_name(user) if text and _NEEDS_NAME.match(text) else None
        msg = Incoming(channel=CHANNEL, sender=user, chat=chat, text=text,
                       sent_at=datetime.fromtimestamp(event.timestamp / 1000, BANGKOK),
                       message_id=getattr(getattr(event, "message", None), "id", None) or event.webhook_event_id or "",
                       attachments=attachments, choice=choice, display_name=display_name, is_group=is_group)
        replies = await self.runtime.handle(msg)  # link codes included (Runtime.handle)
        await self._send(event, replies)

    async def _display_name(self, user_id: str) -> str | None:
        try:
            profile = await self._api().get_profile(user_id, _request_timeout=self.config.timeout)
            return profile.display_name
        except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
            log.info("LINE profile of %s not read: %s", user_id, exc)
            return None

    async def _follow(self, event: FollowEvent) -> None:
        user, _, _ = self._ids(event)
        store = self.runtime.store
        person = await self.runtime.call(store.person_by_identity, CHANNEL, user)
        if person is None:
            await self._send(event, [Reply(FOLLOW_TEXT)])
            return
        await self.runtime.call(store.set_reachable, person.id, True)
        await self._send(event, [Reply(f"ยินดีต้อนรับกลับค่ะ คุณ{person.name} 🙏 พิมพ์ “วิธีใช้” เพื่อดูคำสั่ง")])

    async def _unfollow(self, event: UnfollowEvent) -> None:
        user, _, _ = self._ids(event)
        store = self.runtime.store
        person = await self.runtime.call(store.person_by_identity, CHANNEL, user)
        if person is not None:
            await self.runtime.call(store.set_reachable, person.id, False)
            log.info("LINE user %s (person %s) unfollowed: marked unreachable", user, person.id)

    # -- sending

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), BANGKOK)

    def render(self, reply: Reply) -> list[Any]:
        """One Reply as LINE messages: text pieces, then an image, with its choices on the last text."""
        text = reply.text or ""
        extra: list[Any] = []
        base = self.config.public_base_url
        if reply.image is not None:
            if base:
                url = f"{base}/line/media/{self.media.put(reply.image, _image_mime(reply.image))}"
                extra.append(ImageMessage(original_content_url=url, preview_image_url=url))
            else:
                text = f"{text}\n{NO_CHART_NOTE}" if text else NO_CHART_NOTE
        if reply.document is not None:
            if base:
                token = self.media.put(reply.document, "application/octet-stream")
                name = reply.document_name or "เอกสาร"
                text = f"{text}\nดาวน์โหลด {name}: {base}/line/media/{token}"
            else:
                text = f"{text}\n{NO_DOCUMENT_NOTE}" if text else NO_DOCUMENT_NOTE
        messages: list[Any] = []
        pieces = split_text(text) if text.strip() or not extra else []
        choices = list(reply.choices)
        quick = fits_quick_reply(choices) and bool(choices)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            messages.append(TextMessage(text=piece, quick_reply=quick_reply(choices) if quick and last else None))
        messages += extra
        if choices and not quick:
            messages.append(choices_carousel(choices, pieces[-1] if pieces else "ตัวเลือก"))
        return messages

    def _messages(self, replies: Sequence[Reply]) -> list[Any]:
        out: list[Any] = []
        for reply in replies:
            out += self.render(reply)
        return out

    async def _send(self, event: Any, replies: Sequence[Reply]) -> None:
        """Answer an event: the reply token while fresh (first 5 messages), push for the rest or when refused."""
        messages = self._messages(replies)
        if not messages:
            return
        _, chat, _ = self._ids(event)
        key = f"event:{event.webhook_event_id or event.reply_token}"
        age = self.clock() - event.timestamp / 1000
        batches = list(_chunks(messages, MAX_MESSAGES))
        start = 0
        if event.reply_token and age < REPLY_WINDOW:
            try:
                await self._api().reply_message_with_http_info(
                    ReplyMessageRequest(reply_token=event.reply_token, messages=list(batches[0])),
                    _request_timeout=self.config.timeout)
                start = 1
            except ApiException as exc:
                log.info("LINE reply refused (%s): pushing instead", _api_error(exc))
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("LINE reply failed (%s): pushing instead", exc)
        for part in range(start, len(batches)):
            result = await self._push_messages(chat, list(batches[part]), retry_key(key, part))
            if not result.ok:
                log.warning("LINE push to %s failed: %s", chat, result.error)
                return

    async def _push_messages(self, to: str, messages: list[Any], retry: str) -> PushResult:
        try:
            await self._api().push_message_with_http_info(
                PushMessageRequest(to=to, messages=messages), x_line_retry_key=retry,
                _request_timeout=self.config.timeout)
        except ApiException as exc:
            if exc.status == 409:  # this retry key was accepted before: delivered once, not twice
                return PushResult(True)
            return PushResult(False, blocked=exc.status == 403, error=_api_error(exc))
        except (aiohttp.ClientError, TimeoutError) as exc:
            return PushResult(False, error=f"network: {exc}")
        return PushResult(True)

    async def push(self, external_id: str, reply: Reply, *, key: str | None = None) -> PushResult:
        """Channel protocol: a reply to one LINE user (or group) by push; same key ⇒ delivered once."""
        key = key or f"once:{uuid.uuid4()}"
        for part, batch in enumerate(_chunks(self.render(reply), MAX_MESSAGES)):
            result = await self._push_messages(external_id, list(batch), retry_key(key, part))
            if not result.ok:
                return result
        return PushResult(True)

    async def multicast(self, external_ids: Sequence[str], reply: Reply, *, key: str | None = None
                        ) -> list[PushResult]:
        """One reply to many users: calls of ≤ 500 recipients, one result per chunk of recipients."""
        key = key or f"once:{uuid.uuid4()}"
        messages = self.render(reply)
        results = []
        for chunk_no, ids in enumerate(_chunks(list(dict.fromkeys(external_ids)), MAX_MULTICAST)):
            result = PushResult(True)
            for part, batch in enumerate(_chunks(messages, MAX_MESSAGES)):
                try:
                    await self._api().multicast_with_http_info(
                        MulticastRequest(to=list(ids), messages=list(batch)),
                        x_line_retry_key=retry_key(key, f"m{chunk_no}.{part}"), _request_timeout=self.config.timeout)
                except ApiException as exc:
                    if exc.status != 409:
                        result = PushResult(False, error=_api_error(exc))
                        break
                except (aiohttp.ClientError, TimeoutError) as exc:
                    result = PushResult(False, error=f"network: {exc}")
                    break
            results.append(result)
        return results

    # -- quota

    async def quota_status(self) -> QuotaStatus:
        api = self._api()
        quota = await api.get_message_quota(_request_timeout=self.config.timeout)
        used = await api.get_message_quota_consumption(_request_timeout=self.config.timeout)
        limit = int(quota.value) if quota.type == "limited" and quota.value is not None else None
        return QuotaStatus(int(used.total_usage or 0), limit)

    async def warn_admins_if_needed(self) -> QuotaStatus | None:
        """Above 80 % of the month's quota: tell each admin once a month (Telegram first: it costs no quota)."""
        try:
            status = await self.quota_status()
        except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("LINE quota not read: %s", exc)
            return None
        warning = status.warning
        if warning is None:
            return status
        log.warning("LINE quota: %s of %s messages used", status.used, status.limit)
        store = self.runtime.store
        now = self._now()
        month = now.strftime("%Y-%m")
        for admin in await self.runtime.call(store.people, None, "admin"):
            identities = dict(await self.runtime.call(store.identities, admin.id))
            for channel_name in ("telegram", CHANNEL):
                channel = self.runtime.channels.get(channel_name)
                if channel_name not in identities or channel is None:
                    continue
                if await self.runtime.call(store.log_reminder, admin.id, f"line-quota:{month}", "80", now,
                                           channel_name):
                    await channel.push(identities[channel_name], Reply(warning), key=f"line-quota:{month}:{admin.id}")
                break
        return status


# ---------------------------------------------------------------- store helpers (store owner thread)


def first_delivery(store: Any, event_id: str, now: datetime) -> bool:
    """Record a webhookEventId; False when it was seen before (a redelivery)."""
    with store.batch() as s:
        cursor = s.db.execute("INSERT OR IGNORE INTO channel_events (channel, event_id, seen_at) VALUES (?, ?, ?)",
                              [CHANNEL, event_id, now.isoformat()])
        return cursor.rowcount == 1


def forget_events(store: Any, before: datetime) -> int:
    """Drop seen event ids older than ``before`` (LINE redelivers within hours, not weeks)."""
    with store.batch() as s:
        return s.db.execute("DELETE FROM channel_events WHERE channel = ? AND seen_at < ?",
                            [CHANNEL, before.isoformat()]).rowcount


# ---------------------------------------------------------------- the web server

LINE_CHANNEL_KEY = web.AppKey("line", LineChannel)


def build_line_app(runtime: Runtime, config: LineConfig, *, clock: Callable[[], float] = time.time
                   ) -> tuple[web.Application, LineChannel]:
    """The aiohttp app (webhook + media) and its channel; the channel opens and closes with the app."""
    channel = LineChannel(runtime, config, clock=clock)
    app = web.Application()
    app[LINE_CHANNEL_KEY] = channel

    async def media(request: web.Request) -> web.Response:
        item = channel.media.get(request.match_info["token"])
        if item is None:
            return web.Response(status=404, text="not found")
        data, mime = item
        return web.Response(body=data, content_type=mime, headers={"Cache-Control": "private, max-age=86400"})

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def on_startup(app: web.Application) -> None:
        await channel.open()
        runtime.channels[CHANNEL] = channel

    async def on_cleanup(app: web.Application) -> None:
        with contextlib.suppress(TimeoutError):
            await channel.drain(timeout=10)
        if runtime.channels.get(CHANNEL) is channel:
            del runtime.channels[CHANNEL]
        await channel.close()

    app.router.add_post("/line/callback", channel.callback)
    app.router.add_get("/line/media/{token}", media)
    app.router.add_get("/line/health", health)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app, channel


async def run_line(runtime: Runtime, settings: Any = None, *, config: LineConfig | None = None,
                   stop: asyncio.Event | None = None, quota_every: float = 6 * 3600) -> None:
    """Serve the LINE webhook until ``stop`` is set (or the task is cancelled); for `kpibot run`."""
    config = config or LineConfig.from_settings(settings)
    if config is None:
        raise RuntimeError("LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are needed for LINE")
    if config.public_base_url and not config.public_base_url.startswith("https://"):
        log.warning("KPIBOT_PUBLIC_BASE_URL is not https: LINE will not show images from %s", config.public_base_url)
    app, channel = build_line_app(runtime, config)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    log.info("LINE webhook on http://%s:%s/line/callback", config.host, config.port)

    async def housekeeping() -> None:
        while True:
            await channel.warn_admins_if_needed()
            await runtime.call(forget_events, runtime.store, channel._now() - timedelta(days=7))
            await asyncio.sleep(quota_every)

    keeper = asyncio.get_running_loop().create_task(housekeeping())
    try:
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await keeper
        await runner.cleanup()
