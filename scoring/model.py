"""The catalog model: what a KPI catalog file holds, validated on load.

The YAML format is described for authors in docs/catalog-format.md; every key
there is a field here. Models are immutable after loading.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .conditions import Condition, Expr
from .errors import RubricError
from .numbers import parse_decimal


def _rubric_error(exc: RubricError) -> PydanticCustomError:
    return PydanticCustomError("kpibot", "{en}", {"th": exc.th, "en": exc.en})


def _condition(value: Any) -> Condition:
    if isinstance(value, Condition):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "kpibot", "{en}", {"th": "เงื่อนไขต้องเป็นข้อความ", "en": "a condition must be text"}
        )
    try:
        return Condition.parse(value)
    except RubricError as exc:
        raise _rubric_error(exc) from exc


def _expr(value: Any) -> Expr:
    if isinstance(value, Expr):
        return value
    try:
        return Expr.parse(str(value))
    except RubricError as exc:
        raise _rubric_error(exc) from exc


def _decimal(value: Any) -> Decimal:
    try:
        return parse_decimal(value)
    except ValueError as exc:
        raise PydanticCustomError(
            "kpibot", "{en}", {"th": f"“{value}” ไม่ใช่ตัวเลข", "en": f"{value!r} is not a number"}
        ) from exc


Cond = Annotated[Condition, BeforeValidator(_condition)]
Formula = Annotated[Expr, BeforeValidator(_expr)]
Num = Annotated[Decimal, BeforeValidator(_decimal)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Contact(Strict):
    name: str | None = None
    position: str | None = None
    group: str | None = None
    phone: str | None = None


class Note(Strict):
    """A place where the document is damaged or inconsistent, recorded instead of invented."""

    line: int | None = None
    th: str
    en: str


class Deadline(Strict):
    date: date
    th: str
    kind: Literal["round", "monthly", "criterion", "snapshot"] = "round"
    line: int | None = None


class Measure(Strict):
    """How often figures are measured: monthly on a day ("ทุกวันที่ ๒๐")."""

    every: Literal["month", "quarter", "round", "year"] = "round"
    day: int | None = Field(default=None, ge=1, le=31)
    text: str | None = None


class Input(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    unit: str | None = None  # Thai unit noun: ร้อยละ, ครัวเรือน, ครั้ง, ช่องทาง, บาท
    per: str | None = None  # "เดือน" for figures counted per month
    kind: Literal["number", "date"] = "number"
    integer: bool = False  # counts: needed amounts round up to whole units
    verb: str | None = None  # "เผยแพร่" -> "เผยแพร่เพิ่มอีก 1 ครั้งในเดือนนี้"
    aliases: tuple[str, ...] = ()  # words staff use for this figure in chat ("ยอดขาย", "ค่าขั้นต่ำ")
    cumulative: bool = False  # only grows over the round (money spent so far): a drop is flagged in chat
    min: Num | None = None
    max: Num | None = None


class Step(Strict):
    """A milestone: one item of a level's checklist."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    th: str
    due: date | None = None
    aliases: tuple[str, ...] = ()  # everyday words staff use for this step ("ทำทะเบียนครบ"), for chat


class Branch(Strict):
    """One arm of a level: used when its `if` holds for the unit or its `case` was chosen."""

    if_: Cond | None = Field(default=None, alias="if")
    case: str | None = None
    th: str | None = None
    all: tuple[Cond, ...] = ()
    steps: tuple[str, ...] = ()


class Level(Strict):
    level: int = Field(ge=1, le=5)
    text: str = ""
    when: Cond | None = None
    all: tuple[Cond, ...] = ()
    steps: tuple[str, ...] = ()
    branches: tuple[Branch, ...] = ()
    evidence: tuple[str, ...] = ()
    blank: bool = False
    line: int | None = None

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return ((self.when,) if self.when else ()) + self.all


class Band(Strict):
    when: Cond
    score: Num
    text: str | None = None


class Part(Strict):
    """A sub-score of a two-stage KPI: the first band whose condition holds gives the score."""

    id: str
    name: str | None = None
    bands: tuple[Band, ...]


class Rubric(Strict):
    cumulative: bool = True
    blank: Literal["skip", "block"] = "skip"
    reviewer: bool = False
    steps: tuple[Step, ...] = ()
    parts: tuple[Part, ...] = ()
    combine: Literal["sum", "average"] | None = None
    levels: tuple[Level, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Rubric:
        numbers = [lv.level for lv in self.levels]
        if len(set(numbers)) != len(numbers):
            raise PydanticCustomError(
                "kpibot", "{en}", {"th": "ระดับซ้ำกัน", "en": f"levels repeat: {numbers}"}
            )
        if self.parts and self.combine is None:
            raise PydanticCustomError(
                "kpibot", "{en}",
                {"th": "เกณฑ์สองขั้นต้องระบุ combine: sum หรือ average",
                 "en": "a two-stage rubric needs combine: sum or average"},
            )
        known = {s.id for s in self.steps}
        for lv in self.levels:
            for sid in lv.steps + tuple(s for b in lv.branches for s in b.steps):
                if sid not in known:
                    raise PydanticCustomError(
                        "kpibot", "{en}",
                        {"th": f"ระดับ {lv.level} อ้างถึงขั้นตอน “{sid}” ที่ไม่ได้ประกาศใน steps",
                         "en": f"level {lv.level} names step {sid!r} not declared in steps"},
                    )
        return self

    def level(self, number: int) -> Level | None:
        return next((lv for lv in self.levels if lv.level == number), None)


class TargetTable(Strict):
    """Per-unit targets: published cells (authoritative) and/or a rule from a base.

    level value = ROUND_HALF_UP(base x factor x percent[level] / 100), from the unrounded product.
    """

    name: str | None = None
    base_name: str | None = None
    factor: Num = Decimal(1)
    percent: dict[int, Num] = Field(default_factory=dict)
    decimals: int = 0
    total_rule: Literal["base", "sum"] = "base"
    line: int | None = None
    units: dict[str, TargetRow] = Field(default_factory=dict)
    total: TargetRow | None = None


class TargetRow(Strict):
    base: Num | None = None
    levels: dict[int, Num] = Field(default_factory=dict)
    cells: dict[str, Num] = Field(default_factory=dict)
    line: int | None = None


class Case(Strict):
    id: str
    th: str


class Kpi(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    number: int | str | None = None
    name: str
    aliases: tuple[str, ...] = ()
    weight: Num | None = None
    weights: dict[str, Num] = Field(default_factory=dict)  # per named variant, e.g. division tables
    group: str | None = None
    variant_groups: dict[str, str] = Field(default_factory=dict)  # group per variant where it differs
    optional_group: str | None = None
    applies_to: tuple[str, ...] = ()
    except_: tuple[str, ...] = Field(default=(), alias="except")
    source_group: str | None = None
    unit_of_measure: str | None = None
    definition: str | None = None
    formula_text: str | None = None
    owner: tuple[Contact, ...] = ()
    coordinator: tuple[Contact, ...] = ()
    measure: Measure | None = None
    line: int | None = None
    inputs: tuple[Input, ...] = ()
    derive: dict[str, Formula] = Field(default_factory=dict)
    constants: dict[str, Num] = Field(default_factory=dict)
    cases: tuple[Case, ...] = ()
    decimals: int | None = Field(default=None, ge=0, le=6)
    targets: TargetTable | None = None
    rubric: Rubric
    evidence: tuple[str, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    notes: tuple[Note, ...] = ()

    @field_validator("owner", "coordinator", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    def input(self, input_id: str) -> Input | None:
        return next((i for i in self.inputs if i.id == input_id), None)

    def applies(self, unit: str | None) -> bool:
        if unit is None:
            return True
        if self.applies_to and unit not in self.applies_to:
            return False
        return unit not in self.except_


class Group(Strict):
    id: str
    name: str
    weight: Num | None = None


class OptionalGroup(Strict):
    id: str
    name: str
    choose: int = 1
    instead_of: tuple[str, ...] = ()  # KPI ids the choice replaces where they do not apply


class TargetTier(Strict):
    """One target tier of the OPDC (ก.พ.ร.) model: reaching it earns `credit` percent of a KPI's weight."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    th: str
    credit: Num


class TargetTiers(Strict):
    """An alternative scoring model a catalog offers beside its own (004 L137-142).

    A KPI is scored by the tier its result reaches, not by a level 1-5: it earns that tier's credit
    (percent of its weight); a result below the lowest tier earns `below`. Σ earned is the 0-100 score.
    Tiers are listed lowest first, with rising credit.
    """

    tiers: tuple[TargetTier, ...] = Field(min_length=1)
    below: Num = Decimal(0)
    line: int | None = None

    @model_validator(mode="after")
    def _check(self) -> TargetTiers:
        ids = [t.id for t in self.tiers]
        credits = [self.below, *(t.credit for t in self.tiers)]
        if len(set(ids)) != len(ids) or "below" in ids:
            raise PydanticCustomError(
                "kpibot", "{en}", {"th": f"รหัสขั้นเป้าหมายซ้ำหรือใช้คำสงวน below: {ids}",
                                   "en": f"tier ids repeat or use the reserved 'below': {ids}"})
        if any(not 0 <= c <= 100 for c in credits) or any(credits[i] >= credits[i + 1] for i in range(len(credits) - 1)):
            raise PydanticCustomError(
                "kpibot", "{en}", {"th": "ค่าคะแนนของขั้นเป้าหมายต้องอยู่ระหว่าง 0-100 และเพิ่มขึ้นจากขั้นต่ำไปขั้นสูง",
                                   "en": f"tier credits must be 0-100 and rise from the lowest tier: {credits}"})
        return self

    def tier(self, ref: str) -> TargetTier | None:
        """A tier by id or by its Thai name as the catalog prints it."""
        ref = ref.strip()
        return next((t for t in self.tiers if ref in (t.id, t.th)), None)


class Period(Strict):
    start: date
    end: date


class Catalog(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    document: str
    source: str
    title: str
    organisation: str | None = None
    fiscal_year: int
    round: int | None = None
    period: Period | None = None
    between: tuple[str, ...] = ()
    set: Literal["team", "individual", "department", "division", "unit"]
    stated_total: Num | None = None
    scoring: Literal["levels", "tiers"] = "levels"
    tier_credit: dict[int, Num] = Field(default_factory=dict)
    target_tiers: TargetTiers | None = None  # alternative model: OPDC target tiers (scoring/tiers.py)
    groups: tuple[Group, ...] = ()
    optional_groups: tuple[OptionalGroup, ...] = ()
    variants: dict[str, str] = Field(default_factory=dict)  # weight-table names -> Thai names
    units: tuple[str, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    notes: tuple[Note, ...] = ()
    kpis: tuple[Kpi, ...]
    reminders: dict[str, Any] | None = None  # reminder ladder overrides (handlers/reminders/config.py)

    @model_validator(mode="after")
    def _check(self) -> Catalog:
        ids = [k.id for k in self.kpis]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise PydanticCustomError(
                "kpibot", "{en}", {"th": f"รหัสตัวชี้วัดซ้ำ: {dupes}", "en": f"duplicate KPI ids: {dupes}"}
            )
        return self

    def kpi(self, ref: str) -> Kpi | None:
        """Find a KPI by id or by its printed number ("3", "๓"); a shared number gives its first row."""
        return self.kpi_for(ref)

    def kpi_rows(self, ref: str, unit: str | None = None) -> tuple[Kpi, ...]:
        """The rows a reference may mean: the KPI with that id, else every row printed with that number
        ("1", "๑", "ตัวชี้วัดที่ 1" stripped to "1"). With a unit, only the rows that apply to it, if any do.

        Two rows share a number where a document prints a variant for named units: 001 individual
        KPI 1 is i1 for every district except เกาะสีชัง and i1k for เกาะสีชัง only (001 seed, KPI 1).
        """
        from .numbers import to_arabic_digits

        ref = to_arabic_digits(str(ref)).strip()
        by_id = tuple(k for k in self.kpis if k.id == ref)
        if by_id:
            return by_id
        rows = tuple(k for k in self.kpis if k.number is not None and to_arabic_digits(str(k.number)) == ref)
        if unit is None:
            return rows
        return tuple(k for k in rows if k.applies(unit)) or rows

    def kpi_for(self, ref: str, unit: str | None = None) -> Kpi | None:
        """The one KPI a reference means at a unit: the rule the CLI (`--unit`) and chat share.

        By id, else by printed number; where rows share a number, the row that applies to the unit
        (Kpi.applies: `applies_to` / `except`). Without a unit, or when no row applies, the first row
        as printed (evaluating it then says where it applies). None when nothing has that id or number.
        """
        rows = self.kpi_rows(ref, unit)
        return rows[0] if rows else None


TargetTable.model_rebuild()
