"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

PTB talks HTTP through a `telegram.request.BaseRequest`; its default, `HTTPXRequest`, spends most
of a bare bot's time in httpx/httpcore: an echo bot against the loopback stand-in handled about
580 updates/s with it and about 1,650/s with this class (bench/telegram_bench.py prints both).
aiohttp is already our web server (LINE webhook, Telegram webhook, stand-ins), so this costs no
new dependency. The PTB team's own aiohttp request lives in ptbcontrib, which is published on
GitHub only (not on PyPI), so it cannot be installed from our package files; this is the same idea
in our words, with PTB's error mapping (TimedOut, NetworkError) and timeouts.

Set `KPIBOT_TELEGRAM_HTTP=httpx` to fall back to PTB's default transport.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one `aiohttp.ClientSession` (keep-alive pool of `connection_pool_size`).

    Timeouts keep PTB's meaning: `read_timeout` = most seconds between bytes of the answer (a long
    poll passes its own, longer one), `connect_timeout` = opening a connection, `pool_timeout` =
    waiting for a free connection (added to the connect budget: aiohttp counts both as "connect"),
    `write_timeout` = sending the request (aiohttp has no write timeout: for uploads it bounds the
    whole request together with the read timeout). Proxies come from the environment
    (HTTPS_PROXY, NO_PROXY), as with httpx.
    """

    __slots__ = ("_connect_timeout", "_media_write_timeout", "_pool_size", "_pool_timeout", "_read_timeout",
                 "_session", "_write_timeout")

    def __init__(self, connection_pool_size: int = 8, *, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0):
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                trust_env=True,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE,
                         write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        has_files = request_data is not None and request_data.contains_files
        unset = BaseRequest.DEFAULT_NONE  # "not passed" (PTB documents checking it with `is`)
        read = self._read_timeout if read_timeout is unset else read_timeout
        connect = self._connect_timeout if connect_timeout is unset else connect_timeout
        pool = self._pool_timeout if pool_timeout is unset else pool_timeout
        write = write_timeout
        if write is unset:
            write = self._media_write_timeout if has_files else self._write_timeout
        total = None
        if has_files and write is not None:
            total = write + (read or 0)  # an upload: sending it plus reading the answer
        timeout = aiohttp.ClientTimeout(
            total=total,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with session.request(method, url, data=_body(request_data), timeout=timeout) as res:
                return res.status, await res.read()
        except TimeoutError as err:  # aiohttp raises asyncio.TimeoutError, the builtin since 3.11
            if isinstance(err, aiohttp.ConnectionTimeoutError) and pool is not None:
                raise TimedOut(message="Pool timeout or connect timeout: the request was not sent to "
                                       "Telegram. Consider a larger connection pool.") from err
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields (urlencoded), or multipart when files are attached, as PTB's httpx transport sends."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields or None
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def make_request(kind: str, connection_pool_size: int, *, read_timeout: float | None,
                 write_timeout: float | None = 30.0, connect_timeout: float | None = 10.0,
                 pool_timeout: float | None = 10.0) -> BaseRequest:
    """The transport named `kind` ("aiohttp", the default, or "httpx": PTB's own)."""
    if kind == "httpx":
        return HTTPXRequest(connection_pool_size=connection_pool_size, read_timeout=read_timeout,
                            write_timeout=write_timeout, connect_timeout=connect_timeout, pool_timeout=pool_timeout)
    if kind != "aiohttp":
        raise ValueError(f"unknown Telegram HTTP transport {kind!r} (aiohttp or httpx)")
    return AiohttpRequest(connection_pool_size, read_timeout=read_timeout, write_timeout=write_timeout,
                          connect_timeout=connect_timeout, pool_timeout=pool_timeout)
