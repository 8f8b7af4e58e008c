"""Array constructors against NumPy: values, dtypes, static shapes, symbolic sizes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at
from tests.conftest import MODES


@pytest.fixture(scope="module", params=MODES)
def compiled(request):
    """One function per mode building every constructor from symbolic sizes."""
    n, k = at.lscalar("n"), at.iscalar("k")
    x = at.dmatrix("x")
    a, b = at.dscalar("a"), at.dscalar("b")
    outs = [
        at.zeros((n, 2)), at.ones(n, dtype="int32"), at.full((2, n), a), at.full((n,), 7),
        at.zeros_like(x), at.ones_like(x, dtype="float32"), at.full_like(x, 2.5),
        at.full_like(x, a, dtype="int64"), at.eye(n), at.eye(n, 3, k), at.eye(2, n, -1, "int32"),
        at.arange(n), at.arange(1, n, 2), at.arange(a, b, 0.5), at.arange(b, a, -0.25),
        at.linspace(a, b, n), at.linspace(a, b, n, endpoint=False), at.linspace(0, n, 5),
        at.linspace(a, b, n, dtype="int64"),
    ]
    return ac.function([n, k, x, a, b], outs, mode=request.param)


def _wants(n, k, x, a, b):
    return [
        np.zeros((n, 2)), np.ones(n, dtype="int32"), np.full((2, n), a), np.full((n,), 7),
        np.zeros_like(x), np.ones_like(x, dtype="float32"), np.full_like(x, 2.5),
        np.full_like(x, a, dtype="int64"), np.eye(n), np.eye(n, 3, k), np.eye(2, n, -1, "int32"),
        np.arange(n), np.arange(1, n, 2), np.arange(a, b, 0.5), np.arange(b, a, -0.25),
        np.linspace(a, b, n), np.linspace(a, b, n, endpoint=False), np.linspace(0, n, 5),
        np.linspace(a, b, n, dtype="int64"),
    ]


@settings(max_examples=15)
@given(n=st.integers(0, 5), k=st.integers(-3, 3), rows=st.integers(0, 3),
       a=st.floats(-5, 5), b=st.floats(-5, 5))
def _check(compiled, n, k, rows, a, b):
    x = np.ones((rows, 3))
    for got, want in zip(compiled(n, k, x, a, b), _wants(n, k, x, a, b)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)


def test_constructors_match_numpy(compiled):
    _check(compiled)


def test_static_shapes_and_dtypes():
    n = at.lscalar("n")
    assert at.zeros((2, 3)).type.shape == (2, 3) and at.zeros(3).dtype == "float64"
    assert at.zeros((n, 3)).type.shape == (None, 3)
    assert at.full((2,), 3).dtype == "int64" and at.full((2,), True).dtype == "bool"
    assert at.full((2,), np.float32(1)).dtype == "float32"
    assert at.eye(3, 4).type.shape == (3, 4) and at.eye(n).type.shape == (None, None)
    assert at.arange(5).type.shape == (5,) and at.arange(5).dtype == "int64"
    assert at.arange(0, 1, 0.3).type.shape == (4,) and at.arange(0.5, 3).dtype == "float64"
    assert at.arange(5, 1).type.shape == (0,)
    assert at.arange(n).type.shape == (None,)
    assert at.linspace(0, 1, 7).type.shape == (7,)
    assert at.linspace(0, np.float32(1), 3).dtype == "float32"
    assert at.linspace(0, 1, 3).dtype == "float64"
    x = at.tensor("float32", shape=(2, None))
    assert at.zeros_like(x).type == x.type
    assert at.ones(at.constant(np.array([2, 3]))).type.shape == (2, 3)
    v = at.lvector("v")
    with pytest.raises(ValueError, match="length"):
        at.zeros(v)
    v2 = at.tensor("int64", shape=(2,), name="v2")
    assert at.zeros(v2).eval({v2: np.array([2, 1])}).shape == (2, 1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="negative"):
        at.zeros((-1, 2))
    with pytest.raises(TypeError, match="integer"):
        at.zeros((2.5,))
    with pytest.raises(TypeError, match="integer"):
        at.ones(at.dscalar())
    with pytest.raises(ValueError, match="step"):
        at.arange(0, 5, 0)
    with pytest.raises(TypeError, match="real scalar"):
        at.arange(at.dvector())
    with pytest.raises(ValueError, match="negative"):
        at.linspace(0, 1, -2)
    with pytest.raises(ValueError, match="scalar"):
        at.linspace(at.dvector(), 1.0, 3)
    with pytest.raises(ValueError, match="non-negative"):
        at.eye(-1)
    n = at.lscalar("n")
    s = at.dscalar("s")
    f = ac.function([n, s], [at.eye(n), at.arange(0.0, 1.0, s)], mode="numpy")
    with pytest.raises(ValueError, match="non-negative"):
        f(-1, 0.5)
    with pytest.raises(ValueError, match="step"):
        f(1, 0.0)


def test_linspace_gradients():
    ac.verify_grad(lambda a, b: at.linspace(a, b, 7), [np.array(0.3), np.array(2.0)])
    ac.verify_grad(lambda a, b: at.linspace(a, b, 5, endpoint=False) ** 2,
                   [np.array(-1.0), np.array(2.5)])
    ac.verify_grad(lambda a: at.full((3, 2), a) * at.arange(3.0)[:, None], [np.array(1.5)])
    ac.verify_grad(lambda x: at.ones_like(x) * x ** 2 + at.eye(3), [np.ones((3, 3))])
    a, t = at.dscalar("a"), at.dscalar("t")
    (jv,) = ac.jvp([at.linspace(a, 2 * a, 4)], [a], [t])
    np.testing.assert_allclose(jv.eval({a: 1.0, t: 1.0}), np.linspace(1.0, 2.0, 4))


def test_printing():
    n = at.lscalar("n")
    assert ac.pprint(at.zeros((n, 2))) == "alloc(0.0, n, 2)"
    assert "linspace" in ac.pprint(at.linspace(0.0, 1.0, n))
    assert "arange" in str(at.arange(n).owner.op) and "eye" in str(at.eye(n).owner.op)
