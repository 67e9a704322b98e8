"""Evidence files: content-addressed storage and what the bytes say about themselves.

A file is kept once, under ``evidence_dir/ab/abcdef...`` (its sha256), whatever unit, KPI or period
it is attached to. The mime type comes from the bytes (``filetype``), never from what a channel
claims; for images Pillow gives the pixel size and, when the photo kept its EXIF, the time it was
taken and where.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import filetype

from scoring.thaidate import BANGKOK

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 36867
_OFFSET_TIME_ORIGINAL = 36881
_DATETIME = 306


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    mime: str
    size: int
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    gps: tuple[float, float] | None = None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def relative_path(sha256: str) -> str:
    """Where a file with this hash lives, relative to the evidence folder: ``ab/abcdef...``."""
    return f"{sha256[:2]}/{sha256}"


def sniff_mime(data: bytes, hint: str | None = None) -> str:
    kind = filetype.guess(data)
    if kind is not None:
        return kind.mime
    return hint or "application/octet-stream"


def inspect(data: bytes, mime_hint: str | None = None) -> FileFacts:
    """Hash, mime by content, size, and for images pixel size, EXIF time and GPS when present."""
    mime = sniff_mime(data, mime_hint)
    width = height = None
    taken_at = None
    gps = None
    if mime.startswith("image/"):
        width, height, taken_at, gps = _image_facts(data)
    return FileFacts(sha256_hex(data), mime, len(data), width, height, taken_at, gps)


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


def _image_facts(data: bytes) -> tuple[int | None, int | None, datetime | None, tuple[float, float] | None]:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            exif = img.getexif()
    except Exception:  # not an image Pillow can read (HEIC without a plugin, a broken file): keep the bytes anyway
        return None, None, None, None
    return width, height, _taken_at(exif), _gps(exif)


def _taken_at(exif) -> datetime | None:
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except Exception:
        sub = {}
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not raw:
        return None
    try:
        when = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(_OFFSET_TIME_ORIGINAL)
    if offset:
        try:
            return datetime.fromisoformat(when.isoformat() + str(offset).strip("\x00 "))
        except ValueError:
            pass
    return when.replace(tzinfo=BANGKOK)  # cameras record local time; these offices are in Thailand


def _gps(exif) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:
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
