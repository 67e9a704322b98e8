"""Flows: conversations of several messages, each an explicit table of its states.

A flow's state is stored per chat in the store (``store.set_state(chat_key, dict)``), so a restart
between two messages of a flow loses nothing; nothing of a flow is kept in process memory. The stored
dict is JSON: ``{"flow": <Flow>, "awaiting": <Step>[":" arg], ...the flow's own fields}``; `where`
is the one place that reads those two fields.

Flows and their states (what the chat waits for):
  report        kpi      "ตัวชี้วัดไหนคะ" (a button k:N)
                place    "ตัวเลข 900,000 คือข้อมูลใดคะ" (a button p:N, p:- or the input's name)
                input    "กรุณาพิมพ์…" one input, stored as "input:<input id>"
                steps    the milestone checklist (s:N toggles, "เสร็จ")
                confirm  the card (ยืนยัน / ยืนยันทั้งหมด / ยกเลิก)
  evidence      kpi      "หลักฐานนี้ของตัวชี้วัดไหนคะ" with the files already kept by the store
  after_report  -        files sent next belong to the KPI just reported
  criteria      kpi      "ตัวชี้วัดไหนคะ" of a question about the criteria (views.criteria)
A correction ("แก้ไข ๙๕") has no states of its own: it opens the report card with "correcting".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Flow(StrEnum):
    REPORT = "report"
    EVIDENCE = "evidence"
    AFTER_REPORT = "after_report"
    CRITERIA = "criteria"


class Step(StrEnum):
    KPI = "kpi"
    PLACE = "place"
    INPUT = "input"
    STEPS = "steps"
    CONFIRM = "confirm"


def where(state: dict[str, Any] | None) -> tuple[Flow | None, Step | None, str | None]:
    """The flow, the step it waits at and the step's argument (the input asked for) of a stored state.
    Unknown values (a state written by another version) read as None: the message is then read afresh."""
    if not state:
        return None, None, None
    try:
        flow: Flow | None = Flow(state.get("flow"))
    except ValueError:
        flow = None
    name, _, arg = str(state.get("awaiting") or "").partition(":")
    try:
        step: Step | None = Step(name) if name else None
    except ValueError:
        step = None
    return flow, step, (arg or None)


def awaiting(step: Step, arg: str | None = None) -> str:
    """The stored form of a step: "confirm", "input:percent"."""
    return f"{step.value}:{arg}" if arg else step.value
