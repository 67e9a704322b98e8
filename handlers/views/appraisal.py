"""What a chief looks at, as plain data: a unit's appraisal sheet, a province's ranking, missing items,
a monthly trend. Built here from the store and the catalogs (pure over the Store port); drawn elsewhere:
charts, the official Excel form and the PDF to sign are renderers in `bot/exports/` that take only
these dataclasses, and the chat views turn them into text. One model, so the card, the chart, the
workbook and the PDF can never disagree on a figure.

Figures are Decimal as the scoring engine computes them (scoring/totals.py): ค = ก × ข, Σค, the 0-100
score (Σค / 5, half-up to 2 places) and its band come from `scoring.totals.total`, never recomputed.
Dates are `datetime.date` (renderers print them in BE).

The builders (below the dataclasses) guarantee, tests/handlers/test_appraisal.py checks each:
- ``sheets``: one Sheet per agreement in force, team first; each KpiLine's ก, ข, ค and the Sheet's Σข, Σค,
  score100, band and missing are the score card's own (agreements.unit_score -> scoring.totals.total);
  criteria 1-5 are the rubric's level texts (views.criteria.level_text; "" for a level the document
  leaves blank or lacks); the result is the figure that counts, as read (a derived percent as derived,
  2 decimals); evidence counts the files stored for the KPI with periods inside the round.
- ``ranking``: the direct children of a unit only, never the unit itself; team and individual with their
  own bands, never averaged together; a child that has units under it (a province under a department) is
  ranked on them, never on its own agreements: the mean of its children's team scores, and apart the mean
  of their individual scores (half-up to 2 places, each with its band), the KPIs they all still owe, the
  mean of their changes (``averaged`` says over how many); ``change`` is the team score now minus the team score on the figures sent
  before the 1st of this month (corrections and retractions replayed by version), None when there was
  none. Cost: one history read per KPI whose current figure was sent this month; the rest is reused.
- ``missing_items``: every figure owed in the round so far plus the next one of each monthly KPI, with the
  cutoff (the catalog's measuring day, else the month's end; round KPIs the earliest round deadline, else
  the round's end), status overdue / soon (<= 7 days) / later, and the unit's reporters (else its chief)
  by name and phone.
- All of them only read the Store port (no SQL, nothing from bot/); on the demo database a province book
  (8 districts, 18 sheets, about 60 missing items) builds in about 0.08 s.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from scoring.bands import BANDS, WEIGHTS_PRESENT_TH, band_of
from scoring.evaluate import Evaluation, primary_input
from scoring.model import Catalog, Kpi
from scoring.numbers import round_half_up
from scoring.rounds import round_of
from scoring.thaidate import BANGKOK
from scoring.totals import Total, applicable_kpis, total

from .. import texts
from ..agreements import Slot, by_kpi, evaluate_submission, latest, monthly, slots, unit_score
from ..calendar import Cutoff, cutoffs
from ..ports import Agreement, Store, Submission, Unit
from .criteria import level_text


@dataclass(frozen=True)
class KpiLine:
    """One KPI of an agreement, one row of the official form (004 annex 2)."""

    number: str  # "1", "2.1" as the document numbers it
    name: str  # the KPI's name in the document's words
    criteria: tuple[str, ...]  # level 1..5, the document's words (empty strings where it has none)
    result: str  # the figure as read, Thai ("ร้อยละ 86.40", "24 จาก 30 ครัวเรือน"); "" when not reported
    level: int | None  # ก (None: not reported yet)
    weight: Decimal  # ข
    weighted: Decimal | None  # ค = ก × ข (None when not reported)
    evidence: int = 0  # evidence files stored for this KPI in the round
    monthly: bool = False  # reported month by month (a trend exists)
    kpi_id: str = ""  # catalog KPI id, for links back (trend, evidence)
    group: str = ""  # the catalog group's Thai name (004: "การประเมินประสิทธิผลการดำเนินงาน ..."), "" if none


@dataclass(frozen=True)
class Sheet:
    """One agreement of one unit for the round: the form's table, total and band."""

    unit: str  # unit name ("เมืองยะลา")
    unit_kind: str  # "province" | "district" | ...
    catalog_id: str
    set_name: str  # "รายทีม" | "รายบุคคล" | the catalog's own set word
    title: str  # the document's title of the agreement
    round_label: str  # "รอบที่ 2 ปีงบประมาณ 2568"
    round_start: date | None
    round_end: date | None
    parties: tuple[str, str]  # (the one appraised, the appraiser), e.g. ("พัฒนาการอำเภอเมืองยะลา", "พัฒนาการจังหวัดยะลา")
    lines: tuple[KpiLine, ...]
    weights_total: Decimal  # Σข
    weighted_sum: Decimal  # Σค (missing KPIs count 0)
    score100: Decimal  # the form's 0-100 figure
    band: str  # Thai band name ("ดีเด่น", "ดีมาก", ...)
    missing: int  # KPIs not reported yet
    notes: tuple[str, ...] = ()  # Thai, e.g. the weights note when Σข ≠ 100
    normalised100: Decimal | None = None  # Σค × 100 / Σข / 5 when Σข ≠ 100 (the band goes with it)
    complete: bool = False  # every KPI reported (scoring.totals.Total.complete)


@dataclass(frozen=True)
class RankRow:
    """One child unit in its parent's ranking; team and individual are never averaged together."""

    unit: str
    team: Decimal | None  # score100 of the team agreement (None: no such agreement)
    team_band: str | None
    individual: Decimal | None
    individual_band: str | None
    missing: int  # KPIs still unreported, all agreements
    change: Decimal | None = None  # team score now minus at the end of last month (None: no figure then)
    averaged: str = ""  # a unit with units under it, ranked on them: Thai, "เฉลี่ย 12 อำเภอ" ("": its own figures)


@dataclass(frozen=True)
class MissingItem:
    """One KPI figure a unit still owes."""

    unit: str
    kpi: str  # short label, "ตชว.1 เบิกจ่าย"
    set_name: str
    period: str  # "2025-07" or "round"
    cutoff: date | None  # the date it is due
    status: str  # "overdue" | "soon" (within 7 days) | "later"
    who: str = ""  # the person who should send it
    phone: str = ""


@dataclass(frozen=True)
class TrendPoint:
    month: str  # "2025-06"
    value: Decimal | None  # the KPI's main figure that month (None: not reported)
    level: int | None


@dataclass(frozen=True)
class Trend:
    unit: str
    kpi: str  # short label
    unit_word: str  # "ร้อยละ", "ครัวเรือน", ...
    points: tuple[TrendPoint, ...]
    thresholds: tuple[tuple[int, Decimal], ...] = ()  # (level, the figure that reaches it), for band lines


@dataclass(frozen=True)
class Book:
    """Everything a province (or district) workbook holds."""

    title: str  # "จังหวัดยะลา"
    today: date
    round_label: str
    ranking: tuple[RankRow, ...]
    sheets: tuple[Sheet, ...]
    missing: tuple[MissingItem, ...]
    bands: tuple[tuple[str, Decimal], ...] = field(default=())  # (band name, lowest score100), best first
    # the rankings one level further down, under their own headings ("อำเภอในจังหวัดยะลา"), in the order of
    # ``ranking``: a department's workbook ranks the provinces, then each province's districts
    sections: tuple[tuple[str, tuple[RankRow, ...]], ...] = field(default=())


# ---------------------------------------------------------------------------------------------- builders
#
# Pure over the Store port: every figure comes from agreements.unit_score (the score card's own path) and
# scoring.totals.total; nothing here is recomputed another way, and nothing here knows SQL or bot/.

BAND_NAMES = tuple((b.th, b.minimum) for b in BANDS)  # best first, as Book.bands holds them
SOON_DAYS = 7  # "due within 7 days"
STATUS_ORDER = {"overdue": 0, "soon": 1, "later": 2}
KIND_TH = {"province": "จังหวัด", "district": "อำเภอ"}
SET_ORDER = {"team": 0, "individual": 2}  # team agreements first, then others, then individual


def set_th(catalog: Catalog) -> str:
    return {"team": "รายทีม", "individual": "รายบุคคล"}.get(catalog.set, catalog.set)


def round_label(agreement: Agreement) -> str:
    """"รอบที่ 2 ปีงบประมาณ 2568" (the fiscal year is stored in BE); a year-long agreement: "ปีงบประมาณ 2568"."""
    year = f"ปีงบประมาณ {agreement.fiscal_year}"
    return f"รอบที่ {agreement.round} {year}" if agreement.round else year


def _place(store: Store, unit: Unit, kind: str) -> Unit | None:
    """The unit itself or its nearest ancestor of a kind (a district's province)."""
    seen: set[str] = set()
    current: Unit | None = unit
    while current is not None and current.id not in seen:
        if current.kind == kind:
            return current
        seen.add(current.id)
        current = store.unit(current.parent) if current.parent else None
    return None


def _party(store: Store, unit: Unit, word: str) -> str:
    """A party as the form names it: "พัฒนาการอำเภอ" + the district's name, "พัฒนาการจังหวัด" + the province's."""
    for kind, suffix in (("district", "อำเภอ"), ("province", "จังหวัด")):
        if word.endswith(suffix):
            place = _place(store, unit, kind)
            return word + place.name if place is not None else word
    return word


def parties(store: Store, catalog: Catalog, unit: Unit) -> tuple[str, str]:
    """(the one appraised, the appraiser): the catalog's ``between`` is [appraiser, appraised]."""
    if len(catalog.between) >= 2:
        return _party(store, unit, catalog.between[1]), _party(store, unit, catalog.between[0])
    return unit.name, catalog.organisation or ""


def criteria_texts(kpi: Kpi) -> tuple[str, ...]:
    """Levels 1..5 in the document's words; "" where the document has no such level or leaves it blank."""
    out = []
    for number in range(1, 6):
        level = kpi.rubric.level(number)
        text = level_text(level) if level is not None else ""
        out.append("" if text == "-" else text)
    return tuple(out)


def result_text(kpi: Kpi, submission: Submission | None, evaluation: Evaluation | None) -> str:
    """The figure as read, in Thai: the main input (a derived percent as derived, 2 decimals), the other
    inputs the unit gave, milestones done; "" when nothing is reported."""
    if submission is None:
        return ""
    if kpi.rubric.reviewer:
        return f"ผู้ประเมินให้{texts.level_th(submission.level)}"
    given = {k: v for k, v in submission.inputs.items() if k != "steps"}
    values = evaluation.values if evaluation is not None else {}
    shown: list[str] = []
    skip: set[str] = set()
    main = primary_input(kpi)
    if main is not None and main in given:
        shown.append(texts.figure(kpi.input(main), given[main]))
        skip.add(main)
    elif main is not None and main in kpi.derive and values.get(main) is not None:
        try:
            derived = Decimal(str(values[main])).quantize(Decimal("0.01"))
        except ArithmeticError:
            derived = None
        if derived is not None:
            shown.append(texts.figure(kpi.input(main), derived))
            skip |= {main, *kpi.derive[main].names}
    shown += [texts.figure(kpi.input(k), v) for k, v in given.items() if k not in skip and kpi.input(k) is not None]
    steps = submission.inputs.get("steps")
    if kpi.rubric.steps and steps is not None:
        shown.append(f"ขั้นตอนที่ทำแล้ว {len(steps)} จาก {len(kpi.rubric.steps)}")
    return ", ".join(shown)


def _in_round(period: str, agreement: Agreement) -> bool:
    if period == "round":
        return True
    try:
        year, month = (int(x) for x in period.split("-"))
        first = date(year, month, 1)
    except ValueError:
        return False
    return (agreement.start.year, agreement.start.month) <= (first.year, first.month) <= (
        agreement.end.year, agreement.end.month)


def evidence_count(store: Store, unit: Unit, agreement: Agreement, kpi: Kpi) -> int:
    """Evidence files stored for the KPI in the agreement's round: periods inside the round, received on or
    after its start (a "round" file of an earlier round does not count), not withdrawn by its sender."""
    found = store.evidence_for(unit.id, agreement.catalog_id, kpi.id)
    withdrawn = store.retracted_evidence(unit.id) if found else {}
    return sum(1 for e in found if e.id not in withdrawn
               and _in_round(e.period, agreement) and e.received_at.date() >= agreement.start)


def _sheet(store: Store, unit: Unit, agreement: Agreement, catalog: Catalog, result: Total,
           figures: Mapping[str, Submission | None], evaluations: Mapping[str, Evaluation | None]) -> Sheet:
    lines = []
    group_names = {g.id: g.name for g in catalog.groups}
    for row in result.rows:
        kpi = catalog.kpi(row.kpi)
        assert kpi is not None  # rows come from the catalog's own KPIs
        key = f"{catalog.id}/{kpi.id}"
        lines.append(KpiLine(
            number=str(row.number if row.number is not None else row.kpi), name=" ".join(row.name.split()),
            criteria=criteria_texts(kpi), result=result_text(kpi, figures.get(kpi.id), evaluations.get(key)),
            level=row.level, weight=row.weight, weighted=row.weighted,
            evidence=evidence_count(store, unit, agreement, kpi), monthly=monthly(kpi), kpi_id=kpi.id,
            group=group_names.get(row.group or "", "")))
    notes = []
    if result.normalised100 is not None:
        notes.append(f"{WEIGHTS_PRESENT_TH} {texts.score(result.normalised100)} คะแนน ({result.band})")
    if result.weights_note:
        notes.append(result.weights_note)
    notes += list(result.pending.values())
    return Sheet(
        unit=unit.name, unit_kind=unit.kind, catalog_id=catalog.id, set_name=set_th(catalog),
        title=" ".join(catalog.title.split()), round_label=round_label(agreement),
        round_start=agreement.start, round_end=agreement.end, parties=parties(store, catalog, unit),
        lines=tuple(lines), weights_total=result.weights_total, weighted_sum=result.weighted_sum,
        score100=result.score100, band=result.band, missing=len(result.missing), notes=tuple(notes),
        normalised100=result.normalised100, complete=result.complete)


def sheets(store: Store, catalogs: Mapping[str, Catalog], unit: Unit, today: date) -> list[Sheet]:
    """One Sheet per agreement of the unit in force today, team first and individual last; figures and
    totals exactly as the score card computes them (agreements.unit_score)."""
    score = unit_score(store, catalogs, unit, today)
    agreements = {a.catalog_id: a for a in store.agreements(unit.id, today)}
    out = []
    for catalog, result in sorted(score.totals, key=lambda ct: SET_ORDER.get(ct[0].set, 1)):
        agreement = agreements[catalog.id]
        rows = by_kpi(store.current(unit.id, catalog.id))
        figures = {kpi_id: latest(subs) for kpi_id, subs in rows.items()}
        out.append(_sheet(store, unit, agreement, catalog, result, figures, score.levels))
    return out


# -- ranking


def _as_of(versions: list[Submission], moment: datetime) -> Submission | None:
    """The version of one KPI that counted at a moment: per period the latest live version sent by then
    (a retraction undoes the latest live version with its inputs and level), then the latest period."""
    by_period: dict[str, list[Submission]] = {}
    for sub in sorted(versions, key=lambda s: (s.period, s.version)):
        if sub.sent_at > moment:
            continue
        stack = by_period.setdefault(sub.period, [])
        if sub.retracted:
            undone = next((i for i in range(len(stack) - 1, -1, -1)
                           if stack[i].inputs == sub.inputs and stack[i].level == sub.level), len(stack) - 1)
            if stack:
                stack.pop(undone)
        else:
            stack.append(sub)
    return latest([stack[-1] for stack in by_period.values() if stack])


def month_start(today: date) -> datetime:
    """The first moment of today's month in Bangkok: "the end of last month" is just before it."""
    return datetime.combine(today.replace(day=1), time(0, 0), BANGKOK)


def _score_then(store: Store, unit: Unit, catalog: Catalog, agreement: Agreement,
                now: Mapping[str, Evaluation | None], moment: datetime) -> Decimal | None:
    """The agreement's score with only the figures sent before `moment`; None when none was.

    Cheap: a KPI whose current figure was sent before the moment had it then too (a later version would be
    current), so only KPIs whose current figure is newer read their history."""
    current = by_kpi(store.current(unit.id, catalog.id))
    levels: dict[str, int | None] = {}
    for kpi in applicable_kpis(catalog, unit.name, agreement.chosen, agreement.variant):
        rows = current.get(kpi.id, [])
        if rows and all(s.sent_at < moment for s in rows):
            evaluation = now.get(f"{catalog.id}/{kpi.id}")
            levels[kpi.id] = evaluation.level if evaluation is not None else None
            continue
        sub = _as_of(store.history(unit.id, catalog.id, kpi.id), moment)
        if sub is not None:
            slot = Slot(agreement, catalog, kpi)
            levels[kpi.id] = evaluate_submission(slot, unit, sub).level
    if not any(v is not None for v in levels.values()):
        return None
    return total(catalog, levels, unit=unit.name, chosen=agreement.chosen, variant=agreement.variant,
                 cases=agreement.cases).score100


def _mean(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return round_half_up(sum(present, Decimal(0)) / len(present), 2) if present else None


def _averaged(unit: Unit, children: list[Unit], rows: list[RankRow]) -> RankRow | None:
    """A unit ranked on the units under it (a province on its districts); None when none has an agreement."""
    if not rows:
        return None
    team, individual = _mean(r.team for r in rows), _mean(r.individual for r in rows)
    kinds = {c.kind for c in children}
    word = KIND_TH.get(next(iter(kinds)), "หน่วยงาน") if len(kinds) == 1 else "หน่วยงาน"
    return RankRow(unit=unit.name, team=team, team_band=band_of(team).th if team is not None else None,
                   individual=individual, individual_band=band_of(individual).th if individual is not None else None,
                   missing=sum(r.missing for r in rows), change=_mean(r.change for r in rows),
                   averaged=f"เฉลี่ย {len(rows):,} {word}")


def _fresh_rank_row(store: Store, catalogs: Mapping[str, Catalog], child: Unit, today: date,
                    moment: datetime) -> RankRow | None:
    """One unit's row from its own agreements (None when it has none today), as the score card scores them."""
    score = unit_score(store, catalogs, child, today)
    if not score.totals:
        return None
    team = next(((c, t) for c, t in score.totals if c.set != "individual"), None)
    individual = next(((c, t) for c, t in score.totals if c.set == "individual"), None)
    change = None
    if team is not None:
        agreement = next(a for a in store.agreements(child.id, today) if a.catalog_id == team[0].id)
        if agreement.start < moment.date():
            then = _score_then(store, child, team[0], agreement, score.levels, moment)
            change = team[1].score100 - then if then is not None else None
    return RankRow(
        unit=child.name,
        team=team[1].score100 if team else None, team_band=team[1].band if team else None,
        individual=individual[1].score100 if individual else None,
        individual_band=individual[1].band if individual else None,
        missing=sum(len(t.missing) for _, t in score.totals), change=change)


# Unit rows already computed, keyed by everything _fresh_rank_row reads (so a hit is the fresh row by
# construction, and any submission, correction or retraction of the unit, a changed agreement, unit or
# catalog makes a new key): the unit, the day, its agreements in force, and per agreement the ids of its
# current figures plus, for KPIs with no current figure sent before `moment` (none at all, or one sent
# since), the ids of every version (what _score_then replays). The catalogs a key names are kept in its entry (their ids stay theirs).
_ROWS: dict[tuple[Any, ...], tuple[tuple[Catalog | None, ...], RankRow | None]] = {}
_ROWS_MAX = 20_000


def _row_key(store: Store, catalogs: Mapping[str, Catalog], child: Unit, today: date,
             moment: datetime) -> tuple[tuple[Any, ...], tuple[Catalog | None, ...]]:
    agreements = store.agreements(child.id, today)
    used = tuple(catalogs.get(a.catalog_id) for a in agreements)
    figures = []
    for agreement, catalog in zip(agreements, used, strict=True):
        current = store.current(child.id, agreement.catalog_id)
        since = moment.astimezone(current[0].sent_at.tzinfo) if current else moment  # the rows' own tzinfo: fast
        old = {s.kpi_id for s in current} - {s.kpi_id for s in current if s.sent_at >= since}
        replayed = [k.id for k in (catalog.kpis if catalog is not None else ()) if k.id not in old]
        figures.append((tuple(s.id for s in current), tuple(
            tuple(s.id for s in store.history(child.id, agreement.catalog_id, kpi)) for kpi in replayed)))
    key = (child.id, child.name, repr(sorted(child.attributes.items())), today, moment, repr(agreements),
           tuple(id(c) for c in used), tuple(figures))
    return key, used


def _rank_row(store: Store, catalogs: Mapping[str, Catalog], child: Unit, today: date,
              moment: datetime) -> RankRow | None:
    """_fresh_rank_row, kept while nothing it reads has changed (``_ROWS``)."""
    key, used = _row_key(store, catalogs, child, today, moment)
    hit = _ROWS.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], used, strict=True)):
        return hit[1]
    row = _fresh_rank_row(store, catalogs, child, today, moment)
    if len(_ROWS) >= _ROWS_MAX:
        _ROWS.clear()
    _ROWS[key] = (used, row)
    return row


def ranking(store: Store, catalogs: Mapping[str, Catalog], parent_unit: Unit, today: date,
            memo: dict[str, list[RankRow]] | None = None) -> list[RankRow]:
    """The parent's direct child units (never the parent itself) that have an agreement today, best team
    score first (then individual, then name). Team and individual are separate figures with their own
    bands, never averaged together. ``change`` = team score now minus the team score with only the figures
    sent before the 1st of this month (None: no team agreement, its round began this month, or nothing was
    sent by then). A child with units under it (a province under a department, at any depth) is ranked on
    them (``_averaged``), not on its own agreements. ``memo`` (parent id -> rows) shares the rankings of one
    answer (the national overview ranks each province once, for its own section and for the department's)."""
    if memo is not None and parent_unit.id in memo:
        return memo[parent_unit.id]
    rows = []
    moment = month_start(today)
    for child in store.units(parent=parent_unit.id):
        if child.id == parent_unit.id:
            continue
        below = [x for x in store.units(parent=child.id) if x.id != child.id]
        if below:
            averaged = _averaged(child, below, ranking(store, catalogs, child, today, memo))
            if averaged is not None:
                rows.append(averaged)
            continue
        row = _rank_row(store, catalogs, child, today, moment)
        if row is not None:
            rows.append(row)

    def order(row: RankRow) -> tuple:
        return (row.team is None, -(row.team or 0), row.individual is None, -(row.individual or 0), row.unit)

    ranked = sorted(rows, key=order)
    if memo is not None:
        memo[parent_unit.id] = ranked
    return ranked


# -- missing items


def _months(start: date, end: date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _last_day(year: int, month: int) -> date:
    return date(year, month, _calendar.monthrange(year, month)[1])


def _status(cutoff: date | None, today: date) -> str:
    if cutoff is None:
        return "later"
    if cutoff < today:
        return "overdue"
    return "soon" if (cutoff - today).days <= SOON_DAYS else "later"


def _round_cutoff(slot: Slot, cutoffs_: list[Cutoff]) -> date:
    """A round figure is due at the earliest round deadline the catalog or the KPI gives inside the
    agreement (001: 16 Sep 2567), else at the end of the round."""
    days = [c.day for c in cutoffs_ if c.kind == "round" and slot in c.slots]
    return min(days) if days else slot.agreement.end


# The cutoffs of one agreement's KPIs, as missing_items uses them: per KPI (in the group's order) the monthly
# cutoff day of each period and the round cutoff. They depend only on the catalog, which of its KPIs the unit
# has, and the agreement's dates (calendar.cutoffs reads nothing else), so 878 districts on the same catalogs
# share a handful of plans; the catalog is kept in the entry (its id stays its own).
_PLANS: dict[tuple[Any, ...], tuple[Catalog, list[tuple[dict[str | None, date], date]]]] = {}


def _cutoff_plan(group: list[Slot]) -> list[tuple[dict[str | None, date], date]]:
    agreement, catalog = group[0].agreement, group[0].catalog
    key = (id(catalog), tuple(s.kpi.id for s in group), agreement.start, agreement.end)
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is catalog:
        return hit[1]
    dated = cutoffs(group, agreement.start, agreement.end)
    plan = [({c.period: c.day for c in dated if c.kind == "monthly" and c.slots[0] is slot}, _round_cutoff(slot, dated))
            for slot in group]
    if len(_PLANS) > 10_000:
        _PLANS.clear()
    _PLANS[key] = (catalog, plan)
    return plan


def _who(store: Store, unit: Unit) -> tuple[str, str]:
    """The unit's reporters (else its chief): names and phones, joined with ", "."""
    people = store.people(unit_id=unit.id, role="reporter") or store.people(unit_id=unit.id, role="chief")
    return ", ".join(p.name for p in people), ", ".join(p.phone for p in people if p.phone)


def missing_items(store: Store, catalogs: Mapping[str, Catalog], units: Iterable[Unit], today: date) -> list[MissingItem]:
    """Every figure the units still owe in the round in force today, each with its cutoff and who sends it.

    - A monthly KPI owes each month of the agreement from its start up to the first month whose cutoff (the
      measuring day, calendar.cutoffs; the month's last day where the catalog gives no day) is today or
      later: past months without a figure are overdue, that month is soon or later; months after it are
      not listed yet.
    - A round KPI owes one figure ("round"), due at the earliest round deadline inside the agreement, else
      at the round's end.
    - KPIs whose level the appraiser sets (rubric.reviewer) are never owed (as in "ยังไม่ส่ง").
    - Status: "overdue" (cutoff before today), "soon" (today up to 7 days ahead), "later".
    Sorted by the units' order as given, then status, cutoff, KPI.
    """
    items: list[MissingItem] = []
    for unit in units:
        unit_slots = slots(store, catalogs, unit, today)
        if not unit_slots:
            continue
        who, phone = _who(store, unit)
        found: list[MissingItem] = []
        by_agreement: dict[int, list[Slot]] = {}
        for slot in unit_slots:
            by_agreement.setdefault(slot.agreement.id, []).append(slot)
        for group in by_agreement.values():
            agreement, catalog = group[0].agreement, group[0].catalog
            sent = {(s.kpi_id, s.period) for s in store.current(unit.id, catalog.id)}
            for slot, (days, round_due) in zip(group, _cutoff_plan(group), strict=True):
                if slot.kpi.rubric.reviewer:
                    continue
                owed: list[tuple[str, date | None]] = []
                if monthly(slot.kpi):
                    for year, month in _months(agreement.start, agreement.end):
                        period = f"{year:04d}-{month:02d}"
                        due = days.get(period) or min(_last_day(year, month), agreement.end)
                        owed.append((period, due))
                        if due >= today:
                            break
                else:
                    owed.append(("round", round_due))
                for period, due in owed:
                    if (slot.kpi.id, period) in sent:
                        continue
                    found.append(MissingItem(unit.name, slot.short, slot.set_name(), period, due,
                                             _status(due, today), who, phone))
        found.sort(key=lambda m: (STATUS_ORDER[m.status], m.cutoff or date.max, m.set_name, m.kpi, m.period))
        items += found
    return items


# -- the book


def book_title(unit: Unit) -> str:
    """"จังหวัดยะลา", "อำเภอเมืองยะลา"; other kinds by their name."""
    return KIND_TH.get(unit.kind, "") + unit.name


def book(store: Store, catalogs: Mapping[str, Catalog], unit: Unit, today: date) -> Book:
    """A unit's workbook: its children ranked (none for a district), the sheets of each child in ranking
    order and then the unit's own, and every item still owed by the children and the unit."""
    memo: dict[str, list[RankRow]] = {}  # each province ranked once: for its row and for its section
    ranked = ranking(store, catalogs, unit, today, memo)
    children = {c.name: c for c in store.units(parent=unit.id) if c.id != unit.id}
    ordered = [children[r.unit] for r in ranked if r.unit in children]
    all_sheets: list[Sheet] = []
    for child in ordered:
        all_sheets += sheets(store, catalogs, child, today)
    own = sheets(store, catalogs, unit, today)
    all_sheets += own
    labels = [s.round_label for s in own + all_sheets]
    if labels:
        label = labels[0]
    else:
        current = round_of(today)
        label = f"รอบที่ {current.number} ปีงบประมาณ {current.fiscal_year}"
    sections = []
    below: list[Unit] = []  # the units under the children (a department's districts)
    for child in ordered:
        grandchildren = [g for g in store.units(parent=child.id) if g.id != child.id]
        if grandchildren:
            sections.append((f"{_below_word(grandchildren)}ใน{book_title(child)}",
                             tuple(ranking(store, catalogs, child, today, memo))))
            below += grandchildren
    missing = missing_items(store, catalogs, [*below, *ordered, unit], today)
    return Book(title=book_title(unit), today=today, round_label=label, ranking=tuple(ranked),
                sheets=tuple(all_sheets), missing=tuple(missing), bands=BAND_NAMES, sections=tuple(sections))


def _below_word(units: Sequence[Unit]) -> str:
    kinds = {u.kind for u in units}
    return KIND_TH.get(next(iter(kinds)), "หน่วยงาน") if len(kinds) == 1 else "หน่วยงาน"
