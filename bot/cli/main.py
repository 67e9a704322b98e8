"""The `kpibot` command line: catalogs, levels and scores for coordinators (and tests).

A database still locked after the store's busy timeout (5 s, SQLite retrying the lock meanwhile), read-only,
or corrupted ends any command with one line, Thai then English, and exit code 2, never a traceback
(bot/store/health.py). `kpibot run` and `kpibot chat` check the database (opens, writable, ``PRAGMA
quick_check``) and the evidence folder (writable) before they start.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from bot.run.config import library_environment, settings
from handlers import texts
from scoring.errors import CatalogError, EvaluationError
from scoring.evaluate import evaluate, primary_input
from scoring.loader import catalog_dir, find_catalog, load_all, load_catalog
from scoring.model import Catalog, Kpi
from scoring.numbers import decimals_of, fmt, to_arabic_digits
from scoring.thaidate import format_be, parse_date
from scoring.totals import applicable_kpis, total


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def resolve_catalog(ref: str) -> Catalog:
    """A catalog by path, by id, or by file name in data/catalogs."""
    catalog = find_catalog(ref)
    if catalog is None:
        raise CatalogError([])  # handled by the caller as "not found"
    return catalog


def _kpi(catalog: Catalog, ref: str, unit: str | None = None) -> Kpi:
    """The KPI a reference means at the unit (Catalog.kpi_rows: the rule chat uses too)."""
    rows = catalog.kpi_rows(ref, unit)
    if not rows:
        known = ", ".join(f"{k.number}:{k.id}" if k.number is not None else k.id for k in catalog.kpis)
        raise EvaluationError(f"ไม่พบตัวชี้วัด “{ref}” ใน {catalog.id} (มี {known})",
                              f"no KPI {ref!r} in {catalog.id} (known: {known})", "unknown_kpi")
    if len(rows) > 1:
        where = "; ".join(f"{k.id} {_where(k)}" for k in rows)
        where_en = "; ".join(f"{k.id}: {', '.join(k.applies_to) or 'all but ' + ', '.join(k.except_)}"
                             for k in rows)
        if unit is None:
            raise EvaluationError(f"ตัวชี้วัดที่ {ref} มี {len(rows)} แบบตามหน่วยงาน ({where}) "
                                  f"โปรดระบุ --unit หรือรหัสตัวชี้วัด",
                                  f"KPI {ref} has one row per unit ({where_en}): give --unit or the KPI id",
                                  "ambiguous_kpi")
        raise EvaluationError(f"ตัวชี้วัดที่ {ref} ไม่ใช้กับ {unit} ({where})",
                              f"no row of KPI {ref} applies to {unit} ({where_en})", "not_applicable")
    return rows[0]


def _where(kpi: Kpi) -> str:
    if kpi.applies_to:
        return "เฉพาะ " + ", ".join(kpi.applies_to)
    if kpi.except_:
        return "ทุกหน่วยงาน ยกเว้น " + ", ".join(kpi.except_)
    return "ทุกหน่วยงาน"


DATE_EXAMPLES = "เช่น 31 ก.ค. 2567, ๓๑ กรกฎาคม ๒๕๖๗, 31/07/2567 หรือ 2024-07-31"


def read_date(value: Any, what: str = "วันที่") -> date:
    """A date as typed (Thai or Arabic digits, BE or CE, Thai month words) or as YAML gives it."""
    if isinstance(value, date):
        return value
    day = parse_date(to_arabic_digits(str(value)))
    if day is None:
        raise EvaluationError(f"อ่าน{what} “{value}” ไม่ได้ ({DATE_EXAMPLES}; ต้องมีปี)",
                              f"cannot read the date {value!r} (e.g. 2024-07-31 or 31 ก.ค. 2567; give the year)",
                              "bad_date")
    return day


def parse_steps(value: Any) -> dict[str, date | bool]:
    """Milestones done, each with the day it was done if known: "plan@2022-09-01,send@2 ก.ย. 65,team",
    a list of such items, or a mapping (YAML) of step -> date / true / false."""
    if isinstance(value, dict):
        items = [(str(k).strip(), v) for k, v in value.items()]
    else:
        parts = value.split(",") if isinstance(value, str) else [str(v) for v in value or ()]
        items = []
        for part in parts:
            sid, _, when = part.partition("@")
            items.append((sid.strip(), when.strip() or True))
    steps: dict[str, date | bool] = {}
    for sid, when in items:
        if not sid:
            continue
        if isinstance(when, bool) or when is None:
            steps[sid] = bool(when)
        else:
            steps[sid] = read_date(when, f"วันที่ของขั้นตอน {sid}")
    return steps


def read_dates(kpi: Kpi, inputs: dict[str, Any]) -> dict[str, Any]:
    """Date inputs (kind: date) and step dates read from the ways people write them."""
    out = dict(inputs)
    for name, value in inputs.items():
        spec = kpi.input(name)
        if spec is not None and spec.kind == "date" and value is not None:
            out[name] = read_date(value, spec.name)
    if out.get("steps") is not None:
        out["steps"] = parse_steps(out["steps"])
    return out


def split_inputs(kpi: Kpi, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate unit attributes (names only branch conditions use, e.g. staff) from KPI inputs."""
    attrs_used = {b.if_.subject for lv in kpi.rubric.levels for b in lv.branches if b.if_ is not None}
    inputs, attrs = {}, {}
    for name, value in values.items():
        if name in attrs_used and kpi.input(name) is None:
            attrs[name] = _number_or_text(value)
        else:
            inputs[name] = value
    return inputs, attrs


def _number_or_text(value: Any) -> Any:
    from scoring.numbers import parse_decimal

    try:
        return parse_decimal(value)
    except ValueError:
        return value


def _parse_pairs(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise EvaluationError(f"เขียน --input เป็น ชื่อ=ค่า (ได้รับ “{pair}”)", f"--input takes NAME=VALUE: {pair!r}",
                                  "bad_arg")
        name, value = pair.split("=", 1)
        out[name.strip()] = to_arabic_digits(value.strip())
    return out


def _first_input(kpi: Kpi) -> str:
    name = primary_input(kpi)
    if name is None:
        raise EvaluationError("ตัวชี้วัดนี้ไม่มีข้อมูลตัวเลข ใช้ --input steps=...", "this KPI takes no value",
                              "bad_arg")
    return name


def cmd_catalog_check(args: argparse.Namespace) -> int:
    from scoring.lint import check

    files = args.files or [str(p) for p in sorted(catalog_dir().glob("*.yaml"))]
    errors = warnings = 0
    for file in files:
        try:
            catalog = load_catalog(file)
        except CatalogError as exc:
            for p in exc.problems:
                _out(str(p))
            errors += len(exc.problems)
            continue
        problems = check(catalog, file)
        for p in problems:
            _out(str(p))
        errors += sum(p.severity == "error" for p in problems)
        warnings += sum(p.severity == "warning" for p in problems)
    _out(f"{len(files)} ไฟล์: ข้อผิดพลาด {errors}, คำเตือน {warnings} / {len(files)} files: "
         f"{errors} errors, {warnings} warnings")
    return 1 if errors else 0


def cmd_catalog_list(args: argparse.Namespace) -> int:
    for catalog in load_all().values():
        _out(f"{catalog.id}\t{catalog.document}\t{catalog.set}\t{len(catalog.kpis)} ตัวชี้วัด\t{catalog.title}")
    return 0


def cmd_level(args: argparse.Namespace) -> int:
    catalog = resolve_catalog(args.catalog)
    kpi = _kpi(catalog, args.kpi, args.unit)
    values = _parse_pairs(args.input or [])
    if args.value is not None:
        values[_first_input(kpi)] = to_arabic_digits(args.value)
    if args.step:
        steps = parse_steps(values.pop("steps", None) or "")
        steps.update(parse_steps(",".join(args.step)))
        values["steps"] = steps
    inputs, attrs = split_inputs(kpi, read_dates(kpi, values))
    result = evaluate(kpi, inputs, unit=args.unit, unit_attributes=attrs, case=args.case)
    if args.json:
        data = result.to_dict()
        data["unmet"] = [c for lv in data["levels"] if lv["level"] == result.next_level for c in lv["checks"]
                         if not c["met"]]
        data["met"] = [c for lv in data["levels"] if lv["level"] == result.level for c in lv["checks"] if c["met"]]
        _out(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    _out(f"ตัวชี้วัดที่ {kpi.number or kpi.id} {kpi.name}")
    if result.values:
        shown = ", ".join(f"{k} = {_show(v)}" for k, v in result.values.items() if k != "steps")
        if shown:
            _out(f"ข้อมูล: {shown}")
    _out(f"ระดับที่ได้: {result.level}")
    reached = next((lv for lv in result.levels if lv.level == result.level), None)
    if reached:
        for c in reached.checks:
            _out(f"  ✓ {c.text}")
        steps = {s.id: s.th for s in kpi.rubric.steps}
        for s in reached.steps_done:
            _out(f"  ✓ {steps.get(s, s)}")
    if result.next_level is None:
        _out("ได้ระดับสูงสุดแล้ว")
    else:
        _out(f"ระดับถัดไป ({result.next_level}) ต้อง:")
        for n in result.needed:
            _out(f"  • {n.text}")
    return 0


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return fmt(value, 2) if decimals_of(value) > 2 else fmt(value)
    if isinstance(value, date):
        return format_be(value)
    return str(value)


def load_inputs_file(path: str) -> dict[str, Any]:
    text = to_arabic_digits(Path(path).read_text(encoding="utf-8"))
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise EvaluationError("ไฟล์ข้อมูลต้องเป็น YAML แบบ mapping", "the inputs file must be a YAML mapping",
                              "bad_inputs")
    return data


def _given(catalog: Catalog, kpi: Kpi, given: dict[Any, Any], unit: str | None) -> Any:
    """What an inputs file gives for a KPI: under its id, or under its printed number when that number
    means this row at the unit (001 individual "1" is i1k at เกาะสีชัง, i1 elsewhere)."""
    if kpi.id in given:
        return given[kpi.id]
    if kpi.number is None:
        return None
    number = to_arabic_digits(str(kpi.number)).strip()
    for key, raw in given.items():
        if to_arabic_digits(str(key)).strip() == number:
            return raw if _kpi(catalog, number, unit) is kpi else None
    return None


def score_catalog(catalog: Catalog, data: dict[str, Any], unit: str | None = None):
    unit = unit or data.get("unit")
    variant = data.get("variant")
    chosen = data.get("chosen") or {}
    levels: dict[str, int | None] = {}
    evaluations = {}
    given = data.get("kpis") or {}
    cases: dict[str, str] = dict(data.get("cases") or {})  # KPI id -> case, as in an agreement
    for kpi in applicable_kpis(catalog, unit, chosen, variant):
        raw = _given(catalog, kpi, given, unit)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            raw = {_first_input(kpi): str(raw)}
        raw = {k: (str(v) if isinstance(v, int | float) else v) for k, v in raw.items()}
        case = raw.pop("case", None) or cases.get(kpi.id)
        inputs, attrs = split_inputs(kpi, read_dates(kpi, raw))
        attrs = {**(data.get("attributes") or {}), **attrs}
        result = evaluate(kpi, inputs, unit=unit, unit_attributes=attrs, case=case)
        evaluations[kpi.id] = result
        levels[kpi.id] = result.level
        if case:
            cases[kpi.id] = case
    return total(catalog, levels, unit=unit, chosen=chosen, variant=variant, cases=cases), evaluations


def cmd_score_tiers(catalog: Catalog, data: dict[str, Any], args: argparse.Namespace) -> int:
    """The agreement under its target-tier model (004 L137-142): `tiers: {KPI: tier}` in the inputs file."""
    from scoring.tiers import BELOW, tier_total

    reached = {}
    for ref, tier in (data.get("tiers") or {}).items():
        kpi = catalog.kpi_for(str(ref), args.unit or data.get("unit"))
        reached[kpi.id if kpi is not None else str(ref)] = str(tier)
    result = tier_total(catalog, reached, unit=args.unit or data.get("unit"), variant=data.get("variant"))
    if args.json:
        _out(json.dumps(asdict(result), ensure_ascii=False, indent=2, default=str))
        return 0
    names = {t.id: t.th for t in catalog.target_tiers.tiers} | {BELOW: "ไม่ผ่านขั้นต้น"}  # type: ignore[union-attr]
    _out(f"{catalog.title} — แบบขั้นเป้าหมาย" + (f" ({result.variant})" if result.variant else ""))
    _out("ข้อ	น้ำหนัก	ขั้นที่ได้	คะแนน	ตัวชี้วัด")
    for r in result.rows:
        tier = "ยังไม่รายงาน" if r.tier is None else names.get(r.tier, r.tier)
        earned = "-" if r.earned is None else fmt(r.earned, 2)
        _out(f"{r.number or r.kpi}	{fmt(r.weight)}	{tier}	{earned}	{r.name[:60]}")
    if result.band_basis == "score":
        _out(f"รวม {fmt(result.score100, 2)} คะแนน ({result.band})")
    else:
        _out(f"รวม {fmt(result.score100, 2)} คะแนน จากน้ำหนักรวม {fmt(result.weights_total)} · "
             f"คิดเทียบน้ำหนักที่มี {fmt(result.normalised100, 2)} ({result.band} คิดเทียบน้ำหนักที่มี)")
    if not result.complete:
        _out(f"คะแนนเท่าที่มี ยังไม่ครบ (ยังไม่รายงาน {len(result.missing)} ตัวชี้วัด): "
             f"ขณะนี้ {fmt(result.worst100, 2)} สูงสุดที่ยังเป็นไปได้ {fmt(result.best100, 2)} คะแนน")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    catalog = resolve_catalog(args.catalog)
    data = load_inputs_file(args.inputs)
    if args.model == "tiers":
        return cmd_score_tiers(catalog, data, args)
    result, evaluations = score_catalog(catalog, data, args.unit)
    if args.json:
        out = result.to_dict()
        out["evaluations"] = {k: {"level": e.level, "next_level": e.next_level,
                                  "needed": [n.text for n in e.needed]} for k, e in evaluations.items()}
        _out(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    _out(f"{catalog.title}" + (f" — {result.unit}" if result.unit else ""))
    _out("ข้อ\tน้ำหนัก (ข)\tระดับ (ก)\tค = ก × ข\tตัวชี้วัด")
    for r in result.rows:
        weighted = "-" if r.weighted is None else fmt(r.weighted)
        _out(f"{r.number}\t{fmt(r.weight)}\t{texts.row_level(r)}\t{weighted}\t{r.name[:60]}")
    for line in texts.total_lines(result):  # the same lines as the chat score card
        _out(line)
    return 0


def _open_demo(db: Path, evidence_dir: Path, today: date | None):
    from bot.cli.demo import build
    from bot.store.sqlite import SqliteStore

    if db.exists():
        return SqliteStore(db, evidence_dir), False
    return build(str(db), str(evidence_dir), today), True


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.cli.demo import build, describe

    conf = settings()
    db = Path(args.db) if args.db else conf.demo_db
    if db.exists():
        if not args.force:
            _err(f"มีไฟล์ {db} อยู่แล้ว (ใช้ --force เพื่อสร้างใหม่)")
            return 2
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    store = build(str(db), str(conf.evidence_dir), _today(args.today))
    _out(describe(store))
    _out(f"สร้างแล้ว: {db}  ·  เริ่มแชท: kpibot chat --db {db}")
    store.close()
    return 0


def _today(text: str | None) -> date | None:
    return read_date(text, "วันที่ของ --today") if text else None


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.channels.console import ConsoleChat
    from bot.cli.demo import describe, first_officer
    from bot.exports.renderer import ExportRenderer
    from bot.store.health import check_storage
    from handlers.conversation import Conversation
    from handlers.nlu import warm_up

    conf = settings()
    db = Path(args.db) if args.db else conf.demo_db
    check_storage(db, conf.evidence_dir)  # StorageProblem: one line and exit 2 (main)
    store, created = _open_demo(db, conf.evidence_dir, _today(args.today))
    if created:
        _out(describe(store))
    warm_up()
    user = args.user if args.user is not None else first_officer(store)
    chat = ConsoleChat(store, Conversation(store, load_all(), ExportRenderer()), user, _today(args.today),
                       files_dir=conf.var / "chat")
    try:
        return chat.run()
    finally:
        store.close()


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot: the channels that have credentials, else the console chat on the demo database."""
    conf = settings()
    if conf.has_channel:
        import asyncio
        import logging

        from bot.run.app import serve

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        asyncio.run(serve(conf))
        return 0
    return cmd_chat(argparse.Namespace(db=None, user=None, today=None))


# Command groups other modules add (their imports cost ~0.15 s: the store, the chat understanding).
# Only speed depends on this table: a command not named here makes every module register.
_OWN_COMMANDS = frozenset({"catalog", "level", "score", "run", "chat", "demo"})
_COMMAND_MODULES = {
    "org": "bot.cli.admin", "agreement": "bot.cli.admin", "invite": "bot.cli.admin",
    "parse": "bot.cli.parse", "reminders": "bot.cli.reminders", "export": "bot.cli.export",
    "export-evidence": "bot.cli.export",
}
_ALL_MODULES = ("bot.cli.admin", "bot.cli.parse", "bot.cli.reminders", "bot.cli.export")


def _command_modules(command: str | None) -> tuple[str, ...]:
    if command in _OWN_COMMANDS:
        return ()
    if command in _COMMAND_MODULES:
        return (_COMMAND_MODULES[command],)
    return _ALL_MODULES  # --help, or a command this table does not know


def _command_of(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


LEVEL_EPILOG = """\
dates (date inputs, step dates, --today): 2024-07-31, 2567-07-31 (BE), 31/07/2567,
  "31 ก.ค. 67", "๓๑ กรกฎาคม ๒๕๖๗"; the year must be given (BE or CE).
milestones: --input steps=plan@2022-09-01,send@2022-09-05 or --step plan@2022-09-01 --step send;
  a step without @DATE counts as done on time; a step with a due date is met only when done by it.
examples:
  kpibot level buriram-2565-r2-team 3 --input "steps=activities,publish,summary,report,send@2 ก.ย. 2565"
  kpibot level chonburi-2567-r2-individual 1 --unit เกาะสีชัง --step forum   # KPI 1 there is row i1k
  kpibot level dsdw-2566-r2-department d3u 700000 --unit รวม                 # the table's total row
"""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; given the command about to run, only the modules that command needs."""
    parser = argparse.ArgumentParser(prog="kpibot", description="kpibot: KPI appraisal chat bot (Thai CDD offices)")
    sub = parser.add_subparsers(dest="command", required=True)

    cat = sub.add_parser("catalog", help="KPI catalogs").add_subparsers(dest="catalog_command", required=True)
    chk = cat.add_parser("check", help="validate and lint catalog files (all in data/catalogs by default)")
    chk.add_argument("files", nargs="*")
    chk.set_defaults(func=cmd_catalog_check)
    lst = cat.add_parser("list", help="list the catalogs in data/catalogs")
    lst.set_defaults(func=cmd_catalog_list)

    lvl = sub.add_parser("level", help="the level of one KPI for given inputs", epilog=LEVEL_EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    lvl.add_argument("catalog", help="catalog file or id")
    lvl.add_argument("kpi", help="KPI id or printed number; a number two rows share resolves by --unit")
    lvl.add_argument("value", nargs="?", help="value of the KPI's first input (Thai digits welcome)")
    lvl.add_argument("--input", action="append", metavar="NAME=VALUE",
                     help="a named input, a unit attribute (staff=5), or steps=ID[@DATE],ID[@DATE]...")
    lvl.add_argument("--step", action="append", metavar="ID[@DATE]",
                     help="a milestone done, with the day it was done (repeatable)")
    lvl.add_argument("--unit", help="unit (district/province) name: per-unit targets and KPI rows; "
                                    "รวม = a target table's total row")
    lvl.add_argument("--case", help="the unit's case, for case-split KPIs")
    lvl.add_argument("--json", action="store_true")
    lvl.set_defaults(func=cmd_level)

    sc = sub.add_parser("score", help="the totals of a whole agreement")
    sc.add_argument("catalog")
    sc.add_argument("--inputs", required=True, metavar="FILE.yaml")
    sc.add_argument("--unit")
    sc.add_argument("--model", choices=("levels", "tiers"), default="levels",
                    help="levels: the catalog's own levels 1-5 (default); tiers: its target-tier model "
                         "(target_tiers:), from `tiers: {KPI: base|standard|high|below}` in the inputs file")
    sc.add_argument("--json", action="store_true")
    sc.set_defaults(func=cmd_score)

    run = sub.add_parser("run", help="run the bot (console chat on the demo database without credentials)")
    run.set_defaults(func=cmd_run)

    chat = sub.add_parser("chat", help="chat with the bot in this terminal (or from a pipe)")
    chat.add_argument("--db", help="database file (default: the demo database, created when missing)")
    chat.add_argument("--user", type=int, help="person id to chat as (default: a field officer)")
    chat.add_argument("--today", help="pretend today is this date (2025-06-10, \"10 มิ.ย. 68\")")
    chat.set_defaults(func=cmd_chat)

    demo = sub.add_parser("demo", help="create the demo database (Yala province, seed 002)")
    demo.add_argument("--db")
    demo.add_argument("--today", help="build the demo as of this date (2025-06-10, \"10 มิ.ย. 68\")")
    demo.add_argument("--force", action="store_true", help="replace an existing demo database")
    demo.set_defaults(func=cmd_demo)

    for module in _command_modules(command):
        try:
            importlib.import_module(module).register(sub)
        except ModuleNotFoundError as exc:  # pragma: no cover - only while a part is being built
            if exc.name != module:
                raise
    return parser


def main(argv: list[str] | None = None) -> int:
    library_environment()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_command_of(argv)).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CatalogError as exc:
        if not exc.problems:
            _err(f"ไม่พบแคตตาล็อก “{getattr(args, 'catalog', '')}” / catalog not found")
        for p in exc.problems:
            _err(str(p))
        return 2
    except EvaluationError as exc:
        _err(f"{exc.th}\n({exc.en})")
        return 2
    except (OSError, yaml.YAMLError) as exc:
        _err(f"อ่านไฟล์ไม่ได้: {exc}")
        return 2
    except Exception as exc:  # a locked, read-only or corrupted database: one line, no traceback
        from bot.store.health import storage_problem

        problem = storage_problem(exc, getattr(args, "db", None))
        if problem is None:
            raise
        _err(problem.line)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
