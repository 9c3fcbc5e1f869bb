"""The one interface every solver back-end implements."""

from __future__ import annotations

from typing import Protocol

from buddymatch._problem import AssignmentProblem, IntArray, SolverOutput


class Solver(Protocol):
    """A back-end that finds the maximum-weight set of pairs of an AssignmentProblem."""

    name: str

    def cannot_express(self, problem: AssignmentProblem) -> str | None:
        """Why this back-end cannot solve ``problem`` exactly, or ``None`` if it can."""
        ...

    def solve(
        self,
        problem: AssignmentProblem,
        *,
        time_limit: float | None = None,
        seed: int = 0,
        hint: IntArray | None = None,
    ) -> SolverOutput:
        """Solve ``problem``; raise SolverRefusal if ``cannot_express`` says so."""
        ...
