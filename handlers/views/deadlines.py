"""Deadlines: the next cutoffs of the sender's unit (calendar.deadlines), or of the one KPI a message
names ("ตชว.7 ส่งทุกวันที่เท่าไหร่": its measuring day and next cutoffs). Dates in the Buddhist Era."""

from __future__ import annotations

from collections.abc import Mapping

from scoring.model import Catalog

from .. import texts
from ..calendar import deadlines
from ..context import Ctx
from ..messages import Reply
from ..nlu import Understanding
from ..ports import Store
from .criteria import deadline_reply, named_keys, outside


def answer(store: Store, catalogs: Mapping[str, Catalog], ctx: Ctx, u: Understanding) -> list[Reply]:
    keys = named_keys(store, ctx, u, ctx.slots)
    if len(keys) == 1:  # "ตชว.7 ส่งทุกวันที่เท่าไหร่": that KPI's measuring day and next cutoffs
        slot = next(s for s in ctx.slots if s.key == keys[0])
        return [Reply(deadline_reply(slot, ctx.unit, deadlines([slot], ctx.today), ctx.today))]
    other = None if keys else outside(store, catalogs, ctx, ctx.unit, ctx.slots, u.text)
    if other is not None:
        return [Reply(deadline_reply(other, ctx.unit, [], ctx.today, in_agreement=False))]
    items = deadlines(ctx.slots, ctx.today)
    if not items:
        return [Reply("ไม่มีกำหนดส่งที่ใกล้จะถึงค่ะ")]
    lines = ["กำหนดส่งที่ใกล้จะถึง:"]
    for item in items[:12]:
        lines.append(f"{texts.day_th(item.day)} — {item.text}")
    return [Reply("\n".join(lines))]
