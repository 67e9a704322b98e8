"""The charts that come with a chief's weekly digest: what to draw (``ChartSpec``), chosen when the digest
is queued, and the drawing itself (``chart_reply``), done when it is sent.

- A chief whose unit has child units with an agreement (a provincial chief) gets the children's ranking,
  bars coloured by band (the chart of "กราฟอันดับ"); any other chief (a district chief) gets the unit's
  KPI levels against 5, one chart per agreement in force (team first), as "กราฟ" draws them.
- A spec is a short string ("ranking|yala|2025-06-16", "levels|yala-mueang|<catalog>|2025-06-16"): the
  outbox stores it, never the PNG, so a queued chart costs a few dozen bytes and survives a restart.
- At send time ``chart_view`` reads the figures from the store as it is then, for the digest's day
  (``ChartSpec.day``): the same figures as the digest's text unless one arrives in between; ``draw``
  renders them through the Renderer port without the store (so the engine runs it off the event loop).
  Both raise on failure (the engine logs it and the text goes anyway); None: nothing left to draw.
- Choosing (``weekly``) reads only the plan's World (no score computed): the plan runs every tick.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from scoring.model import Catalog

from .. import texts as common
from ..messages import Reply
from ..permissions import allowed
from ..ports import Person, Renderer, Store
from ..views.appraisal import BAND_NAMES, KIND_TH, SET_ORDER, RankRow, Sheet, ranking, set_th, sheets
from ..views.missing import file_name
from .world import World

CAPTION_MAX = 1000  # under Telegram's 1,024 characters of a photo caption: one request per chart


@dataclass(frozen=True)
class ChartSpec:
    """What to draw: ``kind`` "ranking" (the unit's children) or "levels" (one agreement of the unit)."""

    kind: str
    unit_id: str
    day: date
    catalog_id: str = ""  # levels only

    def encode(self) -> str:
        parts = [self.kind, self.unit_id] + ([self.catalog_id] if self.kind == "levels" else [])
        return "|".join(parts + [self.day.isoformat()])

    @classmethod
    def decode(cls, text: str) -> ChartSpec:
        parts = text.split("|")
        if parts[0] == "ranking" and len(parts) == 3:
            return cls("ranking", parts[1], date.fromisoformat(parts[2]))
        if parts[0] == "levels" and len(parts) == 4:
            return cls("levels", parts[1], date.fromisoformat(parts[3]), parts[2])
        raise ValueError(f"not a chart spec: {text!r}")

    def label(self, world: World) -> str:
        """A Thai line for the outbox (`kpibot reminders preview`); the caption is made when drawn."""
        unit = world.units.get(self.unit_id)
        name = unit.name if unit else self.unit_id
        if self.kind == "ranking":
            return f"กราฟอันดับคะแนน{KIND_TH.get(unit.kind, '') if unit else ''}{name}"
        catalog = world.catalogs.get(self.catalog_id)
        return f"กราฟระดับรายตัวชี้วัด {set_th(catalog) + ' ' if catalog else ''}{name}"


def weekly(world: World, chief: Person, day: date) -> tuple[ChartSpec, ...]:
    """The charts of a chief's weekly digest sent on ``day``."""
    unit = world.units.get(chief.unit_id)
    if unit is None:
        return ()
    children = [u for u in world.units.values() if u.parent == unit.id and u.id != unit.id and u.id in world.slots]
    if children and allowed(chief, "overview"):
        return (ChartSpec("ranking", unit.id, day),)
    catalogs: dict[str, Catalog] = {}
    for slot in world.slots.get(unit.id, []):
        if slot.agreement.start <= day <= slot.agreement.end:
            catalogs.setdefault(slot.catalog.id, slot.catalog)
    ordered = sorted(catalogs.values(), key=lambda c: (SET_ORDER.get(c.set, 1), c.id))
    return tuple(ChartSpec("levels", unit.id, day, c.id) for c in ordered)


@dataclass(frozen=True)
class ChartView:
    """A chart's figures, read from the store (``chart_view``), ready to draw (``draw``)."""

    spec: ChartSpec
    caption: str
    image_name: str
    title: str = ""
    rows: tuple[RankRow, ...] = ()  # ranking
    sheet: Sheet | None = None  # levels


def queued(world: World, chief: Person, day: date) -> tuple[tuple[str, str], ...]:
    """The weekly digest's charts as the outbox keeps them: (encoded spec, Thai label)."""
    return tuple((spec.encode(), spec.label(world)) for spec in weekly(world, chief, day))


def chart_view(store: Store, catalogs: Mapping[str, Catalog], spec: ChartSpec) -> ChartView | None:
    """The figures to draw, as the store holds them now, for the digest's day; None when there is nothing
    to draw (the unit is gone, no child has an agreement, the agreement ended)."""
    unit = store.unit(spec.unit_id)
    if unit is None:
        return None
    when = common.day_th(spec.day)
    if spec.kind == "ranking":
        rows = ranking(store, catalogs, unit, spec.day)
        if not rows:
            return None
        title = f"อันดับคะแนน{KIND_TH.get(unit.kind, '')}{unit.name}"
        return ChartView(spec, _caption(f"{title} ณ {when} (รายทีมและรายบุคคลแยกกัน)"),
                         file_name("ranking", unit, spec.day, "png"), title=title, rows=tuple(rows))
    if spec.kind == "levels":
        sheet = next((s for s in sheets(store, catalogs, unit, spec.day) if s.catalog_id == spec.catalog_id), None)
        if sheet is None:
            return None
        caption = (f"ระดับรายตัวชี้วัด {sheet.set_name} {unit.name}: {common.score(sheet.score100)} คะแนน "
                   f"({sheet.band}) ณ {when}")
        return ChartView(spec, _caption(caption), file_name(f"levels-{spec.catalog_id}", unit, spec.day, "png"),
                         sheet=sheet)
    raise ValueError(f"unknown chart kind {spec.kind!r}")


def draw(renderer: Renderer, view: ChartView) -> Reply:
    """The chart as a Reply: the PNG and its one-line Thai caption. No store: may run in a thread."""
    if view.sheet is not None:
        image = renderer.levels_chart(view.sheet)
    else:
        image = renderer.ranking_chart(view.rows, view.title, BAND_NAMES)
    return Reply(view.caption, image=image, image_name=view.image_name)


def chart_reply(store: Store, catalogs: Mapping[str, Catalog], renderer: Renderer, spec: ChartSpec) -> Reply | None:
    """``chart_view`` then ``draw``, in one call (tests, the console)."""
    view = chart_view(store, catalogs, spec)
    return None if view is None else draw(renderer, view)


def _caption(text: str) -> str:
    return text if len(text) <= CAPTION_MAX else text[: CAPTION_MAX - 1] + "…"
