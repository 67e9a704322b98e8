"""Milestones named in a message ("ทำทะเบียนหมู่บ้านครบแล้ว", "ส่งแผนแล้ว", "แผน ✔️ คณะทำงาน ✔️") -> the
KPI's step ids, so the checklist opens with them ticked.

A step is named when the message shares its distinctive words: the content words of the step's text
(and of its catalog `aliases`), each weighted by how few of the KPI's steps use it, after folding
everyday variants into one word (ทำแผน/จัดทำแผน/ส่งแผน -> แผน, ดำเนินการ -> ดำเนินงาน). A step is named
by one of its head words (the first two of its text: what it is about; or an acronym it names, MOU) with a weight of at least 0.5, or
by other shared words weighing at least 1.5. Pure.
"""

from __future__ import annotations

import re

from scoring.model import Kpi

from .text import basic, compact, tokenize

# everyday variants folded into the word the step texts use
_FOLD = [
    (re.compile(r"ดำเนินการ|ทำตาม|ขับเคลื่อนตาม"), "ดำเนินงาน"),
    (re.compile(r"อัปเดต|อัพเดท|อัพเดต|update"), "ปรับปรุง"),
    (re.compile(r"คณะทำงาน|แต่งตั้ง|ตั้งทีม"), " คณะทำงาน "),
    (re.compile(r"ประกาศเจตนารมณ์|ประกาศข้อตกลง|เจตนารมณ์|ปฏิญญา"), " ประกาศ "),
    (re.compile(r"ฐานข้อมูล|ทำฐาน"), " ฐานข้อมูล "),
    (re.compile(r"ทำแผน|จัดทำแผน|ส่งแผน|แผนงาน|แผนการ"), " แผน "),
    (re.compile(r"สรุปผล|สรุปและรายงาน|รายงานผล|เสนอ(?:ผู้บังคับบัญชา|นายอำเภอ)"), " รายงาน "),
    (re.compile(r"ถอดบทเรียน|บทเรียน"), " บทเรียน "),
]
_STOP = frozenset("""
การ ของ ที่ และ ใน ให้ ได้ มี ตาม ด้วย เป็น โดย ต่อ กับ ทุก ครบ ครบถ้วน แล้ว เสร็จ เรียบร้อย ร้อยละ ไม่น้อยกว่า ระดับ หน่วยงาน
อำเภอ จังหวัด ประจำ เดือน ปี ผล ทำ จัด ร่วม ร่วมกัน ทั้ง ระหว่าง หรือ ไป มา นี้ ซึ่ง เพื่อ แต่ละ ทราบ ผู้ ความ ต้อง
""".split())


_PUNCT = "()[]{}\"'“”‘’.,:;!?-/"
_COMMAND = re.compile(r"^\s*(?:/\w+|รายงาน|ส่งผล|แจ้งผล|ส่ง|บันทึกผล)\s+")


def _fold(text: str) -> str:
    text = basic(text).lower()
    for pattern, word in _FOLD:
        text = pattern.sub(word, text)
    return text


def _tokens(text: str) -> list[str]:
    out = []
    for tok in tokenize(_fold(text)):
        tok = compact(tok).strip(_PUNCT)  # "(MOU)" in a step's text is the word MOU
        if len(tok) >= 2 and tok not in _STOP and not tok.isdigit() and tok not in out:
            out.append(tok)
    return out


def _words(text: str) -> frozenset[str]:
    return frozenset(_tokens(text))


_CACHE: dict[int, tuple[Kpi, tuple[tuple[str, frozenset[str], frozenset[str]], ...]]] = {}


def _step_words(kpi: Kpi) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    """Per step, its distinctive words; built once per KPI object (catalogs are loaded once)."""
    hit = _CACHE.get(id(kpi))
    if hit is not None and hit[0] is kpi:
        return hit[1]
    rows = _build(kpi)
    if len(_CACHE) > 5000:
        _CACHE.clear()
    _CACHE[id(kpi)] = (kpi, rows)
    return rows


def _build(kpi: Kpi) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    """(step id, its words, its head words: the first two of its text, what the step is about)."""
    alias_words = frozenset().union(*(_words(a) for a in kpi.aliases)) if kpi.aliases else frozenset()
    rows: list[tuple[str, frozenset[str], frozenset[str]]] = []
    for step in kpi.rubric.steps:
        every = _tokens(step.th)
        tokens = [t for t in every if t not in alias_words]
        # an acronym the step names (MOU, IDP) names the step, even when it is also an alias of the KPI
        acronyms = frozenset(a.lower() for a in re.findall(r"(?<![A-Za-z])[A-Z]{2,6}(?![A-Za-z])", step.th))
        words = frozenset(tokens) | acronyms | frozenset().union(*(_words(a) for a in step.aliases))
        heads = frozenset(tokens[:2]) | acronyms | frozenset().union(*(_words(a) for a in step.aliases))
        rows.append((step.id, (words - alias_words) | acronyms, heads))
    return tuple(rows)


def named_steps(text: str, kpi: Kpi) -> list[str]:
    """The ids of the KPI's steps the message says (in catalog order)."""
    if not kpi.rubric.steps or not text:
        return []
    rows = _step_words(kpi)
    df: dict[str, int] = {}
    for _id, words, _heads in rows:
        for w in words:
            df[w] = df.get(w, 0) + 1
    text = _COMMAND.sub(" ", basic(text))  # "รายงาน กข.คจ." asks to report; it does not name the report step
    said = _words(text)
    flat = compact(_fold(text))
    named = []
    for step_id, words, heads in rows:
        shared = {w for w in words if w in said or (len(w) >= 4 and w in flat)}
        weight = sum(1 / df[w] for w in shared)
        if (shared & heads and weight >= 0.5) or weight >= 1.5:
            named.append(step_id)
    return named
