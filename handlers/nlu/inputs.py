"""Named inputs: "ช่องทาง 3 โพสต์ 4", "3 ช่องทาง 4 ครั้ง", "overdue=489204.87, total=33109323.18",
"ลูกหนี้คงเหลือ 33,109,323.18 หนี้เกินกำหนด 489,204.87" -> the KPI's input ids."""

from __future__ import annotations

import re
from decimal import Decimal

from scoring.model import Input, Kpi

from .numbers import Found
from .text import basic, compact, tokenize

PERCENT_UNITS = ("ร้อยละ", "%", "เปอร์เซ็นต์")
# extra words staff use for an input, keyed by words of its id, unit or name
SYNONYMS: dict[str, tuple[str, ...]] = {
    "posts": ("โพสต์", "โพส", "post", "เผยแพร่", "ลงเพจ", "แชร์"),
    "ครั้ง": ("ครั้ง", "รอบ"),
    "channels": ("ช่องทาง", "channel", "ช่อง", "เพจ", "platform"),
    "ช่องทาง": ("ช่องทาง", "ช่อง"),
    "growth": ("รายได้เพิ่ม", "เพิ่มขึ้น", "โต", "growth", "รายได้"),
    "overdue": ("ค้างชำระ", "เกินกำหนด", "หนี้ค้าง", "overdue", "หนี้เสีย", "b"),
    "total": ("ลูกหนี้คงเหลือ", "คงเหลือ", "ลูกหนี้ทั้งหมด", "หนี้ทั้งหมด", "total", "a"),
    "spent": ("ใช้จ่าย", "เบิกจ่าย", "เบิกได้", "จ่ายได้", "ใช้ไป", "เบิกไป", "spent"),
    "allocated": ("จัดสรร", "ได้รับ", "งบทั้งหมด", "ทั้งหมด", "วงเงิน", "allocated", "budget"),
    "households": ("ครัวเรือน", "หลังคาเรือน", "ราย", "คน"),
    "members": ("สมาชิก", "สมัคร", "members"),
    "women": ("สตรี", "ผู้หญิง", "women"),
    "media": ("สื่อ", "ชิ้น", "คลิป", "media"),
    "places": ("แห่ง", "ชุมชนท่องเที่ยว", "cddพาเที่ยว", "พาเที่ยว", "places"),
    "shops": ("ร้านค้า", "ร้าน", "shopชุมชน", "shop", "shops"),
    "activities": ("กิจกรรม", "activities", "activity"),
    "lessons": ("บทเรียน", "bestpractice", "lessons"),
    "passed": ("ผ่านเกณฑ์", "ผ่าน", "passed"),
    "percent": PERCENT_UNITS,
}
_PAIR = re.compile(r"(?P<key>[A-Za-z][A-Za-z0-9_]*)\s*[=:：]\s*$")
_GENERIC = frozenset({"ร้อยละ", "จำนวน", "ของ", "การ", "ที่", "และ", "ได้", "ใน", "ทั้ง", "ปี", "ให้", "จาก"})


_LEXICONS: dict[tuple[int, str], tuple[Kpi, list[str]]] = {}


def _lexicon(inp: Input, kpi: Kpi) -> list[str]:
    """The lexicon of an input, built once per KPI object (catalogs are loaded once and not changed)."""
    key = (id(kpi), inp.id)
    hit = _LEXICONS.get(key)
    if hit is not None and hit[0] is kpi:
        return hit[1]
    if len(_LEXICONS) > 20_000:
        _LEXICONS.clear()
    words = _build_lexicon(inp, kpi)
    _LEXICONS[key] = (kpi, words)  # the KPI is kept alive with its entry, so its id is not reused
    return words


def _build_lexicon(inp: Input, kpi: Kpi) -> list[str]:
    """Words that name an input: its id, unit, curated synonyms, and words of its name that do not
    merely name the KPI (an alias like "นวัตวิถี" says which KPI, not which of its inputs)."""
    words: set[str] = {inp.id.lower()}
    if inp.unit:
        words.add(compact(inp.unit))
    words.update(compact(w) for w in SYNONYMS.get(inp.id, ()))
    if inp.unit:
        words.update(compact(w) for w in SYNONYMS.get(inp.unit, ()))
    aliases = [compact(basic(a)) for a in kpi.aliases]
    name = re.sub(r"\(.*?\)", " ", basic(inp.name))
    for tok in tokenize(name):
        tok = compact(tok)
        if len(tok) >= 3 and tok not in _GENERIC and not tok.isdigit() and not any(tok in a for a in aliases):
            words.add(tok)
    return sorted(words, key=len, reverse=True)


def _is_percent(inp: Input) -> bool:
    return (inp.unit or "") in PERCENT_UNITS


def _match(segment: str, inp: Input, lex: list[str]) -> int:
    """How well a label names an input: the length of the longest lexicon word it contains."""
    flat = compact(segment)
    for word in lex:
        if len(word) <= 1:
            if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", segment.lower()):
                return 1
            continue
        if word in flat:
            return len(word)
    return 0


def named_inputs(text: str, found: list[Found], kpi: Kpi, percent_by_unit: bool = True) -> dict[str, Decimal]:
    """Values in `found` whose label (the words before) or unit (the word after) names an input."""
    if not kpi.inputs or not found:
        return {}
    lex = {inp.id: _lexicon(inp, kpi) for inp in kpi.inputs if inp.kind == "number"}
    inputs = [inp for inp in kpi.inputs if inp.id in lex]
    result: dict[str, Decimal] = {}
    # 1. key=value with the input id
    rest: list[int] = []
    for n, f in enumerate(found):
        m = _PAIR.search(text[max(0, f.start - 40):f.start])
        if m and kpi.input(m.group("key").lower()) is not None:
            result[m.group("key").lower()] = f.value.value
        else:
            rest.append(n)
    # 2. labels before or units after: try both styles, keep the one that names more inputs
    befores, afters = [], []
    for idx, n in enumerate(rest):
        f = found[n]
        prev_end = found[rest[idx - 1]].end if idx else 0
        next_start = found[rest[idx + 1]].start if idx + 1 < len(rest) else len(text)
        befores.append(text[prev_end:f.start])
        after = text[f.end:next_start].strip()
        afters.append(after.split(" ")[0] if after else "")
    best: dict[str, Decimal] = {}
    best_strength = 0
    for labels in (befores, afters):
        chosen, strength = _assign([found[n] for n in rest], labels, inputs, lex, percent_by_unit)
        if (len(chosen), strength) > (len(best), best_strength):
            best, best_strength = chosen, strength
    for key, value in best.items():
        result.setdefault(key, value)
    return result


def _assign(values: list[Found], labels: list[str], inputs: list[Input], lex: dict[str, list[str]],
            percent_by_unit: bool) -> tuple[dict[str, Decimal], int]:
    pairs: list[tuple[int, int, str]] = []  # (-strength, value index, input id)
    single_percent = sum(1 for inp in inputs if _is_percent(inp)) == 1
    for v, (f, label) in enumerate(zip(values, labels, strict=True)):
        for inp in inputs:
            if f.value.percent != _is_percent(inp):
                continue
            strength = _match(label, inp, lex[inp.id])
            if f.value.percent and not strength and single_percent and percent_by_unit:
                strength = 1  # "92.5%" names the KPI's one percent input by its unit
            if strength:
                pairs.append((-strength, v, inp.id))
    pairs.sort()
    used_v: set[int] = set()
    out: dict[str, Decimal] = {}
    total = 0
    for s, v, key in pairs:
        if v in used_v or key in out:
            continue
        out[key] = values[v].value.value
        used_v.add(v)
        total -= s
    return out, total
