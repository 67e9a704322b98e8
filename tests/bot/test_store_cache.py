"""The store's read cache (bot/store/readcache.py): a cached read always equals a fresh connection's, after
submissions, corrections and retractions made by this store, inside a batch, or by another connection;
and unit scores through the cache equal unit scores read fresh. Plus the department unit kind (issue 14)."""

from __future__ import annotations

import sqlite3
import time
from datetime import date, datetime

import pytest

from bot.cli.demo import build
from bot.store import readcache
from bot.store.sqlite import SqliteStore
from handlers.agreements import unit_score
from handlers.ports import NewSubmission, Scope, Unit
from scoring.loader import load_all
from scoring.thaidate import BANGKOK

TODAY = date(2025, 6, 10)
TEAM, INDIVIDUAL = "yala-2568-r2-district-team", "yala-2568-r2-district-individual"


@pytest.fixture(scope="module")
def catalogs():
    return load_all()


@pytest.fixture
def demo(tmp_path):
    store = build(str(tmp_path / "demo.sqlite3"), str(tmp_path / "evidence"), TODAY)
    yield store
    store.close()


def reads(store: SqliteStore) -> dict:
    """Everything the cache keeps, as plain values."""
    out: dict = {"units": store.units(), "yala": store.units("yala"), "unit": store.unit("yala-mueang"),
                 "people": store.people(unit_id="yala-mueang", role="reporter")}
    for unit in store.units():
        out[("agreements", unit.id)] = store.agreements(unit.id, TODAY)
        for catalog in (TEAM, INDIVIDUAL):
            out[("current", unit.id, catalog)] = store.current(unit.id, catalog)
            out[("t1", unit.id, catalog)] = store.current(unit.id, catalog, "t1")
            out[("history", unit.id, catalog)] = store.history(unit.id, catalog, "t1")
    return out


def scores(store: SqliteStore, catalogs) -> dict:
    return {u.id: [(c.id, t.score100, t.band, t.missing) for c, t in unit_score(store, catalogs, u, TODAY).totals]
            for u in store.units()}


def fresh(store: SqliteStore) -> SqliteStore:
    return SqliteStore(store.path, store.evidence_dir)


def submit(store: SqliteStore, person: int, value: str, level: int, period: str = "round",
           unit: str = "yala-mueang") -> int:
    return store.add_submission(NewSubmission(person, unit, TEAM, "t1", period, {"percent": value}, level, "console",
                                              "m", datetime(2025, 6, 9, 9, tzinfo=BANGKOK))).id


def same_as_fresh(store: SqliteStore, catalogs) -> None:
    other = fresh(store)
    try:
        assert reads(store) == reads(other)
        assert scores(store, catalogs) == scores(other, catalogs)
    finally:
        other.close()


def test_cached_reads_and_scores_equal_fresh_ones_after_every_change(demo, catalogs):
    officer = demo.people(unit_id="yala-mueang", role="reporter")[0].id
    same_as_fresh(demo, catalogs)  # the cache is full now
    first = submit(demo, officer, "85", 3)
    same_as_fresh(demo, catalogs)
    second = submit(demo, officer, "95", 5)  # a correction: a new version
    same_as_fresh(demo, catalogs)
    demo.retract(second, officer, "console", "u1", datetime(2025, 6, 9, 10, tzinfo=BANGKOK))
    same_as_fresh(demo, catalogs)
    demo.retract(first, officer, "console", "u2", datetime(2025, 6, 9, 11, tzinfo=BANGKOK))  # not the latest
    same_as_fresh(demo, catalogs)
    with demo.batch():  # inside a transaction reads are not served from the cache
        third = submit(demo, officer, "90", 4)
        assert demo.current("yala-mueang", TEAM, "t1")[-1].id == third
    same_as_fresh(demo, catalogs)
    with pytest.raises(RuntimeError), demo.batch():  # rolled back: nothing changed, nothing stale
        submit(demo, officer, "10", 0)
        raise RuntimeError
    same_as_fresh(demo, catalogs)
    demo.put_unit(Unit("yala-mueang", "เมืองยะลา", "district", "yala", {"staff": 9}))
    demo.assign_agreement(TEAM, "yala-betong", 2568, 2, date(2025, 4, 1), date(2025, 9, 30), variant="x")
    demo.add_person("นายใหม่ ทดสอบ", "reporter", "yala-mueang", scopes=(Scope("unit", "yala-mueang"),))
    same_as_fresh(demo, catalogs)


def test_another_connections_writes_are_seen(demo, catalogs):
    officer = demo.people(unit_id="yala-betong", role="reporter")[0].id
    before = scores(demo, catalogs)
    other = fresh(demo)
    try:
        submit(other, officer, "100", 5, unit="yala-betong")
        other.put_unit(Unit("yala-kabang", "กาบัง", "district", "yala", {"staff": 7}))
    finally:
        other.close()
    time.sleep(readcache.RECHECK_S * 1.5)
    assert scores(demo, catalogs) != before
    same_as_fresh(demo, catalogs)
    assert demo.unit("yala-kabang").attributes == {"staff": 7}


def test_only_the_changed_units_figures_are_dropped(demo):
    officer = demo.people(unit_id="yala-mueang", role="reporter")[0].id
    reads(demo)
    families = set(demo._cache._families)
    submit(demo, officer, "80", 2)
    demo.units()  # the next read replays the audit
    kept = set(demo._cache._families)
    assert ("submissions", "yala-mueang", TEAM) in families - kept
    assert ("submissions", "yala-betong", TEAM) in kept and "units" in kept and "agreements" in kept


def test_a_department_over_provinces(tmp_path):
    store = SqliteStore(tmp_path / "k.sqlite3", tmp_path / "evidence")
    try:
        store.put_unit(Unit("cdd", "กรมการพัฒนาชุมชน", "department"))
        store.put_unit(Unit("dsdw-plan", "กองยุทธศาสตร์", "division", "cdd"))
        store.put_unit(Unit("yala", "ยะลา", "province", "cdd"))
        assert [u.id for u in store.units("cdd")] == ["dsdw-plan", "yala"]
        with pytest.raises(ValueError):
            store.put_unit(Unit("x", "x", "ministry"))
        with pytest.raises(sqlite3.IntegrityError):  # the table itself still refuses other kinds
            store.db.execute("INSERT INTO units (id, name, kind) VALUES ('y', 'y', 'ministry')")
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        store.close()
