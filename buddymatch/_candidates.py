"""Candidate pairs in newcomer chunks: near pairs, hard rules, survivors only.

:func:`candidates` gives the same candidate pairs (all hard rules pass), in the same order
(newcomer, then local), and the same per-stage survivor counts as
``near_pairs`` → ``check_pairs`` → ``stage_counts`` → ``subset(feasible)`` over all pairs at
once, without ever holding all near pairs: newcomers are processed in chunks of about
``target_pairs`` near pairs. Within a chunk the cheap rules are evaluated first on every
near pair (reach from the distance, a shared language as a bitwise AND of per-person masks
of the languages spoken at the minimum level or better, common free time as a slot AND);
the full :func:`~buddymatch._pairs.check_pairs` (best language, travel by mode, gender)
runs only on the pairs that pass those three. Counts follow the stage order of
``_pairs.STAGES`` (reach, language, time, transport_runs, gender) as cumulative ANDs, so
they are exactly what ``stage_counts`` gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from buddymatch._geo import haversine_km
from buddymatch._pairs import (
    STAGES,
    PairChecks,
    _sorted_unique,
    _unit,
    check_pairs,
    chord_radius,
    reach_km,
)
from buddymatch._pool import Pool
from buddymatch._vocab import MODES
from buddymatch._weights import Weights

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def language_masks(pool: Pool, min_level: int) -> NDArray[np.uint64]:
    """(people × words) bitmasks of the languages each person speaks at ``min_level`` or up.

    Two people share a language at the minimum level (the lower of the two levels is at
    least ``min_level``) exactly when their masks have a common bit.
    """
    n, k = pool.levels.shape
    words = max((k + 63) // 64, 1)
    out = np.zeros((n, words), dtype=np.uint64)
    good = pool.levels >= min_level
    for col in range(k):
        out[:, col // 64] |= good[:, col].astype(np.uint64) << np.uint64(col % 64)
    return out


class NearFinder:
    """Near pairs (one of the two could travel to the other by straight line) per chunk."""

    def __init__(self, newcomers: Pool, locals_: Pool, weights: Weights) -> None:
        from scipy.spatial import cKDTree

        self._tree = cKDTree
        self.n_locals = locals_.size
        self.n_xyz = _unit(newcomers)
        self.n_chord = chord_radius(reach_km(newcomers, weights))
        self.l_tree = cKDTree(_unit(locals_)) if locals_.size else None
        l_xyz = _unit(locals_)
        l_chord = chord_radius(reach_km(locals_, weights))
        values, group = np.unique(l_chord, return_inverse=True)
        self.l_groups = []
        for g, r in enumerate(values):
            if r <= 1e-12:
                continue
            members = np.flatnonzero(group == g)
            self.l_groups.append((members, cKDTree(l_xyz[members]), float(r)))

    def pairs(self, lo: int, hi: int) -> tuple[IntArray, IntArray]:
        """Near pairs of newcomers ``lo`` … ``hi - 1``, sorted by newcomer then local."""
        empty = np.zeros(0, dtype=np.int64)
        if self.l_tree is None or hi <= lo:
            return empty, empty
        xyz = self.n_xyz[lo:hi]
        chord = self.n_chord[lo:hi]
        keys = []
        values, group = np.unique(chord, return_inverse=True)
        for g, r in enumerate(values):
            if r <= 1e-12:
                continue
            members = np.flatnonzero(group == g)
            found = self._tree(xyz[members]).sparse_distance_matrix(
                self.l_tree, float(r), output_type="ndarray"
            )
            keys.append((members[found["i"]] + lo) * self.n_locals + found["j"])
        chunk_tree = self._tree(xyz)
        for members, tree, r in self.l_groups:
            found = tree.sparse_distance_matrix(chunk_tree, r, output_type="ndarray")
            keys.append((found["j"].astype(np.int64) + lo) * self.n_locals + members[found["i"]])
        if not keys:
            return empty, empty
        key = _sorted_unique(np.concatenate(keys).astype(np.int64))
        return key // self.n_locals, key % self.n_locals


def reachable(
    newcomers: Pool, locals_: Pool, n: IntArray, m: IntArray, dist: NDArray[np.float64], w: Weights
) -> BoolArray:
    """The ``reach`` rule exactly as ``check_pairs`` evaluates it (ignoring when modes run)."""
    ok = np.zeros(len(n), dtype=bool)
    sides = (
        (newcomers.modes[n], newcomers.max_travel[n]),
        (locals_.modes[m], locals_.max_travel[m]),
    )
    for bit, mode in enumerate(MODES):
        spec = w.mode(mode)
        minutes = dist * spec.detour / spec.speed_kmh * 60 + spec.overhead_min
        for modes, max_travel in sides:
            ok |= ((modes >> bit) & 1 == 1) & (minutes <= max_travel)
    return ok


@dataclass(frozen=True)
class Chunk:
    checks: PairChecks  # the chunk's candidates (every hard rule passes)
    counts: dict[str, IntArray]  # per newcomer of the whole pool (zeros outside the chunk)


def chunks(
    newcomers: Pool, locals_: Pool, weights: Weights, target_pairs: int = 4_000_000
) -> Iterator[Chunk]:
    """Candidates and stage counts, newcomer chunk by newcomer chunk, in newcomer order."""
    finder = NearFinder(newcomers, locals_, weights)
    min_level = int(weights.rules.min_shared_level)
    nmask = language_masks(newcomers, min_level)
    lmask = language_masks(locals_, min_level)
    size = newcomers.size
    step = max(min(size, target_pairs // 2000), 1)  # ~2,000 near pairs per newcomer
    lo = 0
    while lo < size:
        hi = min(lo + step, size)
        n, m = finder.pairs(lo, hi)
        yield _check_chunk(newcomers, locals_, weights, n, m, nmask, lmask, lo, hi)
        # Aim the next chunk at ``target_pairs`` near pairs from this chunk's density.
        per = len(n) / (hi - lo)
        step = int(min(max(target_pairs / max(per, 1.0), 1), 4 * step + 1000))
        lo = hi


def _check_chunk(
    newcomers: Pool,
    locals_: Pool,
    weights: Weights,
    n: IntArray,
    m: IntArray,
    nmask: NDArray[np.uint64],
    lmask: NDArray[np.uint64],
    lo: int,
    hi: int,
) -> Chunk:
    width = hi - lo

    def count(sel: IntArray) -> IntArray:
        full = np.zeros(newcomers.size, dtype=np.int64)
        full[lo:hi] = np.bincount(sel - lo, minlength=width)
        return full

    counts = {"near": count(n)}
    dist = haversine_km(newcomers.lat[n], newcomers.lon[n], locals_.lat[m], locals_.lon[m])
    alive = reachable(newcomers, locals_, n, m, dist, weights)
    n, m, dist = n[alive], m[alive], dist[alive]
    counts["reach"] = count(n)
    lang = np.zeros(len(n), dtype=bool)
    for word in range(nmask.shape[1]):
        lang |= (nmask[n, word] & lmask[m, word]) != 0
    n, m, dist = n[lang], m[lang], dist[lang]
    counts["language"] = count(n)
    time_ok = (newcomers.slots[n] & locals_.slots[m]) != 0
    n, m, dist = n[time_ok], m[time_ok], dist[time_ok]
    counts["time"] = count(n)
    checks = check_pairs(newcomers, locals_, n, m, weights, dist=dist)
    runs = checks.passes["transport_runs"]
    counts["transport_runs"] = count(n[runs])
    ok = runs & checks.passes["gender"]
    counts["gender"] = count(n[ok])
    return Chunk(checks.subset(ok), counts)


_FIELDS: tuple[tuple[str, type[np.generic]], ...] = (
    ("newcomer", np.int64),
    ("local", np.int64),
    ("distance_km", np.float64),
    ("best_language", np.int64),
    ("best_level", np.int8),
    ("common_slots", np.int64),
    ("travel_min", np.float64),
    ("travel_mode", np.int64),
    ("who_travels", np.int8),
)


def concat_checks(parts: list[PairChecks]) -> PairChecks:
    """One ``PairChecks`` from candidate-only parts.

    Empties ``parts`` and joins field by field, dropping each field's pieces once joined,
    so at most one field is held twice (the parts hold no other references).
    """
    columns = {name: [getattr(p, name) for p in parts] for name, _ in _FIELDS}
    parts.clear()
    out: dict[str, Any] = {}
    for name, dtype in _FIELDS:
        pieces = columns.pop(name)
        out[name] = (
            np.concatenate(pieces).astype(dtype, copy=False) if pieces else np.zeros(0, dtype)
        )
        del pieces
    ok = np.ones(len(out["newcomer"]), dtype=bool)
    return PairChecks(
        out["newcomer"],
        out["local"],
        out["distance_km"],
        dict.fromkeys(STAGES, ok),
        out["best_language"],
        out["best_level"],
        out["common_slots"],
        out["travel_min"],
        out["travel_mode"],
        out["who_travels"],
    )


def concat_rows(pieces: list[Any], width: int, dtype: type) -> NDArray[Any]:
    """Row-wise join of (rows × ``width``) pieces into one preallocated array; empties
    ``pieces`` as it goes, so the pieces and the result are never both held in full."""
    total = sum(len(p) for p in pieces)
    out: NDArray[Any] = np.empty((total, width), dtype=dtype)
    row = 0
    pieces.reverse()
    while pieces:
        piece = pieces.pop()
        out[row : row + len(piece)] = piece
        row += len(piece)
        del piece
    return out
