"""A program that passes the library something it cannot use gets a ``ConfigError`` (a
``BuddymatchError`` and a ``ValueError``) saying what to pass instead, before any work; and
profile errors never repeat the personal data given."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from buddymatch import (
    ConfigError,
    Level,
    Local,
    Newcomer,
    RosterError,
    Weights,
    match,
    read_pairs,
)

NEWCOMERS = [Newcomer(id="N1", postcode="4001", languages="nl:B1")]
LOCALS = [Local(id="L1", postcode="4001", languages="nl:native")]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"solver": "gurobi"}, "unknown solver 'gurobi'"),
        ({"objective": "max"}, "objective must be 'count' or 'score'"),
        ({"time_limit": 0}, "time_limit must be a number of seconds above 0"),
        ({"time_limit": -5.0}, "time_limit"),
        ({"time_limit": math.nan}, "time_limit"),
        ({"time_limit": "10"}, "time_limit"),
        ({"seed": 2**40}, "seed must be a whole number"),
        ({"seed": "abc"}, "seed"),
        ({"explore": -0.1}, "explore must be a share from 0 to 1"),
        ({"explore": math.nan}, "explore"),
        ({"explore": 1.5}, "explore"),
        ({"weights": {"travel": -1}}, "weights must be a Weights"),
        ({"area_minimums": {"Atlantis": 1}}, "no newcomer lives in 'Atlantis'"),
        ({"area_minimums": {"Tiel": -1}}, "must be a whole number ≥ 0"),
        ({"pinned": ["N1"]}, "not a pair of ids"),
        ({"pinned": [("N1", "L1", "x")]}, "not a pair of ids"),
    ],
)
def test_unusable_options_are_config_errors(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        match(NEWCOMERS, LOCALS, **options)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("side", ["newcomers", "locals"])
def test_an_id_used_twice_is_refused(side: str) -> None:
    """Two profiles with one id would be matched as two people: one newcomer with two
    buddies, or a local over capacity."""
    newcomers = NEWCOMERS * (2 if side == "newcomers" else 1)
    locals_ = [*LOCALS, Local(id="L2", postcode="4001", languages="nl:native")]
    if side == "locals":
        locals_ = [locals_[0], locals_[0]]
    with pytest.raises(ConfigError, match=f"{side}: each id must be used once.*N1|L1"):
        match(newcomers, locals_)


def test_rows_of_a_pairs_file_keep_their_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "vast.csv"
    path.write_text("newcomer_id,local_id\nN1,L1\nN9,L1\n", encoding="utf-8")
    pins = read_pairs(path, kind="pinned")
    with pytest.raises(RosterError, match=r"vast\.csv, row 3"):
        match(NEWCOMERS, LOCALS, pinned=pins.pairs)
    result = match(NEWCOMERS, LOCALS, pinned=pins.pairs[:1])
    assert [(p.newcomer_id, p.local_id, p.pinned) for p in result.pairs] == [("N1", "L1", True)]


def test_profile_errors_do_not_repeat_what_was_given() -> None:
    with pytest.raises(ValidationError) as caught:
        Newcomer(
            id="N9",
            postcode="4001",
            languages="nl:B1",
            name="Amina Yusuf",
            age="37 jaar",  # type: ignore[arg-type]
            gender="woman",  # type: ignore[arg-type]
        )
    text = str(caught.value)
    assert "age" in text and "gender" in text
    for given in ("Amina", "Yusuf", "37 jaar", "woman"):
        assert given not in text


def test_languages_as_a_mapping_with_level_names() -> None:
    """Code may give levels as the words a roster cell uses, or as Level."""
    a = Newcomer(id="N1", postcode="4001", languages={"ara": "native", "nl": Level.A2})
    b = Newcomer(id="N1", postcode="4001", languages="ar:native|nl:A2")
    assert a.languages == b.languages == {"ar": Level.NATIVE, "nl": Level.A2}
    with pytest.raises(ValidationError, match="not a language level"):
        Newcomer(id="N1", postcode="4001", languages={"ar": "B3"})


def test_weights_default_is_used_when_none_is_given() -> None:
    assert (
        match(NEWCOMERS, LOCALS).pairs == match(NEWCOMERS, LOCALS, weights=Weights.default()).pairs
    )
