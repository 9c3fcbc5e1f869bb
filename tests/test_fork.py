"""Work in a forked child: its result arrives intact, and any failure means ``None``."""

from __future__ import annotations

import multiprocessing
import os
import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from buddymatch import _fork

pytestmark = pytest.mark.skipif(not _fork.can_fork(), reason="needs fork, no other threads")

dtypes = st.sampled_from([np.int64, np.int32, np.int8, np.float64, np.bool_, np.uint64])
arrays = dtypes.flatmap(
    lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=1, max_dims=2, min_side=0))
)


@settings(max_examples=15, deadline=None)
@given(st.lists(arrays, max_size=4))
def test_arrays_arrive_as_they_were_sent(sent: list[np.ndarray[Any, Any]]) -> None:
    got = _fork.Elsewhere(lambda: tuple(sent)).result()
    assert got is not None and len(got) == len(sent)
    for a, b in zip(got, sent, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_a_big_result_comes_back_whole() -> None:
    big = np.arange(3_000_000, dtype=np.int64)  # 24 MB: more than a pipe holds at once
    got = _fork.Elsewhere(lambda: (big[::-1], big)).result()
    assert got is not None
    np.testing.assert_array_equal(got[0], big[::-1])
    np.testing.assert_array_equal(got[1], big)


def test_the_child_really_is_another_process() -> None:
    assert _fork.Elsewhere(os.getpid).result() not in (None, os.getpid())


def _raises() -> int:
    raise MemoryError


def _dies() -> int:
    os._exit(3)


def _unpicklable() -> Any:
    return lambda: None


@pytest.mark.parametrize("work", [_raises, _dies, _unpicklable])
def test_any_failure_in_the_child_gives_none(work: Any, capfd: pytest.CaptureFixture[str]) -> None:
    assert _fork.Elsewhere(work).result() is None
    assert capfd.readouterr().err == ""  # no traceback for users to puzzle over


def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not _fork.can_fork()
    finally:
        stop.set()
        other.join()
    assert _fork.can_fork()


def _forks_allowed_here(_: int) -> bool:
    return _fork.can_fork()


def test_no_fork_inside_a_daemon_process() -> None:
    """``multiprocessing.Pool`` workers are daemons, which may not start processes."""
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        assert pool.map(_forks_allowed_here, [0]) == [False]


def test_never_on_macos(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fork.sys, "platform", "darwin")
    assert not _fork.can_fork()
