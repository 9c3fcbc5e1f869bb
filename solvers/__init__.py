"""Solver back-ends behind one interface (installed as ``buddymatch.solvers``).

``solve(problem)`` picks the fastest exact back-end that can express the request: min-cost
flow for the plain assignment, CP-SAT (hinted with the flow optimum of the same problem
without its side constraints) when per-area minimums are asked for. A back-end named
explicitly that cannot express the request refuses with its reason instead of silently
dropping a constraint.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from buddymatch._errors import ConfigError, SolverRefusal
from buddymatch._problem import AssignmentProblem, IntArray, SolverOutput

# Relative on purpose: this folder is ``buddymatch.solvers`` only through the editable
# install's import hook, which mypy cannot follow; relative imports resolve either way.
from ._base import Solver
from .flow import MinCostFlowSolver, area_bonus_pairs
from .hungarian import HungarianSolver

__all__ = [
    "SOLVERS",
    "CpSatSolver",
    "HungarianSolver",
    "MinCostFlowSolver",
    "Solver",
    "area_bonus_pairs",
    "available_solvers",
    "get_solver",
    "solve",
]


def _cpsat() -> Solver:
    from .cpsat import CpSatSolver  # lazy: CP-SAT and protobuf take ~0.9 s to import

    return CpSatSolver()


def __getattr__(name: str) -> object:
    if name == "CpSatSolver":
        from .cpsat import CpSatSolver

        return CpSatSolver
    raise AttributeError(name)


SOLVERS: dict[str, Callable[[], Solver]] = {
    "cpsat": _cpsat,
    "flow": MinCostFlowSolver,
    "hungarian": HungarianSolver,
}


def available_solvers() -> list[str]:
    """Back-end names accepted by :func:`get_solver` (``solve`` also takes ``"auto"``)."""
    return sorted(SOLVERS)


def get_solver(name: str) -> Solver:
    """A fresh back-end by name; an unknown name is a ``ConfigError`` listing the names."""
    try:
        factory = SOLVERS[name]
    except KeyError:
        names = ", ".join(available_solvers())
        raise ConfigError(f"unknown solver {name!r}; choose one of: auto, {names}") from None
    return factory()


def solve(
    problem: AssignmentProblem,
    solver: str = "auto",
    *,
    time_limit: float | None = None,
    seed: int = 0,
) -> SolverOutput:
    """Solve ``problem`` with back-end ``solver`` (or the best fitting one for ``"auto"``).

    Raises SolverRefusal when a named back-end cannot express the request.
    """
    if solver != "auto":
        backend = get_solver(solver)
        reason = backend.cannot_express(problem)
        if reason is not None:
            raise SolverRefusal(reason)
        return backend.solve(problem, time_limit=time_limit, seed=seed)
    if problem.has_side_constraints:
        return _auto_with_side_constraints(problem, time_limit=time_limit, seed=seed)
    return _auto_plain(problem, time_limit=time_limit, seed=seed)


def _auto_plain(problem: AssignmentProblem, *, time_limit: float | None, seed: int) -> SolverOutput:
    """Flow; hungarian when flow refuses or fails and the dense matrix fits.

    If flow refuses (costs too large for int64 scaling) and hungarian cannot take the
    problem either, CP-SAT is the last exact option. If flow *fails* and hungarian does
    not fit, the flow error is raised: CP-SAT would not finish at that size anyway.
    """
    flow = MinCostFlowSolver()
    hungarian = HungarianSolver()
    reason = flow.cannot_express(problem)
    if reason is None:
        try:
            return flow.solve(problem, time_limit=time_limit, seed=seed)
        except Exception as error:
            if hungarian.cannot_express(problem) is not None:
                raise
            note = f"auto: flow failed ({error}); fell back to hungarian"
            fallback: Solver = hungarian
    else:
        fallback = hungarian if hungarian.cannot_express(problem) is None else _cpsat()
        note = f"auto: {reason} Fell back to {fallback.name}."
    output = fallback.solve(problem, time_limit=time_limit, seed=seed)
    return dataclasses.replace(output, notes=(*output.notes, note))


def _auto_with_side_constraints(
    problem: AssignmentProblem, *, time_limit: float | None, seed: int
) -> SolverOutput:
    """CP-SAT, hinted with the flow optimum of the problem without area minimums.

    That relaxed optimum is also an upper bound (it tightens a ``feasible`` answer's
    ``bound``). CP-SAT always answers, even when the relaxed optimum happens to meet the
    minimums (it is then optimal, and CP-SAT proves it). Under a time limit, a flow
    heuristic that meets the minimums (:func:`area_bonus_pairs`) is computed first and
    returned, marked ``feasible``, if CP-SAT finds nothing better in time. Time spent on
    flow counts against ``time_limit``.
    """
    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit
    notes: list[str] = []
    relaxed = dataclasses.replace(problem, newcomer_area=None, area_minimum=None)
    upper: SolverOutput | None = None
    if MinCostFlowSolver().cannot_express(relaxed) is None:
        try:
            upper = MinCostFlowSolver().solve(relaxed)
        except Exception as error:  # only a speed-up: CP-SAT can do without
            notes.append(f"auto: flow without area minimums failed ({error}); CP-SAT unhinted")

    backup: IntArray | None = None
    if upper is not None and deadline is not None:
        chosen, met = area_bonus_pairs(problem, deadline=deadline)
        backup = chosen if met else None
    hint = None
    if upper is not None:
        hint = upper.chosen
        notes.append("auto: CP-SAT hinted with the flow optimum without area minimums")
    remaining = None if deadline is None else max(deadline - time.perf_counter(), 0.0)
    try:
        output = _cpsat().solve(problem, time_limit=remaining, seed=seed, hint=hint)
    except RuntimeError as error:
        if backup is None or upper is None:
            raise
        notes.append(f"auto: {error}; returned the flow area-bonus heuristic")
        output = SolverOutput(
            chosen=backup,
            status="feasible",
            objective=problem.objective_value(backup),
            bound=upper.objective,
            solver="flow",
            seconds=0.0,
        )
    if output.status == "infeasible" and backup is not None:
        raise RuntimeError("CP-SAT reports infeasible, but flow found pairs meeting the minimums")
    if output.status == "feasible" and upper is not None:
        bound = upper.objective if output.bound is None else min(output.bound, upper.objective)
        output = dataclasses.replace(output, bound=bound)
        if backup is not None and problem.objective_value(backup) > output.objective:
            notes.append("auto: the flow area-bonus heuristic beat CP-SAT's best; returned it")
            output = dataclasses.replace(
                output, chosen=backup, objective=problem.objective_value(backup), solver="flow"
            )
    return dataclasses.replace(
        output, seconds=time.perf_counter() - start, notes=(*output.notes, *notes)
    )
