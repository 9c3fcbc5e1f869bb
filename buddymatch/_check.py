"""Solver-independent checks of a matching: every back-end's answer passes through here.

Finding and checking are separate on purpose: a bug in a back-end (or in how its answer
is read back) must not be able to hide itself.
"""

from __future__ import annotations

import numpy as np

from buddymatch._problem import AssignmentProblem, IntArray, SolverOutput


def check_matching(problem: AssignmentProblem, chosen: IntArray) -> list[str]:
    """Every rule ``chosen`` (indices of candidate pairs) breaks; an empty list = valid."""
    idx = np.asarray(chosen)
    if idx.ndim != 1 or (idx.size and not np.issubdtype(idx.dtype, np.integer)):
        return [f"chosen must be a 1-d array of pair indices, got {idx.dtype} {idx.shape}"]
    idx = idx.astype(np.int64, copy=False)
    bad = idx[(idx < 0) | (idx >= problem.n_pairs)]
    if bad.size:
        return [f"pair indices out of range 0..{problem.n_pairs - 1}: {bad[:10].tolist()}"]
    violations: list[str] = []
    values, counts = np.unique(idx, return_counts=True)
    if np.any(counts > 1):
        violations.append(f"pairs chosen more than once: {values[counts > 1][:10].tolist()}")

    per_newcomer = np.bincount(problem.pair_newcomer[idx], minlength=problem.n_newcomers)
    twice = np.flatnonzero(per_newcomer > 1)
    if twice.size:
        violations.append(f"newcomers matched more than once: {twice[:10].tolist()}")

    per_local = np.bincount(problem.pair_local[idx], minlength=problem.n_locals)
    over = np.flatnonzero(per_local > problem.capacity)
    for local in over[:10]:
        violations.append(
            f"local {local} has {per_local[local]} pairs, capacity {problem.capacity[local]}"
        )

    if problem.area_minimum is not None and problem.newcomer_area is not None:
        minimum = problem.area_minimum
        matched = np.flatnonzero(per_newcomer > 0)
        area = problem.newcomer_area[matched]
        area = area[(area >= 0) & (area < len(minimum))]
        per_area = np.bincount(area, minlength=len(minimum))
        for a in np.flatnonzero(per_area < minimum)[:10]:
            violations.append(f"area {a} has {per_area[a]} matched newcomers, minimum {minimum[a]}")
    return violations


def assert_valid(problem: AssignmentProblem, output: SolverOutput) -> None:
    """Raise AssertionError if ``output`` breaks a rule or misreports its objective/bound."""
    if output.status == "infeasible":
        if len(output.chosen):
            raise AssertionError(
                f"{output.solver}: infeasible but chose {len(output.chosen)} pairs"
            )
        return
    problems = check_matching(problem, output.chosen)
    objective = problem.objective_value(output.chosen)
    if output.objective != objective:
        problems.append(f"reported objective {output.objective} != recomputed {objective}")
    if output.bound is not None and output.bound < objective:
        problems.append(f"bound {output.bound} is below the objective {objective}")
    if output.status == "optimal" and output.bound is not None and output.bound != objective:
        problems.append(f"optimal, but bound {output.bound} != objective {objective}")
    if problems:
        raise AssertionError(f"{output.solver}: " + "; ".join(problems))
