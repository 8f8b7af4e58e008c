"""Rewrites keep NumPy's signs of zero and infinity (the audit of the rules at the edges).

Each expression is rewritten with the standard sets (all of them in one ``simplify``
call) and evaluated, as rewritten and as written, on every pair of :data:`EDGES`:
wherever NumPy's value of the expression as written is not NaN, the rewritten graph
gives the same value, with the same sign of zero and of infinity.  The documented
exceptions (``rules.stability.SIGNED_ZERO_EXCEPTIONS``) are checked to differ exactly
where their docs say (at -0.0), and nowhere else.  Random nestings of these forms, and
both compiled modes, are in ``tests/test_edge_values.py``.
"""

from __future__ import annotations

import numpy as np
from aesara_cas.rules import stability

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile.vm import NumPyProgram
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.rewriting import simplify

EDGES = np.array([-0.0, 0.0, -np.inf, np.inf, np.nan, -1.0, 1.0, -2.5, 4.0])

CASES = {
    "x ** -0.5": lambda x, y: x ** -0.5,
    "x * y ** -0.5": lambda x, y: x * y ** -0.5,
    "x * y ** -1.5": lambda x, y: x * y ** -1.5,
    "x * y ** -2": lambda x, y: x * y ** -2,
    "x ** 0.5": lambda x, y: x ** 0.5,
    "x ** 1.5": lambda x, y: x ** 1.5,
    "x * 0.0": lambda x, y: x * 0.0,
    "x * -0.0": lambda x, y: x * -0.0,
    "x * y * 0.0": lambda x, y: x * y * 0.0,
    "x + 0.0": lambda x, y: x + 0.0,
    "x + 0": lambda x, y: x + 0,
    "0.0 - x": lambda x, y: 0.0 - x,
    "x - x": lambda x, y: x - x,
    "2 * x - x": lambda x, y: 2.0 * x - x,
    "log(exp(x))": lambda x, y: at.log(at.exp(x)),
    "exp(log(x))": lambda x, y: at.exp(at.log(x)),
    "log(sigmoid(x))": lambda x, y: at.log(at.sigmoid(x)),
    "log(1 - exp(x))": lambda x, y: at.log(1.0 - at.exp(x)),
    "x * x - y * y": lambda x, y: x * x - y * y,
    "maximum(0, x)": lambda x, y: at.maximum(0.0, x),
    "maximum(x, -0.0)": lambda x, y: at.maximum(x, -0.0),
    "minimum(x, 0)": lambda x, y: at.minimum(x, 0.0),
    "-(x * y)": lambda x, y: -(x * y),
    "x * -y": lambda x, y: x * -y,
    "x / y": lambda x, y: x / y,
    "-1 * x": lambda x, y: -1.0 * x,
    # Collected powers: sqrt(-0.0) is -0.0, NumPy's x ** 0.5 is sqrt(x), other
    # fractional powers are +0.0 / +inf at -0.0 / -inf.
    "sqrt(x) * sqrt(x)": lambda x, y: at.sqrt(x) * at.sqrt(x),
    "x ** 0.5 * x ** 0.5": lambda x, y: x ** 0.5 * x ** 0.5,
    "x * x ** 0.5": lambda x, y: x * x ** 0.5,
    "x ** 1.5 * x ** 0.5": lambda x, y: x ** 1.5 * x ** 0.5,
    "x ** 1.5 * x ** 1.5": lambda x, y: x ** 1.5 * x ** 1.5,
    "(x ** 0.5) ** 2": lambda x, y: (x ** 0.5) ** 2,
    "(x ** 0.5) ** 3": lambda x, y: (x ** 0.5) ** 3,
    "(x ** 0.25) ** 2": lambda x, y: (x ** 0.25) ** 2,
    "(x ** -0.5) ** 2": lambda x, y: (x ** -0.5) ** 2,
    "(x ** 1.5) ** 2": lambda x, y: (x ** 1.5) ** 2,
}


def identical(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ((a == b) & (np.signbit(a) == np.signbit(b))) | (np.isnan(a) & np.isnan(b))


def run_exactly(inputs: list, outputs: list, values: list) -> list:
    """The NumPy VM on ``outputs`` as built (no rewriting)."""
    with np.errstate(all="ignore"):
        return NumPyProgram(FunctionGraph(inputs, outputs, clone=True)).run(values)


def test_rewrites_keep_numpys_signs_at_the_edges():
    x, y = at.dvector("x"), at.dvector("y")
    exprs = [build(x, y) for build in CASES.values()]
    # The documented exceptions are left out here and checked below.
    rewritten = simplify(exprs, exclude=list(stability.SIGNED_ZERO_EXCEPTIONS))
    a, b = np.meshgrid(EDGES, EDGES)
    xs, ys = a.ravel(), b.ravel()
    want = run_exactly([x, y], exprs, [xs, ys])
    got = run_exactly([x, y], rewritten, [xs, ys])
    failures = []
    for name, out, w, g in zip(CASES, rewritten, want, got):
        w, g = np.broadcast_to(w, xs.shape), np.broadcast_to(g, xs.shape)
        # Signs, infinities and NaNs exact; values to rounding (log1mexp is more accurate).
        close = np.isclose(g, w, rtol=1e-13, atol=0) & (np.signbit(g) == np.signbit(w))
        bad = ~(np.isnan(w) | identical(g, w) | close)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            failures.append(f"{name} -> {ac.pprint(out)}: at x={xs[i]!r}, y={ys[i]!r} "
                            f"gives {g[i]!r}, NumPy {w[i]!r}")
    assert not failures, "\n".join(failures)


def test_reciprocal_square_root_at_negative_zero_and_infinity():
    """The defect as reported: x ** -0.5 at [-0.0, -inf] is [inf, 0.0] in NumPy."""
    x = at.dvector("x")
    f = ac.function([x], x ** -0.5, mode="numpy")
    with np.errstate(all="ignore"):
        out = f(np.array([-0.0, -np.inf]))
    assert out[0] == np.inf and out[1] == 0 and not np.signbit(out[1])


def test_zero_terms_and_factors_go_where_the_sign_is_known():
    x = at.dvector("x")
    assert ac.pprint(simplify(x + -0.0)) == "x"  # exact: x + -0.0 is x for every x
    assert ac.pprint(simplify(at.exp(x) + 0.0)) == "exp(x)"  # exp(x) is never -0.0
    for c, negative in ((0.0, False), (-0.0, True)):
        zero = simplify(at.exp(x) * c)
        assert "exp" not in ac.pprint(zero)  # exp(x) >= +0.0: the sign is c's
        value = run_exactly([x], [zero], [np.ones(2)])[0]
        assert np.all(value == 0) and np.all(np.signbit(value) == negative)
    i = at.lvector("i")
    assert "*" not in ac.pprint(simplify(i * 0))  # integers have one zero


def test_documented_exceptions_differ_only_at_negative_zero():
    names = set(stability.SIGNED_ZERO_EXCEPTIONS)
    rules = {getattr(r, "name", None): r for r in stability.RULES}
    assert names <= set(rules)
    for name in names:
        assert "-0.0" in rules[name].__doc__, name  # the doc says where
    x = at.dvector("x")
    exprs = [at.log(1.0 + x), at.exp(x) - 1.0, at.sub(at.exp(x), 1)]
    want = run_exactly([x], exprs, [EDGES])
    got = run_exactly([x], simplify(exprs), [EDGES])
    plain = run_exactly([x], simplify(exprs, exclude=list(names)), [EDGES])
    for w, g, p in zip(want, got, plain):
        close = np.isclose(g, w, rtol=1e-13, atol=0) & (np.signbit(g) == np.signbit(w))
        differs = ~(np.isnan(w) | identical(g, w) | close)
        assert EDGES[differs].tolist() == [-0.0] and np.signbit(EDGES[differs]).all()
        assert np.signbit(g[0]) and g[0] == 0 and not np.signbit(w[0])
        assert identical(p[~np.isnan(w)], w[~np.isnan(w)]).all()  # without them: NumPy's
    # In a sum: log(1 - exp(x)) is log1p(-exp(x)), -0.0 at x = -inf (the term is -0.0).
    expr = at.log(1.0 - at.exp(x))
    got = run_exactly([x], [simplify(expr)], [EDGES])[0]
    want = run_exactly([x], [expr], [EDGES])[0]
    close = np.isclose(got, want, rtol=1e-13, atol=0) & (np.signbit(got) == np.signbit(want))
    differs = ~(np.isnan(want) | identical(got, want) | close)
    assert EDGES[differs].tolist() == [-np.inf] and np.signbit(got[differs]).all()


def _saturation_pairs(a, b, c):
    """Both sides of each identity of ``rules/saturation.py`` (the guarded ones on
    positive bases: ``abs(a) + 0.5``)."""
    p, q = at.abs(a) + 0.5, at.abs(b) + 0.5
    return {
        "distribute": (a * (b + c), a * b + a * c),
        "factor": (a * b + a * c, a * (b + c)),
        "exp_of_sum": (at.exp(a + b), at.exp(a) * at.exp(b)),
        "exp_product": (at.exp(a) * at.exp(b), at.exp(a + b)),
        "pow_product": (p ** b * p ** c, p ** (b + c)),
        "pow_of_sum": (p ** (b + c), p ** b * p ** c),
        "pow_of_pow": ((p ** b) ** c, p ** (b * c)),
        "sinh_arcsinh": (at.sinh(at.arcsinh(a)), a),
        "arcsinh_sinh": (at.arcsinh(at.sinh(a)), a),
        "log_of_product": (at.log(p * q), at.log(p) + at.log(q)),
    }


def test_saturation_identities_state_their_edge_exceptions():
    """The saturation identities keep NumPy's values at the edges, or say in their docs
    where they do not (``saturation.EDGE_EXCEPTIONS``): a side that is defined must not
    become NaN, change the sign of a zero or an infinity, or overflow (a more accurate
    result, as arcsinh(sinh(800)) = 800 for inf, is fine)."""
    from aesara_cas.rules import saturation

    a, b, c = at.dvector("a"), at.dvector("b"), at.dvector("c")
    pairs = _saturation_pairs(a, b, c)
    assert set(pairs) == {r.name for r in saturation.RULES}
    edges = np.array([-0.0, 0.0, -np.inf, np.inf, -1.0, 2.0, 800.0, -800.0, 1e300])
    points = [g.ravel() for g in np.meshgrid(edges, edges, edges)]
    values = run_exactly([a, b, c], [side for pair in pairs.values() for side in pair], points)
    worse = set()
    for k, name in enumerate(pairs):
        lhs, rhs = (np.broadcast_to(v, points[0].shape) for v in values[2 * k:2 * k + 2])
        with np.errstate(invalid="ignore"):
            defined = ~np.isnan(lhs)
            bad = defined & (np.isnan(rhs) | (np.signbit(lhs) != np.signbit(rhs))
                             | (np.isinf(rhs) & np.isfinite(lhs) & (lhs != 0)))
        if bad.any():
            worse.add(name)
    assert worse == set(saturation.EDGE_EXCEPTIONS)
    rules = {r.name: r for r in saturation.RULES}
    for name in worse:
        assert "Exception" in rules[name].__doc__, name


def test_maximum_with_a_nonnegative_first_operand_can_be_negative_zero():
    """maximum(a, b) is b where a == b: maximum(0.0, -0.0) is -0.0 in NumPy and in both
    compiled modes, so a rule may not take maximum(exp(x) * 0, y) as never negative."""
    x, y = at.dvector("x"), at.dvector("y")
    relu = at.maximum(0.0, x)
    exprs = [at.exp(at.log(at.maximum(at.sigmoid(y), -(x * x)))), relu ** -0.5,
             at.maximum(at.sigmoid(y), x) * 0.0]
    xs, ys = np.array([-0.0, 0.0, -1.0, 4.0]), np.array([-np.inf, -np.inf, 0.0, 1.0])
    want = run_exactly([x, y], exprs, [xs, ys])
    got = run_exactly([x, y], simplify(exprs), [xs, ys])
    for w, g in zip(want, got):
        assert identical(np.broadcast_to(g, w.shape), w).all(), (g, w)


def test_a_sum_of_negated_terms_keeps_the_sign_of_an_exact_zero():
    """-a + -b is +0.0 where a = -b (round to nearest), -(a + b) would be -0.0."""
    x, y, z = at.dvector("x"), at.dvector("y"), at.dvector("z")
    exprs = [-x + -y, at.add(-x, -y, -z), -(y / x) - at.exp(z)]
    xs, ys, zs = np.array([1.0, -0.0, 2.0]), np.array([-1.0, -0.0, 3.0]), np.array([0.0, 1.0, -0.0])
    want = run_exactly([x, y, z], exprs, [xs, ys, zs])
    got = run_exactly([x, y, z], simplify(exprs), [xs, ys, zs])
    for w, g in zip(want, got):
        assert identical(np.broadcast_to(g, w.shape), w).all(), (g, w)
