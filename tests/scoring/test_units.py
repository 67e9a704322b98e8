"""Unit-aware lookups: a KPI number two rows share resolves by the unit; the total row of a per-unit
target table is the unit "รวม"."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring.evaluate import evaluate
from scoring.loader import find_catalog
from scoring.targets import TOTAL_ROW, has_row, target_value


@pytest.fixture(scope="module")
def chonburi():
    return find_catalog("chonburi-2567-r2-individual")


def test_kpi_1_is_i1k_at_koh_sichang_and_i1_elsewhere(chonburi):
    # 001:L66 "ตัวชี้วัดที่ 1 ... (ยกเว้นอำเภอเกาะสีชัง)"; 001:L67 "ตัวชี้วัดที่ 1 ... (เฉพาะอำเภอเกาะสีชัง)"
    assert chonburi.kpi_for("1", "เกาะสีชัง").id == "i1k"
    assert chonburi.kpi_for("๑", "เกาะสีชัง").id == "i1k"
    assert chonburi.kpi_for("1", "ศรีราชา").id == "i1"
    assert [k.id for k in chonburi.kpi_rows("1")] == ["i1", "i1k"]  # no unit: both rows, as printed
    assert chonburi.kpi_for("1").id == "i1"


def test_ids_and_unshared_numbers_ignore_the_unit(chonburi):
    assert chonburi.kpi_for("i1k", "ศรีราชา").id == "i1k"  # an id names one row (evaluating it says where)
    assert chonburi.kpi_for("2", "เกาะสีชัง").id == chonburi.kpi_for("2", "ศรีราชา").id
    assert chonburi.kpi_for("99", "เกาะสีชัง") is None


def test_every_shared_number_in_the_shipped_catalogs_resolves_to_one_row_per_unit():
    from scoring.loader import load_all

    for catalog in load_all().values():
        numbers = {str(k.number) for k in catalog.kpis if k.number is not None}
        units = set(catalog.units) | {u for k in catalog.kpis for u in (*k.applies_to, *k.except_)}
        for number in numbers:
            for unit in units:
                rows = catalog.kpi_rows(number, unit)
                applicable = [k for k in rows if k.applies(unit)]
                assert len(applicable) <= 1, (catalog.id, number, unit, [k.id for k in rows])


def test_total_row_of_004_is_the_unit_ruam():
    d3u = find_catalog("dsdw-2566-r2-department").kpi("d3u")  # type: ignore[union-attr]
    table = d3u.targets
    assert TOTAL_ROW == "รวม" and has_row(table, "รวม") and not has_row(table, "ไม่มีจังหวัดนี้")
    # 004:L1036 "รวม 572,976 200,542 773,518 ... 464,111 541,462 618,814 696,166 773,518" (60 %-100 %)
    assert [target_value(table, "รวม", lv) for lv in range(1, 6)] == [
        Decimal(464111), Decimal(541462), Decimal(618814), Decimal(696166), Decimal(773518)]
    result = evaluate(d3u, {"helped": "700000"}, unit="รวม")
    assert (result.level, result.needed[0].amount) == (4, Decimal(73518))  # 773,518 - 700,000


def test_total_row_of_002_kpi_4():
    kpi = find_catalog("yala-2568-r2-district-individual").kpi("4")  # type: ignore[union-attr]
    # 002:L442 "รวม ๓๒๓ ๒๗๘ ๒๘๑ ๒๘๕ ๒๘๗ ๒๙๑"
    assert [target_value(kpi.targets, "รวม", lv) for lv in range(1, 6)] == [Decimal(v) for v in (278, 281, 285, 287, 291)]
    assert evaluate(kpi, {"passed": "291"}, unit="รวม").level == 5
    assert evaluate(kpi, {"passed": "290"}, unit="รวม").level == 4
