"""Numerically stable functions at extreme inputs, checked against mpmath (50 digits).

sigmoid, softplus, log1mexp and logsumexp must be accurate to a few ulp where
their naive formulas overflow, underflow or cancel; expm1/log1p/erfc must not be
computed as ``exp(x) - 1``, ``log(1 + x)`` or ``1 - erf(x)``.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at

mpmath.mp.dps = 50

MP = {
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
    "softplus": lambda x: mpmath.log1p(mpmath.exp(x)),
    # Each branch is exact at 50 digits where it is used: 1 - exp(x) would round to 1.
    "log1mexp": lambda x: (mpmath.log(-mpmath.expm1(x)) if x > -1
                           else mpmath.log1p(-mpmath.exp(x))),
    "expm1": mpmath.expm1,
    "log1p": mpmath.log1p,
    "erf": mpmath.erf,
    "erfc": mpmath.erfc,
}

#: Accepted error in ulps: a few for everything; SciPy's erfc (Cephes) is only good to
#: about 1e-13 relative deep in its tail, where the result is below 1e-200.
ULPS = {"erfc": 1000}

#: Inputs where the naive formula fails, per function.
HARD = {
    "sigmoid": [-1000.0, -745.0, -700.0, -40.0, -1e-10, 0.0, 1e-10, 36.0, 40.0, 700.0, 1000.0],
    "softplus": [-1000.0, -745.0, -700.0, -40.0, -20.0, -1e-10, 0.0, 1e-10, 20.0, 37.0, 40.0,
                 700.0, 710.0, 1000.0, 1e300],
    "log1mexp": [-1e-300, -1e-20, -1e-10, -1e-3, -0.5, -0.6931471805599453, -0.7, -1.0, -10.0,
                 -40.0, -700.0, -745.0, -1000.0],
    "expm1": [-1e-300, -1e-20, -1e-10, 1e-10, 1e-20, 1e-300, 0.5, -0.5, 30.0, -30.0],
    "log1p": [-0.999999, -1e-10, -1e-20, 1e-20, 1e-10, 1e-300, 0.5, 1e100],
    "erf": [-6.0, -1e-20, 1e-20, 1e-10, 0.5, 3.0, 6.0],
    "erfc": [-6.0, -1.0, 1e-20, 1.0, 5.0, 10.0, 20.0, 26.0],
}

#: Ranges for hypothesis where each function is defined (and mpmath stays finite).
RANGES = {
    "sigmoid": (-800.0, 800.0),
    "softplus": (-800.0, 800.0),
    "log1mexp": (-800.0, -1e-300),
    "expm1": (-700.0, 700.0),
    "log1p": (-0.9999, 1e300),
    "erf": (-10.0, 10.0),
    "erfc": (-10.0, 27.0),
}


def mp_reference(name: str, values: np.ndarray, dtype: str = "float64") -> np.ndarray:
    fn = MP[name]
    out = [float(fn(mpmath.mpf(float(v)))) for v in values.ravel()]
    return np.array(out, dtype=dtype).reshape(values.shape)


def assert_close_ulps(got: np.ndarray, want: np.ndarray, max_ulps: float) -> None:
    """Within ``max_ulps`` units in the last place of ``want`` (exact on infs).

    Results in the subnormal range only need to be within the smallest normal
    number of the truth: flushing them to zero is accepted.
    """
    assert got.dtype == want.dtype
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite], want[~finite])
    spacing = np.maximum(np.spacing(np.abs(want[finite])), np.finfo(want.dtype).tiny / max_ulps)
    err = np.abs(got[finite].astype("float64") - want[finite].astype("float64"))
    bad = err > max_ulps * spacing
    assert not bad.any(), list(zip(got[finite][bad], want[finite][bad]))


@pytest.mark.parametrize("name", sorted(MP))
def test_accurate_at_extreme_inputs(name, mode):
    x, y = at.dvector("x"), at.fvector("y")
    op = getattr(at, name)
    f = ac.function([x, y], [op(x), op(y)], mode=mode)
    hard = np.array(HARD[name])
    ulps = ULPS.get(name, 4)
    got64, _ = f(hard, np.zeros(0, "float32"))
    assert_close_ulps(got64, mp_reference(name, hard), ulps)

    # float32 inputs: accurate to float32 precision, computed without overflow.
    lo, hi = RANGES[name]
    with np.errstate(over="ignore"):
        hard32 = np.array([v for v in hard if np.isfinite(np.float32(v))
                           and (np.float32(v) != 0 or v == 0)], dtype="float32")
    hard32 = hard32[(hard32 >= np.float32(lo)) | (hard32 == 0)]
    _, got32 = f(np.zeros(0), hard32)
    assert_close_ulps(got32, mp_reference(name, hard32.astype("float64"), "float32"), 4)

    @given(st.lists(st.floats(lo, hi, allow_nan=False), min_size=1, max_size=8))
    def check(values):
        arr = np.array(values)
        got, _ = f(arr, np.zeros(0, "float32"))
        assert_close_ulps(got, mp_reference(name, arr), ulps)

    check()


def test_special_value_limits(mode):
    x = at.dvector("x")
    f = ac.function([x], [at.sigmoid(x), at.softplus(x), at.log1mexp(x)], mode=mode)
    sig, sp, l1me = f(np.array([-np.inf, np.inf, np.nan, 0.0]))
    np.testing.assert_array_equal(sig[:2], [0.0, 1.0])
    np.testing.assert_array_equal(sp[:2], [0.0, np.inf])
    assert np.isnan(sig[2]) and np.isnan(sp[2]) and np.isnan(l1me[2])
    assert sig[3] == 0.5 and sp[3] == np.log(2.0)
    # log1mexp: -inf at 0, -0 at -inf, NaN for positive inputs (outside the domain).
    assert l1me[0] == 0.0 and l1me[3] == -np.inf
    assert np.isnan(l1me[1])
    (pos,) = [f(np.array([0.5]))[2]]
    assert np.isnan(pos[0])


# -- logsumexp -------------------------------------------------------------------------------

def mp_logsumexp(values) -> float:
    vals = [float(v) for v in values]
    if not vals:
        return -np.inf
    if any(np.isnan(v) for v in vals):
        return np.nan
    if any(v == np.inf for v in vals):
        return np.inf
    finite = [v for v in vals if v != -np.inf]
    if not finite:
        return -np.inf
    # Shifted by the maximum so a result near zero keeps its digits at 50 digits.
    m = mpmath.mpf(max(finite))
    return float(m + mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v) - m) for v in finite)))


def test_logsumexp_extremes(mode):
    x = at.dmatrix("x")
    f = ac.function([x], [at.logsumexp(x, axis=1), at.logsumexp(x, axis=1, keepdims=True),
                          at.logsumexp(x)], mode=mode)
    rows = np.array([
        [1000.0, 1000.0, 1000.0],
        [-1000.0, -1000.0, -1000.0],
        [1e308, 1e308, 0.0],
        [-np.inf, -np.inf, -np.inf],
        [np.inf, 1.0, 2.0],
        [np.nan, 1.0, 2.0],
        [-np.inf, 0.0, -np.inf],
        [710.0, 0.0, -710.0],
        [-745.0, -745.0, -1e-300],
    ])
    by_row, keep, total = f(rows)
    want = np.array([mp_logsumexp(r) for r in rows])
    assert by_row.dtype == "float64" and by_row.shape == (len(rows),)
    with np.errstate(all="ignore"):
        assert_close_ulps(by_row[~np.isnan(want)], want[~np.isnan(want)], 4)
    assert np.isnan(by_row[5])
    np.testing.assert_array_equal(keep[:, 0], by_row)
    assert np.isnan(total)  # a NaN anywhere makes the whole reduction NaN
    # Empty reductions give log(0) = -inf, as NumPy's log(sum(exp([]))).
    assert f(np.zeros((2, 0)))[0].tolist() == [-np.inf, -np.inf]


@given(st.lists(st.lists(st.floats(-1e4, 1e4), min_size=3, max_size=3), min_size=1,
                max_size=4))
def test_logsumexp_matches_mpmath(rows):
    x = at.dmatrix("x")
    arr = np.array(rows)
    got = at.logsumexp(x, axis=-1).eval({x: arr})
    want = np.array([mp_logsumexp(r) for r in arr])
    # `max + log(sum(exp(x - max)))` cancels when the result is near zero: the error
    # is a few ulps of the largest input, not of the result.
    scale = np.maximum(np.abs(want), np.abs(arr).max(axis=-1))
    assert np.all(np.abs(got - want) <= 8 * np.spacing(scale)), (got, want)


def test_logsumexp_float32_stays_float32():
    x = at.fvector("x")
    out = at.logsumexp(x)
    assert out.dtype == "float32"
    got = out.eval({x: np.array([100.0, 100.0], dtype="float32")})
    assert got.dtype == "float32"
    np.testing.assert_allclose(got, 100 + np.log(2), rtol=1e-6)
