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

from buddymatch._problem import SCORE_SCALE
from buddymatch._weights import Weights


def contributions(features: NDArray[np.float64], weights: Weights) -> NDArray[np.int64]:
    """(pairs × features) integer contributions in units of 1/SCORE_SCALE."""
    w = np.asarray(weights.vector(), dtype=np.float64)
    raw = features * w[None, :]
    if not np.all(np.isfinite(raw)):
        raise ValueError("a feature or weight is not a finite number")
    return np.rint(raw * SCORE_SCALE).astype(np.int64)


def intercept_units(weights: Weights) -> int:
    return round(weights.model.intercept * SCORE_SCALE)


def probability(contrib: NDArray[np.int64], weights: Weights) -> NDArray[np.float64]:
    """Predicted chance of meeting twice, from the rounded contributions."""
    logit = (contrib.sum(axis=1) + intercept_units(weights)) / SCORE_SCALE
    return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=np.float64)


def scores(contrib: NDArray[np.int64], weights: Weights | None = None) -> NDArray[np.int64]:
    """The integer score per pair that the solver maximises the sum of."""
    if weights is not None and weights.model.kind == "probability":
        return np.rint(probability(contrib, weights) * SCORE_SCALE).astype(np.int64)
    return np.asarray(contrib.sum(axis=1), dtype=np.int64)
