"""Back-end for requests flow cannot express (per-area minimums): OR-Tools CP-SAT.

One Boolean per candidate pair; at most one pair per newcomer; at most ``capacity`` pairs
per local; at least ``area_minimum[a]`` matched newcomers in each area ``a``; maximise the
sum of :meth:`AssignmentProblem.weights`. The weights are already integers (scores are
scaled by ``SCORE_SCALE`` upstream), which is what CP-SAT needs. Totals up to ~1e14 are far
below CP-SAT's int64 overflow check (it validates sum |coef| × domain < 2**63 at solve
time and would answer MODEL_INVALID, which is raised here).

CP-SAT is much slower than flow on large models (it proved optimality only up to ~1,000
newcomers in a minute in our measurements), so callers should hint it with the flow
optimum of the problem without side constraints (see ``buddymatch.solvers.solve``).
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
from ortools.sat.python import cp_model

from buddymatch._errors import SolverRefusal
from buddymatch._problem import AssignmentProblem, IntArray, SolverOutput


def _groups(keys: IntArray, size: int) -> list[IntArray]:
    """Pair indices grouped by ``keys`` (one array per key value 0..size-1), via argsort."""
    if size == 0:
        return []
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=size)
    return np.split(order, np.cumsum(counts)[:-1])


class CpSatSolver:
    """Maximum-weight pairs with capacities and per-area minimums; exact given time.

    Deterministic: ``num_workers=1`` with ``random_seed=seed``. A single worker follows
    the same search path for the same model whatever the machine's core count and load
    (unless a time limit cuts it short). ``interleave_search`` is deterministic too, but
    measured on hinted models with binding area minimums (2 cores) it took 8-16 s where
    one worker took 1.8 s (1,000 newcomers) and 28 s vs 9 s (3,000); two ordinary workers
    were no faster than one and are not deterministic. ``time_limit`` counts from the call
    (model building included); with no solution by then, ``solve`` raises RuntimeError.
    """

    name: str = "cpsat"

    def __init__(self, num_workers: int = 1, log_search_progress: bool = False) -> None:
        self.num_workers = num_workers
        self.log_search_progress = log_search_progress

    def cannot_express(self, problem: AssignmentProblem) -> str | None:
        return None

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
        k = problem.n_pairs
        weights = problem.weights()
        model = cp_model.CpModel()
        # Created first, so pair k is proto variable k (used for the hint and solution).
        x = [model.new_bool_var("") for _ in range(k)]

        for group in _groups(problem.pair_newcomer, problem.n_newcomers):
            if len(group) > 1:
                model.add_at_most_one(x[i] for i in group)
        local_groups = _groups(problem.pair_local, problem.n_locals)
        for local, group in enumerate(local_groups):
            if len(group) > int(problem.capacity[local]):
                model.add(
                    cp_model.LinearExpr.sum([x[i] for i in group]) <= int(problem.capacity[local])
                )
        if problem.has_side_constraints:
            assert problem.newcomer_area is not None and problem.area_minimum is not None
            minimum = problem.area_minimum
            pair_area = problem.newcomer_area[problem.pair_newcomer]
            # Areas outside 0..len(minimum)-1 (e.g. -1 for "unknown") have no minimum.
            pair_area = np.where((pair_area >= 0) & (pair_area < len(minimum)), pair_area, -1)
            in_range = np.flatnonzero(pair_area >= 0)
            area_groups = _groups(pair_area[in_range], len(minimum))
            for area in np.flatnonzero(minimum > 0):
                members = in_range[area_groups[area]]
                model.add(cp_model.LinearExpr.sum([x[i] for i in members]) >= int(minimum[area]))
        model.maximize(cp_model.LinearExpr.weighted_sum(x, weights.tolist()))

        if hint is not None:
            # A complete hint (1 for hinted pairs, 0 elsewhere) written straight into the
            # proto: one call instead of one add_hint per pair.
            values = np.zeros(k, dtype=np.int64)
            values[np.asarray(hint, dtype=np.int64)] = 1
            model.proto.solution_hint.vars.extend(range(k))
            model.proto.solution_hint.values.extend(values.tolist())

        solver = cp_model.CpSolver()
        solver.parameters.random_seed = seed
        solver.parameters.num_workers = self.num_workers
        solver.parameters.log_search_progress = self.log_search_progress
        if time_limit is not None:  # counted from the call: model building included
            spent = time.perf_counter() - start
            solver.parameters.max_time_in_seconds = max(float(time_limit) - spent, 0.0)
        status = solver.solve(model)

        if status == cp_model.INFEASIBLE:
            return SolverOutput(
                chosen=np.zeros(0, dtype=np.int64),
                status="infeasible",
                objective=0,
                bound=None,
                solver=self.name,
                seconds=time.perf_counter() - start,
            )
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError(
                f"CP-SAT ended with status {solver.status_name(status)} and no solution"
                + (f" within {time_limit} s" if time_limit is not None else "")
            )
        solution = np.asarray(solver.response_proto.solution, dtype=np.int64)[:k]
        chosen = np.flatnonzero(solution).astype(np.int64)
        objective = problem.objective_value(chosen)
        result: Literal["optimal", "feasible"]
        if status == cp_model.OPTIMAL:
            result, bound = "optimal", objective
        else:
            # A float for CP-SAT; round towards the objective, never below it.
            result, bound = "feasible", max(int(np.floor(solver.best_objective_bound)), objective)
        return SolverOutput(
            chosen=chosen,
            status=result,
            objective=objective,
            bound=bound,
            solver=self.name,
            seconds=time.perf_counter() - start,
        )
