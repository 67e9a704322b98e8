"""Scores: a unit's card, the ranked overview of the units one may see, a coordinator's KPIs.

Which card a message gets: "all units" (the understanding's note, nlu.intents.ALL_UNITS) gives the
overview; a unit named gives that unit's card (if in the sender's scope); a coordinator's own score is
their KPIs across their units; a province with no agreements of its own shows the overview.
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
from ..ports import Store, Unit


def wants_overview(u: Understanding) -> bool:
    """"คะแนนทุกอำเภอ", "คะแนนทั้งจังหวัด", "จัดอันดับ": the understanding's words, nowhere else."""
    return u.intent == "score" and "all_units" in u.notes


def answer(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding) -> list[Reply]:
    visible = units_in_scope(store, ctx.person)
    if wants_overview(u):
        if not allowed(ctx.person, "overview"):
            return [not_allowed(ctx.person, "score")]
        return [overview(store, catalogs, ctx.today, visible)]
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
    if target.kind == "province" and not store.agreements(target.id, ctx.today):
        return [overview(store, catalogs, ctx.today, visible)]
    return [unit_card(store, catalogs, target, ctx.today)]


def unit_card(store: Store, catalogs: Mapping[str, Catalog], unit: Unit, today: date) -> Reply:
    score = unit_score(store, catalogs, unit, today)
    if not score.totals:
        return Reply(f"{unit.name}: ยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้ค่ะ")
    lines = [f"คะแนนปัจจุบัน {unit.name} (ณ {texts.day_th(today)})"]
    for catalog, result in score.totals:
        set_name = {"team": "รายทีม", "individual": "รายบุคคล"}.get(catalog.set, catalog.set)
        lines.append(f"— ตัวชี้วัด{set_name} —")
        for row in result.rows:
            kpi = catalog.kpi(row.kpi)
            subject = kpi.aliases[0] if kpi and kpi.aliases else row.name[:28]
            lines.append(f"ตชว.{row.number} {subject}: {texts.row_level(row)} (น้ำหนัก {texts.number(row.weight)})")
        lines += texts.total_lines(result)  # the same lines as `kpibot score`
    return Reply("\n".join(lines))


def overview(store: Store, catalogs: Mapping[str, Catalog], today: date, visible: list[Unit]) -> Reply:
    rows = []
    for unit in visible:
        score = unit_score(store, catalogs, unit, today)
        if not score.totals:
            continue
        points = sum((t.score100 for _, t in score.totals), Decimal(0)) / len(score.totals)
        missing = sum(len(t.missing) for _, t in score.totals)
        rows.append((points, unit.name, missing))
    if not rows:
        return Reply("ยังไม่มีหน่วยงานที่มีข้อตกลงตัวชี้วัดในรอบนี้ค่ะ")
    rows.sort(key=lambda r: (-r[0], r[1]))
    lines = [f"ภาพรวมคะแนน (ณ {texts.day_th(today)}) เฉลี่ยรายทีมและรายบุคคล เรียงจากมากไปน้อย"]
    for i, (points, name, missing) in enumerate(rows, 1):
        note = f" · ค้าง {missing}" if missing else ""
        lines.append(f"{i}. {name} {texts.score(points)}{note}")
    return Reply("\n".join(lines))


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
