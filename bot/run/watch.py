"""The storage watch: a store that stops taking writes while the bot runs alerts the admins, once (issue 13).

- Every ``interval`` seconds (``KPIBOT_STORAGE_CHECK``, default 60), and at once after the runtime had to
  apologise for a message (``Runtime.trouble``), bot/store/health.py's ``probe_storage`` tries a write on a
  fresh connection and a file in the evidence folder, in a thread of its own (never the store thread,
  which a broken store may hold, nor the loop).
- On the change from writable to not, each admin (handlers/audience.py: who receives notices, on which
  channel) is told once what is wrong, since when, and that reports cannot be saved; on the change back,
  once that saving works again. The state is kept in memory, not in the store (which may be what fails):
  a restart with the problem still there stops at the start-up check (exit code 2) instead.
- The admins and their channels are read from the store at each good probe and kept: a store that can no
  longer be read still lets the alert reach whoever was an admin a minute before.
- Nothing here raises into the loop: a failed push is logged and tried again at the next change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.store.health import StorageProblem, probe_storage
from handlers import audience
from handlers.messages import Reply
from handlers.ports import system_clock
from scoring.thaidate import BANGKOK, format_be

log = logging.getLogger("kpibot.watch")

DEFAULT_INTERVAL = 60.0


def broken_text(problem: StorageProblem, since: datetime) -> str:
    return (f"⚠️ แจ้งผู้ดูแลระบบ: {problem.th}\n"
            f"ตั้งแต่ {_when(since)} รายงานและหลักฐานใหม่อาจบันทึกไม่ได้ บอทยังตอบอยู่ กรุณาแก้ไขโดยเร็วค่ะ")


def mended_text(since: datetime, now: datetime) -> str:
    return f"✅ ฐานข้อมูลกลับมาบันทึกได้แล้วค่ะ ({_when(now)}; ขัดข้องตั้งแต่ {_when(since)})"


def _when(moment: datetime) -> str:
    local = moment.astimezone(BANGKOK)
    return f"{local:%H:%M} น. {format_be(local.date())}"


class StorageWatch:
    def __init__(self, runtime, db: str | Path, evidence_dir: str | Path, *, interval: float = DEFAULT_INTERVAL,
                 clock: Callable[[], datetime] = system_clock,
                 probe: Callable[[Path, Path], StorageProblem | None] = probe_storage):
        self.runtime = runtime
        self.db, self.evidence_dir = Path(db), Path(evidence_dir)
        self.interval = interval
        self.clock = clock
        self.probe = probe
        self.problem: StorageProblem | None = None  # the problem admins were told of; None: all well
        self.since: datetime | None = None
        self.admins: list[tuple[int, dict[str, str]]] = []  # (person id, identities), as last read

    async def run(self, stop: asyncio.Event) -> None:
        """Check until ``stop``: every interval, or sooner when the runtime had trouble."""
        trouble = self.runtime.trouble
        while not stop.is_set():
            await self.check()
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(trouble.wait())]
            try:
                await asyncio.wait(waits, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
            trouble.clear()

    async def check(self) -> StorageProblem | None:
        """One probe; admins told on a change. Returns the problem now seen (None: writable)."""
        try:
            problem = await asyncio.to_thread(self.probe, self.db, self.evidence_dir)
        except Exception:  # the probe itself broke: say nothing rather than something wrong
            log.exception("storage watch: the probe failed")
            return self.problem
        now = self.clock()
        if problem is None:
            await self._read_admins()
            if self.problem is not None:
                log.warning("storage watch: the store takes writes again")
                if await self._tell(mended_text(self.since or now, now)):
                    self.problem, self.since = None, None
            return None
        if self.problem is None or self.problem.kind != problem.kind:
            log.error("storage watch: %s", problem.en)
            since = self.since or now
            if await self._tell(broken_text(problem, since)):
                self.problem, self.since = problem, since
            else:
                self.since = since
        return problem

    async def _read_admins(self) -> None:
        store = self.runtime.store
        try:
            people = await self.runtime.call(store.people, None, None)
            admins = []
            for person in people:
                if audience.receives_notices(person.role):
                    admins.append((person.id, dict(await self.runtime.call(store.identities, person.id))))
            self.admins = admins
        except Exception:
            log.exception("storage watch: could not read who the admins are; keeping the last list")

    async def _tell(self, text: str) -> bool:
        """Push ``text`` to every admin on their notice channel; True when at least one got it. False (no admin
        known yet, no channel of theirs running yet, every push failed): the next probe tries again."""
        channels = self.runtime.channels
        targets = [(ids, audience.notice_channel(ids, channels)) for _pid, ids in self.admins]
        targets = [(ids[name], name) for ids, name in targets if name is not None]
        if not targets:
            log.warning("storage watch: no admin reachable (%d known, channels %s) for: %s", len(self.admins),
                        ", ".join(channels) or "none", text.splitlines()[0])
            return False
        told = 0
        for external_id, name in targets:
            try:
                result = await channels[name].push(external_id, Reply(text))
            except Exception:
                log.exception("storage watch: could not tell %s:%s", name, external_id)
                continue
            told += int(bool(getattr(result, "ok", True)))
        return told > 0
