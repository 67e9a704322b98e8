"""Scoring throughput: KPI evaluations and agreement totals per second, on the shipped catalogs.

A reply to "คะแนนปัจจุบัน" for a province of 8 districts evaluates about 8 x 10 KPIs and
8 totals; these figures say how much of a reply's time budget the rules take.
"""

from __future__ import annotations

import time
from decimal import Decimal

from scoring.evaluate import evaluate
from scoring.loader import load_all
from scoring.totals import applicable_kpis, total


def _timed(fn, seconds: float = 1.0) -> tuple[int, float]:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        count += 1
    return count, elapsed


def main() -> None:
    start = time.perf_counter()
    catalogs = load_all()
    load_ms = (time.perf_counter() - start) * 1000
    kpis = sum(len(c.kpis) for c in catalogs.values())
    print(f"scoring: loaded {len(catalogs)} catalogs, {kpis} KPIs in {load_ms:.0f} ms")

    team = next(c for c in catalogs.values() if c.set == "team")
    kpi = next(k for k in team.kpis if k.inputs and not k.targets and not k.rubric.steps)
    name = kpi.inputs[0].id
    values = [Decimal(v) / 4 for v in range(0, 400)]

    def one_evaluation(i=[0]) -> None:  # noqa: B006 - a cheap counter
        i[0] += 1
        evaluate(kpi, {name: values[i[0] % len(values)]})

    count, elapsed = _timed(one_evaluation)
    print(f"scoring: evaluate {team.id}/{kpi.id}: {count / elapsed:,.0f} evaluations/s "
          f"({elapsed / count * 1e6:.1f} µs each)")

    rows = applicable_kpis(team)
    levels = {k.id: (i % 6) for i, k in enumerate(rows)}
    count, elapsed = _timed(lambda: total(team, levels))
    print(f"scoring: total of {team.id} ({len(rows)} KPIs): {count / elapsed:,.0f} totals/s")
