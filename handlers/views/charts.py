"""Charts on request ("กราฟ", "กราฟอันดับ", "กราฟ ตชว.1"), drawn by the Renderer port (bot/exports/charts.py).

- A unit with ranked children (a province, for someone who may see the overview): the children's ranking,
  bars coloured by band; "กราฟ เบตง" or a unit without children (a district, a reporter's unit): the
  unit's KPI levels, one chart per agreement; a KPI named: its monthly trend (views/risk.trend_answer).
- Each Reply carries the PNG and a one-line caption. Without a renderer the same figures come as text and a
  line says charts are not available here.
"""

from __future__ import annotations

from collections.abc import Mapping

from scoring.model import Catalog

from .. import audience, texts
from ..context import Ctx
from ..messages import Reply
from ..nlu import Understanding
from ..permissions import allowed
from ..ports import Renderer, Store
from .appraisal import BAND_NAMES, KIND_TH, ranking, sheets
from .missing import NO_FILES, file_name
from .risk import trend_answer
from .score import ranking_lines, target_unit, unit_card


def answer(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding,
           renderer: Renderer | None = None) -> list[Reply]:
    if audience.answer_where(audience.chat_kind(ctx.msg.is_group), ctx.person.role, "file") != "here":
        return [Reply(audience.ASK_PRIVATELY)]  # a reporter's chart or file never goes to a group
    if "chart:trend" in u.notes or (u.kpis and "chart:ranking" not in u.notes):
        return trend_answer(store, catalogs, ctx, u, renderer, chart=True)
    unit = target_unit(store, ctx, u, "chart")
    if isinstance(unit, Reply):
        return [unit]
    rows = ranking(store, catalogs, unit, ctx.today) if allowed(ctx.person, "overview") and not u.unit else []
    if rows:
        title = f"อันดับคะแนน{KIND_TH.get(unit.kind, '')}{unit.name}"
        if renderer is None:
            return [Reply("\n".join(ranking_lines(unit, rows, ctx.today)) + f"\n{NO_FILES}")]
        image = renderer.ranking_chart(rows, title, BAND_NAMES)
        return [Reply(f"{title} ณ {texts.day_th(ctx.today)} (รายทีมและรายบุคคลแยกกัน)", image=image,
                      image_name=file_name("ranking", unit, ctx.today, "png"))]
    unit_sheets = sheets(store, catalogs, unit, ctx.today)
    if not unit_sheets:
        return [Reply(f"{unit.name}: ยังไม่มีข้อตกลงตัวชี้วัดในรอบนี้ค่ะ")]
    if renderer is None:
        card = unit_card(store, catalogs, unit, ctx.today)
        return [Reply(f"{card.text}\n{NO_FILES}")]
    out = []
    for i, sheet in enumerate(unit_sheets, 1):
        caption = (f"ระดับรายตัวชี้วัด {sheet.set_name} {unit.name}: {texts.score(sheet.score100)} คะแนน "
                   f"({sheet.band}) ณ {texts.day_th(ctx.today)}")
        out.append(Reply(caption, image=renderer.levels_chart(sheet),
                         image_name=file_name(f"levels-{i}", unit, ctx.today, "png")))
    return out
