"""Tiered execution: functions answer on the kernel interpreter while their module
builds in the background, then switch to it; failures keep the interpreter."""

import gc
import logging
import pickle
import threading
import weakref

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile import tiered
from aesara_cas.compile.cython.interp_program import InterpProgram


def _expr():
    x, y = at.dvector("x"), at.dvector("y")
    return x, y, at.exp(-x * x) * at.sin(y) + at.log1p(at.exp(y))


def _accumulate(**kwargs):
    """``sum(exp(acc))``, then ``acc += x``, on a new shared ``acc`` (the same module
    every time: sources do not depend on variables' identities)."""
    x = at.dvector("x")
    acc = ac.shared(np.zeros(4), name="acc")
    f = ac.function([x], at.exp(acc).sum(), updates={acc: acc + x}, mode="tiered", **kwargs)
    return f, acc


def _build_threads():
    return [t for t in threading.enumerate() if t.name == "aesara_cas-build"]


@pytest.fixture
def gated(monkeypatch):
    """Background builds wait for ``gate.set()`` (so a test can call during one)."""
    gate = threading.Event()
    real = tiered.build_program

    def build(plan):
        assert gate.wait(60)
        return real(plan)

    monkeypatch.setattr(tiered, "build_program", build)
    yield gate
    gate.set()
    assert tiered.wait_idle(120)


def test_default_mode_follows_the_sync_switch(monkeypatch):
    x, y, out = _expr()
    monkeypatch.setenv(tiered.SYNC_VAR, "1")  # the suite's default (conftest)
    assert not tiered.use_tiers(None, False)
    monkeypatch.setenv(tiered.SYNC_VAR, "0")
    assert tiered.use_tiers(None, False)
    assert tiered.use_tiers("tiered", False) and not tiered.use_tiers("cython", False)
    assert not tiered.use_tiers("tiered", True)  # profiles describe the native module
    f, _ = _accumulate(profile=True)  # the module test_updates_... switches to
    assert getattr(f, "_cython_program", None) is not None and f.profile is not None
    assert getattr(f, "_job", None) is None


def test_calls_during_and_after_the_build_agree(gated):
    x, y, out = _expr()
    f = ac.function([x, y], [out, x + 1.0], mode="tiered")
    assert isinstance(f._program, InterpProgram)
    rng = np.random.default_rng(0)
    args = [rng.normal(size=1001), rng.normal(size=1001)]
    during = f(*args)
    during_kw = f(x=args[0], y=args[1])
    assert getattr(f, "_cython_program", None) is None  # still on the interpreter
    bad = {"dtype": (np.ones(3, "complex128"), np.ones(3)), "shape": (np.ones(3), np.ones(4)),
           "ndim": (np.ones((2, 2)), np.ones(2)), "missing": (np.ones(3),)}
    errors = {}
    for key, bad_args in bad.items():
        with pytest.raises((TypeError, ValueError)) as info:
            f(*bad_args)
        errors[key] = (type(info.value), str(info.value), getattr(info.value, "__notes__", []))
    gated.set()
    assert tiered.wait_idle(120)
    after = f(*args)
    assert f._cython_program is not None and f._job is None  # switched at that call
    for a, b, c in zip(during, during_kw, after):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    for key, bad_args in bad.items():  # the same errors on the native tier
        with pytest.raises((TypeError, ValueError)) as info:
            f(*bad_args)
        assert (type(info.value), str(info.value),
                getattr(info.value, "__notes__", [])) == errors[key], key


def test_failed_build_keeps_the_interpreter_and_reports_once(monkeypatch, caplog):
    def broken(plan):
        raise RuntimeError("gcc exploded")

    monkeypatch.setattr(tiered, "build_program", broken)
    x, y, out = _expr()
    with caplog.at_level(logging.WARNING, logger="aesara_cas.compile"):
        f = ac.function([x, y], out, mode="tiered")
        assert tiered.wait_idle(60)
        args = [np.linspace(-1, 1, 50), np.linspace(0, 2, 50)]
        first = f(*args)
        for _ in range(3):
            assert np.array_equal(f(*args), first)
    reports = [r for r in caplog.records if "gcc exploded" in r.getMessage()]
    assert len(reports) == 1
    assert f._job is None and getattr(f, "_cython_program", None) is None
    expected = np.exp(-args[0] ** 2) * np.sin(args[1]) + np.log1p(np.exp(args[1]))
    np.testing.assert_allclose(first, expected, rtol=1e-13)


def test_many_dropped_functions_leak_no_threads(monkeypatch):
    built = []
    gate = threading.Event()

    def build(plan):  # nobody calls these functions again: no module needed
        assert gate.wait(60)
        built.append(plan)

    monkeypatch.setattr(tiered, "build_program", build)
    x = at.dvector("x")
    refs = []
    for i in range(500):
        f = ac.function([x], at.exp(x) + float(i), mode="tiered")
        refs.append(weakref.ref(f))
        del f
    gate.set()
    assert tiered.wait_idle(60)
    gc.collect()
    assert not any(r() is not None for r in refs)
    assert _build_threads() == []
    assert len(built) <= 1  # jobs of functions dropped before their build are skipped


def test_updates_pickle_and_locks_across_the_switch(gated):
    f, acc = _accumulate()
    assert f._locks  # holds the shared variable's lock during each call
    one = np.ones(4)
    first = f(one)
    g = pickle.loads(pickle.dumps(f))  # pickled on the interpreter tier
    gated.set()
    assert tiered.wait_idle(120)
    second = f(one)  # the switch: the update still happens, under the lock
    assert f._cython_program is not None
    assert first == 4.0 and np.isclose(second, 4 * np.e)
    np.testing.assert_array_equal(acc.get_value(), 2 * one)
    threads = [threading.Thread(target=f, args=(one,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(acc.get_value(), 6 * one)
    assert np.isclose(g(one), 4 * np.e)  # the copy has its own shared value (ones)


def test_broken_interpreter_falls_back_to_synchronous_builds(monkeypatch, caplog):
    from aesara_cas.compile.cython import interp_program

    def broken(fgraph, plan):
        raise RuntimeError("no interpreter here")

    monkeypatch.setattr(interp_program, "InterpProgram", broken)
    monkeypatch.setattr(tiered, "_interp_broken", False)
    x, y, out = _expr()
    with caplog.at_level(logging.WARNING, logger="aesara_cas.compile"):
        for _ in range(2):
            f = ac.function([x, y], [out, x + 1.0], mode="tiered")
            assert f._cython_program is not None and getattr(f, "_job", None) is None
    assert sum("no interpreter here" in r.getMessage() for r in caplog.records) == 1


def test_background_cython_does_not_swallow_other_threads_output(tmp_path, monkeypatch):
    """Builds run beside user code: Cython's messages must not take over sys.stdout."""
    import io

    from aesara_cas.compile.cython import build

    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    done = threading.Event()

    def cythonize_a_few():
        try:
            pyx = tmp_path / "m.pyx"
            pyx.write_text("def f(x):\n    return x + 1\n")
            build.cythonize(pyx, "m")
        finally:
            done.set()

    worker = threading.Thread(target=cythonize_a_few)
    worker.start()
    lines = 0
    while not done.is_set() or lines < 10:
        print(f"line {lines}")
        lines += 1
    worker.join()
    assert out.getvalue().splitlines() == [f"line {k}" for k in range(lines)]


def test_fresh_cache_builds_first_functions_while_the_interpreter_builds(monkeypatch):
    """Until the interpreter is in the cache, default-mode functions are built as
    before (a graph's module builds faster than the interpreter) and the interpreter
    builds in the background; later functions start on it."""
    from aesara_cas.compile.cython import interp

    monkeypatch.setattr(interp, "_module", None)
    monkeypatch.setattr(interp, "PREBUILT_DIR", None)  # as if not built at install
    monkeypatch.setattr(interp, "cached", lambda: False)
    monkeypatch.setattr(tiered, "_interp_queued", False)
    monkeypatch.setenv(tiered.SYNC_VAR, "0")
    x, y, out = _expr()
    f = ac.function([x, y], [out, x + 1.0])
    assert f._cython_program is not None and getattr(f, "_job", None) is None
    assert tiered.wait_idle(120) and interp.loaded()
    g = ac.function([x, y], [out, x + 1.0])
    assert isinstance(g._program, InterpProgram)
    args = [np.linspace(-1, 1, 9), np.linspace(0, 2, 9)]
    for a, b in zip(f(*args), g(*args)):
        assert np.array_equal(a, b)
    assert tiered.wait_idle(120)
