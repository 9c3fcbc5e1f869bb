"""Solve-stage benchmarks: flow vs hungarian on sparse ~2,000 × 1,600 problems.

One problem has random candidates; the other is what ``match()`` builds from a generated
national intake (fixtures in ``conftest.py``), where the matched count is also checked
against an independent maximum-cardinality matching.

The normal test run passes ``--benchmark-disable``, so each runs once as a smoke test;
``pytest benchmarks --benchmark-enable`` gives the timings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_bipartite_matching

from buddymatch import _scoring, solvers
from buddymatch._check import assert_valid
from buddymatch._problem import AssignmentProblem


@pytest.fixture(scope="module")
def problem() -> AssignmentProblem:
    """2,000 newcomers, 1,600 locals (capacity 1–3), ~20 random candidates each."""
    n, m, per_newcomer = 2_000, 1_600, 20
    rng = np.random.default_rng(2024)
    key = np.unique(
        np.repeat(np.arange(n), per_newcomer) * m + rng.integers(0, m, n * per_newcomer)
    )
    return AssignmentProblem(
        n_newcomers=n,
        n_locals=m,
        capacity=rng.integers(1, 4, m).astype(np.int64),
        pair_newcomer=(key // m).astype(np.int64),
        pair_local=(key % m).astype(np.int64),
        pair_score=rng.integers(1, 100_000, len(key)).astype(np.int64),
    )


@pytest.fixture(scope="module")
def optimum(problem: AssignmentProblem) -> int:
    return solvers.get_solver("flow").solve(problem).objective


@pytest.mark.parametrize("name", ["flow", "hungarian"])
def test_bench_solve(benchmark: Any, problem: AssignmentProblem, optimum: int, name: str) -> None:
    solver = solvers.get_solver(name)
    output = benchmark(solver.solve, problem)
    assert_valid(problem, output)
    assert output.objective == optimum


# --- the same solvers on the problem built from a generated national intake -------------


@pytest.fixture(scope="module")
def roster_problem(pools: Any, candidates: Any, scored: Any) -> AssignmentProblem:
    """The problem ``match()`` hands the solver for the 2,000 × 1,600 national rosters."""
    _, contrib = scored
    return AssignmentProblem(
        n_newcomers=pools.npool.size,
        n_locals=pools.lpool.size,
        capacity=pools.lpool.capacity.astype(np.int64),
        pair_newcomer=candidates.newcomer,
        pair_local=candidates.local,
        pair_score=_scoring.scores(contrib, pools.weights),
    )


def _max_cardinality(problem: AssignmentProblem) -> int:
    """Most newcomers any matching can pair (scipy's Hopcroft–Karp, capacities as slots)."""
    cap = problem.capacity
    start = np.concatenate(([0], np.cumsum(cap)[:-1]))
    per_pair = cap[problem.pair_local]
    rows = np.repeat(problem.pair_newcomer, per_pair)
    first = np.cumsum(per_pair) - per_pair
    cols = np.repeat(start[problem.pair_local], per_pair) + (
        np.arange(int(per_pair.sum())) - np.repeat(first, per_pair)
    )
    graph = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.int8), (rows, cols)),
        shape=(problem.n_newcomers, int(cap.sum())),
    )
    return int(np.count_nonzero(maximum_bipartite_matching(graph, perm_type="column") >= 0))


@pytest.fixture(scope="module")
def roster_optimum(roster_problem: AssignmentProblem) -> int:
    return solvers.get_solver("hungarian").solve(roster_problem).objective


@pytest.mark.parametrize("name", ["flow", "hungarian"])
def test_bench_solve_national(
    benchmark: Any, roster_problem: AssignmentProblem, roster_optimum: int, name: str
) -> None:
    output = benchmark(solvers.solve, roster_problem, name)
    assert_valid(roster_problem, output)
    assert output.objective == roster_optimum  # both exact: same optimum
    assert len(output.chosen) == _max_cardinality(roster_problem)  # count comes first


def test_bench_solve_national_pruned(
    benchmark: Any,
    roster_problem: AssignmentProblem,
    roster_optimum: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The flow on each side's heaviest pairs with its optimality proof (what national
    rosters of 5,000 and up get by default), forced on here."""
    from buddymatch.solvers import flow

    monkeypatch.setattr(flow, "PRUNE_MIN_PAIRS", 0)
    monkeypatch.setattr(flow, "PRUNE_MIN_PER_NEWCOMER", 0)
    output = benchmark(solvers.solve, roster_problem, "flow")
    assert any("proven" in note for note in output.notes)
    assert_valid(roster_problem, output)
    assert output.objective == roster_optimum
