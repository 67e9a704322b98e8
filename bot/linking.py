"""One person, several channels: one-time link codes that attach a second channel id to a person.

A person registered on Telegram types “ขอรหัสเชื่อมบัญชี” there and gets a short code; on LINE they type
“เชื่อมบัญชี CODE” and from then on both ids are the same person with one history. Codes are stored
only as hashes (like invites), expire after 15 minutes and work once. The table comes from migration
``_v3_channel_links`` in bot/store/migrations.py.

``link_command`` is channel-agnostic: any channel calls it (in the store's owner thread) before the
handlers, so the same words work on LINE and on Telegram.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.store.sqlite import _aware, hash_code, new_code, normalize_code
from handlers.messages import Incoming, Reply
from handlers.permissions import ROLE_TH
from handlers.ports import Person

if TYPE_CHECKING:
    from bot.store.sqlite import SqliteStore

LINK_TTL = timedelta(minutes=15)
# “เชื่อมบัญชี ABCD2345”, “เชื่อม บัญชี abcd-2345”, “/link ABCD2345”
_REDEEM = re.compile(r"^\s*(?:เชื่อม\s*บัญชี|/link)\s*[:：]?\s*([A-Za-z0-9][A-Za-z0-9\s-]{5,14})\s*$")
CHANNEL_TH = {"line": "LINE", "telegram": "Telegram", "console": "คอนโซล"}


class LinkError(Exception):
    """A link code that cannot be used: reason "unknown", "used", "expired" or "taken"."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def create_link_code(store: SqliteStore, person_id: int, *, now: datetime | None = None,
                     ttl: timedelta = LINK_TTL) -> str:
    """A fresh one-time code for ``person_id``; earlier unused codes of that person stop working."""
    now = _aware(now or store.clock.now())
    code = new_code()
    with store.batch() as s:
        if s.person(person_id) is None:
            raise KeyError(person_id)
        s.db.execute("DELETE FROM link_codes WHERE person_id = ? AND used_at IS NULL", [person_id])
        s.db.execute("INSERT INTO link_codes (code_sha256, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                     [hash_code(code), person_id, now.isoformat(), (now + ttl).isoformat()])
        s._audit("create", "link_code", person_id, None, {"expires_at": now + ttl}, actor_person=person_id)
    return code


def redeem_link_code(store: SqliteStore, code: str, channel: str, external_id: str, *,
                     display_name: str | None = None, now: datetime | None = None) -> Person:
    """Attach (channel, external_id) to the person the code was made for; raises LinkError."""
    now = _aware(now or store.clock.now())
    with store.batch() as s:
        rows = list(s.db.query("SELECT * FROM link_codes WHERE code_sha256 = ?", [hash_code(code)]))
        if not rows:
            raise LinkError("unknown")
        row = rows[0]
        if row["used_at"] is not None:
            raise LinkError("used")
        if now >= _aware(datetime.fromisoformat(row["expires_at"])):
            raise LinkError("expired")
        holder = s.person_by_identity(channel, external_id)
        if holder is not None and holder.id != row["person_id"]:
            raise LinkError("taken")
        s.db.execute("UPDATE link_codes SET used_at = ?, used_channel = ?, used_external_id = ? "
                     "WHERE code_sha256 = ?", [now.isoformat(), channel, str(external_id), row["code_sha256"]])
        s._link_identity(row["person_id"], channel, str(external_id), display_name, row["person_id"])
        person = s.person(row["person_id"])
    assert person is not None
    return person


def link_command(store: SqliteStore, msg: Incoming) -> list[Reply] | None:
    """“เชื่อมบัญชี CODE” (any channel, registered or not); None when the text is not a link command."""
    if msg.choice is not None or msg.attachments:
        return None
    match = _REDEEM.match(msg.text or "")
    if match is None:
        return None
    code = normalize_code(match.group(1))
    try:
        person = redeem_link_code(store, code, msg.channel, msg.sender, display_name=msg.display_name,
                                  now=msg.sent_at)
    except LinkError as exc:
        reason = {"unknown": "ไม่พบรหัสเชื่อมบัญชีนี้", "used": "รหัสนี้ถูกใช้ไปแล้ว",
                  "expired": "รหัสนี้หมดอายุแล้ว",
                  "taken": "บัญชีนี้ลงทะเบียนเป็นผู้ใช้อีกคนอยู่แล้ว ติดต่อผู้ดูแลเพื่อย้ายบัญชีค่ะ"}[exc.reason]
        if exc.reason == "taken":
            return [Reply(reason)]
        return [Reply(f"{reason} กรุณาพิมพ์ “ขอรหัสเชื่อมบัญชี” ในช่องทางเดิมเพื่อขอรหัสใหม่ค่ะ")]
    unit = store.unit(person.unit_id)
    others = sorted({CHANNEL_TH.get(c, c) for c, _ in store.identities(person.id) if c != msg.channel})
    also = f" และ {', '.join(others)}" if others else ""
    return [Reply(f"เชื่อมบัญชีเรียบร้อยค่ะ คุณ{person.name} ({ROLE_TH.get(person.role, person.role)} "
                  f"{unit.name if unit else ''})\nใช้งานได้ทั้งทาง {CHANNEL_TH.get(msg.channel, msg.channel)}{also} "
                  "ด้วยข้อมูลชุดเดียวกัน พิมพ์ “วิธีใช้” เพื่อดูคำสั่ง")]
