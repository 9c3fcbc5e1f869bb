"""benchmarks/compare.py's measuring: the median of repeated runs, and failures kept."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

from _scripts import load_script


def _compare() -> ModuleType:
    return load_script("benchmarks/compare.py")


def test_repeated_runs_report_the_median_wall_and_every_run(tmp_path: Path) -> None:
    compare = _compare()
    sleeps = tmp_path / "sleeps"
    sleeps.write_text("0.8 0.0 0.4", encoding="utf-8")
    # Each run sleeps for the next number in the file: walls about 0.8, 0.0, 0.4 s.
    code = (
        f"import pathlib, time; p = pathlib.Path(r'{sleeps}'); s = p.read_text().split(); "
        "time.sleep(float(s[0])); p.write_text(' '.join(s[1:] + s[:1]))"
    )
    got, walls = compare.measure_repeated([sys.executable, "-c", code], tmp_path / "log", 60, {}, 3)
    assert got.returncode == 0 and len(walls) == 3
    assert got.wall_s == sorted(walls)[1]
    assert walls[0] > walls[2] > walls[1]


def test_a_failing_run_is_reported_as_failed(tmp_path: Path) -> None:
    compare = _compare()
    got, walls = compare.measure_repeated(
        [sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "log", 60, {}, 2
    )
    assert got.returncode == 3 and len(walls) == 2


def test_tools_take_turns_in_every_round(tmp_path: Path) -> None:
    """Round by round, each command once: a drift in the machine's speed falls on all."""
    compare = _compare()
    order = tmp_path / "order"
    commands = {
        name: ([sys.executable, "-c", f"open(r'{order}', 'a').write('{name}')"], tmp_path / name)
        for name in ("a", "b")
    }
    got = compare.measure_in_turns(commands, 60, {}, 3)
    assert order.read_text() == "ababab"
    assert {name: len(walls) for name, (_, walls) in got.items()} == {"a": 3, "b": 3}
    assert all(m.returncode == 0 and m.wall_s == sorted(w)[1] for m, w in got.values())
