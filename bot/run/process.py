"""The conversation core in a child process, so a bot on a 2-core machine uses both cores.

The channels (python-telegram-bot, aiohttp, the LINE SDK) and the conversation core (Thai
understanding, SQLite, scoring) are both Python: in one process they share one core (the GIL), and
a worker thread only makes them contend for it (measured slower than running inline). A child
process owns its own SQLite connection (WAL: the parent's reminders and look-ups read and write
the same file) and runs the same `Conversation.handle` (account linking included) as the inline runtime.

Wire: one `multiprocessing` pipe. Parent -> child ("handle", id, Incoming) with attachments already
loaded (bytes travel, not closures), or ("stop",). Child -> parent ("ready",), ("started", id, note)
as it begins a message, then ("done", id, replies) or ("failed", id). The note (`sender_note`: the
sender's person id and latest live submission, read by the child just before it handles the message)
is what the runtime needs to tell the truth if the message ends without its reply; a message whose
"started" never arrived was not begun. (The parent noted it itself before, one store-thread call per
message in the parent: about 330 µs of the parent's CPU a LINE event, bench/line_bench.py.) The parent
reads on its event loop (`loop.add_reader`), so no thread is involved on its side: the child frames its
messages itself (`send_frame`: an 8-byte length, then the pickle) and the parent takes whatever the pipe
holds with one read a wake-up (`Frames`), where `Connection.poll` and `recv` cost a selector and three
system calls a message (about 170 µs of the parent's CPU a LINE event). One child, handling one message
at a time, in arrival order (as inline).

Slow is not failed. A message that takes longer than SOFT_TIMEOUT (60 s) is logged and still waited
for: the sender gets the real reply when it comes, never an apology for work that commits later. Only
HARD_TIMEOUT (10 minutes) or the child's death ends the wait, and then the child is dead first (SIGKILL,
reaped: nothing of its can commit after) and `WorkerDied` tells the runtime whether the message had
begun (`started`: the child said "started"; it takes one at a time, in order) and the child's note.
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
import os
import pickle
import queue
import struct
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


Note = tuple[int | None, int | None]  # the sender's person id (None: unregistered), their latest live submission


def sender_note(store: Any, msg: Incoming) -> Note:
    """What the store holds for the sender before a message is handled (bot/run/runtime.py's outcome)."""
    person = store.person_by_identity(msg.channel, msg.sender)
    if person is None:
        return None, None
    last = store.last_submission_by(person.id)
    return person.id, None if last is None else last.id


_LENGTH = struct.Struct("!Q")


def send_frame(fd: int, message: Any) -> None:
    """The child's side of the wire: one message as its length and its pickle, written whole (blocking)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


class Frames:
    """The parent's side: bytes as they arrive, the complete messages among them."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        buffer = self._buffer
        buffer += data
        out: list[Any] = []
        start = 0
        while len(buffer) - start >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(buffer, start)
            end = start + _LENGTH.size + size
            if end > len(buffer):
                break
            out.append(pickle.loads(memoryview(buffer)[start + _LENGTH.size:end]))
            start = end
        if start:
            del buffer[:start]
        return out


class WorkerDied(RuntimeError):
    """The child ended (or was ended) with the message in hand; `started`: it had begun handling it (False:
    it was queued behind another message, or the child could not begin it, so it did nothing); `note`: the
    child's `sender_note` as it began."""

    def __init__(self, reason: str, *, started: bool = True, note: Note | None = None):
        super().__init__(reason)
        self.started = started
        self.note = note


class HandlingFailed(WorkerDied):
    """The child could not handle the message (and is still alive: nothing of that message commits after)."""


class ConversationProcess:
    """The parent's handle on the child: `await handle(msg)` -> replies."""

    def __init__(self, spec: WorkerSpec, catalogs: Mapping[str, Catalog]):
        self.spec = spec
        self.catalogs = dict(catalogs)
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[list[Reply]]] = {}
        self._notes: dict[int, Note] = {}  # messages the child has begun: their sender notes
        self._frames = Frames()
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
        self._process, self._conn, self._frames = process, parent, Frames()
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
            self._notes.pop(request, None)

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
        self._readable(drain=True)  # replies already in the pipe, then EOF: the rest fail with WorkerDied
        self._discard(WorkerDied("the conversation process was killed"))

    def _readable(self, drain: bool = False) -> None:
        """What the child sent: one read when the loop says the pipe is readable (it cannot block then);
        `drain`: everything up to the end (the child is dead)."""
        conn = self._conn
        if conn is None:
            return
        try:
            while True:
                data = os.read(conn.fileno(), 1 << 20)
                if not data:
                    raise EOFError
                self._take(self._frames.feed(data))
                if not drain:
                    return
        except (EOFError, OSError):
            code = self._process.exitcode if self._process is not None else None
            log.error("conversation process ended (exit code %s); %d message(s) in hand", code, len(self._pending))
            self._discard(WorkerDied(f"the conversation process ended (exit code {code})"))

    def _take(self, messages: list[Any]) -> None:
        for message in messages:
            kind = message[0]
            if kind == "ready":
                if self._ready is not None and not self._ready.done():
                    self._ready.set_result(None)
                continue
            request = message[1]
            future = self._pending.get(request)
            if future is None or future.done():
                continue
            if kind == "started":
                self._notes[request] = message[2]
            elif kind == "done":
                future.set_result(message[2])
            else:
                future.set_exception(HandlingFailed("the conversation process could not handle the message",
                                                    started=request in self._notes,
                                                    note=self._notes.get(request)))

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
            for request, future in self._pending.items():
                if not future.done():  # begun only if the child said so (the rest were queued behind it)
                    future.set_exception(WorkerDied(str(error), started=request in self._notes,
                                                    note=self._notes.get(request)))
                    future.exception()  # retrieved here too: a waiter may be gone (cancelled)
            self._pending.clear()
            self._notes.clear()


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
    out = conn.fileno()  # the child's messages are framed by send_frame (the parent reads them as Frames)
    send_frame(out, ("ready",))
    try:
        while True:
            message = inbox.get()
            if message[0] == "stop":
                break
            _kind, request, msg = message
            try:
                note = sender_note(store, msg)  # before anything of the message can commit
            except Exception:  # e.g. the database locked past the busy timeout: the message is not begun
                log.exception("update not handled: channel=%s chat=%s message=%s", msg.channel, msg.chat,
                              msg.message_id)
                with contextlib.suppress(OSError):
                    send_frame(out, ("failed", request))
                continue
            try:
                send_frame(out, ("started", request, note))
                replies = conversation.handle(msg)
                send_frame(out, ("done", request, replies))
            except (BrokenPipeError, EOFError):
                break
            except Exception:
                log.exception("update failed: channel=%s chat=%s message=%s", msg.channel, msg.chat, msg.message_id)
                with contextlib.suppress(OSError):
                    send_frame(out, ("failed", request))
    finally:
        store.close()
        with contextlib.suppress(OSError):
            conn.close()
