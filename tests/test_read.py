"""Roster, outcome and pair readers: every bad input of the contract gives a located problem."""

from __future__ import annotations

import csv
import datetime as dt
import io
import pickle
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from _pools import assert_same_pool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from buddymatch import _geo, _read, _vocab
from buddymatch._errors import Problem, RosterError
from buddymatch._pool import PooledPeople, Vocabulary, build_pool, sort_by_id
from buddymatch._profiles import Local, LocationError, Newcomer, RowBuilder, locate_row
from buddymatch._read import (
    read_locals,
    read_newcomers,
    read_outcomes,
    read_pairs,
)
from buddymatch._table import cell_text, column_letter, decode, read_table, sniff_delimiter
from buddymatch._vocab import (
    DAYS,
    PARTS,
    SLOT_BIT,
    CellError,
    Level,
    parse_availability,
    parse_interests,
    slot_names,
    split_list,
)
from buddymatch._vocab import SLOTS as SLOTS_ALL

# English column name → Dutch alias from the contract.
DUTCH = {
    "id": "nummer",
    "name": "naam",
    "postcode": "postcode",
    "lat": "breedtegraad",
    "lon": "lengtegraad",
    "place": "woonplaats",
    "languages": "talen",
    "interests": "interesses",
    "availability": "beschikbaarheid",
    "transport": "vervoer",
    "max_travel_min": "max_reistijd",
    "gender": "geslacht",
    "gender_preference": "voorkeur_geslacht",
    "age": "leeftijd",
    "household_size": "huishouden",
    "wants_dutch_practice": "wil_nederlands_oefenen",
    "capacity": "capaciteit",
}
COLUMNS = list(DUTCH)
GOOD = {"id": "N1", "name": "Ali Öztürk", "postcode": "3071", "languages": "ar:native|nl:A2"}


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_people(
    path: Path, rows: Sequence[dict[str, str]], *, dutch: bool = False, **kw: str
) -> Path:
    header = COLUMNS if path.stem == "locals" else COLUMNS[:-1]
    written = [DUTCH[c] if dutch else c for c in header]
    return write_csv(path, written, [[r.get(c, "") for c in header] for r in rows], **kw)


def only(problems: Sequence[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# --------------------------------------------------------------------------- row problems

# (cells changed from GOOD, column at fault, words in the message)
BAD_CELLS = [
    ({"languages": "ar:Z9"}, "languages", "not a language level"),
    ({"languages": "arabic:B1"}, "languages", "not a language code"),
    ({"postcode": "1000"}, "postcode", "postcode area is not known"),
    ({"postcode": "30711"}, "postcode", "not a Dutch postcode"),
    ({"postcode": "5684 ss"}, "postcode", "SA, SD and SS are never used"),
    ({"postcode": "", "place": "Atlantis"}, "place", "not known"),
    ({"postcode": "", "lat": "51.9"}, "lon", "latitude and longitude must be given together"),
    ({"postcode": "", "lat": "noord", "lon": "4.5"}, "lat", "not a number"),
    ({"postcode": "", "lat": "48.85", "lon": "2.35"}, "lat", "not in the Netherlands"),
    ({"postcode": "", "lat": "51.2194", "lon": "4.4025"}, "lat", "17 km away"),  # Antwerp
    ({"postcode": "", "lat": "53,0", "lon": "3,5"}, "lat", "not in the Netherlands"),  # sea
    ({"postcode": ""}, "postcode", "no address given"),
    ({"availability": "sat-morning|funday"}, "availability", "not a time slot"),
    ({"transport": "bike|rocket"}, "transport", "not a way of travelling"),
    ({"max_travel_min": "half an hour"}, "max_travel_min", "not a whole number"),
    ({"max_travel_min": "0"}, "max_travel_min", "not a whole number of 1 or more"),
    ({"household_size": "0"}, "household_size", "not a whole number of 1 or more"),
    ({"wants_dutch_practice": "maybe"}, "wants_dutch_practice", "not yes or no"),
    ({"gender": "q"}, "gender", "not a gender code"),
    ({"gender_preference": "women"}, "gender_preference", "not a gender preference"),
    ({"age": "old"}, "age", "the leeftijd cell cannot be used|not a whole number"),
    ({"age": "131"}, "age", "too large"),
    ({"id": ""}, "id", "no id given"),
    ({"languages": ""}, "languages", "no language given"),
    ({"languages": "|"}, "languages", "no language given"),
]


@pytest.mark.parametrize("dutch", [False, True], ids=["english", "dutch"])
@pytest.mark.parametrize(("change", "column", "words"), BAD_CELLS)
def test_bad_cell_is_located(
    tmp_path: Path, dutch: bool, change: dict[str, str], column: str, words: str
) -> None:
    other = dict(GOOD, id="N2")
    path = write_people(tmp_path / "newcomers.csv", [other, GOOD | change], dutch=dutch)
    roster = read_newcomers(path)
    problem = only(roster.problems)
    assert problem.file == "newcomers.csv"
    assert problem.row == 3  # header = 1, the good row = 2
    assert problem.column == (DUTCH[column] if dutch else column)
    assert any(w in problem.message for w in words.split("|")), problem.message
    assert problem.expected
    assert [p.id for p in roster.people] == ["N2"]
    assert roster.rows_read == 2 and roster.accepted == 1 and len(roster.rejected) == 1
    assert roster.rejected[0].row == 3


def test_capacity_zero_is_located(tmp_path: Path) -> None:
    path = write_people(tmp_path / "locals.csv", [GOOD | {"capacity": "0"}], dutch=True)
    problem = only(read_locals(path).problems)
    assert (problem.row, problem.column, problem.value) == (2, "capaciteit", "0")
    assert "whole number" in problem.message


def test_every_problem_of_a_row_is_reported(tmp_path: Path) -> None:
    bad = GOOD | {"languages": "ar:Z9", "capacity": "0", "postcode": "1000", "gender": "?"}
    roster = read_locals(write_people(tmp_path / "locals.csv", [bad]))
    assert sorted(p.column or "" for p in roster.problems) == [
        "capacity",
        "gender",
        "languages",
        "postcode",
    ]
    assert {p.row for p in roster.problems} == {2}
    assert len(roster.rejected) == 1 and len(roster.rejected[0].problems) == 4
    with pytest.raises(RosterError) as info:
        roster.raise_if_problems()
    assert len(info.value.problems) == 4


def test_duplicate_ids_flag_every_later_row(tmp_path: Path) -> None:
    rows = [GOOD, GOOD | {"id": "N2"}, GOOD, GOOD]
    roster = read_newcomers(write_people(tmp_path / "newcomers.csv", rows, dutch=True))
    assert [(p.row, p.column, p.message) for p in roster.problems] == [
        (4, "nummer", "id already used in row 2"),
        (5, "nummer", "id already used in row 2"),
    ]
    assert [p.id for p in roster.people] == ["N1", "N2"]


def test_values_shown_only_for_non_personal_columns(tmp_path: Path) -> None:
    roster = read_newcomers(
        write_people(tmp_path / "newcomers.csv", [GOOD | {"languages": "xx:Q9", "age": "x"}])
    )
    shown = {p.column: p.value for p in roster.problems}
    assert shown == {"languages": "xx:Q9", "age": None}


def test_personal_data_never_in_messages(tmp_path: Path) -> None:
    name, postcode, age, place = "José Müller", "1000 ZX", "207", "Müllerdorp"
    rows = [
        GOOD | {"name": name, "postcode": postcode, "age": age, "gender": "Müller"},
        GOOD | {"id": "N2", "name": name, "postcode": "", "place": place, "age": "-207"},
        GOOD | {"id": "N3", "postcode": "", "lat": "Müller", "lon": "1000"},
        GOOD | {"id": "N4", "postcode": "ZX1000", "age": "José"},
    ]
    roster = read_newcomers(write_people(tmp_path / "newcomers.csv", rows))
    assert len(roster.rejected) == 4
    text = str(RosterError(roster.problems)) + repr(roster)
    text += " ".join(f"{p.message} {p.expected} {p.value}" for p in roster.problems)
    for secret in (name, "José", "Müller", postcode, "1000", "ZX", age, place):
        assert secret.lower() not in text.lower(), secret


def test_missing_required_columns_is_one_file_problem(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "newcomers.csv", ["nummer", "naam", "taalen"], [["N1", "A", "ar"]])
    roster = read_newcomers(path)
    problem = only(roster.problems)
    assert problem.row is None and problem.file == "newcomers.csv"
    assert "languages" in problem.message and "'taalen'" in problem.message
    assert problem.expected is not None
    assert "talen" in problem.expected and "postcode" in problem.expected
    assert roster.people == [] and roster.rejected == []


def test_duplicate_columns_are_a_file_problem(tmp_path: Path) -> None:
    header = ["id", "postcode", "languages", "Talen"]
    roster = read_newcomers(write_csv(tmp_path / "n.csv", header, [["N1", "3071", "ar", "ar"]]))
    problem = only(roster.problems)
    assert problem.column == "Talen" and "both mean languages" in problem.message


def test_lat_column_without_lon_column(tmp_path: Path) -> None:
    header = ["id", "postcode", "languages", "lat"]
    roster = read_newcomers(write_csv(tmp_path / "n.csv", header, [["N1", "3071", "ar", "52"]]))
    assert "no lon column" in only(roster.problems).message


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = tmp_path / "newcomers.csv"
    empty.write_bytes(b"\r\n  \r\n")
    problem = only(read_newcomers(empty).problems)
    assert problem.row is None and "empty" in problem.message
    header_only = write_csv(tmp_path / "h.csv", ["id", "postcode", "languages"], [])
    roster = read_newcomers(header_only)
    assert roster.problems == [] and roster.people == [] and roster.rows_read == 0


def test_unknown_columns_are_kept(tmp_path: Path) -> None:
    header = ["id", "postcode", "languages", "Opmerking"]
    path = write_csv(tmp_path / "n.csv", header, [["N1", "3071", "ar"], ["N2", "1000", "ar", "x"]])
    roster = read_newcomers(path)
    assert roster.header == ("id", "postcode", "languages", "Opmerking")
    assert roster.rejected[0].by_header(roster.header)["Opmerking"] == "x"


# --------------------------------------------------------------------------- formats

DUTCH_FILE = (
    "nummer;naam;postcode;breedtegraad;lengtegraad;talen;interesses;beschikbaarheid;vervoer;"
    "max_reistijd;geslacht;voorkeur_geslacht;leeftijd;huishouden;wil_nederlands_oefenen;"
    "capaciteit\r\n"
    "L1;José Müller;3071 AB;;;nl:native|en:B2;koken|voetbal;za-ochtend|zo;fiets|ov;45;m;any;"
    "67;1;nee;2\r\n"
    'L2;Zoë;;51,92;4,48;"nl:native,ar:A2";;;"fiets,auto";30;v;same;25;2;ja;1\r\n'
    "L3;Ali Öztürk;4021;;;tr:native|nl:B1;;sat-evening;ebike;20;m;;40;;;\r\n"
)


def test_dutch_excel_file_semicolons_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "locals.csv"
    path.write_bytes(DUTCH_FILE.encode("cp1252"))
    roster = read_locals(path)
    assert roster.problems == []
    assert roster.delimiter == ";"
    l1, l2, l3 = roster.people
    assert (l1.name, l2.name, l3.name) == ("José Müller", "Zoë", "Ali Öztürk")
    assert l1.postcode == "3071AB" and l1.capacity == 2 and l1.max_travel_min == 45
    assert l1.languages == {"nl": Level.NATIVE, "en": Level.B2}
    assert l1.availability[:1] == ("sat-morning",) and len(l1.availability) == 4
    assert l1.transport == ("bike", "public_transport")
    assert (l2.lat, l2.lon) == (51.92, 4.48)
    assert l2.languages == {"nl": Level.NATIVE, "ar": Level.A2}
    assert l2.transport == ("bike", "car") and l2.gender == "f" and l2.wants_dutch_practice
    assert l3.place == "Maurik" and l3.capacity == 1


@pytest.mark.parametrize(
    "written",
    [
        "\u2019s-Hertogenbosch",
        "\u2018s Hertogenbosch",
        " 'S-HERTOGENBOSCH ",
        "Den Bosch",
        "Den  Haag",
        "den-haag",
    ],
)
def test_place_names_as_excel_and_people_write_them(written: str) -> None:
    """Excel turns a typed ' into a typographic one; case, spaces and hyphens vary too."""
    plain = "'s-Gravenhage" if "haag" in written.lower() else "'s-Hertogenbosch"
    assert _geo.locate_place(written) == _geo.locate_place(plain)


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("Haren Gn", None),
        ("Hoogvliet Rotterdam", None),
        ("'s-Gravendeel", "s Gravendeel"),
        ("'t Harde", "T HARDE"),
        ("Bergen (NH)", "Bergen NH"),
        ("Hengelo (Gld)", "Hengelo Gld"),
        ("St. Willebrord", "Sint Willebrord"),
        ("St.-Jacobiparochie", "Sint Jacobiparochie"),
        ("Bleskensgraaf ca", "Bleskensgraaf c.a."),
    ],
)
def test_register_place_names_and_their_spellings(written: str, same_as: str | None) -> None:
    """Address systems export the official register's names (CBS, per postcode area):
    province tags, "ca", "St."; people type them without the dots and brackets."""
    loc = _geo.locate_place(written)
    if same_as is not None:
        assert _geo.locate_place(same_as) == loc


def _register() -> dict[str, list[tuple[int, str, float, float]]]:
    """The shipped postcode table: each register place name → its postcode areas
    (population, postcode, lat, lon)."""
    out: dict[str, list[tuple[int, str, float, float]]] = {}
    text = (Path(_geo.__file__).parent / "data" / "nl_pc4.csv").read_text("utf-8")
    for r in csv.DictReader(io.StringIO(text)):
        area = (int(r["population"] or 0), r["pc4"], float(r["lat"]), float(r["lon"]))
        out.setdefault(r["place"], []).append(area)
    return out


def test_every_register_place_name_is_found() -> None:
    """Every place name of the postcode table is located in the Netherlands; one that only
    the register knows lies in its own most populous postcode area."""
    register = _register()
    assert len(register) > 2_000
    for name in register:
        loc = _geo.locate_place(name)
        assert 50.6 < loc.lat < 53.7 and 3.2 < loc.lon < 7.3, name
    for name in ("Haren Gn", "Hoogvliet Rotterdam", "Wijk en Aalburg", "Winterswijk Meddo"):
        loc = _geo.locate_place(name)
        _, pc4, lat, lon = max(register[name])
        assert (loc.place, loc.pc4, loc.lat, loc.lon) == (name, pc4, lat, lon)


@pytest.mark.parametrize("name", ["Tiel", "Culemborg", "Rotterdam", "Zaltbommel", "Den Haag"])
def test_a_municipality_named_alone_lies_in_one_of_its_postcode_areas(name: str) -> None:
    """People given only a town's name are counted in a postcode area of that town (the
    one nearest its point), not in none."""
    loc = _geo.locate_place(name)
    assert loc.pc4 is not None and _geo._pc4()[loc.pc4].municipality == loc.municipality


def test_every_dutch_place_is_a_point_in_the_netherlands() -> None:
    """Coordinates anywhere a Dutch town, village or district lies are accepted (the check
    for points abroad must not catch remote Dutch ones, such as the Wadden islands')."""
    text = (Path(_geo.__file__).parent / "data" / "nl_places.csv").read_text("utf-8")
    places = list(csv.DictReader(io.StringIO(text)))
    assert len(places) > 7_000
    for r in places:
        loc = _geo.locate_point(float(r["lat"]), float(r["lon"]))
        assert loc.pc4 is not None


def test_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "locals.csv"
    path.write_bytes(b"\xef\xbb\xbf" + DUTCH_FILE.encode("utf-8"))
    roster = read_locals(path)
    assert roster.problems == [] and roster.people[2].name == "Ali Öztürk"


def test_comma_file_with_quoted_list(tmp_path: Path) -> None:
    rows = [["N1", "Zoë", "3071", "ar:native,nl:A2"]]
    path = write_csv(tmp_path / "n.csv", [" ID ", "Naam", "Postcode", "TALEN "], rows)
    assert b'"ar:native,nl:A2"' in path.read_bytes()
    (person,) = read_newcomers(path).people
    assert person.languages == {"ar": Level.NATIVE, "nl": Level.A2}


def test_quoted_newline_and_blank_lines_keep_row_numbers(tmp_path: Path) -> None:
    text = (
        "id;name;postcode;languages\r\n"
        'N1;"Ali\r\nBaba";3071;ar\r\n'  # row 2, two physical lines
        "\r\n"  # row 3: blank, skipped but counted as a spreadsheet shows it
        ";;;\r\n"  # row 4: empty cells only, skipped
        "N2;Zoë;3071;ar:Z9\r\n"  # row 5
    )
    path = tmp_path / "n.csv"
    path.write_text(text, encoding="utf-8", newline="")
    roster = read_newcomers(path)
    assert only(roster.problems).row == 5
    assert roster.people[0].name == "Ali\r\nBaba" and roster.rows_read == 2


def test_a_filled_cell_beyond_the_header_rejects_the_row_and_is_kept(tmp_path: Path) -> None:
    """A note typed beside the table (or cells shifted by an unquoted delimiter) would be
    lost: the row is rejected at that cell's column letter, with the cell kept; empty
    cells beyond the header (Excel's trailing ;) are no problem."""
    text = (
        "nummer;naam;postcode;talen\r\n"
        "N1;Jan;3071;ar;;\r\n"  # empty trailing cells: fine
        "N2;Piet;3071;ar;;bel eerst haar zus\r\n"  # a note in column F
        "N3;Anna;3071;nl:A2\r\n"
    )
    path = tmp_path / "n.csv"
    path.write_text(text, encoding="cp1252", newline="")
    roster = read_newcomers(path)
    assert [p.id for p in roster.people] == ["N1", "N3"]
    problem = only(roster.problems)
    assert (problem.row, problem.column) == (3, "F") and "no column name" in str(problem)
    assert "zus" not in str(problem)  # a note may be about the person: never echoed
    (rejected,) = roster.rejected
    assert rejected.cells[-1] == "bel eerst haar zus"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_note_under_an_unnamed_column_right_of_the_table(tmp_path: Path, suffix: str) -> None:
    """Excel writes every row as wide as the widest, so a note beside the table comes with
    an empty header cell above it; a row-number column without a name (as pandas writes)
    is left alone."""
    header = ["", "id", "postcode", "languages", "", ""]
    rows = [["1", "N1", "3071", "ar", "", ""], ["2", "N2", "3071", "ar", "", "call first"]]
    if suffix == ".csv":
        path = write_csv(tmp_path / "n.csv", header, rows)
    else:
        path = write_workbook(tmp_path / "n.xlsx", {"Sheet": [header, *rows]})
    roster = read_newcomers(path)
    assert [p.id for p in roster.people] == ["N1"]
    assert (only(roster.problems).row, only(roster.problems).column) == (3, "F")


def test_a_filled_cell_beyond_the_header_in_pairs_and_outcomes(tmp_path: Path) -> None:
    pairs = tmp_path / "pinned.csv"
    pairs.write_text("newcomer_id,local_id\nN1,L1\nN2,L2,extra\n", encoding="utf-8")
    table = read_pairs(pairs, kind="pinned")
    assert [p.newcomer_id for p in table.pairs] == ["N1"] and only(table.problems).column == "C"
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("newcomer_id;local_id;met_count\nN1;L1;2;;x\n", encoding="utf-8")
    table = read_outcomes(outcomes)
    assert table.outcomes == [] and only(table.problems).column == "E"


def test_a_stray_quote_that_swallows_rows_rejects_its_row_and_keeps_them(tmp_path: Path) -> None:
    """A quote at the start of a cell runs the cell on to the next quote, so the rows in
    between are read as its text: the row is rejected at that cell's column, saying so,
    and the rejected-rows file keeps the swallowed rows; the rows after it are read."""
    lines = ["nummer;naam;postcode;talen;beschikbaarheid"]
    lines += [f"N{i};Naam {i};3071;nl:B1;za" for i in range(1, 11)]
    lines[3] = 'N3;"Sam;3071;nl:B1;za'  # stray quote: row 4 of the spreadsheet
    lines[7] = 'N7;Jo"ke;3071;nl:B1;za'  # the next quote, four lines further down
    path = tmp_path / "n.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252", newline="")
    for roster in (read_newcomers(path), _read._read_pooled(read_newcomers, path, None)):
        assert roster.accepted == 5 and roster.rows_read == 6  # N3 took N4 … N7 in
        problem = only(roster.problems)
        assert (problem.row, problem.column) == (4, "naam")
        assert "quote" in problem.message and "4 line(s)" in problem.message
        assert "Sam" not in str(problem)  # the cell may hold personal data: never echoed
        (rejected,) = roster.rejected
        assert all(f"N{i};Naam {i}" in rejected.cells[1] for i in (4, 5, 6))
    assert [p.id for p in read_newcomers(path).people] == ["N1", "N2", "N8", "N9", "N10"]


def test_a_note_over_a_few_lines_is_not_taken_for_swallowed_rows(tmp_path: Path) -> None:
    text = (
        "id;name;postcode;languages;availability;notes\r\n"
        'N1;"Ali\r\nvan Dam";3071;ar;sat;"bel eerst; na 17 uur\r\nniet op vrijdag; of zaterdag"\r\n'
        "N2;Bo;3071;ar;sat;\r\n"
    )
    path = tmp_path / "n.csv"
    path.write_text(text, encoding="utf-8", newline="")
    roster = read_newcomers(path)
    assert roster.problems == [] and [p.id for p in roster.people] == ["N1", "N2"]
    pinned = tmp_path / "pinned.csv"  # a few columns: a note's commas are not judged
    pinned.write_text('newcomer_id,local_id,note\nN1,L1,"met, twice\nliked it, both, a lot"\n')
    assert only(read_pairs(pinned, kind="pinned").pairs).newcomer_id == "N1"


@given(st.integers(min_value=0, max_value=20_000))
def test_column_letters_are_those_a_spreadsheet_shows(index: int) -> None:
    letters = column_letter(index)
    assert letters.isalpha() and letters.isupper()
    value = 0
    for ch in letters:  # bijective base 26: A = 1 … Z = 26
        value = value * 26 + ord(ch) - ord("A") + 1
    assert value - 1 == index
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_excel_sep_line(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("sep=;\nid;postcode;languages\nN1;3071;ar:Z9\n", encoding="utf-8")
    assert only(read_newcomers(path).problems).row == 2


def test_undecodable_bytes_never_crash(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_bytes(b"id;naam;postcode;talen\nN1;Jos\x81\x8d\xe9;3071;ar\n")
    (person,) = read_newcomers(path).people
    assert person.name is not None and person.name.endswith("é")


def test_detection_helpers() -> None:
    assert sniff_delimiter('"a;b",c,d\n1;2;3;4;5\n') == ","
    assert sniff_delimiter("a;b;c\n") == ";"
    assert sniff_delimiter("\n\nid\tnaam\n") == "\t"
    assert sniff_delimiter("id\n") == ","
    assert decode("é".encode("cp1252")) == ("é", "cp1252")
    assert decode(b"\xef\xbb\xbfa") == ("a", "utf-8-sig")
    assert cell_text(30.0) == "30" and cell_text(51.92) == "51.92" and cell_text(3071) == "3071"
    assert cell_text(dt.datetime(2024, 3, 1)) == "2024-03-01" and cell_text(None) == ""
    assert cell_text(True) == "true"


def test_old_xls_and_csv_with_sheet_are_file_problems(tmp_path: Path) -> None:
    xls = tmp_path / "n.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    assert "cannot be read" in only(read_newcomers(xls).problems).message
    path = write_csv(tmp_path / "n.csv", ["id", "postcode", "languages"], [["N1", "3071", "ar"]])
    assert "no sheets" in only(read_newcomers(path, sheet="Blad1").problems).message
    fake = tmp_path / "n.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a workbook")
    assert "Excel" in only(read_newcomers(fake).problems).message


# --------------------------------------------------------------------------- Excel


def write_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_openpyxl_parses_xml_safely() -> None:
    assert openpyxl.DEFUSEDXML is True


def test_xlsx_first_and_named_sheet(tmp_path: Path) -> None:
    header: list[object] = ["Nummer", "Naam", "Postcode", "Talen", "Max_reistijd", "Capaciteit"]
    header += ["Lat", "Lon"]
    first: list[list[object]] = [header, ["L1", "Zoë", 3071, "ar:native", 45.0, "=1+1", None, None]]
    second: list[list[object]] = [
        header,
        [None] * 8,  # empty row 2: skipped, numbers kept
        ["L2", "José", None, "nl", 30, 2, 51.92, 4.48],
        ["L3", "Ali", 4021, '=CONCAT("a","r")', 30, 1, None, None],
    ]
    path = write_workbook(tmp_path / "locals.xlsx", {"Blad1": first, "Buddies": second})

    roster = read_locals(path)
    assert roster.problems == [] and roster.delimiter == ";"
    (l1,) = roster.people
    assert (l1.postcode, l1.max_travel_min, l1.capacity) == ("3071", 45, 1)  # formula: no value

    roster = read_locals(path, sheet="buddies")
    assert [p.id for p in roster.people] == ["L2"]
    assert (roster.people[0].lat, roster.people[0].lon) == (51.92, 4.48)
    problem = only(roster.problems)
    assert (problem.row, problem.column, problem.message) == (4, "Talen", "no language given")
    assert "CONCAT" not in str(problem)

    problem = only(read_locals(path, sheet="Vrijwilligers").problems)
    assert "'Vrijwilligers'" in problem.message
    assert problem.expected is not None and "'Blad1', 'Buddies'" in problem.expected


def test_xlsx_outcome_dates(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["newcomer_id", "local_id", "met_count", "matched_on"],
        ["N1", "L1", 3, dt.datetime(2024, 3, 1)],
    ]
    table = read_outcomes(write_workbook(tmp_path / "outcomes.xlsx", {"Sheet": rows}))
    (outcome,) = table.outcomes
    assert outcome.matched_on == dt.date(2024, 3, 1) and outcome.met_twice


# --------------------------------------------------------------------------- outcomes


def test_outcomes(tmp_path: Path) -> None:
    header = [
        "Nieuwkomer_ID",
        "buddy_id",
        "aantal_ontmoetingen",
        "twee_keer_ontmoet",
        "gekoppeld_op",
    ]
    rows = [
        ["N1", "L1", "3", "ja", "2024-03-01"],
        ["N2", "L2", "", "nee", ""],
        ["N3", "L3", "1", "", ""],
        ["N4", "L4", "1", "yes", ""],  # row 5: disagree
        ["", "L5", "-1", "", "1 maart"],  # row 6: three problems
        ["N6", "", "", "", ""],  # row 7: no local id, no outcome
    ]
    table = read_outcomes(write_csv(tmp_path / "outcomes.csv", header, rows))
    assert [(o.row, o.newcomer_id, o.met_twice, o.met_count) for o in table.outcomes] == [
        (2, "N1", True, 3),
        (3, "N2", False, None),
        (4, "N3", False, 1),
    ]
    assert table.outcomes[0].matched_on == dt.date(2024, 3, 1)
    assert [(p.row, p.column) for p in table.problems] == [
        (5, "twee_keer_ontmoet"),
        (6, "Nieuwkomer_ID"),
        (6, "aantal_ontmoetingen"),
        (6, "gekoppeld_op"),
        (7, "buddy_id"),
        (7, "aantal_ontmoetingen"),
    ]
    assert "met 1 time" in table.problems[0].message
    assert table.problems[2].value == "-1"
    assert table.summary() == "outcomes.csv: 6 rows read, 3 accepted, 3 rejected"


def test_outcomes_need_met_count_or_met_twice(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ["newcomer_id", "local_id"], [["N1", "L1"]])
    problem = only(read_outcomes(path).problems)
    assert "met_count or met_twice" in problem.message


# --------------------------------------------------------------------------- pairs


def test_pairs(tmp_path: Path) -> None:
    rows = [["N1", "L1"], ["N2", "L1"]]
    path = write_csv(tmp_path / "pinned.csv", ["nieuwkomer_id", "buddy_id"], rows, delimiter=";")
    table = read_pairs(path, kind="pinned")
    table.raise_if_problems()
    assert (
        table.kind == "pinned"
        and table.summary() == "pinned.csv: 2 rows read, 2 accepted, 0 rejected"
    )
    assert [tuple(p[:2]) for p in table.pairs] == [("N1", "L1"), ("N2", "L1")]
    assert [(p.row, p.file) for p in table.pairs] == [(2, "pinned.csv"), (3, "pinned.csv")]


def test_pair_problems(tmp_path: Path) -> None:
    rows = [["N1", "L1"], ["", "L3"], ["N2", " "], [" ", ""]]  # the last row is blank: skipped
    path = write_csv(tmp_path / "forbidden.csv", ["newcomer_id", "local_id"], rows)
    table = read_pairs(path, kind="forbidden")
    assert [(p.row, p.column, p.message) for p in table.problems] == [
        (3, "newcomer_id", "no newcomer id given"),
        (4, "local_id", "no local id given"),
    ]
    assert [p.newcomer_id for p in table.pairs] == ["N1"]
    with pytest.raises(RosterError):
        table.raise_if_problems()
    missing = read_pairs(write_csv(tmp_path / "f.csv", ["newcomer_id"], [["N1"]]), kind="pinned")
    assert "local_id" in only(missing.problems).message


# --------------------------------------------------------------------------- properties

POSTCODES = ["3071", "4001", "4021", "4101", "3011", "3071 AB", "4001cd"]
LEVELS = ["A1", "A2", "B1", "B2", "C1", "C2", "native", ""]
CODES = ["ar", "ti", "fa", "prs", "uk", "so", "nl", "en", "nld", "tir"]
SLOTS = ["mon", "sat-morning", "sun-evening", "wed-afternoon", "za-ochtend", "fri"]
MODES = ["walk", "bike", "ebike", "public_transport", "car", "village_car", "neighbourhood_bus"]
# ASCII and letters that Windows-1252 puts at 0xC0 and above: such a cp1252 file can never
# pass for UTF-8, so detection is certain (a real file could, in theory, be ambiguous).
NAME_CHARS = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzABCXYZ '-;,\"") + list("ÀÉÖÜàáäçèéëïñóöüÿ")
)


def _items(options: list[str], sep: str) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(options), min_size=1, max_size=3).map(sep.join)


@st.composite
def person_rows(draw: st.DrawFn) -> dict[str, str]:
    sep = draw(st.sampled_from(["|", ","]))
    langs = draw(
        st.lists(st.tuples(st.sampled_from(CODES), st.sampled_from(LEVELS)), min_size=1, max_size=3)
    )
    row = {
        "name": draw(st.text(NAME_CHARS, max_size=20)),
        "postcode": draw(st.sampled_from(POSTCODES)),
        "languages": sep.join(f"{c}:{lv}" if lv else c for c, lv in langs),
        "availability": draw(st.one_of(st.just(""), _items(SLOTS, sep))),
        "transport": draw(st.one_of(st.just(""), _items(MODES, sep))),
        "max_travel_min": draw(st.sampled_from(["", "15", "30", "60"])),
        "wants_dutch_practice": draw(st.sampled_from(["", "ja", "no", "1"])),
        "capacity": draw(st.sampled_from(["", "1", "3"])),
    }
    return row


def _tmp_file(directory: str, name: str) -> Path:
    return Path(directory) / name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(person_rows(), min_size=1, max_size=6),
    delimiter=st.sampled_from([",", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    dutch=st.booleans(),
)
def test_written_rosters_read_back_the_same(
    rows: list[dict[str, str]], delimiter: str, encoding: str, dutch: bool
) -> None:
    rows = [{"id": f"L{i}"} | r for i, r in enumerate(rows)]
    columns = list(rows[0])
    header = [DUTCH[c] if dutch else c for c in columns]
    with tempfile.TemporaryDirectory() as d:
        path = write_csv(
            _tmp_file(d, "locals.csv"),
            header,
            [[r[c] for c in columns] for r in rows],
            delimiter=delimiter,
            encoding=encoding,
        )
        roster = read_locals(path)
    assert roster.problems == []
    expected = [Local.model_validate({k: v for k, v in r.items() if v.strip()}) for r in rows]
    assert roster.people == expected
    assert [p.name for p in roster.people] == [r["name"].strip() or None for r in rows]


@settings(max_examples=150, deadline=None)
@given(
    column=st.sampled_from(COLUMNS[:-1]),
    garbage=st.text(max_size=40),
    delimiter=st.sampled_from([",", ";"]),
)
def test_garbage_in_a_cell_never_crashes(column: str, garbage: str, delimiter: str) -> None:
    row = GOOD | {"id": "N9", column: garbage}
    with tempfile.TemporaryDirectory() as d:
        path = write_people(_tmp_file(d, "newcomers.csv"), [GOOD, row], delimiter=delimiter)
        roster = read_newcomers(path)
    assert roster.rows_read == 2
    assert roster.accepted + len(roster.rejected) == 2
    assert all(p.row == 3 and p.column for p in roster.problems)
    assert all(isinstance(p, Newcomer) for p in roster.people)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_never_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = _tmp_file(d, "newcomers.csv")
        path.write_bytes(b"id;postcode;languages\n" + data)
        roster = read_newcomers(path)
        try:
            read_table(path, "pairs")
        except RosterError as exc:
            assert exc.problems
    assert roster.accepted + len(roster.rejected) == roster.rows_read or roster.problems


def test_table_shape(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "n.csv", [" Nummer ", "Extra", "TALEN", "postcode"], [["N1", "x", "ar", "3071"]]
    )
    table = read_table(path, "newcomers")
    assert table.source == "n.csv" and table.delimiter == "," and table.encoding == "utf-8"
    assert table.columns == ("id", None, "languages", "postcode")
    assert table.original_header == (" Nummer ", "Extra", "TALEN", "postcode")
    assert table.header_of("id") == "Nummer"
    (row,) = table.rows
    assert row.number == 2 and row.cells == ("N1", "x", "ar", "3071")
    assert row.values == {"id": "N1", "languages": "ar", "postcode": "3071"}
    assert table.row(0) == row and len(table) == 1


def test_table_columns_fill_short_rows_and_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("id;talen;postcode;extra\nN1; ar ;3071;x\n\nN2;nl\nN3\n", encoding="utf-8")
    table = read_table(path, "newcomers")
    assert [n for n, _ in table.records] == [2, 4, 5]  # the blank line is no row
    assert table.column("id") == ["N1", "N2", "N3"]
    assert table.column("languages") == ["ar", "nl", ""]
    assert table.column("postcode") == ["3071", "", ""]
    assert table.column("place") == ["", "", ""]
    for index, raw in enumerate(table.rows):
        assert table.row(index) == raw
        assert all(table.column(c)[index] == raw.values[c] for c in raw.values)


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_newcomers(tmp_path / "nope.csv")


# --------------------------------------------------------------------------- fast path
# Readers build most rows from cell values worked out once per distinct text (RowBuilder),
# not by validating each row. These check that this gives exactly what validation gives,
# and that the faster parsers and nearest-area search answer as the plain ones do.

# Good and bad texts per column (the address columns are drawn together, as ADDRESSES).
GOOD_TEXTS: dict[str, list[str]] = {
    "id": ["N1", "N2", "N3", "x"],
    "name": ["", "Zoë", "Ali", "3071"],
    "languages": ["ar:native|nl:A2", "nld:b1,dut:C1", "en:C2|en:A1", "ti", "fa:moedertaal|en"],
    "interests": ["", "cooking|football", "Walking  Tours,music", "|"],
    "availability": ["", "sat-morning|sun", "za-ochtend|zo", "Monday Morning", "vr-avond|di"],
    "transport": ["", "walk|bike", "fiets,ov", "Public Transport", "buurtbus|dorpsauto"],
    "max_travel_min": ["", "30", "45.0", "+20", "٣٠", "9" * 30],
    "gender": ["", "f", "v", "Male"],
    "gender_preference": [
        "",
        "same",
        "zelfde",
        "maakt_niet_uit",
        "Maakt niet uit",
        "geen voorkeur",
    ],
    "age": ["", "39", "0", "130", "40,0"],
    "household_size": ["", "1", "3"],
    "wants_dutch_practice": ["", "ja", "NO", "1"],
    "capacity": ["", "1", "2", "3,0"],
}
BAD_TEXTS: dict[str, list[str]] = {
    "id": [""],
    "languages": ["", "ar:Z9", "|", "xx:Q9", "arabic:B1"],
    "interests": ["a|b|c"],
    "availability": ["funday", "sat-morning|funday", "|", "mon-night"],
    "transport": ["bike|rocket", "|"],
    "max_travel_min": ["0", "-5", "1.5", "half", "9" * 5000],
    "gender": ["q", "Müller"],
    "gender_preference": ["women"],
    "age": ["131", "-1", "old"],
    "household_size": ["0", "two"],
    "wants_dutch_practice": ["maybe"],
    "capacity": ["0", "many"],
    "postcode": ["1000", "30711", "3071 SA", "٣٠٧١"],
    "lat": ["48.85", "nan", "noord", "1e999"],
    "lon": ["2.35", "inf", "x"],
    "place": ["Atlantis", "Müllerdorp"],
}
ADDRESSES = [  # postcode, lat, lon, place
    ("3071", "", "", ""),
    ("3071 ab", "", "", ""),
    ("4001CD", "", "", "Tiel"),
    ("", "51.92", "4.48", ""),
    ("3071", "52,1", "5,1", ""),
    ("", "", "", "den haag"),
    ("", "", "", "'s-Hertogenbosch"),
]


@st.composite
def roster_cells(draw: st.DrawFn) -> dict[str, str]:
    """A row's cells as a table gives them: good ones, and a few bad or random ones."""
    address = draw(st.sampled_from(ADDRESSES))
    cells = dict(zip(("postcode", "lat", "lon", "place"), address, strict=True))
    cells |= {c: draw(st.sampled_from(texts)) for c, texts in GOOD_TEXTS.items()}
    for column in draw(st.sets(st.sampled_from(sorted(BAD_TEXTS)), max_size=2)):
        bad = st.one_of(st.sampled_from(BAD_TEXTS[column]), st.text(max_size=12))
        cells[column] = draw(bad).strip()
    return cells


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(roster_cells(), min_size=1, max_size=8), local=st.booleans())
def test_row_builder_builds_what_validation_gives(rows: list[dict[str, str]], local: bool) -> None:
    model: type[Newcomer | Local] = Local if local else Newcomer
    if not local:
        rows = [{c: t for c, t in cells.items() if c != "capacity"} for cells in rows]
    builder = RowBuilder(model)
    columns = {c: [cells[c] for cells in rows] for c in rows[0]}
    built = builder.build_rows(columns, len(rows))
    assert [RowBuilder(model).build(cells) for cells in rows] == built  # one row at a time
    for cells, person in zip(rows, built, strict=True):
        try:
            validated = model.model_validate(locate_row({c: t for c, t in cells.items() if t}))
        except (LocationError, ValidationError):
            assert person is None  # the reader then validates the row, for its problems
            continue
        assert person is not None
        assert person == validated and repr(person) == repr(validated)
        assert person.model_fields_set == validated.model_fields_set
        assert list(person.__dict__) == list(validated.__dict__)
        assert person.model_dump() == validated.model_dump()
        assert pickle.loads(pickle.dumps(person)) == validated
    languages = [p.languages for p in built if p is not None]
    assert len({id(x) for x in languages}) == len(languages)  # each person's own dict


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(roster_cells(), min_size=1, max_size=10), local=st.booleans())
def test_a_roster_read_as_columns_gives_what_its_profiles_give(
    rows: list[dict[str, str]], local: bool
) -> None:
    """The command line reads rosters as columns, without profiles: the same problems,
    rejected rows and accepted count, and the pool the profiles give."""
    read = read_locals if local else read_newcomers
    header = [c for c in rows[0] if local or c != "capacity"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows([cells[c] for c in header] for cells in rows)
        plain = read(path)
        as_columns = _read._read_pooled(read, path, None)
        assert as_columns.problems == plain.problems and as_columns.rejected == plain.rejected
        assert as_columns.accepted == plain.accepted and as_columns.rows_read == plain.rows_read
        people = _read.people_of(as_columns)
        if not plain.people:
            assert people == []
            return
        assert isinstance(people, PooledPeople)
        vocab = Vocabulary.of(plain.people)
        assert people.vocab == vocab
        assert_same_pool(people.pool, build_pool(sort_by_id(plain.people), vocab))
        assert as_columns.people == plain.people  # read again when asked for


def _reference_slots(text: str) -> int:
    """What ``parse_availability`` has always meant, written out plainly."""
    mask = 0
    for item in (i.strip() for i in re.split(r"[|,]", text) if i.strip()):
        day, _, part = item.lower().replace(" ", "-").replace("_", "-").partition("-")
        day = _vocab._DAY_ALIASES.get(day, day)
        part = _vocab._PART_ALIASES.get(part, part)
        if day not in DAYS or (part and part not in PARTS):
            raise CellError(f"'{item}' is not a time slot", "")
        for p in (part,) if part else PARTS:
            mask |= SLOT_BIT[f"{day}-{p}"]
    if mask == 0:
        raise CellError("no time slot given", "")
    return mask


def _outcome(parse: Callable[[str], object], text: str) -> object:
    try:
        return parse(text)
    except CellError as exc:
        return exc.message


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(alphabet="|, -_adefhimnorstuvwyzAMSZ", max_size=40),
        st.lists(st.sampled_from([*SLOTS_ALL, "za", "zo-ochtend", "di_avond", "Sunday"])).map(
            "|".join
        ),
    )
)
def test_list_parsers_are_the_plain_ones(text: str) -> None:
    items = [i.strip() for i in re.split(r"[|,]", text) if i.strip()]
    assert split_list(text) == items
    assert parse_interests(text) == tuple(sorted({re.sub(r"\s+", "_", i.lower()) for i in items}))
    assert _outcome(parse_availability, text) == _outcome(_reference_slots, text)


@given(mask=st.integers(min_value=-(2**30), max_value=2**30))
def test_slot_names_of_any_mask(mask: int) -> None:
    assert slot_names(mask) == tuple(s for s in SLOTS_ALL if mask & SLOT_BIT[s])


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(min_value=50.75, max_value=53.55),
    lon=st.floats(min_value=3.35, max_value=7.25),
    between=st.booleans(),
)
def test_nearest_postcode_area_is_the_one_haversine_finds(
    lat: float, lon: float, between: bool
) -> None:
    t = _geo._tables()
    if between:  # halfway between the nearest two centres: a near-tie
        d = _geo.haversine_km(
            np.radians(lat), np.radians(lon), t.pc4_coords[:, 0], t.pc4_coords[:, 1]
        )
        a, b = np.argsort(d)[:2]
        lat, lon = (np.degrees(t.pc4_coords[a]) + np.degrees(t.pc4_coords[b])) / 2
    d = _geo.haversine_km(np.radians(lat), np.radians(lon), t.pc4_coords[:, 0], t.pc4_coords[:, 1])
    at, km = _geo._nearest_pc4(float(lat), float(lon))
    assert at == int(np.argmin(d)) and km == pytest.approx(float(d[at]), abs=1e-3)
