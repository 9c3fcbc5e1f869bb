"""matches.csv: the contract's header, one row per pair and per waiting newcomer, every cell
written as ``match_rows`` makes it and formula-escaped."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from buddymatch._csvout import escape_cell
from buddymatch._match import match
from buddymatch._read import read_locals, read_newcomers
from buddymatch._result import MatchResult, Pair, Unmatched
from buddymatch._weights import FEATURES
from buddymatch._write import HEADER, match_rows, pair_reason, write_matches

SAMPLES = resources.files("buddymatch") / "data" / "samples"


def _result(pairs: tuple[Pair, ...], unmatched: tuple[Unmatched, ...]) -> MatchResult:
    return MatchResult(
        pairs=pairs,
        unmatched=unmatched,
        solver="flow",
        status="optimal",
        objective=0,
        bound=None,
        objective_kind="count",
        n_newcomers=len(pairs) + len(unmatched),
        n_locals=1,
        n_candidates=1,
        seed=0,
        seconds=0.0,
    )


def test_rows_hold_every_field_in_the_contracts_words() -> None:
    contributions = dict.fromkeys(FEATURES, 0.0) | {"travel": -0.0, "age_gap": -0.125}
    pair = Pair(
        newcomer_id="N1",
        local_id="=L1",
        score=1.25,
        probability=None,
        contributions=contributions,
        language="nl",
        language_level="B1",
        dutch_practice=True,
        travel_min=None,
        travel_mode=None,
        who_travels=None,
        shared_interests=("art", "music"),
        common_slots=3,
        pinned=False,
        explored=True,
    )
    waiting = Unmatched("N2", "taken", "the only workable local (L1) is paired")
    pair_row, waiting_row = match_rows(_result((pair,), (waiting,)))
    assert pair_row == [
        "N1",
        "=L1",  # escaped when written, not here
        "1.250",
        "",
        "nl",
        "B1",
        "yes",
        "",
        "",
        "",
        "art|music",
        "3",
        "no",
        "yes",
        *[{"travel": "-0.000", "age_gap": "-0.125"}.get(f, "0.000") for f in FEATURES],
        "both speak nl (B1 or better); Dutch practice; share art, music; "
        "3 free slot(s) in common; explored: a near-optimal alternative, to learn from",
    ]
    assert waiting_row == ["N2", *[""] * (len(HEADER) - 2), waiting.reason]


def test_a_pair_in_the_same_area_is_not_said_to_travel_0_minutes() -> None:
    """Addresses are located per postcode area (or place): two people there are at one
    point, and "0 min on foot" would read as a mistake."""
    base = dict(
        newcomer_id="N1", local_id="L1", score=1.0, probability=None,
        contributions=dict.fromkeys(FEATURES, 0.0), language="nl", language_level="B1",
        dutch_practice=False, travel_mode="walk", who_travels="newcomer",
        shared_interests=(), common_slots=1, pinned=False, explored=False,
    )  # fmt: skip
    here = pair_reason(Pair(**base, travel_min=0.0))  # type: ignore[arg-type]
    there = pair_reason(Pair(**base, travel_min=12.0))  # type: ignore[arg-type]
    assert "same postcode area or place, on foot" in here and "min" not in here
    assert "12 min on foot (newcomer travels)" in there


def test_file_is_the_header_then_the_rows_escaped(tmp_path: Path) -> None:
    newcomers = read_newcomers(str(SAMPLES / "rotterdam_newcomers.csv")).people
    locals_ = read_locals(str(SAMPLES / "rotterdam_locals.csv")).people
    result = match(newcomers, locals_, explore=0.3, seed=2)
    assert result.pairs and result.unmatched
    path = write_matches(result, tmp_path / "matches.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        written = list(csv.reader(fh))
    assert written[0] == list(HEADER)
    assert written[1:] == [[escape_cell(c) for c in row] for row in match_rows(result)]
    assert any(c.startswith("'-") for row in written for c in row)


def test_dutch_excel_dialect_has_decimal_commas_in_the_number_columns(tmp_path: Path) -> None:
    """With ``;`` the numbers use a decimal comma (Dutch Excel reads 1.235 as 1235); the
    other cells, the reasons included, are as with ``,``."""
    newcomers = read_newcomers(str(SAMPLES / "rotterdam_newcomers.csv")).people
    locals_ = read_locals(str(SAMPLES / "rotterdam_locals.csv")).people
    result = match(newcomers, locals_)
    plain = write_matches(result, tmp_path / "plain.csv")
    dutch = write_matches(result, tmp_path / "dutch.csv", delimiter=";")
    with plain.open(encoding="utf-8-sig", newline="") as fh:
        a = list(csv.reader(fh))
    with dutch.open(encoding="utf-8-sig", newline="") as fh:
        b = list(csv.reader(fh, delimiter=";"))
    assert a[0] == b[0] == list(HEADER)
    numbers = {"score", "probability", "travel_min"} | {f"contribution_{f}" for f in FEATURES}
    changed = 0
    for row_a, row_b in zip(a[1:], b[1:], strict=True):
        for name, x, y in zip(HEADER, row_a, row_b, strict=True):
            if name in numbers:
                assert y == x.replace(".", ",")
                changed += x != y
            else:
                assert y == x
    assert changed > len(result.pairs)  # every pair has a score with decimals
