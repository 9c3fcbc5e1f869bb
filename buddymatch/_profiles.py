"""Newcomer and local profiles: the typed form of one roster row.

Models accept either parsed values or the raw text of a roster cell (the same parsers as
the file readers), so ``Newcomer(id="N1", postcode="4021", languages="ar:native|nl:A2")``
works in code as it does from a CSV file. Personal fields (name, gender, age) are kept out
of ``repr`` so they do not end up in logs by accident.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, Final, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic_core import PydanticCustomError

from buddymatch import _geo
from buddymatch._vocab import (
    DEFAULT_MODES,
    SLOT_BIT,
    SLOTS,
    CellError,
    Gender,
    Level,
    Mode,
    parse_availability,
    parse_bool,
    parse_decimal,
    parse_gender,
    parse_gender_preference,
    parse_interests,
    parse_languages,
    parse_transport,
    parse_whole,
    slot_names,
    slots_mask,
)

CELL_ERROR = "buddymatch_cell"
# The address columns: :func:`locate_row` reads them together, so they are located together.
LOCATION_COLUMNS: Final = ("postcode", "lat", "lon", "place")


def _cell(parse: Callable[[str], Any], value: Any) -> Any:
    """Run a cell parser on text input, turning its error into a located pydantic error."""
    if not isinstance(value, str):
        return value
    try:
        return parse(value)
    except CellError as exc:
        raise PydanticCustomError(CELL_ERROR, exc.message, {"expected": exc.expected}) from None


def _minutes(text: str) -> int:
    return parse_whole(text, minimum=1, what="minutes one way")


def _household(text: str) -> int:
    return parse_whole(text, minimum=1, what="people in the household")


def _age(text: str) -> int:
    return parse_whole(text, minimum=0, what="age in years")


def _capacity(text: str) -> int:
    return parse_whole(text, minimum=1, what="how many newcomers")


def _slots(text: str) -> tuple[str, ...]:
    return slot_names(parse_availability(text))


# What each column's text goes through before pydantic checks the field's type. The field
# validators below and :class:`RowBuilder` both use this table, so they cannot drift apart.
CELL_PARSERS: Final[dict[str, Callable[[str], Any]]] = {
    "id": str.strip,  # as Person._strip
    "name": str.strip,
    "languages": parse_languages,
    "interests": parse_interests,
    "availability": _slots,
    "transport": parse_transport,
    "max_travel_min": _minutes,
    "gender": parse_gender,
    "gender_preference": parse_gender_preference,
    "age": _age,
    "household_size": _household,
    "wants_dutch_practice": parse_bool,
    "capacity": _capacity,
}


class LocationError(CellError):
    """A row's address that cannot be located; ``column`` names the cell to fix."""

    def __init__(self, column: str, error: CellError) -> None:
        super().__init__(error.message, error.expected)
        self.column = column


def locate_row(data: dict[str, Any]) -> dict[str, Any]:
    """Fill lat/lon and area names from coordinates, postcode or place (in that order)."""
    data = dict(data)
    lat, lon = data.get("lat"), data.get("lon")
    column = "postcode"
    try:
        if lat is not None or lon is not None:
            if lat is None or lon is None:
                column = "lon" if lon is None else "lat"
                raise CellError(
                    "latitude and longitude must be given together",
                    "both lat and lon, or a postcode or place instead",
                )
            column = "lat"
            flat = parse_decimal(lat, what="latitude") if isinstance(lat, str) else float(lat)
            column = "lon"
            flon = parse_decimal(lon, what="longitude") if isinstance(lon, str) else float(lon)
            column = "lat"
            loc = _geo.locate_point(flat, flon)
        elif data.get("postcode"):
            column = "postcode"
            data["postcode"] = _geo.normalise_postcode(str(data["postcode"]))
            loc = _geo.locate_postcode(data["postcode"])
        elif data.get("place"):
            column = "place"
            loc = _geo.locate_place(str(data["place"]))
        else:
            raise CellError("no address given", "a postcode, a place name, or lat and lon")
    except CellError as exc:
        raise LocationError(column, exc) from None
    data["lat"], data["lon"] = loc.lat, loc.lon
    data.setdefault("pc4", loc.pc4)
    data.setdefault("municipality", loc.municipality)
    if not data.get("place"):
        data["place"] = loc.place
    return data


class Person(BaseModel):
    """What newcomers and locals have in common."""

    # Built on first validation, not on import: the readers assemble most profiles from
    # checked cell values, and the command line forks its reading before that.
    # Errors never repeat what was given: a profile holds personal data.
    model_config = ConfigDict(
        frozen=True, extra="forbid", defer_build=True, hide_input_in_errors=True
    )

    id: str = Field(min_length=1)
    name: str | None = Field(default=None, repr=False)
    # Always set from the postcode, place or coordinates given (``_locate``); the default
    # only tells type checkers that a profile can be made without them.
    lat: float = math.nan
    lon: float = math.nan
    postcode: str | None = None
    place: str | None = None
    pc4: str | None = None
    municipality: str | None = None
    languages: dict[str, Level]
    interests: tuple[str, ...] = ()
    availability: tuple[str, ...] = SLOTS
    transport: tuple[Mode, ...] = DEFAULT_MODES
    max_travel_min: int = Field(default=30, ge=1)
    gender: Gender | None = Field(default=None, repr=False)
    gender_preference: Literal["same", "any"] = "any"
    age: int | None = Field(default=None, ge=0, le=130, repr=False)
    household_size: int = Field(default=1, ge=1)
    wants_dutch_practice: bool = False

    @model_validator(mode="before")
    @classmethod
    def _locate(cls, data: Any) -> Any:
        if not isinstance(data, dict) or ("lat" in data and "pc4" in data):
            return data
        try:
            return locate_row(data)
        except LocationError as exc:
            raise PydanticCustomError(
                CELL_ERROR, exc.message, {"expected": exc.expected, "column": exc.column}
            ) from None

    @field_validator("id", "name", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return v.strip() if isinstance(v, str) else v

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, v: Any) -> Any:
        if isinstance(v, dict):  # {"ar": "native", "nl": Level.A2}: read as the cell would be
            v = "|".join(
                f"{code}:{lvl if isinstance(lvl, str) else Level(lvl).label}"
                for code, lvl in v.items()
            )
        return _cell(CELL_PARSERS["languages"], v)

    @field_validator("interests", mode="before")
    @classmethod
    def _interests(cls, v: Any) -> Any:
        return _cell(CELL_PARSERS["interests"], v)

    @field_validator("availability", mode="before")
    @classmethod
    def _availability(cls, v: Any) -> Any:
        if isinstance(v, str):
            return _cell(CELL_PARSERS["availability"], v)
        if not isinstance(v, tuple | list | set | frozenset):
            return v
        bad = [s for s in v if s not in SLOT_BIT]
        if bad:
            raise PydanticCustomError(
                CELL_ERROR, "unknown time slot", {"expected": "slots like sat-morning"}
            )
        return tuple(s for s in SLOTS if s in set(v))

    @field_validator("transport", mode="before")
    @classmethod
    def _transport(cls, v: Any) -> Any:
        return _cell(CELL_PARSERS["transport"], v)

    @field_validator("max_travel_min", mode="before")
    @classmethod
    def _minutes(cls, v: Any) -> Any:
        return _cell(CELL_PARSERS["max_travel_min"], v)

    @field_validator("household_size", mode="before")
    @classmethod
    def _household(cls, v: Any) -> Any:
        return _cell(CELL_PARSERS["household_size"], v)

    @field_validator("age", mode="before")
    @classmethod
    def _age(cls, v: Any) -> Any:
        return _cell(CELL_PARSERS["age"], v)

    @field_validator("gender", mode="before")
    @classmethod
    def _gender(cls, v: Any) -> Any:
        return _cell(CELL_PARSERS["gender"], v)

    @field_validator("gender_preference", mode="before")
    @classmethod
    def _gender_preference(cls, v: Any) -> Any:
        return _cell(CELL_PARSERS["gender_preference"], v)

    @field_validator("wants_dutch_practice", mode="before")
    @classmethod
    def _dutch(cls, v: Any) -> Any:
        return _cell(CELL_PARSERS["wants_dutch_practice"], v)

    @property
    def availability_mask(self) -> int:
        return slots_mask(self.availability)


class Newcomer(Person):
    """A newcomer (or a household that wants one buddy)."""


class Local(Person):
    """A local volunteer buddy, who may take more than one newcomer."""

    capacity: int = Field(default=1, ge=1)

    @field_validator("capacity", mode="before")
    @classmethod
    def _capacity(cls, v: Any) -> Any:
        return _cell(CELL_PARSERS["capacity"], v)


PersonT = TypeVar("PersonT", bound=Person)
K = TypeVar("K")
V = TypeVar("V")
# The fields an address gives a row (``locate_row``), whichever address columns it has.
_LOCATED: Final = ("lat", "lon", "postcode", "place", "pc4", "municipality")
_UNUSABLE: Final = object()  # a cell (or address) that only full validation can judge
_ABSENT: Final = object()  # an empty cell: the field keeps its default


class _Memo(dict[K, V]):
    """Values worked out on first lookup (``work(key)``), then kept: a plain dict lookup."""

    def __init__(self, work: Callable[[K], V]) -> None:
        super().__init__()
        self._work = work

    def __missing__(self, key: K) -> V:
        value = self[key] = self._work(key)
        return value


class RowBuilder(Generic[PersonT]):
    """Builds profiles from roster rows, parsing each distinct cell text only once.

    Roster columns repeat heavily (languages, slots, transport, minutes, postcodes), and
    validating every row's text was most of the time it took to read a big roster. Here a
    cell's value is what validation gives for it: the field validator's own parser
    (``CELL_PARSERS``), then pydantic's check of the field's type and constraints, once per
    distinct text in a column, a whole column at a time. Rows whose every cell passes are
    put together without validating them again; any other row gets ``None``, for the
    caller to validate the usual way, so every problem still comes from the model's own
    validation.
    """

    def __init__(self, model: type[PersonT]) -> None:
        self.model = model
        self._required = frozenset(n for n, f in model.model_fields.items() if f.is_required())
        self._defaults = _defaults(model)
        self._checks: _Memo[str, Callable[[Any], Any]] = _Memo(self._check)
        self._values: _Memo[str, _Memo[str, Any]] = _Memo(self._column)
        self._places: _Memo[tuple[str, ...], dict[str, Any] | None] = _Memo(self._locate)
        self._unusable_seen = False

    def build(self, cells: Mapping[str, str]) -> PersonT | None:
        """The profile of a row (cells by column; empty means not given), or ``None``."""
        (person,) = self.build_rows({c: (t,) for c, t in cells.items()}, 1)
        return person

    def build_rows(self, columns: Mapping[str, Sequence[str]], n: int) -> list[PersonT | None]:
        """The profiles of ``n`` rows given column by column (each column one text per row),
        ``None`` for each row that must be validated the usual way."""
        if self._defaults is None:
            return [None] * n
        fields, values, places = self._cells(columns, n)
        rows = zip(*values, strict=True) if values else itertools.repeat((), n)
        model, defaults, required = self.model, self._defaults, self._required
        unusable_seen = self._unusable_seen  # after the columns' values: they may set it
        people: list[PersonT | None] = []
        for row, place in zip(rows, places, strict=True):
            if place is None or (unusable_seen and _UNUSABLE in row):
                people.append(None)
                continue
            given = {c: v for c, v in zip(fields, row, strict=True) if v is not _ABSENT}
            given.update(place)  # every address cell given, as locate_row gives it back
            if not required <= given.keys():
                people.append(None)
                continue
            given["languages"] = dict(given["languages"])  # the one mutable value
            data = defaults.copy()
            data.update(given)
            people.append(_assemble(model, data, set(given)))
        return people

    def build_columns(
        self, columns: Mapping[str, Sequence[str]], n: int
    ) -> tuple[list[bool], dict[str, list[Any]]]:
        """What :meth:`build_rows` gives, by field and without making profiles: which rows
        it builds (the others must be validated the usual way), and every field's value
        in each row (the default where the cell is empty; anything in rows not built).
        A programme's whole roster is used as columns, and making ten thousand profiles
        only to take them apart again took most of the time of reading it."""
        if self._defaults is None:
            return [False] * n, {}
        fields, values, places = self._cells(columns, n)
        built = [place is not None for place in places]
        if not self._required <= {*fields, *_LOCATED}:
            built = [False] * n
        by_field: dict[str, list[Any]] = {}
        for field, column in zip(fields, values, strict=True):
            required = field in self._required
            if self._unusable_seen or required:  # (no cell is unusable until one has been)
                for row, v in enumerate(column):
                    if v is _UNUSABLE or (required and v is _ABSENT):
                        built[row] = False
            default = self._defaults.get(field)
            by_field[field] = [default if v is _ABSENT else v for v in column]
        for field in _LOCATED:
            default = self._defaults.get(field)
            by_field[field] = [default if p is None else p.get(field, default) for p in places]
        for field, default in self._defaults.items():
            by_field.setdefault(field, [default] * n)
        return built, by_field

    def _cells(
        self, columns: Mapping[str, Sequence[str]], n: int
    ) -> tuple[list[str], list[list[Any]], list[dict[str, Any] | None]]:
        """The fields given (address columns aside), their values row by row, and each
        row's located address fields (``None``: the address must be validated)."""
        fields = [c for c in columns if c not in LOCATION_COLUMNS]
        values = [list(map(self._values[c].__getitem__, columns[c])) for c in fields]
        blank = ("",) * n
        addresses = zip(*(columns.get(c, blank) for c in LOCATION_COLUMNS), strict=True)
        return fields, values, list(map(self._places.__getitem__, addresses))

    def _check(self, field: str) -> Callable[[Any], Any]:
        """Pydantic's check of a field's type and constraints (``ge``, ``min_length`` …)."""
        return _field_adapter(self.model, field).validator.validate_python

    def _column(self, column: str) -> _Memo[str, Any]:
        """A column's values by cell text (an empty cell: not given)."""
        if column not in CELL_PARSERS or column not in self.model.model_fields:
            memo = _Memo(self._unusable)
        else:
            parse, check = CELL_PARSERS[column], self._checks[column]

            def value(text: str) -> Any:
                try:
                    return check(parse(text))
                except Exception:  # of any kind: validation will report it
                    return self._unusable(text)

            memo = _Memo(value)
        memo[""] = _ABSENT
        return memo

    def _unusable(self, text: str) -> Any:
        self._unusable_seen = True
        return _UNUSABLE

    def _locate(self, address: tuple[str, ...]) -> dict[str, Any] | None:
        """The located fields of an address: the texts of the ``LOCATION_COLUMNS``."""
        given = {c: t for c, t in zip(LOCATION_COLUMNS, address, strict=True) if t}
        checks = self._checks
        try:
            return {k: checks[k](v) for k, v in locate_row(given).items()}
        except Exception:  # of any kind: validation will report it
            return None


def _defaults(model: type[PersonT]) -> dict[str, Any] | None:
    """Every field's default, in field order, for :meth:`RowBuilder.build_rows` to fill in.

    Required fields hold ``None`` until a row fills them in. There are no such defaults
    (``None``, and every row is validated) when one must not be shared (a mutable one, or
    one made by a factory), or when the model does more on construction than
    :func:`_assemble` does.
    """
    if (
        model.model_config.get("extra") == "allow"
        or model.__pydantic_root_model__
        or model.__private_attributes__
        or model.__pydantic_post_init__ is not None
    ):
        return None
    defaults: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            return None
        defaults[name] = None if info.is_required() else info.get_default()
        try:
            hash(defaults[name])
        except TypeError:
            return None
    return defaults


def _assemble(model: type[PersonT], values: dict[str, Any], fields_set: set[str]) -> PersonT:
    """A profile from values that have all been validated: what ``model_construct`` does
    for such a model (see :func:`_defaults`), without its work per field.

    ``model_construct`` and ``model_copy`` took 8–15 µs a profile, most of the time of
    reading a big roster after the cells were parsed; this takes about 1 µs.
    """
    person = model.__new__(model)
    object.__setattr__(person, "__dict__", values)
    object.__setattr__(person, "__pydantic_fields_set__", fields_set)
    object.__setattr__(person, "__pydantic_extra__", None)
    object.__setattr__(person, "__pydantic_private__", None)
    return person


@cache
def _field_adapter(model: type[Person], field: str) -> TypeAdapter[Any]:
    """A field's type and constraints (``ge``, ``min_length`` …) as pydantic checks them.

    Made once per field: a file of a few rows should not pay for building them again.
    """
    info = model.model_fields[field]  # KeyError for a column the model does not have
    return TypeAdapter(info.rebuild_annotation())


def area_of(person: Person, by: str) -> str:
    """The area a person counts in: their municipality, place or 4-digit postcode."""
    if by not in ("municipality", "place", "pc4"):
        raise ValueError("by must be 'municipality', 'place' or 'pc4'")
    value: str | None = getattr(person, by)
    return value or "(unknown)"


__all__ = [
    "CELL_PARSERS",
    "LOCATION_COLUMNS",
    "Local",
    "LocationError",
    "Newcomer",
    "Person",
    "RowBuilder",
    "area_of",
    "locate_row",
]
