"""The store read once per plan: units, people, slots around the window, current figures, and
what each unit still has to send at a cutoff (``Item``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.model import Catalog

from .. import texts
from ..agreements import Slot, slots
from ..calendar import Cutoff
from ..ports import Person, Store, Submission, Unit


@dataclass(frozen=True)
class Item:
    """One missing figure of a unit at a cutoff."""

    cutoff: Cutoff
    slot: Slot
    period: str

    def line(self) -> str:
        if self.cutoff.kind == "monthly":
            return f"{self.slot.short} — ผล{texts.period_th(self.period)}"
        if len(self.cutoff.slots) == 1:
            return self.cutoff.what
        return f"{self.slot.short} ({self.cutoff.what})"


class World:
    """The store read once per plan: units, people, slots around the window, current figures."""

    def __init__(self, store: Store, catalogs: Mapping[str, Catalog], first: date, last: date):
        self.store, self.catalogs = store, catalogs
        self.units: dict[str, Unit] = {u.id: u for u in store.units()}
        self.people = store.people()
        self._current: dict[tuple[str, str], dict[tuple[str, str], Submission]] = {}
        samples = [first + timedelta(days=d) for d in range(0, (last - first).days + 1, 20)] + [last]
        self.slots: dict[str, list[Slot]] = {}
        self._keys: dict[str, set[str]] = {}
        for unit in self.units.values():
            seen: dict[tuple[int, str], Slot] = {}
            for day in samples:
                for slot in slots(store, catalogs, unit, day):
                    seen.setdefault((slot.agreement.id, slot.kpi.id), slot)
            if seen:
                self.slots[unit.id] = list(seen.values())

    def slot_keys(self, unit_id: str) -> set[str]:
        if unit_id not in self._keys:
            self._keys[unit_id] = {s.key for s in self.slots.get(unit_id, [])}
        return self._keys[unit_id]

    def current(self, unit_id: str, catalog_id: str) -> dict[tuple[str, str], Submission]:
        key = (unit_id, catalog_id)
        if key not in self._current:
            self._current[key] = {(s.kpi_id, s.period): s for s in self.store.current(unit_id, catalog_id)}
        return self._current[key]

    def done(self, unit_id: str, slot: Slot, period: str, step: str | None) -> bool:
        sub = self.current(unit_id, slot.catalog.id).get((slot.kpi.id, period))
        if sub is None:
            return False
        return step is None or step in (sub.inputs.get("steps") or ())

    def missing(self, unit_id: str, cutoff: Cutoff) -> list[Item]:
        found = []
        for slot in cutoff.slots:
            if slot.kpi.rubric.reviewer:
                continue  # a reviewer sets the level; nothing for the unit to send
            period = cutoff.period_of(slot)
            if not self.done(unit_id, slot, period, cutoff.step):
                found.append(Item(cutoff, slot, period))
        return found

    def people_of(self, unit_id: str, role: str) -> list[Person]:
        return [p for p in self.people if p.unit_id == unit_id and p.role == role]

    def reporters(self, unit_id: str) -> list[Person]:
        return self.people_of(unit_id, "reporter") or self.people_of(unit_id, "chief")

    def chiefs(self, unit_id: str) -> list[Person]:
        found = self.people_of(unit_id, "chief")
        unit = self.units.get(unit_id)
        if not found and unit is not None and unit.parent:
            found = self.people_of(unit.parent, "chief")
        return found
