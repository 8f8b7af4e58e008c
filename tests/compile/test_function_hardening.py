"""``ac.function`` under stress: threads updating shared variables, inputs sharing a
name, integer constants at the edge of their dtype, errors that name the operands."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at


def _run_threads(target, n: int) -> None:
    threads = [threading.Thread(target=target) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_updates_are_atomic_under_threads(mode):
    # Large enough that NumPy releases the GIL inside the add: without the locks the
    # read-compute-write of different threads interleave and increments are lost.
    w = ac.shared(np.zeros(200_000), name="w")
    f = ac.function([], [], updates={w: w + 1}, mode=mode)

    def work():
        for _ in range(150):
            f()

    _run_threads(work, 8)
    value = w.get_value()
    assert value.min() == value.max() == 8 * 150


def test_two_functions_updating_the_same_variables_do_not_deadlock(mode):
    a = ac.shared(np.zeros(50_000), name="a")
    b = ac.shared(np.zeros(50_000), name="b")
    x = at.dscalar("x")
    # The two functions list the variables in opposite orders.
    f = ac.function([x], [], updates={a: a + x, b: b + a * 0 + 1}, mode=mode)
    g = ac.function([], [], updates={b: b + 1, a: a + 1}, mode=mode)

    def work_f():
        for _ in range(100):
            f(1.0)

    def work_g():
        for _ in range(100):
            g()

    threads = [threading.Thread(target=t) for t in (work_f, work_g, work_f, work_g)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert a.get_value()[0] == 400 and b.get_value()[0] == 400


def test_set_value_waits_for_an_update_in_progress(mode):
    w = ac.shared(np.zeros(3), name="w")
    f = ac.function([], w.sum(), updates={w: w + 1}, mode=mode)
    with w.lock:  # a call elsewhere holds the variable: set_value and calls wait
        done = []
        t = threading.Thread(target=lambda: done.append(f()))
        t.start()
        t.join(timeout=0.2)
        assert not done
    t.join()
    assert done == [0.0]
    w.set_value([5.0, 5.0, 5.0])
    assert f() == 15.0


def test_functions_without_updates_take_no_lock(mode):
    w = ac.shared(np.ones(3), name="w")
    f = ac.function([], w.sum(), mode=mode)
    with w.lock:
        done = []
        t = threading.Thread(target=lambda: done.append(f()))
        t.start()
        t.join(timeout=30)
    assert done == [3.0]


def test_inputs_with_the_same_name(mode):
    a, c, b = at.dscalar("x"), at.dscalar("y"), at.dscalar("x")
    g = ac.function([a, c, b], a + c - b, mode=mode)
    assert g(1.0, 2.0, 4.0) == -1.0  # by position: fine
    with pytest.raises(TypeError, match=r"'x' is ambiguous: inputs 0, 2 .*by position"):
        g(1.0, 2.0, x=4.0)
    with pytest.raises(TypeError, match="ambiguous"):
        g(1.0, y=2.0, x=4.0)
    assert g(1.0, 2.0, 4.0) == -1.0


@pytest.mark.parametrize("dtype", ["int8", "int64"])
def test_integer_constants_at_the_edges_of_their_dtype(mode, dtype):
    info = np.iinfo(dtype)
    x = at.vector("x", dtype=dtype)
    values = np.array([0, -1, 1, info.min, info.max], dtype=dtype)
    consts = [np.dtype(dtype).type(c) for c in (info.max, info.min)]
    builds = [
        lambda x, c: x - c,
        lambda x, c: x + c,
        lambda x, c: -(c * x),
        lambda x, c: c * x + c * x,
    ]
    outs = [b(x, c) for c in consts for b in builds]
    f = ac.function([x], outs, mode=mode)
    with np.errstate(over="ignore"):
        expected = [b(values, c) for c in consts for b in builds]
    for got, want in zip(f(values), expected):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("tier", ["numpy", "cython", "tiered"])
def test_shape_errors_name_the_operands(tier):
    # The compiled module runs this product through its own BLAS kernel, the tiered
    # function's interpreter through NumPy: every tier names the arguments.
    x, M = at.dvector("x"), at.dmatrix("M")
    f = ac.function([x, M], x @ M, mode=tier)
    for call in (lambda: f(np.ones(4), np.eye(3)), lambda: f(M=np.eye(3), x=np.ones(4))):
        with pytest.raises(ValueError, match=r"(matmul|dot) of x \(argument 0, shape \(4,\)\) "
                                             r"and M \(argument 1, shape \(3, 3\)\)"):
            call()
    np.testing.assert_array_equal(f(np.ones(3), np.eye(3)), np.ones(3))
