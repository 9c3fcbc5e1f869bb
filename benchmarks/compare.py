"""buddymatch end to end against the standard dense ways, on the same generated rosters.

Why: the issue's claim — sparse end to end, same optimum as the exact dense solve, and far
faster — has to be measured on one machine in one run, from outside, as a user runs it.

Run from the repository root::

    .venv/bin/python benchmarks/compare.py [--sizes 1000,5000,20000,50000] [--seed S] [--repeat N]
                                           [--out results.json]
    .venv/bin/python benchmarks/compare.py --rosters NEWCOMERS.csv LOCALS.csv

(the second form compares on your own roster files, in any format buddymatch reads).
With ``--repeat N`` the tools take turns for N rounds and the median wall is reported: the
machine's speed may drift during a run, and taking turns spreads that over every tool.

For every size it generates a national intake with ``fixtures/generate.py`` (real Dutch
geography, locals = 0.8 × newcomers, capacities 1–3) and times, each command in its own
fresh process (wall from outside; peak RSS from ``os.wait4`` on that one child):

* ``buddymatch``   — ``buddymatch match NEWCOMERS LOCALS -o matches.csv`` (CSV in → CSV out);
* ``dense-scipy``  — the textbook way: read the same rosters with buddymatch's readers, check
  every newcomer × local pair with buddymatch's own ``check_pairs`` and feature code (so the
  hard rules and scores are the same; infeasible = forbidden), fill the dense
  newcomer × local-slot matrix (capacities by column replication) and solve it with
  ``scipy.optimize.linear_sum_assignment``;
* ``dense-cpsat``  — a textbook dense CP-SAT model: one Bool per newcomer × local,
  infeasible pairs fixed to 0, at-most-one per newcomer, capacity per local, time-limited.

Both dense models maximise the same objective as buddymatch's default (``count``): a count
bonus per pair (``AssignmentProblem.count_bonus``, same formula) plus the integer score, so
the optimum is "most newcomers matched, then highest total score". The table reports the
matched count and total score of each tool and the gap against buddymatch in both. Dense
tools are skipped, with the reason, where they cannot fit (``--scipy-max``,
``--cpsat-max-cells``, ``--mem-limit-gb``). ``buddymatch demo`` is timed once as well.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
GENERATOR = REPO / "fixtures" / "generate.py"
SCORE_SCALE = 1000  # buddymatch._problem.SCORE_SCALE: scores are integer thousandths


# ------------------------------------------------------------------------ measuring


@dataclass
class Measured:
    """One child process: exit code, wall seconds and its own peak resident memory."""

    returncode: int
    wall_s: float
    peak_mb: float
    timed_out: bool = False


def measure(cmd: Sequence[str], log: Path, timeout: float, env: dict[str, str]) -> Measured:
    """Run ``cmd`` in a fresh process; ``os.wait4`` gives that child's own ``ru_maxrss``.

    (``RUSAGE_CHILDREN`` would be the maximum over *all* children so far, so earlier,
    bigger runs would leak into later numbers; ``wait4`` on the pid isolates each one.)
    """
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = start + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                timed_out = True
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
    return Measured(proc.returncode, wall, usage.ru_maxrss / 1024, timed_out)


def measure_repeated(
    cmd: Sequence[str], log: Path, timeout: float, env: dict[str, str], repeat: int
) -> tuple[Measured, list[float]]:
    """:func:`measure` ``repeat`` times: the median wall and the highest peak memory, plus
    every wall time. A few-second run on a shared machine varies by a quarter or more from
    one minute to the next; the median of a few runs is a fairer figure than any one."""
    return measure_in_turns({"only": (cmd, log)}, timeout, env, repeat)["only"]


def measure_in_turns(
    commands: dict[str, tuple[Sequence[str], Path]],
    timeout: float,
    env: dict[str, str],
    repeat: int,
    *,
    progress: bool = False,
) -> dict[str, tuple[Measured, list[float]]]:
    """Each command once per round, for ``repeat`` rounds, then per command what
    :func:`measure_repeated` gives. The tools take turns, so a change in the machine's
    speed during the rounds falls on all of them alike, not on whichever ran then."""
    runs: dict[str, list[Measured]] = {name: [] for name in commands}
    for _ in range(max(repeat, 1)):
        for name, (cmd, log) in commands.items():
            runs[name].append(measure(cmd, log, timeout, env))
            if progress:
                print(f"   … {name}: {runs[name][-1].wall_s:.2f} s", flush=True)
    return {name: _summary(got) for name, got in runs.items()}


def _summary(runs: list[Measured]) -> tuple[Measured, list[float]]:
    walls = [r.wall_s for r in runs]
    failed = next((r for r in runs if r.timed_out or r.returncode != 0), None)
    if failed is not None:
        return failed, walls
    return Measured(0, statistics.median(walls), max(r.peak_mb for r in runs)), walls


# ------------------------------------------------------------------------ results


@dataclass
class Row:
    """One tool at one size: what it cost and what it found."""

    size: int
    n_locals: int
    tool: str
    status: str  # ok | optimal | feasible | skipped | failed | timeout | ...
    wall_s: float | None = None
    peak_mb: float | None = None
    matched: int | None = None
    score: float | None = None  # total score (sum of pair scores)
    objective: int | None = None  # count bonus × matched + score units (tool's own bonus)
    bound: int | None = None
    gap_matched: int | None = None  # tool − buddymatch
    gap_score_pct: float | None = None  # (tool − buddymatch) / |buddymatch| × 100
    time_ratio: float | None = None  # tool wall / buddymatch wall
    walls_s: list[float] = field(default_factory=list)  # every run (--repeat)
    phases: dict[str, float] = field(default_factory=dict)
    note: str = ""


def read_matches(path: Path) -> tuple[int, int, list[str]]:
    """(pairs, total score in thousandths, problems) from a matches.csv, checked lightly."""
    matched, units, problems = 0, 0, []
    seen: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as fh:  # written with a BOM for Excel
        # In the newcomers roster's dialect: "," or ";" with decimal commas (Dutch Excel).
        dutch = fh.readline().count(";") > 0
        fh.seek(0)
        for row in csv.DictReader(fh, delimiter=";" if dutch else ","):
            if row["newcomer_id"] in seen:
                problems.append(f"newcomer {row['newcomer_id']} appears twice")
            seen.add(row["newcomer_id"])
            if row["local_id"]:
                matched += 1
                score = row["score"].lstrip("'").replace(",", ".")  # '-x: Excel-safe
                units += round(float(score) * SCORE_SCALE)
    return matched, units, problems


def local_capacity_total(path: Path) -> int:
    """Places offered by a locals roster, read the way buddymatch reads it (any format)."""
    import buddymatch

    return sum(p.capacity for p in buddymatch.read_locals(path).people)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    versions = {}
    for dist in ("numpy", "scipy", "scikit-learn", "ortools", "pydantic", "buddymatch"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "-"
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "ram_gib": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "git_commit": commit,
    }


# ------------------------------------------------------------------------ dense workers


def _dense_scores(newcomers_csv: str, locals_csv: str) -> tuple[Any, ...]:
    """Profiles → dense (n × m) feasibility and integer scores, with buddymatch's own code.

    Every newcomer × local pair goes through ``check_pairs`` (all hard rules) in row
    chunks; features and scores are computed for the feasible pairs of each chunk only
    (which favours the dense way: a textbook model computes them for every cell).
    """
    import numpy as np

    import buddymatch
    from buddymatch import _features, _pairs, _scoring
    from buddymatch._pool import Vocabulary, build_pool, sort_by_id
    from buddymatch._weights import Weights

    phases: dict[str, float] = {}
    t = time.perf_counter()
    newcomers = buddymatch.read_newcomers(newcomers_csv)
    locals_ = buddymatch.read_locals(locals_csv)
    weights = Weights.default()
    vocab = Vocabulary.of(newcomers.people, locals_.people)
    npool = build_pool(sort_by_id(newcomers.people), vocab)
    lpool = build_pool(sort_by_id(locals_.people), vocab)
    phases["read"] = time.perf_counter() - t

    t = time.perf_counter()
    n, m = npool.size, lpool.size
    feasible = np.zeros((n, m), dtype=bool)
    score = np.zeros((n, m), dtype=np.int32)
    step = max(1, 2_000_000 // max(m, 1))
    cols = np.arange(m, dtype=np.int64)
    for lo in range(0, n, step):
        rows = np.arange(lo, min(lo + step, n), dtype=np.int64)
        nn, mm = np.repeat(rows, m), np.tile(cols, len(rows))
        checks = _pairs.check_pairs(npool, lpool, nn, mm, weights)
        ok = checks.feasible
        sub = checks.subset(ok)
        feats, _ = _features.feature_matrix(sub, npool, lpool, vocab, weights)
        s = _scoring.scores(_scoring.contributions(feats, weights), weights)
        feasible[sub.newcomer, sub.local] = True
        score[sub.newcomer, sub.local] = s
    phases["dense_rules_and_scores"] = time.perf_counter() - t
    return npool, lpool, feasible, score, phases


def _count_bonus(n: int, capacity: Any, feasible: Any, score: Any) -> int:
    """``AssignmentProblem.count_bonus`` over the dense feasible cells (same formula)."""
    n_pairs = int(feasible.sum())
    if n_pairs == 0:
        return 0
    max_pairs = min(n, int(capacity.sum()), n_pairs)
    s = score[feasible]
    s_max, s_min = max(int(s.max()), 0), min(int(s.min()), 0)
    return max_pairs * (s_max - s_min) - s_min + 1


def worker_scipy(newcomers_csv: str, locals_csv: str, out: str) -> None:
    """Dense n × (Σ capacity) matrix, ``linear_sum_assignment``; infeasible cells weigh 0."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    npool, lpool, feasible, score, phases = _dense_scores(newcomers_csv, locals_csv)
    t = time.perf_counter()
    n = npool.size
    cap = lpool.capacity
    bonus = _count_bonus(n, cap, feasible, score)
    slot_local = np.repeat(np.arange(lpool.size), cap)
    cost = np.zeros((n, len(slot_local)), dtype=np.float64)
    step = max(1, 2_000_000 // max(lpool.size, 1))
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        weight = np.where(feasible[lo:hi], score[lo:hi].astype(np.int64) + bonus, 0)
        cost[lo:hi] = -weight[:, slot_local]  # minimise −weight = maximise weight
    phases["dense_matrix"] = time.perf_counter() - t
    t = time.perf_counter()
    rows, cols = linear_sum_assignment(cost)
    phases["solve"] = time.perf_counter() - t
    real = cost[rows, cols] < 0  # a 0 cell is "no pair"
    r, c = rows[real], slot_local[cols[real]]
    assert np.all(feasible[r, c])
    units = int(score[r, c].astype(np.int64).sum())
    _dump(
        out,
        status="optimal",
        matched=int(real.sum()),
        units=units,
        objective=int(real.sum()) * bonus + units,
        bound=None,
        phases=phases,
        note=f"matrix {cost.shape[0]:,} × {cost.shape[1]:,} ({cost.nbytes / 2**30:.1f} GiB)",
    )


def worker_cpsat(newcomers_csv: str, locals_csv: str, out: str, time_limit: float) -> None:
    """One Bool per newcomer × local; infeasible fixed to 0; time-limited, 2 workers."""
    import numpy as np
    from ortools.sat.python import cp_model

    npool, lpool, feasible, score, phases = _dense_scores(newcomers_csv, locals_csv)
    t = time.perf_counter()
    n, m = npool.size, lpool.size
    bonus = _count_bonus(n, lpool.capacity, feasible, score)
    weight = np.where(feasible, score.astype(np.int64) + bonus, 0)
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x_{i}_{j}") for j in range(m)] for i in range(n)]
    for i, j in zip(*np.nonzero(~feasible), strict=True):
        model.add(x[i][j] == 0)
    for i in range(n):
        model.add_at_most_one(x[i])
    for j in range(m):
        model.add(sum(x[i][j] for i in range(n)) <= int(lpool.capacity[j]))
    flat = [v for row in x for v in row]
    model.maximize(cp_model.LinearExpr.weighted_sum(flat, weight.ravel().tolist()))
    phases["build_model"] = time.perf_counter() - t
    t = time.perf_counter()
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = max(len(os.sched_getaffinity(0)), 1)
    status = solver.solve(model)
    phases["solve"] = time.perf_counter() - t
    name = solver.status_name(status).lower()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        _dump(out, status=name, matched=None, units=None, objective=None, bound=None, phases=phases)
        return
    pairs = [(i, j) for i, j in zip(*np.nonzero(feasible), strict=True) if solver.value(x[i][j])]
    units = int(sum(int(score[i, j]) for i, j in pairs))
    bound = int(solver.best_objective_bound)
    objective = int(solver.objective_value)
    gap = (bound - objective) / bound * 100 if bound else 0.0
    _dump(
        out,
        status=name,
        matched=len(pairs),
        units=units,
        objective=objective,
        bound=bound,
        phases=phases,
        note=f"{n * m:,} Bools; bound gap {gap:.3f}% of the objective bound",
    )


def _dump(out: str, **values: Any) -> None:
    Path(out).write_text(json.dumps(values), encoding="utf-8")


# ------------------------------------------------------------------------ the run


def _generate(directory: Path, size: int, seed: int) -> tuple[Path, Path]:
    """National rosters via fixtures/generate.py (loaded by path: fixtures/ is no package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("buddymatch_fixtures_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    npath, lpath = module.write_rosters(directory, "national", size, seed=seed)
    return Path(npath), Path(lpath)


def _buddymatch_exe() -> list[str]:
    script = Path(sys.executable).with_name("buddymatch")
    if script.exists():
        return [str(script)]
    found = shutil.which("buddymatch")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from buddymatch.cli import main; sys.exit(main())"]


def _env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "PYTHONHASHSEED": "0"}


def _data_rows(path: Path) -> int:
    """Rows of a roster file, header not counted (any encoding or delimiter); a line of
    empty cells (Excel keeps them: ``;;;``) is no row, as for the readers."""
    with path.open("rb") as fh:
        return max(sum(1 for line in fh if line.strip(b" \t\r\n;,")) - 1, 0)


def run_size(size: int, args: argparse.Namespace, workdir: Path) -> list[Row]:
    """All tools on one generated intake of ``size`` newcomers (or on ``--rosters``)."""
    rows: list[Row] = []
    t = time.perf_counter()
    if args.rosters:
        npath, lpath = (Path(p).resolve() for p in args.rosters)
        size, n_locals = _data_rows(npath), _data_rows(lpath)
        directory = workdir / f"given-{size}"
        directory.mkdir(parents=True, exist_ok=True)
        origin = f"rosters {npath.name}, {lpath.name}"
    else:
        directory = workdir / f"n{size}"
        npath, lpath = _generate(directory, size, args.seed)
        n_locals = round(0.8 * size)
        origin = f"rosters in {directory}, {time.perf_counter() - t:.1f} s to generate"
    slots = local_capacity_total(lpath)
    print(f"\n== {size:,} newcomers × {n_locals:,} locals ({origin})", flush=True)

    # buddymatch as a user runs it, and each dense way that fits, taking turns.
    commands: dict[str, tuple[Sequence[str], Path]] = {}
    matches = directory / "matches.csv"
    if "buddymatch" in args.tools:
        cmd = [*_buddymatch_exe(), "match", str(npath), str(lpath), "-o", str(matches)]
        commands["buddymatch"] = (cmd, directory / "buddymatch.log")
    dense: list[Row] = []
    for tool in ("scipy", "cpsat"):
        if tool not in args.tools:
            continue
        row = Row(size, n_locals, f"dense-{tool}", "skipped")
        dense.append(row)
        reason = _skip_reason(tool, size, n_locals, slots, args)
        if reason:
            row.note = reason
            continue
        (directory / f"dense-{tool}.json").unlink(missing_ok=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "_worker", tool]
        cmd += [str(npath), str(lpath), str(directory / f"dense-{tool}.json")]
        commands[row.tool] = ([*cmd, str(args.cpsat_time_limit)], directory / f"{row.tool}.log")
    measured = measure_in_turns(commands, args.timeout, _env(), args.repeat, progress=True)

    bm = Row(size, n_locals, "buddymatch", "failed")
    if "buddymatch" in measured:
        got, bm.walls_s = measured["buddymatch"]
        bm.wall_s, bm.peak_mb = got.wall_s, got.peak_mb
        if got.timed_out:
            bm.status = "timeout"
        elif got.returncode == 0:
            bm.matched, units, problems = read_matches(matches)
            bm.score, bm.objective = units / SCORE_SCALE, None
            bm.status = "ok" if not problems else "invalid: " + "; ".join(problems[:3])
        else:
            bm.note = f"exit {got.returncode}; see {directory / 'buddymatch.log'}"
        rows.append(bm)
        _print_progress(bm)

    for row in dense:
        if row.tool in measured:
            got, row.walls_s = measured[row.tool]
            row.wall_s, row.peak_mb = got.wall_s, got.peak_mb
            result = directory / f"{row.tool}.json"
            if got.timed_out:
                row.status, row.note = "timeout", f"killed after {args.timeout:.0f} s"
            elif got.returncode != 0 or not result.exists():
                row.status = "failed"
                row.note = f"exit {got.returncode}; see {directory / f'{row.tool}.log'}"
            else:
                data = json.loads(result.read_text(encoding="utf-8"))
                row.status, row.matched = data["status"], data["matched"]
                row.score = None if data["units"] is None else data["units"] / SCORE_SCALE
                row.objective, row.bound = data["objective"], data["bound"]
                row.phases, row.note = data["phases"], data.get("note", "")
        _compare(row, bm)
        rows.append(row)
        _print_progress(row)
    return rows


def _skip_reason(
    tool: str, size: int, n_locals: int, slots: int, args: argparse.Namespace
) -> str | None:
    cells = size * n_locals
    if tool == "scipy":
        if size > args.scipy_max:
            return f"above --scipy-max {args.scipy_max:,} newcomers"
        # cost matrix (float64, one column per capacity slot) + int32 scores + bool mask
        gib = (size * slots * 8 + cells * 5) / 2**30
        if gib > args.mem_limit_gb:
            return f"dense matrix needs ≈ {gib:.0f} GiB > --mem-limit-gb {args.mem_limit_gb:g}"
        return None
    if cells > args.cpsat_max_cells:
        return (
            f"{cells:,} Bools > --cpsat-max-cells {args.cpsat_max_cells:,} "
            "(the Python model alone would take minutes and many GiB to build)"
        )
    return None


def _compare(row: Row, bm: Row) -> None:
    if bm.wall_s and row.wall_s and bm.status == "ok":
        row.time_ratio = row.wall_s / bm.wall_s
    if bm.status == "ok" and row.matched is not None and bm.matched is not None:
        row.gap_matched = row.matched - bm.matched
        if row.score is not None and bm.score:
            row.gap_score_pct = (row.score - bm.score) / abs(bm.score) * 100


def _fmt(value: float | int | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


HEADER = (
    f"{'size':>7} {'tool':<12} {'status':<9} {'wall s':>8} {'peak MB':>8} {'matched':>8} "
    f"{'score':>11} {'Δmatched':>8} {'Δscore %':>9} {'× time':>7}  note"
)


def _line(r: Row) -> str:
    return (
        f"{r.size:>7,} {r.tool:<12} {r.status[:9]:<9} {_fmt(r.wall_s, '.2f'):>8} "
        f"{_fmt(r.peak_mb, '.0f'):>8} {_fmt(r.matched, 'd'):>8} {_fmt(r.score, '.3f'):>11} "
        f"{_fmt(r.gap_matched, '+d'):>8} {_fmt(r.gap_score_pct, '+.4f'):>9} "
        f"{_fmt(r.time_ratio, '.1f'):>7}  {r.note}"
    )


def _print_progress(r: Row) -> None:
    print(_line(r), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_worker"]:  # internal: one dense run in its own process
        tool, npath, lpath, out, limit = argv[1:6]
        if tool == "scipy":
            worker_scipy(npath, lpath, out)
        else:
            worker_cpsat(npath, lpath, out, float(limit))
        return 0

    ap = argparse.ArgumentParser(
        description="Time buddymatch end to end against dense scipy and dense CP-SAT.",
        epilog="Example: .venv/bin/python benchmarks/compare.py --sizes 1000,10000 --out r.json",
    )
    ap.add_argument("--sizes", default="1000,5000,20000,50000", help="newcomer counts")
    ap.add_argument("--seed", type=int, default=0, help="roster generator seed")
    ap.add_argument("--out", type=Path, default=None, help="results JSON (default: workdir)")
    ap.add_argument("--workdir", type=Path, default=None, help="where rosters/outputs go")
    ap.add_argument("--tools", default="buddymatch,scipy,cpsat", help="comma-separated")
    ap.add_argument("--scipy-max", type=int, default=20_000, help="largest dense scipy size")
    ap.add_argument("--cpsat-max-cells", type=int, default=5_000_000)
    ap.add_argument("--cpsat-time-limit", type=float, default=60.0)
    ap.add_argument("--mem-limit-gb", type=float, default=16.0, help="skip dense above this")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per command, seconds")
    ap.add_argument("--no-demo", action="store_true", help="do not time `buddymatch demo`")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="N rounds, each tool once per round in turn; report the median wall",
    )
    ap.add_argument(
        "--rosters",
        nargs=2,
        metavar=("NEWCOMERS", "LOCALS"),
        help="compare on these roster files instead of generated ones (--sizes is ignored)",
    )
    args = ap.parse_args(argv)
    args.tools = {t.strip().removeprefix("dense-") for t in args.tools.split(",")}
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.rosters:
        sizes = [0]  # one run; the size is read from the files
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="buddymatch-compare-"))
    workdir.mkdir(parents=True, exist_ok=True)
    out = args.out or workdir / "results.json"

    info = machine()
    print(
        f"machine: {info['nproc']} cores ({info['cpu']}), {info['ram_gib']} GiB RAM, Python "
        f"{info['python']}, " + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    )
    results: dict[str, Any] = {
        "machine": info,
        "argv": argv,
        "seed": None if args.rosters else args.seed,
        "runs": [],
    }
    if not args.no_demo:
        demo = measure(
            [*_buddymatch_exe(), "demo", "--output-dir", str(workdir / "demo")],
            workdir / "demo.log",
            args.timeout,
            _env(),
        )
        results["demo"] = asdict(demo)
        print(
            f"buddymatch demo: {demo.wall_s:.2f} s wall, {demo.peak_mb:.0f} MB peak "
            f"(exit {demo.returncode})"
        )
    print(HEADER)
    rows: list[Row] = []
    for size in sizes:
        rows.extend(run_size(size, args, workdir))
        results["runs"] = [asdict(r) for r in rows]
        out.write_text(json.dumps(results, indent=2), encoding="utf-8")  # keep partial results

    print("\n" + HEADER)
    for r in rows:
        print(_line(r))
    print(
        "\nscore: total of pair scores; Δ: tool − buddymatch; × time: tool wall / buddymatch "
        "wall (buddymatch includes CSV out; dense tools stop at the solution)."
    )
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
