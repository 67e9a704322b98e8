"""understand(): one message -> intent, KPI candidates, values, named inputs, period, unit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from scoring.model import Kpi

from . import intents as I
from .dates import find_dates
from .inputs import named_inputs
from .kpis import KpiRef, digit_aliases, find_number_refs, rank, set_hint_of
from .numbers import Value, find_values
from .text import basic, clean, compact
from .units import find_unit


@dataclass
class Understanding:
    intent: str
    kpis: list[KpiRef]
    values: list[Value]
    inputs: dict[str, Decimal]
    period: str | None
    day: date | None
    code: str | None
    unit: str | None
    days: int | None
    ambiguous: bool
    text: str
    notes: list[str] = field(default_factory=list)

    @property
    def kpi(self) -> KpiRef | None:
        """The top candidate when it is not tied with another."""
        return self.kpis[0] if self.kpis and not self.ambiguous else None


_CODE_AFTER = re.compile(
    r"(?:/start|/register|ลงทะเบียน|สมัคร(?:ใช้งาน|สมาชิก)?|register|รหัส(?:เชิญ)?|code)\s*(?:ด้วย)?\s*(?:รหัส)?\s*"
    r"[:：=]?\s*(?P<code>[A-Za-z0-9][A-Za-z0-9\-]{3,39})(?![A-Za-z0-9\-])",
    re.IGNORECASE,
)
_CODE_ANY = re.compile(r"(?<![A-Za-z0-9\-])(?P<code>(?=[A-Za-z0-9\-]*\d)(?=[A-Za-z0-9\-]*[A-Za-z])"
                       r"[A-Za-z0-9][A-Za-z0-9\-]{4,39})(?![A-Za-z0-9\-])")
_DAYS = re.compile(r"(?<![\d.,])(?P<n>\d{1,3})\s*(?P<u>วัน|สัปดาห์|อาทิตย์|วีค|week|day|ชั่วโมง|ชม\.?)")
_TOMORROW = re.compile(r"พรุ่งนี้|tomorrow")


def _mask(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def understand(
    text: str,
    kpis: Sequence[tuple[str, Kpi]],
    today: date,
    units: Sequence[str] = (),
    has_attachment: bool = False,
) -> Understanding:
    """What a message says. `kpis` are (catalog id, KPI) pairs the sender may mean."""
    kpis = list(kpis)
    raw = basic(text)
    notes: list[str] = []
    intent: str | None = None
    code: str | None = None
    command = I.slash(raw)
    if command:
        intent, cmd, rest = command
        notes.append(f"command:/{cmd}")
        body = rest
    else:
        body = raw
        if raw.startswith("/"):
            notes.append("unknown_command:" + raw.split()[0])
    work = clean(body)

    # invite / register code (kept in its original case), then masked so it is not a value
    m = _CODE_AFTER.search(("/start " if command and command[1] in ("start", "register") else "") + body)
    if m and (command is None or command[0] == "register" or "รหัส" in body or "ลงทะเบียน" in body):
        code = m.group("code")
    elif command and command[0] == "register":
        m2 = _CODE_ANY.search(body) or re.search(r"(?P<code>\S{4,40})", body)
        code = m2.group("code") if m2 else None
    if code:
        pos = work.find(code)
        if pos >= 0:
            work = _mask(work, pos, pos + len(code))

    # dates and periods
    period: str | None = None
    day: date | None = None
    for d in find_dates(work, today):
        if d.period and period is None:
            period = d.period
        if d.day and day is None:
            day = d.day
        work = _mask(work, d.start, d.end)

    # KPI numbers
    refs = find_number_refs(work, kpis)
    for r in refs:
        work = _mask(work, r.start, r.end)
    known = {str(k.number) for _c, k in kpis if k.number is not None}
    for r in refs:
        if r.number not in known:
            notes.append(f"unknown_kpi_number:{r.number}")

    # day counts for snooze ("เลื่อนเตือน 3 วัน", "1 สัปดาห์")
    days: int | None = None
    flat_all = compact(work)
    snoozy = (intent == "snooze") or bool(dict(I.RULES)["snooze"].search(flat_all))
    if snoozy:
        dm = _DAYS.search(work)
        if dm:
            n = int(dm.group("n"))
            u = dm.group("u")
            days = n * 7 if u in ("สัปดาห์", "อาทิตย์", "วีค", "week") else n
            if u.startswith("ชั่วโมง") or u.startswith("ชม"):
                days = max(1, round(n / 24))
            work = _mask(work, dm.start(), dm.end())
        elif _TOMORROW.search(work):
            days = 1

    # aliases written with digits ("ข้อ ๒๙"), then numbers
    work, alias_hits = digit_aliases(work, kpis)
    found = find_values(work)
    if intent == "snooze" and days is None and len(found) == 1 and found[0].value.value == int(found[0].value.value):
        days = int(found[0].value.value)  # "/snooze 2"
        work = _mask(work, found[0].start, found[0].end)
        found = []
    values = [f.value for f in found]
    subject_text = work
    for f in reversed(found):
        subject_text = _mask(subject_text, f.start, f.end)

    # unit
    unit_hit = find_unit(subject_text, units) if units else None
    unit = unit_hit[0] if unit_hit else None
    if unit:
        subject_text = subject_text.replace(unit, " " * len(unit))

    # KPI candidates
    set_hint = set_hint_of(subject_text)
    candidates = rank(subject_text, refs, kpis, set_hint, alias_hits) if kpis else []
    candidates = _prefer_named_inputs(candidates, kpis, work, found)
    ambiguous = len(candidates) > 1 and abs(candidates[0].score - candidates[1].score) < 1e-6

    # intent: slash command, keywords (KPI aliases blanked first), attachment, KPI + number
    if intent is None:
        flat = compact(_blank_aliases(subject_text, candidates, kpis))
        intent = I.keyword_intent(flat)
        if intent in (None, "report", "score") and has_attachment:
            intent = "evidence"
        if intent is None and candidates:
            intent = "report"
        if intent is None:
            intent = I.fuzzy_intent(flat)
            if intent:
                notes.append("fuzzy_intent")
        if intent is None and has_attachment:
            intent = "evidence"
        if intent is None and values and not candidates:
            notes.append("number_only")
    intent = intent or "unknown"

    if intent == "invite":
        role = I.role_of(compact(subject_text))
        if role:
            notes.append(f"role:{role}")
    if intent == "score" and I.ALL_UNITS.search(compact(subject_text)):
        notes.append("all_units")
    if has_attachment:
        notes.append("attachment")

    inputs: dict[str, Decimal] = {}
    if candidates and not ambiguous:
        inputs = named_inputs(work, found, _kpi_of(candidates[0], kpis))

    return Understanding(intent, candidates, values, inputs, period, day, code, unit, days, ambiguous,
                         text, notes)


def _kpi_of(ref: KpiRef, kpis: list[tuple[str, Kpi]]) -> Kpi:
    return next(k for cid, k in kpis if cid == ref.catalog_id and k.id == ref.kpi_id)


def _prefer_named_inputs(candidates: list[KpiRef], kpis: list[tuple[str, Kpi]], work: str, found: list
                         ) -> list[KpiRef]:
    """Among tied top candidates, the one whose inputs the message names ("overdue=...") wins."""
    if len(candidates) < 2 or not found:
        return candidates
    top = candidates[0].score
    tied = [c for c in candidates if abs(c.score - top) < 1e-6]
    if len(tied) < 2:
        return candidates
    named = {id(c): len(named_inputs(work, found, _kpi_of(c, kpis), percent_by_unit=False)) for c in tied}
    best = max(named.values())
    if best == 0 or list(named.values()).count(best) > 1:
        return candidates
    for c in tied:
        if named[id(c)] == best:
            c.score = round(c.score + 0.005, 4)
    return sorted(candidates, key=lambda c: -c.score)


def _blank_aliases(text: str, candidates: list[KpiRef], kpis: list[tuple[str, Kpi]]) -> str:
    """Remove the matched KPIs' alias words so "แก้ไขปัญหาความยากจน" or "ส่งรายงาน" are not read as intents."""
    wanted = {(c.catalog_id, c.kpi_id) for c in candidates}
    aliases = sorted({a for cid, k in kpis if (cid, k.id) in wanted for a in k.aliases}, key=len, reverse=True)
    out = text
    for alias in aliases:
        alias = basic(alias)
        if len(alias) >= 4:
            out = re.sub(re.escape(alias), " ", out, flags=re.IGNORECASE)
    return out


def warm_up() -> None:
    """Run the slow first pythainlp calls (tokenizer dictionary, number words) once, at start."""
    from .text import tokenize, words_to_number

    tokenize("รายงานตัวชี้วัดที่สามเบิกจ่ายเก้าสิบสองเปอร์เซ็นต์ครับ")
    words_to_number("สามพันห้าร้อย")
    understand("รายงาน ตชว.1 92.5% พ.ค. 68", [], date(2025, 6, 10))
