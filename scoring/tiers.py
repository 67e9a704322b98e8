"""The OPDC (ก.พ.ร.) target-tier model, offered beside a catalog's own model (`target_tiers:`).

004 L137-142: a KPI's target has three tiers, ขั้นต้น (50 % credit), มาตรฐาน (75 %) and ขั้นสูง (100 %);
a result that does not pass the base tier scores 0. The agency score is the weighted sum over all
KPIs, out of 100 (L145), banded as the levels model is (L146-151).

Guarantees:
- Pure and deterministic: the same catalog, tiers reached and variant give the same total, in Decimal.
- Each KPI is scored from the tier it reached, never from a level 1-5: the document gives no mapping
  from levels to tiers (NOTES-003-004 §4.5), so none is assumed.
- earned = weight × credit / 100 exactly; the 0-100 score is Σ earned, rounded half-up to 2 decimals
  only for display and banding. Group totals (Performance/Potential) use the division's own component
  where it differs (`variant_groups`, 004 L322, L451).
- Weights that do not total 100 are never banded as they stand: the band is taken from the score
  against the weights present (Σ earned × 100 / Σ weight), marked `band_basis = "normalised"`.
- KPIs not reported yet count 0 in the total so far; `best100` counts them at the highest tier and
  `worst100` at `below`, so every final total lies between the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .bands import band_of
from .errors import EvaluationError
from .model import Catalog, Kpi, TargetTiers
from .numbers import round_half_up
from .totals import applicable_kpis, kpi_weight

HUNDRED = Decimal(100)
BELOW = "below"  # the tier id of a result under the lowest tier


@dataclass
class TierRow:
    kpi: str
    number: int | str | None
    name: str
    weight: Decimal
    tier: str | None  # a tier id, BELOW, or None: not reported yet
    credit: Decimal | None  # percent of the weight earned
    earned: Decimal | None  # weight × credit / 100
    group: str | None


@dataclass
class TierGroup:
    id: str
    name: str
    weight: Decimal  # Σ weight of the group's KPIs (the division's own split)
    earned: Decimal


@dataclass
class TierTotal:
    catalog: str
    unit: str | None
    variant: str | None
    rows: list[TierRow]
    weights_total: Decimal
    earned: Decimal  # Σ earned so far, exact
    score100: Decimal  # Σ earned, rounded half-up to 2 decimals
    normalised100: Decimal  # Σ earned × 100 / Σ weight, rounded half-up to 2 decimals
    band: str
    band_id: str
    band_basis: str  # "score" when the weights total 100, else "normalised"
    complete: bool
    missing: list[str]
    best100: Decimal
    worst100: Decimal
    groups: list[TierGroup] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def group_of(kpi: Kpi, variant: str | None = None) -> str | None:
    """The Performance/Potential component of a KPI in a weight table (a division's own where it differs)."""
    return kpi.variant_groups.get(variant, kpi.group) if variant is not None else kpi.group


def credit_of(tiers: TargetTiers, tier: str) -> Decimal:
    """Credit (percent of weight) of a tier given by id, by its Thai name, or BELOW."""
    if tier == BELOW:
        return tiers.below
    found = tiers.tier(tier)
    if found is None:
        names = ", ".join([*(t.th for t in tiers.tiers), "ต่ำกว่าขั้นต้น (below)"])
        raise EvaluationError(f"ขั้นเป้าหมายต้องเป็นหนึ่งใน {names}", f"tier must be one of {names}", "bad_tier")
    return found.credit


def tier_total(
    catalog: Catalog,
    reached: Mapping[str, str | None],
    *,
    unit: str | None = None,
    chosen: Mapping[str, str] | None = None,
    variant: str | None = None,
) -> TierTotal:
    """Total an agreement under its `target_tiers` model from the tier each KPI id reached.

    `reached[kpi_id]` is a tier id or Thai name, BELOW, or None/absent (not reported yet).
    """
    tiers = catalog.target_tiers
    if tiers is None:
        raise EvaluationError(f"แค็ตตาล็อก {catalog.id} ไม่มีแบบขั้นเป้าหมาย (target_tiers)",
                              f"catalog {catalog.id} offers no target_tiers model", "no_tiers")
    kpis = applicable_kpis(catalog, unit, chosen, variant)
    known = {k.id for k in kpis}
    stray = sorted(set(reached) - known)
    if stray:
        raise EvaluationError(f"ไม่มีตัวชี้วัด {', '.join(stray)} ในข้อตกลงนี้",
                              f"KPIs {stray} are not in this agreement", "unknown_kpi")
    top = max(t.credit for t in tiers.tiers)
    rows: list[TierRow] = []
    for kpi in kpis:
        weight = kpi_weight(kpi, variant) or Decimal(0)
        tier = reached.get(kpi.id)
        if tier is None:
            rows.append(TierRow(kpi.id, kpi.number, kpi.name, weight, None, None, None, group_of(kpi, variant)))
            continue
        credit = credit_of(tiers, tier)
        tier_id = BELOW if tier == BELOW else tiers.tier(tier).id  # type: ignore[union-attr]
        rows.append(TierRow(kpi.id, kpi.number, kpi.name, weight, tier_id, credit, weight * credit / HUNDRED,
                            group_of(kpi, variant)))
    weights_total = sum((r.weight for r in rows), Decimal(0))
    earned = sum((r.earned for r in rows if r.earned is not None), Decimal(0))
    missing = [r.kpi for r in rows if r.tier is None]
    best = earned + sum((r.weight * top / HUNDRED for r in rows if r.tier is None), Decimal(0))
    worst = earned + sum((r.weight * tiers.below / HUNDRED for r in rows if r.tier is None), Decimal(0))
    normalised = earned * HUNDRED / weights_total if weights_total else Decimal(0)
    warnings: list[str] = []
    if weights_total == HUNDRED:
        basis, banded = "score", round_half_up(earned, 2)
    else:
        basis, banded = "normalised", round_half_up(normalised, 2)
        warnings.append(f"น้ำหนักรวม {weights_total} ไม่ใช่ 100 จึงจัดระดับจากคะแนนเทียบน้ำหนักที่มี"
                        f" / weights total {weights_total}, not 100: banded on the score against the weights present")
    band = band_of(banded)
    groups = [TierGroup(g.id, g.name, sum((r.weight for r in rows if r.group == g.id), Decimal(0)),
                        sum((r.earned for r in rows if r.group == g.id and r.earned is not None), Decimal(0)))
              for g in catalog.groups]
    return TierTotal(
        catalog=catalog.id, unit=unit, variant=variant, rows=rows, weights_total=weights_total,
        earned=earned, score100=round_half_up(earned, 2), normalised100=round_half_up(normalised, 2),
        band=band.th, band_id=band.id, band_basis=basis, complete=not missing, missing=missing,
        best100=round_half_up(best, 2), worst100=round_half_up(worst, 2), groups=groups, warnings=warnings,
    )
