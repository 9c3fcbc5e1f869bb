"""Language codes: ISO 639-1, 639-2/B and 639-3 are accepted, each language is written one
way, and a code in no ISO table (a typo such as ``ra`` for ``ar``) is a located problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from _scripts import load_script
from hypothesis import given
from hypothesis import strategies as st

from buddymatch import _vocab
from buddymatch._read import read_newcomers
from buddymatch._vocab import CellError, canonical_language

TABLE = sorted(_vocab._iso639())


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("ar", "ar"),
        ("ARA", "ar"),
        ("arb", "ar"),  # Standard Arabic: what "ar" means in practice
        ("dut", "nl"),
        ("nld", "nl"),
        ("per", "fa"),
        ("pes", "fa"),
        ("prs", "prs"),  # Dari stays Dari, as the contract lists it apart from fa
        ("kmr", "kmr"),
        ("ckb", "ckb"),
        ("ti", "ti"),
        ("tig", "tig"),
        ("pap", "pap"),
    ],
)
def test_codes_name_one_language(written: str, canonical: str) -> None:
    assert canonical_language(written) == canonical


@pytest.mark.parametrize("written", ["xx", "ra", "zz", "qqq", "arabisch", "a", "n1"])
def test_codes_in_no_iso_table_are_refused(written: str) -> None:
    with pytest.raises(CellError, match="is not a language code"):
        canonical_language(written)


@given(st.sampled_from(TABLE))
def test_every_shipped_code_is_accepted_and_its_canonical_form_is_stable(code: str) -> None:
    once = canonical_language(code)
    assert canonical_language(once) == once and once in TABLE


def test_a_typo_in_a_roster_is_a_located_problem(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("id;postcode;talen\nN1;4001;ra:native|nl:A2\nN2;4001;ar\n", "utf-8")
    roster = read_newcomers(path)
    (problem,) = roster.problems
    assert (problem.row, problem.column) == (2, "talen") and "'ra'" in str(problem)
    assert [p.id for p in roster.people] == ["N2"]


def test_the_shipped_table_is_what_the_build_script_makes() -> None:
    pytest.importorskip("pycountry")
    build = load_script("fixtures/build_languages.py")
    shipped = Path(build.OUT).read_text("utf-8").splitlines()
    assert shipped == [f"{c} {s}".rstrip() for c, s in sorted(build.table().items())]
