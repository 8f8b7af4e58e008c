"""The garbage-collector pause around graph building leaves the collector as it was."""

import gc

import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.graph.gc_pause import paused_gc, pausing_gc


@pytest.fixture
def gc_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_pause_restores_and_nests(gc_on):
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause leaves the switch to the outer one
    assert gc.isenabled()
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()  # a pause never turns on a collector that was off
    gc.enable()


def test_restored_after_an_error(gc_on):
    @pausing_gc
    def fails():
        assert not gc.isenabled()
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        fails()
    assert gc.isenabled()
    assert fails.__name__ == "fails"


def test_grad_and_function_restore_the_collector(gc_on):
    x = at.dscalar("x")
    g = ac.grad(at.sin(x) * x, x)
    assert gc.isenabled()
    f = ac.function([x], g, mode="numpy")
    assert gc.isenabled()
    assert f(0.5) == pytest.approx(0.5 * 0.8775825618903728 + 0.479425538604203)
