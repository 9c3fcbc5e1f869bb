"""Exact back-end for the plain assignment: a min-cost flow network (OR-Tools).

Network: source → newcomer (capacity 1) → local (capacity 1, cost ``-weight``) → sink
(capacity = the local's capacity), plus one source → sink bypass arc (cost 0) that carries
the flow of every newcomer left unmatched, so the full supply always has a way to the sink.
A minimum-cost flow is then a maximum-weight set of pairs. Under the default objective
(most pairs first) the bypass is left out and OR-Tools is asked for a maximum flow of
minimum cost instead, with costs shifted down to their spread: the same pairs, about three
times faster, because cost scaling runs in ``log(max cost)`` phases and the count bonus
makes costs large.

Large problems (hundreds of workable locals per newcomer at national density) are solved
on each side's heaviest pairs and proven optimal for all pairs by ``prune``.

Costs: OR-Tools accepts negative unit costs, so the weights are used as they are (no
``maxw - w`` shift, which would not shrink the largest magnitude anyway: the bypass would
cost ``maxw``). Its cost-scaling algorithm multiplies costs by ``num_nodes + 1``, and
``solve`` returns ``BAD_COST_RANGE`` when ``max|cost| * (num_nodes + 1)`` could exceed
int64. Measured with OR-Tools 9.15: weights of 1e13 with 100,000 nodes solve, 1e14 do not.
``cannot_express`` checks that product up front, so a problem that is too large for
int64 is refused with a reason instead of failing inside OR-Tools.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.graph.python import min_cost_flow

from buddymatch._errors import SolverRefusal
from buddymatch._problem import AssignmentProblem, IntArray, SolverOutput

_INT64_MAX = int(np.iinfo(np.int64).max)


class MinCostFlowSolver:
    """Maximum-weight pairs with local capacities via ``SimpleMinCostFlow``; exact.

    Pairs with weight ≤ 0 are left out of the network: they can never raise the total
    (and only come up under ``objective="score"``, where they should not be candidates).
    ``time_limit``, ``seed`` and ``hint`` are accepted for the common interface and ignored:
    the algorithm is deterministic and has no time limit.
    """

    name: str = "flow"

    def cannot_express(self, problem: AssignmentProblem) -> str | None:
        if problem.has_side_constraints:
            return (
                f"The {self.name} solver cannot respect per-area minimums; "
                "use --solver cpsat or auto."
            )
        if problem.n_pairs:
            max_cost = int(np.abs(problem.weights()).max())
            n_nodes = problem.n_newcomers + problem.n_locals + 2
            if max_cost * (n_nodes + 1) >= _INT64_MAX:
                return (
                    f"The {self.name} solver cannot handle pair weights up to {max_cost} "
                    f"with {n_nodes} network nodes: OR-Tools' cost scaling would overflow "
                    "64-bit integers; use --solver cpsat or hungarian."
                )
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
        most = problem.objective == "count"
        chosen, note = solve_pairs(problem, problem.weights(), most_pairs=most)
        objective = problem.objective_value(chosen)
        return SolverOutput(
            chosen=chosen,
            status="optimal",
            objective=objective,
            bound=objective,
            solver=self.name,
            seconds=time.perf_counter() - start,
            notes=() if note is None else (note,),
        )


# Above this many pairs, and this many per newcomer on average, the network is built on
# each side's heaviest pairs and the rest is proven unnecessary (``prune``). Below it the
# whole network is quick to solve and proving would cost more than it saves.
PRUNE_MIN_PAIRS = 200_000
PRUNE_MIN_PER_NEWCOMER = 24


def max_weight_pairs(problem: AssignmentProblem, weights: IntArray) -> IntArray:
    """Sorted indices of a maximum-``weights`` set of pairs (capacities only, no minimums).

    ``weights`` may differ from ``problem.weights()`` (the area-minimum hint adds bonuses);
    pairs with weight ≤ 0 are left out. The caller keeps ``max|w| * (nodes + 1)`` in int64.
    """
    return solve_pairs(problem, weights)[0]


def solve_pairs(
    problem: AssignmentProblem, weights: IntArray, *, most_pairs: bool = False
) -> tuple[IntArray, str | None]:
    """:func:`max_weight_pairs`, plus a note saying how a large problem was cut down.

    ``most_pairs=True`` promises that ``weights`` already make every extra pair worth more
    than any difference in weight (the count bonus); the network then asks OR-Tools for a
    maximum flow of minimum cost with costs shifted down to their spread, which gives the
    same pairs as the bonus-inflated costs about three times faster (cost scaling runs
    in ``log(max cost)`` phases).
    """
    n = problem.n_newcomers
    capacity = problem.capacity.astype(np.int64)

    def network(newcomer: IntArray, local: IntArray, w: IntArray) -> IntArray:
        return _network_optimum(newcomer, local, w, n, capacity, most_pairs=most_pairs)

    newcomer, local = problem.pair_newcomer, problem.pair_local
    positive = weights > 0
    used: IntArray | None = None  # None: every pair (no copies of millions of pairs)
    if not positive.all():
        used = np.flatnonzero(positive)
        newcomer, local, weights = newcomer[used], local[used], weights[used]
    del positive
    if len(newcomer) < max(PRUNE_MIN_PAIRS, PRUNE_MIN_PER_NEWCOMER * n):
        chosen = network(newcomer, local, weights)
        return (chosen if used is None else used[chosen]), None
    from .prune import pruned_max_weight

    found = pruned_max_weight(newcomer, local, weights, n, capacity, network)
    note = (
        f"flow: solved on {found.pairs_solved:,} of {len(newcomer):,} candidate pairs; "
        f"the others are proven unable to improve the result ({found.rounds} round(s))"
        if found.proven
        else "flow: pruning could not be proven; solved on every candidate pair"
    )
    return (found.chosen if used is None else used[found.chosen]), note


def _network_optimum(
    newcomer: IntArray,
    local: IntArray,
    weights: IntArray,
    n: int,
    capacity: IntArray,
    *,
    most_pairs: bool = False,
) -> IntArray:
    """Sorted indices of a maximum-weight subset of the given pairs (all weights > 0)."""
    m = len(capacity)
    shift = int(weights.min()) if most_pairs and len(weights) else 0
    # Node numbering: newcomers 0..n-1, locals n..n+m-1, then source and sink.
    source, sink = n + m, n + m + 1

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(n, source, dtype=np.int32),
        np.arange(n, dtype=np.int32),
        np.ones(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
    )
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        newcomer.astype(np.int32),
        (local + n).astype(np.int32),
        np.ones(len(newcomer), dtype=np.int64),
        -(weights - shift).astype(np.int64),
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        np.arange(n, n + m, dtype=np.int32),
        np.full(m, sink, dtype=np.int32),
        capacity,
        np.zeros(m, dtype=np.int64),
    )
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32), np.array([n, -n], dtype=np.int64)
    )
    if most_pairs:
        status = flow.solve_max_flow_with_min_cost()
    else:
        flow.add_arc_with_capacity_and_unit_cost(source, sink, n, 0)
        status = flow.solve()
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"OR-Tools min-cost flow ended with status {status!r}")
    arcs = np.asarray(pair_arcs, dtype=np.int32)
    chosen = np.flatnonzero(np.asarray(flow.flows(arcs)) > 0).astype(np.int64)
    total = int((weights[chosen] - shift).sum())
    if total != -flow.optimal_cost():  # cheap guard against a mis-built network
        raise RuntimeError(f"min-cost flow cost {-flow.optimal_cost()} != total weight {total}")
    return chosen


def area_bonus_pairs(
    problem: AssignmentProblem, rounds: int = 12, deadline: float | None = None
) -> tuple[IntArray, bool]:
    """A good set of pairs meeting the area minimums, by flow alone; ``(chosen, met)``.

    The answer to fall back on when CP-SAT finds no solution within its time limit: its
    presolve alone took ~3 s on 3,000 newcomers, and it repairs an infeasible hint slowly.
    (It is *not* a better hint: handed this instead of the flow optimum without minimums,
    CP-SAT took 17 s instead of 9 s to prove the same optimum.) Each round solves the flow
    without minimums, with a bonus on the pairs of every area still short of its minimum;
    the bonus doubles while areas are short. Returns the first matching that meets every
    minimum (``met=True``), else the one with the smallest total shortfall. Not optimal in
    general (0.2 % below the optimum on that instance). ``deadline`` is a
    ``time.perf_counter()`` value after which no new round starts (three rounds always
    run: a too short time limit should still get an answer).
    """
    weights = problem.weights()
    if problem.newcomer_area is None or problem.area_minimum is None or problem.n_pairs == 0:
        return max_weight_pairs(problem, weights), True
    minimum = problem.area_minimum
    area = problem.newcomer_area[problem.pair_newcomer]
    area = np.where((area >= 0) & (area < len(minimum)), area, len(minimum))  # no minimum
    limit = _INT64_MAX // (problem.n_newcomers + problem.n_locals + 3)
    step = max(int(np.abs(weights).max()), 1)
    bonus = np.zeros(len(minimum) + 1, dtype=np.int64)
    best: tuple[int, IntArray] | None = None
    for round_ in range(rounds):
        chosen = max_weight_pairs(problem, weights + bonus[area])
        short = minimum - np.bincount(area[chosen], minlength=len(minimum) + 1)[:-1]
        shortfall = int(np.maximum(short, 0).sum())
        if shortfall == 0:
            return chosen, True
        if best is None or shortfall < best[0]:
            best = (shortfall, chosen)
        bonus[:-1][short > 0] += step
        step *= 2
        if int(np.abs(weights).max()) + int(bonus.max()) > limit:
            break
        if deadline is not None and round_ >= 2 and time.perf_counter() > deadline:
            break
    assert best is not None
    return best[1], False
