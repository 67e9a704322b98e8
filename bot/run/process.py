"""The conversation core in a child process, so a bot on a 2-core machine uses both cores.

The channels (python-telegram-bot, aiohttp, the LINE SDK) and the conversation core (Thai
understanding, SQLite, scoring) are both Python: in one process they share one core (the GIL), and
a worker thread only makes them contend for it (measured slower than running inline). A child
process owns its own SQLite connection (WAL: the parent's reminders and look-ups read and write
the same file) and runs the same `Conversation.handle` (account linking included) as the inline runtime.

Wire: one `multiprocessing` pipe. Parent -> child ("handle", id, Incoming) with attachments already
loaded (bytes travel, not closures), or ("stop",). Child -> parent ("ready",), ("done", id, replies)
or ("failed", id). The parent reads on its event loop (`loop.add_reader`), so no thread is involved
on its side. One child, handling one message at a time, in arrival order (as inline).

Slow is not failed. A message that takes longer than SOFT_TIMEOUT (60 s) is logged and still waited
for: the sender gets the real reply when it comes, never an apology for work that commits later. Only
HARD_TIMEOUT (10 minutes) or the child's death ends the wait, and then the child is dead first (SIGKILL,
reaped: nothing of its can commit after) and `WorkerDied` tells the runtime whether the message may have
started (`started`: only the first message in hand can have; the child takes one at a time, in order).
The runtime then reads the store for what the message left (bot/run/runtime.py) and says that; the next
message starts a new child. A submission is written in one transaction: killed mid-way, it is not there.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import logging
import multiprocessing
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from handlers.messages import Incoming, Reply
from scoring.model import Catalog

log = logging.getLogger("kpibot.worker")
START_TIMEOUT = 60.0  # seconds for a child to import, warm up Thai NLP and open the store
SOFT_TIMEOUT = 60.0  # seconds one message may take before a warning is logged (the wait goes on)
HARD_TIMEOUT = 600.0  # seconds after which the child is killed and the message's outcome read from the store


@dataclass(frozen=True)
class WorkerSpec:
    """What a child needs to open the same store: paths only (it is pickled to the child). `conversation`:
    "module:name" of a Conversation class (or factory) to run instead of handlers' own (tests slow it down)."""

    db: str
    evidence_dir: str
    conversation: str = ""


@dataclass(frozen=True)
class Loaded:
    """An attachment's bytes, as a picklable `Attachment.load`."""

    data: bytes

    def __call__(self) -> bytes:
        return self.data


def wire(msg: Incoming) -> Incoming:
    """The message as it crosses the pipe: attachments loaded in the parent (channels download there)."""
    if not msg.attachments:
        return msg
    return replace(msg, attachments=tuple(replace(a, load=Loaded(a.load())) for a in msg.attachments))


class WorkerDied(RuntimeError):
    """The child ended (or was ended) with the message in hand; `started`: it may have begun handling it
    (False: it was queued behind another message, so it did nothing)."""

    def __init__(self, reason: str, *, started: bool = True):
        super().__init__(reason)
        self.started = started


class HandlingFailed(RuntimeError):
    """The child raised while handling the message (and is still alive: nothing of that message commits after)."""


class ConversationProcess:
    """The parent's handle on the child: `await handle(msg)` -> replies."""

    def __init__(self, spec: WorkerSpec, catalogs: Mapping[str, Catalog]):
        self.spec = spec
        self.catalogs = dict(catalogs)
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[list[Reply]]] = {}
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Future[None] | None = None
        self.starts = 0

    # -- lifecycle -------------------------------------------------------------------------------
    def _spawn(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs an event loop
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_child_main, args=(child, self.spec, self.catalogs),
                              name="kpibot-conversation", daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        self._loop = asyncio.get_running_loop()
        self._ready = self._loop.create_future()
        self._loop.add_reader(parent.fileno(), self._readable)
        self.starts += 1
        log.info("conversation process %s started", process.pid)

    async def start(self) -> None:
        """Start the child (if it is not running) and wait until it has warmed up."""
        if self._process is None or not self._process.is_alive() or self._conn is None:
            self._discard(None)
            self._spawn()
        assert self._ready is not None
        await asyncio.wait_for(asyncio.shield(self._ready), START_TIMEOUT)

    def close(self) -> None:
        """Ask the child to finish what it holds and exit; make sure it has."""
        process, conn = self._process, self._conn
        if conn is not None:
            with contextlib.suppress(OSError, ValueError):
                conn.send(("stop",))
        if process is not None:
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join(5)
        self._discard(WorkerDied("closed"))

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    # -- messages --------------------------------------------------------------------------------
    async def handle(self, msg: Incoming) -> list[Reply]:
        """The child's replies to one message; raises WorkerDied or HandlingFailed (see the module docstring)."""
        try:
            await self.start()
        except WorkerDied as exc:
            raise WorkerDied(str(exc), started=False) from exc
        except TimeoutError as exc:
            raise WorkerDied("the conversation process did not start in time", started=False) from exc
        assert self._conn is not None and self._loop is not None
        wired = wire(msg)  # before the request exists: a download that fails sent nothing
        request = next(self._ids)
        future: asyncio.Future[list[Reply]] = self._loop.create_future()
        self._pending[request] = future
        try:
            self._conn.send(("handle", request, wired))
        except (OSError, ValueError) as exc:
            self._pending.pop(request, None)
            self._discard(WorkerDied(str(exc)))
            raise WorkerDied("the conversation process is gone", started=False) from exc
        try:
            return await self._wait(request, future, msg)
        finally:
            self._pending.pop(request, None)

    async def _wait(self, request: int, future: asyncio.Future[list[Reply]], msg: Incoming) -> list[Reply]:
        """The real reply however long it takes, up to HARD_TIMEOUT; then the child is killed first."""
        t0 = self._loop.time() if self._loop is not None else 0.0
        done, _ = await asyncio.wait((future,), timeout=SOFT_TIMEOUT)
        if not done:
            log.warning("message %s (channel=%s chat=%s) still in hand after %.0f s; waiting on",
                        request, msg.channel, msg.chat, SOFT_TIMEOUT)
            done, _ = await asyncio.wait((future,), timeout=max(0.0, HARD_TIMEOUT - SOFT_TIMEOUT))
        if not done:
            log.error("message %s (channel=%s chat=%s) unanswered after %.0f s: killing the conversation process",
                      request, msg.channel, msg.chat, (self._loop.time() if self._loop else 0.0) - t0)
            self.kill()
        return future.result()  # the reply, or WorkerDied / HandlingFailed

    def kill(self) -> None:
        """End the child now (SIGKILL) and wait until it is gone; a reply it sent before dying still counts."""
        process = self._process
        if process is not None and process.is_alive():
            process.kill()
            process.join(10)
        self._readable()  # replies already in the pipe, then EOF: the rest fail with WorkerDied
        self._discard(WorkerDied("the conversation process was killed"))

    def _readable(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            while conn.poll():
                message = conn.recv()
                kind = message[0]
                if kind == "ready":
                    if self._ready is not None and not self._ready.done():
                        self._ready.set_result(None)
                    continue
                future = self._pending.get(message[1])
                if future is None or future.done():
                    continue
                if kind == "done":
                    future.set_result(message[2])
                else:
                    future.set_exception(HandlingFailed("the conversation process could not handle the message"))
        except (EOFError, OSError):
            code = self._process.exitcode if self._process is not None else None
            log.error("conversation process ended (exit code %s); %d message(s) in hand", code, len(self._pending))
            self._discard(WorkerDied(f"the conversation process ended (exit code {code})"))

    def _discard(self, error: Exception | None) -> None:
        """Forget the current child: stop reading it, fail what it held."""
        if self._conn is not None:
            if self._loop is not None and not self._loop.is_closed():
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(self._conn.fileno())
            with contextlib.suppress(OSError):
                self._conn.close()
        self._conn = None
        if self._process is not None and not self._process.is_alive():
            self._process = None
        if error is not None:
            if self._ready is not None and not self._ready.done():
                self._ready.set_exception(error)
                self._ready.exception()  # retrieved: no "never retrieved" warning
            first = min(self._pending, default=None)  # the one in hand; the rest were queued behind it
            for request, future in self._pending.items():
                if not future.done():
                    started = request == first and getattr(error, "started", True)
                    future.set_exception(WorkerDied(str(error), started=started))
                    future.exception()  # retrieved here too: a waiter may be gone (cancelled)
            self._pending.clear()


# -- the child -------------------------------------------------------------------------------------
def _child_main(conn: Connection, spec: WorkerSpec, catalogs: dict[str, Catalog]) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s [conversation] %(message)s")
    from bot.exports.renderer import ExportRenderer
    from bot.store.sqlite import SqliteStore
    from handlers.conversation import Conversation
    from handlers.nlu import warm_up

    warm_up()
    make: Any = Conversation
    if spec.conversation:
        module, _, name = spec.conversation.partition(":")
        make = getattr(importlib.import_module(module), name)
    store = SqliteStore(Path(spec.db), Path(spec.evidence_dir))
    conversation = make(store, catalogs, ExportRenderer())
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def receive() -> None:  # keeps the pipe drained, so the parent's send never waits on our handling
        try:
            while True:
                message = conn.recv()
                inbox.put(message)
                if message[0] == "stop":
                    return
        except (EOFError, OSError):
            inbox.put(("stop",))

    threading.Thread(target=receive, name="kpibot-conversation-inbox", daemon=True).start()
    conn.send(("ready",))
    try:
        while True:
            message = inbox.get()
            if message[0] == "stop":
                break
            _kind, request, msg = message
            try:
                replies = conversation.handle(msg)
                conn.send(("done", request, replies))
            except (BrokenPipeError, EOFError):
                break
            except Exception:
                log.exception("update failed: channel=%s chat=%s message=%s", msg.channel, msg.chat, msg.message_id)
                with contextlib.suppress(OSError):
                    conn.send(("failed", request))
    finally:
        store.close()
        with contextlib.suppress(OSError):
            conn.close()
