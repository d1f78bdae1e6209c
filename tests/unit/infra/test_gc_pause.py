"""The collector pause of infra/gc_pause.py: off inside, as it was after, nesting and errors included."""

from __future__ import annotations

import gc

import pytest

from infra.gc_pause import collector_paused


def test_the_collector_is_paused_inside_and_left_as_it_was_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a program that turned it off keeps it off
    finally:
        gc.enable()
