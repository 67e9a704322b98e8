"""`kpibot parse "TEXT"`: what a message was understood as (intent, KPI candidates, inputs, values,
period), in Thai or JSON. For admins answering "why didn't it understand me?" and for tests."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from handlers.nlu import Understanding, understand
from scoring.loader import load_all
from scoring.numbers import fmt
from scoring.thaidate import day_arg, format_be

INTENTS_TH = {
    "register": "ลงทะเบียน", "report": "รายงานผล", "evidence": "ส่งหลักฐาน", "score": "ดูคะแนน",
    "missing": "ดูผู้ที่ยังไม่ส่ง", "deadlines": "ดูกำหนดส่ง", "correct": "แก้ไขผล", "undo": "ยกเลิกรายการล่าสุด",
    "cancel": "ยกเลิก", "help": "วิธีใช้", "invite": "เชิญผู้ใช้", "mute": "ปิดการเตือน", "unmute": "เปิดการเตือน",
    "snooze": "เลื่อนการเตือน", "criteria": "ถามเกณฑ์การให้คะแนน", "unknown": "ไม่เข้าใจ",
}
HOW_TH = {"number": "เลขตัวชี้วัด", "alias": "คำเรียก", "name": "คำในชื่อ", "fuzzy": "คำใกล้เคียง"}


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser("parse", help="show what a chat message is understood as (Thai or --json)")
    p.add_argument("text", help="the message, in quotes")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--today", type=day_arg, default=None, help="2025-06-10, \"10 มิ.ย. 68\" (default: today)")
    p.add_argument("--catalog", action="append", default=None,
                   help="catalog id to match KPIs against (repeatable; default: all catalogs)")
    p.add_argument("--unit", action="append", default=None, help="a unit name that may be mentioned (repeatable)")
    p.add_argument("--attachment", action="store_true", help="the message carries a photo or file")
    p.set_defaults(func=cmd_parse)
    return p


def cmd_parse(args: argparse.Namespace) -> int:
    catalogs = load_all()
    ids = args.catalog or list(catalogs)
    unknown = [c for c in ids if c not in catalogs]
    if unknown:
        sys.stderr.write(f"ไม่พบชุดตัวชี้วัด: {', '.join(unknown)} (มี {', '.join(sorted(catalogs))})\n")
        return 2
    kpis = [(cid, k) for cid in ids for k in catalogs[cid].kpis]
    units = list(args.unit or [])
    for cid in ids:
        units.extend(u for u in catalogs[cid].units if u not in units)
    today = args.today or date.today()
    u = understand(args.text, kpis, today, units, has_attachment=args.attachment)
    names = {(cid, k.id): k.name for cid, k in kpis}
    if args.json:
        sys.stdout.write(json.dumps(to_json(u, names), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(to_thai(u, names) + "\n")
    return 0


def to_json(u: Understanding, names: dict[tuple[str, str], str] | None = None) -> dict[str, Any]:
    names = names or {}
    return {
        "text": u.text,
        "intent": u.intent,
        "ambiguous": u.ambiguous,
        "kpis": [{"catalog": k.catalog_id, "kpi": k.kpi_id, "number": k.number, "score": k.score, "how": k.how,
                  "name": names.get((k.catalog_id, k.kpi_id))} for k in u.kpis],
        "values": [{"value": str(v.value), "percent": v.percent, "text": v.text} for v in u.values],
        "inputs": {k: str(v) for k, v in u.inputs.items()},
        "period": u.period,
        "day": u.day.isoformat() if u.day else None,
        "code": u.code,
        "unit": u.unit,
        "days": u.days,
        "notes": u.notes,
        "ask": u.ask,
        "reports": [{"catalog": d.kpi.catalog_id, "kpi": d.kpi.kpi_id,
                     "inputs": {k: str(v) for k, v in d.inputs.items()}, "why": d.why,
                     "unplaced": [str(v.value) for v in d.unplaced], "ignored": [str(v.value) for v in d.ignored],
                     "dropped": {k: str(v) for k, v in d.dropped}} for d in u.reports],
        "fits": [{"catalog": k.catalog_id, "kpi": k.kpi_id} for k in u.fits],
    }


def _period_th(period: str) -> str:
    if len(period) == 7 and period[4] == "-":
        from scoring.thaidate import MONTHS_FULL

        year, month = int(period[:4]), int(period[5:])
        return f"{MONTHS_FULL[month - 1]} {year + 543}"
    if period.startswith("FY"):
        fy, _, rnd = period[2:].partition("-R")
        return f"รอบที่ {rnd} ปีงบประมาณ {fy}"
    return period


def to_thai(u: Understanding, names: dict[tuple[str, str], str] | None = None) -> str:
    names = names or {}
    lines = [f"ข้อความ: {u.text}", f"เจตนา: {INTENTS_TH.get(u.intent, u.intent)} ({u.intent})"]
    if u.kpis:
        lines.append("ตัวชี้วัดที่เป็นไปได้" + (" (ยังกำกวม ต้องถามกลับ)" if u.ambiguous else "") + ":")
        for i, k in enumerate(u.kpis, 1):
            name = names.get((k.catalog_id, k.kpi_id), "")
            number = f"ข้อ {k.number} " if k.number else ""
            lines.append(f"  {i}. {number}[{k.catalog_id} {k.kpi_id}] {name[:60]} — คะแนนความตรง {k.score:.2f}"
                         f" จาก{HOW_TH.get(k.how, k.how)}")
    else:
        lines.append("ตัวชี้วัด: ไม่พบ")
    if u.values:
        lines.append("ตัวเลข: " + ", ".join(fmt(v.value) + ("%" if v.percent else "") for v in u.values))
    if u.inputs:
        lines.append("ค่าที่ระบุชื่อ: " + ", ".join(f"{k} = {fmt(v)}" for k, v in u.inputs.items()))
    for d in u.reports:
        name = names.get((d.kpi.catalog_id, d.kpi.kpi_id), d.kpi.kpi_id)
        lines.append(f"ผลของ ข้อ {d.kpi.number or d.kpi.kpi_id} {name[:40]}:")
        for k, v in d.inputs.items():
            lines.append(f"  {k} = {fmt(v)} (อ่านจาก{d.why.get(k, 'ข้อความ')})")
        for k, v in d.dropped:
            lines.append(f"  {k} = {fmt(v)} ไม่ใช้ เพราะคำนวณจากตัวเลขอื่น")
        for v in d.unplaced:
            lines.append(f"  {fmt(v.value)}: ไม่แน่ใจว่าเป็นข้อมูลใด (จะถามกลับ)")
        for v in d.ignored:
            lines.append(f"  {fmt(v.value)}: ไม่ตรงกับข้อมูลใดของตัวชี้วัดนี้ (ไม่ใช้)")
    if u.fits:
        lines.append("ตัวเลขนี้อาจเป็นของ: " + ", ".join(f"{k.catalog_id} {k.kpi_id}" for k in u.fits[:6]))
    if u.ask:
        lines.append("ต้องถามกลับ: ใช่")
    if u.period:
        lines.append(f"ช่วงเวลา: {_period_th(u.period)} ({u.period})")
    if u.day:
        lines.append(f"วันที่: {format_be(u.day)}")
    if u.unit:
        lines.append(f"หน่วยงาน: {u.unit}")
    if u.code:
        lines.append(f"รหัส: {u.code}")
    if u.days is not None:
        lines.append(f"จำนวนวัน: {u.days}")
    if u.notes:
        lines.append("หมายเหตุ: " + ", ".join(u.notes))
    return "\n".join(lines)
