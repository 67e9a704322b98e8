"""The evidence flow: photos and files kept for a unit's KPI and period.

States and transitions (stored per chat, see handlers.flows; `STEPS` maps each state to its handler):
  files with a clear KPI ────────────────────────────▶ saved ─▶ after_report
  files, KPI unclear ─▶ evidence/kpi ── k:N ─────────▶ saved ─▶ after_report
  a report saved (flows.report) ─▶ after_report ── files ─▶ saved for that KPI and period ─▶ after_report
  cancel at any state ─▶ no state; files kept while waiting are not recorded as evidence.

While "which KPI?" waits, the files are already kept by the store (`keep_file`, content-addressed under
their sha256, the same place evidence lives) and the state names them, so a restart between the photo
and the pick loses nothing. Nothing of this flow lives in process memory.

Files are read through `Attachment.read`, at most `EVIDENCE_MAX_BYTES` + 1 bytes (so an oversized file is
known by what arrived, whatever size it claimed). The store decides what it accepts (bot/store/evidence.py)
and raises `EvidenceRefused` for the rest: such a file is not kept, and the reply says why and what is
accepted (`ACCEPTED`); the state stays as it was, so the next good file still finds its KPI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from scoring.model import Catalog

from .. import texts
from ..agreements import evaluate_submission, latest, period_for
from ..context import Ctx, kpi_choices, pick
from ..messages import Reply
from ..nlu import Understanding
from ..ports import EVIDENCE_MAX_BYTES, EvidenceRefused, Store
from . import Flow, Step

File = tuple[Callable[[], bytes], str | None, str | None]  # bytes loader, file name, mime hint
ACCEPTED = "รับเฉพาะรูปภาพ JPEG, PNG, WebP, HEIC หรือไฟล์ PDF ไม่เกิน 20 MB ค่ะ"


def refused_reply(refusals: list[tuple[str | None, EvidenceRefused]], files: int) -> str:
    """One line per refused file (named when the message had several), then what is accepted."""
    lines = []
    for name, err in refusals:
        named = f" “{name[:40]}”" if name and files > 1 else ""
        lines.append(f"ขออภัยค่ะ ไม่ได้เก็บไฟล์{named} เพราะ{err.reason_th}")
    return "\n".join([*lines, ACCEPTED])


def expecting(ctx: Ctx, key: str, period: str) -> dict[str, Any]:
    """The state after a report or evidence: files sent next belong to this KPI (and the unit it was for)."""
    state: dict[str, Any] = {"flow": Flow.AFTER_REPORT.value, "slot": key, "period": period}
    if ctx.unit.id != ctx.person.unit_id:
        state["for_unit"] = ctx.unit.id
    return state


class Evidence:
    def __init__(self, store: Store, catalogs: Mapping[str, Catalog]):
        self.store = store
        self.catalogs = catalogs

    def start(self, ctx: Ctx, u: Understanding) -> list[Reply]:
        if not ctx.msg.attachments:
            return [Reply("ส่งรูปหรือไฟล์หลักฐานมาได้เลยค่ะ พร้อมคำบรรยาย เช่น “หลักฐาน ตชว.1”")]
        keys = [f"{r.catalog_id}/{r.kpi_id}" for r in u.kpis if ctx.slot(f"{r.catalog_id}/{r.kpi_id}")]
        if len(keys) == 1 or (keys and not u.ambiguous):
            return self.save(ctx, keys[0], u.period)
        candidates = keys or [s.key for s in ctx.slots]
        held: list[dict[str, Any]] = []
        refusals: list[tuple[str | None, EvidenceRefused]] = []
        for att in ctx.msg.attachments:
            try:
                sha = self.store.keep_file(att.read(EVIDENCE_MAX_BYTES + 1), att.file_name, att.mime)
            except EvidenceRefused as err:
                refusals.append((att.file_name, err))
                continue
            held.append({"sha256": sha, "name": att.file_name, "mime": att.mime})
        refused = [Reply(refused_reply(refusals, len(ctx.msg.attachments)))] if refusals else []
        if not held:
            return refused
        self.store.set_state(ctx.msg.chat_key, {"flow": Flow.EVIDENCE.value, "awaiting": Step.KPI.value,
                                                "candidates": candidates, "files": held})
        return [*refused, Reply("หลักฐานนี้ของตัวชี้วัดไหนคะ", kpi_choices(ctx, candidates))]

    def _files(self, ctx: Ctx, state: dict[str, Any] | None) -> list[File]:
        """The message's own files, else those kept while "which KPI?" waited."""
        if ctx.msg.attachments:
            return [(lambda att=att: att.read(EVIDENCE_MAX_BYTES + 1), att.file_name, att.mime)
                    for att in ctx.msg.attachments]
        out: list[File] = []
        for f in (state or {}).get("files") or []:
            sha = str(f.get("sha256") or "")
            out.append((lambda sha=sha: self.store.kept_file(sha), f.get("name"), f.get("mime")))
        return out

    def save(self, ctx: Ctx, key: str, period: str | None, state: dict[str, Any] | None = None) -> list[Reply]:
        slot = ctx.slot(key)
        files = self._files(ctx, state)
        if slot is None or not files:
            self.store.set_state(ctx.msg.chat_key, None)
            return [Reply("ไม่พบไฟล์หลักฐาน กรุณาส่งใหม่อีกครั้งค่ะ")]
        period = period or period_for(slot.kpi, ctx.today)
        saved = []
        refusals: list[tuple[str | None, EvidenceRefused]] = []
        for load, name, mime in files:
            try:
                data = load()
            except (FileNotFoundError, KeyError):
                continue  # a kept file gone from disk: reported below as not found
            try:
                saved.append(self.store.add_evidence(
                    data, person_id=ctx.person.id, unit_id=ctx.unit.id, catalog_id=slot.catalog.id,
                    kpi_id=slot.kpi.id, period=period, received_at=ctx.msg.sent_at, file_name=name,
                    mime_hint=mime))
            except EvidenceRefused as err:
                refusals.append((name, err))
        refused = [Reply(refused_reply(refusals, len(files)))] if refusals else []
        if refusals and not saved:
            if state is not None:  # kept files now refused (kept before these checks): nothing left to pick
                self.store.set_state(ctx.msg.chat_key, None)
            return refused
        if not saved:
            self.store.set_state(ctx.msg.chat_key, None)
            return [Reply("ไม่พบไฟล์หลักฐาน กรุณาส่งใหม่อีกครั้งค่ะ")]
        self.store.set_state(ctx.msg.chat_key, {"flow": Flow.AFTER_REPORT.value, "slot": key, "period": period})
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
        return [*refused, Reply("\n".join(lines))]

    # -- the steps (see STEPS) ------------------------------------------------------------------
    def picked(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
        """The answer to "หลักฐานนี้ของตัวชี้วัดไหนคะ": the kept files saved for that KPI."""
        key = pick(state.get("candidates") or [], choice if choice is not None else text)
        return None if key is None else self.save(ctx, key, None, state)

    def attached(self, ctx: Ctx, state: dict[str, Any], choice: str | None, text: str) -> list[Reply] | None:
        """Files right after a report: that report's KPI and period. Anything else is read afresh."""
        if not ctx.msg.attachments:
            return None
        return self.save(ctx, state["slot"], state["period"])


StepHandler = Callable[[Evidence, Ctx, dict[str, Any], str | None, str], "list[Reply] | None"]

STEPS: dict[tuple[Flow, Step | None], StepHandler] = {  # the evidence states and what answers them
    (Flow.EVIDENCE, Step.KPI): Evidence.picked,
    (Flow.AFTER_REPORT, None): Evidence.attached,
}
