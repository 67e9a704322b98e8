"""The store under load: what durability costs, and how long `kpibot org import` holds the write lock.

- Durability (issue 13): single-submission commits per second (one ``add_submission`` = one transaction
  with its audit row) on a WAL file with ``synchronous=NORMAL`` against ``FULL`` (the store's setting:
  FULL syncs the WAL at every commit, so an acknowledged submission survives a power loss; NORMAL may
  roll the last commits back). Measured on this machine (2 cores shared with other work, Python 3.11,
  SQLite 3.40), six runs: NORMAL 1,000-3,100 commits/s, FULL 290-1,500 (FULL 0.1-0.7x of NORMAL; the
  spread is the machine's load), i.e. 0.7-3.5 ms a durable commit, far above what a chat bot writes.
- `org import` of a generated 2,500-row CSV (50 districts): before issue 13 25-33 s in one transaction
  (quadratic: every row scanned all people by name); after 0.5-1.8 s, committing every 200 rows with
  a 30 ms gap, while a second writer taking the lock in a loop waited at most 150-200 ms (without the
  gap SQLite's busy handler kept missing the moment between batches and waited the whole import).
"""

from __future__ import annotations

import csv
import sqlite3
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from bot.cli.admin import import_org
from bot.store.sqlite import SqliteStore
from handlers.ports import NewSubmission, Unit
from scoring.thaidate import BANGKOK

COMMITS = 400
IMPORT_ROWS = 2500


def commits_per_second(folder: Path, synchronous: str, n: int = COMMITS) -> float:
    """Single-submission commits per second on a fresh file with the given ``synchronous`` mode."""
    store = SqliteStore(folder / f"sync-{synchronous}.sqlite3", folder / "evidence", synchronous=synchronous)
    try:
        store.put_unit(Unit("u", "หน่วย", "province", None, {}))
        person = store.add_person("นายทดสอบ ระบบ", "reporter", "u")
        sent = datetime(2025, 6, 1, 9, 0, tzinfo=BANGKOK)
        start = time.perf_counter()
        for i in range(n):
            store.add_submission(NewSubmission(person.id, "u", "cat", "k1", f"p{i}", {"value": str(i)}, 3,
                                               "console", str(i), sent))
        return n / (time.perf_counter() - start)
    finally:
        store.close()


def write_staff_csv(path: Path, rows: int = IMPORT_ROWS, districts: int = 50) -> None:
    """A staff list as a province office keeps it: name, position, district, phone, province."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["ชื่อ-สกุล", "ตำแหน่ง", "อำเภอ", "เบอร์โทร", "จังหวัด"])
        for i in range(rows):
            out.writerow([f"นาย ทดสอบ{i:04d} นามสกุล{i % 97}", "พัฒนากร", f"อำเภอที่{i % districts:02d}",
                          f"08{i:08d}", "ยะลา"])


def _longest_wait(db: Path, stop: threading.Event, waits: list[float]) -> None:
    """A second writer taking and releasing the write lock in a loop; records each wait."""
    conn = sqlite3.connect(str(db), timeout=60, isolation_level=None)
    try:
        while not stop.is_set():
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            waits.append(time.perf_counter() - start)
            conn.execute("ROLLBACK")
            time.sleep(0.005)
    finally:
        conn.close()


def import_seconds(folder: Path) -> tuple[float, float, int]:
    """(seconds for the import, longest wait of a second writer meanwhile, people stored)."""
    csv_path = folder / "staff.csv"
    write_staff_csv(csv_path)
    db = folder / "import.sqlite3"
    store = SqliteStore(db, folder / "evidence")
    waits: list[float] = []
    stop = threading.Event()
    other = threading.Thread(target=_longest_wait, args=(db, stop, waits), daemon=True)
    other.start()
    try:
        start = time.perf_counter()
        report = import_org(store, csv_path)
        elapsed = time.perf_counter() - start
    finally:
        stop.set()
        other.join()
        store.close()
    return elapsed, max(waits, default=0.0), len(report.people["added"])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        normal = commits_per_second(folder, "NORMAL")
        full = commits_per_second(folder, "FULL")
        print(f"store: single-submission commits/s (WAL): NORMAL {normal:,.0f}, FULL {full:,.0f} "
              f"(FULL/NORMAL {full / normal:.2f}x; {1000 / full:.2f} ms a durable commit)")
        elapsed, wait, added = import_seconds(folder)
        print(f"store: org import of {IMPORT_ROWS:,} rows: {elapsed:.2f} s ({added:,} people added; "
              f"before issue 13: 25-33 s in one transaction); a second writer waited at most {wait * 1000:.0f} ms")


if __name__ == "__main__":
    main()
