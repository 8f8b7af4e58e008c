"""Vectorised math (glibc's libmvec, reached without -ffast-math): accuracy and IEEE cases.

libmvec promises a few ulp, not correct rounding; these tests hold it to 4 ulp
against mpmath, and check that NaN, infinities and signed zeros still behave.
"""

import math
import re

import mpmath
import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile.cython.module import _mvec_defines

CASES = {
    # name: (mpmath function, low, high)
    "exp": (mpmath.exp, -700.0, 700.0),
    "log": (mpmath.log, 1e-300, 1e300),
    "sin": (mpmath.sin, -1e4, 1e4),
    "cos": (mpmath.cos, -1e4, 1e4),
    "tan": (mpmath.tan, -1.5, 1.5),
    "expm1": (mpmath.expm1, -30.0, 30.0),
    "log1p": (mpmath.log1p, -0.99, 1e10),
    "tanh": (mpmath.tanh, -20.0, 20.0),
    "arctan": (mpmath.atan, -1e6, 1e6),
    "sinh": (mpmath.sinh, -30.0, 30.0),
    "exp2": (lambda v: mpmath.power(2, v), -1000.0, 1000.0),
    "log10": (mpmath.log10, 1e-300, 1e300),
}


def _ulps(got: np.ndarray, exact: list, dtype) -> np.ndarray:
    ref = np.array([float(v) for v in exact]).astype(dtype)
    spacing = np.spacing(np.abs(ref).astype(dtype))
    return np.abs(got.astype(np.float64) - ref.astype(np.float64)) / spacing.astype(np.float64)


def _points(lo, hi, n, rng):
    if lo > 0 and hi / lo > 1e6:  # log-spaced over wide positive ranges
        return np.exp(rng.uniform(math.log(lo), math.log(hi), n))
    return rng.uniform(lo, hi, n)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_vector_math_within_4_ulp(dtype):
    x = at.tensor(dtype=dtype, shape=(None,), name="x")
    names = list(CASES)
    f = ac.function([x], [getattr(at, n)(x) for n in names], mode="cython")
    rng = np.random.default_rng(7)
    mpmath.mp.dps = 40
    worst = {}
    for k, name in enumerate(names):
        fn, lo, hi = CASES[name]
        if dtype == "float32":
            lo, hi = max(lo, -80.0), min(hi, 1e30)
            if name in ("exp2",):
                lo, hi = -120.0, 120.0
            if name in ("sinh",):
                lo, hi = -80.0, 80.0
        pts = _points(lo, hi, 400, rng).astype(dtype)
        got = f(pts)[k]
        exact = [fn(mpmath.mpf(float(p))) for p in pts]
        err = _ulps(got, exact, dtype)
        worst[name] = float(np.max(err))
    bad = {n: w for n, w in worst.items() if w > 4.0}
    assert not bad, f"more than 4 ulp: {bad} (all: {worst})"


def test_special_values_keep_ieee_semantics():
    x = at.dvector("x")
    names = ["exp", "log", "sin", "cos", "log1p", "expm1", "tanh", "sqrt", "arctan"]
    f = ac.function([x], [getattr(at, n)(x) for n in names], mode="cython")
    g = ac.function([x], [getattr(at, n)(x) for n in names], mode="numpy")
    vals = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-310, -1.0, 710.0, -746.0] * 3)
    for a, b in zip(f(vals), g(vals)):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        finite = ~np.isnan(b)
        np.testing.assert_array_equal(np.signbit(a[finite]), np.signbit(b[finite]))
        np.testing.assert_allclose(a[finite], b[finite], rtol=1e-15)


@pytest.mark.skipif(not _mvec_defines(), reason="libmvec needs glibc (Linux)")
def test_loops_call_libmvec():
    x = at.dvector("x")
    f = ac.function([x], at.exp(x) * at.sin(x) + 0.375, mode="cython")
    with open(f._cython_program.module.__file__, "rb") as fh:
        data = fh.read()
    assert b"_ZGV" in data  # a vector variant such as _ZGVdN4v_exp is linked
    v = np.linspace(-3, 3, 1001)
    np.testing.assert_allclose(f(v), np.exp(v) * np.sin(v) + 0.375, rtol=1e-14, atol=1e-15)


@pytest.mark.skipif(not _mvec_defines(), reason="libmvec needs glibc (Linux)")
def test_scalar_helpers_are_inlined_into_vector_loops():
    """softplus is a runtime helper (max(x, 0) + log1p(exp(-|x|))): only when it is
    inlined into the kernel's loop does that loop call the vector exp."""
    x = at.dvector("x")
    f = ac.function([x], at.softplus(x) * 2.0, mode="cython")
    with open(f._cython_program.module.__file__, "rb") as fh:
        data = fh.read()
    assert re.search(rb"_ZGV[a-z]N\d+v_exp", data)
    v = np.linspace(-800, 800, 1001)
    np.testing.assert_allclose(f(v), 2.0 * np.logaddexp(0, v), rtol=1e-14)
