"""One suite over every solver back-end: exact answers, valid matchings, clear refusals.

Small random problems are checked against a brute-force optimum; larger ones check the
back-ends against each other. Objectives are compared, never the exact pairs: ties have
many optimal answers.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from buddymatch import solvers
from buddymatch._check import assert_valid, check_matching
from buddymatch._errors import SolverRefusal
from buddymatch._problem import AssignmentProblem, Objective

BACKENDS = ["cpsat", "flow", "hungarian"]
OBJECTIVES: list[Objective] = ["count", "score"]
PLAIN = settings(max_examples=150, deadline=None)


def i64(values: Any) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.asarray(values, dtype=np.int64).reshape(-1)


@st.composite
def problems(
    draw: st.DrawFn, objective: Objective | None = None, areas: bool = False
) -> AssignmentProblem:
    """1–6 newcomers × 1–5 locals (capacity 1–3), random candidates, pairs in random order.

    One area's minimum is drawn from 0 to one more than the most newcomers of that area
    that could be matched if it had the places to itself, the others' from 0 to 1: many
    minimums then change the optimum, and some make the problem infeasible.
    """
    # With minimums, fewer places than newcomers, so that areas compete for them.
    n = draw(st.integers(2 if areas else 1, 6))
    m = draw(st.integers(1, 3 if areas else 5))
    capacity = draw(st.lists(st.integers(1, 2 if areas else 3), min_size=m, max_size=m))
    candidates = draw(
        st.lists(st.sets(st.integers(0, m - 1), min_size=1, max_size=m), min_size=n, max_size=n)
    )
    cells = [(i, j) for i, locals_ in enumerate(candidates) for j in sorted(locals_)]
    cells = draw(st.permutations(cells))
    pn = [i for i, _ in cells]
    pl = [j for _, j in cells]
    obj = objective if objective is not None else draw(st.sampled_from(OBJECTIVES))
    low = -50 if obj == "count" else 1
    scores = draw(st.lists(st.integers(low, 50), min_size=len(cells), max_size=len(cells)))
    problem = AssignmentProblem(n, m, i64(capacity), i64(pn), i64(pl), i64(scores), objective=obj)
    if not areas:
        return problem
    n_areas = draw(st.integers(1, 3))
    area = i64(draw(st.lists(st.integers(0, n_areas - 1), min_size=n, max_size=n)))
    focus = draw(st.integers(0, n_areas - 1))
    most = max_cardinality(restrict(problem, area == focus))
    minimum = i64(draw(st.lists(st.integers(0, 1), min_size=n_areas, max_size=n_areas)))
    minimum[focus] = draw(st.integers(0, most + 1))
    return dataclasses.replace(problem, newcomer_area=area, area_minimum=minimum)


def brute_force(problem: AssignmentProblem) -> tuple[int, int] | None:
    """(best objective, largest number of pairs) over all valid matchings; None if none.

    Recursion over newcomers: each is left out or takes one candidate with room left.
    Area minimums, when given, are checked at the leaves.
    """
    weights = problem.weights().tolist()
    options: list[list[int]] = [[] for _ in range(problem.n_newcomers)]
    for k, i in enumerate(problem.pair_newcomer.tolist()):
        options[i].append(k)
    local = problem.pair_local.tolist()
    room = problem.capacity.tolist()
    area = None if problem.newcomer_area is None else problem.newcomer_area.tolist()
    minimum = None if problem.area_minimum is None else problem.area_minimum.tolist()
    per_area = [0] * (len(minimum) if minimum else 0)
    best: list[int | None] = [None, None]

    def leaf(total: int, size: int) -> None:
        if minimum is not None and any(c < need for c, need in zip(per_area, minimum, strict=True)):
            return
        best[0] = total if best[0] is None else max(best[0], total)
        best[1] = size if best[1] is None else max(best[1], size)

    def visit(i: int, total: int, size: int) -> None:
        if i == problem.n_newcomers:
            leaf(total, size)
            return
        visit(i + 1, total, size)
        for k in options[i]:
            if room[local[k]] > 0:
                room[local[k]] -= 1
                if area is not None:
                    per_area[area[i]] += 1
                visit(i + 1, total + weights[k], size + 1)
                if area is not None:
                    per_area[area[i]] -= 1
                room[local[k]] += 1

    visit(0, 0, 0)
    if best[0] is None or best[1] is None:
        return None
    return best[0], best[1]


def max_cardinality(problem: AssignmentProblem) -> int:
    """Most pairs possible: bipartite matching of newcomers to local *slots* (scipy)."""
    if problem.n_pairs == 0:
        return 0
    cap = problem.capacity
    start = np.concatenate(([0], np.cumsum(cap)[:-1]))
    per_pair = cap[problem.pair_local]
    rows = np.repeat(problem.pair_newcomer, per_pair)
    offset = np.arange(int(per_pair.sum())) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    cols = np.repeat(start[problem.pair_local], per_pair) + offset
    graph = csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(problem.n_newcomers, int(cap.sum()))
    )
    match = maximum_bipartite_matching(graph, perm_type="column")
    return int(np.count_nonzero(match >= 0))


def restrict(problem: AssignmentProblem, newcomers: np.ndarray[Any, Any]) -> AssignmentProblem:
    """The same problem with only the candidate pairs of the selected newcomers."""
    keep = newcomers[problem.pair_newcomer]
    return dataclasses.replace(
        problem,
        pair_newcomer=problem.pair_newcomer[keep],
        pair_local=problem.pair_local[keep],
        pair_score=problem.pair_score[keep],
    )


def random_problem(
    n: int, m: int, per_newcomer: int, seed: int, objective: Objective = "count"
) -> AssignmentProblem:
    """A sparse instance: ``per_newcomer`` random candidate locals each, capacities 1–3."""
    rng = np.random.default_rng(seed)
    pn = np.repeat(np.arange(n), per_newcomer)
    key = np.unique(pn * m + rng.integers(0, m, len(pn)))
    return AssignmentProblem(
        n_newcomers=n,
        n_locals=m,
        capacity=rng.integers(1, 4, m).astype(np.int64),
        pair_newcomer=(key // m).astype(np.int64),
        pair_local=(key % m).astype(np.int64),
        pair_score=rng.integers(1, 100_000, len(key)).astype(np.int64),
        objective=objective,
    )


def with_area_minimums(problem: AssignmentProblem, n_areas: int, seed: int) -> AssignmentProblem:
    """Binding minimums: area 0 must get 95 % of its newcomers matched, area 1 90 %."""
    area = np.random.default_rng(seed).integers(0, n_areas, problem.n_newcomers)
    minimum = np.zeros(n_areas, dtype=np.int64)
    minimum[0] = int(0.95 * np.count_nonzero(area == 0))
    minimum[1] = int(0.90 * np.count_nonzero(area == 1))
    return dataclasses.replace(problem, newcomer_area=area.astype(np.int64), area_minimum=minimum)


# --- exactness on small problems ---------------------------------------------------------


@PLAIN
@given(problems())
def test_every_backend_finds_the_brute_force_optimum(problem: AssignmentProblem) -> None:
    expected = brute_force(problem)
    assert expected is not None  # without minimums, no pairs at all is always valid
    for name in BACKENDS:
        output = solvers.get_solver(name).solve(problem)
        assert check_matching(problem, output.chosen) == []
        assert_valid(problem, output)
        assert output.status == "optimal"
        assert output.objective == expected[0], name
    assert solvers.solve(problem).objective == expected[0]


BINDING = AssignmentProblem(  # one place; the minimum makes the weaker newcomer win it
    2, 1, i64([1]), i64([0, 1]), i64([0, 0]), i64([10, 5]), objective="score",
    newcomer_area=i64([0, 1]), area_minimum=i64([0, 1]),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(problems(areas=True))
@example(BINDING)
def test_cpsat_with_area_minimums_matches_brute_force(problem: AssignmentProblem) -> None:
    expected = brute_force(problem)
    chosen, met = solvers.area_bonus_pairs(problem)  # the heuristic fallback
    if met:
        assert check_matching(problem, chosen) == []
        assert expected is not None and problem.objective_value(chosen) <= expected[0]
    outputs = [solvers.CpSatSolver().solve(problem), solvers.solve(problem)]
    outputs.append(solvers.solve(problem, time_limit=10))
    for output in outputs:
        if expected is None:
            assert output.status == "infeasible"
            assert len(output.chosen) == 0
        else:
            assert output.status == "optimal"
            assert output.objective == expected[0]
            assert check_matching(problem, output.chosen) == []
        assert_valid(problem, output)


@PLAIN
@given(problems(), st.randoms(use_true_random=False))
def test_shuffling_the_pairs_keeps_the_optimum(problem: AssignmentProblem, rnd: Any) -> None:
    order = np.array(rnd.sample(range(problem.n_pairs), problem.n_pairs), dtype=np.int64)
    shuffled = dataclasses.replace(
        problem,
        pair_newcomer=problem.pair_newcomer[order],
        pair_local=problem.pair_local[order],
        pair_score=problem.pair_score[order],
    )
    for name in BACKENDS:
        solver = solvers.get_solver(name)
        assert solver.solve(shuffled).objective == solver.solve(problem).objective, name


@PLAIN
@given(problems(objective="count"))
def test_count_objective_matches_as_many_newcomers_as_possible(
    problem: AssignmentProblem,
) -> None:
    most = max_cardinality(problem)
    expected = brute_force(problem)
    assert expected is not None and expected[1] == most  # the two references agree
    for name in BACKENDS:
        assert len(solvers.get_solver(name).solve(problem).chosen) == most, name


# --- larger instances --------------------------------------------------------------------


def test_flow_and_hungarian_agree_on_a_large_instance() -> None:
    problem = random_problem(3_000, 2_400, 20, seed=7)
    flow = solvers.MinCostFlowSolver().solve(problem)
    hungarian = solvers.HungarianSolver().solve(problem)
    for output in (flow, hungarian):
        assert check_matching(problem, output.chosen) == []
        assert_valid(problem, output)
    assert flow.objective == hungarian.objective
    assert len(flow.chosen) == max_cardinality(problem)


def test_score_objective_agrees_on_a_large_instance() -> None:
    problem = random_problem(3_000, 1_000, 20, seed=8, objective="score")
    flow = solvers.MinCostFlowSolver().solve(problem)
    assert flow.objective == solvers.HungarianSolver().solve(problem).objective
    assert_valid(problem, flow)


def test_cpsat_hinted_with_flow_agrees_with_flow() -> None:
    problem = random_problem(600, 300, 20, seed=3)
    flow = solvers.MinCostFlowSolver().solve(problem)
    cpsat = solvers.CpSatSolver().solve(problem, hint=flow.chosen, time_limit=30)
    assert cpsat.status == "optimal"
    assert cpsat.objective == flow.objective


def test_auto_with_binding_area_minimums() -> None:
    problem = with_area_minimums(random_problem(600, 240, 20, seed=4, objective="score"), 6, 4)
    relaxed = solvers.MinCostFlowSolver().solve(
        dataclasses.replace(problem, newcomer_area=None, area_minimum=None)
    )
    assert check_matching(problem, relaxed.chosen) != []  # the minimums do bind
    output = solvers.solve(problem, time_limit=30)
    assert output.solver == "cpsat" and output.status == "optimal"
    assert any("hinted" in note for note in output.notes)
    assert check_matching(problem, output.chosen) == []
    assert_valid(problem, output)
    assert output.objective <= relaxed.objective


def test_auto_under_a_short_time_limit_still_answers() -> None:
    # CP-SAT's presolve alone takes seconds here; the flow heuristic answers instead.
    problem = with_area_minimums(random_problem(3_000, 1_200, 20, seed=1, objective="score"), 8, 1)
    output = solvers.solve(problem, time_limit=0.5)
    assert output.status in ("feasible", "optimal")
    assert output.bound is not None and output.bound >= output.objective
    assert check_matching(problem, output.chosen) == []
    assert_valid(problem, output)


# --- registry, refusals, determinism ------------------------------------------------------


def test_registry() -> None:
    assert solvers.available_solvers() == ["cpsat", "flow", "hungarian"]
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical.
    assert solvers.__all__ == sorted(
        solvers.__all__, key=lambda name: (not name.isupper(), not name[0].isupper(), name)
    )
    for name in solvers.available_solvers():
        assert solvers.get_solver(name).name == name
    with pytest.raises(ValueError, match="cpsat, flow, hungarian"):
        solvers.get_solver("nope")
    with pytest.raises(ValueError, match="nope"):
        solvers.solve(random_problem(5, 5, 2, seed=0), "nope")


def test_auto_uses_flow_without_side_constraints() -> None:
    assert solvers.solve(random_problem(50, 40, 5, seed=1)).solver == "flow"


@pytest.mark.parametrize("name", ["flow", "hungarian"])
def test_flow_and_hungarian_refuse_area_minimums(name: str) -> None:
    problem = with_area_minimums(random_problem(40, 20, 5, seed=2), 3, 2)
    assert solvers.get_solver(name).cannot_express(problem) is not None
    with pytest.raises(SolverRefusal, match="per-area minimums; use --solver cpsat or auto"):
        solvers.solve(problem, name)
    with pytest.raises(SolverRefusal):
        solvers.get_solver(name).solve(problem)


def test_hungarian_refuses_a_matrix_over_its_limit() -> None:
    problem = random_problem(200, 100, 10, seed=5)
    assert solvers.HungarianSolver(max_cells=1_000).cannot_express(problem) is not None
    with pytest.raises(SolverRefusal, match="dense"):
        solvers.HungarianSolver(max_cells=1_000).solve(problem)


def test_flow_refuses_costs_that_would_overflow() -> None:
    problem = AssignmentProblem(
        2, 1, i64([1]), i64([0, 1]), i64([0, 0]), i64([3 * 10**18, 1]), objective="score"
    )
    reason = solvers.MinCostFlowSolver().cannot_express(problem)
    assert reason is not None and "overflow" in reason
    assert solvers.HungarianSolver().cannot_express(problem) is not None  # float64 is not exact


def test_auto_falls_back_to_hungarian_when_flow_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = random_problem(100, 80, 5, seed=6)
    expected = solvers.MinCostFlowSolver().solve(problem).objective

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("status BAD_RESULT")

    monkeypatch.setattr(solvers.MinCostFlowSolver, "solve", broken)
    output = solvers.solve(problem)
    assert output.solver == "hungarian" and output.objective == expected
    assert any("flow failed" in note for note in output.notes)


@pytest.mark.parametrize("name", BACKENDS)
def test_same_problem_twice_gives_identical_pairs(name: str) -> None:
    # Few distinct scores: many ties, so a non-deterministic back-end would show.
    base = random_problem(300, 150, 8, seed=9, objective="score")
    problem = dataclasses.replace(base, pair_score=base.pair_score % 3 + 1)
    if name == "cpsat":
        problem = with_area_minimums(problem, 4, 9)
    first = solvers.get_solver(name).solve(problem, seed=1)
    second = solvers.get_solver(name).solve(problem, seed=1)
    np.testing.assert_array_equal(first.chosen, second.chosen)


def test_empty_problem() -> None:
    problem = AssignmentProblem(0, 0, i64([]), i64([]), i64([]), i64([]))
    for name in BACKENDS:
        output = solvers.get_solver(name).solve(problem)
        assert output.status == "optimal" and len(output.chosen) == 0


def test_cpsat_area_minimum_with_no_candidates_is_infeasible() -> None:
    problem = AssignmentProblem(
        2,
        1,
        i64([1]),
        i64([0]),
        i64([0]),
        i64([5]),
        newcomer_area=i64([0, 1]),
        area_minimum=i64([0, 1]),
    )
    output = solvers.solve(problem)
    assert output.status == "infeasible" and len(output.chosen) == 0


# --- the checker itself ---------------------------------------------------------------------


def test_check_matching_reports_every_kind_of_violation() -> None:
    problem = AssignmentProblem(
        n_newcomers=3,
        n_locals=2,
        capacity=i64([1, 2]),
        pair_newcomer=i64([0, 0, 1, 2]),
        pair_local=i64([0, 1, 0, 1]),
        pair_score=i64([5, 4, 3, 2]),
        newcomer_area=i64([0, 1, 1]),
        area_minimum=i64([1, 2]),
    )
    assert check_matching(problem, i64([0, 3])) == ["area 1 has 1 matched newcomers, minimum 2"]
    assert "out of range" in check_matching(problem, i64([4]))[0]
    assert any("more than once" in v for v in check_matching(problem, i64([0, 0])))
    assert any("newcomers matched" in v for v in check_matching(problem, i64([0, 1])))
    assert any("capacity 1" in v for v in check_matching(problem, i64([0, 2])))
    assert check_matching(problem, i64([1, 2, 3])) == []

    good = solvers.CpSatSolver().solve(problem)
    assert_valid(problem, good)
    with pytest.raises(AssertionError, match="objective"):
        assert_valid(problem, dataclasses.replace(good, objective=good.objective + 1))
    with pytest.raises(AssertionError, match="minimum"):
        assert_valid(problem, dataclasses.replace(good, chosen=i64([0, 3])))
