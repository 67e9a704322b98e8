from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scoring.loader import load_catalog, parse_catalog
from scoring.model import Catalog

CATALOGS = Path(__file__).resolve().parents[2] / "data" / "catalogs"

HEAD = """\
id: forms
document: test
source: synthetic
title: แบบทดสอบรูปแบบเกณฑ์
fiscal_year: 2568
round: 2
set: team
"""


def make_catalog(kpis_yaml: str, head: str = HEAD) -> Catalog:
    """A catalog from a KPI list written as YAML (indented under `kpis:`)."""
    return parse_catalog(head + "kpis:\n" + textwrap.indent(textwrap.dedent(kpis_yaml), "  "), "test.yaml")


@pytest.fixture(scope="session")
def catalog_by_id():
    cache: dict[str, Catalog] = {}

    def get(name: str) -> Catalog:
        if name not in cache:
            path = CATALOGS / f"{name}.yaml"
            cache[name] = load_catalog(path)
        return cache[name]

    return get
