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
measured (half of the candidate chunks, stage counts during the solve); Python-bound
work, such as reading a roster, does.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:  # numpy loads only where arrays are sent: reading rosters forks before it
    import numpy as np

T = TypeVar("T")
Arrays = tuple["np.ndarray[Any, Any]", ...]


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


def send_pickled(to: Connection, value: object) -> None:
    to.send(value)


def receive_pickled(source: Connection) -> Any:
    return source.recv()


def send_arrays(to: Connection, arrays: Arrays) -> None:
    """Arrays as their raw bytes after a small header: no pickled copy of millions of pairs."""
    import numpy as np

    to.send([(a.dtype.str, a.shape) for a in arrays])
    for a in arrays:
        to.send_bytes(np.ascontiguousarray(a).view(np.uint8).reshape(-1).data)


def receive_arrays(source: Connection) -> Arrays:
    import numpy as np

    out = []
    for dtype, shape in source.recv():
        a = np.empty(shape, dtype=np.dtype(dtype))
        if a.nbytes:
            source.recv_bytes_into(a.view(np.uint8).reshape(-1).data)
        else:
            source.recv_bytes()
        out.append(a)
    return tuple(out)


class Elsewhere(Generic[T]):
    """``work()`` started now in a forked child; :meth:`result` waits for what it sent.

    ``send`` and ``receive`` move the result through the pipe (pickled by default).
    Call :func:`can_fork` first.
    """

    def __init__(
        self,
        work: Callable[[], T],
        *,
        send: Callable[[Connection, T], None] = send_pickled,
        receive: Callable[[Connection], T] = receive_pickled,
    ) -> None:
        self._read = receive
        context = multiprocessing.get_context("fork")
        self._receive, to_parent = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_work_and_send, args=(to_parent, work, send), daemon=True
        )
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
                value = self._read(self._receive)
        except (EOFError, OSError):
            value = None
        finally:
            self._receive.close()
            self._process.join()
        return value


def _work_and_send(
    to_parent: Connection, work: Callable[[], T], send: Callable[[Connection, T], None]
) -> None:
    """The child's whole job: a flag (did the work succeed), then the result."""
    try:
        try:
            value = work()
        except BaseException:  # of any kind: the parent does the work again and reports it
            to_parent.send(False)
            return
        to_parent.send(True)
        send(to_parent, value)
    except BaseException:  # e.g. not picklable: the pipe closes early, EOF in the parent
        pass
    finally:
        to_parent.close()
