"""Special functions (gamma family, erfcx, xlogy), softmax/log_softmax, var/std."""

import numpy as np
import pytest
import scipy.special

import aesara_cas as ac
from aesara_cas import tensor as at

X_POS = np.array([1e-3, 0.3, 1.0, 2.5, 7.0, 40.0])
X_ANY = np.array([-30.0, -2.5, -0.3, 0.0, 0.3, 2.5, 30.0])


@pytest.fixture(scope="module")
def special_fns():
    """One compiled function per mode for every unary special function and xlogy."""
    x, y = at.dvector("x"), at.dvector("y")
    n = at.lvector("n")
    outs = [at.gammaln(x), at.digamma(x), at.gamma(x), at.erfcx(x), at.xlogy(x, y),
            at.polygamma(n, x), at.log1pexp(x)]
    return {m: ac.function([x, y, n], outs, mode=m) for m in ("numpy", "cython")}


def _expected(xs, ys, ns):
    s = scipy.special
    return [s.gammaln(xs), s.psi(xs), s.gamma(xs), s.erfcx(xs), s.xlogy(xs, ys),
            s.polygamma(ns, xs), np.logaddexp(0, xs)]


@pytest.mark.parametrize("xs", [X_POS, X_ANY[X_ANY != 0]], ids=["positive", "signed"])
def test_special_functions_match_scipy(mode, special_fns, xs):
    ys = np.abs(xs[::-1]) + 0.5
    ns = np.arange(xs.size) % 3
    got = special_fns[mode](xs, ys, ns)
    for g, e in zip(got, _expected(xs, ys, ns)):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=0)


def test_special_functions_at_poles_and_infinities(mode, special_fns):
    xs = np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan])
    ys = np.array([0.0, np.inf, -1.0, np.nan, 0.5, 2.0, 1.0])
    ns = np.zeros(xs.size, dtype=np.int64)
    with np.errstate(all="ignore"):
        got = special_fns[mode](xs, ys, ns)
        expected = _expected(xs, ys, ns)
    for name, g, e in zip(["gammaln", "digamma", "gamma", "erfcx", "xlogy"], got, expected):
        np.testing.assert_array_equal(g, e, err_msg=name)


def test_xlogy_is_zero_where_x_is_zero(mode):
    x, y = at.dvector("x"), at.dvector("y")
    f = ac.function([x, y], at.xlogy(x, y), mode=mode)
    np.testing.assert_array_equal(f([0.0, 0.0, 2.0], [0.0, 3.0, 0.0]), [0.0, 0.0, -np.inf])


def test_dtypes_follow_scipy():
    for dtype in ("float32", "float64", "int64"):
        x = at.vector(dtype=dtype)
        for fn, ref in [(at.gammaln, scipy.special.gammaln), (at.digamma, scipy.special.psi),
                        (at.erfcx, scipy.special.erfcx)]:
            assert fn(x).dtype == ref(np.ones(1, dtype)).dtype.name
    f32 = at.fvector("f")
    ac_f = ac.function([f32], at.gammaln(f32))
    out = ac_f(np.array([0.5, 3.0], dtype="float32"))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, scipy.special.gammaln(np.array([0.5, 3.0])), rtol=1e-6)


def test_log1pexp_is_softplus():
    assert at.log1pexp is at.softplus


@pytest.mark.parametrize("fn, point", [
    (at.gammaln, X_POS), (at.digamma, X_POS[1:]), (at.gamma, X_POS[:4]),
    (at.erfcx, X_ANY[1:-1]),
    (lambda x: at.polygamma(2, x), X_POS[1:]),
], ids=["gammaln", "digamma", "gamma", "erfcx", "polygamma"])
def test_unary_gradients(fn, point):
    ac.verify_grad(fn, [point])


def test_xlogy_gradient():
    ac.verify_grad(at.xlogy, [np.array([-1.5, 0.3, 2.0]), np.array([0.4, 1.5, 3.0])])
    # Where x == 0 the function is 0 for every y: both derivatives are 0 (not log(0), 0 / 0).
    x, y = at.dvector("x"), at.dvector("y")
    gx, gy = ac.grad(at.sum(at.xlogy(x, y)), [x, y])
    f = ac.function([x, y], [gx, gy], mode="numpy")
    out = f([0.0, 0.0, 2.0], [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(out[0], [0.0, 0.0, np.log(4.0)])
    np.testing.assert_array_equal(out[1], [0.0, 0.0, 0.5])


def test_second_derivative_of_gammaln_is_trigamma():
    x = at.dvector("x")
    g = ac.grad(at.sum(at.gammaln(x)), x)
    h = ac.grad(at.sum(g), x)
    f = ac.function([x], h, mode="numpy")
    np.testing.assert_allclose(f(X_POS), scipy.special.polygamma(1, X_POS), rtol=1e-12)
