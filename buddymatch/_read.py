"""Reading rosters, outcomes and coordinators' pair lists, with every problem located.

A reader never stops at the first bad cell and never drops a row silently: each row is
either accepted or rejected with *all* its problems (file, spreadsheet row, the column as
written in the file, a plain-words reason and what would be accepted), so a coordinator
can fix a whole file in one go. Cells with personal data (name, gender, age, address) are
never echoed in a problem.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, NamedTuple, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from buddymatch import _fork, _gc
from buddymatch._errors import Problem, RosterError
from buddymatch._profiles import (
    Local,
    LocationError,
    Newcomer,
    Person,
    RowBuilder,
    locate_row,
)
from buddymatch._table import Kind, RawRow, Table, column_letter, read_table
from buddymatch._vocab import CellError, parse_bool, parse_whole

if TYPE_CHECKING:
    from buddymatch._pool import PooledPeople

P = TypeVar("P", Newcomer, Local)
PairKind = Literal["pinned", "forbidden"]

# Columns whose cell text may be shown back in a problem. Everything else (name, gender,
# age, postcode, lat, lon, place, and any column the reader does not know) is personal
# or may be, and is never echoed.
SHOWABLE: Final = frozenset(
    {
        "id",
        "languages",
        "interests",
        "availability",
        "transport",
        "max_travel_min",
        "capacity",
        "gender_preference",
        "household_size",
        "wants_dutch_practice",
        "met_count",
        "met_twice",
        "newcomer_id",
        "local_id",
        "matched_on",
    }
)
_LOCATION_FIELDS: Final = ("postcode", "lat", "lon", "place")
# Stands in for an address that could not be read, so the rest of the row is still checked.
_NOWHERE: Final[dict[str, Any]] = {"lat": 0.0, "lon": 0.0, "pc4": None, "municipality": None}
_MAX_SHOWN: Final = 60

# What a cell should hold, for problems that the cell parsers do not describe themselves.
COLUMN_HELP: Final[dict[str, str]] = {
    "id": "an id that is unique in the file, e.g. N12",
    "languages": "languages written like ar:native|nl:A2 (code:level, separated by |)",
    "newcomer_id": "the id of a newcomer, as written in the newcomers file",
    "local_id": "the id of a local buddy, as written in the locals file",
    "met_count": "how often the pair met: 0, 1, 2 …",
    "met_twice": "yes or no: did the pair meet twice or more",
    "matched_on": "a date written year-month-day, e.g. 2024-03-01",
    "age": "age in whole years, 0 to 130",
}


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not accepted: its spreadsheet row number, its cells as given, why.

    ``cells`` are in the order of the file's header (``Roster.header``) and may hold
    personal data, so they stay out of ``repr``.
    """

    row: int
    cells: tuple[str, ...] = field(repr=False)
    problems: tuple[Problem, ...]

    def by_header(self, header: tuple[str, ...]) -> dict[str, str]:
        """Cells keyed by the file's original header (unnamed extra cells are left out)."""
        return {h: self.cells[i] if i < len(self.cells) else "" for i, h in enumerate(header)}


@dataclass(kw_only=True)
class _ReadResult:
    """What every reader returns besides its items: counts, problems, rejected rows."""

    source: str
    header: tuple[str, ...] = ()
    delimiter: str = ";"
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        raise NotImplementedError

    def summary(self) -> str:
        """``"newcomers.csv: 12 rows read, 10 accepted, 2 rejected"``, for the run's report."""
        return (
            f"{self.source}: {self.rows_read} rows read, {self.accepted} accepted, "
            f"{len(self.rejected)} rejected"
        )

    def raise_if_problems(self) -> None:
        if self.problems:
            raise RosterError(self.problems)


@dataclass(kw_only=True)
class Roster(_ReadResult, Generic[P]):
    """The people read from a roster file, and every problem found in it.

    ``header`` is the file's header as written and ``delimiter`` the one to use when
    writing its rejected rows back (the input's, or ``;`` for a workbook).
    """

    people: list[P] = field(default_factory=list)
    # Read in another process: the people with their columns, in place of ``people`` until
    # something asks for the profiles (see ``people_of``).
    _pooled: PooledPeople[P] | None = field(default=None, repr=False, compare=False)

    @property
    def accepted(self) -> int:
        return len(people_of(self))

    if not TYPE_CHECKING:  # (type checkers would then accept any attribute name)

        def __getattr__(self, name: str) -> Any:
            """``people`` of a roster read in another process, unpickled when first asked
            for; called only for attributes that are not there."""
            pooled = self.__dict__.get("_pooled")
            if name == "people" and pooled is not None:
                self.people = pooled.people()
                return self.people
            raise AttributeError(name)


def people_of(roster: Roster[P]) -> Sequence[P]:
    """The roster's people for matching: for a roster read in another process, the people
    with their columns built there, their profiles unpickled only if something asks."""
    if "people" not in roster.__dict__ and roster._pooled is not None:
        return roster._pooled
    return roster.people


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one earlier pair; ``met_twice`` is the outcome that matters."""

    row: int
    newcomer_id: str
    local_id: str
    met_twice: bool
    met_count: int | None = None
    matched_on: dt.date | None = None


@dataclass(kw_only=True)
class OutcomeTable(_ReadResult):
    """The rows of an outcomes file, and every problem found in it."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return len(self.outcomes)


class PairRow(NamedTuple):
    """A coordinator's pinned or forbidden pair, with where it was written.

    A tuple, so ``pair[0], pair[1]`` are the newcomer's and the local's id.
    """

    newcomer_id: str
    local_id: str
    row: int
    file: str


@dataclass(kw_only=True)
class PairTable(_ReadResult):
    """The pairs of a pinned or forbidden file, and every problem found in it."""

    kind: PairKind = "pinned"
    pairs: list[PairRow] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return len(self.pairs)


# ---------------------------------------------------------------------------- readers


def read_newcomers(path: str | os.PathLike[str], *, sheet: str | None = None) -> Roster[Newcomer]:
    """Read a newcomers file (CSV or .xlsx); problems are collected, not raised."""
    return _read_people(path, Newcomer, "newcomers", sheet)


def read_locals(path: str | os.PathLike[str], *, sheet: str | None = None) -> Roster[Local]:
    """Read a locals (buddies) file (CSV or .xlsx); problems are collected, not raised."""
    return _read_people(path, Local, "locals", sheet)


def read_rosters(
    newcomers: str | os.PathLike[str],
    locals_: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> tuple[Roster[Newcomer], Roster[Local]]:
    """Both rosters of a run, and ``meanwhile`` (work that needs neither) while they are read.

    With ``meanwhile`` (the CLI imports the matching parts), the bigger file goes to
    another process (see :func:`start_reading`): this one reads the smaller file and then
    does ``meanwhile``, so both finish at about the same time. Both rosters then hold
    their people as columns, for matching (see :func:`_read_pooled`). Without it the
    files are read one after the other: handing profiles over from another process costs
    about as much as reading them, so forking pays only when there is other work to
    overlap.
    """
    if meanwhile is None:
        return read_newcomers(newcomers, sheet=sheet), read_locals(locals_, sheet=sheet)
    if _size(newcomers) >= _size(locals_):
        later_newcomers = start_reading(read_newcomers, newcomers, sheet=sheet, alongside=locals_)
        local_roster = _read_pooled(read_locals, locals_, sheet)
        meanwhile()
        return later_newcomers(), local_roster
    later_locals = start_reading(read_locals, locals_, sheet=sheet, alongside=newcomers)
    newcomer_roster = _read_pooled(read_newcomers, newcomers, sheet)
    meanwhile()
    return newcomer_roster, later_locals()


def _size(path: str | os.PathLike[str]) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def start_reading(
    read: Callable[..., Roster[P]],
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    alongside: str | os.PathLike[str] | None = None,
) -> Callable[[], Roster[P]]:
    """``read(path)`` started now, in a forked process when that is worth it; call the
    returned function for the roster.

    Reading is Python row by row, so one process cannot spread it over cores: when the
    file and the one read ``alongside`` it are both big, this file is read in a forked
    process meanwhile. Small files, systems without ``fork`` and processes already
    running other threads (forking those is unsafe) read when called. The roster is the
    same either way; if the other process fails in any way, the file is read again here.
    """
    elsewhere: _fork.Elsewhere[Roster[P]] | None = None
    if alongside is not None and _worth_forking(path, alongside):
        _load_what_pools_need()  # here, before forking: the other process then has it too
        elsewhere = _fork.Elsewhere(functools.partial(_read_pooled, read, path, sheet))

    def result() -> Roster[P]:
        with _gc.paused():  # thousands of profiles arrive at once
            roster = elsewhere.result() if elsewhere is not None else None
        return roster if roster is not None else read(path, sheet=sheet)

    return result


def _read_pooled(
    read: Callable[..., Roster[P]], path: str | os.PathLike[str], sheet: str | None
) -> Roster[P]:
    """``read(path)`` with its people as columns (a pool) only, no profiles: what matching
    needs, and all a roster read in another process sends back. The profiles are read
    from the file again if anything asks for them."""
    from buddymatch._pool import PooledPeople

    stamp = _stamp(path)
    again = functools.partial(_people_again, read, path, sheet, stamp)
    as_columns = _AS_COLUMNS.get(read)
    if as_columns is not None:
        model, kind = as_columns
        roster, columns = _read_rows(path, model, kind, sheet, as_columns=True)
        if columns is not None:
            roster._pooled = PooledPeople.of_columns(columns, again)
            del roster.people
        return roster
    roster = read(path, sheet=sheet)
    if roster.people:
        roster._pooled = PooledPeople.of(roster.people, again)
        del roster.people
    return roster


def _stamp(path: str | os.PathLike[str]) -> tuple[int, int]:
    """The file's size and modification time: what tells that it is still the same file."""
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns


def _people_again(
    read: Callable[..., Roster[P]],
    path: str | os.PathLike[str],
    sheet: str | None,
    stamp: tuple[int, int],
) -> list[P]:
    """The profiles of a roster read before in another process, read from its file again."""
    if _stamp(path) != stamp:
        raise RuntimeError(f"{os.path.basename(path)} was changed after it was read; read it again")
    return read(path, sheet=sheet).people


# The readers whose files can be read as columns (see ``_read_pooled``).
_AS_COLUMNS: Final[dict[Callable[..., Roster[Any]], tuple[Any, Kind]]] = {
    read_newcomers: (Newcomer, "newcomers"),
    read_locals: (Local, "locals"),
}


def _load_what_pools_need() -> None:
    """numpy and scipy's sparse matrices (for the pool's columns) and the postcode table:
    the main process needs them anyway, and a process forked afterwards starts with them."""
    import scipy.sparse  # noqa: F401

    from buddymatch import _geo

    _geo.load_tables()


def read_outcomes(path: str | os.PathLike[str], *, sheet: str | None = None) -> OutcomeTable:
    """Read an outcomes file: which earlier pairs met, and how often."""
    table, result = _open(path, "outcomes", sheet, OutcomeTable)
    if table is None:
        return result
    for raw in table.rows:
        outcome, problems = _outcome_row(table, raw)
        problems += _table_problems(table, raw)
        _collect(result, raw, problems)
        if outcome is not None and not problems:
            result.outcomes.append(outcome)
    return result


def read_pairs(
    path: str | os.PathLike[str], *, kind: PairKind, sheet: str | None = None
) -> PairTable:
    """Read a pinned or forbidden pairs file; problems are collected, not raised.

    Only the cells are checked here. Whether the ids exist, whether pins exceed a local's
    capacity and whether a pair is both pinned and forbidden is checked where the rosters
    are known.
    """
    table, result = _open(path, "pairs", sheet, PairTable)
    result.kind = kind
    if table is None:
        return result
    for raw in table.rows:
        nid, lid = raw.values.get("newcomer_id", ""), raw.values.get("local_id", "")
        problems = [
            _missing(table, raw, c) for c, v in (("newcomer_id", nid), ("local_id", lid)) if not v
        ]
        problems += _table_problems(table, raw)
        _collect(result, raw, problems)
        if not problems:
            result.pairs.append(PairRow(nid, lid, raw.number, table.source))
    return result


# ---------------------------------------------------------------------------- internals

R = TypeVar("R", bound=_ReadResult)


def _open(
    path: str | os.PathLike[str], kind: Kind, sheet: str | None, result_type: type[R]
) -> tuple[Table | None, R]:
    """The file's table and an empty result, or no table and a result holding why not."""
    source = os.path.basename(os.fspath(path))
    try:
        table = read_table(path, kind, sheet=sheet)
    except RosterError as exc:
        return None, result_type(source=source, problems=list(exc.problems))
    result = result_type(
        source=table.source,
        header=table.original_header,
        delimiter=table.delimiter or ";",
        rows_read=len(table),
    )
    return table, result


def _collect(result: _ReadResult, raw: RawRow, problems: list[Problem]) -> None:
    if problems:
        result.problems.extend(problems)
        result.rejected.append(RejectedRow(raw.number, raw.cells, tuple(problems)))


def _read_people(
    path: str | os.PathLike[str], model: type[P], kind: Kind, sheet: str | None
) -> Roster[P]:
    return _read_rows(path, model, kind, sheet, as_columns=False)[0]


def _read_rows(
    path: str | os.PathLike[str], model: type[P], kind: Kind, sheet: str | None, *, as_columns: bool
) -> tuple[Roster[P], dict[str, list[Any]] | None]:
    """The roster of a file of people, with its people as profiles; or, ``as_columns``,
    as the columns of ``POOL_FIELDS`` instead (``None`` when nobody was accepted)."""
    roster: Roster[P]
    with _gc.paused():
        table, roster = _open(path, kind, sheet, Roster)
        if table is None:
            return roster, None
        builder = RowBuilder(model)
        known = {c: table.column(c) for c in table.columns if c is not None}
        earlier = _earlier_rows(known.get("id", []), table)
        unsure = earlier.keys() | table.irregular
        if not as_columns:
            for index, person in enumerate(builder.build_rows(known, len(table))):
                if person is None or index in unsure:
                    person = _checked(roster, table, index, builder.model, earlier.get(index))
                if person is not None:
                    roster.people.append(person)
            return roster, None
        built, values = builder.build_columns(known, len(table))
        accepted: list[int] = []
        checked: dict[int, P] = {}
        for index, fine in enumerate(built):
            if not fine or index in unsure:
                person = _checked(roster, table, index, builder.model, earlier.get(index))
                if person is None:
                    continue
                checked[index] = person
            accepted.append(index)
        if not accepted:
            return roster, None
        from buddymatch._pool import POOL_FIELDS

        fields = [f for f in POOL_FIELDS if f in model.model_fields]
        return roster, {f: _accepted(values[f], f, accepted, checked) for f in fields}


def _checked(
    roster: Roster[P], table: Table, index: int, model: type[P], earlier: int | None
) -> P | None:
    """Row ``index`` validated on its own: its profile, or ``None`` with its problems
    added to the roster."""
    raw = table.row(index)
    person, problems = _checked_row(table, raw, model, earlier)
    _collect(roster, raw, problems)
    return person if not problems else None


def _accepted(
    column: list[Any], field: str, rows: list[int], checked: Mapping[int, Person]
) -> list[Any]:
    """``field`` of the accepted ``rows``: from the cells, or from the profile of a row that
    had to be checked on its own."""
    if not checked:
        return [column[i] for i in rows]
    return [getattr(checked[i], field) if i in checked else column[i] for i in rows]


# Below this size (about 2,000 rows) starting a process costs more than it saves.
PARALLEL_MIN_BYTES: Final = 256 * 1024


def _worth_forking(*paths: str | os.PathLike[str]) -> bool:
    if not _fork.can_fork():
        return False
    try:
        return all(os.path.getsize(p) >= PARALLEL_MIN_BYTES for p in paths)
    except OSError:  # a missing file: the reader says so, in its own words
        return False


def _checked_row(
    table: Table, raw: RawRow, model: type[P], earlier: int | None
) -> tuple[P | None, list[Problem]]:
    """A row validated on its own: its profile, or every problem of the row (address,
    cells and an id that row ``earlier`` already has) together."""
    problems = [] if earlier is None else [_duplicate_id(table, raw, earlier)]
    problems += _table_problems(table, raw)
    data: dict[str, Any] = {k: v for k, v in raw.values.items() if v}
    try:
        data = locate_row(data)
    except LocationError as exc:
        column = exc.column
        if not table.has(column):  # "no address given": point at an address column it has
            column = next((c for c in ("postcode", "place", "lat") if table.has(c)), column)
        problems.append(_problem(table, raw, column, exc.message, exc.expected))
        data = {k: v for k, v in data.items() if k not in _LOCATION_FIELDS} | _NOWHERE
    try:
        person = model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_from_pydantic(table, raw, err) for err in exc.errors(include_url=False))
        return None, problems
    return person, problems


def _earlier_rows(ids: list[str], table: Table) -> dict[int, int]:
    """Rows (by index) whose id an earlier row already has, with that row's number."""
    if len(set(ids)) == len(ids):
        return {}
    first_row_of: dict[str, int] = {}
    earlier: dict[int, int] = {}
    for index, (ident, (number, _)) in enumerate(zip(ids, table.records, strict=True)):
        if ident:
            first = first_row_of.setdefault(ident, number)
            if first != number:
                earlier[index] = first
    return earlier


def _table_problems(table: Table, raw: RawRow) -> list[Problem]:
    """The row's problems with the table itself rather than with a value: a cell outside
    the named columns, a cell that swallowed further rows."""
    return _beyond_header(table, raw) + _swallowed(table, raw)


def _swallowed(table: Table, raw: RawRow) -> list[Problem]:
    """The row's cell that ran on over what look like further rows, as a problem: a stray
    quote made them one cell, so they were not read as rows. The rejected-rows file keeps
    the cell, and with it those rows. The cell is not shown: it may hold personal data."""
    found = table.swallowing_cell(raw.cells)
    if found is None:
        return []
    at, lines = found
    return [
        Problem(
            table.source,
            raw.number,
            _header_or_letter(table, at),
            f'this cell starts with a quote (") that is closed only {lines - 1} line(s) further '
            "down the file, so the rows in between were read as part of this cell and not "
            "as rows of their own",
            "no quote at the start of a cell, or one closed at the end of the same cell: "
            "remove the stray quote and read the file again",
        )
    ]


def _header_or_letter(table: Table, at: int) -> str:
    """Column ``at`` as the file names it, or by its letter if it has no name."""
    header = table.original_header
    return header[at].strip() if at < len(header) and header[at].strip() else column_letter(at)


def _beyond_header(table: Table, raw: RawRow) -> list[Problem]:
    """The row's first filled cell in a column without a name, if any, as a problem: its
    text would be lost (or the row's cells have shifted), so the row is not read as it
    stands. The cell is not shown: it may be a note about the person."""
    at = table.unnamed_cell(raw.cells)
    if at is None:
        return []
    return [
        Problem(
            table.source,
            raw.number,
            column_letter(at),
            "this cell has no column name in the first row, so it cannot be read (or the "
            "row's cells have shifted: a ; or , inside a cell without quotes does that)",
            "cells only under named columns: name the column in the first row, or move "
            "or remove the cell",
        )
    ]


def _duplicate_id(table: Table, raw: RawRow, earlier: int) -> Problem:
    return _problem(
        table,
        raw,
        "id",
        f"id already used in row {earlier}",
        "an id that is used only once in the file",
    )


def _from_pydantic(table: Table, raw: RawRow, err: ErrorDetails) -> Problem:
    """A pydantic error as a coordinator's problem: the column as written, plain words."""
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    loc = err["loc"]
    column = str(ctx.get("column") or (loc[0] if loc else "")) or None
    kind = err["type"]
    expected: str | None = ctx.get("expected") or COLUMN_HELP.get(column or "")
    if kind == "buddymatch_cell":
        message = err["msg"]
    elif kind in ("missing", "string_too_short"):
        return _missing(table, raw, column or "id")
    elif kind == "less_than_equal":
        message = f"too large: at most {ctx.get('le')}"
    elif kind == "greater_than_equal":
        message = f"too small: at least {ctx.get('ge')}"
    else:
        message = f"cannot be read ({err['msg']})"
    if column is None:
        return Problem(table.source, raw.number, None, message, expected)
    return _problem(table, raw, column, message, expected)


def _missing(table: Table, raw: RawRow, column: str) -> Problem:
    what = {"id": "id", "languages": "language"}.get(column, column.replace("_", " "))
    return _problem(table, raw, column, f"no {what} given", COLUMN_HELP.get(column))


def _problem(table: Table, raw: RawRow, column: str, message: str, expected: str | None) -> Problem:
    """A located problem; the cell's text is shown only for columns that are not personal."""
    text = raw.values.get(column, "")
    if column in SHOWABLE:
        value = _shown(text) if text else None
    else:
        value = None
        message = _redact(message, text, table.header_of(column))
    return Problem(table.source, raw.number, table.header_of(column), message, expected, value)


def _shown(text: str) -> str:
    """Cell text made safe for one line of a report: no control characters, not too long."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    return flat if len(flat) <= _MAX_SHOWN else flat[: _MAX_SHOWN - 1] + "…"


def _redact(message: str, text: str, header: str) -> str:
    """A message about a personal cell, with nothing of the cell's text left in it."""
    message = re.sub(r"postcode area \S+ is not known", "this postcode area is not known", message)
    tokens = {t for t in re.findall(r"\w+", text.lower()) if len(t) >= 3 or t.isdigit()}
    lowered = message.lower()
    if any(t in lowered for t in tokens):
        return f"the {header} cell cannot be used"
    return message


def _outcome_row(table: Table, raw: RawRow) -> tuple[Outcome | None, list[Problem]]:
    problems: list[Problem] = []
    v = raw.values
    for col in ("newcomer_id", "local_id"):
        if not v.get(col):
            problems.append(_missing(table, raw, col))

    count: int | None = None
    twice: bool | None = None
    if v.get("met_count"):
        try:
            count = parse_whole(v["met_count"], minimum=0, what="how often the pair met")
        except CellError as exc:
            problems.append(_problem(table, raw, "met_count", exc.message, exc.expected))
    if v.get("met_twice"):
        try:
            twice = parse_bool(v["met_twice"])
        except CellError as exc:
            problems.append(_problem(table, raw, "met_twice", exc.message, exc.expected))
    if not v.get("met_count") and not v.get("met_twice"):
        column = "met_count" if table.has("met_count") else "met_twice"
        problems.append(
            _problem(
                table,
                raw,
                column,
                "no outcome given",
                "met_count (how often the pair met: 0, 1, 2 …) or met_twice (yes or no)",
            )
        )
    if count is not None and twice is not None and twice != (count >= 2):
        problems.append(
            _problem(
                table,
                raw,
                "met_twice",
                f"says {'yes' if twice else 'no'}, but {table.header_of('met_count')} "
                f"says the pair met {count} time(s)",
                "yes when the pair met 2 or more times, no otherwise",
            )
        )

    matched_on: dt.date | None = None
    if v.get("matched_on"):
        try:
            matched_on = _parse_date(v["matched_on"])
        except CellError as exc:
            problems.append(_problem(table, raw, "matched_on", exc.message, exc.expected))

    if problems or (count is None and twice is None):
        return None, problems
    met_twice = twice if twice is not None else (count is not None and count >= 2)
    return (
        Outcome(raw.number, v["newcomer_id"], v["local_id"], met_twice, count, matched_on),
        problems,
    )


def _parse_date(text: str) -> dt.date:
    """An ISO date; a date-time (as Excel may give) counts as its date."""
    cleaned = text.strip()
    try:
        return dt.date.fromisoformat(cleaned)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(cleaned).date()
    except ValueError:
        raise CellError("not a date", COLUMN_HELP["matched_on"]) from None


__all__ = [
    "Outcome",
    "OutcomeTable",
    "PairRow",
    "PairTable",
    "RejectedRow",
    "Roster",
    "people_of",
    "read_locals",
    "read_newcomers",
    "read_outcomes",
    "read_pairs",
    "read_rosters",
    "start_reading",
]
