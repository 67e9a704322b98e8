"""Who may be answered where: the conversation's rules about audiences, the same for every channel.

Pure functions, no I/O. Guarantees:
- In a private chat everyone is answered there.
- In a group only chiefs, coordinators and admins are answered in the group (their cards are the unit's
  business); anyone else, registered or not, is answered in their private chat, so one person's figures,
  invite and link codes never reach a group. A note to the group without figures ("answered privately",
  "open a private chat first") is the only thing such a person's message may cause there.
- Codes (invites, link codes) are never answered in a group, whoever asks: ``answer_where(chat, role, "code")``
  is "private" there and the conversation answers with ``CODE_IN_GROUP`` (one line, no code made).
- A button on a card in a group acts only for the person the card was made for: channels tag the card's
  button data with its owner (``own_choices``) and check a press with ``owner_of``/``may_press``; anyone
  else gets ``BUTTON_OF`` and nothing is done.
- Charts and files (Excel, PDF) follow the answer rule: in a group only to chiefs, coordinators and admins
  (``answer_where(chat, role, "file")``); a person's contact (phone) never goes to a group, in text or in a
  file (``shows_contacts``): the missing list and the workbook leave phones out there.
- Notices to staff (a channel's quota running out) go to admins only, once each, on the first channel
  they can be reached on in ``NOTICE_CHANNELS`` order: Telegram first, because a LINE push costs quota.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Literal

from .messages import Choice

Chat = Literal["private", "group"]
Where = Literal["here", "private"]  # the chat the message came from, or the sender's private chat
ReplyKind = Literal["answer", "group_note", "code", "file"]

GROUP_ROLES = frozenset({"chief", "coordinator", "admin"})  # may be answered inside a group
NOTICE_ROLES = frozenset({"admin"})  # receive notices about the bot itself (LINE quota)
NOTICE_CHANNELS = ("telegram", "line")  # the order notices try a person's channels in
OWNER_SEP = "~"  # button data "ok~<owner id>": never in the conversation's own data (k:0, p:-, ok, …)

CODE_IN_GROUP = "รหัสเชิญและรหัสเชื่อมบัญชีขอและใช้ได้ในแชทส่วนตัวกับบอทเท่านั้นค่ะ (ในกลุ่มผู้อื่นจะเห็นรหัส)"
ASK_PRIVATELY = "ข้อมูลรายบุคคลไม่แสดงในกลุ่มค่ะ กรุณาพิมพ์ถึงบอทในแชทส่วนตัว (เพิ่มบอทเป็นเพื่อนก่อน)"
BUTTON_OF = "ปุ่มนี้เป็นของ{name}ค่ะ"


def chat_kind(is_group: bool) -> Chat:
    return "group" if is_group else "private"


def answer_where(chat: Chat, role: str | None, kind: ReplyKind = "answer") -> Where:
    """Where a reply to someone with ``role`` (None: not registered) goes, for a message sent in ``chat``."""
    if chat == "private":
        return "here"
    if kind == "code":
        return "private"
    if kind == "group_note" or role in GROUP_ROLES:
        return "here"
    return "private"


def shows_contacts(chat: Chat) -> bool:
    """People's phones are shown in private chats only."""
    return chat == "private"


def own_choices(choices: Sequence[Choice], owner: str, limit: int) -> tuple[Choice, ...]:
    """The card's buttons tagged with the id of the person it was made for (data of at most ``limit``
    bytes: a button whose tagged data would not fit keeps its data untagged)."""
    out = []
    for c in choices:
        tagged = f"{c.data}{OWNER_SEP}{owner}"
        out.append(replace(c, data=tagged) if len(tagged.encode()) <= limit else c)
    return tuple(out)


def owner_of(data: str) -> tuple[str, str | None]:
    """(the conversation's own button data, the card's owner or None when untagged)."""
    base, sep, owner = data.rpartition(OWNER_SEP)
    return (base, owner) if sep and base and owner else (data, None)


def may_press(owner: str | None, presser: str) -> bool:
    """A tagged card's buttons work only for its owner; untagged ones (private chats) for whoever sees them."""
    return owner is None or owner == presser


def button_of(name: str | None) -> str:
    return BUTTON_OF.format(name=f"คุณ{name} " if name else "ผู้อื่น")


def receives_notices(role: str | None) -> bool:
    return role in NOTICE_ROLES


def notice_channel(identities: Mapping[str, str], running: Collection[str]) -> str | None:
    """The channel a notice goes to: the first of NOTICE_CHANNELS the person has an identity on and
    that is running; None when there is none."""
    for channel in NOTICE_CHANNELS:
        if channel in identities and channel in running:
            return channel
    return None
