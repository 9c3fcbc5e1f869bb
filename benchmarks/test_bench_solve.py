"""Solve-stage benchmarks: flow vs hungarian on one sparse ~2,000 × 1,600 problem.

The normal test run passes ``--benchmark-disable``, so each runs once as a smoke test;
``pytest benchmarks --benchmark-enable`` gives the timings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from buddymatch import solvers
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
