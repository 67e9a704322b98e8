"""Every shipped catalog loads, and `catalog check` reports only what the documents themselves cause."""

from __future__ import annotations

from collections import Counter

from scoring.lint import check
from scoring.loader import catalog_dir, load_catalog

# (catalog file stem, problem code, KPI id or "" for the catalog) -> count
EXPECTED_WARNINGS = Counter({
    ("001-chonburi-2567-r2-individual", "weights", ""): 1,  # 10+20+20+10+10+10+10 = 90
    ("003-buriram-2565-r2-individual", "weights", ""): 1,  # KPIs 4-12 total 75, the document says 100
    ("002-yala-2568-r2-district-team", "gap", "t3"): 1,  # exactly 20 % overdue debt is in no level
    ("002-yala-2568-r2-province-individual", "gap", "i5"): 1,  # the same rubric, province set
    ("003-buriram-2565-r2-team", "non_monotone", "t5"): 1,  # 5 staff: L4 needs 12 news, L5 only 10
    ("002-yala-2568-r2-district-individual", "table_rule", "i4"): 4,  # บันนังสตา L1-2, รามัน L3-4
    ("004-dsdw-2566-r1-department", "gap", "d12"): 1,  # energy 6.5, 7.5, 8.5
    ("004-dsdw-2566-r2-department", "gap", "d12"): 1,
    ("004-dsdw-2566-r1-department", "gap", "d13"): 1,  # waste averages such as 7.25
    ("004-dsdw-2566-r2-department", "gap", "d13"): 1,
    # issue 11, catalogs of agreements the documents name without a summary table of their own:
    ("002-yala-2568-r2-group-team", "weights", ""): 1,  # sheet weights 50 + 40 + 15 = 105 (002:L133, L174, L214)
    ("002-yala-2568-r2-group-team", "gap", "t3"): 1,  # the debt rubric again: exactly 20 % is in no level
    ("004-dsdw-2566-r1-unit", "weights", ""): 1,  # §6.4 (004:L483-498) prints no weights: total 0
    ("004-dsdw-2566-r2-unit", "weights", ""): 1,
    ("004-dsdw-2566-r1-unit", "gap", "d12"): 1,  # the department energy and waste sheets, included
    ("004-dsdw-2566-r2-unit", "gap", "d12"): 1,
    ("004-dsdw-2566-r1-unit", "gap", "d13"): 1,
    ("004-dsdw-2566-r2-unit", "gap", "d13"): 1,
    ("004-dsdw-2566-r1-individual", "weights", ""): 1,  # each person sets weights on ปผ.2 (004:L247)
    ("004-dsdw-2566-r2-individual", "weights", ""): 1,
})


def _kpi_of(problem) -> str:
    for word in problem.en.split():
        if word.startswith(("t", "i", "d")) and word[1:].rstrip(":").isdigit():
            return word.rstrip(":")
    return ""


def test_every_catalog_loads_and_checks_with_only_the_documents_warnings():
    found: Counter = Counter()
    files = sorted(catalog_dir().glob("*.yaml"))
    assert len(files) >= 12
    for path in files:
        catalog = load_catalog(path)
        problems = check(catalog, str(path))
        assert [p for p in problems if p.severity == "error"] == [], path
        for p in problems:
            found[(path.stem, p.code, _kpi_of(p) if p.code != "weights" else "")] += 1
    assert found == EXPECTED_WARNINGS


def test_specific_document_warnings_name_the_values():
    by_stem = {p.stem: load_catalog(p) for p in catalog_dir().glob("*.yaml")}
    energy = check(by_stem["004-dsdw-2566-r2-department"], "x")
    assert any(p.code == "gap" and "6.5" in p.en for p in energy)
    debt = check(by_stem["002-yala-2568-r2-district-team"], "x")
    assert any(p.code == "gap" and "20.00" in p.en for p in debt)
    weights = check(by_stem["001-chonburi-2567-r2-individual"], "x")
    assert any(p.code == "weights" and "90" in p.en for p in weights)


def test_catalog_ids_are_unique():
    ids = [load_catalog(p).id for p in catalog_dir().glob("*.yaml")]
    assert len(ids) == len(set(ids))
