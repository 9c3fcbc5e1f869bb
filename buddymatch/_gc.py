"""Pausing Python's cyclic garbage collector where many objects are made that all stay.

Reading a roster makes a few objects per row, explaining a matching a few per pair, and
none of them form reference cycles: they are freed by reference counting as usual. Yet
the collector counts them as they are made and keeps scanning them all again: up to a
third of the time of reading a big roster, and at 10,000 newcomers 0.3–0.5 s of a
3-second match. Memory is not at stake, since nothing here waits for the collector.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused(*, freeze: bool = False) -> Iterator[None]:
    """The collector off for the block, then on again (also after an error), unless it was
    off to begin with.

    Switched on again, the collector's first pass looks at everything the block made.
    With ``freeze`` (for a command whose objects stay until its process ends) all objects
    are first moved where it never looks again (:func:`gc.freeze`).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        gc.enable()
