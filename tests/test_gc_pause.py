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


class _Cycle:
    def __init__(self):
        self.me = self


def _make_cycles(n, keep):
    # n cyclic objects; `keep` of them stay alive, the rest are cyclic garbage.
    import weakref

    alive = [_Cycle() for _ in range(keep)]
    refs = [weakref.ref(_Cycle()) for _ in range(n - keep)]
    return alive, refs


def _in_oldest(obj):
    return any(o is obj for o in gc.get_objects(generation=2))


@pytest.fixture
def promote(gc_on, monkeypatch):
    from aesara_cas.graph import gc_pause

    gc.collect()  # a full collection: the budget starts from zero
    monkeypatch.setattr(gc_pause, "PROMOTE_MIN", 2000)
    monkeypatch.setattr(gc_pause, "PROMOTE_BUDGET", 15000)
    return gc_pause


def test_many_young_objects_go_to_the_oldest_generation(promote):
    with paused_gc():
        alive, refs = _make_cycles(5000, 1000)
    # Moved without a scan...
    assert _in_oldest(alive[0]) and promote._promoted >= 5000
    assert all(r() is not None for r in refs)  # (nothing examined them yet)
    # ... and the next full collection frees the garbage among them, and resets the budget.
    gc.collect()
    assert all(r() is None for r in refs) and len(alive) == 1000
    assert promote._promoted == 0


def test_promotion_budget_bounds_what_skips_the_collector(promote, monkeypatch):
    freezes = []
    real_freeze = gc.freeze
    monkeypatch.setattr(gc, "freeze", lambda: (freezes.append(1), real_freeze()))
    monkeypatch.setattr(promote, "PROMOTE_BUDGET", 8000)  # room for one pause below
    with paused_gc():
        kept = _make_cycles(5000, 5000)
    assert _in_oldest(kept[0][0]) and len(freezes) == 1
    with paused_gc():  # over the budget: the young objects take the usual path
        more = _make_cycles(5000, 5000)
    assert len(freezes) == 1 and more


def test_objects_frozen_by_the_program_stay_frozen(promote):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_gc():
            alive, _ = _make_cycles(5000, 5000)
        assert gc.get_freeze_count() == frozen and not _in_oldest(alive[0])
    finally:
        gc.unfreeze()
