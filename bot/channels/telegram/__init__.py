"""Telegram: python-telegram-bot over HTTP (`channel`), with our aiohttp transport (`http`)."""
