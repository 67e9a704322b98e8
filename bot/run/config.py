"""Runtime configuration from environment variables; runtime state lives in var/ (ignored by git)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    var: Path
    db: Path
    demo_db: Path
    telegram_token: str | None
    line_secret: str | None
    line_token: str | None
    conversation_process: bool = False  # the conversation core in its own process (bot/run/process.py)

    @property
    def evidence_dir(self) -> Path:
        return self.var / "evidence"

    @property
    def has_channel(self) -> bool:
        return bool(self.telegram_token or (self.line_secret and self.line_token))


def settings() -> Settings:
    var = Path(os.environ.get("KPIBOT_VAR", "var"))
    return Settings(
        var=var,
        db=Path(os.environ.get("KPIBOT_DB", var / "kpibot.sqlite3")),
        demo_db=Path(os.environ.get("KPIBOT_DEMO_DB", var / "demo.sqlite3")),
        telegram_token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
        line_secret=os.environ.get("LINE_CHANNEL_SECRET") or None,
        line_token=os.environ.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
        conversation_process=_conversation_process(os.environ.get("KPIBOT_CONVERSATION", "")),
    )


def _conversation_process(value: str) -> bool:
    """KPIBOT_CONVERSATION=process|inline; unset: a process when the machine has a second core."""
    value = value.strip().lower()
    if value in ("process", "inline"):
        return value == "process"
    if value:
        raise ValueError(f"KPIBOT_CONVERSATION={value!r}: use 'process' or 'inline'")
    return (os.cpu_count() or 1) > 1
