"""Corrections: a new figure for the open card or the person's latest report ("แก้ไข ๙๕",
"ไม่ใช่ 92 ค่ะ ต้องเป็น 95"), and undo ("ยกเลิกรายการล่าสุด": the latest live figure retracted, history kept).

States and transitions: a correction has no states of its own. `correct` opens the report card (the
report flow's states, see flows.report) with ``"correcting": True`` on the stored state: the other
inputs are kept, the named (or main) one replaced, and the card asks to confirm; a correction may lower
a cumulative figure without a flag. `undo` answers at once (a new retracted version; nothing waits).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import texts
from ..agreements import Slot
from ..context import Ctx
from ..messages import Reply
from ..nlu import Understanding, understand
from ..nlu.answers import split_correction
from ..nlu.numbers import find_values
from ..nlu.understand import read_for
from . import Flow, Step, where
from .report import Report


class Correction:
    def __init__(self, report: Report):
        self.report = report
        self.store = report.store

    def correct(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        """A new figure for the open card if there is one, else for the person's latest live report: the
        other inputs are kept, the named (or main) one replaced; the card then asks to confirm."""
        draft = self.store.get_state(ctx.msg.chat_key) or {}
        if where(draft)[:2] == (Flow.REPORT, Step.CONFIRM) and ctx.slot(draft.get("slot") or ""):
            key, base, state = draft["slot"], dict(draft.get("inputs") or {}), dict(draft)
        else:
            last = self.store.last_submission_by(ctx.person.id)
            if last is None:
                return [Reply("ยังไม่มีรายการที่ท่านรายงานไว้ให้แก้ไขค่ะ")]
            key = f"{last.catalog_id}/{last.kpi_id}"
            if ctx.slot(key) is None:
                return [Reply("ตัวชี้วัดของรายการล่าสุดไม่อยู่ในรอบนี้แล้ว แก้ไขไม่ได้ค่ะ")]
            base = dict(last.inputs)
            state = {"flow": Flow.REPORT.value, "period": last.period}
            if "steps" in base:
                state["steps"] = list(base.get("steps") or [])
        slot = ctx.slot(key)
        assert slot is not None
        state["correcting"] = True
        for stale in ("values", "named", "awaiting"):
            state.pop(stale, None)
        base.pop("steps", None)
        found = self._new_figures(ctx, slot, u, base)
        if not found["inputs"] and not found["unplaced"]:
            state["inputs"] = {}  # "แก้ไข" alone: ask every input again
        else:
            state["inputs"] = self._replace_inputs(slot, base, found["inputs"])
        return self.report.with_kpi(ctx, state, key, found)

    def _new_figures(self, ctx: Ctx, slot: Slot, u: Understanding, base: Mapping[str, Any]) -> dict[str, Any]:
        """The figures a correction gives, placed in the KPI's inputs by meaning ("แก้ไข ๔ ครั้ง" is the
        input counted in ครั้ง). When it names the old and the new figure ("ไม่ใช่ 92 ค่ะ ต้องเป็น 95",
        "ได้ 25 ไม่ใช่ 52") only the new one is read, and it goes where the old one was."""
        parts = split_correction(u.text)
        if parts is None:
            return self.report.draft_state(read_for(u, slot.catalog.id, slot.kpi))
        new_text, old_text = parts
        read = understand(new_text, [], ctx.today)
        found = self.report.draft_state(read_for(read, slot.catalog.id, slot.kpi))
        old = [f.value.value for f in find_values(old_text)]
        if len(read.values) == 1 and len(old) == 1:
            was = [k for k, v in base.items() if k != "steps" and self.report.same_inputs({k: v}, {k: str(old[0])})]
            if len(was) == 1:  # the input that held the old figure
                found.update(inputs={was[0]: str(read.values[0].value)}, unplaced=[], dropped=[])
        return found

    @staticmethod
    def _replace_inputs(slot: Slot, base: dict[str, Any], changed: dict[str, Any]) -> dict[str, Any]:
        """The earlier inputs with the corrected ones replaced; derived figures stay consistent."""
        kpi = slot.kpi
        inputs = dict(base)
        for name in changed:
            if name in kpi.derive:  # a derived figure given directly replaces its sources
                for source in kpi.derive[name].names:
                    inputs.pop(source, None)
        for derived, expr in kpi.derive.items():
            if derived not in changed and any(n in changed for n in expr.names):
                inputs.pop(derived, None)  # new sources: the figure is derived again
        inputs.update(changed)
        return inputs

    def undo(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        last = self.store.last_submission_by(ctx.person.id)
        if last is None:
            return [Reply("ยังไม่มีรายการที่ท่านรายงานไว้ให้ยกเลิกค่ะ")]
        self.store.retract(last.id, ctx.person.id, ctx.msg.channel, ctx.msg.message_id, ctx.msg.sent_at)
        slot = ctx.slot(f"{last.catalog_id}/{last.kpi_id}")
        name = slot.short if slot else last.kpi_id
        was = f" {self.report.figure(ctx, slot, last.inputs)} ({texts.level_th(last.level)})" if slot else ""
        lines = [f"ยกเลิกรายการ {name} {texts.period_th(last.period)}{was} แล้วค่ะ (ประวัติยังเก็บไว้)"]
        now = next(iter(self.store.current(last.unit_id, last.catalog_id, last.kpi_id, last.period)), None)
        if now is None:
            this = "เดือนนี้" if last.period == ctx.today.strftime("%Y-%m") else texts.period_th(last.period)
            lines.append(f"ตอนนี้ไม่มีผลของ{this}")
        elif slot:
            lines.append(f"ตอนนี้ใช้ผลฉบับที่ {now.version}: {self.report.figure(ctx, slot, now.inputs)} "
                         f"({texts.level_th(now.level)})")
        return [Reply("\n".join(lines))]
