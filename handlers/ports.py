"""What the conversation needs from the outside, as small Protocols; bot/ implements them.

Records are plain frozen dataclasses so handlers never see a database row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from scoring.thaidate import BANGKOK

if TYPE_CHECKING:  # the view model (views/appraisal.py imports this module)
    from .views.appraisal import Book, RankRow, Sheet, Trend

ROLES = ("reporter", "chief", "coordinator", "admin")


@dataclass(frozen=True)
class Unit:
    id: str  # stable slug, e.g. "yala" or "yala-mueang"
    name: str  # Thai name as offices write it: "เมืองยะลา"
    kind: str  # "province" | "district" | "group"
    parent: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)  # e.g. {"staff": 5}


@dataclass(frozen=True)
class Scope:
    kind: str  # "unit" (one unit) | "province" (a province and all its districts) | "kpi_group" (a source group)
    value: str


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: str  # one of ROLES
    unit_id: str
    phone: str | None = None
    scopes: tuple[Scope, ...] = ()
    reminders: str = "on"  # "on" | "muted" | "snoozed"
    snoozed_until: datetime | None = None
    reachable: bool = True


@dataclass(frozen=True)
class Agreement:
    id: int
    catalog_id: str
    unit_id: str
    fiscal_year: int
    round: int | None
    start: date
    end: date
    chosen: dict[str, str] = field(default_factory=dict)  # optional group id -> KPI id
    variant: str | None = None
    cases: dict[str, str] = field(default_factory=dict)  # KPI id -> case id


@dataclass(frozen=True)
class NewSubmission:
    person_id: int
    unit_id: str
    catalog_id: str
    kpi_id: str
    period: str  # "2025-06" for a monthly figure, "round" for a round result
    inputs: dict[str, Any]  # JSON-able: numbers as strings, steps as lists
    level: int
    channel: str
    message_id: str
    sent_at: datetime
    flags: tuple[str, ...] = ()  # plausibility warnings the reporter confirmed past (Thai)


@dataclass(frozen=True)
class Submission:
    id: int
    version: int  # 1, 2, ... per (unit, catalog, kpi, period)
    person_id: int
    unit_id: str
    catalog_id: str
    kpi_id: str
    period: str
    inputs: dict[str, Any]
    level: int
    channel: str
    message_id: str
    sent_at: datetime
    recorded_at: datetime
    retracted: bool = False
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    id: int
    sha256: str
    path: str
    mime: str
    size: int
    person_id: int
    unit_id: str
    catalog_id: str
    kpi_id: str
    period: str
    received_at: datetime
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    gps: tuple[float, float] | None = None
    file_name: str | None = None
    duplicate_of: int | None = None  # an earlier evidence with the same bytes for another unit or period


class InviteError(Exception):
    """An invite that cannot be used: reason is "unknown", "used", "expired" or "revoked"; "throttled"
    (too many failed attempts: try again in ``wait_minutes``)."""

    def __init__(self, reason: str, wait_minutes: int = 0):
        self.reason = reason
        self.wait_minutes = wait_minutes
        super().__init__(reason)


class LinkError(Exception):
    """A link code that cannot be used: reason "unknown", "used", "expired" or "taken"; "throttled"
    (too many failed attempts: try again in ``wait_minutes``)."""

    def __init__(self, reason: str, wait_minutes: int = 0):
        self.reason = reason
        self.wait_minutes = wait_minutes
        super().__init__(reason)


EVIDENCE_MAX_BYTES = 20 * 1024 * 1024  # the largest evidence file kept; read at most one byte more


class EvidenceRefused(Exception):
    """Bytes the store will not keep (``add_evidence``, ``keep_file``); nothing of them was stored.

    ``reason`` is a code ("empty", "too_large", "type", "office", "broken", "pixels", "markup");
    ``reason_th`` says why in a few polite Thai words, for the reply."""

    def __init__(self, reason: str, reason_th: str):
        self.reason = reason
        self.reason_th = reason_th
        super().__init__(reason)


class Store(Protocol):
    """Every method the conversation (handlers/**) calls on its store; tests/test_architecture.py
    fails when a call is not declared here."""


    # people and identities
    def person_by_identity(self, channel: str, external_id: str) -> Person | None: ...
    def person(self, person_id: int) -> Person | None: ...
    def people(self, unit_id: str | None = None, role: str | None = None) -> list[Person]: ...
    def create_invite(self, role: str, unit_id: str, *, person_id: int | None = None,
                      expires_at: datetime | None = None, created_by: int | None = None,
                      scopes: tuple[Scope, ...] = ()) -> str: ...
    def redeem_invite(self, code: str, channel: str, external_id: str, display_name: str,
                      now: datetime) -> Person: ...
    # one person on several channels (handlers/linking.py): one-time codes, 15 minutes
    def identities(self, person_id: int) -> list[tuple[str, str]]: ...
    def create_link_code(self, person_id: int, *, now: datetime | None = None) -> str: ...
    def redeem_link_code(self, code: str, channel: str, external_id: str, *, display_name: str | None = None,
                         now: datetime | None = None) -> Person: ...  # raises LinkError

    # organisation and agreements
    def unit(self, unit_id: str) -> Unit | None: ...
    def units(self, parent: str | None = None) -> list[Unit]: ...
    def agreements(self, unit_id: str | None, on: date) -> list[Agreement]: ...

    # submissions (append-only versions) and evidence
    def add_submission(self, new: NewSubmission) -> Submission: ...
    def current(self, unit_id: str, catalog_id: str, kpi_id: str | None = None,
                period: str | None = None) -> list[Submission]: ...
    def history(self, unit_id: str, catalog_id: str, kpi_id: str) -> list[Submission]: ...
    def last_submission_by(self, person_id: int) -> Submission | None: ...
    def retract(self, submission_id: int, person_id: int, channel: str, message_id: str,
                sent_at: datetime) -> Submission: ...
    def add_evidence(self, data: bytes, *, person_id: int, unit_id: str, catalog_id: str, kpi_id: str,
                     period: str, received_at: datetime, file_name: str | None = None,
                     mime_hint: str | None = None) -> Evidence: ...  # raises EvidenceRefused
    def evidence_for(self, unit_id: str, catalog_id: str, kpi_id: str,
                     period: str | None = None) -> list[Evidence]: ...
    def keep_file(self, data: bytes, file_name: str | None = None,
                  mime_hint: str | None = None) -> str: ...  # checked like evidence (EvidenceRefused); sha256
    def kept_file(self, sha256: str) -> bytes: ...  # raises FileNotFoundError when gone
    # an officer withdrawing their own evidence: a retraction row, never a deletion (issue 14)
    def retract_evidence(self, evidence_id: int, person_id: int, *,
                         at: datetime) -> datetime: ...  # KeyError: no such evidence; PermissionError: not theirs
    def retracted_evidence(self, unit_id: str) -> dict[int, datetime]: ...  # evidence id -> when retracted

    # conversation state and settings
    def get_state(self, chat_key: str) -> dict[str, Any] | None: ...
    def set_state(self, chat_key: str, state: dict[str, Any] | None) -> None: ...
    def set_reminders(self, person_id: int, mode: str, until: datetime | None = None) -> None: ...


class Renderer(Protocol):
    """Draws the appraisal views (views/appraisal.py's dataclasses) as files: PNG charts, the official Excel
    form, the PDF to sign. bot/exports/renderer.py implements it; a Conversation without one answers in
    text only and says files are not available there."""

    def ranking_chart(self, rows: Sequence[RankRow], title: str, bands: Sequence[tuple[str, Decimal]]) -> bytes: ...
    def levels_chart(self, sheet: Sheet) -> bytes: ...
    def trend_chart(self, trend: Trend) -> bytes: ...
    def workbook(self, book: Book) -> bytes: ...
    def appraisal_pdf(self, sheets: list[Sheet]) -> bytes: ...


Clock = Callable[[], datetime]
"""The one clock type: "now" as an aware datetime in Asia/Bangkok (scoring.thaidate.BANGKOK). The store,
the reminder engine, the channels and the CLI receive one; tests pass a controllable one."""


def system_clock() -> datetime:
    """The real clock (the default Clock)."""
    return datetime.now(BANGKOK)
