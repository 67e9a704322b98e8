"""The evidence pack: a zip of a unit's evidence files for one round, with an index sheet.

A renderer only: it takes handlers/views/evidence.py's ``EvidenceList`` (the rows, as the chat lists them)
and a loader of each file's bytes, and returns the zip (or writes it to a given binary file). It reads
no database; what it reads is through ``load``.

Guarantees (tests/bot/test_evidence_pack.py reopens the zip and the index with openpyxl and checks each):
- Every row whose bytes load and hash to the recorded sha256 is in the zip exactly once, byte for byte,
  under an ASCII name every unzip tool shows alike: ``{set}-kpi{number}/{period}_{id:05d}_{sha256[:12]}.{ext}``
  ("team-kpi1/2025-06_00012_3fa9c0d1e2b4.jpg"; ``ext`` from the stored mime). The same bytes recorded for
  two periods are two entries (each row its own). Each entry's time in the zip is when the file was
  received (Thailand time).
- A row its sender withdrew (``EvidenceRow.retracted_at``) is never in the zip; its index row stays, marked
  ถอนแล้ว with the time.
- A row whose file is gone from disk, or whose bytes no longer hash to the recorded sha256, is NOT put in
  the zip (altered bytes are not evidence) and its index row says so (หมายเหตุ); the pack is still made.
- ``INDEX_NAME`` (index.xlsx, XlsxWriter, font TH Sarabun New as bot/exports/excel.py) holds one sheet
  ``INDEX_SHEET``: a title (unit and round), the day the data is as of and the file count, then one row
  per evidence row in the list's order with Thai headings ``HEADINGS``: KPI, set, period, the level
  claimed (the unit's live submission for that KPI and period; "ยังไม่รายงานผล" when none), who sent it,
  when (BE date and time), sha256, the EXIF time and place (latitude, longitude) when the photo kept them,
  the name inside the zip, the name it was sent under, its size in bytes and remarks (a file sent for
  another unit or period too, a file missing or altered). Dates are Thai text in BE (an Excel date cell
  shows the CE year on viewers without the Thai calendar).
- Images (already compressed) are stored, PDFs and the index deflated.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import xlsxwriter

from handlers.ports import Evidence
from handlers.texts import period_th
from handlers.views.evidence import EvidenceList, EvidenceRow, when_th
from scoring.thaidate import BANGKOK, format_be

FONT = "TH Sarabun New"
SIZE = 14
INDEX_NAME = "index.xlsx"
INDEX_SHEET = "ดัชนีหลักฐาน"
HEAD_ROW = 3  # 0-based row of the headings; data follows
SHA_COL = 8  # the sha256 column (monospace)
HEADINGS = (  # (heading, width)
    ("ลำดับ", 6), ("รหัสหลักฐาน", 9), ("ตัวชี้วัด", 28), ("ชุดตัวชี้วัด", 11), ("งวด", 18), ("ระดับที่อ้าง", 10),
    ("ผู้ส่ง", 22), ("วันที่ส่ง", 20), ("sha256", 66), ("เวลาถ่าย (EXIF)", 20), ("สถานที่ถ่าย (EXIF)", 22),
    ("ไฟล์ในชุดนี้", 44), ("ชื่อไฟล์ที่ส่ง", 22), ("ขนาด (ไบต์)", 12), ("หมายเหตุ", 36),
)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic",
              "image/heif": "heif", "application/pdf": "pdf"}
_STORED = {"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"}
NO_LEVEL = "ยังไม่รายงานผล"
MISSING_TH = "ไม่พบไฟล์ในที่เก็บ จึงไม่ได้ใส่ในชุดนี้"
ALTERED_TH = "ไฟล์ในที่เก็บไม่ตรงกับ sha256 ที่บันทึกไว้ จึงไม่ได้ใส่ในชุดนี้"
RETRACTED_TH = "ถอนแล้ว {day} โดยผู้ส่ง จึงไม่ได้ใส่ในชุดนี้"


@dataclass(frozen=True)
class Packed:
    """What a pack holds: the zip's bytes (empty when written to a file), entries and problems."""

    data: bytes
    files: int  # evidence files put in the zip
    problems: int  # rows left out: file missing or altered
    retracted: int = 0  # rows left out: withdrawn by their sender


def entry_name(row: EvidenceRow) -> str:
    """The file's name inside the zip (ASCII): "team-kpi1/2025-06_00012_3fa9c0d1e2b4.jpg"."""
    ev = row.evidence
    number = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in row.kpi_number)
    ext = EXTENSIONS.get(ev.mime, "bin")
    return f"{row.set_id}-kpi{number}/{ev.period}_{ev.id:05d}_{ev.sha256[:12]}.{ext}"


def pack(listing: EvidenceList, load: Callable[[Evidence], bytes], out: BinaryIO | None = None) -> Packed:
    """The zip of ``listing``'s files with its index; written to ``out`` when given (``data`` is then b"")."""
    target: BinaryIO = out if out is not None else io.BytesIO()
    names: list[str | None] = []
    notes: list[list[str]] = []
    problems = retracted = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for row in listing.rows:
            ev = row.evidence
            note = [f"ไฟล์เดียวกับหลักฐานรหัส {ev.duplicate_of} ที่ส่งสำหรับหน่วยงานหรืองวดอื่น"] if ev.duplicate_of else []
            if row.retracted_at is not None:  # withdrawn: listed, never packed
                names.append(None)
                notes.append([*note, RETRACTED_TH.format(day=when_th(row.retracted_at))])
                retracted += 1
                continue
            try:
                data = load(ev)
            except (FileNotFoundError, KeyError):
                names.append(None)
                notes.append([*note, MISSING_TH])
                problems += 1
                continue
            if hashlib.sha256(data).hexdigest() != ev.sha256:
                names.append(None)
                notes.append([*note, ALTERED_TH])
                problems += 1
                continue
            name = entry_name(row)
            info = zipfile.ZipInfo(name, _zip_time(row))
            info.compress_type = zipfile.ZIP_STORED if ev.mime in _STORED else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
            names.append(name)
            notes.append(note)
        index = zipfile.ZipInfo(INDEX_NAME, _zip_time(None, listing))
        index.compress_type = zipfile.ZIP_DEFLATED
        index.external_attr = 0o644 << 16
        zf.writestr(index, index_sheet(listing, names, notes))
    data = target.getvalue() if out is None and isinstance(target, io.BytesIO) else b""
    return Packed(data, sum(1 for n in names if n), problems, retracted)


def _zip_time(row: EvidenceRow | None, listing: EvidenceList | None = None) -> tuple[int, int, int, int, int, int]:
    if row is not None:
        t = row.evidence.received_at.astimezone(BANGKOK)
        return (max(t.year, 1980), t.month, t.day, t.hour, t.minute, t.second)
    day = listing.day if listing is not None else None
    return (max(day.year, 1980), day.month, day.day, 0, 0, 0) if day else (1980, 1, 1, 0, 0, 0)


def index_sheet(listing: EvidenceList, names: list[str | None], notes: list[list[str]]) -> bytes:
    """The index workbook: one row per evidence row, ``names[i]`` its entry in the zip (None: left out)."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    title = f"หลักฐานประกอบการประเมิน {listing.unit.name} {listing.round_label}".strip()
    wb.set_properties({"title": title, "author": "kpibot"})
    wb.formats[0].set_font_name(FONT)
    wb.formats[0].set_font_size(SIZE)
    base = {"font_name": FONT, "font_size": SIZE, "valign": "top"}
    box = {**base, "border": 1}
    f_title = wb.add_format({**base, "bold": True, "font_size": SIZE + 4})
    f_text = wb.add_format(base)
    f_head = wb.add_format({**box, "bold": True, "align": "center", "valign": "vcenter", "text_wrap": True,
                            "bg_color": "#DDEBF7"})
    f_cell = wb.add_format({**box, "text_wrap": True})
    f_mono = wb.add_format({**box, "font_name": "Consolas", "font_size": 10})
    f_int = wb.add_format({**box, "num_format": "#,##0", "align": "center"})
    ws = wb.add_worksheet(INDEX_SHEET)
    ws.write(0, 0, title, f_title)
    kept = sum(1 for n in names if n)
    ws.write(1, 0, f"ข้อมูล ณ {when_day(listing)} · หลักฐาน {len(listing.rows):,} รายการ · "
                   f"ไฟล์ในชุดนี้ {kept:,} ไฟล์", f_text)
    for col, (heading, width) in enumerate(HEADINGS):
        ws.set_column(col, col, width)
        ws.write(HEAD_ROW, col, heading, f_head)
    for i, (row, name, note) in enumerate(zip(listing.rows, names, notes, strict=True)):
        ev = row.evidence
        r = HEAD_ROW + 1 + i
        cells = [i + 1, ev.id, row.kpi, row.set_name,
                 period_th(ev.period) if ev.period != "round" else "ทั้งรอบการประเมิน",
                 NO_LEVEL if row.level is None else row.level, row.sender, when_th(ev.received_at), ev.sha256,
                 when_th(ev.taken_at) if ev.taken_at else "-",
                 f"{ev.gps[0]:.6f}, {ev.gps[1]:.6f}" if ev.gps else "-",
                 name or "-", ev.file_name or "-", ev.size, "; ".join(note)]
        for col, value in enumerate(cells):
            if isinstance(value, int):
                ws.write_number(r, col, value, f_int)
            else:
                ws.write_string(r, col, value, f_mono if col == SHA_COL else f_cell)
    ws.freeze_panes(HEAD_ROW + 1, 3)
    ws.autofilter(HEAD_ROW, 0, HEAD_ROW + max(len(listing.rows), 1), len(HEADINGS) - 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEAD_ROW)
    wb.close()
    return out.getvalue()


def when_day(listing: EvidenceList) -> str:
    return format_be(listing.day)
