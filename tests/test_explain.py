"""Reasons for waiting newcomers: the exact words per rule, and the same reason whether a
newcomer is explained alone or among thousands."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
from numpy.typing import NDArray

from buddymatch._explain import explain_unmatched, explain_waiting
from buddymatch._pairs import STAGES
from buddymatch._pool import Pool, Vocabulary, build_pool, sort_by_id
from buddymatch._profiles import Newcomer
from buddymatch._weights import Weights

W = Weights.default()
_ROTTERDAM = {"postcode": "3071", "transport": "walk|public_transport"}

# (newcomer, locals left after each stage in STAGES order, workable, worth, workable ids)
CASES: dict[str, tuple[dict[str, object], tuple[int, ...], int, int, int]] = {
    "reach": (
        {"languages": "ti:native", "transport": "bike", "max_travel_min": 45},
        (0, 0, 0, 0, 0),
        0,
        0,
        0,
    ),
    "no_language": ({"languages": "ar:A1"}, (4, 0, 0, 0, 0), 0, 0, 0),
    "language": ({"languages": "ar:native|en:B1"}, (4, 0, 0, 0, 0), 0, 0, 0),
    "time_one": ({"languages": "ar:native|nl:A2"}, (3, 1, 0, 0, 0), 0, 0, 0),
    "time_many": ({"languages": "fa:native"}, (3, 2, 0, 0, 0), 0, 0, 0),
    "transport_runs": (
        {"languages": "nl:B1", "transport": "neighbourhood_bus|bike|village_car"},
        (3, 3, 2, 0, 0),
        0,
        0,
        0,
    ),
    "gender_one": ({"languages": "nl:B1", "gender": "f"}, (3, 3, 2, 1, 0), 0, 0, 0),
    "gender_many": ({"languages": "nl:B1", "gender": "m"}, (5, 5, 4, 3, 0), 0, 0, 0),
    "gender_own": (
        {"languages": "nl:B1", "gender": "f", "gender_preference": "same"},
        (5, 5, 4, 3, 0),
        0,
        0,
        0,
    ),
    "gender_unknown": (
        {"languages": "nl:B1", "gender_preference": "same"},
        (5, 5, 4, 2, 0),
        0,
        0,
        0,
    ),
    "forbidden": ({"languages": "nl:B1"}, (5, 5, 4, 3, 2), 0, 0, 2),
    "not_worth": ({"languages": "nl:B1"}, (5, 5, 4, 3, 2), 2, 0, 2),
    "taken_one": ({"languages": "nl:B1"}, (5, 5, 4, 3, 1), 1, 1, 1),
    "taken_many": ({"languages": "nl:B1"}, (9, 9, 9, 8, 7), 7, 7, 7),
}

EXPECTED = {
    "reach": ("reach", "no local within 45 min by bike"),
    "no_language": (
        "no_language",
        "no language given at A2 or above, so no conversation is possible with any local",
    ),
    "language": (
        "language",
        "no local within 30 min on foot or by public transport who speaks ar or en at A2 or above",
    ),
    "time_one": (
        "time",
        "1 local within 30 min on foot or by public transport speaks ar or nl at A2 or above, "
        "but they have no free time in common",
    ),
    "time_many": (
        "time",
        "2 locals within 30 min on foot or by public transport speak fa at A2 or above, but "
        "none of them has free time in common with this newcomer",
    ),
    "transport_runs": (
        "transport_runs",
        "2 locals fit on language and free time, but no way of travelling between them runs "
        "in the free time they share (the village car and the neighbourhood bus run only at some "
        "times)",
    ),
    "gender_one": (
        "gender",
        "the only local who fits otherwise is ruled out by their own wish for a buddy of the "
        "same gender",
    ),
    "gender_many": (
        "gender",
        "all 3 locals who fit otherwise are ruled out by their own wish for a buddy of the same "
        "gender",
    ),
    "gender_own": (
        "gender",
        "all 3 locals who fit otherwise are ruled out by this newcomer's wish for a buddy of "
        "the same gender",
    ),
    "gender_unknown": (
        "gender",
        "both locals who fit otherwise are ruled out by this newcomer's wish for a buddy of "
        "the same gender; this newcomer's gender is not in the roster, and a same-gender pair "
        "needs both genders",
    ),
    "forbidden": (
        "forbidden",
        "every local who fits is on the forbidden list for this newcomer",
    ),
    "not_worth": (
        "not_worth",
        "every workable pair would score 0 or below, and the objective is the total score",
    ),
    "taken_one": (
        "taken",
        "the only local who fits (L0) is already paired with another newcomer; pairing "
        "differently would not match more people",
    ),
    "taken_many": (
        "taken",
        "all 7 locals who fit (L0, L1, L2, L3, L4 …) are already paired with other newcomers; "
        "pairing differently would not match more people",
    ),
}


class Setting(NamedTuple):
    names: list[str]
    pool: Pool
    vocab: Vocabulary
    counts: dict[str, NDArray[np.int64]]
    workable: NDArray[np.int64]
    worth: NDArray[np.int64]
    ids: list[list[str]]


def _setting() -> Setting:
    names = sorted(CASES)
    people = [Newcomer(id=name, **{**_ROTTERDAM, **CASES[name][0]}) for name in names]
    vocab = Vocabulary.of(people)
    pool = build_pool(sort_by_id(people), vocab)
    assert list(pool.ids) == names
    counts = {
        stage: np.array([CASES[n][1][s] for n in names], dtype=np.int64)
        for s, stage in enumerate(STAGES)
    }
    workable = np.array([CASES[n][2] for n in names], dtype=np.int64)
    worth = np.array([CASES[n][3] for n in names], dtype=np.int64)
    ids = [[f"L{j}" for j in range(CASES[n][4])] for n in names]
    return Setting(names, pool, vocab, counts, workable, worth, ids)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_rule_has_its_own_words(name: str) -> None:
    names, pool, vocab, counts, workable, worth, ids = _setting()
    i = names.index(name)
    got = explain_unmatched(i, pool, vocab, W, counts, workable, worth, ids[i])
    assert (got.newcomer_id, got.code, got.reason) == (name, *EXPECTED[name])


def test_taken_under_the_score_objective_says_so() -> None:
    names, pool, vocab, counts, workable, worth, ids = _setting()
    i = names.index("taken_one")
    got = explain_unmatched(i, pool, vocab, W, counts, workable, worth, ids[i], "score")
    assert got.reason.endswith("; this pairing gives the highest total score")


@pytest.mark.parametrize("objective", ["count", "score"])
def test_many_at_once_are_each_explained_alone(objective: str) -> None:
    names, pool, vocab, counts, workable, worth, ids = _setting()
    rng = np.random.default_rng(5)
    who = rng.integers(0, len(names), 50)  # any order, with repeats
    together = explain_waiting(
        who,
        pool,
        vocab,
        W,
        counts,
        workable,
        worth,
        [ids[i] for i in who],
        objective,
    )
    alone = [
        explain_unmatched(int(i), pool, vocab, W, counts, workable, worth, ids[i], objective)
        for i in who
    ]
    assert together == alone
    assert {u.code for u in together} == {code for code, _ in EXPECTED.values()}
    assert explain_waiting([], pool, vocab, W, counts, workable, worth, [], objective) == []
