"""Unit words of measure: what a number next to them counts ("24 ครัวเรือน", "1,234,567 บาท", "3 ช่องทาง").

A number carries the unit word written after it. Unit words fall into families of things that can be
counted as each other (คน, ราย, ครัวเรือน are all people/households; ครั้ง and โพสต์ are both times
something was done). A KPI input's `unit` (from the catalog) is matched against the family of the word:
a count of households is never put into a percent or a baht amount, and baht never into a count.

Numbers that are not figures are recognised here too: phone numbers, clock times, laughter (555),
ordinals and labels ("ครั้งที่ 2", "หมู่ 5", "ม.3"), counts of KPIs ("2 ตัว").
"""

from __future__ import annotations

import re

from .text import compact

PERCENT = "ร้อยละ"
MONEY = "บาท"

# family -> unit words (compact form); the first is the family's name
FAMILIES: dict[str, tuple[str, ...]] = {
    "people": ("คน", "ราย", "ครัวเรือน", "หลังคาเรือน", "ครอบครัว", "ท่าน", "หลัง", "ราย", "ผู้"),
    "times": ("ครั้ง", "โพสต์", "โพส", "post", "posts", "รอบ", "ข่าว", "ชิ้นข่าว"),
    "channels": ("ช่องทาง", "ช่อง", "เพจ", "platform", "แพลตฟอร์ม", "ช่องทางออนไลน์"),
    "groups": ("กลุ่ม", "องค์กร", "กองทุน", "ศูนย์", "บริษัท", "วิสาหกิจ"),
    "places": ("แห่ง", "หมู่บ้าน", "ชุมชน", "ตำบล", "จุด"),
    "shops": ("ร้านค้า", "ร้าน", "shop"),
    "pieces": ("ชิ้น", "คลิป", "สื่อ", "ชิ้นงาน", "ผลิตภัณฑ์"),
    "activities": ("กิจกรรม", "โครงการ", "งาน"),
    "lessons": ("บทเรียน", "องค์ความรู้"),
    "issues": ("ประเด็น",),
    "days": ("วัน",),
    "points": ("คะแนน",),
    "kinds": ("ประเภท", "รางวัล", "ชนิด"),
    "money": ("บาท", "บ", "ล้านบาท"),
}
# classifiers that count anything ("1 เรื่อง" of lessons or of clips): a unit, but of no family
GENERIC = ("เรื่อง", "อัน", "รายการ", "ชุด", "หน่วย")
_WORD_FAMILY: dict[str, str] = {}
for _family, _words in FAMILIES.items():
    for _w in _words:
        _WORD_FAMILY.setdefault(_w, _family)
# longest first, so "ครัวเรือน" is read before "คน" could be, "ร้านค้า" before "ร้าน"
_UNIT_AFTER = re.compile(
    r"\s*(?P<u>" + "|".join(re.escape(w) for w in sorted([*_WORD_FAMILY, *GENERIC], key=len, reverse=True))
    + r")(?![a-z])",
    re.IGNORECASE,
)


def family(unit: str | None) -> str | None:
    """The family of a unit word or of a catalog input's unit; None when unknown."""
    if not unit:
        return None
    flat = compact(unit)
    if flat in ("ร้อยละ", "%", "เปอร์เซ็นต์"):
        return "percent"
    for per in ("ต่อเดือน", "เดือน", "ต่อปี"):  # "ครั้ง/เดือน", "ครั้งต่อเดือน": a count per month is a count
        if flat.endswith(per) and flat[: -len(per)] in _WORD_FAMILY:
            return _WORD_FAMILY[flat[: -len(per)]]
    return _WORD_FAMILY.get(flat)


def is_generic(unit: str | None) -> bool:
    """A classifier that counts anything ("1 เรื่อง"): it does not say what was counted."""
    return unit is not None and compact(unit) in GENERIC


def unit_after(text: str, end: int) -> tuple[str, int] | None:
    """The unit word written right after a number ending at `end`, and where it ends."""
    m = _UNIT_AFTER.match(text, end)
    if not m:
        return None
    word = m.group("u").lower()
    if word == "ราย" and re.match(r"\s*ราย(?:งาน|ได้|ละเอียด|ชื่อ|การ|จ่าย|ไตรมาส|เดือน)", text[end:]):
        return None  # "100% รายงาน…": a new word, not the unit ราย
    if word in ("บ",) and not re.match(r"\s*บ(?:\.|\s|$)", text[end:]):
        return None  # "บ." for baht, not the start of another word
    if word == "อัน" and re.match(r"\s*อัน(?:เมื่อ|ที่|นี้|นั้น|ก่อน|แรก|ล่าสุด|ตะกี้|\s{2,})", text[end:]):
        # "80.1 อันเมื่อเช้าพิมพ์ผิด": "the one" sent this morning (a masked date after it too), no count of pieces
        return None
    return word, m.end()


def compatible(value_unit: str | None, input_unit: str | None) -> bool:
    """May a number written with `value_unit` go into an input measured in `input_unit`?"""
    if value_unit is None:
        return True
    got, want = family(value_unit), family(input_unit)
    if got is None:
        return True  # an unknown word after the number says nothing about it
    if want is None:
        if compact(input_unit or "") in GENERIC:
            return got not in ("percent", "money")  # "จำนวนหน่วย/ครัวเรือน/บุคคล": any count
        return compact(value_unit) == compact(input_unit or "")
    return got == want or {got, want} in _NEAR


# families that count the same thing in staff's words: an activity held is a time ("กิจกรรม 1 ครั้ง")
_NEAR = [{"activities", "times"}]


# -- numbers that are not figures ----------------------------------------------------------------
NOISE: list[tuple[str, re.Pattern[str]]] = [
    ("phone", re.compile(r"(?<![\d.,])0\d{1,2}[-\s]?\d{3}[-\s]?(?:\d{3,4}|[xX*]{2,4})(?![\d,])(?:\s*(?:ต่อ|ext\.?)\s*\d{1,5})?|(?:โทร|tel|เบอร์)\S*?\s*[\dxX\-\s]{6,}(?:ต่อ\s*\d{1,5})?",
                         re.IGNORECASE)),
    ("time", re.compile(r"(?<![\d.,])(?:[01]?\d|2[0-3])[.:][0-5]\d\s*(?:น\.|นาฬิกา)"
                        r"|(?<![\d.,])(?:[01]?\d|2[0-3]):[0-5]\d(?![\d])"
                        r"|(?<![\d.,])(?:[01]?\d|2[0-3])[.:][0-5]\d\s*[-–]\s*(?:[01]?\d|2[0-3])[.:][0-5]\d"
                        r"|(?:เวลา|ตอน)\s*\d{1,2}(?:[.:]\d{2})?(?:\s*(?:น\.|โมง|นาฬิกา))?"
                        r"|(?<![\d.,])\d{1,2}\s*(?:โมง|ทุ่ม)(?:เช้า|เย็น|ครึ่ง)?"
                        # a time of day in words: "บ่ายสาม", "บ่าย 2 โมงครึ่ง", "ตี 5"
                        r"|(?:บ่าย|ตี)\s*\d{1,2}(?![\d.,%])(?:\s*โมง)?(?:ครึ่ง)?", re.IGNORECASE)),
    ("laughter", re.compile(r"(?<![\d.,])5{3,}\+*(?![\d.,])")),
    ("ordinal", re.compile(r"(?:ครั้งที่|รอบที่|หมู่ที่|หมู่|ม\.|ชั้น|ห้อง|เลขที่|ฉบับที่|ลำดับ|อันดับ(?:ที่)?|คนที่|วันที่|ข้อย่อย"
                           r"|รุ่นที่|ปีที่|ซอย|รางวัลที่|งวดที่|งวด|รอบ|ไตรมาส(?:ที่)?|เฟส|phase|q)\s*\d+(?:[./]\d+|\s*-\s*\d+)?")),
    # "ได้ 2 รางวัล (ที่ 1 กับที่ 3)": a place named by its rank
    ("ordinal", re.compile(r"(?:(?<=[\s(])|(?<=กับ)|(?<=และ)|^)ที่\s*\d{1,2}(?![\d.,%])")),
    ("kpi_count", re.compile(r"(?<![\d.,])\d{1,2}\s*(?:ตัว(?:ชี้วัด)?|ข้อ|kpi)(?![ก-๙])", re.IGNORECASE)),
    # "ได้ 8 คะแนนเต็ม 10": the scale's maximum, not a second figure (คะแนน is the unit of 8)
    ("maximum", re.compile(r"(?<!ได้)(?<!ได้ )(?:จาก)?เต็ม\s*\d+(?:\.\d+)?(?![\d,%])(?:\s*คะแนน)?")),
    ("age", re.compile(r"อายุ\s*\d+(?:\s*ปี)?|\d+\s*ขวบ|\d{1,3}\s*ปี\s*(?:ขึ้นไป|บริบูรณ์)")),
    # "ครัวเรือนตาม จปฐ.64": a data source's year, the KPI's word with it; in "จปฐ.67 จัดเก็บ 100%" only the year
    # is masked: จปฐ. names the KPI
    ("year", re.compile(r"(?:(?:ปี(?:งบ(?:ประมาณ)?)?|พ\.ศ\.|ค\.ศ\.)|(?:ตาม|จาก|ข้อมูล|ฐาน)\s*จปฐ\.?\s*(?:ปี)?)\s*"
                        r"(?:25[5-7]\d|20[12]\d|[5-7]\d)(?![\d,.%])"
                        r"|(?<=จปฐ)\.?\s*(?:ปี)?\s*(?:25[5-7]\d|20[12]\d|[5-7]\d)(?![\d,.%])")),
]


def noise(text: str) -> list[tuple[int, int, str]]:
    """Spans of numbers that are not figures, with their kind."""
    spans: list[tuple[int, int, str]] = []
    for kind, pattern in NOISE:
        for m in pattern.finditer(text):
            if any(not (m.end() <= a or m.start() >= b) for a, b, _k in spans):
                continue
            spans.append((m.start(), m.end(), kind))
    return sorted(spans)
