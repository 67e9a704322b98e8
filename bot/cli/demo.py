"""`kpibot demo`: a demo database — Yala province, the 8 districts of seed 002, its agreements
re-dated to the round that contains today, demo people and a few months of plausible figures.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time
from typing import Any

from bot.store.sqlite import SqliteStore
from handlers.agreements import monthly
from handlers.ports import NewSubmission, Scope, Unit, system_clock
from scoring.conditions import Condition, Missing
from scoring.errors import EvaluationError
from scoring.evaluate import evaluate
from scoring.loader import load_all
from scoring.model import Kpi
from scoring.numbers import step
from scoring.rounds import round_of
from scoring.targets import target_value
from scoring.thaidate import BANGKOK

PROVINCE = Unit("yala", "ยะลา", "province", None, {"staff": 14})
DISTRICTS = [  # (id, Thai name, staff)
    ("yala-krongpinang", "กรงปินัง", 2), ("yala-kabang", "กาบัง", 2), ("yala-thanto", "ธารโต", 3),
    ("yala-bannangsata", "บันนังสตา", 4), ("yala-betong", "เบตง", 4), ("yala-mueang", "เมืองยะลา", 6),
    ("yala-yaha", "ยะหา", 3), ("yala-raman", "รามัน", 4),
]
OFFICERS = ["นางสาวอัสมะ ดือราแม", "นายอับดุลเลาะ สาและ", "นางสาวนูรีซัน มะแซ", "นายสุริยา แก้วมณี",
            "นางสาวกมลชนก ทองดี", "นางสาวสุภาพร ใจดี", "นายฮาฟิซ ยูโซะ", "นางสาวรอฮานี เจ๊ะเลาะ"]
GROUPS = [("ประสานฯ", "นางวรรณา ประสานกิจ"), ("ยุทธศาสตร์", "นายธนา ยุทธศักดิ์"),
          ("ส่งเสริม", "นางสาวพิมพ์ใจ ส่งเสริมสุข"), ("สารสนเทศ", "นางสาวดาเรศ ชูยก")]
CATALOGS = {"district": ["yala-2568-r2-district-team", "yala-2568-r2-district-individual"],
            "province": ["yala-2568-r2-province-team", "yala-2568-r2-province-individual"]}
FIRST_OFFICER = "yala-mueang"


def _months(start: date, today: date) -> list[date]:
    months, day = [], start
    while day <= today:
        months.append(day)
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return months


def inputs_for_level(kpi: Kpi, level: int, unit: Unit) -> dict[str, Any] | None:
    """Inputs that just reach a level, read off the rubric itself (so demo figures are plausible)."""
    rubric = kpi.rubric
    if rubric.reviewer:
        return {"level": level}
    chosen = rubric.level(level)
    if chosen is None or chosen.blank:
        return None
    conds: list[Condition] = list(chosen.conditions)
    steps: list[str] = []
    for lv in rubric.levels:
        if lv.level <= level and not lv.blank:
            steps += list(lv.steps)
    for branch in chosen.branches:
        if branch.if_ is not None and branch.if_.left is not None:
            try:
                value = branch.if_.left.evaluate(unit.attributes)
                threshold = branch.if_.right.evaluate(unit.attributes)  # type: ignore[union-attr]
            except (Missing, AttributeError):
                continue
            if {"<=": value <= threshold, "<": value < threshold, ">": value > threshold,
                    ">=": value >= threshold, "=": value == threshold}.get(branch.if_.op or "", False):
                conds += list(branch.all)
                steps += list(branch.steps)
                break
    values: dict[str, Any] = {}
    context: dict[str, Any] = dict(kpi.constants)
    if kpi.targets is not None:
        target = target_value(kpi.targets, unit.name, level)
        if target is None:
            return None
        context["target"] = target
    tick = step(max((c.decimals for c in conds), default=0))
    for cond in conds:
        name = cond.subject
        if name is None or cond.kind == "by":
            return None
        try:
            if cond.kind == "range":
                value = cond.low.evaluate({**context, **values})  # type: ignore[union-attr]
            else:
                threshold = cond.right.evaluate({**context, **values})  # type: ignore[union-attr]
                value = {">=": threshold, ">": threshold + tick, "<=": threshold, "<": threshold - tick,
                         "=": threshold}[cond.op or "="]
        except Missing:
            return None
        spec = kpi.input(name)
        if spec is not None and spec.integer:
            value = value.to_integral_value()
        values[name] = max(value, values.get(name, value)) if cond.op in (">=", ">") else value
    result: dict[str, Any] = {k: str(v) for k, v in values.items()}
    if steps:
        result["steps"] = sorted(set(steps))
    return result


def build(path: str, evidence_dir: str, today: date | None = None, seed: int = 2568,
          figures: bool = True) -> SqliteStore:
    today = today or system_clock().date()
    rng = random.Random(seed)
    catalogs = load_all()
    store = SqliteStore(path, evidence_dir)
    current = round_of(today)
    fy, rnd, start, end = current.fiscal_year, current.number, current.start, current.end
    with store.batch():
        store.put_unit(PROVINCE, actor="demo")
        units = []
        for uid, name, staff in DISTRICTS:
            unit = Unit(uid, name, "district", PROVINCE.id, {"staff": staff})
            store.put_unit(unit, actor="demo")
            units.append(unit)
        people = []
        for unit, officer in zip(units, OFFICERS, strict=True):
            people.append(store.add_person(officer, "reporter", unit.id, actor="demo"))
        chief = store.add_person("นายมะรอนิง สาแม", "chief", PROVINCE.id, actor="demo",
                                 scopes=(Scope("province", PROVINCE.id),))
        district_chief = store.add_person("นายสมชาย ศรีเมือง", "chief", FIRST_OFFICER, actor="demo")
        coordinators = [store.add_person(name, "coordinator", PROVINCE.id, actor="demo",
                                         scopes=(Scope("province", PROVINCE.id), Scope("kpi_group", group)))
                        for group, name in GROUPS]
        admin = store.add_person("ผู้ดูแลระบบ (ทดลอง)", "admin", PROVINCE.id, actor="demo")
        for person in [*people, chief, district_chief, *coordinators, admin]:
            store.link_identity(person.id, "console", str(person.id), display_name=person.name)

        optional = ["i7", "i8", "i9"]
        choosers = 0
        for unit in units:
            for catalog_id in CATALOGS["district"]:
                catalog = catalogs[catalog_id]
                chosen = {}
                if catalog.optional_groups and not catalog.kpi("i3").applies(unit.name):  # type: ignore[union-attr]
                    chosen = {"choice": optional[choosers % len(optional)]}
                    choosers += 1
                store.assign_agreement(catalog_id, unit.id, fy, rnd, start, end, chosen=chosen, actor="demo")
        for catalog_id in CATALOGS["province"]:
            store.assign_agreement(catalog_id, PROVINCE.id, fy, rnd, start, end, actor="demo")

        # a few months of figures: most districts report most months; some lag behind
        from handlers.agreements import slots

        for unit, person in zip(units, people, strict=True) if figures else ():
            diligence = rng.random()
            for slot in slots(store, catalogs, unit, today):
                kpi = slot.kpi
                months = _months(start, today) if monthly(kpi) else [today]
                for month in months:
                    last = month.year == today.year and month.month == today.month
                    if rng.random() > (0.35 + diligence * 0.6) or (last and rng.random() < 0.5):
                        continue
                    level = rng.choice([2, 3, 3, 4, 4, 5])
                    inputs = inputs_for_level(kpi, level, unit)
                    if inputs is None:
                        continue
                    try:
                        result = evaluate(kpi, inputs, unit=unit.name, unit_attributes=unit.attributes)
                    except EvaluationError:
                        continue
                    day = min(today, date(month.year, month.month, min(18, 28)))
                    sent = datetime.combine(day, time(9 + rng.randrange(8), rng.randrange(60)), BANGKOK)
                    store.add_submission(NewSubmission(
                        person_id=person.id, unit_id=unit.id, catalog_id=slot.catalog.id, kpi_id=kpi.id,
                        period=f"{month.year:04d}-{month.month:02d}" if monthly(kpi) else "round",
                        inputs=inputs, level=result.level, channel="console", message_id=f"demo-{unit.id}",
                        sent_at=sent))
    return store


def first_officer(store: SqliteStore) -> int:
    return store.people(unit_id=FIRST_OFFICER, role="reporter")[0].id


def describe(store: SqliteStore) -> str:
    lines = ["ฐานข้อมูลทดลอง: จังหวัดยะลา 8 อำเภอ (ตัวชี้วัดตามเอกสาร 002 ปรับวันที่เป็นรอบปัจจุบัน)"]
    for p in store.people():
        unit = store.unit(p.unit_id)
        lines.append(f"  /user {p.id}: {p.name} · {p.role} · {unit.name if unit else ''}")
    return "\n".join(lines)


