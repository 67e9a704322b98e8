"""Administration commands: `kpibot org import`, `kpibot agreement assign`, `kpibot invite create|list|revoke`.

`register(subparsers)` adds them to the `kpibot` parser; each sets ``func`` returning an exit code.
Reports are in Thai. Defaults: database ``$KPIBOT_DB`` or ``$KPIBOT_VAR/kpibot.sqlite3`` (``var/``),
evidence ``$KPIBOT_VAR/evidence``.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import sleep
from typing import Any

from bot.run.config import settings
from bot.store.sqlite import SqliteStore
from handlers.ports import ROLES, Scope, Unit
from scoring.errors import CatalogError
from scoring.loader import find_catalog
from scoring.model import Catalog
from scoring.numbers import to_arabic_digits
from scoring.rounds import round_dates
from scoring.thaidate import BANGKOK, day_arg, format_be

ROLE_TH = {"reporter": "ผู้รายงาน", "chief": "หัวหน้า", "coordinator": "ผู้ประสานงาน", "admin": "ผู้ดูแลระบบ"}
KIND_TH = {"province": "จังหวัด", "district": "อำเภอ", "group": "กลุ่มงาน"}
STATUS_TH = {"open": "ใช้ได้", "used": "ใช้แล้ว", "expired": "หมดอายุ", "revoked": "ยกเลิกแล้ว"}
DEFAULT_INVITE_DAYS = 30
IMPORT_BATCH_ROWS = 200  # rows per transaction of `org import` (the write lock is held per batch)
BATCH_PAUSE_S = 0.03  # between batches: SQLite's busy handler re-polls every 25-100 ms


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


# ---------------------------------------------------------------- defaults


def var_dir() -> Path:
    return settings().var


def default_db_path() -> Path:
    return settings().db


def default_evidence_dir() -> Path:
    return settings().evidence_dir


def open_store(db: str | Path | None = None) -> SqliteStore:
    return SqliteStore(db or default_db_path(), default_evidence_dir())


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="SQLite file (default: $KPIBOT_DB or var/kpibot.sqlite3)")


# ---------------------------------------------------------------- register


def register(subparsers: argparse._SubParsersAction) -> None:
    org = subparsers.add_parser("org", help="organisation: units and people").add_subparsers(
        dest="org_command", required=True)
    imp = org.add_parser("import", help="import units and people from a CSV or Excel (.xlsx) file")
    imp.add_argument("file")
    imp.add_argument("--province", help="province for rows that do not name one (Thai name or unit id)")
    imp.add_argument("--dry-run", action="store_true", help="show the report, change nothing")
    _add_db(imp)
    imp.set_defaults(func=cmd_org_import)

    agr = subparsers.add_parser("agreement", help="agreements: which catalog applies to which units").add_subparsers(
        dest="agreement_command", required=True)
    asg = agr.add_parser("assign", help="assign a catalog to units for a round")
    asg.add_argument("--catalog", required=True, help="catalog id or file")
    who = asg.add_mutually_exclusive_group(required=True)
    who.add_argument("--units", help="comma-separated unit ids or Thai names")
    who.add_argument("--all-districts", action="store_true")
    asg.add_argument("--province", help="with --all-districts: only this province's districts")
    asg.add_argument("--round", type=int, help="round 1 or 2 (default: the catalog's)")
    asg.add_argument("--fiscal-year", type=int, help="BE fiscal year, e.g. 2568 (default: the catalog's)")
    asg.add_argument("--choose", action="append", default=[], metavar="GROUP=KPI",
                     help="chosen optional KPI for an optional group (repeatable)")
    asg.add_argument("--variant", help="named weight variant of the catalog")
    asg.add_argument("--case", action="append", default=[], metavar="KPI=CASE", help="case of a case-split KPI")
    asg.add_argument("--start", type=day_arg, help="override the start date (2568-04-01, \"1 เม.ย. 68\", …)")
    asg.add_argument("--end", type=day_arg, help="override the end date (2568-09-30, \"30 ก.ย. 68\", …)")
    _add_db(asg)
    asg.set_defaults(func=cmd_agreement_assign)

    inv = subparsers.add_parser("invite", help="invite codes for registering in the chat").add_subparsers(
        dest="invite_command", required=True)
    cre = inv.add_parser("create", help="create a single-use invite code")
    cre.add_argument("--role", required=True, help="reporter | chief | coordinator | admin (or Thai)")
    cre.add_argument("--unit", required=True, help="unit id or Thai name")
    cre.add_argument("--person", type=int, help="attach the chat account to this existing person id")
    cre.add_argument("--expires", help=f"last valid day YYYY-MM-DD, BE or CE (default: {DEFAULT_INVITE_DAYS} days)")
    cre.add_argument("--scope", action="append", default=[], metavar="KIND=VALUE",
                     help="scope given with the invite: unit=ID, province=ID, kpi_group=NAME")
    _add_db(cre)
    cre.set_defaults(func=cmd_invite_create)
    lst = inv.add_parser("list", help="list invites and their status")
    _add_db(lst)
    lst.set_defaults(func=cmd_invite_list)
    rev = inv.add_parser("revoke", help="revoke an unused invite")
    rev.add_argument("code", nargs="?", help="the invite code")
    rev.add_argument("--id", type=int, help="the invite number shown by `invite list`")
    _add_db(rev)
    rev.set_defaults(func=cmd_invite_revoke)


# ---------------------------------------------------------------- shared helpers


def _role(text: str) -> str | None:
    t = text.strip().lower()
    if t in ROLES:
        return t
    for role, aliases in _ROLE_WORDS.items():
        if t in aliases:
            return role
    return None


_ROLE_WORDS = {
    "reporter": {"ผู้รายงาน", "รายงาน", "พัฒนากร", "เจ้าหน้าที่", "ผู้บันทึก"},
    "chief": {"หัวหน้า", "ผู้บริหาร", "ผู้บังคับบัญชา"},
    "coordinator": {"ผู้ประสานงาน", "ผู้ประสาน", "ผู้ประสานงานตัวชี้วัด"},
    "admin": {"ผู้ดูแลระบบ", "แอดมิน", "ผู้ดูแล"},
}


def _find_unit(store: SqliteStore, ref: str) -> Unit | None:
    ref = ref.strip()
    unit = store.unit(ref)
    if unit is not None:
        return unit
    named = store.units_named(_strip_unit_prefix(ref))
    return named[0] if len(named) == 1 else None


_PREFIXES = ("สำนักงานพัฒนาชุมชนจังหวัด", "สำนักงานพัฒนาชุมชนอำเภอ", "สพจ.", "สพอ.", "จังหวัด", "อำเภอ", "จ.", "อ.")


def _strip_unit_prefix(name: str) -> str:
    name = " ".join(name.split())
    for p in _PREFIXES:
        if name.startswith(p) and len(name) > len(p):
            return name[len(p):].strip()
    return name


def _slug(name: str) -> str:
    ascii_slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if ascii_slug and name.isascii():
        return ascii_slug
    return re.sub(r"\s+", "-", name.strip())  # Thai names are kept as they are: stable and readable


def _resolve_catalog(ref: str) -> Catalog:
    catalog = find_catalog(ref)
    if catalog is None:
        raise LookupError(ref)
    return catalog


def _parse_day(text: str) -> date:
    return day_arg(text)  # BE or CE, Thai or Arabic digits, Thai month names (scoring/thaidate.py)


def _pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        if "=" not in v:
            raise ValueError(f"{what} ต้องเขียนเป็น ชื่อ=ค่า (ได้รับ “{v}”)")
        k, val = v.split("=", 1)
        out.append((k.strip(), val.strip()))
    return out


# ---------------------------------------------------------------- org import

FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("ชื่อสกุล", "ชื่อนามสกุล", "ชื่อ", "ชื่อผู้รับผิดชอบ", "ชื่อเจ้าหน้าที่", "name", "fullname", "personname"),
    "position": ("ตำแหน่ง", "position", "title", "jobtitle"),
    "role": ("บทบาท", "สิทธิ์", "สิทธิ", "บทบาทในระบบ", "role"),
    "province": ("จังหวัด", "ชื่อจังหวัด", "province"),
    "district": ("อำเภอ", "ชื่ออำเภอ", "สำนักงานพัฒนาชุมชนอำเภอ", "district"),
    "unit": ("หน่วยงาน", "สังกัด", "unit", "office"),
    "group": ("กลุ่มงาน", "กลุ่ม", "group", "division"),
    "phone": ("เบอร์โทร", "เบอร์โทรศัพท์", "โทรศัพท์", "โทร", "เบอร์", "หมายเลขโทรศัพท์", "เบอร์มือถือ", "phone",
              "tel", "telephone", "mobile"),
    "staff": ("จำนวนบุคลากร", "บุคลากร", "จำนวนเจ้าหน้าที่", "จำนวนพนักงาน", "อัตรากำลัง", "staff", "staffcount",
              "numberofstaff"),
}
_HEADER = {alias: key for key, aliases in FIELDS.items() for alias in aliases}


def _norm_header(text: Any) -> str:
    return re.sub(r"[\s\-_./()]+", "", str(text or "")).lower()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def read_table(path: Path) -> list[tuple[str, int, dict[str, str]]]:
    """Rows as (sheet, line number, {field: text}) from every sheet whose header we recognise."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]
        finally:
            wb.close()
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp874")  # Thai Windows, as older Excel saves CSV
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        sheets = [(path.name, list(csv.reader(io.StringIO(text), dialect)))]
    rows: list[tuple[str, int, dict[str, str]]] = []
    for title, table in sheets:
        header_at, columns = None, {}
        for i, row in enumerate(table[:15]):
            found = {j: _HEADER[_norm_header(c)] for j, c in enumerate(row) if _norm_header(c) in _HEADER}
            if len(set(found.values())) >= 2:
                header_at, columns = i, found
                break
        if header_at is None:
            continue
        for i, row in enumerate(table[header_at + 1:], start=header_at + 2):
            rec = {key: _cell(row[j]) for j, key in columns.items() if j < len(row)}
            if any(rec.values()):
                rows.append((title, i, rec))
    return rows


class _Refused(Exception):
    pass


class _DryRun(Exception):
    pass


@dataclass
class ImportReport:
    units: dict[str, list[str]] = field(default_factory=lambda: {"added": [], "changed": [], "unchanged": []})
    people: dict[str, list[str]] = field(default_factory=lambda: {"added": [], "changed": [], "unchanged": []})
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    sheets_without_header: int = 0

    def lines(self, file: str, dry_run: bool = False) -> list[str]:
        out = [f"นำเข้า {file}" + (" (ทดลอง ไม่บันทึก)" if dry_run else "")]
        u, p = self.units, self.people
        out.append(f"หน่วยงาน: เพิ่ม {len(u['added'])}, แก้ไข {len(u['changed'])}, เหมือนเดิม {len(u['unchanged'])}")
        out.append(f"บุคลากร: เพิ่ม {len(p['added'])}, แก้ไข {len(p['changed'])}, เหมือนเดิม {len(p['unchanged'])}")
        out += [f"  + {t}" for t in u["added"] + p["added"]]
        out += [f"  ~ {t}" for t in u["changed"] + p["changed"]]
        if self.refused:
            out.append(f"ไม่รับ {len(self.refused)} แถว:")
            out += [f"  แถว {line} ({sheet}): {why}" for sheet, line, why in self.refused]
        else:
            out.append("ไม่มีแถวที่ไม่รับ")
        return out


def _position_role(position: str) -> str:
    p = position.replace(" ", "")
    if "ผู้ดูแลระบบ" in p or "admin" in p.lower():
        return "admin"
    if any(w in p for w in ("ผู้อำนวยการกลุ่ม", "หัวหน้ากลุ่ม", "ผู้ประสาน")):
        return "coordinator"
    if any(w in p for w in ("พัฒนาการจังหวัด", "พัฒนาการอำเภอ", "หัวหน้าสำนักงาน")):
        return "chief"
    return "reporter"


def _phone(text: str) -> str | None:
    if not text:
        return None
    for part in re.split(r"[,/;]| หรือ ", to_arabic_digits(text)):
        digits = re.sub(r"\D", "", part)
        if digits.startswith("66") and len(digits) == 11:
            digits = "0" + digits[2:]
        if len(digits) == 9 and digits[0] in "689":  # a mobile number whose leading 0 a spreadsheet dropped
            digits = "0" + digits
        if len(digits) in (9, 10) and digits.startswith("0"):
            return digits
    raise _Refused(f"เบอร์โทร “{text}” ไม่ถูกต้อง (ต้องเป็นตัวเลข ๙–๑๐ หลัก ขึ้นต้นด้วย 0)")


def _default_scopes(store: SqliteStore, role: str, unit: Unit) -> tuple[Scope, ...]:
    province = unit.id if unit.kind == "province" else unit.parent
    if role == "chief":
        return (Scope("province", unit.id),) if unit.kind == "province" else (Scope("unit", unit.id),)
    if role == "coordinator":
        scopes = [Scope("province", province)] if province else []
        if unit.kind == "group":
            scopes.append(Scope("kpi_group", unit.name))
        return tuple(scopes)
    if role == "admin" and province:
        return (Scope("province", province),)
    return (Scope("unit", unit.id),)


class OrgImporter:
    ACTOR = "cli:org-import"

    def __init__(self, store: SqliteStore, province: str | None = None):
        self.store = store
        self.report = ImportReport()
        self.default_province = province
        self.seen_units: dict[str, str] = {}
        self.seen_people: dict[str, int] = {}

    def _put_unit(self, unit: Unit, pending: list[tuple[str, str, str]]) -> None:
        status = self.store.put_unit(unit, actor=self.ACTOR)
        pending.append((unit.id, status, f"{KIND_TH[unit.kind]} {unit.name}"))

    def _unit(self, name: str, kind: str, parent: Unit | None, pending) -> Unit:
        name = _strip_unit_prefix(name)
        candidates = [u for u in self.store.units_named(name) if u.kind == kind
                      and (parent is None or u.parent == parent.id)]
        if candidates:
            return candidates[0]
        existing = self.store.unit(name)
        if existing is not None and existing.kind == kind:
            return existing
        if kind == "province":
            unit_id = _slug(name)
        elif parent is None:
            raise _Refused(f"ไม่ทราบจังหวัดของ{KIND_TH[kind]} “{name}” (ใส่คอลัมน์ จังหวัด หรือใช้ --province)")
        else:
            unit_id = f"{parent.id}-{_slug(name)}"
        unit = Unit(unit_id, name, kind, parent.id if parent else None, {})
        self._put_unit(unit, pending)
        return unit

    def _province(self, rec: dict[str, str], pending) -> Unit | None:
        ref = rec.get("province") or self.default_province
        if not ref:
            return None
        found = self.store.unit(ref)
        if found is not None and found.kind == "province":
            return found
        return self._unit(ref, "province", None, pending)

    def row(self, sheet: str, line: int, rec: dict[str, str]) -> None:
        pending: list[tuple[str, str, str]] = []
        try:
            with self.store.batch():  # a savepoint: a refused row leaves nothing behind
                person = self._row(rec, pending)
        except _Refused as exc:
            self.report.refused.append((sheet, line, str(exc)))
            return
        for unit_id, status, label in pending:
            previous = self.seen_units.get(unit_id)
            if previous is None or (previous == "unchanged" and status != "unchanged"):
                if previous is not None:
                    self.report.units["unchanged"].remove(label)
                self.seen_units[unit_id] = status
                self.report.units[status].append(label)
        if person is not None:
            status, label = person
            self.report.people[status].append(label)
            self.seen_people[" ".join(rec["name"].split())] = line

    def _row(self, rec: dict[str, str], pending) -> tuple[str, str] | None:
        name = " ".join(rec.get("name", "").split())
        staff_text = to_arabic_digits(rec.get("staff", "")).replace(",", "").strip()
        staff = None
        if staff_text:
            if not re.fullmatch(r"\d+", staff_text):
                raise _Refused(f"จำนวนบุคลากร “{rec['staff']}” ไม่ใช่จำนวนเต็ม")
            staff = int(staff_text)
        district_name = rec.get("district") or ""
        unit_name = rec.get("unit") or ""
        group_name = rec.get("group") or ""
        if not (name or district_name or unit_name or group_name or rec.get("province")):
            raise _Refused("ไม่มีชื่อ-สกุล และไม่มีหน่วยงาน")
        province = self._province(rec, pending)
        unit: Unit | None = None
        if group_name:
            if province is None:
                raise _Refused(f"ไม่ทราบจังหวัดของกลุ่มงาน “{group_name}” (ใส่คอลัมน์ จังหวัด หรือใช้ --province)")
            unit = self._unit(group_name, "group", province, pending)
        elif district_name or unit_name:
            ref = district_name or unit_name
            existing = _find_unit(self.store, ref)
            if existing is not None and (province is None or existing.id == province.id
                                         or existing.parent == province.id):
                unit = existing
            else:
                unit = self._unit(ref, "district", province, pending)
        else:
            unit = province
        if unit is None:
            raise _Refused("ไม่ทราบหน่วยงาน (ใส่คอลัมน์ อำเภอ/หน่วยงาน หรือ จังหวัด)")
        if staff is not None and unit.attributes.get("staff") != staff:
            unit = Unit(unit.id, unit.name, unit.kind, unit.parent, {**unit.attributes, "staff": staff})
            self._put_unit(unit, pending)
        if not name:
            return None
        return self._person(name, rec, unit)

    def _person(self, name: str, rec: dict[str, str], unit: Unit) -> tuple[str, str]:
        if name in self.seen_people:
            raise _Refused(f"ชื่อ “{name}” ซ้ำกับแถว {self.seen_people[name]} ในไฟล์นี้")
        if rec.get("role"):
            role = _role(rec["role"])
            if role is None:
                raise _Refused(f"ไม่รู้จักบทบาท “{rec['role']}” (ใช้ ผู้รายงาน หัวหน้า ผู้ประสานงาน หรือ ผู้ดูแลระบบ)")
        else:
            role = _position_role(rec.get("position", ""))
        phone = _phone(rec.get("phone", ""))
        matches = self.store.people_named(name)
        if len(matches) > 1:
            matches = [p for p in matches if p.unit_id == unit.id]
            if len(matches) != 1:
                raise _Refused(f"มีชื่อ “{name}” หลายคนในระบบ แก้ในระบบก่อน")
        label = f"{name} ({ROLE_TH[role]}, {unit.name})"
        if not matches:
            self.store.add_person(name, role, unit.id, phone=phone, scopes=_default_scopes(self.store, role, unit),
                                  actor=self.ACTOR)
            return "added", label
        before = matches[0]
        changes = []
        kwargs: dict[str, Any] = {}
        if before.role != role:
            changes.append(f"บทบาท {ROLE_TH[before.role]} → {ROLE_TH[role]}")
            kwargs["role"] = role
        if before.unit_id != unit.id:
            old = self.store.unit(before.unit_id)
            changes.append(f"หน่วยงาน {old.name if old else before.unit_id} → {unit.name}")
            kwargs["unit_id"] = unit.id
        if phone and before.phone != phone:
            changes.append(f"เบอร์โทร {before.phone or '-'} → {phone}")
            kwargs["phone"] = phone
        if not changes:
            return "unchanged", label
        if "role" in kwargs or "unit_id" in kwargs:
            kwargs["scopes"] = _default_scopes(self.store, role, unit)
        self.store.update_person(before.id, actor=self.ACTOR, **kwargs)
        return "changed", f"{name}: " + ", ".join(changes)


def import_org(store: SqliteStore, path: Path, province: str | None = None,
               dry_run: bool = False, batch_rows: int = IMPORT_BATCH_ROWS) -> ImportReport:
    """Import every row; commits every ``batch_rows`` rows, so other writers (the bot, `kpibot invite
    create`) get the lock between batches. Stopped midway, whole batches stay: running it again finishes
    the job (the rows already in read as unchanged). A dry run is one transaction, rolled back."""
    rows = read_table(path)
    importer = OrgImporter(store, province)
    if dry_run:
        try:
            with store.batch():
                for sheet, line, rec in rows:
                    importer.row(sheet, line, rec)
                raise _DryRun
        except _DryRun:
            pass
        return importer.report
    for start in range(0, len(rows), batch_rows):
        if start:
            sleep(BATCH_PAUSE_S)  # a writer waiting in SQLite's busy handler polls; give it the gap
        with store.batch():
            for sheet, line, rec in rows[start:start + batch_rows]:
                importer.row(sheet, line, rec)
    return importer.report


def cmd_org_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.exists():
        _err(f"ไม่พบไฟล์ {path}")
        return 2
    try:
        table_rows = read_table(path)
    except Exception as exc:  # a broken workbook, an unreadable file
        _err(f"อ่านไฟล์ {path} ไม่ได้: {exc}")
        return 2
    if not table_rows:
        _err(f"ไม่พบหัวตารางที่รู้จักใน {path} (เช่น ชื่อ-สกุล, ตำแหน่ง, อำเภอ, เบอร์โทร, จำนวนบุคลากร)")
        return 2
    with open_store(args.db) as store:
        report = import_org(store, path, args.province, args.dry_run)
    for line in report.lines(str(path), args.dry_run):
        _out(line)
    return 1 if report.refused else 0


# ---------------------------------------------------------------- agreement assign


def cmd_agreement_assign(args: argparse.Namespace) -> int:
    try:
        catalog = _resolve_catalog(args.catalog)
    except (LookupError, CatalogError):
        _err(f"ไม่พบแคตตาล็อก “{args.catalog}”")
        return 2
    fiscal_year = args.fiscal_year or catalog.fiscal_year
    round_ = args.round if args.round is not None else catalog.round
    if round_ not in (None, 1, 2):
        _err("รอบการประเมินต้องเป็น 1 หรือ 2")
        return 2
    if catalog.period is not None and fiscal_year == catalog.fiscal_year and round_ == catalog.round:
        start, end = catalog.period.start, catalog.period.end
    else:
        period = round_dates(fiscal_year, round_)
        start, end = period.start, period.end
    start, end = args.start or start, args.end or end
    try:
        chosen = _choices(catalog, args.choose)
        cases = _cases(catalog, args.case)
    except ValueError as exc:
        _err(str(exc))
        return 2
    if args.variant and args.variant not in catalog.variants:
        _err(f"แคตตาล็อก {catalog.id} ไม่มีรูปแบบน้ำหนัก “{args.variant}” (มี {', '.join(catalog.variants) or '-'})")
        return 2
    with open_store(args.db) as store:
        if args.all_districts:
            province = _find_unit(store, args.province) if args.province else None
            if args.province and province is None:
                _err(f"ไม่พบจังหวัด “{args.province}”")
                return 2
            units = [u for u in store.units() if u.kind == "district"
                     and (province is None or u.parent == province.id)]
            if not units:
                _err("ยังไม่มีอำเภอในฐานข้อมูล (ใช้ kpibot org import ก่อน)")
                return 2
        else:
            units, unknown = [], []
            for ref in (r for r in args.units.split(",") if r.strip()):
                unit = _find_unit(store, ref)
                (units.append(unit) if unit else unknown.append(ref.strip()))
            if unknown:
                _err("ไม่พบหน่วยงาน: " + ", ".join(unknown))
                return 2
        _out(f"{catalog.id}: ปีงบประมาณ {fiscal_year} รอบ {round_ or '-'} ({format_be(start)} – {format_be(end)})")
        with store.batch():
            for unit in units:
                _agreement, status = store.assign_agreement(
                    catalog.id, unit.id, fiscal_year, round_, start, end, chosen=chosen, variant=args.variant,
                    cases=cases, actor="cli:agreement-assign")
                word = {"added": "เพิ่ม", "changed": "แก้ไข", "unchanged": "เหมือนเดิม"}[status]
                note = ""
                if catalog.units and unit.name not in catalog.units:
                    note = " (หมายเหตุ: แคตตาล็อกไม่ได้ระบุหน่วยงานนี้)"
                _out(f"  {word}: {unit.name} [{unit.id}]{note}")
    for group in catalog.optional_groups:
        if group.id not in chosen:
            _out(f"หมายเหตุ: ยังไม่ได้เลือกตัวชี้วัดทางเลือกกลุ่ม “{group.name}” ({group.id}) ใช้ --choose {group.id}=KPI")
    return 0


def _choices(catalog: Catalog, pairs: list[str]) -> dict[str, str]:
    groups = {g.id: g for g in catalog.optional_groups}
    chosen = {}
    for group_id, ref in _pairs(pairs, "--choose"):
        if group_id not in groups:
            raise ValueError(f"แคตตาล็อก {catalog.id} ไม่มีกลุ่มตัวชี้วัดทางเลือก “{group_id}” "
                             f"(มี {', '.join(groups) or '-'})")
        kpi = catalog.kpi(ref)
        if kpi is None or kpi.optional_group != group_id:
            options = [str(k.number or k.id) for k in catalog.kpis if k.optional_group == group_id]
            raise ValueError(f"“{ref}” ไม่ใช่ตัวชี้วัดทางเลือกของกลุ่ม {group_id} (เลือกได้: {', '.join(options)})")
        chosen[group_id] = kpi.id
    return chosen


def _cases(catalog: Catalog, pairs: list[str]) -> dict[str, str]:
    cases = {}
    for ref, case in _pairs(pairs, "--case"):
        kpi = catalog.kpi(ref)
        if kpi is None:
            raise ValueError(f"ไม่พบตัวชี้วัด “{ref}” ใน {catalog.id}")
        known = [c.id for c in getattr(kpi, "cases", ()) or ()]
        if known and case not in known:
            raise ValueError(f"ตัวชี้วัด {ref} ไม่มีกรณี “{case}” (มี {', '.join(known)})")
        cases[kpi.id] = case
    return cases


# ---------------------------------------------------------------- invites


def telegram_link(code: str) -> str:
    return f"https://t.me/{settings().telegram_username}?start={code}"


def cmd_invite_create(args: argparse.Namespace) -> int:
    role = _role(args.role)
    if role is None:
        _err(f"ไม่รู้จักบทบาท “{args.role}” (ใช้ {', '.join(ROLES)})")
        return 2
    try:
        last_day = _parse_day(args.expires) if args.expires else None
        scopes = tuple(Scope(k, v) for k, v in _pairs(args.scope, "--scope"))
    except ValueError as exc:
        _err(f"ข้อมูลไม่ถูกต้อง: {exc}")
        return 2
    with open_store(args.db) as store:
        unit = _find_unit(store, args.unit)
        if unit is None:
            _err(f"ไม่พบหน่วยงาน “{args.unit}”")
            return 2
        if args.person is not None and store.person(args.person) is None:
            _err(f"ไม่พบบุคคลหมายเลข {args.person}")
            return 2
        now = store._now()
        if last_day is None:
            last_day = (now + timedelta(days=DEFAULT_INVITE_DAYS)).date()
        expires_at = datetime.combine(last_day + timedelta(days=1), time(0), BANGKOK)
        if expires_at <= now:
            _err("วันหมดอายุต้องไม่ใช่วันที่ผ่านมาแล้ว")
            return 2
        try:
            code = store.create_invite(role, unit.id, person_id=args.person, expires_at=expires_at, scopes=scopes)
        except ValueError as exc:
            _err(f"สร้างรหัสเชิญไม่ได้: {exc}")
            return 2
    who = f", บุคคล #{args.person}" if args.person is not None else ""
    _out(f"รหัสเชิญ: {code}")
    _out(f"สำหรับ {ROLE_TH[role]} {unit.name}{who} ใช้ได้ครั้งเดียว ถึงวันที่ {format_be(last_day)}")
    _out(f"ลิงก์ Telegram: {telegram_link(code)}")
    _out("รหัสนี้แสดงครั้งเดียว ระบบเก็บไว้เฉพาะค่าแฮช")
    return 0


def cmd_invite_list(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        now = store._now()
        invites = store.invites()
        if not invites:
            _out("ยังไม่มีรหัสเชิญ")
            return 0
        _out("#\tสถานะ\tบทบาท\tหน่วยงาน\tบุคคล\tสร้างเมื่อ\tหมดอายุ")
        for inv in invites:
            unit = store.unit(inv.unit_id)
            person = store.person(inv.used_by or inv.person_id) if (inv.used_by or inv.person_id) else None
            expires = format_be((inv.expires_at - timedelta(seconds=1)).astimezone(BANGKOK).date()) \
                if inv.expires_at else "-"
            _out(f"{inv.id}\t{STATUS_TH[inv.status(now)]}\t{ROLE_TH.get(inv.role, inv.role)}\t"
                 f"{unit.name if unit else inv.unit_id}\t{person.name if person else '-'}\t"
                 f"{format_be(inv.created_at.astimezone(BANGKOK).date())}\t{expires}")
    return 0


def cmd_invite_revoke(args: argparse.Namespace) -> int:
    if not args.code and args.id is None:
        _err("ระบุรหัสเชิญ หรือ --id หมายเลข")
        return 2
    with open_store(args.db) as store:
        done = store.revoke_invite(args.code, invite_id=args.id, actor="cli:invite-revoke")
    if done:
        _out("ยกเลิกรหัสเชิญแล้ว")
        return 0
    _err("ไม่พบรหัสเชิญที่ยังใช้ได้ (ไม่มีรหัสนี้ ใช้ไปแล้ว หรือยกเลิกไปแล้ว)")
    return 1
