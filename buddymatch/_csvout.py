"""Writing CSV files that coordinators open in Excel, safely.

Files are UTF-8 with a BOM (so Excel shows accented names correctly) and ``;``-delimited
by default (Dutch Excel's list separator). Every cell that Excel could take for a formula
is escaped with a leading ``'``, because these files hold text that came from outside.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from buddymatch._read import RejectedRow

_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST: Final = frozenset("".join(_FORMULA_START))
Cell = str | int | float | None


def escape_cell(text: str) -> str:
    """Prefix ``'`` to a cell starting with ``= + - @``, tab or CR, so Excel never runs it.

    Numbers are escaped too (``-5`` → ``'-5``): the contract says so, and a cell cannot
    be told apart from a formula by looking at it.
    """
    return "'" + text if text.startswith(_FORMULA_START) else text


def _text(value: Cell) -> str:
    return "" if value is None else str(value)


def _escaped(row: Sequence[Cell]) -> list[str]:
    """:func:`escape_cell` of each cell's text, in one pass over the row: a national
    matches.csv has millions of cells, almost all of them text already."""
    first = _FORMULA_FIRST
    return [
        ("'" + c if c and c[0] in first else c) if c.__class__ is str else escape_cell(_text(c))
        for c in row
    ]


def write_csv(
    path: str | os.PathLike[str],
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    delimiter: str = ";",
) -> Path:
    """Write ``header`` and ``rows`` (``None`` → empty cell), every cell formula-escaped."""
    out = Path(path)
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([escape_cell(h) for h in header])
        writer.writerows(_escaped(row) for row in rows)
    return out


def rejected_path(
    source: str | os.PathLike[str], directory: str | os.PathLike[str] | None = None
) -> Path:
    """``data/newcomers.xlsx`` → ``data/newcomers.rejected.csv`` (or in ``directory``)."""
    src = Path(source)
    return (Path(directory) if directory is not None else src.parent) / f"{src.stem}.rejected.csv"


def write_rejected(
    path: str | os.PathLike[str],
    rejected_rows: Sequence[RejectedRow],
    header: Sequence[str],
    *,
    delimiter: str = ";",
) -> Path:
    """Write the rejected rows to ``path`` so nothing the user gave is lost.

    Columns: ``row`` (the spreadsheet row number in the input), ``problems`` (the
    reasons in plain words), then the input's own columns with the values as given, so a
    coordinator can fix the cells and paste the rows back.
    """
    width = max([len(header), *(len(r.cells) for r in rejected_rows)])
    full_header = ["row", "problems", *header, *([""] * (width - len(header)))]
    rows: Iterable[list[Cell]] = (
        [
            r.row,
            _reasons(r),
            *r.cells,
            *([""] * (width - len(r.cells))),
        ]
        for r in rejected_rows
    )
    return write_csv(path, full_header, rows, delimiter=delimiter)


class HasRejected(Protocol):
    """What a reader's result offers for writing its rejected rows (any ``Roster`` etc.)."""

    @property
    def source(self) -> str: ...
    @property
    def header(self) -> tuple[str, ...]: ...
    @property
    def delimiter(self) -> str: ...
    @property
    def rejected(self) -> list[RejectedRow]: ...


def write_rejected_rows(path: str | os.PathLike[str], results: Sequence[HasRejected]) -> Path:
    """Write the rejected rows of several files (e.g. newcomers and locals) to one CSV.

    Columns: ``file``, ``row``, ``problems``, then every input column by its header as
    written (the union over the files, in order of appearance); a cell without a header of
    its own goes to a column ``column N`` (its position), so nothing the user gave is lost.
    The delimiter is the inputs' own when they agree, else ``;``.
    """
    columns: dict[str, int] = {}
    keyed_rows: list[tuple[str, RejectedRow, dict[str, str]]] = []
    for result in results:
        keys = _column_keys(result.header, max([0, *(len(r.cells) for r in result.rejected)]))
        for key in keys:
            columns.setdefault(key, len(columns))
        for r in result.rejected:
            keyed_rows.append((result.source, r, dict(zip(keys, r.cells, strict=False))))
    delimiters = {r.delimiter for r in results}
    delimiter = delimiters.pop() if len(delimiters) == 1 else ";"
    rows: Iterable[list[Cell]] = (
        [source, r.row, _reasons(r), *(cells.get(key, "") for key in columns)]
        for source, r, cells in keyed_rows
    )
    return write_csv(path, ["file", "row", "problems", *columns], rows, delimiter=delimiter)


def _column_keys(header: Sequence[str], width: int) -> list[str]:
    """One distinct name per column: the header as written, else ``column N``."""
    keys: list[str] = []
    for i in range(max(width, len(header))):
        name = header[i].strip() if i < len(header) else ""
        keys.append(name if name and name not in keys else f"column {i + 1}")
    return keys


def _reasons(row: RejectedRow) -> str:
    return " | ".join(_reason(p.column, p.message, p.expected) for p in row.problems)


def _reason(column: str | None, message: str, expected: str | None) -> str:
    text = f"{column}: {message}" if column else message
    return f"{text} (expected {expected})" if expected else text


__all__ = [
    "HasRejected",
    "escape_cell",
    "rejected_path",
    "write_csv",
    "write_rejected",
    "write_rejected_rows",
]
