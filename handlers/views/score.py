"""Scores: a unit's card, the ranked overview of the units one may see, a coordinator's KPIs.

Which card a message gets: "all units" (the understanding's note, nlu.intents.ALL_UNITS) gives the
overview; a unit named gives that unit's card (if in the sender's scope); a coordinator's own score is
their KPIs across their units. A unit with child units (a province) answers "คะแนนปัจจุบัน" with the
province at a glance: its children ranked (views/appraisal.ranking: team and individual apart, each with
its band, KPIs unreported, change since the end of last month), then its own agreements as their own card.
A parent is never ranked among its children, in the overview either: the overview is one ranking per
parent unit in scope (an admin sees each province's districts, the provinces under a department, ...).
A unit whose children have children of their own (a department over provinces) ranks each child on its
units below (views/appraisal.ranking: the mean of its districts' team scores and, apart, of their
individual scores, "เฉลี่ย 12 อำเภอ"), never on the child's own agreement; "คะแนนปัจจุบัน ยะลา" drills
into one province (when the sender's scope holds it: an admin's does; a chief's at a department unit
holds only the department itself, handlers/permissions.units_in_scope).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from scoring.model import Catalog

from .. import texts
from ..agreements import evaluate_submission, latest, slots, unit_score
from ..context import Ctx, not_allowed
from ..messages import Reply
from ..nlu import Understanding
from ..permissions import allowed, can_act_for, kpi_groups, units_in_scope
from ..ports import Renderer, Store, Unit
from .appraisal import BAND_NAMES, Book, RankRow, book_title, ranking
from .cards import score_cards
from .missing import MAX_MESSAGES, NO_FILES, file_name, pack

NO_RANKING = "ยังไม่มีหน่วยงานที่มีข้อตกลงตัวชี้วัดในรอบนี้ค่ะ"


def wants_overview(u: Understanding) -> bool:
    """"คะแนนทุกอำเภอ", "คะแนนทั้งจังหวัด", "จัดอันดับ": the understanding's words, nowhere else."""
    return u.intent == "score" and "all_units" in u.notes


def answer(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding,
           renderer: Renderer | None = None) -> list[Reply]:
    visible = units_in_scope(store, ctx.person)
    if wants_overview(u):
        if not allowed(ctx.person, "overview"):
            return [not_allowed(ctx.person, "score")]
        return overview_replies(store, catalogs, ctx, visible, renderer)
    target = ctx.unit
    if u.unit:
        match = next((x for x in visible if x.name == u.unit), None)
        if match is None:
            return [Reply(f"ขออภัยค่ะ ท่านไม่มีสิทธิ์ดูคะแนนของ {u.unit}")]
        target = match
    elif ctx.person.role == "coordinator":
        return [coordinator_view(store, catalogs, ctx, visible)]
    if not can_act_for(store, ctx.person, target, "score"):
        return [not_allowed(ctx.person, "score")]
    rows = ranking(store, catalogs, target, ctx.today) if allowed(ctx.person, "overview") else []
    if rows:  # the province at a glance: its children first, then its own agreements as their own card
        glance = Reply("\n".join(ranking_lines(target, rows, ctx.today)))
        if not store.agreements(target.id, ctx.today):
            return [glance]
        return [glance, unit_card(store, catalogs, target, ctx.today, own=True)]
    return [unit_card(store, catalogs, target, ctx.today)]


def target_unit(store: Store, ctx: Ctx, u: Understanding, intent: str) -> Unit | Reply:
    """The unit a message is about: the one named (if the sender may see it for ``intent``), else the
    sender's own; a Reply saying why not otherwise."""
    if not u.unit:
        return ctx.unit
    match = next((x for x in units_in_scope(store, ctx.person) if x.name == u.unit), None)
    if match is None or not can_act_for(store, ctx.person, match, intent):
        return Reply(f"ขออภัยค่ะ ท่านไม่มีสิทธิ์ดูข้อมูลของ {u.unit}")
    return match


def change_th(change: Decimal | None) -> str:
    """"▲ 2.50" / "▼ 1.00" / "เท่าเดิม" against the end of last month ("" when there was no figure then)."""
    if change is None:
        return ""
    if change == 0:
        return "เท่าเดิม"
    return f"{'▲' if change > 0 else '▼'} {texts.score(abs(change))}"


def rank_line(i: int, row: RankRow) -> list[str]:
    """Two short lines a unit: "1. กาบัง · ค้าง 3" then "   ทีม 58.00 ระดับ… ▲ 2.50 · บุคคล 61.00 ระดับ…"."""
    head = f"{i}. {row.unit}" + (f" · {row.averaged}" if row.averaged else "") + (
        f" · ค้าง {row.missing:,}" if row.missing else " · ส่งครบ")
    parts = []
    if row.team is not None:
        parts.append(" ".join(x for x in (f"ทีม {texts.score(row.team)} {row.team_band}", change_th(row.change)) if x))
    if row.individual is not None:
        parts.append(f"บุคคล {texts.score(row.individual)} {row.individual_band}")
    return [head, "   " + " · ".join(parts)]


def ranking_lines(parent: Unit, rows: list[RankRow], today: date) -> list[str]:
    kind = {"province": "จังหวัด", "district": "อำเภอ"}.get(parent.kind, "")
    lines = [f"ภาพรวมคะแนน {kind}{parent.name} (ณ {texts.day_th(today)})",
             "เรียงตามคะแนนรายทีม รายทีมและรายบุคคลแยกกัน · ▲▼ เทียบสิ้นเดือนก่อน · ค้าง = ตัวชี้วัดที่ยังไม่รายงาน"]
    if any(row.averaged for row in rows):
        lines.append("คะแนนของแต่ละหน่วยงาน = ค่าเฉลี่ยของหน่วยงานในสังกัด (ไม่ใช่ข้อตกลงของหน่วยงานเอง)")
    for i, row in enumerate(rows, 1):
        lines += rank_line(i, row)
    return lines


def unit_card(store: Store, catalogs: Mapping[str, Catalog], unit: Unit, today: date, own: bool = False) -> Reply:
    """A unit's card; ``own``: a province's own agreements under its districts' ranking, titled as such."""
    score = unit_score(store, catalogs, unit, today)
    if not score.totals:
        return Reply(f"{unit.name}: ยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้ค่ะ")
    title = "ข้อตกลงของจังหวัดเอง" if own and unit.kind == "province" else "ข้อตกลงของหน่วยงานเอง" if own else ""
    lines = [f"คะแนนปัจจุบัน {unit.name}" + (f" · {title}" if title else "") + f" (ณ {texts.day_th(today)})"]
    for catalog, result in score.totals:
        set_name = {"team": "รายทีม", "individual": "รายบุคคล"}.get(catalog.set, catalog.set)
        lines.append(f"— ตัวชี้วัด{set_name} —")
        for row in result.rows:
            kpi = catalog.kpi(row.kpi)
            subject = kpi.aliases[0] if kpi and kpi.aliases else row.name[:28]
            lines.append(f"ตชว.{row.number} {subject}: {texts.row_level(row)} (น้ำหนัก {texts.number(row.weight)})")
        lines += texts.total_lines(result)  # the same lines as `kpibot score`
    return Reply("\n".join(lines), cards=score_cards(unit.name, score.totals, today, title))


def rankings(store: Store, catalogs: Mapping[str, Catalog], today: date,
             visible: list[Unit]) -> list[tuple[Unit, list[RankRow]]]:
    """One ranking per parent unit in scope, of its children in scope: never a parent among its children."""
    seen = {x.id for x in visible}
    out: list[tuple[Unit, list[RankRow]]] = []
    memo: dict[str, list[RankRow]] = {}  # each province ranked once, for its section and its parent's
    for parent in visible:
        rows = [r for r in ranking(store, catalogs, parent, today, memo)]
        names = {c.name for c in store.units(parent=parent.id) if c.id in seen}
        rows = [r for r in rows if r.unit in names]
        if rows:
            out.append((parent, rows))
    return out


def overview(store: Store, catalogs: Mapping[str, Catalog], today: date, visible: list[Unit]) -> Reply:
    """Every ranking in scope as one text (``overview_replies`` splits it or sends it as a file)."""
    sections = rankings(store, catalogs, today, visible)
    if not sections:
        return Reply(NO_RANKING)
    return Reply("\n\n".join("\n".join(ranking_lines(parent, rows, today)) for parent, rows in sections))


def overview_replies(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, visible: list[Unit],
                     renderer: Renderer | None) -> list[Reply]:
    """"คะแนนทุกอำเภอ": every ranking, in messages of at most missing.LIMIT characters, never a line cut; past
    missing.MAX_MESSAGES messages (a department: 76 provinces and 878 districts, 27 messages) the first
    ranking alone with the Excel workbook of them all attached (views/appraisal.Book ``sections``)."""
    sections = rankings(store, catalogs, ctx.today, visible)
    if not sections:
        return [Reply(NO_RANKING)]
    lines: list[str] = []
    for parent, rows in sections:
        lines += ([""] if lines else []) + ranking_lines(parent, rows, ctx.today)
    messages = pack(lines)
    if len(messages) <= MAX_MESSAGES:
        return [Reply(m) for m in messages]
    if renderer is None:
        return [Reply(m) for m in messages] + [Reply(f"ยาว {len(messages)} ข้อความค่ะ {NO_FILES}")]
    (top, top_rows), rest = sections[0], sections[1:]
    first = pack(ranking_lines(top, top_rows, ctx.today))[0]
    units = sum(len(rows) for _, rows in sections)
    note = (f"อันดับทั้งหมด {len(sections):,} ชุด {units:,} หน่วยงาน ยาวเกินจะแสดงในแชท "
            "ทุกอันดับอยู่ในไฟล์ Excel ที่แนบ (แผ่นสรุป) ค่ะ")
    data = renderer.workbook(Book(
        title=book_title(top), today=ctx.today, round_label="", ranking=tuple(top_rows), sheets=(), missing=(),
        bands=BAND_NAMES, sections=tuple((f"อันดับใน{book_title(parent)}", tuple(rows)) for parent, rows in rest)))
    return [Reply(f"{first}\n\n{note}", document=data, document_name=file_name("ranking", top, ctx.today, "xlsx"))]


def coordinator_view(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, visible: list[Unit]) -> Reply:
    groups = kpi_groups(ctx.person)
    lines = [f"ตัวชี้วัดที่ท่านประสาน ({', '.join(groups) or 'ทั้งหมด'}) ณ {texts.day_th(ctx.today)}"]
    for unit in visible:
        for slot in slots(store, catalogs, unit, ctx.today):
            if groups and not any(g in (slot.kpi.source_group or "") for g in groups):
                continue
            sub = latest(store.current(unit.id, slot.catalog.id, slot.kpi.id))
            level = evaluate_submission(slot, unit, sub).level if sub else None
            shown = "ยังไม่รายงาน" if level is None else f"ระดับ {level}"
            lines.append(f"{unit.name} · {slot.short} ({slot.set_name()}): {shown}")
    return Reply("\n".join(lines) if len(lines) > 1 else "ยังไม่มีตัวชี้วัดในความรับผิดชอบของท่านค่ะ")
