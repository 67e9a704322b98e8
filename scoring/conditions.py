"""The small condition language of rubric levels.

A condition is one line of text in a catalog:

    percent >= 80                 compare (>=, >, <=, <, =)
    overdue * 100 / total < 20    either side may be an arithmetic expression
    percent in 93.50..95.49       closed range, both ends included
    registered by 2024-07-31      a date input no later than a day

Names refer to inputs, derived inputs, unit attributes, KPI constants, `target`
(the per-unit table value for the level being checked) and `score` (two-stage).

Comparisons read as the documents print them: "ไม่น้อยกว่า 80" is >= 80.00, "มากกว่า 75" is
> 75.00 (the engine rounds a result half-up to two decimals first, evaluate.py). The one place
a result is rounded to a threshold's own decimals is a ladder of closed ranges with one-step
gaps between them ("๖๐ – ๖๙" then "๗๐ – ๗๙", 002:L371-372): `gapped_ranges` finds those from
the rubric's structure, so that 69.5 counts as 70 and 69.4 as 69 and every value falls in a range.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, DivisionByZero, InvalidOperation

from .errors import RubricError
from .numbers import decimals_of, step, to_arabic_digits

OPS = (">=", "<=", ">", "<", "=")
_OP_TH = {">=": "ไม่น้อยกว่า", ">": "มากกว่า", "<=": "ไม่เกิน", "<": "ต่ำกว่า", "=": "เท่ากับ"}
_COMPARE = re.compile(r"^(?P<left>.+?)\s*(?P<op>>=|<=|>|<|=)\s*(?P<right>.+)$")
_RANGE = re.compile(r"^(?P<left>.+?)\s+in\s+(?P<low>[^.]+(?:\.\d+)?)\s*\.\.\s*(?P<high>.+)$")
_BY = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s+by\s+(?P<day>\d{4}-\d{2}-\d{2})$")


class Missing(Exception):
    """A name the context does not have (an input not reported yet)."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(name)


@dataclass(frozen=True)
class Expr:
    """An arithmetic expression over Decimal values, parsed once with `ast`."""

    text: str
    tree: ast.expr
    names: frozenset[str]
    literals: tuple[Decimal, ...]

    @classmethod
    def parse(cls, text: str) -> Expr:
        source = to_arabic_digits(text).strip().replace(",", "")
        try:
            tree = ast.parse(source, mode="eval").body
        except SyntaxError as exc:
            raise RubricError(f"อ่านสูตร “{text}” ไม่ได้", f"cannot read expression {text!r}") from exc
        names: set[str] = set()
        literals: list[Decimal] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Constant):
                if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                    raise RubricError(f"ค่าในสูตร “{text}” ต้องเป็นตัวเลข", f"only numbers allowed in {text!r}")
                literals.append(Decimal(ast.get_source_segment(source, node) or str(node.value)))
            elif not isinstance(
                node, ast.BinOp | ast.UnaryOp | ast.Add | ast.Sub | ast.Mult | ast.Div | ast.USub | ast.UAdd
                | ast.Load
            ):
                raise RubricError(
                    f"สูตร “{text}” ใช้ได้เฉพาะ + - * / วงเล็บ ตัวเลข และชื่อข้อมูล",
                    f"expression {text!r} may only use + - * / ( ), numbers and names",
                )
        return cls(text.strip(), tree, frozenset(names), tuple(literals))

    @property
    def name(self) -> str | None:
        """The input name when the expression is just one name."""
        return self.tree.id if isinstance(self.tree, ast.Name) else None

    def evaluate(self, values: Mapping[str, object]) -> Decimal:
        return _eval(self.tree, values, self.text)


def _eval(node: ast.expr, values: Mapping[str, object], text: str) -> Decimal:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        if node.id not in values or values[node.id] is None:
            raise Missing(node.id)
        value = values[node.id]
        if isinstance(value, Decimal):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        raise RubricError(f"“{node.id}” ไม่ใช่ตัวเลข", f"{node.id!r} is not a number in {text!r}")
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _eval(node.left, values, text)
        right = _eval(node.right, values, text)
        try:
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            return left / right
        except (DivisionByZero, InvalidOperation) as exc:
            raise RubricError(f"หารด้วยศูนย์ใน “{text}”", f"division by zero in {text!r}") from exc
    raise RubricError(f"อ่านสูตร “{text}” ไม่ได้", f"cannot read expression {text!r}")  # pragma: no cover


@dataclass(frozen=True)
class Condition:
    """One parsed condition. kind is "compare", "range" or "by"."""

    text: str
    kind: str
    left: Expr | None = None
    op: str | None = None
    right: Expr | None = None
    low: Expr | None = None
    high: Expr | None = None
    name: str | None = None
    day: date | None = None

    @classmethod
    def parse(cls, text: str) -> Condition:
        source = to_arabic_digits(str(text)).strip()
        if m := _BY.match(source):
            try:
                day = date.fromisoformat(m["day"])
            except ValueError as exc:
                raise RubricError(f"วันที่ “{m['day']}” ไม่ถูกต้อง", f"bad date {m['day']!r}") from exc
            return cls(source, "by", name=m["name"], day=day)
        if m := _RANGE.match(source):
            return cls(source, "range", left=Expr.parse(m["left"]), low=Expr.parse(m["low"]),
                       high=Expr.parse(m["high"]))
        if m := _COMPARE.match(source):
            return cls(source, "compare", left=Expr.parse(m["left"]), op=m["op"], right=Expr.parse(m["right"]))
        raise RubricError(
            f"อ่านเงื่อนไข “{text}” ไม่ได้ (ตัวอย่าง: “percent >= 80”, “percent in 60..69”, “registered by 2024-07-31”)",
            f"cannot read condition {text!r} (e.g. 'percent >= 80', 'percent in 60..69', 'registered by 2024-07-31')",
        )

    @property
    def names(self) -> frozenset[str]:
        if self.kind == "by":
            return frozenset({self.name or ""})
        parts = [e for e in (self.left, self.right, self.low, self.high) if e is not None]
        return frozenset().union(*(e.names for e in parts))

    @property
    def subject(self) -> str | None:
        """The input the condition is about (left side when it is a plain name)."""
        if self.kind == "by":
            return self.name
        return self.left.name if self.left else None

    @property
    def literals(self) -> tuple[Decimal, ...]:
        parts = [e for e in (self.left, self.right, self.low, self.high) if e is not None]
        return tuple(lit for e in parts for lit in e.literals)

    @property
    def decimals(self) -> int:
        return max((decimals_of(v) for v in self.literals), default=0)

    @property
    def key(self) -> str | None:
        """What is compared, spaces removed: "percent", "overdue*100/total" (None for a date condition)."""
        return "".join(self.left.text.split()) if self.left is not None else None

    def op_th(self) -> str:
        return _OP_TH.get(self.op or "", self.op or "")


def compare(actual: Decimal, op: str, threshold: Decimal) -> bool:
    """The printed comparison, literally: ">" 75 is not met by 75.00 and is met by 75.01."""
    return {
        ">=": actual >= threshold,
        ">": actual > threshold,
        "<=": actual <= threshold,
        "<": actual < threshold,
        "=": actual == threshold,
    }[op]


def _end_decimals(expr: Expr, value: Decimal) -> int:
    """Decimals a range end is written with: its literals ("93.50" -> 2), or a named constant's value."""
    if expr.literals:
        return max(decimals_of(v) for v in expr.literals)
    return decimals_of(value)


def gapped_ranges(conditions: Iterable[Condition], constants: Mapping[str, object]) -> dict[str, int]:
    """Compared quantities (`Condition.key`) whose closed ranges leave a one-step gap between two of
    them, mapped to the decimals the ranges are written in.

    "percent in 60..69" and "percent in 70..79" -> {"percent": 0} (69 + 1 = 70: 69.5 falls between);
    "percent in 93.50..95.49" and "percent in 95.50..97.49" -> {"percent": 2}. Ranges that touch or
    overlap, or leave a wider gap (a real hole in the document's ladder, kept), are not gapped ranges.
    Ends that need a name the constants do not give (a per-unit `target`) are skipped.
    """
    ranges: dict[str, list[tuple[Decimal, Decimal, int]]] = {}
    for cond in conditions:
        if cond.kind != "range" or cond.key is None or cond.low is None or cond.high is None:
            continue
        try:
            low, high = cond.low.evaluate(constants), cond.high.evaluate(constants)
        except (Missing, RubricError):
            continue
        places = max(_end_decimals(cond.low, low), _end_decimals(cond.high, high))
        ranges.setdefault(cond.key, []).append((low, high, places))
    out: dict[str, int] = {}
    for key, found in ranges.items():
        places = max(p for _, _, p in found)
        found.sort()
        if any(nxt[0] - cur[1] == step(places) for cur, nxt in zip(found, found[1:], strict=False)):
            out[key] = places
    return out
