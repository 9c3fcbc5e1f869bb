"""The matching flow: profiles → pools → candidate pairs → features → scores → solver →
checked result with reasons."""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from buddymatch import _explain, _features, _gc, _pairs, _scoring
from buddymatch._errors import ConfigError, Problem, RosterError
from buddymatch._pool import Pool, PooledPeople, Vocabulary, build_pool, pools, sort_by_id
from buddymatch._problem import SCORE_SCALE, AssignmentProblem
from buddymatch._profiles import Local, Newcomer, Person
from buddymatch._read import PairRow
from buddymatch._result import MatchResult, Pair, Unmatched
from buddymatch._vocab import MODES, Level
from buddymatch._weights import FEATURES, Weights

IntArray = NDArray[np.int64]
_RULE_WORDS = {
    "reach": "neither can reach the other within their travel time",
    "language": "they share no language at the minimum level",
    "time": "they have no free time in common",
    "transport_runs": "no way of travelling runs in their common free time",
    "gender": "it goes against a gender preference",
}
PersonT = TypeVar("PersonT", bound=Person)


@dataclass(frozen=True)
class PairRequest:
    """A coordinator's pinned or forbidden pair, with where it came from (for errors)."""

    newcomer_id: str
    local_id: str
    file: str = "pinned pairs"
    row: int | None = None


PairLike = PairRequest | PairRow | tuple[str, str]


def _requests(pairs: Iterable[PairLike], label: str) -> list[PairRequest]:
    """Pairs as requests that know where they were written: a :class:`PairRequest`, a row
    of :func:`~buddymatch.read_pairs` (its file and row), or ``(newcomer_id, local_id)``."""
    out = []
    for i, p in enumerate(pairs):
        if isinstance(p, PairRequest):
            out.append(p)
        elif isinstance(p, PairRow):
            out.append(PairRequest(p.newcomer_id, p.local_id, p.file, p.row))
        elif isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(x, str) for x in p):
            out.append(PairRequest(p[0], p[1], label, i + 1))
        else:
            raise ConfigError(
                f"{label}, item {i + 1}: not a pair of ids; expected (newcomer_id, local_id), "
                "a PairRequest or a row of read_pairs()"
            )
    return out


def _check_options(
    weights: object,
    solver: str,
    objective: str,
    time_limit: float | None,
    seed: int,
    explore: float,
    area_minimums: dict[str, int] | None,
) -> None:
    """Options a program passes wrongly, said as a :class:`ConfigError` before any work."""
    from buddymatch.solvers import get_solver

    if not isinstance(weights, Weights):
        raise ConfigError("weights must be a Weights (Weights.default(), or from_toml(path))")
    if solver != "auto":
        get_solver(solver)  # an unknown name is a ConfigError listing the names
    if objective not in ("count", "score"):
        raise ConfigError(f"objective must be 'count' or 'score', not {objective!r}")
    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float)
        or not math.isfinite(time_limit)
        or time_limit <= 0
    ):
        raise ConfigError(f"time_limit must be a number of seconds above 0, not {time_limit!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        raise ConfigError(f"seed must be a whole number from 0 to 2**31 - 1, not {seed!r}")
    if (
        isinstance(explore, bool)
        or not isinstance(explore, int | float)
        or not 0 <= explore <= 1  # also False for NaN
    ):
        raise ConfigError(f"explore must be a share from 0 to 1 (e.g. 0.05), not {explore!r}")
    for area, least in (area_minimums or {}).items():
        if isinstance(least, bool) or not isinstance(least, int) or least < 0:
            raise ConfigError(f"the minimum for {area!r} must be a whole number ≥ 0")


def _check_unique_ids(people: Sequence[Person], side: str) -> None:
    """Two profiles with one id would be matched as two people, each pair counted apart."""
    seen = Counter(p.id for p in people)
    twice = sorted(i for i, n in seen.items() if n > 1)
    if twice:
        shown = ", ".join(twice[:5]) + (f" and {len(twice) - 5} more" if len(twice) > 5 else "")
        raise ConfigError(f"{side}: each id must be used once; used more than once: {shown}")


@dataclass(frozen=True)
class Prepared:
    """Everything matching needs up to the solver: pools and scored candidate pairs.

    Only three integers are kept per candidate pair (at national density there are
    hundreds per newcomer); travel, language and the score's parts are recomputed for
    the pairs that are made (:func:`_details`), with the same code, so they are the same.
    The people and weights are kept so that a later run with a few changes (a what-if)
    can take over the pairs of everyone who did not change (``prepare(..., reuse=)``).
    """

    newcomers: Pool
    locals: Pool
    vocab: Vocabulary
    pair_newcomer: IntArray  # candidate pairs (all hard rules pass), by newcomer then local
    pair_local: IntArray
    pair_score: IntArray
    newcomer_people: Sequence[Newcomer] = ()  # see _in_pool_order
    local_people: Sequence[Local] = ()
    weights: Weights | None = None

    @property
    def n_candidates(self) -> int:
        return len(self.pair_newcomer)


def prepare(
    newcomers: Sequence[Newcomer],
    locals_: Sequence[Local],
    weights: Weights,
    *,
    reuse: Prepared | None = None,
) -> Prepared:
    """Pools and scored candidate pairs; with ``reuse`` (an earlier run with the same hard
    rules and travel settings), only pairs with a new or changed person are searched."""
    from buddymatch import _candidates

    npeople, lpeople = _in_pool_order(newcomers), _in_pool_order(locals_)
    if not isinstance(npeople, PooledPeople):  # pooled people come from a checked roster
        _check_unique_ids(npeople, "newcomers")
    if not isinstance(lpeople, PooledPeople):
        _check_unique_ids(lpeople, "locals")
    vocab, npool, lpool = pools(npeople, lpeople)
    same_rules = (
        reuse is not None
        and reuse.weights is not None
        and reuse.weights.rules == weights.rules
        and reuse.weights.travel_modes == weights.travel_modes
    )
    if reuse is None or not same_rules:
        found = _candidates.candidates(npool, lpool, vocab, weights)
    else:
        n_old = _earlier_row(_profiles(reuse.newcomer_people), _profiles(npeople))
        l_old = _earlier_row(_profiles(reuse.local_people), _profiles(lpeople))
        n_new = _inverse(n_old, len(reuse.newcomer_people))
        l_new = _inverse(l_old, len(reuse.local_people))
        kept_n, kept_l = n_new[reuse.pair_newcomer], l_new[reuse.pair_local]
        both = (kept_n >= 0) & (kept_l >= 0)
        found = _candidates.candidates_after_changes(
            npool,
            lpool,
            vocab,
            weights,
            (kept_n[both], kept_l[both]),
            np.flatnonzero(n_old < 0),
            np.flatnonzero(l_old < 0),
        )
    return Prepared(
        npool,
        lpool,
        vocab,
        found.newcomer,
        found.local,
        found.score,
        npeople,
        lpeople,
        weights,
    )


def _in_pool_order(people: Sequence[PersonT]) -> Sequence[PersonT]:
    """People sorted by id (a copy: a caller's list may change later), or people whose
    pool is built already, their profiles left pickled until something needs them."""
    return people if isinstance(people, PooledPeople) else tuple(sort_by_id(people))


def _profiles(people: Sequence[PersonT]) -> Sequence[PersonT]:
    """:func:`_in_pool_order` people as profiles in pool order (unpickled if need be)."""
    return tuple(sort_by_id(people)) if isinstance(people, PooledPeople) else people


def _earlier_row(before: Sequence[Person], now: Sequence[Person]) -> IntArray:
    """For each person now, their row in ``before`` if they are there unchanged, else -1."""
    row = {p.id: i for i, p in enumerate(before)}
    out = [row.get(p.id, -1) for p in now]
    return np.array(
        [i if i >= 0 and before[i] == p else -1 for i, p in zip(out, now, strict=True)],
        dtype=np.int64,
    )


def _inverse(rows: IntArray, size: int) -> IntArray:
    """``rows`` maps new → old (or -1); the map old → new (or -1)."""
    out = np.full(size, -1, dtype=np.int64)
    found = rows >= 0
    out[rows[found]] = np.flatnonzero(found)
    return out


def _check_requests(
    pinned: list[PairRequest], forbidden: list[PairRequest], prep: Prepared
) -> None:
    problems: list[Problem] = []
    nidx = {k: i for i, k in enumerate(prep.newcomers.ids)}
    lidx = {k: i for i, k in enumerate(prep.locals.ids)}
    for req in [*pinned, *forbidden]:
        if req.newcomer_id not in nidx:
            problems.append(
                Problem(
                    req.file,
                    req.row,
                    "newcomer_id",
                    "this newcomer id is in no newcomers roster",
                    "an id from the newcomers file",
                    req.newcomer_id,
                )
            )
        if req.local_id not in lidx:
            problems.append(
                Problem(
                    req.file,
                    req.row,
                    "local_id",
                    "this local id is in no locals roster",
                    "an id from the locals file",
                    req.local_id,
                )
            )
    forbidden_keys = {(r.newcomer_id, r.local_id) for r in forbidden}
    seen: dict[str, PairRequest] = {}
    for req in pinned:
        if (req.newcomer_id, req.local_id) in forbidden_keys:
            problems.append(
                Problem(
                    req.file,
                    req.row,
                    None,
                    "this pair is both pinned and forbidden",
                    "each pair in at most one of the two files",
                )
            )
        if req.newcomer_id in seen:
            problems.append(
                Problem(
                    req.file,
                    req.row,
                    "newcomer_id",
                    f"this newcomer is already pinned (row {seen[req.newcomer_id].row})",
                    "each newcomer pinned to one local at most",
                    req.newcomer_id,
                )
            )
        seen.setdefault(req.newcomer_id, req)
    load = Counter(r.local_id for r in pinned)
    for local_id, count in sorted(load.items()):
        if local_id in lidx and count > prep.locals.capacity[lidx[local_id]]:
            rows = [r for r in pinned if r.local_id == local_id]
            problems.append(
                Problem(
                    rows[-1].file,
                    rows[-1].row,
                    "local_id",
                    f"{count} newcomers are pinned to this local, more than "
                    f"the capacity of {int(prep.locals.capacity[lidx[local_id]])}",
                    "no more pins per local than its capacity",
                    local_id,
                )
            )
    if problems:
        raise RosterError(problems)


def _pair_key(n: IntArray, m: IntArray, n_locals: int) -> IntArray:
    return n.astype(np.int64) * max(n_locals, 1) + m


def match(
    newcomers: Sequence[Newcomer],
    locals_: Sequence[Local],
    *,
    weights: Weights | None = None,
    solver: str = "auto",
    objective: Literal["count", "score"] = "count",
    time_limit: float | None = None,
    seed: int = 0,
    pinned: Iterable[PairLike] = (),
    forbidden: Iterable[PairLike] = (),
    area_minimums: dict[str, int] | None = None,
    keep: Iterable[tuple[str, str]] = (),
    explore: float = 0.0,
) -> MatchResult:
    """Find the best set of pairs.

    By default the most newcomers are matched, and among those sets the one with the
    highest total score (``objective="score"``: the highest total score only). Pinned pairs
    are kept as given (with a warning if one breaks a hard rule); forbidden pairs are never
    made. ``area_minimums`` maps a municipality to the least number of its newcomers to
    match (needs the cpsat solver; ``auto`` picks it). Among equally good sets of pairs,
    the one that keeps the most ``keep`` pairs wins (a what-if keeps its base's pairs).
    ``explore`` (0–1) swaps that share of pairs for their best near-optimal alternative,
    seeded by ``seed`` and recorded in the notes, so that outcomes are learned on pairs the
    current weights would not make. Results are the same for the same input and ``seed``,
    whatever the row order.
    """
    started = time.perf_counter()
    weights = Weights.default() if weights is None else weights
    _check_options(weights, solver, objective, time_limit, seed, explore, area_minimums)
    return match_prepared(
        prepare(newcomers, locals_, weights),
        weights=weights,
        solver=solver,
        objective=objective,
        time_limit=time_limit,
        seed=seed,
        pinned=pinned,
        forbidden=forbidden,
        area_minimums=area_minimums,
        keep=keep,
        explore=explore,
        started=started,
    )


def match_prepared(
    prep: Prepared,
    *,
    weights: Weights,
    solver: str = "auto",
    objective: Literal["count", "score"] = "count",
    time_limit: float | None = None,
    seed: int = 0,
    pinned: Iterable[PairLike] = (),
    forbidden: Iterable[PairLike] = (),
    area_minimums: dict[str, int] | None = None,
    keep: Iterable[tuple[str, str]] = (),
    explore: float = 0.0,
    started: float | None = None,
) -> MatchResult:
    """:func:`match` from prepared pools and candidates (``weights`` as prepared with)."""
    from buddymatch import solvers  # lazy: keeps `import buddymatch` light

    started = time.perf_counter() if started is None else started
    _check_options(weights, solver, objective, time_limit, seed, explore, area_minimums)
    npool, lpool = prep.newcomers, prep.locals
    pair_n, pair_l, score = prep.pair_newcomer, prep.pair_local, prep.pair_score
    pins = _requests(pinned, "pinned pairs")
    bans = _requests(forbidden, "forbidden pairs")
    _check_requests(pins, bans, prep)
    nidx = {k: i for i, k in enumerate(npool.ids)}
    lidx = {k: i for i, k in enumerate(lpool.ids)}

    # Coordinators' decisions: forbidden pairs are dropped, pinned newcomers taken out.
    allowed = np.ones(prep.n_candidates, dtype=bool)
    if bans:
        ban_keys = np.array(
            [nidx[r.newcomer_id] * max(lpool.size, 1) + lidx[r.local_id] for r in bans],
            dtype=np.int64,
        )
        allowed = ~np.isin(_pair_key(pair_n, pair_l, lpool.size), ban_keys)
    workable = np.bincount(pair_n[allowed], minlength=npool.size)
    pin_n = np.array([nidx[r.newcomer_id] for r in pins], dtype=np.int64)
    pin_l = np.array([lidx[r.local_id] for r in pins], dtype=np.int64)
    capacity = lpool.capacity - np.bincount(pin_l, minlength=lpool.size)
    pinned_mask = np.zeros(npool.size, dtype=bool)
    pinned_mask[pin_n] = True
    usable = allowed & ~pinned_mask[pair_n] & (capacity[pair_l] > 0)
    if objective == "score":
        usable &= score > 0
    worth = np.bincount(
        pair_n[allowed & ((score > 0) | (objective == "count"))], minlength=npool.size
    )
    # Every candidate usable (the common case): the problem shares the arrays, no copies.
    cand: IntArray | None = None if usable.all() else np.flatnonzero(usable)
    del usable

    def candidates_of(picked: IntArray) -> IntArray:
        """Positions in ``prep``'s candidate arrays of positions in the problem's pairs."""
        return picked if cand is None else cand[picked]

    area_of = None
    minimum = None
    if area_minimums:
        lives = set(npool.municipality)
        nowhere = sorted(a for a, least in area_minimums.items() if least and a not in lives)
        if nowhere:
            raise ConfigError(
                "no newcomer lives in " + ", ".join(repr(a) for a in nowhere) + "; expected "
                "municipalities as the rosters name them, e.g. "
                + ", ".join(sorted(lives - {""})[:3])
            )
        areas = sorted(area_minimums)
        area_index = {a: i for i, a in enumerate(areas)}
        area_of = np.array([area_index.get(mu, -1) for mu in npool.municipality], dtype=np.int64)
        already = np.bincount(area_of[pin_n][area_of[pin_n] >= 0], minlength=len(areas))
        minimum = np.maximum(np.array([area_minimums[a] for a in areas]) - already, 0)

    keep_keys = np.array(
        [nidx[a] * max(lpool.size, 1) + lidx[b] for a, b in keep if a in nidx and b in lidx],
        dtype=np.int64,
    )
    if cand is not None:
        pair_n, pair_l, score = pair_n[cand], pair_l[cand], score[cand]
    problem = AssignmentProblem(
        n_newcomers=npool.size,
        n_locals=lpool.size,
        capacity=capacity.astype(np.int64),
        pair_newcomer=pair_n,
        pair_local=pair_l,
        pair_score=score,
        objective=objective,
        newcomer_area=area_of,
        area_minimum=None if minimum is None else minimum.astype(np.int64),
        pair_keep=(
            np.isin(_pair_key(pair_n, pair_l, lpool.size), keep_keys) if len(keep_keys) else None
        ),
    )
    out = solvers.solve(problem, solver, time_limit=time_limit, seed=seed)
    if out.status == "infeasible":
        raise ConfigError(
            "the per-area minimums cannot all be met with these rosters: "
            + ", ".join(f"{a}: {n}" for a, n in sorted((area_minimums or {}).items()))
        )
    from buddymatch._check import check_matching

    violations = check_matching(problem, out.chosen)
    if violations:
        raise RuntimeError("solver returned an invalid matching: " + "; ".join(violations))
    if out.objective != problem.objective_value(out.chosen):
        raise RuntimeError("solver objective does not match its pairs")

    picked = out.chosen
    notes = tuple(out.notes)
    explored: set[int] = set()
    if explore > 0:
        from buddymatch._learning import explore_pairs

        ex = explore_pairs(
            problem.pair_newcomer,
            problem.pair_local,
            problem.pair_score,
            out.chosen,
            problem.capacity,
            explore,
            seed,
        )
        bad = check_matching(problem, ex.chosen)
        if bad:
            raise RuntimeError("exploration made an invalid matching: " + "; ".join(bad))
        picked = ex.chosen
        explored = set(candidates_of(np.setdiff1d(picked, out.chosen)).tolist())
        lost = sum(s.score_lost for s in ex.swaps) / SCORE_SCALE
        notes += (
            f"exploration: {len(explored)} pair(s) made from near-optimal alternatives "
            f"(share {explore:g}, seed {seed}), score given up {lost:.3f}",
        )
    chosen = candidates_of(picked)
    warnings: list[str] = []
    matched = np.zeros(npool.size, dtype=bool)
    matched[prep.pair_newcomer[chosen]] = True
    matched |= pinned_mask
    with _gc.paused():  # a few objects for every pair and every newcomer waiting
        pairs = _made_pairs(prep, chosen, weights, explored)
        if pins:
            pairs.extend(_pinned_pairs(prep, pin_n, pin_l, weights, warnings))
        pairs.sort(key=lambda p: (p.newcomer_id, p.local_id))
        unmatched = _unmatched(prep, matched, workable, worth, allowed, weights, objective)
    return MatchResult(
        pairs=tuple(pairs),
        unmatched=tuple(unmatched),
        solver=out.solver,
        status=out.status,
        objective=problem.objective_value(picked),
        bound=out.bound,
        objective_kind=objective,
        n_newcomers=npool.size,
        n_locals=lpool.size,
        n_candidates=prep.n_candidates,
        seed=seed,
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
        notes=notes,
    )


def _level_labels(levels: list[int]) -> list[str | None]:
    """The label of each language level (``None`` for 0: no shared language)."""
    label = {int(lvl): lvl.label for lvl in Level}
    return [label[v] if v > 0 else None for v in levels]


def _names(codes: list[int], names: Sequence[str]) -> list[str | None]:
    """``names[c]`` for each code ``c``, ``None`` where the code is negative (there is none)."""
    return [names[c] if c >= 0 else None for c in codes]


def _pairs_from(
    prep: Prepared,
    checks: _pairs.PairChecks,
    contrib: IntArray,
    shared: sp.csr_matrix,
    weights: Weights,
    *,
    pinned: bool,
    explored: Sequence[bool] | None = None,
) -> list[Pair]:
    """``Pair`` records for checked pairs: every field is made for all pairs at once as a
    list of Python values (tens of thousands of pairs at national scale), then zipped."""
    k = len(checks.newcomer)
    score = (_scoring.scores(contrib, weights) / SCORE_SCALE).tolist()
    chance = (
        _scoring.probability(contrib, weights).tolist()
        if weights.model.kind == "probability"
        else [None] * k
    )
    if contrib.shape[1] != len(FEATURES):
        raise ValueError("contributions need one column per feature")
    # Rows checked as a whole just above; a strict zip per row would double this step.
    contributions = [
        dict(zip(FEATURES, row, strict=False)) for row in (contrib / SCORE_SCALE).tolist()
    ]
    practice = (contrib[:, FEATURES.index("dutch_practice")] != 0).tolist()
    modes = checks.travel_mode.tolist()
    travel_mode = _names(modes, MODES)
    who_travels = [
        _pairs.WHO[w] if m >= 0 else None
        for w, m in zip(checks.who_travels.tolist(), modes, strict=True)
    ]
    travel_min = [round(t, 1) if math.isfinite(t) else None for t in checks.travel_min.tolist()]
    language = _names(checks.best_language.tolist(), prep.vocab.languages)
    level = _level_labels(checks.best_level.tolist())
    slots = np.bitwise_count(checks.common_slots).tolist()
    tags = _tags(shared, prep.vocab)
    nids = [prep.newcomers.ids[i] for i in checks.newcomer.tolist()]
    lids = [prep.locals.ids[j] for j in checks.local.tolist()]
    explored = explored if explored is not None else [False] * k
    return [
        Pair(
            newcomer_id=nids[r],
            local_id=lids[r],
            score=score[r],
            probability=chance[r],
            contributions=contributions[r],
            language=language[r],
            language_level=level[r],
            dutch_practice=practice[r],
            travel_min=travel_min[r],
            travel_mode=travel_mode[r],
            who_travels=who_travels[r],
            shared_interests=tags[r],
            common_slots=slots[r],
            pinned=pinned,
            explored=explored[r],
        )
        for r in range(k)
    ]


def _tags(shared: sp.csr_matrix, vocab: Vocabulary) -> list[tuple[str, ...]]:
    """Per row of ``shared``, the names of its tags in name order, read in one pass over
    the matrix (indexing it row by row costs more than the rest of a pair's fields)."""
    names = [vocab.tags[c] for c in shared.indices.tolist()]
    bounds = shared.indptr.tolist()
    return [tuple(sorted(names[a:b])) for a, b in itertools.pairwise(bounds)]


def _details(
    prep: Prepared, n: IntArray, m: IntArray, weights: Weights
) -> tuple[_pairs.PairChecks, IntArray, sp.csr_matrix]:
    """Hard rules, travel, contributions and shared interests of the pairs ``(n, m)``."""
    checks = _pairs.check_pairs(prep.newcomers, prep.locals, n, m, weights)
    feats, shared = _features.feature_matrix(
        checks,
        prep.newcomers,
        prep.locals,
        prep.vocab,
        weights,
        tag_weight=_features.interest_weights(prep.newcomers, prep.locals),
    )
    feats = np.nan_to_num(feats, posinf=0.0)  # a pin with no workable travel has no travel part
    return checks, _scoring.contributions(feats, weights), shared


def _made_pairs(
    prep: Prepared, chosen: IntArray, weights: Weights, explored: set[int]
) -> list[Pair]:
    """The chosen candidate pairs, explained; their recomputed scores must be the ones the
    solver saw (one code path for both, so a difference is a bug)."""
    n, m = prep.pair_newcomer[chosen], prep.pair_local[chosen]
    checks, contrib, shared = _details(prep, n, m, weights)
    if not np.array_equal(_scoring.scores(contrib, weights), prep.pair_score[chosen]):
        raise RuntimeError("recomputed pair scores differ from the scores matched on")
    flags = [c in explored for c in chosen.tolist()]
    return _pairs_from(prep, checks, contrib, shared, weights, pinned=False, explored=flags)


def _pinned_pairs(
    prep: Prepared, pin_n: IntArray, pin_l: IntArray, weights: Weights, warnings: list[str]
) -> list[Pair]:
    """Pinned pairs as made by the coordinator, with a warning for each broken rule."""
    checks, contrib, shared = _details(prep, pin_n, pin_l, weights)
    for k in range(len(pin_n)):
        broken = [_RULE_WORDS[s] for s in _pairs.STAGES if not checks.passes[s][k]]
        nid, lid = prep.newcomers.ids[int(pin_n[k])], prep.locals.ids[int(pin_l[k])]
        if broken:
            warnings.append(f"pinned pair {nid}–{lid} is kept although " + "; ".join(broken))
    return _pairs_from(prep, checks, contrib, shared, weights, pinned=True)


def _unmatched(
    prep: Prepared,
    matched: NDArray[np.bool_],
    workable: IntArray,
    worth: IntArray,
    allowed: NDArray[np.bool_],
    weights: Weights,
    objective: str,
) -> list[Unmatched]:
    from buddymatch._candidates import stage_counts_for

    waiting = np.flatnonzero(~matched)
    starts = np.searchsorted(prep.pair_newcomer, np.arange(prep.newcomers.size + 1))
    n_candidates = np.diff(starts)
    # Which hard rule leaves nobody matters only for newcomers without any candidate; for
    # the others every stage keeps at least their candidates (all the reasons ask is
    # whether a stage leaves nobody), so the near pairs are checked for the first group only.
    counts = stage_counts_for(
        prep.newcomers, prep.locals, weights, waiting[n_candidates[waiting] == 0]
    )
    for c in counts.values():
        np.maximum(c, n_candidates, out=c)
    return _explain.explain_waiting(
        waiting,
        prep.newcomers,
        prep.vocab,
        weights,
        counts,
        workable,
        worth,
        _workable_locals(prep, waiting, allowed),
        objective,
    )


def _workable_locals(
    prep: Prepared, newcomers: IntArray, allowed: NDArray[np.bool_]
) -> list[list[str]]:
    """Per newcomer in ``newcomers``, the ids of their candidate locals that are not
    forbidden, in candidate order; taken from the candidate arrays in one pass."""
    wanted = np.zeros(prep.newcomers.size, dtype=bool)
    wanted[newcomers] = True
    rows = np.flatnonzero(allowed & wanted[prep.pair_newcomer])
    ids = [prep.locals.ids[j] for j in prep.pair_local[rows].tolist()]
    owner = prep.pair_newcomer[rows]  # ascending: candidates are ordered by newcomer
    starts = np.searchsorted(owner, newcomers, side="left").tolist()
    ends = np.searchsorted(owner, newcomers, side="right").tolist()
    return [ids[a:b] for a, b in zip(starts, ends, strict=True)]


def features_for_pairs(
    newcomers: Sequence[Newcomer],
    locals_: Sequence[Local],
    pairs: Sequence[tuple[str, str]],
    weights: Weights | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Feature rows (columns in ``FEATURES`` order) for given (newcomer id, local id) pairs.

    The same feature code as matching, so learning sees what matching scores. Also says
    which pairs pass every hard rule; for the others, travel is ``inf`` when no mode works.
    Unknown ids raise ``KeyError``.
    """
    weights = weights or Weights.default()
    vocab = Vocabulary.of(newcomers, locals_)
    npool = build_pool(sort_by_id(newcomers), vocab)
    lpool = build_pool(sort_by_id(locals_), vocab)
    nidx = {k: i for i, k in enumerate(npool.ids)}
    lidx = {k: i for i, k in enumerate(lpool.ids)}
    n = np.array([nidx[a] for a, _ in pairs], dtype=np.int64)
    m = np.array([lidx[b] for _, b in pairs], dtype=np.int64)
    checks = _pairs.check_pairs(npool, lpool, n, m, weights)
    feats, _ = _features.feature_matrix(checks, npool, lpool, vocab, weights)
    return feats, checks.feasible
