"""Pools built over one roster's own vocabulary, moved to a joint vocabulary, equal pools
built over the joint vocabulary directly."""

from __future__ import annotations

from _pools import assert_same_pool
from hypothesis import given, settings
from hypothesis import strategies as st

from buddymatch._pool import PooledPeople, Vocabulary, build_pool, pools, sort_by_id
from buddymatch._profiles import Local, Newcomer

LANGS = ["ar:native", "nl:A2", "nl:native", "en:B1", "ti:native", "fa:C1", "uk:B2"]
TAGS = ["cooking", "football", "music", "chess", "walking", "art", "cycling", "coffee"]


def _people(draw: st.DrawFn, cls: type, prefix: str) -> list[Newcomer] | list[Local]:
    n = draw(st.integers(0, 6))
    return [
        cls(
            id=f"{prefix}{draw(st.integers(0, 999)):03d}-{i}",
            postcode="3071",
            languages="|".join(draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=3))),
            interests="|".join(draw(st.lists(st.sampled_from(TAGS), max_size=4))),
        )
        for i in range(n)
    ]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_pooled_people_give_the_pools_of_their_profiles(data: st.DataObject) -> None:
    newcomers = _people(data.draw, Newcomer, "N")
    locals_ = _people(data.draw, Local, "L")
    joint = Vocabulary.of(newcomers, locals_)
    own = Vocabulary.of(newcomers)
    moved = build_pool(sort_by_id(newcomers), own).in_vocabulary(own, joint)
    assert_same_pool(moved, build_pool(sort_by_id(newcomers), joint))
    vocab, npool, lpool = pools(PooledPeople.of(newcomers, lambda: newcomers), sort_by_id(locals_))
    assert vocab == joint
    assert_same_pool(npool, build_pool(sort_by_id(newcomers), joint))
    assert_same_pool(lpool, build_pool(sort_by_id(locals_), joint))
