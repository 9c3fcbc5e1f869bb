"""Errors a user can act on.

Data problems (a roster row, a pinned pair, a weights file) are collected and raised
together so that a coordinator can fix a whole file in one go. Misuse of the library
is a plain ``ValueError``/``TypeError``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem in an input file.

    ``row`` is the row number as a spreadsheet shows it (header = 1, first data row = 2);
    ``None`` for problems with the whole file. ``value`` is already made safe to show:
    personal cells are never echoed.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    expected: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" (found '{self.value}')"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class BuddymatchError(Exception):
    """Base of every error buddymatch raises on purpose."""


class RosterError(BuddymatchError):
    """One or more located problems in input files; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in the input"
        shown = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = "" if len(self.problems) <= 20 else f"\n  … and {len(self.problems) - 20} more"
        super().__init__(f"{head}:\n{shown}{more}")


class ConfigError(BuddymatchError, ValueError):
    """A weights or scenario file, or an option, that cannot be used as given (also a
    ``ValueError``: an argument with a value that cannot be used)."""


class SolverRefusal(BuddymatchError):
    """A solver back-end was asked for something it cannot express."""
