"""Newcomer and local profiles: the typed form of one roster row.

Models accept either parsed values or the raw text of a roster cell (the same parsers as
the file readers), so ``Newcomer(id="N1", postcode="4021", languages="ar:native|nl:A2")``
works in code as it does from a CSV file. Personal fields (name, gender, age) are kept out
of ``repr`` so they do not end up in logs by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
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
)

CELL_ERROR = "buddymatch_cell"


def _cell(parse: Callable[[str], Any], value: Any) -> Any:
    """Run a cell parser on text input, turning its error into a located pydantic error."""
    if not isinstance(value, str):
        return value
    try:
        return parse(value)
    except CellError as exc:
        raise PydanticCustomError(CELL_ERROR, exc.message, {"expected": exc.expected}) from None


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

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    name: str | None = Field(default=None, repr=False)
    lat: float
    lon: float
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
        return _cell(parse_languages, v)

    @field_validator("interests", mode="before")
    @classmethod
    def _interests(cls, v: Any) -> Any:
        return _cell(parse_interests, v)

    @field_validator("availability", mode="before")
    @classmethod
    def _availability(cls, v: Any) -> Any:
        if isinstance(v, str):
            return slot_names(_cell(parse_availability, v))
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
        return _cell(parse_transport, v)

    @field_validator("max_travel_min", mode="before")
    @classmethod
    def _minutes(cls, v: Any) -> Any:
        return _cell(lambda t: parse_whole(t, minimum=1, what="minutes one way"), v)

    @field_validator("household_size", mode="before")
    @classmethod
    def _household(cls, v: Any) -> Any:
        return _cell(lambda t: parse_whole(t, minimum=1, what="people in the household"), v)

    @field_validator("age", mode="before")
    @classmethod
    def _age(cls, v: Any) -> Any:
        return _cell(lambda t: parse_whole(t, minimum=0, what="age in years"), v)

    @field_validator("gender", mode="before")
    @classmethod
    def _gender(cls, v: Any) -> Any:
        return _cell(parse_gender, v)

    @field_validator("gender_preference", mode="before")
    @classmethod
    def _gender_preference(cls, v: Any) -> Any:
        return _cell(parse_gender_preference, v)

    @field_validator("wants_dutch_practice", mode="before")
    @classmethod
    def _dutch(cls, v: Any) -> Any:
        return _cell(parse_bool, v)

    @property
    def availability_mask(self) -> int:
        return sum(SLOT_BIT[s] for s in self.availability) if self.availability else 0


class Newcomer(Person):
    """A newcomer (or a household that wants one buddy)."""


class Local(Person):
    """A local volunteer buddy, who may take more than one newcomer."""

    capacity: int = Field(default=1, ge=1)

    @field_validator("capacity", mode="before")
    @classmethod
    def _capacity(cls, v: Any) -> Any:
        return _cell(lambda t: parse_whole(t, minimum=1, what="how many newcomers"), v)


def area_of(person: Person, by: str) -> str:
    """The area a person counts in: their municipality, place or 4-digit postcode."""
    if by not in ("municipality", "place", "pc4"):
        raise ValueError("by must be 'municipality', 'place' or 'pc4'")
    value: str | None = getattr(person, by)
    return value or "(unknown)"


__all__ = ["Local", "LocationError", "Newcomer", "Person", "area_of", "locate_row"]
