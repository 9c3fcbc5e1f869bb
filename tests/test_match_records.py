"""Pair and waiting-newcomer records are made for all rows at once; they must be what the
straightforward row-by-row computation gives."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import NDArray

from buddymatch import _match, _pairs, _scoring
from buddymatch._pool import Vocabulary
from buddymatch._problem import SCORE_SCALE
from buddymatch._profiles import Local, Newcomer
from buddymatch._read import read_locals, read_newcomers
from buddymatch._result import Pair
from buddymatch._vocab import MODES, Level
from buddymatch._weights import FEATURES, Weights

SAMPLES = resources.files("buddymatch") / "data" / "samples"


def _samples() -> tuple[list[Newcomer], list[Local]]:
    """Both bundled regions together, so some pairs are far apart (ids prefixed by region:
    both files number their people from 1)."""
    newcomers: list[Newcomer] = []
    locals_: list[Local] = []
    for region in ("rotterdam", "rivierenland"):
        for p in read_newcomers(str(SAMPLES / f"{region}_newcomers.csv")).people:
            newcomers.append(p.model_copy(update={"id": f"{region}-{p.id}"}))
        for q in read_locals(str(SAMPLES / f"{region}_locals.csv")).people:
            locals_.append(q.model_copy(update={"id": f"{region}-{q.id}"}))
    return newcomers, locals_


LEARNED = Weights.default().updated(
    {
        "model": {"kind": "probability", "intercept": -0.5},
        "travel": {"bike": {"runs": "mon-morning|sat-afternoon"}},
    }
)


def test_tags_of_all_rows_are_the_tags_row_by_row() -> None:
    rng = np.random.default_rng(3)
    vocab = Vocabulary(("nl",), ("music", "chess", "art", "zumba", "cooking", "baking"))
    dense = rng.random((40, len(vocab.tags))) < 0.3
    dense[5] = False  # a row without shared interests
    shared = sp.csr_matrix(dense)
    expected = [tuple(sorted(vocab.tags[c] for c in shared[r].indices)) for r in range(40)]
    assert _match._tags(shared, vocab) == expected
    assert _match._tags(sp.csr_matrix((0, 6)), vocab) == []


def _pair_row_by_row(
    prep: _match.Prepared,
    checks: _pairs.PairChecks,
    contrib: NDArray[np.int64],
    shared: sp.csr_matrix,
    weights: Weights,
    r: int,
    *,
    pinned: bool,
    explored: bool,
) -> Pair:
    """One pair's record, every field computed on its own (the reference)."""
    row = contrib[r : r + 1]
    minutes = float(checks.travel_min[r])
    mode = int(checks.travel_mode[r])
    lang, level = int(checks.best_language[r]), int(checks.best_level[r])
    return Pair(
        newcomer_id=prep.newcomers.ids[int(checks.newcomer[r])],
        local_id=prep.locals.ids[int(checks.local[r])],
        score=float(_scoring.scores(row, weights)[0] / SCORE_SCALE),
        probability=(
            float(_scoring.probability(row, weights)[0])
            if weights.model.kind == "probability"
            else None
        ),
        contributions={f: float(contrib[r, c] / SCORE_SCALE) for c, f in enumerate(FEATURES)},
        language=prep.vocab.languages[lang] if lang >= 0 else None,
        language_level=Level(level).label if level > 0 else None,
        dutch_practice=bool(contrib[r, FEATURES.index("dutch_practice")] != 0),
        travel_min=round(minutes, 1) if math.isfinite(minutes) else None,
        travel_mode=MODES[mode] if mode >= 0 else None,
        who_travels=_pairs.WHO[int(checks.who_travels[r])] if mode >= 0 else None,
        shared_interests=tuple(sorted(prep.vocab.tags[c] for c in shared[r].indices)),
        common_slots=bin(int(checks.common_slots[r])).count("1"),
        pinned=pinned,
        explored=explored,
    )


@pytest.mark.parametrize("weights", [Weights.default(), LEARNED], ids=["linear", "learned"])
def test_pair_records_are_the_fields_computed_pair_by_pair(weights: Weights) -> None:
    newcomers, locals_ = _samples()
    prep = _match.prepare(newcomers, locals_, weights)
    rng = np.random.default_rng(7)
    # Any pairs at all, most breaking some rule: no travel, no shared language, and so on.
    n = rng.integers(0, prep.newcomers.size, 300)
    m = rng.integers(0, prep.locals.size, 300)
    n = np.concatenate([n, prep.pair_newcomer[:100]])
    m = np.concatenate([m, prep.pair_local[:100]])
    checks, contrib, shared = _match._details(prep, n, m, weights)
    explored = (rng.random(len(n)) < 0.3).tolist()
    made = _match._pairs_from(
        prep, checks, contrib, shared, weights, pinned=False, explored=explored
    )
    expected = [
        _pair_row_by_row(
            prep, checks, contrib, shared, weights, r, pinned=False, explored=explored[r]
        )
        for r in range(len(n))
    ]
    assert made == expected
    for got, want in zip(made, expected, strict=True):  # same order of contributions too
        assert list(got.contributions) == list(want.contributions) == list(FEATURES)
    assert any(p.travel_min is None for p in made) and any(p.travel_min for p in made)
    assert any(p.language is None for p in made) and any(p.shared_interests for p in made)
    pinned = _match._pairs_from(prep, checks, contrib, shared, weights, pinned=True)
    assert all(p.pinned and not p.explored for p in pinned)


def test_workable_locals_are_the_allowed_candidates_of_each_newcomer() -> None:
    newcomers, locals_ = _samples()
    prep = _match.prepare(newcomers, locals_, Weights.default())
    rng = np.random.default_rng(11)
    allowed = rng.random(prep.n_candidates) < 0.7
    who = np.flatnonzero(rng.random(prep.newcomers.size) < 0.5)
    starts = np.searchsorted(prep.pair_newcomer, np.arange(prep.newcomers.size + 1))
    expected = []
    for i in who:
        rows = np.arange(starts[i], starts[i + 1])
        expected.append([prep.locals.ids[int(j)] for j in prep.pair_local[rows[allowed[rows]]]])
    assert _match._workable_locals(prep, who, allowed) == expected
    assert any(len(ids) > 5 for ids in expected) and any(not ids for ids in expected)
    assert _match._workable_locals(prep, who[:0], allowed) == []
