"""Work done meanwhile in a forked process: the second core for what threads cannot share.

Reading roster rows is Python, and holds the interpreter: two threads cannot read at
once. A forked child can. It starts with everything this process holds (imported
modules, pools, spatial trees), works alone, and sends back only its result. It is used
only where that is safe — a system with ``fork`` and no other Python thread running (a
forked copy of a lock another thread held would never be released) — and callers use it
only where it pays. Whatever goes wrong in the child, :meth:`Elsewhere.result` gives
``None`` and the caller does the work itself, so no result ever depends on it.

It is not free: while the child lives, every memory page this process writes to is copied
first (copy-on-write). Numpy work of a second or less gained nothing end to end when
measured (half of the candidate chunks, stage counts during the solve), and numpy work
runs in threads anyway, as numpy lets go of the interpreter; Python-bound work, such as
reading a roster, is what pays.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    """True where a forked child is safe and allowed: ``fork`` exists, no other thread runs,
    and this is not a daemon process (``multiprocessing.Pool`` workers may have no children).

    Never on macOS: its system libraries (Accelerate under numpy among them) are not safe
    to use in a forked child, which is why Python itself stopped forking there by default.
    """
    return (
        sys.platform != "darwin"
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and not multiprocessing.current_process().daemon
    )


class Elsewhere(Generic[T]):
    """``work()`` started now in a forked child; :meth:`result` waits for what it sent
    (pickled). Call :func:`can_fork` first.
    """

    def __init__(self, work: Callable[[], T]) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, to_parent = context.Pipe(duplex=False)
        self._process = context.Process(target=_work_and_send, args=(to_parent, work), daemon=True)
        with warnings.catch_warnings():
            # Python 3.12+ warns when any OS thread exists; numpy's BLAS keeps idle worker
            # threads, which are fork-safe. Python threads are ruled out by can_fork.
            warnings.simplefilter("ignore", DeprecationWarning)
            self._process.start()
        to_parent.close()  # the child's end now: EOF here if the child dies

    def result(self) -> T | None:
        """What the child sent, or ``None`` if it failed in any way (do the work here)."""
        value: T | None = None
        try:
            if self._receive.recv():  # False: the work itself failed
                value = self._receive.recv()
        except (EOFError, OSError):
            value = None
        finally:
            self._receive.close()
            self._process.join()
        return value


def _work_and_send(to_parent: Connection, work: Callable[[], T]) -> None:
    """The child's whole job: a flag (did the work succeed), then the result."""
    try:
        try:
            value = work()
        except BaseException:  # of any kind: the parent does the work again and reports it
            to_parent.send(False)
            return
        to_parent.send(True)
        to_parent.send(value)
    except BaseException:  # e.g. not picklable: the pipe closes early, EOF in the parent
        pass
    finally:
        to_parent.close()
