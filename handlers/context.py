"""One message's context and the small pieces every view and flow shares.

`Ctx` is what the conversation knows once it has found the sender: the message, the person, the unit
the message is about (their own, or one a chief reports for), the day the user sent it, and that unit's
KPIs for the day. Nothing here reads or writes the store except `unit_names` and `read`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .agreements import Slot
from .messages import Choice, Incoming, Reply
from .nlu import Understanding, understand
from .permissions import ROLE_TH
from .ports import Person, Store, Unit

CONFIRM, CANCEL, DONE = "ok", "no", "done"  # button data shared by every card


@dataclass
class Ctx:
    msg: Incoming
    person: Person
    unit: Unit
    today: date
    slots: list[Slot]

    def slot(self, key: str) -> Slot | None:
        return next((s for s in self.slots if s.key == key), None)


def unit_names(store: Store) -> list[str]:
    return [x.name for x in store.units()]


def read(store: Store, ctx: Ctx, text: str, unit_slots: list[Slot] | None = None,
         has_attachment: bool = False) -> Understanding:
    """The message read against a unit's KPIs (the context's own unless given) and the unit names."""
    pool = ctx.slots if unit_slots is None else unit_slots
    return understand(text, [(s.catalog.id, s.kpi) for s in pool], ctx.today, unit_names(store), has_attachment)


def kpi_choices(ctx: Ctx, keys: list[str]) -> tuple[Choice, ...]:
    """"ตัวชี้วัดไหนคะ": one button per candidate KPI (at most 12), then cancel."""
    out = []
    for i, key in enumerate(keys[:12]):
        slot = ctx.slot(key)
        if slot:
            out.append(Choice(f"{slot.short} ({slot.set_name()})", f"k:{i}"))
    return tuple(out) + (Choice("ยกเลิก", CANCEL),)


def index(answer: str, prefix: str) -> int | None:
    """The number of a pressed button ("k:3" with prefix "k:" -> 3), or None. Only what a button of
    ours can carry: up to 4 ASCII digits ("k:²" or 5,000 digits, which int() refuses, are None)."""
    rest = answer[len(prefix):] if answer.startswith(prefix) else ""
    if 1 <= len(rest) <= 4 and rest.isascii() and rest.isdigit():
        return int(rest)
    return None


def pick(candidates: list[str], answer: str) -> str | None:
    """The candidate a "k:N" button names, or None."""
    i = index(answer, "k:")
    return candidates[i] if i is not None and i < len(candidates) else None


def not_allowed(person: Person, intent: str) -> Reply:
    what = {"report": "รายงานผล", "evidence": "ส่งหลักฐาน", "correct": "แก้ไขผล", "undo": "ยกเลิกผล",
            "invite": "สร้างรหัสเชิญ", "score": "ดูคะแนน", "missing": "ดูรายการค้างส่ง",
            "risk": "ดูตัวชี้วัดที่เสี่ยง", "trend": "ดูแนวโน้ม", "chart": "ดูกราฟ", "export": "ขอไฟล์"}.get(intent, intent)
    return Reply(f"ขออภัยค่ะ {ROLE_TH.get(person.role, person.role)}ไม่มีสิทธิ์{what}")
