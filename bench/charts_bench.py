"""Chart rendering time (bot/exports/charts.py): median seconds per PNG, warm, against the 1 s target.

Samples as the demo province has them: Yala's 8 districts ranked (team and individual), a district's
10 KPIs, 12 months of a monthly KPI with two months not reported; and 76 provinces ranked (national
scale). The cold figure (import plus first chart, in a fresh interpreter) is printed too.
`python -m bench.charts_bench --out DIR` also writes the sample PNGs to DIR to look at.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from handlers.views.appraisal import KpiLine, RankRow, Sheet, Trend, TrendPoint
from scoring.bands import BANDS

TARGET_S = 1.0
BAND_LIST = tuple((b.th, b.minimum) for b in BANDS)
DISTRICTS = ("เมืองยะลา", "เบตง", "บันนังสตา", "ธารโต", "ยะหา", "รามัน", "กาบัง", "กรงปินัง")


def _band(score: Decimal) -> str:
    return next(name for name, low in BAND_LIST if score >= low)


def sample_ranking(n: int = 8, names: tuple[str, ...] = DISTRICTS) -> list[RankRow]:
    rows = []
    for i in range(n):
        team = Decimal(max(0, 9650 - i * (6000 // max(n, 1)))) / 100
        individual = None if i == 3 else Decimal(max(0, 9100 - i * 830 % 4100)) / 100
        name = names[i] if i < len(names) else f"จังหวัดที่ {i + 1}"
        rows.append(RankRow(unit=name, team=team, team_band=_band(team), individual=individual,
                            individual_band=None if individual is None else _band(individual),
                            missing=i % 4, change=None if i == 5 else Decimal(((i * 37) % 9) - 4) / 2))
    return rows


KPI_NAMES = (
    "ร้อยละของการใช้จ่ายเงินงบประมาณ",
    "ร้อยละของหนี้ค้างชำระเงินทุนโครงการแก้ไขปัญหาความยากจน (กข.คจ.) ลดลง",
    "ระดับความสำเร็จของการขับเคลื่อนหมู่บ้านเศรษฐกิจพอเพียง",
    "จำนวนครัวเรือนยากจนที่ได้รับการพัฒนาคุณภาพชีวิตตามเกณฑ์ จปฐ.",
    "ร้อยละของสมาชิกกองทุนแม่ของแผ่นดินที่เพิ่มขึ้น",
    "ระดับความสำเร็จของการส่งเสริมผลิตภัณฑ์ OTOP ให้มีมาตรฐาน",
    "ร้อยละของกลุ่มออมทรัพย์เพื่อการผลิตที่มีผลการจัดระดับดีขึ้น",
    "ระดับความสำเร็จของการพัฒนาสตรีและครอบครัว",
    "ระดับความสำเร็จในการจัดทำแผนพัฒนาหมู่บ้าน/ชุมชน",
    "ระดับความสำเร็จของการบริหารจัดการความรู้ในองค์กร (KM)",
)


def sample_sheet(n: int = 10) -> Sheet:
    weights = [Decimal(w) for w in (20, 15, 10, 10, 10, 10, 5, 5, 10, 5)][:n]
    levels = [5, 3, None, 4, 2, 0, None, 5, 1, 4][:n]
    lines = tuple(
        KpiLine(number=str(i + 1), name=KPI_NAMES[i % len(KPI_NAMES)], criteria=("", "", "", "", ""),
                result="" if lv is None else "ร้อยละ 90", level=lv, weight=w,
                weighted=None if lv is None else w * lv, monthly=i == 0, kpi_id=f"t{i + 1}")
        for i, (w, lv) in enumerate(zip(weights, levels, strict=True)))
    weighted = sum((ln.weighted or Decimal(0) for ln in lines), Decimal(0))
    score100 = weighted / 5
    return Sheet(unit="เมืองยะลา", unit_kind="district", catalog_id="002-yala-2568-r2-district-team",
                 set_name="รายทีม", title="คำรับรองการปฏิบัติราชการ", round_label="รอบที่ 2 ปีงบประมาณ 2568",
                 round_start=date(2025, 4, 1), round_end=date(2025, 9, 30),
                 parties=("พัฒนาการอำเภอเมืองยะลา", "พัฒนาการจังหวัดยะลา"), lines=lines,
                 weights_total=sum(weights, Decimal(0)), weighted_sum=weighted, score100=score100,
                 band=_band(score100), missing=sum(1 for lv in levels if lv is None))


def sample_trend(months: int = 12) -> Trend:
    points = []
    for i in range(months):
        y, m = (2024 + (9 + i) // 12, (9 + i) % 12 + 1)
        value = None if i in (3, 7) else Decimal(str(round(42 + i * 4.6 + (i % 3) * 2.1, 2)))
        level = None if value is None else (5 if value >= 90 else 4 if value >= 80 else 3 if value >= 70
                                            else 2 if value >= 60 else 1)
        points.append(TrendPoint(month=f"{y:04d}-{m:02d}", value=value, level=level))
    return Trend(unit="เมืองยะลา", kpi="ตชว.1 เบิกจ่าย", unit_word="ร้อยละ", points=tuple(points),
                 thresholds=((2, Decimal(60)), (3, Decimal(70)), (4, Decimal(80)), (5, Decimal(90))))


def _median(fn: Callable[[], bytes], runs: int = 7) -> tuple[float, float]:
    """Median wall and CPU seconds (the CPU figure is less disturbed by other work on the machine)."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


_COLD = """
import time
import handlers.texts, handlers.views.appraisal  # a running bot has these loaded already
t0 = time.perf_counter()
from bot.exports import charts
t1 = time.perf_counter()
from bench.charts_bench import sample_ranking, BAND_LIST
charts.ranking_chart(sample_ranking(), "t", BAND_LIST)
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def cold() -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", _COLD], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout.split()
    return float(out[0]), float(out[1])


def charts() -> dict[str, Callable[[], bytes]]:
    from bot.exports import charts as c

    return {
        "ranking (8 districts)": lambda: c.ranking_chart(sample_ranking(), "อันดับคะแนน จังหวัดยะลา", BAND_LIST),
        "ranking (76 provinces)": lambda: c.ranking_chart(sample_ranking(76), "อันดับคะแนนทั้งประเทศ",
                                                          BAND_LIST),
        "levels (10 KPIs)": lambda: c.levels_chart(sample_sheet()),
        "trend (12 months)": lambda: c.trend_chart(sample_trend()),
    }


def main() -> None:
    imported, first = cold()
    print(f"charts: cold: import {imported:.2f} s, then the first chart {first:.2f} s (target {TARGET_S:.0f} s)")
    for name, fn in charts().items():
        wall, cpu = _median(fn)
        verdict = "ok" if wall < TARGET_S else "SLOW"
        print(f"charts: {name} median {wall:.3f} s warm, {cpu:.3f} s CPU ({verdict})")


if __name__ == "__main__":
    if "--out" in sys.argv:
        out = Path(sys.argv[sys.argv.index("--out") + 1])
        out.mkdir(parents=True, exist_ok=True)
        for name, fn in charts().items():
            path = out / (name.split()[0] + ("-national" if "76" in name else "") + ".png")
            path.write_bytes(fn())
            print(path)
    else:
        main()
