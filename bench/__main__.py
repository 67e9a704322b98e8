"""`make bench`: run every benchmark module and print its figures."""

from __future__ import annotations

import importlib


def main() -> None:
    for name in ("scoring_bench", "cli_bench", "nlu_bench", "telegram_bench", "line_bench", "reminders_bench",
                 "store_bench", "charts_bench", "national", "faults"):
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main()
