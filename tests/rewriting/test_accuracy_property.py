"""Property: ``simplify`` never makes a finite result less accurate, nor non-finite.

Hypothesis builds random expressions (depth <= 6) over a scalar, a vector and a
matrix (so broadcasting is everywhere), from the floating-point element-wise ops,
reductions, and the shapes the stability rules look for.  For each, the original
graph and its simplified form are both evaluated exactly as built (no further
rewriting) and compared with an mpmath evaluation of the *original* graph
(``aesara_cas.testing.reference_eval``): wherever the original gives a finite
number and the exact value is a resolved finite number, the simplified graph must
give a finite number whose error is at most ``SLACK_BITS`` bits more than the
original's, or within ``OK_BITS`` bits anyway (ordinary rounding differences).
(Where the exact value is NaN, a NaN from the simplified graph is right, even if
the original's rounding produced a number.)

Discontinuous ops (floor, comparisons, ...) are only in the finiteness test: near a
jump, a different (equally good) rounding legitimately lands on the other side, so
accuracy in bits means nothing there.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from aesara_cas import tensor as at
from aesara_cas.compile.vm import NumPyProgram
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.traversal import clone_replace, graph_inputs, toposort
from aesara_cas.printing import pprint
from aesara_cas.rewriting import simplify
from aesara_cas.testing import bits_of_error, reference_eval

MAX_DEPTH = 6
#: Extra error a rewrite may add to an already inaccurate result (rounding in a different
#: order).  ``exp(a) * exp(b) -> exp(a + b)`` rounds ``a + b`` once, a relative error of
#: up to ``|a + b| 2**-53`` in the exp: a few bits more than the product's when ``|a + b|``
#: is large, amplified further by an ill-conditioned use such as ``cos(sum(...))``.
SLACK_BITS = 6
#: Errors up to this many bits (a few thousand ulps) always count as accurate.
OK_BITS = 12

# Static shapes: an expression whose shapes cannot broadcast is refused when built.
X = at.dscalar("x")
Y = at.tensor("float64", (3,), name="y")
Z = at.tensor("float64", (2, 3), name="z")
LEAVES = [X, Y, Z]
CONSTANTS = [0.0, 1.0, -1.0, 2.0, 0.5, 3.0, 1e-3]

UNARY = [at.neg, at.abs, at.exp, at.expm1, at.exp2, at.log, at.log1p, at.log2, at.log10,
         at.sqrt, at.sqr, at.sin, at.cos, at.tan, at.arctan, at.sinh, at.cosh, at.tanh,
         at.arcsinh, at.sigmoid, at.softplus, at.log1mexp, at.erf, at.erfc, at.arcsin,
         at.arccos, at.arccosh, at.arctanh]
BINARY = [at.add, at.sub, at.mul, at.true_div, at.maximum, at.minimum, at.arctan2, at.hypot,
          # Powers by constants only: x ** y with a huge y makes exact arithmetic explode.
          lambda a, b: a ** 2, lambda a, b: a ** 0.5, lambda a, b: a ** -1,
          lambda a, b: a ** -1.5, lambda a, b: at.abs(a) ** 3.0]
# Ops with jumps: checked only for "a finite result stays finite".
JUMPS = [
    lambda a, b: at.floor(a), lambda a, b: at.ceil(a), lambda a, b: at.sign(a),
    lambda a, b: at.switch(at.gt(a, b), a, b), lambda a, b: at.switch(at.le(a, 0.5), b, 1.0),
    lambda a, b: at.int_div(a, at.abs(b) + 1), lambda a, b: at.mod(a, at.abs(b) + 1),
    lambda a, b: at.cast(at.isnan(a), "float64") + at.clip(b, -1.0, 1.0),
]
# Shapes the rules rewrite, so that rewrites happen often.
PATTERNS = [
    lambda a, b: at.log(1 + at.exp(a)),
    lambda a, b: at.log1p(-at.exp(-at.abs(a) - 0.1)),
    lambda a, b: at.log(1 - at.exp(-at.abs(a) - 0.1)),
    lambda a, b: at.exp(a) - 1,
    lambda a, b: 1 - at.cos(a),
    lambda a, b: a * b / a,
    lambda a, b: a - a + b,
    lambda a, b: a * a,
    lambda a, b: a ** 2 + b ** 0.5,
    lambda a, b: 1 / (1 + at.exp(-a)),
    lambda a, b: at.log(at.sigmoid(a)),
    lambda a, b: at.exp(a) * at.exp(b),
    lambda a, b: at.neg(-a) + 0 * b,
    lambda a, b: at.log1p(a) + at.expm1(b),
    lambda a, b: at.sqrt(at.abs(a) + 1) - at.sqrt(at.abs(a)),
    lambda a, b: at.log(at.abs(a) + 1) - at.log(at.abs(a) + 0.5),
    lambda a, b: a / b / a,
    lambda a, b: at.exp(b) / at.sum(at.exp(b)),
]


def _reduce(kind, e, axis):
    if e.ndim == 0:
        return e
    return getattr(at, kind)(e, axis=None if axis is None else axis % e.ndim)


@st.composite
def expressions(draw, depth=MAX_DEPTH, jumps=False):
    # Leaves get likelier deeper down, so most expressions are several levels deep.
    if depth == 0 or draw(st.integers(0, depth + 1)) == 0:
        if draw(st.booleans()):
            return draw(st.sampled_from(LEAVES))
        return at.constant(draw(st.sampled_from(CONSTANTS)))
    kinds = ["unary", "binary", "pattern", "reduce"] + (["jump"] if jumps else [])
    kind = draw(st.sampled_from(kinds))
    a = draw(expressions(depth - 1, jumps))
    if kind == "unary":
        return draw(st.sampled_from(UNARY))(a)
    if kind == "reduce":
        red = draw(st.sampled_from(["sum", "max", "mean", "logsumexp"]))
        return _reduce(red, a, draw(st.sampled_from([None, 0, -1])))
    b = draw(expressions(depth - 1, jumps))
    op = draw(st.sampled_from({"binary": BINARY, "pattern": PATTERNS, "jump": JUMPS}[kind]))
    try:
        return op(a, b)
    except ValueError:  # shapes that do not broadcast, e.g. (2, 3) and (2,)
        return a


# Values of every scale: the rules are about tiny and large arguments.
ELEMENTS = st.one_of(
    st.floats(-4, 4),
    st.builds(lambda s, e: s * 10.0 ** e, st.sampled_from([-1.0, 1.0]), st.floats(-15, -3)),
    st.builds(lambda s, e: s * 10.0 ** e, st.sampled_from([-1.0, 1.0]), st.floats(-15, -3)),
    st.builds(lambda s, e: s * 10.0 ** e, st.sampled_from([-1.0, 1.0]), st.floats(1, 2.8)),
)
VALUES = {X: hnp.arrays("float64", (), elements=ELEMENTS),
          Y: hnp.arrays("float64", (3,), elements=ELEMENTS),
          Z: hnp.arrays("float64", (2, 3), elements=ELEMENTS)}


def run_as_built(inputs, output, values):
    with np.errstate(all="ignore"):
        return NumPyProgram(FunctionGraph(inputs, [output], clone=True)).run(values)[0]


def tame(inputs, output, values) -> bool:
    """Whether every intermediate of the float evaluation is finite and not huge.

    Otherwise the exact value involves numbers like exp(1e4) or 1 - exp(-1e43), which
    mpmath can take minutes to (or cannot) compute exactly; and the float result was
    computed through an overflow anyway.
    """
    nodes = toposort([output], inputs)
    outs = [o for n in nodes for o in n.outputs]
    if not outs:
        return True
    with np.errstate(all="ignore"):
        results = NumPyProgram(FunctionGraph(inputs, outs, clone=True)).run(values)
    for r in results:
        r = np.asarray(r)
        if r.dtype.kind == "f" and not np.all(np.abs(r[np.isfinite(r)]) < 1e300):
            return False
        if r.dtype.kind == "f" and not np.all(np.isfinite(r)):
            return False
    return True


#: Ops whose domain ends at these arguments: an exact argument on the edge (arcsin(1),
#: sqrt(0)) is a knife edge where an equally good rounding of the argument leaves the
#: domain (arcsin(1 + 2**-52) is NaN), so those points check nothing.
DOMAIN_EDGES = {"arcsin": (-1.0, 1.0), "arccos": (-1.0, 1.0), "arctanh": (-1.0, 1.0),
                "arccosh": (1.0,), "log": (0.0,), "log2": (0.0,), "log10": (0.0,),
                "log1p": (-1.0,), "sqrt": (0.0,), "log1mexp": (0.0,)}


def on_domain_edge(inputs, output, values) -> bool:
    """Whether an argument of a domain-limited op of ``output`` is exactly on an edge."""
    edges = [(n.inputs[0], DOMAIN_EDGES[str(n.op)]) for n in toposort([output], inputs)
             if str(n.op) in DOMAIN_EDGES]
    if not edges:
        return False
    with np.errstate(all="ignore"):
        args = NumPyProgram(FunctionGraph(inputs, [a for a, _ in edges], clone=True)).run(
            values)
    return any(np.isin(np.asarray(a), ends).any() for a, (_, ends) in zip(args, edges))


#: Input points tried per expression (simplifying costs more than evaluating).
POINTS = 4
#: The relative nudge of every input (16 ulps) that tells an ill-conditioned point.
NUDGE = 2.0 ** -48


def ill_conditioned(inputs, output, values) -> bool:
    """Whether nudging one intermediate of the float evaluation by ``NUDGE`` (16 ulps),
    either way, moves the result by more than ``2**(OK_BITS + 4)`` ulps or out of the
    finite numbers: there, two equally good evaluations (rounding an intermediate
    differently) legitimately differ by more than ``OK_BITS`` bits, so the point checks
    nothing (``arctanh`` or ``-log`` of a probability an ulp below 1).  Asked only where
    a check would fail."""
    base = np.asarray(run_as_built(inputs, output, values), dtype="float64")
    for node in toposort([output], inputs):
        v = node.outputs[0]
        if v.dtype not in ("float32", "float64") or v is output:
            continue
        for sign in (1.0, -1.0):
            nudged = clone_replace([output], {v: v * (1.0 + sign * NUDGE)})[0]
            moved = np.asarray(run_as_built(inputs, nudged, values), dtype="float64")
            finite = np.isfinite(base)
            if not np.all(np.isfinite(moved[finite])):
                return True
            if np.any(bits_of_error(moved[finite], base[finite]) > OK_BITS + 4):
                return True
    return False


def check_point(expr, out, inputs, values, accuracy: bool = True) -> bool:
    """Compare at one point; returns whether anything was checked."""
    before = np.asarray(run_as_built(inputs, expr, values), dtype="float64")
    after = np.asarray(run_as_built(inputs, out, values), dtype="float64")
    finite = np.isfinite(before)
    if (not finite.any() or not tame(inputs, expr, values)
            or on_domain_edge(inputs, expr, values)):
        return False
    try:
        exact, resolved = reference_eval(expr, dict(zip(inputs, values)), max_dps=300,
                                         return_resolved=True)
    except (OverflowError, MemoryError):
        # mpmath cannot hold some exact intermediate (1 + exp(-1e43) computed exactly):
        # no reference for this point.
        return False
    exact = np.broadcast_to(exact, before.shape)
    resolved = np.broadcast_to(resolved, before.shape)
    exact_finite = np.vectorize(lambda v: bool(v == v) and abs(v) != float("inf"),
                                otypes=[bool])(exact)
    check = finite & resolved & exact_finite
    if not check.any():
        return False
    if not np.all(np.isfinite(after[check])) and ill_conditioned(inputs, expr, values):
        return False
    assert np.all(np.isfinite(after[check])), (
        f"simplify turned a finite result into {after[check]}:\n"
        f"  {pprint(expr)}\n  -> {pprint(out)}\n  inputs {values}")
    if not accuracy:
        return True
    err_before = bits_of_error(before, exact)[check]
    err_after = bits_of_error(after, exact)[check]
    worse = err_after > np.maximum(err_before + SLACK_BITS, OK_BITS)
    # Where the exact value is 0 (x - x, log(sum(softmax(y)))), any rounding of the
    # operands is an infinite relative error: the original is often exactly 0 by luck
    # of its evaluation order. There, an absolute error of OK_BITS ulps of 1 is rounding.
    at_zero = np.vectorize(lambda v: v == 0, otypes=[bool])(exact)[check]
    worse &= ~(at_zero & (np.abs(after[check]) <= 2.0 ** (OK_BITS - 52)))
    if worse.any() and ill_conditioned(inputs, expr, values):
        return False
    assert not worse.any(), (
        f"simplify lost accuracy ({err_before[worse]} -> {err_after[worse]} bits):\n"
        f"  {pprint(expr)}\n  -> {pprint(out)}\n  inputs {values}")
    return True


def _check_simplified(expr, data, accuracy: bool) -> None:
    """``simplify(expr)`` against ``expr`` at POINTS drawn inputs (see check_point)."""
    inputs = [v for v in LEAVES if any(v is g for g in graph_inputs([expr]))]
    out = simplify(expr)
    assert out.type == expr.type
    checked = False
    for _ in range(POINTS):
        values = [data.draw(VALUES[v]) for v in inputs]
        checked |= check_point(expr, out, inputs, values, accuracy=accuracy)
    assume(checked)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                HealthCheck.filter_too_much])
@given(expr=expressions(), data=st.data())
def test_simplify_never_loses_accuracy(expr, data):
    _check_simplified(expr, data, accuracy=True)


def test_the_check_catches_a_bad_rewrite():
    # log1p(x) rewritten back to log(1 + x) loses ~30 bits at x = 1e-10.
    expr = at.log1p(X)
    bad = at.log(1 + X)
    with pytest.raises(AssertionError, match="lost accuracy"):
        check_point(expr, bad, [X], [np.array(1e-10)])
    # ... and a rewrite that overflows where the original does not.
    with pytest.raises(AssertionError, match="finite result"):
        check_point(at.softplus(X), at.log(1 + at.exp(X)), [X], [np.array(800.0)])
    assert check_point(at.log(1 + at.exp(X)), at.softplus(X), [X], [np.array(30.0)])


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                HealthCheck.filter_too_much])
@given(expr=expressions(jumps=True), data=st.data())
def test_simplify_keeps_finite_results_finite(expr, data):
    """With every op, jumps included: where the exact value and the original's result are
    finite, the simplified result is finite too."""
    _check_simplified(expr, data, accuracy=False)


def test_a_point_on_a_domain_edge_is_recognised():
    # arcsin(x / x) at x = 3: the argument is exactly 1, the edge of arcsin's domain.
    assert on_domain_edge([X], at.arcsin(X / X), [np.array(3.0)])
    assert not on_domain_edge([X], at.arcsin(X / 4), [np.array(3.0)])
    assert not on_domain_edge([X], at.exp(X), [np.array(0.0)])


def test_an_ill_conditioned_point_is_recognised():
    # The largest softmax probability is 1 - 1.7e-16 here: arctanh of it is finite or
    # -inf as the probability rounds to its float below 1 or to 1.0 (found by hypothesis).
    h = at.hypot(X, Y ** 2)
    expr = -at.arctanh(at.max(at.exp(h) / at.sum(at.exp(h))))
    values = [np.array(-371.80266639), np.array([0.0, -13.03870246, 0.0])]
    assert ill_conditioned([X, Y], expr, values)
    # log1p near 0 is well conditioned: a rewrite that loses accuracy there is caught.
    assert not ill_conditioned([X], at.log1p(X * 2.0), [np.array(1e-10)])
