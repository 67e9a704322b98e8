"""The LINE channel: the Messaging API (line-bot-sdk 3, async client) behind an aiohttp web server.

- ``POST /line/callback`` checks ``X-Line-Signature`` (base64 HMAC-SHA256 of the raw body with the
  channel secret; a missing header is an empty string) and answers 400 when it is wrong, logging it and
  processing nothing. A body over 1 MB (``MAX_BODY``; LINE's are a few kB) is 413, unread. A signed body
  that is not a webhook body (not UTF-8 or JSON, nested too deep for json (RecursionError), events without
  type, timestamp, mode, webhookEventId or deliveryContext) is 400 "bad request" with one log line, never
  a 500. A good request is answered 200 at once; its events are handled afterwards in a background
  task, the events of one chat in the order they arrived (one chain of tasks per chat).
- Replays: an event whose ``timestamp`` is more than ``max_event_age`` (KPIBOT_LINE_MAX_EVENT_AGE, default
  1 hour) from the channel's clock, either way, is refused: logged (one line per body), not recorded, not
  handled, not answered; the body still gets 200 and its other events are handled.
- Events are de-duplicated by ``webhookEventId`` (LINE redelivers, ``deliveryContext.isRedelivery``): the id
  is recorded in the ``channel_events`` table before the event is handled, so a redelivery inside the
  window is handled once. Ids are kept for ``LineConfig.event_id_window`` = max(7 days, 2 × max_event_age
  + 1 min), by construction longer than any replay can be accepted: an event accepted at |now − t| ≤ age
  is recorded at some moment h ≥ t − age, and a copy is accepted only until t + age ≤ h + 2 × age.
  (`run_line`'s housekeeping forgets older ids.) Ids of events arriving together are recorded in one
  commit, in a thread (``record_events``), exact as the store's ``first_delivery`` except when another
  process records part of the same batch at the same moment (those are left to it, logged).
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
Webhook bodies are read the same way: the signature over the raw bytes (tests/bot/test_line.py checks it
against the SDK's validator), ``json.loads`` and a small ``WebhookEvent``, not the SDK's parser and models
(about 0.4 ms per event under the profiler). The event-id record was one fsync'd INSERT per event on the
loop (0.5–0.8 ms the loop stood still); it is now grouped and off the loop. Parsing alone: 98–119 µs per
event with the SDK, 24–35 µs so. Measured end to end on 2 cores shared with other people's work (load
1–2.6), so the ratio swings: full bot / bare SDK echo 0.55, 0.42, 0.57 before (0.33, 0.29, 0.24 under
heavier load); 0.56, 0.62, 0.58 after (345–355 against 570–615 events/s). The target 0.8 is not reached and
cannot be from here: the conversation core alone, in one process, handles about 440 of the bench's messages
a second (report 3.9 ms, confirm and score 1.5 ms, ``synchronous=FULL`` commits included; 616/s with NORMAL),
below 0.8 × the echo bot's 570–650/s. With the conversation in its own process (as ``kpibot run`` runs it), the
parent's CPU a bench event went from 5.2 to 3.2–4.2 ms (2026-12-03) once the child notes the sender itself
(bot/run/process.py), its replies are read as frames, and the event ids are recorded without an fsync of their own
(recorded before handling: the event's own commit syncs them): ratio 0.66, 0.66, 0.73 (230–235 against
323–352 events/s, machine shared), 0.61–0.63 before. The SDK serves profiles, quota and content downloads.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
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

from bot.channels.base import Host, PushResult
from bot.channels.base import split_text as _split_text
from handlers import audience
from handlers.messages import Attachment, Card, Choice, Incoming, Reply
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
MAX_EVENT_AGE = 3600.0  # seconds: an event whose timestamp is further from our clock is refused (replays)
KEEP_EVENT_IDS = timedelta(days=7)  # the least time a handled webhookEventId is remembered (LineConfig.event_id_window)
MAX_BODY = 1024 * 1024  # bytes: a larger webhook body is refused (413) unread; LINE's are a few kB
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
    max_event_age: float = MAX_EVENT_AGE  # seconds; KPIBOT_LINE_MAX_EVENT_AGE

    def __post_init__(self) -> None:
        if not self.max_event_age > 0:
            raise ValueError(f"max_event_age={self.max_event_age!r}: use a number of seconds greater than 0")

    @property
    def event_id_window(self) -> timedelta:
        """How long handled event ids are remembered: at least 7 days and always more than twice
        ``max_event_age``. An event is accepted only while ``|now - timestamp| <= max_event_age``, so its id,
        recorded at some accepted moment, is still remembered whenever a replay of it could be accepted."""
        return max(KEEP_EVENT_IDS, timedelta(seconds=2 * self.max_event_age + 60))

    @classmethod
    def from_settings(cls, conf: Any) -> LineConfig | None:
        """From bot/run/config.py's Settings (LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN, KPIBOT_PUBLIC_BASE_URL,
        KPIBOT_LINE_PORT, KPIBOT_LINE_HOST, KPIBOT_LINE_API_URL, KPIBOT_LINE_MAX_EVENT_AGE); None when the secret
        or the token is missing."""
        secret, token = getattr(conf, "line_secret", None), getattr(conf, "line_token", None)
        if not (secret and token):
            return None
        return cls(secret=secret, token=token, public_base_url=getattr(conf, "public_base_url", None),
                   port=getattr(conf, "line_port", 8080), host=getattr(conf, "line_host", "0.0.0.0"),
                   api_url=getattr(conf, "line_api_url", None),
                   max_event_age=getattr(conf, "line_max_event_age", MAX_EVENT_AGE))


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


def _alt(text: str, fallback: str) -> str:
    """A Flex message's altText (what notifications and old clients show): at most 400 characters."""
    alt = text.strip().replace("\n", " ")
    return (alt[:390] + "…") if len(alt) > 400 else (alt or fallback)


INK, MUTED = "#1f2933", "#616e7c"  # a card's text; its colours come with the card (handlers/views/palette.py)


def card_bubble(card: Card) -> dict[str, Any]:
    """A score card as a Flex bubble: a header in the band's colour (title, what and when), one row per KPI
    (its name and weight, its level in its colour), then the total, the band and the notes."""
    colour = card.colour
    rows: list[dict[str, Any]] = []
    for row in card.rows:
        left: list[dict[str, Any]] = [{"type": "text", "text": row.label or " ", "size": "sm", "color": INK,
                                       "wrap": True}]
        if row.note:
            left.append({"type": "text", "text": row.note, "size": "xxs", "color": MUTED})
        rows.append({"type": "box", "layout": "horizontal", "spacing": "md", "contents": [
            {"type": "box", "layout": "vertical", "flex": 5, "contents": left},
            {"type": "text", "text": row.value or " ", "size": "sm", "weight": "bold", "flex": 3, "align": "end",
             "gravity": "center", "wrap": True, "color": row.colour}]})
    body: list[dict[str, Any]] = [*rows, {"type": "separator", "margin": "lg"},
                                  {"type": "box", "layout": "baseline", "margin": "lg", "contents": [
                                      {"type": "text", "text": "รวม", "size": "sm", "color": MUTED, "flex": 2},
                                      {"type": "text", "text": card.total, "size": "xl", "weight": "bold",
                                       "color": INK, "flex": 6, "align": "end"}]},
                                  {"type": "text", "text": card.band, "size": "sm", "weight": "bold", "color": colour,
                                   "align": "end", "wrap": True}]
    body += [{"type": "text", "text": note, "size": "xs", "color": MUTED, "wrap": True, "margin": "sm"}
             for note in card.notes]
    return {"type": "bubble", "size": "mega",
            "header": {"type": "box", "layout": "vertical", "paddingAll": "14px", "backgroundColor": colour,
                       "contents": [{"type": "text", "text": card.title, "weight": "bold", "size": "md",
                                     "color": "#ffffff", "wrap": True},
                                    {"type": "text", "text": card.subtitle, "size": "xs", "color": "#ffffffdd",
                                     "wrap": True}]},
            "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": body}}


def cards_wire(cards: Sequence[Card], alt_text: str, choices: Sequence[Choice] = ()) -> dict[str, Any]:
    """Score cards as one Flex message: a bubble, or a carousel of them (at most 12, team first)."""
    bubbles = [card_bubble(card) for card in cards[:MAX_BUBBLES]]
    contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    message: dict[str, Any] = {"type": "flex", "altText": _alt(alt_text, "คะแนนปัจจุบัน"), "contents": contents}
    if choices:
        message["quickReply"] = quick_reply_wire(choices)
    return message


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
    return {"type": "flex", "altText": _alt(alt_text, "ตัวเลือก"), "contents": {"type": "carousel", "contents": bubbles}}


# ---------------------------------------------------------------- webhook requests


def signature_ok(secret: str, body: bytes, signature: str) -> bool:
    """X-Line-Signature: base64 HMAC-SHA256 of the raw body with the channel secret (constant-time compare)."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest), signature.encode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One webhook event as the channel reads it from LINE's JSON (no SDK models: the module docstring)."""

    type: str  # "message", "postback", "follow", "unfollow", ... (others are ignored)
    timestamp: int  # ms since the epoch, when the user acted
    webhook_event_id: str
    reply_token: str | None
    user: str  # the sender's user id ("" when the source gives none)
    chat: str  # where answers go: the user, or the group or room
    is_group: bool  # a group or a room
    message: dict[str, Any] | None = None  # message events: LINE's message object
    postback_data: str | None = None  # postback events
    redelivery: bool = False  # deliveryContext.isRedelivery


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def read_event(obj: Any) -> WebhookEvent:
    """One event of a webhook body; ValueError when it lacks what every LINE event has (type, timestamp, mode,
    webhookEventId, deliveryContext; a group or room source its id), as the SDK's models require."""
    if not isinstance(obj, dict):
        raise ValueError("an event is not an object")
    type_, timestamp, context = obj.get("type"), obj.get("timestamp"), obj.get("deliveryContext")
    event_id, source = obj.get("webhookEventId"), obj.get("source", {})
    if not (isinstance(type_, str) and type(timestamp) is int and isinstance(obj.get("mode"), str)
            and isinstance(event_id, str) and isinstance(context, dict) and isinstance(source, dict)):
        raise ValueError("an event without type, timestamp, mode, webhookEventId or deliveryContext")
    user = _text(source.get("userId")) or ""
    kind = source.get("type")
    if kind in ("group", "room"):
        chat = _text(source.get("groupId" if kind == "group" else "roomId"))
        if not chat:
            raise ValueError(f"a {kind} source without its id")
    else:
        chat = user
    message = obj.get("message") if type_ == "message" else None
    postback = obj.get("postback") if type_ == "postback" else None
    return WebhookEvent(type_, timestamp, event_id, _text(obj.get("replyToken")), user, chat,
                        kind in ("group", "room"), message if isinstance(message, dict) else None,
                        _text(postback.get("data")) if isinstance(postback, dict) else None,
                        context.get("isRedelivery") is True)


def read_events(body: bytes) -> list[WebhookEvent]:
    """The events of a (signature-checked) webhook body. ValueError (UnicodeDecodeError, JSONDecodeError
    included) when it is not a webhook body; json may also raise RecursionError on deep nesting."""
    payload = json.loads(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise ValueError("not a webhook body")
    return [read_event(event) for event in payload["events"]]


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
        self._pending: dict[str, asyncio.Future[bool]] = {}  # event ids waiting for the next group commit
        self._flusher: asyncio.Task[None] | None = None
        # group commit needs the store's batch methods (bot/run/runtime.py's Runtime has them)
        self._batched = callable(getattr(runtime, "record_events", None)) and callable(
            getattr(runtime, "seen_events", None))
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
        if request.content_length is not None and request.content_length > MAX_BODY:
            log.warning("LINE webhook: body of %s bytes from %s refused unread", request.content_length,
                        request.remote)
            return web.Response(status=413, text="body too large")
        try:
            raw = await request.read()  # the app's client_max_size (MAX_BODY) bounds a body without a length
        except web.HTTPRequestEntityTooLarge:
            log.warning("LINE webhook: body over %s bytes from %s refused", MAX_BODY, request.remote)
            return web.Response(status=413, text="body too large")
        if not signature_ok(self.config.secret, raw, request.headers.get("X-Line-Signature", "")):
            log.warning("LINE webhook: bad or missing X-Line-Signature from %s; nothing processed", request.remote)
            return web.Response(status=400, text="bad signature")
        try:
            events = read_events(raw)
        except Exception as exc:  # not UTF-8 or JSON, nested too deep (RecursionError), not LINE's shape
            log.warning("LINE webhook: unreadable body from %s (%s); nothing processed", request.remote,
                        type(exc).__name__)
            return web.Response(status=400, text="bad request")
        by_chat: dict[str, list[Any]] = {}
        refused: list[str] = []
        now = self.clock()
        for event in events:
            if abs(now - event.timestamp / 1000) > self.config.max_event_age:
                refused.append(f"{event.webhook_event_id}@{event.timestamp}")
                continue
            by_chat.setdefault(f"{event.chat}:{event.user}", []).append(event)
        if refused:
            log.warning("LINE webhook: %d event(s) from %s refused, timestamp more than %.0f s from our clock "
                        "(a replay?); not handled: %s", len(refused), request.remote, self.config.max_event_age,
                        ", ".join(refused[:10]))
        for key, chat_events in by_chat.items():
            self._schedule(key, chat_events)
        return web.Response(text="OK")

    def _schedule(self, key: str, events: list[WebhookEvent]) -> None:
        previous = self._tails.get(key)

        async def run() -> None:
            if previous is not None and not previous.done():
                await asyncio.wait([previous])  # the chat's earlier events first; their errors are logged there
            for event in events:
                try:
                    await self.handle_event(event)
                except Exception:
                    log.exception("LINE event failed: %s", event.webhook_event_id)

        task = asyncio.get_running_loop().create_task(run())
        self._tails[key] = task
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            if self._tails.get(key) is t:
                del self._tails[key]

        task.add_done_callback(done)

    async def first_delivery(self, event_id: str) -> bool:
        """Record an event id before it is handled; False when it was recorded before (a redelivery).

        Ids of events arriving meanwhile are recorded together, one commit off the loop (``record_events``);
        an id already recorded, or waiting in the same commit, is False. Exact as ``first_delivery`` of the
        store except when another process records some but not all of a batch at the same moment: those
        are left to it (logged)."""
        if not self._batched:
            return await self.runtime.first_delivery(CHANNEL, event_id, self._now())
        if event_id in self._pending:
            return False  # the same event twice at once: handled once
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending[event_id] = future
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            try:
                new = await self._record(list(batch))
            except Exception as exc:
                for future in batch.values():
                    if not future.done():
                        future.set_exception(exc)
                continue
            for event_id, future in batch.items():
                if not future.done():
                    future.set_result(event_id in new)

    async def _record(self, ids: list[str]) -> set[str]:
        host: Any = self.runtime
        if len(ids) > 1:
            seen = await host.seen_events(CHANNEL, ids)
            ids = [event_id for event_id in ids if event_id not in seen]
        if not ids:
            return set()
        # recorded before handling: not fsync'd on its own (bot/store/channel_events.py: ``durable``)
        count = await host.record_events(CHANNEL, ids, self._now(), durable=False)
        if count == len(ids):
            return set(ids)
        if count:
            log.warning("LINE events %s: recorded by another process meanwhile, left to it", ", ".join(ids))
        return set()

    async def handle_event(self, event: WebhookEvent) -> None:
        if not await self.first_delivery(event.webhook_event_id):
            log.info("LINE event %s delivered again: skipped", event.webhook_event_id)
            return
        if event.type == "message" and event.message is not None:
            await self._message(event, event.message)
        elif event.type == "postback" and event.postback_data is not None:
            await self._incoming(event, "", choice=event.postback_data)
        elif event.type == "follow":
            await self._follow(event)
        elif event.type == "unfollow":
            await self._unfollow(event)
        else:
            log.debug("LINE event %s (%s) ignored", event.webhook_event_id, event.type)

    async def _message(self, event: WebhookEvent, content: dict[str, Any]) -> None:
        type_, message_id = content.get("type"), _text(content.get("id"))
        if type_ == "text":
            if message_id and isinstance(content.get("text"), str):
                await self._incoming(event, content["text"])
            return
        if type_ in ("image", "file"):
            file_name = _text(content.get("fileName"))
            if not message_id or (type_ == "file" and file_name is None):
                return  # not LINE's shape: ignored, as the SDK reads it as an unknown event
            try:
                data, mime = await self._download(message_id)
            except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("LINE content %s download failed: %s", message_id, exc)
                await self._send(event, [Reply(DOWNLOAD_FAILED)])
                return
            if type_ == "image":
                name = f"line-{message_id}.{'jpg' if mime == 'image/jpeg' else 'png' if mime == 'image/png' else 'bin'}"
                attachment = Attachment(lambda data=data: data, mime, len(data), name, "photo")
            else:
                attachment = Attachment(lambda data=data: data, mime, len(data), file_name, "file")
            await self._incoming(event, "", attachments=(attachment,))
            return
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

    async def _incoming(self, event: WebhookEvent, text: str, *, choice: str | None = None,
                        attachments: tuple[Attachment, ...] = ()) -> None:
        user, chat, is_group = event.user, event.chat, event.is_group
        if is_group and audience.answer_where("group", await self.runtime.role(CHANNEL, user)) != "here":
            # one person's figures, cards and codes never reach a group; a push to them privately would
            # cost quota and fails until they add the bot as a friend: they are asked to write privately
            await self._send(event, [Reply(audience.ASK_PRIVATELY)])
            return
        display_name = await self._display_name(user) if text and _NEEDS_NAME.match(text) else None
        msg = Incoming(channel=CHANNEL, sender=user, chat=chat, text=text,
                       sent_at=datetime.fromtimestamp(event.timestamp / 1000, BANGKOK),
                       message_id=(event.message or {}).get("id") or event.webhook_event_id,
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

    async def _follow(self, event: WebhookEvent) -> None:
        user = event.user
        name = await self.runtime.person_name(CHANNEL, user)
        if name is None:
            await self._send(event, [Reply(FOLLOW_TEXT)])
            return
        await self.runtime.set_reachable(CHANNEL, user, True)
        await self._send(event, [Reply(WELCOME_BACK.format(name=name))])

    async def _unfollow(self, event: WebhookEvent) -> None:
        user = event.user
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
        if reply.cards and reply.image is None and reply.document is None:
            # the card says what the text says: the text is its alternative (notifications, old clients)
            choices = list(reply.choices)
            if not choices or fits_quick_reply(choices):
                return [cards_wire(reply.cards, text, choices)]
            return [cards_wire(reply.cards, text), carousel_wire(choices, "ตัวเลือก")]
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

    async def _send(self, event: WebhookEvent, replies: Sequence[Reply]) -> None:
        """Answer an event: the reply token while fresh (first 5 messages), push for the rest or when refused."""
        messages = self._messages(replies)
        if not messages:
            return
        chat = event.chat
        key = f"event:{event.webhook_event_id}"
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
    app = web.Application(client_max_size=MAX_BODY)
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
            await runtime.forget_events(CHANNEL, channel._now() - config.event_id_window)
            await asyncio.sleep(quota_every)

    keeper = asyncio.get_running_loop().create_task(housekeeping())
    try:
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await keeper
        await runner.cleanup()
