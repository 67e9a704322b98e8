"""The renderers of bot/exports/ behind handlers.ports.Renderer: what the conversation calls to draw a chart
or write the Excel form or the PDF. Importing this module imports matplotlib (about 1 s): a process does it
at start (bot/run, `kpibot chat`), not at the first "กราฟ"."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from handlers.views.appraisal import Book, RankRow, Sheet, Trend

from . import charts, excel, pdf


class ExportRenderer:
    """handlers.ports.Renderer on charts.py, excel.py and pdf.py (stateless: one may be shared)."""

    def ranking_chart(self, rows: Sequence[RankRow], title: str, bands: Sequence[tuple[str, Decimal]]) -> bytes:
        return charts.ranking_chart(rows, title, bands)

    def levels_chart(self, sheet: Sheet) -> bytes:
        return charts.levels_chart(sheet)

    def trend_chart(self, trend: Trend) -> bytes:
        return charts.trend_chart(trend)

    def workbook(self, book: Book) -> bytes:
        return excel.workbook(book)

    def appraisal_pdf(self, sheets: list[Sheet]) -> bytes:
        return pdf.appraisal_pdf(sheets)
