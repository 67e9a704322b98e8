"""The SQLite store: sqlite-utils 4 on one file, implementing handlers.ports.Store.

- One ``sqlite_utils.Database`` per store, guarded by a ``threading.RLock``: channels may call from a
  worker thread, and a Database must never be used by two threads at once (DESIGN.md).
- WAL journal, ``synchronous=FULL``, foreign keys on; every write runs in one transaction together
  with its audit row, so a failure leaves nothing half-written, and a method that writes returns only
  after its transaction has committed (unless the caller wrapped it in ``batch()``).
- Acknowledged means durable: with FULL the WAL is synced at every commit, so a submission the bot has
  confirmed survives a power loss (NORMAL may roll the last commits back). Cost, measured by
  bench/store_bench.py on this machine (2 shared cores, SQLite 3.40): single-submission commits/s
  NORMAL 1,000-3,100, FULL 290-1,500 (FULL 0.1-0.7x of NORMAL, the range is the machine's load), i.e.
  0.7-3.5 ms a durable commit, far above a chat bot's rate. ``synchronous="NORMAL"`` exists for that
  comparison only. Conversation state (a draft card, a question asked) is no record: ``set_state``
  commits without an fsync of its own (NORMAL for that one commit): a kill loses nothing, a power loss
  at worst a draft the user is asked for again; the next durable commit syncs it too (strace: a report
  message 1 fsync before, 0 after; a confirm 1, as before).
- A lock held by another connection is waited for ``BUSY_TIMEOUT_S`` (5 s; SQLite's busy handler
  retries meanwhile), then the call raises "database is locked" (the CLI says so in one line:
  bot/store/health.py).
- Several connections may write the same file (`kpibot run` has two processes). The connection is in
  autocommit mode and our transactions begin IMMEDIATE: the write lock is taken first, waiting up to
  the busy timeout, so a transaction that reads and then writes never meets SQLITE_BUSY_SNAPSHOT
  ("database is locked" at once, which no timeout cures) when the other side committed in between.
- Datetimes are stored as ISO strings with their offset and returned as aware datetimes; a naive
  datetime given to the store is taken as Thailand time (UTC+7).
- Submissions are append-only (triggers refuse UPDATE and DELETE). A correction is a new version; a
  retraction is a new version with ``retracted`` set and ``retracts`` naming the version it undoes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlite_utils

import bot.store.evidence as ev
from bot.store.channel_events import ChannelEventsStore
from bot.store.migrations import MIGRATIONS, migrate
from bot.store.outbox import OutboxStore
from bot.store.readcache import ReadCache, submissions_family
from handlers.ports import (
    ROLES,
    Agreement,
    Clock,
    Evidence,
    InviteError,
    LinkError,
    NewSubmission,
    Person,
    Scope,
    Submission,
    Unit,
    system_clock,
)
from scoring.thaidate import BANGKOK

UNIT_KINDS = ("department", "division", "province", "district", "group")  # department, division: issue 14
SCOPE_KINDS = ("unit", "province", "kpi_group")
REMINDER_MODES = ("on", "muted", "snoozed")

# Invite codes: 8 characters, no 0/O or 1/I/L look-alikes; 31^8 ≈ 8.5e11 codes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
LINK_TTL = timedelta(minutes=15)  # a link code works once, within this time
INVITE_TTL = timedelta(days=30)  # an invite made without an expiry date: no invite works for ever
CODE_TRIES, CODE_WINDOW = 5, timedelta(minutes=15)  # failed invite/link attempts per sender and per code

# Durability and waiting (module docstring): a lock held by another connection is waited for this long.
BUSY_TIMEOUT_S = 5.0
SYNCHRONOUS_MODES = ("FULL", "NORMAL")

_UNSET: Any = object()


@dataclass(frozen=True)
class InviteInfo:
    """An invite as an admin lists it (the code itself is never stored, only its hash)."""

    id: int
    role: str
    unit_id: str
    person_id: int | None
    scopes: tuple[Scope, ...]
    created_by: int | None
    created_at: datetime
    expires_at: datetime | None
    used_by: int | None
    used_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        """ "revoked", "used", "expired" or "open"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.used_at is not None:
            return "used"
        if self.expires_at is not None and _aware(now) >= self.expires_at:
            return "expired"
        return "open"


# ---------------------------------------------------------------- conversions


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=BANGKOK)


def _dt_in(value: datetime | None) -> str | None:
    return None if value is None else _aware(value).isoformat()


_OFFSETS: dict[Any, Any] = {}  # one tzinfo instance per stored offset ("+07:00"), shared by every value read


def _dt_out(value: str | None) -> datetime | None:
    """An aware datetime; values with the same offset share one tzinfo instance, so comparing two of them
    (a ranking compares thousands of ``sent_at``) takes CPython's same-tzinfo path, not two utcoffset() calls."""
    if value is None:
        return None
    out = _aware(datetime.fromisoformat(value))
    shared = _OFFSETS.setdefault(out.tzinfo, out.tzinfo)
    return out if shared is out.tzinfo else out.replace(tzinfo=shared)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON-able: {type(value).__name__}")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def _record(value: Any) -> Any:
    """A dataclass or row as a JSON-able dict for the audit log."""
    if value is None:
        return None
    if hasattr(value, "__dataclass_fields__"):
        value = asdict(value)
    return json.loads(_json(value))


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def normalize_code(code: str) -> str:
    """What people type back: spaces, dashes and lower case do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# ---------------------------------------------------------------- the store


class SqliteStore(OutboxStore, ChannelEventsStore, ev.EvidenceRetractionsStore):
    """handlers.ports.Store on one SQLite file; see the module docstring for the guarantees."""

    def __init__(self, path: str | Path, evidence_dir: str | Path, *, clock: Clock | None = None,
                 busy_timeout: float = BUSY_TIMEOUT_S, synchronous: str = "FULL"):
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}")
        self.path = Path(path)
        self.evidence_dir = Path(evidence_dir)
        self.clock: Clock = clock or system_clock
        self._lock = threading.RLock()
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=busy_timeout, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if str(path) != ":memory:":
            self.db.enable_wal()
        self.db.execute(f"PRAGMA synchronous = {synchronous}")  # FULL: see the module docstring
        self._synchronous = synchronous
        with self._lock:
            self.schema_version = migrate(self.db)
            self._cache = ReadCache(self.db.conn)  # bot/store/readcache.py: dropped on every change

    # -- plumbing

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def batch(self) -> Iterator[SqliteStore]:
        """Group many writes in one transaction (imports, demo data): all or nothing.

        Writes inside commit when the outermost block ends; the lock is held throughout.
        """
        with self._transaction():
            yield self

    @contextmanager
    def _write(self) -> Iterator[sqlite_utils.Database]:
        with self._transaction():
            yield self.db

    @contextmanager
    def _transaction(self, durable: bool = True) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT (a savepoint when nested), under the lock; rolled back on error.
        ``durable=False`` (conversation state only, never a record): committed without its own fsync
        (``synchronous=NORMAL`` for that commit). A process kill loses nothing (the WAL is in the OS's
        hands); a power loss may lose it until the next durable commit syncs the WAL: a draft card asked
        again, never a submission. Nested in a durable transaction it is durable."""
        with self._lock:
            conn = self.db.conn
            if conn.in_transaction:
                with self.db.atomic():  # a savepoint inside the outer transaction
                    yield
                return
            relaxed = not durable and self._synchronous == "FULL"
            if relaxed:
                conn.execute("PRAGMA synchronous = NORMAL")  # allowed outside a transaction only
            conn.execute("BEGIN IMMEDIATE")
            try:
                try:
                    yield
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            finally:
                if relaxed:
                    conn.execute("PRAGMA synchronous = FULL")
                self._cache.wrote()  # the read cache replays the audit rows before its next read

    def _now(self) -> datetime:
        return _aware(self.clock())

    def _rows(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        """A read (SELECT/WITH only) straight on the connection: sqlite-utils' query() wraps every
        statement in a SAVEPOINT in case it writes, three statements per read; ours never write."""
        with self._lock:
            cursor = self.db.conn.execute(sql, params or [])
            keys = [d[0] for d in cursor.description]
            return [dict(zip(keys, row, strict=True)) for row in cursor]

    def _row(self, sql: str, params: Any = None) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _audit(self, action: str, entity: str, entity_id: Any, before: Any = None, after: Any = None, *,
               actor_person: int | None = None, actor: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO audit (at, actor_person, actor, action, entity, entity_id, before, after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [self._now().isoformat(), actor_person, actor, action, entity,
             None if entity_id is None else str(entity_id),
             None if before is None else _json(_record(before)),
             None if after is None else _json(_record(after))],
        )

    @staticmethod
    def _actor(actor: int | str | None) -> dict[str, Any]:
        if isinstance(actor, int) and not isinstance(actor, bool):
            return {"actor_person": actor, "actor": None}
        return {"actor_person": None, "actor": actor}

    # -- organisation

    @staticmethod
    def _unit(row: dict[str, Any]) -> Unit:
        return Unit(row["id"], row["name"], row["kind"], row["parent"], json.loads(row["attributes"] or "{}"))

    def unit(self, unit_id: str) -> Unit | None:
        def load() -> Unit | None:
            row = self._row("SELECT * FROM units WHERE id = ?", [unit_id])
            return self._unit(row) if row else None

        with self._lock:
            return self._cache.get("units", ("unit", unit_id), load)

    def units(self, parent: str | None = None) -> list[Unit]:
        """All units, or the direct children of ``parent``."""
        def load() -> list[Unit]:
            if parent is None:
                rows = self._rows("SELECT * FROM units ORDER BY kind = 'group', kind = 'district', parent, name, id")
            else:
                rows = self._rows("SELECT * FROM units WHERE parent = ? ORDER BY kind, name, id", [parent])
            return [self._unit(r) for r in rows]

        with self._lock:
            return list(self._cache.get("units", ("units", parent), load))

    def units_named(self, name: str) -> list[Unit]:
        """Units whose Thai name is exactly ``name`` (whitespace-trimmed)."""
        return [self._unit(r) for r in self._rows("SELECT * FROM units WHERE name = ? ORDER BY id", [name.strip()])]

    def put_unit(self, unit: Unit, *, actor: int | str | None = None) -> str:
        """Add or update a unit; returns "added", "changed" or "unchanged"."""
        if unit.kind not in UNIT_KINDS:
            raise ValueError(f"unknown unit kind {unit.kind!r}")
        with self._write():
            before = self.unit(unit.id)
            if before == unit:
                return "unchanged"
            row = {"id": unit.id, "name": unit.name, "kind": unit.kind, "parent": unit.parent,
                   "attributes": _json(unit.attributes)}
            if before is None:
                self.db["units"].insert(row)
            else:
                self.db["units"].update(unit.id, row)
            self._audit("add" if before is None else "update", "unit", unit.id, before, unit, **self._actor(actor))
        return "added" if before is None else "changed"

    # -- people

    def _person(self, row: dict[str, Any]) -> Person:
        scopes = tuple(Scope(s["kind"], s["value"]) for s in self._rows(
            "SELECT kind, value FROM scopes WHERE person_id = ? ORDER BY kind, value", [row["id"]]))
        return Person(row["id"], row["name"], row["role"], row["unit_id"], row["phone"], scopes,
                      row["reminders"], _dt_out(row["snoozed_until"]), bool(row["reachable"]))

    def person(self, person_id: int) -> Person | None:
        row = self._row("SELECT * FROM people WHERE id = ?", [person_id])
        return self._person(row) if row else None

    def people(self, unit_id: str | None = None, role: str | None = None) -> list[Person]:
        where, params = [], []
        if unit_id is not None:
            where.append("unit_id = ?")
            params.append(unit_id)
        if role is not None:
            where.append("role = ?")
            params.append(role)
        sql = "SELECT * FROM people" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        with self._lock:
            return list(self._cache.get("people", ("people", unit_id, role),
                                        lambda: [self._person(r) for r in self._rows(sql, params)]))

    def people_named(self, name: str) -> list[Person]:
        """People whose name matches ``name`` once runs of whitespace are collapsed."""
        wanted = " ".join(name.split())
        with self._lock:  # every write path stores names collapsed, so equality on the index is enough
            return [self._person(r) for r in self._rows("SELECT * FROM people WHERE name = ? ORDER BY id",
                                                        [wanted])]

    def person_by_identity(self, channel: str, external_id: str) -> Person | None:
        row = self._row("SELECT p.* FROM identities i JOIN people p ON p.id = i.person_id "
                        "WHERE i.channel = ? AND i.external_id = ?", [channel, str(external_id)])
        return self._person(row) if row else None

    def identities(self, person_id: int) -> list[tuple[str, str]]:
        """(channel, external id) pairs of one person, e.g. [("line", "U..."), ("telegram", "123")]."""
        return [(r["channel"], r["external_id"]) for r in self._rows(
            "SELECT channel, external_id FROM identities WHERE person_id = ? ORDER BY channel, external_id",
            [person_id])]

    def _check_person_fields(self, role: str, unit_id: str, scopes: tuple[Scope, ...]) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
        if self.unit(unit_id) is None:
            raise ValueError(f"unknown unit {unit_id!r}")
        for s in scopes:
            if s.kind not in SCOPE_KINDS:
                raise ValueError(f"unknown scope kind {s.kind!r}")

    def add_person(self, name: str, role: str, unit_id: str, *, phone: str | None = None,
                   scopes: tuple[Scope, ...] = (), actor: int | str | None = None) -> Person:
        with self._write():
            person_id = self._insert_person(name, role, unit_id, phone, scopes)
            person = self.person(person_id)
            self._audit("add", "person", person_id, None, person, **self._actor(actor))
        return person

    def _insert_person(self, name: str, role: str, unit_id: str, phone: str | None,
                       scopes: tuple[Scope, ...]) -> int:
        name = " ".join(name.split())
        if not name:
            raise ValueError("a person needs a name")
        self._check_person_fields(role, unit_id, scopes)
        cursor = self.db.execute(
            "INSERT INTO people (name, role, unit_id, phone, created_at) VALUES (?, ?, ?, ?, ?)",
            [name, role, unit_id, phone, self._now().isoformat()])
        person_id = int(cursor.lastrowid)
        self._add_scopes(person_id, scopes)
        return person_id

    def _add_scopes(self, person_id: int, scopes: tuple[Scope, ...]) -> None:
        for s in scopes:
            self.db.execute("INSERT OR IGNORE INTO scopes (person_id, kind, value) VALUES (?, ?, ?)",
                            [person_id, s.kind, s.value])

    def update_person(self, person_id: int, *, name: str = _UNSET, role: str = _UNSET, unit_id: str = _UNSET,
                      phone: str | None = _UNSET, scopes: tuple[Scope, ...] = _UNSET,
                      actor: int | str | None = None) -> Person:
        """Change some fields of a person (those given); scopes, when given, replace the old ones."""
        with self._write():
            before = self.person(person_id)
            if before is None:
                raise KeyError(person_id)
            after = replace(
                before,
                name=before.name if name is _UNSET else " ".join(name.split()),
                role=before.role if role is _UNSET else role,
                unit_id=before.unit_id if unit_id is _UNSET else unit_id,
                phone=before.phone if phone is _UNSET else phone,
                scopes=before.scopes if scopes is _UNSET else tuple(scopes),
            )
            if after == before:
                return before
            self._check_person_fields(after.role, after.unit_id, after.scopes)
            self.db.execute("UPDATE people SET name = ?, role = ?, unit_id = ?, phone = ? WHERE id = ?",
                            [after.name, after.role, after.unit_id, after.phone, person_id])
            if after.scopes != before.scopes:
                self.db.execute("DELETE FROM scopes WHERE person_id = ?", [person_id])
                self._add_scopes(person_id, after.scopes)
            after = self.person(person_id)
            self._audit("update", "person", person_id, before, after, **self._actor(actor))
        return after

    def link_identity(self, person_id: int, channel: str, external_id: str, *, display_name: str | None = None,
                      actor: int | str | None = None) -> None:
        """Attach a channel identity to a person (moving it if it belonged to someone else)."""
        with self._write():
            self._link_identity(person_id, channel, str(external_id), display_name, actor)

    def _link_identity(self, person_id: int, channel: str, external_id: str, display_name: str | None,
                       actor: int | str | None) -> None:
        old = self._row("SELECT * FROM identities WHERE channel = ? AND external_id = ?", [channel, external_id])
        if old is not None and old["person_id"] == person_id:
            return
        after = {"channel": channel, "external_id": external_id, "person_id": person_id,
                 "display_name": display_name, "created_at": self._now().isoformat()}
        if old is not None:
            self.db.execute("DELETE FROM identities WHERE channel = ? AND external_id = ?", [channel, external_id])
        self.db["identities"].insert(after)
        self._audit("link" if old is None else "relink", "identity", f"{channel}:{external_id}", old, after,
                    **self._actor(actor))

    def set_reminders(self, person_id: int, mode: str, until: datetime | None = None) -> None:
        if mode not in REMINDER_MODES:
            raise ValueError(f"unknown reminders mode {mode!r} (one of {', '.join(REMINDER_MODES)})")
        if mode == "snoozed" and until is None:
            raise ValueError("snoozed needs an until time")
        if mode != "snoozed":
            until = None
        with self._write():
            before = self.person(person_id)
            if before is None:
                raise KeyError(person_id)
            self.db.execute("UPDATE people SET reminders = ?, snoozed_until = ? WHERE id = ?",
                            [mode, _dt_in(until), person_id])
            self._audit("reminders", "person", person_id, {"reminders": before.reminders,
                        "snoozed_until": before.snoozed_until}, {"reminders": mode, "snoozed_until": until},
                        actor_person=person_id)

    def set_reachable(self, person_id: int, reachable: bool) -> None:
        """Channels call this when a user blocks the bot (False) or writes again (True)."""
        with self._write():
            before = self.person(person_id)
            if before is None:
                raise KeyError(person_id)
            if before.reachable == reachable:
                return
            self.db.execute("UPDATE people SET reachable = ? WHERE id = ?", [int(reachable), person_id])
            self._audit("reachable", "person", person_id, {"reachable": before.reachable},
                        {"reachable": reachable}, actor="channel")

    # -- link codes: one person on several channels (the conversation side is handlers/linking.py)

    def create_link_code(self, person_id: int, *, now: datetime | None = None, ttl: timedelta = LINK_TTL) -> str:
        """A fresh one-time code for ``person_id`` (stored only as its sha256, valid ``ttl``); earlier
        unused codes of that person stop working."""
        now = _aware(now or self.clock())
        code = new_code()
        with self._write():
            if self.person(person_id) is None:
                raise KeyError(person_id)
            self.db.execute("DELETE FROM link_codes WHERE person_id = ? AND used_at IS NULL", [person_id])
            self.db.execute("INSERT INTO link_codes (code_sha256, person_id, created_at, expires_at) "
                            "VALUES (?, ?, ?, ?)", [hash_code(code), person_id, now.isoformat(), (now + ttl).isoformat()])
            self._audit("create", "link_code", person_id, None, {"expires_at": now + ttl}, actor_person=person_id)
        return code

    # -- failed code attempts (invites, link codes): throttled per sender and per code, kept in the audit log

    def _code_failures(self, entity: str, code: str, channel: str, external_id: str, now: datetime) -> list[str]:
        """When the failed attempts of the last CODE_WINDOW by this sender or on this code were made."""
        rows = self._rows("SELECT at FROM audit WHERE action = 'refused' AND entity = ? AND (actor = ? OR "
                          "entity_id = ?) AND at > ? ORDER BY at",
                          [entity, f"{channel}:{external_id}", hash_code(code)[:16],
                           (now - CODE_WINDOW).astimezone(BANGKOK).isoformat()])
        return [r["at"] for r in rows]

    def code_wait(self, entity: str, code: str, channel: str, external_id: str, now: datetime) -> int:
        """Minutes until this sender may try a code again (0: now): CODE_TRIES failures in CODE_WINDOW."""
        failures = self._code_failures(entity, code, channel, external_id, now)
        if len(failures) < CODE_TRIES:
            return 0
        free_at = datetime.fromisoformat(failures[-CODE_TRIES]) + CODE_WINDOW
        return max(1, -(-int((free_at - now).total_seconds()) // 60))

    def _code_failed(self, entity: str, code: str, channel: str, external_id: str, now: datetime,
                     reason: str) -> None:
        """Record a failed attempt; the one that reaches CODE_TRIES is also recorded as a burst, once."""
        sender, digest = f"{channel}:{external_id}", hash_code(code)[:16]
        with self._write():
            self.db.execute("INSERT INTO audit (at, actor, action, entity, entity_id, after) VALUES (?, ?, ?, ?, ?, ?)",
                            [now.astimezone(BANGKOK).isoformat(), sender, "refused", entity, digest,
                             _json({"reason": reason})])
            if len(self._code_failures(entity, code, channel, external_id, now)) == CODE_TRIES:
                self._audit("burst", entity, digest, None, {"sender": sender, "tries": CODE_TRIES,
                            "window_minutes": int(CODE_WINDOW.total_seconds() // 60)}, actor=sender)

    def redeem_link_code(self, code: str, channel: str, external_id: str, *, display_name: str | None = None,
                         now: datetime | None = None) -> Person:
        """``_redeem_link_code`` behind the throttle: LinkError("throttled") without a lookup after
        CODE_TRIES failed attempts in CODE_WINDOW by this sender or on this code."""
        now = _aware(now or self.clock())
        wait = self.code_wait("link_code", code, channel, external_id, now)
        if wait:
            raise LinkError("throttled", wait)
        try:
            return self._redeem_link_code(code, channel, external_id, display_name=display_name, now=now)
        except LinkError as exc:
            self._code_failed("link_code", code, channel, external_id, now, exc.reason)
            raise

    def _redeem_link_code(self, code: str, channel: str, external_id: str, *, display_name: str | None = None,
                          now: datetime | None = None) -> Person:
        """Attach (channel, external_id) to the person the code was made for, once; raises LinkError
        ("unknown", "used", "expired", or "taken" when the id belongs to someone else)."""
        now = _aware(now or self.clock())
        with self._write():
            row = self._row("SELECT * FROM link_codes WHERE code_sha256 = ?", [hash_code(code)])
            if row is None:
                raise LinkError("unknown")
            if row["used_at"] is not None:
                raise LinkError("used")
            if now >= _aware(datetime.fromisoformat(row["expires_at"])):
                raise LinkError("expired")
            holder = self.person_by_identity(channel, external_id)
            if holder is not None and holder.id != row["person_id"]:
                raise LinkError("taken")
            self.db.execute("UPDATE link_codes SET used_at = ?, used_channel = ?, used_external_id = ? "
                            "WHERE code_sha256 = ?", [now.isoformat(), channel, str(external_id), row["code_sha256"]])
            self._link_identity(row["person_id"], channel, str(external_id), display_name, row["person_id"])
            person = self.person(row["person_id"])
        assert person is not None
        return person

    # -- invites

    def create_invite(self, role: str, unit_id: str, *, person_id: int | None = None,
                      expires_at: datetime | None = None, created_by: int | None = None,
                      scopes: tuple[Scope, ...] = ()) -> str:
        """A new single-use code, returned once; only its sha256 is stored. Without ``expires_at`` it
        expires after INVITE_TTL (the CLI's default too); made in chat, after 7 days (handlers/conversation.py)."""
        self._check_person_fields(role, unit_id, tuple(scopes))
        if person_id is not None and self.person(person_id) is None:
            raise ValueError(f"unknown person {person_id}")
        with self._write():
            while True:
                code = new_code()
                digest = hash_code(code)
                if self._row("SELECT 1 AS x FROM invites WHERE code_sha256 = ?", [digest]) is None:
                    break
            row = {"code_sha256": digest, "role": role, "unit_id": unit_id, "person_id": person_id,
                   "scopes": _json([[s.kind, s.value] for s in scopes]), "created_by": created_by,
                   "created_at": self._now().isoformat(),
                   "expires_at": _dt_in(expires_at or self._now() + INVITE_TTL)}  # every invite expires
            invite_id = self.db["invites"].insert(row).last_pk
            self._audit("create", "invite", invite_id, None, {k: v for k, v in row.items() if k != "code_sha256"},
                        actor_person=created_by)
        return code

    @staticmethod
    def _invite(row: dict[str, Any]) -> InviteInfo:
        return InviteInfo(row["id"], row["role"], row["unit_id"], row["person_id"],
                          tuple(Scope(k, v) for k, v in json.loads(row["scopes"] or "[]")), row["created_by"],
                          _dt_out(row["created_at"]), _dt_out(row["expires_at"]), row["used_by"],
                          _dt_out(row["used_at"]), _dt_out(row["revoked_at"]))

    def invites(self) -> list[InviteInfo]:
        return [self._invite(r) for r in self._rows("SELECT * FROM invites ORDER BY id")]

    def invite(self, code: str) -> InviteInfo | None:
        row = self._row("SELECT * FROM invites WHERE code_sha256 = ?", [hash_code(code)])
        return self._invite(row) if row else None

    def revoke_invite(self, code: str | None = None, *, invite_id: int | None = None,
                      actor: int | str | None = None) -> bool:
        """Revoke an unused invite by its code or id; False when there is none or it was already used/revoked."""
        with self._write():
            if invite_id is not None:
                row = self._row("SELECT * FROM invites WHERE id = ?", [invite_id])
            else:
                row = self._row("SELECT * FROM invites WHERE code_sha256 = ?", [hash_code(code or "")])
            if row is None or row["revoked_at"] or row["used_at"]:
                return False
            now = self._now().isoformat()
            self.db.execute("UPDATE invites SET revoked_at = ? WHERE id = ?", [now, row["id"]])
            self._audit("revoke", "invite", row["id"], {"revoked_at": None}, {"revoked_at": now},
                        **self._actor(actor))
        return True

    def redeem_invite(self, code: str, channel: str, external_id: str, display_name: str,
                      now: datetime) -> Person:
        """``_redeem_invite`` behind the throttle (as ``redeem_link_code``): InviteError("throttled")."""
        now = _aware(now)
        wait = self.code_wait("invite", code, channel, external_id, now)
        if wait:
            raise InviteError("throttled", wait)
        try:
            return self._redeem_invite(code, channel, external_id, display_name, now)
        except InviteError as exc:
            self._code_failed("invite", code, channel, external_id, now, exc.reason)
            raise

    def _redeem_invite(self, code: str, channel: str, external_id: str, display_name: str,
                       now: datetime) -> Person:
        now = _aware(now)
        with self._write():
            row = self._row("SELECT * FROM invites WHERE code_sha256 = ?", [hash_code(code)])
            if row is None:
                raise InviteError("unknown")
            info = self._invite(row)
            status = info.status(now)
            if status != "open":
                raise InviteError(status)
            if info.person_id is not None:
                person_id = info.person_id
                self._add_scopes(person_id, info.scopes)
            else:
                person_id = self._insert_person(display_name or "(ไม่ระบุชื่อ)", info.role, info.unit_id, None,
                                                info.scopes)
                self._audit("add", "person", person_id, None, self.person(person_id), actor_person=person_id,
                            actor=f"invite:{info.id}")
            self._link_identity(person_id, channel, str(external_id), display_name, person_id)
            self.db.execute("UPDATE invites SET used_by = ?, used_at = ?, used_channel = ? WHERE id = ?",
                            [person_id, now.isoformat(), channel, info.id])
            self._audit("redeem", "invite", info.id, None, {"used_by": person_id, "used_at": now,
                        "channel": channel}, actor_person=person_id)
            person = self.person(person_id)
        return person

    # -- agreements

    @staticmethod
    def _agreement(row: dict[str, Any]) -> Agreement:
        return Agreement(row["id"], row["catalog_id"], row["unit_id"], row["fiscal_year"], row["round"],
                         date.fromisoformat(row["start"]), date.fromisoformat(row["end"]),
                         json.loads(row["chosen"] or "{}"), row["variant"], json.loads(row["cases"] or "{}"))

    def agreements(self, unit_id: str | None, on: date) -> list[Agreement]:
        """Agreements in force on ``on`` for a unit (or for every unit when ``unit_id`` is None)."""
        sql = 'SELECT * FROM agreements WHERE start <= ? AND "end" >= ?'
        params: list[Any] = [on.isoformat(), on.isoformat()]
        if unit_id is not None:
            sql += " AND unit_id = ?"
            params.append(unit_id)
        with self._lock:
            return list(self._cache.get("agreements", ("agreements", unit_id, on), lambda: [
                self._agreement(r) for r in self._rows(sql + " ORDER BY unit_id, catalog_id, id", params)]))

    def all_agreements(self, unit_id: str | None = None) -> list[Agreement]:
        sql, params = "SELECT * FROM agreements", []
        if unit_id is not None:
            sql, params = sql + " WHERE unit_id = ?", [unit_id]
        return [self._agreement(r) for r in self._rows(sql + " ORDER BY fiscal_year, round, unit_id, catalog_id",
                                                       params)]

    def assign_agreement(self, catalog_id: str, unit_id: str, fiscal_year: int, round: int | None, start: date,
                         end: date, *, chosen: dict[str, str] | None = None, variant: str | None = None,
                         cases: dict[str, str] | None = None,
                         actor: int | str | None = None) -> tuple[Agreement, str]:
        """Add or update the agreement (catalog, unit, fiscal year, round); returns it and added/changed/unchanged."""
        if start > end:
            raise ValueError("start is after end")
        if self.unit(unit_id) is None:
            raise ValueError(f"unknown unit {unit_id!r}")
        fields = {"catalog_id": catalog_id, "unit_id": unit_id, "fiscal_year": fiscal_year, "round": round,
                  "start": start.isoformat(), "end": end.isoformat(), "chosen": _json(chosen or {}),
                  "variant": variant, "cases": _json(cases or {})}
        with self._write():
            old = self._row("SELECT * FROM agreements WHERE catalog_id = ? AND unit_id = ? AND fiscal_year = ? "
                            "AND IFNULL(round, 0) = IFNULL(?, 0)", [catalog_id, unit_id, fiscal_year, round])
            before = self._agreement(old) if old else None
            if old is None:
                agreement_id = self.db["agreements"].insert({**fields, "created_at": self._now().isoformat()}).last_pk
                status = "added"
            else:
                agreement_id = old["id"]
                status = "unchanged" if all(old[k] == v for k, v in fields.items()) else "changed"
                if status == "changed":
                    self.db["agreements"].update(agreement_id, fields)
            after = self._agreement(self._row("SELECT * FROM agreements WHERE id = ?", [agreement_id]))
            if status != "unchanged":
                self._audit("add" if before is None else "update", "agreement", agreement_id, before, after,
                            **self._actor(actor))
        return after, status

    # -- submissions

    @staticmethod
    def _submission(row: dict[str, Any]) -> Submission:
        return Submission(row["id"], row["version"], row["person_id"], row["unit_id"], row["catalog_id"],
                          row["kpi_id"], row["period"], json.loads(row["inputs"] or "{}"), row["level"],
                          row["channel"], row["message_id"], _dt_out(row["sent_at"]), _dt_out(row["recorded_at"]),
                          bool(row["retracted"]), tuple(json.loads(row.get("flags") or "[]")))

    def submission(self, submission_id: int) -> Submission | None:
        row = self._row("SELECT * FROM submissions WHERE id = ?", [submission_id])
        return self._submission(row) if row else None

    def retracted_by(self, submission_id: int) -> Submission | None:
        """The retraction that undid this version, if any."""
        row = self._row("SELECT * FROM submissions WHERE retracts = ? ORDER BY id LIMIT 1", [submission_id])
        return self._submission(row) if row else None

    def _insert_submission(self, unit_id: str, catalog_id: str, kpi_id: str, period: str, person_id: int,
                           inputs: dict[str, Any], level: int, channel: str, message_id: str,
                           sent_at: datetime, retracts: int | None, flags: tuple[str, ...] = ()) -> Submission:
        version = self.db.execute(
            "SELECT IFNULL(MAX(version), 0) + 1 FROM submissions WHERE unit_id = ? AND catalog_id = ? "
            "AND kpi_id = ? AND period = ?", [unit_id, catalog_id, kpi_id, period]).fetchone()[0]
        row = {"unit_id": unit_id, "catalog_id": catalog_id, "kpi_id": kpi_id, "period": period,
               "version": version, "person_id": person_id, "channel": channel, "message_id": str(message_id),
               "sent_at": _dt_in(sent_at), "recorded_at": self._now().isoformat(), "inputs": _json(inputs),
               "level": int(level), "retracted": int(retracts is not None), "retracts": retracts,
               "flags": _json(list(flags)) if flags else None}
        submission_id = self.db["submissions"].insert(row).last_pk
        created = self._submission(self._row("SELECT * FROM submissions WHERE id = ?", [submission_id]))
        self._audit("retract" if retracts is not None else "submit", "submission", submission_id,
                    None if retracts is None else {"retracts": retracts}, created, actor_person=person_id)
        return created

    def add_submission(self, new: NewSubmission) -> Submission:
        """Append a version; returns after the transaction has committed."""
        if not 0 <= int(new.level) <= 5:
            raise ValueError(f"level {new.level} is outside 0-5")
        with self._write():
            return self._insert_submission(new.unit_id, new.catalog_id, new.kpi_id, new.period, new.person_id,
                                           new.inputs, new.level, new.channel, new.message_id, new.sent_at, None,
                                           tuple(new.flags))

    def retract(self, submission_id: int, person_id: int, channel: str, message_id: str,
                sent_at: datetime) -> Submission:
        """Undo one version by appending a retraction (history kept). The retraction carries the undone
        version's inputs and level, with ``retracted=True``; ``current()`` then falls back to the version
        before it, if any."""
        with self._write():
            old = self._row("SELECT * FROM submissions WHERE id = ?", [submission_id])
            if old is None:
                raise KeyError(submission_id)
            if old["retracted"]:
                raise ValueError("a retraction cannot be retracted")
            if self._row("SELECT 1 AS x FROM submissions WHERE retracts = ?", [submission_id]):
                raise ValueError(f"submission {submission_id} is already retracted")
            return self._insert_submission(old["unit_id"], old["catalog_id"], old["kpi_id"], old["period"],
                                           person_id, json.loads(old["inputs"]), old["level"], channel,
                                           message_id, sent_at, submission_id)

    _LIVE = ("retracted = 0 AND id NOT IN (SELECT retracts FROM submissions WHERE retracts IS NOT NULL)")

    def current(self, unit_id: str, catalog_id: str, kpi_id: str | None = None,
                period: str | None = None) -> list[Submission]:
        """The latest live version per (KPI, period): not a retraction and not retracted."""
        where, params = ["unit_id = ?", "catalog_id = ?"], [unit_id, catalog_id]
        if kpi_id is not None:
            where.append("kpi_id = ?")
            params.append(kpi_id)
        if period is not None:
            where.append("period = ?")
            params.append(period)
        sql = (f"WITH live AS (SELECT * FROM submissions WHERE {' AND '.join(where)} AND {self._LIVE}), "
               "ranked AS (SELECT *, ROW_NUMBER() OVER (PARTITION BY kpi_id, period ORDER BY version DESC) AS rn "
               "FROM live) SELECT * FROM ranked WHERE rn = 1 ORDER BY kpi_id, period")
        with self._lock:
            return list(self._cache.get(submissions_family(unit_id, catalog_id), ("current", kpi_id, period),
                                        lambda: [self._submission(r) for r in self._rows(sql, params)]))

    def history(self, unit_id: str, catalog_id: str, kpi_id: str) -> list[Submission]:
        """Every version of one KPI for a unit, all periods, oldest first."""
        def load() -> list[Submission]:
            return [self._submission(r) for r in self._rows(
                "SELECT * FROM submissions WHERE unit_id = ? AND catalog_id = ? AND kpi_id = ? "
                "ORDER BY period, version", [unit_id, catalog_id, kpi_id])]

        with self._lock:
            return list(self._cache.get(submissions_family(unit_id, catalog_id), ("history", kpi_id), load))

    def last_submission_by(self, person_id: int) -> Submission | None:
        """The person's latest submission that is still live (so repeated "undo" walks back one by one)."""
        row = self._row(f"SELECT * FROM submissions WHERE person_id = ? AND {self._LIVE} ORDER BY id DESC LIMIT 1",
                        [person_id])
        return self._submission(row) if row else None

    # -- evidence

    def _evidence(self, row: dict[str, Any]) -> Evidence:
        gps = (row["gps_lat"], row["gps_lon"]) if row["gps_lat"] is not None else None
        return Evidence(row["id"], row["sha256"], str(self.evidence_dir / row["path"]), row["mime"], row["size"],
                        row["person_id"], row["unit_id"], row["catalog_id"], row["kpi_id"], row["period"],
                        _dt_out(row["received_at"]), row["width"], row["height"], _dt_out(row["taken_at"]), gps,
                        row["file_name"], row["duplicate_of"])

    def add_evidence(self, data: bytes, *, person_id: int, unit_id: str, catalog_id: str, kpi_id: str,
                     period: str, received_at: datetime, file_name: str | None = None,
                     mime_hint: str | None = None) -> Evidence:
        """Keep the bytes (once, by sha256) and record them for a unit/KPI/period.

        The same bytes sent again for the same unit, KPI and period return the earlier record; sent for
        another unit or period they are recorded with ``duplicate_of`` naming the first such record.
        Bytes ``ev.check`` refuses raise ``EvidenceRefused`` and nothing is written.
        """
        facts = ev.accept(data, mime_hint, file_name, today=received_at.astimezone(BANGKOK).date())
        ev.store_bytes(self.evidence_dir, data, facts.sha256)  # outside the transaction: content-addressed, idempotent
        with self._write():
            same = self._row("SELECT * FROM evidence WHERE sha256 = ? AND unit_id = ? AND catalog_id = ? "
                             "AND kpi_id = ? AND period = ? ORDER BY id LIMIT 1",
                             [facts.sha256, unit_id, catalog_id, kpi_id, period])
            if same is not None:
                return self._evidence(same)
            other = self._row("SELECT id FROM evidence WHERE sha256 = ? AND (unit_id != ? OR period != ?) "
                              "ORDER BY id LIMIT 1", [facts.sha256, unit_id, period])
            row = {"sha256": facts.sha256, "path": ev.relative_path(facts.sha256), "mime": facts.mime,
                   "size": facts.size, "width": facts.width, "height": facts.height,
                   "taken_at": _dt_in(facts.taken_at),
                   "gps_lat": facts.gps[0] if facts.gps else None, "gps_lon": facts.gps[1] if facts.gps else None,
                   "file_name": file_name, "person_id": person_id, "unit_id": unit_id, "catalog_id": catalog_id,
                   "kpi_id": kpi_id, "period": period, "received_at": _dt_in(received_at),
                   "recorded_at": self._now().isoformat(), "duplicate_of": other["id"] if other else None}
            evidence_id = self.db["evidence"].insert(row).last_pk
            created = self._evidence(self._row("SELECT * FROM evidence WHERE id = ?", [evidence_id]))
            self._audit("add", "evidence", evidence_id, None, created, actor_person=person_id)
        return created

    def evidence_for(self, unit_id: str, catalog_id: str, kpi_id: str,
                     period: str | None = None) -> list[Evidence]:
        sql = "SELECT * FROM evidence WHERE unit_id = ? AND catalog_id = ? AND kpi_id = ?"
        params: list[Any] = [unit_id, catalog_id, kpi_id]
        if period is not None:
            sql += " AND period = ?"
            params.append(period)
        return [self._evidence(r) for r in self._rows(sql + " ORDER BY id", params)]

    def keep_file(self, data: bytes, file_name: str | None = None, mime_hint: str | None = None) -> str:
        """Keep bytes not yet recorded as evidence (a photo waiting for "which KPI?") where evidence lives,
        under their sha256, so a restart before the pick loses nothing; returns the sha256. Checked as
        evidence first: refused bytes raise ``EvidenceRefused`` and nothing is written."""
        sha256 = ev.accept(data, mime_hint, file_name, today=self._now().date()).sha256
        ev.store_bytes(self.evidence_dir, data, sha256)
        return sha256

    def forget_kept_files(self, age: timedelta = timedelta(days=1)) -> int:
        """Delete files kept for a "which KPI?" pick that was cancelled or abandoned: written more than ``age``
        ago, and referred to by no evidence row and no waiting conversation state. Returns how many were
        deleted. (Younger files are left: their state may be being written right now.)"""
        with self._lock:
            used = {str(r["path"]) for r in self._rows("SELECT path FROM evidence")}
            for r in self._rows("SELECT state FROM conversation_state"):
                try:
                    files = json.loads(r["state"]).get("files") or []
                except (ValueError, AttributeError):
                    continue
                used.update(ev.relative_path(str(f.get("sha256") or "")) for f in files if isinstance(f, dict))
        cutoff = time.time() - age.total_seconds()  # (file times are the file system's wall clock)
        deleted = 0
        root = Path(self.evidence_dir)
        for folder in root.glob("[0-9a-f][0-9a-f]"):
            for path in folder.iterdir():
                name = f"{folder.name}/{path.name}"
                if len(path.name) != 64 or name in used:
                    continue
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        deleted += 1
                except FileNotFoundError:
                    continue
        return deleted

    def kept_file(self, sha256: str) -> bytes:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise FileNotFoundError(sha256)
        return (self.evidence_dir / ev.relative_path(sha256)).read_bytes()

    def evidence_bytes(self, evidence_id: int) -> bytes:
        row = self._row("SELECT path FROM evidence WHERE id = ?", [evidence_id])
        if row is None:
            raise KeyError(evidence_id)
        return (self.evidence_dir / row["path"]).read_bytes()

    # -- conversation state

    def get_state(self, chat_key: str) -> dict[str, Any] | None:
        row = self._row("SELECT state FROM conversation_state WHERE chat_key = ?", [chat_key])
        return json.loads(row["state"]) if row else None

    def set_state(self, chat_key: str, state: dict[str, Any] | None) -> None:
        """Not audited: conversation state is transient bookkeeping, not a change to the record; committed
        without an fsync of its own (``_transaction(durable=False)``): 1-3 ms less a message."""
        with self._transaction(durable=False):
            if state is None:
                self.db.execute("DELETE FROM conversation_state WHERE chat_key = ?", [chat_key])
            else:
                self.db.execute("INSERT INTO conversation_state (chat_key, state, updated_at) VALUES (?, ?, ?) "
                                "ON CONFLICT (chat_key) DO UPDATE SET state = excluded.state, "
                                "updated_at = excluded.updated_at",
                                [chat_key, _json(state), self._now().isoformat()])

    # -- reminder log

    def log_reminder(self, person_id: int, deadline_key: str, stage: str, sent_at: datetime,
                     channel: str | None = None) -> bool:
        """Record that a reminder went out; False (and nothing written) when this one was already logged."""
        with self._write():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO reminder_log (person_id, deadline_key, stage, channel, sent_at) "
                "VALUES (?, ?, ?, ?, ?)", [person_id, deadline_key, stage, channel, _dt_in(sent_at)])
            return cursor.rowcount == 1

    def reminder_sent(self, person_id: int, deadline_key: str, stage: str) -> datetime | None:
        row = self._row("SELECT sent_at FROM reminder_log WHERE person_id = ? AND deadline_key = ? AND stage = ?",
                        [person_id, deadline_key, stage])
        return _dt_out(row["sent_at"]) if row else None

    # -- audit

    def audit_log(self, entity: str | None = None, entity_id: Any = None, limit: int | None = None
                  ) -> list[dict[str, Any]]:
        """Audit rows, newest last, with before/after decoded from JSON and ``at`` as a datetime."""
        sql, params = "SELECT * FROM audit", []
        where = []
        if entity is not None:
            where.append("entity = ?")
            params.append(entity)
        if entity_id is not None:
            where.append("entity_id = ?")
            params.append(str(entity_id))
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        rows = self._rows(sql, params)
        if limit is not None:
            rows = rows[-limit:]
        for r in rows:
            r["at"] = _dt_out(r["at"])
            r["before"] = json.loads(r["before"]) if r["before"] else None
            r["after"] = json.loads(r["after"]) if r["after"] else None
        return rows


__all__ = ["SqliteStore", "InviteInfo", "CODE_ALPHABET", "CODE_LENGTH", "MIGRATIONS", "hash_code",
           "normalize_code"]
