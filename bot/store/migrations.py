"""Versioned schema migrations for the kpibot SQLite file.

``MIGRATIONS`` is an ordered list; migration N (1-based) runs once, in its own ``db.atomic()``
transaction, and is recorded in ``schema_version``. Opening an older file upgrades it; a file
written by a newer kpibot is refused rather than guessed at. Never edit a released migration:
append a new one.

Datetimes are ISO-8601 strings with their UTC offset; dates are ``YYYY-MM-DD``; JSON columns hold
UTF-8 JSON text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils


def _v1_core(db: sqlite_utils.Database) -> None:
    """Organisation, people, identities, invites, agreements, submissions, evidence, audit, reminders, state."""
    for sql in [
        """CREATE TABLE units (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('province', 'district', 'group')),
            parent TEXT REFERENCES units(id),
            attributes TEXT NOT NULL DEFAULT '{}'
        )""",
        """CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('reporter', 'chief', 'coordinator', 'admin')),
            unit_id TEXT NOT NULL REFERENCES units(id),
            phone TEXT,
            reminders TEXT NOT NULL DEFAULT 'on' CHECK (reminders IN ('on', 'muted', 'snoozed')),
            snoozed_until TEXT,
            reachable INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE scopes (
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('unit', 'province', 'kpi_group')),
            value TEXT NOT NULL,
            PRIMARY KEY (person_id, kind, value)
        )""",
        """CREATE TABLE identities (
            channel TEXT NOT NULL,
            external_id TEXT NOT NULL,
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            display_name TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (channel, external_id)
        )""",
        """CREATE TABLE invites (
            id INTEGER PRIMARY KEY,
            code_sha256 TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('reporter', 'chief', 'coordinator', 'admin')),
            unit_id TEXT NOT NULL REFERENCES units(id),
            person_id INTEGER REFERENCES people(id),
            scopes TEXT NOT NULL DEFAULT '[]',
            created_by INTEGER REFERENCES people(id),
            created_at TEXT NOT NULL,
            expires_at TEXT,
            used_by INTEGER REFERENCES people(id),
            used_at TEXT,
            used_channel TEXT,
            revoked_at TEXT
        )""",
        """CREATE TABLE agreements (
            id INTEGER PRIMARY KEY,
            catalog_id TEXT NOT NULL,
            unit_id TEXT NOT NULL REFERENCES units(id),
            fiscal_year INTEGER NOT NULL,
            round INTEGER,
            start TEXT NOT NULL,
            "end" TEXT NOT NULL,
            chosen TEXT NOT NULL DEFAULT '{}',
            variant TEXT,
            cases TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            CHECK (start <= "end")
        )""",
        """CREATE UNIQUE INDEX agreements_key ON agreements (catalog_id, unit_id, fiscal_year, IFNULL(round, 0))""",
        """CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            unit_id TEXT NOT NULL REFERENCES units(id),
            catalog_id TEXT NOT NULL,
            kpi_id TEXT NOT NULL,
            period TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            person_id INTEGER NOT NULL REFERENCES people(id),
            channel TEXT NOT NULL,
            message_id TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            inputs TEXT NOT NULL DEFAULT '{}',
            level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 5),
            retracted INTEGER NOT NULL DEFAULT 0 CHECK (retracted IN (0, 1)),
            retracts INTEGER REFERENCES submissions(id),
            UNIQUE (unit_id, catalog_id, kpi_id, period, version)
        )""",
        # append-only: a correction or a retraction is a new version, never an edit
        """CREATE TRIGGER submissions_no_update BEFORE UPDATE ON submissions
           BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END""",
        """CREATE TRIGGER submissions_no_delete BEFORE DELETE ON submissions
           BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END""",
        """CREATE TABLE evidence (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL,
            path TEXT NOT NULL,
            mime TEXT NOT NULL,
            size INTEGER NOT NULL,
            width INTEGER,
            height INTEGER,
            taken_at TEXT,
            gps_lat REAL,
            gps_lon REAL,
            file_name TEXT,
            person_id INTEGER NOT NULL REFERENCES people(id),
            unit_id TEXT NOT NULL REFERENCES units(id),
            catalog_id TEXT NOT NULL,
            kpi_id TEXT NOT NULL,
            period TEXT NOT NULL,
            received_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            duplicate_of INTEGER REFERENCES evidence(id)
        )""",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor_person INTEGER,
            actor TEXT,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT,
            before TEXT,
            after TEXT
        )""",
        """CREATE TABLE reminder_log (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            deadline_key TEXT NOT NULL,
            stage TEXT NOT NULL,
            channel TEXT,
            sent_at TEXT NOT NULL,
            UNIQUE (person_id, deadline_key, stage)
        )""",
        """CREATE TABLE conversation_state (
            chat_key TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
    ]:
        db.execute(sql)


def _v2_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for the lookups the conversation makes on every message."""
    for sql in [
        "CREATE INDEX units_parent ON units (parent)",
        "CREATE INDEX people_unit ON people (unit_id, role)",
        "CREATE INDEX identities_person ON identities (person_id)",
        "CREATE INDEX submissions_person ON submissions (person_id, id)",
        "CREATE INDEX submissions_retracts ON submissions (retracts) WHERE retracts IS NOT NULL",
        "CREATE INDEX evidence_key ON evidence (unit_id, catalog_id, kpi_id, period)",
        "CREATE INDEX evidence_sha ON evidence (sha256)",
        "CREATE INDEX audit_entity ON audit (entity, entity_id)",
    ]:
        db.execute(sql)


def _v3_channel_links(db: sqlite_utils.Database) -> None:
    """LINE webhook redeliveries (seen webhookEventIds) and one-time codes that link a second channel."""
    for sql in [
        """CREATE TABLE channel_events (
            channel TEXT NOT NULL,
            event_id TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (channel, event_id)
        )""",
        "CREATE INDEX channel_events_seen ON channel_events (seen_at)",
        """CREATE TABLE link_codes (
            code_sha256 TEXT PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            used_channel TEXT,
            used_external_id TEXT
        )""",
    ]:
        db.execute(sql)


def _reminder_outbox(db: sqlite_utils.Database) -> None:
    """Reminders sent in two phases (bot/reminders/engine.py): pending -> sending -> sent (or blocked,
    failed, unknown, expired), one row per (reminder, identity), with a fixed idempotency key."""
    for sql in [
        """CREATE TABLE reminder_outbox (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            deadline_key TEXT NOT NULL,
            stage TEXT NOT NULL,
            channel TEXT NOT NULL,
            external_id TEXT NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE,
            text TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'blocked', 'failed', 'unknown', 'expired')),
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            next_attempt_at TEXT NOT NULL,
            until TEXT NOT NULL,
            sent_at TEXT,
            error TEXT,
            UNIQUE (person_id, deadline_key, stage, channel, external_id)
        )""",
        "CREATE INDEX reminder_outbox_status ON reminder_outbox (status)",
    ]:
        db.execute(sql)


Migration = Callable[[sqlite_utils.Database], None]

def _submission_flags(db: sqlite_utils.Database) -> None:
    """Plausibility flags a submission was confirmed with ("สูงกว่าครั้งก่อนมาก"), as a JSON list.
    A column added to an append-only table: existing rows read as no flags."""
    db.execute("ALTER TABLE submissions ADD COLUMN flags TEXT")


def _name_indexes(db: sqlite_utils.Database) -> None:
    """Look-ups by exact name (org import resolves every row by name): without these each one scanned
    its table, which made a 2,500-row import quadratic (33 s holding the write lock, issue 13)."""
    for sql in ["CREATE INDEX people_name ON people (name)", "CREATE INDEX units_name ON units (name)"]:
        db.execute(sql)


def _outbox_charts(db: sqlite_utils.Database) -> None:
    """A chart that follows a reminder's text (the chiefs' weekly digest, issue 14): its own outbox row,
    with what to draw (``chart``: a spec such as "ranking|yala|2025-06-16", drawn when sent), never the
    PNG. Text rows keep ``chart`` NULL."""
    db.execute("ALTER TABLE reminder_outbox ADD COLUMN chart TEXT")


def _department_kinds(db: sqlite_utils.Database) -> None:
    """Units above a province (issue 14, national scale): a department (กรม) over the provinces, a division
    (กอง, 004) under a department. Only the units table's CHECK on ``kind`` widens; no row changes, so the
    table is not rebuilt: its stored definition is edited in place, the procedure SQLite documents for a
    change that leaves the file's content valid (ALTER TABLE, "other kinds of table schema changes"),
    with the schema cookie bumped so every connection reloads it."""
    old = "CHECK (kind IN ('province', 'district', 'group'))"
    new = "CHECK (kind IN ('department', 'division', 'province', 'district', 'group'))"
    db.execute("PRAGMA writable_schema = ON")
    try:
        db.execute("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'units'",
                   [old, new])
        cookie = db.execute("PRAGMA schema_version").fetchone()[0]
        db.execute(f"PRAGMA schema_version = {int(cookie) + 1}")
    finally:
        db.execute("PRAGMA writable_schema = OFF")


def _evidence_retractions(db: sqlite_utils.Database) -> None:
    """An officer withdrawing their own evidence (issue 14): a row here, never a deletion. The evidence row
    and its file stay (history, audit); a retracted file is not sent back, counted or put in the pack's
    zip. One retraction per evidence row; evidence rows and retractions refuse DELETE."""
    for sql in [
        """CREATE TABLE evidence_retractions (
            evidence_id INTEGER PRIMARY KEY REFERENCES evidence(id),
            person_id INTEGER NOT NULL REFERENCES people(id),
            at TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )""",
        """CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
           BEGIN SELECT RAISE(ABORT, 'evidence is never deleted: retract it'); END""",
        """CREATE TRIGGER evidence_retractions_no_delete BEFORE DELETE ON evidence_retractions
           BEGIN SELECT RAISE(ABORT, 'a retraction is never deleted'); END""",
    ]:
        db.execute(sql)


MIGRATIONS: list[Migration] = [_v1_core, _v2_indexes, _v3_channel_links, _reminder_outbox, _submission_flags,
                               _name_indexes, _outbox_charts, _department_kinds, _evidence_retractions]


class SchemaTooNew(RuntimeError):
    pass


def current_version(db: sqlite_utils.Database) -> int:
    if "schema_version" not in db.table_names():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(db: sqlite_utils.Database, migrations: list[Migration] | None = None) -> int:
    """Bring the file up to the newest schema; returns the version it is at afterwards."""
    migrations = MIGRATIONS if migrations is None else migrations
    with db.atomic():
        db.execute("""CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )""")
    version = current_version(db)
    if version > len(MIGRATIONS):
        raise SchemaTooNew(f"database schema version {version} is newer than this kpibot ({len(MIGRATIONS)})")
    for number, migration in enumerate(migrations, start=1):
        if number <= version:
            continue
        with db.atomic():
            migration(db)
            db.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                [number, migration.__name__.lstrip("_"), datetime.now(UTC).isoformat()],
            )
        version = number
    return version
