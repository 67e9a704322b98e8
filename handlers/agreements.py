"""A unit's KPIs for today: agreements -> catalogs -> applicable KPIs, periods, current levels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from scoring.evaluate import Evaluation, evaluate
from scoring.model import Catalog, Kpi
from scoring.totals import Total, applicable_kpis, total

from .ports import Agreement, Store, Submission, Unit


@dataclass(frozen=True)
class Slot:
    """One KPI a unit is appraised on, under one agreement."""

    agreement: Agreement
    catalog: Catalog
    kpi: Kpi

    @property
    def key(self) -> str:
        return f"{self.catalog.id}/{self.kpi.id}"

    @property
    def label(self) -> str:
        number = self.kpi.number if self.kpi.number is not None else self.kpi.id
        return f"ตัวชี้วัดที่ {number} {self.kpi.name}"

    @property
    def short(self) -> str:
        number = self.kpi.number if self.kpi.number is not None else self.kpi.id
        name = self.kpi.aliases[0] if self.kpi.aliases else self.kpi.name
        return f"ตชว.{number} {name}"[:40]

    def set_name(self) -> str:
        return {"team": "รายทีม", "individual": "รายบุคคล"}.get(self.catalog.set, self.catalog.set)


def slots(store: Store, catalogs: Mapping[str, Catalog], unit: Unit, today: date) -> list[Slot]:
    found: list[Slot] = []
    for agreement in store.agreements(unit.id, today):
        catalog = catalogs.get(agreement.catalog_id)
        if catalog is None:
            continue
        for kpi in applicable_kpis(catalog, unit.name, agreement.chosen, agreement.variant):
            found.append(Slot(agreement, catalog, kpi))
    return found


def monthly(kpi: Kpi) -> bool:
    return kpi.measure is not None and kpi.measure.every == "month"


def period_for(kpi: Kpi, day: date) -> str:
    """Monthly figures are for a month ("2025-06"); others for the round."""
    return f"{day.year:04d}-{day.month:02d}" if monthly(kpi) else "round"


def latest(submissions: list[Submission]) -> Submission | None:
    """The figure that counts: the latest period, then the latest version."""
    if not submissions:
        return None
    return max(submissions, key=lambda s: (s.period, s.version))


def by_kpi(submissions: list[Submission]) -> dict[str, list[Submission]]:
    grouped: dict[str, list[Submission]] = {}
    for sub in submissions:
        grouped.setdefault(sub.kpi_id, []).append(sub)
    return grouped


_EVALUATIONS: dict[tuple[Any, ...], tuple[Kpi, Evaluation]] = {}


def evaluate_submission(slot: Slot, unit: Unit, submission: Submission) -> Evaluation:
    """The evaluation of a stored figure. A submission row never changes (corrections are new versions),
    so its evaluation is kept, keyed by everything evaluate() reads: a score card re-reads the same rows."""
    case = slot.agreement.cases.get(slot.kpi.id)
    key = (submission.id, id(slot.kpi), unit.name, repr(sorted(unit.attributes.items())), repr(case),
           repr(submission.inputs))
    hit = _EVALUATIONS.get(key)
    if hit is not None and hit[0] is slot.kpi:
        return hit[1]
    inputs = dict(submission.inputs)
    result = evaluate(slot.kpi, inputs, unit=unit.name, unit_attributes=unit.attributes, case=case)
    if len(_EVALUATIONS) > 50_000:
        _EVALUATIONS.clear()
    _EVALUATIONS[key] = (slot.kpi, result)  # the KPI kept alive with its entry: its id is not reused
    return result


@dataclass
class UnitScore:
    unit: Unit
    totals: list[tuple[Catalog, Total]]
    levels: dict[str, Evaluation | None]  # slot key -> evaluation of the figure that counts


def unit_score(store: Store, catalogs: Mapping[str, Catalog], unit: Unit, today: date) -> UnitScore:
    by_catalog: dict[str, tuple[Agreement, Catalog, dict[str, int | None]]] = {}
    evaluations: dict[str, Evaluation | None] = {}
    figures: dict[str, dict[str, list[Submission]]] = {}  # catalog -> KPI -> current rows: one query a catalog
    for slot in slots(store, catalogs, unit, today):
        entry = by_catalog.setdefault(slot.catalog.id, (slot.agreement, slot.catalog, {}))
        if slot.catalog.id not in figures:
            figures[slot.catalog.id] = by_kpi(store.current(unit.id, slot.catalog.id))
        sub = latest(figures[slot.catalog.id].get(slot.kpi.id, []))
        result = evaluate_submission(slot, unit, sub) if sub else None
        evaluations[slot.key] = result
        entry[2][slot.kpi.id] = result.level if result else None
    totals = [
        (catalog, total(catalog, levels, unit=unit.name, chosen=agreement.chosen, variant=agreement.variant,
                        cases=agreement.cases))
        for agreement, catalog, levels in by_catalog.values()
    ]
    return UnitScore(unit, totals, evaluations)
