"""Start-up checks of the database and the evidence folder, and what a failed SQLite call means, in one line.

- ``check_storage(db, evidence_dir)`` (``kpibot run`` and ``kpibot chat`` call it before anything else):
  the evidence folder exists or can be made, and a file can be written there; the database opens (its
  schema migrated), passes ``PRAGMA quick_check`` and takes a write (``BEGIN IMMEDIATE`` then a header
  write, rolled back: SQLite opens a read-only file without complaint and fails only at the first write).
  A missing database is not created here: only its folder is checked (``kpibot chat`` builds the demo
  there). Any failure raises ``StorageProblem`` carrying one Thai and one English sentence. Then photos kept
  for a "which KPI?" pick that was cancelled or abandoned more than a day ago are deleted
  (``SqliteStore.forget_kept_files``): nothing refers to them.
- ``storage_problem(exc)`` turns an SQLite or file error from anywhere in a command into the same kind of
  sentence (locked, read-only, corrupted, cannot open), or None for an error it does not know.
  "Locked" is said only after the store's busy timeout (``BUSY_TIMEOUT_S``, 5 s): SQLite's busy handler
  retries the lock for that long first.
The CLI prints ``problem.line`` and exits with code 2; no traceback.
- ``probe_storage(db, evidence_dir)`` (bot/run/watch.py, every minute while the bot runs): the same write
  test on a connection of its own, opened and closed each time (as a restarted process would find the
  file: a connection already open keeps writing through a file made read-only under it), without
  ``quick_check`` (seconds on a national database); a problem or None. Locked is not a problem here.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from bot.store.sqlite import BUSY_TIMEOUT_S, SqliteStore


class StorageProblem(Exception):
    """A database or folder the bot cannot work with; ``line`` is what the user reads."""

    def __init__(self, kind: str, th: str, en: str):
        super().__init__(en)
        self.kind = kind  # "locked" | "readonly" | "corrupt" | "unopenable" | "evidence" | "folder" | "failing"
        self.th = th
        self.en = en

    @property
    def line(self) -> str:
        return f"{self.th} / {self.en}"


def storage_problem(exc: BaseException, db: str | Path | None = None) -> StorageProblem | None:
    """What an exception from the store means for the user, or None when it is not a storage problem."""
    if isinstance(exc, StorageProblem):
        return exc
    where = f" ({db})" if db else ""
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        text = str(exc).lower()
        if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED") or "locked" in text:
            return StorageProblem(
                "locked",
                f"ฐานข้อมูลกำลังถูกโปรแกรมอื่นเขียนอยู่{where} รอแล้ว {BUSY_TIMEOUT_S:g} วินาที กรุณาลองใหม่อีกครั้ง",
                f"the database{where} is locked by another writer (waited {BUSY_TIMEOUT_S:g} s); try again")
        if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
            return StorageProblem(
                "readonly",
                f"ฐานข้อมูลเขียนไม่ได้{where} (ไฟล์หรือโฟลเดอร์เป็นแบบอ่านอย่างเดียว) กรุณาตรวจสิทธิ์ไฟล์",
                f"the database{where} is read-only (the file or its folder); check its permissions")
        if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or "not a database" in text or "malformed" in text:
            return StorageProblem(
                "corrupt",
                f"ไฟล์ฐานข้อมูลเสียหาย{where} กรุณากู้จากสำเนาสำรอง",
                f"the database file{where} is corrupted (not a database or malformed); restore a backup")
        if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
            return StorageProblem(
                "unopenable",
                f"เปิดไฟล์ฐานข้อมูลไม่ได้{where} กรุณาตรวจว่าโฟลเดอร์มีอยู่และเขียนได้",
                f"cannot open the database file{where}; check that its folder exists and is writable")
        return None
    if isinstance(exc, PermissionError):
        return StorageProblem("folder", f"เขียนไฟล์ไม่ได้ ({exc.filename}) กรุณาตรวจสิทธิ์โฟลเดอร์",
                              f"cannot write {exc.filename}: permission denied")
    return None


def _writable_folder(folder: Path, kind: str, th_what: str, en_what: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".kpibot-check-"):
            pass
    except OSError as exc:
        raise StorageProblem(kind, f"{th_what} {folder} เขียนไม่ได้ กรุณาตรวจสิทธิ์โฟลเดอร์",
                             f"{en_what} {folder} is not writable ({exc.strerror or exc})") from None


def check_store(store: SqliteStore) -> None:
    """The open store passes ``PRAGMA quick_check`` and takes a write (rolled back)."""
    with store._lock:
        conn = store.db.conn
        result = [row[0] for row in conn.execute("PRAGMA quick_check")]
        if result != ["ok"]:
            raise StorageProblem("corrupt", f"ไฟล์ฐานข้อมูลเสียหาย ({store.path}) กรุณากู้จากสำเนาสำรอง",
                                 f"the database file ({store.path}) fails its integrity check: "
                                 f"{'; '.join(map(str, result[:3]))}")
        _write_test(conn)


def _write_test(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"PRAGMA user_version = {int(version)}")  # a real write to the header page
    finally:
        conn.execute("ROLLBACK")


def probe_storage(db: str | Path, evidence_dir: str | Path) -> StorageProblem | None:
    """The database takes a write on a fresh connection and the evidence folder a file; else the problem."""
    db, evidence_dir = Path(db), Path(evidence_dir)
    try:
        if not db.exists():
            raise StorageProblem("unopenable", f"ไม่พบไฟล์ฐานข้อมูล ({db})", f"the database file ({db}) is gone")
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            _write_test(conn)
        finally:
            conn.close()
        _writable_folder(evidence_dir, "evidence", "โฟลเดอร์เก็บหลักฐาน", "the evidence folder")
    except (sqlite3.Error, OSError, StorageProblem) as exc:
        problem = storage_problem(exc, db)
        if problem is None:  # an SQLite error it has no sentence for (disk I/O, full): still a problem
            problem = StorageProblem("failing", f"ฐานข้อมูลเขียนไม่ได้ ({db}): {exc}",
                                     f"the database ({db}) cannot be written: {exc}")
        return None if problem.kind == "locked" else problem
    return None


def check_storage(db: str | Path, evidence_dir: str | Path) -> None:
    """Raise StorageProblem unless the evidence folder and the database (when it exists) are usable."""
    db, evidence_dir = Path(db), Path(evidence_dir)
    if db.exists():
        _check_database(db, evidence_dir)
    else:
        _writable_folder(db.parent, "folder", "โฟลเดอร์ฐานข้อมูล", "the database folder")
    _writable_folder(evidence_dir, "evidence", "โฟลเดอร์เก็บหลักฐาน", "the evidence folder")


def _check_database(db: Path, evidence_dir: Path) -> None:
    if not os.access(db, os.R_OK):
        raise StorageProblem("unopenable", f"อ่านไฟล์ฐานข้อมูลไม่ได้ ({db}) กรุณาตรวจสิทธิ์ไฟล์",
                             f"cannot read the database file ({db}); check its permissions")
    store = None
    try:
        store = SqliteStore(db, evidence_dir)
        check_store(store)
        # photos kept for a "which KPI?" that was cancelled or abandoned more than a day ago (issue 12)
        store.forget_kept_files()
    except (sqlite3.Error, OSError) as exc:
        problem = storage_problem(exc, db)
        if problem is None:
            raise
        raise problem from None
    finally:
        if store is not None:
            store.close()


__all__ = ["StorageProblem", "check_storage", "check_store", "probe_storage", "storage_problem"]
