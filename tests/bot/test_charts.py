"""Charts (bot/exports/charts.py): PNGs are produced, every Thai string is drawn in Sarabun with every
glyph present, the figures are the model's, gaps and not-reported KPIs are marked, threads are safe."""

from __future__ import annotations

import io
import logging
import math
import re
import subprocess
import sys
import unicodedata
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text
from PIL import Image

from bot.exports import charts
from handlers.views.appraisal import KpiLine, RankRow, Sheet, Trend, TrendPoint

BANDS = (("ระดับคุณภาพ", Decimal(90)), ("ระดับมาตรฐานขั้นสูง", Decimal(75)),
         ("ระดับมาตรฐานขั้นต้น", Decimal(60)), ("ระดับต้องปรับปรุง", Decimal(0)))
ROWS = (
    RankRow("เมืองยะลา", Decimal("96.5"), "ระดับคุณภาพ", Decimal("91.00"), "ระดับคุณภาพ", 0, Decimal("-2")),
    RankRow("เบตง", Decimal("89.00"), "ระดับมาตรฐานขั้นสูง", Decimal("82.70"), "ระดับมาตรฐานขั้นสูง", 1),
    RankRow("บันนังสตา", Decimal("74.00"), "ระดับมาตรฐานขั้นต้น", None, None, 3, Decimal("1.5")),
    RankRow("กรงปินัง", Decimal("44.25"), "ระดับต้องปรับปรุง", Decimal("57.80"), "ระดับต้องปรับปรุง", 7),
    RankRow("ธารโต", None, None, None, None, 10),
)


def line(n: int, name: str, level: int | None, weight: int) -> KpiLine:
    w = Decimal(weight)
    return KpiLine(number=str(n), name=name, criteria=("",) * 5, result="" if level is None else "ร้อยละ 90",
                   level=level, weight=w, weighted=None if level is None else w * level)


SHEET = Sheet(
    unit="เมืองยะลา", unit_kind="district", catalog_id="002-yala-2568-r2-district-team", set_name="รายทีม",
    title="คำรับรองการปฏิบัติราชการ", round_label="รอบที่ 2 ปีงบประมาณ 2568",
    round_start=date(2025, 4, 1), round_end=date(2025, 9, 30),
    parties=("พัฒนาการอำเภอเมืองยะลา", "พัฒนาการจังหวัดยะลา"),
    lines=(line(1, "ร้อยละของการใช้จ่ายเงินงบประมาณ", 5, 20),
           line(2, "ร้อยละของหนี้ค้างชำระเงินทุนโครงการแก้ไขปัญหาความยากจน (กข.คจ.) ลดลง", 3, 15),
           line(3, "ระดับความสำเร็จของการขับเคลื่อนหมู่บ้านเศรษฐกิจพอเพียงต้นแบบ", None, 10),
           line(4, "ระดับความสำเร็จของการส่งเสริมผลิตภัณฑ์ OTOP ให้มีมาตรฐาน", 0, 10),
           line(5, "ร้อยละของกลุ่มออมทรัพย์เพื่อการผลิตที่มีผลการจัดระดับดีขึ้น", None, 5)),
    weights_total=Decimal(60), weighted_sum=Decimal(145), score100=Decimal("29.00"), band="ระดับต้องปรับปรุง",
    missing=2, notes=("คิดเทียบน้ำหนักที่มี",),
)

TREND = Trend(
    unit="เมืองยะลา", kpi="ตชว.1 เบิกจ่าย", unit_word="ร้อยละ",
    points=(TrendPoint("2025-04", Decimal("62.5"), 2), TrendPoint("2025-05", None, None),
            TrendPoint("2025-06", Decimal("71.25"), 3), TrendPoint("2025-08", Decimal("92.5"), 5),
            TrendPoint("2025-09", Decimal("1234.5"), 5)),
    thresholds=((3, Decimal(70)), (4, Decimal(80)), (5, Decimal(90))),
)

FIGURES = {
    "ranking": lambda: charts.ranking_figure(ROWS, "อันดับคะแนน จังหวัดยะลา ณ 23 พ.ย. 2569", BANDS),
    "levels": lambda: charts.levels_figure(SHEET),
    "trend": lambda: charts.trend_figure(TREND),
}
PNGS = {
    "ranking": lambda: charts.ranking_chart(ROWS, "อันดับคะแนน จังหวัดยะลา ณ 23 พ.ย. 2569", BANDS),
    "levels": lambda: charts.levels_chart(SHEET),
    "trend": lambda: charts.trend_chart(TREND),
}


# -- helpers ---------------------------------------------------------------------------------------------
def drawn(fig: Figure) -> Figure:
    FigureCanvasAgg(fig).draw()  # tick labels exist only once drawn
    return fig


def texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def strings(fig: Figure) -> list[str]:
    return [t.get_text() for t in texts(fig)]


@cache
def _face(path: str) -> FT2Font:
    return FT2Font(path)


def glyph_problems(fig: Figure) -> list[str]:
    """Every text not drawn in a Sarabun file of fontpkg-sarabun, every character without a glyph there."""
    sarabun = set(charts.font_files())
    problems = []
    for t in texts(fig):
        path = str(font_manager.findfont(t.get_fontproperties(), fallback_to_default=False))  # a FontPath
        if path not in sarabun:
            problems.append(f"{t.get_text()!r} drawn in {path}")
            continue
        face = _face(path)
        problems += [f"{ch!r} (U+{ord(ch):04X}) of {t.get_text()!r} has no glyph in {Path(path).name}"
                     for ch in t.get_text() if ch != "\n" and face.get_char_index(ord(ch)) == 0]
    return problems


def render_quietly(fn, caplog) -> bytes:
    """Render, failing on matplotlib's missing-glyph warnings and findfont complaints."""
    caplog.set_level(logging.WARNING, logger="matplotlib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = fn()
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "missing from font" in m or "findfont" in m or "Glyph" in m], messages
    return png


def image(png: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(png))
    assert im.format == "PNG"
    im.load()
    return im.convert("RGB")


def has_colour(im: Image.Image, hex_colour: str) -> bool:
    rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return any(c == rgb for _, c in im.getcolors(maxcolors=1 << 20))


# -- every chart -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(PNGS))
def test_png_is_produced_phone_sized_and_not_blank(name, caplog):
    im = image(render_quietly(PNGS[name], caplog))
    assert im.width == 1080
    assert 600 <= im.height <= 4000
    assert len(im.getcolors(maxcolors=1 << 20)) > 50  # antialiased text and bars, not an empty canvas


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_text_is_sarabun_with_every_glyph(name):
    fig = drawn(FIGURES[name]())
    assert len(texts(fig)) >= 10
    assert glyph_problems(fig) == []


def test_the_glyph_check_catches_a_missing_glyph_and_another_font(caplog):
    fig = drawn(charts.trend_figure(TREND))
    ax = fig.axes[0]
    ax.text(0, 0, "สถานะ ●", fontproperties=charts.font(9))  # U+25CF is not in Sarabun
    ax.text(0, 0, "DejaVu", fontfamily="DejaVu Sans")
    problems = glyph_problems(fig)
    assert any("U+25CF" in p for p in problems)
    assert any("DejaVu" in p for p in problems)
    caplog.set_level(logging.WARNING, logger="matplotlib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FigureCanvasAgg(fig).print_png(io.BytesIO())
    assert any("missing from font" in str(w.message) for w in caught)


def test_drawing_uses_no_pyplot_and_leaves_rcparams_alone():
    # rcParams["backend"] is read without touching it: resolving it imports pyplot
    code = ("import sys, matplotlib\n"
            "rc = lambda: {k: matplotlib.rcParams[k] for k in matplotlib.rcParams.keys() if k != 'backend'}\n"
            "before = rc()\n"
            "from tests.bot.test_charts import PNGS\n"
            "[fn() for fn in PNGS.values()]\n"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
            "assert rc() == before, 'rcParams changed'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_threads_draw_the_same_bytes():
    serial = {name: fn() for name, fn in PNGS.items()}
    jobs = list(PNGS.items()) * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda job: (job[0], job[1]()), jobs))
    assert all(png == serial[name] for name, png in results)


# -- the ranking -----------------------------------------------------------------------------------------
def test_ranking_prints_scores_with_two_decimals_and_labels_the_band_lines():
    fig = drawn(FIGURES["ranking"]())
    s = strings(fig)
    for value in ("96.50", "91.00", "89.00", "82.70", "74.00", "44.25", "57.80"):
        assert value in s
    assert [f"{i}. {r.unit}" for i, r in enumerate(ROWS, 1)] == [x for x in s if re.match(r"\d+\. ", x)]
    for low in ("60", "75", "90"):
        assert low in s
    ax = fig.axes[0]
    assert sorted(round(ln.get_xdata()[0]) for ln in ax.get_lines()) == [60, 75, 90]
    assert any("ไม่มีคะแนนรายบุคคล" == x for x in s)  # บันนังสตา has a team agreement only
    assert "ค้าง 3 · ทีม ▲ 1.50 จากเดือนก่อน" in s and "ส่งครบ · ทีม ▼ 2.00 จากเดือนก่อน" in s
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[0] == "ระดับคุณภาพ (90 ขึ้นไป)" and legend[-1] == "ระดับต้องปรับปรุง (ต่ำกว่า 60)"


def test_ranking_bars_are_as_long_as_the_scores_and_coloured_by_their_band():
    fig = drawn(FIGURES["ranking"]())
    bars = next(c for c in fig.axes[0].collections if isinstance(c, PolyCollection))
    widths = sorted(round(float(p.vertices[:, 0].max()), 2) for p in bars.get_paths())
    assert widths == [44.25, 57.8, 74.0, 82.7, 89.0, 91.0, 96.5]
    im = image(PNGS["ranking"]())
    for colour in charts.BAND_COLOURS:  # one team bar in each band
        assert has_colour(im, colour)


def test_the_rows_own_band_wins_over_the_thresholds():
    # a band computed against the weights present may differ from where the printed score falls
    assert charts.band_index(Decimal("70"), "ระดับคุณภาพ", BANDS) == 0
    assert charts.band_index(Decimal("70"), None, BANDS) == 2
    assert charts.band_index(Decimal("59.99"), "unknown", BANDS) == 3


def test_a_national_ranking_is_drawn_whole():
    rows = [RankRow(f"จังหวัดที่ {i}", Decimal(100 - i), None, Decimal(90 - i), None, i % 3) for i in range(76)]
    fig = drawn(charts.ranking_figure(rows, "อันดับคะแนนทั้งประเทศ", BANDS))
    s = strings(fig)
    assert "76. จังหวัดที่ 75" in s and "1. จังหวัดที่ 0" in s
    # one figure text a row, team first, in a column right of the 100 line; the subtitle says which is which
    assert "100.00/90.00" in s and "25.00/15.00" in s
    assert "2. จังหวัดที่ 1 (1)" in s and any("(n) หลังชื่อ: ค้างส่ง n ตัวชี้วัด" in x for x in s)
    assert not any(x in s for x in ("100.00", "90.00"))
    assert any("ทีม (แท่งหนา)/บุคคล (แท่งบาง)" in x for x in s)
    column = [t for t in fig.axes[0].texts if "/" in t.get_text()]
    assert len(column) == 76 and {t.get_position()[0] for t in column} == {102}
    assert glyph_problems(fig) == []
    assert image(charts.ranking_chart(rows, "t", BANDS)).height > 4000


def test_an_empty_ranking_still_draws():
    assert image(charts.ranking_chart((), "อันดับคะแนน", BANDS)).width == 1080


# -- the levels ------------------------------------------------------------------------------------------
def test_levels_show_weights_and_mark_what_is_not_reported():
    fig = drawn(FIGURES["levels"]())
    s = strings(fig)
    assert s.count("ยังไม่รายงาน") == 2
    for weight in ("น้ำหนัก 20", "น้ำหนัก 15", "น้ำหนัก 10", "น้ำหนัก 5"):
        assert weight in s
    assert {"ระดับ 5", "ระดับ 3", "ยังไม่ถึงระดับ 1"} <= set(s)
    assert "ก×ข = 100" in s and "ก×ข = 45" in s and s.count("ก×ข = –") == 2
    assert "คะแนน 29.00 · ระดับต้องปรับปรุง · ยังไม่รายงาน 2 ตัวชี้วัด" in s
    assert "รวม ก×ข = 145 จากน้ำหนักรวม 60 · คิดเทียบน้ำหนักที่มี" in s
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 2
    assert fig.axes[0].get_xlim() == (0, 5)


def test_kpi_names_wrap_at_spaces_and_never_inside_a_cluster():
    name = "ร้อยละของหนี้ค้างชำระเงินทุนโครงการแก้ไขปัญหาความยากจน (กข.คจ.) ลดลง"
    assert charts.wrap(name, 58, 2) == "ร้อยละของหนี้ค้างชำระเงินทุนโครงการแก้ไขปัญหาความยากจน (กข.คจ.)\nลดลง"
    unspaced = "ระดับความสำเร็จของการขับเคลื่อนหมู่บ้านเศรษฐกิจพอเพียงต้นแบบที่มีคุณภาพชีวิตที่ดีขึ้นอย่างยั่งยืน"
    wrapped = charts.wrap(unspaced, 20, 2)
    lines = wrapped.split("\n")
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert unspaced.startswith(wrapped.replace("\n", "").removesuffix("…"))
    for ln in lines:
        assert unicodedata.category(ln[0]) not in ("Mn", "Mc")
    assert charts.wrap("สั้น", 20, 2) == "สั้น"


# -- the trend -------------------------------------------------------------------------------------------
def test_trend_months_in_be_with_gaps_and_threshold_lines():
    fig = drawn(FIGURES["trend"]())
    ax = fig.axes[0]
    months = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    assert months == ["เม.ย. 68", "พ.ค. 68", "มิ.ย. 68", "ก.ค. 68", "ส.ค. 68", "ก.ย. 68"]
    series = next(ln for ln in ax.get_lines() if len(ln.get_xdata()) == 6)
    ys = series.get_ydata()
    assert [math.isnan(y) for y in ys] == [False, True, False, True, False, False]  # May not reported, July absent
    assert list(ys[[0, 2, 4, 5]]) == [62.5, 71.25, 92.5, 1234.5]
    s = strings(fig)
    assert s.count("ไม่ได้\nรายงาน") == 2
    assert {"ระดับ 3 · 70", "ระดับ 4 · 80", "ระดับ 5 · 90"} <= set(s)
    assert {"62.5", "71.25", "92.5", "1,234.5"} <= set(s)
    flat = sorted(ln.get_ydata()[0] for ln in ax.get_lines() if ln is not series)
    assert flat == [70, 80, 90]


def test_close_threshold_labels_are_pushed_apart():
    fig = drawn(FIGURES["trend"]())  # 70, 80, 90 on a scale up to 1,234.5: lines almost on one another
    labels = sorted((t for t in texts(fig) if t.get_text().startswith("ระดับ ")), key=lambda t: t.get_position()[1])
    boxes = [t.get_window_extent() for t in labels]
    assert len(boxes) == 3
    assert all(lower.y1 <= upper.y0 + 1 for lower, upper in zip(boxes, boxes[1:], strict=False))
    assert charts.spread([0.1, 0.5], 0.06) == [0.1, 0.5]
    assert charts.spread([0.98, 0.99, 1.0], 0.06) == pytest.approx([0.88, 0.94, 1.0])


def test_month_labels_are_be_abbreviations():
    assert charts.month_th("2025-06") == "มิ.ย. 68"
    assert charts.month_th("2024-12") == "ธ.ค. 67"
    assert charts.month_th("2099-01") == "ม.ค. 42"


def test_a_trend_without_points_or_thresholds_still_draws():
    empty = Trend(unit="เบตง", kpi="ตชว.3", unit_word="ครัวเรือน", points=())
    assert image(charts.trend_chart(empty)).width == 1080
    one = Trend(unit="เบตง", kpi="ตชว.3", unit_word="ครัวเรือน", points=(TrendPoint("2025-06", Decimal(24), 3),))
    fig = drawn(charts.trend_figure(one))
    assert "24" in strings(fig) and glyph_problems(fig) == []


def test_matplotlib_is_new_enough_to_shape_thai():
    assert tuple(int(x) for x in matplotlib.__version__.split(".")[:2]) >= (3, 11)
