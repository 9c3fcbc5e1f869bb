"""Scores: weights × features, in integer thousandths so that parts add up exactly.

Each feature's contribution is rounded to 0.001 on its own. With a linear score model the
score is their sum, so the explanation columns of a pair add up to its score and the solver
optimises that same integer. With a probability model (learned weights) the contributions
plus the intercept add up to the log-odds of meeting twice, and the score the solver
maximises is the probability itself: the sum over pairs is then the expected number of
pairs that meet twice.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from buddymatch import _features
from buddymatch._pairs import PairChecks
from buddymatch._pool import Pool, Vocabulary
from buddymatch._problem import SCORE_SCALE
from buddymatch._weights import Weights


def _rounded(raw: NDArray[np.float64]) -> NDArray[np.int64]:
    if not np.all(np.isfinite(raw)):
        raise ValueError("a feature or weight is not a finite number")
    return np.rint(raw * SCORE_SCALE).astype(np.int64)


def contributions(features: NDArray[np.float64], weights: Weights) -> NDArray[np.int64]:
    """(pairs × features) integer contributions in units of 1/SCORE_SCALE."""
    w = np.asarray(weights.vector(), dtype=np.float64)
    return _rounded(features * w[None, :])


def intercept_units(weights: Weights) -> int:
    return round(weights.model.intercept * SCORE_SCALE)


def _probability_of_sum(total: NDArray[np.int64], weights: Weights) -> NDArray[np.float64]:
    logit = (total + intercept_units(weights)) / SCORE_SCALE
    return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=np.float64)


def probability(contrib: NDArray[np.int64], weights: Weights) -> NDArray[np.float64]:
    """Predicted chance of meeting twice, from the rounded contributions."""
    return _probability_of_sum(contrib.sum(axis=1), weights)


def _score_of_sum(total: NDArray[np.int64], weights: Weights | None) -> NDArray[np.int64]:
    if weights is not None and weights.model.kind == "probability":
        return np.rint(_probability_of_sum(total, weights) * SCORE_SCALE).astype(np.int64)
    return np.asarray(total, dtype=np.int64)


def scores(contrib: NDArray[np.int64], weights: Weights | None = None) -> NDArray[np.int64]:
    """The integer score per pair that the solver maximises the sum of."""
    return _score_of_sum(contrib.sum(axis=1), weights)


def pair_scores(
    checks: PairChecks,
    newcomers: Pool,
    locals_: Pool,
    vocab: Vocabulary,
    weights: Weights,
    *,
    tag_weight: NDArray[np.float64] | None = None,
) -> NDArray[np.int64]:
    """``scores(contributions(feature_matrix(...)))`` feature by feature, without the
    (pairs × features) matrices: the same integers (the same rounding per contribution),
    a fraction of the memory, for scoring every candidate pair."""
    columns = _features.feature_columns(
        checks, newcomers, locals_, vocab, weights, tag_weight=tag_weight
    )
    total = np.zeros(len(checks.newcomer), dtype=np.int64)
    for column, w in zip(columns, weights.vector(), strict=True):
        total += _rounded(column * np.float64(w))
    return _score_of_sum(total, weights)
