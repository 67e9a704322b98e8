"""`catalog check`: problems a loaded catalog still has, and what its document itself causes.

Errors make a catalog unusable (a name no input defines, an unknown group). Warnings
are the document's own inconsistencies, reported and never silently fixed: weights
not totalling 100, values that fall in no level, non-monotone tiers, published table
cells that differ from the document's own rule.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from .conditions import Condition
from .errors import Problem
from .evaluate import all_conditions, rubric_decimals
from .model import Catalog, Kpi, Level
from .numbers import fmt, step
from .targets import mismatches
from .totals import applicable_kpis, kpi_weight

RESERVED = {"target", "score", "level", "case"}


def check(catalog: Catalog, file: str) -> list[Problem]:
    problems: list[Problem] = []
    problems += _references(catalog, file)
    problems += _weights(catalog, file)
    for kpi in catalog.kpis:
        problems += _gaps(kpi, file)
        problems += _two_stage_gaps(kpi, file)
        problems += _tiers(kpi, file)
        problems += _tables(kpi, file)
    return problems


def _err(file: str, line: int | None, th: str, en: str, code: str) -> Problem:
    return Problem(file, line, th, en, "error", code)


def _warn(file: str, line: int | None, th: str, en: str, code: str) -> Problem:
    return Problem(file, line, th, en, "warning", code)


def _references(catalog: Catalog, file: str) -> list[Problem]:
    out: list[Problem] = []
    groups = {g.id for g in catalog.groups}
    optional = {g.id for g in catalog.optional_groups}
    for kpi in catalog.kpis:
        where = f"ตัวชี้วัด {kpi.number or kpi.id}"
        for group in [kpi.group, *kpi.variant_groups.values()]:
            if group and group not in groups:
                out.append(_err(file, kpi.line, f"{where}: ไม่มีกลุ่ม “{group}”", f"KPI {kpi.id}: unknown group",
                                "unknown_group"))
        if kpi.optional_group and kpi.optional_group not in optional:
            out.append(_err(file, kpi.line, f"{where}: ไม่มีกลุ่มทางเลือก “{kpi.optional_group}”",
                            f"KPI {kpi.id}: unknown optional group", "unknown_group"))
        for variant in {**kpi.weights, **kpi.variant_groups}:  # a group per variant names a variant too
            if variant not in catalog.variants:
                out.append(_err(file, kpi.line, f"{where}: ไม่มีตารางน้ำหนัก “{variant}”",
                                f"KPI {kpi.id}: unknown weight variant {variant!r}", "unknown_variant"))
        known = {i.id for i in kpi.inputs} | set(kpi.derive) | set(kpi.constants) | RESERVED
        for name, formula in kpi.derive.items():
            for n in formula.names - known:
                out.append(_err(file, kpi.line, f"{where}: สูตร {name} ใช้ชื่อ “{n}” ที่ไม่ได้ประกาศใน inputs",
                                f"KPI {kpi.id}: derive {name} uses undeclared {n!r}", "unknown_name"))
        for lv in kpi.rubric.levels:
            for cond in all_conditions(lv):
                for n in cond.names - known:
                    out.append(_err(file, lv.line or kpi.line,
                                    f"{where} ระดับ {lv.level}: “{n}” ไม่ได้ประกาศใน inputs",
                                    f"KPI {kpi.id} level {lv.level}: {n!r} is not a declared input",
                                    "unknown_name"))
                if "target" in cond.names and kpi.targets is None:
                    out.append(_err(file, lv.line or kpi.line, f"{where}: ใช้ target แต่ไม่มีตาราง targets",
                                    f"KPI {kpi.id}: uses target without a targets table", "no_targets"))
        for part in kpi.rubric.parts:
            for band in part.bands:
                for n in band.when.names - known:
                    out.append(_err(file, kpi.line, f"{where} ส่วน {part.id}: “{n}” ไม่ได้ประกาศใน inputs",
                                    f"KPI {kpi.id} part {part.id}: {n!r} is not a declared input",
                                    "unknown_name"))
        present = {lv.level for lv in kpi.rubric.levels}
        if not kpi.rubric.reviewer and present != {1, 2, 3, 4, 5}:
            absent = sorted({1, 2, 3, 4, 5} - present)
            out.append(_warn(file, kpi.line, f"{where}: ไม่มีเกณฑ์ระดับ {absent}",
                             f"KPI {kpi.id}: levels {absent} are not defined", "missing_levels"))
    return out


def _weights(catalog: Catalog, file: str) -> list[Problem]:
    out: list[Problem] = []
    variants: list[str | None] = list(catalog.variants) if catalog.variants else [None]
    units: list[str | None] = list(catalog.units) if catalog.units else [None]
    seen: set[tuple[str | None, Decimal]] = set()
    for variant in variants:
        for unit in units:
            kpis = applicable_kpis(catalog, unit, None, variant)
            total = sum((kpi_weight(k, variant) or Decimal(0) for k in kpis), Decimal(0))
            if (variant, total) in seen:
                continue
            seen.add((variant, total))
            label = " ".join(x for x in (catalog.variants.get(variant or "", ""), unit or "") if x)
            label = f" ({label})" if label else ""
            if total != 100:
                stated = f" แต่เอกสารระบุ {fmt(catalog.stated_total)}" if catalog.stated_total is not None else ""
                stated_en = f" but the document states {catalog.stated_total}" if catalog.stated_total else ""
                out.append(_warn(file, None, f"น้ำหนักรวม{label} = {fmt(total)} ไม่ใช่ 100{stated}",
                                 f"weights{label} total {total}, not 100{stated_en}", "weights"))
            if catalog.groups and variant is not None:
                for g in catalog.groups:
                    g_total = sum((kpi_weight(k, variant) or Decimal(0) for k in kpis
                                   if k.variant_groups.get(variant, k.group) == g.id), Decimal(0))
                    if g.weight is not None and g_total != g.weight:
                        out.append(_warn(file, None, f"น้ำหนักกลุ่ม {g.name}{label} = {fmt(g_total)} ไม่ใช่ "
                                         f"{fmt(g.weight)}", f"group {g.id}{label} totals {g_total}, not {g.weight}",
                                         "group_weights"))
    return out


@dataclass(frozen=True)
class _Interval:
    low: Decimal | None
    low_open: bool
    high: Decimal | None
    high_open: bool

    def contains(self, v: Decimal) -> bool:
        if self.low is not None and (v < self.low or (self.low_open and v == self.low)):
            return False
        return not (self.high is not None and (v > self.high or (self.high_open and v == self.high)))


def _interval(cond: Condition, constants: dict[str, Decimal]) -> _Interval | None:
    try:
        if cond.kind == "range" and cond.low and cond.high:
            return _Interval(cond.low.evaluate(constants), False, cond.high.evaluate(constants), False)
        if cond.kind == "compare" and cond.right and cond.op:
            t = cond.right.evaluate(constants)
            return {
                ">=": _Interval(t, False, None, False),
                ">": _Interval(t, True, None, False),
                "<=": _Interval(None, False, t, False),
                "<": _Interval(None, False, t, True),
                "=": _Interval(t, False, t, False),
            }[cond.op]
    except Exception:
        return None
    return None


def _level_sets(levels: list[Level], subject: str, constants: dict[str, Decimal]) -> dict[int, list[_Interval]]:
    sets: dict[int, list[_Interval]] = {}
    for lv in levels:
        if lv.blank or lv.branches:
            continue
        conds = list(lv.conditions)
        if not conds or any(c.subject != subject for c in conds):
            continue
        intervals = [_interval(c, constants) for c in conds]
        if any(i is None for i in intervals):
            continue
        sets[lv.level] = [i for i in intervals if i is not None]
    return sets


def _uncovered(points: list[Decimal], covers) -> list[Decimal]:
    points = sorted(set(points))
    covered = [covers(p) for p in points]
    gaps = []
    for idx, p in enumerate(points):
        if not covered[idx] and any(covered[:idx]) and any(covered[idx + 1:]):
            gaps.append(p)
    return gaps


def _gaps(kpi: Kpi, file: str) -> list[Problem]:
    levels = list(kpi.rubric.levels)
    subjects = {c.subject for lv in levels for c in lv.conditions if c.subject}
    out: list[Problem] = []
    if kpi.rubric.parts:
        subjects.discard("score")  # two-stage scores are checked over the scores the parts can give
    for subject in sorted(subjects):
        sets = _level_sets(levels, subject, dict(kpi.constants))
        if len(sets) < 2:
            continue
        # results are rounded to these decimals before comparing, so probing each edge one step either
        # side at this precision visits every value that can fall between two levels
        decimals = rubric_decimals(kpi, subject)
        unit = step(decimals)
        edges = [e for ivs in sets.values() for i in ivs for e in (i.low, i.high) if e is not None]
        points = [p for e in edges for p in (e - unit, e, e + unit)]

        def covers(v: Decimal, sets=sets) -> bool:
            return any(all(i.contains(v) for i in ivs) for ivs in sets.values())

        gaps = _uncovered(points, covers)
        if gaps:
            shown = ", ".join(fmt(g, decimals) for g in gaps)
            out.append(_warn(file, kpi.line,
                             f"ตัวชี้วัด {kpi.number or kpi.id}: ค่า {subject} = {shown} ไม่อยู่ในระดับใดเลย",
                             f"KPI {kpi.id}: {subject} = {shown} falls in no level", "gap"))
    return out


def _two_stage_gaps(kpi: Kpi, file: str) -> list[Problem]:
    rubric = kpi.rubric
    if not rubric.parts:
        return []
    scores = [sorted({b.score for b in part.bands}) for part in rubric.parts]
    combos = {sum(c, Decimal(0)) if rubric.combine == "sum" else sum(c, Decimal(0)) / len(c)
              for c in itertools.product(*scores)}
    sets = _level_sets(list(rubric.levels), "score", dict(kpi.constants))
    if not sets:
        return []

    def covers(v: Decimal) -> bool:
        return any(all(i.contains(v) for i in ivs) for ivs in sets.values())

    gaps = _uncovered(sorted(combos), covers)
    if not gaps:
        return []
    shown = ", ".join(fmt(g) for g in gaps[:12]) + (" …" if len(gaps) > 12 else "")
    return [_warn(file, kpi.line,
                  f"ตัวชี้วัด {kpi.number or kpi.id}: คะแนนรวม {shown} ไม่ตรงกับระดับใดเลย",
                  f"KPI {kpi.id}: combined score {shown} maps to no level", "gap")]


def _tiers(kpi: Kpi, file: str) -> list[Problem]:
    """Branches by a unit attribute: a higher level must not need less than a lower one."""
    levels = sorted((lv for lv in kpi.rubric.levels if lv.branches and not lv.blank), key=lambda x: x.level)
    attrs = {b.if_.subject for lv in levels for b in lv.branches if b.if_ is not None and b.if_.subject}
    out: list[Problem] = []
    for attr in sorted(a for a in attrs if a):
        edges = [e for lv in levels for b in lv.branches if b.if_ is not None and b.if_.subject == attr
                 for e in [_interval(b.if_, {})] if e is not None for e in (e.low, e.high) if e is not None]
        if not edges:
            continue
        probe = sorted({v for e in edges for v in (e - 1, e, e + 1) if v >= 0})
        reported: set[str] = set()
        for value in probe:
            previous: tuple[int, dict[str, Decimal]] | None = None
            for lv in levels:
                branch = next((b for b in lv.branches if b.if_ is not None and b.if_.subject == attr
                               and (iv := _interval(b.if_, {})) is not None and iv.contains(value)), None)
                if branch is None:
                    continue
                need = {c.subject: iv.low for c in branch.all if c.subject and (iv := _interval(c, {})) is not None
                        and iv.low is not None and iv.high is None}
                if previous is not None:
                    for name, t in need.items():
                        before = previous[1].get(name)
                        if before is not None and t < before and name not in reported:
                            reported.add(name)
                            out.append(_warn(
                                file, lv.line or kpi.line,
                                f"ตัวชี้วัด {kpi.number or kpi.id}: เกณฑ์ตาม {attr} ไม่เรียงลำดับ — เมื่อ {attr} = "
                                f"{fmt(value)} ระดับ {previous[0]} ต้องการ {name} ≥ {fmt(before)} แต่ระดับ {lv.level} "
                                f"ต้องการเพียง ≥ {fmt(t)}",
                                f"KPI {kpi.id}: tiers by {attr} are not monotone — at {attr} = {value} level "
                                f"{previous[0]} needs {name} >= {before} but level {lv.level} only {t}",
                                "non_monotone"))
                previous = (lv.level, need)
    return out


def _tables(kpi: Kpi, file: str) -> list[Problem]:
    if kpi.targets is None:
        return []
    out = []
    for m in mismatches(kpi.targets):
        out.append(_warn(file, m.line or kpi.targets.line,
                         f"ตัวชี้วัด {kpi.number or kpi.id}: ค่าเป้าหมาย {m.unit} ระดับ {m.level} พิมพ์ไว้ {fmt(m.published)} "
                         f"แต่ตามสูตรของเอกสารได้ {fmt(m.rule)} (ใช้ค่าที่พิมพ์ไว้)",
                         f"KPI {kpi.id}: target for {m.unit} level {m.level} is published as {m.published}, "
                         f"the document's rule gives {m.rule} (published value kept)", "table_rule"))
    return out
