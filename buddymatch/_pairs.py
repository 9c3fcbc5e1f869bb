"""Which newcomer–local pairs can work at all: candidate generation and the hard rules.

Pairs are found with a spatial index (scipy's k-d tree over points on the unit sphere, so
the straight-line distance is a chord) over each person's reachable radius, then filtered
by the hard rules as array operations. Each rule
is a *stage*; counting how many pairs survive each stage per newcomer is what lets us say
why a newcomer has no workable local at all.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from buddymatch._geo import EARTH_RADIUS_KM
from buddymatch._pool import Pool
from buddymatch._vocab import ALL_SLOTS_MASK, MODES
from buddymatch._weights import Weights

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# The hard rules in the order a coordinator would check them; see ``_explain``.
STAGES: tuple[str, ...] = ("reach", "language", "time", "transport_runs", "gender")
WHO = ("newcomer", "local")


@dataclass(frozen=True)
class PairChecks:
    """Hard-rule results and travel for arbitrary pairs ``(newcomer[k], local[k])``."""

    newcomer: IntArray
    local: IntArray
    distance_km: NDArray[np.float64]
    passes: dict[str, BoolArray]  # stage → pair passes that rule
    best_language: IntArray  # column in the vocabulary, -1 when none
    best_level: NDArray[np.int8]  # the lower of the two levels in that language
    common_slots: IntArray  # bitmask
    travel_min: NDArray[np.float64]  # inf when no mode works
    travel_mode: IntArray  # index into MODES, -1 when none
    who_travels: NDArray[np.int8]  # 0 newcomer, 1 local, -1 none

    @property
    def feasible(self) -> BoolArray:
        ok = np.ones(len(self.newcomer), dtype=bool)
        for stage in STAGES:
            ok &= self.passes[stage]
        return ok

    def subset(self, mask: BoolArray | IntArray) -> PairChecks:
        return PairChecks(
            self.newcomer[mask],
            self.local[mask],
            self.distance_km[mask],
            {s: v[mask] for s, v in self.passes.items()},
            self.best_language[mask],
            self.best_level[mask],
            self.common_slots[mask],
            self.travel_min[mask],
            self.travel_mode[mask],
            self.who_travels[mask],
        )


def reach_km(pool: Pool, weights: Weights) -> NDArray[np.float64]:
    """Each person's largest straight-line reach over their own modes and time limit."""
    reach = np.zeros(pool.size)
    for bit, mode in enumerate(MODES):
        has = (pool.modes >> bit) & 1 == 1
        spec = weights.mode(mode)
        r = np.maximum(pool.max_travel - spec.overhead_min, 0) / 60 * spec.speed_kmh / spec.detour
        reach = np.where(has, np.maximum(reach, r), reach)
    return reach


def chord_radius(radius_km: NDArray[np.float64]) -> NDArray[np.float64]:
    """A straight-line radius as a chord on the unit sphere, with a hair of slack so
    points exactly on the boundary are not lost to rounding."""
    return np.asarray(radius_km / EARTH_RADIUS_KM * (1 + 1e-9) + 1e-12, dtype=np.float64)


def pair_km(newcomers: Pool, locals_: Pool, n: IntArray, m: IntArray) -> NDArray[np.float64]:
    """Straight-line distance (the chord through the earth; within 0.01 % of the
    great-circle distance up to 300 km), from unit vectors: about twice as fast as
    haversine over millions of pairs."""
    d = newcomers.xyz[n] - locals_.xyz[m]
    return np.asarray(np.sqrt(np.einsum("ij,ij->i", d, d)) * EARTH_RADIUS_KM, dtype=np.float64)


_KD_TREE_MODULE = "scipy.spatial._ckdtree"


@functools.cache
def kd_tree() -> type[cKDTree]:
    """scipy's k-d tree class, without the rest of ``scipy.spatial`` when it can be.

    ``import scipy.spatial`` also imports scipy.linalg, scipy.special and the rotation
    classes: 0.12 s, a twentieth of matching 10,000 newcomers from the command line, for
    nothing used here. The k-d tree's compiled module needs only numpy and scipy.sparse,
    so it is loaded on its own. Where that does not work (another layout of scipy),
    ``scipy.spatial`` is imported as usual.
    """
    module = sys.modules.get(_KD_TREE_MODULE) or _load_alone(_KD_TREE_MODULE)
    alone: type[cKDTree] | None = getattr(module, "cKDTree", None)
    if alone is not None:
        return alone
    from scipy.spatial import cKDTree as usual

    tree: type[cKDTree] = usual
    return tree


def _load_alone(name: str) -> ModuleType | None:
    """The compiled module ``name`` loaded without importing its package, or ``None``.

    It is not left in ``sys.modules``: a later import of the package then imports it the
    usual way, which hands back this same module (compiled modules are loaded once per
    process) and also makes it an attribute of its package.
    """
    import scipy

    package, _, leaf = name.rpartition(".")
    folder = Path(scipy.__file__).parent.joinpath(*package.split(".")[1:])
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / (leaf + suffix)
        if not path.is_file():
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception:
            return None
        finally:
            sys.modules.pop(name, None)
        return module
    return None


def _within(
    tree_pool: Pool, query_pool: Pool, radius_km: NDArray[np.float64]
) -> tuple[IntArray, IntArray]:
    """Pairs (query index, tree index) whose distance is within the query's radius.

    The radius as a chord on the unit sphere (the distance is the straight line); queries
    are grouped by radius (people share a few mode × minutes reaches) so each group is one
    ``sparse_distance_matrix`` call that returns index arrays, never per-point lists.
    """
    tree_class = kd_tree()
    empty = np.zeros(0, dtype=np.int64)
    if tree_pool.size == 0 or query_pool.size == 0:
        return empty, empty
    tree = tree_class(tree_pool.xyz)
    q_xyz = query_pool.xyz
    chord = chord_radius(radius_km)
    qs, ts = [], []
    values, group = np.unique(chord, return_inverse=True)
    for g, r in enumerate(values):
        members = np.flatnonzero(group == g)
        found = tree_class(q_xyz[members]).sparse_distance_matrix(
            tree, float(r), output_type="ndarray"
        )
        qs.append(members[found["i"]])
        ts.append(found["j"].astype(np.int64))
    if not qs:
        return empty, empty
    return np.concatenate(qs).astype(np.int64), np.concatenate(ts)


def _sorted_unique(keys: IntArray) -> IntArray:
    keys = np.sort(keys)
    keep = np.ones(len(keys), dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    return keys[keep]


def near_pairs(newcomers: Pool, locals_: Pool, weights: Weights) -> tuple[IntArray, IntArray]:
    """Every pair in which one of the two could travel to the other, by straight line.

    Sorted by newcomer, then local; each pair once.
    """
    n1, l1 = _within(locals_, newcomers, reach_km(newcomers, weights))
    l2, n2 = _within(newcomers, locals_, reach_km(locals_, weights))
    key = _sorted_unique(np.concatenate([n1 * locals_.size + l1, n2 * locals_.size + l2]))
    return key // max(locals_.size, 1), key % max(locals_.size, 1)


def check_pairs(
    newcomers: Pool,
    locals_: Pool,
    n: IntArray,
    m: IntArray,
    weights: Weights,
    *,
    dist: NDArray[np.float64] | None = None,
) -> PairChecks:
    """Evaluate every hard rule and the travel options for the given pairs (vectorised).

    ``dist`` is the pairs' ``pair_km`` when the caller has it already.
    """
    if dist is None:
        dist = pair_km(newcomers, locals_, n, m)
    common = newcomers.slots[n] & locals_.slots[m]
    best_t, best_mode, best_who, reachable = _travel(
        newcomers, locals_, n, m, dist, common, weights
    )
    best_lang, best_level = _best_language(newcomers, locals_, n, m)
    language = best_level >= int(weights.rules.min_shared_level)
    passes = _passes(newcomers, locals_, n, m, reachable, language, common, best_t)
    return PairChecks(
        n,
        m,
        dist,
        passes,
        best_lang,
        best_level.astype(np.int8),
        common,
        best_t,
        best_mode,
        best_who,
    )


def rule_passes(
    newcomers: Pool, locals_: Pool, n: IntArray, m: IntArray, weights: Weights
) -> dict[str, BoolArray]:
    """Which hard rules (``STAGES``) each pair passes, as :func:`check_pairs` says, without
    the detail only a made pair needs (which language is best, by which mode): enough to
    count why a newcomer has nobody, in about half the time."""
    dist = pair_km(newcomers, locals_, n, m)
    common = newcomers.slots[n] & locals_.slots[m]
    best_t, _, _, reachable = _travel(newcomers, locals_, n, m, dist, common, weights)
    language = share_a_language(newcomers, locals_, n, m, int(weights.rules.min_shared_level))
    return _passes(newcomers, locals_, n, m, reachable, language, common, best_t)


def _passes(
    newcomers: Pool,
    locals_: Pool,
    n: IntArray,
    m: IntArray,
    reachable: BoolArray,
    language: BoolArray,
    common: IntArray,
    best_t: NDArray[np.float64],
) -> dict[str, BoolArray]:
    """Each stage's pass/fail (``STAGES``), from what the travel and language checks found."""
    return {
        "reach": reachable,
        "language": language,
        "time": common != 0,
        "transport_runs": np.isfinite(best_t),
        "gender": gender_fits(newcomers, locals_, n, m),
    }


def share_a_language(
    newcomers: Pool, locals_: Pool, n: IntArray, m: IntArray, min_level: int
) -> BoolArray:
    """Pairs who both speak some language at ``min_level`` or better (the lower of the two
    levels is at least ``min_level``): a common bit in their masks of the languages spoken
    at that level or up, a few 8-byte gathers per pair."""
    a, b = newcomers.level_masks[min_level], locals_.level_masks[min_level]
    shared = np.zeros(len(n), dtype=bool)
    for word in range(a.shape[1]):
        shared |= (a[n, word] & b[m, word]) != 0
    return shared


def _travel(
    newcomers: Pool,
    locals_: Pool,
    n: IntArray,
    m: IntArray,
    dist: NDArray[np.float64],
    common: IntArray,
    weights: Weights,
) -> tuple[NDArray[np.float64], IntArray, NDArray[np.int8], BoolArray]:
    """The quickest way to meet (minutes, mode, who travels: 0 newcomer, 1 local; inf, -1
    and -1 when none) and whether either could reach the other at all, ignoring when modes
    run.

    For each mode and direction, minutes; the mode must be the traveller's own. In place
    (``copyto`` with ``where``) and skipping modes nobody here has: this loop is most of
    the time spent on candidate pairs at national density.
    """
    k = len(n)
    best_t = np.full(k, np.inf)
    best_mode = np.full(k, -1, dtype=np.int64)
    best_who = np.full(k, -1, dtype=np.int8)
    reachable = np.zeros(k, dtype=bool)
    n_modes, l_modes = newcomers.modes[n], locals_.modes[m]
    n_max, l_max = newcomers.max_travel[n], locals_.max_travel[m]
    present = int(np.bitwise_or.reduce(newcomers.modes, initial=0)) | int(
        np.bitwise_or.reduce(locals_.modes, initial=0)
    )
    has_common = common != 0
    minutes = np.empty(k)
    ok_n = np.empty(k, dtype=bool)
    ok_l = np.empty(k, dtype=bool)
    for bit, mode in enumerate(MODES):
        if not (present >> bit) & 1:
            continue
        spec = weights.mode(mode)
        np.multiply(dist, spec.detour / spec.speed_kmh * 60, out=minutes)
        minutes += spec.overhead_min
        np.less_equal(minutes, n_max, out=ok_n)
        ok_n &= (n_modes & (1 << bit)) != 0
        np.less_equal(minutes, l_max, out=ok_l)
        ok_l &= (l_modes & (1 << bit)) != 0
        ok_l |= ok_n  # now: either can travel by this mode
        reachable |= ok_l
        runs = has_common if spec.runs_mask == ALL_SLOTS_MASK else (common & spec.runs_mask) != 0
        better = ok_l & runs & (minutes < best_t)
        np.copyto(best_t, minutes, where=better)
        np.copyto(best_mode, bit, where=better)
        np.copyto(best_who, (~ok_n).view(np.int8), where=better)  # newcomer travels first
    return best_t, best_mode, best_who, reachable


def gender_fits(newcomers: Pool, locals_: Pool, n: IntArray, m: IntArray) -> BoolArray:
    """Neither asked for the same gender, or both are known and the same."""
    ng, lg = newcomers.gender[n], locals_.gender[m]
    wants_same = newcomers.wants_same_gender[n] | locals_.wants_same_gender[m]
    return np.asarray(~wants_same | ((ng == lg) & (ng > 0)), dtype=bool)


def _best_language(
    newcomers: Pool, locals_: Pool, n: IntArray, m: IntArray
) -> tuple[IntArray, NDArray[np.int8]]:
    """The language both speak best, by the lower of the two levels (the first column on a
    tie), and that level; -1 and 0 when they share none.

    From the highest level down, a bitwise AND of the per-level language masks: a few
    8-byte gathers per pair instead of gathering every language's level.
    """
    k = len(n)
    best_lang = np.full(k, -1, dtype=np.int64)
    best_level = np.zeros(k, dtype=np.int8)
    a, b = newcomers.level_masks, locals_.level_masks
    open_ = np.arange(k)
    for level in range(a.shape[0] - 1, 0, -1):
        for word in range(a.shape[2]):
            if open_.size == 0:
                return best_lang, best_level
            x = a[level, n[open_], word] & b[level, m[open_], word]
            hit = x != 0
            lowest = x[hit] & (~x[hit] + np.uint64(1))
            at = open_[hit]
            best_lang[at] = word * 64 + np.bitwise_count(lowest - np.uint64(1))
            best_level[at] = level
            open_ = open_[~hit]
    return best_lang, best_level


def stage_counts(checks: PairChecks, n_newcomers: int) -> dict[str, IntArray]:
    """Per newcomer, how many locals survive each stage (stages applied in order)."""
    return count_stages(checks.newcomer, checks.passes, n_newcomers)


def count_stages(
    newcomer: IntArray, passes: dict[str, BoolArray], n_newcomers: int
) -> dict[str, IntArray]:
    """:func:`stage_counts` of pairs given as their newcomers and :func:`rule_passes`."""
    out: dict[str, IntArray] = {}
    alive = np.ones(len(newcomer), dtype=bool)
    out["near"] = np.bincount(newcomer, minlength=n_newcomers)
    for stage in STAGES:
        alive &= passes[stage]
        out[stage] = np.bincount(newcomer[alive], minlength=n_newcomers)
    return out
