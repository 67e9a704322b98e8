"""`kpibot export --unit NAME [--round FY/N] [--today DATE] -o FILE.xlsx [--pdf]`: the official Excel form
of a unit (a province: its districts ranked, one sheet per unit and agreement, the missing items) or,
with ``--pdf``, the unit's own appraisal summary to sign.

- The unit is its id ("yala-mueang") or its Thai name, with or without "จังหวัด"/"อำเภอ"; a name two
  units share is refused (give the id).
- ``--round 2568/2`` (also "2/2568", "2568-2"; BE fiscal year and round) appraises that round as of today
  when today is inside it, else as of its last day (a past round) or first day (a coming one);
  ``--today`` takes the dates `kpibot level` takes (scoring.thaidate.day_arg: BE or CE, Thai month words).
- Database: ``--db``, else ``$KPIBOT_DB`` (var/kpibot.sqlite3) when it exists, else the demo database.
- Output: one Thai line (file, size, what it holds, render time); problems end with exit code 2.

`kpibot export-evidence --unit NAME [--round FY/N] [--today DATE] -o FILE.zip`: the unit's evidence pack
for the round (bot/exports/evidence_pack.py: the files and index.xlsx), same unit, round, day and
database rules; evidence files are read from ``$KPIBOT_VAR/evidence``. The zip is written to
``FILE.zip.part`` and renamed when complete, so a failed run leaves no half-written FILE.zip.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from handlers.ports import Unit, system_clock
from scoring.rounds import round_dates
from scoring.thaidate import day_arg, format_be

_PREFIXES = ("สำนักงานพัฒนาชุมชนจังหวัด", "สำนักงานพัฒนาชุมชนอำเภอ", "จังหวัด", "อำเภอ")


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _db_path(given: str | None) -> Path | None:
    from bot.cli.admin import default_db_path
    from bot.run.config import settings

    if given:
        return Path(given)
    for candidate in (default_db_path(), settings().demo_db):
        if candidate.exists():
            return candidate
    return None


def find_unit(store, ref: str) -> list[Unit]:
    """The units a reference names: by id, else by Thai name (a "จังหวัด"/"อำเภอ" prefix dropped)."""
    ref = " ".join(ref.split())
    unit = store.unit(ref)
    if unit is not None:
        return [unit]
    named = store.units_named(ref)
    for prefix in _PREFIXES:
        if not named and ref.startswith(prefix) and len(ref) > len(prefix):
            named = store.units_named(ref[len(prefix):].strip())
    return named


def round_arg(text: str) -> tuple[int, int]:
    """(BE fiscal year, round) from "2568/2", "2/2568", "2568-2", "รอบ 2/2568" (argparse `type=`)."""
    numbers = [int(n) for n in re.findall(r"\d+", text.translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")))]
    years = [n for n in numbers if 2400 <= n <= 2700]
    rounds = [n for n in numbers if n in (1, 2)]
    if len(numbers) != 2 or len(years) != 1 or len(rounds) != 1:
        raise ValueError(f"not a round: {text!r} (2568/2 = round 2 of fiscal year 2568)")
    return years[0], rounds[0]


def day_in_round(today: date, fiscal_year: int, number: int) -> date:
    """Today when it lies in the round, else the round's last day (past) or first day (coming)."""
    rnd = round_dates(fiscal_year, number)
    return today if today in rnd else (rnd.end if today > rnd.end else rnd.start)


class _Stop(Exception):
    """A problem the command states in one Thai line (exit code 2)."""


@contextmanager
def _unit_store(args: argparse.Namespace) -> Iterator[tuple[Any, Unit, date]]:
    """The store (closed afterwards), the unit ``--unit`` names and the day to appraise, or ``_Stop``."""
    from bot.cli.admin import default_evidence_dir
    from bot.store.sqlite import SqliteStore

    path = _db_path(args.db)
    if path is None or not path.exists():
        raise _Stop("ไม่พบฐานข้อมูล: ระบุ --db หรือสร้างด้วย `kpibot demo` ก่อน")
    day = args.today or system_clock().date()
    if args.round:
        day = day_in_round(day, *args.round)
    store = SqliteStore(path, default_evidence_dir())
    try:
        units = find_unit(store, args.unit)
        if not units:
            raise _Stop(f"ไม่พบหน่วยงาน “{args.unit}”")
        if len(units) > 1:
            raise _Stop(f"ชื่อ “{args.unit}” ตรงกับหลายหน่วยงาน ({', '.join(u.id for u in units)}) กรุณาระบุรหัส")
        yield store, units[0], day
    finally:
        store.close()


def _one_line(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A command whose ``_Stop`` becomes its one Thai line on stderr and exit code 2."""
    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except _Stop as stop:
            _err(str(stop))
            return 2
    return run


@_one_line
def cmd_export(args: argparse.Namespace) -> int:
    from handlers.views import appraisal
    from scoring.loader import load_all

    out = Path(args.output)
    with _unit_store(args) as (store, unit, day):
        catalogs = load_all()
        start = time.perf_counter()
        if args.pdf:
            from bot.exports.pdf import appraisal_pdf

            sheets = appraisal.sheets(store, catalogs, unit, day)
            data = appraisal_pdf(sheets)
            what = f"สรุปผลการประเมิน{appraisal.book_title(unit)} {len(sheets)} ข้อตกลง"
        else:
            from bot.exports.excel import workbook

            book = appraisal.book(store, catalogs, unit, day)
            data = workbook(book)
            what = (f"{book.title} {book.round_label}: จัดอันดับ {len(book.ranking):,} หน่วยงาน · "
                    f"แบบรายงาน {len(book.sheets):,} แผ่น · ค้างส่ง {len(book.missing):,} รายการ")
        seconds = time.perf_counter() - start
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    _out(f"บันทึกแล้ว: {out} ({len(data):,} ไบต์, ข้อมูล ณ {format_be(day)}) · {what} · {seconds:.2f} วินาที")
    return 0


@_one_line
def cmd_export_evidence(args: argparse.Namespace) -> int:
    """`kpibot export-evidence`: the unit's evidence pack for the round (bot/exports/evidence_pack.py)."""
    from bot.exports.evidence_pack import pack
    from handlers.views.evidence import collect
    from scoring.loader import load_all

    out = Path(args.output)
    with _unit_store(args) as (store, unit, day):
        start = time.perf_counter()
        listing = collect(store, load_all(), unit, day)
        if not listing.kpis:
            raise _Stop(f"{unit.name}: ไม่มีข้อตกลงตัวชี้วัดในรอบที่มีวันที่ {format_be(day)}")
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".part")
        try:
            with partial.open("wb") as fh:  # the pack may be large: straight to disk, renamed when complete
                packed = pack(listing, lambda ev: Path(ev.path).read_bytes(), fh)
            partial.replace(out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        seconds = time.perf_counter() - start
    problems = f" · ⚠️ ไม่ได้ใส่ {packed.problems:,} ไฟล์ (ไม่พบหรือไม่ตรง sha256: ดูหมายเหตุใน index.xlsx)" \
        if packed.problems else ""
    if packed.retracted:
        problems += f" · ถอนแล้ว {packed.retracted:,} ไฟล์ (อยู่ในดัชนี ไม่อยู่ในชุด)"
    kpis = len({r.key for r in listing.rows if r.live})
    _out(f"บันทึกแล้ว: {out} ({out.stat().st_size:,} ไบต์, ข้อมูล ณ {format_be(day)}) · หลักฐาน{listing.unit.name} "
         f"{listing.round_label}: {packed.files:,} ไฟล์ จาก {kpis:,} ตัวชี้วัด พร้อมดัชนี index.xlsx{problems} · "
         f"{seconds:.2f} วินาที")
    return 0


def _unit_round_args(parser: argparse.ArgumentParser, unit_help: str) -> None:
    parser.add_argument("--unit", required=True, help=unit_help)
    parser.add_argument("--round", type=round_arg, metavar="FY/N",
                        help="BE fiscal year and round, e.g. 2568/2 (default: the round containing --today)")
    parser.add_argument("--today", type=day_arg, help="as of this day (2025-06-10, 2568-06-10, \"10 มิ.ย. 68\")")
    parser.add_argument("--db", help="SQLite file (default: $KPIBOT_DB or var/kpibot.sqlite3, else the demo database)")


def register(subparsers: argparse._SubParsersAction) -> None:
    exp = subparsers.add_parser("export", help="the official Excel form (004 annex 2) of a unit, or its PDF to sign")
    _unit_round_args(exp, "unit id or Thai name (ยะลา, จังหวัดยะลา, yala-mueang)")
    exp.add_argument("-o", "--output", required=True, metavar="FILE", help="the .xlsx (or with --pdf the .pdf) to write")
    exp.add_argument("--pdf", action="store_true", help="write the unit's appraisal summary to sign as PDF instead")
    exp.set_defaults(func=cmd_export)

    evp = subparsers.add_parser("export-evidence", help="a zip of a unit's evidence files for a round, with an index sheet")
    _unit_round_args(evp, "unit id or Thai name (เมืองยะลา, yala-mueang)")
    evp.add_argument("-o", "--output", required=True, metavar="FILE.zip", help="the .zip to write")
    evp.set_defaults(func=cmd_export_evidence)
