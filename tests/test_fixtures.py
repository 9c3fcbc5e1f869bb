"""Sanity checks for the roster generator in ``fixtures/generate.py``.

Why: benchmarks, demos and reader tests lean on these rosters; they must be reproducible,
valid under the contract, placed in the right region, and the bundled samples must be
exactly what the generator makes.

``fixtures/`` is not a package, so the generator is loaded from its file path
(``tests/_scripts.py``).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _scripts import load_script

from buddymatch._profiles import Local, Newcomer

REPO = Path(__file__).resolve().parent.parent


def _load_generator() -> ModuleType:
    return load_script("fixtures/generate.py")


gen = _load_generator()


@cache
def _pc4_municipality() -> dict[str, str]:
    with (REPO / "buddymatch" / "data" / "nl_pc4.csv").open(encoding="utf-8", newline="") as fh:
        return {r["pc4"]: r["municipality"] for r in csv.DictReader(fh)}


def _cells(row: dict[str, str]) -> dict[str, Any]:
    """What a reader hands the models: the non-empty cells (column names are field names)."""
    return {k: v for k, v in row.items() if v}


def test_same_seed_same_rows_and_different_seed_different_rows() -> None:
    a = gen.generate_rosters("rotterdam", 300, 250, seed=11)
    b = gen.generate_rosters("rotterdam", 300, 250, seed=11)
    c = gen.generate_rosters("rotterdam", 300, 250, seed=12)
    assert a == b
    assert a[0] != c[0] and a[1] != c[1]
    assert [r["id"] for r in a[0][:2]] == ["N00001", "N00002"]
    assert [r["id"] for r in a[1][-1:]] == ["L00250"]


def test_locals_default_count_and_independent_streams() -> None:
    newcomers, locals_ = gen.generate_rosters("rivierenland", 100, seed=3)
    assert len(newcomers) == 100 and len(locals_) == 80
    # Changing the number of locals does not reshuffle the newcomers.
    assert gen.generate_rosters("rivierenland", 100, 50, seed=3)[0] == newcomers


def test_national_rows_validate_and_use_every_address_form() -> None:
    newcomers, locals_ = gen.generate_rosters("national", 1200, 800, seed=5)
    assert list(newcomers[0]) == list(gen.NEWCOMER_COLUMNS)
    assert list(locals_[0]) == list(gen.LOCAL_COLUMNS)
    for row in newcomers:
        Newcomer.model_validate(_cells(row))
    for row in locals_:
        Local.model_validate(_cells(row))
    rows = newcomers + locals_
    assert any(r["lat"] and r["lon"] and not r["postcode"] for r in rows)
    assert any(r["place"] and not r["postcode"] and not r["lat"] for r in rows)
    assert any(len(r["postcode"]) == 4 for r in rows)
    assert any(len(r["postcode"]) == 7 and r["postcode"][4] == " " for r in rows)
    assert any(len(r["postcode"]) == 6 for r in rows)
    assert not any(r["postcode"][-2:] in ("SA", "SD", "SS") for r in rows)
    availability = "|".join(r["availability"] for r in rows).split("|")
    assert "sat" in availability or "sun" in availability
    assert any("-" in slot for slot in availability)


def test_rivierenland_places_people_only_in_its_eight_municipalities() -> None:
    newcomers, locals_ = gen.generate_rosters("rivierenland", 600, 500, seed=9)
    table = _pc4_municipality()
    for row in newcomers + locals_:
        if row["postcode"]:
            assert table[row["postcode"][:4]] in gen.RIVIERENLAND, row
        model = (Local if row["id"].startswith("L") else Newcomer).model_validate(_cells(row))
        where = table[model.pc4] if model.pc4 else model.municipality
        assert where in gen.RIVIERENLAND, row


def test_rotterdam_rosters_stay_in_rotterdam() -> None:
    newcomers, _ = gen.generate_rosters("rotterdam", 400, 0, seed=2)
    table = _pc4_municipality()
    for row in newcomers:
        model = Newcomer.model_validate(_cells(row))
        assert (table[model.pc4] if model.pc4 else model.municipality) == "Rotterdam"


def test_dutch_excel_files_are_what_dutch_excel_writes(tmp_path: Path) -> None:
    plain_new, plain_loc = gen.write_rosters(tmp_path / "plain", "national", 400, 300, seed=4)
    nl_new, nl_loc = gen.write_rosters(
        tmp_path / "nl", "national", 400, 300, seed=4, dutch_excel=True
    )
    for plain, dutch in ((plain_new, nl_new), (plain_loc, nl_loc)):
        raw = dutch.read_bytes()
        assert raw.count(b"\r\n") == raw.count(b"\n") > 1
        text = raw.decode("cp1252")  # strict: every character is Windows-1252
        header = text.split("\r\n", 1)[0].split(";")
        assert header[:4] == ["nummer", "naam", "postcode", "woonplaats"]
        assert "breedtegraad" in header and "wil_nederlands_oefenen" in header
        dutch_rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
        plain_rows = list(csv.DictReader(plain.read_text(encoding="utf-8").splitlines()))
        assert len(dutch_rows) == len(plain_rows)
        for d, p in zip(dutch_rows, plain_rows, strict=True):
            assert d["nummer"] == p["id"] and d["talen"] == p["languages"]
            assert d["breedtegraad"] == p["lat"].replace(".", ",")
            assert d["wil_nederlands_oefenen"] in ("ja", "nee", "")


def test_cp1252_names_are_transliterated_not_replaced() -> None:
    assert (
        gen._cp1252_text("Ağa Yılmaz Şahin Öztürk Zoë Müller")
        == "Aga Yilmaz Sahin Öztürk Zoë Müller"
    )
    assert gen._cp1252_text("Łukasz Wiśniewski") == "Lukasz Wisniewski"


def test_bundled_samples_are_what_make_samples_writes(tmp_path: Path) -> None:
    written = gen.make_samples(tmp_path)
    assert sorted(p.name for p in written) == [
        "rivierenland_locals.csv",
        "rivierenland_newcomers.csv",
        "rotterdam_locals.csv",
        "rotterdam_newcomers.csv",
    ]
    for path in written:
        bundled = REPO / "buddymatch" / "data" / "samples" / path.name
        assert bundled.read_bytes() == path.read_bytes(), f"regenerate with --samples: {path.name}"


def test_cli_writes_both_files(tmp_path: Path) -> None:
    assert (
        gen.main(["rivierenland", "12", "--locals", "9", "--seed", "1", "-o", str(tmp_path)]) == 0
    )
    assert len((tmp_path / "newcomers.csv").read_text(encoding="utf-8").splitlines()) == 13
    assert len((tmp_path / "locals.csv").read_text(encoding="utf-8").splitlines()) == 10


def test_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown region"):
        gen.generate_rosters("amsterdam", 5)
