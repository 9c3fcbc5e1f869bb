"""The ``buddymatch`` command: match, validate, demo.

Exit codes: 0 done, 2 bad input or usage, 1 internal error. User errors never show a
traceback; set BUDDYMATCH_DEBUG=1 to see one for internal errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.table import Table
from rich.text import Text

from buddymatch._errors import BuddymatchError, Problem

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2
_EXTRA: dict[str, Callable[[argparse.Namespace, Console], int]] = {}


class _UsageError(BuddymatchError):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="buddymatch", description="Pair newcomers with local volunteer buddies."
    )
    sub = p.add_subparsers(dest="command", required=True)

    m = sub.add_parser("match", help="match a newcomers roster with a locals roster")
    m.add_argument("newcomers", type=Path, help="newcomers roster (.csv or .xlsx)")
    m.add_argument("locals", type=Path, help="locals roster (.csv or .xlsx)")
    m.add_argument("-o", "--output", type=Path, required=True, help="matches.csv to write")
    m.add_argument("--weights", type=Path, help="weights TOML file (overrides the defaults)")
    m.add_argument("--solver", default="auto", choices=["auto", "flow", "hungarian", "cpsat"])
    m.add_argument(
        "--objective",
        default="count",
        choices=["count", "score"],
        help="count: most newcomers matched, then highest score (default); "
        "score: highest total score only",
    )
    m.add_argument("--time-limit", type=float, help="seconds the solver may use")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--pinned", type=Path, help="CSV of pairs to keep as they are")
    m.add_argument("--forbidden", type=Path, help="CSV of pairs never to make")
    m.add_argument(
        "--strict",
        action="store_true",
        help="stop (exit 2, no matches written) if any roster row is rejected",
    )
    m.add_argument("--sheet", help="sheet name when the rosters are .xlsx files")
    m.add_argument("--show", type=int, default=25, help="pairs to show in the terminal")
    m.add_argument(
        "--explore",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="make this share of pairs from near-optimal alternatives, to learn "
        "from (seeded by --seed; recorded in the output)",
    )
    m.add_argument("--report", type=Path, help="also write a self-contained HTML report")
    m.add_argument("--names", action="store_true", help="show personal names in the report")

    v = sub.add_parser("validate", help="check a roster or outcomes file and list its problems")
    v.add_argument("file", type=Path)
    v.add_argument("--kind", required=True, choices=["newcomers", "locals", "outcomes"])
    v.add_argument("--sheet")

    from buddymatch import _cli_leads, _cli_learn

    _EXTRA.update(_cli_leads.add_commands(sub))
    _EXTRA.update(_cli_learn.add_commands(sub))

    d = sub.add_parser("demo", help="match the bundled sample rosters (Rotterdam, Rivierenland)")
    d.add_argument("-o", "--output-dir", type=Path, help="where to write the matches files")
    d.add_argument("--show", type=int, default=10)
    return p


def _problems_table(problems: Sequence[Problem], title: str) -> Table:
    t = Table(title=title, title_justify="left")
    for col in ("file", "row", "column", "problem"):
        t.add_column(col, overflow="fold")
    for pr in problems:
        text = pr.message
        if pr.value is not None and f"'{pr.value}'" not in text:
            text += f" (found '{pr.value}')"
        if pr.expected:
            text += f"; expected {pr.expected}"
        t.add_row(pr.file, "" if pr.row is None else str(pr.row), pr.column or "", text)
    return t


def _must_exist(path: Path) -> None:
    if not path.exists():
        raise _UsageError(f"{path}: file not found")


def _read_roster(kind: str, path: Path, sheet: str | None) -> Any:
    from buddymatch import _read

    _must_exist(path)
    if kind == "newcomers":
        return _read.read_newcomers(path, sheet=sheet)
    if kind == "locals":
        return _read.read_locals(path, sheet=sheet)
    return _read.read_outcomes(path, sheet=sheet)


def _pairs_file(path: Path | None, kind: str) -> list[Any]:
    from buddymatch import _read
    from buddymatch._match import PairRequest

    if path is None:
        return []
    _must_exist(path)
    table = _read.read_pairs(path, kind=kind)  # type: ignore[arg-type]
    table.raise_if_problems()
    return [PairRequest(p.newcomer_id, p.local_id, path.name, p.row) for p in table.pairs]


def _result_table(result: Any, show: int) -> Table:
    from buddymatch._write import travel_words

    t = Table(
        title=f"Pairs (first {min(show, len(result.pairs))} of {len(result.pairs)})",
        title_justify="left",
    )
    for col in ("newcomer", "local", "score", "language", "travel", "interests", "slots"):
        t.add_column(col, overflow="fold")
    for p in result.pairs[:show]:
        travel = travel_words(p) or "-"
        lang = f"{p.language} {p.language_level}" if p.language else "-"
        t.add_row(
            p.newcomer_id,
            p.local_id,
            f"{p.score:.2f}",
            lang,
            travel,
            ", ".join(p.shared_interests),
            str(p.common_slots),
        )
    return t


def _unmatched_table(result: Any, show: int) -> Table:
    t = Table(
        title=f"Waiting (first {min(show, len(result.unmatched))} of {len(result.unmatched)})",
        title_justify="left",
    )
    t.add_column("newcomer")
    t.add_column("reason", overflow="fold")
    for u in result.unmatched[:show]:
        t.add_row(u.newcomer_id, u.reason)
    return t


def _import_the_matching_parts() -> None:
    """Import scipy's spatial index, the solver and the matching code (~0.1 s) while the
    bigger roster is still being read in another process, rather than before reading
    starts or after it ends, when nothing else runs."""
    import buddymatch._match
    import buddymatch._write
    import buddymatch.solvers.flow  # noqa: F401
    from buddymatch._pairs import kd_tree

    kd_tree()


def _cmd_match(args: argparse.Namespace, console: Console) -> int:
    from buddymatch import _gc, _read
    from buddymatch._weights import Weights

    weights = Weights.from_toml(args.weights) if args.weights else Weights.default()
    for path in (args.newcomers, args.locals):
        _must_exist(path)
    # Plain lines, no spinner: reading and matching fork, which a spinner's thread rules out.
    console.print("Reading rosters…")
    # The rosters (and the modules) stay until this process ends: the collector need not
    # scan them again each time the matching makes objects (0.3 s at 10,000 newcomers).
    with _gc.paused(freeze=True):
        newcomers, locals_ = _read.read_rosters(
            args.newcomers, args.locals, sheet=args.sheet, meanwhile=_import_the_matching_parts
        )
    from buddymatch._csvout import write_rejected_rows
    from buddymatch._match import match
    from buddymatch._write import write_matches

    pinned = _pairs_file(args.pinned, "pinned")
    forbidden = _pairs_file(args.forbidden, "forbidden")
    for roster, label in ((newcomers, "newcomers"), (locals_, "locals")):
        console.print(
            f"{label}: {roster.rows_read} rows read, {roster.accepted} accepted, "
            f"{len(roster.rejected)} rejected ({roster.source})"
        )
    problems = [*newcomers.problems, *locals_.problems]
    rejected_path = args.output.with_name(args.output.stem + ".rejected.csv")
    if problems:
        console.print(_problems_table(problems, "Rows with problems"))
        if args.strict:
            console.print(
                "Stopped (--strict): fix these rows; no matches written.", style="bold red"
            )
            return EXIT_INPUT
        if any(p.row is None for p in problems):
            console.print(
                "Stopped: a file cannot be read as a roster; no matches written.",
                style="bold red",
            )
            return EXIT_INPUT
        rejected_path.parent.mkdir(parents=True, exist_ok=True)
        write_rejected_rows(rejected_path, [newcomers, locals_])
        console.print(
            f"Rejected rows and their reasons written to {rejected_path}; "
            "matching goes on with the accepted rows."
        )
    console.print("Matching…")
    result = match(
        _read.people_of(newcomers),
        _read.people_of(locals_),
        weights=weights,
        solver=args.solver,
        objective=args.objective,
        time_limit=args.time_limit,
        seed=args.seed,
        pinned=pinned,
        forbidden=forbidden,
        explore=args.explore,
    )
    for w in result.warnings:
        console.print(Text.assemble(("warning:", "yellow"), f" {w}"))
    for note in result.notes:
        console.print(f"note: {note}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_matches(result, args.output, delimiter=_matches_delimiter(newcomers.delimiter))
    if args.report:
        from buddymatch._report import write_match_report

        args.report.parent.mkdir(parents=True, exist_ok=True)
        write_match_report(args.report, result, newcomers.people, locals_.people, names=args.names)
        console.print(f"Report written to {args.report}")
    if args.show:
        console.print(_result_table(result, args.show))
        if result.unmatched:
            console.print(_unmatched_table(result, args.show))
    console.print(result.summary())
    console.print(f"Matches written to {args.output}")
    return EXIT_OK


def _matches_delimiter(roster_delimiter: str | None) -> str:
    """matches.csv in the newcomers roster's dialect: ``;`` (with decimal commas) when the
    roster came from Dutch Excel, else ``,``; workbooks (no delimiter) get ``;``."""
    return "," if roster_delimiter in (",", "\t") else ";"


def _cmd_validate(args: argparse.Namespace, console: Console) -> int:
    roster = _read_roster(args.kind, args.file, args.sheet)
    console.print(
        f"{args.file.name}: {roster.rows_read} rows read, {roster.accepted} accepted, "
        f"{roster.rows_read - roster.accepted} rejected"
    )
    if roster.problems:
        console.print(_problems_table(roster.problems, "Problems"))
        return EXIT_INPUT
    console.print("No problems found.")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace, console: Console) -> int:
    from buddymatch._match import match
    from buddymatch._read import read_locals, read_newcomers
    from buddymatch._write import write_matches

    out_dir = args.output_dir or Path(tempfile.mkdtemp(prefix="buddymatch-demo-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = resources.files("buddymatch") / "data" / "samples"
    for region, title in (("rotterdam", "Rotterdam"), ("rivierenland", "Rivierenland")):
        with (
            resources.as_file(samples / f"{region}_newcomers.csv") as npath,
            resources.as_file(samples / f"{region}_locals.csv") as lpath,
        ):
            newcomers = read_newcomers(npath)
            locals_ = read_locals(lpath)
        newcomers.raise_if_problems()
        locals_.raise_if_problems()
        with console.status(f"Matching {title}…"):
            result = match(newcomers.people, locals_.people)
        console.rule(f"{title}: {len(newcomers.people)} newcomers, {len(locals_.people)} locals")
        console.print(_result_table(result, args.show))
        if result.unmatched:
            console.print(_unmatched_table(result, args.show))
        console.print(result.summary())
        path = write_matches(result, out_dir / f"{region}_matches.csv")
        console.print(f"Written to {path}\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    # No console markup: messages hold text from files ("[[add_locals]] block 1", paths
    # with brackets) that rich would otherwise take for styles and drop.
    console = Console(stderr=False, markup=False)
    args = _parser().parse_args(argv)
    commands = {"match": _cmd_match, "validate": _cmd_validate, "demo": _cmd_demo, **_EXTRA}
    try:
        return commands[args.command](args, console)
    except BuddymatchError as exc:
        problems = getattr(exc, "problems", None)
        if problems:
            console.print(_problems_table(problems, "Problems"))
        else:
            console.print(Text.assemble(("error:", "bold red"), f" {exc}"))
        return EXIT_INPUT
    except KeyboardInterrupt:
        return EXIT_INPUT
    except Exception as exc:  # last resort: no traceback for users
        if os.environ.get("BUDDYMATCH_DEBUG"):
            raise
        console.print(
            Text.assemble(
                ("internal error:", "bold red"),
                f" {type(exc).__name__}. This is a bug in buddymatch; run again with "
                "BUDDYMATCH_DEBUG=1 and report the output.",
            )
        )
        return EXIT_INTERNAL


def run() -> NoReturn:
    """The ``buddymatch`` command: :func:`main`, then a quick exit.

    Freeing every object and module of a big run one at a time took about 0.3 s (a tenth
    of matching 10,000 newcomers) and gives the user nothing: every file is written and
    closed by then, and every child process joined. So, as mypy does, the process ends
    with ``os._exit`` once standard output and error are flushed.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
