"""What evidence is stored: "ดูหลักฐาน ตชว.1" in chat, and the rows of the evidence pack (bot/exports).

Guarantees:
- ``collect`` reads, for one unit and the round that contains ``day`` (the unit's agreements on that day,
  so the KPIs of that round's catalogs), every evidence record the store holds, in KPI order (the team set
  first, as the forms print them, then the agreement's order), then by period, then in the order
  received. Each row carries the KPI's short name and set, the level the unit's live submission for that KPI and period claims (None when
  there is none), and who sent it (the person's name). It only reads the store.
- ``answer`` (the chat): with a KPI named, per matching KPI (a number both sets share, "ตชว.1", shows
  both) a short Thai list of its files: period, when and by whom sent, the EXIF date when the photo kept
  one, flagged when the same bytes were sent for another unit or period. At most ``SHOWN`` files per
  KPI are listed, the latest ones, and the reply says how many there are in all: never silently cut.
  Without a KPI: the count per KPI that has files, and how many KPIs have none. Dates in BE, counts
  with thousands separators. The unit is the sender's own (a chief may name a unit in their scope,
  "ดูหลักฐาน ตชว.1 เบตง"); the current round is the one containing the day the message was sent.
- ``send_back`` ("ขอไฟล์หลักฐาน ตชว.1"): the KPI's latest ``SENT`` files as documents, the bytes as stored
  (read by sha256 through ``Store.kept_file``), one reply each, after a heading that says how many there
  are in all; in a private chat only (handlers/audience.py); a file gone from disk is said, not skipped.
- ``retract`` ("ลบหลักฐาน ตชว.ทีม 1 ไฟล์ที่ 2"): the sender's own file withdrawn, as a retraction row
  (never a deletion); listed afterwards under its number as "ถอนแล้ว", not counted, not sent back, and
  not put in the pack's zip. Files are numbered per KPI in the order ``collect`` gives, withdrawn ones
  keeping their numbers, so a number read from the list still names the same file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from scoring.model import Catalog
from scoring.thaidate import BANGKOK

from .. import audience, texts
from ..agreements import Slot, slots
from ..context import Ctx, not_allowed, read
from ..messages import Reply
from ..nlu import Understanding
from ..permissions import allowed
from ..ports import Evidence, Store, Unit
from .appraisal import round_label, set_th
from .score import target_unit

SHOWN = 20  # files listed per KPI in a chat reply (the latest); the total is always said


@dataclass(frozen=True)
class EvidenceRow:
    """One stored evidence file, with what a reader of the pack needs beside it."""

    evidence: Evidence
    kpi: str  # "ตชว.1 เบิกจ่าย"
    kpi_number: str  # "1" (the printed number, else the KPI id)
    set_name: str  # "รายทีม" | "รายบุคคล"
    set_id: str  # the catalog's set: "team" | "individual"
    key: str  # "catalog/kpi"
    level: int | None  # the level claimed by the live submission for this KPI and period; None: no figure
    sender: str  # the name of the person who sent it
    retracted_at: datetime | None = None  # withdrawn by its sender: kept, listed as ถอนแล้ว, never sent or packed

    @property
    def live(self) -> bool:
        return self.retracted_at is None


@dataclass(frozen=True)
class EvidenceList:
    """A unit's evidence for one round."""

    unit: Unit
    round_label: str  # "รอบที่ 2 ปีงบประมาณ 2568" ("" when the unit has no agreement that day)
    day: date
    rows: tuple[EvidenceRow, ...]
    kpis: tuple[tuple[str, str], ...]  # (key, "ตชว.1 เบิกจ่าย (รายทีม)") of every KPI of the round, in order


def collect(store: Store, catalogs: Mapping[str, Catalog], unit: Unit, day: date,
            keys: Sequence[str] | None = None) -> EvidenceList:
    """The unit's evidence for the round containing ``day`` (only the KPIs ``keys`` names, when given)."""
    order = {"team": 0, "individual": 1}  # as the forms print them: the team set first
    unit_slots = sorted(slots(store, catalogs, unit, day), key=lambda s: order.get(s.catalog.set, 2))
    names: dict[int, str] = {}
    retracted = store.retracted_evidence(unit.id)
    out: list[EvidenceRow] = []
    for slot in unit_slots:
        if keys is not None and slot.key not in keys:
            continue
        found = store.evidence_for(unit.id, slot.catalog.id, slot.kpi.id)
        if not found:
            continue
        claimed = {s.period: s.level for s in store.current(unit.id, slot.catalog.id, slot.kpi.id)}
        for ev in sorted(found, key=lambda e: (e.period, e.received_at, e.id)):
            if ev.person_id not in names:
                person = store.person(ev.person_id)
                names[ev.person_id] = person.name if person else f"ผู้ใช้ #{ev.person_id}"
            out.append(EvidenceRow(ev, slot.short, _number(slot), set_th(slot.catalog), slot.catalog.set, slot.key,
                                   claimed.get(ev.period), names[ev.person_id], retracted.get(ev.id)))
    label = round_label(unit_slots[0].agreement) if unit_slots else ""
    kpis = tuple((s.key, f"{s.short} ({set_th(s.catalog)})") for s in unit_slots)
    return EvidenceList(unit, label, day, tuple(out), kpis)


def _number(slot: Slot) -> str:
    return str(slot.kpi.number if slot.kpi.number is not None else slot.kpi.id)


def when_th(moment: datetime) -> str:
    """"10 มิ.ย. 2568 10:05 น." in Thailand time."""
    local = moment.astimezone(BANGKOK)
    return f"{texts.day_th(local.date())} {local:%H:%M} น."


def file_line(i: int, row: EvidenceRow) -> str:
    """One file: "1. เดือน มิ.ย. 2568 · ส่ง 10 มิ.ย. 2568 10:05 น. โดย สมชาย · ถ่าย 9 มิ.ย. 2568"."""
    ev = row.evidence
    parts = [f"{i:,}. {texts.period_th(ev.period)}", f"ส่ง {when_th(ev.received_at)} โดย {row.sender}"]
    if ev.taken_at is not None:
        parts.append(f"ถ่าย {texts.day_th(ev.taken_at.date())}")
    if ev.file_name:
        parts.append(ev.file_name[:30])
    line = " · ".join(parts)
    if row.retracted_at is not None:
        return f"{line}\n   (ถอนแล้ว {texts.day_th(row.retracted_at.date())})"
    if ev.duplicate_of:
        line += "\n   ⚠️ ไฟล์เดียวกันนี้เคยส่งสำหรับหน่วยงานหรืองวดอื่น"
    return line


def ref_th(row: EvidenceRow) -> str:
    """How to name the row's KPI unambiguously in chat: "ตชว.ทีม 1", "ตชว.บุคคล 4"."""
    return f"ตชว.{'ทีม' if row.set_id == 'team' else 'บุคคล'} {row.kpi_number}"


def numbered(rows: Sequence[EvidenceRow], key: str) -> list[tuple[int, EvidenceRow]]:
    """A KPI's rows with the numbers the chat shows them under (1, 2, ...; withdrawn ones keep theirs)."""
    return list(enumerate((r for r in rows if r.key == key), 1))


def kpi_block(title: str, rows: Sequence[EvidenceRow]) -> list[str]:
    """The lines of one KPI: its title and count, then its latest ``SHOWN`` files."""
    live = sum(1 for r in rows if r.live)
    if not rows:
        return [f"{title}: ยังไม่มีหลักฐานที่เก็บไว้"]
    head = f"{title}: {live:,} ไฟล์" + (f" · ถอนแล้ว {len(rows) - live:,} ไฟล์" if live < len(rows) else "")
    shown = list(rows)[-SHOWN:]
    if len(rows) > SHOWN:
        head += f" (แสดง {SHOWN:,} ไฟล์ล่าสุด)"
    first = len(rows) - len(shown) + 1
    return [head, *(file_line(first + i, r) for i, r in enumerate(shown))]


def _asked(u: Understanding, valid: Mapping[str, str]) -> list[str]:
    """The KPI keys the message names: every candidate tied with the best one ("ตชว.1": team and individual)."""
    refs = [r for r in u.kpis if f"{r.catalog_id}/{r.kpi_id}" in valid]
    if not refs:
        return []
    best = max(r.score for r in refs)
    tied = [r for r in refs if r.score == best] if u.ambiguous else refs[:1]
    keys = {f"{r.catalog_id}/{r.kpi_id}" for r in tied}
    return [key for key in valid if key in keys]  # in the agreements' order


def answer(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding) -> list[Reply]:
    if not allowed(ctx.person, "score"):  # who may see scores may see what evidence backs them
        return [not_allowed(ctx.person, "score")]
    unit = target_unit(store, ctx, u, "score")
    if isinstance(unit, Reply):
        return [unit]
    found = collect(store, catalogs, unit, ctx.today)
    if not found.kpis:
        return [Reply(f"{unit.name}: ยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้ จึงยังไม่มีหลักฐานให้ดูค่ะ")]
    if unit.id != ctx.unit.id:  # a chief asking about a unit of theirs: read the KPI against that unit's
        u = read(store, ctx, ctx.msg.text, slots(store, catalogs, unit, ctx.today))
    titles = dict(found.kpis)
    head = f"หลักฐานที่เก็บไว้ของ{unit.name} {found.round_label} (ณ {texts.day_th(ctx.today)})"
    asked = _asked(u, titles)
    if asked:
        lines = [head + " ค่ะ"]
        for key in asked:
            lines += kpi_block(titles[key], [r for r in found.rows if r.key == key])
        return [Reply("\n".join(lines))]
    counts: dict[str, int] = {}
    live = [r for r in found.rows if r.live]
    for r in live:
        counts[r.key] = counts.get(r.key, 0) + 1
    if not live:
        lines = [f"{head}: ยังไม่มีหลักฐานที่เก็บไว้ค่ะ"]
    else:
        gone = len(found.rows) - len(live)
        lines = [f"{head}: รวม {len(live):,} ไฟล์ค่ะ" + (f" (ถอนแล้ว {gone:,} ไฟล์ ไม่นับรวม)" if gone else "")]
    lines += [f"• {title} {counts[key]:,} ไฟล์" for key, title in found.kpis if key in counts]
    empty = sum(1 for key, _ in found.kpis if key not in counts)
    if empty and live:
        lines.append(f"ยังไม่มีหลักฐาน {empty:,} ตัวชี้วัด")
    lines.append("ดูรายการไฟล์ของตัวชี้วัด พิมพ์ เช่น “ดูหลักฐาน ตชว.1”"
                 + (" (ของอำเภอ เช่น “ดูหลักฐาน ตชว.1 เบตง”)" if unit.kind == "province" else ""))
    return [Reply("\n".join(lines))]


SENT = 10  # files sent back per request (the latest): about one message a second per chat on Telegram
_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic", "image/heif": "heif",
        "application/pdf": "pdf"}


def document_name(row: EvidenceRow) -> str:
    """The name a file is sent back under: the one it was sent with when its extension matches what the bytes
    are, else "หลักฐาน-ตชว1-2025-06-12.jpg" (period, evidence id; the extension from the stored type)."""
    ev = row.evidence
    ext = _EXT.get(ev.mime, "bin")
    given = (ev.file_name or "").strip()
    if "." in given and given.rsplit(".", 1)[1].lower() in ({ext, "jpeg"} if ext == "jpg" else {ext}):
        return given
    return f"หลักฐาน-ตชว{row.kpi_number}-{ev.period}-{ev.id}.{ext}"


def send_back(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding) -> list[Reply]:
    """"ขอไฟล์หลักฐาน ตชว.1": the KPI's latest ``SENT`` files as documents (original bytes, so a photo keeps
    its EXIF), one reply each after a short heading that says how many there are in all. Files go to a
    private chat only (as every file: handlers/audience.py); without a KPI, the counts and how to ask."""
    if not allowed(ctx.person, "score"):
        return [not_allowed(ctx.person, "score")]
    if audience.answer_where(audience.chat_kind(ctx.msg.is_group), ctx.person.role, "file") != "here":
        return [Reply(audience.ASK_PRIVATELY)]
    unit = target_unit(store, ctx, u, "score")
    if isinstance(unit, Reply):
        return [unit]
    found = collect(store, catalogs, unit, ctx.today)
    if unit.id != ctx.unit.id:
        u = read(store, ctx, ctx.msg.text, slots(store, catalogs, unit, ctx.today))
    titles = dict(found.kpis)
    asked = _asked(u, titles)
    if not asked:
        listing = answer(store, catalogs, ctx, u)
        return [Reply("ต้องการไฟล์หลักฐานของตัวชี้วัดไหนคะ พิมพ์ เช่น “ขอไฟล์หลักฐาน ตชว.1”\n" + listing[0].text)]
    rows = [(n, r) for key in asked for n, r in numbered(found.rows, key) if r.live]
    what = " และ ".join(titles[k] for k in asked)
    if not rows:
        return [Reply(f"{what} ของ{unit.name}: ยังไม่มีหลักฐานที่เก็บไว้ค่ะ")]
    shown = rows[-SENT:]
    head = f"ส่งไฟล์หลักฐาน {what} ของ{unit.name} {len(shown):,} ไฟล์ค่ะ"
    if len(rows) > len(shown):
        head = (f"หลักฐาน {what} ของ{unit.name} มี {len(rows):,} ไฟล์ ส่ง {len(shown):,} ไฟล์ล่าสุดค่ะ "
                "(ขอทั้งชุดเป็นไฟล์ zip จากผู้ดูแลระบบได้)")
    replies = [Reply(head)]
    names: set[str] = set()
    for n, row in shown:
        line = file_line(n, row)
        try:
            data = store.kept_file(row.evidence.sha256)
        except FileNotFoundError:
            replies.append(Reply(f"{line}\n   ขออภัยค่ะ ไม่พบไฟล์นี้ในที่เก็บ กรุณาแจ้งผู้ดูแลระบบ"))
            continue
        name = document_name(row)
        if name in names:  # two files sent under one name: each its own
            stem, _, ext = name.rpartition(".")
            name = f"{stem}-{row.evidence.id}.{ext}"
        names.add(name)
        replies.append(Reply(line, document=data, document_name=name))
    return replies


def retract(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding) -> list[Reply]:
    """"ลบหลักฐาน ตชว.ทีม 1 ไฟล์ที่ 2": the sender withdraws a file they sent (numbered as "ดูหลักฐาน" lists
    it). Recorded as a retraction (``Store.retract_evidence``), never deleted; only one's own files; the KPI
    and the number must both be clear, else the reply asks for them and nothing is withdrawn."""
    if not allowed(ctx.person, "evidence"):
        return [not_allowed(ctx.person, "evidence")]
    unit = target_unit(store, ctx, u, "score")
    if isinstance(unit, Reply):
        return [unit]
    if unit.id != ctx.unit.id:
        u = read(store, ctx, ctx.msg.text, slots(store, catalogs, unit, ctx.today))
    found = collect(store, catalogs, unit, ctx.today)
    titles = dict(found.kpis)
    asked = _asked(u, titles)
    example = "“ลบหลักฐาน ตชว.ทีม 1 ไฟล์ที่ 2” (ดูลำดับไฟล์ได้จาก “ดูหลักฐาน ตชว.ทีม 1”)"
    if not asked:
        return [Reply(f"ต้องการถอนหลักฐานของตัวชี้วัดไหนคะ กรุณาระบุตัวชี้วัดและลำดับไฟล์ เช่น {example}")]
    if len(asked) > 1:
        return [Reply("ตัวชี้วัดนี้มีทั้ง " + " และ ".join(titles[k] for k in asked)
                      + f" กรุณาระบุให้ชัด เช่น {example}")]
    key = asked[0]
    rows = numbered(found.rows, key)
    mine = [(n, r) for n, r in rows if r.evidence.person_id == ctx.person.id and r.live]
    picks = [int(v.value) for v in u.values if v.value == int(v.value) and 1 <= int(v.value) <= len(rows)]
    if len(picks) != 1:
        if not mine:
            return [Reply(f"{titles[key]}: ไม่มีหลักฐานที่ท่านส่งไว้ให้ถอนค่ะ")]
        lines = [f"ต้องการถอนไฟล์ไหนคะ หลักฐานที่ท่านส่งไว้ของ {titles[key]}:"]
        lines += [file_line(n, r) for n, r in mine[-SHOWN:]]
        lines.append(f"พิมพ์ลำดับไฟล์ เช่น “ลบหลักฐาน {ref_th(mine[-1][1])} ไฟล์ที่ {mine[-1][0]}”")
        return [Reply("\n".join(lines))]
    n, row = rows[picks[0] - 1]
    if row.evidence.person_id != ctx.person.id:
        return [Reply(f"ขออภัยค่ะ ไฟล์ที่ {n:,} ของ {titles[key]} ส่งโดย {row.sender} "
                      "ถอนได้เฉพาะหลักฐานที่ท่านส่งเองค่ะ")]
    if not row.live:
        return [Reply(f"ไฟล์ที่ {n:,} ของ {titles[key]} ถอนไปแล้วเมื่อ {texts.day_th(row.retracted_at.date())} ค่ะ")]
    store.retract_evidence(row.evidence.id, ctx.person.id, at=ctx.msg.sent_at)
    return [Reply(f"ถอนหลักฐานแล้วค่ะ: {titles[key]} ไฟล์ที่ {n:,}\n{file_line(n, row)}\n"
                  "ไฟล์ยังเก็บไว้เป็นประวัติ แต่จะไม่นับเป็นหลักฐาน ไม่ส่งกลับ และไม่อยู่ในชุดหลักฐานที่ส่งออก")]


VIEWS = {"evidence_list": answer, "evidence_send": send_back, "evidence_retract": retract}  # intent -> view
