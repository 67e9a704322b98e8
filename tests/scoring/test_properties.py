"""Properties over every catalog: monotone rubrics, totals within 0-100, determinism."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring.evaluate import better_direction, evaluate
from scoring.loader import load_all
from scoring.model import Kpi
from scoring.totals import applicable_kpis, total

CATALOGS = load_all()


def monotone_single_input(kpi: Kpi) -> str | None:
    """The input of a ladder of one-sided comparisons on one input, all in one direction."""
    rubric = kpi.rubric
    if rubric.reviewer or rubric.parts or rubric.steps or kpi.targets or kpi.derive:
        return None
    levels = [lv for lv in rubric.levels if not lv.blank]
    if len(levels) < 2 or any(lv.branches or lv.steps or len(lv.conditions) != 1 for lv in levels):
        return None
    conds = [lv.conditions[0] for lv in levels]
    if any(c.kind != "compare" or c.subject is None or c.right is None or c.right.names for c in conds):
        return None
    if len({c.subject for c in conds}) != 1 or len({c.op in (">=", ">") for c in conds}) != 1:
        return None
    if any(c.op == "=" for c in conds):
        return None
    thresholds = [c.right.evaluate({}) for c in conds]  # type: ignore[union-attr]
    ascending = conds[0].op in (">=", ">")
    if thresholds != sorted(thresholds, reverse=not ascending):
        return None
    return conds[0].subject


MONOTONE = [(c.id, k) for c in CATALOGS.values() for k in c.kpis if monotone_single_input(k)]
ALL_KPIS = [(c.id, k) for c in CATALOGS.values() for k in c.kpis]

values = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


def test_the_catalogs_have_monotone_ladders_to_check():
    assert len(MONOTONE) >= 10


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(MONOTONE), values, values)
def test_a_better_value_never_gives_a_lower_level(item, a, b):
    _, kpi = item
    name = monotone_single_input(kpi)
    assert name is not None
    spec = kpi.input(name)
    low, high = sorted((a, b))
    if spec is not None and spec.integer:
        low, high = low.to_integral_value(), high.to_integral_value()
    if spec is not None:
        assume(spec.min is None or low >= spec.min)
        assume(spec.max is None or high <= spec.max)
    worse, better = (low, high) if better_direction(kpi)[name] == "higher" else (high, low)
    assert evaluate(kpi, {name: worse}).level <= evaluate(kpi, {name: better}).level


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(CATALOGS)), st.data())
def test_totals_stay_within_0_and_100(catalog_id, data):
    catalog = CATALOGS[catalog_id]
    unit = data.draw(st.sampled_from([None, *catalog.units]))
    variant = data.draw(st.sampled_from([None, *catalog.variants])) if catalog.variants else None
    kpis = applicable_kpis(catalog, unit, None, variant)
    levels = {k.id: data.draw(st.one_of(st.none(), st.integers(0, 5))) for k in kpis}
    result = total(catalog, levels, unit=unit, variant=variant)
    ceiling = max(result.weights_total, Decimal(100))
    assert Decimal(0) <= result.worst100 <= result.score100 <= result.best100 <= ceiling
    if result.weights_total == 100:
        assert result.best100 <= 100


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(MONOTONE), values)
def test_evaluation_is_deterministic(item, value):
    _, kpi = item
    name = monotone_single_input(kpi)
    spec = kpi.input(name) if name else None
    if spec is not None:
        assume(spec.min is None or value >= spec.min)
        assume(spec.max is None or value <= spec.max)
        assume(not spec.integer or value == value.to_integral_value())
    first = evaluate(kpi, {name: value}).to_dict()
    second = evaluate(kpi, {name: value}).to_dict()
    assert first == second
