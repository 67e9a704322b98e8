"""The reminder outbox and log (tables ``reminder_outbox``, ``reminder_log``): the store's methods the
reminder engine (bot/reminders/engine.py) runs on, so the engine has no SQL of its own.

``SqliteStore`` inherits ``OutboxStore``; the methods use its connection, lock and transactions.
Guarantees: ``enqueue_reminders`` logs every reminder and queues its rows in ONE transaction (a
reminder already logged queues nothing); ``mark_outbox_sending`` is committed as each HTTP request
of a push starts (``pending -> sending``, ``attempts`` + 1: attempts count requests actually made),
so a ``sending`` row is one whose request may have reached the channel and a row never tried stays
``pending``; reads take the lock but no write transaction. Times are stored as ISO strings in
Asia/Bangkok. A chart that follows a text (the chiefs' weekly digest) is a row of its own, queued in the
same transaction right after its text's row, with its own idempotency key and what to draw (``chart``,
a short spec, never the PNG); ``pending_outbox`` never hands it out while its text waits for a retry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scoring.thaidate import BANGKOK

OUTBOX_STATUSES = ("pending", "sending", "sent", "blocked", "failed", "unknown", "expired")


@dataclass(frozen=True)
class OutboxRow:
    """A row to push now."""

    id: int
    person_id: int
    channel: str
    external_id: str
    key: str  # the idempotency key (LINE's X-Line-Retry-Key)
    text: str  # the message; for a chart row its Thai label (the caption is made when drawn)
    attempts: int
    chart: str | None = None  # a chart row: what to draw (handlers/reminders/charts.py's spec)


@dataclass(frozen=True)
class OutboxChart:
    """A chart that follows a reminder's text on one target: a row of its own, queued after the text's."""

    channel: str
    external_id: str
    key: str  # its own idempotency key
    part: str  # "chart1", "chart2": the row's stage is "<stage>#<part>"
    label: str  # Thai, for the outbox listing
    chart: str  # the spec


@dataclass(frozen=True)
class OutboxEntry:
    """One reminder to log and queue: its text already rendered, one target per identity."""

    person_id: int
    deadline_key: str
    stage: str
    until: datetime  # no longer useful after this
    text: str
    targets: tuple[tuple[str, str, str], ...]  # (channel, external id, idempotency key)
    charts: tuple[OutboxChart, ...] = ()  # each queued right after the text row of its target


def _iso(moment: datetime) -> str:
    return moment.astimezone(BANGKOK).isoformat()


def _when(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=BANGKOK)


class OutboxStore:
    """Mixed into SqliteStore (which provides ``db``, ``_rows``, ``_write``, ``log_reminder``, ``set_reachable``)."""

    if TYPE_CHECKING:  # provided by SqliteStore
        db: Any

        def _rows(self, sql: str, params: Any = None) -> list[dict[str, Any]]: ...
        def _write(self) -> AbstractContextManager[Any]: ...
        def log_reminder(self, person_id: int, deadline_key: str, stage: str, sent_at: datetime,
                         channel: str | None = None) -> bool: ...
        def set_reachable(self, person_id: int, reachable: bool) -> None: ...

    def reminders_logged(self, deadline_keys: Iterable[str]) -> set[tuple[int, str, str]]:
        """(person, deadline key, stage) already in reminder_log for these deadline keys."""
        keys = sorted(set(deadline_keys))
        found: set[tuple[int, str, str]] = set()
        for chunk in _chunks(keys, 500):
            rows = self._rows("SELECT person_id, deadline_key, stage FROM reminder_log WHERE deadline_key IN "
                              f"({','.join('?' * len(chunk))})", chunk)
            found |= {(int(r["person_id"]), r["deadline_key"], r["stage"]) for r in rows}
        return found

    def recover_outbox(self, idempotent: set[str]) -> dict[str, int]:
        """Rows left ``sending`` by a crash (a request had started: it may have reached the channel)
        become ``pending`` where the channel deduplicates by key, else ``unknown`` (never repeated).
        Rows never tried are still ``pending``. Returns how many became each."""
        counts: dict[str, int] = {}
        with self._write():
            rows = self.db.execute("SELECT id, channel FROM reminder_outbox WHERE status = 'sending'").fetchall()
            for row_id, channel in rows:
                status = "pending" if channel in idempotent else "unknown"
                self.db.execute("UPDATE reminder_outbox SET status = ?, error = ? WHERE id = ?",
                                [status, "in flight at a crash", row_id])
                counts[status] = counts.get(status, 0) + 1
        return counts

    def enqueue_reminders(self, entries: Iterable[OutboxEntry], now: datetime) -> int:
        """In one transaction: log each reminder once and queue one ``pending`` row per target, followed
        by that target's chart rows. Returns how many were newly logged (the others were logged by an
        earlier tick)."""
        logged = 0
        sql = ("INSERT OR IGNORE INTO reminder_outbox (person_id, deadline_key, stage, channel, external_id, "
               "idempotency_key, text, status, created_at, next_attempt_at, until, chart) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)")
        with self._write():
            for e in entries:
                channels = ",".join(sorted({ch for ch, _, _ in e.targets}))
                if not self.log_reminder(e.person_id, e.deadline_key, e.stage, now, channel=channels):
                    continue
                logged += 1
                times = [_iso(now), _iso(now), _iso(e.until)]
                for channel, external_id, key in e.targets:
                    self.db.execute(sql, [e.person_id, e.deadline_key, e.stage, channel, external_id, key, e.text,
                                          *times, None])
                    for c in e.charts:
                        if (c.channel, c.external_id) == (channel, external_id):
                            self.db.execute(sql, [e.person_id, e.deadline_key, f"{e.stage}#{c.part}", channel,
                                                  external_id, c.key, c.label, *times, c.chart])
        return logged

    def pending_outbox(self, now: datetime, channels: set[str]) -> list[OutboxRow]:
        """Rows to push now on these channels, in id order (a reminder's text before its charts); rows no
        longer useful become ``expired``. A chart waits while its text is still pending (backing off after
        an error): a chart never arrives before its text."""
        out = []
        with self._write():
            rows = self.db.execute(
                "SELECT id, person_id, channel, external_id, idempotency_key, text, attempts, next_attempt_at, until, "
                "chart, deadline_key FROM reminder_outbox WHERE status = 'pending' ORDER BY id").fetchall()
            waiting: set[tuple[Any, ...]] = set()  # (person, deadline key, channel, external id) of a text not due yet
            for r in rows:
                reminder = (r[1], r[10], r[2], r[3])
                if _when(r[8]) <= now:
                    self.db.execute("UPDATE reminder_outbox SET status = 'expired' WHERE id = ?", [r[0]])
                elif r[2] not in channels:
                    continue
                elif _when(r[7]) > now:
                    waiting.add(reminder)
                elif r[9] is None or reminder not in waiting:
                    out.append(OutboxRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[9]))
        return out

    def mark_outbox_sending(self, row_id: int, *, again: bool = False) -> bool:
        """An HTTP request of the push starts: ``pending -> sending`` and one more attempt, committed
        before the request. ``again``: a further request of the same push (a 429 retried, a second
        part), the row already ``sending``. False when the row is not in the expected state."""
        expected = "sending" if again else "pending"
        with self._write():
            cursor = self.db.execute("UPDATE reminder_outbox SET status = 'sending', attempts = attempts + 1 "
                                     "WHERE id = ? AND status = ?", [row_id, expected])
            return cursor.rowcount == 1

    def mark_outbox_result(self, row: OutboxRow, status: str, *, sent_at: datetime | None, error: str | None,
                           next_attempt_at: datetime) -> None:
        """A push's outcome; ``blocked`` also marks the person unreachable, in the same transaction."""
        if status not in OUTBOX_STATUSES:
            raise ValueError(status)
        with self._write():
            self.db.execute("UPDATE reminder_outbox SET status = ?, sent_at = ?, error = ?, next_attempt_at = ? "
                            "WHERE id = ?", [status, _iso(sent_at) if sent_at else None, error,
                                             _iso(next_attempt_at), row.id])
            if status == "blocked":
                self.set_reachable(row.person_id, False)

    def outbox_rows(self) -> list[dict[str, Any]]:
        """Every outbox row (tests and `kpibot reminders preview` show them)."""
        return self._rows("SELECT * FROM reminder_outbox ORDER BY id")


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
