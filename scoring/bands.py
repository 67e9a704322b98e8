"""Quality bands of the 0-100 score (004 §4): round half-up to 2 decimals first.

A band is a verdict only on a score out of 100 weight. Where an agreement's weights do not total 100
(001 individual: 90; 003 individual: 75), scoring/totals.py computes the band on the score against the
weights present and every card marks it with WEIGHTS_PRESENT_TH.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .numbers import round_half_up

WEIGHTS_PRESENT_TH = "คิดเทียบน้ำหนักที่มี"  # the mark of a band (or score) computed against Σข, not 100


@dataclass(frozen=True)
class QualityBand:
    id: str
    th: str
    minimum: Decimal


BANDS = (
    QualityBand("quality", "ระดับคุณภาพ", Decimal(90)),
    QualityBand("advanced", "ระดับมาตรฐานขั้นสูง", Decimal(75)),
    QualityBand("basic", "ระดับมาตรฐานขั้นต้น", Decimal(60)),
    QualityBand("improve", "ระดับต้องปรับปรุง", Decimal(0)),
)


def band_of(score100: Decimal) -> QualityBand:
    """90-100 คุณภาพ; 75-89.99 มาตรฐานขั้นสูง; 60-74.99 มาตรฐานขั้นต้น; below 60 ต้องปรับปรุง."""
    score = round_half_up(score100, 2)
    return next(b for b in BANDS if score >= b.minimum)
