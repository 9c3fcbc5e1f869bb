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
    With learned weights (a probability model) ``score`` is ``probability`` rounded to
    0.001, and the contributions plus the model's intercept add up to its log-odds.
    """

    newcomer_id: str
    local_id: str
    score: float
    probability: float | None
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
    explored: bool = False


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

    @property
    def expected_met_twice(self) -> float | None:
        """Expected number of pairs that meet twice or more (learned weights only)."""
        probs = [p.probability for p in self.pairs]
        if not probs or any(p is None for p in probs):
            return None
        return float(sum(p for p in probs if p is not None))

    def summary(self) -> str:
        share = self.matched_count / self.n_newcomers if self.n_newcomers else 0.0
        expected = self.expected_met_twice
        met = "" if expected is None else f", {expected:.1f} pairs expected to meet twice"
        return (
            f"{self.matched_count} of {self.n_newcomers} newcomers matched ({share:.0%}), "
            f"total score {self.total_score:.3f}{met}, solver {self.solver} ({self.status})"
        )
