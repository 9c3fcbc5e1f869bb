"""Where people live: Dutch postcode, place name or coordinates → a located point.

Backed by the compact tables in ``buddymatch/data`` (CBS and GeoNames, CC BY 4.0; see
``GEO_ATTRIBUTION.md``). Tables load once, on first use.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from operator import itemgetter
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # numpy loads on first use: a roster of postcodes is read without it
    import numpy as np
    from numpy.typing import NDArray

from buddymatch._vocab import CellError

EARTH_RADIUS_KM = 6371.0088
# Generous box around the European Netherlands, to catch swapped or foreign coordinates.
_LAT_RANGE = (50.6, 53.7)
_LON_RANGE = (3.2, 7.3)
# Within the box, a point farther than this from every postcode area's centre is not in the
# Netherlands (Antwerp is 17 km from the nearest, Düsseldorf 42, the North Sea off Den
# Helder 82). Dutch towns and villages (GeoNames) lie at most 8.7 km from one (Oost-Vlieland).
# Towns just across the border (Aachen, Kleve: 6–7 km) cannot be told apart by centres alone.
_MAX_KM_FROM_A_POSTCODE_AREA = 12.0
_PC = re.compile(r"^([1-9][0-9]{3})\s*([A-Za-z]{2})?$")
# Chords (on the unit sphere) closer than this, about 6 m, are too close to call without
# haversine_km; computing them is off by less than 1e-7.
_CLEAR_CHORD = 1e-6


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float
    pc4: str | None
    place: str | None
    municipality: str | None


@dataclass(frozen=True)
class _Tables:
    pc4: dict[str, Location]
    pc4_codes: tuple[str, ...]
    pc4_coords: NDArray[np.float64]
    pc4_unit: NDArray[np.float64]  # the areas' centres as unit vectors (x, y, z)


# Apostrophes (Excel types ’) and dots are dropped; hyphens and brackets are spaces.
_DROPPED: Final = str.maketrans(dict.fromkeys("'\u2019\u2018`."))
_SPACES: Final = str.maketrans(dict.fromkeys("-()", " "))


def _fold(name: str) -> str:
    """A place name as looked up: no accents, apostrophes, dots or case; spaces, hyphens and
    brackets all one space; "Sint" as "St". So the register's ``'s-Gravendeel``, ``Bergen
    (NH)`` and ``St.-Jacobiparochie`` are also found as typed: ``s Gravendeel``, ``Bergen
    NH``, ``Sint Jacobiparochie``."""
    name = name.translate(_DROPPED)
    if not name.isascii():  # most names are; for them the accent folding changes nothing
        name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    name = " ".join(name.lower().translate(_SPACES).split())
    return "st " + name[5:] if name.startswith("sint ") else name


def _data_rows(name: str, *columns: str) -> Iterator[tuple[str, ...]]:
    """The given columns of a bundled table's rows (positions, not a dict per row: the
    tables are read by every process that locates an address)."""
    text = (resources.files("buddymatch") / "data" / name).read_text("utf-8")
    rows = csv.reader(io.StringIO(text))
    header = next(rows)
    return map(itemgetter(*(header.index(c) for c in columns)), rows)


@cache
def _pc4() -> dict[str, Location]:
    """The postcode areas by their four digits: what nearly every roster row is located by."""
    return {
        pc4: Location(float(lat), float(lon), pc4, place, municipality)
        for pc4, lat, lon, place, municipality in _data_rows(
            "nl_pc4.csv", "pc4", "lat", "lon", "place", "municipality"
        )
    }


@cache
def _tables() -> _Tables:
    """The postcode areas with their centres as arrays, for locating coordinates."""
    import numpy as np

    pc4 = _pc4()
    codes = tuple(sorted(pc4))
    coords = np.radians(np.array([[pc4[c].lat, pc4[c].lon] for c in codes]))
    unit = _unit_vectors(coords[:, 0], coords[:, 1])
    return _Tables(pc4, codes, coords, unit)


def load_tables() -> None:
    """Load the postcode areas now rather than for the first row located (before forking a
    reader, so that both processes have them)."""
    _tables()


@cache
def _places() -> dict[str, Location]:
    """Places by folded name, loaded only when a row has a place and no postcode.

    GeoNames' towns, villages and districts and the municipalities, plus every place name
    of the official register as CBS gives it per postcode area (``Haren Gn``, ``Hoogvliet
    Rotterdam``, ``'s-Gravendeel``: what address systems export), located at its most
    populous postcode area where GeoNames does not know the name. Every place has a
    postcode area (a municipality: the one nearest its point, chosen when the table is
    built by ``fixtures/build_geo.py``).
    """
    best: dict[str, tuple[int, Location]] = {}
    rank = {"ADM2": 3, "PPLA": 2, "PPLA2": 2, "PPLC": 2, "PPLG": 2, "PPL": 1}
    columns = ("name", "lat", "lon", "pc4", "municipality", "population", "kind")
    for name, lat, lon, pc4, municipality, population, kind in _data_rows(
        "nl_places.csv", *columns
    ):
        key = _fold(name)
        # Prefer the municipality, then seats of government, then the most populous place.
        score = rank.get(kind, 0) * 10**9 + int(population or 0)
        if key not in best or score > best[key][0]:
            best[key] = (score, Location(float(lat), float(lon), pc4 or None, name, municipality))
    places = {k: v for k, (_, v) in best.items()}
    for spoken, official in _SPOKEN_NAMES.items():
        places.setdefault(_fold(spoken), places[_fold(official)])
    registered: dict[str, tuple[int, Location]] = {}
    area_columns = ("pc4", "lat", "lon", "place", "municipality", "population")
    for pc4, lat, lon, place, municipality, population in _data_rows("nl_pc4.csv", *area_columns):
        key, people = _fold(place), int(population or 0)
        if key not in places and (key not in registered or people > registered[key][0]):
            registered[key] = (people, Location(float(lat), float(lon), pc4, place, municipality))
    places.update((k, v) for k, (_, v) in registered.items())
    return places


# Names everyone uses for two cities whose official names the table holds.
_SPOKEN_NAMES: Final = {"Den Haag": "'s-Gravenhage", "Den Bosch": "'s-Hertogenbosch"}


def _unit_vectors(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
    """Points given in radians as unit vectors, one row per point."""
    import numpy as np

    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


@lru_cache(maxsize=65536)  # each postcode is normalised twice: by locate_row, then here
def normalise_postcode(text: str) -> str:
    """``3071 ab`` → ``3071AB``; ``3071`` stays ``3071``; anything else is a CellError."""
    m = _PC.match(text.strip())
    if m and m.group(2) and m.group(2).upper() in ("SA", "SD", "SS"):
        raise CellError(
            "not a Dutch postcode: the letters SA, SD and SS are never used in postcodes",
            "the postcode as the post office writes it, or its 4 digits alone",
        )
    if not m:
        raise CellError("not a Dutch postcode", "a Dutch postcode such as 3071, 3071AB or 3071 AB")
    return m.group(1) + (m.group(2) or "").upper()


def locate_postcode(text: str) -> Location:
    code = normalise_postcode(text)
    loc = _pc4().get(code[:4])
    if loc is None:
        raise CellError(
            f"postcode area {code[:4]} is not known",
            "a Dutch postcode that exists (4 digits, optionally 2 letters)",
        )
    return loc


def locate_place(text: str) -> Location:
    loc = _places().get(_fold(text))
    if loc is None:
        raise CellError(
            "this town or village is not known",
            "a Dutch town, village or municipality name, e.g. Tiel or Maurik",
        )
    return loc


def locate_point(lat: float, lon: float) -> Location:
    """A coordinate in the Netherlands, tagged with the nearest postcode area's names."""
    if not (_LAT_RANGE[0] <= lat <= _LAT_RANGE[1] and _LON_RANGE[0] <= lon <= _LON_RANGE[1]):
        raise CellError(
            "this point is not in the Netherlands",
            "latitude 50.7–53.6 and longitude 3.3–7.3 (decimal degrees, WGS84)",
        )
    t = _tables()
    nearest, away = _nearest_pc4(lat, lon)
    near = t.pc4[t.pc4_codes[nearest]]
    if away > _MAX_KM_FROM_A_POSTCODE_AREA:
        raise CellError(
            f"this point is not in the Netherlands: the nearest Dutch postcode area is "
            f"{away:.0f} km away",
            "a point in the Netherlands (decimal degrees, WGS84), or a postcode or place",
        )
    return Location(lat, lon, near.pc4, near.place, near.municipality)


def _nearest_pc4(lat: float, lon: float) -> tuple[int, float]:
    """The index of the nearest postcode area's centre (the argmin of haversine_km) and how
    far it is in km (from the angle between the two, to well under a metre).

    Measuring every centre with haversine_km took most of the time of reading a roster with
    coordinates. The chord through the earth grows with the great-circle distance, and one
    matrix product gives all chords; only when the two nearest are too close to call are
    all centres measured with haversine_km, so the answer is always haversine_km's.
    """
    import numpy as np

    t = _tables()
    rlat, rlon = math.radians(lat), math.radians(lon)
    point = (math.cos(rlat) * math.cos(rlon), math.cos(rlat) * math.sin(rlon), math.sin(rlat))
    cosines = t.pc4_unit @ np.array(point)
    first = int(cosines.argmax())
    nearest = float(cosines[first])
    cosines[first] = -np.inf
    runner_up = float(cosines.max())
    if _chord(runner_up) - _chord(nearest) > _CLEAR_CHORD:
        return first, EARTH_RADIUS_KM * math.acos(min(nearest, 1.0))
    d = haversine_km(np.radians(lat), np.radians(lon), t.pc4_coords[:, 0], t.pc4_coords[:, 1])
    at = int(np.argmin(d))
    return at, float(d[at])


def _chord(cosine: float) -> float:
    """The chord between two points on the unit sphere, from the cosine of their angle."""
    return math.sqrt(max(2.0 - 2.0 * cosine, 0.0))


def haversine_km(
    lat1: NDArray[np.float64] | float,
    lon1: NDArray[np.float64] | float,
    lat2: NDArray[np.float64] | float,
    lon2: NDArray[np.float64] | float,
) -> NDArray[np.float64]:
    """Great-circle distance in km between points given in radians (vectorised)."""
    import numpy as np

    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


@cache
def municipality_population() -> dict[str, int]:
    """Inhabitants per municipality (CBS 2021, summed over its postcode areas)."""
    return {
        municipality: int(population or 0)
        for municipality, population, kind in _data_rows(
            "nl_places.csv", "municipality", "population", "kind"
        )
        if kind == "ADM2"
    }
