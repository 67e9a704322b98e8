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
- An adapter only: the store, the audience rules and the greetings are reached through bot/channels/base.py's
  ``Host`` (the runtime), handlers/audience.py and handlers/texts.py.
- Groups and rooms (handlers/audience.py): chiefs, coordinators and admins are answered in the group, their
  cards' buttons tagged with their id (a press by anyone else is refused by the conversation); anyone else
  gets one line asking them to write privately and their message is not handled (no figures, cards or
  codes in the group, no push quota spent).

Speed (bench/line_bench.py): replies are built as the Messaging API's JSON directly (``wire``) and posted on
our own aiohttp session (the SDK's session settings: ``trust_env``, the same Authorization and timeout), not as
line-bot-sdk's pydantic models: building and serialising those cost about 270 µs per reply with quick replies,
a quarter of a whole echo round trip. The JSON is the same as the models' (tests/bot/test_line_push.py checks
``wire`` against the SDK's ``to_dict``); ``render`` still gives the SDK models for callers who want them.
The SDK serves everything else (profiles, quota, content downloads, signature checking and event parsing).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
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
    Message,
    QuickReply,
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

from bot.channels.base import Host, PushResult
from bot.channels.base import split_text as _split_text
from handlers import audience
from handlers.messages import Attachment, Choice, Incoming, Reply
from handlers.texts import GREETING, WELCOME_BACK
from scoring.thaidate import BANGKOK

log = logging.getLogger("kpibot.line")

CHANNEL = "line"
MAX_TEXT = 5000  # characters in one text message
MAX_MESSAGES = 5  # messages in one reply, push or multicast call
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20  # quick reply / action label
POSTBACK_LIMIT = 300  # postback data
MAX_MULTICAST = 500  # recipients in one multicast call
ROWS_PER_BUBBLE = 10
MAX_BUBBLES = 12
REPLY_WINDOW = 50.0  # seconds after the event during which the reply token is used
QUOTA_WARN_RATIO = 0.8
LINE_API = "https://api.line.me"  # the Messaging API's host (content downloads: the SDK's blob client)
# Fixed namespace for retry keys: the same (key, part) always gives the same X-Line-Retry-Key.
RETRY_NAMESPACE = uuid.UUID("6b1f3c0e-5d0a-4c1e-9a57-0d6c2b7f4e21")

FOLLOW_TEXT = GREETING  # handlers/texts.py
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


def quick_reply_wire(choices: Sequence[Choice]) -> dict[str, Any]:
    """Choices as a quick reply, the Messaging API's JSON (labels already fit: ``fits_quick_reply``)."""
    return {"items": [{"type": "action", "action": {"type": "postback", "label": c.label, "data": c.data,
                                                    "displayText": c.label}} for c in choices]}


def quick_reply(choices: Sequence[Choice]) -> QuickReply:
    return QuickReply.from_dict(quick_reply_wire(choices))


def text_wire(text: str, choices: Sequence[Choice] = ()) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "text", "text": text}
    if choices:
        message["quickReply"] = quick_reply_wire(choices)
    return message


def image_wire(url: str) -> dict[str, Any]:
    return {"type": "image", "originalContentUrl": url, "previewImageUrl": url}


def choices_carousel(choices: Sequence[Choice], alt_text: str) -> FlexMessage:
    """Choices too many or too long for quick replies: a carousel of bubbles of tappable, wrapped rows."""
    return FlexMessage.from_dict(carousel_wire(choices, alt_text))


def carousel_wire(choices: Sequence[Choice], alt_text: str) -> dict[str, Any]:
    """``choices_carousel`` as the Messaging API's JSON."""
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
    return {"type": "flex", "altText": alt, "contents": {"type": "carousel", "contents": bubbles}}


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

    def __init__(self, runtime: Host, config: LineConfig, *, clock: Callable[[], float] = time.time):
        self.runtime = runtime
        self.config = config
        self.clock = clock
        self.parser = WebhookParser(config.secret)
        self.media = MediaStore(config.media_ttl)
        self._client: AsyncApiClient | None = None
        self.api: AsyncMessagingApi | None = None
        self.blob: AsyncMessagingApiBlob | None = None
        self._session: aiohttp.ClientSession | None = None  # reply, push, multicast (see the module docstring)
        self._headers = {"Authorization": f"Bearer {config.token}", "Content-Type": "application/json",
                         "User-Agent": "kpibot (line-bot-sdk-python 3)"}
        self._timeout = aiohttp.ClientTimeout(total=config.timeout)
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
        self._session = aiohttp.ClientSession(trust_env=True)  # proxies from the environment, as the SDK's

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = self.api = self.blob = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until every accepted webhook event has been handled (tests, shutdown)."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _api(self) -> AsyncMessagingApi:
        if self.api is None:
            raise RuntimeError("LineChannel.open() was not awaited")
        return self.api

    async def _post(self, path: str, body: dict[str, Any], retry: str | None = None) -> None:
        """POST JSON to the Messaging API; ApiException (status, body) unless it answers 2xx, like the SDK."""
        if self._session is None:
            raise RuntimeError("LineChannel.open() was not awaited")
        headers = self._headers if retry is None else {**self._headers, "X-Line-Retry-Key": retry}
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        async with self._session.post(f"{self.config.api_url or LINE_API}{path}", data=data, headers=headers,
                                      timeout=self._timeout) as response:
            if 200 <= response.status <= 299:
                await response.read()
                return
            exc = ApiException(status=response.status, reason=response.reason)
            exc.body = (await response.read()).decode("utf-8", "replace")
            exc.headers = response.headers
            raise exc

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
        if event_id and not await self.runtime.first_delivery(CHANNEL, event_id, self._now()):
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
        if is_group and audience.answer_where("group", await self.runtime.role(CHANNEL, user)) != "here":
            # one person's figures, cards and codes never reach a group; a push to them privately would
            # cost quota and fails until they add the bot as a friend: they are asked to write privately
            await self._send(event, [Reply(audience.ASK_PRIVATELY)])
            return
        display_name = await self._display_name(user) if text and _NEEDS_NAME.match(text) else None
        msg = Incoming(channel=CHANNEL, sender=user, chat=chat, text=text,
                       sent_at=datetime.fromtimestamp(event.timestamp / 1000, BANGKOK),
                       message_id=getattr(getattr(event, "message", None), "id", None) or event.webhook_event_id or "",
                       attachments=attachments, choice=choice, display_name=display_name, is_group=is_group)
        replies = await self.runtime.handle(msg)  # link codes included (Runtime.handle)
        if is_group:  # a card in a group: its buttons work for its owner only (handlers/audience.py)
            replies = [replace(r, choices=audience.own_choices(r.choices, user, POSTBACK_LIMIT)) for r in replies]
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
        name = await self.runtime.person_name(CHANNEL, user)
        if name is None:
            await self._send(event, [Reply(FOLLOW_TEXT)])
            return
        await self.runtime.set_reachable(CHANNEL, user, True)
        await self._send(event, [Reply(WELCOME_BACK.format(name=name))])

    async def _unfollow(self, event: UnfollowEvent) -> None:
        user, _, _ = self._ids(event)
        if await self.runtime.set_reachable(CHANNEL, user, False):
            log.info("LINE user %s unfollowed: marked unreachable", user)

    # -- sending

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), BANGKOK)

    def render(self, reply: Reply) -> list[Message]:
        """``wire`` as line-bot-sdk message models (TextMessage, ImageMessage, FlexMessage)."""
        return [Message.from_dict(message) for message in self.wire(reply)]

    def wire(self, reply: Reply) -> list[dict[str, Any]]:
        """One Reply as LINE messages (the API's JSON): text pieces, then an image, with its choices on the
        last text as quick replies, or a carousel after it when they do not fit."""
        text = reply.text or ""
        extra: list[Any] = []
        base = self.config.public_base_url
        if reply.image is not None:
            if base:
                url = f"{base}/line/media/{self.media.put(reply.image, _image_mime(reply.image))}"
                extra.append(image_wire(url))
            else:
                text = f"{text}\n{NO_CHART_NOTE}" if text else NO_CHART_NOTE
        if reply.document is not None:
            if base:
                token = self.media.put(reply.document, "application/octet-stream")
                name = reply.document_name or "เอกสาร"
                text = f"{text}\nดาวน์โหลด {name}: {base}/line/media/{token}"
            else:
                text = f"{text}\n{NO_DOCUMENT_NOTE}" if text else NO_DOCUMENT_NOTE
        messages: list[dict[str, Any]] = []
        pieces = split_text(text) if text.strip() or not extra else []
        choices = list(reply.choices)
        quick = fits_quick_reply(choices) and bool(choices)
        for i, piece in enumerate(pieces):
            messages.append(text_wire(piece, choices if quick and i == len(pieces) - 1 else ()))
        messages += extra
        if choices and not quick:
            messages.append(carousel_wire(choices, pieces[-1] if pieces else "ตัวเลือก"))
        return messages

    def _messages(self, replies: Sequence[Reply]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for reply in replies:
            out += self.wire(reply)
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
                await self._post("/v2/bot/message/reply", {"replyToken": event.reply_token,
                                                           "messages": list(batches[0]), "notificationDisabled": False})
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

    async def _push_messages(self, to: str, messages: list[dict[str, Any]], retry: str) -> PushResult:
        try:
            await self._post("/v2/bot/message/push", {"to": to, "messages": messages, "notificationDisabled": False},
                             retry)
        except ApiException as exc:
            if exc.status == 409:  # this retry key was accepted before: delivered once, not twice
                return PushResult(True)
            return PushResult(False, blocked=exc.status == 403, error=_api_error(exc))
        except (aiohttp.ClientError, TimeoutError) as exc:
            return PushResult(False, error=f"network: {exc}")
        return PushResult(True)

    async def push(self, external_id: str, reply: Reply, *, key: str | None = None,
                   on_request: Callable[[], Awaitable[None]] | None = None) -> PushResult:
        """Channel protocol: a reply to one LINE user (or group) by push; same key ⇒ delivered once
        (X-Line-Retry-Key), so a failed push may be retried with the same key, safely. `on_request`
        is awaited as each HTTP request starts (the reminder engine counts attempts there)."""
        key = key or f"once:{uuid.uuid4()}"
        requests = 0
        for part, batch in enumerate(_chunks(self.wire(reply), MAX_MESSAGES)):
            if on_request is not None:
                await on_request()
            requests += 1
            result = await self._push_messages(external_id, list(batch), retry_key(key, part))
            if not result.ok:
                return replace(result, requests=requests)
        return PushResult(True, requests=requests)

    async def multicast(self, external_ids: Sequence[str], reply: Reply, *, key: str | None = None
                        ) -> list[PushResult]:
        """One reply to many users: calls of ≤ 500 recipients, one result per chunk of recipients."""
        key = key or f"once:{uuid.uuid4()}"
        messages = self.wire(reply)
        results = []
        for chunk_no, ids in enumerate(_chunks(list(dict.fromkeys(external_ids)), MAX_MULTICAST)):
            result = PushResult(True)
            for part, batch in enumerate(_chunks(messages, MAX_MESSAGES)):
                try:
                    await self._post("/v2/bot/message/multicast",
                                     {"to": list(ids), "messages": list(batch), "notificationDisabled": False},
                                     retry_key(key, f"m{chunk_no}.{part}"))
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
        """Above 80 % of the month's quota: tell each admin once a month (who and on which channel:
        handlers/audience.py, Telegram first as it costs no quota)."""
        try:
            status = await self.quota_status()
        except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("LINE quota not read: %s", exc)
            return None
        warning = status.warning
        if warning is None:
            return status
        log.warning("LINE quota: %s of %s messages used", status.used, status.limit)
        now = self._now()
        await self.runtime.notify_admins(warning, f"line-quota:{now:%Y-%m}", now, stage="80")
        return status


# ---------------------------------------------------------------- the web server

LINE_CHANNEL_KEY = web.AppKey("line", LineChannel)


def build_line_app(runtime: Host, config: LineConfig, *, clock: Callable[[], float] = time.time
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


async def run_line(runtime: Host, settings: Any = None, *, config: LineConfig | None = None,
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
            await runtime.forget_events(CHANNEL, channel._now() - timedelta(days=7))
            await asyncio.sleep(quota_every)

    keeper = asyncio.get_running_loop().create_task(housekeeping())
    try:
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await keeper
        await runner.cleanup()
