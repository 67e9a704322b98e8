"""Suite-wide: the libraries' environment switches the entry points set (bot/run/config.py)."""

from bot.run.config import library_environment

library_environment()
