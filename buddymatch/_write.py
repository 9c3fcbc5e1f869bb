"""matches.csv: one row per pair, then one row per newcomer left waiting (the contract)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

from buddymatch._csvout import write_csv
from buddymatch._result import MatchResult, Pair
from buddymatch._vocab import MODE_PHRASES
from buddymatch._weights import FEATURES

HEADER: tuple[str, ...] = (
    "newcomer_id",
    "local_id",
    "score",
    "probability",
    "language",
    "language_level",
    "dutch_practice",
    "travel_min",
    "travel_mode",
    "who_travels",
    "shared_interests",
    "common_slots",
    "pinned",
    "explored",
    *(f"contribution_{f}" for f in FEATURES),
    "reason",
)


def travel_words(p: Pair) -> str | None:
    """How the two meet, in words (``None`` if not known). Addresses are located per
    postcode area or place, so two people there are at one point: that is said, rather
    than "0 min on foot", which would read as a mistake."""
    if p.travel_min is None or not p.travel_mode:
        return None
    if p.travel_min == 0:
        return f"same postcode area or place, {MODE_PHRASES[p.travel_mode]}"
    return f"{p.travel_min:g} min {MODE_PHRASES[p.travel_mode]}"


def pair_reason(p: Pair) -> str:
    """A one-line summary of why a pair was made, in a coordinator's words."""
    parts = []
    if p.language:
        parts.append(f"both speak {p.language} ({p.language_level} or better)")
    if p.dutch_practice:
        parts.append("Dutch practice")
    travel = travel_words(p)
    if travel is not None:
        parts.append(travel if p.travel_min == 0 else f"{travel} ({p.who_travels} travels)")
    if p.shared_interests:
        parts.append("share " + ", ".join(p.shared_interests))
    parts.append(f"{p.common_slots} free slot(s) in common")
    if p.pinned:
        parts.append("pinned by the coordinator")
    if p.explored:
        parts.append("explored: a near-optimal alternative, to learn from")
    return "; ".join(parts)


# The columns that hold numbers with decimals (written with a decimal comma for Dutch Excel).
_DECIMAL_COLUMNS: Final = tuple(
    i
    for i, name in enumerate(HEADER)
    if name in ("score", "probability", "travel_min") or name.startswith("contribution_")
)


def match_rows(result: MatchResult, *, decimal_comma: bool = False) -> list[list[str]]:
    """The rows of matches.csv after its header: the pairs, then the newcomers waiting."""
    return list(_rows(result, decimal_comma))


def _rows(result: MatchResult, decimal_comma: bool = False) -> Iterator[list[str]]:
    """:func:`match_rows` one at a time: writing them never holds them all at once (at
    national scale they would be one of the largest things in memory)."""
    for p in result.pairs:
        row = _pair_row(p)
        if decimal_comma:
            for i in _DECIMAL_COLUMNS:
                row[i] = row[i].replace(".", ",")
        yield row
    blanks = [""] * (len(HEADER) - 2)
    for u in result.unmatched:
        yield [u.newcomer_id, *blanks, u.reason]


def _pair_row(p: Pair) -> list[str]:
    return [
        p.newcomer_id,
        p.local_id,
        f"{p.score:.3f}",
        "" if p.probability is None else f"{p.probability:.3f}",
        p.language or "",
        p.language_level or "",
        "yes" if p.dutch_practice else "no",
        "" if p.travel_min is None else f"{p.travel_min:g}",
        p.travel_mode or "",
        p.who_travels or "",
        "|".join(p.shared_interests),
        str(p.common_slots),
        "yes" if p.pinned else "no",
        "yes" if p.explored else "no",
        *[f"{p.contributions[f]:.3f}" for f in FEATURES],
        pair_reason(p),
    ]


def write_matches(result: MatchResult, path: str | Path, *, delimiter: str = ",") -> Path:
    """Write matches.csv. With ``delimiter=";"`` (what Dutch Excel writes, and opens with a
    double click) numbers get a decimal comma too: Dutch Excel reads ``1.235`` as one
    thousand two hundred and thirty-five. The command line writes in the dialect of the
    newcomers roster it was given."""
    path = Path(path)
    write_csv(path, list(HEADER), _rows(result, delimiter == ";"), delimiter=delimiter)
    return path
