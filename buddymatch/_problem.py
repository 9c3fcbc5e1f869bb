"""The assignment problem as a solver sees it: arrays over candidate pairs, nothing else.

Scores are floats upstream; solvers work on integers. ``SCORE_SCALE`` fixes the
resolution (0.001 of a score point). Coordinators' decisions are applied before a
problem is built: forbidden pairs are not candidates, pinned newcomers are left out and
their locals' capacity reduced, so every back-end honours them alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

SCORE_SCALE = 1000
Objective = Literal["count", "score"]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class AssignmentProblem:
    """Candidate pairs ``(pair_newcomer[k], pair_local[k])`` with integer ``pair_score[k]``.

    With ``objective="count"`` a solution first matches as many newcomers as possible and
    then has the highest total score; with ``"score"`` only the total score counts (pairs
    with a score ≤ 0 are then never worth making and should not be candidates).
    ``area_minimum[a]`` asks for at least that many matched newcomers with
    ``newcomer_area == a`` (only some back-ends can express it).
    """

    n_newcomers: int
    n_locals: int
    capacity: IntArray
    pair_newcomer: IntArray
    pair_local: IntArray
    pair_score: IntArray
    objective: Objective = "count"
    newcomer_area: IntArray | None = None
    area_minimum: IntArray | None = None
    pair_keep: NDArray[np.bool_] | None = None
    _weight: IntArray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        k = len(self.pair_newcomer)
        if len(self.pair_local) != k or len(self.pair_score) != k:
            raise ValueError("pair_newcomer, pair_local and pair_score must have one length")
        if len(self.capacity) != self.n_locals:
            raise ValueError("capacity needs one entry per local")
        if (self.area_minimum is None) != (self.newcomer_area is None):
            raise ValueError("area_minimum and newcomer_area go together")
        if self.pair_keep is not None and len(self.pair_keep) != k:
            raise ValueError("pair_keep needs one entry per pair")

    @property
    def n_pairs(self) -> int:
        return len(self.pair_newcomer)

    @property
    def has_side_constraints(self) -> bool:
        return self.area_minimum is not None and bool(np.any(self.area_minimum > 0))

    @property
    def max_pairs(self) -> int:
        """An upper bound on how many pairs any solution can have."""
        return int(min(self.n_newcomers, int(self.capacity.sum()), self.n_pairs))

    @property
    def count_bonus(self) -> int:
        """Added to every pair's weight under ``objective="count"``: large enough that one
        more pair always outweighs any difference in score."""
        if self.objective != "count" or self.n_pairs == 0:
            return 0
        s_max = max(int(self.pair_score.max()), 0)
        s_min = min(int(self.pair_score.min()), 0)
        return self.max_pairs * (s_max - s_min) - s_min + 1

    def weights(self) -> IntArray:
        """The integer each solver maximises the sum of (count bonus + score).

        With ``pair_keep`` (pairs of an earlier matching, e.g. a what-if's base) the weight is
        scaled by one more than the number of such pairs and kept pairs get +1: among the
        best solutions the one that keeps the most earlier pairs wins, and nothing else moves.
        """
        if self._weight is None:
            w = self.pair_score.astype(np.int64) + self.count_bonus
            if self.pair_keep is not None and self.pair_keep.any():
                w = w * (int(self.pair_keep.sum()) + 1) + self.pair_keep.astype(np.int64)
            object.__setattr__(self, "_weight", w)
        assert self._weight is not None
        return self._weight

    def objective_value(self, chosen: IntArray) -> int:
        return int(self.weights()[chosen].sum())


@dataclass(frozen=True)
class SolverOutput:
    """What a back-end found: indices of the chosen candidate pairs and how sure it is.

    ``status`` is ``"optimal"`` (proven), ``"feasible"`` (time ran out with a solution) or
    ``"infeasible"``. ``objective`` and ``bound`` are in the units of
    :meth:`AssignmentProblem.weights`.
    """

    chosen: IntArray
    status: Literal["optimal", "feasible", "infeasible"]
    objective: int
    bound: int | None
    solver: str
    seconds: float
    notes: tuple[str, ...] = ()
