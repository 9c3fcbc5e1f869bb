"""Pair features computed over arrays equal the same features worked out person by person."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from buddymatch import _features
from buddymatch._pairs import check_pairs
from buddymatch._pool import Vocabulary, build_pool
from buddymatch._profiles import Local, Newcomer
from buddymatch._weights import Weights

W = Weights.default()
# More tags than one 64-bit word holds, so masks of two and three words are exercised.
TAGS = [f"tag{i:03d}" for i in range(150)]


def _people(draw: st.DrawFn, cls: type, n: int) -> list[Newcomer] | list[Local]:
    tags = st.lists(st.sampled_from(TAGS), max_size=12, unique=True)
    return [
        cls(
            id=f"{cls.__name__[0]}{i:03d}",
            postcode="3071",
            languages="nl:native",
            interests="|".join(draw(tags)),
        )
        for i in range(n)
    ]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_interest_score_is_the_sum_of_the_shared_tags_weights(data: st.DataObject) -> None:
    newcomers = _people(data.draw, Newcomer, data.draw(st.integers(1, 8)))
    locals_ = _people(data.draw, Local, data.draw(st.integers(1, 8)))
    # Someone with every tag: three words of tags in every example, and pairs sharing many.
    locals_.append(Local(id="L999", postcode="3071", languages="nl", interests="|".join(TAGS)))
    vocab = Vocabulary.of(newcomers, locals_)
    npool, lpool = build_pool(newcomers, vocab), build_pool(locals_, vocab)
    n = np.repeat(np.arange(npool.size), lpool.size)
    m = np.tile(np.arange(lpool.size), npool.size)
    checks = check_pairs(npool, lpool, n, m, W)
    tag_weight = _features.interest_weights(npool, lpool)
    got = _features.interests(checks, npool, lpool, tag_weight)
    weight_of = dict(zip(vocab.tags, tag_weight, strict=True))
    for k, (i, j) in enumerate(zip(n, m, strict=True)):
        shared = set(newcomers[i].interests) & set(locals_[j].interests)
        assert math.isclose(got[k], sum(weight_of[t] for t in shared), abs_tol=1e-12)
    # The explanation's shared tags are the same tags.
    matrix = _features.shared_interest_matrix(checks, npool, lpool)
    for k, (i, j) in enumerate(zip(n, m, strict=True)):
        names = {vocab.tags[c] for c in matrix.getrow(k).indices}
        assert names == set(newcomers[i].interests) & set(locals_[j].interests)
