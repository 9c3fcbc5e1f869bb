"""Pruned flow: solving on each side's heaviest pairs and proving the rest away is exact.

Checked against the flow on every pair and against scipy's Hungarian solver (a different
algorithm), with tiny ``k`` so that proofs fail and extra rounds run; and the proof itself
is checked independently: the returned prices must be dual feasible on *every* pair and
their dual value must equal the matching's weight (strong duality).
"""

from __future__ import annotations

import dataclasses
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buddymatch import solvers
from buddymatch._check import check_matching
from buddymatch._problem import AssignmentProblem
from buddymatch.solvers import flow, prune

IntArray = np.ndarray[Any, np.dtype[np.int64]]


def i64(values: Any) -> IntArray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


@st.composite
def weighted_pairs(draw: st.DrawFn) -> tuple[IntArray, IntArray, IntArray, int, IntArray]:
    """Up to 14 newcomers × 10 locals, dense enough for contention, few distinct weights
    sometimes (ties), newcomer order shuffled sometimes."""
    n = draw(st.integers(1, 14))
    m = draw(st.integers(1, 10))
    capacity = i64(draw(st.lists(st.integers(1, 3), min_size=m, max_size=m)))
    cells = sorted(
        draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, m - 1)), min_size=1))
    )
    if draw(st.booleans()):
        cells = draw(st.permutations(cells))
    top = draw(st.sampled_from([3, 50, 10**6]))
    weights = i64(draw(st.lists(st.integers(1, top), min_size=len(cells), max_size=len(cells))))
    return i64([c[0] for c in cells]), i64([c[1] for c in cells]), weights, n, capacity


def full_optimum(
    newcomer: IntArray, local: IntArray, weights: IntArray, n: int, cap: IntArray
) -> int:
    chosen = flow._network_optimum(newcomer, local, weights, n, cap)
    return int(weights[chosen].sum())


def assert_proven(
    newcomer: IntArray, local: IntArray, weights: IntArray, n: int, cap: IntArray, chosen: IntArray
) -> None:
    """Independent check of optimality: least prices over every pair exist, are dual
    feasible everywhere, and price the matching at exactly its weight."""
    order = np.argsort(newcomer, kind="stable")
    pairs = prune._ByNewcomer.of(newcomer[order], local[order], weights[order], n)
    matching = prune._Matching.of(newcomer[chosen], local[chosen], weights[chosen], n, cap)
    v = prune.prices(pairs, matching, np.zeros(len(cap), dtype=np.int64), len(cap) + 1)
    assert v is not None
    u = matching.mate_w - np.append(v, 0)[matching.mate]
    assert (u >= 0).all() and (v >= 0).all()
    assert (u[newcomer] + v[local] >= weights).all()
    assert int(u.sum() + (cap * v).sum()) == int(weights[chosen].sum())


@settings(max_examples=300, deadline=None)
@given(weighted_pairs(), st.integers(1, 3), st.integers(1, 3))
def test_pruned_equals_the_full_optimum(case: Any, k: int, k_add: int) -> None:
    newcomer, local, weights, n, cap = case

    def solve(a: IntArray, b: IntArray, w: IntArray) -> IntArray:
        return flow._network_optimum(a, b, w, n, cap)

    found = prune.pruned_max_weight(newcomer, local, weights, n, cap, solve, k=k, k_add=k_add)
    assert found.proven
    chosen = found.chosen
    assert len(np.unique(chosen)) == len(chosen)
    assert np.bincount(newcomer[chosen], minlength=n).max(initial=0) <= 1
    assert (np.bincount(local[chosen], minlength=len(cap)) <= cap).all()
    assert int(weights[chosen].sum()) == full_optimum(newcomer, local, weights, n, cap)
    assert_proven(newcomer, local, weights, n, cap, chosen)


@settings(max_examples=200, deadline=None)
@given(weighted_pairs(), st.integers(1, 3), st.integers(0, 60))
def test_prices_in_two_threads_equal_prices_in_one(case: Any, k: int, margin: int) -> None:
    """The first wave split between two threads gives the same least prices and picks the
    same pairs worth adding as one pass (halves never split a newcomer's pairs)."""
    newcomer, local, weights, n, cap = case
    order = np.argsort(newcomer, kind="stable")
    pairs = prune._ByNewcomer.of(newcomer[order], local[order], weights[order], n)
    some = prune.heaviest(pairs.newcomer, pairs.weights, n, np.full(n, k, dtype=np.int64))
    chosen = flow._network_optimum(
        pairs.newcomer[some], pairs.local[some], pairs.weights[some], n, cap
    )
    at = np.flatnonzero(some)[chosen]
    matching = prune._Matching.of(pairs.newcomer[at], pairs.local[at], pairs.weights[at], n, cap)
    results = []
    for threaded_from in (10**9, 1):
        found: list[IntArray] = []
        with mock.patch.object(prune, "_THREADED_WAVE", threaded_from):
            v = prune.prices(
                pairs,
                matching,
                np.zeros(len(cap), dtype=np.int64),
                len(cap) + 1,
                (found, k, margin + 1),
            )
        added = np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        results.append((None if v is None else v.tolist(), added.tolist()))
    assert results[0] == results[1]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30)), max_size=80),
    st.lists(st.integers(0, 9), min_size=6, max_size=6),
)
def test_heaviest_keeps_every_pair_at_least_as_heavy_as_the_kth(
    cells: list[tuple[int, int]], k: list[int]
) -> None:
    owner = i64([c[0] for c in cells])
    weights = i64([c[1] for c in cells]) * 10**9 + 7  # large weights, small spread
    keep = prune.heaviest(owner, weights, 6, i64(k))
    for o in range(6):
        mine = weights[owner == o]
        if len(mine) == 0 or k[o] == 0:
            continue
        kth = np.sort(mine)[::-1][min(k[o], len(mine)) - 1]
        assert keep[owner == o][mine >= kth].all()


def random_problem(n: int, m: int, per: int, seed: int, **kw: Any) -> AssignmentProblem:
    rng = np.random.default_rng(seed)
    key = np.unique(np.repeat(np.arange(n), per) * m + rng.integers(0, m, n * per))
    return AssignmentProblem(
        n_newcomers=n,
        n_locals=m,
        capacity=rng.integers(1, 4, m).astype(np.int64),
        pair_newcomer=key // m,
        pair_local=key % m,
        pair_score=rng.integers(-2_000, 3_000, len(key)).astype(np.int64),
        **kw,
    )


@pytest.mark.parametrize(
    ("objective", "keep"), [("count", False), ("score", False), ("count", True)]
)
def test_flow_solver_prunes_large_problems_and_agrees_with_hungarian(
    monkeypatch: pytest.MonkeyPatch, objective: Any, keep: bool
) -> None:
    """Contention (0.6 local per newcomer, 40 candidates each) forces extra rounds."""
    problem = random_problem(1_500, 900, 40, seed=11, objective=objective)
    if objective == "score":
        good = problem.pair_score > 0
        problem = dataclasses.replace(
            problem,
            pair_newcomer=problem.pair_newcomer[good],
            pair_local=problem.pair_local[good],
            pair_score=problem.pair_score[good],
        )
    if keep:
        keep_mask = np.random.default_rng(3).random(problem.n_pairs) < 0.01
        problem = dataclasses.replace(problem, pair_keep=keep_mask)
    monkeypatch.setattr(flow, "PRUNE_MIN_PAIRS", 0)
    monkeypatch.setattr(flow, "PRUNE_MIN_PER_NEWCOMER", 0)
    pruned = solvers.MinCostFlowSolver().solve(problem)
    assert any("proven" in note for note in pruned.notes)
    assert check_matching(problem, pruned.chosen) == []
    assert pruned.objective == solvers.HungarianSolver().solve(problem).objective
    weights = problem.weights()
    assert_proven(
        problem.pair_newcomer, problem.pair_local, weights, problem.n_newcomers,
        problem.capacity, pruned.chosen,
    )  # fmt: skip


def test_small_problems_are_not_pruned() -> None:
    problem = random_problem(200, 150, 10, seed=2)
    assert solvers.MinCostFlowSolver().solve(problem).notes == ()


def test_a_proof_that_needs_more_rounds_is_found() -> None:
    """With k = 1 on a contended instance the first restricted optimum is not optimal."""
    problem = random_problem(600, 300, 30, seed=5)
    weights = problem.weights()
    n, cap = problem.n_newcomers, problem.capacity

    def solve(a: IntArray, b: IntArray, w: IntArray) -> IntArray:
        return flow._network_optimum(a, b, w, n, cap, most_pairs=True)

    found = prune.pruned_max_weight(
        problem.pair_newcomer, problem.pair_local, weights, n, cap, solve, k=1, k_add=1
    )
    assert found.proven and found.rounds > 1
    assert found.pairs_solved < problem.n_pairs
    best = solve(problem.pair_newcomer, problem.pair_local, weights)
    assert int(weights[found.chosen].sum()) == int(weights[best].sum())


@settings(max_examples=30, deadline=None)
@given(weighted_pairs(), st.integers(1, 3))
def test_the_first_restricted_set_is_each_sides_heaviest_together(case: Any, k: int) -> None:
    """Both sides are picked at once (the locals' in a second thread): the same set as
    picking one after the other."""
    newcomer, local, weights, n, cap = case
    alone = prune.heaviest(newcomer, weights, n, np.full(n, k, dtype=np.int64))
    alone |= prune.heaviest(local, weights, len(cap), k * cap)
    assert np.array_equal(prune._heaviest_of_both(newcomer, local, weights, n, cap, k), alone)
