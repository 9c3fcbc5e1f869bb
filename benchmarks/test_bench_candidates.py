"""Candidate-stage benchmarks: k-d tree near pairs, then the hard rules as array operations.

Why: candidate generation is what keeps buddymatch sparse; it must be fast *and* lose no
workable pair. Each benchmark checks its output against the dense way — every newcomer ×
local pair of the roster — computed independently of the spatial index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from buddymatch import _candidates, _features, _pairs, _scoring
from buddymatch._geo import EARTH_RADIUS_KM


def _dense_near_count(pools: Any) -> int:
    """Pairs within either side's straight-line reach, by brute-force haversine."""
    npool, lpool = pools.npool, pools.lpool
    rn = _pairs.reach_km(npool, pools.weights)[:, None]
    rl = _pairs.reach_km(lpool, pools.weights)[None, :]
    dlat = lpool.lat[None, :] - npool.lat[:, None]
    dlon = lpool.lon[None, :] - npool.lon[:, None]
    a = (
        np.sin(dlat / 2) ** 2
        + np.cos(npool.lat)[:, None] * np.cos(lpool.lat)[None, :] * np.sin(dlon / 2) ** 2
    )
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    slack = 1 + 1e-6  # the index adds a hair of slack on the boundary too
    return int(np.count_nonzero((km <= rn * slack) | (km <= rl * slack)))


def test_bench_near_pairs(benchmark: Any, pools: Any) -> None:
    n, m = benchmark(_pairs.near_pairs, pools.npool, pools.lpool, pools.weights)
    key = n * pools.lpool.size + m
    assert np.all(np.diff(key) > 0)  # sorted by newcomer then local, each pair once
    assert abs(len(n) - _dense_near_count(pools)) <= len(n) // 10_000  # boundary rounding only


def test_bench_check_pairs(benchmark: Any, pools: Any) -> None:
    n, m = _pairs.near_pairs(pools.npool, pools.lpool, pools.weights)
    checks = benchmark(_pairs.check_pairs, pools.npool, pools.lpool, n, m, pools.weights)
    feasible = checks.feasible
    # Exactness of the spatial prefilter: for every 4th newcomer, the full row of the
    # newcomer × local table holds no workable pair that the candidates miss.
    rows = np.arange(0, pools.npool.size, 4)
    nn = np.repeat(rows, pools.lpool.size)
    mm = np.tile(np.arange(pools.lpool.size), len(rows))
    dense = _pairs.check_pairs(pools.npool, pools.lpool, nn, mm, pools.weights)
    dense_key = nn[dense.feasible] * pools.lpool.size + mm[dense.feasible]
    sparse = feasible & (n % 4 == 0)
    assert np.array_equal(dense_key, n[sparse] * pools.lpool.size + m[sparse])
    assert 0 < int(feasible.sum()) < len(n)


def test_bench_candidates_chunked(benchmark: Any, pools: Any, candidates: Any) -> None:
    """What ``match`` runs: chunks in threads, cheap rules first, only pair and score kept;
    the same pairs and scores as checking every near pair at once."""
    found = benchmark(_candidates.candidates, pools.npool, pools.lpool, pools.vocab, pools.weights)
    assert np.array_equal(found.newcomer, candidates.newcomer)
    assert np.array_equal(found.local, candidates.local)
    feats, _ = _features.feature_matrix(
        candidates, pools.npool, pools.lpool, pools.vocab, pools.weights
    )
    expected = _scoring.scores(_scoring.contributions(feats, pools.weights), pools.weights)
    assert np.array_equal(found.score, expected)
