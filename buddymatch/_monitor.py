"""Supply and demand per area: who is waiting where, why, and what would help most.

The "changes that would help" are not guessed: each candidate change (more volunteers
speaking a missing language, a village car or neighbourhood bus for an area's newcomers,
a longer travel limit) is applied to the rosters and the whole matching is solved again.
The gain is the exact difference in newcomers matched.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from buddymatch._geo import municipality_population
from buddymatch._match import match_prepared, prepare
from buddymatch._profiles import Local, Newcomer, Person, area_of
from buddymatch._result import MatchResult
from buddymatch._scenarios import rebuild_person
from buddymatch._vocab import MODE_WORDS, Level
from buddymatch._weights import Weights

AreaKind = Literal["municipality", "place", "pc4"]
URBAN_POPULATION = 100_000  # a municipality this large counts as urban
_REASON_WORDS = {
    "no_language": "no language given at the minimum level",
    "reach": "no local reachable within the travel limit by the newcomer's modes",
    "language": "no local within reach speaks their language",
    "time": "no common free time with locals who fit",
    "transport_runs": "transport does not run when they are both free",
    "gender": "gender preference",
    "forbidden": "only forbidden pairs",
    "not_worth": "every workable pair scores 0 or below",
    "taken": "all workable locals are paired with others (too few volunteers)",
}


@dataclass(frozen=True)
class Blocking:
    """One reason newcomers in an area wait, with how many it holds back."""

    code: str
    detail: str
    newcomers: int


@dataclass(frozen=True)
class AreaFigures:
    area: str
    urban: bool
    newcomers: int
    locals: int
    capacity: int
    matchable: int
    matched: int
    blocking: tuple[Blocking, ...]

    @property
    def capacity_per_newcomer(self) -> float | None:
        return round(self.capacity / self.newcomers, 2) if self.newcomers else None


@dataclass(frozen=True)
class Change:
    """A single change to the rosters and what re-solving says it gains."""

    description: str
    kind: str
    area: str
    added_matches: int


@dataclass(frozen=True)
class MonitorReport:
    by: AreaKind
    areas: tuple[AreaFigures, ...]
    changes: tuple[Change, ...]
    matched: int
    newcomers: int
    urban_share: float | None
    rural_share: float | None
    result: MatchResult = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "newcomers": self.newcomers,
            "matched": self.matched,
            "fairness": {
                "urban_matched_share": self.urban_share,
                "rural_matched_share": self.rural_share,
                "urban_population_threshold": URBAN_POPULATION,
            },
            "areas": [
                {
                    **{k: v for k, v in asdict(a).items() if k != "blocking"},
                    "capacity_per_newcomer": a.capacity_per_newcomer,
                    "blocking": [asdict(b) for b in a.blocking],
                }
                for a in self.areas
            ],
            "best_changes": [asdict(c) for c in self.changes],
        }


def _is_urban(person: Person) -> bool:
    return municipality_population().get(person.municipality or "", 0) >= URBAN_POPULATION


def _main_language(person: Newcomer, minimum: Level) -> str:
    usable = [
        (lvl, code)
        for code, lvl in person.languages.items()
        if lvl >= minimum and code not in ("nl", "en")
    ]
    if not usable:
        usable = [(lvl, code) for code, lvl in person.languages.items() if lvl >= minimum]
    return max(usable)[1] if usable else "-"


def _blocking(
    waiting: list[tuple[Newcomer, str]], locals_here: list[Local], weights: Weights
) -> tuple[Blocking, ...]:
    minimum = weights.rules.min_shared_level
    out: list[Blocking] = []
    by_code: dict[str, list[Newcomer]] = defaultdict(list)
    for person, code in waiting:
        by_code[code].append(person)
    for code, people in by_code.items():
        if code == "language":
            langs = Counter(_main_language(p, minimum) for p in people)
            for lang, n in langs.most_common():
                speakers = sum(1 for loc in locals_here if loc.languages.get(lang, 0) >= minimum)
                out.append(
                    Blocking(
                        code,
                        f"language {lang}: {n} newcomer(s) waiting, "
                        f"{speakers} local(s) here speak it",
                        n,
                    )
                )
        elif code == "transport_runs":
            limited = Counter(
                " or ".join(MODE_WORDS[m] for m in p.transport if weights.mode(m).runs != "all")
                or "their transport"
                for p in people
            )
            for modes, n in limited.most_common():
                out.append(
                    Blocking(
                        code, f"{modes} does not run when they and the locals who fit are free", n
                    )
                )
        else:
            out.append(Blocking(code, _REASON_WORDS.get(code, code), len(people)))
    return tuple(sorted(out, key=lambda b: (-b.newcomers, b.detail)))


Rosters = tuple[list[Newcomer], list[Local]]


def _candidate_changes(
    areas: Sequence[AreaFigures],
    waiting: dict[str, list[tuple[Newcomer, str]]],
    newcomers: list[Newcomer],
    locals_: list[Local],
    by: AreaKind,
    weights: Weights,
    max_areas: int,
) -> list[tuple[str, str, str, Callable[[], Rosters]]]:
    """Changes worth trying, from each area's blocking reasons (most waiting first)."""
    minimum = weights.rules.min_shared_level
    out: list[tuple[str, str, str, Callable[[], Rosters]]] = []
    ranked = sorted((a for a in areas if waiting.get(a.area)), key=lambda a: -len(waiting[a.area]))
    for figures in ranked[:max_areas]:
        area = figures.area
        people = waiting[area]
        langs = Counter(_main_language(p, minimum) for p, c in people if c == "language")
        codes = Counter(c for _, c in people)

        def add_locals(
            count: int, languages: str, tag: str, near: list[Newcomer]
        ) -> Callable[[], Rosters]:
            # New volunteers live where most of the newcomers they are meant for live.
            spot = Counter((p.lat, p.lon, p.pc4, p.place, p.municipality) for p in near)
            lat, lon, pc4, place, municipality = spot.most_common(1)[0][0]

            def build() -> Rosters:
                extra = [
                    Local(
                        id=f"monitor-{tag}-{i:03d}",
                        lat=lat,
                        lon=lon,
                        pc4=pc4,
                        place=place,
                        municipality=municipality,
                        languages=languages,
                        transport="bike|public_transport",
                    )
                    for i in range(1, count + 1)
                ]
                return newcomers, [*locals_, *extra]

            return build

        # As many new volunteers as newcomers held back (capacity 1 each), at most 20.
        for lang, n in langs.most_common(2):
            k = min(n, 20)
            out.append(
                (
                    f"+{k} local(s) speaking {lang} in {area}",
                    "add_locals",
                    area,
                    add_locals(
                        k,
                        f"{lang}:native|nl:native",
                        f"{lang}-{area}",
                        [
                            p
                            for p, c in people
                            if c == "language" and _main_language(p, minimum) == lang
                        ],
                    ),
                )
            )
        # Newcomers held back by distance, time or too few volunteers: volunteers living
        # where they live (the two places with most of them), speaking their language.
        held = [p for p, c in people if c in ("taken", "time", "reach", "transport_runs")]
        by_place = Counter(p.place or area for p in held)
        groups = [
            (place, [p for p in held if (p.place or area) == place])
            for place, _ in by_place.most_common(2)
        ]
        if len(by_place) > 1:
            groups.append((area, held))  # and for the whole area, at its busiest place
        for place, here in groups:
            n = len(here)
            k = min(n, 20)
            common = Counter(_main_language(p, minimum) for p in here).most_common(1)[0][0]
            extra_lang = common not in ("-", "nl", "en")
            languages = "nl:native|en:C1" + (f"|{common}:native" if extra_lang else "")
            if here is held and len(by_place) > 1:
                where = f"{area}, around {by_place.most_common(1)[0][0]}"
            else:
                where = place if place == area else f"{place} ({area})"
            speaking = f" speaking {common}" if extra_lang else ""
            out.append(
                (
                    f"+{k} local(s) living in {where}{speaking}, free at any time",
                    "add_locals",
                    area,
                    add_locals(k, languages, f"any-{place}", here),
                )
            )
        if codes.get("reach") or codes.get("transport_runs"):
            for mode in ("village_car", "neighbourhood_bus", "ebike"):

                def give(mode: str = mode, area: str = area) -> Rosters:
                    changed = [
                        rebuild_person(Newcomer, p, {"add_transport": mode})
                        if area_of(p, by) == area and mode not in p.transport
                        else p
                        for p in newcomers
                    ]
                    return changed, locals_

                out.append((f"{MODE_WORDS[mode]} for newcomers in {area}", "transport", area, give))

            def longer(area: str = area) -> Rosters:
                changed = [
                    rebuild_person(Newcomer, p, {"max_travel_min": p.max_travel_min + 15})
                    if area_of(p, by) == area
                    else p
                    for p in newcomers
                ]
                return changed, locals_

            out.append(
                (
                    f"15 min longer travel limit for newcomers in {area}",
                    "travel_limit",
                    area,
                    longer,
                )
            )
    return out


def monitor(
    newcomers: Sequence[Newcomer],
    locals_: Sequence[Local],
    *,
    weights: Weights | None = None,
    by: AreaKind = "municipality",
    solver: str = "auto",
    seed: int = 0,
    max_areas: int = 8,
    top: int = 10,
) -> MonitorReport:
    """Per area supply, demand and blocking reasons, plus the best single changes.

    Candidate changes are drawn from the ``max_areas`` areas with the most newcomers
    waiting; each is solved in full. The ``top`` changes by added matches are kept.
    """
    weights = weights or Weights.default()
    newcomers, locals_ = list(newcomers), list(locals_)
    base = prepare(newcomers, locals_, weights)
    result = match_prepared(base, weights=weights, solver=solver, seed=seed)
    matched_ids = {p.newcomer_id for p in result.pairs}
    codes = {u.newcomer_id: u.code for u in result.unmatched}
    waiting: dict[str, list[tuple[Newcomer, str]]] = defaultdict(list)
    for p in newcomers:
        if p.id in codes:
            waiting[area_of(p, by)].append((p, codes[p.id]))
    n_by = Counter(area_of(p, by) for p in newcomers)
    l_by: dict[str, list[Local]] = defaultdict(list)
    for loc in locals_:
        l_by[area_of(loc, by)].append(loc)
    urban_of: dict[str, bool] = {}
    for p in newcomers:
        urban_of.setdefault(area_of(p, by), _is_urban(p))
    matched_by = Counter(area_of(p, by) for p in newcomers if p.id in matched_ids)
    areas = []
    for area in sorted(set(n_by) | set(l_by)):
        not_matchable = sum(1 for _, c in waiting.get(area, []) if c != "taken")
        areas.append(
            AreaFigures(
                area=area,
                urban=urban_of.get(area, any(_is_urban(x) for x in l_by[area])),
                newcomers=n_by.get(area, 0),
                locals=len(l_by[area]),
                capacity=sum(x.capacity for x in l_by[area]),
                matchable=n_by.get(area, 0) - not_matchable,
                matched=matched_by.get(area, 0),
                blocking=_blocking(waiting.get(area, []), l_by[area], weights),
            )
        )
    changes = []
    for text, kind, area, build in _candidate_changes(
        areas, waiting, newcomers, locals_, by, weights, max_areas
    ):
        new_n, new_l = build()
        # Each change adds or edits a few people: their base's other pairs are taken over.
        changed = prepare(new_n, new_l, weights, reuse=base)
        after = match_prepared(changed, weights=weights, solver=solver, seed=seed).matched_count
        changes.append(Change(text, kind, area, after - result.matched_count))
    changes.sort(key=lambda c: (-c.added_matches, c.description))

    def share(urban: bool) -> float | None:
        group = [p for p in newcomers if _is_urban(p) == urban]
        return round(sum(p.id in matched_ids for p in group) / len(group), 4) if group else None

    return MonitorReport(
        by=by,
        areas=tuple(areas),
        changes=tuple(c for c in changes[:top] if c.added_matches > 0),
        matched=result.matched_count,
        newcomers=len(newcomers),
        urban_share=share(True),
        rural_share=share(False),
        result=result,
    )
