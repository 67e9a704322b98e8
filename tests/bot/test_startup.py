"""Start-up checks and storage failures, through the real `kpibot` CLI in a subprocess (issue 13).

A read-only database file, a read-only folder, a corrupted file, an unwritable evidence folder and a
database locked by another writer each end `kpibot run` / `kpibot chat` (or any command) with one line,
Thai then English, exit code 2 and no traceback. Root ignores file permissions, so when the tests run as
root the CLI runs for the permission cases without the capabilities that override them (``setpriv``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.health import StorageProblem, check_storage, storage_problem
from bot.store.sqlite import SqliteStore
from handlers.ports import Unit

ROOT = Path(__file__).resolve().parents[2]


def _kpibot() -> list[str]:
    script = Path(sys.executable).parent / "kpibot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli.main"]


def _permissions_apply() -> list[str]:
    """A prefix under which file permissions bind: nothing for a normal user, for root ``setpriv``
    without CAP_DAC_OVERRIDE and friends."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be made to bind")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable"]


def kpibot(*argv: str, env: dict[str, str] | None = None, bound: bool = False, stdin: str = "",
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real CLI; ``bound``: file permissions apply even when the tests run as root."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "TELEGRAM_", "LINE_"))}
    full_env.update({"PYTHAINLP_READ_ONLY": "1", "NO_PROXY": "127.0.0.1,localhost", "PYTHONDONTWRITEBYTECODE": "1",
                     **(env or {})})
    prefix = _permissions_apply() if bound else []
    return subprocess.run([*prefix, *_kpibot(), *argv], cwd=ROOT, env=full_env, input=stdin, capture_output=True,
                          text=True, timeout=timeout)


def assert_one_line(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert " / " in line and any("\u0e00" <= ch <= "\u0e7f" for ch in line)  # Thai, then English
    for word in words:
        assert word in line, line


@pytest.fixture
def shared(tmp_path) -> Iterator[Path]:
    """A folder whose permissions the test changes; given back writable for pytest's clean-up."""
    folder = tmp_path / "shared"
    folder.mkdir()
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o666)


def make_db(path: Path) -> None:
    store = SqliteStore(path, path.parent / "evidence")
    store.put_unit(Unit("yala", "ยะลา", "province", None, {}))
    store.add_person("นายทดสอบ ระบบ", "reporter", "yala")
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def run_env(folder: Path, db: Path) -> dict[str, str]:
    """`kpibot run` with a Telegram token: it must stop at the check, before any network call."""
    return {"KPIBOT_VAR": str(folder), "KPIBOT_DB": str(db), "TELEGRAM_BOT_TOKEN": "123:check",
            "KPIBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot", "KPIBOT_CONVERSATION": "inline"}


def test_read_only_database_file(shared):
    db = shared / "kpibot.sqlite3"
    make_db(db)
    db.chmod(0o444)
    (shared / "evidence").mkdir()
    assert_one_line(kpibot("chat", "--db", str(db), env={"KPIBOT_VAR": str(shared)}, bound=True,
                           stdin="สวัสดี\n"), "read-only")
    assert_one_line(kpibot("run", env=run_env(shared, db), bound=True), "read-only")


def test_read_only_folder(shared):
    folder = shared / "var"
    folder.mkdir()
    db = folder / "kpibot.sqlite3"
    make_db(db)
    (folder / "evidence").mkdir(exist_ok=True)
    folder.chmod(0o555)  # the file may be written, but SQLite cannot make its -wal and -shm files
    assert_one_line(kpibot("chat", "--db", str(db), env={"KPIBOT_VAR": str(folder)}, bound=True,
                           stdin="สวัสดี\n"), "read-only")
    assert_one_line(kpibot("run", env=run_env(folder, db), bound=True), "read-only")
    missing = folder / "new.sqlite3"  # a database to be created in a folder that cannot take it
    assert_one_line(kpibot("chat", "--db", str(missing), env={"KPIBOT_VAR": str(folder)}, bound=True),
                    "not writable")


def test_corrupted_database_file(tmp_path):
    db = tmp_path / "kpibot.sqlite3"
    db.write_bytes(b"this is not a database, just garbage " * 200)
    assert_one_line(kpibot("chat", "--db", str(db), env={"KPIBOT_VAR": str(tmp_path)}, stdin="สวัสดี\n"),
                    "corrupted")
    assert_one_line(kpibot("run", env=run_env(tmp_path, db)), "corrupted")
    assert_one_line(kpibot("invite", "list", "--db", str(db)), "corrupted")


def test_damaged_pages_fail_quick_check(tmp_path):
    """A valid header with damaged pages behind it opens, and only quick_check tells."""
    db = tmp_path / "kpibot.sqlite3"
    make_db(db)
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for i in range(page * 2, len(data), 7):  # leave page 1 (header, schema) alone
        data[i] = 0xA5
    db.write_bytes(bytes(data))
    with pytest.raises(StorageProblem) as caught:
        check_storage(db, tmp_path / "evidence")
    assert caught.value.kind == "corrupt"


def test_evidence_folder_not_writable(shared):
    db = shared / "kpibot.sqlite3"
    make_db(db)
    evidence = shared / "evidence"
    evidence.mkdir()
    evidence.chmod(0o555)
    assert_one_line(kpibot("chat", "--db", str(db), env={"KPIBOT_VAR": str(shared)}, bound=True,
                           stdin="สวัสดี\n"), "evidence")


def test_healthy_storage_passes(tmp_path):
    db = tmp_path / "kpibot.sqlite3"
    make_db(db)
    check_storage(db, tmp_path / "evidence")
    check_storage(tmp_path / "new" / "kpibot.sqlite3", tmp_path / "evidence")
    assert not (tmp_path / "new" / "kpibot.sqlite3").exists()  # checked, not created (chat builds the demo)


def _hold_lock(db: Path, seconds: float) -> subprocess.Popen[str]:
    code = ("import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\nprint('held', flush=True)\ntime.sleep(float(sys.argv[2]))\n"
            "c.execute('ROLLBACK')\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_locked_database_is_one_line_after_waiting(tmp_path):
    """Another process holds the write lock longer than the busy timeout: invite create and chat wait,
    then say so (before: a `sqlite3.OperationalError: database is locked` traceback)."""
    db = tmp_path / "kpibot.sqlite3"
    make_db(db)
    holder = _hold_lock(db, 20)
    try:
        start = time.monotonic()
        done = kpibot("invite", "create", "--role", "reporter", "--unit", "yala", "--db", str(db),
                      env={"KPIBOT_VAR": str(tmp_path)})
        waited = time.monotonic() - start
        assert_one_line(done, "locked")
        assert waited >= 4.5  # it retried for the busy timeout first
        assert_one_line(kpibot("chat", "--db", str(db), env={"KPIBOT_VAR": str(tmp_path)}, stdin="สวัสดี\n"),
                        "locked")
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_shorter_than_the_timeout_is_waited_out(tmp_path):
    db = tmp_path / "kpibot.sqlite3"
    make_db(db)
    holder = _hold_lock(db, 1.5)
    try:
        done = kpibot("invite", "create", "--role", "reporter", "--unit", "yala", "--db", str(db),
                      env={"KPIBOT_VAR": str(tmp_path)})
    finally:
        holder.wait()
    assert done.returncode == 0, done.stderr
    assert "รหัสเชิญ" in done.stdout


def test_storage_problem_names_each_failure():
    def error(name: str, text: str) -> sqlite3.OperationalError:
        exc = sqlite3.OperationalError(text)
        exc.sqlite_errorname = name
        return exc

    assert storage_problem(error("SQLITE_BUSY", "database is locked")).kind == "locked"
    assert storage_problem(error("SQLITE_READONLY", "attempt to write a readonly database")).kind == "readonly"
    assert storage_problem(sqlite3.DatabaseError("file is not a database")).kind == "corrupt"
    assert storage_problem(error("SQLITE_CANTOPEN", "unable to open database file")).kind == "unopenable"
    assert storage_problem(ValueError("x")) is None
    assert storage_problem(sqlite3.IntegrityError("UNIQUE constraint failed")) is None
