"""The conversation: one message in, replies out. Knows no channel and no database driver.

Its rooms: views/ answer questions (score, missing, deadlines, criteria); flows/ hold the
conversations of several messages (report, evidence, correction), each an explicit table of states.
This module finds the sender and their unit, routes a message to the open flow's state (`self.steps`) or
to the feature its intent names (`_dispatch`), and answers the small commands (invite, reminders);
account linking is its own feature (linking.py), asked first for every message.

Flow state lives in the store per chat, attachments waiting for "which KPI?" included (so a restart
keeps a half-finished report or a photo sent before its KPI was picked); nothing is kept in memory.
A submission is acknowledged only after the store has committed it.

Groups (handlers/audience.py, the one rule for every channel): codes are never asked for, made or typed in
a group (one line, ``CODE_IN_GROUP``; no invite or link code is created), and a button whose data carries
its card's owner (``audience.own_choices``, tagged by the channels) acts only for that owner; anyone else
gets "ปุ่มนี้เป็นของ …ค่ะ" and nothing is done. An invite made in chat expires after 7 days (shown, BE date).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

from scoring.model import Catalog

from . import audience, linking, texts
from .agreements import slots
from .context import CANCEL, Ctx, not_allowed, pick
from .flows import Flow, Step, where
from .flows import evidence as evidence_flow
from .flows import report as report_flow
from .flows.correction import Correction
from .flows.evidence import Evidence
from .flows.report import Report
from .messages import Incoming, Reply
from .nlu import Understanding, understand
from .permissions import ROLE_TH, allowed, units_in_scope
from .ports import InviteError, Renderer, Store
from .strangers import StrangerPace
from .views import charts, criteria, deadlines, files, missing, risk, score
from .views import evidence as evidence_view

SNOOZE_DAYS = (1, 30)  # a snooze is bounded: longer pauses are a mute

__all__ = ["Conversation", "Ctx", "SNOOZE_DAYS"]

StepHandler = Callable[[Ctx, dict[str, Any], str | None, str], "list[Reply] | None"]


INVITE_DAYS = timedelta(days=7)  # an invite made in chat expires (the CLI's default is 30 days)
MAX_TEXT = 2_000  # characters: longer messages are refused before understanding (issue 13)


class Conversation:
    def __init__(self, store: Store, catalogs: Mapping[str, Catalog], renderer: Renderer | None = None):
        self.store = store
        self.catalogs = catalogs
        self.renderer = renderer  # charts and files (bot/exports); None: text only
        self.report = Report(store, catalogs)
        self.strangers = StrangerPace()
        self.evidence = Evidence(store, catalogs)
        self.correction = Correction(self.report)
        # every state a flow can wait at, and what answers it (flows/report.py, flows/evidence.py, views/criteria.py)
        self.steps: dict[tuple[Flow, Step | None], StepHandler] = {
            **{(Flow.REPORT, step): self._bound(handler, self.report)
               for step, handler in report_flow.STEPS.items()},
            **{key: self._bound(handler, self.evidence) for key, handler in evidence_flow.STEPS.items()},
            (Flow.CRITERIA, Step.KPI): self._criteria_picked,
        }

    @staticmethod
    def _bound(handler: Callable[..., list[Reply] | None], flow: object) -> StepHandler:
        return lambda ctx, state, choice, text: handler(flow, ctx, state, choice, text)

    # -- entry -------------------------------------------------------------------------------
    def handle(self, msg: Incoming) -> list[Reply]:
        if len(msg.text) > MAX_TEXT:
            # refused before any understanding: a 10,000-character message would hold the conversation
            return [Reply(f"ข้อความยาวเกินไปค่ะ (ยาว {len(msg.text):,} ตัวอักษร รับได้ไม่เกิน {MAX_TEXT:,}) "
                          "กรุณาส่งเฉพาะผลงาน เช่น “รายงาน ตชว.1 เบิกจ่าย ๙๒.๕%”")]
        if msg.choice is not None:  # a card's button in a group acts only for the card's owner
            data, owner = audience.owner_of(msg.choice)
            if not audience.may_press(owner, msg.sender):
                holder = self.store.person_by_identity(msg.channel, owner or "")
                return [Reply(audience.button_of(holder.name if holder else None))]
            msg = replace(msg, choice=data)
        in_group = audience.chat_kind(msg.is_group)
        if in_group == "group" and (linking.asks_for_code(msg) or linking.is_redeem(msg)):
            return [Reply(audience.CODE_IN_GROUP)]  # a code in a group is everybody's (issue 13)
        person = self.store.person_by_identity(msg.channel, msg.sender)
        if person is None:  # a stranger: paced before anything else is looked up (handlers/strangers.py)
            pace = self.strangers.admit(msg.channel, msg.sender, msg.sent_at)
            if pace == "drop":
                return []
            if pace == "too_fast":
                return [Reply(self.strangers.too_fast(msg.channel, msg.sender, msg.sent_at))]
        linked = linking.redeem(self.store, msg)  # “เชื่อมบัญชี CODE” from anyone, on every channel
        if linked is not None:
            return linked
        today = msg.sent_at.date()
        if person is None:
            return self._unregistered(msg)
        unit = self.store.unit(person.unit_id)
        if unit is None:
            return [Reply("ไม่พบหน่วยงานของท่านในระบบ กรุณาติดต่อผู้ดูแลค่ะ")]
        if linking.asks_for_code(msg):
            return [linking.ask(self.store, msg, person)]
        state = self.store.get_state(msg.chat_key)
        flow = where(state)[0]
        drafting = flow == Flow.REPORT or (flow == Flow.AFTER_REPORT and bool(msg.attachments))
        if drafting and state and state.get("for_unit") and state["for_unit"] != unit.id:
            other = self.store.unit(state["for_unit"])  # a chief's report for a unit of theirs
            unit = other if other is not None else unit
        ctx = Ctx(msg, person, unit, today, slots(self.store, self.catalogs, unit, today))
        text = msg.text.strip()
        if state and (msg.choice is not None or msg.attachments or (text and not text.startswith("/"))):
            handled = self._continue(ctx, state, msg.choice, text)
            if handled is not None:
                return handled
        again = self.report.saved_card(ctx)  # ยืนยัน on a card already saved: its version, not "ไม่เข้าใจ"
        if again is not None:
            return again
        u = understand(text, [(s.catalog.id, s.kpi) for s in ctx.slots], today,
                       [x.name for x in self.store.units()], bool(msg.attachments))
        return self._dispatch(ctx, u)

    def _unregistered(self, msg: Incoming) -> list[Reply]:
        u = understand(msg.text, [], msg.sent_at.date())
        if u.intent == "register" and audience.answer_where(audience.chat_kind(msg.is_group), None, "code") != "here":
            return [Reply(audience.CODE_IN_GROUP)]
        if u.intent == "register":
            if not u.code:
                return [Reply("กรุณาพิมพ์รหัสเชิญต่อท้าย เช่น “ลงทะเบียน ABCD2345” ค่ะ")]
            try:
                person = self.store.redeem_invite(u.code, msg.channel, msg.sender,
                                                  msg.display_name or "ผู้ใช้", msg.sent_at)
            except InviteError as exc:
                if exc.reason == "throttled":
                    return [Reply(linking.throttled(exc.wait_minutes))]
                reason = {"unknown": "ไม่พบรหัสเชิญนี้", "used": "รหัสเชิญนี้ถูกใช้ไปแล้ว",
                          "expired": "รหัสเชิญนี้หมดอายุแล้ว", "revoked": "รหัสเชิญนี้ถูกยกเลิกแล้ว"}
                return [Reply(f"{reason.get(exc.reason, 'ใช้รหัสเชิญนี้ไม่ได้')} กรุณาขอรหัสใหม่จากผู้ดูแลค่ะ")]
            unit = self.store.unit(person.unit_id)
            return [Reply(f"ลงทะเบียนเรียบร้อยค่ะ คุณ{person.name} ({ROLE_TH.get(person.role, person.role)} "
                          f"{unit.name if unit else ''})\nพิมพ์ “วิธีใช้” เพื่อดูตัวอย่างคำสั่ง")]
        return [Reply(texts.HELP_UNREGISTERED)]

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
        if intent == "unknown" and ctx.slots:
            other = criteria.outside_report(self.store, self.catalogs, ctx, u.text)
            if other is not None:  # "กข.คจ. ทำทะเบียนครบแล้ว" from a unit that did not choose that KPI
                return [Reply(f"{other.short}: {criteria.not_in_agreement(other, ctx.unit)} จึงไม่ได้บันทึกค่ะ")]
        if intent in ("help", "unknown"):
            prefix = "" if intent == "help" else "ขออภัยค่ะ ยังไม่เข้าใจข้อความนี้\n"
            return [Reply(prefix + texts.HELP)]
        if intent == "cancel":
            self.store.set_state(ctx.msg.chat_key, None)
            return [Reply("ยกเลิกแล้วค่ะ")]
        if intent in evidence_view.VIEWS:  # "ดูหลักฐาน ตชว.1", "ขอไฟล์หลักฐาน ตชว.1", "ลบหลักฐาน ตชว.1 ไฟล์ที่ 2"
            if not ctx.msg.attachments:  # (a file sent with these words is still evidence); rights: the view's
                return evidence_view.VIEWS[intent](self.store, self.catalogs, ctx, u)
            intent = "evidence"
        if not allowed(ctx.person, intent):  # the overview's own right is checked by the score view
            return [not_allowed(ctx.person, intent)]
        view = {"score": partial(score.answer, renderer=self.renderer), "missing": partial(missing.answer, renderer=self.renderer),
                "deadlines": deadlines.answer, "criteria": criteria.answer, "risk": risk.answer,
                "trend": partial(risk.trend_answer, renderer=self.renderer),
                "chart": partial(charts.answer, renderer=self.renderer),
                "export": partial(files.answer, renderer=self.renderer)}.get(intent)
        if view is not None:
            return view(self.store, self.catalogs, ctx, u)
        handler: Callable[[Ctx, Understanding], list[Reply]] | None = {
            "report": self.report.start,
            "correct": self.correction.correct,
            "undo": self.correction.undo,
            "evidence": self.evidence.start,
            "invite": self._invite,
            "mute": self._reminders,
            "unmute": self._reminders,
            "snooze": self._reminders,
        }.get(intent)
        if handler is None:
            return [Reply(texts.HELP)]
        return handler(ctx, u)

    # -- follow-ups of a flow ----------------------------------------------------------------
    def _continue(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
        """The answer to the state the chat waits at (`self.steps`); None: not an answer, read afresh."""
        answer = choice if choice is not None else text
        if answer in (CANCEL, "ยกเลิก", "/cancel"):
            self.store.set_state(ctx.msg.chat_key, None)
            return [Reply("ยกเลิกแล้วค่ะ ไม่มีการบันทึก", edit=choice is not None)]
        flow, step, _arg = where(state)
        handler = self.steps.get((flow, step)) if flow is not None else None
        return None if handler is None else handler(ctx, state, choice, text)

    def _criteria_picked(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
        key = pick(state.get("candidates") or [], choice if choice is not None else text)
        return None if key is None else criteria.picked(self.store, self.catalogs, ctx, state, key)

    # -- admin and settings --------------------------------------------------------------------
    def _invite(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        role = next((n.split(":", 1)[1] for n in u.notes if n.startswith("role:")), "reporter")  # nlu.role_of
        unit = next((x for x in units_in_scope(self.store, ctx.person) if u.unit and x.name == u.unit), ctx.unit)
        if audience.answer_where(audience.chat_kind(ctx.msg.is_group), ctx.person.role, "code") != "here":
            return [Reply(audience.CODE_IN_GROUP)]  # no invite is made in a group
        expires = ctx.msg.sent_at + INVITE_DAYS
        code = self.store.create_invite(role, unit.id, created_by=ctx.person.id, expires_at=expires)
        return [Reply(f"รหัสเชิญ ({ROLE_TH[role]} {unit.name}): {code}\n"
                      f"ให้ผู้ได้รับเชิญพิมพ์ “ลงทะเบียน {code}” ในแชทส่วนตัวกับบอท "
                      f"(ใช้ได้ครั้งเดียว ถึง {texts.day_th(expires.date())})")]

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
        until = ctx.msg.sent_at + timedelta(days=days)
        self.store.set_reminders(ctx.person.id, "snoozed", until)
        return [Reply(f"เลื่อนการเตือนไป {days} วัน ถึง {texts.day_th(until.date())} ค่ะ "
                      "(พิมพ์ “เตือนได้แล้ว” เพื่อให้เตือนตามปกติก่อนกำหนด)")]
