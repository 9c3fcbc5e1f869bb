"""Pausing the cyclic garbage collector around steps that make many lasting objects."""

from __future__ import annotations

import gc

import pytest

from buddymatch import _gc


def test_paused_switches_the_collector_off_and_on_again() -> None:
    assert gc.isenabled()
    with _gc.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), _gc.paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_paused_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    try:
        with _gc.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_freeze_moves_what_the_block_made_out_of_the_collectors_sight() -> None:
    before = gc.get_freeze_count()
    try:
        with _gc.paused(freeze=True):
            kept = [[i] for i in range(1000)]  # lists are tracked by the collector
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + len(kept)
        assert not any(gc.is_tracked(x) and x in gc.get_objects(0) for x in kept[:3])
    finally:
        gc.unfreeze()
