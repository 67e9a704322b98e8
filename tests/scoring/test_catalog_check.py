"""Loading errors name file and line in Thai and English; lint finds what documents cause."""

from __future__ import annotations

import pytest

from scoring.errors import CatalogError
from scoring.lint import check
from scoring.loader import parse_catalog

from .conftest import HEAD, make_catalog


def problems_of(text: str) -> list:
    with pytest.raises(CatalogError) as exc:
        parse_catalog(text, "bad.yaml")
    return exc.value.problems


def test_unknown_key_is_reported_with_its_line():
    text = HEAD + """kpis:
  - id: k1
    name: เบิกจ่าย
    wieght: 50
    rubric: {levels: []}
"""
    [problem] = problems_of(text)
    assert (problem.file, problem.line) == ("bad.yaml", 11)
    assert "wieght" in problem.th and "wieght" in problem.en
    assert str(problem).startswith("bad.yaml:11: error:")


def test_bad_condition_is_reported_in_thai_and_english():
    text = HEAD + """kpis:
  - id: k1
    name: เบิกจ่าย
    inputs: [{id: percent, name: ร้อยละ}]
    rubric:
      levels:
        - {level: 1, when: percent ≥≥ 80}
"""
    [problem] = problems_of(text)
    assert problem.line == 14
    assert "อ่านเงื่อนไข" in problem.th and "cannot read condition" in problem.en


def test_missing_field_and_duplicate_key():
    text = HEAD + """kpis:
  - id: k1
    id: k2
    rubric: {levels: []}
"""
    found = problems_of(text)
    assert any("ซ้ำ" in p.th and p.line == 10 for p in found)


def test_invalid_yaml_names_the_line():
    [problem] = problems_of(HEAD + "kpis: [\n  - {id: 1\n")
    assert problem.line is not None and "YAML" in problem.th


def codes(catalog) -> list[str]:
    return [p.code for p in check(catalog, "x.yaml")]


def test_undeclared_name_in_a_condition_is_an_error():
    catalog = make_catalog("""
- id: k1
  name: เบิกจ่าย
  weight: 100
  inputs: [{id: percent, name: ร้อยละ}]
  rubric:
    levels:
      - {level: 1, when: precent >= 80}
      - {level: 2, when: percent >= 85}
      - {level: 3, when: percent >= 90}
      - {level: 4, when: percent >= 95}
      - {level: 5, when: percent >= 100}
""")
    found = check(catalog, "x.yaml")
    errors = [p for p in found if p.severity == "error"]
    assert len(errors) == 1 and "precent" in errors[0].th


def test_gap_between_levels_is_a_warning():
    catalog = make_catalog("""
- id: k3
  name: หนี้
  weight: 100
  inputs: [{id: percent, name: ร้อยละ}]
  rubric:
    levels:
      - {level: 1, when: percent > 20}
      - {level: 2, when: percent < 20}
      - {level: 3, when: percent < 15}
      - {level: 4, when: percent < 10}
      - {level: 5, when: percent < 5}
""")
    [gap] = [p for p in check(catalog, "x.yaml") if p.code == "gap"]
    assert gap.severity == "warning" and "20" in gap.th


def test_no_gap_where_levels_touch_after_rounding():
    catalog = make_catalog("""
- id: k1
  name: ช่วง
  weight: 100
  inputs: [{id: percent, name: ร้อยละ}]
  rubric:
    levels:
      - {level: 1, when: percent in 0..59}
      - {level: 2, when: percent in 60..69}
      - {level: 3, when: percent in 70..79}
      - {level: 4, when: percent in 80..89}
      - {level: 5, when: percent >= 90}
""")
    assert "gap" not in codes(catalog)


def test_weights_not_100_warn_with_the_stated_total():
    catalog = make_catalog("""
- id: a
  name: a
  weight: 40
  rubric: {reviewer: true}
- id: b
  name: b
  weight: 35
  rubric: {reviewer: true}
""", head=HEAD + "stated_total: 100\n")
    [w] = [p for p in check(catalog, "x.yaml") if p.code == "weights"]
    assert "75" in w.th and "100" in w.th and w.severity == "warning"


def test_non_monotone_tiers_warn():
    catalog = make_catalog("""
- id: news
  name: ข่าว
  weight: 100
  inputs: [{id: news, name: ข่าว}]
  rubric:
    levels:
      - {level: 4, branches: [{if: staff <= 2, all: [news >= 4]}, {if: staff <= 4, all: [news >= 8]}, {if: staff > 4, all: [news >= 12]}]}
      - {level: 5, branches: [{if: staff <= 2, all: [news >= 5]}, {if: staff <= 5, all: [news >= 10]}, {if: staff > 5, all: [news >= 15]}]}
""")
    [w] = [p for p in check(catalog, "x.yaml") if p.code == "non_monotone"]
    assert "staff = 5" in w.en and "12" in w.en and "10" in w.en


def test_published_cell_differing_from_the_rule_warns():
    catalog = make_catalog("""
- id: poor
  name: ครัวเรือน
  weight: 100
  inputs: [{id: passed, name: ครัวเรือน}]
  targets:
    percent: {1: 86}
    units:
      บันนังสตา: {base: 12, levels: {1: 11}}
      กรงปินัง: {base: 20, levels: {1: 17}}
  rubric:
    levels:
      - {level: 1, when: passed >= target}
""")
    found = [p for p in check(catalog, "x.yaml") if p.code == "table_rule"]
    assert len(found) == 1 and "บันนังสตา" in found[0].th and "10" in found[0].en and "11" in found[0].en
