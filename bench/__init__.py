"""Benchmarks run by `make bench`: figures and ratios, printed."""

from bot.run.config import library_environment

library_environment()  # as the kpibot entry point does, for `python -m bench.<name>` too
