"""`buddymatch learn` and `buddymatch deviants`: the feedback loop's commands.

One cohort::

    buddymatch learn outcomes.csv --newcomers newcomers.csv --locals locals.csv \\
        [--weights current.toml] -o learned.toml

Several cohorts, each outcomes file with the rosters its pairs were made from (repeat
``--cohort``; may be combined with the one-cohort form above)::

    buddymatch learn --cohort spring/outcomes.csv spring/newcomers.csv spring/locals.csv \\
                     --cohort autumn/outcomes.csv autumn/newcomers.csv autumn/locals.csv \\
                     -o learned.toml

The learned file is printed beside the current weights (the coordinator's review); writing
it is the acceptance: ``buddymatch match … --weights learned.toml`` then maximises the
expected number of pairs who meet twice.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from buddymatch._errors import ConfigError, Problem

Command = Callable[[argparse.Namespace, Console], int]
EXIT_OK = 0


def add_commands(sub: Any) -> dict[str, Command]:
    """Add ``learn`` and ``deviants`` to the ``buddymatch`` subcommands."""
    lp = sub.add_parser(
        "learn",
        help="learn weights from which earlier pairs met twice or more",
        description="Learn weights from outcomes. One cohort: OUTCOMES --newcomers N "
        "--locals L. Several: repeat --cohort OUTCOMES NEWCOMERS LOCALS.",
    )
    _cohort_args(lp)
    lp.add_argument("-o", "--output", type=Path, required=True, help="learned weights TOML")
    lp.add_argument("--min-outcomes", type=int, default=40, help="refuse below this (40)")
    lp.add_argument("--seed", type=int, default=0, help="folds and bootstrap resamples")

    dp = sub.add_parser(
        "deviants",
        help="pairs that met twice although the model gave them a low chance",
    )
    _cohort_args(dp)
    dp.add_argument(
        "--share",
        type=float,
        default=0.25,
        help="what counts as a low chance: the lowest SHARE of pairs (default 0.25)",
    )
    dp.add_argument("--show", type=int, default=25, help="deviant pairs to list")
    return {"learn": _cmd_learn, "deviants": _cmd_deviants}


def _cohort_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("outcomes", type=Path, nargs="?", help="outcomes file (.csv or .xlsx)")
    p.add_argument("--newcomers", type=Path, help="the newcomers roster of that cohort")
    p.add_argument("--locals", type=Path, help="the locals roster of that cohort")
    p.add_argument(
        "--cohort",
        nargs=3,
        action="append",
        type=Path,
        default=[],
        metavar=("OUTCOMES", "NEWCOMERS", "LOCALS"),
        help="one more cohort: its outcomes file and the two rosters (repeatable)",
    )
    p.add_argument("--weights", type=Path, help="the current weights TOML (default: built in)")
    p.add_argument("--sheet", help="sheet name when the files are .xlsx workbooks")


def cohort_paths(args: argparse.Namespace) -> list[tuple[Path, Path, Path]]:
    """(outcomes, newcomers, locals) per cohort from either form; usage errors in words."""
    cohorts: list[tuple[Path, Path, Path]] = []
    if args.outcomes is not None:
        if args.newcomers is None or args.locals is None:
            raise ConfigError(
                f"{args.outcomes.name}: say which rosters its pairs came from with "
                "--newcomers and --locals"
            )
        cohorts.append((args.outcomes, args.newcomers, args.locals))
    elif args.newcomers is not None or args.locals is not None:
        raise ConfigError("--newcomers and --locals go with an outcomes file; name it first")
    cohorts.extend((Path(a), Path(b), Path(c)) for a, b, c in args.cohort)
    if not cohorts:
        raise ConfigError(
            "no outcomes given: OUTCOMES --newcomers N --locals L, or --cohort OUTCOMES "
            "NEWCOMERS LOCALS (repeatable)"
        )
    for trio in cohorts:
        for path in trio:
            if not path.exists():
                raise ConfigError(f"{path}: file not found")
    return cohorts


def _load(args: argparse.Namespace, console: Console) -> tuple[list[Any], Any]:
    from buddymatch._learning import Cohort
    from buddymatch._weights import Weights

    current = Weights.from_toml(args.weights) if args.weights else Weights.default()
    cohorts = []
    for outcomes, newcomers, locals_ in cohort_paths(args):
        c = Cohort.from_files(outcomes, newcomers, locals_, sheet=args.sheet)
        console.print(
            f"{outcomes.name}: {len(c.outcomes.outcomes)} outcomes; rosters "
            f"{len(c.newcomers)} newcomers, {len(c.locals)} locals"
        )
        if c.roster_problems:
            console.print(_problems(c.roster_problems, "Roster rows left out (with problems)"))
        cohorts.append(c)
    return cohorts, current


def _problems(problems: tuple[Problem, ...], title: str) -> Table:
    t = Table(title=title, title_justify="left")
    for col in ("file", "row", "column", "problem"):
        t.add_column(col, overflow="fold")
    for p in problems:
        text = p.message + (f"; expected {p.expected}" if p.expected else "")
        t.add_row(p.file, "" if p.row is None else str(p.row), p.column or "", text)
    return t


def _cmd_learn(args: argparse.Namespace, console: Console) -> int:
    from buddymatch._learning import WeightLearner, learn_weights

    if args.min_outcomes < 1:
        raise ConfigError(f"--min-outcomes must be 1 or more, got {args.min_outcomes}")
    cohorts, current = _load(args, console)
    learner = WeightLearner(min_outcomes=args.min_outcomes, random_state=args.seed)
    with console.status("Learning weights…"):
        weights, report = learn_weights(cohorts, current, learner=learner)
    for line in report.lines():
        console.print(line)

    t = Table(title="Weights: current beside learned", title_justify="left")
    for col in ("feature", "current", "learned (log-odds per unit)", "± (bootstrap SD)"):
        t.add_column(col, justify="right" if col != "feature" else "left")
    for w in report.weights:
        sd = "-" if w.uncertainty is None else f"{w.uncertainty:.3f}"
        t.add_row(w.feature, f"{w.old:g}", f"{w.new:.4f}", sd)
    t.add_row("intercept", "-", f"{report.intercept:.4f}", "")
    console.print(t)
    if report.current_kind == "linear":
        console.print(
            "Current weights are hand-set scores, learned ones are log-odds of meeting "
            "twice: compare signs and order, not sizes."
        )

    c = Table(title="Calibration (held-out)", title_justify="left")
    for col in ("predicted chance", "pairs", "mean predicted", "met twice"):
        c.add_column(col, justify="right")
    for b in report.calibration:
        c.add_row(
            f"{b.low:.2f}–{b.high:.2f}", str(b.pairs), f"{b.predicted:.0%}", f"{b.observed:.0%}"
        )
    console.print(c)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    weights.write_toml(args.output)
    console.print(
        f"Learned weights written to {args.output}. Use them with "
        f"`buddymatch match … --weights {args.output}`."
    )
    return EXIT_OK


def _cmd_deviants(args: argparse.Namespace, console: Console) -> int:
    from buddymatch._learning import find_deviants

    cohorts, current = _load(args, console)
    with console.status("Looking for positive deviants…"):
        rep = find_deviants(cohorts, current, share=args.share)
    console.print(
        f"Chance of meeting twice from {rep.model}. {rep.low_chance_pairs} pairs had a low "
        f"chance (at most {rep.threshold:.0%}); {len(rep.deviants)} of them met twice or more."
    )
    if rep.deviants and args.show:
        t = Table(
            title=f"Positive deviants (first {min(args.show, len(rep.deviants))})",
            title_justify="left",
        )
        for col in ("newcomer", "local", "outcomes file", "row", "predicted chance"):
            t.add_column(col)
        for d in rep.deviants[: args.show]:
            t.add_row(d.newcomer_id, d.local_id, d.source, str(d.row), f"{d.probability:.0%}")
        console.print(t)
    if rep.findings:
        console.print("What they share, compared with the low-chance pairs that did not:")
        for line in rep.findings:
            console.print(f"  - {line}")
    elif rep.deviants:
        console.print("They share nothing that stands out from the other low-chance pairs.")
    return EXIT_OK
