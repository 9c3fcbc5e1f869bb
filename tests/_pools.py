"""Comparing pools column by column (for tests that build one pool two ways)."""

from __future__ import annotations

import numpy as np

from buddymatch._pool import Pool


def assert_same_pool(a: Pool, b: Pool) -> None:
    """Every column equal, with the same type and shape (NaN equal to NaN)."""
    for name, value in vars(a).items():
        other = vars(b)[name]
        if hasattr(value, "toarray"):
            assert value.shape == other.shape and (value != other).nnz == 0, name
            assert value.dtype == other.dtype, name
        elif isinstance(value, np.ndarray):
            assert value.dtype == other.dtype and value.shape == other.shape, name
            assert np.array_equal(value, other, equal_nan=value.dtype.kind == "f"), name
        else:
            assert value == other, name
