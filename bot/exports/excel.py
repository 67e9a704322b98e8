"""The official Excel form (seed 004, annex 2 "แบบรายงานผลการดำเนินงาน"): a workbook from a Book.

A renderer only: it takes handlers/views/appraisal.py's Book and returns .xlsx bytes; every figure is
the Book's (never recomputed), only laid out and formatted.

Guarantees (tests/bot/test_exports_excel.py reopens the file with openpyxl and checks each):
- Sheets: "สรุปอันดับ" (the children ranked, team and individual apart, each with its band, KPIs still
  unreported and the change since last month; then every appraisal sheet with a link to it), one sheet
  per unit and agreement, and "รายการค้างส่ง" (every item owed: unit, KPI, period, cutoff, status, who,
  phone). Sheet names are at most 31 characters, unique, and free of []:*?/\\ (Excel's rules).
- Each appraisal sheet reproduces annex 2's columns: the KPI, its criteria for levels 1-5 in the
  document's words, the result, ก, ข, ค = ก × ข, then Σข, Σค, the 0-100 score (Σค ÷ 5) and the band; 004's
  groups (Performance / Potential Base) as section rows. Plus the evidence files per KPI and signature
  lines for both parties.
- ค, Σข, Σค, the score, the score against the weights present (where Σข ≠ 100) and the band are
  formulas, each WITH its computed value stored (XlsxWriter ``write_formula(..., value=...)``): a viewer
  that never recalculates (phones) still shows the Book's numbers; Excel recalculating gets the same
  ones (ROUND is half-up for the positive scores here, as scoring/totals.py rounds). The summary's
  scores and bands are references to the appraisal sheets' cells, values stored too. openpyxl cannot
  store a formula's result, hence XlsxWriter (DESIGN.md).
- Numbers as the documents print them: scores with 2 decimals, levels as integers, weights and ค as
  integers when they are whole (else 2 decimals), counts with thousands separators (#,##0). Dates as
  Thai text in the Buddhist Era ("10 มิ.ย. 2568"): an Excel date cell would show the CE year on
  viewers without the Thai calendar.
- Thai headings throughout; the font is TH Sarabun New (the Thai government's standard font), which
  viewers without it replace by their own Thai font. A4 landscape, one page wide, header rows repeated.
- Measured on this machine (2 shared cores): the demo province book (8 districts, 18 appraisal sheets,
  about 60 missing items) renders in 0.10-0.12 s (median of 5; 52 KB).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from decimal import Decimal

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from handlers.texts import period_th
from handlers.views.appraisal import Book, MissingItem, Sheet
from scoring.bands import BANDS, WEIGHTS_PRESENT_TH
from scoring.thaidate import format_be

FONT = "TH Sarabun New"
SIZE = 14
SUMMARY = "สรุปอันดับ"
MISSING = "รายการค้างส่ง"
STATUS_TH = {"overdue": "เลยกำหนด", "soon": "ภายใน 7 วัน", "later": "ยังไม่ถึงกำหนด"}
KIND_TH = {"province": "จังหวัด", "district": "อำเภอ"}
SET_SHORT = {"รายทีม": "ทีม", "รายบุคคล": "บุคคล"}
_BAD_NAME = re.compile(r"[\[\]:*?/\\]")
NOT_REPORTED = "ยังไม่รายงาน"


def sheet_name(wanted: str, used: set[str]) -> str:
    """An Excel sheet name: no []:*?/\\, no leading/trailing apostrophe, at most 31 characters, unique
    (case-insensitively, as Excel compares) among `used`, which it joins."""
    base = _BAD_NAME.sub("-", wanted).strip("'").strip() or "แผ่นงาน"
    name, n = base[:31], 1
    while name.casefold() in {u.casefold() for u in used}:
        n += 1
        tail = f" ({n})"
        name = base[:31 - len(tail)] + tail
    used.add(name)
    return name


def _quote(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _whole(values: Sequence[Decimal]) -> bool:
    return all(v == v.to_integral_value() for v in values)


def _num(value: Decimal | None) -> float | int | str:
    if value is None:
        return ""
    return int(value) if value == value.to_integral_value() else float(value)


def band_formula(cell: str, bands: Sequence[tuple[str, Decimal]]) -> str:
    """=IF(X>=90,"ระดับคุณภาพ",IF(X>=75,...,"ระดับต้องปรับปรุง")) from the bands, best first."""
    *upper, (lowest, _) = bands
    formula = f'"{lowest}"'
    for name, minimum in reversed(upper):
        formula = f'IF({cell}>={_num(minimum)},"{name}",{formula})'
    return "=" + formula


def _rows_for(texts: Sequence[str], widths: Sequence[float]) -> int:
    """How many lines the tallest wrapped cell of a row needs (Thai: about 1.1 characters per width unit
    at 14 pt TH Sarabun New, whose glyphs are narrow)."""
    lines = 1
    for text, width in zip(texts, widths, strict=False):
        if text:
            per_line = max(4, int(width * 1.1))
            lines = max(lines, sum(math.ceil(max(len(part), 1) / per_line) for part in str(text).split("\n")))
    return lines


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        base = {"font_name": FONT, "font_size": SIZE, "valign": "top"}
        box = {**base, "border": 1}

        def fmt(base_: dict, **kw):
            return wb.add_format({**base_, **kw})

        self.title = fmt(base, bold=True, font_size=SIZE + 4)
        self.text = fmt(base)
        self.bold = fmt(base, bold=True)
        self.head = fmt(box, bold=True, align="center", valign="vcenter", text_wrap=True, bg_color="#DDEBF7")
        self.cell = fmt(box, text_wrap=True)
        self.center = fmt(box, align="center", text_wrap=True)
        self.group = fmt(box, bold=True, bg_color="#F2F2F2", text_wrap=True)
        self.int = fmt(box, num_format="#,##0", align="center")
        self.dec2 = fmt(box, num_format="#,##0.00", align="center")
        self.total_label = fmt(box, bold=True, align="right")
        self.total_int = fmt(box, bold=True, num_format="#,##0", align="center")
        self.total_dec2 = fmt(box, bold=True, num_format="#,##0.00", align="center")
        self.band = fmt(box, bold=True, align="center")
        self.change = fmt(box, num_format="+#,##0.00;-#,##0.00;0.00", align="center")
        self.link = fmt(box, font_color="#0563C1", underline=1)
        self.note = fmt(base, italic=True, text_wrap=True)
        self.sign = fmt(base, align="center")


def workbook(book: Book) -> bytes:
    """The province (or district) workbook of a Book, as .xlsx bytes."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties({"title": f"ผลการประเมินตัวชี้วัด {book.title} {book.round_label}", "author": "kpibot"})
    wb.formats[0].set_font_name(FONT)
    wb.formats[0].set_font_size(SIZE)
    f = _Formats(wb)
    bands = book.bands or tuple((b.th, b.minimum) for b in BANDS)
    used: set[str] = {SUMMARY, MISSING}
    summary = wb.add_worksheet(SUMMARY)
    cells: list[tuple[Sheet, str, dict[str, str]]] = []  # (sheet, sheet name, key cells)
    for sheet in book.sheets:
        unit = SET_SHORT.get(sheet.set_name, sheet.set_name)
        name = sheet_name(f"{sheet.unit}-{unit}", used)
        cells.append((sheet, name, _appraisal(f, wb.add_worksheet(name), sheet, book, bands)))
    _summary(f, summary, book, cells)
    _missing(f, wb.add_worksheet(MISSING), book.missing, book)
    wb.close()
    return out.getvalue()


# ----------------------------------------------------------------------------------- one appraisal sheet

COLUMNS = (  # (heading, width) in annex 2's order, then the evidence count
    ("ตัวชี้วัดที่", 7), ("ตัวชี้วัดผลงาน", 34),
    ("1", 18), ("2", 18), ("3", 18), ("4", 18), ("5", 18),
    ("ผลการดำเนินงาน", 20), ("คะแนน\n(ก)", 8), ("น้ำหนัก\n(ร้อยละ)\n(ข)", 9),
    ("คะแนนถ่วงน้ำหนัก (ค)\n(ค = ก×ข)", 13), ("หลักฐาน\n(ไฟล์)", 9),
)
A, NAME, C1, RESULT, K, W, KW, EVID = 0, 1, 2, 7, 8, 9, 10, 11


def _appraisal(f: _Formats, ws, sheet: Sheet, book: Book,
               bands: Sequence[tuple[str, Decimal]]) -> dict[str, str]:
    for col, (_, width) in enumerate(COLUMNS):
        ws.set_column(col, col, width)
    last = len(COLUMNS) - 1
    place = KIND_TH.get(sheet.unit_kind, "") + sheet.unit
    ws.merge_range(0, 0, 0, last, f"แบบรายงานผลการดำเนินงาน {sheet.title}", f.title)
    ws.merge_range(1, 0, 1, last, f"{place} · ตัวชี้วัด{sheet.set_name} · {sheet.round_label}"
                   + (f" ({format_be(sheet.round_start)} – {format_be(sheet.round_end)})"
                      if sheet.round_start and sheet.round_end else ""), f.bold)
    ws.merge_range(2, 0, 2, last, f"ผู้รับการประเมิน: {sheet.parties[0]}    ผู้ประเมิน: {sheet.parties[1]}", f.text)
    ws.merge_range(3, 0, 3, last, f"ข้อมูล ณ วันที่ {format_be(book.today, full=True)}", f.text)
    # two heading rows, as the form prints them
    h1, h2 = 5, 6
    for col, (heading, _) in enumerate(COLUMNS):
        if C1 <= col < C1 + 5:
            ws.write(h2, col, int(heading), f.head)
        else:
            ws.merge_range(h1, col, h2, col, heading, f.head)
    ws.merge_range(h1, C1, h1, C1 + 4, "คะแนนตามระดับค่าเป้าหมาย", f.head)
    ws.set_row(h1, 22)
    ws.set_row(h2, 60)
    ws.repeat_rows(h1, h2)
    ws.freeze_panes(h2 + 1, 2)
    whole = _whole([line.weight for line in sheet.lines])
    w_fmt = f.int if whole else f.dec2
    row = h2 + 1
    first = row
    group = None
    widths = [w for _, w in COLUMNS]
    for line in sheet.lines:
        if line.group and line.group != group:
            group = line.group
            ws.merge_range(row, 0, row, last, line.group, f.group)
            row += 1
        group = line.group or group
        texts = [line.number, line.name, *line.criteria, line.result or NOT_REPORTED]
        ws.write_string(row, A, line.number, f.center)
        ws.write_string(row, NAME, line.name, f.cell)
        for i, text in enumerate(line.criteria[:5]):
            ws.write_string(row, C1 + i, text or "-", f.cell)
        for i in range(len(line.criteria), 5):
            ws.write_string(row, C1 + i, "-", f.cell)
        ws.write_string(row, RESULT, line.result or NOT_REPORTED, f.cell)
        if line.level is None:
            ws.write_blank(row, K, None, f.int)
        else:
            ws.write_number(row, K, line.level, f.int)
        ws.write_number(row, W, _num(line.weight), w_fmt)
        k, w = xl_rowcol_to_cell(row, K), xl_rowcol_to_cell(row, W)
        ws.write_formula(row, KW, f'=IF({k}="","",{k}*{w})', w_fmt,
                         _num(line.weighted) if line.weighted is not None else "")
        ws.write_number(row, EVID, line.evidence, f.int)
        ws.set_row(row, 19 * min(_rows_for(texts, widths), 21))
        row += 1
    end = row - 1
    wrange = f"{xl_rowcol_to_cell(first, W)}:{xl_rowcol_to_cell(end, W)}"
    krange = f"{xl_rowcol_to_cell(first, KW)}:{xl_rowcol_to_cell(end, KW)}"
    # the totals
    ws.merge_range(row, 0, row, W - 1, "รวม", f.total_label)
    ws.write_formula(row, W, f"=SUM({wrange})" if sheet.lines else "=0", f.total_int if whole else f.total_dec2,
                     _num(sheet.weights_total))
    ws.write_formula(row, KW, f"=SUM({krange})" if sheet.lines else "=0", f.total_int if whole else f.total_dec2,
                     _num(sheet.weighted_sum))
    ws.write_formula(row, EVID, f"=SUM({xl_rowcol_to_cell(first, EVID)}:{xl_rowcol_to_cell(end, EVID)})"
                     if sheet.lines else "=0", f.total_int, sum(line.evidence for line in sheet.lines))
    sum_w, sum_k = xl_rowcol_to_cell(row, W), xl_rowcol_to_cell(row, KW)
    row += 1
    ws.merge_range(row, 0, row, KW - 1, "คะแนนผลการดำเนินงาน (ผลรวม ค ÷ 5) เต็ม 100", f.total_label)
    ws.write_formula(row, KW, f"=ROUND({sum_k}/5,2)", f.total_dec2, float(sheet.score100))
    score_cell = xl_rowcol_to_cell(row, KW)
    basis = score_cell
    row += 1
    if sheet.normalised100 is not None:
        ws.merge_range(row, 0, row, KW - 1, f"คะแนน{WEIGHTS_PRESENT_TH} (ผลรวม ค × 100 ÷ ผลรวม ข ÷ 5)", f.total_label)
        ws.write_formula(row, KW, f"=IF({sum_w}=0,0,ROUND({sum_k}*100/{sum_w}/5,2))", f.total_dec2,
                         float(sheet.normalised100))
        basis = xl_rowcol_to_cell(row, KW)
        row += 1
    label = "ระดับผลการประเมิน" + (f" ({WEIGHTS_PRESENT_TH})" if sheet.normalised100 is not None else "")
    ws.merge_range(row, 0, row, KW - 1, label, f.total_label)
    ws.write_formula(row, KW, band_formula(basis, bands), f.band, sheet.band)
    band_cell = xl_rowcol_to_cell(row, KW)
    row += 1
    if sheet.missing:
        ws.merge_range(row, 0, row, last, f"คะแนนเท่าที่มี ยังไม่รายงาน {sheet.missing:,} ตัวชี้วัด "
                                          f"(ตัวชี้วัดที่ยังไม่รายงานนับ ค = 0)", f.note)
        row += 1
    for note in sheet.notes:
        ws.merge_range(row, 0, row, last, note, f.note)
        ws.set_row(row, 19 * _rows_for([note], [sum(widths)]))
        row += 1
    # signatures of both parties (annex 1: the one appraised and the appraiser sign)
    row += 2
    for col0, col1, who, role in ((0, 4, sheet.parties[0], "ผู้รับการประเมิน"), (6, last, sheet.parties[1], "ผู้ประเมิน")):
        ws.merge_range(row, col0, row, col1, "ลงชื่อ ........................................................", f.sign)
        ws.merge_range(row + 1, col0, row + 1, col1, "(........................................................)", f.sign)
        ws.merge_range(row + 2, col0, row + 2, col1, f"{who} {role}", f.sign)
        ws.merge_range(row + 3, col0, row + 3, col1, "วันที่ ........../........../..........", f.sign)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.print_area(0, 0, row + 3, last)
    return {"score": score_cell, "band": band_cell, "sum_k": sum_k, "sum_w": sum_w, "basis": basis}


# ---------------------------------------------------------------------------------------------- summary


RANKING_HEADS = ("ลำดับ", "หน่วยงาน", "คะแนนรายทีม", "ระดับ (รายทีม)", "คะแนนรายบุคคล", "ระดับ (รายบุคคล)",
                 "ตัวชี้วัดที่ยังไม่รายงาน", "เปลี่ยนแปลงจากสิ้นเดือนก่อน (รายทีม)")


def _ranking_table(f: _Formats, ws, row: int, ranked, by_unit, *, first: bool) -> int:
    """A ranking's head row and its rows from ``row``; the first one's head repeats on printed pages and is
    frozen. Returns the row after it."""
    for col, head in enumerate(RANKING_HEADS):
        ws.write(row, col, head, f.head)
    ws.set_row(row, 40)
    if first:
        ws.repeat_rows(row)
        ws.freeze_panes(row + 1, 2)
    row += 1
    for i, rank in enumerate(ranked, 1):
        ws.write_number(row, 0, i, f.int)
        ws.write_string(row, 1, rank.unit, f.cell)
        _ref(f, ws, row, 2, rank.team, rank.team_band, by_unit.get((rank.unit, "รายทีม")))
        _ref(f, ws, row, 4, rank.individual, rank.individual_band, by_unit.get((rank.unit, "รายบุคคล")))
        ws.write_number(row, 6, rank.missing, f.int)
        if rank.change is None:
            ws.write_string(row, 7, "-", f.center)
        else:
            ws.write_number(row, 7, float(rank.change), f.change)
        row += 1
    return row


def _summary(f: _Formats, ws, book: Book, cells: list[tuple[Sheet, str, dict[str, str]]]) -> None:
    widths = (7, 22, 12, 22, 12, 22, 12, 14)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    last = len(widths) - 1
    ws.merge_range(0, 0, 0, last, f"ผลการประเมินตัวชี้วัด {book.title} {book.round_label}", f.title)
    ws.merge_range(1, 0, 1, last, f"ข้อมูล ณ วันที่ {format_be(book.today, full=True)} · "
                                  f"คะแนนเต็ม 100 (ผลรวม ค ÷ 5) · รายทีมและรายบุคคลแยกกัน ไม่นำมาเฉลี่ยรวม", f.text)
    by_unit: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
        (s.unit, s.set_name): (name, keys) for s, name, keys in cells}
    row = 3
    if book.ranking:
        row = _ranking_table(f, ws, row, book.ranking, by_unit, first=True) + 1
    for heading, ranked in book.sections:  # one level further down: each province's districts
        ws.merge_range(row, 0, row, last, heading, f.bold)
        row = _ranking_table(f, ws, row + 1, ranked, by_unit, first=False) + 1
    # the band thresholds (004 §3.3) as the form states them
    ws.merge_range(row, 0, row, 3, "เกณฑ์ระดับผลการประเมิน (คะแนนเต็ม 100)", f.bold)
    row += 1
    bands = list(book.bands or tuple((b.th, b.minimum) for b in BANDS))
    for i, (name, minimum) in enumerate(bands):
        upper = bands[i - 1][1] if i else Decimal(100)
        span = f"{_num(minimum)} – 100 คะแนน" if i == 0 else (
            f"ต่ำกว่า {_num(upper)} คะแนน" if minimum == 0 else f"{_num(minimum)} – {upper - Decimal('0.01')} คะแนน")
        ws.merge_range(row, 0, row, 1, name, f.cell)
        ws.merge_range(row, 2, row, 3, span, f.cell)
        row += 1
    row += 1
    # every appraisal sheet, with a link to it
    ws.merge_range(row, 0, row, last, "แบบรายงานผลรายหน่วยงาน", f.bold)
    row += 1
    for col, head in enumerate(("ที่", "หน่วยงาน", "ตัวชี้วัด", "แผ่นงาน", "คะแนน", "ระดับ", "ยังไม่รายงาน")):
        ws.write(row, col, head, f.head)
    row += 1
    for i, (sheet, name, keys) in enumerate(cells, 1):
        ws.write_number(row, 0, i, f.int)
        ws.write_string(row, 1, sheet.unit, f.cell)
        ws.write_string(row, 2, sheet.set_name, f.cell)
        ws.write_url(row, 3, f"internal:{_quote(name)}!A1", f.link, string=name)
        ws.write_formula(row, 4, f"={_quote(name)}!{keys['score']}", f.dec2, float(sheet.score100))
        ws.write_formula(row, 5, f"={_quote(name)}!{keys['band']}", f.center, sheet.band)
        ws.write_number(row, 6, sheet.missing, f.int)
        row += 1
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


def _ref(f: _Formats, ws, row: int, col: int, value: Decimal | None, band: str | None,
         target: tuple[str, dict[str, str]] | None) -> None:
    """A score and its band: references to the appraisal sheet's cells (values stored), else values."""
    if value is None:
        ws.write_string(row, col, "-", f.center)
        ws.write_string(row, col + 1, "-", f.center)
        return
    if target is None:
        ws.write_number(row, col, float(value), f.dec2)
        ws.write_string(row, col + 1, band or "", f.center)
        return
    name, keys = target
    ws.write_formula(row, col, f"={_quote(name)}!{keys['score']}", f.dec2, float(value))
    ws.write_formula(row, col + 1, f"={_quote(name)}!{keys['band']}", f.center, band or "")


# ---------------------------------------------------------------------------------------------- missing


def _missing(f: _Formats, ws, items: Sequence[MissingItem], book: Book) -> None:
    heads = (("หน่วยงาน", 16), ("ตัวชี้วัด", 30), ("ประเภท", 10), ("งวด", 18), ("กำหนดส่ง", 14),
             ("สถานะ", 14), ("ผู้รับผิดชอบส่ง", 28), ("โทรศัพท์", 16))
    for col, (_, width) in enumerate(heads):
        ws.set_column(col, col, width)
    last = len(heads) - 1
    counts = {s: sum(1 for m in items if m.status == s) for s in STATUS_TH}
    ws.merge_range(0, 0, 0, last, f"รายการที่ยังไม่ส่ง {book.title} {book.round_label}", f.title)
    ws.merge_range(1, 0, 1, last, f"ข้อมูล ณ วันที่ {format_be(book.today, full=True)} · ทั้งหมด {len(items):,} รายการ: "
                                  + " · ".join(f"{STATUS_TH[s]} {n:,}" for s, n in counts.items()), f.text)
    row = 3
    for col, (head, _) in enumerate(heads):
        ws.write(row, col, head, f.head)
    ws.repeat_rows(row)
    ws.freeze_panes(row + 1, 0)
    header = row
    row += 1
    for m in items:
        ws.write_string(row, 0, m.unit, f.cell)
        ws.write_string(row, 1, m.kpi, f.cell)
        ws.write_string(row, 2, m.set_name, f.cell)
        ws.write_string(row, 3, period_th(m.period), f.cell)
        ws.write_string(row, 4, format_be(m.cutoff) if m.cutoff else "-", f.center)
        ws.write_string(row, 5, STATUS_TH.get(m.status, m.status), f.center)
        ws.write_string(row, 6, m.who or "-", f.cell)
        ws.write_string(row, 7, m.phone or "-", f.cell)
        row += 1
    if items:
        ws.autofilter(header, 0, row - 1, last)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


__all__ = ["band_formula", "sheet_name", "workbook"]
