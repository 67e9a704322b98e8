"""Evidence files: what is accepted, content-addressed storage, and what the bytes say about themselves.

Accepted, by content only (``check``, a pure function; the store calls it in ``add_evidence`` and
``keep_file`` and raises ``handlers.ports.EvidenceRefused`` for the rest, so nothing refused is written):

- JPEG, PNG and WebP that Pillow opens *and decodes to the end* (``load``; JPEG decoded at 1/8 scale
  with ``draft``, which still reads every byte: a 48-megapixel JPEG of 35 MB checks in 0.29 s instead
  of 0.51 s, and a truncated one fails with "image file is truncated");
- HEIC/HEIF (ISO-BMFF ``ftyp`` brands heic/heix/heim/heis/mif1/msf1, AVIF excluded). No HEIF decoder
  is installed, so these are checked by structure: the top-level boxes start with ``ftyp``, hold
  ``meta`` and ``mdat`` and add up to exactly the file's length (a cut file fails); the pixel size
  comes from the ``ispe`` properties;
- PDF: starts with ``%PDF-``; its structure is not parsed (no PDF library, and the bot never renders it).

The type comes from the bytes (``filetype`` and the checks above); what the client claims (mime, file
name) only shapes the wording of a refusal, never the verdict or the stored mime.

Refused: 0 bytes; more than ``EVIDENCE_MAX_BYTES`` (20 MiB, the Telegram getFile ceiling; callers read
at most one byte more, so the count is on the bytes received, not the size claimed); anything else
(HTML, SVG, scripts, executables, archives, text, unknown bytes); images that do not open or decode;
images over ``MAX_PIXELS`` (50 megapixels, a 48 MP phone photo fits; Pillow's own
``Image.MAX_IMAGE_PIXELS`` is set to the same value so its decompression-bomb guard fires as well);
any accepted type whose first or last 64 KiB contain web markup (``<html``, ``<script``, ``<svg``, ...):
a JPEG/HTML polyglot is a valid image a browser would still run.

Office documents (Word, Excel, PowerPoint, OpenDocument) are refused with a hint to send a PDF: they
are containers (zip or OLE) that carry macros, embedded objects and external links, checking them
safely needs a parser of each format (and zip-bomb guards), and what a committee reads must not change
with the viewer; every office program saves a PDF.

Retractions (``EvidenceRetractionsStore``, mixed into ``SqliteStore``; table ``evidence_retractions``): an
officer withdraws their own evidence with a row there, once per evidence row, in one transaction with its
audit row; the evidence row and its file are never deleted (triggers refuse DELETE on both tables). Only
the person who sent the evidence may retract it (``PermissionError`` otherwise, ``KeyError`` for an
unknown id); retracting again returns the first retraction's time and writes nothing.

A file is kept once, under ``evidence_dir/ab/abcdef...`` (its sha256), whatever unit, KPI or period it
is attached to. For JPEG/PNG/WebP Pillow gives the pixel size and, when the photo kept its EXIF, the
time it was taken (ignored unless its year is 2000 to next year) and where.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import filetype
from PIL import Image

from handlers.ports import EVIDENCE_MAX_BYTES, EvidenceRefused
from scoring.thaidate import BANGKOK

MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow warns above this and raises above twice this
EARLIEST_YEAR = 2000  # EXIF dates before this (or after next year) are a camera's unset clock
MARKUP_WINDOW = 64 * 1024
MARKUP = (b"<html", b"<script", b"<svg", b"<!doctype", b"<iframe", b"<body", b"<object", b"<embed",
          b"<?php", b"javascript:")

_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
_OFFICE_MIMES = ("application/msword", "application/vnd.ms-", "application/vnd.openxmlformats-officedocument",
                 "application/vnd.oasis.opendocument", "application/rtf")
_OFFICE_EXT = (".doc", ".docx", ".docm", ".xls", ".xlsx", ".xlsm", ".ppt", ".pptx", ".odt", ".ods", ".odp",
               ".rtf")

REASONS_TH = {
    "empty": "ไฟล์ว่างเปล่า",
    "too_large": "ไฟล์ใหญ่เกิน 20 MB",
    "type": "ไม่ใช่รูปภาพหรือไฟล์ PDF",
    "office": "ไฟล์ Word/Excel/PowerPoint ยังไม่รับ กรุณาบันทึกเป็น PDF แล้วส่งใหม่",
    "broken": "ไฟล์ไม่สมบูรณ์หรือเปิดไม่ได้",
    "pixels": "รูปมีจำนวนพิกเซลมากเกินไป กรุณาย่อรูปก่อนส่ง",
    "markup": "ไฟล์มีเนื้อหาเว็บหรือสคริปต์แฝงอยู่",
}

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 36867
_OFFSET_TIME_ORIGINAL = 36881
_DATETIME = 306


@dataclass(frozen=True)
class FileFacts:
    """An accepted file: what its bytes say."""

    sha256: str
    mime: str
    size: int
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    gps: tuple[float, float] | None = None


Accepted = FileFacts


@dataclass(frozen=True)
class Refused:
    reason: str  # a key of REASONS_TH

    @property
    def reason_th(self) -> str:
        return REASONS_TH[self.reason]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def relative_path(sha256: str) -> str:
    """Where a file with this hash lives, relative to the evidence folder: ``ab/abcdef...``."""
    return f"{sha256[:2]}/{sha256}"


def sniff_mime(data: bytes) -> str | None:
    """The type the bytes are (one of the accepted ones), or None. Never what a client claims."""
    heif = _heif_mime(data)
    if heif is not None:
        return heif
    kind = filetype.guess(data) if data else None
    if kind is None:
        return None
    if kind.mime in _PILLOW_FORMATS or kind.mime == "application/pdf":
        return kind.mime
    return None


def check(data: bytes, claimed_mime: str | None = None, claimed_name: str | None = None, *,
          today: date) -> Accepted | Refused:
    """Accept or refuse bytes as evidence (see the module docstring); ``today`` bounds EXIF years."""
    if not data:
        return Refused("empty")
    if len(data) > EVIDENCE_MAX_BYTES:
        return Refused("too_large")
    mime = sniff_mime(data)
    if mime is None:
        return Refused("office" if _looks_office(data, claimed_mime, claimed_name) else "type")
    if _has_markup(data):
        return Refused("markup")
    width = height = None
    taken_at = gps = None
    if mime in _PILLOW_FORMATS:
        facts = _image_facts(data, _PILLOW_FORMATS[mime], today)
        if isinstance(facts, Refused):
            return facts
        width, height, taken_at, gps = facts
    elif mime in ("image/heic", "image/heif"):
        size = _heif_size(data)
        if isinstance(size, Refused):
            return size
        width, height = size
    return FileFacts(sha256_hex(data), mime, len(data), width, height, taken_at, gps)


def accept(data: bytes, claimed_mime: str | None = None, claimed_name: str | None = None, *,
           today: date) -> FileFacts:
    """``check`` for the store: the facts, or ``EvidenceRefused`` (the port's typed error)."""
    verdict = check(data, claimed_mime, claimed_name, today=today)
    if isinstance(verdict, Refused):
        raise EvidenceRefused(verdict.reason, verdict.reason_th)
    return verdict


def store_bytes(evidence_dir: Path, data: bytes, sha256: str | None = None) -> Path:
    """Write the bytes under their hash (once; atomically) and return the absolute path."""
    sha256 = sha256 or sha256_hex(data)
    target = Path(evidence_dir) / relative_path(sha256)
    if target.exists() and target.stat().st_size == len(data):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# -- the checks -------------------------------------------------------------------------------------------
def _has_markup(data: bytes) -> bool:
    head = data[:MARKUP_WINDOW].lower()
    tail = data[-MARKUP_WINDOW:].lower() if len(data) > MARKUP_WINDOW else b""
    return any(tag in head or tag in tail for tag in MARKUP)


def _looks_office(data: bytes, claimed_mime: str | None, claimed_name: str | None) -> bool:
    kind = filetype.guess(data)
    mime = kind.mime if kind is not None else ""
    if mime.startswith(_OFFICE_MIMES):
        return True
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # a zip or OLE container claiming to be office
        return (claimed_mime or "").startswith(_OFFICE_MIMES) or (claimed_name or "").lower().endswith(_OFFICE_EXT)
    return False


def _image_facts(data: bytes, fmt: str, today: date
                 ) -> tuple[int, int, datetime | None, tuple[float, float] | None] | Refused:
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                return Refused("pixels")
            img.verify()  # PNG: every chunk's CRC up to IEND; the others: what the plugin can check cheaply
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:  # verify() leaves the image unusable
            exif = img.getexif()
            if fmt == "JPEG":
                img.draft(img.mode, (max(1, width // 8), max(1, height // 8)))  # still reads every byte
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Refused("pixels")
    except Exception:  # noqa: BLE001 - any failure to decode (truncated, corrupt, unsupported) is a refusal
        return Refused("broken")
    if width <= 0 or height <= 0:
        return Refused("broken")
    return width, height, _taken_at(exif, today), _gps(exif)


def _heif_mime(data: bytes) -> str | None:
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None
    size = struct.unpack(">I", data[:4])[0]
    if size < 16 or size > min(len(data), 4096) or size % 4:
        return None
    major = data[8:12]
    brands = {major} | {data[i:i + 4] for i in range(16, size, 4)}
    if b"avif" in brands or b"avis" in brands:
        if not brands & _HEIC_BRANDS:
            return None  # AVIF: not among the accepted types
    if major in _HEIC_BRANDS or (major in _HEIF_BRANDS and brands & _HEIC_BRANDS):
        return "image/heic"
    if major in _HEIF_BRANDS:
        return "image/heif"
    return None


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]] | None:
    """ISO-BMFF boxes in data[start:end] as (type, body start, box end); None when they do not tile it."""
    out = []
    pos = start
    while pos < end:
        if end - pos < 8:
            return None
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            if end - pos < 16:
                return None
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return None
        out.append((kind, pos + header, pos + size))
        pos += size
    return out


def _heif_size(data: bytes) -> tuple[int | None, int | None] | Refused:
    boxes = _boxes(data, 0, len(data))
    if not boxes or boxes[0][0] != b"ftyp":
        return Refused("broken")
    kinds = {k for k, _, _ in boxes}
    if b"meta" not in kinds or b"mdat" not in kinds:
        return Refused("broken")
    _, body, end = next(b for b in boxes if b[0] == b"meta")
    meta = data[body:end]
    largest: tuple[int, int] | None = None
    pos = meta.find(b"ispe")
    while pos >= 4:
        if pos + 16 <= len(meta):
            w, h = struct.unpack(">II", meta[pos + 8:pos + 16])  # after the full box's version and flags
            if largest is None or w * h > largest[0] * largest[1]:
                largest = (w, h)
        pos = meta.find(b"ispe", pos + 4)
    if largest is None:
        return None, None
    if largest[0] * largest[1] > MAX_PIXELS:
        return Refused("pixels")
    return largest


# -- what an image says about itself --------------------------------------------------------------------
def _taken_at(exif, today: date) -> datetime | None:
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except Exception:  # noqa: BLE001 - a broken EXIF block only loses the time
        sub = {}
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not raw:
        return None
    try:
        when = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not EARLIEST_YEAR <= when.year <= today.year + 1:
        return None
    offset = sub.get(_OFFSET_TIME_ORIGINAL)
    if offset:
        try:
            return datetime.fromisoformat(when.isoformat() + str(offset).strip("\x00 "))
        except (ValueError, OverflowError):
            pass
    return when.replace(tzinfo=BANGKOK)  # cameras record local time; these offices are in Thailand


def _gps(exif) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:  # noqa: BLE001 - a broken GPS block only loses the place
        return None
    if not gps or 2 not in gps or 4 not in gps:
        return None
    try:
        lat = _degrees(gps[2])
        lon = _degrees(gps[4])
    except (TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if str(gps.get(1, "N")).strip("\x00 ").upper().startswith("S"):
        lat = -lat
    if str(gps.get(3, "E")).strip("\x00 ").upper().startswith("W"):
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(value) -> float:
    d, m, s = (float(v) for v in value)
    return d + m / 60 + s / 3600


# -- retractions (the store's methods; SqliteStore inherits them) ------------------------------------------
class EvidenceRetractionsStore:
    """Mixed into SqliteStore (which provides ``db``, ``_lock``, ``_write``, ``_row``, ``_rows``, ``_audit``)."""

    if TYPE_CHECKING:  # provided by SqliteStore
        db: Any
        _lock: Any

        def _write(self) -> AbstractContextManager[Any]: ...
        def _row(self, sql: str, params: Any = None) -> dict[str, Any] | None: ...
        def _rows(self, sql: str, params: Any = None) -> list[dict[str, Any]]: ...
        def _now(self) -> datetime: ...
        def _audit(self, action: str, entity: str, entity_id: Any, before: Any = None, after: Any = None, *,
                   actor_person: int | None = None, actor: str | None = None) -> None: ...

    def retract_evidence(self, evidence_id: int, person_id: int, *, at: datetime) -> datetime:
        """Withdraw one's own evidence (see the module docstring); returns when it was retracted."""
        with self._write():
            row = self._row("SELECT id, person_id FROM evidence WHERE id = ?", [evidence_id])
            if row is None:
                raise KeyError(evidence_id)
            if row["person_id"] != person_id:
                raise PermissionError(f"evidence {evidence_id} was sent by another person")
            done = self._row("SELECT at FROM evidence_retractions WHERE evidence_id = ?", [evidence_id])
            if done is not None:
                return _when(done["at"])
            when = at if at.tzinfo is not None else at.replace(tzinfo=BANGKOK)
            self.db.execute("INSERT INTO evidence_retractions (evidence_id, person_id, at, recorded_at) "
                            "VALUES (?, ?, ?, ?)", [evidence_id, person_id, when.isoformat(), self._now().isoformat()])
            self._audit("retract", "evidence", evidence_id, None, {"at": when.isoformat()}, actor_person=person_id)
        return when

    def retracted_evidence(self, unit_id: str) -> dict[int, datetime]:
        """The unit's retracted evidence: evidence id -> when it was retracted."""
        rows = self._rows("SELECT r.evidence_id, r.at FROM evidence_retractions r JOIN evidence e "
                          "ON e.id = r.evidence_id WHERE e.unit_id = ?", [unit_id])
        return {r["evidence_id"]: _when(r["at"]) for r in rows}


def _when(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=BANGKOK)
