"""A unit's score as cards (handlers/messages.py ``Card``): one per agreement, team first, for the channels
that draw cards (LINE: a Flex bubble each). The same figures and words as the text of views/score.py's
``unit_card``; the text stays the Reply's content everywhere else and the card's alternative text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from scoring.bands import BANDS, WEIGHTS_PRESENT_TH
from scoring.model import Catalog
from scoring.totals import Row, Total

from .. import texts
from ..messages import Card, CardRow
from .palette import TONE_COLOURS, band_colour

SET_TH = {"team": "รายทีม", "individual": "รายบุคคล"}


def tone(row: Row) -> str:
    """The colour class of a KPI's level: 4-5 good, 3 fair, 0-2 low, none when not reported / to choose."""
    if row.pending is not None or row.level is None:
        return "none"
    return "good" if row.level >= 4 else "fair" if row.level == 3 else "low"


def band_rank(result: Total) -> int:
    ids = [b.id for b in BANDS]
    return ids.index(result.band_id) if result.band_id in ids else len(ids) - 1


def score_cards(unit_name: str, totals: Sequence[tuple[Catalog, Total]], today: date, title: str = "") -> tuple[Card, ...]:
    """One card per agreement, team first (``totals`` as agreements.unit_score gives them)."""
    ordered = sorted(totals, key=lambda pair: 0 if pair[0].set == "team" else 1)
    cards = []
    for catalog, result in ordered:
        rows = []
        for row in result.rows:
            kpi = catalog.kpi(row.kpi)
            subject = kpi.aliases[0] if kpi and kpi.aliases else row.name[:28]
            rows.append(CardRow(f"ตชว.{row.number} {subject}", texts.row_level(row),
                                f"น้ำหนัก {texts.number(row.weight)}", TONE_COLOURS[tone(row)]))
        notes = []
        if result.normalised100 is not None:
            notes.append(f"{WEIGHTS_PRESENT_TH} {texts.score(result.normalised100)} คะแนน")
        if not result.complete:
            best = result.best_normalised100 if result.best_normalised100 is not None else result.best100
            notes.append(" · ".join(texts.incomplete_why(result) + [f"สูงสุดที่ยังเป็นไปได้ {texts.score(best)}"]))
        set_name = SET_TH.get(catalog.set, catalog.set)
        cards.append(Card(
            title=f"คะแนนปัจจุบัน {unit_name}" + (f" · {title}" if title else ""),
            subtitle=f"ตัวชี้วัด{set_name} · ณ {texts.day_th(today)}",
            rows=tuple(rows),
            total=f"{texts.score(result.score100)} คะแนน",
            band=result.band,
            colour=band_colour(band_rank(result)),
            notes=tuple(notes),
        ))
    return tuple(cards)
