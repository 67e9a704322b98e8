"""Short answers on an open card: yes, no, or neither; and the new value of a correction.

`yes_no()` reads a whole answer ("ยืนยันค่ะ", "ใช่ครับ", "โอเค 👍", "๑", "ไม่เอา", "2"): it is "yes" or
"no" only when every word of the answer says so (polite particles and a few fillers such as "เลย",
"แล้ว", "ขอบคุณ" carry no meaning); anything else, a mix of yes and no included, is None, so the
conversation asks again rather than guess. A digit is an answer only on its own ("1", "๑ ค่ะ"):
"12" or "1.5" is a number, not a choice.

`split_correction()` reads a correction that names the old and the new figure ("ไม่ใช่ 92 ค่ะ ต้องเป็น 95",
"แก้จาก 3 ครั้ง เป็น 4 ครั้ง"): the new figure is the one after เป็น / ต้องเป็น / แก้เป็น, or the one before
ไม่ใช่ in "ได้ 25 ไม่ใช่ 52".
"""

from __future__ import annotations

import re
from functools import lru_cache

from .numbers import Value, find_values
from .text import PARTICLES, basic, clean, compact

YES_WORDS = (
    "ยืนยัน", "ยืนยันการบันทึก", "ยืนยันบันทึก", "ใช่", "ใช่แล้ว", "ถูก", "ถูกต้อง", "ถูกแล้ว", "ตกลง", "โอเค",
    "โอเคร", "โอเช", "ok", "okay", "oke", "okey", "yes", "yep", "confirm", "บันทึก", "บันทึกได้", "ได้", "ได้เลย",
    "ตามนี้", "เยส", "ชัวร์", "1",
)
NO_WORDS = (
    "ยกเลิก", "ไม่ใช่", "ไม่", "ไม่เอา", "ไม่ถูก", "ไม่ถูกต้อง", "ไม่ตกลง", "ไม่โอเค", "ไม่ยืนยัน", "ไม่ได้",
    "ไม่บันทึก", "ไม่ต้องบันทึก", "ไม่ต้อง", "ผิด", "no", "nope", "cancel", "2",
)
FILLERS = ("เลย", "แล้ว", "ขอบคุณ", "ขอบคุณมาก", "ขอบใจ", "ค่ะขอบคุณ", "thx", "thanks", "ๆ", "จ้ะ", "จ้า", "ค่า")
# emoji that answer by themselves (basic() drops emoji, so they are read first)
_EMOJI_WORDS = {"👍": " ใช่ ", "👌": " ใช่ ", "✅": " ใช่ ", "✔": " ใช่ ", "🆗": " ok ", "🙆": " ใช่ ",
                "👎": " ไม่ ", "❌": " ไม่ ", "✖": " ไม่ ", "🙅": " ไม่ "}
_PUNCT = re.compile(r"[!,~^'\"()\[\]…:;*+=]+")
_REPEAT = re.compile(r"(\D)\1{2,}")  # "ค่าาา", "okkk": a letter held down (never digits; "โอเคค่ะ" keeps its two ค)


def _norm(text: str) -> str:
    return _REPEAT.sub(r"\1", _PUNCT.sub("", compact(text)))


@lru_cache(maxsize=1)
def _vocabulary() -> list[tuple[str, str]]:
    words: dict[str, str] = {}
    for kind, items in (("", PARTICLES), ("", FILLERS), ("yes", YES_WORDS), ("no", NO_WORDS)):
        for item in items:
            words[_norm(item)] = kind
    return sorted(words.items(), key=lambda kv: -len(kv[0]))


def yes_no(text: str | None) -> str | None:
    """ "yes", "no", or None when the answer is neither (or both)."""
    if not text:
        return None
    for emoji, word in _EMOJI_WORDS.items():
        text = text.replace(emoji, word)
    flat = _norm(basic(text))
    if not flat or len(re.findall(r"\d", flat)) > 1:
        return None
    kinds: set[str] = set()
    vocabulary = _vocabulary()
    rest = flat
    while rest:
        for word, kind in vocabulary:
            if word and rest.startswith(word):
                if kind:
                    kinds.add(kind)
                rest = rest[len(word):]
                break
        else:
            return None  # a word that is not an answer
    return kinds.pop() if len(kinds) == 1 else None


# "ต้องเป็น 95", "แก้เป็น 95", "เปลี่ยนเป็น 95", "เป็น 95": the marker before the new figure
_NEW_MARKER = re.compile(r"(?:ที่ถูก(?:ต้อง)?(?:คือ)?|ที่จริง(?:แล้ว)?(?:ได้|คือ|เป็น)?|จริงๆ(?:แล้ว)?(?:ได้|คือ|เป็น)"
                         r"|(?:ต้อง|แก้|แก้ไข|เปลี่ยน|ขอแก้)?\s*เป็น|คือ|=|->|→)\s*")


_NOT = re.compile(r"\s*ไม่ใช่\s*")


def split_correction(text: str) -> tuple[str, str] | None:
    """(new, old): the (clean) text naming the new figure and the one naming the old, when a correction
    names both: "ไม่ใช่ 92 ค่ะ ต้องเป็น 95" -> ("95", "ไม่ใช่ 92"), "ลดหนี้ได้ 25 ไม่ใช่ 52" ->
    ("ลดหนี้ได้ 25", "52"); None when it does not (then every figure of the text is new: "แก้เป็น 95",
    "แก้ไข ๔ ครั้ง")."""
    work = clean(text)
    for m in reversed(list(_NEW_MARKER.finditer(work))):
        if find_values(work[:m.start()]) and find_values(work[m.end():]):
            return work[m.end():].strip(), work[:m.start()].strip()
    for m in _NOT.finditer(work):  # "ลดหนี้ได้ 25 ไม่ใช่ 52": the new figure comes first
        if find_values(work[:m.start()]) and find_values(work[m.end():]):
            return work[:m.start()].strip(), work[m.end():].strip()
    return None


def new_span(work: str) -> tuple[int, int] | None:
    """Where, in clean (masked) text, the new figure of a correction stands: after "ต้องเป็น"/"ที่ถูก" when
    a figure stands before it too ("เมื่อกี้พิมพ์ 12 ผิด ที่ถูก 13"), before "ไม่ใช่" ("ได้ 25 ไม่ใช่ 52")."""
    for m in reversed(list(_NEW_MARKER.finditer(work))):
        if find_values(work[:m.start()]) and find_values(work[m.end():]):
            return m.end(), len(work)
    for m in _NOT.finditer(work):
        if find_values(work[:m.start()]) and find_values(work[m.end():]):
            return 0, m.start()
    return None


def new_part(text: str) -> str | None:
    """The text naming the new figure of `split_correction`, or None."""
    parts = split_correction(text)
    return parts[0] if parts else None


def new_values(text: str) -> list[Value] | None:
    """The values of `new_part`, or None."""
    part = new_part(text)
    return None if part is None else [f.value for f in find_values(part)]
