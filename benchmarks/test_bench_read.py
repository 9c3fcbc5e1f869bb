"""Read-stage benchmarks: roster CSV → validated profiles (``read_newcomers``/``read_locals``).

Why: at national scale reading must not dominate a run; every row goes through the cell
parsers and the pydantic models. Each benchmark checks, against an independent read with
the ``csv`` module, that every data row came back as a profile with the id in the file.
Fixtures (``rosters``: a generated national intake) are in ``conftest.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

import buddymatch


def _ids_in(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["id"] for row in csv.DictReader(fh)]


@pytest.mark.parametrize("kind", ["newcomers", "locals"])
def test_bench_read(benchmark: Any, rosters: Any, kind: str) -> None:
    path = rosters.newcomers_csv if kind == "newcomers" else rosters.locals_csv
    reader = buddymatch.read_newcomers if kind == "newcomers" else buddymatch.read_locals
    roster = benchmark(reader, path)
    expected = _ids_in(path)
    assert roster.rows_read == len(expected)
    assert not roster.problems  # generated rosters are valid under the contract
    assert sorted(p.id for p in roster.people) == sorted(expected)


def test_bench_read_dutch_excel(benchmark: Any, dutch_newcomers_csv: Path) -> None:
    """The same kind of intake as Dutch Excel saves it (``;``, Windows-1252, Dutch headers)."""
    roster = benchmark(buddymatch.read_newcomers, dutch_newcomers_csv)
    with dutch_newcomers_csv.open(encoding="cp1252", newline="") as fh:
        n_rows = sum(1 for _ in csv.reader(fh, delimiter=";")) - 1
    assert roster.rows_read == n_rows
    assert roster.accepted == n_rows
