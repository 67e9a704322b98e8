"""Files on request: "ขอไฟล์ excel" / "ส่งออก" -> the official Excel form (views/appraisal.book of the unit:
a province's districts ranked, one sheet per unit and agreement, the missing items); "ขอ pdf" (a chief:
"ขอ pdf เบตง") -> the unit's appraisal summary to sign. The unit is the one named, if the sender may see it,
else the sender's own (a reporter: always their own). In a group phones are left out of the workbook
(handlers/audience.shows_contacts). Without a renderer: a short text saying files are not available here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from scoring.model import Catalog

from .. import audience, texts
from ..context import Ctx
from ..messages import Reply
from ..nlu import Understanding
from ..ports import Renderer, Store
from .appraisal import book, sheets
from .missing import NO_FILES, file_name
from .score import target_unit


def answer(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding,
           renderer: Renderer | None = None) -> list[Reply]:
    if audience.answer_where(audience.chat_kind(ctx.msg.is_group), ctx.person.role, "file") != "here":
        return [Reply(audience.ASK_PRIVATELY)]  # a reporter's chart or file never goes to a group
    unit = target_unit(store, ctx, u, "export")
    if isinstance(unit, Reply):
        return [unit]
    if renderer is None:
        return [Reply(f"ขออภัยค่ะ {NO_FILES}")]
    when = texts.day_th(ctx.today)
    if "pdf" in u.notes:
        unit_sheets = sheets(store, catalogs, unit, ctx.today)
        if not unit_sheets:
            return [Reply(f"{unit.name}: ยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้ จึงยังไม่มีแบบสรุปให้ลงนามค่ะ"
                          + (" (ขอของอำเภอ เช่น “ขอ pdf เบตง”)" if unit.kind == "province" else ""))]
        data = renderer.appraisal_pdf(unit_sheets)
        return [Reply(f"สรุปผลการประเมิน {unit.name} ณ {when} ({len(unit_sheets)} หน้า) สำหรับลงนามค่ะ",
                      document=data, document_name=file_name("appraisal", unit, ctx.today, "pdf"))]
    b = book(store, catalogs, unit, ctx.today)
    if not audience.shows_contacts(audience.chat_kind(ctx.msg.is_group)):
        b = replace(b, missing=tuple(replace(m, phone="") for m in b.missing))
    data = renderer.workbook(b)
    what = f"{len(b.ranking):,} หน่วยงาน · " if b.ranking else ""
    return [Reply(f"แบบรายงานผลการประเมิน {b.title} {b.round_label} ณ {when}\n"
                  f"{what}{len(b.sheets):,} แบบประเมิน · ค้างส่ง {len(b.missing):,} รายการ",
                  document=data, document_name=file_name("appraisal", unit, ctx.today, "xlsx"))]
