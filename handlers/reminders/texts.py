"""Every Thai text of the reminder ladder: reporters' reminders and overdue notices, chiefs'
escalations and weekly digests, coordinators' digests. Rendered on demand from the plan's data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from scoring.thaidate import format_be

from .. import texts as common
from ..agreements import evaluate_submission, monthly, period_for, unit_score
from ..calendar import cutoffs, day_th, off_phrase
from ..permissions import units_in_scope
from ..ports import Person, Unit
from ..views.appraisal import KIND_TH
from .world import Item, World

MAX_TEXT = 3900  # under Telegram's 4,096 characters and LINE's 5,000
TITLES = ("นางสาว", "นาง", "นาย", "ว่าที่ร้อยตรี", "ดร.")


def dear(person: Person) -> str:
    """"เรียน นางสาวอัสมะ ดือราแม" for a name with a title, else "เรียน คุณสมชาย"."""
    name = person.name.strip()
    return f"เรียน {name}" if name.startswith(TITLES) else f"เรียน คุณ{name}"


def clip(text: str) -> str:
    """At most MAX_TEXT characters, ending with "…" when cut."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _n_days(n: int) -> str:
    return {0: "วันนี้", 1: "พรุ่งนี้"}.get(n, f"อีก {n} วัน")


def bullets(items: Iterable[Item], limit: int = 25) -> str:
    lines = sorted({i.line() for i in items})
    more = len(lines) - limit
    return "\n".join(f"• {x}" for x in lines[:limit]) + (f"\n• และอีก {more} รายการ" if more > 0 else "")


def reporter(person: Person, day: date, items: list[Item], send_day: date, stage: str) -> str:
    """A reporter's reminder before the cutoff ``day`` (sent on ``send_day``), or its overdue notice."""
    cutoff = items[0].cutoff
    by = cutoff.submit_by
    if stage == "overdue":
        head = f"⏰ {dear(person)}\nเลยกำหนดส่ง {day_th(day)} แล้วค่ะ ยังไม่ได้รับ:"
        tail = "กรุณาส่งโดยเร็วนะคะ หากติดปัญหาโปรดแจ้งผู้ประสานงานตัวชี้วัด"
    else:
        n = (by - send_day).days
        if by != day:  # the cutoff is a day off: send by the working day before it
            when = (f"กำหนดส่ง{day_th(day)} {off_phrase(cutoff.nominal)} จึงขอให้ส่งภายใน{day_th(by)}"
                    + (" (วันนี้)" if n == 0 else f" ({_n_days(n)})"))
        else:
            when = f"{_n_days(n)}ครบกำหนดส่ง ({day_th(day)}){cutoff.note()}"
        head = f"🔔 {dear(person)}\n{when}\nยังไม่ได้รับ:"
        tail = "พิมพ์ “รายงาน” เพื่อส่งผลได้เลยค่ะ (ไม่สะดวกตอนนี้ พิมพ์ “เลื่อนเตือน 1 วัน”)"
    return f"{head}\n{bullets(items)}\n{tail}"


def escalation(chief: Person, day: date, send_day: date, per_unit: dict[str, tuple[Unit, list[Item]]],
               world: World) -> str:
    lines = [f"📣 {dear(chief)}",
             f"เลยกำหนดส่ง{day_th(day)} มา {(send_day - day).days} วันแล้ว ยังไม่ได้รับ:"]
    for unit, items in sorted(per_unit.values(), key=lambda x: x[0].name):
        names = ", ".join(p.name for p in world.reporters(unit.id)) or "ยังไม่มีผู้รายงานในระบบ"
        lines.append(f"{unit.name} (ผู้รายงาน: {names})")
        lines.append(bullets(items, limit=12))
    lines.append("รบกวนช่วยติดตามด้วยค่ะ")
    return "\n".join(lines)


def digest(coordinator: Person, day: date, stage: str, rows: dict[str, tuple[str, int, list[str]]],
           unreachable: list[str]) -> str:
    when = "วันนี้ครบกำหนด" if stage == "digest-d0" else "เลยกำหนดแล้ว"
    lines = [f"📋 {dear(coordinator)}", f"สรุปผู้ยังไม่ส่ง กำหนดส่ง{day_th(day)} ({when})"]
    for label, total_units, names in sorted(rows.values()):
        lines.append(f"• {label}: ยังไม่ส่ง {len(names)}/{total_units} หน่วย — {', '.join(sorted(names))}")
    if unreachable:
        lines.append("ติดต่อทางแชทไม่ได้ (บล็อกหรือเลิกติดตามบอท): " + ", ".join(sorted(unreachable)))
    return "\n".join(lines)


def risks(world: World, unit: Unit, today: date, horizon: date) -> list[str]:
    """KPIs at risk of dropping a level: this month's figure not in with its cutoff near or past,
    or the latest figure lower than the one before it."""
    found: list[str] = []
    upcoming = {(c.slots[0].key, c.period): c for c in cutoffs(world.slots.get(unit.id, []), today.replace(day=1),
                                                                 horizon) if c.kind == "monthly"}
    for slot in world.slots.get(unit.id, []):
        if not (slot.agreement.start <= today <= slot.agreement.end) or slot.kpi.rubric.reviewer:
            continue
        history = world.store.current(unit.id, slot.catalog.id, slot.kpi.id)
        if monthly(slot.kpi):
            period = period_for(slot.kpi, today)
            cutoff = upcoming.get((slot.key, period))
            if history and not any(s.period == period for s in history) and cutoff and cutoff.day <= horizon:
                found.append(f"{slot.short}: ยังไม่ส่งผล{common.period_th(period)} (กำหนด {format_be(cutoff.day)})")
                continue
        if len(history) >= 2:
            ordered = sorted(history, key=lambda s: s.period)
            now_level = evaluate_submission(slot, unit, ordered[-1]).level
            before = evaluate_submission(slot, unit, ordered[-2]).level
            if now_level < before:
                found.append(f"{slot.short}: ลดลงจากระดับ {before} เป็นระดับ {now_level}")
    return found


def weekly(world: World, chief: Person, today: date) -> str:
    scope = units_in_scope(world.store, chief)
    own = [u for u in scope if u.id == chief.unit_id]
    others = [u for u in scope if u.id != chief.unit_id and u.id in world.slots]
    lines = [f"📊 {dear(chief)}", f"สรุปประจำสัปดาห์ ณ {format_be(today)}"]
    horizon = today + timedelta(days=7)
    rows = []
    for unit in others:
        score = unit_score(world.store, world.catalogs, unit, today)
        if not score.totals:
            continue
        by_set = {catalog.set: result for catalog, result in score.totals}  # never averaged together
        team, individual = by_set.get("team"), by_set.get("individual")
        shown = " · ".join(f"{name} {common.total_brief(result)}" for name, result in
                           (("ทีม", team), ("บุคคล", individual)) if result is not None)
        at_risk = risks(world, unit, today, horizon)
        order = (team is None, -(team.score100 if team else 0), individual is None,
                 -(individual.score100 if individual else 0), unit.name)
        rows.append((order, f"{unit.name}: {shown}"
                     + (f" · เสี่ยงลดระดับ {len(at_risk)}: " + "; ".join(r.split(':')[0] for r in at_risk[:3])
                        if at_risk else "")))
    if rows:
        lines.append("หน่วยงานในความดูแล เรียงตามคะแนนรายทีม:")
        lines += [f"{i}. {text}" for i, (_, text) in enumerate(sorted(rows, key=lambda r: r[0]), 1)]
    for unit in own:  # the chief's own agreements after the units under them (issue 14)
        if rows:
            lines.append(f"ข้อตกลงของ{KIND_TH.get(unit.kind, '')}{unit.name}เอง:")
        score = unit_score(world.store, world.catalogs, unit, today)
        for catalog, result in score.totals:
            set_name = {"team": "รายทีม", "individual": "รายบุคคล"}.get(catalog.set, catalog.set)
            pending = f" · ยังไม่รายงาน {len(result.missing)} ตัวชี้วัด" if result.missing else ""
            lines.append(f"{unit.name} {set_name}: {common.total_brief(result)}{pending}")
        at_risk = risks(world, unit, today, horizon)
        if at_risk:
            lines.append("ตัวชี้วัดที่เสี่ยงลดระดับ:")
            lines += [f"• {r}" for r in at_risk[:15]]
    if len(lines) == 2:
        lines.append("ยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้ค่ะ")
    return "\n".join(lines)
