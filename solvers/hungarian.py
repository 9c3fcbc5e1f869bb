"""Exact back-end on a dense matrix: ``scipy.optimize.linear_sum_assignment``.

Each local becomes as many columns ("slots") as it can take pairs, so capacities turn into
a plain rectangular assignment. Dense memory grows with newcomers × slots, which is why the
back-end refuses problems above ``max_cells`` and why flow is the default; it stays useful
as an independent second opinion and as the fallback when flow fails.
"""

from __future__ import annotations

import time

import numpy as np

from buddymatch._errors import SolverRefusal
from buddymatch._problem import AssignmentProblem, IntArray, SolverOutput

# scipy works in float64: integers are exact below 2**53, and its dual updates add and
# subtract weights, so totals must stay in that range for the optimum to be exact.
_FLOAT_EXACT = 2**53


class _Dense:
    """Rows = newcomers with a candidate, columns = local slots; one best pair per cell."""

    def __init__(self, problem: AssignmentProblem) -> None:
        weights = problem.weights()
        # Pairs with weight ≤ 0 never raise the total; drop them. Duplicated
        # (newcomer, local) pairs keep the heaviest (upstream guarantees none).
        keep = np.flatnonzero(weights > 0)
        key = problem.pair_newcomer[keep] * problem.n_locals + problem.pair_local[keep]
        order = np.lexsort((-weights[keep], key))
        key_sorted = key[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = key_sorted[1:] != key_sorted[:-1]
        self.pairs: IntArray = keep[order[first]]  # sorted by key, unique keys
        self.keys: IntArray = key_sorted[first]

        newcomer = problem.pair_newcomer[self.pairs]
        local = problem.pair_local[self.pairs]
        self.row_newcomer: IntArray = np.unique(newcomer)
        rows = np.searchsorted(self.row_newcomer, newcomer)
        # A local never needs more slots than it has candidate newcomers.
        degree = np.bincount(local, minlength=problem.n_locals)
        slots = np.minimum(problem.capacity, degree).astype(np.int64)
        self.col_local: IntArray = np.repeat(np.arange(problem.n_locals, dtype=np.int64), slots)
        col_start = np.concatenate(([0], np.cumsum(slots)[:-1])).astype(np.int64)
        # Every pair fills all slots of its local: repeat it once per slot.
        per_pair = slots[local]
        self.entry_rows: IntArray = np.repeat(rows, per_pair)
        first_entry = np.cumsum(per_pair) - per_pair
        within = np.arange(int(per_pair.sum()), dtype=np.int64) - np.repeat(first_entry, per_pair)
        self.entry_cols: IntArray = np.repeat(col_start[local], per_pair) + within
        self.entry_weight: IntArray = np.repeat(weights[self.pairs], per_pair)
        self.shape = (len(self.row_newcomer), len(self.col_local))

    @property
    def cells(self) -> int:
        return self.shape[0] * self.shape[1]


class HungarianSolver:
    """Maximum-weight pairs via a dense newcomer × local-slot matrix; exact.

    Refuses area minimums and matrices above ``max_cells`` cells (8 bytes each, built once
    and never copied; the default 2e8 is 1.6 GB; scipy took 14 s on a dense 10,000² and
    152 s on 20,000² here). Columns are only made for the slots a local can actually fill
    (at most its number of candidates), so sparse problems stay far below the limit.
    ``time_limit``, ``seed`` and ``hint`` are ignored: scipy's solver is deterministic and
    not interruptible.
    """

    name: str = "hungarian"

    def __init__(self, max_cells: int = 200_000_000) -> None:
        self.max_cells = max_cells

    def cannot_express(self, problem: AssignmentProblem) -> str | None:
        if problem.has_side_constraints:
            return (
                f"The {self.name} solver cannot respect per-area minimums; "
                "use --solver cpsat or auto."
            )
        if problem.n_pairs == 0:
            return None
        rows, cols = self._shape(problem)
        if rows * cols > self.max_cells:
            return (
                f"The {self.name} solver would need a dense {rows:,} × {cols:,} matrix "
                f"({rows * cols:,} cells, limit {self.max_cells:,}); use --solver flow or auto."
            )
        total = int(problem.weights().max()) * max(min(rows, cols), 1)
        if total >= _FLOAT_EXACT:
            return (
                f"The {self.name} solver works in floating point and cannot sum pair weights "
                f"up to {int(problem.weights().max())} exactly; use --solver flow or auto."
            )
        return None

    @staticmethod
    def _shape(problem: AssignmentProblem) -> tuple[int, int]:
        """Matrix size without building it (bincounts only)."""
        positive = problem.weights() > 0
        rows = int(np.count_nonzero(np.bincount(problem.pair_newcomer[positive])))
        degree = np.bincount(problem.pair_local[positive], minlength=problem.n_locals)
        cols = int(np.minimum(problem.capacity, degree).sum())
        return rows, cols

    def solve(
        self,
        problem: AssignmentProblem,
        *,
        time_limit: float | None = None,
        seed: int = 0,
        hint: IntArray | None = None,
    ) -> SolverOutput:
        reason = self.cannot_express(problem)
        if reason is not None:
            raise SolverRefusal(reason)
        start = time.perf_counter()
        dense = _Dense(problem)
        chosen = np.zeros(0, dtype=np.int64)
        if dense.cells:
            from scipy.optimize import linear_sum_assignment  # lazy: ~0.8 s to import

            # Negated weights, minimised, with the shorter side as rows: scipy would
            # otherwise copy the matrix to negate or transpose it (peak memory x2).
            wide = dense.shape[0] <= dense.shape[1]
            shape = dense.shape if wide else dense.shape[::-1]
            cost = np.zeros(shape, dtype=np.float64)
            if wide:
                cost[dense.entry_rows, dense.entry_cols] = -dense.entry_weight
                rows, cols = linear_sum_assignment(cost)
            else:
                cost[dense.entry_cols, dense.entry_rows] = -dense.entry_weight
                cols, rows = linear_sum_assignment(cost)
            real = (cost[rows, cols] if wide else cost[cols, rows]) < 0  # 0 = no pair
            del cost
            key = dense.row_newcomer[rows[real]] * problem.n_locals + dense.col_local[cols[real]]
            chosen = np.sort(dense.pairs[np.searchsorted(dense.keys, key)]).astype(np.int64)
        objective = problem.objective_value(chosen)
        return SolverOutput(
            chosen=chosen,
            status="optimal",
            objective=objective,
            bound=objective,
            solver=self.name,
            seconds=time.perf_counter() - start,
        )
