"""Feature-stage benchmarks: the feature matrix and integer score contributions.

Why: features are computed over candidate pairs only, so their cost follows the number of
workable pairs. Checks: one row per candidate, finite values, and spot checks recomputed
from the profiles in plain Python (shared interests, language level, household fit).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from buddymatch import _features, _scoring
from buddymatch._problem import SCORE_SCALE
from buddymatch._weights import FEATURES


def test_bench_feature_matrix(benchmark: Any, pools: Any, candidates: Any) -> None:
    feats, shared = benchmark(
        _features.feature_matrix,
        candidates,
        pools.npool,
        pools.lpool,
        pools.vocab,
        pools.weights,
    )
    k = len(candidates.newcomer)
    assert feats.shape == (k, len(FEATURES)) and shared.shape[0] == k
    assert np.all(np.isfinite(feats))
    assert np.array_equal(feats[:, FEATURES.index("travel")], candidates.travel_min)

    # Spot check against the profiles themselves.
    by_id = {p.id: p for p in [*pools.newcomers, *pools.locals]}
    tag_weight = dict(
        zip(pools.vocab.tags, _features.interest_weights(pools.npool, pools.lpool), strict=True)
    )
    for j in np.random.default_rng(0).choice(k, size=min(k, 300), replace=False):
        a = by_id[pools.npool.ids[candidates.newcomer[j]]]
        b = by_id[pools.lpool.ids[candidates.local[j]]]
        common = set(a.interests) & set(b.interests)
        expected = sum(tag_weight[t] for t in common)
        assert abs(feats[j, FEATURES.index("interests")] - expected) < 1e-9
        fit = 1 - min(abs(a.household_size - b.household_size), 3) / 3
        assert abs(feats[j, FEATURES.index("household_fit")] - fit) < 1e-12


def test_bench_contributions(benchmark: Any, pools: Any, scored: Any) -> None:
    feats, _ = scored
    contrib = benchmark(_scoring.contributions, feats, pools.weights)
    w = np.array(pools.weights.vector())
    assert contrib.shape == feats.shape
    assert np.array_equal(contrib, np.rint(feats * w * SCORE_SCALE).astype(np.int64))
    assert np.array_equal(_scoring.scores(contrib, pools.weights), contrib.sum(axis=1))
