"""What a matching run gives back: pairs with their reasons, and who is still waiting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

UnmatchedCode = Literal[
    "no_language",
    "reach",
    "language",
    "time",
    "transport_runs",
    "gender",
    "forbidden",
    "not_worth",
    "taken",
]


@dataclass(frozen=True, slots=True)
class Pair:
    """One newcomer–local pair and why it was made.

    ``contributions`` holds each feature's part of the score; they add up to ``score``.
    """

    newcomer_id: str
    local_id: str
    score: float
    contributions: Mapping[str, float]
    language: str | None
    language_level: str | None
    dutch_practice: bool
    travel_min: float | None
    travel_mode: str | None
    who_travels: str | None
    shared_interests: tuple[str, ...]
    common_slots: int
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A newcomer left waiting, with the reason in a coordinator's words."""

    newcomer_id: str
    code: UnmatchedCode
    reason: str


@dataclass(frozen=True)
class MatchResult:
    """Pairs, unmatched newcomers, and how the solver got there.

    ``objective`` and ``bound`` are in the solver's integer units (see ``AssignmentProblem``);
    ``status == "optimal"`` means the solver proved no better set of pairs exists.
    """

    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    solver: str
    status: str
    objective: int
    bound: int | None
    objective_kind: Literal["count", "score"]
    n_newcomers: int
    n_locals: int
    n_candidates: int
    seed: int
    seconds: float
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def matched_count(self) -> int:
        return len(self.pairs)

    @property
    def total_score(self) -> float:
        return round(sum(p.score for p in self.pairs), 3)

    def summary(self) -> str:
        share = self.matched_count / self.n_newcomers if self.n_newcomers else 0.0
        return (
            f"{self.matched_count} of {self.n_newcomers} newcomers matched ({share:.0%}), "
            f"total score {self.total_score:.3f}, solver {self.solver} ({self.status})"
        )
