"""A function's background build waits for its first call to return (or for a grace
period), so the first result does not share the interpreter lock with the build."""

import threading
import time

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile import tiered


@pytest.fixture
def builds(monkeypatch):
    """Background builds record that they started (and build nothing)."""
    started = threading.Event()

    def build(plan):
        started.set()
        raise RuntimeError("not built in this test")

    monkeypatch.setattr(tiered, "build_program", build)
    yield started
    assert tiered.wait_idle(60)


def _function(shift: float):
    x = at.dvector("x")
    return ac.function([x], at.exp(x * shift).sum(), mode="tiered")


def test_the_build_starts_when_the_first_call_returned(builds, monkeypatch):
    monkeypatch.setattr(tiered, "FIRST_CALL_GRACE", 600.0)
    f = _function(1.5)
    time.sleep(0.05)
    assert not builds.is_set() and f._job.hold_until  # waits for the first call
    assert f(np.ones(3)) == pytest.approx(3 * np.exp(1.5))
    assert builds.wait(60)


def test_an_uncalled_function_builds_after_the_grace(builds, monkeypatch):
    monkeypatch.setattr(tiered, "FIRST_CALL_GRACE", 0.05)
    f = _function(2.5)
    assert builds.wait(60) and f._job is not None


def test_wait_idle_starts_the_held_builds(builds, monkeypatch):
    monkeypatch.setattr(tiered, "FIRST_CALL_GRACE", 600.0)
    f = _function(3.5)
    assert tiered.wait_idle(60) and builds.is_set()
    assert f(np.ones(2)) == pytest.approx(2 * np.exp(3.5))  # the interpreter tier stays
    assert getattr(f, "_cython_program", None) is None
