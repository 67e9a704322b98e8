"""The conversation: one message in, replies out. Knows no channel and no database driver.

Flow state lives in the store per chat (so a restart keeps a half-finished report);
a submission is acknowledged only after the store has committed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from scoring.errors import EvaluationError
from scoring.evaluate import Evaluation, evaluate, primary_input
from scoring.model import Catalog

from . import texts
from .agreements import Slot, evaluate_submission, latest, period_for, slots, unit_score
from .calendar import deadlines
from .messages import Choice, Incoming, Reply
from .nlu import Understanding, understand
from .permissions import ROLE_TH, allowed, can_act_for, kpi_groups, units_in_scope
from .ports import InviteError, NewSubmission, Person, Store, Unit

CONFIRM, CANCEL, DONE = "ok", "no", "done"


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
        ctx = Ctx(msg, person, unit, today, slots(self.store, self.catalogs, unit, today))
        state = self.store.get_state(msg.chat_key)
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
        if intent == "unknown" and u.kpis and u.values:
            intent = "report"
        if intent == "unknown" and ctx.msg.attachments:
            intent = "evidence"
        if intent == "register":
            return [Reply("ท่านลงทะเบียนไว้แล้วค่ะ พิมพ์ “วิธีใช้” เพื่อดูคำสั่ง")]
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
        reportable = ctx.slots
        if not reportable:
            return [Reply("หน่วยงานของท่านยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้ กรุณาติดต่อผู้ดูแลค่ะ")]
        period_problem = self._period_problem(ctx, u)
        if period_problem:
            return [Reply(period_problem)]
        state: dict[str, Any] = {"flow": "report", "values": [str(v.value) for v in u.values],
                                 "named": {k: str(v) for k, v in u.inputs.items()}, "period": u.period}
        keys = [f"{r.catalog_id}/{r.kpi_id}" for r in u.kpis if ctx.slot(f"{r.catalog_id}/{r.kpi_id}")]
        if len(keys) == 1 or (keys and not u.ambiguous):
            return self._report_with_kpi(ctx, state, keys[0])
        candidates = keys or [s.key for s in reportable]
        state.update(awaiting="kpi", candidates=candidates)
        self.store.set_state(ctx.msg.chat_key, state)
        ask = "ตัวชี้วัดไหนคะ" if not keys else "หมายถึงตัวชี้วัดไหนคะ (มีหลายข้อที่ตรงกัน)"
        unknown = [n.split(":", 1)[1] for n in u.notes if n.startswith("unknown_kpi_number:")]
        if unknown and not keys:
            numbers = sorted({str(s.kpi.number) for s in reportable}, key=lambda x: (len(x), x))
            ask = (f"ไม่มีตัวชี้วัดที่ {unknown[0]} ในข้อตกลงของหน่วยงานท่าน (มีข้อ {', '.join(numbers)}) "
                   "กรุณาเลือกจากรายการค่ะ")
        return [Reply(ask, self._kpi_choices(ctx, candidates))]

    def _kpi_choices(self, ctx: Ctx, keys: list[str]) -> tuple[Choice, ...]:
        out = []
        for i, key in enumerate(keys):
            slot = ctx.slot(key)
            if slot:
                out.append(Choice(f"{slot.short} ({slot.set_name()})", f"k:{i}"))
        return tuple(out) + (Choice("ยกเลิก", CANCEL),)

    def _report_with_kpi(self, ctx: Ctx, state: dict[str, Any], key: str) -> list[Reply]:
        slot = ctx.slot(key)
        assert slot is not None
        kpi = slot.kpi
        state["slot"] = key
        inputs: dict[str, Any] = dict(state.get("inputs") or {})
        inputs.update(state.pop("named", None) or {})
        values = state.pop("values", None) or []
        if kpi.rubric.reviewer:
            self.store.set_state(ctx.msg.chat_key, None)
            return [Reply(f"{slot.label}\nระดับคะแนนของตัวชี้วัดนี้ผู้ประเมินเป็นผู้กำหนดตามโครงการที่เสนอ "
                          "กรุณาส่งหลักฐานความก้าวหน้าของโครงการได้เลยค่ะ")]
        main = primary_input(kpi)
        if values and main and main not in inputs:
            inputs[main] = values[0]
        state["inputs"] = inputs
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
            example = "เช่น 2024-07-15 หรือ 15 ก.ค. 67" if spec and spec.kind == "date" else "เป็นตัวเลข"
            return [Reply(f"{slot.label}\nกรุณาพิมพ์{spec.name if spec else name}{unit} {example}ค่ะ",
                          (Choice("ยกเลิก", CANCEL),))]
        if kpi.rubric.steps and "steps" not in state:
            state["steps"] = list(self._steps_done_before(ctx, slot))
        if kpi.rubric.steps and state.get("awaiting") != "confirm" and not state.get("steps_confirmed"):
            state["awaiting"] = "steps"
            self.store.set_state(ctx.msg.chat_key, state)
            return [self._steps_card(slot, state)]
        return self._card(ctx, state)

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
        slot, result = self._checked(ctx, state)
        if isinstance(result, Reply):
            return [result]
        period = state.get("period") or period_for(slot.kpi, ctx.today)
        state.update(awaiting="confirm", period=period)
        self.store.set_state(ctx.msg.chat_key, state)
        lines = [slot.label, f"งวด: {texts.period_th(period)}"]
        for name, value in state["inputs"].items():
            spec = slot.kpi.input(name)
            unit = f" {spec.unit}" if spec and spec.unit and spec.unit != "ร้อยละ" else ""
            label = spec.name if spec else name
            shown = f"ร้อยละ {texts.number(value)}" if spec and spec.unit == "ร้อยละ" else f"{value}{unit}"
            lines.append(f"{label}: {shown}")
        for name in slot.kpi.derive:
            if name in result.values and name not in state["inputs"]:
                spec = slot.kpi.input(name)
                lines.append(f"{spec.name if spec else name}: {texts.number(round(result.values[name], 2))}")
        if state.get("steps") is not None and slot.kpi.rubric.steps:
            lines.append(f"ขั้นตอนที่ทำแล้ว: {len(state['steps'])} จาก {len(slot.kpi.rubric.steps)}")
        lines.append(f"ผล: {texts.level_th(result.level)}")
        lines += self._next_lines(result)
        lines.append("ยืนยันบันทึกไหมคะ")
        return [Reply("\n".join(lines), (Choice("ยืนยัน", CONFIRM), Choice("ยกเลิก", CANCEL)))]

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
        saved = self.store.add_submission(NewSubmission(
            person_id=ctx.person.id, unit_id=ctx.unit.id, catalog_id=slot.catalog.id, kpi_id=slot.kpi.id,
            period=state["period"], inputs=inputs, level=result.level, channel=ctx.msg.channel,
            message_id=ctx.msg.message_id, sent_at=ctx.msg.sent_at))
        self.store.set_state(ctx.msg.chat_key, {"flow": "after_report", "slot": slot.key, "period": saved.period})
        version = f" (ฉบับที่ {saved.version})" if saved.version > 1 else ""
        wanted = self._evidence_wanted(slot, result)
        return [Reply(f"บันทึกแล้วค่ะ{version}: {slot.short} {texts.period_th(saved.period)} "
                      f"{texts.level_th(result.level)}" + (f"\nส่งหลักฐานได้เลย: {wanted}" if wanted else ""),
                      edit=ctx.msg.choice is not None)]

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
        if flow != "report":
            return None
        if awaiting == "kpi":
            key = self._pick(state, answer)
            if key is None:
                return None
            return self._report_with_kpi(ctx, state, key)
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
                    return [Reply(f"กรุณาพิมพ์{spec.name if spec else name}เป็นตัวเลขค่ะ เช่น 12 หรือ ๑๒")]
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
            if answer in (CONFIRM, "ยืนยัน", "ตกลง", "ok", "ใช่"):
                return self._save(ctx, state)
            return None
        return None

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
        last = self.store.last_submission_by(ctx.person.id)
        if last is None:
            return [Reply("ยังไม่มีรายการที่ท่านรายงานไว้ให้แก้ไขค่ะ")]
        key = f"{last.catalog_id}/{last.kpi_id}"
        slot = ctx.slot(key)
        if slot is None:
            return [Reply("ตัวชี้วัดของรายการล่าสุดไม่อยู่ในรอบนี้แล้ว แก้ไขไม่ได้ค่ะ")]
        state: dict[str, Any] = {"flow": "report", "values": [str(v.value) for v in u.values],
                                 "named": {k: str(v) for k, v in u.inputs.items()}, "period": last.period}
        if not u.values and not u.inputs:
            state["inputs"] = {}
        return self._report_with_kpi(ctx, state, key)

    def _undo(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        last = self.store.last_submission_by(ctx.person.id)
        if last is None:
            return [Reply("ยังไม่มีรายการที่ท่านรายงานไว้ให้ยกเลิกค่ะ")]
        self.store.retract(last.id, ctx.person.id, ctx.msg.channel, ctx.msg.message_id, ctx.msg.sent_at)
        slot = ctx.slot(f"{last.catalog_id}/{last.kpi_id}")
        name = slot.short if slot else last.kpi_id
        return [Reply(f"ยกเลิกรายการ {name} {texts.period_th(last.period)} แล้วค่ะ (ประวัติยังเก็บไว้)")]

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
                level = "ยังไม่รายงาน" if row.level is None else f"ระดับ {row.level}"
                kpi = catalog.kpi(row.kpi)
                subject = kpi.aliases[0] if kpi and kpi.aliases else row.name[:28]
                lines.append(f"ตชว.{row.number} {subject}: {level} (น้ำหนัก {texts.number(row.weight)})")
            lines.append(f"รวม {texts.score(result.score100)} คะแนน ({result.band}) "
                         f"เฉลี่ย {texts.score(result.average5)}/5")
            if not result.complete:
                lines.append(f"ยังไม่รายงาน {len(result.missing)} ตัวชี้วัด: สูงสุดที่ยังเป็นไปได้ "
                             f"{texts.score(result.best100)} คะแนน")
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
            return [Reply("ปิดการเตือนแล้วค่ะ พิมพ์ “เปิดการเตือน” เมื่อต้องการให้เตือนอีกครั้ง")]
        if u.intent == "unmute":
            self.store.set_reminders(ctx.person.id, "on")
            return [Reply("เปิดการเตือนแล้วค่ะ")]
        days = u.days or 1
        from datetime import timedelta

        until = ctx.msg.sent_at + timedelta(days=days)
        self.store.set_reminders(ctx.person.id, "snoozed", until)
        return [Reply(f"เลื่อนการเตือนไป {days} วัน ถึง {texts.day_th(until.date())} ค่ะ")]


def now_for(msg: Incoming) -> datetime:
    return msg.sent_at
