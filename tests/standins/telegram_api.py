"""A Telegram Bot API stand-in on 127.0.0.1 (aiohttp), for end-to-end tests and benchmarks.

It speaks the HTTP the real python-telegram-bot client speaks: `POST {base_url}{token}/{method}` with
form-encoded or multipart bodies (complex values as JSON strings), answers `{"ok": ..., "result": ...}`,
and serves files at `{base_file_url}{token}/{file_path}`.

    api = TelegramStandIn(token="123:ABC")
    await api.start()
    app = ApplicationBuilder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url)...
    api.inject_message(chat_id=42, text="สวัสดี")
    await api.wait_sent(chat_id=42, count=1)
    await api.stop()   # wakes pending long polls at once

Methods: getMe, deleteWebhook, setWebhook, getWebhookInfo, getUpdates (long poll, offset confirms),
sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery, sendPhoto, sendDocument,
sendChatAction, getFile (+ download), setMyCommands, getMyCommands, deleteMyCommands, close, logOut.
Faults: fail_next (429 with retry_after or any status), fail_5xx, slow, block (403), and optional
rate limits (overall messages/s and per chat) answered with 429 like Telegram's flood control.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"})
JSON_PARAMS = frozenset({"reply_markup", "commands", "allowed_updates", "entities", "caption_entities", "scope",
                         "link_preview_options", "reply_parameters"})
INT_PARAMS = frozenset({"offset", "limit", "timeout", "message_id", "reply_to_message_id", "max_connections",
                        "cache_time"})
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files ("file is too big")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    time: float  # time.monotonic()
    status: int = 200


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    kind: str  # "text" | "photo" | "document"
    text: str | None = None  # text, or the caption of a photo/document
    reply_markup: dict[str, Any] | None = None
    file: bytes | None = None
    file_name: str | None = None
    edits: int = 0
    time: float = 0.0

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of the inline keyboard, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [(b.get("text"), b.get("callback_data")) for row in rows for b in row]


@dataclass
class _File:
    file_id: str
    unique_id: str
    data: bytes
    path: str
    size: int  # the size Telegram reports (may exceed len(data) to simulate big files)


@dataclass
class _Fault:
    status: int
    times: int
    retry_after: int | None = None
    description: str | None = None


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)  # not yet confirmed
    next_update_id: int = 1
    confirmed: int = 0  # the highest update_id confirmed by an offset


class TelegramStandIn:
    def __init__(self, token: str = "123456:TEST-token", rate_limit_per_second: float | None = None,
                 per_chat_limit: float | None = None, *, bot_id: int = 900001, username: str = "kpi_test_bot",
                 host: str = "127.0.0.1", port: int = 0):
        self.token = token
        self.rate_limit_per_second = rate_limit_per_second
        self.per_chat_limit = per_chat_limit
        self.bot_id = bot_id
        self.username = username
        self.host = host
        self.port = port
        self.calls: list[Call] = []
        self.messages: list[SentMessage] = []
        self._message_index: dict[tuple[int, int], SentMessage] = {}  # (chat, message id): edits look up in O(1)
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self.too_many_requests = 0  # 429s returned (faults and rate limits)
        self.rate_limited = 0  # 429s returned by the rate limits alone
        self._state = _State()
        self._files: dict[str, _File] = {}
        self._by_path: dict[str, _File] = {}
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._slow: dict[str, float] = {}
        self._blocked: set[int] = set()
        self._chat_types: dict[int, str] = {}
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._sent_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self.listeners: list[Any] = []  # callables(SentMessage) told of every message sent or edited
        self._wake = asyncio.Event()
        self._stopping = False
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._stopping = False

    async def stop(self) -> None:
        """Stop serving; pending long polls return at once."""
        self._stopping = True
        self._wake.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    # -- faults ------------------------------------------------------------------------------
    def fail_next(self, method: str, status: int = 429, retry_after: int | None = 1, times: int = 1,
                  description: str | None = None) -> None:
        """The next `times` calls of `method` fail with `status` (429: with `retry_after` seconds)."""
        self._faults[method].append(_Fault(status, times, retry_after if status == 429 else None, description))

    def fail_5xx(self, method: str, times: int = 1, status: int = 502) -> None:
        self._faults[method].append(_Fault(status, times, None, "Bad Gateway"))

    def slow(self, method: str, seconds: float) -> None:
        """Delay every answer to `method` (0 to undo)."""
        if seconds:
            self._slow[method] = seconds
        else:
            self._slow.pop(method, None)

    def block(self, chat_id: int | str) -> None:
        """This user blocked the bot: sends to the chat get 403."""
        self._blocked.add(int(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        self._blocked.discard(int(chat_id))

    # -- injecting updates -------------------------------------------------------------------
    def _push_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = self._state.next_update_id
        self._state.next_update_id += 1
        self._state.updates.append({"update_id": update_id, kind: payload})
        self._wake.set()
        return update_id

    def _user(self, user_id: int, first_name: str, username: str | None) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "th"}
        if username:
            user["username"] = username
        return user

    def _chat(self, chat_id: int, chat_type: str | None, title: str | None = None) -> dict[str, Any]:
        kind = chat_type or self._chat_types.get(chat_id) or ("private" if chat_id > 0 else "supergroup")
        self._chat_types[chat_id] = kind
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind != "private":
            chat["title"] = title or "กลุ่มทดสอบ"
        return chat

    def _entities(self, text: str) -> list[dict[str, Any]]:
        out = []
        if text.startswith("/"):
            length = len(text.split()[0])
            out.append({"type": "bot_command", "offset": 0, "length": length})
        start = 0
        while (pos := text.find("@", start)) >= 0:
            end = pos + 1
            while end < len(text) and (text[end].isalnum() or text[end] == "_"):
                end += 1
            if end - pos > 1 and not (out and out[0]["type"] == "bot_command" and pos < out[0]["length"]):
                out.append({"type": "mention", "offset": _utf16_len(text[:pos]), "length": _utf16_len(text[pos:end])})
            start = end
        return out

    def _message(self, chat_id: int, user_id: int | None, *, first_name: str, username: str | None,
                 chat_type: str | None, date: float | None, reply_to: int | None) -> dict[str, Any]:
        user_id = user_id if user_id is not None else chat_id
        message: dict[str, Any] = {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(date if date is not None else time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": self._user(user_id, first_name, username),
        }
        if reply_to is not None:
            original = self.message(chat_id, reply_to)
            message["reply_to_message"] = (self._as_update_message(original) if original is not None else
                                           {"message_id": reply_to, "date": message["date"],
                                            "chat": message["chat"]})
        return message

    def inject_message(self, chat_id: int, text: str, user_id: int | None = None, *, first_name: str = "สมชาย",
                       username: str | None = None, chat_type: str | None = None, date: float | None = None,
                       reply_to: int | None = None) -> int:
        """A text message from a user (user_id defaults to chat_id: a private chat). Returns the update_id."""
        message = self._message(chat_id, user_id, first_name=first_name, username=username, chat_type=chat_type,
                                 date=date, reply_to=reply_to)
        message["text"] = text
        entities = self._entities(text)
        if entities:
            message["entities"] = entities
        return self._push_update("message", message)

    def inject_callback(self, chat_id: int, message_id: int, data: str, user_id: int | None = None, *,
                        first_name: str = "สมชาย", username: str | None = None) -> int:
        """A press of an inline button under the bot's message `message_id` in `chat_id`."""
        user_id = user_id if user_id is not None else chat_id
        sent = self.message(chat_id, message_id)
        message = (self._as_update_message(sent) if sent is not None else
                   {"message_id": message_id, "date": int(time.time()), "chat": self._chat(chat_id, None)})
        query = {"id": str(next(self._ids)), "from": self._user(user_id, first_name, username),
                 "chat_instance": str(chat_id), "data": data, "message": message}
        return self._push_update("callback_query", query)

    def add_file(self, data: bytes, path: str, size: int | None = None) -> _File:
        n = next(self._ids)
        f = _File(f"FILE{n}", f"U{n}", data, f"{path.rsplit('.', 1)[0]}_{n}.{path.rsplit('.', 1)[-1]}",
                  size if size is not None else len(data))
        self._files[f.file_id] = f
        self._by_path[f.path] = f
        return f

    def inject_photo(self, chat_id: int, data: bytes, caption: str | None = None, user_id: int | None = None, *,
                     thumbnail: bytes | None = None, first_name: str = "สมชาย", chat_type: str | None = None,
                     date: float | None = None) -> int:
        """A photo: Telegram sends several sizes; `data` is the largest, a small thumbnail comes first."""
        message = self._message(chat_id, user_id, first_name=first_name, username=None, chat_type=chat_type,
                                date=date, reply_to=None)
        small = self.add_file(thumbnail if thumbnail is not None else b"thumbnail:" + data[:64], "photos/s.jpg")
        big = self.add_file(data, "photos/file.jpg")
        message["photo"] = [
            {"file_id": small.file_id, "file_unique_id": small.unique_id, "width": 90, "height": 90,
             "file_size": small.size},
            {"file_id": big.file_id, "file_unique_id": big.unique_id, "width": 1280, "height": 960,
             "file_size": big.size},
        ]
        if caption:
            message["caption"] = caption
        return self._push_update("message", message)

    def inject_document(self, chat_id: int, data: bytes, file_name: str, mime_type: str | None = None,
                        caption: str | None = None, user_id: int | None = None, *, file_size: int | None = None,
                        first_name: str = "สมชาย", chat_type: str | None = None, date: float | None = None) -> int:
        """A file sent as a document (original bytes). `file_size` may claim more than len(data)."""
        message = self._message(chat_id, user_id, first_name=first_name, username=None, chat_type=chat_type,
                                date=date, reply_to=None)
        ext = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        f = self.add_file(data, f"documents/file.{ext}", file_size)
        message["document"] = {"file_id": f.file_id, "file_unique_id": f.unique_id, "file_name": file_name,
                               "file_size": f.size}
        if mime_type:
            message["document"]["mime_type"] = mime_type
        if caption:
            message["caption"] = caption
        return self._push_update("message", message)

    def inject_raw(self, update: dict[str, Any]) -> int:
        """Any update body (without update_id)."""
        kind, payload = next(iter(update.items()))
        return self._push_update(kind, payload)

    async def deliver_webhook(self, url: str, secret: str | None = None, timeout: float = 10.0) -> list[int]:
        """Post the pending updates to the bot's webhook server at `url` (loopback) as Telegram would,
        with `X-Telegram-Bot-Api-Secret-Token` = `secret` (default: the one given to setWebhook).
        Updates answered 200 are done; returns the HTTP statuses."""
        import aiohttp

        secret = self.webhook.get("secret_token") if secret is None else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        statuses = []
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            for update in list(self._state.updates):
                async with session.post(url, json=update, headers=headers) as response:
                    statuses.append(response.status)
                    if response.status == 200:
                        self._state.updates.remove(update)
                        self._state.confirmed = max(self._state.confirmed, update["update_id"])
        return statuses

    # -- what the bot did --------------------------------------------------------------------
    def sent_messages(self, chat_id: int | str | None = None) -> list[SentMessage]:
        return [m for m in self.messages if chat_id is None or m.chat_id == int(chat_id)]

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        return self._message_index.get((int(chat_id), int(message_id)))

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (a later getUpdates offset confirms them)."""
        return list(self._state.updates)

    @property
    def confirmed_update_id(self) -> int:
        return self._state.confirmed

    @property
    def last_update_id(self) -> int:
        return self._state.next_update_id - 1

    async def wait_for(self, predicate, timeout: float = 10.0, what: str = "condition") -> None:
        """Wait until predicate() is true; AssertionError after `timeout` seconds (tests never hang)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"stand-in: timed out after {timeout}s waiting for {what}")
            await asyncio.sleep(0.01)

    async def wait_sent(self, chat_id: int | str | None = None, count: int = 1, timeout: float = 10.0
                        ) -> list[SentMessage]:
        await self.wait_for(lambda: len(self.sent_messages(chat_id)) >= count, timeout,
                            f"{count} message(s) to chat {chat_id}")
        return self.sent_messages(chat_id)

    # -- HTTP --------------------------------------------------------------------------------
    def _error(self, status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
            self.too_many_requests += 1
        return web.json_response(body, status=status)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                for key, value in form.items():
                    if hasattr(value, "file"):  # multipart upload
                        params[key] = {"file_name": value.filename, "data": value.file.read()}
                    else:
                        params[key] = value
        for key in list(params):
            value = params[key]
            if key in JSON_PARAMS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
            elif key in INT_PARAMS | {"chat_id"} and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    params[key] = int(value)
        return params

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._error(404, "Not Found")
        params = await self._params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        if method in self._slow and not self._stopping:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopped(), self._slow[method])
        queue = self._faults.get(method)
        if queue:
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.popleft()
            call.status = fault.status
            if fault.status == 429:
                return self._error(429, fault.description or f"Too Many Requests: retry after {fault.retry_after}",
                                   fault.retry_after)
            return self._error(fault.status, fault.description or "Internal Server Error")
        chat_id = params.get("chat_id")
        if method in SEND_METHODS and isinstance(chat_id, int):
            if chat_id in self._blocked:
                call.status = 403
                return self._error(403, "Forbidden: bot was blocked by the user")
            limited = self._rate_limited(chat_id)
            if limited:
                call.status = 429
                self.rate_limited += 1
                return self._error(429, f"Too Many Requests: retry after {limited}", limited)
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            call.status = 404
            return self._error(404, "Not Found: method not found")
        try:
            result = await handler(params)
        except _ApiError as exc:
            call.status = exc.status
            return self._error(exc.status, exc.description)
        return web.json_response({"ok": True, "result": result})

    def _rate_limited(self, chat_id: int) -> int | None:
        now = time.monotonic()
        if self.rate_limit_per_second:
            window = self._sent_window
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.rate_limit_per_second:
                return 1
        if self.per_chat_limit:
            chat = self._chat_windows[chat_id]
            while chat and now - chat[0] >= 1.0:
                chat.popleft()
            if len(chat) >= self.per_chat_limit:
                return 1
        if self.rate_limit_per_second:
            self._sent_window.append(now)
        if self.per_chat_limit:
            self._chat_windows[chat_id].append(now)
        return None

    async def _stopped(self) -> None:
        while not self._stopping:
            await asyncio.sleep(0.05)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=404)
        self.calls.append(Call("download", {"path": request.match_info["path"]}, time.monotonic()))
        f = self._by_path.get(request.match_info["path"])
        if f is None:
            return web.Response(status=404)
        return web.Response(body=f.data, content_type="application/octet-stream")

    # -- methods -----------------------------------------------------------------------------
    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "KPI Bot", "username": self.username,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return self._bot_user()

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {}
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._state.updates.clear()
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {"url": params.get("url"), "secret_token": params.get("secret_token")}
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._state.updates)}

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook.get("url"):
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._confirm(offset)
        deadline = time.monotonic() + timeout
        while not self._state.updates and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), remaining)
        return [] if self._stopping else self._state.updates[:limit]

    def _confirm(self, offset: int) -> None:
        """An offset confirms every update with a lower id (Telegram then forgets them)."""
        if offset - 1 > self._state.confirmed:
            self._state.confirmed = offset - 1
        self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]

    def _chat_id(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _record(self, params: dict[str, Any], kind: str, text: str | None, file: dict[str, Any] | None = None
                ) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        if text is not None and len(text) > (4096 if kind == "text" else 1024):
            raise _ApiError(400, "Bad Request: message is too long")
        sent = SentMessage(chat_id, next(self._message_ids[chat_id]), kind, text, params.get("reply_markup"),
                           file["data"] if file else None, file["file_name"] if file else None,
                           time=time.monotonic())
        self.messages.append(sent)
        self._message_index[(sent.chat_id, sent.message_id)] = sent
        self._tell(sent)
        return self._as_update_message(sent)

    def _as_update_message(self, sent: SentMessage) -> dict[str, Any]:
        message: dict[str, Any] = {"message_id": sent.message_id, "date": int(time.time()),
                                   "chat": self._chat(sent.chat_id, None), "from": self._bot_user()}
        if sent.kind == "text":
            message["text"] = sent.text or ""
        elif sent.text:
            message["caption"] = sent.text
        if sent.kind == "photo":
            message["photo"] = [{"file_id": f"P{sent.message_id}", "file_unique_id": f"UP{sent.message_id}",
                                 "width": 800, "height": 600}]
        if sent.kind == "document":
            message["document"] = {"file_id": f"D{sent.message_id}", "file_unique_id": f"UD{sent.message_id}",
                                   "file_name": sent.file_name or "file"}
        if sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        return message

    def _tell(self, sent: SentMessage) -> None:
        for listener in self.listeners:
            listener(sent)

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        text = params.get("text")
        if not text:
            raise _ApiError(400, "Bad Request: message text is empty")
        return self._record(params, "text", text)

    async def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        photo = params.get("photo")
        if not isinstance(photo, dict):
            raise _ApiError(400, "Bad Request: there is no photo in the request")
        return self._record(params, "photo", params.get("caption"), photo)

    async def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        document = params.get("document")
        if not isinstance(document, dict):
            raise _ApiError(400, "Bad Request: there is no document in the request")
        return self._record(params, "document", params.get("caption"), document)

    async def _m_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    def _editable(self, params: dict[str, Any]) -> SentMessage:
        sent = self.message(self._chat_id(params), int(params.get("message_id") or 0))
        if sent is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return sent

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        sent = self._editable(params)
        text = params.get("text")
        markup = params.get("reply_markup")
        if text == sent.text and markup == sent.reply_markup:
            raise _ApiError(400, "Bad Request: message is not modified")
        sent.text, sent.reply_markup = text, markup
        sent.edits += 1
        self._tell(sent)
        return self._as_update_message(sent)

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        sent = self._editable(params)
        sent.reply_markup = params.get("reply_markup")
        sent.edits += 1
        return self._as_update_message(sent)

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        self.callback_answers.append(params)
        return True

    async def _m_getFile(self, params: dict[str, Any]) -> Any:
        f = self._files.get(str(params.get("file_id")))
        if f is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if f.size > DOWNLOAD_LIMIT:
            raise _ApiError(400, "Bad Request: file is too big")
        return {"file_id": f.file_id, "file_unique_id": f.unique_id, "file_size": f.size, "file_path": f.path}

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        self.commands = list(params.get("commands") or [])
        return True

    async def _m_getMyCommands(self, params: dict[str, Any]) -> Any:
        return self.commands

    async def _m_deleteMyCommands(self, params: dict[str, Any]) -> Any:
        self.commands = []
        return True

    async def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_logOut(self, params: dict[str, Any]) -> Any:
        return True


class _ApiError(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def _utf16_len(text: str) -> int:
    """Telegram entity offsets count UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
