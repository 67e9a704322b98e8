"""Catalog errors and warnings: file, line, and a plain message in Thai and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    th: str
    en: str
    severity: str = "error"  # "error" | "warning"
    code: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.th} / {self.en}"


class CatalogError(Exception):
    """A catalog that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class RubricError(ValueError):
    """A rubric text (condition, formula) that cannot be read; message in both languages."""

    def __init__(self, th: str, en: str):
        self.th = th
        self.en = en
        super().__init__(en)


class EvaluationError(ValueError):
    """Inputs that cannot be scored (unknown input, missing unit, out of range)."""

    def __init__(self, th: str, en: str, code: str = "invalid"):
        self.th = th
        self.en = en
        self.code = code
        super().__init__(en)
