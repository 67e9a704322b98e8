"""`kpibot reminders preview [--db FILE] [--from YYYY-MM-DD] [--days N] [--brief]`: what the
reminder engine would send to whom and when (nothing is sent or recorded)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.store.sqlite import SqliteStore
from handlers.permissions import ROLE_TH
from handlers.ports import system_clock
from scoring.loader import load_all
from scoring.thaidate import BANGKOK, day_arg, format_be


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _db_path(given: str | None) -> Path | None:
    from bot.cli.admin import default_db_path
    from bot.run.config import settings

    if given:
        return Path(given)
    for candidate in (default_db_path(), settings().demo_db):
        if candidate.exists():
            return candidate
    return None


def cmd_preview(args: argparse.Namespace) -> int:
    from bot.cli.admin import default_evidence_dir
    from bot.reminders.engine import outbox, preview

    path = _db_path(args.db)
    if path is None or not path.exists():
        sys.stderr.write("ไม่พบฐานข้อมูล: ระบุ --db หรือสร้างด้วย `kpibot demo` ก่อน\n")
        return 2
    start = day_arg(args.from_) if args.from_ else system_clock().date()
    store = SqliteStore(path, default_evidence_dir())
    try:
        messages = preview(store, load_all(), start, args.days)
        units = {u.id: u.name for u in store.units()}
        _out(f"การแจ้งเตือนที่จะส่ง {format_be(start)} ถึง {args.days} วัน: {len(messages)} ข้อความ "
             f"(ถ้ายังไม่มีใครส่งผลเพิ่ม)")
        for m in messages:
            moment = m.at.astimezone(BANGKOK)
            ways = ", ".join(f"{ch}" for ch, _ in store.identities(m.person.id)) or "ยังไม่ผูกช่องทางแชท"
            _out(("" if args.brief else "\n") + f"{format_be(moment.date())} {moment:%H:%M} น. → {m.person.name} "
                 f"({ROLE_TH.get(m.role, m.role)} · {units.get(m.person.unit_id, m.person.unit_id)}) "
                 f"[{m.deadline_key} {m.stage}] ทาง: {ways}")
            if not args.brief:
                _out("    " + m.text.replace("\n", "\n    "))
        rows = outbox(store)
        stuck = [r for r in rows if r["status"] in ("pending", "sending", "unknown", "failed")]
        if stuck:
            _out(f"\nค้างในคิวส่ง: {len(stuck)} ข้อความ (" + ", ".join(
                sorted({f"{r['status']}" for r in stuck})) + ")")
    finally:
        store.close()
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    rem = subparsers.add_parser("reminders", help="reminders: preview the ladder").add_subparsers(
        dest="reminders_command", required=True)
    pre = rem.add_parser("preview", help="print what would be sent to whom and when")
    pre.add_argument("--db", help="SQLite file (default: $KPIBOT_DB or var/kpibot.sqlite3, else the demo database)")
    pre.add_argument("--from", dest="from_", help="first day, YYYY-MM-DD (default: today)")
    pre.add_argument("--days", type=int, default=7, help="how many days (default 7)")
    pre.add_argument("--brief", action="store_true", help="one line per message, without its text")
    pre.set_defaults(func=cmd_preview)
