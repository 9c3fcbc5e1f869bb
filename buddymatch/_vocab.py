"""The words a roster may use, and how they are parsed from one cell.

Each ``parse_*`` function takes the text of one cell and returns a canonical value, or
raises :class:`CellError` saying what was wrong and what was expected. The same parsers
serve the file readers and the pydantic models, so a value means the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import IntEnum
from functools import cache, lru_cache, reduce
from importlib import resources
from operator import or_
from typing import Final, Literal


class CellError(ValueError):
    """A cell whose text cannot be read; ``expected`` says what would be accepted."""

    def __init__(self, message: str, expected: str) -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected


class Level(IntEnum):
    """CEFR level of a language, with ``native`` above C2."""

    A1 = 1
    A2 = 2
    B1 = 3
    B2 = 4
    C1 = 5
    C2 = 6
    NATIVE = 7

    @property
    def label(self) -> str:
        return "native" if self is Level.NATIVE else self.name


LEVEL_NAMES: Final = {lvl.label.lower(): lvl for lvl in Level} | {"moedertaal": Level.NATIVE}
DEFAULT_LEVEL: Final = Level.B1

# Individual languages written for their macrolanguage's ISO 639-1 code: what "ar", "fa",
# "ps", "zh" and "sw" mean in practice (Standard Arabic, Iranian Persian, Southern Pashto,
# Mandarin, Swahili). The standard synonyms (ara → ar, dut → nl) come from the shipped ISO
# 639 table, ``data/iso639.txt`` (fixtures/build_languages.py).
_INDIVIDUAL_AS_MACRO: Final = {"pes": "fa", "pbt": "ps", "arb": "ar", "cmn": "zh", "swh": "sw"}
_LANG_CODE = re.compile(r"^[a-z]{2,3}$")

DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS: Final = ("morning", "afternoon", "evening")
SLOTS: Final = tuple(f"{d}-{p}" for d in DAYS for p in PARTS)
SLOT_BIT: Final = {s: 1 << i for i, s in enumerate(SLOTS)}
ALL_SLOTS_MASK: Final = (1 << len(SLOTS)) - 1
_DAY_ALIASES: Final = {
    "ma": "mon",
    "di": "tue",
    "wo": "wed",
    "do": "thu",
    "vr": "fri",
    "za": "sat",
    "zo": "sun",
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}
_PART_ALIASES: Final = {"ochtend": "morning", "middag": "afternoon", "avond": "evening"}

Mode = Literal[
    "walk", "bike", "ebike", "public_transport", "car", "village_car", "neighbourhood_bus"
]
MODES: Final[tuple[Mode, ...]] = (
    "walk",
    "bike",
    "ebike",
    "public_transport",
    "car",
    "village_car",
    "neighbourhood_bus",
)
MODE_BIT: Final = {m: 1 << i for i, m in enumerate(MODES)}
_MODE_ALIASES: Final[dict[str, Mode]] = {
    "lopen": "walk",
    "fiets": "bike",
    "e-bike": "ebike",
    "e_bike": "ebike",
    "ov": "public_transport",
    "openbaar_vervoer": "public_transport",
    "auto": "car",
    "dorpsauto": "village_car",
    "buurtbus": "neighbourhood_bus",
}
MODE_WORDS: Final[dict[str, str]] = {
    "walk": "on foot",
    "bike": "bike",
    "ebike": "e-bike",
    "public_transport": "public transport",
    "car": "car",
    "village_car": "village car",
    "neighbourhood_bus": "neighbourhood bus",
}
# "30 min on foot", "30 min by bike"
MODE_PHRASES: Final[dict[str, str]] = {
    m: w if m == "walk" else f"by {w}" for m, w in MODE_WORDS.items()
}
DEFAULT_MODES: Final[tuple[Mode, ...]] = ("walk", "public_transport")

Gender = Literal["f", "m", "x"]
_GENDER_ALIASES: Final[dict[str, Gender]] = {
    "v": "f",
    "vrouw": "f",
    "man": "m",
    "female": "f",
    "male": "m",
}
_TRUE: Final = {"yes", "true", "ja", "1", "y", "j", "waar"}
_FALSE: Final = {"no", "false", "nee", "0", "n", "onwaar"}


def split_list(text: str) -> list[str]:
    """Items of a list cell: ``|``-separated, and ``,`` accepted too (as in a ``;`` file)."""
    # str methods, not re.split: this runs for every list cell of every roster row.
    return list(filter(None, map(str.strip, text.replace(",", "|").split("|"))))


def canonical_language(code: str) -> str:
    """A language code as one language is always written: its ISO 639-1 code if it has
    one (``ara``, ``dut`` → ``ar``, ``nl``), else its ISO 639-3 code (``prs``, ``kmr``)."""
    code = code.strip().lower()
    same = _INDIVIDUAL_AS_MACRO.get(code) or (
        _iso639().get(code) if _LANG_CODE.match(code) else None
    )
    if same is None:
        raise CellError(
            f"'{code}' is not a language code",
            "an ISO 639-1 or 639-3 code such as ar, ti, fa, prs, uk, so, nl, en",
        )
    return same


@cache
def _iso639() -> dict[str, str]:
    """Every ISO 639-1, 639-2/B and 639-3 code → the code that names its language."""
    text = (resources.files("buddymatch") / "data" / "iso639.txt").read_text("utf-8")
    table = {}
    for line in text.splitlines():
        code, _, same = line.partition(" ")
        table[code] = same or code
    return table


def parse_languages(text: str) -> dict[str, Level]:
    """``ar:native|nl:A2|en`` → ``{"ar": NATIVE, "nl": A2, "en": B1}`` (best level kept)."""
    return dict(_parse_languages(text))


# Roster cells repeat a lot (the same language, slot and transport lists row after row):
# the parsers below are pure, so their answers are cached. Errors are not cached.
@lru_cache(maxsize=65536)
def _parse_languages(text: str) -> tuple[tuple[str, Level], ...]:
    out: dict[str, Level] = {}
    for item in split_list(text):
        code, _, level_text = item.partition(":")
        lang = canonical_language(code)
        level_key = level_text.strip().lower()
        if not level_key:
            level = DEFAULT_LEVEL
        elif level_key in LEVEL_NAMES:
            level = LEVEL_NAMES[level_key]
        else:
            raise CellError(
                f"'{level_text.strip()}' is not a language level (in '{item}')",
                "A1, A2, B1, B2, C1, C2 or native, written like ar:native|nl:A2",
            )
        out[lang] = max(out.get(lang, level), level)
    if not out:
        raise CellError("no language given", "at least one language, e.g. ar:native|nl:A2")
    return tuple(out.items())


@lru_cache(maxsize=65536)
def parse_interests(text: str) -> tuple[str, ...]:
    return tuple(sorted(set(map(_interest_tag, split_list(text)))))


@lru_cache(maxsize=4096)
def _interest_tag(item: str) -> str:
    """``Walking  Tours`` → ``walking_tours`` (tags repeat far more than whole cells)."""
    return re.sub(r"\s+", "_", item.lower())


@lru_cache(maxsize=65536)
def parse_availability(text: str) -> int:
    """Slots like ``sat-morning|sun`` → bitmask over the 21 weekly slots (bare day = all)."""
    mask = reduce(or_, map(_slot_mask, split_list(text)), 0)
    if mask == 0:
        raise CellError("no time slot given", "slots like sat-morning|sun")
    return mask


# Whole availability cells are mostly unique, but their items are a few dozen words.
@lru_cache(maxsize=4096)
def _slot_mask(item: str) -> int:
    """One item of an availability cell as slot bits (a bare day is all three parts)."""
    day, _, part = item.lower().replace(" ", "-").replace("_", "-").partition("-")
    day = _DAY_ALIASES.get(day, day)
    part = _PART_ALIASES.get(part, part)
    if day not in DAYS or (part and part not in PARTS):
        raise CellError(
            f"'{item}' is not a time slot",
            "slots like mon-morning, sat-afternoon or sun-evening, or a bare day "
            "like sat (days mon…sun, parts morning, afternoon, evening)",
        )
    mask = 0
    for p in (part,) if part else PARTS:
        mask |= SLOT_BIT[f"{day}-{p}"]
    return mask


# The slot names of every 7-bit part of a mask (three parts cover the 21 slots): most
# availability cells are different, so slot_names is worked out for most rows.
_SLOT_PARTS: Final = tuple(
    tuple(tuple(s for i, s in enumerate(SLOTS[k : k + 7]) if bits >> i & 1) for bits in range(128))
    for k in (0, 7, 14)
)


@lru_cache(maxsize=65536)
def slot_names(mask: int) -> tuple[str, ...]:
    low, mid, high = _SLOT_PARTS
    return low[mask & 127] + mid[mask >> 7 & 127] + high[mask >> 14 & 127]


def slots_mask(names: Iterable[str]) -> int:
    """The bitmask of slots given by name: what :func:`slot_names` turns back into names."""
    return sum(SLOT_BIT[s] for s in names)


def modes_mask(modes: Iterable[Mode]) -> int:
    """The bitmask of travel modes given by name."""
    return sum(MODE_BIT[m] for m in modes)


@lru_cache(maxsize=65536)
def parse_transport(text: str) -> tuple[Mode, ...]:
    modes: set[Mode] = set()
    for item in split_list(text):
        key = item.lower().replace(" ", "_")
        mode = _MODE_ALIASES.get(key, key)
        if mode not in MODE_BIT:
            raise CellError(
                f"'{item}' is not a way of travelling",
                "walk, bike, ebike, public_transport, car, village_car or neighbourhood_bus",
            )
        modes.add(mode)
    if not modes:
        raise CellError("no way of travelling given", "e.g. bike|public_transport")
    return tuple(m for m in MODES if m in modes)


@lru_cache(maxsize=65536)
def parse_whole(text: str, *, minimum: int, what: str) -> int:
    cleaned = text.strip()
    if re.fullmatch(r"[+]?\d+([.,]0+)?", cleaned):
        value = int(re.split(r"[.,]", cleaned.lstrip("+"))[0])
        if value >= minimum:
            return value
    raise CellError(
        f"not a whole number of {minimum} or more", f"{what}, a whole number ≥ {minimum}"
    )


@lru_cache(maxsize=65536)
def parse_bool(text: str) -> bool:
    key = text.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError("not yes or no", "yes/no, true/false, ja/nee or 1/0")


@lru_cache(maxsize=65536)
def parse_gender(text: str) -> Gender:
    key = text.strip().lower()
    key = _GENDER_ALIASES.get(key, key)
    if key in ("f", "m", "x"):
        return key  # type: ignore[return-value]
    raise CellError("not a gender code", "f, m or x")


_GENDER_PREFERENCE_WORDS: Final = {
    "same": "same",
    "any": "any",
    "zelfde": "same",
    "zelfde_geslacht": "same",
    "geen": "any",
    "geen_voorkeur": "any",
    "maakt_niet_uit": "any",
}


@lru_cache(maxsize=65536)
def parse_gender_preference(text: str) -> Literal["same", "any"]:
    """``same`` or ``any``, also as a coordinator writes it in Dutch (``maakt niet uit``)."""
    key = re.sub(r"[\s\-_]+", "_", text.strip().lower())
    found = _GENDER_PREFERENCE_WORDS.get(key)
    if found == "same":
        return "same"
    if found == "any":
        return "any"
    raise CellError("not a gender preference", "same or any (zelfde, maakt niet uit)")


def parse_decimal(text: str, *, what: str) -> float:
    """A decimal number; Dutch Excel's decimal comma is accepted."""
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        raise CellError("not a number", f"{what} as a decimal number, e.g. 51.92") from None
