"""What is not yet reported: a reporter's own KPIs; a chief's or admin's units; a coordinator's KPI groups.

A KPI whose level the appraiser sets (rubric.reviewer) is never "missing"; monthly KPIs are missing
for the current month, others for the round (agreements.period_for).
"""

from __future__ import annotations

from collections.abc import Mapping

from scoring.model import Catalog

from .. import texts
from ..agreements import period_for, slots
from ..context import Ctx
from ..messages import Reply
from ..nlu import Understanding
from ..permissions import kpi_groups, units_in_scope
from ..ports import Store


def answer(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding) -> list[Reply]:
    if ctx.person.role == "reporter":
        units = [ctx.unit]
    else:
        units = units_in_scope(store, ctx.person)
    groups = kpi_groups(ctx.person) if ctx.person.role == "coordinator" else []
    lines = []
    for unit in units:
        for slot in slots(store, catalogs, unit, ctx.today):
            if groups and not any(g in (slot.kpi.source_group or "") for g in groups):
                continue
            if slot.kpi.rubric.reviewer:
                continue
            period = period_for(slot.kpi, ctx.today)
            if not store.current(unit.id, slot.catalog.id, slot.kpi.id, period):
                lines.append(f"{unit.name} · {slot.short} ({slot.set_name()}, {texts.period_th(period)})")
    if not lines:
        return [Reply("ส่งครบทุกตัวชี้วัดแล้วค่ะ 👍")]
    head = "ตัวชี้วัดที่ยังไม่ส่ง" + ("ของท่าน" if ctx.person.role == "reporter" else "")
    return [Reply(head + f" ({len(lines)} รายการ):\n" + "\n".join(lines[:40]))]
