"""The report flow: a figure from the message to a stored submission, through one card per KPI.

States and transitions (stored per chat, see handlers.flows; `STEPS` maps each state to its handler):
  start ── KPI unclear ─────────────▶ kpi      ── k:N ──────────────▶ (the KPI's card is built)
  (the KPI's card is built): a number not placed ▶ place ── p:N / p:- / a name ─▶ (again)
                             an input missing ──▶ input  ── one figure ───────────▶ (again)
                             milestone steps ───▶ steps  ── s:N toggles, เสร็จ ───▶ (again)
                             all known ─────────▶ confirm ── ยืนยัน ─▶ saved ─▶ evidence.after_report
                                                          (ยืนยันทั้งหมด: the queue of the same message too)
  cancel (ยกเลิก, /cancel, ไม่) at any state ─▶ no state, nothing stored.
A flagged figure needs a second ยืนยัน; the submission is acknowledged only after the store committed it.
ยืนยัน again on a card already saved answers "บันทึกแล้วค่ะ (ฉบับที่ N)" (`saved_card`); the same figures
confirmed again are "ค่าเดิม": no new version.
Another command while a state waits (None from a step) leaves the state and is answered as usual.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from scoring.errors import EvaluationError
from scoring.evaluate import Evaluation, evaluate, primary_input
from scoring.model import Catalog
from scoring.numbers import decimals_of, round_half_up

from .. import texts
from ..agreements import Slot, evaluate_submission, latest, period_for, slots
from ..context import CANCEL, CONFIRM, DONE, Ctx, index, kpi_choices, pick, read
from ..messages import Choice, Reply
from ..nlu import Understanding, understand
from ..nlu.answers import yes_no
from ..nlu.measures import compatible, unit_after
from ..nlu.understand import read_for
from ..permissions import can_act_for
from ..ports import NewSubmission, Store, Submission
from ..views.criteria import not_in_agreement, outside_report, targets_line
from . import Flow, Step, awaiting, where
from .evidence import expecting

# a figure said as a bound (handlers/nlu/understand.py's _hedged) gives no level: the figure itself is asked for
BOUND_NOTE = "ตัวเลขแบบ “เกือบ…”, “ไม่ต่ำกว่า…”, “ไม่เกิน…” หรือ “…กว่า” ใช้คิดระดับไม่ได้ ขอตัวเลขจริงค่ะ"

class Report:
    def __init__(self, store: Store, catalogs: Mapping[str, Catalog]):
        self.store = store
        self.catalogs = catalogs

    def start(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        if u.unit and u.unit != ctx.unit.name:
            other = self._report_unit(ctx, u.unit)
            if isinstance(other, Reply):
                return [other]
            ctx = other  # the message is read again against that unit's KPIs
            u = read(self.store, ctx, u.text, has_attachment=bool(ctx.msg.attachments))
        reportable = ctx.slots
        if not reportable:
            return [Reply("หน่วยงานของท่านยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้ กรุณาติดต่อผู้ดูแลค่ะ")]
        period_problem = self._period_problem(ctx, u)
        if period_problem:
            return [Reply(period_problem)]
        state: dict[str, Any] = {"flow": Flow.REPORT.value, "text": u.text, "period": u.period}
        if ctx.unit.id != ctx.person.unit_id:
            state["for_unit"] = ctx.unit.id
        drafts = [d for d in u.reports if ctx.slot(f"{d.kpi.catalog_id}/{d.kpi.kpi_id}")]
        if drafts:
            first, *rest = drafts
            state["queue"] = [self.draft_state(d) for d in rest]
            if rest:
                state["of"] = len(drafts)
            first_state = self.draft_state(first)
            if "not_a_figure:bound" in u.notes:
                first_state["prefer"] = True  # the figure the bound stood for: the KPI's main input is asked first
            replies = self.with_kpi(ctx, state, f"{first.kpi.catalog_id}/{first.kpi.kpi_id}", first_state)
            skipped = [d for d in u.reports if d not in drafts]
            note = self._not_reported(ctx, skipped) if skipped else self._outside_named(ctx, u.text)
            if "not_a_figure:bound" in u.notes:  # "เกือบ 90", "ไม่ต่ำกว่า 80": asked for, never stored
                note = "\n".join(x for x in (note, BOUND_NOTE) if x)
            return [Reply(note)] + replies if note else replies
        keys = [f"{r.catalog_id}/{r.kpi_id}" for r in u.kpis if ctx.slot(f"{r.catalog_id}/{r.kpi_id}")]
        if len(keys) == 1 or (keys and not u.ambiguous):
            return self.with_kpi(ctx, state, keys[0], {})
        fits = [f"{r.catalog_id}/{r.kpi_id}" for r in u.fits if ctx.slot(f"{r.catalog_id}/{r.kpi_id}")]
        candidates = keys or fits or [s.key for s in reportable]
        state.update(awaiting=awaiting(Step.KPI), candidates=candidates)
        self.store.set_state(ctx.msg.chat_key, state)
        ask = "ตัวชี้วัดไหนคะ" if not keys else "หมายถึงตัวชี้วัดไหนคะ (มีหลายข้อที่ตรงกัน)"
        if not keys and u.values:
            shown = ", ".join(self._raw_th(v) for v in u.values[:3])
            ask = f"{shown} เป็นผลของตัวชี้วัดไหนคะ"
        unknown = [n.split(":", 1)[1] for n in u.notes if n.startswith("unknown_kpi_number:")]
        if unknown and not keys:
            numbers = sorted({str(s.kpi.number) for s in reportable}, key=lambda x: (len(x), x))
            ask = (f"ไม่มีตัวชี้วัดที่ {unknown[0]} ในข้อตกลงของหน่วยงานท่าน (มีข้อ {', '.join(numbers)}) "
                   "กรุณาเลือกจากรายการค่ะ")
        return [Reply(ask, kpi_choices(ctx, candidates))]

    def _outside_named(self, ctx: Ctx, text: str) -> str | None:
        """"กข.คจ. ทำทะเบียนครบแล้ว และเบิกจ่าย 92%" from a unit without KPI 9: say so, not a silent drop."""
        other = outside_report(self.store, self.catalogs, ctx, text, beside=True)
        if other is None:
            return None
        return f"{other.short}: {not_in_agreement(other, ctx.unit)} จึงไม่ได้บันทึกส่วนนั้นค่ะ"

    def _not_reported(self, ctx: Ctx, skipped: list[Any]) -> str:
        """Never a silent drop: the KPIs a message named that the unit is not appraised on."""
        names = []
        for d in skipped:
            catalog = self.catalogs.get(d.kpi.catalog_id)
            kpi = catalog.kpi(d.kpi.kpi_id) if catalog else None
            if kpi is not None:
                number = kpi.number if kpi.number is not None else kpi.id
                names.append(f"ตชว.{number} {kpi.aliases[0] if kpi.aliases else kpi.name}")
        return (f"{', '.join(names) or 'บางตัวชี้วัดในข้อความ'} ไม่อยู่ในข้อตกลงของ{ctx.unit.name}ในรอบนี้ "
                "จึงไม่ได้บันทึกส่วนนั้นค่ะ")

    def _report_unit(self, ctx: Ctx, name: str) -> Ctx | Reply:
        """The unit a report names: a reporter reports only for their own; a chief or admin may report
        for a unit in their scope, and the card then names it."""
        target = next((x for x in self.store.units() if x.name == name), None)
        if ctx.person.role == "reporter" or target is None:
            return Reply(f"ท่านรายงานได้เฉพาะของ{ctx.unit.name}ค่ะ ยังไม่ได้บันทึก")
        if not can_act_for(self.store, ctx.person, target, "report"):
            return Reply(f"ขออภัยค่ะ ท่านไม่มีสิทธิ์รายงานแทน{target.name} ยังไม่ได้บันทึก")
        return Ctx(ctx.msg, ctx.person, target, ctx.today, slots(self.store, self.catalogs, target, ctx.today))

    @staticmethod
    def draft_state(d: Any) -> dict[str, Any]:
        return {"slot": f"{d.kpi.catalog_id}/{d.kpi.kpi_id}", "inputs": {k: str(v) for k, v in d.inputs.items()},
                "unplaced": [str(v.value) + ("%" if v.percent else "") for v in d.unplaced],
                "dropped": [[k, str(v)] for k, v in d.dropped],
                "ignored": [texts.number(v.value) + ("%" if v.percent else "") for v in d.ignored],
                "steps": list(d.steps)}

    @staticmethod
    def _raw_th(v: Any) -> str:
        return f"ร้อยละ {texts.number(v.value)}" if v.percent else texts.number(v.value)

    def with_kpi(self, ctx: Ctx, state: dict[str, Any], key: str,
                         draft: dict[str, Any] | None = None) -> list[Reply]:
        """Start the card of one KPI. `draft` is what the message said for it; None = read the message
        again for this KPI (after "ตัวชี้วัดไหนคะ" was answered)."""
        slot = ctx.slot(key)
        assert slot is not None
        kpi = slot.kpi
        state["slot"] = key
        if draft is None:
            u = understand(state.get("text") or "", [(slot.catalog.id, kpi)], ctx.today)
            draft = self.draft_state(read_for(u, slot.catalog.id, kpi))
        inputs: dict[str, Any] = dict(state.get("inputs") or {})
        inputs.update(draft.get("inputs") or {})
        state.update(inputs=inputs, unplaced=list(draft.get("unplaced") or []),
                     dropped=list(draft.get("dropped") or []), ignored=list(draft.get("ignored") or []),
                     named_steps=list(draft.get("steps") or []), prefer=bool(draft.get("prefer")))
        state.pop("steps_confirmed", None)
        state.pop("steps", None)
        state.pop("flags_seen", None)
        if kpi.rubric.reviewer:
            self.store.set_state(ctx.msg.chat_key, None)
            return [Reply(f"{slot.label}\nระดับคะแนนของตัวชี้วัดนี้ผู้ประเมินเป็นผู้กำหนดตามโครงการที่เสนอ "
                          "กรุณาส่งหลักฐานความก้าวหน้าของโครงการได้เลยค่ะ")]
        return self._next_question(ctx, state)

    def _needed_inputs(self, slot: Slot) -> list[str]:
        """Inputs a report must give: those the levels compare, not derivable from others."""
        kpi = slot.kpi
        names: list[str] = []
        used = {n for lv in kpi.rubric.levels for c in lv.conditions for n in c.names}
        used |= {n for lv in kpi.rubric.levels for b in lv.branches for c in b.all for n in c.names}
        used |= {n for p in kpi.rubric.parts for b in p.bands for n in b.when.names}
        for name in list(used):
            if name in kpi.derive:
                used |= set(kpi.derive[name].names)
        for spec in kpi.inputs:
            if spec.id in used and spec.id not in kpi.derive:
                names.append(spec.id)
        return names

    def _next_question(self, ctx: Ctx, state: dict[str, Any]) -> list[Reply]:
        slot = ctx.slot(state["slot"])
        assert slot is not None
        kpi = slot.kpi
        inputs = state["inputs"]
        if state.get("unplaced"):
            return self._ask_unplaced(ctx, slot, state)
        derived_given = [d for d in kpi.derive if d in inputs]
        needed = self._needed_inputs(slot)
        main = primary_input(kpi) if state.get("prefer") else None
        if main and main not in inputs and kpi.input(main) is not None and not any(
                n in inputs for n in (kpi.derive[main].names if main in kpi.derive else ())):
            needed = [main] + [n for n in needed if n != main]  # "เกือบ 80": the percent itself is asked
        for name in needed:
            if name in inputs:
                continue
            if any(name in kpi.derive[d].names for d in derived_given):
                continue  # the derived figure was reported directly
            spec = kpi.input(name)
            state["awaiting"] = awaiting(Step.INPUT, name)
            self.store.set_state(ctx.msg.chat_key, state)
            unit = f" ({spec.unit})" if spec and spec.unit else ""
            example = "เช่น 2024-07-15 หรือ 15 ก.ค. 67" if spec and spec.kind == "date" else self._example(spec)
            return [Reply(f"{slot.label}\nกรุณาพิมพ์{spec.name if spec else name}{unit} {example}ค่ะ",
                          (Choice("ยกเลิก", CANCEL),))]
        if kpi.rubric.steps and "steps" not in state:
            done = list(self._steps_done_before(ctx, slot))
            state["steps"] = done + [x for x in state.get("named_steps") or [] if x not in done]
        if kpi.rubric.steps and where(state)[1] != Step.CONFIRM and not state.get("steps_confirmed"):
            state["awaiting"] = awaiting(Step.STEPS)
            self.store.set_state(ctx.msg.chat_key, state)
            return [self._steps_card(slot, state)]
        return self._card(ctx, state)

    def _open_inputs(self, slot: Slot, state: dict[str, Any]) -> list[str]:
        """Inputs still to be given (derived ones given directly count as their sources)."""
        kpi = slot.kpi
        inputs = state["inputs"]
        derived_given = [d for d in kpi.derive if d in inputs]
        return [n for n in self._needed_inputs(slot) if n not in inputs
                and not any(n in kpi.derive[d].names for d in derived_given)]

    def _ask_unplaced(self, ctx: Ctx, slot: Slot, state: dict[str, Any]) -> list[Reply]:
        """"900,000 คือข้อมูลใดคะ": a number of the message that could not be placed with confidence."""
        raw = state["unplaced"][0]
        percent = raw.endswith("%")
        value = Decimal(raw.removesuffix("%"))
        options = []
        for name in self._open_inputs(slot, state) or self._needed_inputs(slot):
            spec = slot.kpi.input(name)
            if spec is None or spec.kind != "number" or (percent and spec.unit != "ร้อยละ"):
                continue
            if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
                continue
            options.append(name)
        if not options:
            state["unplaced"] = state["unplaced"][1:]
            state.setdefault("ignored", []).append(raw)
            return self._next_question(ctx, state)
        state["awaiting"] = awaiting(Step.PLACE)
        state["options"] = options
        self.store.set_state(ctx.msg.chat_key, state)
        shown = f"ร้อยละ {texts.number(value)}" if percent else texts.number(value)
        choices = tuple(Choice(self._input_label(slot, n)[:60], f"p:{i}") for i, n in enumerate(options))
        return [Reply(f"{slot.label}\nตัวเลข {shown} คือข้อมูลใดคะ", choices + (Choice("ไม่ใช้ตัวเลขนี้", "p:-"),
                                                                          Choice("ยกเลิก", CANCEL)))]

    @staticmethod
    def _example(spec: Any) -> str:
        unit = (spec.unit or "") if spec is not None else ""
        if unit == "บาท":
            return "เป็นตัวเลข เช่น 1,250,000 "
        if unit == "ร้อยละ":
            return "เป็นตัวเลข เช่น 92.5 "
        return f"เป็นตัวเลข เช่น 12{' ' + unit if unit else ''} "

    @staticmethod
    def _input_label(slot: Slot, name: str) -> str:
        spec = slot.kpi.input(name)
        if spec is None:
            return name
        unit = f" ({spec.unit})" if spec.unit else ""
        return f"{spec.name}{unit}"

    def _steps_done_before(self, ctx: Ctx, slot: Slot) -> list[str]:
        sub = latest(self.store.current(ctx.unit.id, slot.catalog.id, slot.kpi.id))
        return list(sub.inputs.get("steps", [])) if sub else []

    def _steps_card(self, slot: Slot, state: dict[str, Any]) -> Reply:
        done = set(state.get("steps") or [])
        lines = [slot.label, "เลือกขั้นตอนที่ดำเนินการแล้ว (กดซ้ำเพื่อยกเลิก) แล้วกด “เสร็จ”:"]
        choices = []
        for i, step in enumerate(slot.kpi.rubric.steps):
            mark = "✅" if step.id in done else "⬜"
            lines.append(f"{mark} {step.th}")
            choices.append(Choice(f"{mark} {step.th}"[:60], f"s:{i}"))
        choices += [Choice("เสร็จ", DONE), Choice("ยกเลิก", CANCEL)]
        return Reply("\n".join(lines), tuple(choices))

    def _evaluate(self, ctx: Ctx, slot: Slot, state: dict[str, Any]) -> Evaluation:
        inputs = dict(state["inputs"])
        if slot.kpi.rubric.steps:
            inputs["steps"] = state.get("steps") or []
        return evaluate(slot.kpi, inputs, unit=ctx.unit.name, unit_attributes=ctx.unit.attributes,
                        case=slot.agreement.cases.get(slot.kpi.id))

    def _checked(self, ctx: Ctx, state: dict[str, Any]) -> tuple[Slot, Evaluation | Reply]:
        """The flow's KPI and its evaluation, or the Thai refusal (the flow ends; nothing is stored)."""
        slot = ctx.slot(state["slot"])
        assert slot is not None
        try:
            return slot, self._evaluate(ctx, slot, state)
        except EvaluationError as exc:
            self.store.set_state(ctx.msg.chat_key, None)
            return slot, Reply(f"ยังไม่ได้บันทึกค่ะ: {exc.th}\n{self._how_to(slot)}")

    def _card(self, ctx: Ctx, state: dict[str, Any]) -> list[Reply]:
        """The card is the contract: the unit and period, every input as read, the derived figure and how
        it was derived, the level and what the next level needs; implausible figures flagged. Nothing is
        stored before "ยืนยัน" (and a second "ยืนยัน" for a flagged figure)."""
        slot, result = self._checked(ctx, state)
        if isinstance(result, Reply):
            return [result]
        kpi = slot.kpi
        period = state.get("period") or period_for(kpi, ctx.today)
        flags = self._plausibility(ctx, slot, state, result)
        state.update(awaiting=awaiting(Step.CONFIRM), period=period, flags=flags)
        self.store.set_state(ctx.msg.chat_key, state)
        of = f" ({state['of'] - len(state.get('queue') or [])}/{state['of']})" if state.get("of") else ""
        lines = [slot.label + of, f"หน่วยงาน: {ctx.unit.name} · งวด: {texts.period_th(period)}"]
        inputs = state["inputs"]
        for name, value in inputs.items():
            spec = kpi.input(name)
            label = spec.name if spec else self._constant_label(slot, name)
            lines.append(f"{label}: {self._value_th(slot, name, value)}")
        for name in kpi.derive:
            if name in result.values and name not in inputs:
                spec = kpi.input(name)
                value = Decimal(str(result.values[name]))
                lines.append(f"{spec.name if spec else name}: "
                             f"{self._derivation(slot, name, inputs, value, result.decimals)}")
        target = targets_line(kpi, ctx.unit)  # counts are compared with the unit's own row of the table
        if target:
            lines.append(target)
        for name, raw in state.get("dropped") or []:
            spec = kpi.input(name)
            lines.append(f"(ตัวเลข {texts.number(raw)} ที่พิมพ์มา ไม่ใช้ เพราะ{spec.name if spec else name}"
                         "คำนวณจากจำนวนข้างบน)")
        for raw in state.get("ignored") or []:
            lines.append(f"(ตัวเลข {raw} ไม่ได้ใช้ในตัวชี้วัดนี้)")
        if state.get("steps") is not None and kpi.rubric.steps:
            lines.append(f"ขั้นตอนที่ทำแล้ว: {len(state['steps'])} จาก {len(kpi.rubric.steps)}")
        lines.append(f"ผล: {texts.level_th(result.level)}")
        lines += self._next_lines(result)
        for flag in flags:
            lines.append(f"⚠️ {flag} โปรดตรวจสอบ (ยืนยันได้ แต่ต้องกดยืนยันอีกครั้ง)")
        lines.append("ยืนยันบันทึกไหมคะ")
        choices = [Choice("ยืนยัน", CONFIRM), Choice("ยกเลิก", CANCEL)]
        if state.get("queue"):
            choices.insert(1, Choice("ยืนยันทั้งหมด", "okall"))
        return [Reply("\n".join(lines), tuple(choices))]

    @staticmethod
    def _values_of(ctx: Ctx, slot: Slot, sub: Submission) -> dict[str, Any]:
        try:
            return dict(evaluate_submission(slot, ctx.unit, sub).values)
        except EvaluationError:
            return {}

    def _constant_label(self, slot: Slot, name: str) -> str:
        return {"total": "จำนวนเป้าหมายทั้งหมด"}.get(name, name)

    def _derivation(self, slot: Slot, name: str, inputs: Mapping[str, Any], value: Decimal,
                    decimals: int | None = None) -> str:
        """"24 จาก 30 คน = ร้อยละ 80.00": a percent derived from a part and its base, as the card shows it."""
        spec, expr = slot.kpi.input(name), slot.kpi.derive[name]
        shown = f"ร้อยละ {texts.score(value)}" if spec is not None and spec.unit == "ร้อยละ" else texts.score(value)
        head, _slash, tail = expr.text.partition("/")
        part = next((n for n in expr.names if n in head and n in inputs), None)
        base = next((n for n in expr.names if n in tail), None)
        if part is None or base is None:
            return shown
        base_value = inputs.get(base, slot.kpi.constants.get(base))
        if base_value is None:
            return shown
        part_spec = slot.kpi.input(part)
        unit = f" {part_spec.unit}" if part_spec is not None and part_spec.unit and part_spec.unit != "ร้อยละ" else ""
        rounded = round_half_up(value, 2)
        exact = format(round_half_up(value, 4).normalize(), "f")
        note = f" ({exact} ปัดเป็น {texts.score(rounded)})" if decimals_of(value) > 2 and rounded != value else ""
        if decimals is not None and decimals < 2 and round_half_up(value, decimals) != rounded:
            compared = texts.score(round_half_up(value, decimals))
            note = f" → ปัดเป็น {compared} ตามเกณฑ์"
        return (f"{texts.number(inputs[part])} จาก {texts.number(base_value)}{unit} = {shown}{note}")

    def _plausibility(self, ctx: Ctx, slot: Slot, state: dict[str, Any], result: Evaluation) -> list[str]:
        """DHIS2's min–max idea: a figure far outside what the KPI allows or what the unit sent before."""
        kpi = slot.kpi
        flags: list[str] = []
        inputs = state["inputs"]
        for name, raw in inputs.items():
            spec = kpi.input(name)
            if spec is None or spec.kind != "number":
                continue
            try:
                value = Decimal(str(raw))
            except InvalidOperation:
                continue
            if spec.unit == "ร้อยละ" and spec.max is None and value > 100:
                flags.append(f"{spec.name} ร้อยละ {texts.number(value)} สูงผิดปกติ")
        for expr in kpi.derive.values():
            base = next((n for n in expr.names if n in kpi.constants), None)
            part = next((n for n in expr.names if n in inputs), None)
            if base and part and base not in inputs:
                try:
                    if Decimal(str(inputs[part])) > kpi.constants[base]:
                        flags.append(f"จำนวน {texts.number(inputs[part])} มากกว่าเป้าหมายทั้งหมด "
                                     f"{texts.number(kpi.constants[base])}")
                except InvalidOperation:
                    pass
        before = latest(self.store.current(ctx.unit.id, slot.catalog.id, kpi.id))
        if before is None:
            return flags
        old_values = self._values_of(ctx, slot, before)
        if not state.get("correcting"):  # a correction may lower a wrong figure
            for spec in kpi.inputs:
                new, old = result.values.get(spec.id), old_values.get(spec.id)
                if spec.cumulative and new is not None and old is not None and Decimal(str(new)) < Decimal(str(old)):
                    shown = self._value_th(slot, spec.id, round(Decimal(str(old)), 2))
                    flags.append(f"{spec.name} ต่ำกว่าครั้งก่อน ({shown}) ทั้งที่เป็นตัวเลขสะสม")
                    break
        main = primary_input(kpi)
        new, old = result.values.get(main) if main else None, old_values.get(main) if main else None
        if new is not None and old is not None and before.period <= (state.get("period") or period_for(kpi, ctx.today)):
            new, old = Decimal(str(new)), Decimal(str(old))
            if abs(new - old) >= 30 and (old == 0 or abs(new - old) / abs(old) >= Decimal("0.5")):
                word = "สูงกว่า" if new > old else "ต่ำกว่า"
                flags.append(f"{word}ครั้งก่อนมาก (ครั้งก่อน {self._value_th(slot, main, round(old, 2))})")
        return flags

    @staticmethod
    def _next_lines(result: Evaluation) -> list[str]:
        if result.next_level is None:
            return ["ได้ระดับสูงสุดแล้วค่ะ 🎉"] if result.level == 5 else []
        return [f"ระดับ {result.next_level} ต้อง: " + "; ".join(n.text for n in result.needed[:4])]

    def _how_to(self, slot: Slot) -> str:
        main = primary_input(slot.kpi)
        spec = slot.kpi.input(main) if main else None
        number = slot.kpi.number if slot.kpi.number is not None else slot.kpi.id
        if spec is None:
            return f"ตัวอย่าง: “รายงาน ตชว.{number}”"
        if spec.unit == "ร้อยละ":
            low = spec.min if spec.min is not None else 0
            high = spec.max if spec.max is not None else 100
            return f"ตัวอย่าง: “รายงาน ตชว.{number} ๙๒.๕%” (ร้อยละ {texts.number(low)}–{texts.number(high)})"
        return f"ตัวอย่าง: “รายงาน ตชว.{number} {spec.name} 12”"

    def _save(self, ctx: Ctx, state: dict[str, Any]) -> list[Reply]:
        slot, result = self._checked(ctx, state)
        if isinstance(result, Reply):
            return [result]
        inputs = {k: str(v) for k, v in state["inputs"].items()}
        if slot.kpi.rubric.steps:
            inputs["steps"] = list(state.get("steps") or [])
        unit_id, period = ctx.unit.id, state["period"]
        edit = ctx.msg.choice is not None
        before = next(iter(self.store.current(unit_id, slot.catalog.id, slot.kpi.id, period)), None)
        if before is not None and self.same_inputs(before.inputs, inputs):
            # the same figure again: no new version
            self.store.set_state(ctx.msg.chat_key, expecting(ctx, slot.key, period))
            return [Reply(f"ค่าเดิม ไม่มีการเปลี่ยนแปลงค่ะ ({slot.short} {texts.period_th(period)}: "
                          f"{self.figure(ctx, slot, before.inputs)} {texts.level_th(before.level)} "
                          f"ฉบับที่ {before.version})", edit=edit)]
        saved = self.store.add_submission(NewSubmission(
            person_id=ctx.person.id, unit_id=unit_id, catalog_id=slot.catalog.id, kpi_id=slot.kpi.id,
            period=period, inputs=inputs, level=result.level, channel=ctx.msg.channel,
            message_id=ctx.msg.message_id, sent_at=ctx.msg.sent_at, flags=tuple(state.get("flags") or ())))
        self.store.set_state(ctx.msg.chat_key, expecting(ctx, slot.key, saved.period))
        version = f" (ฉบับที่ {saved.version})" if saved.version > 1 else ""
        wanted = self._evidence_wanted(slot, result)
        where = f"{slot.short} {texts.period_th(saved.period)}"
        if before is not None and state.get("correcting"):
            head = (f"แก้ไขแล้วค่ะ: จาก {self.figure(ctx, slot, before.inputs)} เป็น "
                    f"{self.figure(ctx, slot, inputs)} ({texts.level_th(result.level)})\n{where} ฉบับที่ {saved.version}")
        else:
            head = f"บันทึกแล้วค่ะ{version}: {where} {texts.level_th(result.level)}"
            if before is not None:
                head += (f"\nแทนค่าเดิม {self.figure(ctx, slot, before.inputs)} "
                         f"({texts.level_th(before.level)}, ฉบับที่ {before.version})")
        return [Reply(head + (f"\nส่งหลักฐานได้เลย: {wanted}" if wanted else ""), edit=edit)]

    @staticmethod
    def same_inputs(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        """The same figures: numbers compared as numbers ("92.50" is "92.5"), steps in any order."""
        if set(old) != set(new):
            return False
        for name, a in old.items():
            b = new[name]
            if isinstance(a, list) or isinstance(b, list):
                if sorted(map(str, a or [])) != sorted(map(str, b or [])):
                    return False
                continue
            try:
                if Decimal(str(a)) != Decimal(str(b)):
                    return False
            except InvalidOperation:
                if str(a) != str(b):
                    return False
        return True

    def figure(self, ctx: Ctx, slot: Slot, inputs: Mapping[str, Any]) -> str:
        """A stored or drafted figure in one line: "ร้อยละ 92.5"; a derived percent as derived
        ("ร้อยละ 80.00"); several inputs by their units ("ร้อยละ 12, 2 ช่องทาง, 3 ครั้ง")."""
        kpi = slot.kpi
        direct = {k: v for k, v in inputs.items() if k != "steps"}
        main = primary_input(kpi)
        shown: list[str] = []
        skip: set[str] = set()
        if main and main in direct:
            shown.append(self._value_th(slot, main, direct[main]))
            skip.add(main)
        elif main and main in kpi.derive:
            try:
                value = self._evaluate(ctx, slot, {"inputs": direct, "steps": inputs.get("steps")}).values.get(main)
            except EvaluationError:
                value = None
            if value is not None:
                shown.append(self._value_th(slot, main, round(Decimal(str(value)), 2)))
                skip |= {main, *kpi.derive[main].names}
        shown += [self._value_th(slot, k, v) for k, v in direct.items() if k not in skip]
        if kpi.rubric.steps and "steps" in inputs:
            shown.append(f"ขั้นตอนที่ทำแล้ว {len(inputs.get('steps') or [])} จาก {len(kpi.rubric.steps)}")
        return ", ".join(shown) or "-"

    @staticmethod
    def _value_th(slot: Slot, name: str, value: Any) -> str:
        return texts.figure(slot.kpi.input(name), value)

    @staticmethod
    def _evidence_wanted(slot: Slot, result: Evaluation) -> str:
        level = slot.kpi.rubric.level(max(result.level, 1))
        items = list(level.evidence if level else ()) or list(slot.kpi.evidence)
        return ", ".join(i if len(i) <= 90 else i[:88] + "…" for i in items[:3])

    def _period_problem(self, ctx: Ctx, u: Understanding) -> str | None:
        if not u.period or not re.fullmatch(r"\d{4}-\d{2}", u.period):
            return None
        year, month = (int(x) for x in u.period.split("-"))
        day = date(year, month, 1)
        rounds = [s.agreement for s in ctx.slots]
        if rounds and not any(a.start.replace(day=1) <= day <= a.end for a in rounds):
            a = rounds[0]
            return (f"{texts.period_th(u.period)} อยู่นอกรอบการประเมินนี้ "
                    f"({texts.day_th(a.start)} – {texts.day_th(a.end)}) ยังไม่ได้บันทึกค่ะ")
        if day > ctx.today:
            return f"{texts.period_th(u.period)} ยังมาไม่ถึง ยังไม่ได้บันทึกค่ะ"
        return None

    def placed(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
        """The answer to "ตัวเลข 900,000 คือข้อมูลใดคะ": a button, or the input's name typed."""
        slot = ctx.slot(state.get("slot") or "")
        options = list(state.get("options") or [])
        if slot is None or not state.get("unplaced"):
            return None
        picked: str | None = None
        if choice == "p:-":
            state.setdefault("ignored", []).append(state["unplaced"][0])
        else:
            i = index(choice or "", "p:")
            if i is not None and i < len(options):
                picked = options[i]
            elif choice is None and text:
                flat = text.replace(" ", "")
                hits = [n for n in options if n in flat or any(w and w in flat for w in
                        (slot.kpi.input(n).name.split()[0] if slot.kpi.input(n) else "",))]
                picked = hits[0] if len(hits) == 1 else None
                if picked is None:
                    full = read(self.store, ctx, text)
                    if (full.kpis and full.intent in ("report", "correct")) or full.intent not in ("unknown", "report"):
                        return None  # a new report ("เบิกจ่าย 85%") or another command: not the answer
                    return self._ask_unplaced(ctx, slot, state)
            else:
                return self._ask_unplaced(ctx, slot, state)
        raw = state["unplaced"].pop(0)
        if picked is not None:
            state["inputs"][picked] = raw.removesuffix("%")
        state["awaiting"] = None
        state.pop("options", None)
        replies = self._next_question(ctx, state)
        if choice is not None and replies:
            replies[0].edit = False
        return replies

    def answered(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
        """An answer on an open card: yes saves, no drops the draft, a clear other command goes on as
        usual (None); anything else keeps the draft and asks again with the card's buttons."""
        if choice == "okall":
            return self._confirmed(ctx, state, everything=True)
        verdict = yes_no(choice if choice is not None else text)
        hint = ""
        if verdict == "yes":
            return self._confirmed(ctx, state)
        if verdict == "no":
            self.store.set_state(ctx.msg.chat_key, None)
            return [Reply("ยกเลิกแล้วค่ะ ไม่มีการบันทึก", edit=choice is not None)]
        if choice is None:
            if ctx.msg.attachments or not text:
                return None  # evidence sent while the card is open
            u = read(self.store, ctx, text)
            if u.intent == "undo":
                # "ยกเลิกรายงานเมื่อกี้" while a card is open means that card, not a figure stored earlier
                self.store.set_state(ctx.msg.chat_key, None)
                return [Reply("ยกเลิกรายการที่ยังไม่ได้ยืนยันแล้วค่ะ ไม่มีการบันทึก\n"
                              "(ถ้าต้องการยกเลิกผลที่บันทึกไว้ก่อนหน้า พิมพ์ “ยกเลิกรายการล่าสุด” อีกครั้งค่ะ)")]
            bare = u.intent == "report" and not u.kpis and "number_only" in u.notes  # "12", "ได้ 88 ค่ะ"
            if not bare and (u.intent != "unknown" or (u.kpis and u.values)):
                return None  # "คะแนนปัจจุบัน", "แก้เป็น 95", a new report ...
            if bare and u.values:
                hint = f"\n(ถ้าต้องการแก้ตัวเลขบนการ์ด พิมพ์ “แก้เป็น {texts.number(u.values[0].value)}”)"
        slot = ctx.slot(state.get("slot") or "")
        head = f"ยังไม่ได้บันทึก {slot.short}\n" if slot else ""
        choices = [Choice("ยืนยัน", CONFIRM), Choice("ยกเลิก", CANCEL)]  # the card's own buttons
        if state.get("queue"):
            choices.insert(1, Choice("ยืนยันทั้งหมด", "okall"))
        return [Reply(head + "กรุณากด ยืนยัน หรือ ยกเลิก ค่ะ (หรือพิมพ์ 1 = ยืนยัน, 2 = ยกเลิก)" + hint, tuple(choices))]

    def _confirmed(self, ctx: Ctx, state: dict[str, Any], everything: bool = False) -> list[Reply]:
        """"ยืนยัน" on a card: a flagged figure needs a second confirm; then the figure is saved and the
        next card of the same message (several KPIs in one message) is shown, or all are saved at once."""
        if state.get("flags") and not state.get("flags_seen"):
            state["flags_seen"] = True
            self.store.set_state(ctx.msg.chat_key, state)
            return [Reply("⚠️ " + "; ".join(state["flags"]) + "\nตรวจสอบแล้วถูกต้อง กด “ยืนยัน” อีกครั้งเพื่อบันทึกค่ะ",
                          (Choice("ยืนยัน", CONFIRM), Choice("ยกเลิก", CANCEL)))]
        queue = list(state.get("queue") or [])
        replies = self._save(ctx, state)
        saved_ok = bool(replies) and not replies[0].text.startswith("ยังไม่ได้บันทึก")
        while queue and saved_ok:
            nxt = queue.pop(0)
            follow = {"flow": Flow.REPORT.value, "text": state.get("text"), "period": state.get("period"), "queue": queue,
                      "of": state.get("of")}
            if state.get("for_unit"):
                follow["for_unit"] = state["for_unit"]
            cards = self.with_kpi(ctx, follow, nxt["slot"], nxt)
            if not everything or where(follow)[1] != Step.CONFIRM or follow.get("flags"):
                return replies + cards
            more = self._save(ctx, follow)
            replies += more
            saved_ok = bool(more) and not more[0].text.startswith("ยังไม่ได้บันทึก")
            state = follow
        return replies

    def saved_card(self, ctx: Ctx) -> list[Reply] | None:
        """ยืนยัน pressed again on a card already saved (its answer lost, or the press delivered twice after a
        crash): the version stored, on the card; None when this card saved nothing (read afresh)."""
        msg = ctx.msg
        if msg.choice not in (CONFIRM, "okall") or not msg.message_id:
            return None
        sub = self.store.last_submission_by(ctx.person.id)
        if sub is None or sub.channel != msg.channel or sub.message_id != msg.message_id:
            return None
        slot = ctx.slot(f"{sub.catalog_id}/{sub.kpi_id}")
        what = f"{slot.short} {texts.period_th(sub.period)}" if slot else texts.period_th(sub.period)
        return [Reply(f"บันทึกแล้วค่ะ (ฉบับที่ {sub.version}): {what} {texts.level_th(sub.level)}", edit=True)]

    # -- the steps (see STEPS at the bottom) ----------------------------------------------------
    def picked(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
        """The answer to "ตัวชี้วัดไหนคะ": the card of that KPI, the message read again for it."""
        key = pick(state.get("candidates") or [], choice if choice is not None else text)
        return None if key is None else self.with_kpi(ctx, state, key)

    def typed(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
        """The answer to "กรุณาพิมพ์…": one figure (or a date) for the input asked for."""
        name = where(state)[2] or ""
        u = understand(text, [], ctx.today)
        slot = ctx.slot(state["slot"])
        spec = slot.kpi.input(name) if slot else None
        if spec is not None and spec.kind == "date":
            if u.day is None:
                return [Reply("ไม่เข้าใจวันที่ค่ะ กรุณาพิมพ์ เช่น “15 ก.ค. 67” หรือ 2024-07-15")]
            state["inputs"][name] = u.day.isoformat()
        else:
            if not u.values:
                if u.intent not in ("unknown", "report"):
                    return None  # another command: leave the question
                return [Reply(f"กรุณาพิมพ์{spec.name if spec else name}{self._example(spec)}ค่ะ")]
            full = read(self.store, ctx, text)
            if (full.kpis and full.intent in ("report", "correct")) or full.intent not in ("report", "unknown"):
                # a new report ("เบิกจ่าย 900,000 บาท") or a question ("ระดับ 5 ต้องทำอะไร"): not the answer
                return None
            value = u.found[0] if u.found else None
            unit_word = unit_after(u.work, value.end)[0] if value is not None and unit_after(u.work, value.end) \
                else None
            bad_unit = spec is not None and not compatible(unit_word, spec.unit)
            if len(u.values) != 1 or bad_unit or (u.values[0].percent and spec is not None
                                                  and spec.unit != "ร้อยละ"):
                return [Reply(f"กรุณาพิมพ์{spec.name if spec else name} ตัวเลขเดียว"
                              f"{' เป็น' + spec.unit if spec is not None and spec.unit else ''} "
                              f"{self._example(spec)}ค่ะ", (Choice("ยกเลิก", CANCEL),))]
            state["inputs"][name] = str(u.values[0].value)
        state["awaiting"] = None
        return self._next_question(ctx, state)

    def toggled(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
        """A step ticked or unticked on the milestone checklist, or "เสร็จ" (then the card)."""
        answer = choice if choice is not None else text
        slot = ctx.slot(state["slot"])
        if slot is None:
            return None
        if answer in (DONE, "เสร็จ"):
            state["steps_confirmed"] = True
            return self._card(ctx, state)
        i = index(answer, "s:")
        if i is None or i >= len(slot.kpi.rubric.steps):
            return [self._steps_card(slot, state)]
        step_id = slot.kpi.rubric.steps[i].id
        done = list(state.get("steps") or [])
        done = [s for s in done if s != step_id] if step_id in done else done + [step_id]
        state["steps"] = done
        self.store.set_state(ctx.msg.chat_key, state)
        card = self._steps_card(slot, state)
        card.edit = choice is not None
        return [card]


StepHandler = Callable[[Report, Ctx, dict[str, Any], str | None, str], "list[Reply] | None"]

STEPS: dict[Step, StepHandler] = {  # the report's states and what answers them
    Step.KPI: Report.picked,
    Step.PLACE: Report.placed,
    Step.INPUT: Report.typed,
    Step.STEPS: Report.toggled,
    Step.CONFIRM: Report.answered,
}
