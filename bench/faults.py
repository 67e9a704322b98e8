"""Faults: the shipped `kpibot run` killed with SIGKILL again and again, against the Bot API stand-in.

Part 1, reports (issue 13: "killed at any moment, nothing acknowledged is lost, nothing is stored
twice, every update is answered"). `kpibot run` (the console script, a subprocess; Telegram pointed
at tests/standins/telegram_api.py on 127.0.0.1, the conversation in its own process as on any
2-core machine) on a database on disk with 40 registered reporters. Each reporter, in a closed loop
with a short think time: "รายงาน ตชว.1 เบิกจ่าย NN.N%" (a value of its own, never repeated), waits for
the card, presses ยืนยัน, waits for "บันทึกแล้วค่ะ"; an apology makes it send or press again. Meanwhile
the bot is killed (SIGKILL) 10 times at random moments and started again at once on the same
database and stand-in (which keeps unconfirmed updates, as Telegram does), and the conversation
child is killed 3 times. After the last life has caught up the figures are read from the stand-in
(what each user saw) and the database (sqlite3, directly):
  sent          updates the users sent (messages and presses)
  answered      updates that got their answer: a report its card (or an apology), a press its card
                edited (or a message)
  acknowledged  reports whose card the user saw turn into "บันทึกแล้วค่ะ"
  stored        rows in `submissions` for the 40 reporters
  lost          acknowledged but not stored                                       target 0
  duplicated    a second version with the same figures (one confirm stored twice) target 0
  unanswered    updates without an answer after recovery                          target 0
For the record: stored without the user seeing "บันทึกแล้วค่ะ", and answers given twice (a card
sent again after a kill between answering and recording; the card is idempotent to press).

Part 2, the reminder fan-out (bot/reminders/engine.py: two-phase outbox, at most once on Telegram).
300 reporters due a reminder (Tuesday 17 June 2025 08:05, the 20 June cutoff); the bot killed 5 times
in the middle of the fan-out; the stand-in answers 502 without delivering for some chats, delivers
and then answers 502 for others, and delivers and answers too late (a read timeout) for a few, and
rate-limits at 30/s. Telegram has no idempotency key, so a request that may have arrived is never
repeated: figures are planned (outbox rows), delivered (chats the stand-in saw a message in),
duplicates (target 0), missed (no message) against the rows the outbox reports in flight or unknown
(target: missed <= unknown, and every missed chat is one of them: none lost silently).
This part runs the same `kpibot run` entry point (bot.cli.main.main(["run"])) with two changes made
before it starts: the reminder engine's clock is fixed at that Tuesday morning (with the real clock
what is due depends on the day and the hour) and the first tick comes after 1 s instead of 10.

Measured on this machine (2 cores, Python 3.11, seed 13, 184 s in all; others were using the machine):
  reports: 10 bot kills (280 updates unconfirmed at them; 7-10 s from kill to the next life's first
  poll), 3 child kills; 702 updates sent, 702 answered, 293 acknowledged, 294 stored; lost 0,
  duplicated 0, unanswered 0 (1 stored without the user seeing "บันทึกแล้วค่ะ", 1 card sent again,
  16 apologies). Reminders: 300 planned, 293 delivered, duplicates 0, missed 7 against 17 unknown
  (5 in flight at the kills), none missed silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "4242:FAULTS"
SEED = 13
APOLOGY = "ขออภัยค่ะ ระบบขัดข้องชั่วคราว"
SAVED = "บันทึกแล้วค่ะ"

# part 1
USERS_PER_DISTRICT = 5  # x 8 districts = 40 reporters
BOT_KILLS, CHILD_KILLS = 10, 3
KILL_AFTER = (0.2, 1.5)  # seconds after a life is up (or after the last kill) that the next kill comes
THINK = (0.1, 0.6)  # a user's pause between two actions
ANSWER_TIMEOUT = 40.0  # a user gives up waiting for an answer (after recovery it is counted unanswered)
# part 2
FANOUT = 300
REMINDER_KILLS = 5
REMINDER_KILL_AFTER = (0.3, 1.5)  # seconds after the first reminder of a life
REFUSED_502, DELIVERED_502, LATE = 6, 6, 3  # chats whose first request fails so
LATE_SECONDS = 16.0  # beyond the channel's 15 s read timeout for sends
LIMIT = 30  # messages/s the stand-in allows
REMINDER_UNITS = ("yala-mueang", "yala-thanto", "yala-yaha")  # monthly KPIs due on the 20th only
REMINDER_MOMENT = (2025, 6, 17, 8, 5)

SHIM = f"""
import functools, sys
from datetime import datetime
import bot.reminders.engine as engine
from scoring.thaidate import BANGKOK
moment = datetime(*{REMINDER_MOMENT!r}, tzinfo=BANGKOK)
engine.system_clock = lambda: moment
engine.install = functools.partial(engine.install, first=1.0)
from bot.cli.main import main
sys.exit(main(["run"]))
"""


# -- the bot as a process ---------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


class BotProcess:
    """`kpibot run` as a subprocess, its output appended to one log file over all its lives."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path, api):
        self.argv, self.env, self.log_path, self.api = argv, env, log_path, api
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self.lives = 0
        self.orphans = 0  # conversation children still alive 10 s after their parent was killed
        self.down: list[float] = []  # seconds from a kill to the next life's first getUpdates
        self._watch: list[asyncio.Task] = []

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            log.write(f"---- life {self.lives + 1} ----\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.started = time.monotonic()
        self.lives += 1

    async def ready(self, timeout: float = 60.0) -> None:
        """Up: its getMe (the first call of a life), then a getUpdates, have reached the stand-in. (A killed
        life's last requests may still be read by the stand-in after the next life was started.)"""
        deadline = self.started + timeout
        me = None
        while True:
            calls = self.api.calls[-300:]
            if me is None:
                me = next((c for c in calls if c.method == "getMe" and c.time >= self.started), None)
            if me is not None and any(c.method == "getUpdates" and c.time > me.time for c in calls):
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"kpibot run exited with {self.proc.returncode}: see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"kpibot run not up after {timeout} s: see {self.log_path}")
            await asyncio.sleep(0.02)

    def conversation_pid(self) -> int | None:
        if self.proc is None:
            return None
        for pid in _children(self.proc.pid):
            with contextlib.suppress(OSError):
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
        return None

    async def kill(self) -> None:
        assert self.proc is not None
        child = self.conversation_pid()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        if child is not None:
            self._watch.append(asyncio.create_task(self._orphan(child)))

    async def _orphan(self, child: int) -> None:
        """The killed bot's conversation child should read EOF on its pipe and leave: counted if it has
        not after 10 s (then killed: it was started by us)."""
        for _ in range(100):
            if not _alive(child):
                return
            await asyncio.sleep(0.1)
        self.orphans += 1
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)

    async def restart(self) -> None:
        t0 = time.monotonic()
        await self.kill()
        self.start()
        await self.ready()
        self.down.append(time.monotonic() - t0)

    async def settle(self) -> None:
        await asyncio.gather(*self._watch)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    async def finish(self) -> int:
        """Wait for the watched outcomes, then stop the bot as an operator would (SIGTERM): its exit code."""
        await self.settle()
        return self.stop()

    async def discard(self, api) -> None:
        """Whatever happened: no bot process left behind, the stand-in stopped."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        await api.stop()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def _environment(folder: Path, db: Path, api, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KPIBOT_", "TELEGRAM_", "LINE_"))}
    env.update({
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "KPIBOT_VAR": str(folder), "KPIBOT_DB": str(db),
        "TELEGRAM_BOT_TOKEN": TOKEN, "KPIBOT_TELEGRAM_BASE_URL": api.base_url,
        "KPIBOT_TELEGRAM_BASE_FILE_URL": api.base_file_url, "KPIBOT_TELEGRAM_POLL_TIMEOUT": "2",
        "KPIBOT_CONVERSATION": "process", "PYTHONUNBUFFERED": "1", **extra,
    })
    return env


def _kpibot() -> list[str]:
    script = Path(sys.executable).parent / "kpibot"
    if script.exists():
        return [str(script), "run"]
    return [sys.executable, "-c", "import sys; from bot.cli.main import main; sys.exit(main())", "run"]


def _problems(log: str) -> list[str]:
    """Errors in the bot's log other than the ones the kills are expected to cause (a conversation
    process killed: the messages in its hands failed, each answered with an apology)."""
    expected = ("conversation process ended", "update failed: channel=telegram")
    return [line for line in log.splitlines() if " ERROR " in line and not any(e in line for e in expected)]


# -- part 1: reports and confirms ---------------------------------------------------------------
@dataclass
class Seen:
    """One message the stand-in sent or edited, as the user saw it then."""

    at: float
    chat: int
    message_id: int
    text: str
    edit: bool
    card: bool  # has the ยืนยัน button


@dataclass
class Sent:
    update_id: int
    kind: str  # "report" | "press"
    chat: int
    value: str
    at: float
    card: int | None = None  # the card pressed


@dataclass
class Users:
    api: object
    rng: random.Random
    seen: dict[int, list[Seen]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    acknowledged: set[tuple[int, str]] = field(default_factory=set)
    events: dict[int, asyncio.Event] = field(default_factory=dict)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def listen(self, message) -> None:  # a stand-in listener: every send and edit
        seen = Seen(time.monotonic(), message.chat_id, message.message_id, message.text or "", message.edits > 0,
                    any(data == "ok" for _label, data in message.buttons))
        self.seen.setdefault(message.chat_id, []).append(seen)
        event = self.events.get(message.chat_id)
        if event is not None:
            event.set()

    async def _answer(self, chat: int, since: float, match) -> Seen | None:
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while True:
            for seen in self.seen.get(chat, ()):
                if seen.at >= since and match(seen):
                    return seen
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            event = self.events[chat] = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def user(self, chat: int, offset: int) -> None:
        await asyncio.sleep(self.rng.uniform(0, 1))
        cycle = 0
        while not self.stop.is_set():
            value = f"{40 + offset + cycle * 0.01:.2f}"  # this user's own, never repeated
            cycle += 1
            card = None
            for _try in range(3):
                since = time.monotonic()
                uid = self.api.inject_message(chat, f"รายงาน ตชว.1 เบิกจ่าย {value}%")
                self.sent.append(Sent(uid, "report", chat, value, since))
                answer = await self._answer(chat, since, lambda s, v=value: _card_of(s, v) or _apology(s))
                if answer is None or answer.card:
                    card = answer
                    break
                await asyncio.sleep(self.rng.uniform(*THINK))
            if card is None:
                continue
            for _try in range(4):  # an apology: press again; a new card (the figure checked again): press that
                await asyncio.sleep(self.rng.uniform(*THINK))
                since = time.monotonic()
                uid = self.api.inject_callback(chat, card.message_id, "ok")
                self.sent.append(Sent(uid, "press", chat, value, since, card.message_id))
                answer = await self._answer(chat, since, lambda s, c=card: _press_answer(s, c.message_id))
                if answer is None:
                    break
                if answer.text.startswith(SAVED):
                    self.acknowledged.add((chat, _norm(value)))
                    break
                if answer.card and not answer.edit:
                    card = answer
                elif not _apology(answer):
                    break
            await asyncio.sleep(self.rng.uniform(*THINK))

    def answered(self, sent: Sent) -> bool:
        def match(s: Seen) -> bool:
            if sent.kind == "report":
                return _card_of(s, sent.value) or _apology(s)
            return _press_answer(s, sent.card)

        return any(s.at >= sent.at and match(s) for s in self.seen.get(sent.chat, ()))


def _norm(value: str) -> str:
    """A figure as the card shows it ("40.10" -> "40.1", "60.0" -> "60")."""
    return format(Decimal(value).normalize(), "f")


def _card_of(seen: Seen, value: str) -> bool:
    return seen.card and not seen.edit and f"ร้อยละ {_norm(value)}\n" in seen.text


def _apology(seen: Seen) -> bool:
    return not seen.edit and seen.text.startswith(APOLOGY)


def _press_answer(seen: Seen, card: int | None) -> bool:
    """The card edited, or a new message (an apology, the figure to confirm again)."""
    return (seen.edit and seen.message_id == card) or not seen.edit


def _reports_database(folder: Path) -> tuple[Path, list[int]]:
    from bot.cli.demo import DISTRICTS, build
    from scoring.thaidate import BANGKOK

    db, evidence = folder / "kpibot.sqlite3", folder / "evidence"
    store = build(str(db), str(evidence), datetime.now(BANGKOK).date(), figures=False)
    chats = []
    with store.batch():
        for person in store.people():  # reminders would write to the same chats: none in this part
            store.set_reminders(person.id, "muted")
        for d, (unit_id, _name, _staff) in enumerate(DISTRICTS):
            for k in range(USERS_PER_DISTRICT):
                person = store.add_person(f"พัฒนากรทดสอบ {d}-{k}", "reporter", unit_id, actor="bench")
                store.set_reminders(person.id, "muted")
                chat = 60_000 + d * 100 + k
                store.link_identity(person.id, "telegram", str(chat))
                chats.append(chat)
    store.close()
    return db, chats


def _stored(db: Path) -> list[tuple[int, str, str, str, int]]:
    """(chat, kpi, period, value, version) of every submission by a bench reporter."""
    with contextlib.closing(sqlite3.connect(db)) as con:
        rows = con.execute(
            "SELECT CAST(i.external_id AS INTEGER), s.kpi_id, s.period, s.inputs, s.version FROM submissions s "
            "JOIN identities i ON i.person_id = s.person_id AND i.channel = 'telegram'").fetchall()
    out = []
    for chat, kpi, period, inputs, version in rows:
        values = [v for v in json.loads(inputs).values() if isinstance(v, (int, float, str))]
        out.append((chat, kpi, period, ",".join(_norm(str(v)) for v in values), version))
    return out


async def _reports(folder: Path, rng: random.Random) -> None:
    from tests.standins.telegram_api import TelegramStandIn

    db, chats = _reports_database(folder)
    api = TelegramStandIn(token=TOKEN)
    await api.start()
    users = Users(api, rng)
    api.listeners.append(users.listen)
    bot = BotProcess(_kpibot(), _environment(folder, db, api, KPIBOT_REMINDER_TICK="3600"), folder / "bot-1.log", api)
    kills: Counter[str] = Counter()
    unconfirmed: list[int] = []  # updates not yet confirmed to the stand-in at each bot kill
    t0 = time.monotonic()
    try:
        bot.start()
        await bot.ready()
        up = time.monotonic()
        driving = [asyncio.create_task(users.user(chat, n)) for n, chat in enumerate(chats)]
        plan = ["bot"] * BOT_KILLS + ["child"] * CHILD_KILLS
        rng.shuffle(plan)
        for what in plan:
            await asyncio.sleep(rng.uniform(*KILL_AFTER))
            if what == "bot":
                unconfirmed.append(len(api.pending_updates))
                await bot.restart()
                kills["bot"] += 1
            else:
                for _ in range(100):  # after a child kill the next message starts a new one
                    child = bot.conversation_pid()
                    if child is not None:
                        break
                    await asyncio.sleep(0.05)
                if child is not None:
                    os.kill(child, signal.SIGKILL)
                    kills["child"] += 1
        chaos = time.monotonic()
        await asyncio.sleep(2.0)
        users.stop.set()
        await asyncio.gather(*driving)
        drive = time.monotonic() - chaos
        quiet_since, deadline = time.monotonic(), time.monotonic() + 30
        count = len(api.messages)
        while time.monotonic() < deadline:  # recovery: everything confirmed, then 2 s without a message
            await asyncio.sleep(0.2)
            if len(api.messages) != count or any(s.at > quiet_since for v in users.seen.values() for s in v[-3:]):
                count, quiet_since = len(api.messages), time.monotonic()
            if not api.pending_updates and time.monotonic() - quiet_since > 2.0:
                break
        recovery = time.monotonic() - chaos - drive
        code = await bot.finish()
    finally:
        await bot.discard(api)
    elapsed = time.monotonic() - t0
    answered = [s for s in users.sent if users.answered(s)]
    unanswered = [s for s in users.sent if not users.answered(s)]
    rows = _stored(db)
    stored = {(chat, value) for chat, _kpi, _period, value, _v in rows}
    lost = users.acknowledged - stored
    groups = Counter((chat, kpi, period, value) for chat, kpi, period, value, _v in rows)
    duplicated = sum(n - 1 for n in groups.values() if n > 1)
    reports = Counter((s.chat, _norm(s.value)) for s in users.sent if s.kind == "report")
    cards = Counter((s.chat, m.group(1)) for v in users.seen.values() for s in v
                    if s.card and not s.edit and (m := re.search(r"ร้อยละ ([0-9.]+)\n", s.text)))
    again = sum(max(0, n - reports[key]) for key, n in cards.items())
    apologies = sum(1 for v in users.seen.values() for s in v if _apology(s))
    log = bot.log_text()
    print(f"faults: reports · seed {_seed_of(rng)} · kpibot run killed {kills['bot']}x "
          f"(SIGKILL, with {sum(unconfirmed)} updates unconfirmed in all; restarted at once: {bot.lives} lives, down {min(bot.down or [0]):.1f}-"
          f"{max(bot.down or [0]):.1f} s each), its conversation process killed {kills['child']}x; "
          f"{len(chats)} reporters; kills over {chaos - up:.0f} s, the users' last rounds {drive:.0f} s, recovery "
          f"{recovery:.0f} s, {elapsed:.0f} s in all")
    print(f"faults: reports: sent {len(users.sent)} updates ({sum(1 for s in users.sent if s.kind == 'report')} "
          f"reports, {sum(1 for s in users.sent if s.kind == 'press')} presses), answered {len(answered)}, "
          f"acknowledged ({SAVED}) {len(users.acknowledged)}, stored {len(rows)}")
    print(f"faults: reports: lost acknowledged {len(lost)} (target 0), duplicated {duplicated} (target 0), "
          f"unanswered after recovery {len(unanswered)} (target 0); left unconfirmed at the stand-in "
          f"{len(api.pending_updates)}")
    print(f"faults: reports: for the record: stored but not acknowledged {len(stored - users.acknowledged)}, "
          f"cards sent again {again}, apologies {apologies}, orphaned conversation processes {bot.orphans}, "
          f"last stop exit code {code}")
    for s in unanswered[:10]:
        print(f"faults: reports: UNANSWERED update {s.update_id} ({s.kind} {s.value} in chat {s.chat}, "
              f"{s.at - t0:.1f} s)")
    for chat, value in sorted(lost)[:10]:
        print(f"faults: reports: LOST acknowledged {value} of chat {chat}")
    for key, n in groups.items():
        if n > 1:
            print(f"faults: reports: DUPLICATE {key} x{n}")
    for line in _problems(log)[:10]:
        print(f"faults: reports: bot log: {line}")


def _seed_of(rng: random.Random) -> int:
    return getattr(rng, "seed_value", SEED)


# -- part 2: the reminder fan-out -----------------------------------------------------------------
def _reminders_database(folder: Path) -> Path:
    from bot.cli.demo import build

    db, evidence = folder / "reminders.sqlite3", folder / "evidence-reminders"
    store = build(str(db), str(evidence), date(2025, 6, 10), figures=False)
    with store.batch():
        for person in store.people():  # the demo's own people stay quiet: exactly FANOUT reminders
            store.set_reminders(person.id, "muted")
        for i in range(FANOUT):
            person = store.add_person(f"ผู้รายงานทดสอบ {i + 1}", "reporter", REMINDER_UNITS[i % len(REMINDER_UNITS)],
                                      actor="bench")
            store.link_identity(person.id, "telegram", str(500_000 + i))
    store.close()
    return db


def _outbox(db: Path) -> list[tuple[str, str, str | None, int]]:
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as con:
        return con.execute("SELECT external_id, status, error, attempts FROM reminder_outbox").fetchall()


async def _reminders(folder: Path, rng: random.Random) -> None:
    from tests.standins.telegram_api import TelegramStandIn, _ApiError

    db = _reminders_database(folder)
    api = TelegramStandIn(token=TOKEN, rate_limit_per_second=LIMIT)
    await api.start()
    chats = [500_000 + i for i in range(FANOUT)]
    late = set(rng.sample(chats[:FANOUT // 3], LATE))  # early: their 16 s overlap the kills, not the end
    faulty = rng.sample([c for c in chats if c not in late], REFUSED_502 + DELIVERED_502)
    refused, bad_gateway = set(faulty[:REFUSED_502]), set(faulty[REFUSED_502:])
    faulted: set[int] = set()
    real = api._m_sendMessage
    first_of_life = asyncio.Event()

    async def send(params: dict) -> dict:  # the fault once per chat: its first request
        chat = params.get("chat_id")
        first_of_life.set()
        once = chat not in faulted
        faulted.add(chat)
        if once and chat in refused:
            raise _ApiError(502, "Bad Gateway")
        result = await real(params)
        if once and chat in bad_gateway:
            raise _ApiError(502, "Bad Gateway")
        if once and chat in late:
            await asyncio.sleep(LATE_SECONDS)
        return result

    api._m_sendMessage = send  # type: ignore[method-assign]
    env = _environment(folder, db, api, KPIBOT_REMINDER_TICK="2")
    bot = BotProcess([sys.executable, "-c", SHIM, "run"], env, folder / "bot-2.log", api)
    t0 = time.monotonic()
    at_kill: list[int] = []
    try:
        bot.start()
        await bot.ready()
        for _ in range(REMINDER_KILLS):
            await asyncio.wait_for(first_of_life.wait(), 60)
            await asyncio.sleep(rng.uniform(*REMINDER_KILL_AFTER))
            at_kill.append(len(api.messages))
            first_of_life.clear()
            await bot.restart()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            rows = _outbox(db)
            if len(rows) == FANOUT and not any(status in ("pending", "sending") for _e, status, _r, _a in rows):
                break
        code = await bot.finish()
    finally:
        await bot.discard(api)
    elapsed = time.monotonic() - t0
    rows = _outbox(db)
    statuses = Counter(status for _e, status, _r, _a in rows)
    got = Counter(m.chat_id for m in api.messages)
    delivered = {c for c in chats if got[c]}
    duplicates = sum(n - 1 for c, n in got.items() if n > 1)
    missed = set(chats) - delivered
    reported = {int(e) for e, status, _r, _a in rows if status in ("unknown", "sending")}
    crash = sum(1 for _e, status, error, _a in rows if status == "unknown" and error == "in flight at a crash")
    silent = missed - reported
    log = bot.log_text()
    recovered = sum(int(n) for n in re.findall(r"reminders: (\d+) message\(s\) were in flight at a crash", log))
    print(f"faults: reminders · seed {_seed_of(rng)} · fan-out of {FANOUT} to the stand-in (limit {LIMIT}/s), "
          f"kpibot run killed {len(at_kill)}x during it (after {', '.join(map(str, at_kill))} messages in all; "
          f"{bot.lives} lives), {REFUSED_502} 502s not delivered, {DELIVERED_502} delivered-then-502, {LATE} "
          f"delivered-then-timeout; {elapsed:.0f} s")
    print(f"faults: reminders: planned {len(rows)}, delivered {len(delivered)} chats, duplicates {duplicates} "
          f"(target 0), missed {len(missed)} against {len(reported)} reported in flight or unknown "
          f"(target: missed ≤ reported, each reported: {len(silent)} missed silently)")
    print(f"faults: reminders: outbox {dict(sorted(statuses.items()))}; unknown after a crash {crash} "
          f"(the bot's log: {recovered} in flight at a restart), delivered of those unknown "
          f"{len(reported & delivered)}; 429s {api.too_many_requests}; last stop exit code {code}")
    for chat in sorted(silent)[:10]:
        print(f"faults: reminders: MISSED SILENTLY chat {chat}: {[r for r in rows if r[0] == str(chat)]}")
    for c, n in got.items():
        if n > 1:
            print(f"faults: reminders: DUPLICATE chat {c} x{n}")
    for line in _problems(log)[:10]:
        print(f"faults: reminders: bot log: {line}")


def main(seed: int | None = None) -> None:
    seed = SEED if seed is None else seed
    start = time.monotonic()
    logging.getLogger("aiohttp").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="kpibot-faults-") as tmp:
        folder = Path(tmp)
        rng = random.Random(seed)
        rng.seed_value = seed  # type: ignore[attr-defined]
        (folder / "reports").mkdir()
        (folder / "reminders").mkdir()
        asyncio.run(_reports(folder / "reports", rng))
        asyncio.run(_reminders(folder / "reminders", rng))
    print(f"faults: seed {seed} (python -m bench.faults SEED for another); {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
