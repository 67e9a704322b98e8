"""Catalog loading: libyaml for speed with the same values, lines and error messages as the pure-Python
loader, and `find_catalog` parsing only the catalog asked for (issue 11: `kpibot level` under 0.5 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import scoring.loader as loader
from scoring import yamlread
from scoring.errors import CatalogError
from scoring.loader import declared_id, find_catalog, parse_catalog
from scoring.yamlread import read_yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "data" / "catalogs").glob("*.yaml")) + sorted((ROOT / "data" / "tables").glob("*.yaml"))


def _pure(monkeypatch, text: str, file: str):
    with monkeypatch.context() as m:
        m.setattr(yamlread, "FAST_LOADER", yaml.SafeLoader)
        return read_yaml(text, file)


def test_libyaml_is_used_where_pyyaml_has_it():
    assert yamlread.FAST_LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_shipped_files_read_the_same_with_either_loader(monkeypatch, path):
    text = path.read_text(encoding="utf-8")
    fast = read_yaml(text, str(path))
    pure = _pure(monkeypatch, text, str(path))
    assert repr(fast[0]) == repr(pure[0])  # Decimal("93.50") keeps its written decimals either way
    assert fast[1] == pure[1]  # the line of every key and item
    assert fast[2] == pure[2] == []


@pytest.mark.parametrize("text", [
    "a: 1\nb: [1, 2\nc: 3\n",  # an unclosed list
    "a: 1\n  b: 2\n",  # a bad indent
    'a: "x\n',  # an unclosed quote
    "a: 1\na: 2\n",  # a duplicate key (not a syntax error: found while building)
    "",
])
def test_problems_are_worded_and_placed_as_the_pure_loader_does(monkeypatch, text):
    fast = read_yaml(text, "x.yaml")[2]
    pure = _pure(monkeypatch, text, "x.yaml")[2]
    assert fast == pure and fast and all(p.line for p in fast)


def test_a_validation_error_keeps_its_line():
    text = ("id: x\ndocument: d\nsource: s\ntitle: t\nfiscal_year: 2568\nset: team\nkpis:\n"
            "  - id: k1\n    name: n\n    wieght: 10\n    rubric: {levels: []}\n")
    with pytest.raises(CatalogError) as exc:
        parse_catalog(text, "x.yaml")
    assert [(p.line, "wieght" in p.th) for p in exc.value.problems] == [(10, True)]


def test_declared_id_reads_the_top_level_id_line():
    assert declared_id("# c\nid: yala-2568-r2-district-team\nkpis:\n  - id: t1\n") == "yala-2568-r2-district-team"
    assert declared_id("id: 'quoted-id'  # note\n") == "quoted-id"
    assert declared_id("kpis:\n  - id: t1\n") is None  # a KPI's id is not the catalog's


def test_find_catalog_by_id_parses_only_that_file(monkeypatch):
    parsed: list[str] = []
    real = loader.parse_catalog
    monkeypatch.setattr(loader, "parse_catalog",
                        lambda text, file="", base_dir=None: parsed.append(Path(file).name) or real(text, file, base_dir))
    catalog = find_catalog("dsdw-2566-r2-department")
    assert catalog is not None and catalog.id == "dsdw-2566-r2-department"
    assert parsed == ["004-dsdw-2566-r2-department.yaml"]
    # its shared target table is merged in: 004:L1036 total row, 100 % = 773,518
    d3u = catalog.kpi("d3u")
    assert d3u is not None and d3u.targets is not None and d3u.targets.total.cells["100"] == 773518


def test_find_catalog_by_file_name_and_unknown_ids():
    assert find_catalog("002-yala-2568-r2-district-team").id == "yala-2568-r2-district-team"  # type: ignore[union-attr]
    assert find_catalog("no-such-catalog") is None


def test_find_catalog_by_id_matches_load_all():
    every = loader.load_all()
    for cid, catalog in every.items():
        found = find_catalog(cid)
        assert found is not None and found.id == cid
        assert [(k.id, k.weight) for k in found.kpis] == [(k.id, k.weight) for k in catalog.kpis]
