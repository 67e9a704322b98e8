"""`make bench`: run every benchmark module and print its figures."""

from __future__ import annotations

from bench import scoring_bench


def main() -> None:
    for module in (scoring_bench,):
        module.main()


if __name__ == "__main__":
    main()
