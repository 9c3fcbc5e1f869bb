"""Exact maximum-weight pairs on large problems: solve on the best pairs, prove the rest away.

At national density a newcomer has hundreds of workable locals, but an optimal matching
uses few of them. So the flow network is built on each newcomer's and each local's
heaviest pairs only (a *restricted* problem), solved, and its optimality for the *whole*
problem is then proven with linear-programming duality:

The assignment LP ``max Σ w·x, Σ_j x_ij ≤ 1, Σ_i x_ij ≤ cap_j, x ≥ 0`` has the dual
``min Σ u_i + Σ cap_j v_j, u_i + v_j ≥ w_ij, u, v ≥ 0``. From the restricted optimum we
build duals ``(u, v)`` that satisfy complementary slackness with it (matched pairs tight,
``u_i = 0`` for unmatched newcomers, ``v_j = 0`` for locals with room). If every pair
left out also has ``u_i + v_j ≥ w_ij``, those duals are feasible for the whole problem and
their value equals the restricted optimum, so no matching of the whole problem can do
better. Pairs that break the inequality are added and the restricted problem is solved
again (column generation); this ends, at the latest, when every pair is in.

The duals are the least solution of ``v_j = max(0, max_i w_ij − u_i)`` with
``u_i = w_i,mate(i) − v_mate(i)``: longest alternating paths, found by relaxing only the
pairs whose source changed (label correcting). Optimality of the restricted matching
guarantees there is no positive cycle, so this ends; a guard falls back to the full
network if it does not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
# (newcomer, local, weight) of some pairs → sorted indices of a maximum-weight subset.
PairSolver = Callable[[IntArray, IntArray, IntArray], IntArray]

_BUCKETS = 64
_LEVELS = 3
_CHUNK = 4_000_000
_MAX_WAVES = 5_000  # a proof attempt that takes longer gives up (and a new round runs)
_THREADED_WAVE = 500_000  # pairs from which the first wave of prices uses two threads


@dataclass(frozen=True)
class Pruned:
    """A proven maximum-weight matching and how it was found."""

    chosen: IntArray  # sorted indices into the problem's pairs
    pairs_solved: int  # pairs in the last restricted network
    rounds: int  # restricted solves (1 = the first restricted set was enough)
    proven: bool  # False: fell back to solving every pair at once


def heaviest(owner: IntArray, weights: IntArray, n_owners: int, k: IntArray) -> BoolArray:
    """A mask keeping at least the ``k[o]`` heaviest pairs of every owner ``o``.

    By weight histograms rather than a sort: 64 buckets over each owner's own weight range;
    buckets above the cut are kept, and the bucket the cut falls in is split again by the
    same rule (a few levels), so an owner keeps ``k`` pairs plus ties (fewer only if it
    has fewer pairs). Pairs are handled in chunks: memory stays at a few bytes per pair.
    """
    keep = np.zeros(len(owner), dtype=bool)
    open_: IntArray | None = None  # None: every pair (no gather on the first level)
    need = k.astype(np.int64).copy()
    for _ in range(_LEVELS):
        o_all = owner if open_ is None else owner[open_]
        w_all = weights if open_ is None else weights[open_]
        if len(o_all) == 0:
            return keep
        ids, o_all = _compact(o_all, n_owners)  # histograms over owners present only
        kept, split, gave = _cut(o_all, w_all, need[ids])
        need[ids] -= gave
        if open_ is None:
            keep |= kept
            open_ = np.flatnonzero(split)
        else:
            keep[open_[kept]] = True
            open_ = open_[split]
    if open_ is not None:
        keep[open_] = True  # ties that the histograms could not split
    return keep


def _compact(owner: IntArray, n_owners: int) -> tuple[IntArray, IntArray]:
    """The owners present, and ``owner`` renumbered 0 … len(present) - 1 (kept as is when
    nearly every owner is present)."""
    present = np.zeros(n_owners, dtype=bool)
    present[owner] = True
    ids = np.flatnonzero(present)
    if len(ids) > n_owners // 2:
        return np.arange(n_owners), owner
    number = np.cumsum(present) - 1
    return ids, number[owner]


def _cut(
    owner: IntArray, weights: IntArray, need: IntArray
) -> tuple[BoolArray, BoolArray, IntArray]:
    """One histogram level of :func:`heaviest`: pairs kept, pairs in the bucket that must
    be split again, and how many pairs each owner was given."""
    n_owners = len(need)
    rows = np.arange(n_owners)
    top = np.zeros(n_owners, dtype=np.int64)
    low = np.zeros(n_owners, dtype=np.int64)
    top[owner] = weights  # any member's weight as a start (absent owners keep 0)
    low[owner] = weights
    np.maximum.at(top, owner, weights)
    np.minimum.at(low, owner, weights)
    scale = _BUCKETS / (top - low + 1).astype(np.float64)
    # Cell of the owners × buckets histogram: owner * 64 + bucket (0 … 63 within the
    # owner's range; rounding may give 64 on huge spans, hence the minimum).
    cell: NDArray[np.signedinteger[Any]] = np.empty(
        len(owner), dtype=np.int32 if n_owners < 2**24 else np.int64
    )
    for lo in range(0, len(owner), _CHUNK):
        o, w = owner[lo : lo + _CHUNK], weights[lo : lo + _CHUNK]
        bucket = np.minimum(((w - low[o]) * scale[o]).astype(np.int64), _BUCKETS - 1)
        cell[lo : lo + _CHUNK] = o * _BUCKETS + bucket
    hist = np.bincount(cell, minlength=n_owners * _BUCKETS).reshape(n_owners, _BUCKETS)
    from_top = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1]  # pairs in this bucket or above
    reached = from_top >= need[:, None]
    cut = np.where(reached.any(axis=1), _BUCKETS - 1 - np.argmax(reached[:, ::-1], axis=1), 0)
    whole = np.repeat(from_top[rows, cut] <= need, _BUCKETS)  # the cut bucket is wanted
    cut_cell = rows * _BUCKETS + cut
    kept = np.empty(len(owner), dtype=bool)
    split = np.empty(len(owner), dtype=bool)
    for lo in range(0, len(owner), _CHUNK):
        c, o = cell[lo : lo + _CHUNK], owner[lo : lo + _CHUNK]
        at_cut = c == cut_cell[o]
        kept[lo : lo + _CHUNK] = (c > cut_cell[o]) | (at_cut & whole[c])
        split[lo : lo + _CHUNK] = at_cut & ~whole[c]
    return kept, split, from_top[rows, cut] - hist[rows, cut]


@dataclass(frozen=True)
class _ByNewcomer:
    """Pairs sorted by newcomer, with each newcomer's range (``starts[i]:starts[i + 1]``)."""

    newcomer: IntArray
    local: IntArray
    weights: IntArray
    starts: IntArray

    @classmethod
    def of(cls, newcomer: IntArray, local: IntArray, weights: IntArray, n: int) -> _ByNewcomer:
        starts = np.searchsorted(newcomer, np.arange(n + 1)).astype(np.int64)
        return cls(newcomer, local, weights, starts)

    def groups(self, who: IntArray, size: int) -> list[IntArray]:
        """``who`` split into consecutive groups holding about ``size`` pairs each."""
        lengths = self.starts[who + 1] - self.starts[who]
        edges = np.searchsorted(np.cumsum(lengths), np.arange(size, int(lengths.sum()), size))
        return np.split(who, np.unique(edges + 1)) if len(edges) else [who]

    def ranges(self, who: IntArray) -> IntArray:
        """Positions of every pair of the newcomers ``who`` (a concatenation of ranges)."""
        lengths = self.starts[who + 1] - self.starts[who]
        total = int(lengths.sum())
        first = np.repeat(self.starts[who] - np.cumsum(lengths) + lengths, lengths)
        return np.asarray(first + np.arange(total), dtype=np.int64)


@dataclass(frozen=True)
class _Matching:
    """A matching as the dual computation needs it: each newcomer's local and weight."""

    mate: IntArray  # local of each newcomer; n_locals (a price-0 sentinel) when unmatched
    mate_w: IntArray
    bound: IntArray  # the highest price each local (and the sentinel) can have

    @classmethod
    def of(
        cls, newcomer: IntArray, local: IntArray, weights: IntArray, n: int, capacity: IntArray
    ) -> _Matching:
        m = len(capacity)
        mate = np.full(n, m, dtype=np.int64)
        mate_w = np.zeros(n, dtype=np.int64)
        mate[newcomer] = local
        mate_w[newcomer] = weights
        # A full local's price may rise until one of its newcomers would have u < 0; a
        # local with room must keep price 0 (complementary slackness).
        lowest = np.full(m + 1, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(lowest, local, weights)
        full = np.append(np.bincount(local, minlength=m) >= capacity, False)
        return cls(mate, mate_w, np.where(full, lowest, 0))

    def matched_to(self, locals_: IntArray) -> IntArray:
        """The newcomers matched to any of ``locals_``."""
        hit = np.zeros(len(self.bound), dtype=bool)
        hit[locals_] = True
        return np.flatnonzero(hit[self.mate])


def prices(
    pairs: _ByNewcomer,
    matching: _Matching,
    start: IntArray,
    max_waves: int,
    worth_adding: tuple[list[IntArray], int, int] | None = None,
) -> IntArray | None:
    """The least local prices ``v ≥ start`` with ``u_i + v_j ≥ w_ij`` on every pair, where
    ``u_i = w_i,mate(i) − v_mate(i)``; ``None`` if they would break complementary slackness
    (a local with room priced above 0, some ``u_i < 0``: the matching can be improved) or
    do not settle within ``max_waves``.

    Label correcting: a first wave over every pair, then only the pairs of newcomers whose
    local's price rose; both in chunks of pairs, so memory stays bounded. ``start`` must
    not exceed the least prices (zeros, or the least prices of a subset of these pairs, do
    not). With ``worth_adding=(out, k, margin)``, the first wave appends to ``out`` the
    positions of each newcomer's ``k`` most broken constraints (against ``start`` for
    ``v_j``; a newcomer split over two chunks may get ``2k``), counting constraints that
    hold by less than ``margin`` as broken: the pairs worth adding to a restricted problem
    (nearly tight pairs are the ones the next prices break, so taking them too saves
    rounds: 5 → 3 at 10,000 and at 50,000 newcomers).
    """
    v = np.append(start, 0).astype(np.int64)
    mate, mate_w, bound = matching.mate, matching.mate_w, matching.bound
    n_newcomers = len(mate)
    rose = np.zeros(len(v), dtype=bool)
    k, margin = worth_adding[1:] if worth_adding is not None else (0, 0)

    def first_wave(lo: int, hi: int, step: int) -> tuple[IntArray, BoolArray, list[IntArray]]:
        """Relax the pairs ``lo:hi`` against the starting prices: raised prices (a copy,
        so two parts can run at once), which locals rose, and the pairs worth adding."""
        mine, up, added = v.copy(), np.zeros(len(v), dtype=bool), []
        for at in range(lo, hi, step):
            end = min(at + step, hi)
            n, m = pairs.newcomer[at:end], pairs.local[at:end]
            value = pairs.weights[at:end] - mate_w[n] + mine[mate[n]]
            if worth_adding is not None:
                gap = value - v[m]
                bad = np.flatnonzero(gap > -margin)
                top = heaviest(n[bad], gap[bad], n_newcomers, np.full(n_newcomers, k))
                added.append(bad[top] + at)
                del gap, bad, top
            better = value > mine[m]
            np.maximum.at(mine, m[better], value[better])
            up[m[better]] = True
        return mine, up, added

    # The first wave is most of the work: on many pairs, two halves (split between
    # newcomers) in two threads, as numpy lets go of the interpreter; each in chunks half
    # as big, so memory stays as it was with one.
    if len(pairs.newcomer) >= _THREADED_WAVE:
        with ThreadPoolExecutor(2) as workers:
            parts = [workers.submit(first_wave, lo, hi, _CHUNK // 2) for lo, hi in _halves(pairs)]
            waves = [part.result() for part in parts]
    else:
        waves = [first_wave(0, len(pairs.newcomer), _CHUNK)]
    for mine, up, added in waves:
        np.maximum(v, mine, out=v)
        rose |= up
        if worth_adding is not None:
            worth_adding[0].extend(added)
    del waves
    changed = np.flatnonzero(rose)
    for _ in range(max_waves):
        if np.any(v[changed] > bound[changed]):
            return None
        who = matching.matched_to(changed)
        if who.size == 0:
            return v[:-1]
        rose[:] = False
        for group in pairs.groups(who, _CHUNK):
            at = pairs.ranges(group)
            n, m = pairs.newcomer[at], pairs.local[at]
            value = pairs.weights[at] - mate_w[n] + v[mate[n]]
            better = value > v[m]
            np.maximum.at(v, m[better], value[better])
            rose[m[better]] = True
        changed = np.flatnonzero(rose)
    return None


def _halves(pairs: _ByNewcomer) -> list[tuple[int, int]]:
    """The pairs' positions in two ranges of about equal size, split between newcomers
    (so each newcomer's most broken constraints are picked from all of its pairs)."""
    total = len(pairs.newcomer)
    cut = int(pairs.starts[np.searchsorted(pairs.starts, total // 2)])
    return [(0, cut), (cut, total)] if 0 < cut < total else [(0, total)]


def _heaviest_of_both(
    newcomer: IntArray,
    local: IntArray,
    weights: IntArray,
    n_newcomers: int,
    capacity: IntArray,
    k: int,
) -> BoolArray:
    """Each newcomer's ``k`` heaviest pairs and each local's ``k`` × capacity, together.

    The locals' side is picked in a second thread meanwhile: numpy lets go of the
    interpreter for most of the work (10,000 newcomers: 0.20 → 0.10 s; at 50,000 as fast
    as a forked process was, without copying memory pages).
    """
    per_local = k * np.maximum(capacity, 1)
    with ThreadPoolExecutor(1) as other:
        theirs = other.submit(heaviest, local, weights, len(capacity), per_local)
        keep = heaviest(newcomer, weights, n_newcomers, np.full(n_newcomers, k, dtype=np.int64))
        keep |= theirs.result()
    return keep


def pruned_max_weight(
    newcomer: IntArray,
    local: IntArray,
    weights: IntArray,
    n_newcomers: int,
    capacity: IntArray,
    solve: PairSolver,
    *,
    k: int = 4,
    k_add: int = 12,
    max_rounds: int = 8,
) -> Pruned:
    """A maximum-weight set of pairs, solving ``solve`` on a restricted set and proving it.

    Starts from each newcomer's and each local's ``k`` heaviest pairs (``k`` times its
    capacity for a local). After each restricted solve: prices for the restricted set,
    then the least prices for *all* pairs from there; if those exist the matching is
    proven optimal. Otherwise each newcomer's ``k_add`` most violated pairs are added. After
    ``max_rounds`` restricted solves, or if restricted prices cannot be built, every pair
    is solved at once (``proven=False``): the answer is exact either way.
    """
    order: IntArray | None = None
    if np.any(newcomer[1:] < newcomer[:-1]):
        order = np.argsort(newcomer, kind="stable")
        newcomer, local, weights = newcomer[order], local[order], weights[order]
    n_locals = len(capacity)
    every = _ByNewcomer.of(newcomer, local, weights, n_newcomers)
    # "Nearly tight": within 2 % of the weights' spread (0.08 score points by default).
    spread = int(weights.max()) - int(weights.min()) if len(weights) else 0
    margin = max(spread // 50, 1)
    keep = _heaviest_of_both(newcomer, local, weights, n_newcomers, capacity, k)
    result: Pruned | None = None
    for rounds in range(1, max_rounds + 1):
        subset = np.flatnonzero(keep)
        picked = subset[solve(newcomer[subset], local[subset], weights[subset])]
        matching = _Matching.of(
            newcomer[picked], local[picked], weights[picked], n_newcomers, capacity
        )
        some = _ByNewcomer.of(newcomer[subset], local[subset], weights[subset], n_newcomers)
        v_some = prices(some, matching, np.zeros(n_locals, dtype=np.int64), n_locals + 1)
        if v_some is None:
            break
        found: list[IntArray] = []
        v_all = prices(
            every, matching, v_some, min(n_locals + 1, _MAX_WAVES), (found, k_add, margin)
        )
        if v_all is not None:
            result = Pruned(np.sort(picked), len(subset), rounds, True)
            break
        for at in found:
            keep[at] = True
        del found, some, matching
    if result is None:
        result = Pruned(np.sort(solve(newcomer, local, weights)), len(newcomer), 0, False)
    if order is not None:
        result = dataclasses.replace(result, chosen=np.sort(order[result.chosen]))
    return result
