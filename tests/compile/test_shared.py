"""Shared variables: values with copy semantics, updates, an iterative algorithm."""

from __future__ import annotations

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at


def test_construction():
    s = ac.shared(np.zeros((2, 3), dtype="float32"), name="s")
    assert isinstance(s, ac.SharedVariable)
    assert s.dtype == "float32" and s.ndim == 2 and s.name == "s" and s.owner is None
    assert ac.shared(1.5).dtype == "float64" and ac.shared(1.5).ndim == 0
    assert ac.shared(3).dtype == "int64"
    assert ac.shared(True).dtype == "bool"
    assert ac.shared([1, 2, 3]).type.shape == (None,)
    assert ac.shared(np.zeros(3), shape=(3,)).type.shape == (3,)
    with pytest.raises(TypeError):
        ac.shared(at.dvector())
    with pytest.raises(TypeError):
        ac.shared("text")
    with pytest.raises(TypeError):
        ac.shared(np.zeros(2, dtype=complex))


def test_get_value_and_set_value_copy():
    source = np.arange(3.0)
    s = ac.shared(source, name="s")
    source[0] = 100.0
    assert s.get_value()[0] == 0.0  # the constructor copied
    got = s.get_value()
    got[1] = 100.0
    assert s.get_value()[1] == 1.0  # get_value returned a copy
    new = np.full(5, 2.0)
    s.set_value(new)  # another length is fine: the shape is not static
    new[0] = -1.0
    np.testing.assert_array_equal(s.get_value(), np.full(5, 2.0))
    s.set_value([1, 2])  # converted (int -> float64)
    assert s.get_value().dtype == "float64"
    np.testing.assert_array_equal(s.get_value(), [1.0, 2.0])


def test_set_value_rejects_bad_values():
    s = ac.shared(np.zeros(3), name="weights")
    with pytest.raises(ValueError, match="weights"):
        s.set_value(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="weights"):
        s.set_value("abc")
    n = ac.shared(np.zeros(3, dtype="int64"), name="counts")
    with pytest.raises(TypeError, match="counts"):
        n.set_value(np.array([1.5, 2.5, 3.5]))
    fixed = ac.shared(np.zeros(3), name="fixed", shape=(3,))
    with pytest.raises(ValueError, match="fixed"):
        fixed.set_value(np.zeros(4))
    np.testing.assert_array_equal(s.get_value(), np.zeros(3))  # unchanged by the failures


def test_functions_read_the_current_value(mode):
    s = ac.shared(np.float64(2.0), name="s")
    x = at.dscalar("x")
    f = ac.function([x], x * s, mode=mode)
    assert f(3.0) == 6.0
    s.set_value(10.0)
    assert f(3.0) == 30.0
    assert (s * 2).eval() == 20.0


def test_counter_update(mode):
    count = ac.shared(np.int64(0), name="count")
    step = at.lscalar("step")
    f = ac.function([step], count, updates={count: count + step}, mode=mode)
    results = [int(f(2)) for _ in range(4)]
    assert results == [0, 2, 4, 6]  # outputs see the value before the update
    assert count.get_value() == 8


def test_updates_are_simultaneous(mode):
    a = ac.shared(np.array([1.0]), name="a")
    b = ac.shared(np.array([2.0]), name="b")
    f = ac.function([], [], updates=[(a, b), (b, a)], mode=mode)
    f()
    assert a.get_value()[0] == 2.0 and b.get_value()[0] == 1.0


def test_update_and_output_do_not_alias(mode):
    s = ac.shared(np.zeros(3), name="s")
    x = at.dvector("x")
    y = x * 2.0
    f = ac.function([x], [y, s], updates={s: y}, mode=mode)
    out, old = f(np.ones(3))
    out[:] = -5.0
    old[:] = -7.0
    np.testing.assert_array_equal(s.get_value(), [2.0, 2.0, 2.0])
    g = ac.function([x], x, updates={s: x}, mode=mode)
    xv = np.arange(3.0)
    g(xv)
    xv[:] = 9.0
    np.testing.assert_array_equal(s.get_value(), [0.0, 1.0, 2.0])
    h = ac.function([], s, mode=mode)
    h()[:] = 42.0
    np.testing.assert_array_equal(s.get_value(), [0.0, 1.0, 2.0])


def test_update_casts_within_kind_and_refuses_the_rest(mode):
    s32 = ac.shared(np.zeros(2, dtype="float32"), name="s32")
    x = at.dvector("x")
    f = ac.function([x], [], updates={s32: x + 1.0}, mode=mode)
    f(np.ones(2))
    assert s32.get_value().dtype == "float32" and s32.get_value().tolist() == [2.0, 2.0]
    n = ac.shared(np.zeros(2, dtype="int64"), name="n")
    with pytest.raises(TypeError, match="n"):
        ac.function([x], [], updates={n: x}, mode=mode)
    with pytest.raises(ValueError):
        ac.function([x], [], updates={s32: x.sum()}, mode=mode)
    with pytest.raises(TypeError):
        ac.function([x], [], updates={x: x + 1.0}, mode=mode)
    with pytest.raises(ValueError):
        ac.function([x], [], updates=[(s32, x), (s32, x * 2.0)], mode=mode)


def test_shared_between_functions(mode):
    s = ac.shared(np.float64(0.0), name="s")
    inc = ac.function([], [], updates={s: s + 1.0}, mode=mode)
    read = ac.function([], s * 10.0, mode=mode)
    inc()
    inc()
    assert read() == 20.0


def test_givens_with_shared(mode):
    data = ac.shared(np.arange(4.0), name="data")
    x = at.dvector("x")
    f = ac.function([], (x ** 2).sum(), givens={x: data}, mode=mode)
    assert f() == 14.0
    data.set_value(np.ones(2))
    assert f() == 2.0


def test_gradient_descent_with_handwritten_update(mode):
    """Least squares by gradient descent: the update rule is written by hand."""
    rng = np.random.default_rng(0)
    X_val = rng.normal(size=(50, 3))
    true_w = np.array([1.5, -2.0, 0.5])
    y_val = X_val @ true_w + 0.01 * rng.normal(size=50)

    w = ac.shared(np.zeros(3), name="w")
    X, y = at.dmatrix("X"), at.dvector("y")
    lr = at.dscalar("lr")
    residual = X @ w - y
    cost = (residual ** 2).mean()
    grad = 2.0 * (X.T @ residual) / X.shape[0]
    step = ac.function([X, y, lr], cost, updates={w: w - lr * grad}, mode=mode)

    costs = [float(step(X_val, y_val, 0.1)) for _ in range(300)]
    assert costs[-1] < costs[0] / 100
    assert all(b <= a + 1e-12 for a, b in zip(costs, costs[1:]))  # monotone for this step
    want = np.linalg.lstsq(X_val, y_val, rcond=None)[0]
    np.testing.assert_allclose(w.get_value(), want, atol=1e-6)
