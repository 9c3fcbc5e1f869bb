"""CSV output: formula escaping, Excel-friendly encoding, rejected rows kept whole."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buddymatch._csvout import (
    HasRejected,
    _escaped,
    escape_cell,
    rejected_path,
    write_csv,
    write_rejected,
    write_rejected_rows,
)
from buddymatch._read import read_locals, read_newcomers


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+31 6 1234", "'+31 6 1234"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=b", "a=b"),
        ("", ""),
        ("Zoë", "Zoë"),
        ("'=1", "'=1"),
    ],
)
def test_escape_cell(text: str, escaped: str) -> None:
    assert escape_cell(text) == escaped


@given(st.text())
def test_escaped_cells_never_start_a_formula(text: str) -> None:
    out = escape_cell(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out.removeprefix("'") == text or out == text


@given(st.lists(st.one_of(st.text(), st.integers(), st.floats(), st.none())))
def test_rows_are_escaped_cell_by_cell(row: list[str | int | float | None]) -> None:
    assert _escaped(row) == [escape_cell("" if c is None else str(c)) for c in row]


def read_back(path: Path, delimiter: str = ";") -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel then reads UTF-8 accents right
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=delimiter))


def test_write_csv(tmp_path: Path) -> None:
    rows: list[list[str | float | None]] = [["N1", "L1", 0.5, None], ["N2", None, -1, "=cmd"]]
    path = write_csv(tmp_path / "matches.csv", ["newcomer_id", "local_id", "score", "reason"], rows)
    assert read_back(path) == [
        ["newcomer_id", "local_id", "score", "reason"],
        ["N1", "L1", "0.5", ""],
        ["N2", "", "'-1", "'=cmd"],
    ]
    comma = write_csv(tmp_path / "c.csv", ["a"], [["x,y"]], delimiter=",")
    assert read_back(comma, ",") == [["a"], ["x,y"]]


def test_rejected_path() -> None:
    assert rejected_path("data/newcomers.xlsx") == Path("data/newcomers.rejected.csv")
    assert rejected_path("data/locals.csv", "out") == Path("out/locals.rejected.csv")


def test_rejected_rows_keep_everything_the_user_gave(tmp_path: Path) -> None:
    source = tmp_path / "newcomers.csv"
    source.write_text(
        "nummer;naam;postcode;talen;opmerking\n"
        "N1;Zoë;3071;ar;\n"
        'N2;=HYPERLINK("x");1000;ar:Z9;bel eerst;extra cel\n'
        "N3;José;3071;;\n",
        encoding="cp1252",
    )
    roster = read_newcomers(source)
    assert [r.row for r in roster.rejected] == [3, 4]
    out = write_rejected(
        rejected_path(source), roster.rejected, roster.header, delimiter=roster.delimiter
    )
    assert out.name == "newcomers.rejected.csv"
    header, first, second = read_back(out)
    assert header == ["row", "problems", "nummer", "naam", "postcode", "talen", "opmerking", ""]
    assert first[0] == "3" and first[2:] == [
        "N2",
        '\'=HYPERLINK("x")',
        "1000",
        "ar:Z9",
        "bel eerst",
        "extra cel",
    ]
    assert "postcode: this postcode area is not known" in first[1]
    assert "talen: 'Z9' is not a language level" in first[1]
    assert "F: this cell has no column name" in first[1]  # "extra cel" is right of the table
    assert second[:3] == [
        "4",
        "talen: no language given (expected languages written like "
        "ar:native|nl:A2 (code:level, separated by |))",
        "N3",
    ]
    assert second[3] == "José"

    # The rejected file, once fixed, reads back as a roster: row/problems are extra columns.
    again = read_newcomers(out)
    assert again.rows_read == 2 and [p.row for p in again.problems] == [2, 2, 2, 3]


def test_rejected_rows_of_several_files(tmp_path: Path) -> None:
    newcomers = tmp_path / "newcomers.csv"
    newcomers.write_text("id;naam;postcode;talen\nN1;Zoë;3071;ar:Z9\nN2;Ali;3071;ar\n")
    locals_ = tmp_path / "locals.csv"
    locals_.write_text(
        "nummer;naam;postcode;talen;capaciteit;notitie;notitie\nL1;José;3071;nl;0;a;b;c\n"
    )
    results: list[HasRejected] = [read_newcomers(newcomers), read_locals(locals_)]
    out = write_rejected_rows(tmp_path / "matches.rejected.csv", results)
    header, n1, l1 = read_back(out)
    assert header == [
        "file",
        "row",
        "problems",
        "id",
        "naam",
        "postcode",
        "talen",
        "nummer",
        "capaciteit",
        "notitie",
        "column 7",
        "column 8",
    ]
    assert n1[:2] == ["newcomers.csv", "2"] and n1[3:7] == ["N1", "Zoë", "3071", "ar:Z9"]
    assert n1[7:] == ["", "", "", "", ""]
    assert l1[:2] == ["locals.csv", "2"] and "capaciteit: not a whole number" in l1[2]
    assert l1[3:] == ["", "José", "3071", "nl", "L1", "0", "a", "b", "c"]
