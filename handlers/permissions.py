"""Who may do what, for which unit. Every handler asks here before it acts."""

from __future__ import annotations

from .ports import Person, Store, Unit

# intent -> roles allowed (scope is checked separately)
ALLOWED: dict[str, frozenset[str]] = {
    "report": frozenset({"reporter", "chief", "admin"}),
    "evidence": frozenset({"reporter", "chief", "admin"}),
    "correct": frozenset({"reporter", "chief", "admin"}),
    "undo": frozenset({"reporter", "chief", "admin"}),
    "score": frozenset({"reporter", "chief", "coordinator", "admin"}),
    "overview": frozenset({"chief", "coordinator", "admin"}),
    "missing": frozenset({"reporter", "chief", "coordinator", "admin"}),
    "deadlines": frozenset({"reporter", "chief", "coordinator", "admin"}),
    "criteria": frozenset({"reporter", "chief", "coordinator", "admin"}),
    # chiefs' views (issue 14); what each shows is narrowed by units_in_scope (a reporter: their own unit)
    "risk": frozenset({"reporter", "chief", "coordinator", "admin"}),
    "trend": frozenset({"reporter", "chief", "coordinator", "admin"}),
    "chart": frozenset({"reporter", "chief", "coordinator", "admin"}),
    "export": frozenset({"reporter", "chief", "coordinator", "admin"}),
    "invite": frozenset({"admin"}),
    "mute": frozenset({"reporter", "chief", "coordinator", "admin"}),
    "unmute": frozenset({"reporter", "chief", "coordinator", "admin"}),
    "snooze": frozenset({"reporter", "chief", "coordinator", "admin"}),
    "help": frozenset({"reporter", "chief", "coordinator", "admin"}),
    "cancel": frozenset({"reporter", "chief", "coordinator", "admin"}),
}
ROLE_TH = {"reporter": "ผู้รายงาน", "chief": "หัวหน้าหน่วยงาน", "coordinator": "ผู้ประสานงานตัวชี้วัด",
           "admin": "ผู้ดูแลระบบ"}


def allowed(person: Person, intent: str) -> bool:
    return person.role in ALLOWED.get(intent, frozenset())


def units_in_scope(store: Store, person: Person) -> list[Unit]:
    """The units a person may see: own unit; for a chief, coordinator or admin of a unit with units under it
    (a province, a department or division: any depth) every unit below it; units named in scopes (a
    "province" scope with everything below it); an admin every unit."""
    seen: dict[str, Unit] = {}

    def add(unit: Unit | None, below: bool) -> None:
        if unit is None:
            return
        seen.setdefault(unit.id, unit)
        frontier = [unit] if below else []
        while frontier:  # breadth first: a parent before its children
            parent = frontier.pop(0)
            for child in store.units(parent=parent.id):
                if child.id not in seen:
                    seen[child.id] = child
                    frontier.append(child)

    own = store.unit(person.unit_id)
    oversees = person.role in ("chief", "coordinator", "admin") and own is not None and own.kind != "group"
    add(own, oversees)
    if own is not None and own.kind == "group" and own.parent:  # a provincial group sees its province
        add(store.unit(own.parent), person.role in ("coordinator", "chief", "admin"))
    for scope in person.scopes:
        if scope.kind in ("unit", "province"):
            add(store.unit(scope.value), scope.kind == "province")
    if person.role == "admin":
        for unit in store.units():
            add(unit, True)
    return list(seen.values())


def can_act_for(store: Store, person: Person, unit: Unit, intent: str) -> bool:
    if not allowed(person, intent):
        return False
    if intent in ("report", "evidence", "correct", "undo"):
        return unit.id == person.unit_id or person.role == "admin"
    return any(u.id == unit.id for u in units_in_scope(store, person))


def kpi_groups(person: Person) -> list[str]:
    """A coordinator's KPI source groups (แหล่งข้อมูล), e.g. ["ประสานฯ"]."""
    return [s.value for s in person.scopes if s.kind == "kpi_group"]
