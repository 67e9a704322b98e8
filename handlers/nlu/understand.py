"""understand(): one message -> intent, KPI candidates, values, per-KPI drafts, period, unit.

Guarantees (measured on tests/handlers/corpus_staff.yaml, 699 messages as staff type them: 99.4 % fully
right, no needless question back, no card with a wrong level; median under 2 ms a message after warm-up):
- a report's numbers are placed in each KPI's inputs by meaning (see inputs.py); `reports` holds one
  draft per KPI the message names with its own numbers ("เบิกจ่าย 91 BPM 88" -> two drafts);
- `ask` is set when the right answer is a question back: a figure with no KPI (`fits` lists the KPIs it
  may be, likeliest first), a KPI reference that fits several, or a number no input takes with confidence;
- phone numbers, clock times, laughter (555), ordinals, meeting notices, chat and questions are not
  reports: questions about a KPI are `criteria` or `deadlines`, chat is `unknown` with "not_a_report".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from scoring.model import Kpi

from . import intents as I
from .answers import new_span
from .dates import DateMatch, find_dates
from .inputs import Placement, input_named, main_input, named_inputs, place
from .kpis import KpiRef, digit_aliases, find_number_refs, mentions, rank, set_hint_of
from .measures import FAMILIES, compatible, family, noise, unit_after
from .numbers import Found, Value, find_values
from .steps import named_steps
from .text import basic, clean, compact, unlist
from .units import find_unit


@dataclass
class Draft:
    """One KPI's figures read from a message (a message may carry several)."""

    kpi: KpiRef
    inputs: dict[str, Decimal]
    unplaced: list[Value] = field(default_factory=list)  # numbers not placed with confidence: ask for them
    dropped: list[tuple[str, Decimal]] = field(default_factory=list)  # raw numbers for derived inputs
    why: dict[str, str] = field(default_factory=dict)
    text: str = ""  # the part of the message it was read from (clean text)
    ignored: list[Value] = field(default_factory=list)  # numbers that fit none of the KPI's inputs
    steps: list[str] = field(default_factory=list)  # milestone steps the message says are done


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
    reports: list[Draft] = field(default_factory=list)  # per KPI, in the order named; [] when no KPI is clear
    fits: list[KpiRef] = field(default_factory=list)  # for a value with no KPI: the KPIs it may be, best first
    ask: bool = False  # the right answer is a question back (which KPI, which input)
    work: str = field(default="", repr=False)  # the clean text with dates, KPI numbers and noise masked
    found: list[Found] = field(default_factory=list, repr=False)  # the figures in `work`

    @property
    def kpi(self) -> KpiRef | None:
        """The top candidate when it is not tied with another."""
        return self.kpis[0] if self.kpis and not self.ambiguous else None


_CODE_AFTER = re.compile(
    r"(?:/start|/register|ลงทะเบียน|สมัคร(?:ใช้งาน|สมาชิก)?|register|รหัส(?:เชิญ)?|code|โค้ด|โค๊ด)\s*(?:ด้วย)?\s*(?:รหัส)?\s*"
    r"[:：=]?\s*(?P<code>[A-Za-z0-9][A-Za-z0-9\-]{3,39})(?![A-Za-z0-9\-])",
    re.IGNORECASE,
)
_CODE_ANY = re.compile(r"(?<![A-Za-z0-9\-])(?P<code>(?=[A-Za-z0-9\-]*\d)(?=[A-Za-z0-9\-]*[A-Za-z])"
                       r"[A-Za-z0-9][A-Za-z0-9\-]{4,39})(?![A-Za-z0-9\-])")
_DAYS = re.compile(r"(?<![\d.,])(?P<n>\d{1,4})\s*(?P<u>วัน|สัปดาห์|อาทิตย์|วีค|week|day|ชั่วโมง|ชม\.?)", re.IGNORECASE)
_TOMORROW = re.compile(r"พรุ่งนี้|tomorrow")
_ONE_WEEK = re.compile(r"(?:สัปดาห์|อาทิตย์|วีค)\s*(?:นึง|หนึ่ง|เดียว)|สัก\s*(?:สัปดาห์|อาทิตย์|วีค)")
_NEXT_WEEK = re.compile(r"(?:สัปดาห์|อาทิตย์|วีค)\s*หน้า|next\s*week")
_NEXT_MONTH = re.compile(r"เดือน\s*หน้า|next\s*month")


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
    raw = basic(unlist(text))
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
    # "ลงทะเบียน OTOP ได้ 1 กลุ่ม": a KPI's own word after ลงทะเบียน is not a code
    kpi_words = {w.upper() for _c, k in kpis for w in k.aliases if w.isascii()} if m else set()
    if m and m.group("code").upper() in kpi_words and command is None:
        m = None
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
    dated = False  # a date was written ("ส่งผลวันที่ 15 ใช่ไหม" asks about a deadline)
    event_period: str | None = None
    found_dates = find_dates(work, today)
    for i, d in enumerate(found_dates):
        dated = True
        base_date = bool(_BASE_DATE.search(work[max(0, d.start - 14):d.start])) \
            or bool(_COMPARED.search(work[max(0, d.start - 12):d.start])) \
            or _in_range(work, found_dates, i) \
            or bool(_DEADLINE_BEFORE.search(work[max(0, d.start - 20):d.start])) \
            or (bool(_AS_OF.search(work[max(0, d.start - 6):d.start])) and bool(_NOW.search(work[d.end:])))
        snapshot = base_date and bool(_AS_OF.search(work[max(0, d.start - 6):d.start])) \
            and bool(_NOW.search(work[d.end:])) and d.end - d.start >= len(_SNAPSHOT) + 2
        # "ประกาศเจตนารมณ์เมื่อวันที่ 5 ม.ค. 67", "ลงทะเบียนเมื่อ 28 พ.ค.": the day something was done, not
        # the month the figures are of (the day is kept: a step's or a date input's own)
        event_date = bool(_EVENT_DATE.search(work[max(0, d.start - 16):d.start]))
        if d.period and event_date and event_period is None:
            event_period = d.period  # kept for a KPI whose input is that date (its month is the report's)
        if d.period and period is None and not base_date and not event_date:
            period = d.period  # (not "ตั้งต้น ๑ ต.ค. ๖๔": the date of a base figure is no reporting period)
        if d.day and day is None:
            day = d.day
        work = _mask(work, d.start, d.end)
        if snapshot:
            # "ณ 1 ต.ค. 64 ยอด 1.35 ล้าน ตอนนี้เหลือ 9.8 แสน": the figure of the snapshot's date is the base one,
            # whatever word follows it; the date's place keeps that meaning for the inputs' labels
            work = work[:d.start + 1] + _SNAPSHOT + work[d.start + 1 + len(_SNAPSHOT):]

    # KPI numbers
    refs = find_number_refs(work, kpis)
    for r in refs:
        work = _mask(work, r.start, r.end)
    known = {str(k.number) for _c, k in kpis if k.number is not None}
    for r in refs:
        if r.number not in known:
            notes.append(f"unknown_kpi_number:{r.number}")

    # numbers that are not figures: phone numbers, times, laughter, ordinals, "2 ตัว"
    noisy = noise(work)
    for start, end, kind in noisy:
        work = _mask(work, start, end)
        notes.append(f"not_a_figure:{kind}")

    # day counts for snooze ("เลื่อนเตือน 3 วัน", "1 สัปดาห์")
    days: int | None = None
    flat_all = compact(work)
    pause = bool(I.PAUSE.search(flat_all))  # "งดเตือน", "ไม่ต้องเตือน", "พักเตือน"
    snoozy = (intent == "snooze") or pause or bool(dict(I.RULES)["snooze"].search(flat_all))
    if snoozy:
        dm = _DAYS.search(work)
        if dm:
            n = int(dm.group("n"))
            u = dm.group("u")
            days = n * 7 if u.lower() in ("สัปดาห์", "อาทิตย์", "วีค", "week") else n
            if u.startswith("ชั่วโมง") or u.startswith("ชม"):
                days = max(1, round(n / 24))
            work = _mask(work, dm.start(), dm.end())
            if intent is None and pause:
                intent = "snooze"  # "งดเตือน 3 วัน", "ไม่ต้องเตือน 2 วัน": a pause with a length (alone: mute)
        elif _ONE_WEEK.search(raw):
            days = 7  # "ไม่ต้องเตือนอาทิตย์นึงนะคะ"
            if intent is None and pause:
                intent = "snooze"
        elif _TOMORROW.search(work):
            days = 1
        elif _NEXT_WEEK.search(raw):
            days = 7  # "เลื่อนเตือนไปอาทิตย์หน้า"
        elif _NEXT_MONTH.search(raw):
            days = 30  # "ค่อยเตือนเดือนหน้า" (snooze is bounded to 30 days)

    # aliases written with digits ("ข้อ ๒๙"), then numbers
    work, alias_hits = digit_aliases(work, kpis)
    found = find_values(work)
    for f in reversed(found[1:]):
        if _REMARK.search(work[:f.start]) and found[0].end <= f.start:
            # "หนี้ 4.75% ครับ ต่ำกว่า 5 แล้ว": a figure compared with a threshold after it is given is no figure
            work = _mask(work, f.start, f.end)
            found.remove(f)
            notes.append("not_a_figure:threshold")
    if intent == "snooze" and days is None and len(found) == 1 and found[0].value.value == int(found[0].value.value):
        days = int(found[0].value.value)  # "/snooze 2"
        work = _mask(work, found[0].start, found[0].end)
        found = []
    values = [f.value for f in found]
    subject_text = work
    for f in reversed(found):
        subject_text = _mask(subject_text, f.start, f.end)

    # unit (the units a KPI's per-unit target table names are units too: 004's per-province table)
    units = _with_table_units(units, kpis)
    unit_hit = find_unit(subject_text, units) if units else None
    unit = unit_hit[0] if unit_hit else None
    if unit:
        subject_text = subject_text.replace(unit, " " * len(unit))

    # KPI candidates
    set_hint = set_hint_of(subject_text)
    candidates = rank(subject_text, refs, kpis, set_hint, alias_hits) if kpis else []
    candidates = _prefer_named_inputs(candidates, kpis, work, found)
    candidates = _prefer_first_named(candidates, kpis, subject_text, refs, work, found)
    ambiguous = len(candidates) > 1 and abs(candidates[0].score - candidates[1].score) < 1e-6

    # intent: slash command, keywords (KPI aliases blanked first), attachment, KPI + number
    by_inputs: tuple[list[Draft], list[KpiRef]] | None = None  # KPIs found from the figures' labels alone
    if intent is None:
        flat = compact(_blank_aliases(subject_text, candidates, kpis))
        intent = I.keyword_intent(flat)
        if intent in (None, "report", "score") and has_attachment:
            intent = "evidence"
        question = bool(_QUESTION.search(flat)) or "?" in raw or bool(_EITHER.search(compact(raw)))
        if intent == "register" and not code and candidates:
            intent = None  # "ลงทะเบียน OTOP ได้ 1 กลุ่ม": the KPI's own word, not registering with the bot
        if intent == "score" and not candidates and found and not question and _bare(_unit_out(work, unit), found):
            intent = "report"  # "ได้ 8 คะแนนค่ะ": a figure with no KPI, asked back
        if intent == "score" and candidates and found:
            # "BPM ได้ 84 จะได้ระดับอะไร": what level a figure gives; "ผลประเมิน 82 คะแนน": a report
            intent = "criteria" if question else "report"
        if intent == "report" and question and not found:
            # "ตชว.7 ต้องรายงานทุกวันที่เท่าไหร่": a question about reporting, not a report
            intent = "deadlines" if _WHEN.search(flat) or (dated and day) or _DAY_ASKED.search(raw) else ("criteria" if candidates else "help")
            notes.append("question")
        done_step = bool(candidates) and not ambiguous and not question and _done_activity(flat) \
            and (bool(named_steps(work, _kpi_of(candidates[0], kpis)))  # "ประชุม ศจพ.อ. นำเสนอปัญหาแล้ว"
                 or _reviewed_only(_kpi_of(candidates[0], kpis)))  # "พัฒนาตนเอง อบรม … จบแล้วครับ"
        held = _held_count(flat, work, found, candidates, ambiguous, question, kpis)
        chat_intents = (None, "report", "score", "deadlines", "criteria") + (() if has_attachment else ("evidence",))
        # (personal money words are read in the whole text: "ค่าไฟที่บ้าน" holds the energy KPI's word ค่าไฟ)
        relayed = bool(_RELAYED.search(compact(raw)))  # minutes and forwards: chat whatever they hold
        personal = bool(_PERSONAL.search(compact(raw))) or relayed
        addressed = bool(_VOCATIVE.match(compact(raw))) or bool(_VOCATIVE.match(raw)) \
            or (question and bool(_VOCATIVE_ASKING.match(raw)))
        if (_chatter(flat, noisy) or personal or addressed) and intent in chat_intents and not refs \
                and not (candidates and any(f.value.percent for f in found) and not personal) \
                and ((not done_step and not held) or relayed):
            notes.append("not_a_report")  # "เงินเดือนออกวันไหนน้า 555", "มีอบรม … ใครว่างไปได้บ้าง"
            intent = "chat"
        if intent == "evidence" and not has_attachment and not refs and _ELSEWHERE.search(flat):
            notes.append("not_a_report")  # "ส่งรูปงานกีฬาสีในไลน์กลุ่มแล้ว": photos shared elsewhere, not evidence
            intent = "chat"
        if intent in (None, "report") and not found and not refs and _TROUBLE.search(flat):
            notes.append("not_a_report")  # "BPM ล่มอีกแล้ว เข้าไม่ได้ตั้งแต่เช้า": a complaint, no report
            intent = "chat"
        if intent is None and candidates and not found and _NOW.search(flat):
            intent = "score"  # "ระดับ จปฐ. ตอนนี้"
        # ("ส่งหลักฐานการใช้จ่ายเงินยืมครบแล้ว" names a step; "รูปกิจกรรม… 3 รูป" sends photos)
        stepped = bool(candidates) and not ambiguous and not question and (intent in (None, "score") or (
            intent == "evidence" and not re.search(r"รูป|ภาพ|ไฟล์|แนบ|คลิป", flat))) \
            and not has_attachment and bool(named_steps(work, _kpi_of(candidates[0], kpis))) \
            and not any(kind == "laughter" for _s, _e, kind in noisy)
        if stepped:
            intent = "report"  # "กข.คจ. ทำทะเบียนหมู่บ้านครบแล้ว": a milestone done
            notes.append("steps_named")
        elif intent is None and done_step:
            intent = "report"  # "พัฒนาตนเอง อบรม … จบแล้วครับ": done, for a KPI a reviewer levels
            notes.append("done_named")
        if intent is None and candidates:
            if question:
                intent = "deadlines" if _WHEN.search(flat) or (dated and day) or _DAY_ASKED.search(raw) else "criteria"
                notes.append("question")
            elif ((_chatter(flat, noisy) or personal or addressed) and not held
                  and (not any(f.value.percent for f in found) or personal)) \
                    or (not found and not (day and not ambiguous and _takes_date(candidates[0], kpis))
                        and _talk(flat, candidates, kpis, subject_text)):
                # ("กลุ่มทอผ้าลงทะเบียน OTOP เมื่อ 3 ก.ค. 67": the day is the figure of a KPI whose input is a date)
                # ("คนที่อบรมแล้วมีรายได้เพิ่ม 90%": a KPI with a percent is a report, though อบรม is a chat word)
                notes.append("not_a_report")
            else:
                intent = "report"
        if intent is None and not candidates and found and not question and not _chatter(flat, noisy):
            if _bare(_unit_out(work, unit), found):
                intent = "report"  # a value with no KPI: ask which one
                notes.append("number_only")
            else:
                by_inputs = _by_inputs(work, found, kpis) if kpis else ([], [])
                if by_inputs[0]:
                    intent = "report"  # "ได้รับจัดสรร 3,200,000 บาท ใช้จ่ายแล้ว 2,980,000 บาท"
        if intent is None and not found and not noisy and not question:
            intent = I.fuzzy_intent(flat)
            if intent:
                notes.append("fuzzy_intent")
        if intent is None and has_attachment:
            intent = "evidence"
    intent = "unknown" if intent in (None, "chat") else intent
    if intent in ("mute", "unmute", "snooze", "help", "cancel", "register"):
        period = None  # "ไม่ต้องเตือนแล้ว เกษียณสิ้นเดือนนี้": a month in a request about the bot is no reporting period
    if intent == "unknown" and len(compact(work)) > 4:
        # the month of a bill or a meeting notice is not a reporting period (the day is kept); a date typed
        # alone ("16 พ.ค. 67", the answer to "งวดไหนคะ") keeps its period
        period = None
    if intent == "unknown":
        unit = None  # "เบตงอากาศเย็นสบาย": a place in chat is not a unit reported for

    if intent == "invite":
        role = I.role_of(compact(subject_text))
        if role:
            notes.append(f"role:{role}")
    if intent in ("score", "chart", "export", "risk", "missing") and I.ALL_UNITS.search(compact(subject_text)):
        notes.append("all_units")
    if intent == "export":
        notes.append("pdf" if re.search(r"pdf|พีดีเอฟ", compact(raw)) else "excel")
    if intent == "chart":
        flat_raw = compact(raw)
        kind = "trend" if refs or candidates else \
            "ranking" if re.search(r"อันดับ|ทุกอำเภอ|ทุกหน่วย|ทั้งจังหวัด|ranking", flat_raw) else "levels"
        notes.append(f"chart:{kind}")
    if has_attachment:
        notes.append("attachment")

    reports: list[Draft] = []
    fits: list[KpiRef] = []
    # "เกือบ 90", "ไม่ต่ำกว่า 80", "แสนกว่าบาท": a bound, not the figure: the KPI's input is asked for
    hedged = [f for f in found if _hedged(work, f)] if intent in ("report", "correct") else []
    if hedged:
        notes.append("not_a_figure:bound")
        found = [f for f in found if f not in hedged]
        by_inputs = None
    if intent in ("report", "correct", "evidence") and kpis:
        span = new_span(work) if intent == "correct" else None
        if candidates and not ambiguous and span is not None:
            # "จปฐ. เมื่อกี้พิมพ์ 12 ผิด ที่ถูก 13": only the new figure is the correction's
            reports = [_draft(work, [f for f in found if span[0] <= f.start < span[1]], candidates[0], kpis)]
        elif candidates and not ambiguous:
            reports = _drafts(work, subject_text, found, refs, candidates, kpis, set_hint, alias_hits)
        elif candidates and len({r.number for r in refs}) >= 2:
            # "ตัวชี้วัดทีม 1) 92% 2) 87%": each number is its own KPI's, though no single KPI is meant
            reports = _drafts(work, subject_text, found, refs, candidates, kpis, set_hint, alias_hits)
            if len(reports) >= 2:
                ambiguous = False
            else:
                reports = []
        elif not candidates and found and intent == "report":
            reports, fits = by_inputs if by_inputs is not None else _by_inputs(work, found, kpis)
            if reports:
                candidates = [r.kpi for r in reports]
                notes.append("kpi_from_inputs")
    if day is not None:
        for d in reports:
            _place_date(d, kpis, day)
        if period is None and event_period is not None and any(_takes_date(d.kpi, kpis) for d in reports):
            period = event_period  # "ลงทะเบียน OTOP เมื่อ 25 มิ.ย. 67": the registration's month
    if intent == "report" and len(reports) == 1 and not refs and _unit_elsewhere(work, found, reports[0], kpis):
        # "ประชาสัมพันธ์ครบ 3 ช่องทางแล้ว": the KPI the word names counts no channels; those that do are asked
        ambiguous = True
        fits = _by_inputs(work, found, kpis)[1]
        candidates = fits or candidates
        reports = []
    inputs: dict[str, Decimal] = dict(reports[0].inputs) if len(reports) == 1 else {}
    ask = intent == "report" and (ambiguous or (not candidates and bool(found)) or bool(hedged)
                                  or any(d.unplaced for d in reports))
    if intent == "criteria" and ambiguous and refs:
        ask = True  # "เกณฑ์ ตชว.3" where a team and an individual KPI are both number 3: which one

    return Understanding(intent, candidates, values, inputs, period, day, code, unit, days, ambiguous,
                         text, notes, reports, fits, ask, work, found)


_NOW = re.compile(r"ระดับ.*(?:ตอนนี้|ปัจจุบัน|ล่าสุด)|(?:ตอนนี้|ปัจจุบัน).*ระดับ")
_BOUND_BEFORE = re.compile(r"(?:เกือบ(?:จะ)?|ไม่ต่ำกว่า|ไม่น้อยกว่า|ไม่เกิน|เกินกว่า|มากกว่า|สูงกว่า"
                           r"|น้อยกว่า|ยังไม่ถึง|ไม่ถึง)\s*(?:ร้อยละ|ได้)?\s*$")
_BOUND_AFTER = re.compile(r"\s*(?:%|เปอร์เซ็นต์)?\s*(?:กว่า|ปลายๆ|ต้นๆ|กลางๆ|นิดๆ|หน่อยๆ)")


def _hedged(work: str, f: Found) -> bool:
    """A number said as a bound or a rough size ("เกือบ 95", "ไม่ต่ำกว่า 80", "แสนกว่าบาท", "90 ปลายๆ"):
    no figure to store; the card asks for the figure itself. (A figure said as approximate, "ประมาณ 90",
    is the figure; so is a minimum every item meets, "ทุกตัวมีอย่างน้อย 3 ช่องทาง".)"""
    return bool(_BOUND_BEFORE.search(work[max(0, f.start - 16):f.start])) or bool(_BOUND_AFTER.match(work, f.end))


def _unit_out(work: str, unit: str | None) -> str:
    """The text with the unit it names blanked ("ของพานทองตอนนี้ 87 ค่ะ" is a figure typed on its own)."""
    return work.replace(unit, " " * len(unit)) if unit else work


def _bare(work: str, found: list[Found]) -> bool:
    """A figure typed on its own ("92.5", "ได้ 88 ค่ะ", "ลดลงเหลือ 8%"), not a number inside a sentence
    ("ขับรถลงพื้นที่ 3 หมู่บ้าน เหนื่อยมาก")."""
    rest = work
    for f in reversed(found):
        rest = rest[:f.start] + " " + rest[f.end:]
    rest = re.sub(r"ลดลง|ลด|เหลือ|เพิ่มขึ้น|เพิ่ม|เป็น|ทำ|ได้|แล้ว|ตอนนี้|ล่าสุด|ครบ|เผยแพร่|ลงสื่อ|ประชาสัมพันธ์|ปชส|สะสม|รวม|ผล|ยอด|ร้อยละ|เปอร์เซ็นต์|เดือนนี้|ครับ|ค่ะ|คะ|นะ|จ้า|=|:|ส่งตัวเลข|ตัวเลข|ตัวชี้วัด|ตชว"
                  r"|kpi|ทีม|บุคคล|ราย|" + "|".join(sorted((w for ws in FAMILIES.values() for w in ws), key=len,
                                                       reverse=True)), "", compact(rest))
    return len(rest) <= 6


_EITHER = re.compile(r"\d(?:หรือ|รึ)\d|ระดับ\d*(?:หรือ|รึ)")  # "ได้ระดับ 4 หรือ 5": a question
_QUESTION = re.compile(r"เมื่อไหร่|เมื่อไร|หรือยัง|ไหม|มั้ย|มั๊ย|ป่าว|หรือเปล่า|รึเปล่า|เหรอ|หรอ|เท่าไหร่|เท่าไร|เท่าใด|อะไร|ยังไง|อย่างไร|กี่"
                       r"|(?:วัน|เดือน|ตัวชี้วัด|ตัว|อัน|ข้อ|ช่วง|เมื่อ|ครั้ง|ระดับ|หน่วยงาน|อำเภอ)ใด(?!ๆ)"
                       r"|ทำไม|ไหน|บ้าง|ได้ไหม|หรือไม่|ใช่ไหม|how|what|when|\?")
# "ลดลงจากเดือนก่อน", "ดีกว่าเดือนที่แล้ว", "เทียบกับ พ.ค.": the month compared with is no reporting period
_COMPARED = re.compile(r"(?:จาก|กว่า|เทียบ(?:กับ)?|เมื่อเทียบกับ)\s*$")
# "ณ 1 ต.ค. 64 = 1,284,600 บ. ปัจจุบันเหลือ 902,300 บ.": the dated figure is a snapshot, the report is of now
_REMARK = re.compile(r"(?:ต่ำกว่า|สูงกว่า|มากกว่า|น้อยกว่า|เกินกว่า|ไม่ถึง)\s*(?:เกณฑ์|เป้า(?:หมาย)?)?\s*(?:ร้อยละ)?\s*$")
_AS_OF = re.compile(r"ณ\s*(?:วันที่)?\s*$")
_EVENT_DATE = re.compile(r"เมื่อ\s*(?:วันที่)?\s*$")
_SNAPSHOT = "ตั้งต้น"  # the word a snapshot's date stands for (a base input's label)
_NOW = re.compile(r"ปัจจุบัน|ตอนนี้|ล่าสุด")
_RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|ถึง|จนถึง)\s*$")


def _in_range(text: str, dates: list[DateMatch], i: int) -> bool:
    """A month of a range ("แผน เม.ย.-ก.ย.", "มิ.ย.–ส.ค."): a span is no single reporting period."""
    d = dates[i]
    if d.kind == "time":
        return False
    before = dates[i - 1] if i > 0 else None
    after = dates[i + 1] if i + 1 < len(dates) else None
    return (after is not None and after.kind != "time" and bool(_RANGE_JOIN.match(text[d.end:after.start]))) or \
        (before is not None and before.kind != "time" and bool(_RANGE_JOIN.match(text[before.end:d.start])))


# "ส่งแล้ว ก่อนกำหนด 2 ก.ย.": the deadline's date is no reporting period
_DEADLINE_BEFORE = re.compile(r"(?:ก่อน|ภายใน|ทัน)\s*(?:กำหนด|เส้นตาย|deadline)\s*(?:ส่ง)?\s*(?:วันที่)?\s*$")
_BASE_DATE = re.compile(r"(?:ตั้งต้น|ยอดตั้งต้น|ต้นปี(?:งบ)?|ฐาน(?:เดิม)?|ยอดยกมา|ยกมา)\s*(?:ณ)?\s*(?:วันที่)?\s*$")
_DAY_ASKED = re.compile(r"วันที่\s*[\d๐-๙]{1,2}(?![\d๐-๙])")  # "ส่งผลวันที่ 15 ใช่ไหม": a question about a day
_WHEN = re.compile(r"วันไหน|วันที่เท่า|ทุกวันที่|เมื่อไหร่|เมื่อไร|กี่โมง|ถึงวัน|ภายในวัน|ภายในเดือน(?:ไหน|ใด)|เดือนใด|วันใด|เมื่อใด"
                   r"|กำหนด|ตัดยอด|deadline|when")
# words of chat, notices and personal remarks: a message with them and no report keyword is not a report
_CHAT = re.compile(r"อบรม|ประชุม|สัมมนา|ขอเชิญ|เชิญชวน|กำหนดการ|นัดหมาย|ศาลากลาง|ห้องประชุม|ขอบคุณ|ขอบใจ|สวัสดี"
                   r"|ฝันดี|อรุณสวัสดิ์|บัตรเครดิต|เงินเดือน|ส่วนตัว|ผมเอง|ของผม|ของฉัน|ของหนู|^ผม|ฉัน|หนี้บ้าน|ผ่อนรถ"
                   r"|ฮ่าๆ|ฮ่า|อิอิ|lol|ข่าวดี|ยินดีด้วย|ยินดีกับ|แจ้งเพื่อทราบ|กินข้าว|ไปเที่ยว|ใครว่าง|ไปด้วยกัน"
                   r"|ใครไป|ไปงาน|งานบวช|งานแต่ง|ลาป่วย|ลากิจ|อากาศ|องศา|ราคา|ฝากซื้อ|ดีใจ|เหนื่อย|ติดต่อ|เบี้ยเลี้ยง"
                   r"|ใครมีเบอร์|ขอเบอร์|โทรหา|ติดปัญหา|ขอไลน์|ใครรู้จัก|ดอกเบี้ย|สหกรณ์|ทำบุญ|กฐิน|ผ้าป่า|เลขบัญชี|โอนค่า|ค่าอาหารกลางวัน|เงินช่วยงาน|ซื้อรถ|ผ่อนบ้าน|ค่าไฟ(?:ที่)?บ้าน|ค่าน้ำ(?:ที่)?บ้าน|เปิดแอร์|ค่าเทอม|ยืมเงิน|ยืม(?:แม่|พ่อ|เพื่อน|พี่|น้อง)|แม่ผม|แม่ฉัน|แพงมาก"
                   # notices of events, praise passed on, lost things, money among colleagues
                   r"|ฝากประชาสัมพันธ์|ฝากปชส|ฝากแชร์|มหกรรม|เทศกาล|ขอเชิญชม|ฝากชม|ขอชม|ชื่นชม|เก่งมาก|ยอดเยี่ยม"
                   r"|ใครเห็น|หาไม่เจอ|ลืมไว้|ทำหาย|ค่าแชร์|เล่นแชร์|โอนเงิน|โอนภายใน|โอนให้|รถตู้|ย้ายไป|เสียดาย"
                   r"|ประกาศ(?!.*(?:ไหม|มั้ย|หรือยัง)).{0,30}ออกแล้ว")  # "ประกาศผล…ออกแล้ว": news, not a request
# a colleague addressed by name at the start ("น้องฝนคะ …", "พี่หนึ่งครับ …"): the message is to them, not the bot
_VOCATIVE = re.compile(r"^(?:น้อง|พี่)(?!ครับ|ค่ะ|คะ)[ก-๙a-z]{1,8}?(?:คะ|ครับ|ค่ะ|จ้า|จ๊ะ|ขา)"
                       r"|^ก๊ะ[ก-๙]{0,6}\s")  # "ก๊ะนะ …": a southern colleague addressed by name (raw text)
# "พี่คะ เบิกจ่ายของเราตอนนี้กี่เปอร์เซ็นต์แล้ว", "น้องๆ ใครรวมตัวเลข … แล้วบ้าง": a question put to colleagues
_VOCATIVE_ASKING = re.compile(r"^(?:พี่|น้อง)(?:ๆ|ทุกคน|ทั้งหลาย)?(?:คะ|ครับ|ค่ะ|ขา|จ้า|จ๊ะ)?(?:ๆ)?\s")
# forwarded figures, minutes and circulars: someone else's figures, chat even with a KPI word and a percent
_RELAYED = re.compile(r"^(?:ส่งต่อ|fwd|forward)|แจ้งเวียน|สรุปการประชุม|บันทึกการประชุม|รายงานการประชุม|มติที่ประชุม"
                      r"|ที่ประชุม(?:มีมติ|รับทราบ)|\(ที่มา|ที่มา:")  # (not "ทั้งประเทศ": a department's own scope)
# personal money matters: chat even with a percent ("ดอกเบี้ยสหกรณ์ออมทรัพย์ครูปีนี้ 5.2%")
_PERSONAL = re.compile(r"ดอกเบี้ย|สหกรณ์|บัตรเครดิต|เงินเดือน|ผ่อนรถ|ผ่อนบ้าน|หนี้บ้าน|ค่าเทอม|ค่าแชร์|เล่นแชร์|ค่าไฟ(?:ที่)?บ้าน|ค่าน้ำ(?:ที่)?บ้าน"
                       r"|ค่าสมทบ|งานเลี้ยง|คนละ\d+(?:บาท|(?=.*โอน))")  # "ค่าสมทบงานเลี้ยงเกษียณคนละ 300 โอน…"
_REPORTY = re.compile(r"ได้|แล้ว|ผล|ยอด|เดือน|=|%")


# photos put in a chat group's album or note, or a shared drive: shared with colleagues, not sent as evidence
_ELSEWHERE = re.compile(r"ไว้ในระบบ|ในระบบ(?:e|ติดตาม|ของกรม)|e-?project|อัลบั้ม|อัลบัม|โน้ต|โน๊ต|โน็ต|ไลน์กลุ่ม|กลุ่มไลน์|lineกลุ่ม|กลุ่มline|ทางไลน์|ทางline|ในไลน์|drive|ไดรฟ์|ไดร์ฟ|ไดรฟ"
                        r"|ไปโหลด|ไปเลือก|ไปดูใน")
_TROUBLE = re.compile(r"ล่ม|เข้าไม่ได้|เข้าระบบไม่ได้|ระบบช้า|ค้างอีกแล้ว|error|เออเร่อ")
_ACTIVITY = re.compile(r"อบรม|ประชุม|สัมมนา")
_DONE = re.compile(r"แล้ว|เรียบร้อย|เสร็จ|✅|✔")
_AHEAD = re.compile(r"พรุ่งนี้|มะรืน|หน้า|ขอเชิญ|เชิญ|นัด|กำหนดการ|(?<!ชั่ว)โมง|\d\s*น\.|ใคร|ไหม|มั้ย")


def _done_activity(flat: str) -> bool:
    """A meeting or training held as a KPI's step ("ประชุมสร้างความเข้าใจแล้ว"), not a notice of one: an
    activity word is the only chat word, the text says it is done, and nothing points ahead."""
    return bool(_ACTIVITY.search(flat)) and not _CHAT.search(_ACTIVITY.sub(" ", flat)) \
        and bool(_DONE.search(flat)) and not _AHEAD.search(flat)


def _reviewed_only(kpi: Kpi) -> bool:
    """A KPI a reviewer levels, with no figures and no steps to tick: saying it is done is its report."""
    return bool(kpi.rubric.reviewer) and not kpi.rubric.steps and not any(i.kind == "number" for i in kpi.inputs)


def _held_count(flat: str, work: str, found: list[Found], candidates: list[KpiRef], ambiguous: bool, question: bool,
                kpis: list[tuple[str, Kpi]]) -> bool:
    """An activity held, counted in the KPI's own unit ("กข.คจ. เดือนนี้จัดอบรมกรรมการ 1 กิจกรรม"): a report,
    though อบรม is a chat word; not a notice of one ahead ("อบรม 30 คน พรุ่งนี้ 9 โมง")."""
    if not candidates or ambiguous or question or not found or not _ACTIVITY.search(flat):
        return False
    if _CHAT.search(_ACTIVITY.sub(" ", flat)) or _AHEAD.search(flat):
        return False
    kpi = _kpi_of(candidates[0], kpis)
    if not any(i.kind == "number" for i in kpi.inputs):
        # a KPI a reviewer sets, with no figures ("พัฒนาตนเอง อบรม e-learning จบแล้ว 2 วิชา"): done is a report
        return kpi.rubric.reviewer and bool(_DONE.search(flat))
    return _unit_fits(work, found, kpi) > 0


def _chatter(flat: str, noisy: list[tuple[int, int, str]]) -> bool:
    """Chat, laughter, notices, personal remarks: not a report unless it says it is one."""
    if any(kind == "laughter" for _s, _e, kind in noisy):
        return True
    return bool(_CHAT.search(flat))


def _talk(flat: str, candidates: list[KpiRef], kpis: list[tuple[str, Kpi]], subject_text: str) -> bool:
    """A KPI named inside a longer sentence with no figure ("วันนี้ลงพื้นที่ OTOP กับชาวบ้าน") is talk; the KPI
    alone ("OTOP", "เบิกจ่าย ครับ", "รายงาน ตชว.3") starts a report."""
    rest = compact(_blank_aliases(subject_text, candidates, kpis))
    rest = re.sub(r"ตัวชี้วัด|ตชว|kpi|ที่|ข้อ|ทีม|บุคคล|ราย|ครับ|ค่ะ|คะ", "", rest)
    return len(rest) > 6 and not _REPORTY.search(rest)


def _drafts(work: str, subject_text: str, found: list[Found], refs: list, candidates: list[KpiRef],
            kpis: list[tuple[str, Kpi]], set_hint: str | None, alias_hits: dict) -> list[Draft]:
    """One draft per KPI named with its own numbers ("เบิกจ่าย 91 BPM 88"), else one for the top KPI."""
    top = candidates[0]
    marks = mentions(subject_text, refs, kpis)
    segments: list[tuple[int, frozenset[int]]] = []  # (start, KPI indexes), groups split by numbers
    as_unit: set[int] = set()  # parts that began at a KPI's word written as the unit of its own figure
    for m in marks:
        if segments and not any(segments[-1][0] <= f.start < m.start for f in found) \
                and not _milestone_part(work, segments[-1], m.start, kpis):
            start, owners = segments[-1]
            both = owners & m.kpis
            if len(segments) - 1 in as_unit:
                # "ข่าว 16 ข่าว จปฐ. 100": the word after 16 was its unit; the next KPI's word names this part
                as_unit.discard(len(segments) - 1)
                both = m.kpis
            segments[-1] = (start, both or (owners | m.kpis))
        else:
            if segments and m.kpis <= segments[-1][1] and any(
                    segments[-1][0] <= f.start and f.end <= m.start and not work[f.end:m.start].strip() for f in found):
                as_unit.add(len(segments))
            segments.append((m.start, m.kpis))
    drafts: list[Draft] = []
    starts: list[int] = []  # per draft, where its part of the text starts
    ends = {m.start: m.end for m in marks}
    taken: list[list[Found]] = []  # per draft, its figures
    if len(segments) >= 2:
        bounds = [s for s, _o in segments] + [len(work)]
        bounds[0] = 0
        for n, (_start, owners) in enumerate(segments):
            lo, hi = bounds[n], bounds[n + 1]
            own = [f for f in found if lo <= f.start < hi]
            if not own and not _milestone_part(work, (lo, owners), hi, kpis):
                continue
            pool = [kpis[i] for i in sorted(owners)]
            seg_refs = [r for r in refs if lo <= r.start < hi]
            ranked = rank(subject_text[lo:hi], [], pool, set_hint) if not seg_refs else \
                rank(subject_text[lo:hi], seg_refs, pool, set_hint)
            ranked = [r for r in ranked if any(r.kpi_id == c.kpi_id and r.catalog_id == c.catalog_id
                                               for c in candidates)] or ranked
            if not ranked or (len(ranked) > 1 and abs(ranked[0].score - ranked[1].score) < 1e-6):
                return [_draft(work, found, top, kpis)]  # a part names no single KPI: read as one report
            ref = ranked[0]
            if drafts and (drafts[-1].kpi.catalog_id, drafts[-1].kpi.kpi_id) == (ref.catalog_id, ref.kpi_id):
                # the same KPI named again ("โฟมลด 60 แก้วพลาสติกลด 45"): one draft from where it was first named
                taken[-1] = taken[-1] + own
                drafts[-1] = _draft(work[:hi], taken[-1], ref, kpis, starts[-1])
                continue
            said = compact(subject_text[_start:ends.get(_start, _start)])
            if drafts and own and _labels_of_previous(work, starts[-1], hi, taken[-1], own, drafts[-1], kpis, said):
                # "จปฐ. ได้ 99.2% ส่วนงบจัดเก็บเบิกไป 98.5%": เบิก names KPI 1, but here it labels the
                # previous KPI's own input (its collection budget spent)
                taken[-1] = taken[-1] + own
                drafts[-1] = _draft(work[:hi], taken[-1], drafts[-1].kpi, kpis, starts[-1])
                continue
            drafts.append(_draft(work[:hi], own, ref, kpis, lo))
            starts.append(lo)
            taken.append(own)
    if len(drafts) >= 2:
        return drafts
    return [_draft(work, found, top, kpis)]


def _labels_of_previous(work: str, lo: int, hi: int, had: list[Found], own: list[Found], prev: Draft,
                        kpis: list[tuple[str, Kpi]], said: str) -> bool:
    """Whether the words that name this part's KPI (`said`) are a label of the previous part's KPI's own
    inputs, and that KPI, read over both parts, places every figure, this part's by their labels."""
    kpi = _kpi_of(prev.kpi, kpis)
    if not said or not any(input_named(said, kpi, i.id) for i in kpi.inputs):
        return False
    trial = place(" " * lo + work[lo:hi], had + own, kpi)
    if trial.unplaced or len(trial.inputs) != len(had) + len(own):
        return False
    labelled = [v for k, v in trial.inputs.items() if trial.why.get(k) == "คำกำกับ" and input_named(said, kpi, k)]
    return all(f.value.value in labelled for f in own)


_PART_SEP = re.compile(r"[,;\n]|\s/\s|\sและ|\sส่วน")


def _milestone_part(work: str, segment: tuple[int, frozenset[int]], end: int, kpis: list[tuple[str, Kpi]]) -> bool:
    """"กข.คจ. ส่งสรุปผลให้นายอำเภอแล้ว, โคกหนองนา ถอดบทเรียน 1 บทเรียน": a part naming one KPI's milestones,
    set off by a comma (or และ), is that KPI's report though it has no figure."""
    start, owners = segment
    if len(owners) != 1 or not _PART_SEP.search(work[start:end]):
        return False
    (i,) = owners
    return bool(named_steps(work[start:end], kpis[i][1]))


def _takes_date(ref: KpiRef, kpis: list[tuple[str, Kpi]]) -> bool:
    """The KPI's input is a date (001 i5: the day an OTOP group registered)."""
    return any(i.kind == "date" for i in _kpi_of(ref, kpis).inputs)


def _place_date(d: Draft, kpis: list[tuple[str, Kpi]], day: date) -> None:
    """A KPI whose input is a date (001: the day an OTOP group registered) takes the date the message
    names ("ลงทะเบียน OTOP สำเร็จ 3 ก.ค. 67"); a count that only describes it ("ได้ 1 กลุ่ม") is no figure."""
    kpi = _kpi_of(d.kpi, kpis)
    dated = [i for i in kpi.inputs if i.kind == "date" and i.id not in d.inputs]
    if len(dated) != 1:
        return
    d.inputs[dated[0].id] = day  # type: ignore[assignment]  # a date input holds a date
    d.why[dated[0].id] = "วันที่"
    if d.unplaced and all(i.kind == "date" for i in kpi.inputs if i.id not in kpi.derive):
        d.ignored += d.unplaced
        d.unplaced = []


def read_for(u: Understanding, catalog_id: str, kpi: Kpi) -> Draft:
    """The message's figures placed in one KPI's inputs: after "ตัวชี้วัดไหนคะ" was answered."""
    ref = KpiRef(catalog_id, kpi.id, str(kpi.number) if kpi.number is not None else None, 1.0, "chosen")
    return _draft(u.work, u.found, ref, [(catalog_id, kpi)])


def _draft(work: str, found: list[Found], ref: KpiRef, kpis: list[tuple[str, Kpi]], start: int = 0) -> Draft:
    kpi = _kpi_of(ref, kpis)
    text = " " * start + work[start:]
    placement: Placement = place(text, found, kpi)
    steps = named_steps(text, kpi)
    if placement.unplaced and kpi.rubric.reviewer and not any(i.kind == "number" for i in kpi.inputs):
        # "พัฒนาตนเอง: ผ่าน 3 หลักสูตร รวม 24 ชม.": a KPI its reviewer scores takes no figures; they describe it
        placement.ignored += placement.unplaced
        placement.unplaced = []
    if steps and placement.unplaced:
        # "ทำแผนครอบคลุมคุณธรรม 5 ประการแล้ว": numbers inside a milestone describe it, they are not figures
        placement.ignored += placement.unplaced
        placement.unplaced = []
    return Draft(ref, placement.inputs, [f.value for f in placement.unplaced], placement.dropped, placement.why,
                 work[start:].strip(), [f.value for f in placement.ignored], steps)


def _by_inputs(work: str, found: list[Found], kpis: list[tuple[str, Kpi]]) -> tuple[list[Draft], list[KpiRef]]:
    """A message with figures but no KPI word ("ได้รับจัดสรร 3,200,000 บาท ใช้จ่ายแล้ว 2,980,000 บาท"): the KPI
    whose inputs its labelled numbers name, when exactly one does; else the KPIs the values fit, best first."""
    scored: list[tuple[float, int, Placement]] = []
    flat = compact(work)
    for i, (_cid, kpi) in enumerate(kpis):
        placement = place(work, found, kpi, alias_words=[])
        weight = {"ตัวเลขเดียวของตัวชี้วัด": 0.5, "หน่วย": 1.0, "คำเรียกตัวชี้วัด": 1.0}
        score = sum(weight.get(how, 2.0) for how in placement.why.values())
        # "เบิกไป 1,750,000 จากที่ได้มา 2,000,000": "X จาก Y" fits every part-of-base KPI; the inputs' own
        # words elsewhere in the message tell which one
        score += sum(0.5 for name in placement.inputs if input_named(flat, kpi, name))
        scored.append((score - len(placement.unplaced) * 0.25, i, placement))
    def bounded(i: int) -> int:
        """A percent of something (at most 100) is a likelier home for a bare figure than a growth."""
        main = main_input(kpis[i][1])
        spec = kpis[i][1].input(main) if main else None
        return 0 if spec is not None and spec.unit == "ร้อยละ" and spec.max is not None else 1

    scored.sort(key=lambda t: (-t[0], bounded(t[1]), 0 if "team" in kpis[t[1]][0] else 1, t[1]))
    fits = [KpiRef(kpis[i][0], kpis[i][1].id, str(kpis[i][1].number) if kpis[i][1].number is not None else None,
                   round(score, 4), "inputs") for score, i, p in scored if p.inputs and score > 0]
    labelled = bool(scored) and any(how == "คำกำกับ" for how in scored[0][2].why.values())
    if (len(found) >= 2 or labelled) and scored and scored[0][0] >= (4 if len(found) >= 2 else 2) \
            and not scored[0][2].unplaced and (
            len(scored) == 1 or scored[1][0] < scored[0][0]):
        score, i, placement = scored[0]
        ref = fits[0]
        return [Draft(ref, placement.inputs, [], placement.dropped, placement.why, work.strip())], fits
    return [], fits


_TABLE_UNITS: dict[tuple[int, ...], tuple[str, ...]] = {}


def _with_table_units(units: Sequence[str], kpis: list[tuple[str, Kpi]]) -> Sequence[str]:
    """The given units, then the units named by the KPIs' per-unit target tables ("ส่งแทน พมจ.หนองคาย")."""
    key = tuple(id(k) for _c, k in kpis)
    table = _TABLE_UNITS.get(key)
    if table is None:
        names: dict[str, None] = {}
        for _c, k in kpis:
            if k.targets is not None:
                names.update(dict.fromkeys(k.targets.units))
        table = tuple(names)
        if len(_TABLE_UNITS) > 512:
            _TABLE_UNITS.clear()
        _TABLE_UNITS[key] = table
    if not table:
        return units
    known = set(units)
    return [*units, *(u for u in table if u not in known)]


def _unit_elsewhere(work: str, found: list[Found], d: Draft, kpis: list[tuple[str, Kpi]]) -> bool:
    """A draft that took nothing, names no step, and left figures whose unit word (ช่องทาง, ครัวเรือน …) no
    input of its KPI is counted in, while another KPI's input is."""
    if d.inputs or d.steps or d.unplaced or not d.ignored:
        return False
    kpi = _kpi_of(d.kpi, kpis)
    if kpi.rubric.steps:
        return False  # a milestone KPI's numbers may describe its steps
    for f in found:
        after = unit_after(work, f.end)
        word = after[0] if after else None
        if word is None or family(word) is None or f.value.percent:
            continue
        if any(compatible(word, i.unit) for i in kpi.inputs if i.kind != "date"):
            return False
        if any(compatible(word, i.unit) and family(i.unit) is not None for _c, k in kpis if k is not kpi
               for i in k.inputs if i.kind != "date"):
            return True
    return False


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
    # (the words that named the KPIs are no input labels: "หนี้ 15" names two debt KPIs, labels neither's input)
    unnamed = _blank_aliases(work, tied, kpis, keep_length=True)
    named = {id(c): len(named_inputs(unnamed, found, _kpi_of(c, kpis), percent_by_unit=False)) for c in tied}
    best = max(named.values())
    if best == 0:
        # "กองทุนสตรีส่งยอดล่าสุด 2,350,000 บาท": of the KPIs the words fit, the one whose inputs the unit fits
        named = {id(c): _unit_fits(work, found, _kpi_of(c, kpis)) for c in tied}
        best = max(named.values())
    if best == 0 or list(named.values()).count(best) > 1:
        return candidates
    for c in tied:
        if named[id(c)] == best:
            c.score = round(c.score + 0.005, 4)
    return sorted(candidates, key=lambda c: -c.score)


def _unit_fits(work: str, found: list[Found], kpi: Kpi) -> int:
    """How many figures written with a unit word (บาท, ครัวเรือน, %) the KPI has an input of that unit for;
    0 when any such figure fits none of its inputs."""
    fits = 0
    for f in found:
        after = unit_after(work, f.end)
        word = "ร้อยละ" if f.value.percent else after[0] if after else None
        if word is None or family(word) is None:
            continue
        if not any(compatible(word, i.unit) for i in kpi.inputs if i.kind != "date"):
            return 0
        fits += 1
    return fits


def _prefer_first_named(candidates: list[KpiRef], kpis: list[tuple[str, Kpi]], text: str, refs: list,
                        work: str = "", found: Sequence[Found] = ()) -> list[KpiRef]:
    """Staff name the subject first ("กข.คจ. เรียกคืนเงินยืมได้ 22%", "โคกหนองนา ประชาสัมพันธ์ 3 ช่องทาง"): when
    the top candidates were found by different words, the KPI named first wins a close call."""
    if len(candidates) < 2 or refs or candidates[0].score - candidates[1].score > 0.08:
        return candidates
    marks = mentions(text, [], kpis)
    index = {(cid, k.id): i for i, (cid, k) in enumerate(kpis)}
    first: dict[int, int] = {}
    for m in marks:
        for i in m.kpis:
            first.setdefault(i, m.start)
    close = [c for c in candidates if candidates[0].score - c.score <= 0.08]
    where = {id(c): first.get(index.get((c.catalog_id, c.kpi_id), -1)) for c in close}
    placed = [c for c in close if where[id(c)] is not None]
    if len(placed) < 2:
        return candidates
    earliest = min(where[id(c)] for c in placed)
    winners = [c for c in placed if where[id(c)] == earliest]
    if len(winners) != 1 or winners[0] is candidates[0]:
        return candidates
    if found and _unit_fits(work, list(found), _kpi_of(candidates[0], kpis)) \
            and not _unit_fits(work, list(found), _kpi_of(winners[0], kpis)):
        return candidates  # "OTOP … Shop ชุมชนได้อีก 3 ร้านค้า": the figure's unit is the later KPI's
    winners[0].score = round(max(c.score for c in close) + 0.001, 4)
    return sorted(candidates, key=lambda c: -c.score)


def _blank_aliases(text: str, candidates: list[KpiRef], kpis: list[tuple[str, Kpi]], keep_length: bool = False
                   ) -> str:
    """Remove the matched KPIs' alias words so "แก้ไขปัญหาความยากจน" or "ส่งรายงาน" are not read as intents
    (`keep_length`: blanked with as many spaces, so that the figures' positions still hold)."""
    wanted = {(c.catalog_id, c.kpi_id) for c in candidates}
    aliases = sorted({a for cid, k in kpis if (cid, k.id) in wanted for a in k.aliases}, key=len, reverse=True)
    out = text
    for alias in aliases:
        alias = basic(alias)
        if len(alias) >= 4:
            out = re.sub(re.escape(alias), (lambda m: " " * len(m.group(0))) if keep_length else " ", out,
                         flags=re.IGNORECASE)
    return out


def warm_up() -> None:
    """Run the slow first pythainlp calls (tokenizer dictionary, number words) once, at start."""
    from .text import tokenize, words_to_number

    tokenize("รายงานตัวชี้วัดที่สามเบิกจ่ายเก้าสิบสองเปอร์เซ็นต์ครับ")
    words_to_number("สามพันห้าร้อย")
    understand("รายงาน ตชว.1 92.5% พ.ค. 68", [], date(2025, 6, 10))
