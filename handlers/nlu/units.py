"""Which organisation unit a message names ("อ.ธารโต", "อำเภอเมือง", "เมืองยะลา", "บันนังสะตา")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from .text import basic, compact

_PREFIX = re.compile(r"^(?:สำนักงานพัฒนาชุมชนอำเภอ|สพอ\.?|พชอ\.?|อำเภอ|อ\.|จังหวัด|จ\.)\s*")


def _bare(name: str) -> str:
    return compact(_PREFIX.sub("", basic(name)))


# units whose bare name is an everyday word ("ได้เลยครับ", province เลย): named only with a prefix
_COMMON_WORD = {"เลย"}
_NAMED = re.compile(r"(?:จังหวัด|จ|พมจ|พม|สนง|สำนักงาน)$")


def find_unit(text: str, units: Sequence[str]) -> tuple[str, float] | None:
    """The unit named in the text (best match) and a score 0-1; None when none is named."""
    flat = compact(text)
    best: tuple[str, float] | None = None

    def offer(unit: str, score: float) -> None:
        nonlocal best
        if best is None or score > best[1]:
            best = (unit, score)

    for unit in units:
        bare = _bare(unit)
        if not bare:
            continue
        if bare in _COMMON_WORD:
            at = flat.find(bare)
            while at >= 0 and not _NAMED.search(flat[:at]):
                at = flat.find(bare, at + 1)
            if at >= 0:
                offer(unit, 1.0 + len(bare) / 100)
            continue
        if bare in flat:
            offer(unit, 1.0 + len(bare) / 100)  # longer names win ("เมืองยะลา" over "ยะลา")
            continue
        # "อ.เมือง" / "อำเภอเมือง" for "เมืองยะลา"
        if bare.startswith("เมือง") and re.search(r"(?:อำเภอ|อ|สพอ|พชอ)เมือง(?!\w)", flat + " "):
            offer(unit, 0.95)
            continue
        if len(bare) >= 5 and len(flat) >= len(bare) - 1:
            ratio = fuzz.partial_ratio(bare, flat, score_cutoff=84)
            if ratio:
                offer(unit, ratio / 100 * 0.9)
    return best
