"""Candidate pairs in newcomer chunks: near pairs, hard rules, scores — survivors only.

:func:`candidates` gives the same candidate pairs (every hard rule passes), in the same
order (newcomer, then local), with the same integer scores, as ``near_pairs`` →
``check_pairs`` → ``subset(feasible)`` → features → scores over all pairs at once, without
ever holding all near pairs or any per-pair detail beyond the score: newcomers are
processed in chunks of about ``target_pairs`` near pairs. Within a chunk the cheap rules
run first on every near pair (a shared language as a bitwise AND of per-person masks of
the languages spoken at the minimum level or better, common free time as a slot AND, the
gender preference); the full :func:`~buddymatch._pairs.check_pairs` (distance, travel by
mode, best language) runs only on the pairs that pass those.

Per-stage survivor counts (why a newcomer has no workable local at all) are only needed
for newcomers left unmatched, so :func:`stage_counts_for` computes them for those alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from buddymatch import _features, _scoring
from buddymatch._pairs import (
    STAGES,
    PairChecks,
    check_pairs,
    chord_radius,
    count_stages,
    gender_fits,
    kd_tree,
    reach_km,
    rule_passes,
    share_a_language,
)
from buddymatch._pool import Pool, Vocabulary
from buddymatch._weights import Weights

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
T = TypeVar("T")


class NearFinder:
    """Near pairs (one of the two could travel to the other by straight line) per chunk.

    A pair is near when its distance is within the larger of the two people's reaches.
    Both sides are cut into a few *reach classes* (people of about the same reach); each
    newcomer class is searched against each local class once, with the larger of the two
    classes' reaches, so every pair is found exactly once: no pair is found from both
    sides, and nothing needs to be sorted out afterwards. Where a class holds several
    reaches, the pairs found are kept only within their own larger reach. (10,000
    newcomers, 6 million near pairs: 35 % less time than searching from both sides.)
    """

    def __init__(self, newcomers: Pool, locals_: Pool, weights: Weights) -> None:
        tree = kd_tree()
        self.n_xyz = newcomers.xyz
        self.n_chord = chord_radius(reach_km(newcomers, weights))
        self.n_class, self.n_reach, self.n_exact = _reach_classes(self.n_chord, _REACH_CLASSES)
        self.l_chord = chord_radius(reach_km(locals_, weights))
        l_class, l_reach, l_exact = _reach_classes(self.l_chord, _REACH_CLASSES)
        self.l_groups = [
            (members, tree(locals_.xyz[members]), float(l_reach[c]), bool(l_exact[c]))
            for c in range(len(l_reach))
            if len(members := np.flatnonzero(l_class == c))
        ]

    def pairs(self, rows: IntArray) -> tuple[IntArray, IntArray]:
        """Near pairs of the newcomers ``rows``: each pair once, in no particular order."""
        ns: list[IntArray] = []
        ms: list[IntArray] = []
        in_class = self.n_class[rows]
        for c, reach in enumerate(self.n_reach):
            members = np.flatnonzero(in_class == c)
            if len(members) == 0:
                continue
            tree = kd_tree()(self.n_xyz[rows[members]])
            for l_members, l_tree, l_reach, l_exact in self.l_groups:
                found = tree.sparse_distance_matrix(
                    l_tree, max(float(reach), l_reach), output_type="ndarray"
                )
                i, j = members[found["i"]], l_members[found["j"]]
                if not (l_exact and self.n_exact[c]):
                    own = np.maximum(self.n_chord[rows[i]], self.l_chord[j])
                    within = found["v"] <= own
                    i, j = i[within], j[within]
                ns.append(i)
                ms.append(j)
        if not ns:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        return rows[np.concatenate(ns)], np.concatenate(ms).astype(np.int64, copy=False)


# At most this many reach classes per side: more classes search fewer pairs beyond a
# person's own reach, but make more searches (6 was fastest at 10,000 newcomers).
_REACH_CLASSES = 6


def _reach_classes(
    chord: NDArray[np.float64], most: int
) -> tuple[IntArray, NDArray[np.float64], BoolArray]:
    """Each person's reach class, each class's reach (its largest) and whether everyone in
    the class has that reach. At most ``most`` distinct reaches: a class each; otherwise
    ``most`` classes of about as many people each, cut between distinct reaches."""
    values, which = np.unique(chord, return_inverse=True)
    if len(values) <= most:
        return which.astype(np.int64), values, np.ones(len(values), dtype=bool)
    upto = np.cumsum(np.bincount(which, minlength=len(values)))
    cuts = np.searchsorted(upto, np.linspace(0, upto[-1], most + 1)[1:-1])
    starts = np.zeros(len(values) + 1, dtype=np.int64)
    starts[np.unique(cuts) + 1] = 1  # a new class after each cut value
    of_value = np.cumsum(starts)[: len(values)]
    n_classes = int(of_value[-1]) + 1
    reach = np.zeros(n_classes)
    np.maximum.at(reach, of_value, values)
    lowest = np.full(n_classes, np.inf)
    np.minimum.at(lowest, of_value, values)
    return of_value[which].astype(np.int64), reach, lowest == reach


_COUNT_CHUNK = 2_000  # newcomers per step when counting stage survivors


@dataclass(frozen=True)
class Candidates:
    """Every workable pair (all hard rules pass), by newcomer then local, and its score."""

    newcomer: IntArray
    local: IntArray
    score: IntArray  # integer, see ``_scoring``


def candidates(
    newcomers: Pool,
    locals_: Pool,
    vocab: Vocabulary,
    weights: Weights,
    *,
    target_pairs: int = 2_000_000,
    workers: int | None = None,
) -> Candidates:
    """All candidate pairs with their scores, computed newcomer chunk by newcomer chunk.

    Chunks run in ``workers`` threads (default: the machine's cores, at most 4): numpy and
    scipy's k-d tree release the GIL for the array work, which is nearly all of it. Chunks
    hold about ``target_pairs`` near pairs each, from the density of a sample, but smaller
    (down to 500,000) when that gives each thread fewer than four chunks: small chunks stay
    in cache and balance the threads (10,000 newcomers: 0.8 s → 0.55 s).
    """
    finder = NearFinder(newcomers, locals_, weights)
    scorer = _Scorer(newcomers, locals_, vocab, weights)

    def one(rows: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        checks = _feasible(newcomers, locals_, *finder.pairs(rows), weights)
        return checks.newcomer, checks.local, scorer.score(checks)

    size = newcomers.size
    sample = np.unique(np.linspace(0, size - 1, min(size, 200)).astype(np.int64))
    per = len(finder.pairs(sample)[0]) / max(len(sample), 1)
    threads = workers or _threads()
    target = min(target_pairs, max(per * size / (4 * threads), min(target_pairs, 500_000)))
    step = int(max(min(target / max(per, 1.0), size), 1))
    rows = [np.arange(lo, min(lo + step, size), dtype=np.int64) for lo in range(0, size, step)]
    return _gather(one, rows, threads)


def candidates_after_changes(
    newcomers: Pool,
    locals_: Pool,
    vocab: Vocabulary,
    weights: Weights,
    kept: tuple[IntArray, IntArray],
    changed_newcomers: IntArray,
    changed_locals: IntArray,
    *,
    target_pairs: int = 2_000_000,
    workers: int | None = None,
) -> Candidates:
    """:func:`candidates` of rosters that differ from an earlier run in a few people.

    ``kept`` are the earlier run's candidate pairs between people who did not change (in
    these pools' numbering; rules and travel settings must be the same), ``changed_*``
    the rows of people who are new or changed. Only pairs with a changed person are
    searched and checked; every pair is scored again, because a pair's score depends on
    everyone (how rare a shared interest is). The same result as :func:`candidates`.
    """
    parts_n, parts_m = [kept[0]], [kept[1]]
    if len(changed_newcomers):
        near = NearFinder(newcomers, locals_, weights).pairs(changed_newcomers)
        checks = _feasible(newcomers, locals_, *near, weights)
        parts_n.append(checks.newcomer)
        parts_m.append(checks.local)
    if len(changed_locals):
        few = locals_.take(changed_locals)
        finder = NearFinder(newcomers, few, weights)
        other = np.setdiff1d(np.arange(newcomers.size), changed_newcomers)
        for lo in range(0, len(other), 20_000):
            n, j = finder.pairs(other[lo : lo + 20_000])
            checks = _feasible(newcomers, locals_, n, changed_locals[j], weights)
            parts_n.append(checks.newcomer)
            parts_m.append(checks.local)
    key = np.sort(np.concatenate(parts_n) * max(locals_.size, 1) + np.concatenate(parts_m))
    pair_n, pair_m = key // max(locals_.size, 1), key % max(locals_.size, 1)
    del key
    scorer = _Scorer(newcomers, locals_, vocab, weights)

    def one(at: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        checks = check_pairs(newcomers, locals_, pair_n[at], pair_m[at], weights)
        if not checks.feasible.all():
            raise RuntimeError("a kept pair no longer passes the hard rules")
        return checks.newcomer, checks.local, scorer.score(checks)

    step = max(target_pairs // 2, 1)
    pieces = [np.arange(lo, min(lo + step, len(pair_n))) for lo in range(0, len(pair_n), step)]
    return _gather(one, pieces, workers)


def _feasible(
    newcomers: Pool, locals_: Pool, n: IntArray, m: IntArray, weights: Weights
) -> PairChecks:
    """The pairs among ``(n, m)`` (each pair once, any order) that pass every hard rule,
    with their checks, sorted by newcomer, then local: the cheap rules first, the full
    check on the pairs that pass them."""
    keep = _cheap_rules(newcomers, locals_, n, m, weights)
    width = max(locals_.size, 1)
    key = n[keep] * width
    key += m[keep]
    key.sort()
    n, m = np.divmod(key, width)
    del key
    checks = check_pairs(newcomers, locals_, n, m, weights)
    return checks.subset(checks.feasible)


class _Scorer:
    """Integer scores of checked pairs (interest rarity computed once for both pools)."""

    def __init__(self, newcomers: Pool, locals_: Pool, vocab: Vocabulary, weights: Weights):
        self.args = (newcomers, locals_, vocab, weights)
        self.tag_weight = _features.interest_weights(newcomers, locals_)

    def score(self, checks: PairChecks) -> IntArray:
        return _scoring.pair_scores(checks, *self.args, tag_weight=self.tag_weight)


def _threads() -> int:
    return min(os.cpu_count() or 1, 4)


def _gather(
    one: Callable[[IntArray], tuple[IntArray, IntArray, IntArray]],
    pieces: list[IntArray],
    workers: int | None,
) -> Candidates:
    """``one`` over ``pieces`` (in threads), joined in order.

    (Half of the pieces in a forked process instead was measured too: no faster end to
    end, as the main process then pays for copying the pages it shares with the child.)
    """
    parts = _in_threads(one, pieces, workers or _threads())
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty.copy(), empty.copy())
    columns = [list(c) for c in zip(*parts, strict=True)]
    parts.clear()  # the pieces now live in ``columns`` only, and _join frees them as it goes
    return Candidates(_join(columns[0]), _join(columns[1]), _join(columns[2]))


def _in_threads(one: Callable[[IntArray], T], pieces: list[IntArray], threads: int) -> list[T]:
    """``one`` of each piece, in order, in ``threads`` threads when there is more than one."""
    if threads > 1 and len(pieces) > 1:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, pieces))
    return [one(piece) for piece in pieces]


def _join(pieces: list[IntArray]) -> IntArray:
    """One array from pieces, releasing each piece once copied: the result's pages are
    only touched as they are filled, so memory stays near one copy, not two."""
    out = np.empty(sum(len(p) for p in pieces), dtype=np.int64)
    at = 0
    pieces.reverse()
    while pieces:
        piece = pieces.pop()
        out[at : at + len(piece)] = piece
        at += len(piece)
        del piece
    return out


def _cheap_rules(
    newcomers: Pool, locals_: Pool, n: IntArray, m: IntArray, weights: Weights
) -> BoolArray:
    """Common free time, a shared language, the gender preference: the rules that need no
    distance, as bit operations on per-person columns."""
    ok = share_a_language(newcomers, locals_, n, m, int(weights.rules.min_shared_level))
    ok &= (newcomers.slots[n] & locals_.slots[m]) != 0
    ok &= gender_fits(newcomers, locals_, n, m)
    return ok


def stage_counts_for(
    newcomers: Pool, locals_: Pool, weights: Weights, who: IntArray
) -> dict[str, IntArray]:
    """Per newcomer, how many locals survive each hard rule in turn (``_pairs.STAGES``),
    for the newcomers ``who`` only (zeros for everyone else), a few thousand at a time,
    in threads (numpy lets go of the interpreter)."""
    rows = np.unique(np.asarray(who, dtype=np.int64))
    finder = NearFinder(newcomers, locals_, weights)
    threads = _threads()
    step = max(min(_COUNT_CHUNK, -(-len(rows) // threads)), 1)

    def one(part: IntArray) -> dict[str, IntArray]:
        n, m = finder.pairs(part)
        return count_stages(n, rule_passes(newcomers, locals_, n, m, weights), newcomers.size)

    counts = count_stages(rows[:0], dict.fromkeys(STAGES, np.zeros(0, dtype=bool)), newcomers.size)
    pieces = [rows[lo : lo + step] for lo in range(0, len(rows), step)]
    for part in _in_threads(one, pieces, threads):
        for stage, c in part.items():
            counts[stage] += c
    return counts
