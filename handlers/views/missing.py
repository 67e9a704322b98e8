"""What is not yet reported ("ยังไม่ส่ง"): a reporter's own KPIs; a chief's or admin's units; a coordinator's
KPI groups. Every item views/appraisal.missing_items finds, never cut:

- three parts, เลยกำหนด (overdue), ภายใน 7 วัน, ภายหลัง; inside each, unit by unit (children first, the
  asker's own unit last), the unit's line naming who should send (name, phone), then each KPI with its
  period and cutoff date (BE);
- split into several messages of at most ``LIMIT`` characters (Telegram takes 4,096), a unit's items
  continued under its name repeated; past ``MAX_MESSAGES`` messages the answer is one short summary with
  the Excel form's "รายการค้างส่ง" sheet attached (a renderer is needed; without one every message is sent
  and a line says files are not available here);
- in a group phones are left out (a person's contact stays private, handlers/audience.shows_contacts).
A KPI whose level the appraiser sets (rubric.reviewer) is never "missing".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from scoring.model import Catalog

from .. import audience, texts
from ..agreements import slots
from ..context import Ctx
from ..messages import Reply
from ..nlu import Understanding
from ..permissions import kpi_groups, units_in_scope
from ..ports import Renderer, Store, Unit
from .appraisal import BAND_NAMES, Book, MissingItem, book_title, missing_items

LIMIT = 3_500  # characters a message (Telegram: 4,096)
MAX_MESSAGES = 3  # more than this: a summary and the Excel file
PARTS = (("overdue", "เลยกำหนด"), ("soon", "ภายใน 7 วัน"), ("later", "ภายหลัง"))
NO_FILES = "(ไฟล์ Excel / PDF / กราฟ ส่งได้ทาง Telegram และคอนโซลค่ะ ช่องทางนี้ยังส่งไฟล์ไม่ได้)"


def pack(lines: Sequence[str], limit: int = LIMIT, head: str = "") -> list[str]:
    """Lines into messages of at most ``limit`` characters, never splitting a line; a unit heading
    (a line starting with "▸") is repeated with "(ต่อ)" when its items run into the next message."""
    out: list[str] = []
    current: list[str] = [head] if head else []
    size = len(head) + 1 if head else 0
    heading = ""
    for line in lines:
        if line.startswith("▸"):
            heading = line
        if current and size + len(line) + 1 > limit:
            out.append("\n".join(current))
            current, size = [], 0
            if heading and not line.startswith("▸") and not line.startswith("■"):
                current.append(f"{heading} (ต่อ)")
                size = len(current[0]) + 1
        current.append(line)
        size += len(line) + 1
    if current:
        out.append("\n".join(current))
    return out


def scope_units(store: Store, ctx: Ctx, u: Understanding) -> list[Unit] | Reply:
    """A reporter's own unit; otherwise the units in scope (one, when named), children before the own unit."""
    if ctx.person.role == "reporter":
        return [ctx.unit]
    units = units_in_scope(store, ctx.person)
    if u.unit:
        named = [x for x in units if x.name == u.unit]
        if not named:
            return Reply(f"ขออภัยค่ะ ท่านไม่มีสิทธิ์ดูข้อมูลของ {u.unit}")
        return named
    return sorted(units, key=lambda x: x.id == ctx.person.unit_id and len(units) > 1)


def items_for(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, units: list[Unit]) -> list[MissingItem]:
    items = missing_items(store, catalogs, units, ctx.today)
    groups = kpi_groups(ctx.person) if ctx.person.role == "coordinator" else []
    if groups:  # a coordinator: the KPIs of their source groups only
        mine = {(x.name, s.short, s.set_name()) for x in units for s in slots(store, catalogs, x, ctx.today)
                if any(g in (s.kpi.source_group or "") for g in groups)}
        items = [m for m in items if (m.unit, m.kpi, m.set_name) in mine]
    return items


def item_line(m: MissingItem) -> str:
    due = f" · กำหนด {texts.day_th(m.cutoff)}" if m.cutoff else ""
    return f" • {m.kpi} ({m.set_name}) {texts.period_th(m.period)}{due}"


def who_line(m: MissingItem, contacts: bool) -> str:
    if not m.who:
        return "ยังไม่มีผู้รับผิดชอบในระบบ"
    return m.who + (f" โทร {m.phone}" if contacts and m.phone else "")


def counts(items: Sequence[MissingItem]) -> str:
    return " · ".join(f"{th} {sum(1 for m in items if m.status == key):,}" for key, th in PARTS
                      if any(m.status == key for m in items))


def lines_of(items: Sequence[MissingItem], reporter: bool, contacts: bool) -> list[str]:
    lines: list[str] = []
    units = list(dict.fromkeys(m.unit for m in items))
    for key, th in PARTS:
        part = [m for m in items if m.status == key]
        if not part:
            continue
        lines.append(f"■ {th} ({len(part):,} รายการ)")
        by_unit: dict[str, list[MissingItem]] = {}  # one pass, not one scan of the part a unit (878 of them)
        for m in part:
            by_unit.setdefault(m.unit, []).append(m)
        for unit in units:
            mine = by_unit.get(unit)
            if not mine:
                continue
            lines.append(f"▸ {unit}" if reporter else f"▸ {unit} — {who_line(mine[0], contacts)}")
            lines += [item_line(m) for m in mine]
    return lines


def answer(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding,
           renderer: Renderer | None = None) -> list[Reply]:
    units = scope_units(store, ctx, u)
    if isinstance(units, Reply):
        return [units]
    items = items_for(store, catalogs, ctx, units)
    if not items:
        return [Reply("ส่งครบทุกตัวชี้วัดแล้วค่ะ 👍")]
    reporter = ctx.person.role == "reporter"
    contacts = audience.shows_contacts(audience.chat_kind(ctx.msg.is_group))
    n_units = len({m.unit for m in items})
    head = (f"ตัวชี้วัดที่ยังไม่ส่ง{'ของท่าน' if reporter else ''} {len(items):,} รายการ"
            + ("" if reporter else f" จาก {n_units:,} หน่วยงาน") + f" (ณ {texts.day_th(ctx.today)})\n{counts(items)}")
    if not contacts and not reporter:
        head += "\n(เบอร์โทรไม่แสดงในกลุ่ม ดูได้ในแชทส่วนตัวค่ะ)"
    messages = pack(lines_of(items, reporter, contacts), head=head)
    if len(messages) <= MAX_MESSAGES:
        return [Reply(m) for m in messages]
    if renderer is None:
        return [Reply(m) for m in messages] + [Reply(f"ยาว {len(messages)} ข้อความค่ะ {NO_FILES}")]
    shown = items if contacts else [_no_phone(m) for m in items]
    title = book_title(ctx.unit) if len(units) > 1 else book_title(units[0])
    data = renderer.workbook(Book(title=title, today=ctx.today, round_label="", ranking=(), sheets=(),
                                  missing=tuple(shown), bands=BAND_NAMES))
    overdue = Counter(m.unit for m in items if m.status == "overdue")
    worst = sorted({m.unit for m in items}, key=lambda x: -overdue[x])
    top = [f"{x} {overdue[x]:,}" for x in worst[:5] if overdue[x]]
    summary = [head, "รายการยาวเกินจะแสดงในแชท ทุกรายการอยู่ในไฟล์ Excel ที่แนบ (แผ่น “รายการค้างส่ง”) ค่ะ"]
    if top:
        summary.append("เลยกำหนดมากที่สุด: " + ", ".join(top))
    return [Reply("\n".join(summary), document=data, document_name=file_name("missing", units[0] if len(units) == 1
                                                                             else ctx.unit, ctx.today, "xlsx"))]


def _no_phone(m: MissingItem) -> MissingItem:
    return replace(m, phone="")


def file_name(what: str, unit: Unit, today: date, ext: str) -> str:
    """ASCII, with the BE date: "missing-yala-2568-06-10.xlsx"."""
    return f"{what}-{unit.id}-{today.year + 543}-{today.month:02d}-{today.day:02d}.{ext}"
