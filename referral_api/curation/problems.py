"""Problems found while loading a catalogue or rules: ``file:line: field: message``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing a curator should fix (error) or look at (warning)."""

    file: str
    line: int | None
    field: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def where(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def __str__(self) -> str:
        prefix = "" if self.is_error else "warning: "
        return f"{self.where}: {self.field}: {prefix}{self.message}"


class ProblemLog:
    """Collects problems so that validation reports all of them, not just the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, file: str, line: int | None, field: str, message: str) -> None:
        self.problems.append(Problem(file, line, field, message, Severity.ERROR))

    def warn(self, file: str, line: int | None, field: str, message: str) -> None:
        self.problems.append(Problem(file, line, field, message, Severity.WARNING))

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)

    def sorted(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.file, p.line or 0, p.field, p.message))
