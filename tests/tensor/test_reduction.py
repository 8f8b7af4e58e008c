"""Reductions against NumPy: every axis form (None, int, negative, tuple) and keepdims."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.tensor.reduction import Reduce
from tests.strategies import arrays, shapes

KINDS = ("sum", "prod", "max", "min", "mean", "all", "any", "logsumexp")

REF = {
    "sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "mean": np.mean,
    "all": np.all, "any": np.any,
    # The naive formula: exact enough for the moderate values used here (the
    # extremes are in test_stable.py).
    "logsumexp": lambda v, axis, keepdims: np.log(np.sum(np.exp(v), axis=axis,
                                                         keepdims=keepdims)),
}

#: Axis arguments for a 3-d input, each once without and once with keepdims.
AXES = [None, 0, 1, 2, -1, -3, (0,), (0, 2), (2, 0), (-1, 1), (0, 1, 2), ()]


def reference(kind, value, axis, keepdims):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if kind == "logsumexp" and value.dtype.kind != "f":
            value = value.astype("float64")
        out = np.asarray(REF[kind](value, axis=axis, keepdims=keepdims))
    return out


def expected_dtype(kind, dtype):
    if kind == "logsumexp":
        return dtype if np.dtype(dtype).kind == "f" else "float64"
    return np.asarray(REF[kind](np.ones((2, 2), dtype=dtype), axis=0)).dtype.name


def check_close(got, want, dtype):
    assert isinstance(got, np.ndarray)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    elif dtype == "float32":
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4, equal_nan=True)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-11, equal_nan=True)


def test_contract_reductions_are_reduce_instances():
    for kind in KINDS:
        op = getattr(at, kind)
        assert isinstance(op, Reduce) and op.kind == kind and op.axis is None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float32", "float64"])
def test_static_type_matches_numpy(kind, dtype):
    shape = (2, 3, 4)
    value = np.ones(shape, dtype=dtype)
    x = at.tensor(dtype, shape=shape)
    x_unknown = at.tensor(dtype, shape=(None, 3, None))
    for axis in AXES:
        for keepdims in (False, True):
            want = reference(kind, value, axis, keepdims)
            out = getattr(at, kind)(x, axis=axis, keepdims=keepdims)
            assert out.type.shape == want.shape, (axis, keepdims)
            assert out.dtype == expected_dtype(kind, dtype) == want.dtype.name
            partial = getattr(at, kind)(x_unknown, axis=axis, keepdims=keepdims).type.shape
            assert len(partial) == want.ndim
            assert all(p is None or p == w for p, w in zip(partial, want.shape))


def _outputs(kind, x):
    fn = getattr(at, kind)
    return [fn(x, axis=a, keepdims=k) for a in AXES for k in (False, True)]


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
@pytest.mark.parametrize("kind", KINDS)
def test_values_float(kind, mode):
    """One compiled function per kind holds every axis/keepdims variant, in two dtypes."""
    x64, x32 = at.dtensor3("x64"), at.ftensor3("x32")
    f = ac.function([x64, x32], _outputs(kind, x64) + _outputs(kind, x32), mode=mode)
    # max/min of an empty axis has no identity (checked separately).
    min_side = 1 if kind in ("max", "min") else 0
    low, high = (-2, 2) if kind == "prod" else (-10, 10)
    specs = [(a, k) for a in AXES for k in (False, True)]

    @given(st.tuples(arrays("float64", shapes(3, min_side=min_side, max_side=4), low, high),
                     arrays("float32", shapes(3, min_side=min_side, max_side=4), low, high)))
    def check(values):
        v64, v32 = values
        got = f(v64, v32)
        for (axis, keepdims), g in zip(specs, got[: len(specs)]):
            check_close(g, reference(kind, v64, axis, keepdims), "float64")
            assert g.dtype == expected_dtype(kind, "float64")
        for (axis, keepdims), g in zip(specs, got[len(specs):]):
            check_close(g, reference(kind, v32, axis, keepdims), "float32")
            assert g.dtype == expected_dtype(kind, "float32")

    check()


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
@pytest.mark.parametrize("kind", ["sum", "prod", "max", "min", "mean", "all", "any"])
def test_values_int_and_bool(kind, mode):
    xi, xb = at.itensor3("xi"), at.btensor3("xb")
    f = ac.function([xi, xb], _outputs(kind, xi) + _outputs(kind, xb), mode=mode)
    specs = [(a, k) for a in AXES for k in (False, True)]
    min_side = 1 if kind in ("max", "min") else 0

    @given(st.tuples(arrays("int32", shapes(3, min_side=min_side, max_side=4), -100, 100),
                     arrays("bool", shapes(3, min_side=min_side, max_side=4))))
    def check(values):
        vi, vb = values
        got = f(vi, vb)
        for (axis, keepdims), g in zip(specs, got[: len(specs)]):
            want = reference(kind, vi, axis, keepdims)
            assert g.dtype == want.dtype
            check_close(g, want, "int")
        for (axis, keepdims), g in zip(specs, got[len(specs):]):
            want = reference(kind, vb, axis, keepdims)
            assert g.dtype == want.dtype
            check_close(g, want, "bool")

    check()


def test_integer_sum_accumulates_in_int64(mode):
    """NumPy sums int32 in int64 (no wrap-around at 2**31)."""
    x = at.ivector("x")
    f = ac.function([x], [x.sum(), x.prod()], mode=mode)
    big = np.full(4, 2**30, dtype="int32")
    s, p = f(big)
    assert s.dtype == "int64" and int(s) == 2**32
    assert p.dtype == "int64" and int(p) == np.prod(big.astype("int64"))


def test_max_of_empty_axis(mode):
    x = at.dmatrix("x")
    f = ac.function([x], x.max(axis=0), mode=mode)
    # Zero columns of length 3: an empty result, no empty reduction.
    np.testing.assert_array_equal(f(np.zeros((3, 0))), np.zeros(0))
    # Three columns of length 0: NumPy has no identity for max.
    with pytest.raises(ValueError):
        f(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="empty"):
        at.max(at.tensor("float64", shape=(0, 3)), axis=0)


def test_nan_propagation(mode):
    x = at.dvector("x")
    f = ac.function([x], [x.sum(), x.max(), x.min(), x.mean(), x.prod()], mode=mode)
    got = f(np.array([1.0, np.nan, 3.0]))
    assert all(np.isnan(g) for g in got)
    got = f(np.array([1.0, np.inf, -np.inf]))
    assert np.isnan(got[0]) and got[1] == np.inf and got[2] == -np.inf


def test_methods_match_functions():
    x = at.dtensor3("x")
    v = np.arange(24.0).reshape(2, 3, 4) - 7
    for kind in ("sum", "prod", "max", "min", "mean", "all", "any"):
        for axis in (None, 1, -1, (0, 2)):
            meth = getattr(x, kind)(axis=axis)
            func = getattr(at, kind)(x, axis=axis)
            assert meth.owner.op == func.owner.op
            np.testing.assert_allclose(meth.eval({x: v}), reference(kind, v, axis, False))
        kept = getattr(x, kind)(axis=1, keepdims=True)
        assert kept.type.shape == (None, 1, None)


def test_props_define_equality_and_hash():
    x = at.dtensor3("x")
    a = at.sum(x, axis=-1).owner.op
    b = at.sum(x, axis=2).owner.op
    c = Reduce("sum", (2,))
    assert a == b == c and hash(a) == hash(b) == hash(c)
    assert at.sum(x, axis=(2, 0)).owner.op == at.sum(x, axis=(0, -1)).owner.op
    # Reducing every axis is the same op as axis=None.
    assert at.sum(x, axis=(0, 1, 2)).owner.op == at.sum(x).owner.op
    assert at.sum(x, axis=1).owner.op != at.sum(x, axis=1, keepdims=True).owner.op
    assert at.sum(x, axis=1).owner.op != at.prod(x, axis=1).owner.op
    assert at.sum(x, axis=1).owner.op != at.sum(x, axis=0).owner.op
    with pytest.raises(AttributeError):
        a.axis = (0,)


@pytest.mark.parametrize("axis,error", [
    (3, ValueError), (-4, ValueError), ((0, 0), ValueError), ((1, -2), ValueError),
    (1.0, TypeError), ("0", TypeError), (True, TypeError),
])
def test_bad_axis(axis, error):
    x = at.dtensor3("x")
    with pytest.raises(error):
        at.sum(x, axis=axis)
    with pytest.raises(error):
        x.mean(axis=axis)


def test_unknown_reduction_kind():
    with pytest.raises(ValueError):
        Reduce("median")


def test_scalar_input():
    s = at.dscalar("s")
    for kind in KINDS:
        out = getattr(at, kind)(s)
        assert out.ndim == 0
        np.testing.assert_allclose(out.eval({s: 2.5}), reference(kind, np.float64(2.5), None,
                                                                 False))
