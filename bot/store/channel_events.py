"""Webhook events already seen (table ``channel_events``): LINE redelivers an event it thinks was lost,
and the channel must not handle it twice. The store's methods the channels reach through the runtime.

``SqliteStore`` inherits ``ChannelEventsStore``; the methods use its connection and transactions.
Guarantees: ``first_delivery`` is one ``INSERT OR IGNORE`` statement, committed on its own (autocommit: a
single statement is its own transaction, so no BEGIN/COMMIT round trips on the per-event path; inside a
``batch()`` it joins that transaction), True only for the first writer of an id (two processes may race:
one wins); ``forget_events`` drops ids older
than a moment. Times are stored as ISO strings with their offset.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any


class ChannelEventsStore:
    """Mixed into SqliteStore (which provides ``db``, ``_lock`` and ``_write``)."""

    if TYPE_CHECKING:  # provided by SqliteStore
        db: Any
        _lock: Any

        def _write(self) -> AbstractContextManager[Any]: ...

    def first_delivery(self, channel: str, event_id: str, now: datetime) -> bool:
        """Record an event id; False when it was seen before (a redelivery)."""
        with self._lock:
            cursor = self.db.conn.execute(
                "INSERT OR IGNORE INTO channel_events (channel, event_id, seen_at) VALUES (?, ?, ?)",
                [channel, event_id, now.isoformat()])
            return cursor.rowcount == 1

    def forget_events(self, channel: str, before: datetime) -> int:
        """Drop the seen ids of ``channel`` older than ``before``; how many were dropped."""
        with self._write():
            return self.db.execute("DELETE FROM channel_events WHERE channel = ? AND seen_at < ?",
                                   [channel, before.isoformat()]).rowcount
