"""The one message model: channel updates in, replies out (DESIGN.md "One message model")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Attachment:
    """A photo or file. `load` returns the original bytes (channels download lazily)."""

    load: Callable[[], bytes]
    mime: str | None = None
    size: int | None = None
    file_name: str | None = None
    kind: str = "file"  # "photo" (compressed by the channel) | "file" (original bytes, keeps EXIF)


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
