"""The figures a programme lead compares between a base and its what-if scenarios."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from buddymatch._profiles import Newcomer, area_of
from buddymatch._result import MatchResult


@dataclass(frozen=True)
class AreaShare:
    newcomers: int
    matched: int

    @property
    def share(self) -> float:
        return self.matched / self.newcomers if self.newcomers else 0.0


@dataclass(frozen=True)
class Figures:
    """One matching run, summed up; ``changed_partner`` compares it with its base."""

    name: str
    newcomers: int
    locals: int
    matched: int
    expected_met_twice: float | None
    mean_travel_min: float | None
    worst_travel_min: float | None
    by_area: dict[str, AreaShare]
    unmatched_by_reason: dict[str, int]
    changed_partner: int | None = None
    changes: tuple[str, ...] = ()

    @property
    def share(self) -> float:
        return self.matched / self.newcomers if self.newcomers else 0.0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["share"] = round(self.share, 4)
        out["by_area"] = {
            a: {"newcomers": s.newcomers, "matched": s.matched, "share": round(s.share, 4)}
            for a, s in sorted(self.by_area.items())
        }
        out["changes"] = list(self.changes)
        return out


def figures(
    name: str,
    result: MatchResult,
    newcomers: Sequence[Newcomer],
    *,
    base: MatchResult | None = None,
    changes: Sequence[str] = (),
) -> Figures:
    area = {n.id: area_of(n, "municipality") for n in newcomers}
    total = Counter(area.values())
    matched = Counter(area[p.newcomer_id] for p in result.pairs)
    travel = [p.travel_min for p in result.pairs if p.travel_min is not None]
    changed = None
    if base is not None:
        now = {p.newcomer_id: p.local_id for p in result.pairs}
        changed = sum(
            1 for p in base.pairs if p.newcomer_id in area and now.get(p.newcomer_id) != p.local_id
        )
    return Figures(
        name=name,
        newcomers=result.n_newcomers,
        locals=result.n_locals,
        matched=result.matched_count,
        expected_met_twice=result.expected_met_twice,
        mean_travel_min=round(sum(travel) / len(travel), 1) if travel else None,
        worst_travel_min=max(travel) if travel else None,
        by_area={a: AreaShare(total[a], matched.get(a, 0)) for a in sorted(total)},
        unmatched_by_reason=dict(sorted(Counter(u.code for u in result.unmatched).items())),
        changed_partner=changed,
        changes=tuple(changes),
    )


def deltas(base: Figures, other: Figures) -> dict[str, float | None]:
    """Differences that matter to a lead: more matched, more meeting twice, travel."""

    def diff(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(b - a, 3)

    return {
        "matched": other.matched - base.matched,
        "share": round(other.share - base.share, 4),
        "expected_met_twice": diff(base.expected_met_twice, other.expected_met_twice),
        "mean_travel_min": diff(base.mean_travel_min, other.mean_travel_min),
        "worst_travel_min": diff(base.worst_travel_min, other.worst_travel_min),
    }
