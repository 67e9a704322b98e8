"""Charts a chief forwards to the LINE group: the district ranking, a unit's KPI levels, a monthly trend.

Renderers only: they take the dataclasses of handlers/views/appraisal.py and return PNG bytes; every
figure on a chart is the one the card, the workbook and the PDF print (never recomputed here, only
formatted: scores with 2 decimals, numbers as handlers/texts.py writes them, months in BE).

- matplotlib's Agg canvas on a `matplotlib.figure.Figure` made per call, never pyplot: no global
  figure manager, so two threads may draw at once. rcParams are never changed; every text gets the
  Sarabun font explicitly (`FontProperties`, `tick_params(labelfontfamily=...)`).
- The font is Sarabun (OFL) from the `fontpkg-sarabun` package, registered once with
  `font_manager.fontManager.addfont` at import (under a lock); no system font is looked up. A text
  drawn in any other font, or a character Sarabun lacks, is a bug: tests/bot/test_charts.py walks
  every text of every chart and checks font file and glyphs, and fails on matplotlib's "Glyph ...
  missing from font" warning.
- Thai is shaped by matplotlib >= 3.11 (bundled libraqm/HarfBuzz): vowels and tone marks sit on their
  consonants ("น้ำหนัก", "หนี้ค้าง", "ที่"), checked by eye on every chart with matplotlib 3.11.2.
- 1080 px wide (5.4 in at 200 dpi), height growing with the rows: readable on a phone without zooming.
  A ranking is never cut: past 20 rows it gets tighter rows and a scale on top and bottom.
- Thai KPI names are wrapped at spaces only (the documents put spaces between phrases); a phrase
  longer than a line is broken between grapheme clusters and the rest cut with "…", never inside a
  cluster (a mark never leaves its consonant). No word segmenter: pythainlp's first call costs ~0.75 s.
- The ranking's bars are one PolyCollection (a barh Rectangle per bar cost ~3 ms); PNGs are zlib level 1
  (level 6: ~10 % smaller files, twice the encoding time). Each text costs ~3-5 ms to shape and draw:
  that, not the bars, is what a chart's time grows with.
- Measured (bench/charts_bench.py, 2 shared cores, load 1.4-1.7 from other work, matplotlib 3.11.2),
  median per chart warm: ranking of 8 districts 0.30-0.35 s, levels of 10 KPIs 0.33-0.47 s, trend of
  12 months 0.25-0.28 s: each under the 1 s target. A ranking of 76 provinces (176 texts: one label and one
  figure text a row; 250 texts took 1.3-1.7 s before) took 0.86-1.15 s through ``print_png``, of which
  ~0.25 s encoding RGBA; saved as RGB (``_png``) 0.79-1.0 s, drawing 0.76-0.88 s of it; drawing costs ~0.2 ms
  a glyph, so its rows say "(3)" for "(ค้าง 3)" (the subtitle says what it means) and "96.50/91.00" without
  spaces: 0.77-0.94 s median (bench at load 0.1-0.2, 2026-12-03). Shaping costs ~0.1 ms + 0.03 ms a
  character twice per text (metrics, then drawing): digits as much as Thai; the resolution barely matters (120-150 dpi: within noise). Cold, in a fresh
  process with handlers/ already imported: importing this module (matplotlib, numpy) 0.9-1.0 s, then the
  first chart 0.3-0.4 s, so a process should import this module at start, as it warms pythainlp, not at
  the first "กราฟ".
"""

from __future__ import annotations

import functools
import io
import math
import threading
import unicodedata
from collections.abc import Sequence
from decimal import Decimal

import fontpkg
from matplotlib import font_manager, patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from PIL import Image

from handlers.texts import number, score
from handlers.views.appraisal import RankRow, Sheet, Trend
from handlers.views.palette import BAND_COLOURS, GRID, INK, LEVEL_COLOURS, MUTED, NOT_REPORTED
from scoring.thaidate import BE_OFFSET, MONTHS_ABBR

FAMILY = "Sarabun"
WEIGHTS = (400, 600, 700)  # regular text, labels, titles and values
WIDTH_IN, DPI = 5.4, 200  # 1080 px wide
# a ranking past 20 rows (a national one: 76 provinces, 810 x 6,000 px) is a long scroll, sent as a file
# (bot/channels/telegram/channel.py): at 200 dpi it took 1.2 s, of which 0.4 s PNG encoding of 8.7 MP
LONG_DPI = 150

_lock = threading.Lock()
_registered: list[str] = []


def font_files() -> list[str]:
    """The Sarabun files the charts use (paths inside the fontpkg-sarabun package)."""
    return [str(fontpkg.path(FAMILY, w)) for w in WEIGHTS]


def _register() -> None:
    with _lock:
        if not _registered:
            for path in font_files():
                font_manager.fontManager.addfont(path)
                _registered.append(path)


_register()


@functools.lru_cache(maxsize=64)
def font(size: float, weight: int = 400) -> FontProperties:
    """Shared between texts: a Text copies the properties it is given, so a cached one is never changed."""
    return FontProperties(family=FAMILY, size=size, weight=weight)


# -- colours ---------------------------------------------------------------------------------------------
# a white outline around figures printed over dashed lines (a box behind them would cover the next bar)
HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]


def _tint(hex_colour: str, amount: float) -> str:
    """The colour mixed with white (amount 0: unchanged, 1: white)."""
    rgb = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)


def band_index(value: Decimal, name: str | None, bands: Sequence[tuple[str, Decimal]]) -> int:
    """The row's own band (as scoring named it) if the chart knows it, else the band its score falls in."""
    names = [b[0] for b in bands]
    if name in names:
        return names.index(name)
    return next((i for i, (_, low) in enumerate(bands) if value >= low), len(bands) - 1)


def _band_colour(index: int) -> str:
    return BAND_COLOURS[min(index, len(BAND_COLOURS) - 1)]


# -- text helpers ----------------------------------------------------------------------------------------
def _clusters(text: str) -> list[str]:
    """Grapheme clusters, enough for Thai: a base character with its following marks (Mn/Mc)."""
    out: list[str] = []
    for ch in text:
        if out and unicodedata.category(ch) in ("Mn", "Mc"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _width(text: str) -> int:
    return len(_clusters(text))


def wrap(text: str, width: int, lines: int = 2) -> str:
    """At most `lines` lines of about `width` clusters, broken at spaces; the rest cut with "…"."""
    out: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _width(candidate) <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        current = word
        while _width(current) > width:  # one phrase longer than a line: break between clusters
            clusters = _clusters(current)
            out.append("".join(clusters[:width]))
            current = "".join(clusters[width:])
    if current:
        out.append(current)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = _cut(out[-1], width - 1, force=True)
    return "\n".join(out)


def _cut(line: str, width: int, force: bool = False) -> str:
    clusters = _clusters(line)
    if len(clusters) <= width and not force:
        return line
    return "".join(clusters[:width]).rstrip() + "…"


def spread(places: Sequence[float], gap: float) -> list[float]:
    """Label positions (ascending, axes fraction) pushed apart to at least `gap`, kept within 0..1 where
    they fit: two threshold lines close together get two readable labels, not one smudge."""
    out: list[float] = []
    for p in places:
        out.append(max(p, out[-1] + gap) if out else p)
    overflow = (out[-1] - 1) if out else 0
    if overflow > 0:
        out = [p - overflow for p in out]
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - gap)
    return out


def month_th(month: str) -> str:
    """'2025-06' -> 'มิ.ย. 68' (BE, two digits)."""
    year, m = (int(x) for x in month.split("-"))
    return f"{MONTHS_ABBR[m - 1]} {(year + BE_OFFSET) % 100:02d}"


def _png(fig: Figure) -> bytes:
    """The drawn figure as an RGB PNG (the charts are opaque: white background), zlib level 1: the
    charts are flat colours, level 6 makes files ~10 % smaller at twice the time. Saved by Pillow from
    the canvas's buffer without its alpha channel: the 76-province chart took 1.05 s through
    ``print_png`` (RGBA), 0.79 s so, of which 0.76 s drawing."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _new_figure(height_in: float, dpi: int = DPI) -> Figure:
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _style_axes(ax) -> None:
    ax.tick_params(labelfontfamily=FAMILY, labelsize=9, colors=INK, length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(GRID)


def _header(fig: Figure, title: str, subtitle: str, top_in: float) -> None:
    h = fig.get_figheight()
    fig.text(0.04, 1 - 0.16 / h, title, fontproperties=font(13, 700), color=INK, va="top")
    if subtitle:
        fig.text(0.04, 1 - 0.50 / h, subtitle, fontproperties=font(9), color=MUTED, va="top")


# -- the district ranking --------------------------------------------------------------------------------
def ranking_figure(rows: Sequence[RankRow], title: str, bands: Sequence[tuple[str, Decimal]]) -> Figure:
    """Horizontal bars in the order given, first row on top: the team score (thick) and the individual
    score (thin, lighter) of each unit, each coloured by its own band; band lines labelled with their
    lowest score, the legend names the bands. Past 20 rows the rows are tighter and the scale repeats on
    top (a national ranking is a long scroll, never cut)."""
    bands = list(bands)
    has_team = any(r.team is not None for r in rows)
    has_individual = any(r.individual is not None for r in rows)
    both = has_team and has_individual
    long = len(rows) > 20
    per_row = (0.50 if both else 0.34) if long else (0.66 if both else 0.50)
    head, foot = (1.3 if long else 1.05), 0.95
    height = head + foot + per_row * max(len(rows), 1)
    fig = _new_figure(height, LONG_DPI if long else DPI)
    # a long ranking prints each row's figures in a column right of the axes (_row_values)
    ax = fig.add_axes((0.31, foot / height, 0.49 if long else 0.60, (height - head - foot) / height))
    _style_axes(ax)
    kinds = ("รายทีม (แท่งหนา) และรายบุคคล (แท่งบาง)" if both
             else "รายบุคคล" if has_individual else "รายทีม")
    if long and both:  # one figure text a row (_row_values): say which figure is which
        kinds = "ตัวเลข ทีม (แท่งหนา)/บุคคล (แท่งบาง)"
    subtitle = f"คะแนนเต็ม 100 · {kinds} · สีตามระดับคุณภาพ"
    if long and any(r.missing for r in rows):
        subtitle += "\n(n) หลังชื่อ: ค้างส่ง n ตัวชี้วัด"  # a long ranking's rows say "(3)", not "(ค้าง 3)"
    _header(fig, title, subtitle, head)

    thick, thin = (0.42, 0.26) if both else (0.62, 0.0)
    bars: dict[str, list] = {"y": [], "width": [], "height": [], "color": [], "edgecolor": []}
    for i, row in enumerate(rows):
        y = -i
        slots = [(row.team, row.team_band, y + thin / 2 + 0.02 if both else y, thick, False, "รายทีม"),
                 (row.individual, row.individual_band, y - thick / 2 - 0.02 if both else y,
                  thin if both else thick, both, "รายบุคคล")]
        for value, band, by, bar_h, light, word in slots:
            if value is None:
                if both and not long:
                    ax.text(1, by, f"ไม่มีคะแนน{word}", fontproperties=font(7), color=MUTED, va="center")
                continue
            colour = _band_colour(band_index(value, band, bands))
            for key, item in zip(bars, (by, float(value), bar_h, _tint(colour, 0.45) if light else colour,
                                        colour), strict=True):
                bars[key].append(item)
            if not long:
                _bar_value(ax, by, value, 8 if light else 9.5, 600 if light else 700, MUTED if light else INK)
        if long and (row.team is not None or row.individual is not None):
            _row_values(ax, y, row, both)
        if not both and row.team is None and row.individual is None:
            ax.text(1, y, "ยังไม่มีคะแนน", fontproperties=font(8), color=MUTED, va="center")
        if long:  # one label a row: each text costs ~3 ms to shape and draw, each glyph ~0.2 ms
            note = f" ({row.missing})" if row.missing else ""
            ax.text(-2.5, y, f"{i + 1}. {row.unit}{note}", fontproperties=font(9, 600), color=INK,
                    ha="right", va="center")
        else:
            ax.text(-2.5, y + 0.10, f"{i + 1}. {row.unit}", fontproperties=font(10, 600), color=INK,
                    ha="right", va="center")
            ax.text(-2.5, y - 0.30, _row_note(row), fontproperties=font(7), color=MUTED, ha="right",
                    va="center")

    _bars(ax, **bars)
    lo, hi = -len(rows) + 0.45, 0.6
    for index, (_name, low) in enumerate(bands):
        if low <= 0:
            continue
        colour = _band_colour(index)
        ax.axvline(float(low), color=colour, linestyle=(0, (4, 3)), linewidth=1.1, zorder=0)
        ax.text(float(low), hi + 0.03, number(low), fontproperties=font(8, 700), color=colour,
                ha="center", va="bottom")
        if long:
            ax.text(float(low), lo - 0.1, number(low), fontproperties=font(8, 700), color=colour,
                    ha="center", va="top")
    ax.set_xlim(0, 100)
    ax.set_ylim(lo - 0.1, hi)
    ax.set_yticks([])
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.xaxis.grid(True, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    if long:
        ax.tick_params(axis="x", labeltop=True, pad=14)

    handles = [Patch(color=_band_colour(i), label=f"{name} ({_range(bands, i)})") for i, (name, _) in
               enumerate(bands)]
    fig.legend(handles=handles, loc="lower center", ncol=2, prop=font(7.5), frameon=False,
               bbox_to_anchor=(0.5, 0.02 / height), handlelength=1.2, columnspacing=1.2, labelcolor=INK)
    return fig


def _bars(ax, y: list, width: list, height: list, color: list, edgecolor: list) -> None:
    """Horizontal bars from x = 0 as one PolyCollection: barh makes a Rectangle artist per bar (about
    3 ms each to build and draw; 150 bars of a national ranking took 0.4 s, this 0.01 s)."""
    verts = [((0, c - h / 2), (0, c + h / 2), (w, c + h / 2), (w, c - h / 2))
             for c, w, h in zip(y, width, height, strict=True)]
    ax.add_collection(PolyCollection(verts, facecolors=color, edgecolors=edgecolor, linewidths=0.8,
                                     zorder=1), autolim=False)


def _bar_value(ax, y: float, value: Decimal, size: float, weight: int, colour: str) -> None:
    """The score at the bar's end, with a white halo where it may cross a band line (a text with a path
    effect is drawn as a path, about 1.2 ms more each)."""
    ax.text(float(value) + 0.6, y, score(value), fontproperties=font(size, weight), color=colour,
            va="center", ha="left", clip_on=False, zorder=4, path_effects=HALO)


def _row_values(ax, y: float, row: RankRow, both: bool) -> None:
    """A long ranking's scores as one text a row in a column right of the 100 line, team first ("96.50/91.00",
    a dash for a kind the unit has no score in): one text instead of two at the bars' ends saves ~2.4 ms a
    row, 0.18 s of the 76-province chart, and no figure crosses a band line. (No spaces: a space is a glyph
    drawn too.)"""
    if both:
        text = "/".join("–" if v is None else score(v) for v in (row.team, row.individual))
    else:
        text = score(row.team if row.team is not None else row.individual)
    ax.text(102, y, text, fontproperties=font(8.5, 700), color=INK, va="center", ha="left", clip_on=False)


def _row_note(row: RankRow) -> str:
    parts = [f"ค้าง {row.missing}" if row.missing else "ส่งครบ"]
    if row.change is not None and row.change != 0:
        arrow = "▲" if row.change > 0 else "▼"
        parts.append(f"ทีม {arrow} {score(abs(row.change))} จากเดือนก่อน")
    return " · ".join(parts)


def _range(bands: Sequence[tuple[str, Decimal]], index: int) -> str:
    low = bands[index][1]
    if index == 0:
        return f"{number(low)} ขึ้นไป"
    upper = bands[index - 1][1] - Decimal("0.01")
    return f"{number(low)}–{score(upper)}" if low > 0 else f"ต่ำกว่า {number(bands[index - 1][1])}"


def ranking_chart(rows: Sequence[RankRow], title: str, bands: Sequence[tuple[str, Decimal]]) -> bytes:
    """The ranking as a PNG; `bands` is (band name, lowest score100), best first (Book.bands)."""
    return _png(ranking_figure(rows, title, bands))


# -- a unit's KPI levels ---------------------------------------------------------------------------------
def levels_figure(sheet: Sheet) -> Figure:
    """One bar per KPI: its level (ก) against 5, coloured by level; weight (ข) and ค beside it; a KPI not
    reported yet is an empty hatched bar marked "ยังไม่รายงาน". KPI names take up to two lines."""
    lines = sheet.lines
    labels = [wrap(f"{line.number}. {line.name}", 58, 2) for line in lines]
    text_h, bar_h, gap = 0.175, 0.22, 0.2  # inches: one label line, the bar, between two KPIs
    rows_h = [0.04 + (label.count("\n") + 1) * text_h + 0.03 + bar_h + gap for label in labels]
    head, foot = 1.2, 0.75
    body = max(sum(rows_h), 0.5)
    height = head + foot + body
    fig = _new_figure(height)
    ax = fig.add_axes((0.05, foot / height, 0.70, body / height))
    _style_axes(ax)
    _header(fig, f"ระดับผลงานรายตัวชี้วัด · {sheet.unit}", f"{sheet.set_name} · {sheet.round_label}", head)
    summary = f"คะแนน {score(sheet.score100)} · {sheet.band}"
    if sheet.missing:
        summary += f" · ยังไม่รายงาน {sheet.missing} ตัวชี้วัด"
    fig.text(0.04, 1 - 0.80 / height, summary, fontproperties=font(9.5, 700), color=INK, va="top")

    top = 0.0
    for line, label, row_h in zip(lines, labels, rows_h, strict=True):
        n = label.count("\n") + 1
        ax.text(0, top - 0.04, label, fontproperties=font(8.5, 600), color=INK, va="top", linespacing=1.15,
                bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none"})
        bar_y = top - 0.04 - n * text_h - 0.03 - bar_h / 2
        top -= row_h
        ax.barh(bar_y, 5, height=bar_h, color="#f0f2f4", zorder=0)
        if line.level is None:
            ax.barh(bar_y, 5, height=bar_h, facecolor="none", edgecolor=NOT_REPORTED, hatch="////",
                    linewidth=0.8, zorder=1)
            ax.text(2.5, bar_y, "ยังไม่รายงาน", fontproperties=font(8.5, 700), color="#52606d",
                    ha="center", va="center", zorder=3,
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"})
        else:
            colour = LEVEL_COLOURS.get(line.level, LEVEL_COLOURS[5])
            ax.barh(bar_y, line.level, height=bar_h, color=colour, zorder=1)
            text = f"ระดับ {line.level}" if line.level else "ยังไม่ถึงระดับ 1"
            inside = line.level >= 2
            ax.text(line.level - 0.08 if inside else line.level + 0.08, bar_y, text,
                    fontproperties=font(8, 700), color="white" if inside else INK,
                    ha="right" if inside else "left", va="center", zorder=3)
        weighted = "–" if line.weighted is None else number(line.weighted)
        ax.text(5.25, bar_y + 0.01, f"น้ำหนัก {number(line.weight)}", fontproperties=font(8.5, 600),
                color=INK, va="bottom", clip_on=False)
        ax.text(5.25, bar_y - 0.01, f"ก×ข = {weighted}", fontproperties=font(7.5), color=MUTED, va="top",
                clip_on=False)
    ax.set_xlim(0, 5)
    ax.set_ylim(-body, 0)
    ax.set_yticks([])
    ax.set_xticks(range(6), ["0", "1", "2", "3", "4", "5"])
    ax.set_xlabel("ระดับ (เต็ม 5)", fontproperties=font(8), color=MUTED, labelpad=2)
    ax.xaxis.grid(True, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    foot_text = f"รวม ก×ข = {number(sheet.weighted_sum)} จากน้ำหนักรวม {number(sheet.weights_total)}"
    for note in sheet.notes:
        foot_text += f" · {note}"
    fig.text(0.04, 0.1 / height, foot_text, fontproperties=font(7.5), color=MUTED, va="bottom")
    return fig


def levels_chart(sheet: Sheet) -> bytes:
    return _png(levels_figure(sheet))


# -- a monthly trend -------------------------------------------------------------------------------------
def _months(first: str, last: str) -> list[str]:
    y, m = (int(x) for x in first.split("-"))
    end = tuple(int(x) for x in last.split("-"))
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def trend_figure(trend: Trend) -> Figure:
    """The KPI's figure month by month (a gap where a month was not reported, and for months missing
    between the first and the last), level threshold lines from `trend.thresholds`."""
    by_month = {p.month: p for p in trend.points}
    months = _months(min(by_month), max(by_month)) if by_month else []
    values = [by_month[m].value if m in by_month else None for m in months]
    levels = [by_month[m].level if m in by_month else None for m in months]
    height = 4.6
    fig = _new_figure(height)
    ax = fig.add_axes((0.13, 0.17, 0.70, 0.62))
    _style_axes(ax)
    ax.spines["left"].set_visible(True)
    ax.spines["left"].set_color(GRID)
    _header(fig, f"แนวโน้ม {trend.kpi} · {trend.unit}", f"รายเดือน ({trend.unit_word})", 1.0)

    xs = list(range(len(months)))
    ys = [math.nan if v is None else float(v) for v in values]
    ax.plot(xs, ys, color="#3e4c59", linewidth=2, zorder=2)  # NaN breaks the line: a gap
    known = [float(v) for v in values if v is not None]
    limits = known + [float(f) for _, f in trend.thresholds]
    low, high = (min(limits), max(limits)) if limits else (0.0, 1.0)
    span = (high - low) or max(abs(high), 1.0)
    ymin, ymax = low - span * 0.15, high + span * 0.18
    for x, value, level in zip(xs, values, levels, strict=True):
        if value is None:
            ax.text(x, ymin + span * 0.04, "ไม่ได้\nรายงาน", fontproperties=font(7), color=MUTED,
                    ha="center", va="bottom", linespacing=1.0, zorder=3,
                    bbox={"boxstyle": "square,pad=0.15", "facecolor": "#f0f2f4", "edgecolor": "none"})
            ax.axvspan(x - 0.4, x + 0.4, color="#f0f2f4", zorder=0)
            continue
        colour = LEVEL_COLOURS.get(level, "#3e4c59") if level is not None else "#3e4c59"
        ax.scatter([x], [float(value)], s=55, color=colour, edgecolor="white", linewidth=1.2, zorder=3)
        ax.text(x, float(value) + span * 0.05, number(value), fontproperties=font(7.5, 700), color=INK,
                ha="center", va="bottom", zorder=4, path_effects=HALO)
    thresholds = sorted(trend.thresholds, key=lambda t: t[1])
    places = spread([(float(f) - ymin) / (ymax - ymin) for _, f in thresholds], 0.06)
    for (level, figure), place in zip(thresholds, places, strict=True):
        colour = LEVEL_COLOURS.get(level, MUTED)
        ax.axhline(float(figure), color=colour, linestyle=(0, (4, 3)), linewidth=1, zorder=1)
        ax.text(1.01, place, f"ระดับ {level} · {number(figure)}", transform=ax.transAxes,
                fontproperties=font(7.5, 700), color=colour, va="center", ha="left", clip_on=False)
    ax.set_ylim(ymin, ymax)
    ax.set_xlim(-0.6, max(len(months) - 0.4, 0.6))
    crowded = len(months) > 7
    ax.set_xticks(xs, [month_th(m).replace(" ", "\n") if crowded else month_th(m) for m in months])
    ax.tick_params(axis="x", labelsize=8 if len(months) > 12 else 8.5)
    ax.yaxis.grid(True, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.yaxis.set_major_formatter(lambda v, _pos: number(Decimal(str(round(float(v), 6)))))
    return fig


def trend_chart(trend: Trend) -> bytes:
    return _png(trend_figure(trend))
