"""HTML reports for programme leads: what-if comparisons and the supply/demand monitor.

Built from the same offline building blocks as the match report (``_report``): inline SVG,
no scripts, nothing fetched. People appear by roster id; names never (these reports are
about areas and numbers, not persons).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from html import escape as _esc
from pathlib import Path

from buddymatch._compare import Figures, deltas, figures
from buddymatch._monitor import MonitorReport
from buddymatch._profiles import Local, Newcomer
from buddymatch._report import (
    REASON_LABELS,
    figure,
    headline,
    html_page,
    html_table,
    section,
    svg_bar_chart,
    svg_map,
)
from buddymatch._result import MatchResult
from buddymatch._scenarios import ScenarioRun

_FOOTER = "Made by buddymatch. People are shown by roster id only. This file works offline."


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def region_map(
    result: MatchResult, newcomers: Sequence[Newcomer], locals_: Sequence[Local], title: str
) -> str:
    """Pairs, waiting newcomers and volunteers on a map drawn from their coordinates."""
    nc = {n.id: n for n in newcomers}
    lc = {loc.id: loc for loc in locals_}
    matched = {p.newcomer_id for p in result.pairs}
    points = [(loc.lat, loc.lon, "local", loc.id) for loc in locals_]
    points += [(n.lat, n.lon, "matched" if n.id in matched else "waiting", n.id) for n in newcomers]
    lines = [
        ((nc[p.newcomer_id].lat, nc[p.newcomer_id].lon), (lc[p.local_id].lat, lc[p.local_id].lon))
        for p in result.pairs
        if p.newcomer_id in nc and p.local_id in lc
    ]
    return svg_map(points, lines, title=title)


def whatif_report(
    bases: dict[tuple[Path, Path, Path | None], ScenarioRun], runs: Sequence[ScenarioRun]
) -> str:
    base_figs = {k: figures("base", b.result, b.newcomers) for k, b in bases.items()}
    label = {k: "base" if len(bases) == 1 else f"base {i + 1}" for i, k in enumerate(bases)}
    rows: list[tuple[str, Figures, ScenarioRun]] = []
    for i, run in enumerate(runs, start=1):
        base = bases[run.base_key]
        rows.append(
            (
                f"{i}. {run.name}",
                figures(run.name, run.result, run.newcomers, base=base.result, changes=run.changes),
                run,
            )
        )
    everyone = [(label[k], f) for k, f in base_figs.items()] + [(n, f) for n, f, _ in rows]

    def row(name: str, f: Figures, delta: str) -> list[str | int | float]:
        return [
            name,
            f.matched,
            _pct(f.share),
            delta,
            "-" if f.expected_met_twice is None else f"{f.expected_met_twice:.1f}",
            "-" if f.mean_travel_min is None else f.mean_travel_min,
            "-" if f.worst_travel_min is None else f.worst_travel_min,
            "" if f.changed_partner is None else f.changed_partner,
        ]

    table_rows = [row(label[k], f, "") for k, f in base_figs.items()]
    table_rows += [
        row(n, f, f"{deltas(base_figs[r.base_key], f)['matched']:+}") for n, f, r in rows
    ]
    table = html_table(
        [
            "scenario",
            "matched",
            "share",
            "Δ matched",
            "meet twice (expected)",
            "mean travel (min)",
            "worst travel (min)",
            "changed partner",
        ],
        table_rows,
        caption="Each scenario against its base",
        numeric=(1, 3, 4, 5, 6, 7),
    )
    matched_chart = svg_bar_chart(
        [n for n, _ in everyone],
        [f.matched for _, f in everyone],
        title="Newcomers matched",
        unit="newcomers",
    )
    areas = sorted({a for _, f in everyone for a in f.by_area})
    area_chart = svg_bar_chart(
        areas,
        {
            n: [round(100 * f.by_area[a].share) if a in f.by_area else 0 for a in areas]
            for n, f in everyone[:6]
        },
        title="Share of newcomers matched per area",
        unit="%",
    )
    reasons = sorted({r for _, f in everyone for r in f.unmatched_by_reason})
    reason_chart = svg_bar_chart(
        [REASON_LABELS.get(r, r) for r in reasons],
        {n: [f.unmatched_by_reason.get(r, 0) for r in reasons] for n, f in everyone[:6]},
        title="Newcomers waiting, by reason",
        unit="newcomers",
    )
    changes = "".join(
        f"<h3>{_esc(name)}</h3><ul>{''.join(f'<li>{_esc(c)}</li>' for c in f.changes)}</ul>"
        for name, f, _ in rows
    )
    maps = [
        figure(
            region_map(r.result, r.newcomers, r.locals, title=name),
            f"{name}: volunteers, matched and waiting newcomers, a line per pair.",
        )
        for name, _, r in rows[:4]
    ]
    sections = [
        section(
            "Comparison",
            headline([(f"{f.matched}/{f.newcomers}", n) for n, f in everyone[:6]]),
            table,
        ),
        section(
            "Pictures",
            figure(matched_chart, "Newcomers matched in each run."),
            figure(area_chart, "Share of each area's newcomers who have a buddy."),
            figure(reason_chart, "Why newcomers still wait, per run."),
        ),
        section("What each scenario changes", changes),
        section(
            "Maps", *maps, intro="The first four scenarios, drawn from the people's coordinates."
        ),
    ]
    return html_page(
        "What-if comparison",
        sections,
        lead=f"{len(runs)} scenario(s) against {len(bases)} base(s).",
        footer=_FOOTER,
    )


def monitor_report(
    report: MonitorReport, newcomers: Sequence[Newcomer], locals_: Sequence[Local]
) -> str:
    areas = sorted(report.areas, key=lambda a: (-(a.newcomers - a.matched), a.area))
    supply = svg_bar_chart(
        [a.area for a in areas],
        {
            "newcomers": [a.newcomers for a in areas],
            "room with locals": [a.capacity for a in areas],
            "matched": [a.matched for a in areas],
        },
        title=f"Supply and demand by {report.by}",
        unit="people",
    )
    best = svg_bar_chart(
        [c.description for c in report.changes],
        [c.added_matches for c in report.changes],
        title="Extra newcomers matched by a single change",
        unit="newcomers",
    )
    table = html_table(
        [
            "area",
            "kind",
            "newcomers",
            "locals",
            "room",
            "room per newcomer",
            "matchable",
            "matched",
            "why newcomers wait",
        ],
        [
            [
                a.area,
                "urban" if a.urban else "rural",
                a.newcomers,
                a.locals,
                a.capacity,
                "-" if a.capacity_per_newcomer is None else a.capacity_per_newcomer,
                a.matchable,
                a.matched,
                "; ".join(f"{b.detail} ({b.newcomers})" for b in a.blocking),
            ]
            for a in areas
        ],
        caption=f"Per {report.by}",
        numeric=(2, 3, 4, 5, 6, 7),
    )
    sections = [
        section(
            "Overview",
            headline(
                [
                    (f"{report.matched} of {report.newcomers}", "newcomers matched"),
                    (_pct(report.urban_share), "matched share, urban newcomers"),
                    (_pct(report.rural_share), "matched share, rural newcomers"),
                ]
            ),
        ),
        section(
            "Map",
            figure(
                region_map(report.result, newcomers, locals_, "Pairs and waiting newcomers"),
                "Volunteers, matched and waiting newcomers; a line per pair.",
            ),
        ),
        section(
            "Supply and demand",
            figure(supply, "Newcomers, volunteer room and matches per area."),
            table,
        ),
        section(
            "What would help most",
            figure(best, "Each change applied to the rosters and the whole matching solved again."),
            html_table(
                ["change", "extra newcomers matched"],
                [[c.description, c.added_matches] for c in report.changes],
                numeric=(1,),
            ),
            intro="Urban: a municipality of 100,000 inhabitants or more.",
        ),
    ]
    return html_page("Supply and demand monitor", sections, footer=_FOOTER)


def write_whatif_report(
    path: str | os.PathLike[str],
    bases: dict[tuple[Path, Path, Path | None], ScenarioRun],
    runs: Sequence[ScenarioRun],
) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(whatif_report(bases, runs), encoding="utf-8")
    return out


def write_monitor_report(
    path: str | os.PathLike[str],
    report: MonitorReport,
    newcomers: Sequence[Newcomer],
    locals_: Sequence[Local],
) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(monitor_report(report, newcomers, locals_), encoding="utf-8")
    return out
