"""The conversation: one message in, replies out. Knows no channel and no database driver.

Flow state lives in the store per chat (so a restart keeps a half-finished report);
a submission is acknowledged only after the store has committed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from scoring.errors import EvaluationError
from scoring.evaluate import Evaluation, evaluate, primary_input
from scoring.model import Catalog
from scoring.numbers import decimals_of, round_half_up

from . import texts
from .agreements import Slot, evaluate_submission, latest, period_for, slots, unit_score
from .calendar import deadlines
from .criteria import criteria_reply, deadline_reply, targets_line
from .messages import Choice, Incoming, Reply
from .nlu import Understanding, understand
from .nlu.answers import split_correction, yes_no
from .nlu.intents import asked_level
from .nlu.measures import compatible, unit_after
from .nlu.numbers import find_values
from .nlu.understand import read_for
from .permissions import ROLE_TH, allowed, can_act_for, kpi_groups, units_in_scope
from .ports import InviteError, NewSubmission, Person, Store, Submission, Unit

CONFIRM, CANCEL, DONE = "ok", "no", "done"
SNOOZE_DAYS = (1, 30)  # a snooze is bounded: longer pauses are a mute


@dataclass
class Ctx:
    msg: Incoming
    person: Person
    unit: Unit
    today: date
    slots: list[Slot]

    def slot(self, key: str) -> Slot | None:
        return next((s for s in self.slots if s.key == key), None)


class Conversation:
    def __init__(self, store: Store, catalogs: Mapping[str, Catalog]):
        self.store = store
        self.catalogs = catalogs
        self._held: dict[str, list[Any]] = {}  # attachments waiting for "which KPI?" (not yet acknowledged)

    # -- entry -------------------------------------------------------------------------------
    def handle(self, msg: Incoming) -> list[Reply]:
        today = msg.sent_at.date()
        person = self.store.person_by_identity(msg.channel, msg.sender)
        if person is None:
            return self._unregistered(msg)
        unit = self.store.unit(person.unit_id)
        if unit is None:
            return [Reply("ไม่พบหน่วยงานของท่านในระบบ กรุณาติดต่อผู้ดูแลค่ะ")]
        if msg.text.strip() in ("ขอรหัสเชื่อมบัญชี", "/link") and hasattr(self.store, "create_link_code"):
            return [self._link_code(msg, person)]
        state = self.store.get_state(msg.chat_key)
        drafting = bool(state) and (state.get("flow") == "report" or (state.get("flow") == "after_report"
                                                                      and bool(msg.attachments)))
        if drafting and state.get("for_unit") and state["for_unit"] != unit.id:
            other = self.store.unit(state["for_unit"])  # a chief's report for a unit of theirs
            unit = other if other is not None else unit
        ctx = Ctx(msg, person, unit, today, slots(self.store, self.catalogs, unit, today))
        text = msg.text.strip()
        if state and (msg.choice is not None or msg.attachments or (text and not text.startswith("/"))):
            handled = self._continue(ctx, state, msg.choice, text)
            if handled is not None:
                return handled
        u = understand(text, [(s.catalog.id, s.kpi) for s in ctx.slots], today,
                       [x.name for x in self.store.units()], bool(msg.attachments))
        return self._dispatch(ctx, u)

    def _unregistered(self, msg: Incoming) -> list[Reply]:
        u = understand(msg.text, [], msg.sent_at.date())
        if u.intent == "register":
            if not u.code:
                return [Reply("กรุณาพิมพ์รหัสเชิญต่อท้าย เช่น “ลงทะเบียน ABCD2345” ค่ะ")]
            try:
                person = self.store.redeem_invite(u.code, msg.channel, msg.sender,
                                                  msg.display_name or "ผู้ใช้", msg.sent_at)
            except InviteError as exc:
                reason = {"unknown": "ไม่พบรหัสเชิญนี้", "used": "รหัสเชิญนี้ถูกใช้ไปแล้ว",
                          "expired": "รหัสเชิญนี้หมดอายุแล้ว", "revoked": "รหัสเชิญนี้ถูกยกเลิกแล้ว"}
                return [Reply(f"{reason.get(exc.reason, 'ใช้รหัสเชิญนี้ไม่ได้')} กรุณาขอรหัสใหม่จากผู้ดูแลค่ะ")]
            unit = self.store.unit(person.unit_id)
            return [Reply(f"ลงทะเบียนเรียบร้อยค่ะ คุณ{person.name} ({ROLE_TH.get(person.role, person.role)} "
                          f"{unit.name if unit else ''})\nพิมพ์ “วิธีใช้” เพื่อดูตัวอย่างคำสั่ง")]
        return [Reply(texts.HELP_UNREGISTERED)]

    def _link_code(self, msg: Incoming, person: Person) -> Reply:
        """A one-time code to attach this person's id on another channel (LINE ⇄ Telegram)."""
        code = self.store.create_link_code(person.id)  # type: ignore[attr-defined]
        other = "Telegram" if msg.channel == "line" else "LINE"
        return Reply(f"รหัสเชื่อมบัญชีของท่าน: {code}\nเปิดแชทกับบอทใน {other} แล้วพิมพ์ “เชื่อมบัญชี {code}” "
                     "(ใช้ได้ครั้งเดียว ภายใน 15 นาที)")

    # -- dispatch ----------------------------------------------------------------------------
    def _dispatch(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        intent = u.intent
        if intent == "unknown" and ctx.msg.attachments:
            intent = "evidence"
        if intent == "register":
            return [Reply("ท่านลงทะเบียนไว้แล้วค่ะ พิมพ์ “วิธีใช้” เพื่อดูคำสั่ง")]
        if intent == "unknown" and "not_a_report" in u.notes:
            # chat, a notice, a personal remark: not stored, and no wall of help
            return [Reply("รับทราบค่ะ ข้อความนี้ไม่ได้บันทึกเป็นผลงาน "
                          "(ถ้าต้องการรายงาน พิมพ์ เช่น “รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%”)")]
        if intent in ("help", "unknown"):
            prefix = "" if intent == "help" else "ขออภัยค่ะ ยังไม่เข้าใจข้อความนี้\n"
            return [Reply(prefix + texts.HELP)]
        if intent == "cancel":
            self.store.set_state(ctx.msg.chat_key, None)
            self._held.pop(ctx.msg.chat_key, None)
            return [Reply("ยกเลิกแล้วค่ะ")]
        check = "overview" if intent == "score" and self._wants_overview(u) else intent
        if not allowed(ctx.person, check if check != "overview" else "score"):
            return [self._not_allowed(ctx.person, intent)]
        handler = {
            "report": self._report,
            "correct": self._correct,
            "undo": self._undo,
            "evidence": self._evidence,
            "score": self._score,
            "missing": self._missing,
            "deadlines": self._deadlines,
            "criteria": self._criteria,
            "invite": self._invite,
            "mute": self._reminders,
            "unmute": self._reminders,
            "snooze": self._reminders,
        }.get(intent)
        if handler is None:
            return [Reply(texts.HELP)]
        return handler(ctx, u)

    def _not_allowed(self, person: Person, intent: str) -> Reply:
        what = {"report": "รายงานผล", "evidence": "ส่งหลักฐาน", "correct": "แก้ไขผล", "undo": "ยกเลิกผล",
                "invite": "สร้างรหัสเชิญ", "score": "ดูคะแนน", "missing": "ดูรายการค้างส่ง"}.get(intent, intent)
        return Reply(f"ขออภัยค่ะ {ROLE_TH.get(person.role, person.role)}ไม่มีสิทธิ์{what}")

    # -- report ------------------------------------------------------------------------------
    def _report(self, ctx: Ctx, u: Understanding, correcting: bool = False) -> list[Reply]:
        if u.unit and u.unit != ctx.unit.name:
            other = self._report_unit(ctx, u.unit)
            if isinstance(other, Reply):
                return [other]
            ctx = other  # the message is read again against that unit's KPIs
            u = understand(u.text, [(s.catalog.id, s.kpi) for s in ctx.slots], ctx.today,
                           [x.name for x in self.store.units()], bool(ctx.msg.attachments))
        reportable = ctx.slots
        if not reportable:
            return [Reply("หน่วยงานของท่านยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้ กรุณาติดต่อผู้ดูแลค่ะ")]
        period_problem = self._period_problem(ctx, u)
        if period_problem:
            return [Reply(period_problem)]
        state: dict[str, Any] = {"flow": "report", "text": u.text, "period": u.period}
        if ctx.unit.id != ctx.person.unit_id:
            state["for_unit"] = ctx.unit.id
        drafts = [d for d in u.reports if ctx.slot(f"{d.kpi.catalog_id}/{d.kpi.kpi_id}")]
        if drafts:
            first, *rest = drafts
            state["queue"] = [self._draft_state(d) for d in rest]
            if rest:
                state["of"] = len(drafts)
            return self._report_with_kpi(ctx, state, f"{first.kpi.catalog_id}/{first.kpi.kpi_id}",
                                         self._draft_state(first))
        keys = [f"{r.catalog_id}/{r.kpi_id}" for r in u.kpis if ctx.slot(f"{r.catalog_id}/{r.kpi_id}")]
        if len(keys) == 1 or (keys and not u.ambiguous):
            return self._report_with_kpi(ctx, state, keys[0], {})
        fits = [f"{r.catalog_id}/{r.kpi_id}" for r in u.fits if ctx.slot(f"{r.catalog_id}/{r.kpi_id}")]
        candidates = keys or fits or [s.key for s in reportable]
        state.update(awaiting="kpi", candidates=candidates)
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
        return [Reply(ask, self._kpi_choices(ctx, candidates))]

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
    def _draft_state(d: Any) -> dict[str, Any]:
        return {"slot": f"{d.kpi.catalog_id}/{d.kpi.kpi_id}", "inputs": {k: str(v) for k, v in d.inputs.items()},
                "unplaced": [str(v.value) + ("%" if v.percent else "") for v in d.unplaced],
                "dropped": [[k, str(v)] for k, v in d.dropped],
                "ignored": [texts.number(v.value) + ("%" if v.percent else "") for v in d.ignored],
                "steps": list(d.steps)}

    @staticmethod
    def _raw_th(v: Any) -> str:
        return f"ร้อยละ {texts.number(v.value)}" if v.percent else texts.number(v.value)

    def _kpi_choices(self, ctx: Ctx, keys: list[str]) -> tuple[Choice, ...]:
        out = []
        for i, key in enumerate(keys[:12]):
            slot = ctx.slot(key)
            if slot:
                out.append(Choice(f"{slot.short} ({slot.set_name()})", f"k:{i}"))
        return tuple(out) + (Choice("ยกเลิก", CANCEL),)

    def _report_with_kpi(self, ctx: Ctx, state: dict[str, Any], key: str,
                         draft: dict[str, Any] | None = None) -> list[Reply]:
        """Start the card of one KPI. `draft` is what the message said for it; None = read the message
        again for this KPI (after "ตัวชี้วัดไหนคะ" was answered)."""
        slot = ctx.slot(key)
        assert slot is not None
        kpi = slot.kpi
        state["slot"] = key
        if draft is None:
            u = understand(state.get("text") or "", [(slot.catalog.id, kpi)], ctx.today)
            draft = self._draft_state(read_for(u, slot.catalog.id, kpi))
        inputs: dict[str, Any] = dict(state.get("inputs") or {})
        inputs.update(draft.get("inputs") or {})
        state.update(inputs=inputs, unplaced=list(draft.get("unplaced") or []),
                     dropped=list(draft.get("dropped") or []), ignored=list(draft.get("ignored") or []),
                     named_steps=list(draft.get("steps") or []))
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
        for name in self._needed_inputs(slot):
            if name in inputs:
                continue
            if any(name in kpi.derive[d].names for d in derived_given):
                continue  # the derived figure was reported directly
            spec = kpi.input(name)
            state["awaiting"] = f"input:{name}"
            self.store.set_state(ctx.msg.chat_key, state)
            unit = f" ({spec.unit})" if spec and spec.unit else ""
            example = "เช่น 2024-07-15 หรือ 15 ก.ค. 67" if spec and spec.kind == "date" else self._example(spec)
            return [Reply(f"{slot.label}\nกรุณาพิมพ์{spec.name if spec else name}{unit} {example}ค่ะ",
                          (Choice("ยกเลิก", CANCEL),))]
        if kpi.rubric.steps and "steps" not in state:
            done = list(self._steps_done_before(ctx, slot))
            state["steps"] = done + [x for x in state.get("named_steps") or [] if x not in done]
        if kpi.rubric.steps and state.get("awaiting") != "confirm" and not state.get("steps_confirmed"):
            state["awaiting"] = "steps"
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
        state["awaiting"] = "place"
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
        state.update(awaiting="confirm", period=period, flags=flags)
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
        if before is not None and self._same_inputs(before.inputs, inputs):
            # the same figure again: no new version
            self.store.set_state(ctx.msg.chat_key, self._after_report(ctx, slot.key, period))
            return [Reply(f"ค่าเดิม ไม่มีการเปลี่ยนแปลงค่ะ ({slot.short} {texts.period_th(period)}: "
                          f"{self._figure(ctx, slot, before.inputs)} {texts.level_th(before.level)} "
                          f"ฉบับที่ {before.version})", edit=edit)]
        saved = self.store.add_submission(NewSubmission(
            person_id=ctx.person.id, unit_id=unit_id, catalog_id=slot.catalog.id, kpi_id=slot.kpi.id,
            period=period, inputs=inputs, level=result.level, channel=ctx.msg.channel,
            message_id=ctx.msg.message_id, sent_at=ctx.msg.sent_at, flags=tuple(state.get("flags") or ())))
        self.store.set_state(ctx.msg.chat_key, self._after_report(ctx, slot.key, saved.period))
        version = f" (ฉบับที่ {saved.version})" if saved.version > 1 else ""
        wanted = self._evidence_wanted(slot, result)
        where = f"{slot.short} {texts.period_th(saved.period)}"
        if before is not None and state.get("correcting"):
            head = (f"แก้ไขแล้วค่ะ: จาก {self._figure(ctx, slot, before.inputs)} เป็น "
                    f"{self._figure(ctx, slot, inputs)} ({texts.level_th(result.level)})\n{where} ฉบับที่ {saved.version}")
        else:
            head = f"บันทึกแล้วค่ะ{version}: {where} {texts.level_th(result.level)}"
            if before is not None:
                head += (f"\nแทนค่าเดิม {self._figure(ctx, slot, before.inputs)} "
                         f"({texts.level_th(before.level)}, ฉบับที่ {before.version})")
        return [Reply(head + (f"\nส่งหลักฐานได้เลย: {wanted}" if wanted else ""), edit=edit)]

    @staticmethod
    def _after_report(ctx: Ctx, key: str, period: str) -> dict[str, Any]:
        """Evidence sent next belongs to this report (and to the unit it was for)."""
        state: dict[str, Any] = {"flow": "after_report", "slot": key, "period": period}
        if ctx.unit.id != ctx.person.unit_id:
            state["for_unit"] = ctx.unit.id
        return state

    @staticmethod
    def _same_inputs(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
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

    def _figure(self, ctx: Ctx, slot: Slot, inputs: Mapping[str, Any]) -> str:
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
        if not u.period:
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

    # -- follow-ups of a flow ----------------------------------------------------------------
    def _continue(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
        answer = choice if choice is not None else text
        if answer in (CANCEL, "ยกเลิก", "/cancel"):
            self.store.set_state(ctx.msg.chat_key, None)
            self._held.pop(ctx.msg.chat_key, None)
            return [Reply("ยกเลิกแล้วค่ะ ไม่มีการบันทึก", edit=choice is not None)]
        awaiting = state.get("awaiting")
        flow = state.get("flow")
        if flow == "after_report":
            if ctx.msg.attachments:
                return self._store_evidence(ctx, state["slot"], state["period"])
            return None
        if flow == "evidence" and awaiting == "kpi":
            key = self._pick(state, answer)
            if key is None:
                return None
            return self._store_evidence(ctx, key, None)
        if flow == "criteria" and awaiting == "kpi":
            key = self._pick(state, answer)
            return None if key is None else self._criteria_picked(ctx, state, key)
        if flow != "report":
            return None
        if awaiting == "kpi":
            key = self._pick(state, answer)
            if key is None:
                return None
            return self._report_with_kpi(ctx, state, key)
        if awaiting == "place":
            return self._placed(ctx, state, choice, text)
        if awaiting and awaiting.startswith("input:"):
            name = awaiting.split(":", 1)[1]
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
                full = understand(text, [(s.catalog.id, s.kpi) for s in ctx.slots], ctx.today,
                                  [x.name for x in self.store.units()])
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
        if awaiting == "steps":
            slot = ctx.slot(state["slot"])
            if slot is None:
                return None
            if answer in (DONE, "เสร็จ"):
                state["steps_confirmed"] = True
                return self._card(ctx, state)
            index = self._index(answer, "s:")
            if index is None or index >= len(slot.kpi.rubric.steps):
                return [self._steps_card(slot, state)]
            step_id = slot.kpi.rubric.steps[index].id
            done = list(state.get("steps") or [])
            done = [s for s in done if s != step_id] if step_id in done else done + [step_id]
            state["steps"] = done
            self.store.set_state(ctx.msg.chat_key, state)
            card = self._steps_card(slot, state)
            card.edit = choice is not None
            return [card]
        if awaiting == "confirm":
            return self._answer_card(ctx, state, choice, text)
        return None

    def _placed(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
        """The answer to "ตัวเลข 900,000 คือข้อมูลใดคะ": a button, or the input's name typed."""
        slot = ctx.slot(state.get("slot") or "")
        options = list(state.get("options") or [])
        if slot is None or not state.get("unplaced"):
            return None
        picked: str | None = None
        if choice == "p:-":
            state.setdefault("ignored", []).append(state["unplaced"][0])
        else:
            index = self._index(choice or "", "p:")
            if index is not None and index < len(options):
                picked = options[index]
            elif choice is None and text:
                flat = text.replace(" ", "")
                hits = [n for n in options if n in flat or any(w and w in flat for w in
                        (slot.kpi.input(n).name.split()[0] if slot.kpi.input(n) else "",))]
                picked = hits[0] if len(hits) == 1 else None
                if picked is None:
                    u = understand(text, [], ctx.today)
                    if u.intent not in ("unknown", "report"):
                        return None  # another command: leave the question
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

    def _answer_card(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
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
            u = understand(text, [(s.catalog.id, s.kpi) for s in ctx.slots], ctx.today,
                           [x.name for x in self.store.units()], False)
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
            follow = {"flow": "report", "text": state.get("text"), "period": state.get("period"), "queue": queue,
                      "of": state.get("of")}
            if state.get("for_unit"):
                follow["for_unit"] = state["for_unit"]
            cards = self._report_with_kpi(ctx, follow, nxt["slot"], nxt)
            if not everything or follow.get("awaiting") != "confirm" or follow.get("flags"):
                return replies + cards
            more = self._save(ctx, follow)
            replies += more
            saved_ok = bool(more) and not more[0].text.startswith("ยังไม่ได้บันทึก")
            state = follow
        return replies

    @staticmethod
    def _index(answer: str, prefix: str) -> int | None:
        if answer.startswith(prefix) and answer[len(prefix):].isdigit():
            return int(answer[len(prefix):])
        return None

    def _pick(self, state: dict[str, Any], answer: str) -> str | None:
        index = self._index(answer, "k:")
        candidates = state.get("candidates") or []
        if index is not None and index < len(candidates):
            return candidates[index]
        return None

    # -- correct / undo ------------------------------------------------------------------------
    def _correct(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        """A new figure for the open card if there is one, else for the person's latest live report: the
        other inputs are kept, the named (or main) one replaced; the card then asks to confirm."""
        draft = self.store.get_state(ctx.msg.chat_key) or {}
        if draft.get("flow") == "report" and draft.get("awaiting") == "confirm" and ctx.slot(draft.get("slot") or ""):
            key, base, state = draft["slot"], dict(draft.get("inputs") or {}), dict(draft)
        else:
            last = self.store.last_submission_by(ctx.person.id)
            if last is None:
                return [Reply("ยังไม่มีรายการที่ท่านรายงานไว้ให้แก้ไขค่ะ")]
            key = f"{last.catalog_id}/{last.kpi_id}"
            if ctx.slot(key) is None:
                return [Reply("ตัวชี้วัดของรายการล่าสุดไม่อยู่ในรอบนี้แล้ว แก้ไขไม่ได้ค่ะ")]
            base = dict(last.inputs)
            state = {"flow": "report", "period": last.period}
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
        return self._report_with_kpi(ctx, state, key, found)

    def _new_figures(self, ctx: Ctx, slot: Slot, u: Understanding, base: Mapping[str, Any]) -> dict[str, Any]:
        """The figures a correction gives, placed in the KPI's inputs by meaning ("แก้ไข ๔ ครั้ง" is the
        input counted in ครั้ง). When it names the old and the new figure ("ไม่ใช่ 92 ค่ะ ต้องเป็น 95",
        "ได้ 25 ไม่ใช่ 52") only the new one is read, and it goes where the old one was."""
        parts = split_correction(u.text)
        if parts is None:
            return self._draft_state(read_for(u, slot.catalog.id, slot.kpi))
        new_text, old_text = parts
        read = understand(new_text, [], ctx.today)
        found = self._draft_state(read_for(read, slot.catalog.id, slot.kpi))
        old = [f.value.value for f in find_values(old_text)]
        if len(read.values) == 1 and len(old) == 1:
            was = [k for k, v in base.items() if k != "steps" and self._same_inputs({k: v}, {k: str(old[0])})]
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

    def _undo(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        last = self.store.last_submission_by(ctx.person.id)
        if last is None:
            return [Reply("ยังไม่มีรายการที่ท่านรายงานไว้ให้ยกเลิกค่ะ")]
        self.store.retract(last.id, ctx.person.id, ctx.msg.channel, ctx.msg.message_id, ctx.msg.sent_at)
        slot = ctx.slot(f"{last.catalog_id}/{last.kpi_id}")
        name = slot.short if slot else last.kpi_id
        was = f" {self._figure(ctx, slot, last.inputs)} ({texts.level_th(last.level)})" if slot else ""
        lines = [f"ยกเลิกรายการ {name} {texts.period_th(last.period)}{was} แล้วค่ะ (ประวัติยังเก็บไว้)"]
        now = next(iter(self.store.current(last.unit_id, last.catalog_id, last.kpi_id, last.period)), None)
        if now is None:
            this = "เดือนนี้" if last.period == ctx.today.strftime("%Y-%m") else texts.period_th(last.period)
            lines.append(f"ตอนนี้ไม่มีผลของ{this}")
        elif slot:
            lines.append(f"ตอนนี้ใช้ผลฉบับที่ {now.version}: {self._figure(ctx, slot, now.inputs)} "
                         f"({texts.level_th(now.level)})")
        return [Reply("\n".join(lines))]

    # -- evidence ----------------------------------------------------------------------------
    def _evidence(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        if not ctx.msg.attachments:
            return [Reply("ส่งรูปหรือไฟล์หลักฐานมาได้เลยค่ะ พร้อมคำบรรยาย เช่น “หลักฐาน ตชว.1”")]
        keys = [f"{r.catalog_id}/{r.kpi_id}" for r in u.kpis if ctx.slot(f"{r.catalog_id}/{r.kpi_id}")]
        if len(keys) == 1 or (keys and not u.ambiguous):
            return self._store_evidence(ctx, keys[0], u.period)
        candidates = keys or [s.key for s in ctx.slots]
        self._held[ctx.msg.chat_key] = list(ctx.msg.attachments)
        self.store.set_state(ctx.msg.chat_key, {"flow": "evidence", "awaiting": "kpi", "candidates": candidates})
        return [Reply("หลักฐานนี้ของตัวชี้วัดไหนคะ", self._kpi_choices(ctx, candidates))]

    def _store_evidence(self, ctx: Ctx, key: str, period: str | None) -> list[Reply]:
        slot = ctx.slot(key)
        attachments = list(ctx.msg.attachments) or self._held.pop(ctx.msg.chat_key, [])
        if slot is None or not attachments:
            self.store.set_state(ctx.msg.chat_key, None)
            return [Reply("ไม่พบไฟล์หลักฐาน กรุณาส่งใหม่อีกครั้งค่ะ")]
        period = period or period_for(slot.kpi, ctx.today)
        saved = []
        for att in attachments:
            saved.append(self.store.add_evidence(
                att.load(), person_id=ctx.person.id, unit_id=ctx.unit.id, catalog_id=slot.catalog.id,
                kpi_id=slot.kpi.id, period=period, received_at=ctx.msg.sent_at, file_name=att.file_name,
                mime_hint=att.mime))
        self.store.set_state(ctx.msg.chat_key, {"flow": "after_report", "slot": key, "period": period})
        lines = [f"เก็บหลักฐาน {len(saved)} ไฟล์ของ {slot.short} {texts.period_th(period)} แล้วค่ะ"]
        for ev in saved:
            if ev.duplicate_of:
                lines.append("⚠️ ไฟล์นี้เคยส่งแล้วสำหรับหน่วยงานหรืองวดอื่น กรุณาตรวจสอบค่ะ")
            if ev.taken_at:
                lines.append(f"ถ่ายเมื่อ {texts.day_th(ev.taken_at.date())}")
        sub = latest(self.store.current(ctx.unit.id, slot.catalog.id, slot.kpi.id))
        level = evaluate_submission(slot, ctx.unit, sub).level if sub else 0
        target = slot.kpi.rubric.level(min(level + 1, 5))
        expected = list(target.evidence if target else ()) or list(slot.kpi.evidence)
        if expected:
            lines.append("หลักฐานที่เกณฑ์ยังต้องการ: " + ", ".join(expected[:4]))
        return [Reply("\n".join(lines))]

    # -- score -------------------------------------------------------------------------------
    def _wants_overview(self, u: Understanding) -> bool:
        return any(w in u.text for w in ("ทุกอำเภอ", "ภาพรวม", "ทั้งหมด", "ทุกหน่วย", "จัดอันดับ"))

    def _score(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        visible = units_in_scope(self.store, ctx.person)
        if self._wants_overview(u):
            if not allowed(ctx.person, "overview"):
                return [self._not_allowed(ctx.person, "score")]
            return [self._overview(ctx, visible)]
        target = ctx.unit
        if u.unit:
            match = next((x for x in visible if x.name == u.unit), None)
            if match is None:
                return [Reply(f"ขออภัยค่ะ ท่านไม่มีสิทธิ์ดูคะแนนของ {u.unit}")]
            target = match
        elif ctx.person.role == "coordinator":
            return [self._coordinator_view(ctx, visible)]
        if not can_act_for(self.store, ctx.person, target, "score"):
            return [self._not_allowed(ctx.person, "score")]
        if target.kind == "province" and not self._has_agreements(target, ctx.today):
            return [self._overview(ctx, visible)]
        return [self._unit_card(target, ctx.today)]

    def _has_agreements(self, unit: Unit, today: date) -> bool:
        return bool(self.store.agreements(unit.id, today))

    def _unit_card(self, unit: Unit, today: date) -> Reply:
        score = unit_score(self.store, self.catalogs, unit, today)
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

    def _overview(self, ctx: Ctx, visible: list[Unit]) -> Reply:
        rows = []
        for unit in visible:
            score = unit_score(self.store, self.catalogs, unit, ctx.today)
            if not score.totals:
                continue
            points = sum((t.score100 for _, t in score.totals), Decimal(0)) / len(score.totals)
            missing = sum(len(t.missing) for _, t in score.totals)
            rows.append((points, unit.name, missing))
        if not rows:
            return Reply("ยังไม่มีหน่วยงานที่มีข้อตกลงตัวชี้วัดในรอบนี้ค่ะ")
        rows.sort(key=lambda r: (-r[0], r[1]))
        lines = [f"ภาพรวมคะแนน (ณ {texts.day_th(ctx.today)}) เฉลี่ยรายทีมและรายบุคคล เรียงจากมากไปน้อย"]
        for i, (points, name, missing) in enumerate(rows, 1):
            note = f" · ค้าง {missing}" if missing else ""
            lines.append(f"{i}. {name} {texts.score(points)}{note}")
        return Reply("\n".join(lines))

    def _coordinator_view(self, ctx: Ctx, visible: list[Unit]) -> Reply:
        groups = kpi_groups(ctx.person)
        lines = [f"ตัวชี้วัดที่ท่านประสาน ({', '.join(groups) or 'ทั้งหมด'}) ณ {texts.day_th(ctx.today)}"]
        for unit in visible:
            for slot in slots(self.store, self.catalogs, unit, ctx.today):
                if groups and not any(g in (slot.kpi.source_group or "") for g in groups):
                    continue
                sub = latest(self.store.current(unit.id, slot.catalog.id, slot.kpi.id))
                level = evaluate_submission(slot, unit, sub).level if sub else None
                shown = "ยังไม่รายงาน" if level is None else f"ระดับ {level}"
                lines.append(f"{unit.name} · {slot.short} ({slot.set_name()}): {shown}")
        return Reply("\n".join(lines) if len(lines) > 1 else "ยังไม่มีตัวชี้วัดในความรับผิดชอบของท่านค่ะ")

    # -- questions about a KPI: its criteria ----------------------------------------------------
    def _criteria(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        """The levels, the unit's standing and what is needed, for the KPI asked about.

        Never starts a report and never changes the chat's state, except to ask "which KPI?" — that
        question keeps the earlier state and gives it back once a KPI is picked.
        """
        target = self._asked_unit(ctx, u)
        if isinstance(target, Reply):
            return [target]
        unit, unit_slots = target
        if not unit_slots:
            return [Reply(f"{unit.name}ยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้ค่ะ")]
        level = asked_level(u.text)
        keys = self._named_keys(ctx, u, unit_slots)
        open_draft = self.store.get_state(ctx.msg.chat_key) or {}
        if not keys and open_draft.get("flow") == "report" and any(s.key == open_draft.get("slot") for s in unit_slots):
            keys = [open_draft["slot"]]  # "ระดับ 5 ต้องทำอะไร" while reporting a KPI: that KPI (the draft waits)
        if len(keys) == 1:
            return [self._criteria_answer(ctx, unit, unit_slots, keys[0], level)]
        other = None if keys else self._outside(ctx, unit, unit_slots, u.text)
        if other is not None:
            return [Reply(criteria_reply(other, unit, None, level=level, in_agreement=False))]
        earlier = self.store.get_state(ctx.msg.chat_key)
        if earlier and earlier.get("flow") == "criteria":
            earlier = earlier.get("resume")
        candidates = keys or [s.key for s in unit_slots]
        self.store.set_state(ctx.msg.chat_key, {"flow": "criteria", "awaiting": "kpi", "candidates": candidates,
                                                "level": level, "unit": unit.id, "resume": earlier})
        ask = "ตัวชี้วัดไหนคะ" if not keys else "หมายถึงตัวชี้วัดไหนคะ (มีหลายข้อที่ตรงกัน)"
        unknown = [n.split(":", 1)[1] for n in u.notes if n.startswith("unknown_kpi_number:")]
        if unknown and not keys:
            ask = f"ไม่มีตัวชี้วัดที่ {unknown[0]} ในข้อตกลงของ{unit.name} ตัวชี้วัดไหนคะ"
        choices = []
        for i, key in enumerate(candidates):
            slot = next((s for s in unit_slots if s.key == key), None)
            if slot:
                choices.append(Choice(f"{slot.short} ({slot.set_name()})", f"k:{i}"))
        return [Reply(ask, (*choices, Choice("ยกเลิก", CANCEL)))]

    def _criteria_picked(self, ctx: Ctx, state: dict[str, Any], key: str) -> list[Reply]:
        self.store.set_state(ctx.msg.chat_key, state.get("resume"))
        unit = ctx.unit
        if state.get("unit") and state["unit"] != ctx.unit.id:
            unit = self.store.unit(state["unit"]) or ctx.unit
        unit_slots = ctx.slots if unit.id == ctx.unit.id else slots(self.store, self.catalogs, unit, ctx.today)
        if not any(s.key == key for s in unit_slots):
            return [Reply("ตัวชี้วัดนี้ไม่อยู่ในรอบนี้แล้วค่ะ")]
        reply = self._criteria_answer(ctx, unit, unit_slots, key, state.get("level"))
        reply.edit = ctx.msg.choice is not None
        return [reply]

    def _criteria_answer(self, ctx: Ctx, unit: Unit, unit_slots: list[Slot], key: str, level: int | None) -> Reply:
        slot = next(s for s in unit_slots if s.key == key)
        sub = latest(self.store.current(unit.id, slot.catalog.id, slot.kpi.id))
        return Reply(criteria_reply(slot, unit, sub, level=level))

    def _asked_unit(self, ctx: Ctx, u: Understanding) -> tuple[Unit, list[Slot]] | Reply:
        """The unit a question is about: the sender's, or one they may see that the message names."""
        if not u.unit or u.unit == ctx.unit.name:
            return ctx.unit, ctx.slots
        match = next((x for x in units_in_scope(self.store, ctx.person) if x.name == u.unit), None)
        if match is None:
            return Reply(f"ขออภัยค่ะ ท่านไม่มีสิทธิ์ดูผลของ {u.unit}")
        return match, slots(self.store, self.catalogs, match, ctx.today)

    def _named_keys(self, ctx: Ctx, u: Understanding, unit_slots: list[Slot]) -> list[str]:
        """The slot keys a question names: its top KPI candidates (several when they tie)."""
        if unit_slots is not ctx.slots:
            u = understand(u.text, [(s.catalog.id, s.kpi) for s in unit_slots], ctx.today,
                           [x.name for x in self.store.units()])
        known = {s.key for s in unit_slots}
        refs = [r for r in u.kpis if f"{r.catalog_id}/{r.kpi_id}" in known]
        if not refs:
            return []
        top = max(r.score for r in refs)
        return list(dict.fromkeys(f"{r.catalog_id}/{r.kpi_id}" for r in refs if abs(r.score - top) < 1e-6))

    def _outside(self, ctx: Ctx, unit: Unit, unit_slots: list[Slot], text: str) -> Slot | None:
        """The one KPI of the unit's catalogs a question names that the unit is not appraised on
        (an optional KPI it did not choose, a KPI for named districts only), or None."""
        inside = {s.key for s in unit_slots}
        pool = [Slot(a, c, k) for a in self.store.agreements(unit.id, ctx.today)
                if (c := self.catalogs.get(a.catalog_id)) is not None
                for k in c.kpis if f"{c.id}/{k.id}" not in inside]
        if not pool:
            return None
        u = understand(text, [(s.catalog.id, s.kpi) for s in pool], ctx.today, [x.name for x in self.store.units()])
        if u.kpi is None:
            return None
        return next((s for s in pool if s.catalog.id == u.kpi.catalog_id and s.kpi.id == u.kpi.kpi_id), None)

    # -- missing and deadlines -----------------------------------------------------------------
    def _missing(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        if ctx.person.role == "reporter":
            units = [ctx.unit]
        else:
            units = units_in_scope(self.store, ctx.person)
        groups = kpi_groups(ctx.person) if ctx.person.role == "coordinator" else []
        lines = []
        for unit in units:
            for slot in slots(self.store, self.catalogs, unit, ctx.today):
                if groups and not any(g in (slot.kpi.source_group or "") for g in groups):
                    continue
                if slot.kpi.rubric.reviewer:
                    continue
                period = period_for(slot.kpi, ctx.today)
                if not self.store.current(unit.id, slot.catalog.id, slot.kpi.id, period):
                    lines.append(f"{unit.name} · {slot.short} ({slot.set_name()}, {texts.period_th(period)})")
        if not lines:
            return [Reply("ส่งครบทุกตัวชี้วัดแล้วค่ะ 👍")]
        head = "ตัวชี้วัดที่ยังไม่ส่ง" + ("ของท่าน" if ctx.person.role == "reporter" else "")
        return [Reply(head + f" ({len(lines)} รายการ):\n" + "\n".join(lines[:40]))]

    def _deadlines(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        keys = self._named_keys(ctx, u, ctx.slots)
        if len(keys) == 1:  # "ตชว.7 ส่งทุกวันที่เท่าไหร่": that KPI's measuring day and next cutoffs
            slot = next(s for s in ctx.slots if s.key == keys[0])
            return [Reply(deadline_reply(slot, ctx.unit, deadlines([slot], ctx.today), ctx.today))]
        other = None if keys else self._outside(ctx, ctx.unit, ctx.slots, u.text)
        if other is not None:
            return [Reply(deadline_reply(other, ctx.unit, [], ctx.today, in_agreement=False))]
        items = deadlines(ctx.slots, ctx.today)
        if not items:
            return [Reply("ไม่มีกำหนดส่งที่ใกล้จะถึงค่ะ")]
        lines = ["กำหนดส่งที่ใกล้จะถึง:"]
        for item in items[:12]:
            lines.append(f"{texts.day_th(item.day)} — {item.text}")
        return [Reply("\n".join(lines))]

    # -- admin and settings --------------------------------------------------------------------
    def _invite(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        role = next((r for r, words in (("chief", ("หัวหน้า", "พัฒนาการอำเภอ", "chief")),
                                         ("coordinator", ("ผู้ประสาน", "coordinator")),
                                         ("admin", ("ผู้ดูแล", "admin")))
                     if any(w in u.text for w in words)), "reporter")
        unit = next((x for x in units_in_scope(self.store, ctx.person) if u.unit and x.name == u.unit), ctx.unit)
        code = self.store.create_invite(role, unit.id, created_by=ctx.person.id)
        return [Reply(f"รหัสเชิญ ({ROLE_TH[role]} {unit.name}): {code}\n"
                      f"ให้ผู้ได้รับเชิญพิมพ์ “ลงทะเบียน {code}” ในแชทนี้ (ใช้ได้ครั้งเดียว)")]

    def _reminders(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        if u.intent == "mute":
            self.store.set_reminders(ctx.person.id, "muted")
            return [Reply("ปิดการเตือนแล้วค่ะ พิมพ์ “เปิดการเตือน” หรือ “เตือนได้แล้ว” เมื่อต้องการให้เตือนอีกครั้ง")]
        if u.intent == "unmute":
            self.store.set_reminders(ctx.person.id, "on")
            return [Reply("เปิดการเตือนแล้วค่ะ")]
        low, high = SNOOZE_DAYS
        rule = (f"เลื่อนการเตือนได้ {low}–{high} วันค่ะ เช่น “งดเตือน 3 วัน” หรือ “เลื่อนเตือน 1 สัปดาห์” "
                "(ถ้าไม่ต้องการให้เตือนเลย พิมพ์ “ปิดการเตือน”)")
        if u.days is None and u.values:
            return [Reply("ต้องการเลื่อนการเตือนกี่วันคะ " + rule)]  # "เลื่อนเตือน 45": days or hours?
        days = 1 if u.days is None else u.days
        if u.days is None and u.day is not None:
            days = (u.day - ctx.today).days  # "เลื่อนเตือนไปวันที่ 20"
        if not low <= days <= high:
            return [Reply(f"ยังไม่ได้เปลี่ยนการเตือนค่ะ: {days} วัน อยู่นอกช่วงที่ตั้งได้\n{rule}")]
        from datetime import timedelta

        until = ctx.msg.sent_at + timedelta(days=days)
        self.store.set_reminders(ctx.person.id, "snoozed", until)
        return [Reply(f"เลื่อนการเตือนไป {days} วัน ถึง {texts.day_th(until.date())} ค่ะ "
                      "(พิมพ์ “เตือนได้แล้ว” เพื่อให้เตือนตามปกติก่อนกำหนด)")]


def now_for(msg: Incoming) -> datetime:
    return msg.sent_at
