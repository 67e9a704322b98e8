"""Answers to questions about one KPI: its five levels, where the unit stands, and its dates.

What this module guarantees:
- Pure: every function takes the KPI (a Slot), the unit, its latest stored figure and the day, and
  returns Thai text. It reads no store and writes nothing, so a question never starts a report,
  stores a figure or changes a chat's state.
- The levels are quoted in the document's own words (rubric level ``text``). A level asked about is
  quoted first and in full; the others are shortened only when very long, and shortening never drops
  a number (thresholds, counts, dates stay).
- The unit's figure is the one that counts (agreements.latest), evaluated as the score card evaluates
  it; what the next level (or the asked level) needs is scoring's own ``Evaluation.needed``.
- Dates are shown in the Buddhist Era; a KPI's cutoffs are the deadline calendar's (calendar.deadlines).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from scoring.errors import EvaluationError
from scoring.evaluate import Evaluation, evaluate
from scoring.model import Input, Kpi, Level
from scoring.targets import target_value

from . import texts
from .agreements import Slot, evaluate_submission
from .calendar import Due
from .ports import Submission, Unit

LONG = 200  # characters: a level text longer than this is shortened (the asked level never is)
_DIGIT = re.compile(r"[0-9๐-๙]")


def level_text(level: Level) -> str:
    """A level's criterion as the document words it ("-" where the document leaves it blank)."""
    text = " ".join(level.text.split())
    if not text and level.branches:
        text = "; ".join(" ".join(b.th.split()) for b in level.branches if b.th)
    return text or "-"


def shorten(text: str, limit: int = LONG, drop: Sequence[str] = ()) -> str:
    """The text, or when longer than `limit` its phrases around every number, gaps marked "…".

    `drop` are phrases shown elsewhere in the reply (the measuring day) removed first.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    for phrase in drop:
        phrase = " ".join(phrase.split())
        if phrase:
            text = text.replace(f"({phrase})", "").replace(phrase, "")
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    words = text.split(" ")
    keep = {0}
    for i, word in enumerate(words):
        if _DIGIT.search(word):
            keep.update({i - 1, i, i + 1})
    keep |= {i for i in range(1, len(words) - 1) if i - 1 in keep and i + 1 in keep}  # "…" for one word saves nothing
    if keep == {0}:  # no numbers: cut at a word boundary
        cut = text[:limit].rsplit(" ", 1)[0]
        return cut + " …"
    out: list[str] = []
    for i, word in enumerate(words):
        if i in keep:
            out.append(word)
        elif out and out[-1] != "…":
            out.append("…")
    return " ".join(out)


def measure_text(kpi: Kpi) -> str:
    """When the KPI is measured, in the document's words where it gives them."""
    m = kpi.measure
    if m and m.text:
        return " ".join(m.text.split())
    if m and m.every == "month" and m.day:
        return f"วัดเป็นรายเดือนทุกวันที่ {m.day}"
    if m and m.every == "month":
        return "วัดเป็นรายเดือน"
    if m and m.every == "quarter":
        return "วัดเป็นรายไตรมาส"
    return "รายงานผลรอบละครั้ง (ไม่มีกำหนดวัดรายเดือน)"


def _not_in_agreement(slot: Slot, unit: Unit) -> str:
    kpi = slot.kpi
    if kpi.applies_to and unit.name not in kpi.applies_to:
        why = f" (ใช้เฉพาะ {', '.join(kpi.applies_to)})"
    elif unit.name in kpi.except_:
        why = f" (ไม่ใช้กับ {unit.name})"
    elif kpi.optional_group:
        why = " (เป็นตัวชี้วัดทางเลือกที่หน่วยงานไม่ได้เลือก)"
    else:
        why = ""
    return f"ตัวชี้วัดนี้ไม่อยู่ในข้อตกลงของ{unit.name}ในรอบนี้{why}"


def targets_line(kpi: Kpi, unit: Unit) -> str | None:
    """The unit's own row of a per-unit target table ("ระดับ 1 35 · ระดับ 2 36 …"), or None."""
    table = kpi.targets
    if table is None or unit.name not in table.units:
        return None
    cells = [(lv.level, target_value(table, unit.name, lv.level)) for lv in sorted(kpi.rubric.levels,
                                                                                   key=lambda x: x.level)]
    shown = " · ".join(f"ระดับ {n} {texts.number(v)}" for n, v in cells if v is not None)
    if not shown:
        return None
    name = f" ({' '.join(table.name.split())})" if table.name else ""
    return f"ค่าเป้าหมายของ{unit.name}{name}: {shown}"


def _shown(spec: Input | None, value: Any) -> str:
    return texts.figure(spec, value)


def _figure_lines(slot: Slot, sub: Submission, result: Evaluation) -> list[str]:
    kpi = slot.kpi
    lines: list[str] = []
    if result.reviewer:
        return lines
    for spec in kpi.inputs:
        if spec.id in sub.inputs:
            lines.append(f"• {spec.name}: {_shown(spec, sub.inputs[spec.id])}")
    for name in kpi.derive:
        if name not in sub.inputs and name in result.values:
            spec = kpi.input(name)
            lines.append(f"• {spec.name if spec else name}: {_shown(spec, round(result.values[name], 2))}")
    if kpi.rubric.steps:
        done = len(sub.inputs.get("steps") or [])
        lines.append(f"• ขั้นตอนที่ทำแล้ว: {done} จาก {len(kpi.rubric.steps)}")
    return lines


def _needs(result: Evaluation, level: int | None) -> list[str]:
    def joined(items: list[Any]) -> str:
        return "; ".join(n.text for n in items[:5])

    if level is not None and level > result.level:
        return [f"ระดับ {level} ยังต้อง: {joined(result.needed)}"] if result.needed else []
    lines = []
    if level is not None:
        lines.append(f"ผ่านเกณฑ์ระดับ {level} แล้วค่ะ")
    if result.next_level is None:
        if result.level == 5:
            lines.append("ได้ระดับสูงสุดแล้วค่ะ 🎉")
    elif result.needed:
        lines.append(f"ระดับ {result.next_level} ยังต้อง: {joined(result.needed)}")
    return lines


def _standing(slot: Slot, unit: Unit, sub: Submission | None, level: int | None) -> list[str]:
    """The unit's figure that counts, its level and what the next (or asked) level needs."""
    if sub is None:
        return [f"{unit.name}ยังไม่ได้รายงานผลตัวชี้วัดนี้ค่ะ"]
    try:
        if level is None:
            result = evaluate_submission(slot, unit, sub)
        else:
            result = evaluate(slot.kpi, dict(sub.inputs), unit=unit.name, unit_attributes=unit.attributes,
                              case=slot.agreement.cases.get(slot.kpi.id), aim=level)
    except EvaluationError as exc:
        return [f"ผลที่บันทึกไว้ของ{unit.name} ({texts.period_th(sub.period)}) ประเมินไม่ได้: {exc.th}"]
    head = f"ผลล่าสุดของ{unit.name} ({texts.period_th(sub.period)}): {texts.level_th(result.level)}"
    if result.reviewer:
        head += " (ผู้ประเมินกำหนด)"
    return [head, *_figure_lines(slot, sub, result), *_needs(result, level)]


def criteria_reply(slot: Slot, unit: Unit, submission: Submission | None, *, level: int | None = None,
                   in_agreement: bool = True) -> str:
    """The answer to "เกณฑ์ ตชว.1" / "ระดับ 5 ต้องทำอะไร": the levels, the unit's standing, what is needed.

    `submission` is the unit's latest stored figure of this KPI (None: not reported); `level` the level
    asked about, quoted first; `in_agreement` False for a KPI of the unit's catalogs it is not appraised on.
    """
    kpi = slot.kpi
    levels = sorted(kpi.rubric.levels, key=lambda lv: lv.level)
    asked = kpi.rubric.level(level) if level is not None else None
    measured = measure_text(kpi)
    weight = f" น้ำหนัก {texts.number(kpi.weight)}" if kpi.weight is not None else ""
    lines = [f"{'' if asked else 'เกณฑ์การให้คะแนน '}{slot.label} ({slot.set_name()}{weight})"]
    same = len({level_text(lv) for lv in levels}) == 1 and len(levels) > 1
    if asked is not None and not same:
        lines.append(f"ระดับ {asked.level}: {level_text(asked)}")
    if not in_agreement:
        lines.append(_not_in_agreement(slot, unit))
    elif asked is not None and not same:
        lines += _standing(slot, unit, submission, asked.level)
    if asked is not None and not same:
        lines.append("เกณฑ์ระดับอื่น:")
    if same:
        lines.append(f"ระดับ {levels[0].level}–{levels[-1].level}: {level_text(levels[0])}")
    else:
        for lv in levels:
            if asked is None or lv.level != asked.level:
                lines.append(f"ระดับ {lv.level}: {shorten(level_text(lv), drop=(measured,))}")
    targets = targets_line(kpi, unit)
    if targets:
        lines.append(targets)
    if kpi.rubric.reviewer:
        lines.append("ผู้ประเมินเป็นผู้กำหนดระดับคะแนนตามโครงการที่เสนอ")
    if kpi.measure:
        lines.append(f"วัดผล: {measured}")
    if in_agreement and (asked is None or same):
        lines += _standing(slot, unit, submission, None)
    return "\n".join(lines)


def deadline_reply(slot: Slot, unit: Unit, items: Sequence[Due], today: date, *,
                   in_agreement: bool = True) -> str:
    """The answer to "ตชว.7 ส่งทุกวันที่เท่าไหร่": the KPI's measuring day and its next cutoffs.

    `items` are the deadline calendar's entries for this KPI alone (calendar.deadlines([slot], today)).
    """
    lines = [f"{slot.short} ({slot.set_name()}): {measure_text(slot.kpi)}"]
    if not in_agreement:
        lines.append(_not_in_agreement(slot, unit))
        return "\n".join(lines)
    if items:
        first, rest = items[0], list(items[1:])
        lines.append(f"กำหนดส่งครั้งถัดไป: {texts.day_th(first.day)} — {first.text}")
        lines += [f"ถัดไป: {texts.day_th(d.day)} — {d.text}" for d in rest[:4]]
    else:
        lines.append("ไม่มีกำหนดส่งของตัวชี้วัดนี้ที่ใกล้จะถึงค่ะ")
    for d in sorted(slot.kpi.deadlines, key=lambda d: d.date):
        if d.kind == "snapshot" and d.date >= today:
            lines.append(f"ข้อมูล ณ {texts.day_th(d.date)}: {' '.join(d.th.split())}")
    return "\n".join(lines)
