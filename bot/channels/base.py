"""What every channel shares: the two protocols between a channel and the runtime, and long replies cut
for a channel's per-message limit (Telegram 4,096, LINE 5,000 characters).

Channels are adapters only: they import the message model (handlers/messages.py), the audience rules
(handlers/audience.py) and texts, and this module; never the store or the runtime. What they need from the
running bot they reach through ``Host`` (bot/run/runtime.py's ``Runtime`` implements it); what the
runtime and the reminders need from a channel is ``Channel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from handlers.messages import Incoming, Reply


@dataclass(frozen=True)
class PushResult:
    ok: bool
    blocked: bool = False  # the person blocked the bot / unfollowed (Telegram 403, LINE 403)
    error: str | None = None
    unknown: bool = False  # failed after a request that may have reached the channel (a 5xx/timeout): perhaps delivered
    requests: int | None = None  # HTTP requests the push made (None: the channel does not count them)


class Channel(Protocol):
    """A chat channel as the runtime and the reminders see it: push a reply to a person's id on it.
    The same ``key`` twice delivers once where the channel can (LINE's X-Line-Retry-Key)."""

    name: str  # "telegram" | "line"

    async def push(self, external_id: str, reply: Reply, *, key: str | None = None) -> PushResult: ...


class Host(Protocol):
    """The running bot as a channel sees it (implemented by bot/run/runtime.py's Runtime)."""

    channels: dict[str, Channel]  # the running channels by name: a channel adds itself when it starts

    async def start(self) -> None:
        """Ready for the first message (Thai NLP warm, the conversation process up); idempotent."""

    async def handle(self, msg: Incoming) -> list[Reply]:
        """One message through the conversation; errors come back as a Thai apology."""

    async def role(self, channel: str, external_id: str) -> str | None:
        """The role of the person behind an id on a channel; None when nobody is registered with it."""

    async def person_name(self, channel: str, external_id: str) -> str | None:
        """The name of the person behind an id; None when nobody is registered with it."""

    async def set_reachable(self, channel: str, external_id: str, reachable: bool) -> bool:
        """Mark the person behind an id (un)reachable (blocked, unfollowed, back); False when unknown."""

    async def first_delivery(self, channel: str, event_id: str, now: datetime) -> bool:
        """Record a webhook event id; False when it was seen before (a redelivery)."""

    async def forget_events(self, channel: str, before: datetime) -> int:
        """Drop seen event ids older than ``before``."""

    async def notify_admins(self, text: str, key: str, now: datetime, stage: str = "notice") -> int:
        """Tell every admin once per ``key`` and ``stage`` on their preferred running channel; how many
        were told (handlers/audience.py decides who and where)."""


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at line ends where possible; never an empty list."""
    text = text.strip("\n") or " "
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current or " ")
    return pieces
