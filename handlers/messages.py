"""The one message model: channel updates in, replies out (DESIGN.md "One message model")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO


@dataclass(frozen=True)
class Attachment:
    """A photo or file. `load` returns the original bytes (channels download lazily); `mime`, `size` and
    `file_name` are what the sender claims, never trusted. `read(limit)` gives at most `limit` bytes: from
    `stream` when the channel offers one (a huge file is then never read whole), else from `load`."""

    load: Callable[[], bytes]
    mime: str | None = None
    size: int | None = None
    file_name: str | None = None
    kind: str = "file"  # "photo" (compressed by the channel) | "file" (original bytes, keeps EXIF)
    stream: Callable[[], BinaryIO] | None = None  # opens the bytes as a file-like object, read once

    def read(self, limit: int) -> bytes:
        """At most `limit` bytes, counted on what is received (the claimed `size` plays no part)."""
        if self.stream is None:
            return self.load()[:limit]
        parts: list[bytes] = []
        left = limit
        with self.stream() as fh:
            while left > 0:  # a raw stream may return less than asked before its end
                chunk = fh.read(min(left, 1 << 20))
                if not chunk:
                    break
                parts.append(chunk)
                left -= len(chunk)
        return b"".join(parts)


@dataclass(frozen=True)
class Incoming:
    channel: str  # "console" | "telegram" | "line"
    sender: str  # sender id on that channel
    chat: str  # chat id on that channel
    text: str
    sent_at: datetime  # the channel's timestamp (aware, Asia/Bangkok or UTC)
    message_id: str = ""
    attachments: tuple[Attachment, ...] = ()
    choice: str | None = None  # the data of a pressed button / chosen option
    display_name: str | None = None
    is_group: bool = False

    @property
    def chat_key(self) -> str:
        return f"{self.channel}:{self.chat}:{self.sender}"


@dataclass(frozen=True)
class Choice:
    label: str  # Thai, shown on the button
    data: str  # short (Telegram callback data is 1-64 bytes)


@dataclass(frozen=True)
class CardRow:
    """One line of a card: a KPI and its level, say."""

    label: str  # "ตชว.1 เบิกจ่าย"
    value: str  # "ระดับ 4", "ยังไม่รายงาน"
    note: str = ""  # "น้ำหนัก 50"
    colour: str = "#616e7c"  # of the value: the level's (handlers/views/palette.py TONE_COLOURS)


@dataclass(frozen=True)
class Card:
    """A score card as a channel that draws cards shows it (LINE: a Flex bubble); the Reply's text says
    the same for every other channel, and is the card's alternative text."""

    title: str  # "คะแนนปัจจุบัน เมืองยะลา"
    subtitle: str  # "ตัวชี้วัดรายทีม · ณ 16 มิ.ย. 2568"
    rows: tuple[CardRow, ...]
    total: str  # "40.00 คะแนน"
    band: str  # "ระดับต้องปรับปรุง"
    colour: str  # the band's (handlers/views/palette.py band_colour)
    notes: tuple[str, ...] = ()  # short lines under the total (incomplete, weights)


@dataclass
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    image: bytes | None = None
    image_name: str | None = None
    document: bytes | None = None
    document_name: str | None = None
    edit: bool = False  # replace the card the pressed button belongs to
    meta: dict[str, object] = field(default_factory=dict)
    cards: tuple[Card, ...] = ()  # the text as cards, for a channel that draws them (LINE Flex)
