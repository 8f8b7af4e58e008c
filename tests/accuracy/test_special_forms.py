"""``at.logaddexp`` and ``at.logdiffexp``: accurate against mpmath, and their gradients."""

import mpmath
import numpy as np

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.testing import bits_of_error

a, b = at.dvector("a"), at.dvector("b")


def _exact(fn, xs, ys):
    with mpmath.workprec(300):
        return np.array([float(fn(mpmath.mpf(x), mpmath.mpf(y))) for x, y in zip(xs, ys)])


def test_logaddexp_matches_numpy_and_mpmath():
    xs = np.array([0.0, -800.0, 800.0, 1e-300, 3.0, -np.inf, np.inf, 5.0, -2.0])
    ys = np.array([0.0, -801.0, 799.5, -1e-300, 3.0, -np.inf, np.inf, -np.inf, 30.0])
    got = at.logaddexp(a, b).eval({a: xs, b: ys})
    np.testing.assert_array_equal(got[5:7], [-np.inf, np.inf])
    np.testing.assert_allclose(got, np.logaddexp(xs, ys), rtol=1e-15)
    finite = np.isfinite(xs) & np.isfinite(ys)
    exact = _exact(lambda x, y: mpmath.log(mpmath.exp(x) + mpmath.exp(y)), xs[finite], ys[finite])
    assert bits_of_error(got[finite], exact).max() <= 1.0


def test_logdiffexp_is_accurate_where_the_naive_form_cancels_or_overflows():
    xs = np.array([1.0, 800.0, 1e-3, 5.0, 2.0])
    ys = np.array([1.0 - 1e-12, 799.0, -1e-3, -40.0, 2.0])
    got = at.logdiffexp(a, b).eval({a: xs, b: ys})
    assert got[-1] == -np.inf
    exact = _exact(lambda x, y: mpmath.log(mpmath.exp(x) - mpmath.exp(y)), xs[:-1], ys[:-1])
    assert bits_of_error(got[:-1], exact).max() <= 2.0
    with np.errstate(all="ignore"):
        naive = np.log(np.exp(xs[:-1]) - np.exp(ys[:-1]))
    assert bits_of_error(naive, exact).max() > 20
    assert np.isnan(at.logdiffexp(a, b).eval({a: [0.0], b: [1.0]})[0])


def test_gradients():
    xs, ys = np.array([0.5, -3.0, 10.0]), np.array([-1.0, 2.0, 9.0])
    ga, gb = ac.grad(at.sum(at.logaddexp(a, b)), [a, b])
    fn = ac.function([a, b], [ga, gb], mode="numpy")
    da, db = fn(xs, ys)
    w = 1 / (1 + np.exp(ys - xs))
    np.testing.assert_allclose(da, w, rtol=1e-12)
    np.testing.assert_allclose(db, 1 - w, rtol=1e-12)
    ga, gb = ac.grad(at.sum(at.logdiffexp(a, b)), [a, b])
    xs, ys = np.array([0.5, 10.0]), np.array([-1.0, 9.0])
    da, db = ac.function([a, b], [ga, gb], mode="numpy")(xs, ys)
    d = np.exp(xs) - np.exp(ys)
    np.testing.assert_allclose(da, np.exp(xs) / d, rtol=1e-12)
    np.testing.assert_allclose(db, -np.exp(ys) / d, rtol=1e-12)
