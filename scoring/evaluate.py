"""Evaluate one KPI: the level reached, what was met, and what the next level needs.

How a result meets a threshold (issue 11): it is computed exactly (Decimal), rounded half-up to
two decimals (as the documents print results, 002:L235 "1.48", 004:L1345 "95.45"; a catalog's
`decimals:` where its document says otherwise) and compared literally with the printed threshold:
"ไม่น้อยกว่า 80" is >= 80.00 (79.99 is not), "มากกว่า 75" is > 75.00 (75.01 is), "ร้อยละ 100" is
reached at 100.00 only. A ladder of closed ranges with one-step gaps ("๖๐ – ๖๙", "๗๐ – ๗๙") is
rounded to the ranges' own decimals instead, so that every value falls in a range (69.5 -> 70).

What the next level needs is computed with that same rounding and comparison, on the grid the
amount is shown in: doing exactly the stated amount reaches the level, one unit less does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .conditions import Condition, Missing, compare, gapped_ranges
from .errors import EvaluationError, RubricError
from .model import Branch, Input, Kpi, Level, Rubric, Step
from .numbers import DEFAULT_DECIMALS, ceil_to, floor_to, fmt, parse_decimal, round_half_up, step
from .targets import has_row, target_value
from .thaidate import format_be


@dataclass
class Needed:
    """One thing still needed, in the rubric's own units."""

    kind: str  # increase | decrease | reach | step | date | report | reviewer | unit
    text: str  # Thai, ready to show
    input: str | None = None
    amount: Decimal | None = None
    unit: str | None = None


@dataclass
class Check:
    text: str  # the condition as written in the catalog
    met: bool | None  # None: not reported yet
    actual: Decimal | date | None = None
    threshold: Decimal | None = None


@dataclass
class LevelResult:
    level: int
    text: str
    met: bool
    blank: bool
    checks: list[Check] = field(default_factory=list)
    steps_done: list[str] = field(default_factory=list)
    steps_missing: list[str] = field(default_factory=list)


@dataclass
class Evaluation:
    kpi: str
    name: str
    level: int
    next_level: int | None
    needed: list[Needed]
    levels: list[LevelResult]
    values: dict[str, Any]
    decimals: int
    parts: dict[str, Decimal | None] = field(default_factory=dict)
    reviewer: bool = False

    @property
    def met(self) -> list[Check]:
        reached = next((lv for lv in self.levels if lv.level == self.level), None)
        return [c for c in reached.checks if c.met] if reached else []

    def to_dict(self) -> dict[str, Any]:
        def clean(value: Any) -> Any:
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, dict):
                return {str(k): clean(v) for k, v in value.items()}
            if isinstance(value, list | tuple | set | frozenset):
                return [clean(v) for v in value]
            return value

        return clean(asdict(self))


def comparison_decimals(kpi: Kpi) -> dict[str, int]:
    """Compared quantities (`Condition.key`) rounded to other than two decimals before comparing.

    The catalog's `decimals:` for every quantity where its document sets one; otherwise only the
    quantities on a ladder of gapped closed ranges, at the ranges' decimals (levels, and each
    two-stage part's bands on their own). Everything else is compared at DEFAULT_DECIMALS.
    """
    constants = dict(kpi.constants)
    table = gapped_ranges((c for lv in kpi.rubric.levels for c in all_conditions(lv)), constants)
    if kpi.rubric.parts:
        # a two-stage score is a sum or mean of printed sub-scores, not a measurement: a total that
        # falls between two levels' ranges (6.5 between "5..6" and "7..9") stays in no level, as printed
        table.pop("score", None)
    for part in kpi.rubric.parts:
        table.update(gapped_ranges((b.when for b in part.bands), constants))
    if kpi.decimals is not None:
        keys = {c.key for lv in kpi.rubric.levels for c in all_conditions(lv)}
        keys |= {b.when.key for p in kpi.rubric.parts for b in p.bands}
        table = {k: kpi.decimals for k in keys if k is not None}
    return table


def rubric_decimals(kpi: Kpi, subject: str | None = None) -> int:
    """Decimals a result is rounded to before it is compared (of `subject`, or of the KPI's primary
    input): the catalog's `decimals:`, the ranges' own on a gapped-range ladder, else two."""
    if kpi.decimals is not None:
        return kpi.decimals
    key = subject if subject is not None else primary_input(kpi)
    return comparison_decimals(kpi).get(key or "", DEFAULT_DECIMALS)


def all_conditions(level: Level) -> list[Condition]:
    """Every condition of a level: its own and those of each branch (scoring/lint.py checks them too)."""
    conds = list(level.conditions)
    for b in level.branches:
        conds.extend(b.all)
    return conds


def _normalise_inputs(kpi: Kpi, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split raw inputs into values by name and steps done; reject unknown or out-of-range ones."""
    values: dict[str, Any] = {}
    steps: dict[str, Any] = {}
    known = {i.id: i for i in kpi.inputs}
    for name, value in raw.items():
        if value is None:
            continue
        if name == "steps":
            steps = _steps(kpi.rubric, value)
            continue
        if name in ("level", "case"):
            values[name] = value
            continue
        spec = known.get(name)
        if spec is None and name not in kpi.constants:
            accepted = ", ".join(sorted(known)) or "-"
            raise EvaluationError(
                f"ตัวชี้วัด {kpi.number or kpi.id} ไม่มีข้อมูลชื่อ “{name}” (รับ: {accepted})",
                f"KPI {kpi.id} has no input {name!r} (accepts: {accepted})", "unknown_input")
        values[name] = _value(kpi, spec, name, value)
    return values, steps


# ceilings of inputs whose catalog sets no max: no district spends a trillion baht, counts ten million
# households, or grows 10,000 %; a figure beyond is a typo (or hostile), refused before it is scored
MAX_DIGITS = 20  # more digits than any figure of an appraisal: refused before any arithmetic or formatting
CEILING_BAHT = Decimal(10) ** 12
CEILING_PERCENT = Decimal(10_000)
CEILING_COUNT = Decimal(10_000_000)


def default_ceiling(spec: Input) -> Decimal:
    """The largest plausible value of an input without a catalog `max`."""
    unit = (spec.unit or "").strip()
    if unit == "บาท":
        return CEILING_BAHT
    if unit in ("ร้อยละ", "%"):
        return CEILING_PERCENT
    return CEILING_COUNT


def _value(kpi: Kpi, spec: Input | None, name: str, value: Any) -> Any:
    if spec is not None and spec.kind == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise EvaluationError(f"“{value}” ไม่ใช่วันที่ (เช่น 2024-07-31)", f"{value!r} is not a date",
                                  "bad_value") from None
    shown = str(value)
    if sum(ch.isdigit() for ch in shown) > MAX_DIGITS:
        raise EvaluationError(
            f"ตัวเลข “{shown[:12]}…” ยาวเกินไป (ไม่เกิน {MAX_DIGITS} หลัก) กรุณาตรวจสอบแล้วพิมพ์ใหม่ค่ะ",
            f"{name}: a number of more than {MAX_DIGITS} digits", "bad_value")
    try:
        number = parse_decimal(value)
    except (ValueError, ArithmeticError):
        raise EvaluationError(f"“{shown[:40]}” ไม่ใช่ตัวเลข", f"{shown[:40]!r} is not a number", "bad_value") from None
    if not number.is_finite():
        raise EvaluationError(f"“{shown[:40]}” ไม่ใช่ตัวเลข", f"{shown[:40]!r} is not finite", "bad_value")
    if spec is not None:
        label = spec.name
        if spec.min is not None and number < spec.min:
            raise EvaluationError(
                f"{label} ต้องไม่น้อยกว่า {fmt(spec.min)} (ได้รับ {fmt(number)})",
                f"{name} must be at least {spec.min} (got {number})", "out_of_range")
        if spec.max is not None and number > spec.max:
            raise EvaluationError(
                f"{label} ต้องไม่เกิน {fmt(spec.max)} (ได้รับ {fmt(number)})",
                f"{name} must be at most {spec.max} (got {number})", "out_of_range")
        if spec.min is None and spec.integer and number < 0:
            raise EvaluationError(f"{label} ต้องไม่ติดลบ (ได้รับ {fmt(number)})",
                                  f"{name} is a count and cannot be negative", "out_of_range")
        ceiling = default_ceiling(spec)
        if spec.max is None and abs(number) > ceiling:
            raise EvaluationError(
                f"{label} {fmt(number)} มากเกินกว่าที่เป็นไปได้ (ไม่เกิน {fmt(ceiling)}) กรุณาตรวจสอบตัวเลขค่ะ",
                f"{name} {number} is beyond any plausible value (at most {ceiling})", "out_of_range")
        if spec.integer and number != number.to_integral_value():
            raise EvaluationError(f"{label} ต้องเป็นจำนวนเต็ม (ได้รับ {fmt(number)})",
                                  f"{name} must be a whole number", "bad_value")
    return number


def _steps(rubric: Rubric, value: Any) -> dict[str, Any]:
    known = {s.id for s in rubric.steps}
    items: Iterable[tuple[str, Any]]
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, str):
        items = ((s.strip(), True) for s in value.split(",") if s.strip())
    else:
        items = ((str(s), True) for s in value)
    done: dict[str, Any] = {}
    for sid, when in items:
        if sid not in known:
            raise EvaluationError(
                f"ไม่มีขั้นตอน “{sid}” ในตัวชี้วัดนี้ (มี: {', '.join(sorted(known)) or '-'})",
                f"no step {sid!r} in this KPI", "unknown_step")
        if when is False or when is None:
            continue
        if isinstance(when, str):
            when = date.fromisoformat(when)
        done[sid] = when
    return done


class _Scorer:
    def __init__(self, kpi: Kpi, values: dict[str, Any], steps: dict[str, Any], unit: str | None,
                 case: str | None):
        self.kpi = kpi
        self.values = values
        self.steps = steps
        self.unit = unit
        self.case = case
        self.decimals = rubric_decimals(kpi)
        self.places = comparison_decimals(kpi)
        self.step_defs = {s.id: s for s in kpi.rubric.steps}

    def decimals_for(self, cond: Condition) -> int:
        """Decimals the left side of `cond` is rounded to before comparing."""
        if self.kpi.decimals is not None:
            return self.kpi.decimals
        return self.places.get(cond.key or "", DEFAULT_DECIMALS)

    # -- conditions -------------------------------------------------------------------------
    def check(self, cond: Condition, values: Mapping[str, Any], decimals: int) -> tuple[Check, Needed | None]:
        try:
            if cond.kind == "by":
                return self._check_by(cond, values)
            assert cond.left is not None
            raw = cond.left.evaluate(values)
            actual = round_half_up(raw, decimals)
            grid = step(decimals)
            if cond.kind == "range":
                assert cond.low is not None and cond.high is not None
                low, high = cond.low.evaluate(values), cond.high.evaluate(values)
                met = low <= actual <= high
                need = None
                if not met:
                    up = actual < low
                    edge = ceil_to(low, grid) if up else floor_to(high, grid)
                    need = self._gap(cond, raw, decimals, "increase" if up else "decrease", edge,
                                     lambda a: low <= a <= high)
                return Check(cond.text, met, actual, low), need
            assert cond.right is not None and cond.op is not None
            threshold, op = cond.right.evaluate(values), cond.op
            met = compare(actual, op, threshold)
            need = None
            if not met:
                up = op in (">=", ">") or (op == "=" and actual < threshold)
                edge = {">=": ceil_to(threshold, grid), ">": floor_to(threshold, grid) + grid,
                        "<=": floor_to(threshold, grid), "<": ceil_to(threshold, grid) - grid,
                        "=": threshold}[op]
                need = self._gap(cond, raw, decimals, "increase" if up else "decrease", edge,
                                 lambda a: compare(a, op, threshold))
            return Check(cond.text, met, actual, threshold), need
        except Missing as exc:
            return Check(cond.text, None), self._missing(exc.name)

    def _check_by(self, cond: Condition, values: Mapping[str, Any]) -> tuple[Check, Needed | None]:
        assert cond.name is not None and cond.day is not None
        done = values.get(cond.name)
        spec = self.kpi.input(cond.name)
        label = spec.name if spec else cond.name
        text = f"{label} ภายใน {format_be(cond.day)}"
        if done is None:
            return Check(cond.text, None), Needed("date", f"ต้องมี{text}", cond.name)
        met = done <= cond.day
        return Check(cond.text, met, done), None if met else Needed("date", f"ต้องมี{text}", cond.name)

    def _missing(self, name: str) -> Needed:
        if name == "target":
            return Needed("unit", "ต้องระบุหน่วยงานเพื่อดูค่าเป้าหมายของหน่วยงาน", "target")
        spec = self.kpi.input(name)
        label = spec.name if spec else name
        return Needed("report", f"ยังไม่ได้รายงาน{label}", name)

    def _gap(self, cond: Condition, raw: Decimal, decimals: int, kind: str, edge: Decimal,
             ok: Callable[[Decimal], bool]) -> Needed:
        """What is still needed, on the grid it is shown in (whole units for counts, hundredths of a
        percent): the least change of the unrounded value whose rounded result meets the condition."""
        spec = self.kpi.input(cond.subject) if cond.subject else None
        if spec is not None and spec.integer:
            shown = 0
        elif spec is not None:
            shown = max(decimals, 2 if spec.unit == "ร้อยละ" else 0)
        else:
            shown = max(decimals, 2)
        amount = least_change(raw, kind, decimals, edge, ok, step(shown))
        return self._amount(cond, kind, amount, shown)

    def _amount(self, cond: Condition, kind: str, amount: Decimal, shown: int) -> Needed:
        name = cond.subject
        spec = self.kpi.input(name) if name else None
        number = fmt(amount, shown)
        if spec is None or name is None:
            verb = "เพิ่มขึ้น" if kind == "increase" else "ลดลง"
            return Needed("reach", f"ต้องให้ “{cond.text}” ({verb}อีก {number})", name, amount)
        unit = spec.unit or ""
        unit_text = "จุดร้อยละ" if unit == "ร้อยละ" else unit
        change = "เพิ่มอีก" if kind == "increase" else "ลดลงอีก"
        if spec.verb:
            head = f"{spec.verb}{change}"
        else:
            head = f"{spec.name} {change}"
        tail = "ในเดือนนี้" if spec.per == "เดือน" else ""
        text = f"{head} {number} {unit_text}".rstrip() + tail
        return Needed(kind, text, name, amount, unit_text or None)

    # -- levels -----------------------------------------------------------------------------
    def level_values(self, level: int) -> dict[str, Any]:
        table = self.kpi.targets
        if table is None or self.unit is None:
            return self.values
        value = target_value(table, self.unit, level)
        return {**self.values, "target": value} if value is not None else self.values

    def branch(self, level: Level, values: Mapping[str, Any]) -> tuple[Branch | None, Needed | None]:
        for b in level.branches:
            if b.case is not None:
                if self.case == b.case:
                    return b, None
                continue
            if b.if_ is None:
                return b, None
            try:
                assert b.if_.left is not None
                if b.if_.kind == "compare" and compare(b.if_.left.evaluate(values), b.if_.op or "=",
                                                       b.if_.right.evaluate(values)):  # type: ignore[union-attr]
                    return b, None
                if b.if_.kind == "range":
                    v = b.if_.left.evaluate(values)
                    if b.if_.low.evaluate(values) <= v <= b.if_.high.evaluate(values):  # type: ignore[union-attr]
                        return b, None
            except Missing as exc:
                return None, Needed("unit", f"ต้องระบุข้อมูลหน่วยงาน “{exc.name}” เพื่อเลือกเกณฑ์", exc.name)
        if any(b.case is not None for b in level.branches):
            choices = ", ".join(f"{b.case}" for b in level.branches if b.case)
            return None, Needed("unit", f"ต้องเลือกกรณีของหน่วยงาน ({choices})", "case")
        return None, Needed("unit", "ไม่มีเกณฑ์ที่ตรงกับหน่วยงานนี้", None)

    def score_level(self, level: Level) -> tuple[LevelResult, list[Needed]]:
        values = self.level_values(level.level)
        result = LevelResult(level.level, level.text, False, level.blank)
        needed: list[Needed] = []
        if level.blank:
            return result, needed
        conds = list(level.conditions)
        step_ids = list(level.steps)
        if level.branches:
            chosen, why = self.branch(level, values)
            if chosen is None:
                assert why is not None
                result.checks.append(Check("(เลือกเกณฑ์ตามหน่วยงาน)", None))
                return result, [why]
            conds += list(chosen.all)
            step_ids += list(chosen.steps)
        for cond in conds:
            check, need = self.check(cond, values, self.decimals_for(cond))
            result.checks.append(check)
            if need:
                needed.append(need)
        done, missing, step_needs = self.steps_status(step_ids)
        result.steps_done, result.steps_missing = done, missing
        needed.extend(step_needs)
        result.met = bool(conds or step_ids) and all(c.met for c in result.checks) and not missing
        return result, needed

    def steps_status(self, step_ids: list[str]) -> tuple[list[str], list[str], list[Needed]]:
        done, missing, needs = [], [], []
        for sid in step_ids:
            spec: Step = self.step_defs[sid]
            when = self.steps.get(sid)
            on_time = when is not None and (
                spec.due is None or when is True or (isinstance(when, date) and when <= spec.due))
            if on_time:
                done.append(sid)
                continue
            missing.append(sid)
            due = f" (ภายใน {format_be(spec.due)})" if spec.due else ""
            needs.append(Needed("step", f"ยังขาด: {spec.th}{due}", sid))
        return done, missing, needs


def least_change(raw: Decimal, kind: str, decimals: int, edge: Decimal, ok: Callable[[Decimal], bool],
                 unit: Decimal) -> Decimal:
    """The smallest positive multiple of `unit` that, added to ("increase") or taken from ("decrease")
    the unrounded value `raw`, makes ok(round_half_up(value, decimals)) hold.

    `edge` is the rounded value to reach: a value from edge - half a step rounds up to it, one below
    edge + half a step rounds down to it. The estimate is then settled by `ok` itself, so the amount
    is exactly enough (one `unit` less fails) even for a threshold written finer than the rounding.
    """
    half = step(decimals) / 2

    def meets(amount: Decimal) -> bool:
        return ok(round_half_up(raw + amount if kind == "increase" else raw - amount, decimals))

    if kind == "increase":
        amount = ceil_to(edge - half - raw, unit)
    else:
        amount = floor_to(raw - edge - half, unit) + unit
    amount = max(amount, unit)
    for _ in range(8):
        if meets(amount):
            break
        amount += unit
    for _ in range(8):
        if amount <= unit or not meets(amount - unit):
            break
        amount -= unit
    return amount


def _two_stage(scorer: _Scorer, rubric: Rubric) -> tuple[dict[str, Decimal | None], list[Needed]]:
    parts: dict[str, Decimal | None] = {}
    needed: list[Needed] = []
    for part in rubric.parts:
        parts[part.id] = None
        for band in part.bands:
            check, need = scorer.check(band.when, scorer.values, scorer.decimals_for(band.when))
            if check.met is None:
                if need:
                    needed.append(need)
                break
            if check.met:
                parts[part.id] = band.score
                break
    scores = [s for s in parts.values() if s is not None]
    if len(scores) == len(parts) and scores:
        total = sum(scores, Decimal(0))
        scorer.values["score"] = total if rubric.combine == "sum" else total / len(scores)
    return parts, needed


def evaluate(
    kpi: Kpi,
    inputs: Mapping[str, Any] | None = None,
    *,
    unit: str | None = None,
    unit_attributes: Mapping[str, Any] | None = None,
    case: str | None = None,
    aim: int | None = None,
) -> Evaluation:
    """Score one KPI for one unit. Pure and deterministic; raises EvaluationError on bad inputs.

    `needed` lists what the next level needs; with `aim` (a level above the one reached, "ระดับ 5
    ต้องทำอะไร"), what that level needs instead. `next_level` is the next level either way.
    """
    if unit is not None and not kpi.applies(unit):
        where = ", ".join(kpi.applies_to) if kpi.applies_to else "หน่วยงานอื่น"
        raise EvaluationError(f"ตัวชี้วัด {kpi.number or kpi.id} ใช้เฉพาะ {where} ไม่ใช้กับ {unit}",
                              f"KPI {kpi.id} does not apply to {unit}", "not_applicable")
    raw = dict(inputs or {})
    values, steps = _normalise_inputs(kpi, raw)
    case = case or values.pop("case", None)
    if case is not None and kpi.cases and case not in {c.id for c in kpi.cases}:
        choices = ", ".join(f"{c.id} ({c.th})" for c in kpi.cases)
        raise EvaluationError(f"ไม่มีกรณี “{case}” (มี: {choices})", f"unknown case {case!r}", "unknown_case")
    context: dict[str, Any] = {**{k: v for k, v in (unit_attributes or {}).items()}, **kpi.constants, **values}
    for name, formula in kpi.derive.items():
        if name in values:
            continue  # reported directly
        try:
            context[name] = formula.evaluate(context)
        except Missing:
            continue
        except RubricError as exc:
            raise EvaluationError(exc.th, exc.en, "bad_value") from None
    scorer = _Scorer(kpi, context, steps, unit, case)
    rubric = kpi.rubric

    if rubric.reviewer:
        return _reviewer(kpi, values, scorer)

    if kpi.targets is not None and unit is None and _uses(rubric, "target"):
        raise EvaluationError(
            f"ตัวชี้วัด {kpi.number or kpi.id} มีค่าเป้าหมายรายหน่วยงาน โปรดระบุหน่วยงาน",
            f"KPI {kpi.id} has per-unit targets: give the unit", "unit_required")
    if kpi.targets is not None and unit is not None and _uses(rubric, "target") and not has_row(kpi.targets, unit):
        raise EvaluationError(f"ไม่มีค่าเป้าหมายของ {unit} ในตาราง", f"no target row for {unit}", "unit_unknown")

    parts: dict[str, Decimal | None] = {}
    part_needs: list[Needed] = []
    if rubric.parts:
        parts, part_needs = _two_stage(scorer, rubric)

    results: list[LevelResult] = []
    needs: dict[int, list[Needed]] = {}
    for lv in sorted(rubric.levels, key=lambda x: x.level):
        result, need = scorer.score_level(lv)
        results.append(result)
        needs[lv.level] = need

    reached = 0
    by_level = {r.level: r for r in results}
    for r in results:
        if r.met and _prerequisites_ok(rubric, by_level, r.level):
            reached = max(reached, r.level)

    next_level = _next_level(kpi, results, needs, reached)
    target = next_level
    if aim is not None and aim > reached and aim in needs and not by_level[aim].blank:
        target = aim
    needed: list[Needed] = []
    if target is not None:
        needed = list(part_needs) + [n for n in needs[target] if not _dup(n, part_needs)]
        if rubric.cumulative:
            for r in results:
                if r.level < target and not r.blank and r.steps_missing:
                    for sid in r.steps_missing:
                        text = scorer.steps_status([sid])[2][0]
                        if all(n.input != sid for n in needed):
                            needed.append(text)
    shown = {k: v for k, v in context.items() if k in {i.id for i in kpi.inputs} or k in kpi.derive or k == "score"}
    if steps:
        shown["steps"] = sorted(steps)
    return Evaluation(kpi.id, kpi.name, reached, next_level, needed, results, shown, scorer.decimals, parts)


def primary_input(kpi: Kpi) -> str | None:
    """The input a bare value reports: the one the levels compare most often ("รายงาน ตชว.1 ๙๒.๕%")."""
    if kpi.rubric.reviewer:
        return "level"
    counts: dict[str, int] = {}
    for lv in kpi.rubric.levels:
        for c in all_conditions(lv):
            if c.subject and (kpi.input(c.subject) is not None):
                counts[c.subject] = counts.get(c.subject, 0) + 1
    for part in kpi.rubric.parts:
        for band in part.bands:
            if band.when.subject and kpi.input(band.when.subject) is not None:
                counts[band.when.subject] = counts.get(band.when.subject, 0) + 1
    if counts:
        return max(counts, key=lambda name: (counts[name], -[i.id for i in kpi.inputs].index(name)))
    return kpi.inputs[0].id if kpi.inputs else None


def better_direction(kpi: Kpi) -> dict[str, str]:
    """Per input, "higher" or "lower" is better, read off the top level that compares it."""
    direction: dict[str, str] = {}
    for lv in sorted(kpi.rubric.levels, key=lambda x: -x.level):
        for c in all_conditions(lv):
            name = c.subject
            if name and name not in direction and c.kind == "compare" and c.op != "=":
                direction[name] = "lower" if c.op in ("<", "<=") else "higher"
    return direction


def _next_level(kpi: Kpi, results: list[LevelResult], needs: dict[int, list[Needed]], reached: int) -> int | None:
    """The next level to aim for: the lowest higher level reachable by improving, not by getting worse.

    (At exactly 20 % overdue debt, level 1 "more than 20 %" is above 0 but the way up is level 2.)
    """
    candidates = [r.level for r in results if r.level > reached and not r.blank]
    if not candidates:
        return None
    better = better_direction(kpi)

    def worse(n: Needed) -> bool:
        return n.input is not None and (
            (n.kind == "increase" and better.get(n.input) == "lower")
            or (n.kind == "decrease" and better.get(n.input) == "higher"))

    for level in candidates:
        if not any(worse(n) for n in needs[level]):
            return level
    return candidates[0]


def _dup(n: Needed, others: list[Needed]) -> bool:
    return any(o.text == n.text for o in others)


def _uses(rubric: Rubric, name: str) -> bool:
    for lv in rubric.levels:
        for c in all_conditions(lv):
            if name in c.names:
                return True
    return False


def _prerequisites_ok(rubric: Rubric, by_level: dict[int, LevelResult], level: int) -> bool:
    """Cumulative ladders: every lower level's milestones must be done too (numbers are not inherited)."""
    if not rubric.cumulative:
        return True
    for lower in range(1, level):
        r = by_level.get(lower)
        if r is None:
            continue
        if r.blank:
            if rubric.blank == "block":
                return False
            continue
        if r.steps_missing:
            return False
    return True


def _reviewer(kpi: Kpi, values: dict[str, Any], scorer: _Scorer) -> Evaluation:
    level_value = values.get("level")
    results = [LevelResult(lv.level, lv.text, False, lv.blank) for lv in kpi.rubric.levels]
    if level_value is None:
        needed = [Needed("reviewer", "ระดับคะแนนของตัวชี้วัดนี้กำหนดโดยผู้ประเมิน ยังไม่ได้กำหนด")]
        return Evaluation(kpi.id, kpi.name, 0, 1, needed, results, {}, 0, reviewer=True)
    try:
        level = int(parse_decimal(level_value))
    except ValueError:
        level = -1
    if not 0 <= level <= 5:
        raise EvaluationError("ระดับคะแนนต้องเป็น 0 ถึง 5", "a reviewer's level must be 0-5", "out_of_range")
    for r in results:
        r.met = r.level <= level
    next_level = level + 1 if level < 5 else None
    needed = [Needed("reviewer", f"ระดับ {next_level} ตามเกณฑ์ที่ผู้ประเมินกำหนดในโครงการ")] if next_level else []
    return Evaluation(kpi.id, kpi.name, level, next_level, needed, results, {"level": level}, 0, reviewer=True)
