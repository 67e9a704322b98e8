"""Per-unit target tables: published cells first, else the document's rule from a base."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .model import TargetRow, TargetTable
from .numbers import round_half_up


def rule_value(table: TargetTable, base: Decimal, level: int) -> Decimal | None:
    """ROUND_HALF_UP(base x factor x p / 100), from the unrounded product."""
    percent = table.percent.get(level)
    if percent is None:
        return None
    return round_half_up(base * table.factor * percent / 100, table.decimals)


def cell(row: TargetRow, table: TargetTable, level: int) -> Decimal | None:
    """The published value of a row for a level, if the document prints one."""
    if level in row.levels:
        return row.levels[level]
    percent = table.percent.get(level)
    if percent is not None:
        key = str(percent.normalize() if percent == percent.to_integral_value() else percent)
        key = str(int(percent)) if percent == percent.to_integral_value() else key
        if key in row.cells:
            return row.cells[key]
    return None


TOTAL_ROW = "รวม"  # the total row's label as the tables print it (004:L1036, 002:L442): a unit for lookups


def has_row(table: TargetTable, unit: str) -> bool:
    """A unit's row, or the total row asked for as "รวม" (a province's or the country's own target)."""
    return unit in table.units or unit == TOTAL_ROW


def target_value(table: TargetTable, unit: str, level: int) -> Decimal | None:
    row = table.units.get(unit)
    if row is None:
        return total_value(table, level) if unit == TOTAL_ROW else None
    published = cell(row, table, level)
    if published is not None:
        return published
    return rule_value(table, row.base, level) if row.base is not None else None


def total_value(table: TargetTable, level: int) -> Decimal | None:
    """The total row: as published, else computed the way the table says (from Σbase or Σcells)."""
    if table.total is not None:
        published = cell(table.total, table, level)
        if published is not None:
            return published
    if table.total_rule == "sum":
        values = [target_value(table, unit, level) for unit in table.units]
        return sum(values, Decimal(0)) if all(v is not None for v in values) else None
    base = sum((r.base for r in table.units.values() if r.base is not None), Decimal(0))
    return rule_value(table, base, level)


@dataclass(frozen=True)
class Mismatch:
    unit: str
    level: int
    published: Decimal
    rule: Decimal
    line: int | None


def mismatches(table: TargetTable) -> list[Mismatch]:
    """Published cells that differ from the document's own rule (lint warnings, not errors)."""
    found: list[Mismatch] = []
    rows = list(table.units.items())
    for unit, row in rows:
        if row.base is None:
            continue
        for level in sorted(table.percent):
            published = cell(row, table, level)
            expected = rule_value(table, row.base, level)
            if published is not None and expected is not None and published != expected:
                found.append(Mismatch(unit, level, published, expected, row.line))
    if table.total is not None:
        for level in sorted(table.percent):
            published = cell(table.total, table, level)
            if table.total_rule == "sum":
                expected = sum((target_value(table, u, level) or Decimal(0) for u in table.units), Decimal(0))
            else:
                base = table.total.base if table.total.base is not None else sum(
                    (r.base for r in table.units.values() if r.base is not None), Decimal(0))
                expected = rule_value(table, base, level)
            if published is not None and expected is not None and published != expected:
                found.append(Mismatch("รวม", level, published, expected, table.total.line))
    return found
