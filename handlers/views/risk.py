"""KPIs at risk ("ตัวชี้วัดไหนเสี่ยง") and a monthly KPI month by month ("แนวโน้ม ตชว.1").

At risk, per unit (a reporter: their own; a chief, coordinator or admin: every unit in scope, one when named):
- the figure that counts is below level 3, or below the level of the figure before it (a monthly KPI: the
  previous month's; a round KPI has one figure a round, so only "below 3" applies);
- due within 7 days (views/appraisal.missing_items, status "soon") with nothing sent;
- overdue items are counted, not listed ("ยังไม่ส่ง" lists them).
Trend: the KPI's main figure (scoring.evaluate.primary_input; a derived percent as derived) and level for
each month of the agreement up to today, as text; with a renderer also as a chart (bot/exports/charts.py).
Level lines come from the rubric when a level is one plain comparison of the main figure with a number
("growth >= 11") or a range ("percent in 60..69": its low end). A province chief who names no district
gets the KPI for each district in text (one line a district) and is told how to ask for one chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from scoring.evaluate import all_conditions, primary_input
from scoring.model import Catalog, Kpi

from .. import texts
from ..agreements import Slot, evaluate_submission, latest, monthly, slots, unit_score
from ..context import Ctx, read
from ..messages import Reply
from ..nlu import Understanding
from ..permissions import allowed, units_in_scope
from ..ports import Renderer, Store, Unit
from .appraisal import Trend, TrendPoint, missing_items
from .missing import NO_FILES, file_name, pack, scope_units
from .score import target_unit

LOW = 3  # a level below this is at risk


# -- at risk ------------------------------------------------------------------------------------------------
def _before(slot: Slot, unit: Unit, rows: list) -> int | None:
    """The level of the figure before the one that counts: the previous period's (monthly KPIs only)."""
    if not monthly(slot.kpi) or not rows:
        return None
    now = latest(rows)
    earlier = [s for s in rows if s.period < now.period]
    if not earlier:
        return None
    return evaluate_submission(slot, unit, latest(earlier)).level


def unit_risks(store: Store, catalogs: Mapping[str, Catalog], unit: Unit, today: date) -> list[str]:
    score = unit_score(store, catalogs, unit, today)
    found: list[str] = []
    for slot in slots(store, catalogs, unit, today):
        if slot.kpi.rubric.reviewer:
            continue
        evaluation = score.levels.get(slot.key)
        level = evaluation.level if evaluation is not None else None
        if level is None:
            continue
        rows = store.current(unit.id, slot.catalog.id, slot.kpi.id)
        before = _before(slot, unit, rows)
        why = []
        if before is not None and level < before:
            why.append(f"ลดลงจากระดับ {before}")
        if level < LOW:
            why.append(f"ต่ำกว่าระดับ {LOW}")
        if why:
            found.append(f" • {slot.short} ({slot.set_name()}): {texts.level_th(level)} {' · '.join(why)}")
    return found


def answer(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding) -> list[Reply]:
    units = scope_units(store, ctx, u)
    if isinstance(units, Reply):
        return [units]
    items = missing_items(store, catalogs, units, ctx.today)
    lines: list[str] = []
    total = 0
    for unit in units:
        mine = unit_risks(store, catalogs, unit, ctx.today)
        soon = [m for m in items if m.unit == unit.name and m.status == "soon"]
        mine += [f" • {m.kpi} ({m.set_name}): ใกล้กำหนด {texts.day_th(m.cutoff)} ยังไม่ส่ง"
                 for m in soon if m.cutoff is not None]
        if mine:
            lines.append(f"▸ {unit.name}")
            lines += mine
            total += len(mine)
    overdue = sum(1 for m in items if m.status == "overdue")
    tail = f"เลยกำหนดแล้วยังไม่ส่ง {overdue:,} รายการ พิมพ์ “ยังไม่ส่ง” เพื่อดูทั้งหมดค่ะ" if overdue else ""
    if not lines:
        return [Reply("ยังไม่มีตัวชี้วัดที่น่าเป็นห่วงค่ะ 👍" + (f"\n{tail}" if tail else ""))]
    head = (f"ตัวชี้วัดที่น่าเป็นห่วง {total:,} รายการ (ณ {texts.day_th(ctx.today)})\n"
            f"ระดับต่ำกว่า {LOW} · ลดลงจากเดือนก่อน · ใกล้กำหนดภายใน 7 วันแต่ยังไม่ส่ง")
    messages = pack(lines + ([tail] if tail else []), head=head)
    return [Reply(m) for m in messages]


# -- trend --------------------------------------------------------------------------------------------------
def thresholds(kpi: Kpi, main: str | None) -> tuple[tuple[int, Decimal], ...]:
    """(level, the figure that reaches it) where a level compares the main figure with one number."""
    out = []
    for level in kpi.rubric.levels:
        for c in all_conditions(level):
            if c.subject != main or c.left is None or c.left.name != main:
                continue
            if c.kind == "compare" and c.op in (">=", ">") and c.right is not None and not c.right.names \
                    and len(c.right.literals) == 1:
                out.append((level.level, c.right.literals[0]))
                break
            if c.kind == "range" and c.low is not None and not c.low.names and len(c.low.literals) == 1:
                out.append((level.level, c.low.literals[0]))
                break
    return tuple(out)


def _months(start: date, end: date) -> list[str]:
    out, (y, m) = [], (start.year, start.month)
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def trend(store: Store, unit: Unit, slot: Slot, today: date) -> Trend:
    """A monthly KPI of a unit month by month, from the agreement's first month up to today's."""
    kpi = slot.kpi
    main = primary_input(kpi)
    spec = kpi.input(main) if main else None
    rows = store.current(unit.id, slot.catalog.id, kpi.id)
    points = []
    for month in _months(slot.agreement.start, min(today, slot.agreement.end)):
        sub = latest([s for s in rows if s.period == month])
        if sub is None:
            points.append(TrendPoint(month, None, None))
            continue
        evaluation = evaluate_submission(slot, unit, sub)
        raw = sub.inputs.get(main) if main else None
        if raw is None and main is not None:
            raw = evaluation.values.get(main)
        try:
            value = Decimal(str(raw)).quantize(Decimal("0.01")).normalize() if raw is not None else None
        except ArithmeticError:
            value = None
        points.append(TrendPoint(month, value, evaluation.level))
    unit_word = (spec.unit or "") if spec is not None else ""
    return Trend(unit=unit.name, kpi=slot.short, unit_word=unit_word or "ค่า", points=tuple(points),
                 thresholds=thresholds(kpi, main))


def trend_text(t: Trend, slot: Slot) -> list[str]:
    spec = slot.kpi.input(primary_input(slot.kpi) or "")
    lines = [f"แนวโน้ม {t.kpi} ({slot.set_name()}) · {t.unit}"]
    for p in t.points:
        shown = "ยังไม่รายงาน" if p.value is None else (
            f"{texts.figure(spec, p.value)} ({texts.level_th(p.level) if p.level is not None else '-'})")
        lines.append(f"{texts.period_th(p.month).removeprefix('เดือน ')}: {shown}")
    if t.thresholds:
        lines.append("เกณฑ์: " + " · ".join(f"ระดับ {lv} ≥ {texts.number(v)}" for lv, v in t.thresholds))
    return lines


def _pick(store: Store, ctx: Ctx, u: Understanding, unit: Unit, unit_slots: list[Slot]) -> list[Slot]:
    """The candidates the message names among a unit's KPIs (read again against them when not the sender's)."""
    refs = u.kpis if unit.id == ctx.unit.id else read(store, ctx, ctx.msg.text, unit_slots).kpis
    keys = [f"{r.catalog_id}/{r.kpi_id}" for r in refs]
    found = [s for s in unit_slots if s.key in keys]
    return sorted(found, key=lambda s: not monthly(s.kpi))  # a team and an individual KPI 1: the monthly one


def trend_answer(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding,
                 renderer: Renderer | None = None, chart: bool = False) -> list[Reply]:
    unit = target_unit(store, ctx, u, "trend")
    if isinstance(unit, Reply):
        return [unit]
    unit_slots = slots(store, catalogs, unit, ctx.today)
    found = _pick(store, ctx, u, unit, unit_slots)
    children = []
    if not any(monthly(s.kpi) for s in found) and not u.unit and allowed(ctx.person, "overview"):
        children = [c for c in store.units(parent=unit.id)
                    if c.id != unit.id and any(x.id == c.id for x in units_in_scope(store, ctx.person))]
    elif not u.unit and allowed(ctx.person, "overview") and found and monthly(found[0].kpi) \
            and not any(p.value is not None for p in trend(store, unit, found[0], ctx.today).points):
        children = [c for c in store.units(parent=unit.id)  # the province's own is empty: its districts
                    if c.id != unit.id and any(x.id == c.id for x in units_in_scope(store, ctx.person))]
    if children:  # a chief who named no district: the KPI of each district, one line each
        return _each_child(store, catalogs, ctx, u, children)
    if not found:
        names = [s.short for s in unit_slots if monthly(s.kpi)]
        hint = ("ตัวชี้วัดรายเดือน: " + ", ".join(names)) if names else "หน่วยงานนี้ไม่มีตัวชี้วัดรายเดือนค่ะ"
        return [Reply(f"ต้องการดูแนวโน้มตัวชี้วัดไหนคะ เช่น “แนวโน้ม ตชว.1”\n{hint}")]
    slot = found[0]
    if not monthly(slot.kpi):
        sub = latest(store.current(unit.id, slot.catalog.id, slot.kpi.id))
        now = texts.level_th(evaluate_submission(slot, unit, sub).level) if sub else "ยังไม่รายงาน"
        return [Reply(f"{slot.short} ({slot.set_name()}) รายงานครั้งเดียวต่อรอบ จึงไม่มีแนวโน้มรายเดือนค่ะ "
                      f"ผลขณะนี้: {now}")]
    t = trend(store, unit, slot, ctx.today)
    text = "\n".join(trend_text(t, slot))
    if renderer is None:
        return [Reply(text + (f"\n{NO_FILES}" if chart else ""))]
    if not chart and not t.points:
        return [Reply(text)]
    image = renderer.trend_chart(t)
    return [Reply(text, image=image, image_name=file_name(f"trend-{slot.kpi.id}", unit, ctx.today, "png"))]


def _each_child(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding,
                children: list[Unit]) -> list[Reply]:
    lines: list[str] = []
    label = ""
    for child in children:
        child_slots = slots(store, catalogs, child, ctx.today)
        found = [s for s in _pick(store, ctx, u, child, child_slots) if monthly(s.kpi)]
        if not found:
            continue
        slot = found[0]
        t = trend(store, child, slot, ctx.today)
        label = label or f"{slot.short} ({slot.set_name()})"
        shown = [("–" if p.value is None else f"{texts.number(p.value)}"
                  + ("" if p.level is None else f" (ระดับ {p.level})")) for p in t.points]
        lines.append(f"▸ {child.name}: " + " → ".join(shown))
    if not lines:
        return [Reply("ไม่พบตัวชี้วัดรายเดือนนี้ในอำเภอของท่านค่ะ เช่น “แนวโน้ม ตชว.1”")]
    months = _months(*_span(store, catalogs, children[0], ctx.today))
    head = (f"แนวโน้ม {label} รายอำเภอ (ณ {texts.day_th(ctx.today)})\n"
            + " → ".join(texts.period_th(m).removeprefix("เดือน ") for m in months))
    tail = "ดูกราฟของอำเภอใดพิมพ์ เช่น “กราฟ ตชว.1 เบตง”"
    return [Reply(m) for m in pack(lines + [tail], head=head)]


def _span(store: Store, catalogs: Mapping[str, Catalog], unit: Unit, today: date) -> tuple[date, date]:
    agreements = store.agreements(unit.id, today)
    start = min((a.start for a in agreements), default=today)
    end = min(max((a.end for a in agreements), default=today), today)
    return start, end
