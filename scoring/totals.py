"""Totals of an agreement: ค = ก × ข, the 0-100 score, the 1-5 average, the band, groups.

Guarantees (tests/scoring/test_totals.py checks each by hand against the documents):
- ``score100`` = Σค / 5 and ``average5`` = Σค / 100, as the official form adds up ค (004 annex 2),
  computed exactly in Decimal and rounded half-up to 2 decimals once.
- A KPI not reported yet counts 0 in the total so far; the best and worst totals still possible
  count it 5 and 0.
- Weights that do not total 100 (Σข ≠ 100): the band is never the band of Σค / 5. ``normalised100``
  = Σค × 100 / Σข / 5 (the score against the weights present) is given too, the band is computed on
  it (``band_basis`` "weights_present", shown as "คิดเทียบน้ำหนักที่มี") and ``weights_note`` says
  in one Thai line why the two figures differ. Two cases, told apart by the catalog's
  ``stated_total`` (the total the document prints):
  - weight missing from the document itself (``stated_total`` > Σข; 003 individual: KPIs 4-12 total
    75, the document prints 100, 003:L111): the missing weight is counted like an unreported KPI;
    the total is "so far" (``complete`` False) and best / worst count the missing weight as 5 / 0.
  - weights a unit has by the document's design (no ``stated_total``; 001 individual: one of the two
    KPI-1 rows 001:L66/L67 per unit, 10 + 20 + 20 + 10 + 10 + 10 + 10 = 90): nothing is missing, the
    total is complete once every KPI is reported; best / worst are also given against Σข.
- A case-split KPI (``cases`` in the catalog) whose case is not in the ``cases`` argument does not
  count: its row has no level, ``pending`` names the cases in Thai and the total is incomplete. A
  total marked complete never holds a silent ก = 0 for want of a case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from .bands import band_of
from .errors import EvaluationError
from .model import Catalog, Kpi
from .numbers import fmt, round_half_up

FIVE = Decimal(5)
HUNDRED = Decimal(100)


@dataclass
class Row:
    kpi: str
    number: int | str | None
    name: str
    weight: Decimal
    level: int | None  # None: not reported yet, or waiting for its case (see `pending`)
    weighted: Decimal | None  # ค
    group: str | None
    pending: str | None = None  # Thai: why the level cannot count yet (a case to choose)


@dataclass
class GroupTotal:
    id: str
    name: str
    weight: Decimal
    weighted: Decimal
    score100: Decimal


@dataclass
class Total:
    catalog: str
    unit: str | None
    rows: list[Row]
    weights_total: Decimal  # Σข of the KPIs the unit has
    weighted_sum: Decimal  # Σค so far (missing KPIs count 0)
    score100: Decimal  # Σค / 5, rounded half-up to 2 decimals (the official form's figure)
    average5: Decimal  # Σค / 100, rounded half-up to 2 decimals
    band: str  # of score100, or of normalised100 when Σข ≠ 100 (band_basis)
    band_id: str
    complete: bool
    missing: list[str]  # KPI ids not reported yet
    best100: Decimal
    worst100: Decimal
    best_band: str
    groups: list[GroupTotal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stated_total: Decimal | None = None  # the weight total the document prints, if it prints one
    weights_missing: Decimal = Decimal(0)  # weight the document states but does not hold (003 individual: 25)
    normalised100: Decimal | None = None  # Σค × 100 / Σข / 5 when Σข ≠ 100
    band_basis: str = "score"  # "score": band of score100 | "weights_present": band of normalised100
    weights_note: str | None = None  # Thai, one line: why score100 and normalised100 differ
    best_normalised100: Decimal | None = None  # best / worst against the weights the finished total has,
    worst_normalised100: Decimal | None = None  # when that is not 100 (001 individual: 90)
    pending: dict[str, str] = field(default_factory=dict)  # KPI id -> Thai: the case to choose

    def to_dict(self) -> dict[str, Any]:
        def clean(value: Any) -> Any:
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            return value

        return clean(asdict(self))


def kpi_weight(kpi: Kpi, variant: str | None = None) -> Decimal | None:
    if variant is not None:
        return kpi.weights.get(variant)
    return kpi.weight


def applicable_kpis(catalog: Catalog, unit: str | None = None, chosen: Mapping[str, str] | None = None,
                    variant: str | None = None) -> list[Kpi]:
    """The KPIs of an agreement for a unit: named-unit KPIs, one choice per optional group.

    An optional group stands in for the KPIs it replaces where they do not apply (002: KPIs 7-9
    instead of KPI 3). Without a choice the group's first KPI holds its place, so the weights stay whole.
    """
    chosen = dict(chosen or {})

    def applies(kpi: Kpi) -> bool:
        # without a unit: a typical unit, named in no applies_to and no except list
        return not kpi.applies_to if unit is None else kpi.applies(unit)

    kpis: list[Kpi] = []
    for kpi in catalog.kpis:
        if kpi_weight(kpi, variant) is None:
            continue
        if kpi.optional_group:
            continue
        if applies(kpi):
            kpis.append(kpi)
    for group in catalog.optional_groups:
        members = [k for k in catalog.kpis if k.optional_group == group.id and kpi_weight(k, variant) is not None]
        if not members:
            continue
        replaced = [k for k in catalog.kpis if k.id in group.instead_of]
        if replaced and all(applies(k) for k in replaced):
            continue  # the unit has the KPIs the choice would replace
        pick = chosen.get(group.id)
        if pick is not None:
            match = next((k for k in members if k.id == pick or str(k.number) == str(pick)), None)
            if match is None:
                names = ", ".join(str(k.number or k.id) for k in members)
                raise EvaluationError(f"ตัวชี้วัดทางเลือกต้องเป็นหนึ่งใน {names}",
                                      f"optional KPI must be one of {names}", "bad_choice")
            kpis.append(match)
        else:
            kpis.append(members[0])
    return kpis


def case_needed(kpi: Kpi) -> str:
    """The Thai line for a case-split KPI whose unit has no case yet, naming the choices."""
    choices = " หรือ ".join(f"“{c.th}” (รหัส {c.id})" for c in kpi.cases)
    return f"ตัวชี้วัดที่ {kpi.number or kpi.id} ยังไม่นับคะแนน ต้องระบุกรณีของหน่วยงานก่อน: {choices} ค่ะ"


def _weights_note(catalog: Catalog, kpis: list[Kpi], weights: Decimal, missing: Decimal,
                  stated: Decimal | None) -> str | None:
    """One polite Thai line: why Σค / 5 and the score against the weights present differ."""
    if weights == HUNDRED:
        return None
    if missing > 0 and stated is not None:
        return (f"เอกสารระบุน้ำหนักรวม {fmt(stated)} แต่มีตัวชี้วัดรวมน้ำหนักเพียง {fmt(weights)} "
                f"(ขาด {fmt(missing)}) คะแนนรวมจึงเต็มได้เพียง {fmt(weights)} ค่ะ")
    if weights > HUNDRED:
        return f"น้ำหนักตัวชี้วัดรวม {fmt(weights)} เกิน 100 คะแนนรวมจึงเกิน 100 ได้ค่ะ"
    ids = {k.id for k in kpis}
    numbers = {str(k.number) for k in kpis if k.number is not None}
    shared = sorted({str(k.number) for k in catalog.kpis if k.id not in ids and str(k.number) in numbers})
    why = ""
    if len(shared) == 1:
        rows = sum(1 for k in catalog.kpis if str(k.number) == shared[0])
        why = f" (เอกสารพิมพ์ตัวชี้วัดที่ {shared[0]} ไว้ {rows} แถว แต่ละหน่วยงานใช้แถวเดียว)"
    elif shared:
        why = f" (เอกสารพิมพ์ตัวชี้วัดที่ {', '.join(shared)} ไว้หลายแถว แต่ละหน่วยงานใช้แถวเดียว)"
    return (f"น้ำหนักตัวชี้วัดของหน่วยงานนี้รวม {fmt(weights)} ไม่ใช่ 100{why} "
            f"คะแนนรวมจึงเต็มได้เพียง {fmt(weights)} ค่ะ")


def total(
    catalog: Catalog,
    levels: Mapping[str, int | None],
    *,
    unit: str | None = None,
    chosen: Mapping[str, str] | None = None,
    variant: str | None = None,
    cases: Mapping[str, str] | None = None,
) -> Total:
    """Total an agreement from the level (ก) of each KPI id; absent or None = not reported yet.

    `cases`: the case each case-split KPI was evaluated with (an agreement's cases). When given, a
    case-split KPI without one does not count (see `pending`); when None, the levels are taken as given.
    """
    kpis = applicable_kpis(catalog, unit, chosen, variant)
    rows: list[Row] = []
    warnings: list[str] = []
    pending: dict[str, str] = {}
    missing: list[str] = []  # not reported yet
    for kpi in kpis:
        weight = kpi_weight(kpi, variant) or Decimal(0)
        level = levels.get(kpi.id)
        if level is not None and not 0 <= int(level) <= 5:
            raise EvaluationError("ระดับคะแนนต้องเป็น 0 ถึง 5", f"level of {kpi.id} must be 0-5", "out_of_range")
        if level is None:
            missing.append(kpi.id)
        why = None
        if cases is not None and kpi.cases and not cases.get(kpi.id):
            why = pending[kpi.id] = case_needed(kpi)
            level = None  # a level scored without the unit's case is no level
        weighted = weight * level if level is not None else None
        group = kpi.variant_groups.get(variant, kpi.group) if variant else kpi.group
        rows.append(Row(kpi.id, kpi.number, kpi.name, weight, level, weighted, group, why))
    weights_total = sum((r.weight for r in rows), Decimal(0))
    if weights_total != HUNDRED:
        warnings.append(f"น้ำหนักรวม {weights_total} ไม่เท่ากับ 100 / weights total {weights_total}, not 100")
    stated = catalog.stated_total
    weights_missing = stated - weights_total if stated is not None and stated > weights_total else Decimal(0)
    final_weight = weights_total + weights_missing  # the Σข the finished total will have

    def credit(level: int) -> Decimal:
        if catalog.scoring == "tiers":
            return catalog.tier_credit.get(level, Decimal(0)) * FIVE / HUNDRED
        return Decimal(level)

    so_far = sum((r.weight * credit(r.level) for r in rows if r.level is not None), Decimal(0))
    unknown = sum((r.weight for r in rows if r.level is None), Decimal(0)) + weights_missing
    best = so_far + unknown * credit(5)
    score100 = round_half_up(so_far / FIVE, 2)
    best100 = round_half_up(best / FIVE, 2)

    normalised100 = None
    band = band_of(score100)
    if weights_total != HUNDRED and weights_total > 0:
        normalised100 = round_half_up(so_far * HUNDRED / weights_total / FIVE, 2)
        band = band_of(normalised100)
    best_normalised = worst_normalised = None
    best_band = band_of(best100)
    if final_weight != HUNDRED and final_weight > 0:
        best_normalised = round_half_up(best * HUNDRED / final_weight / FIVE, 2)
        worst_normalised = round_half_up(so_far * HUNDRED / final_weight / FIVE, 2)
        best_band = band_of(best_normalised)

    groups = []
    for g in catalog.groups:
        members = [r for r in rows if r.group == g.id]
        g_weight = sum((r.weight for r in members), Decimal(0))
        g_sum = sum((r.weight * credit(r.level) for r in members if r.level is not None), Decimal(0))
        groups.append(GroupTotal(g.id, g.name, g_weight, g_sum, round_half_up(g_sum / FIVE, 2)))
    return Total(
        catalog=catalog.id,
        unit=unit,
        rows=rows,
        weights_total=weights_total,
        weighted_sum=so_far,
        score100=score100,
        average5=round_half_up(so_far / HUNDRED, 2),
        band=band.th,
        band_id=band.id,
        complete=not missing and not pending and weights_missing == 0,
        missing=missing,
        best100=best100,
        worst100=score100,
        best_band=best_band.th,
        groups=groups,
        warnings=warnings,
        stated_total=stated,
        weights_missing=weights_missing,
        normalised100=normalised100,
        band_basis="weights_present" if normalised100 is not None else "score",
        weights_note=_weights_note(catalog, kpis, weights_total, weights_missing, stated),
        best_normalised100=best_normalised,
        worst_normalised100=worst_normalised,
        pending=pending,
    )
