"""argmax/argmin, sort/argsort, cumsum/cumprod, diff and take_along_axis against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import aesara_cas as ac
from aesara_cas import tensor as at
from tests.conftest import MODES

#: (name, builder from at, the same from NumPy) on a 3-d input.
CASES = [
    ("argmax", lambda m, x: m.argmax(x)), ("argmax0", lambda m, x: m.argmax(x, axis=0)),
    ("argmax-1k", lambda m, x: m.argmax(x, axis=-1, keepdims=True)),
    ("argmin1", lambda m, x: m.argmin(x, axis=1)), ("argmin", lambda m, x: m.argmin(x)),
    ("sort", lambda m, x: m.sort(x)), ("sort0", lambda m, x: m.sort(x, axis=0)),
    ("sortN", lambda m, x: m.sort(x, axis=None)),
    ("argsort1", lambda m, x: m.argsort(x, axis=1, **({"kind": "stable"} if m is np else {}))),
    ("argsortN", lambda m, x: m.argsort(x, axis=None, **({"kind": "stable"} if m is np else {}))),
    ("cumsum", lambda m, x: m.cumsum(x)), ("cumsum1", lambda m, x: m.cumsum(x, axis=1)),
    ("cumsum-1", lambda m, x: m.cumsum(x, axis=-1)), ("cumprod", lambda m, x: m.cumprod(x)),
    ("cumprod0", lambda m, x: m.cumprod(x, axis=0)), ("diff", lambda m, x: m.diff(x)),
    ("diff2_0", lambda m, x: m.diff(x, 2, axis=0)), ("diff0", lambda m, x: m.diff(x, 0)),
]


#: The cases the compiled mode runs too, one per op (each compiled module costs seconds to
#: build; the other cases run the very same ``perform`` as the NumPy mode).
COMPILED = {"argmax-1k", "argmin1", "sort0", "sortN", "argsort1", "cumsum1", "cumprod0",
            "diff2_0"}


@pytest.fixture(scope="module", params=MODES)
def compiled(request):
    """One function per mode with every case on a float and an int input (compiling a
    module is the costly part, whatever its size); ``compiled[dtype](x)`` runs one half."""
    x = at.tensor("float64", shape=(None, None, None), name="x")
    xi = at.tensor("int32", shape=(None, None, None), name="xi")
    cases = CASES if request.param == "numpy" else [c for c in CASES if c[0] in COMPILED]
    f = ac.function([x, xi], [fn(at, v) for v in (x, xi) for _, fn in cases], mode=request.param)
    n = len(cases)
    return {
        "float64": lambda v: (cases, f(v, np.zeros((1, 1, 1), dtype="int32"))[:n]),
        "int32": lambda v: (cases, f(np.zeros((1, 1, 1)), v)[n:]),
    }


def _check(f, xv):
    cases, values = f(xv)
    for (name, fn), got in zip(cases, values):
        want = np.asarray(fn(np, xv))
        assert got.shape == want.shape, name
        if np.dtype(want.dtype).kind == "f":
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(got, want, err_msg=name)
        assert got.dtype == want.dtype, (name, got.dtype, want.dtype)


@settings(max_examples=25)
@given(st.data())
def _check_random(compiled, data):
    dtype = data.draw(st.sampled_from(["float64", "int32"]))
    shape = data.draw(hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=4))
    elems = st.integers(-3, 3) if dtype == "int32" else st.floats(-3, 3, width=64)
    xv = data.draw(hnp.arrays(dtype, shape, elements=elems))
    _check(compiled[dtype], xv)


def test_against_numpy(compiled):
    _check_random(compiled)
    # Ties: argmax/argmin take the first; argsort is stable.
    _check(compiled["int32"], np.zeros((2, 3, 2), dtype="int32"))
    # NaN: sorted last, argmax picks it.
    xv = np.array([[[1.0, np.nan, 3.0]], [[-np.inf, 2.0, np.inf]]])
    with np.errstate(invalid="ignore"):
        _check(compiled["float64"], xv)


def test_empty_and_static_shapes():
    x = at.tensor("float64", shape=(0, 3), name="x")
    for name in ("sort", "cumsum", "cumprod", "diff", "argsort"):
        got = getattr(at, name)(x).eval({x: np.zeros((0, 3))})
        assert got.shape == getattr(np, name)(np.zeros((0, 3))).shape, name
    np.testing.assert_array_equal(at.cumsum(x, 0).eval({x: np.zeros((0, 3))}), np.zeros((0, 3)))
    assert at.sort(x, 0).type.shape == (0, 3) and at.argsort(x).dtype == "int64"
    assert at.argmax(x, 1).type.shape == (0,)
    with pytest.raises(ValueError, match="empty"):
        at.argmax(x)
    with pytest.raises(ValueError, match="empty"):
        at.argmin(x, axis=0)
    y = at.dmatrix("y")
    f = ac.function([y], at.argmax(y, axis=1), mode="numpy")
    with pytest.raises(ValueError, match="argmax"):
        f(np.zeros((2, 0)))
    assert at.cumsum(at.bvector()).dtype == "int64" and at.cumsum(at.fvector()).dtype == "float32"
    assert at.diff(at.bvector()).dtype == "bool"
    b = np.array([True, False, False, True])
    np.testing.assert_array_equal(at.diff(at.constant(b)).eval(), np.diff(b))


def test_bad_arguments():
    x = at.dmatrix("x")
    for fn in (at.sort, at.argsort, at.cumsum, at.cumprod, at.argmax, at.argmin):
        with pytest.raises(ValueError, match="out of bounds"):
            fn(x, axis=2)
        with pytest.raises(TypeError, match="axis"):
            fn(x, axis=1.0)
    with pytest.raises(ValueError, match="order"):
        at.diff(x, -1)
    with pytest.raises(ValueError, match="one dimensional"):
        at.diff(at.dscalar())
    with pytest.raises(TypeError, match="indices"):
        at.take_along_axis(x, at.dvector(), 0)


def test_gradients():
    rng = np.random.default_rng(5)
    xv = rng.standard_normal((3, 4))
    zeros = xv.copy()
    zeros[1, 1] = zeros[2, 0] = zeros[2, 3] = 0.0
    ac.verify_grad(lambda x: at.sort(x, axis=0) * np.arange(4.0), [xv], rng=rng)
    ac.verify_grad(lambda x: at.sort(x, axis=None) ** 2, [xv], rng=rng)
    ac.verify_grad(lambda x: at.cumsum(x, axis=1), [xv], rng=rng)
    ac.verify_grad(lambda x: at.cumsum(x) ** 2, [xv], rng=rng)
    for v in (xv, zeros):
        ac.verify_grad(lambda x: at.cumprod(x, axis=1), [v], rng=rng)
        ac.verify_grad(lambda x: at.cumprod(x), [v], rng=rng)
    ac.verify_grad(lambda x: at.diff(x, 2, axis=1), [xv], rng=rng)
    idx = np.argsort(xv, axis=1)[:, ::-1].copy()
    ac.verify_grad(lambda x: at.take_along_axis(x, idx, 1) ** 2, [xv], rng=rng)
    # Second order through sort: the hessian of sum(sort(x)**3) is diag(6 x).
    x = at.dvector("x")
    h = ac.hessian(at.sum(at.sort(x) ** 3), x)
    np.testing.assert_allclose(h.eval({x: xv[0]}), np.diag(6 * xv[0]))
    # argmax is piecewise constant: no gradient flows through it.
    g = ac.grad(at.sum(at.cast(at.argmax(x), "float64") * x), x)
    np.testing.assert_array_equal(g.eval({x: xv[0]}), np.full(4, float(np.argmax(xv[0]))))


def test_forward_mode():
    rng = np.random.default_rng(6)
    x, t = at.dmatrix("x"), at.dmatrix("t")
    xv, tv = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    zeros = xv.copy()
    zeros[0, 1] = zeros[2, 2] = 0.0
    eps = 1e-6
    for fn in (lambda v: at.sort(v, axis=0), lambda v: at.cumsum(v, axis=1),
               lambda v: at.cumprod(v, axis=1), lambda v: at.cumprod(v, axis=0)):
        (jv,) = ac.jvp([fn(x)], [x], [t])
        f = ac.function([x, t], jv, mode="numpy")
        g = ac.function([x], fn(x), mode="numpy")
        for point in (xv, zeros):
            numeric = (g(point + eps * tv) - g(point - eps * tv)) / (2 * eps)
            np.testing.assert_allclose(f(point, tv), numeric, atol=1e-6)


def test_printing():
    x = at.dmatrix("x")
    assert ac.pprint(at.argmax(x, axis=1)) == "argmax(x, axis=1)"
    assert ac.pprint(at.sort(x)) == "sort(x, axis=1)"
    assert ac.pprint(at.cumsum(x, axis=0)) == "cumsum(x, axis=0)"
    assert ac.pprint(at.argsort(x, axis=0)) == "argsort(x, axis=0)"
    assert str(at.argmax(x).owner.op) == "argmax"
