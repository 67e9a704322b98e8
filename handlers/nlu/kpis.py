"""KPI references: by number ("ตัวชี้วัดที่ ๓", "ตชว.3", "KPI 3", "ข้อ 3") and by subject words
from the catalog (name and aliases), exact or fuzzy (rapidfuzz), ranked with a score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from scoring.model import Kpi

from .text import basic, compact, is_thai, tokenize


@dataclass
class KpiRef:
    catalog_id: str
    kpi_id: str
    number: str | None
    score: float
    how: str  # "number" | "alias" | "name" | "fuzzy"


_KPI_WORD = r"(?:ตัวชี้วัด|ตัวชี้วด|ตัวชีวัด|ตัวชี้วัต|ตัวขี้วัด|ตชว\.?|ตวช\.?|ตช\.|k\.?p\.?i\.?\s*#?)"
_ITEM_WORD = r"(?:ข้อ|ตัวที่|ลำดับที่)"
_SET_WORD = r"(?P<set>(?:ราย\s*)?(?:ทีม|บุคคล)|team|individual|ind)"
NUMBER_REF = re.compile(
    rf"(?:(?P<kw>{_KPI_WORD})|(?P<item>{_ITEM_WORD}))\s*(?:{_SET_WORD}\s*)?(?:ที่|ที|no\.?)?\s*"
    rf"(?P<n>\d{{1,2}})(?![\d,]|\.\d)",
    re.IGNORECASE,
)
SET_REF = re.compile(
    r"(?:ตัวชี้วัด\s*)?(?P<set>(?:ราย\s*)?(?:ทีม|บุคคล))\s*(?:ข้อ|ที่)?\s*(?P<n>\d{1,2})(?![\d,]|\.\d)"
)
_SET_AFTER = re.compile(r"\s*(?P<set>(?:ราย\s*)?(?:ทีม|บุคคล)|team|individual)", re.IGNORECASE)
_LISTED = re.compile(r"(?<![\d.,])(?P<n>\d{1,2})\s*\)")
SET_HINT = re.compile(r"(?:ราย\s*)?(?P<set>ทีม|บุคคล)|\b(?P<en>team|individual)\b", re.IGNORECASE)

STOP = frozenset("""
ร้อยละ ระดับ ความสำเร็จ ของ การ ที่ และ ใน จำนวน ได้ ให้ มี ตาม ด้วย เป้าหมาย ผล ดำเนินงาน การดำเนินงาน รายงาน
ส่ง เดือน ปี หรือ เพื่อ จาก ไป มา แล้ว นี้ ครั้ง ราย ตัว ทีม บุคคล ตัวชี้วัด คะแนน หลักฐาน รูป แนบ ยัง ไม่ ค่า
กี่ เท่าไหร่ อะไร ขอ ดู ส่งผล แจ้ง แจ้งผล ขึ้น เพิ่ม เพิ่มขึ้น ลด ทั้งหมด สามารถ ผ่าน กระบวนการ ประจำ ค่ะ ครับ
เป็น สู่ พร้อม ได้รับ ให้ได้ อย่าง โดย ต่อ กับ แต่ ซึ่ง เมื่อ ถึง แก้ไข ตัวเลข ยกเลิก ล่าสุด รายการ กำหนด วันที่
ปัจจุบัน อำเภอ จังหวัด เท่านั้น ทุก หน่วย ส่วน ประเมิน พัฒนา การพัฒนา
""".split())


# unit words of figures that are also words of KPI names: not material for typo matching
# (nor in hedges: "ได้ประมาณ 90" is no typo of the alias "งบประมาณ")
_UNIT_WORDS = re.compile(r"ครัวเรือน|หลังคาเรือน|เปอร์เซ็นต์|ร้อยละ|บาท|(?<!งบ)ประมาณ")


@dataclass
class _Phrase:
    text: str  # compact form
    ascii: bool
    pattern: re.Pattern[str] | None


def set_of(catalog_id: str, kpi: Kpi) -> str | None:
    """team / individual, from the catalog id or the KPI id (t1 / i1)."""
    cid = catalog_id.lower()
    if "individual" in cid:
        return "individual"
    if "team" in cid:
        return "team"
    if re.match(r"^t\d", kpi.id):
        return "team"
    if re.match(r"^i\d", kpi.id):
        return "individual"
    return None


def _norm_set(word: str | None) -> str | None:
    if not word:
        return None
    word = word.lower()
    if "ทีม" in word or word == "team":
        return "team"
    return "individual"


@lru_cache(maxsize=4096)
def _phrase(alias: str) -> _Phrase:
    text = compact(basic(alias))
    ascii_only = text.isascii()
    pattern = None
    if ascii_only:
        words = re.escape(basic(alias).lower()).replace(r"\ ", r"\s*")
        pattern = re.compile(rf"(?<![a-z0-9]){words}(?![a-z0-9])")
    return _Phrase(text, ascii_only, pattern)


@lru_cache(maxsize=1024)
def _name_tokens(name: str) -> frozenset[str]:
    return frozenset(t for t in (tok.strip().lower() for tok in tokenize(basic(name))) if _content(t))


def _content(token: str) -> bool:
    if token in STOP or not token or token.isdigit():
        return False
    return len(token) >= 4 if is_thai(token) else len(token) >= 3 and token.isalpha()


@dataclass
class NumberRef:
    start: int
    end: int
    number: str
    set: str | None
    explicit: bool  # written with a KPI word (ตัวชี้วัด, ตชว., KPI), not just ข้อ / ตัวที่


def find_number_refs(text: str, kpis: Sequence[tuple[str, Kpi]]) -> list[NumberRef]:
    known = {_num(k.number) for _c, k in kpis if k.number is not None}
    refs: list[NumberRef] = []
    taken: list[tuple[int, int]] = []
    for pattern in (NUMBER_REF, SET_REF):
        for m in pattern.finditer(text):
            if any(not (m.end() <= a or m.start() >= b) for a, b in taken):
                continue
            explicit = pattern is SET_REF or bool(m.groupdict().get("kw"))
            number = str(int(m.group("n")))
            if number not in known and int(number) >= 20 and "ที่" not in m.group(0):
                continue  # "ตชว.ทีม 88": a figure after the KPI words, not KPI 88
            if not explicit and number not in known:
                continue  # "ข้อ 29" is an alias of a KPI (จปฐ. ข้อ ๒๙), not KPI 29
            end, set_word = m.end(), m.group("set")
            after = _SET_AFTER.match(text, end)  # "kpi2 ทีม", "ตชว.3 รายบุคคล"
            if after and not set_word:
                end, set_word = after.end(), after.group("set")
            refs.append(NumberRef(m.start(), end, number, _norm_set(set_word), explicit))
            taken.append((m.start(), end))
    # "ตัวชี้วัดทีม 1) 92% 2) 87%": an enumerated list after a KPI word
    head = re.search(_KPI_WORD + r"\s*(?P<set>(?:ราย\s*)?(?:ทีม|บุคคล))?", text, re.IGNORECASE)
    if head:
        for m in _LISTED.finditer(text, head.end()):
            if any(not (m.end() <= a or m.start() >= b) for a, b in taken):
                continue
            number = str(int(m.group("n")))
            if number in known:
                refs.append(NumberRef(m.start(), m.end(), number, _norm_set(head.group("set")), True))
                taken.append((m.start(), m.end()))
    refs.sort(key=lambda r: r.start)
    return refs


def _num(number: object) -> str:
    text = basic(str(number))
    return str(int(text)) if text.isdigit() else text


@lru_cache(maxsize=4096)
def _digit_alias(alias: str) -> tuple[re.Pattern[str], float] | None:
    """The pattern of an alias written with digits, compiled once; None for aliases without digits."""
    norm = basic(alias)
    if not re.search(r"\d", norm):
        return None
    words = r"\s*".join(re.escape(ch) for ch in norm.replace(" ", "").replace(".", ""))
    words = words.replace(r"\s*", r"[\s.]*")
    return re.compile(rf"(?<![\d.]){words}(?![\d])", re.IGNORECASE), 0.80 + 0.15 * min(len(compact(norm)), 12) / 12


def digit_aliases(text: str, kpis: Sequence[tuple[str, Kpi]]) -> tuple[str, dict[int, tuple[float, str]]]:
    """Aliases written with digits ("ข้อ ๒๙", "PMQA 4.0"): found and masked before numbers are read."""
    hits: dict[int, tuple[float, str]] = {}
    for i, (_cid, kpi) in enumerate(kpis):
        for alias in kpi.aliases:
            compiled = _digit_alias(alias)
            if compiled is None:
                continue
            pattern, score = compiled
            for m in pattern.finditer(text):
                if score > hits.get(i, (0.0, ""))[0]:
                    hits[i] = (score, "alias")
                text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    return text, hits


def subject_scores(
    text: str, kpis: Sequence[tuple[str, Kpi]], extra: dict[int, tuple[float, str]] | None = None
) -> dict[int, tuple[float, str]]:
    """Per KPI index: (score, how) from aliases and name words found in `text` (numbers masked)."""
    lowered = text.lower()
    flat = compact(text)
    # typos are looked for in the words around the figures, not in a figure's unit word ("ได้ 6 ครัวเรือน"
    # is no typo of the alias "ครัวเรือนลดหนี้")
    fuzzy_flat = _UNIT_WORDS.sub("", flat)
    out: dict[int, tuple[float, str]] = dict(extra or {})
    said: dict[int, list[str]] = {}  # per KPI, the alias words found (a name word inside them backs up nothing)

    def offer(i: int, score: float, how: str) -> None:
        if score > out.get(i, (0.0, ""))[0]:
            out[i] = (score, how)

    for i, (_cid, kpi) in enumerate(kpis):
        name = _phrase(kpi.name)
        if len(name.text) >= 8 and name.text in flat:
            offer(i, 0.97, "name")
        for alias in kpi.aliases:
            p = _phrase(alias)
            if not p.text:
                continue
            hit = bool(p.pattern.search(lowered)) if p.pattern is not None else p.text in flat
            if hit:
                # (past 12 letters a longer alias still wins by a hair: "สมาชิกกองทุนพัฒนาบทบาทสตรี" over the
                # "กองทุนพัฒนาบทบาทสตรี" inside it)
                offer(i, 0.80 + 0.15 * min(len(p.text), 12) / 12 + 0.0005 * max(0, min(len(p.text), 40) - 12), "alias")
                said.setdefault(i, []).append(p.text)
            elif not p.ascii and len(p.text) >= 5 and len(fuzzy_flat) >= len(p.text) - 2:
                ratio = fuzz.partial_ratio(p.text, fuzzy_flat, score_cutoff=85)
                if ratio:
                    offer(i, 0.55 + 0.2 * (ratio - 85) / 15, "fuzzy")
    # two distinct subject words of one KPI ("หนี้ สทส.", "หนี้ค้าง … กองทุนสตรี") back each other up
    for i, words in said.items():
        distinct = [w for w in set(words) if not any(w != o and w in o for o in words)]
        if len(distinct) >= 2 and i in out:
            out[i] = (out[i][0] + 0.01 * min(len(distinct) - 1, 2), out[i][1])
    # name words, weighted by how few KPIs share them
    tokens = {t.strip().lower() for t in tokenize(text)}
    tokens = {t for t in tokens if _content(t)}
    if tokens:
        df: dict[str, int] = {}
        names = [_name_tokens(k.name) for _c, k in kpis]
        for toks in names:
            for t in toks:
                df[t] = df.get(t, 0) + 1
        for i, toks in enumerate(names):
            # ("หนี้ 15": the alias หนี้ is also a word of one debt KPI's name; it is no second sign of that KPI)
            weight = sum(1 / df[t] for t in tokens & toks if not any(t in a for a in said.get(i, ())))
            if i in out and weight > 0:
                out[i] = (out[i][0] + 0.01 * min(weight, 3.0), out[i][1])  # name words back an alias up
            elif weight >= 1.5:
                offer(i, 0.45 + 0.2 * min(weight, 1.5) / 1.5, "name")
    return out


def rank(
    text: str, refs: list[NumberRef], kpis: Sequence[tuple[str, Kpi]], set_hint: str | None = None,
    extra: dict[int, tuple[float, str]] | None = None,
) -> list[KpiRef]:
    """Candidates, best first: a number and subject words that agree beat either alone."""
    subjects = subject_scores(text, kpis, extra)
    numbers = {r.number for r in refs}
    ref_sets = {r.number: r.set for r in refs}
    scored: list[tuple[float, int, KpiRef]] = []
    for i, (cid, kpi) in enumerate(kpis):
        num = _num(kpi.number) if kpi.number is not None else None
        n_score = 0.9 if num is not None and num in numbers else 0.0
        wanted = ref_sets.get(num) if n_score else None
        if wanted and set_of(cid, kpi) != wanted:
            n_score = 0.0
        s_score, how = subjects.get(i, (0.0, ""))
        if not n_score and not s_score:
            continue
        score = 1 - (1 - n_score) * (1 - s_score)
        scored.append((score, i, KpiRef(cid, kpi.id, str(kpi.number) if kpi.number is not None else None,
                                        round(score, 4), "number" if n_score else how)))
    if set_hint and any(set_of(kpis[i][0], kpis[i][1]) == set_hint for _s, i, _r in scored):
        scored = [t for t in scored if set_of(kpis[t[1]][0], kpis[t[1]][1]) == set_hint]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [r for _s, _i, r in scored[:6]]


def set_hint_of(text: str) -> str | None:
    m = SET_HINT.search(text)
    if not m:
        return None
    return _norm_set(m.group("set") or m.group("en"))


@lru_cache(maxsize=4096)
def _spaced(alias: str) -> re.Pattern[str] | None:
    """An alias found in running text with spaces or dots anywhere in it ("Click ชุมชน", "กข.คจ.")."""
    flat = compact(basic(alias))
    if len(flat) < 2 or re.search(r"\d", flat):
        return None
    # (compact drops ไม้ไต่คู้, typed or left out: "ตำบลเข้มแข็ง" is found with it or without)
    body = r"[\s.\-\u0e47]*".join(re.escape(ch) for ch in flat)
    if flat.isascii():
        return re.compile(rf"(?<![a-z0-9]){body}(?![a-z0-9])", re.IGNORECASE)
    return re.compile(body, re.IGNORECASE)


@dataclass
class Mention:
    start: int
    end: int
    kpis: frozenset[int]  # indexes into the KPI list


def mentions(text: str, refs: list[NumberRef], kpis: Sequence[tuple[str, Kpi]]) -> list[Mention]:
    """Where the message names KPIs, left to right: aliases (longest first, not overlapping) and numbers."""
    found: list[Mention] = []
    by_alias: dict[str, set[int]] = {}
    for i, (_cid, kpi) in enumerate(kpis):
        for alias in kpi.aliases:
            by_alias.setdefault(alias, set()).add(i)
    lowered = text.lower()
    hits: list[tuple[int, int, frozenset[int]]] = []
    for alias, owners in by_alias.items():
        pattern = _spaced(alias)
        if pattern is None:
            continue
        for m in pattern.finditer(lowered):
            hits.append((m.start(), m.end(), frozenset(owners)))
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
    for start, end, owners in hits:
        overlap = next((x for x in found if not (end <= x.start or start >= x.end)), None)
        if overlap is None:
            found.append(Mention(start, end, owners))
        elif overlap.start <= start and end <= overlap.end and owners != overlap.kpis and (
                start, end) == (overlap.start, overlap.end):
            overlap.kpis = overlap.kpis | owners  # the same words are an alias of several KPIs
    for r in refs:
        owners = frozenset(i for i, (cid, k) in enumerate(kpis) if k.number is not None and _num(k.number) == r.number
                           and (r.set is None or set_of(cid, k) == r.set))
        if owners:
            found.append(Mention(r.start, r.end, owners))
    return sorted(found, key=lambda x: x.start)
