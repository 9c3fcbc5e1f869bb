"""Scores: weights × features, in integer thousandths so that parts add up exactly.

Each feature's contribution is rounded to 0.001 on its own and the score is their sum, so
the explanation columns of a pair always add up to its score, and the integer the solver
optimises is that same score.
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


def scores(contrib: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.asarray(contrib.sum(axis=1), dtype=np.int64)
