"""The store's read cache: the rows a score card, a ranking and the missing list read again and again.

A national overview reads, for each of 878 districts, its agreements and its current figures; a chat answer
asks the same again a second later. ``SqliteStore`` keeps those reads here (units, agreements, people, a
unit's current figures and history per catalog) and drops them when the rows they came from change:

- **What changed is read off the audit table.** Every change to units, people (and their scopes),
  agreements and submissions is written together with its audit row in the same transaction
  (bot/store/sqlite.py; tests/bot/test_store.py checks an audit row for every change). Before a cached
  read, when this connection has committed since (``wrote()``) or another connection has (SQLite's
  ``PRAGMA data_version`` moved: another process, the CLI), the audit rows added since the last look are
  replayed (this connection's own commits at once; another connection's within ``RECHECK_S``, 20 ms: the
  pragma costs about 20 µs, and a national overview makes some 12,000 reads — a read that far behind a
  commit of another process is no different from one that started 20 ms earlier): a submission (a figure, a correction, a retraction) drops only its unit's figures for that
  catalog; a unit, an agreement or a person drops that family; evidence, identities, invites and codes
  drop nothing cached; any other entity, or an audit table that shrank, drops everything.
- **Inside a transaction nothing is served from the cache** (a ``batch()`` reads what it has just written).
- Values are shared between callers (lists are copied, their items are frozen dataclasses): a caller must
  not mutate a Unit's attributes or a Submission's inputs it got from the store.
- Bounded: past ``MAX_ENTRIES`` entries everything is dropped and filled again.

tests/bot/test_store_cache.py checks that a cached read equals a fresh connection's after submissions,
corrections and retractions made through this store, through a batch, and through another connection.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

MAX_ENTRIES = 200_000
FAMILIES = {"unit": "units", "agreement": "agreements", "person": "people"}  # audit entity -> cached family
UNCACHED = frozenset({"evidence", "identity", "invite", "link_code", "refused"})  # audited, nothing cached
RECHECK_S = 0.02  # another connection's commits are looked for at most this often
REPLAY_LIMIT = 20_000  # more new audit rows than this: drop everything rather than replay them


def submissions_family(unit_id: str, catalog_id: str) -> tuple[str, str, str]:
    return ("submissions", unit_id, catalog_id)


class ReadCache:
    """Cached reads of one connection; every method is called under the store's lock."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._families: dict[Hashable, dict[Hashable, Any]] = {}
        self._entries = 0
        self._version = self._data_version()
        self._checked = time.monotonic()
        self._seen = self._last_audit()
        self._dirty = False

    def _data_version(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def _last_audit(self) -> int:
        return int(self.conn.execute("SELECT IFNULL(MAX(id), 0) FROM audit").fetchone()[0])

    def wrote(self) -> None:
        """This connection ended a write transaction (committed or rolled back): look before the next read."""
        self._dirty = True

    def clear(self) -> None:
        self._families.clear()
        self._entries = 0

    def get(self, family: Hashable, key: Hashable, load: Callable[[], T]) -> T:
        if self.conn.in_transaction:
            return load()
        now = time.monotonic()
        if self._dirty or now - self._checked >= RECHECK_S:
            version = self._data_version()
            self._checked = now
            if self._dirty or version != self._version:
                self._version, self._dirty = version, False
                self._replay()
        entries = self._families.setdefault(family, {})
        if key in entries:
            return entries[key]
        value = load()
        if self._entries >= MAX_ENTRIES:
            self.clear()
            entries = self._families.setdefault(family, {})
        entries[key] = value
        self._entries += 1
        return value

    def _drop(self, family: Hashable) -> None:
        self._entries -= len(self._families.pop(family, {}))

    def _replay(self) -> None:
        """Drop what the audit rows added since the last look say has changed."""
        last = self._last_audit()
        if last < self._seen or last - self._seen > REPLAY_LIMIT:
            self.clear()
            self._seen = last
            return
        if last == self._seen:
            return
        rows = self.conn.execute("SELECT entity, entity_id FROM audit WHERE id > ? AND id <= ?",
                                 [self._seen, last]).fetchall()
        self._seen = last
        submissions: set[int] = set()
        for entity, entity_id in rows:
            if entity == "submission":
                submissions.add(int(entity_id))
            elif entity in FAMILIES:
                self._drop(FAMILIES[entity])
            elif entity not in UNCACHED:
                self.clear()
                return
        if submissions:
            marks = ",".join("?" * len(submissions))
            for unit_id, catalog_id in self.conn.execute(
                    f"SELECT DISTINCT unit_id, catalog_id FROM submissions WHERE id IN ({marks})",  # noqa: S608
                    sorted(submissions)).fetchall():
                self._drop(submissions_family(unit_id, catalog_id))
