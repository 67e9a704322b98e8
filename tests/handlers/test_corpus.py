"""The corpus: realistic messages with the understanding the bot must reach (corpus.yaml)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from handlers.nlu import understand, warm_up
from scoring.loader import load_all

CORPUS = yaml.safe_load((Path(__file__).parent / "corpus.yaml").read_text(encoding="utf-8"))
SETS = {"t": "team", "i": "individual"}


@pytest.fixture(scope="module")
def context():
    warm_up()
    catalogs = load_all()
    missing = [c for c in CORPUS["catalogs"] if c not in catalogs]
    if missing:
        pytest.skip(f"catalogs not present yet: {missing}")
    kpis = [(cid, k) for cid in CORPUS["catalogs"] for k in catalogs[cid].kpis]
    units = list(catalogs[CORPUS["catalogs"][0]].units)
    return kpis, units, CORPUS["today"]


def _catalog_for(kpi_id: str) -> str:
    return next(c for c in CORPUS["catalogs"] if c.endswith(SETS[kpi_id[0]]))


def _value(spec: object) -> tuple[Decimal, bool]:
    text = str(spec)
    return Decimal(text.removesuffix("%")), text.endswith("%")


def test_corpus_size():
    assert len(CORPUS["messages"]) >= 200


@pytest.mark.parametrize("case", CORPUS["messages"], ids=lambda c: c["t"] or "<attachment>")
def test_message(case, context):
    kpis, units, today = context
    u = understand(case["t"], kpis, today if isinstance(today, date) else date.fromisoformat(today), units,
                   has_attachment=bool(case.get("attach")))
    got = {
        "intent": u.intent,
        "kpi": None,
        "values": [(v.value, v.percent) for v in u.values],
        "inputs": dict(u.inputs),
        "period": u.period,
        "day": u.day,
    }
    if u.kpis:
        top = [k for k in u.kpis if abs(k.score - u.kpis[0].score) < 1e-6]
        got["kpi"] = "|".join(f"{k.catalog_id}:{k.kpi_id}" for k in top)
    want_kpi = case.get("kpi")
    want = {
        "intent": case["intent"],
        "kpi": "|".join(f"{_catalog_for(k)}:{k}" for k in want_kpi.split("|")) if want_kpi else None,
        "values": [_value(v) for v in case.get("values", [])],
        "inputs": {k: Decimal(str(v)) for k, v in (case.get("inputs") or {}).items()},
        "period": str(case["period"]) if case.get("period") else None,
        "day": case.get("day"),
    }
    assert got == want, u
    assert u.ambiguous == ("|" in (want_kpi or ""))
    for key in ("unit", "code", "days"):
        if key in case:
            assert getattr(u, key) == case[key], (key, u)
    if "unit" not in case:
        assert u.unit is None, u
