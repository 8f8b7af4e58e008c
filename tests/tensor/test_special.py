"""Special functions (gamma family, erfcx, xlogy), softmax/log_softmax, var/std."""

import warnings

import numpy as np
import pytest
import scipy.special

import aesara_cas as ac
from aesara_cas import tensor as at
from tests.rewriting.rulecheck import run_exactly

X_POS = np.array([1e-3, 0.3, 1.0, 2.5, 7.0, 40.0])
X_ANY = np.array([-30.0, -2.5, -0.3, 0.0, 0.3, 2.5, 30.0])


M = np.array([[1.0, 2.0, 3.0, -4.0], [700.0, 710.0, -5.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
N_SPECIAL = 9


@pytest.fixture(scope="module")
def functions():
    """Every function of this module in one function per mode (one compiled module):
    ``N_SPECIAL`` special functions of ``x, y, n, xf``, then moments of the matrix ``m``."""
    x, y, xf = at.dvector("x"), at.dvector("y"), at.fvector("xf")
    n, m = at.lvector("n"), at.dmatrix("m")
    outs = [at.gammaln(x), at.digamma(x), at.gamma(x), at.erfcx(x), at.xlogy(x, y),
            at.polygamma(n, x), at.log1pexp(x), at.gammaln(xf), at.xlogy(xf, xf),
            at.softmax(m, axis=1), at.var(m, axis=0, ddof=1)]
    fns = {mode: ac.function([x, y, n, xf, m], outs, mode=mode)
           for mode in ("numpy", "cython")}
    return {mode: (lambda *a, f=f: f(*a, M)[:N_SPECIAL]) for mode, f in fns.items()}, fns


@pytest.fixture(scope="module")
def special_fns(functions):
    return functions[0]


def _expected(xs, ys, ns):
    s = scipy.special
    xf = xs.astype("float32")
    return [s.gammaln(xs), s.psi(xs), s.gamma(xs), s.erfcx(xs), s.xlogy(xs, ys),
            s.polygamma(ns, xs), np.logaddexp(0, xs), s.gammaln(xf), s.xlogy(xf, xf)]


@pytest.mark.parametrize("xs", [X_POS, X_ANY[X_ANY != 0]], ids=["positive", "signed"])
def test_special_functions_match_scipy(mode, special_fns, xs):
    ys = np.abs(xs[::-1]) + 0.5
    ns = np.arange(xs.size) % 3
    got = special_fns[mode](xs, ys, ns, xs.astype("float32"))
    for k, (g, e) in enumerate(zip(got, _expected(xs, ys, ns))):
        assert g.dtype == e.dtype, k
        # float32 results: C's lgammaf/logf vs SciPy's float32 loops differ by an ulp or so.
        rtol = 1e-12 if g.dtype == np.float64 else 1e-5
        np.testing.assert_allclose(g, e, rtol=rtol, atol=0, err_msg=str(k))


def test_special_functions_at_poles_and_infinities(mode, special_fns):
    xs = np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan, 0.0])
    ys = np.array([0.0, np.inf, -1.0, np.nan, 0.5, 2.0, 1.0, 3.0])
    ns = np.zeros(xs.size, dtype=np.int64)
    with np.errstate(all="ignore"):
        got = special_fns[mode](xs, ys, ns, xs.astype("float32"))
        expected = _expected(xs, ys, ns)
    for name, g, e in zip(["gammaln", "digamma", "gamma", "erfcx", "xlogy"], got, expected):
        np.testing.assert_array_equal(g, e, err_msg=name)
    # xlogy(0, y) is 0 for every y that is not NaN (even 0 and inf).
    np.testing.assert_array_equal(got[4][[0, 1, 7]], 0.0)


REAL_DTYPES = ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64",
               "uint64", "float16", "float32", "float64")


def test_dtypes_follow_scipy():
    # The graph states these dtypes without importing SciPy (scalar._scipy_result_dtype):
    # every real dtype, and every pair for the binary xlogy, as SciPy computes them.
    unary = [(at.sigmoid, scipy.special.expit), (at.erf, scipy.special.erf),
             (at.erfc, scipy.special.erfc), (at.erfcx, scipy.special.erfcx),
             (at.gamma, scipy.special.gamma), (at.gammaln, scipy.special.gammaln),
             (at.digamma, scipy.special.psi)]
    for dtype in REAL_DTYPES:
        x = at.vector(dtype=dtype)
        for fn, ref in unary:
            assert fn(x).dtype == ref(np.ones(1, dtype)).dtype.name, (fn, dtype)
        for other in REAL_DTYPES:
            y = at.vector(dtype=other)
            want = scipy.special.xlogy(np.ones(1, dtype), np.ones(1, other)).dtype.name
            assert at.xlogy(x, y).dtype == want, (dtype, other)


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


def test_softmax_var_std_match_scipy_and_numpy(mode, functions):
    xs = X_POS
    got = functions[1][mode](xs, xs, np.zeros(xs.size, dtype=np.int64),
                             xs.astype("float32"), M)[N_SPECIAL:]
    s = scipy.special
    expected = [s.softmax(M, axis=1), np.var(M, axis=0, ddof=1)]
    for k, (g, e) in enumerate(zip(got, expected)):
        assert g.shape == e.shape, k
        # atol: the probabilities far below 1 are compared absolutely.
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12, err_msg=str(k))


def test_more_axes_and_ddof():
    # The NumPy mode only: these are graphs of the same element-wise and reduction ops
    # the compiled test above covers.
    x = at.dmatrix("x")
    outs = [at.softmax(x), at.log_softmax(x, axis=-1), at.var(x), at.std(x, axis=1, ddof=2),
            at.std(x, axis=(0, 1), keepdims=True)]
    got = ac.function([x], outs, mode="numpy")(M)
    s = scipy.special
    expected = [s.softmax(M), s.log_softmax(M, axis=-1), np.var(M), np.std(M, axis=1, ddof=2),
                np.std(M, axis=(0, 1), keepdims=True)]
    for k, (g, e) in enumerate(zip(got, expected)):
        assert g.shape == e.shape, k
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12, err_msg=str(k))


def test_moments_dtypes_and_edge_cases():
    assert at.var(at.ivector()).dtype == "float64"
    assert at.std(at.fmatrix(), axis=0).dtype == "float32"
    assert at.softmax(at.lvector()).dtype == "float64"
    x = at.dvector("x")
    f = ac.function([x], [at.var(x, ddof=1), at.softmax(x)], mode="numpy")
    var1, soft = f(np.array([3.0]))
    assert np.isnan(var1) and soft.tolist() == [1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "mean of empty slice"
        var0 = ac.function([x], at.var(x, ddof=1), mode="numpy")(np.zeros(0))
    assert np.isnan(var0)
    # The softmax of an empty slice has no max to shift by: an error, as in SciPy.
    with pytest.raises(ValueError):
        f(np.zeros(0))
    with pytest.raises(ValueError, match="var: axis 2 is out of bounds"):
        at.var(at.dmatrix(), axis=2)
    with pytest.raises(TypeError, match="var: ddof must be a number"):
        at.var(at.dmatrix(), ddof="1")


def test_softmax_and_var_gradients():
    X = np.array([[0.3, -1.2, 2.0], [5.0, 1.0, -3.0]])
    ac.verify_grad(lambda x: at.softmax(x, axis=1), [X])
    ac.verify_grad(lambda x: at.log_softmax(x, axis=0), [X])
    ac.verify_grad(lambda x: at.var(x, axis=1, ddof=1), [X])
    ac.verify_grad(lambda x: at.std(x), [X])


def test_log_of_softmax_simplifies_to_log_softmax():
    x = at.dmatrix("x")
    for expr in (at.log(at.softmax(x, axis=1)),
                 at.log(at.exp(x) / at.sum(at.exp(x), axis=1, keepdims=True))):
        out = ac.simplify(expr)
        text = ac.pprint(out)
        assert text == ac.pprint(at.log_softmax(x, axis=1)), text
        assert "exp(" not in text.replace("logsumexp(", "") and "log(" not in text, text
        # Both sides agree where the naive form is finite, and the result stays finite.
        small = np.array([[0.5, -1.0, 2.0]])
        np.testing.assert_allclose(run_exactly([x], out, [small]),
                                   run_exactly([x], expr, [small]), rtol=1e-14)
        big = ac.function([x], out, mode="numpy")(np.array([[1000.0, 0.0, -1000.0]]))
        np.testing.assert_allclose(big, [[0.0, -1000.0, -2000.0]])


def test_softmax_and_log_softmax_are_as_accurate_as_scipy(mode):
    """At large logits x - logsumexp(x) cancels (up to ~9 bits lost in softmax, ~20 in
    log_softmax near 0); shifted by the max, as SciPy does, the error is SciPy's."""
    from aesara_cas.testing import bits_of_error, reference_eval

    v = at.dvector("v")
    f = ac.function([v], [at.softmax(v), at.log_softmax(v)], mode=mode)
    rng = np.random.default_rng(0)
    for logits in (np.array([331.66247903554, 316.22776602, 316.22776602]),
                   700.0 + 5.0 * rng.normal(size=6), -500.0 + 20.0 * rng.normal(size=6)):
        got = f(logits)
        exact_sm = reference_eval(at.exp(v) / at.sum(at.exp(v)), {v: logits}, max_dps=100)
        exact_lsm = reference_eval(at.log(at.exp(v) / at.sum(at.exp(v))), {v: logits},
                                   max_dps=100)
        ours = [bits_of_error(got[0], exact_sm).max(), bits_of_error(got[1], exact_lsm).max()]
        theirs = [bits_of_error(scipy.special.softmax(logits), exact_sm).max(),
                  bits_of_error(scipy.special.log_softmax(logits), exact_lsm).max()]
        assert ours[0] <= max(theirs[0], 1.0) + 1 and ours[1] <= theirs[1] + 1, (ours, theirs)
