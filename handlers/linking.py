"""Account linking, one feature: one person on several channels, one history.

A person registered on Telegram types “ขอรหัสเชื่อมบัญชี” (or /link) there and gets a one-time code
(`ask`); on LINE, the console or another Telegram id they type “เชื่อมบัญชี CODE” (or /link CODE) and
from then on both ids are the same person (`redeem`). The conversation calls `redeem` before anything
else, for registered and unregistered senders alike, so the same words work on every channel
(the console included: it has no runtime of its own).

The codes themselves live in the store (`Store.create_link_code`, `Store.redeem_link_code`): only
their sha256 is kept, they expire after 15 minutes and work once; a new code replaces the unused one.
Failed attempts are throttled by the store (5 per 15 minutes per sender and per code, then
"ลองใหม่ได้ในอีก … นาที" without a lookup). Codes are never asked for or typed in a group
(handlers/audience.py, checked by the conversation before this module is asked).
This module holds the words and the Thai replies only, and runs no SQL.
"""

from __future__ import annotations

import re

from .messages import Incoming, Reply
from .permissions import ROLE_TH
from .ports import LinkError, Person, Store

ASK = ("ขอรหัสเชื่อมบัญชี", "/link")
# “เชื่อมบัญชี ABCD2345”, “เชื่อม บัญชี abcd-2345”, “/link ABCD2345”; spaces, dashes and case do not matter
_REDEEM = re.compile(r"^\s*(?:เชื่อม\s*บัญชี|/link)\s*[:：]?\s*([A-Za-z0-9][A-Za-z0-9\s-]{5,14})\s*$")
CHANNEL_TH = {"line": "LINE", "telegram": "Telegram", "console": "คอนโซล"}
_REFUSED = {"unknown": "ไม่พบรหัสเชื่อมบัญชีนี้", "used": "รหัสนี้ถูกใช้ไปแล้ว", "expired": "รหัสนี้หมดอายุแล้ว"}
_TAKEN = "บัญชีนี้ลงทะเบียนเป็นผู้ใช้อีกคนอยู่แล้ว ติดต่อผู้ดูแลเพื่อย้ายบัญชีค่ะ"


def throttled(minutes: int) -> str:
    """The answer once a sender (or a code) has had too many failed attempts (the store's throttle)."""
    return f"ใส่รหัสไม่ถูกต้องหลายครั้งแล้วค่ะ ลองใหม่ได้ในอีก {minutes} นาที"


def asks_for_code(msg: Incoming) -> bool:
    """“ขอรหัสเชื่อมบัญชี” or /link alone."""
    return msg.text.strip() in ASK


def is_redeem(msg: Incoming) -> bool:
    """“เชื่อมบัญชี CODE” (a code typed, whether it works or not)."""
    return msg.choice is None and not msg.attachments and _REDEEM.match(msg.text or "") is not None


def ask(store: Store, msg: Incoming, person: Person) -> Reply:
    """A one-time code to attach this person's id on another channel (LINE ⇄ Telegram)."""
    code = store.create_link_code(person.id)
    other = "Telegram" if msg.channel == "line" else "LINE"
    return Reply(f"รหัสเชื่อมบัญชีของท่าน: {code}\nเปิดแชทกับบอทใน {other} แล้วพิมพ์ “เชื่อมบัญชี {code}” "
                 "(ใช้ได้ครั้งเดียว ภายใน 15 นาที)")


def redeem(store: Store, msg: Incoming) -> list[Reply] | None:
    """“เชื่อมบัญชี CODE” from any sender; None when the message is not a link command."""
    if msg.choice is not None or msg.attachments:
        return None
    match = _REDEEM.match(msg.text or "")
    if match is None:
        return None
    try:
        person = store.redeem_link_code(match.group(1), msg.channel, msg.sender, display_name=msg.display_name,
                                        now=msg.sent_at)
    except LinkError as exc:
        if exc.reason == "taken":
            return [Reply(_TAKEN)]
        if exc.reason == "throttled":
            return [Reply(throttled(exc.wait_minutes))]
        return [Reply(f"{_REFUSED.get(exc.reason, 'ใช้รหัสนี้ไม่ได้')} "
                      "กรุณาพิมพ์ “ขอรหัสเชื่อมบัญชี” ในช่องทางเดิมเพื่อขอรหัสใหม่ค่ะ")]
    unit = store.unit(person.unit_id)
    others = sorted({CHANNEL_TH.get(c, c) for c, _ in store.identities(person.id) if c != msg.channel})
    also = f" และ {', '.join(others)}" if others else ""
    return [Reply(f"เชื่อมบัญชีเรียบร้อยค่ะ คุณ{person.name} ({ROLE_TH.get(person.role, person.role)} "
                  f"{unit.name if unit else ''})\nใช้งานได้ทั้งทาง {CHANNEL_TH.get(msg.channel, msg.channel)}{also} "
                  "ด้วยข้อมูลชุดเดียวกัน พิมพ์ “วิธีใช้” เพื่อดูคำสั่ง")]

__all__ = ["ASK", "CHANNEL_TH", "ask", "asks_for_code", "is_redeem", "redeem", "throttled"]
