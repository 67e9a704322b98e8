"""The store: the only room that runs SQL. SQLite on disk (`sqlite`), its schema history (`migrations`)
and evidence files beside it (`evidence`)."""

from bot.store.sqlite import SqliteStore

__all__ = ["SqliteStore"]
