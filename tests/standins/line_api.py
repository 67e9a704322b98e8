"""A LINE Messaging API stand-in on 127.0.0.1 (aiohttp), for end-to-end tests and benchmarks.

line-bot-sdk 3 talks to it through ``Configuration(host=api.url)`` (content downloads included).
It records what the bot sends and answers like LINE does:

    api = LineStandIn()
    await api.start()
    api.contents["m1"] = (png_bytes, "image/png")       # what GET /v2/bot/message/m1/content returns
    api.expire_reply_tokens = True                     # every reply token is refused (400 Invalid reply token)
    api.blocked.add("Ublocked")                        # push to this user: 403
    api.limit, api.used = 500, 450                     # the month's quota and consumption
    ...
    api.replies, api.pushes, api.multicasts, api.content_calls   # recorded calls
    await api.stop()

Endpoints: POST /v2/bot/message/reply, /push, /multicast; GET /v2/bot/message/{id}/content,
/v2/bot/message/quota, /v2/bot/message/quota/consumption, /v2/bot/profile/{userId}.
A push or multicast repeating an accepted ``X-Line-Retry-Key`` is answered 409 and delivers nothing,
as LINE does. Also: ``sign(secret, body)`` and event builders for signed webhook requests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Sent:
    """One accepted reply, push or multicast call."""

    kind: str  # "reply" | "push" | "multicast"
    to: list[str]  # recipients (the reply token's target is unknown to LINE's client: [] for replies)
    messages: list[dict[str, Any]]
    retry_key: str | None = None
    reply_token: str | None = None
    order: int = 0  # arrival order across replies, pushes and multicasts

    @property
    def texts(self) -> list[str]:
        """What the user reads: text messages, and a Flex message's text nodes (a score card), one per line."""
        out = []
        for m in self.messages:
            if m.get("type") == "text":
                out.append(m["text"])
            elif m.get("type") == "flex":
                out.append("\n".join(flex_texts(m["contents"])))
        return out


def flex_texts(node: Any) -> list[str]:
    """The text nodes of a Flex container, in reading order (a bubble's header, body, footer; a carousel's
    bubbles one after another)."""
    if isinstance(node, list):
        return [t for item in node for t in flex_texts(item)]
    if not isinstance(node, dict):
        return []
    if node.get("type") == "text":
        return [node.get("text", "")]
    out: list[str] = []
    for key in ("header", "hero", "body", "footer", "contents"):
        if key in node:
            out += flex_texts(node[key])
    return out


@dataclass
class LineStandIn:
    host: str = "127.0.0.1"
    port: int = 0
    token: str = "test-access-token"
    contents: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)  # user id -> display name
    blocked: set[str] = field(default_factory=set)
    expire_reply_tokens: bool = False
    limit: int | None = 500  # None: no limit ("none")
    used: int = 0

    def __post_init__(self) -> None:
        self.replies: list[Sent] = []
        self.pushes: list[Sent] = []
        self.multicasts: list[Sent] = []
        self.refused: list[tuple[str, int, dict[str, Any]]] = []  # (kind, status, body)
        self.content_calls: list[str] = []
        self.retry_keys: set[str] = set()
        self.used_reply_tokens: set[str] = set()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    # -- lifecycle

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> LineStandIn:
        app = web.Application(middlewares=[self._auth])
        app.router.add_post("/v2/bot/message/reply", self._reply)
        app.router.add_post("/v2/bot/message/push", self._push)
        app.router.add_post("/v2/bot/message/multicast", self._multicast)
        app.router.add_get("/v2/bot/message/quota", self._quota)
        app.router.add_get("/v2/bot/message/quota/consumption", self._consumption)
        app.router.add_get("/v2/bot/message/{id}/content", self._content)
        app.router.add_get("/v2/bot/profile/{user}", self._profile)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- what was sent

    @property
    def sent(self) -> list[Sent]:
        """Replies, pushes and multicasts in the order they arrived."""
        return sorted(self.replies + self.pushes + self.multicasts, key=lambda s: s.order)

    def texts(self) -> list[str]:
        return [t for s in self.sent for t in s.texts]

    # -- handlers

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"message": "Authentication failed"}, status=401)
        return await handler(request)

    def _record(self, bucket: list[Sent], sent: Sent) -> None:
        sent.order = next(self._ids)
        bucket.append(sent)

    @staticmethod
    def _check_messages(messages: list[dict[str, Any]]) -> str | None:
        if not 1 <= len(messages) <= 5:
            return "Size must be between 1 and 5"
        for m in messages:
            if m.get("type") == "text" and not 1 <= len(m.get("text", "")) <= 5000:
                return "text must be 1-5000 characters"
            quick = (m.get("quickReply") or {}).get("items") or []
            if len(quick) > 13 or any(len(i["action"].get("label", "")) > 20 for i in quick):
                return "quickReply: at most 13 items, labels at most 20 characters"
        return None

    def _refuse(self, kind: str, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        body = {"message": message}
        self.refused.append((kind, status, body))
        return web.json_response(body, status=status, headers=headers)

    async def _reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.expire_reply_tokens:
            return self._refuse("reply", 400, "Invalid reply token")
        problem = self._check_messages(body["messages"])
        if problem:
            return self._refuse("reply", 400, problem)
        if body["replyToken"] in self.used_reply_tokens:
            return self._refuse("reply", 400, "Invalid reply token")  # a reply token works once
        self.used_reply_tokens.add(body["replyToken"])
        self._record(self.replies, Sent("reply", [], body["messages"], reply_token=body["replyToken"]))
        return web.json_response({"sentMessages": [{"id": str(next(self._ids))} for _ in body["messages"]]})

    def _retry(self, request: web.Request, kind: str) -> web.Response | None:
        key = request.headers.get("X-Line-Retry-Key")
        if key is not None and key in self.retry_keys:
            return self._refuse(kind, 409, "The retry key is already accepted",
                                {"x-line-accepted-request-id": "accepted-" + key[:8]})
        return None

    async def _push(self, request: web.Request) -> web.Response:
        body = await request.json()
        repeated = self._retry(request, "push")
        if repeated is not None:
            return repeated
        if body["to"] in self.blocked:
            return self._refuse("push", 403, "Not authorized to send to this user")  # blocked the bot
        problem = self._check_messages(body["messages"])
        if problem:
            return self._refuse("push", 400, problem)
        key = request.headers.get("X-Line-Retry-Key")
        if key:
            self.retry_keys.add(key)
        self.used += len(body["messages"])
        self._record(self.pushes, Sent("push", [body["to"]], body["messages"], retry_key=key))
        return web.json_response({"sentMessages": [{"id": str(next(self._ids))} for _ in body["messages"]]})

    async def _multicast(self, request: web.Request) -> web.Response:
        body = await request.json()
        repeated = self._retry(request, "multicast")
        if repeated is not None:
            return repeated
        if not 1 <= len(body["to"]) <= 500:
            return self._refuse("multicast", 400, "to: size must be between 1 and 500")
        problem = self._check_messages(body["messages"])
        if problem:
            return self._refuse("multicast", 400, problem)
        key = request.headers.get("X-Line-Retry-Key")
        if key:
            self.retry_keys.add(key)
        self.used += len(body["messages"]) * len(body["to"])
        self._record(self.multicasts, Sent("multicast", list(body["to"]), body["messages"], retry_key=key))
        return web.json_response({})

    async def _quota(self, request: web.Request) -> web.Response:
        if self.limit is None:
            return web.json_response({"type": "none"})
        return web.json_response({"type": "limited", "value": self.limit})

    async def _consumption(self, request: web.Request) -> web.Response:
        return web.json_response({"totalUsage": self.used})

    async def _content(self, request: web.Request) -> web.Response:
        message_id = request.match_info["id"]
        self.content_calls.append(message_id)
        if message_id not in self.contents:
            return web.json_response({"message": "Not found"}, status=404)
        data, mime = self.contents[message_id]
        return web.Response(body=data, content_type=mime)

    async def _profile(self, request: web.Request) -> web.Response:
        user = request.match_info["user"]
        if user not in self.profiles:
            return web.json_response({"message": "Not found"}, status=404)
        return web.json_response({"userId": user, "displayName": self.profiles[user], "language": "th"})


# ---------------------------------------------------------------- webhook requests


def sign(secret: str, body: bytes) -> str:
    """X-Line-Signature: base64 HMAC-SHA256 of the raw body with the channel secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Events:
    """Webhook event JSON as LINE sends it (user chats), numbered so each has its own ids."""

    def __init__(self) -> None:
        self._n = itertools.count(1)

    def _base(self, kind: str, user: str, timestamp_ms: int, *, reply: bool = True) -> dict[str, Any]:
        n = next(self._n)
        event: dict[str, Any] = {
            "type": kind, "mode": "active", "timestamp": timestamp_ms,
            "source": {"type": "user", "userId": user},
            "webhookEventId": f"01HEVENT{n:018d}", "deliveryContext": {"isRedelivery": False},
        }
        if reply:
            event["replyToken"] = f"reply-token-{n}"
        return event

    def text(self, user: str, text: str, timestamp_ms: int) -> dict[str, Any]:
        event = self._base("message", user, timestamp_ms)
        event["message"] = {"type": "text", "id": f"m{next(self._n)}", "text": text, "quoteToken": "q"}
        return event

    def image(self, user: str, message_id: str, timestamp_ms: int) -> dict[str, Any]:
        event = self._base("message", user, timestamp_ms)
        event["message"] = {"type": "image", "id": message_id, "quoteToken": "q",
                            "contentProvider": {"type": "line"}}
        return event

    def file(self, user: str, message_id: str, name: str, size: int, timestamp_ms: int) -> dict[str, Any]:
        event = self._base("message", user, timestamp_ms)
        event["message"] = {"type": "file", "id": message_id, "fileName": name, "fileSize": size}
        return event

    def postback(self, user: str, data: str, timestamp_ms: int) -> dict[str, Any]:
        event = self._base("postback", user, timestamp_ms)
        event["postback"] = {"data": data}
        return event

    def follow(self, user: str, timestamp_ms: int) -> dict[str, Any]:
        event = self._base("follow", user, timestamp_ms)
        event["follow"] = {"isUnblocked": False}
        return event

    def unfollow(self, user: str, timestamp_ms: int) -> dict[str, Any]:
        return self._base("unfollow", user, timestamp_ms, reply=False)


def webhook_body(*events: dict[str, Any], destination: str = "Ubot") -> bytes:
    return json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False).encode()
