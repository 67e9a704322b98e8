"""Cleaning Thai text as staff type it: digits, doubled vowels, emoji, particles, number words.

Everything downstream works on the *clean* text this module returns: Arabic digits only, Thai number
words already turned into digits ("เก้าสิบสอง" -> " 92 "), polite particles and emoji gone, one space
between pieces. pythainlp is imported lazily (and told not to create ~/pythainlp-data).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

PARTICLES = frozenset({
    "ครับ", "ค่ะ", "คะ", "ค๊ะ", "คับ", "ค้าบ", "ครับผม", "ขอรับ", "นะ", "นะคะ", "นะครับ", "น้า", "นะจ๊ะ",
    "จ้า", "จ้ะ", "จ๊ะ", "ค่า", "ค่าา", "ฮะ", "ฮับ", "เด้อ", "จ้าา", "คร้าบ", "งับ", "ค่ะะ", "ครัช",
})

# Thai number words (pythainlp.util.thaiword_to_num reads a run of them)
_NUMWORD = re.compile(r"^(?:ศูนย์|หนึ่ง|เอ็ด|สอง|ยี่|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ|ร้อย|พัน|หมื่น|แสน|ล้าน)+$")
_DIGIT_WORD = {"ศูนย์": "0", "หนึ่ง": "1", "เอ็ด": "1", "สอง": "2", "สาม": "3", "สี่": "4", "ห้า": "5",
               "หก": "6", "เจ็ด": "7", "แปด": "8", "เก้า": "9"}
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D\u20E3\U000E0000-\U000E007F]+"
)
_INVISIBLE = re.compile("[\u200b\u200c\u2060\ufeff]")
# particles that are also words ("ค่าไฟ", "ค่าเป้าหมาย"): a particle only when no word is glued after them
_NOUN_TOO = frozenset({"ค่า", "ค่าา"})
_GLUED = re.compile(r"^(ที่|ข้อ|ตัวที่)(.+)$")
_THAI_LETTER = re.compile(r"[\u0E01-\u0E4E]")


@lru_cache(maxsize=1)
def _tokenizer():
    from pythainlp.tokenize import word_tokenize

    return word_tokenize


@lru_cache(maxsize=1)
def _word_to_num():
    from pythainlp.util import thaiword_to_num

    return thaiword_to_num


def tokenize(text: str) -> list[str]:
    """pythainlp newmm tokens, whitespace kept (joining them gives the text back)."""
    if not text:
        return []
    return list(_tokenize_cached(text))


@lru_cache(maxsize=8192)
def _tokenize_cached(text: str) -> tuple[str, ...]:
    # the same texts come back all the time (KPI names, input names, a message read by several parsers)
    return tuple(_tokenizer()(text, keep_whitespace=True))


def basic(text: str) -> str:
    """Character-level normalisation: NFC, Thai digits -> Arabic, เเ -> แ, no emoji, one space."""
    return _basic_cached(text or "")


@lru_cache(maxsize=8192)
def _basic_cached(text: str) -> str:
    # pure and called dozens of times per message on the same aliases and names: cached
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _EMOJI.sub(" ", text)
    text = text.translate(THAI_DIGITS)
    text = text.replace("เเ", "แ").replace("ํา", "ำ")
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\uff05", "%")
    return re.sub(r"\s+", " ", text).strip()


# a list's marks at the start of a line: bullets, "1)", "2.", "(3)", "๔)" before a word or a count with its
# unit ("2. 2 ช่องทาง"); a percent after "1)" stays: "ตัวชี้วัดทีม\n1) 92%\n2) 87%" numbers the KPIs themselves
_LIST_MARK = re.compile(r"(?m)^[ \t]*(?:[-–•·*▪●○◦‣⁃➢➤✓✔]+|\(?[0-9๐-๙]{1,2}\s*[.)](?![0-9๐-๙]))[ \t]*"
                        r"(?=[^\s0-9๐-๙]|[0-9๐-๙][0-9๐-๙,.]*[ \t]*(?!%|เปอ|ร้อยละ)[ก-๙a-zA-Z])")
# the generic words of a heading line ("รายงานผลการดำเนินงาน สพอ.หนองกี่", "สรุปผลงานประจำเดือน ก.ค.")
_HEADING = re.compile(r"^(?P<head>[ \t]*(?:รายงาน|สรุป|ส่ง)[ \t]*ผล(?:การ)?(?:ดำเนินงาน|ปฏิบัติงาน|ดำเนินการ|งาน))"
                      r"(?P<rest>[^\n]*)\n")


def unlist(text: str) -> str:
    """A message laid out as a form, read as its lines say: list marks at the start of a line are no
    figures ("1) ตชว.ทีม 1 เบิกจ่าย 79.9", "- แผนปฏิบัติงาน 88%"), and the generic words of a first line that
    heads others ("รายงานผลการดำเนินงาน ประจำเดือน ก.ค. 67") name no KPI; what else it says (the month, the
    office) stays."""
    text = _LIST_MARK.sub(" ", text)  # a numbered line sent alone too ("1. เบิกจ่าย 71.2%")
    if "\n" not in text:
        return text
    head = _HEADING.match(text)
    if head and not re.search(r"[0-9๐-๙]\s*(?:%|เปอร์เซ็นต์|ร้อยละ)", head.group("rest")):
        text = "รายงาน" + " " * (len(head.group("head")) - 6) + text[head.end("head"):]
    return text


def words_to_number(words: str) -> str | None:
    """'เก้าสิบสองจุดห้า' -> '92.5'; None when the words are not one number."""
    integer, _, fraction = words.partition("จุด")
    try:
        value = _word_to_num()(integer) if integer else 0
    except (ValueError, TypeError):
        return None
    if not fraction:
        return str(value)
    digits = []
    rest = fraction
    while rest:
        for word, digit in _DIGIT_WORD.items():
            if rest.startswith(word):
                digits.append(digit)
                rest = rest[len(word):]
                break
        else:
            return None
    return f"{value}.{''.join(digits)}"


def _is_numword(token: str) -> bool:
    return bool(_NUMWORD.match(token))


_MILLION_BAHT = re.compile(r"(\d)\s*ลบ\.")  # "2.45 ลบ." = 2.45 ล้านบาท
# "4.2 ล.", "1.2M" = 4.2 ล้าน, 1.2 ล้าน; "850k", "1.2k คน" = 850 พัน, 1.2 พัน (a number of its own: "yala-7F3K"
# is a code, its letters untouched)
_MILLION = re.compile(r"(?<![A-Za-z0-9\-])(\d[\d,]*(?:\.\d+)?)\s*(?:ล\.(?![ก-๙])|M(?![A-Za-z0-9]))")
_THOUSAND = re.compile(r"(?<![A-Za-z0-9\-])(\d[\d,]*(?:\.\d+)?)\s*[kK](?![A-Za-z0-9])")


_HALF = re.compile(r"ครึ่งหนึ่ง(?=\s*ของ)")  # "ได้ครึ่งหนึ่งของครัวเรือนเป้าหมาย": 50 % of them


def clean(text: str) -> str:
    """The clean text the parsers read (see module doc)."""
    text = _MILLION_BAHT.sub(r"\1 ล้าน บาท ", basic(text))
    text = _THOUSAND.sub(r"\1 พัน ", _MILLION.sub(r"\1 ล้าน ", text))
    text = _HALF.sub(" 50% ", text)
    tokens = tokenize(text)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in PARTICLES and not (tok in _NOUN_TOO and i + 1 < len(tokens)
                                     and _THAI_LETTER.match(tokens[i + 1][:1] or " ")):
            out.append(" ")
            i += 1
            continue
        glued = _GLUED.match(tok)
        if glued and _is_numword(glued.group(2)):  # "ที่สาม" as one token
            number = words_to_number(glued.group(2))
            if number is not None:
                out.append(f"{glued.group(1)} {number} ")
                i += 1
                continue
        if tok in _SCALES and _scaled(out, _SCALES[tok]):
            i += 1
            continue
        if _is_numword(tok) and not _skip_numword(tokens, i):
            j = i
            run: list[str] = []
            while j < len(tokens):
                if _is_numword(tokens[j]):
                    run.append(tokens[j])
                    j += 1
                elif tokens[j] == "จุด" and j + 1 < len(tokens) and _is_numword(tokens[j + 1]) and run:
                    run.append("จุด")
                    j += 1
                else:
                    break
            number = words_to_number("".join(run))
            if number is not None:
                out.append(f" {number} ")
                i = j
                continue
        out.append(tok)
        i += 1
    return re.sub(r"\s+", " ", "".join(out).replace("\x01", "")).strip()


_SCALES = {"พัน": 1_000, "หมื่น": 10_000, "แสน": 100_000, "ล้าน": 1_000_000}
_DIGITS_AT_END = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*$")


def _scaled(out: list[str], scale: int) -> bool:
    """ "4.9 แสน" -> "490000", "33 ล้าน" -> "33000000", "2 แสน 5 หมื่น" -> "250000": the digits just
    written to `out` are multiplied by a scale word that follows them. False when no digits precede it."""
    from decimal import Decimal

    joined = "".join(out)
    m = _DIGITS_AT_END.search(joined)
    if not m:
        return False
    value = Decimal(m.group(1).replace(",", "")) * scale
    prior = re.search(r"(\d+)\x01\s*$", joined[:m.start()])  # "2 แสน" already scaled: add "5 หมื่น" to it
    head = joined[:m.start()]
    if prior and Decimal(prior.group(1)) > value:
        value += Decimal(prior.group(1))
        head = joined[:prior.start()]
    digits = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    out[:] = [head, f" {digits}\x01 "]
    return True


def _skip_numword(tokens: list[str], i: int) -> bool:
    """Number words that are really part of other words: ศูนย์เรียนรู้, ร้อยละ split as ร้อย+ละ."""
    tok = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if tok == "ศูนย์":
        # zero only as a number of its own ("ศูนย์", "ศูนย์จุดห้า"); "รอบศูนย์ 1", "ศูนย์เรียนรู้" are centres
        prev = tokens[i - 1] if i else ""
        alone = len([t for t in tokens if t.strip()]) == 1
        return not (alone or nxt == "จุด" or (nxt and _is_numword(nxt))) or bool(prev and _THAI_LETTER.search(prev[-1:]))
    return tok.endswith("ร้อย") and nxt.startswith("ละ")


def compact(text: str) -> str:
    """Lowercase, no spaces and no dots: the form aliases and keywords are compared in."""
    return re.sub(r"[\s.\-_/\u0e47]+", "", text.lower())  # also ไม้ไต่คู้, often typed or left out


def is_thai(text: str) -> bool:
    return bool(_THAI_LETTER.search(text))
