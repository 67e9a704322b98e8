"""Issue 13, evidence: hostile files are refused by content (bot/store/evidence.py ``check``), at the
function, at the store and through the conversation; good files are still kept.

Every file is built here: Pillow makes the JPEG/PNG/WebP, the others are crafted as bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import date, datetime, time

import pytest
from PIL import Image

from bot.store.evidence import MAX_PIXELS, Refused, check
from handlers.messages import Attachment, Incoming
from handlers.ports import EVIDENCE_MAX_BYTES, EvidenceRefused
from scoring.thaidate import BANGKOK

from .conftest import MUEANG_OFFICER, TODAY

TEAM = "yala-2568-r2-district-team"
ACCEPTED = "รับเฉพาะรูปภาพ JPEG, PNG, WebP, HEIC หรือไฟล์ PDF ไม่เกิน 20 MB ค่ะ"
MB = 1024 * 1024


# -- the files ------------------------------------------------------------------------------------------
def jpeg(size: tuple[int, int] = (64, 48), *, noise: bool = False, exif_date: str | None = None) -> bytes:
    img = Image.effect_noise(size, 80).convert("RGB") if noise else Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if exif_date:
        exif.get_ifd(0x8769)[36867] = exif_date  # DateTimeOriginal
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size: tuple[int, int] = (10, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, "PNG")
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "green").save(out, "WEBP")
    return out.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(side: int = 30_000) -> bytes:
    """A valid 1-bit PNG of side² pixels: ~110 KB on the wire, 112 MB of rows once inflated."""
    row = b"\x00" * (1 + (side + 7) // 8)
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


def polyglot() -> bytes:
    """A JPEG that decodes, with an HTML page in a comment segment right after SOI."""
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    good = jpeg()
    return good[:2] + b"\xff\xfe" + struct.pack(">H", len(html) + 2) + html + good[2:]


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def heic(width: int = 4032, height: int = 3024) -> bytes:
    ftyp = _box(b"ftyp", b"heic" + b"\x00\x00\x00\x00" + b"mif1heic")
    ispe = _box(b"ispe", b"\x00\x00\x00\x00" + struct.pack(">II", width, height))
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"pict" + b"\x00" * 13)
    meta = _box(b"meta", b"\x00\x00\x00\x00" + hdlr + _box(b"iprp", _box(b"ipco", ispe)))
    return ftyp + meta + _box(b"mdat", b"\x01" * 200)


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return out.getvalue()


PDF = b"%PDF-1.4\n% kpibot evidence\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
HTML_AS_JPG = b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(1)</script></body></html>"
SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b"<script>alert(1)</script><rect width='10' height='10'/></svg>")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00" \
    + b"\x00" * 64 + b"PE\x00\x00\x4c\x01" + b"\x00" * 400


def padded(data: bytes, total: int) -> bytes:
    return data + b"\x00" * (total - len(data))  # a good JPEG and then filler: only its size is wrong


HOSTILE = {  # name -> (bytes, claimed mime, claimed name, reason)
    "html renamed .jpg": (HTML_AS_JPG, "image/jpeg", "photo.jpg", "type"),
    "svg with script": (SVG, "image/svg+xml", "chart.svg", "type"),
    "jpeg/html polyglot": (polyglot(), "image/jpeg", "IMG_0001.jpg", "markup"),
    "0 bytes": (b"", "image/jpeg", "empty.jpg", "empty"),
    "truncated jpeg": (jpeg((400, 300), noise=True)[:20_000], "image/jpeg", "cut.jpg", "broken"),
    "exe renamed .jpg": (EXE, "image/jpeg", "photo.jpg", "type"),
    "30000² png": (huge_png(), "image/png", "bomb.png", "pixels"),
    "undecodable png": (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"\x07" * 300, "image/png", "x.png", "broken"),
    "unknown bytes claiming jpeg": (b"\x00\x01\x02 not an image at all" * 10, "image/jpeg", "x.jpg", "type"),
    "word document": (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                      "report.docx", "office"),
    "cut heic": (heic()[:-50], "image/heic", "IMG_0002.HEIC", "broken"),
    "heic over the pixel limit": (heic(20_000, 20_000), "image/heic", "big.heic", "pixels"),
}


# -- at the function --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_check_refuses_hostile_files(name):
    data, mime, file_name, reason = HOSTILE[name]
    verdict = check(data, mime, file_name, today=TODAY)
    assert verdict == Refused(reason), name
    assert verdict.reason_th


def test_check_refuses_by_the_bytes_received():
    good = jpeg()
    assert check(padded(good, 25 * MB), "image/jpeg", "small.jpg", today=TODAY) == Refused("too_large")
    assert check(padded(good, EVIDENCE_MAX_BYTES + 1), None, None, today=TODAY) == Refused("too_large")
    assert not isinstance(check(padded(good, EVIDENCE_MAX_BYTES), None, None, today=TODAY), Refused)


@pytest.mark.parametrize(("data", "mime", "size"), [
    (jpeg(), "image/jpeg", (64, 48)),
    (png(), "image/png", (10, 20)),
    (webp(), "image/webp", (20, 10)),
    (heic(), "image/heic", (4032, 3024)),
    (PDF, "application/pdf", (None, None)),
])
def test_check_accepts_good_files_and_takes_the_type_from_the_bytes(data, mime, size):
    facts = check(data, "text/html", "evil.html", today=TODAY)  # the claim plays no part
    assert not isinstance(facts, Refused)
    assert facts.mime == mime and (facts.width, facts.height) == size and facts.size == len(data)


def test_pillow_guard_is_set_and_a_bomb_just_over_the_limit_is_refused():
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS
    assert check(huge_png(7072), None, None, today=TODAY) == Refused("pixels")  # 50.01 MP
    assert not isinstance(check(huge_png(7000), None, None, today=TODAY), Refused)  # 49 MP


@pytest.mark.parametrize(("stamp", "kept"), [
    ("0001:01:01 00:00:00", False), ("9999:12:31 23:59:59", False), ("1999:12:31 23:59:59", False),
    ("2000:01:01 00:00:00", True), ("2025:06:09 08:30:00", True), ("2026:12:31 23:59:59", True),
    ("2027:01:01 00:00:00", False),
])
def test_exif_dates_outside_2000_to_next_year_are_ignored(stamp, kept):
    facts = check(jpeg(exif_date=stamp), None, None, today=TODAY)
    assert not isinstance(facts, Refused)
    assert (facts.taken_at is not None) == kept
    if kept:
        assert facts.taken_at.tzinfo is not None


# -- at the store ---------------------------------------------------------------------------------------------
def test_the_store_raises_the_port_error_and_writes_nothing(store, tmp_path):
    for name, (data, mime, file_name, reason) in HOSTILE.items():
        with pytest.raises(EvidenceRefused) as refused:
            store.add_evidence(data, person_id=MUEANG_OFFICER, unit_id="yala-mueang", catalog_id=TEAM, kpi_id="t1",
                               period="2025-06", received_at=datetime(2025, 6, 10, 10, tzinfo=BANGKOK),
                               file_name=file_name, mime_hint=mime)
        assert refused.value.reason == reason, name
        with pytest.raises(EvidenceRefused):
            store.keep_file(data, file_name, mime)
    assert store.evidence_for("yala-mueang", TEAM, "t1") == []
    assert [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()] == []


# -- through the conversation -------------------------------------------------------------------------------
def _kept_files(tmp_path) -> list:
    return [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_after_a_report_is_refused_politely(chat, store, tmp_path, name):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 96%")
    chat.say(MUEANG_OFFICER, "ยืนยัน")
    text = chat.text(MUEANG_OFFICER, "", files=(HOSTILE[name][0],))
    assert "เก็บหลักฐาน" not in text and ACCEPTED in text and "ไม่ได้เก็บไฟล์" in text, text
    assert store.evidence_for("yala-mueang", TEAM, "t1") == []
    assert _kept_files(tmp_path) == []
    # the state is kept: a good photo next still goes to that KPI
    assert "เก็บหลักฐาน 1 ไฟล์" in chat.text(MUEANG_OFFICER, "", files=(jpeg(),))
    assert len(store.evidence_for("yala-mueang", TEAM, "t1")) == 1


@pytest.mark.parametrize("name", ["html renamed .jpg", "jpeg/html polyglot", "30000² png", "0 bytes"])
def test_a_hostile_file_with_a_named_kpi_or_none_is_refused(chat, store, tmp_path, name):
    text = chat.text(MUEANG_OFFICER, "หลักฐาน ตชว.1 เบิกจ่าย", files=(HOSTILE[name][0],))
    assert ACCEPTED in text and "เก็บหลักฐาน" not in text, text
    replies = chat.say(MUEANG_OFFICER, "ส่งรูปค่ะ", files=(HOSTILE[name][0],))  # "which KPI?" is not asked
    assert [r.choices for r in replies] == [()] and ACCEPTED in replies[0].text
    assert store.get_state(f"console:{MUEANG_OFFICER}:{MUEANG_OFFICER}") is None
    assert _kept_files(tmp_path) == []


def test_the_reason_is_named(chat):
    assert "ใหญ่เกิน 20 MB" in chat.text(MUEANG_OFFICER, "หลักฐาน ตชว.1 เบิกจ่าย", files=(padded(jpeg(), 50 * MB),))
    assert "PDF" in chat.text(MUEANG_OFFICER, "หลักฐาน ตชว.1 เบิกจ่าย", files=(docx(),))


def test_one_bad_file_among_good_ones_is_named_and_the_good_ones_kept(chat, store):
    chat.say(MUEANG_OFFICER, "รายงาน ตชว.1 เบิกจ่าย 96%")
    chat.say(MUEANG_OFFICER, "ยืนยัน")
    text = chat.text(MUEANG_OFFICER, "", files=(jpeg(), SVG, PDF))
    assert "“f1.bin”" in text and ACCEPTED in text and "เก็บหลักฐาน 2 ไฟล์" in text
    assert sorted(e.mime for e in store.evidence_for("yala-mueang", TEAM, "t1")) == ["application/pdf", "image/jpeg"]


def test_exif_year_9999_is_not_shown(chat, store):
    text = chat.text(MUEANG_OFFICER, "หลักฐาน ตชว.1 เบิกจ่าย", files=(jpeg(exif_date="9999:12:31 23:59:59"),))
    assert "เก็บหลักฐาน 1 ไฟล์" in text and "ถ่ายเมื่อ" not in text and "10542" not in text
    [ev] = store.evidence_for("yala-mueang", TEAM, "t1")
    assert ev.taken_at is None


class _Counting(io.BytesIO):
    """A stream that remembers how much was read from it."""

    def __init__(self, data: bytes, log: list[int]):
        super().__init__(data)
        self.log = log

    def read(self, n: int | None = -1) -> bytes:
        chunk = super().read(n)
        self.log.append(len(chunk))
        return chunk


@pytest.mark.parametrize("total", [25 * MB, 50 * MB])
def test_a_large_file_that_claims_1_kb_is_read_only_to_the_limit(chat, store, tmp_path, total):
    data = padded(jpeg(), total)
    log: list[int] = []

    def whole() -> bytes:
        raise AssertionError("the whole file must not be loaded")

    att = Attachment(whole, "image/jpeg", 1024, "small.jpg", "file", stream=lambda: _Counting(data, log))
    msg = Incoming(channel="console", sender=str(MUEANG_OFFICER), chat=str(MUEANG_OFFICER),
                   text="หลักฐาน ตชว.1 เบิกจ่าย", sent_at=datetime.combine(TODAY, time(10), BANGKOK),
                   message_id="big", attachments=(att,))
    text = "\n".join(r.text for r in chat.conversation.handle(msg))
    assert "ใหญ่เกิน 20 MB" in text and ACCEPTED in text
    assert sum(log) == EVIDENCE_MAX_BYTES + 1
    assert store.evidence_for("yala-mueang", TEAM, "t1") == [] and _kept_files(tmp_path) == []


def test_attachment_read_without_a_stream_cuts_the_loaded_bytes():
    att = Attachment(lambda: b"x" * 100, None, 1)
    assert att.read(10) == b"x" * 10 and att.read(1000) == b"x" * 100


def test_dates_are_bounded_by_the_day_given():
    stamp = jpeg(exif_date="2026:03:01 09:00:00")
    assert check(stamp, None, None, today=date(2025, 1, 1)).taken_at is not None
    assert check(stamp, None, None, today=date(2024, 12, 31)).taken_at is None


def test_a_photo_kept_for_a_cancelled_pick_is_removed_a_day_later(chat, store, tmp_path):
    """"ส่งรูปค่ะ" without a KPI keeps the photo while "which KPI?" waits; cancelled, nothing refers to it and
    the next start-up's sweep deletes it once it is a day old; a photo saved as evidence and one still
    waiting for its pick are never deleted (issue 12)."""
    import os

    from bot.store.health import check_storage

    replies = chat.say(MUEANG_OFFICER, "ส่งรูปค่ะ", files=(jpeg(noise=True),))
    assert replies[-1].choices, replies[-1].text  # "หลักฐานนี้ของตัวชี้วัดไหนคะ"
    [cancelled] = _kept_files(tmp_path)
    chat.say(MUEANG_OFFICER, "ยกเลิก")
    chat.say(MUEANG_OFFICER, "หลักฐาน ตชว.1 เบิกจ่าย", files=(jpeg(),))  # saved as evidence
    other = 7  # another officer's photo, its pick still waiting
    chat.say(other, "ส่งรูปค่ะ", files=(png(),))
    files = _kept_files(tmp_path)
    assert len(files) == 3
    assert store.forget_kept_files() == 0  # all younger than a day
    day_old = cancelled.stat().st_mtime - 2 * 86_400
    for path in files:
        os.utime(path, (day_old, day_old))
    check_storage(store.path, tmp_path / "evidence")  # what `kpibot run` and `kpibot chat` do at start
    assert not cancelled.exists()
    assert len(_kept_files(tmp_path)) == 2
    assert len(store.evidence_for("yala-mueang", TEAM, "t1")) == 1
