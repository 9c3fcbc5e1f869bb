"""Reading a roster-like file (CSV or Excel) into raw rows of text, whatever its format.

Everything format-specific lives here: encoding and delimiter detection, Excel cell
values, header aliases. The readers in ``_read`` then only see a :class:`Table` of text
cells, each row carrying the number a spreadsheet shows for it, so every problem they
report can be found by a coordinator in the file as it is open in front of them.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import math
import operator
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple

from buddymatch._errors import Problem, RosterError

Kind = Literal["newcomers", "locals", "outcomes", "pairs"]

# Canonical column → every accepted header (normalised: lower case, spaces → "_").
# The first name is the English one from the contract; the rest are the Dutch aliases
# and a few harmless extras. The contract's names may never be removed from this table.
_PERSON_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "id": ("id", "nummer"),
    "name": ("name", "naam"),
    "postcode": ("postcode",),
    "lat": ("lat", "breedtegraad", "latitude"),
    "lon": ("lon", "lengtegraad", "longitude", "lng"),
    "place": ("place", "woonplaats", "plaats"),
    "languages": ("languages", "talen", "taal"),
    "interests": ("interests", "interesses", "hobbys", "hobby's"),
    "availability": ("availability", "beschikbaarheid"),
    "transport": ("transport", "vervoer"),
    "max_travel_min": ("max_travel_min", "max_reistijd"),
    "gender": ("gender", "geslacht"),
    "gender_preference": ("gender_preference", "voorkeur_geslacht"),
    "age": ("age", "leeftijd"),
    "household_size": ("household_size", "huishouden"),
    "wants_dutch_practice": ("wants_dutch_practice", "wil_nederlands_oefenen"),
}
_PAIR_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "newcomer_id": ("newcomer_id", "nieuwkomer_id"),
    "local_id": ("local_id", "buddy_id"),
}
ALIASES: Final[dict[Kind, dict[str, tuple[str, ...]]]] = {
    "newcomers": _PERSON_ALIASES,
    "locals": _PERSON_ALIASES | {"capacity": ("capacity", "capaciteit")},
    "outcomes": _PAIR_ALIASES
    | {
        "met_count": ("met_count", "aantal_ontmoetingen"),
        "met_twice": ("met_twice", "twee_keer_ontmoet"),
        "matched_on": ("matched_on", "gekoppeld_op"),
    },
    "pairs": _PAIR_ALIASES,
}

# Each requirement is a choice of alternatives; an alternative is met when all its
# columns are present. ("Give a postcode, a place, or both lat and lon.")
_Requirement = tuple[tuple[str, ...], ...]
_PERSON_REQUIRED: Final[tuple[_Requirement, ...]] = (
    (("id",),),
    (("languages",),),
    (("postcode",), ("place",), ("lat", "lon")),
)
REQUIRED: Final[dict[Kind, tuple[_Requirement, ...]]] = {
    "newcomers": _PERSON_REQUIRED,
    "locals": _PERSON_REQUIRED,
    "outcomes": ((("newcomer_id",),), (("local_id",),), (("met_count",), ("met_twice",))),
    "pairs": ((("newcomer_id",),), (("local_id",),)),
}

_XLSX_SUFFIXES: Final = (".xlsx", ".xlsm")
_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0"  # old .xls (and other Office 97 files)
_DELIMITERS: Final = (";", ",", "\t")  # order breaks ties: Dutch Excel's ";" first
_SEP_LINE: Final = re.compile(r"\Asep=(.)[ \t]*(\r\n|\n|\r|\Z)", re.IGNORECASE)


class RawRow(NamedTuple):
    """One data row: its spreadsheet row number, known cells by canonical name, all cells."""

    number: int
    values: dict[str, str]
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A file's rows as text, with the header mapped to canonical column names.

    ``columns[i]`` is the canonical name of column ``i`` (``None`` for a column the reader
    does not know: it is kept, never an error). ``delimiter`` is ``None`` for workbooks.
    ``records`` are the data rows as read: their spreadsheet row number and all cells.
    Readers take a whole column at a time (:meth:`column`) or one row (:meth:`row`).
    """

    source: str
    kind: Kind
    columns: tuple[str | None, ...]
    original_header: tuple[str, ...]
    records: tuple[tuple[int, list[str]], ...] = field(repr=False)
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None

    def __len__(self) -> int:
        return len(self.records)

    @functools.cached_property
    def rows(self) -> tuple[RawRow, ...]:
        """Every data row with its known cells by canonical name."""
        return tuple(_raw_rows(self.columns, self.records))

    def row(self, index: int) -> RawRow:
        """Data row ``index`` (0 is the first row under the header)."""
        (raw,) = _raw_rows(self.columns, (self.records[index],))
        return raw

    def column(self, name: str) -> list[str]:
        """A canonical column's cells, stripped, one per data row ("" where a row is short,
        or for every row when the file has no such column)."""
        if name not in self.columns:
            return [""] * len(self.records)
        position = self.columns.index(name)
        cells = self._cells
        if position < self._shortest:
            return list(map(str.strip, map(operator.itemgetter(position), cells)))
        return [c[position].strip() if len(c) > position else "" for c in cells]

    @functools.cached_property
    def _cells(self) -> list[list[str]]:
        return [cells for _, cells in self.records]

    @functools.cached_property
    def _shortest(self) -> int:
        """The fewest cells in a row: every column left of it is in every row."""
        return min(map(len, self._cells), default=0)

    def unnamed_cell(self, cells: Sequence[str]) -> int | None:
        """The position of a row's first filled cell right of the last named column (under
        an empty header cell or beyond the header): a note typed beside the table, or cells
        shifted by a delimiter inside a cell without quotes. ``None`` if there is none.
        (An unnamed column left of a named one, such as a row-number column, is ignored.)"""
        return next((i for i in range(self._named, len(cells)) if cells[i].strip()), None)

    @functools.cached_property
    def _named(self) -> int:
        """How many columns there are up to and including the last one with a name."""
        return max((i + 1 for i, h in enumerate(self.original_header) if h.strip()), default=0)

    @functools.cached_property
    def overflowing(self) -> frozenset[int]:
        """Data rows (by index) with a filled cell right of the last named column
        (:meth:`unnamed_cell`). Empty cells there (Excel's trailing ``;``) do not count."""
        if max(map(len, self._cells), default=0) <= self._named:
            return frozenset()
        return frozenset(
            i for i, cells in enumerate(self._cells) if self.unnamed_cell(cells) is not None
        )

    def swallowing_cell(self, cells: Sequence[str]) -> tuple[int, int] | None:
        """The position of a row's first cell that holds lines looking like rows of their
        own, and how many lines it runs over; ``None`` if there is none. A quote (") at the
        start of a cell makes the cell run on, line breaks and all, to the next quote: a
        stray one swallows the rows in between. A cell has swallowed rows when a line of
        it after the first has a delimiter between every two named columns, or two such
        lines have one between at least every other (a note written over a few lines has
        a few at most). Files of a few columns (pairs, outcomes) are not judged: there a
        note's commas could look like a row."""
        delimiter = self._swallow_delimiter
        if delimiter is None:
            return None
        whole, half = self._named - 1, self._named // 2
        for i, cell in enumerate(cells):
            lines = cell.splitlines()
            counts = [line.count(delimiter) for line in lines[1:]]
            if any(c >= whole for c in counts) or sum(c >= half for c in counts) >= 2:
                return i, len(lines)
        return None

    @functools.cached_property
    def swallowing(self) -> frozenset[int]:
        """Data rows (by index) with a cell that swallowed what look like further rows
        (:meth:`swallowing_cell`)."""
        if self._swallow_delimiter is None:
            return frozenset()
        return frozenset(
            i
            for i, cells in enumerate(self._cells)
            if _breaks_line(cells) and self.swallowing_cell(cells) is not None
        )

    @functools.cached_property
    def _swallow_delimiter(self) -> str | None:
        """The delimiter of a CSV file of at least four named columns, where swallowed rows
        are looked for (a workbook's cells cannot run on); ``None`` elsewhere."""
        return self.delimiter if self._named >= 4 else None

    @functools.cached_property
    def irregular(self) -> frozenset[int]:
        """Data rows (by index) whose cells cannot be taken as they stand: a cell beyond
        the named columns, or one that swallowed further rows."""
        return self.overflowing | self.swallowing

    def has(self, column: str) -> bool:
        return column in self.columns

    def header_of(self, column: str) -> str:
        """The header of a canonical column as written in the file (or the canonical name)."""
        for canonical, written in zip(self.columns, self.original_header, strict=True):
            if canonical == column:
                return written.strip()
        return column


def column_letter(index: int) -> str:
    """A column's letters as a spreadsheet shows them: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def normalise_header(text: str) -> str:
    """``' Max reistijd '`` → ``'max_reistijd'``: case, spaces and hyphens do not matter."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def accepted_names(kind: Kind, column: str) -> tuple[str, ...]:
    return ALIASES[kind][column]


def read_table(path: str | os.PathLike[str], kind: Kind, *, sheet: str | None = None) -> Table:
    """Read a CSV or Excel file into a :class:`Table`.

    Problems with the whole file (empty, unreadable, missing or duplicate columns, unknown
    sheet) raise :class:`RosterError` listing all of them; a missing file raises
    ``FileNotFoundError`` as usual.
    """
    p = Path(path)
    source = p.name
    data = p.read_bytes()
    if p.suffix.lower() in _XLSX_SUFFIXES or data.startswith(_ZIP_MAGIC):
        return _read_workbook(p, source, kind, sheet)
    if data.startswith(_OLE_MAGIC) or p.suffix.lower() in (".xls", ".ods"):
        raise RosterError(
            [
                Problem(
                    source,
                    None,
                    None,
                    "this spreadsheet format cannot be read",
                    "an Excel .xlsx file or a CSV file (in Excel: Save As → .xlsx or CSV)",
                )
            ]
        )
    if sheet is not None:
        raise RosterError(
            [
                Problem(
                    source,
                    None,
                    None,
                    f"a CSV file has no sheets, so sheet '{sheet}' cannot be chosen",
                    "no sheet for a CSV file, or an Excel .xlsx file",
                )
            ]
        )
    return _read_csv(data, source, kind)


# ---------------------------------------------------------------------------- CSV


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    Never fails: bytes that Windows-1252 leaves undefined become U+FFFD, so a damaged
    file still shows which rows are wrong instead of stopping the run.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """``;``, ``,`` or tab: whichever occurs most in the header line, outside quotes."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    in_quotes = False
    for ch in text:
        if ch == '"':
            in_quotes = not in_quotes  # a doubled quote toggles twice: still right
        elif in_quotes:
            continue
        elif ch in "\r\n":
            if any(counts.values()):
                break
        elif ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes, source: str, kind: Kind) -> Table:
    text, encoding = decode(data)
    sep = _SEP_LINE.match(text)
    if sep:  # Excel's "sep=;" hint line; Excel hides it, so it is not a row either
        delimiter = sep.group(1)
        text = text[sep.end() :]
    else:
        delimiter = sniff_delimiter(text)
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            records.append((number, record))
    except csv.Error as exc:
        raise RosterError(
            [
                Problem(
                    source,
                    number + 1,
                    None,
                    f"this row cannot be read as CSV ({exc})",
                    "cells separated by ; or , with quotes around cells that contain them",
                )
            ]
        ) from None
    return _build(source, kind, records, delimiter=delimiter, encoding=encoding)


# ---------------------------------------------------------------------------- Excel


def cell_text(value: Any) -> str:
    """An Excel cell value as the text a coordinator sees (``30.0`` → ``"30"``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _read_workbook(path: Path, source: str, kind: Kind, sheet: str | None) -> Table:
    import openpyxl  # only needed for workbooks; keeps CSV-only use light

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError:
        raise
    except Exception:  # a corrupt or non-Excel zip raises many kinds of error
        raise RosterError(
            [
                Problem(
                    source,
                    None,
                    None,
                    "this file cannot be opened as an Excel workbook",
                    "an Excel .xlsx file, or a CSV file",
                )
            ]
        ) from None
    try:
        names = [ws.title for ws in wb.worksheets]  # chart sheets hold no rows: left out
        if not names:
            raise RosterError(
                [Problem(source, None, None, "this workbook has no sheet with cells", None)]
            )
        if sheet is None:
            ws = wb.worksheets[0]
        else:
            match = [n for n in names if n == sheet] or [
                n for n in names if n.strip().lower() == sheet.strip().lower()
            ]
            if not match:
                raise RosterError(
                    [
                        Problem(
                            source,
                            None,
                            None,
                            f"there is no sheet named '{sheet}'",
                            "one of the sheets in this workbook: "
                            + ", ".join(f"'{n}'" for n in names),
                        )
                    ]
                )
            ws = wb[match[0]]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some writers record a wrong used range; read every cell
        records = [
            (number, [cell_text(v) for v in values])
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1)
        ]
        title = str(ws.title)
    finally:
        wb.close()
    return _build(source, kind, records, sheet=title)


# ---------------------------------------------------------------------------- header


def _blank(cells: Sequence[str]) -> bool:
    """Whether every cell is empty or spaces (one joined string: this runs for every row)."""
    return not "".join(cells).strip()


def _breaks_line(cells: Sequence[str]) -> bool:
    """Whether any of the cells holds a line break (most rows: none)."""
    text = "".join(cells)
    return "\n" in text or "\r" in text


def _build(
    source: str,
    kind: Kind,
    records: Iterable[tuple[int, list[str]]],
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> Table:
    rows = [(n, cells) for n, cells in records if not _blank(cells)]
    if not rows:
        raise RosterError(
            [
                Problem(
                    source,
                    None,
                    None,
                    "the file is empty",
                    "a first row with column names, then one row per "
                    + ("pair" if kind in ("outcomes", "pairs") else "person"),
                )
            ]
        )
    (header_row, header), data_rows = rows[0], rows[1:]
    columns = _map_header(source, kind, header, header_row)
    return Table(
        source=source,
        kind=kind,
        columns=columns,
        original_header=tuple(header),
        records=tuple(data_rows),
        delimiter=delimiter,
        encoding=encoding,
        sheet=sheet,
    )


def _raw_rows(
    columns: tuple[str | None, ...], records: Iterable[tuple[int, list[str]]]
) -> Iterator[RawRow]:
    """Rows with their known cells by canonical name; cells a short row lacks are empty.

    The known columns' positions are worked out once, not for every row of a big roster.
    """
    names = tuple(col for col in columns if col is not None)
    known = _picker([i for i, col in enumerate(columns) if col is not None])
    width = len(columns)
    for number, cells in records:
        padded = cells if len(cells) >= width else cells + [""] * (width - len(cells))
        values = dict(zip(names, map(str.strip, known(padded)), strict=True))
        yield RawRow(number, values, tuple(cells))


def _picker(positions: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """The cells at these positions, as a tuple (``itemgetter`` gives one alone bare)."""
    if len(positions) == 1:
        (only,) = positions
        return lambda cells: (cells[only],)
    return operator.itemgetter(*positions)


def _names(kind: Kind, column: str) -> str:
    names = ALIASES[kind][column]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _map_header(
    source: str, kind: Kind, header: Sequence[str], header_row: int
) -> tuple[str | None, ...]:
    """Canonical name per column; every header problem of the file at once."""
    lookup = {alias: col for col, names in ALIASES[kind].items() for alias in names}
    columns: list[str | None] = []
    first_seen: dict[str, str] = {}
    problems: list[Problem] = []
    for written in header:
        col = lookup.get(normalise_header(written))
        if col is not None and col in first_seen:
            problems.append(
                Problem(
                    source,
                    header_row,
                    written.strip(),
                    f"columns '{first_seen[col]}' and '{written.strip()}' both mean {col}",
                    f"only one column for {col} (named {_names(kind, col)})",
                )
            )
            col = None
        elif col is not None:
            first_seen[col] = written.strip()
        columns.append(col)

    present = set(first_seen)
    missing: list[str] = []
    expected: list[str] = []
    for requirement in REQUIRED[kind]:
        if any(all(c in present for c in alt) for alt in requirement):
            continue
        if len(requirement) == 1:
            (alt,) = requirement
            missing.extend(c for c in alt if c not in present)
            expected.extend(f"a column named {_names(kind, c)}" for c in alt if c not in present)
        else:
            options = [" and ".join(alt) for alt in requirement]
            missing.append(" or ".join(options))
            expected.append(
                "one of the columns "
                + "; ".join(
                    " and ".join(f"{c} ({_names(kind, c)})" for c in alt) for alt in requirement
                )
            )
    if missing:
        found = ", ".join(f"'{h.strip()}'" for h in header if h.strip()) or "none"
        problems.append(
            Problem(
                source,
                None,
                None,
                f"missing column(s): {'; '.join(missing)} (the file's columns are: {found})",
                "; ".join(expected),
            )
        )
    if kind in ("newcomers", "locals") and ("lat" in present) != ("lon" in present):
        have, lack = ("lat", "lon") if "lat" in present else ("lon", "lat")
        problems.append(
            Problem(
                source,
                None,
                first_seen[have],
                f"there is a {have} column but no {lack} column",
                f"both lat ({_names(kind, 'lat')}) and lon ({_names(kind, 'lon')}), or neither",
            )
        )
    if problems:
        raise RosterError(problems)
    return tuple(columns)


__all__ = [
    "ALIASES",
    "REQUIRED",
    "Kind",
    "RawRow",
    "Table",
    "accepted_names",
    "cell_text",
    "decode",
    "normalise_header",
    "read_table",
    "sniff_delimiter",
]
