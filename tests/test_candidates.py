"""Chunked candidate generation equals checking every near pair at once."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from _scripts import load_script
from hypothesis import given, settings
from hypothesis import strategies as st

from buddymatch import _candidates, _features, _match, _pairs, _scoring
from buddymatch._pool import Pool, Vocabulary, build_pool, sort_by_id
from buddymatch._profiles import Local, Newcomer, Person
from buddymatch._read import read_locals, read_newcomers
from buddymatch._vocab import MODES
from buddymatch._weights import ScoreModel, Weights

W = Weights.default()
POSTCODES = ["3071", "3011", "3035", "3083", "4001", "4021", "4101", "4191", "4011", "4033"]
LANGS = ["ar:native", "nl:A1", "nl:B2", "nl:native", "en:A2", "en:C1", "ti:native", "fa:B1"]
SLOTS = ["mon-morning", "tue-afternoon", "sat-morning", "sat-evening", "sun-afternoon", "wed"]


def _generator() -> ModuleType:
    return load_script("fixtures/generate.py")


def generate_rosters(
    where: Path, region: str, n: int, seed: int
) -> tuple[list[Newcomer], list[Local]]:
    paths = _generator().write_rosters(where, region, n, seed=seed)
    return read_newcomers(paths[0]).people, read_locals(paths[1]).people


def person(cls: type, i: int, draw: st.DrawFn) -> Person:
    return cls(  # type: ignore[no-any-return]
        id=f"{cls.__name__[0]}{i:03d}",
        postcode=draw(st.sampled_from(POSTCODES)),
        languages="|".join(draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=3))),
        availability="|".join(draw(st.lists(st.sampled_from(SLOTS), min_size=1, max_size=3))),
        transport="|".join(draw(st.lists(st.sampled_from(MODES), min_size=1, max_size=2))),
        max_travel_min=draw(st.sampled_from([10, 20, 30, 45, 60])),
        gender=draw(st.sampled_from(["f", "m", None])),
        gender_preference=draw(st.sampled_from(["any", "any", "same"])),
    )


def _all_at_once(
    npool: Pool, lpool: Pool, vocab: Vocabulary
) -> tuple[_pairs.PairChecks, dict[str, np.ndarray], np.ndarray]:
    """The reference: every near pair checked at once, then features and scores."""
    n, m = _pairs.near_pairs(npool, lpool, W)
    checks = _pairs.check_pairs(npool, lpool, n, m, W)
    counts = _pairs.stage_counts(checks, npool.size)
    checks = checks.subset(checks.feasible)
    feats, _ = _features.feature_matrix(checks, npool, lpool, vocab, W)
    return checks, counts, _scoring.scores(_scoring.contributions(feats, W), W)


def _assert_same(newcomers: list[Newcomer], locals_: list[Local], weights: Weights = W) -> None:
    prep = _match.prepare(newcomers, locals_, weights)
    checks, counts, scores = _all_at_once(prep.newcomers, prep.locals, prep.vocab)
    assert np.array_equal(checks.newcomer, prep.pair_newcomer)
    assert np.array_equal(checks.local, prep.pair_local)
    assert np.array_equal(scores, prep.pair_score)
    everyone = np.arange(prep.newcomers.size)
    lazy = _candidates.stage_counts_for(prep.newcomers, prep.locals, W, everyone)
    assert counts.keys() == lazy.keys()
    for stage, c in counts.items():
        assert np.array_equal(c, lazy[stage]), stage
    some = everyone[::3]
    part = _candidates.stage_counts_for(prep.newcomers, prep.locals, W, some[::-1])
    for stage, c in counts.items():
        assert np.array_equal(part[stage][some], c[some]), stage
        assert not np.delete(part[stage], some).any(), stage


@st.composite
def rosters(draw: st.DrawFn) -> tuple[list[Newcomer], list[Local]]:
    n = draw(st.integers(0, 12))
    m = draw(st.integers(0, 12))
    return (
        [person(Newcomer, i, draw) for i in range(n)],  # type: ignore[misc]
        [person(Local, j, draw) for j in range(m)],  # type: ignore[misc]
    )


@settings(max_examples=40, deadline=None)
@given(rosters())
def test_prepare_equals_all_at_once_on_small_rosters(
    data: tuple[list[Newcomer], list[Local]],
) -> None:
    _assert_same(*data)


def test_prepare_equals_all_at_once_on_generated_rosters(tmp_path: Path) -> None:
    newcomers, locals_ = generate_rosters(tmp_path, "national", 1500, seed=3)
    _assert_same(newcomers, locals_)


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_tiny_chunks_give_the_same_candidates(tmp_path: Path, workers: int) -> None:
    """In one thread and in threads."""
    newcomers, locals_ = generate_rosters(tmp_path, "national", 600, seed=1)
    vocab = Vocabulary.of(newcomers, locals_)
    npool = build_pool(sort_by_id(newcomers), vocab)
    lpool = build_pool(sort_by_id(locals_), vocab)
    checks, _, scores = _all_at_once(npool, lpool, vocab)
    small = _candidates.candidates(npool, lpool, vocab, W, target_pairs=500, workers=workers)
    assert len(scores) > 1000
    assert np.array_equal(checks.newcomer, small.newcomer)
    assert np.array_equal(checks.local, small.local)
    assert np.array_equal(scores, small.score)


@pytest.mark.parametrize("classes", [_candidates._REACH_CLASSES, 2, 1, 1000])
def test_near_pairs_of_a_chunk_are_each_near_pair_once(
    tmp_path: Path, classes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Searched class against class: the same set as ``near_pairs``, no pair twice, also
    when classes hold several reaches (and pairs beyond the larger reach are dropped)."""
    monkeypatch.setattr(_candidates, "_REACH_CLASSES", classes)
    newcomers, locals_ = generate_rosters(tmp_path, "national", 600, seed=8)
    vocab = Vocabulary.of(newcomers, locals_)
    npool = build_pool(sort_by_id(newcomers), vocab)
    lpool = build_pool(sort_by_id(locals_), vocab)
    n, m = _pairs.near_pairs(npool, lpool, W)
    finder = _candidates.NearFinder(npool, lpool, W)
    assert (len(finder.n_reach) <= classes) and (len(finder.l_groups) <= classes)
    assert finder.n_exact.all() == (classes == 1000)  # a class for each reach: no filter
    rows = np.arange(3, npool.size, 2)  # a chunk that is not every newcomer
    fn, fm = finder.pairs(rows)
    key = fn * lpool.size + fm
    assert len(np.unique(key)) == len(key)
    want = n * lpool.size + m
    assert np.array_equal(np.sort(key), want[np.isin(n, rows)])
    assert len(key) > 1000


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 1e-12, 0.5, 1.0, 1.5, 2.0, 3.0, 7.0, 7.5, 40.0]), max_size=40),
    st.integers(1, 8),
)
def test_reach_classes_cover_everyone_in_order(reaches: list[float], most: int) -> None:
    """Each person's class reach is at least their own, classes keep the reaches' order,
    and a class said to be exact holds one reach."""
    chord = np.asarray(reaches, dtype=np.float64)
    which, reach, exact = _candidates._reach_classes(chord, most)
    assert len(which) == len(chord) and len(reach) == len(exact) <= most
    if len(chord) == 0:
        return
    assert set(np.unique(which)) == set(range(len(reach)))  # no empty class
    assert np.all(reach[which] >= chord)
    order = np.argsort(chord, kind="stable")
    assert np.all(np.diff(which[order]) >= 0)
    for c in range(len(reach)):
        mine = chord[which == c]
        assert exact[c] == bool(np.all(mine == reach[c]))
        assert reach[c] == mine.max()


def test_scores_with_a_probability_model_equal_the_reference(tmp_path: Path) -> None:
    newcomers, locals_ = generate_rosters(tmp_path, "rivierenland", 300, seed=4)
    learned = W.model_copy(update={"model": ScoreModel(kind="probability", intercept=-0.7)})
    prep = _match.prepare(newcomers, locals_, learned)
    checks = _pairs.check_pairs(prep.newcomers, prep.locals, prep.pair_newcomer, prep.pair_local, W)
    feats, _ = _features.feature_matrix(checks, prep.newcomers, prep.locals, prep.vocab, learned)
    reference = _scoring.scores(_scoring.contributions(feats, learned), learned)
    assert np.array_equal(reference, prep.pair_score)
    assert prep.pair_score.min() >= 0 and prep.pair_score.max() <= 1000


def test_language_masks_match_the_minimum_level_rule(tmp_path: Path) -> None:
    newcomers, locals_ = generate_rosters(tmp_path, "national", 300, seed=2)
    vocab = Vocabulary.of(newcomers, locals_)
    npool = build_pool(sort_by_id(newcomers), vocab)
    lpool = build_pool(sort_by_id(locals_), vocab)
    lo = int(W.rules.min_shared_level)
    n = np.repeat(np.arange(npool.size), lpool.size)
    m = np.tile(np.arange(lpool.size), npool.size)
    by_mask = _pairs.share_a_language(npool, lpool, n, m, lo)
    by_level = np.minimum(npool.levels[n], lpool.levels[m]).max(axis=1) >= lo
    assert np.array_equal(by_mask, by_level)


@st.composite
def changed_rosters(
    draw: st.DrawFn,
) -> tuple[tuple[list[Newcomer], list[Local]], tuple[list[Newcomer], list[Local]]]:
    """Rosters, and the same rosters with people removed, edited and added (a what-if)."""
    newcomers, locals_ = draw(rosters())

    def change(people: list[Any], cls: type) -> list[Any]:
        out = []
        for p in people:
            action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "edit"]))
            if action == "keep":
                out.append(p)
            elif action == "edit":
                out.append(person(cls, int(p.id[1:]), draw))
        extra = draw(st.integers(0, 3))
        out.extend(person(cls, 100 + i, draw) for i in range(extra))
        return out

    return (newcomers, locals_), (change(newcomers, Newcomer), change(locals_, Local))


def _assert_prepared_equal(a: _match.Prepared, b: _match.Prepared) -> None:
    assert a.newcomers.ids == b.newcomers.ids and a.locals.ids == b.locals.ids
    assert np.array_equal(a.pair_newcomer, b.pair_newcomer)
    assert np.array_equal(a.pair_local, b.pair_local)
    assert np.array_equal(a.pair_score, b.pair_score)


@settings(max_examples=60, deadline=None)
@given(changed_rosters())
def test_reusing_an_earlier_run_gives_the_same_candidates(data: Any) -> None:
    before, after = data
    earlier = _match.prepare(*before, W)
    _assert_prepared_equal(_match.prepare(*after, W, reuse=earlier), _match.prepare(*after, W))


def test_reuse_on_generated_rosters_with_new_volunteers(tmp_path: Path) -> None:
    newcomers, locals_ = generate_rosters(tmp_path, "national", 800, seed=8)
    earlier = _match.prepare(newcomers, locals_, W)
    recruits = [
        loc.model_copy(update={"id": f"{loc.id}-new", "transport": ("car",)})
        for loc in locals_[:25]
    ]
    edited = [n.model_copy(update={"max_travel_min": 60}) for n in newcomers[:40]]
    after_n = edited + newcomers[40:]
    after_l = locals_[30:] + recruits
    fresh = _match.prepare(after_n, after_l, W)
    _assert_prepared_equal(_match.prepare(after_n, after_l, W, reuse=earlier), fresh)
    # Other hard rules: nothing can be taken over, and the result is still the same.
    strict = W.model_copy(update={"rules": W.rules.model_copy(update={"min_shared_level": 4})})
    _assert_prepared_equal(
        _match.prepare(after_n, after_l, strict, reuse=earlier),
        _match.prepare(after_n, after_l, strict),
    )
