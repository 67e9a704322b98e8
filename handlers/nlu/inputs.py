"""Numbers go to a KPI's inputs by meaning, not by position.

Each number carries what stands around it: its unit word ("24 ครัวเรือน", "1,234,567 บาท", "92.5%"), its
label words ("ได้รับจัดสรร 3,200,000", "สมัครใหม่ 1,250 คน"), and its role in "X จาก Y" / "X/Y" (X is the
numerator of the KPI's derived percent, Y the denominator). These are matched against the KPI's inputs
(id, `unit`, name words, curated synonyms). Guarantees:

- a number never goes into an input whose unit contradicts it (a count into a percent, baht into a
  percent, a percent into a count) or whose min/max it breaks (1,250 is not a percent of at most 100);
- a derived input (a percent the catalog derives from counts or amounts) is never set from a raw number
  when its sources were given: the raw number is reported as dropped;
- a bare number after a KPI whose main input is a percent is that percent; a bare number for a KPI with
  one input is that input; otherwise a number that cannot be placed with confidence is returned as
  `unplaced`, so the conversation asks for it by name instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from scoring.evaluate import primary_input
from scoring.model import Input, Kpi

from .measures import compatible, family, is_generic, unit_after
from .numbers import Found
from .text import basic, compact, tokenize

PERCENT_UNITS = ("ร้อยละ", "%", "เปอร์เซ็นต์")
# extra words staff use for an input, keyed by words of its id, unit or name
SYNONYMS: dict[str, tuple[str, ...]] = {
    "posts": ("โพสต์", "โพส", "post", "เผยแพร่", "ลงเพจ", "แชร์"),
    "ครั้ง": ("ครั้ง", "รอบ"),
    "channels": ("ช่องทาง", "channel", "ช่อง", "เพจ", "platform"),
    "ช่องทาง": ("ช่องทาง", "ช่อง"),
    "growth": ("รายได้เพิ่ม", "เพิ่มขึ้น", "โต", "growth", "รายได้", "ยอดขาย"),
    "overdue": ("ค้างชำระ", "เกินกำหนด", "หนี้ค้าง", "overdue", "หนี้เสีย", "b"),
    "total": ("ลูกหนี้คงเหลือ", "คงเหลือ", "ลูกหนี้ทั้งหมด", "หนี้ทั้งหมด", "total", "a"),
    "spent": ("ใช้จ่าย", "เบิกจ่าย", "เบิกได้", "จ่ายได้", "ใช้ไป", "เบิกไป", "spent", "จ่ายไป", "ใช้แล้ว", "เบิก"),
    "allocated": ("จัดสรร", "ได้รับ", "ได้มา", "ได้งบ", "งบที่ได้", "งบทั้งหมด", "ทั้งหมด", "วงเงิน", "allocated", "budget", "งบประมาณทั้งหมด"),
    "households": ("ครัวเรือน", "หลังคาเรือน", "ราย", "คน"),
    "members": ("สมาชิก", "สมัคร", "members", "สมาชิกใหม่"),
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
_TARGET_BEFORE = re.compile(r"เป้า(?:หมาย)?\s*[=:]?\s*$")
_PERCENT_END = re.compile(r"(?:%|เปอร์เซ็น\S*|เปอเซ็น\S*|เปอร์เซน\S*|เปอเซน\S*|percent)\s*$")
# (nor do the verbs and words of any report: "ส่งยอด 12" names no "ประเภทกิจกรรมที่ส่งเข้าคัดสรร")
_GENERIC = frozenset({"ร้อยละ", "จำนวน", "ของ", "การ", "ที่", "และ", "ได้", "ใน", "ทั้ง", "ปี", "ให้", "จาก",
                      "ส่ง", "ยอด", "เข้า", "แล้ว", "เป็น", "มี"})
# "X จาก Y", "X/Y", "Y ทั้งหมด": Y is the base (denominator) of the KPI's derived percent
# (a source is no base: "ดึงจาก LM", "ข้อมูลจากระบบ", "มาจาก", "ดูจาก", "อ้างอิงจาก", "ตามข้อมูลจาก")
# (nor is a named system: "คะแนนพลังงานจาก e-report 4.0")
_FROM = r"(?<!ดึง)(?<!ดู)(?<!ข้อมูล)(?<!มา)(?<!อ้างอิง)(?<!นำ)(?<!คัด)จาก(?!การ|ระบบ|โปรแกรม|ข้อมูล|\s*(?i:e-?report|gfms|tpmap|bpm|mso|logbook|แอป|เว็บ))"
_BASE_BEFORE = re.compile(rf"(?:{_FROM}[^\d/]{{0,30}}|/\s*|(?:ทั้งหมด|ทั้งสิ้น|เป้าหมาย|เป้า)\s*[=:]?\s*)$")
_PART_AFTER = re.compile(r"^\s*(?:\S{0,12}\s*)?(?:จาก|/(?:\s*\d|$))|^\s*ใน\s*$")  # "17/20", "7 ใน 10": the part
_IN_BASE = re.compile(r"^\s*ใน\s*$")  # "7 ใน 10": 10 is the base
_PER_MONTH = re.compile(r"เดือนละ|ต่อเดือน|/เดือน|ต่อ\s*เดือน")
_TOTAL_BEFORE = re.compile(r"(?:รวม(?:ทั้ง(?:สิ้น|หมด|จังหวัด|อำเภอ))?(?:เป็น|ได้)?|ทั้งหมดรวม)\s*$")  # "รวมทั้งจังหวัดเป็น 6,122"
_NEGATIVE = re.compile(r"(?:ลดลง|ติดลบ|ลบ)\s*$")


_LEXICONS: dict[tuple[int, str], tuple[Kpi, list[str]]] = {}


_MAINS: dict[int, tuple[Kpi, str | None]] = {}


def main_input(kpi: Kpi) -> str | None:
    """The KPI's main input (scoring.evaluate.primary_input), found once per KPI object."""
    hit = _MAINS.get(id(kpi))
    if hit is not None and hit[0] is kpi:
        return hit[1]
    if len(_MAINS) > 20_000:
        _MAINS.clear()
    main = primary_input(kpi)
    _MAINS[id(kpi)] = (kpi, main)  # the KPI is kept alive with its entry, so its id is not reused
    return main


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
    # a unit word names the input only when no other input of the KPI is measured in it (บาท does not
    # tell the amount spent from the amount allocated)
    shared = sum(1 for other in kpi.inputs if other.unit and other.unit == inp.unit) > 1
    if inp.unit and not shared:
        words.add(compact(inp.unit))
        words.update(compact(w) for w in SYNONYMS.get(inp.unit, ()))
    words.update(compact(w) for w in SYNONYMS.get(inp.id, ()))
    words.update(compact(basic(w)) for w in inp.aliases)  # the catalog's own words for the figure
    aliases = [compact(basic(a)) for a in kpi.aliases]
    # (a derived percent shares its source's words: "ที่ปลูกผักสวนครัว" still names the planting count)
    others = [_name_tokens(o) for o in kpi.inputs if o.id != inp.id and o.id not in kpi.derive]
    for tok in _name_tokens(inp):
        # a word of the KPI's own alias names this input only when no other input's name has it
        # ("ผ้าไทย" in "มูลค่าจำหน่ายผ้าไทยที่เพิ่มขึ้น" tells it from the OTOP growth)
        if not any(tok in a for a in aliases) or not any(tok in t for o in others for t in o):
            words.add(tok)
    return sorted(words, key=len, reverse=True)


def input_named(flat: str, kpi: Kpi, input_id: str) -> bool:
    """The message (compact form) has one of the input's own words of three letters or more."""
    inp = kpi.input(input_id)
    return inp is not None and any(len(w) >= 3 and w in flat for w in _lexicon(inp, kpi))


def _name_tokens(inp: Input) -> set[str]:
    name = re.sub(r"\(.*?\)", " ", basic(inp.name))
    out = set()
    for tok in tokenize(name):
        tok = compact(tok)
        if len(tok) >= 3 and tok not in _GENERIC and not tok.isdigit():
            out.add(tok)
    return out


def _is_percent(inp: Input) -> bool:
    return (inp.unit or "") in PERCENT_UNITS


def _match(segment: str, lex: list[str]) -> float:
    """How well a label names an input: the length of the longest lexicon word it contains, plus a
    tenth for every other word of the lexicon found elsewhere in the label ("เป้าหมายดาวน์โหลด" names
    the download goal more than the downloads, though both inputs have the word ดาวน์โหลด)."""
    flat = compact(segment)
    best = 0.0
    for word in lex:
        if len(word) <= 1:
            if not best and re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", segment.lower()):
                return 1
            continue
        if word in flat:
            if not best:
                best = len(word)
                flat = flat.replace(word, " ")
            elif len(word) >= 3:
                best += 0.1
                flat = flat.replace(word, " ")
    return best


@dataclass
class Placement:
    """Where the numbers of a message went, for one KPI."""

    inputs: dict[str, Decimal] = field(default_factory=dict)
    unplaced: list[Found] = field(default_factory=list)  # numbers that could not be placed with confidence
    dropped: list[tuple[str, Decimal]] = field(default_factory=list)  # raw figures for derived inputs
    why: dict[str, str] = field(default_factory=dict)  # input id -> how it was recognised (kpibot parse)
    ignored: list[Found] = field(default_factory=list)  # numbers that fit none of the KPI's inputs


def _roles(kpi: Kpi) -> tuple[set[str], set[str]]:
    """Names in the numerators and in the denominators of the KPI's derived figures."""
    parts: set[str] = set()
    bases: set[str] = set()
    for expr in kpi.derive.values():
        text = expr.text
        head, slash, tail = text.partition("/")
        for name in expr.names:
            if slash and re.search(rf"\b{re.escape(name)}\b", tail):
                bases.add(name)
            elif re.search(rf"\b{re.escape(name)}\b", head):
                parts.add(name)
    return parts, bases


def _fits(value: Decimal, inp: Input) -> bool:
    if inp.min is not None and value < inp.min:
        return False
    return not (inp.max is not None and value > inp.max)


def _digits_out(text: str) -> str:
    return re.sub(r"[\d.,%]+", " ", text)


def _blank(text: str, words: list[str]) -> str:
    if not words:
        return text
    pattern = _blanker(tuple(words))
    return pattern.sub(" ", text) if pattern is not None else text


@lru_cache(maxsize=4096)
def _blanker(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled pattern per alias list (built once; the lists come from catalogs loaded once); the
    longest word is tried first where several start at the same place."""
    kept = sorted((w for w in words if len(compact(w)) >= 3), key=len, reverse=True)
    if not kept:
        return None
    return re.compile("|".join(re.escape(w) for w in kept), re.IGNORECASE)


def place(text: str, found: list[Found], kpi: Kpi, alias_words: list[str] | None = None) -> Placement:
    """Put the numbers `found` in (clean, masked) `text` into `kpi`'s inputs (see the module doc)."""
    result = Placement()
    numeric = [inp for inp in kpi.inputs if inp.kind == "number"]
    if not numeric or not found:
        result.unplaced = list(found)
        return result
    lex = {inp.id: _lexicon(inp, kpi) for inp in numeric}
    # a KPI alias that is also one input's own word ("ผ้าไทย") tells that input from the others: kept
    claimed = {compact(basic(w)) for inp in numeric for w in inp.aliases}
    # (nor is one that holds a word of the KPI's main input: "แบบสำรวจความพึงพอใจ 81.25" is the satisfaction)
    head = kpi.input(main_input(kpi) or "")
    mains = {compact(basic(w)) for w in head.aliases} if head is not None else set()
    aliases = sorted({basic(a) for a in (alias_words if alias_words is not None else kpi.aliases)
                      if not any(compact(basic(a)) in c for c in claimed)
                      and not any(len(c) >= 4 and c in compact(basic(a)) for c in mains)}, key=len, reverse=True)
    parts, bases = _roles(kpi)
    base_names = bases | {n for expr in kpi.derive.values() for n in expr.names if n in kpi.constants}
    # 1. key=value with the input id ("overdue=489204.87")
    rest: list[int] = []
    for n, f in enumerate(found):
        m = _PAIR.search(text[max(0, f.start - 40):f.start])
        if m and kpi.input(m.group("key").lower()) is not None:
            result.inputs[m.group("key").lower()] = f.value.value
            result.why[m.group("key").lower()] = "ชื่อข้อมูล="
        else:
            rest.append(n)
    values = [found[n] for n in rest]
    # 2. evidence around each number: the label before it, the words after it, its unit word, its role
    befores, afters, units, own_units, roles = [], [], [], [], []
    unit_ends: list[int] = []
    for idx, f in enumerate(values):
        prev_end = unit_ends[-1] if idx else 0
        next_start = values[idx + 1].start if idx + 1 < len(values) else len(text)
        before = text[prev_end:f.start]
        after = text[f.end:next_start]
        befores.append(before)
        afters.append(after.strip().split(" ")[0] if after.strip() else "")
        unit = unit_after(text, f.end)
        if unit and f.value.percent and _PERCENT_END.search(text[f.start:f.end]):
            unit = None  # "85% กลุ่มจดทะเบียน 100%": the percent has its unit; the word begins the next label
        last = idx + 1 == len(values)
        # in "ช่องทาง 3 โพสต์ 4" the word after 3 labels 4; it is 3's unit only when more follows it
        own_unit = unit is not None and (last or text[unit[1]:next_start].strip() != "" or not before.strip())
        if unit is not None and not own_unit:
            # "ครบ 2 ครั้ง 35 ราย": the next number has its own unit word of another family, so this word is ours
            # (and that word is its own, not the label of a third: "กิจกรรม 2 ช่องทาง 3 บทเรียน 1")
            nxt = unit_after(text, values[idx + 1].end)
            own_unit = nxt is not None and family(nxt[0]) is not None and family(unit[0]) is not None \
                and family(nxt[0]) != family(unit[0]) \
                and (idx + 2 == len(values) or text[nxt[1]:values[idx + 2].start].strip() != "")
        units.append(unit[0] if unit and own_unit else None)
        unit_ends.append(unit[1] if unit and own_unit else f.end)
        own_units.append(unit[0] if unit else None)  # read as "1 ชิ้น 2 ช่องทาง": every word after is a unit
        role = None
        if idx and _IN_BASE.match(before):
            role = "base"
        elif _BASE_BEFORE.search(before[-40:]) or re.search(r"(?:^|\s)ฐาน(?!ข้อมูล)", before):
            role = "base" if re.search(rf"(?:{_FROM}[^\d/]{{0,30}}|/\s*)$", before[-40:]) else "base_label"
        elif _PART_AFTER.match(after) or (not last and re.match(r"^\s*/\s*$", after)):
            role = "part"  # "20/30", "20 จาก 30", "20 / 30 ครัวเรือน"
        roles.append(role)
    # "รายได้เพิ่ม 15.2 / 3 ช่องทาง / 4 ครั้ง": a slash between figures of different units lists them, it is
    # no "X/Y"
    read_roles = list(roles)
    for idx in range(1, len(values)):
        if read_roles[idx] == "base" and read_roles[idx - 1] in ("part", "base", None) \
                and re.search(r"\s/\s*$", befores[idx]) \
                and own_units[idx] is not None and own_units[idx - 1] is not None \
                and own_units[idx] != own_units[idx - 1] and family(own_units[idx]) != family(own_units[idx - 1]):
            roles[idx - 1] = roles[idx] = None
        elif read_roles[idx] == "base" and read_roles[idx - 1] == "part" and re.search(r"\s/\s*$", befores[idx]) \
                and values[idx].value.value < values[idx - 1].value.value and own_units[idx] is not None:
            roles[idx - 1] = roles[idx] = None  # "รายได้เพิ่ม 15.2 / 3 ช่องทาง": a base is never less than its part
    main = main_input(kpi)
    main_spec = kpi.input(main) if main else None
    if main_spec is not None and (main_spec.kind != "number" or not _is_percent(main_spec)):
        main_spec = None
    if main_spec is not None:
        sources = set(kpi.derive[main_spec.id].names) if main_spec.id in kpi.derive else set()
        others = [i for i in numeric if i.id != main_spec.id and i.id not in sources and i.id not in kpi.derive]
        if others:
            main_spec = None  # "OTOP 3": growth, channels or posts? a bare number is asked back
    best: tuple[tuple[int, float], dict[str, tuple[float, str]]] | None = None
    for style in ("before", "after"):
        style_units = units if style == "before" else own_units
        chosen = _assign(values, befores if style == "before" else afters, style_units, roles, numeric, lex,
                         parts, base_names, result.inputs, kpi, aliases, main_spec,
                         _blank(_digits_out(text), aliases))
        # a number whose own unit word only nearly fits the input it was given ("จัดกิจกรรม 2 กิจกรรม" read
        # as a count of times) counts against this reading
        clashes = sum(_clash(style_units[int(how.split("#", 1)[1])], kpi.input(key))
                      for key, (_s, how) in chosen.items())
        # so does X of "X จาก Y" given to an input that is not the numerator ("ภารกิจที่จังหวัดแจ้ง 14 จาก 16")
        clashes += sum(1 for key, (_s, how) in chosen.items()
                       if roles[int(how.split("#", 1)[1])] == "part" and parts and key not in parts)
        strength = (len(chosen) - clashes, sum(s for s, _w in chosen.values()))
        if best is None or strength > best[0]:
            best = (strength, chosen)
    chosen = best[1] if best else {}
    # a percent input takes the figure written as a percent: "ทำได้ 9 ใน 10 โครงการ คิดเป็น 90%" is 90, not 9
    for key, (score, how) in list(chosen.items()):
        v = int(how.split("#", 1)[1])
        spec = kpi.input(key)
        if spec is None or not _is_percent(spec) or values[v].value.percent:
            continue
        taken = {int(h.split("#", 1)[1]) for _s, h in chosen.values()}
        marked = [w for w, f in enumerate(values) if f.value.percent and w not in taken and _fits(f.value.value, spec)]
        if len(marked) == 1:
            chosen[key] = (score, how.split("#", 1)[0] + f"#{marked[0]}")
    placed: set[int] = set()
    for key, (_s, how) in chosen.items():
        v = int(how.split("#", 1)[1])
        spec = kpi.input(key)
        value = values[v].value.value
        if value > 0 and spec is not None and (spec.min is None or spec.min < 0) and _NEGATIVE.search(befores[v]) \
                and "ลด" not in spec.name:
            value = -value  # "รายได้ลดลง 2%": a growth of -2 %
        result.inputs.setdefault(key, value)
        result.why[key] = how.split("#", 1)[0]
        placed.add(v)
    # "3/4 ของเป้า", "7 ใน 10 กลุ่ม", "ใช้งบไป 7 ใน 8 ส่วน" where no input holds the count and its base: the
    # percent the fraction makes goes to the percent input it was read for (or the KPI's only percent), never
    # its numerator read as the percent
    for idx in range(1, len(values)):
        part, base = values[idx - 1].value, values[idx].value
        if not (roles[idx - 1] == "part" and roles[idx] == "base" and not part.percent and not base.percent
                and 0 < base.value and part.value <= base.value) or re.search(r"เป้า", befores[idx]):
            continue  # ("ได้ 88 จากเป้า 90": the figure against its target, not a fraction)
        keys = [k for k, (_s, how) in chosen.items() if int(how.split("#", 1)[1]) in (idx - 1, idx)]
        if any(k in parts or k in base_names or not _is_percent(kpi.input(k)) for k in keys):
            continue  # a count and its base the KPI holds itself (its percent is derived from them)
        target = keys[0] if keys else (main_spec.id if main_spec is not None and not base_names
                                       and main_spec.id not in kpi.derive else None)
        if target is None:
            continue
        for key in keys:
            result.inputs.pop(key, None)
            result.why.pop(key, None)
        result.inputs[target] = (part.value * 100 / base.value).quantize(Decimal("0.01")).normalize()
        result.why[target] = "สัดส่วน (X จาก Y)"
        placed |= {idx - 1, idx}
        break
    # 3. bare numbers: the KPI's main percent, or its only input
    leaves = [inp for inp in numeric if inp.id not in kpi.derive]
    for v, f in enumerate(values):
        if v in placed:
            continue
        target: Input | None = None
        if main_spec is not None and main_spec.id not in result.inputs \
                and (f.value.percent or units[v] is None) and _fits(f.value.value, main_spec) \
                and not _sources_given(kpi, main_spec.id, result.inputs):
            target = main_spec
        elif len(numeric) == 1 and numeric[0].id not in result.inputs and not is_generic(units[v]) \
                and compatible(units[v] or ("ร้อยละ" if f.value.percent else None), numeric[0].unit) \
                and _fits(f.value.value, numeric[0]) and (f.value.percent == _is_percent(numeric[0])):
            target = numeric[0]
        elif len(leaves) == 1 and leaves[0].id not in result.inputs and units[v] is not None \
                and not is_generic(units[v]) \
                and compatible(units[v], leaves[0].unit) and not f.value.percent:
            target = leaves[0]
        elif f.value.percent and len(percents := [i for i in numeric if _is_percent(i) and i.id not in result.inputs
                                                  and not _sources_given(kpi, i.id, result.inputs)]) == 1 \
                and _fits(f.value.value, percents[0]) and not (main_spec is not None and main_spec.id in result.inputs
                                                               and main_spec is percents[0]):
            target = percents[0]  # "ดาวน์โหลด 96.5% ของเป้า": the KPI's one percent input
        elif f.value.percent and main_spec is not None and main_spec.id not in result.inputs \
                and not _sources_given(kpi, main_spec.id, result.inputs):
            target = main_spec  # "150%" is the percent, out of range: the card refuses it in Thai
        if target is not None:
            result.inputs[target.id] = f.value.value
            result.why[target.id] = "ตัวเลขเดียวของตัวชี้วัด"
            placed.add(v)
    # a base for a formula constant ("24 จาก 30 ครัวเรือน" where the document's base is 30) is that constant;
    # another base ("23 จาก 30" where the document divides by 120) is not used: the document's base is the
    # divisor (the card shows it), never one typed in a message, and the card says the figure was not used
    constants = [n for expr in kpi.derive.values() for n in expr.names if n in kpi.constants]
    for v, f in enumerate(values):
        if v not in placed and roles[v] in ("base", "base_label") and len(constants) == 1 and not f.value.percent:
            if f.value.value != kpi.constants[constants[0]]:
                result.ignored.append(f)
            placed.add(v)
    # "คลิป 1 ชิ้น โปสเตอร์ 1 ชิ้น รวม 2 ชิ้น": the stated total of the same unit is the input's figure
    for v, f in enumerate(values):
        if v in placed or not _TOTAL_BEFORE.search(befores[v]) or f.value.percent or units[v] is None:
            continue
        same = [k for k in result.inputs if (spec := kpi.input(k)) is not None and spec.kind == "number"
                and family(units[v]) is not None and family(units[v]) == family(spec.unit)
                and result.inputs[k] <= f.value.value and _fits(f.value.value, spec)]
        if len(same) == 1:
            result.inputs[same[0]] = f.value.value
            result.why[same[0]] = "ยอดรวม"
            placed.add(v)
            placed.update(n for n, g in enumerate(values) if n < v and units[n] is not None
                          and family(units[n]) == family(units[v]))
    # 4. derived figures are derived: a raw number for one whose sources were given is dropped
    for name in list(result.inputs):
        if name in kpi.derive and _sources_given(kpi, name, result.inputs):
            result.dropped.append((name, result.inputs.pop(name)))
            result.why.pop(name, None)
    # a number that fits no input at all ("12 หมู่บ้าน" beside a milestone) is not a figure of this KPI
    for v, f in enumerate(values):
        if v in placed:
            continue
        unit = units[v] or ("ร้อยละ" if f.value.percent else None)
        if not any(compatible(unit, inp.unit) and _fits(f.value.value, inp)
                   and (not f.value.percent or _is_percent(inp)) for inp in numeric if inp.id not in result.inputs):
            result.ignored.append(f)
            placed.add(v)
    result.unplaced = [f for v, f in enumerate(values) if v not in placed]
    return result


def _clash(unit: str | None, inp: Input | None) -> float:
    """How much the unit word written after a number speaks against an input: 1 when it contradicts it,
    a half when it is only a near family ("2 กิจกรรม" read as a count of times)."""
    if unit is None or inp is None:
        return 0
    if not compatible(unit, inp.unit):
        return 1
    got, want = family(unit), family(inp.unit)
    return 0.5 if got is not None and want is not None and got != want else 0


def _sources_given(kpi: Kpi, name: str, inputs: dict[str, Decimal]) -> bool:
    expr = kpi.derive.get(name)
    if expr is None:
        return False
    return any(n in inputs for n in expr.names if kpi.input(n) is not None)


def _assign(values: list[Found], labels: list[str], units: list[str | None], roles: list[str | None],
            inputs: list[Input], lex: dict[str, list[str]], parts: set[str], bases: set[str],
            taken: dict[str, Decimal], kpi: Kpi, alias_words: list[str],
            main: Input | None, context: str = "") -> dict[str, tuple[float, str]]:
    """The best input of each number in one reading of the labels. A label word that is also the KPI's
    own alias ("เบิกจ่าย" names KPI 1 and its amount spent) counts only weakly, so that a bare 92.5 after
    it is the KPI's percent, while 900,000 บาท after it is the amount spent. A number whose best inputs tie
    is left unplaced."""
    pairs: list[tuple[float, int, str, str]] = []  # (-strength, value index, input id, how)
    for v, (f, label) in enumerate(zip(values, labels, strict=True)):
        unit = units[v]
        plain = _blank(label, alias_words)
        for inp in inputs:
            if inp.id in taken:
                continue
            if f.value.percent and not _is_percent(inp):
                continue
            if not compatible(unit, inp.unit) or not _fits(f.value.value, inp):
                continue
            if (roles[v] in ("base", "base_label") and inp.id in parts) or (roles[v] == "part" and inp.id in bases):
                continue
            strength: float = _match(plain, lex[inp.id])
            own_word = bool(strength) and any(compact(basic(a)) in compact(plain) for a in inp.aliases)
            if own_word:
                strength += 1  # the catalog's own word for this figure ("ดาวน์โหลด" of the downloads)
            how = "คำกำกับ"
            # (a small bare number after the KPI's name, "นวัตวิถี 4", could be any of its counts: asked)
            if not strength and (unit is not None or f.value.percent or f.value.value > 100) \
                    and _match(label, lex[inp.id]):
                # weak, but "สมาชิกกองทุนสตรี 120 คน" still says members more than women
                strength, how = 0.5 + 0.005 * min(_match(label, lex[inp.id]), 10), "คำเรียกตัวชี้วัด"
            if unit and family(unit) is not None and family(unit) == family(inp.unit) and family(unit) != "percent":
                if not strength:
                    how = "หน่วย"
                strength += 2 if compact(unit) == compact(inp.unit or "") else 1
            if strength and inp.per == "เดือน" and _PER_MONTH.search(label):
                strength += 2  # "เดือนละ 3 ครั้ง": the per-month count
            # (unless the label is the input's own word: "ดาวน์โหลด 1,530 เป้า 1,500" where the target is an input)
            if roles[v] == "base" and not bases and not own_word:
                continue  # "193 จาก 214 ครัวเรือน" for a KPI with no base input: 214 is context, not a figure
            if roles[v] == "base_label" and not bases and _TARGET_BEFORE.search(label) and not own_word:
                continue  # "ครัวเรือนเป้าหมาย 323 หลัง ผ่านเกณฑ์ 279": the catalog holds the target; 323 is context
            if roles[v] == "base_label" and inp.id in bases:
                strength, how = strength + 3, "ฐาน (ทั้งหมด)"
            elif roles[v] == "base" and inp.id in bases:
                strength, how = strength + 3, "ฐาน (จาก)"
            elif roles[v] == "part" and inp.id in parts:
                strength, how = strength + 3, "ส่วน (X จาก Y)"
            if inp is main and unit is None and not strength and _fits(f.value.value, inp):
                strength, how = 0.75, "ตัวเลขเดียวของตัวชี้วัด"  # a bare 92.5 after the KPI is its percent
            if strength:
                pairs.append((-strength, v, inp.id, f"{how}#{v}"))
    pairs.sort()
    out: dict[str, tuple[float, str]] = {}
    used: set[int] = set()
    options: dict[int, set[str]] = {}
    for _s, v, key, _h in pairs:
        options.setdefault(v, set()).add(key)
    def sole(k: str, v: int) -> bool:
        return any(options.get(v3) == {k} for v3 in options if v3 != v and v3 not in used)

    for s, v, key, how in pairs:
        if v in used or key in out:
            continue
        if sole(key, v) and len(options[v]) > 1:
            continue  # that input is another number's only possible one
        rivals = [k for s2, v2, k, _h in pairs if v2 == v and s2 == s and k != key and k not in out]
        # a rival that is another number's only possible input is that number's ("เผยแพร่ 3 ครั้ง 2 ช่องทาง")
        rivals = [k for k in rivals if not sole(k, v)]
        if rivals and context:
            # "เผยแพร่ 2 ช่องทาง เดือนละ 3 ครั้ง": the message's other words tell the monthly posts from the
            # monthly activities
            weights = {k: _match(context, lex[k]) for k in [key, *rivals]}
            top = max(weights.values())
            if top and list(weights.values()).count(top) == 1:
                best_key = max(weights, key=lambda k: weights[k])
                if best_key != key:
                    continue  # its own pair comes later in the list
                rivals = []
        if rivals and not any(v3 != v and k3 in rivals and s3 < s for s3, v3, k3, _h in pairs):
            used.add(v)  # 900,000 บาท with no label: spent or allocated? ask, do not guess
            continue
        out[key] = (-s, how)
        used.add(v)
    return out


def named_inputs(text: str, found: list[Found], kpi: Kpi, percent_by_unit: bool = True) -> dict[str, Decimal]:
    """The inputs the numbers in `text` are placed in (see `place`); `percent_by_unit=False` leaves out
    the bare-number rule, so that only numbers with their own label or unit count (KPI tie-breaking)."""
    placement = place(text, found, kpi)
    if percent_by_unit:
        return placement.inputs
    return {k: v for k, v in placement.inputs.items() if placement.why.get(k) != "ตัวเลขเดียวของตัวชี้วัด"}
