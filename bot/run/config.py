"""Runtime configuration: the one place that reads the environment; runtime state lives in var/ (ignored by git).

``settings(env)`` reads every variable once into a frozen ``Settings``; everything else (the CLI, the
channels' ``from_settings``, the reminder engine) receives the values, never ``os.environ``
(tests/test_architecture.py checks). An empty variable counts as unset. README's settings tables list
every variable with its default. ``library_environment()`` is the one place that writes the environment:
two settings of libraries, not of ours, set by the entry points (the CLI, `make bench`, the test suite)
before those libraries are used.
``KPIBOT_LINE_MAX_EVENT_AGE`` (seconds, default 3600): older LINE webhook events are refused (bot/channels/line/).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def library_environment(env: os._Environ[str] | dict[str, str] = os.environ) -> None:
    """Set two libraries' own switches unless the operator set them (both are read when used, not on import).

    - ``PTB_TIMEDELTA=true``: python-telegram-bot 22.2+ gives time periods (RetryAfter.retry_after among
      them) as timedelta, its next major version's type; without the opt-in every 429 warns.
    - ``PYTHAINLP_READ_ONLY=1`` (unless ``PYTHAINLP_DATA`` names a data folder): pythainlp never writes a
      data folder under the user's home; the tokenizer's dictionary ships inside the wheel.
    """
    env.setdefault("PTB_TIMEDELTA", "true")
    if not env.get("PYTHAINLP_DATA"):
        env.setdefault("PYTHAINLP_READ_ONLY", "1")


@dataclass(frozen=True)
class Settings:
    var: Path  # KPIBOT_VAR
    db: Path  # KPIBOT_DB
    demo_db: Path  # KPIBOT_DEMO_DB
    telegram_token: str | None  # TELEGRAM_BOT_TOKEN
    line_secret: str | None  # LINE_CHANNEL_SECRET
    line_token: str | None  # LINE_CHANNEL_ACCESS_TOKEN
    conversation_process: bool = False  # KPIBOT_CONVERSATION: the conversation core in its own process
    reminder_tick: float = 60.0  # KPIBOT_REMINDER_TICK: seconds between two reminder ticks
    storage_check: float = 60.0  # KPIBOT_STORAGE_CHECK: seconds between two write probes (bot/run/watch.py)
    # Telegram (bot/channels/telegram/channel.py, TelegramSettings.from_settings)
    telegram_username: str = "kpibot"  # KPIBOT_TELEGRAM_USERNAME, for invite deep links
    telegram_base_url: str | None = None  # KPIBOT_TELEGRAM_BASE_URL
    telegram_base_file_url: str | None = None  # KPIBOT_TELEGRAM_BASE_FILE_URL
    telegram_webhook_url: str | None = None  # KPIBOT_TELEGRAM_WEBHOOK_URL
    telegram_webhook_secret: str | None = None  # KPIBOT_TELEGRAM_WEBHOOK_SECRET
    telegram_webhook_listen: str = "0.0.0.0"  # KPIBOT_TELEGRAM_WEBHOOK_LISTEN
    telegram_webhook_port: int = 8443  # KPIBOT_TELEGRAM_WEBHOOK_PORT
    telegram_poll_timeout: int = 30  # KPIBOT_TELEGRAM_POLL_TIMEOUT
    telegram_http: str = "aiohttp"  # KPIBOT_TELEGRAM_HTTP
    # LINE (bot/channels/line/channel.py, LineConfig.from_settings)
    public_base_url: str | None = None  # KPIBOT_PUBLIC_BASE_URL
    line_port: int = 8080  # KPIBOT_LINE_PORT
    line_host: str = "0.0.0.0"  # KPIBOT_LINE_HOST
    line_api_url: str | None = None  # KPIBOT_LINE_API_URL
    line_max_event_age: float = 3600.0  # KPIBOT_LINE_MAX_EVENT_AGE: seconds; older webhook events are refused

    @property
    def evidence_dir(self) -> Path:
        return self.var / "evidence"

    @property
    def has_channel(self) -> bool:
        return bool(self.telegram_token or (self.line_secret and self.line_token))


def settings(env: Mapping[str, str] | None = None) -> Settings:
    """Every setting from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        return (env.get(name) or "").strip() or None

    var = Path(get("KPIBOT_VAR") or "var")
    return Settings(
        var=var,
        db=Path(get("KPIBOT_DB") or var / "kpibot.sqlite3"),
        demo_db=Path(get("KPIBOT_DEMO_DB") or var / "demo.sqlite3"),
        telegram_token=get("TELEGRAM_BOT_TOKEN"),
        line_secret=get("LINE_CHANNEL_SECRET"),
        line_token=get("LINE_CHANNEL_ACCESS_TOKEN"),
        conversation_process=_conversation_process(get("KPIBOT_CONVERSATION") or ""),
        reminder_tick=float(get("KPIBOT_REMINDER_TICK") or 60),
        storage_check=float(get("KPIBOT_STORAGE_CHECK") or 60),
        telegram_username=(get("KPIBOT_TELEGRAM_USERNAME") or "kpibot").lstrip("@"),
        telegram_base_url=get("KPIBOT_TELEGRAM_BASE_URL"),
        telegram_base_file_url=get("KPIBOT_TELEGRAM_BASE_FILE_URL"),
        telegram_webhook_url=get("KPIBOT_TELEGRAM_WEBHOOK_URL"),
        telegram_webhook_secret=get("KPIBOT_TELEGRAM_WEBHOOK_SECRET"),
        telegram_webhook_listen=get("KPIBOT_TELEGRAM_WEBHOOK_LISTEN") or "0.0.0.0",
        telegram_webhook_port=int(get("KPIBOT_TELEGRAM_WEBHOOK_PORT") or 8443),
        telegram_poll_timeout=int(get("KPIBOT_TELEGRAM_POLL_TIMEOUT") or 30),
        telegram_http=get("KPIBOT_TELEGRAM_HTTP") or "aiohttp",
        public_base_url=(get("KPIBOT_PUBLIC_BASE_URL") or "").rstrip("/") or None,
        line_port=int(get("KPIBOT_LINE_PORT") or 8080),
        line_host=get("KPIBOT_LINE_HOST") or "0.0.0.0",
        line_api_url=(get("KPIBOT_LINE_API_URL") or "").rstrip("/") or None,
        line_max_event_age=float(get("KPIBOT_LINE_MAX_EVENT_AGE") or 3600),
    )


def _conversation_process(value: str) -> bool:
    """KPIBOT_CONVERSATION=process|inline; unset: a process when the machine has a second core."""
    value = value.strip().lower()
    if value in ("process", "inline"):
        return value == "process"
    if value:
        raise ValueError(f"KPIBOT_CONVERSATION={value!r}: use 'process' or 'inline'")
    return (os.cpu_count() or 1) > 1
