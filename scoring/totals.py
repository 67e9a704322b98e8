"""Totals of an agreement: ค = ก × ข, the 0-100 score, the 1-5 average, the band, groups.

With KPIs not reported yet, the total so far counts them as 0 and the best and
worst totals still possible count them as 5 and 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from .bands import band_of
from .errors import EvaluationError
from .model import Catalog, Kpi
from .numbers import round_half_up

FIVE = Decimal(5)
HUNDRED = Decimal(100)


@dataclass
class Row:
    kpi: str
    number: int | str | None
    name: str
    weight: Decimal
    level: int | None  # None: not reported yet
    weighted: Decimal | None  # ค
    group: str | None


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
    weights_total: Decimal
    weighted_sum: Decimal  # Σค so far (missing KPIs count 0)
    score100: Decimal  # Σค / 5, rounded half-up to 2 decimals
    average5: Decimal  # Σค / 100, rounded half-up to 2 decimals
    band: str
    band_id: str
    complete: bool
    missing: list[str]
    best100: Decimal
    worst100: Decimal
    best_band: str
    groups: list[GroupTotal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

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


def total(
    catalog: Catalog,
    levels: Mapping[str, int | None],
    *,
    unit: str | None = None,
    chosen: Mapping[str, str] | None = None,
    variant: str | None = None,
) -> Total:
    """Total an agreement from the level (ก) of each KPI id; absent or None = not reported yet."""
    kpis = applicable_kpis(catalog, unit, chosen, variant)
    rows: list[Row] = []
    warnings: list[str] = []
    for kpi in kpis:
        weight = kpi_weight(kpi, variant) or Decimal(0)
        level = levels.get(kpi.id)
        if level is not None and not 0 <= int(level) <= 5:
            raise EvaluationError("ระดับคะแนนต้องเป็น 0 ถึง 5", f"level of {kpi.id} must be 0-5", "out_of_range")
        weighted = weight * level if level is not None else None
        group = kpi.variant_groups.get(variant, kpi.group) if variant else kpi.group
        rows.append(Row(kpi.id, kpi.number, kpi.name, weight, level, weighted, group))
    weights_total = sum((r.weight for r in rows), Decimal(0))
    if weights_total != HUNDRED:
        warnings.append(f"น้ำหนักรวม {weights_total} ไม่เท่ากับ 100 / weights total {weights_total}, not 100")

    def credit(level: int) -> Decimal:
        if catalog.scoring == "tiers":
            return catalog.tier_credit.get(level, Decimal(0)) * FIVE / HUNDRED
        return Decimal(level)

    so_far = sum((r.weight * credit(r.level) for r in rows if r.level is not None), Decimal(0))
    missing = [r.kpi for r in rows if r.level is None]
    best = so_far + sum((r.weight * credit(5) for r in rows if r.level is None), Decimal(0))
    score100 = round_half_up(so_far / FIVE, 2)
    band = band_of(score100)
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
        complete=not missing,
        missing=missing,
        best100=round_half_up(best / FIVE, 2),
        worst100=score100,
        best_band=band_of(round_half_up(best / FIVE, 2)).th,
        groups=groups,
        warnings=warnings,
    )
