"""`buddymatch whatif` and `buddymatch monitor`: the programme lead's commands."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from buddymatch._errors import ConfigError

Command = Callable[[argparse.Namespace, Console], int]
JSON_VERSION = 1


def add_commands(sub: Any) -> dict[str, Command]:
    w = sub.add_parser("whatif", help="run what-if scenarios against their base and compare")
    w.add_argument("scenarios", type=Path, nargs="+", help="scenario TOML file(s)")
    w.add_argument("--solver", default="auto", choices=["auto", "flow", "hungarian", "cpsat"])
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--jobs", type=int, default=1, help="scenarios solved in parallel processes")
    w.add_argument("--json", type=Path, help="write the figures as JSON (docs/json-output.md)")
    w.add_argument("--report", type=Path, help="write a self-contained HTML report")

    m = sub.add_parser("monitor", help="volunteer supply against newcomer demand per area")
    m.add_argument("newcomers", type=Path)
    m.add_argument("locals", type=Path)
    m.add_argument("--by", default="municipality", choices=["municipality", "place", "pc4"])
    m.add_argument("--weights", type=Path)
    m.add_argument("--solver", default="auto", choices=["auto", "flow", "hungarian", "cpsat"])
    m.add_argument("--seed", type=int, default=0)
    m.add_argument(
        "--areas",
        type=int,
        default=8,
        help="how many areas with the most newcomers waiting to try changes for",
    )
    m.add_argument("--json", type=Path, help="write the figures as JSON (docs/json-output.md)")
    m.add_argument("--report", type=Path, help="write a self-contained HTML report")
    return {"whatif": _cmd_whatif, "monitor": _cmd_monitor}


def _fmt(value: float | None, spec: str = "g", signed: bool = False) -> str:
    if value is None:
        return "-"
    return format(value, ("+" if signed else "") + spec)


def _cmd_whatif(args: argparse.Namespace, console: Console) -> int:
    from buddymatch._compare import Figures, deltas, figures
    from buddymatch._scenarios import run_scenarios

    if args.jobs < 1:
        raise ConfigError(f"--jobs must be 1 or more (scenarios solved at once), not {args.jobs}")
    with console.status("Matching the base and every scenario…"):
        bases, runs = run_scenarios(
            args.scenarios, solver=args.solver, seed=args.seed, jobs=args.jobs
        )
    base_figs = {key: figures("base", b.result, b.newcomers) for key, b in bases.items()}
    base_index = {key: i for i, key in enumerate(bases)}
    rows = []
    for run in runs:
        base = bases[run.base_key]
        fig = figures(run.name, run.result, run.newcomers, base=base.result, changes=run.changes)
        rows.append((run, fig, deltas(base_figs[run.base_key], fig)))

    labels = {key: "base" if len(bases) == 1 else f"base {i + 1}" for key, i in base_index.items()}
    for key, b in bases.items():  # a base roster with a rejected row stops the run earlier
        console.print(
            f"{labels[key].capitalize()}: {key[0].name} ({len(b.newcomers)} rows) and "
            f"{key[1].name} ({len(b.locals)} rows) read, every row accepted"
        )
    for i, (run, fig, _) in enumerate(rows, start=1):
        console.print(
            Text.assemble((f"{i}. {run.name}", "bold"), f" (against {labels[run.base_key]})")
        )
        for line in fig.changes:
            console.print(f"   {line}")
    t = Table(title="What-if comparison", title_justify="left")
    for col in (
        "",
        "matched",
        "Δ",
        "meet twice (expected)",
        "travel min mean / worst",
        "changed partner",
    ):
        t.add_column(col)
    everyone: list[tuple[str, Figures, dict[str, float | None] | None]] = [
        (labels[k], f, None) for k, f in base_figs.items()
    ]
    everyone += [(str(i), f, d) for i, (_, f, d) in enumerate(rows, start=1)]
    for label, fig, d in everyone:
        t.add_row(
            label,
            f"{fig.matched}/{fig.newcomers} ({fig.share:.0%})",
            "" if d is None else _fmt(d["matched"], "d", signed=True),
            _fmt(fig.expected_met_twice, ".1f"),
            f"{_fmt(fig.mean_travel_min, '.1f')} / {_fmt(fig.worst_travel_min, '.1f')}",
            "" if fig.changed_partner is None else str(fig.changed_partner),
        )
    console.print(t)
    reasons = sorted({r for _, f, _ in everyone for r in f.unmatched_by_reason})
    w = Table(title="Newcomers waiting, by reason", title_justify="left")
    w.add_column("reason")
    for label, _, _ in everyone:
        w.add_column(label)
    for reason in reasons:
        w.add_row(reason, *(str(f.unmatched_by_reason.get(reason, 0)) for _, f, _ in everyone))
    console.print(w)
    if args.json:
        data = {
            "version": JSON_VERSION,
            "kind": "whatif",
            "bases": [
                {
                    "index": base_index[k],
                    "newcomers_file": str(k[0]),
                    "locals_file": str(k[1]),
                    "weights_file": str(k[2]) if k[2] else None,
                    "figures": f.to_json(),
                }
                for k, f in base_figs.items()
            ],
            "scenarios": [
                {
                    "name": r.name,
                    "file": str(r.path),
                    "base": base_index[r.base_key],
                    "figures": f.to_json(),
                    "deltas": d,
                }
                for r, f, d in rows
            ],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        console.print(f"Figures written to {args.json}")
    if args.report:
        from buddymatch._report_leads import write_whatif_report

        write_whatif_report(args.report, bases, runs)
        console.print(f"Report written to {args.report}")
    return 0


def _cmd_monitor(args: argparse.Namespace, console: Console) -> int:
    from buddymatch._monitor import monitor
    from buddymatch._read import read_locals, read_newcomers
    from buddymatch._weights import Weights

    weights = Weights.from_toml(args.weights) if args.weights else Weights.default()
    for path in (args.newcomers, args.locals):
        if not path.exists():
            from buddymatch._errors import ConfigError

            raise ConfigError(f"{path}: file not found")
    newcomers = read_newcomers(args.newcomers)
    newcomers.raise_if_problems()
    locals_ = read_locals(args.locals)
    locals_.raise_if_problems()
    with console.status("Matching, then trying single changes…"):
        report = monitor(
            newcomers.people,
            locals_.people,
            weights=weights,
            by=args.by,
            solver=args.solver,
            seed=args.seed,
            max_areas=args.areas,
        )
    t = Table(title=f"Supply and demand by {args.by}", title_justify="left")
    for col in (
        "area",
        "",
        "newcomers",
        "locals",
        "capacity",
        "cap./newc.",
        "matchable",
        "matched",
    ):
        t.add_column(col)
    ranked = sorted(report.areas, key=lambda a: (-(a.newcomers - a.matched), a.area))
    for a in ranked:
        t.add_row(
            a.area,
            "urban" if a.urban else "rural",
            str(a.newcomers),
            str(a.locals),
            str(a.capacity),
            _fmt(a.capacity_per_newcomer, ".2f"),
            str(a.matchable),
            str(a.matched),
        )
    console.print(t)
    console.print("Why newcomers wait", style="bold")
    for a in ranked:
        for b in a.blocking:
            console.print(f"  {a.area}: {b.detail} ({b.newcomers})", soft_wrap=True)
    c = Table(
        title="Single changes that match the most extra newcomers (each solved in full)",
        title_justify="left",
    )
    c.add_column("change")
    c.add_column("extra matched")
    for ch in report.changes:
        c.add_row(ch.description, f"+{ch.added_matches}")
    console.print(c)
    console.print(
        f"{report.matched} of {report.newcomers} newcomers matched. Matched share: urban "
        f"{_fmt(report.urban_share, '.0%')}, rural {_fmt(report.rural_share, '.0%')} "
        f"(urban: municipality of 100,000+ inhabitants)."
    )
    if args.json:
        data = {"version": JSON_VERSION, "kind": "monitor", **report.to_json()}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        console.print(f"Figures written to {args.json}")
    if args.report:
        from buddymatch._report_leads import write_monitor_report

        write_monitor_report(args.report, report, newcomers.people, locals_.people)
        console.print(f"Report written to {args.report}")
    return 0
