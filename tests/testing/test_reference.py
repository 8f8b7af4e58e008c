"""The mpmath reference evaluator and the bits-of-error measure."""

import math

import mpmath
import numpy as np
import pytest

from aesara_cas import tensor as at
from aesara_cas.tensor.scalar import SCALAR_OPS
from aesara_cas.testing import (
    bits_of_error,
    ordinal,
    reference_eval,
    reference_float,
    round_mpf,
    round_to_dtype,
)

# Points inside each op's domain, where NumPy/SciPy are accurate to a few ulps.
_POS = [1e-300, 1e-8, 0.3, 1.0, 2.5, 1e5, 1e300]
_ANY = [-1e5, -2.5, -0.3, -1e-8, 0.0, 1e-8, 0.3, 2.5, 1e5]
_SMALL = [-20.0, -2.5, -0.3, -1e-8, 0.0, 1e-8, 0.3, 2.5, 20.0]
_UNIT = [-0.99, -0.5, -1e-8, 0.0, 1e-8, 0.5, 0.99]
UNARY_POINTS = {
    "exp": _SMALL + [-700.0, 700.0], "exp2": _SMALL + [-1000.0, 1000.0], "expm1": _SMALL,
    "log": _POS, "log2": _POS, "log10": _POS, "log1p": [-0.99, -1e-8] + _POS,
    "sqrt": [0.0] + _POS, "cbrt": _ANY + [-1e300, 5e-324, 1e300],
    "sqr": _ANY, "neg": _ANY, "abs": _ANY,
    "sin": _ANY, "cos": _ANY, "tan": _SMALL, "arcsin": _UNIT, "arccos": _UNIT, "arctan": _ANY,
    "sinh": _SMALL, "cosh": _SMALL, "tanh": _SMALL, "arcsinh": _ANY,
    "arccosh": [1.0, 1.5, 10.0, 1e10], "arctanh": _UNIT, "sigmoid": _SMALL + [-700.0, 40.0],
    "softplus": _SMALL + [-700.0, 700.0], "log1mexp": [-1e-8, -0.3, -0.7, -2.5, -50.0],
    "erf": _SMALL, "erfc": _SMALL, "erfcx": _SMALL + [-26.0, 1e5],
    "gamma": [-2.5, -0.3, 1e-8, 0.3, 1.0, 2.5, 20.0, 170.0],
    "gammaln": [1e-8, 0.3, 2.5, 20.0, 1e5], "digamma": [1e-8, 0.3, 2.5, 1e5],
    "floor": _ANY, "ceil": _ANY, "sign": _ANY,
}
BINARY_POINTS = {
    "add": (_ANY, _ANY), "sub": (_ANY, _ANY), "mul": (_ANY, _ANY),
    "true_div": (_ANY, [-3.0, -0.5, 0.7, 1e-8, 1e5]), "int_div": (_ANY, [-3.0, 0.7, 1e5]),
    "mod": (_ANY, [-3.0, 0.7, 1e5]), "pow": ([0.3, 1.0, 2.5, 10.0], [-3.5, -1.0, 0.0, 0.5, 7.0]),
    "arctan2": (_ANY, [-2.0, 0.5, 3.0]), "hypot": (_ANY, [-2.0, 0.5, 1e5]),
    "maximum": (_ANY, [-1.0, 0.0, 2.0]), "minimum": (_ANY, [-1.0, 0.0, 2.0]),
    "polygamma": ([0.0, 1.0, 3.0], [-2.5, 0.3, 2.5, 1e5]),
    "xlogy": ([-2.5, 0.0, 1e-8, 3.0], [0.0, 1e-8, 0.3, 2.5, 1e5]),
}
PREDICATES = ["lt", "le", "gt", "ge", "eq", "neq", "isnan", "isinf"]
LOGIC = ["and_", "or_", "invert"]


def test_every_scalar_op_is_covered_by_these_tests():
    covered = set(UNARY_POINTS) | set(BINARY_POINTS) | set(PREDICATES) | set(LOGIC) | {
        "switch", "clip"}
    assert covered == set(SCALAR_OPS)


@pytest.mark.parametrize("name", sorted(UNARY_POINTS))
def test_unary_ops_agree_with_numpy(name):
    x = at.dvector("x")
    xs = np.array(UNARY_POINTS[name])
    ref = reference_float(getattr(at, name)(x), {x: xs})
    with np.errstate(all="ignore"):
        expected = SCALAR_OPS[name].impl(xs)
    # NumPy/SciPy are faithful but not always correctly rounded: allow 2 ulps.
    assert bits_of_error(expected, ref).max() <= math.log2(3), (xs, ref, expected)


@pytest.mark.parametrize("name", sorted(BINARY_POINTS))
def test_binary_ops_agree_with_numpy(name):
    x, y = at.dvector("x"), at.dvector("y")
    a, b = BINARY_POINTS[name]
    xs, ys = (np.array(v).ravel() for v in np.meshgrid(a, b))
    ref = reference_float(getattr(at, name)(x, y), {x: xs, y: ys})
    with np.errstate(all="ignore"):
        expected = SCALAR_OPS[name].impl(xs, ys)
    assert bits_of_error(expected, ref).max() <= math.log2(3)


@pytest.mark.parametrize("name", PREDICATES + LOGIC)
def test_boolean_ops_agree_with_numpy(name):
    xs = np.array([-1.0, 0.0, 2.0, np.nan, np.inf, -np.inf])
    if name in LOGIC:
        x, y = at.bvector("x"), at.bvector("y")
        xs, ys = np.array([True, True, False, False]), np.array([True, False, True, False])
    else:
        x, y = at.dvector("x"), at.dvector("y")
        xs, ys = (v.ravel() for v in np.meshgrid(xs, xs))
    args = (x,) if SCALAR_OPS[name].nin == 1 else (x, y)
    out = reference_eval(getattr(at, name)(*args), {x: xs, y: ys})
    expected = SCALAR_OPS[name].impl(*((xs,) if len(args) == 1 else (xs, ys)))
    assert out.dtype == bool
    np.testing.assert_array_equal(out, expected)


def test_switch_and_clip():
    x = at.dvector("x")
    xs = np.array([-3.0, -0.5, 0.0, 0.5, 3.0, np.nan])
    out = reference_float([at.switch(x > 0, x, -2 * x), at.clip(x, -1.0, 1.0)], {x: xs})
    np.testing.assert_array_equal(out[0], np.where(xs > 0, xs, -2 * xs))
    np.testing.assert_array_equal(out[1], np.clip(xs, -1.0, 1.0))


def test_domain_edges_follow_numpy():
    x = at.dvector("x")
    cases = {
        at.log(x): ([0.0, -1.0], [-np.inf, np.nan]),
        at.sqrt(x): ([-1.0], [np.nan]),
        at.log1p(x): ([-1.0, -2.0], [-np.inf, np.nan]),
        at.arctanh(x): ([1.0, -1.0, 2.0], [np.inf, -np.inf, np.nan]),
        at.arcsin(x): ([1.5], [np.nan]),
        1.0 / x: ([0.0], [np.inf]),
        0.0 * x / x: ([0.0], [np.nan]),
        at.pow(x, -1.0): ([0.0], [np.inf]),
        at.pow(x, 0.5): ([-4.0], [np.nan]),
        at.pow(x, 3.0): ([-2.0], [-8.0]),
        at.exp(x): ([np.inf, -np.inf, np.nan], [np.inf, 0.0, np.nan]),
        x - x: ([np.inf], [np.nan]),
        at.log1mexp(x): ([0.0, 1.0], [-np.inf, np.nan]),
    }
    for expr, (xs, expected) in cases.items():
        out = reference_float(expr, {x: np.array(xs)})
        np.testing.assert_array_equal(out, np.array(expected), err_msg=str(expr))


def test_exact_arithmetic_defeats_cancellation():
    x = at.dvector("x")
    out = reference_float((x + 1) - x, {x: np.array([1e300, 1e16, -1e200])})
    np.testing.assert_array_equal(out, [1.0, 1.0, 1.0])


def test_adaptive_precision_resolves_cancelled_transcendentals():
    x = at.dvector("x")
    big = np.array([1e300, 1e100, 4.0])
    out, resolved = reference_eval(at.sqrt(x + 1) - at.sqrt(x), {x: big}, return_resolved=True)
    assert resolved.all()
    with mpmath.workdps(1200):
        exact = [1 / (mpmath.sqrt(mpmath.mpf(v) + 1) + mpmath.sqrt(mpmath.mpf(v))) for v in big]
        np.testing.assert_array_equal(round_to_dtype(out), [float(e) for e in exact])
    tiny = np.array([1e-300, 5e-324, -1e-200])
    out = reference_float(at.exp(x) - 1, {x: tiny})
    np.testing.assert_array_equal(out, tiny)
    out = reference_float(at.log(x + 1) - at.log(x), {x: np.array([1e200])})
    np.testing.assert_array_equal(out, [1e-200])


def test_ill_conditioned_functions_of_rounded_values_are_resolved():
    """log near 1 of a rounded quotient: no subtraction cancels, yet all bits are lost."""
    x = at.dvector("x")
    xs = np.array([1e-200, 1e-30, -1e-100])
    out = reference_float(at.log((1 + x) / (1 - x)), {x: xs})
    np.testing.assert_array_equal(out, 2 * xs)
    out = reference_float(at.arccos(at.cos(x)), {x: np.array([1e-100])})
    np.testing.assert_array_equal(out, [1e-100])


def test_fixed_precision_is_fooled_where_adaptive_is_not():
    """Guards the adaptive loop: at 40 digits the cancellation is complete."""
    x = at.dvector("x")
    expr = at.exp(x) - 1
    assert reference_float(expr, {x: np.array([1e-100])}, dps=40)[0] == 0.0
    assert reference_float(expr, {x: np.array([1e-100])})[0] == 1e-100


def test_astronomical_intermediates_do_not_exhaust_memory():
    """exp(1e300) is a fine mpmath number, but an *exact* sum with it is not: sums and
    ties of far-apart magnitudes are rounded (no cancellation is possible there)."""
    x = at.dvector("x")
    big = np.array([1e300, -1e300, 1e5, -745.0, 0.5])
    # sigmoid(-745) = 2.8e-324 rounds up to the smallest subnormal (NumPy's form gives 0)
    np.testing.assert_array_equal(reference_float(at.sigmoid(x), {x: big}),
                                  [1.0, 0.0, 1.0, 5e-324, float(1 / (1 + mpmath.exp(-0.5)))])
    np.testing.assert_array_equal(reference_float(at.exp(x) > 1.0, {x: big}),
                                  [True, False, True, False, True])


def test_unresolvable_points_are_reported():
    x = at.dvector("x")
    zero = at.sqr(at.sin(x)) + at.sqr(at.cos(x)) - 1  # identically 0, never confirmed
    out, resolved = reference_eval(zero, {x: np.array([0.7, 0.0])}, max_dps=160,
                                   return_resolved=True)
    assert not resolved[0]
    assert abs(float(out[0])) < 1e-100
    assert resolved[1] and out[1] == 0


def test_casts_round_to_the_target_type():
    x = at.dvector("x")
    xs = np.array([0.1, 1 / 3, 2.0**-140, 1e39])
    out = reference_float(at.cast(at.cast(x, "float32"), "float64"), {x: xs})
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(out, xs.astype(np.float32).astype(np.float64))
    i = at.lvector("i")
    big = np.array([2**53 + 1, -(2**60) - 1])
    out = reference_float(at.cast(i, "float64") - 2.0**53, {i: big})
    np.testing.assert_array_equal(out, big.astype(np.float64) - 2.0**53)
    np.testing.assert_array_equal(
        reference_eval(at.cast(x, "int64"), {x: np.array([-2.7, 2.7])}), [-2, 2])


def test_reductions():
    x = at.dvector("x")
    xs = np.array([1e300, 1.0, -1e300, 2.0])
    out = reference_float(
        [at.sum(x), at.mean(x), at.prod(x[1:2]), at.max(x), at.min(x), at.logsumexp(x)],
        {x: xs})
    assert [float(o) for o in out] == [3.0, 0.75, 1.0, 1e300, -1e300, 1e300]
    lse = reference_float(at.logsumexp(x), {x: np.array([1000.0, 1000.0])})
    assert lse == 1000.0 + math.log(2)
    assert np.isnan(reference_float(at.max(x), {x: np.array([1.0, np.nan])}))
    A = at.dmatrix("A")
    M = np.arange(6.0).reshape(2, 3) - 2
    got = reference_float([A.sum(axis=0), A.max(axis=1, keepdims=True), at.mean(A, axis=(0, 1)),
                           at.any(A > 2, axis=1), at.prod(A, axis=1)], {A: M})
    expected = [M.sum(axis=0), M.max(axis=1, keepdims=True), M.mean(), (M > 2).any(axis=1),
                M.prod(axis=1)]
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)
        assert g.shape == e.shape


def test_shape_ops_and_products():
    A, x = at.dmatrix("A"), at.dvector("x")
    M = np.arange(6.0).reshape(2, 3) * 0.1
    v = np.array([1e300, 1.0, -1e300])
    exprs = [A.T, A.reshape((3, 2)), A[1, 1:], A[None, :, -1], at.set_subtensor(A[0], 5.0),
             at.inc_subtensor(A[:, 0], x[:2]), at.concatenate([A, A], axis=1), at.stack([x, x]),
             A @ x, at.dot(x, x), at.outer(x, x[:2]), at.alloc(at.constant(1.5), 2, 2),
             at.expand_dims(x, 0), at.flatten(A), A.shape]
    got = reference_float(exprs, {A: M, x: v})
    m2 = M.copy()
    m2[0] = 5.0
    m3 = M.copy()
    m3[:, 0] += v[:2]
    with np.errstate(over="ignore"):
        outer = np.outer(v, v[:2])
    expected = [M.T, M.reshape(3, 2), M[1, 1:], M[None, :, -1], m2, m3,
                np.concatenate([M, M], 1), np.stack([v, v]), M @ v, np.inf,
                outer, np.full((2, 2), 1.5), v[None], M.ravel(), np.array(M.shape)]
    for g, e, expr in zip(got, expected, exprs):
        np.testing.assert_array_equal(g, e, err_msg=str(expr))
    # Exact products: the 1 survives between the two huge terms.
    assert reference_float(at.dot(x, at.constant(np.ones(3))), {x: v}) == 1.0


def test_no_recursion_on_deep_graphs():
    x = at.dscalar("x")
    y = x
    for i in range(10_000):
        y = at.sin(y) if i % 2 else y * 1.0001
    assert np.isfinite(reference_float(y, {x: 0.5}, dps=20))


def test_bad_inputs_raise_clear_errors():
    x, y = at.dvector("x"), at.dvector("y")
    with pytest.raises(TypeError, match="dict"):
        reference_eval(x + y, [np.ones(2), np.ones(2)])
    with pytest.raises(ValueError, match="y"):
        reference_eval(x + y, {x: np.ones(2)})
    with pytest.raises((TypeError, ValueError), match="x"):
        reference_eval(x + 1, {x: np.ones((2, 2))})
    with pytest.raises(TypeError, match="output"):
        reference_eval([x, 3.0], {x: np.ones(2)})


# ------------------------------------------------------------ rounding and ulps


def test_round_mpf_is_correct_in_the_subnormal_range():
    mp = mpmath.mp
    with mpmath.workprec(300):
        half_min = mp.mpf(2) ** -1075
        assert round_mpf(half_min) == 0.0  # tie -> even (zero)
        assert round_mpf(half_min * (1 + mp.mpf(2) ** -100)) == 5e-324
        assert round_mpf(mp.mpf(2) ** -1074 * 1.5) == 2 * 5e-324  # tie -> even
        assert round_mpf(mp.mpf(2) ** -1076) == 0.0
        # A value that double rounding (to 53 bits, then to the subnormal) gets wrong.
        v = mp.mpf(2) ** -1074 * (mp.mpf(1) + mp.mpf(1) / 2 - mp.mpf(2) ** -60)
        assert round_mpf(v) == 5e-324
        top = (2 - mp.mpf(2) ** -53) * mp.mpf(2) ** 1023  # half way to 2**1024
        assert round_mpf(top) == math.inf
        assert round_mpf(top * (1 - mp.mpf(2) ** -80)) == np.finfo(np.float64).max
        assert round_mpf(-mp.mpf(1) / 3) == -1 / 3
        assert round_mpf(mp.mpf(1) / 3, "float32") == float(np.float32(1 / 3))
        assert round_mpf(mp.mpf(2) ** 200, "float32") == math.inf


def test_bits_of_error():
    one = np.array([1.0])
    nxt = np.nextafter(one, 2)
    assert bits_of_error(one, one)[0] == 0
    assert bits_of_error(nxt, one)[0] == 1
    assert bits_of_error(np.nextafter(nxt, 2), one)[0] == math.log2(3)
    assert bits_of_error(np.array([-0.0]), np.array([0.0]))[0] == 0
    assert bits_of_error(np.array([5e-324]), np.array([-5e-324]))[0] == math.log2(3)
    assert bits_of_error(np.array([np.inf]), np.array([np.finfo(float).max]))[0] == 1
    assert bits_of_error(np.array([np.nan]), one)[0] == 64
    assert bits_of_error(one, np.array([np.nan]))[0] == 64
    assert bits_of_error(np.array([np.nan]), np.array([np.nan]))[0] == 0
    assert bits_of_error(np.array([np.inf]), np.array([-np.inf]))[0] > 63.99
    assert bits_of_error(np.array([np.float32(np.nan)]), np.array([1.0], np.float32))[0] == 32
    with mpmath.workprec(200):
        third = np.array([mpmath.mpf(1) / 3], dtype=object)
    assert bits_of_error(np.array([1 / 3]), third)[0] == 0
    assert bits_of_error(np.array([0.1 + 0.2]), np.array([0.3]))[0] == 1
    assert np.all(np.diff(ordinal(np.array([-np.inf, -1.0, -0.0, 5e-324, 1.0, np.inf]))) > 0)
