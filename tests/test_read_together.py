"""Reading both rosters at once (the bigger in a forked process) gives what reading them
one after the other gives, and falls back to reading here whenever the other process
cannot do it."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _pools import assert_same_pool

from buddymatch import _read
from buddymatch._read import Roster, read_locals, read_newcomers, read_rosters, start_reading

SAMPLES = Path(_read.__file__).parent / "data" / "samples"

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork"
)


def _roster_with_problems(tmp_path: Path, sample: str, name: str) -> Path:
    """A sample roster in Dutch Excel form (``;``, cp1252) with broken rows added."""
    lines = (SAMPLES / sample).read_text("utf-8").splitlines()
    header = lines[0].split(",")
    bad = dict.fromkeys(header, "")
    bad |= {"id": lines[1].split(",")[0], "postcode": "9999ZZ", "languages": "xx"}  # dup id
    broken = [",".join(bad[c] for c in header), ",".join(["X1", *[""] * (len(header) - 1)])]
    path = tmp_path / name
    text = "\r\n".join([*lines, *broken]).replace(",", ";") + "\r\n"
    path.write_bytes(text.encode("cp1252", errors="replace"))
    return path


def _same(a: Roster[Any], b: Roster[Any]) -> None:
    assert a.people == b.people
    assert a.problems == b.problems
    assert a.rejected == b.rejected
    assert (a.source, a.header, a.rows_read, a.delimiter) == (
        b.source,
        b.header,
        b.rows_read,
        b.delimiter,
    )


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setattr(_read, "PARALLEL_MIN_BYTES", 0)  # fork for the small samples too
    return (
        _roster_with_problems(tmp_path, "rotterdam_newcomers.csv", "nieuwkomers.csv"),
        _roster_with_problems(tmp_path, "rotterdam_locals.csv", "vrijwilligers.csv"),
    )


def _count_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    started: list[int] = []
    real = _read._fork.Elsewhere.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        started.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(_read._fork.Elsewhere, "__init__", counting)
    return started


def test_reading_together_gives_what_reading_one_by_one_gives(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    forks = _count_forks(monkeypatch)
    calls: list[int] = []
    newcomers, locals_ = read_rosters(*files, meanwhile=lambda: calls.append(1))
    assert forks == [1] and calls == [1]
    _same(newcomers, read_newcomers(files[0]))
    _same(locals_, read_locals(files[1]))
    assert locals_.people and locals_.rejected  # the broken rows came back, located
    assert read_rosters(*files) == (newcomers, locals_)  # nothing to overlap: no fork
    assert forks == [1]


def test_the_bigger_file_is_read_elsewhere_and_meanwhile_runs_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_read, "PARALLEL_MIN_BYTES", 0)
    small = _roster_with_problems(tmp_path, "rivierenland_newcomers.csv", "n.csv")
    big = _roster_with_problems(tmp_path, "rotterdam_locals.csv", "l.csv")
    assert small.stat().st_size < big.stat().st_size
    elsewhere: list[Any] = []
    real = _read.start_reading

    def recording(read: Any, path: Path, **kwargs: Any) -> Any:
        elsewhere.append(path)
        return real(read, path, **kwargs)

    monkeypatch.setattr(_read, "start_reading", recording)
    calls: list[int] = []
    newcomers, locals_ = read_rosters(small, big, meanwhile=lambda: calls.append(1))
    assert elsewhere == [big] and calls == [1]
    _same(newcomers, read_newcomers(small))
    _same(locals_, read_locals(big))


def test_a_failing_reader_process_means_reading_here(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    forks = _count_forks(monkeypatch)
    here = os.getpid()

    def dies_elsewhere(path: Path, *, sheet: str | None = None) -> Roster[Any]:
        if os.getpid() != here:
            os._exit(3)  # killed, say: nothing is sent back
        return read_locals(path, sheet=sheet)

    def raises_elsewhere(path: Path, *, sheet: str | None = None) -> Roster[Any]:
        if os.getpid() != here:
            raise MemoryError
        return read_locals(path, sheet=sheet)

    for reader in (dies_elsewhere, raises_elsewhere):
        roster = start_reading(reader, files[1], alongside=files[0])()
        _same(roster, read_locals(files[1]))
    assert forks == [1, 1]


def test_no_fork_for_small_files_or_with_other_threads_running(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    forks = _count_forks(monkeypatch)
    start_reading(read_locals, files[1])()  # nothing read alongside
    monkeypatch.setattr(_read, "PARALLEL_MIN_BYTES", files[1].stat().st_size + 1)
    start_reading(read_locals, files[1], alongside=files[0])()
    monkeypatch.setattr(_read, "PARALLEL_MIN_BYTES", 0)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        roster = start_reading(read_locals, files[1], alongside=files[0])()
    finally:
        stop.set()
        other.join()
    assert forks == []
    _same(roster, read_locals(files[1]))


def test_a_missing_file_fails_as_when_read_alone(files: tuple[Path, Path], tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError):
        read_locals(missing)
    with pytest.raises(FileNotFoundError):
        read_rosters(files[0], missing)
    with pytest.raises(FileNotFoundError):
        read_rosters(files[0], missing, meanwhile=lambda: None)


def test_people_read_elsewhere_come_as_columns_and_are_read_again_only_when_asked(
    files: tuple[Path, Path],
) -> None:
    from buddymatch._match import prepare
    from buddymatch._pool import PooledPeople
    from buddymatch._weights import Weights

    newcomers, locals_ = read_rosters(*files, meanwhile=lambda: None)
    pooled, pooled_l = _read.people_of(newcomers), _read.people_of(locals_)
    assert isinstance(pooled, PooledPeople) and isinstance(pooled_l, PooledPeople)
    plain_n, plain_l = read_newcomers(files[0]), read_locals(files[1])
    assert newcomers.accepted == plain_n.accepted == len(pooled)
    assert locals_.accepted == plain_l.accepted == len(pooled_l)
    weights = Weights.default()
    fast = prepare(pooled, pooled_l, weights)
    assert pooled._people is None and pooled_l._people is None  # only the columns were needed
    slow = prepare(plain_n.people, plain_l.people, weights)
    assert fast.vocab == slow.vocab != pooled.vocab  # the columns were moved
    assert_same_pool(fast.newcomers, slow.newcomers)
    assert_same_pool(fast.locals, slow.locals)
    for name in ("pair_newcomer", "pair_local", "pair_score"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name))
    # A later run reusing these pairs (a what-if) finds nothing changed.
    again = prepare(plain_n.people, plain_l.people, weights, reuse=fast)
    for name in ("pair_newcomer", "pair_local", "pair_score"):
        assert np.array_equal(getattr(again, name), getattr(slow, name))
    # Asked for, the profiles are those read here, in the file's order.
    assert newcomers.people == plain_n.people and list(pooled) == plain_n.people
    assert locals_.people == plain_l.people and list(pooled_l) == plain_l.people


def test_profiles_are_not_read_again_from_a_file_changed_since(files: tuple[Path, Path]) -> None:
    newcomers, _ = read_rosters(*files, meanwhile=lambda: None)
    pooled = _read.people_of(newcomers)
    assert not isinstance(pooled, list)
    with files[0].open("ab") as f:
        f.write(b"N999;;;;\r\n")
    with pytest.raises(RuntimeError, match=r"nieuwkomers\.csv was changed after it was read"):
        newcomers.people  # noqa: B018
