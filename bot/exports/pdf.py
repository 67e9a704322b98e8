"""The PDF to sign: a unit's appraisal summary for the round, one A4 page per agreement.

A renderer only: it takes handlers/views/appraisal.py's Sheets (a unit's team and individual
agreements) and returns PDF bytes; every figure is the Sheet's, only formatted (scores with 2
decimals, counts with thousands separators, dates in the Buddhist Era).

- Each page: the agreement's title, unit, round with its BE dates, the two parties; the table
  ก × ข = ค (KPI, result as read, ก, ข, ค, evidence files); Σข, Σค, the 0-100 score (Σค ÷ 5), the score
  against the weights present where Σข ≠ 100, and the band; what is still unreported; the sheet's notes;
  signature lines for the one appraised and the appraiser. A district's two agreements make two pages.
- Thai is shaped by fpdf2's text shaping (``set_text_shaping(True)``, HarfBuzz through uharfbuzz):
  vowels and tone marks sit on their consonants, no missing-glyph boxes (checked by eye on a page
  rendered with pypdfium2: tests/bot/test_exports_pdf.py writes it). The font is Sarabun (OFL) from the
  ``fontpkg-sarabun`` package (``fontpkg.path("Sarabun", weight)``), embedded; no system font.
- Lines break between Thai words: each text is segmented with pythainlp's ``word_tokenize`` and the
  words joined with U+200B (ZERO WIDTH SPACE), where fpdf2 may break; Thai has no spaces between words,
  so without it fpdf2 breaks mid-word. The text layer therefore holds U+200B between words (strip it to
  compare text).
- SARA AM (ำ, U+0E33) is written as its two parts, NIKHAHIT + SARA AA (U+0E4D U+0E32), the glyphs HarfBuzz
  draws for it anyway: the page looks the same (checked by eye), but fpdf2 maps the second glyph of a
  decomposed ำ to a control character in the text layer ("อำ\x03เภอ"); written as parts, the text layer
  reads "อํา" (compose U+0E4D U+0E32 back to U+0E33 to compare).
- Measured on this machine (2 shared cores, fpdf2 2.8.9, uharfbuzz 0.57): a district's two pages render
  in 1.0-1.1 s warm (the demo's เมืองยะลา; profiled: about 80 % is fpdf2's line breaking, which measures
  the shaped width of every candidate line); the first call in a process costs about 1 s more
  (pythainlp's dictionary, font parsing). Fine for a file asked for now and then, not for a loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

import fontpkg
from fpdf import FPDF
from fpdf.fonts import FontFace

from handlers.texts import score
from handlers.views.appraisal import Sheet
from scoring.bands import WEIGHTS_PRESENT_TH
from scoring.thaidate import format_be

FAMILY = "Sarabun"
ZWSP = "\u200b"
SARA_AM, SARA_AM_PARTS = "\u0e33", "\u0e4d\u0e32"  # ำ, written as its two parts (see the module notes)
KIND_TH = {"province": "จังหวัด", "district": "อำเภอ"}
NOT_REPORTED = "ยังไม่รายงาน"
COLUMNS = (("ที่", 8), ("ตัวชี้วัด", 63), ("ผลการดำเนินงาน", 40), ("คะแนน\n(ก)", 15), ("น้ำหนัก\n(ข)", 16),
           ("ค = ก × ข", 20), ("หลักฐาน\n(ไฟล์)", 18))  # mm, 180 in all (A4 less 15 mm margins)


@lru_cache(maxsize=4096)
def thai_breaks(text: str) -> str:
    """The text with U+200B between Thai words (pythainlp word_tokenize), so fpdf2 breaks lines there."""
    if not text or text.isascii():
        return text
    from pythainlp.tokenize import word_tokenize

    return ZWSP.join(word_tokenize(text, keep_whitespace=True)).replace(SARA_AM, SARA_AM_PARTS)


def _font_files() -> dict[str, str]:
    return {"": str(fontpkg.path(FAMILY, 400)), "B": str(fontpkg.path(FAMILY, 700))}


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        for style, path in _font_files().items():
            self.add_font(FAMILY, style, path)
        self.set_text_shaping(True)
        self.set_margins(15, 14, 15)
        self.set_auto_page_break(True, margin=14)
        self.set_title("สรุปผลการประเมินตัวชี้วัด")
        self.set_author("kpibot")
        self.set_creator("kpibot")

    def para(self, text: str, size: float = 12, style: str = "", align: str = "L", height: float | None = None) -> None:
        self.set_font(FAMILY, style, size)
        self.multi_cell(0, height or size * 0.5, thai_breaks(text), align=align, new_x="LMARGIN", new_y="NEXT")


def _num(value: Decimal | None, whole: bool) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if whole and value == value.to_integral_value() else score(value)


def _page(pdf: _Pdf, sheet: Sheet) -> None:
    pdf.add_page()
    place = KIND_TH.get(sheet.unit_kind, "") + sheet.unit
    pdf.para("สรุปผลการประเมินตัวชี้วัด" + sheet.set_name, 16, "B", "C", 8)
    pdf.para(sheet.title, 13, "B", "C", 6.5)
    dates = (f" ({format_be(sheet.round_start, full=True)} – {format_be(sheet.round_end, full=True)})"
             if sheet.round_start and sheet.round_end else "")
    pdf.para(f"{place} · {sheet.round_label}{dates}", 13, "", "C", 6.5)
    pdf.ln(2)
    pdf.para(f"ผู้รับการประเมิน: {sheet.parties[0]}    ผู้ประเมิน: {sheet.parties[1]}", 12)
    pdf.ln(2)
    whole = all(line.weight == line.weight.to_integral_value() for line in sheet.lines)
    pdf.set_font(FAMILY, "", 11)
    head = FontFace(emphasis="BOLD", fill_color=(221, 235, 247))
    widths = tuple(w for _, w in COLUMNS)
    with pdf.table(col_widths=widths, width=sum(widths), line_height=5.4, headings_style=head,
                   text_align=("CENTER", "LEFT", "LEFT", "CENTER", "CENTER", "CENTER", "CENTER"),
                   padding=1.2, first_row_as_headings=True) as table:
        heading = table.row()
        for title, _ in COLUMNS:
            heading.cell(thai_breaks(title), align="CENTER")
        group = None
        for line in sheet.lines:
            if line.group and line.group != group:
                group = line.group
                table.row().cell(thai_breaks(line.group), colspan=len(COLUMNS),
                                 style=FontFace(emphasis="BOLD", fill_color=(242, 242, 242)))
            row = table.row()
            row.cell(line.number)
            row.cell(thai_breaks(line.name))
            row.cell(thai_breaks(line.result or NOT_REPORTED))
            row.cell("-" if line.level is None else str(line.level))
            row.cell(_num(line.weight, whole))
            row.cell(_num(line.weighted, whole))
            row.cell(f"{line.evidence:,}")
        total = table.row(style=FontFace(emphasis="BOLD"))
        total.cell("รวม", colspan=4, align="RIGHT")
        total.cell(_num(sheet.weights_total, whole))
        total.cell(_num(sheet.weighted_sum, whole))
        total.cell(f"{sum(line.evidence for line in sheet.lines):,}")
    pdf.ln(3)
    pdf.para(f"คะแนนผลการดำเนินงาน (ผลรวม ค ÷ 5): {score(sheet.score100)} คะแนน (เต็ม 100)", 13, "B")
    if sheet.normalised100 is not None:
        pdf.para(f"คะแนน{WEIGHTS_PRESENT_TH} (ผลรวม ค × 100 ÷ ผลรวม ข ÷ 5): {score(sheet.normalised100)} คะแนน", 13, "B")
    band = sheet.band + (f" ({WEIGHTS_PRESENT_TH})" if sheet.normalised100 is not None else "")
    pdf.para(f"ระดับผลการประเมิน: {band}", 13, "B")
    if sheet.missing:
        pdf.para(f"ยังไม่รายงาน {sheet.missing:,} ตัวชี้วัด (นับ ค = 0 ในคะแนนเท่าที่มี)", 12)
    for note in sheet.notes:
        if not note.startswith(WEIGHTS_PRESENT_TH):
            pdf.para(f"หมายเหตุ: {note}", 11)
    _signatures(pdf, sheet.parties)


def _signatures(pdf: _Pdf, parties: Sequence[str]) -> None:
    """Two signature blocks side by side: the one appraised (left) and the appraiser (right)."""
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.ln(12)
    top = pdf.get_y()
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    for i, (who, role) in enumerate(((parties[0], "ผู้รับการประเมิน"), (parties[1], "ผู้ประเมิน"))):
        pdf.set_xy(pdf.l_margin + i * half, top)
        pdf.set_font(FAMILY, "", 12)
        for text in ("ลงชื่อ ..................................................",
                     "(..................................................)",
                     f"{who}", role, "วันที่ ........ / ........ / ........"):
            pdf.set_x(pdf.l_margin + i * half)
            pdf.multi_cell(half, 7, thai_breaks(text), align="C", new_x="LEFT", new_y="NEXT")


def appraisal_pdf(sheets: list[Sheet]) -> bytes:
    """The unit's appraisal summary: one A4 page per Sheet (a district's team and individual: two)."""
    pdf = _Pdf()
    if not sheets:
        pdf.add_page()
        pdf.para("ยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้", 14)
    for sheet in sheets:
        _page(pdf, sheet)
    return bytes(pdf.output())


__all__ = ["appraisal_pdf", "thai_breaks"]
