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
    """Near pairs (one of the two could travel to the other by straight line) per chunk."""

    def __init__(self, newcomers: Pool, locals_: Pool, weights: Weights) -> None:
        from scipy.spatial import cKDTree

        self._tree = cKDTree
        self.n_xyz = newcomers.xyz
        self.n_chord = chord_radius(reach_km(newcomers, weights))
        self.l_tree = cKDTree(locals_.xyz) if locals_.size else None
        l_xyz = locals_.xyz
        l_chord = chord_radius(reach_km(locals_, weights))
        values, group = np.unique(l_chord, return_inverse=True)
        self.l_groups = []
        for g, r in enumerate(values):
            members = np.flatnonzero(group == g)
            self.l_groups.append((members, cKDTree(l_xyz[members]), float(r)))

    def pairs(self, rows: IntArray) -> tuple[IntArray, IntArray]:
        """Near pairs of the newcomers ``rows``: each pair once, in no particular order.

        Searched from both sides, the newcomer's reach and then the local's. A pair the
        locals' search finds is kept only when the newcomer's search did not, which the
        distance tells for all but pairs right on the edge of the newcomer's reach (those
        are compared with what it found): so no sort of every near pair to drop doubles.
        Sorting waits until the cheap rules have dropped about half of them.
        """
        empty = np.zeros(0, dtype=np.int64)
        if self.l_tree is None or len(rows) == 0:
            return empty, empty
        xyz = self.n_xyz[rows]
        chord = self.n_chord[rows]
        ns: list[IntArray] = []
        ms: list[IntArray] = []
        values, group = np.unique(chord, return_inverse=True)
        for g, r in enumerate(values):
            members = np.flatnonzero(group == g)
            found = self._tree(xyz[members]).sparse_distance_matrix(
                self.l_tree, float(r), output_type="ndarray"
            )
            ns.append(members[found["i"]])
            ms.append(found["j"])
        own = len(ns)
        chunk_tree = self._tree(xyz)
        for members, tree, r in self.l_groups:
            found = tree.sparse_distance_matrix(chunk_tree, r, output_type="ndarray")
            reach = chord[found["j"]]
            beyond = found["v"] > reach * (1 + _EDGE)
            edge = np.flatnonzero(~beyond & (found["v"] >= reach * (1 - _EDGE)))
            if len(edge):
                beyond[edge] = _not_among(
                    found["j"][edge], members[found["i"][edge]], ns[:own], ms[:own], len(rows)
                )
            ns.append(found["j"][beyond])
            ms.append(members[found["i"][beyond]])
        return rows[np.concatenate(ns)], np.concatenate(ms).astype(np.int64, copy=False)


# Relative band around a newcomer's reach in which rounding could decide whether the
# newcomer's own search found a pair (far wider than rounding, far narrower than metres).
_EDGE = 1e-9


def _not_among(
    n: IntArray, m: IntArray, ns: list[IntArray], ms: list[IntArray], n_rows: int
) -> BoolArray:
    """Which pairs ``(n[k], m[k])`` are not among the pairs ``ns``/``ms`` (chunk rows)."""
    asked = np.zeros(n_rows, dtype=bool)
    asked[n] = True
    found_n, found_m = np.concatenate(ns), np.concatenate(ms)
    mine = asked[found_n]
    width = int(max(m.max(initial=0), found_m.max(initial=0))) + 1
    return ~np.isin(n * width + m, found_n[mine] * width + found_m[mine])


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
