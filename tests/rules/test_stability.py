"""Every rule of ``rules/stability.py`` (the ``stabilize`` set): it fires on an example,
both sides agree on random inputs where the original is accurate, and the new form is
right where the original overflows or cancels."""

import numpy as np
import pytest
from aesara_cas.rules import stability

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.testing import bits_of_error, reference_eval
from tests.rewriting.rulecheck import Case, check_case, check_coverage, run_exactly

V = ("dvector", -3.0, 3.0)
NEG = ("dvector", -5.0, -0.1)
M = ("dmatrix", -3.0, 3.0)


def softmax_canonical(x):
    return at.mul(at.exp(x), at.pow(at.sum(at.exp(x)), -1))


CASES = [
    Case("log_to_log1p", lambda x: at.log(1 + x), [("dvector", -0.5, 3.0)], expect="log1p(x)",
         extremes=[([np.array([1e-20])], [1e-20])]),
    Case("log_to_log1p", lambda x, y: at.log(at.add(x, 1, y)),
         [("dvector", 0.0, 1.0), ("dvector", 0.0, 1.0)], expect="log1p(x + y)"),
    Case("softplus_from_log1p", lambda x: at.log1p(at.exp(x)), [V], expect="softplus(x)",
         extremes=[([np.array([800.0])], [800.0])]),
    Case("softplus_from_log", lambda x: at.log(1 + at.exp(x)), [V], expect="softplus(x)",
         extremes=[([np.array([800.0])], [800.0])]),
    Case("expm1_from_exp", lambda x: at.add(at.exp(x), -1.0), [V], expect="expm1(x)",
         rtol=1e-9, extremes=[([np.array([1e-20])], [1e-20])]),
    Case("expm1_from_exp", lambda x, y: at.add(-1.0, y, at.exp(x)), [V, V],
         expect="expm1(x) + y", rtol=1e-9, atol=1e-12),
    Case("expm1_from_exp", lambda x: at.exp(x) - 1, [V], expect="expm1(x)", rtol=1e-9,
         extremes=[([np.array([1e-20])], [1e-20])]),
    Case("log1p_neg_exp", lambda x: at.log1p(-at.exp(x)), [NEG], expect="log1mexp(x)",
         rtol=1e-9, extremes=[([np.array([-1e-20])], [np.log(1e-20)])]),
    Case("log1p_neg_exp", lambda x: at.log1p(at.mul(-1, at.exp(x))), [NEG],
         expect="log1mexp(x)", rtol=1e-9),
    Case("sigmoid_from_neg_exp", lambda x: (1 + at.exp(-x)) ** -1, [V], expect="sigmoid(x)"),
    Case("sigmoid_from_exp", lambda x: at.pow(at.add(at.exp(x), 1), -1), [V],
         expect="sigmoid(-x)"),
    Case("sigmoid_from_neg_exp", lambda x: 1 / (1 + at.exp(-x)), [V], expect="sigmoid(x)"),
    Case("sigmoid_from_exp", lambda x: 1 / (at.exp(x) + 1), [V], expect="sigmoid(-x)",
         extremes=[([np.array([800.0])], [0.0])]),
    Case("log_sigmoid", lambda x: at.log(at.sigmoid(x)), [V], expect="-softplus(-x) + 0",
         extremes=[([np.array([-800.0])], [-800.0])]),
    Case("log1p_neg_sigmoid", lambda x: at.log1p(-at.sigmoid(x)), [V], expect="-softplus(x)",
         extremes=[([np.array([800.0])], [-800.0])]),
    Case("log_one_minus_exp", lambda x: at.log(1 - at.exp(x)), [NEG],
         expect="log1mexp(x)",
         rtol=1e-9, extremes=[([np.array([-1e-20])], [np.log(1e-20)])]),
    Case("logsumexp", lambda x: at.log(at.sum(at.exp(x), axis=1)), [M],
         expect="logsumexp(x, axis=1)",
         extremes=[([np.array([[1000.0, 1000.0]])], [1000 + np.log(2)])]),
    Case("logsumexp", lambda x: at.log(at.sum(at.exp(x))), [V], expect="logsumexp(x)"),
    Case("softmax", softmax_canonical, [V],
         expect="exp(x - max(x)) * sum(exp(x - max(x, keepdims=True))) ** -1",
         extremes=[([np.array([1000.0, 1000.0])], [0.5, 0.5]),
                   ([np.array([-1000.0, -1000.0])], [0.5, 0.5])]),
    Case("softmax", lambda x: at.mul(at.exp(x),
                                     at.pow(at.sum(at.exp(x), axis=1, keepdims=True), -1)),
         [M], extremes=[([np.array([[1000.0, -1000.0], [-1000.0, -1000.0]])],
                         [[1.0, 0.0], [0.5, 0.5]])]),
    Case("softmax_axes_back", lambda x: at.mul(
        at.exp(x), at.pow(at.sum(at.exp(x), axis=1).dimshuffle(0, "x"), -1)),
         [M], expect="exp(x - max(x, axis=1, keepdims=True)) * sum(exp(x - max(x, axis=1, "
                     "keepdims=True)), axis=1, keepdims=True) ** -1",
         extremes=[([np.array([[1000.0, 1000.0]])], [[0.5, 0.5]])]),
    # A sum broadcast across the other axis (not a softmax): still the same value, as the
    # sum's own shift is the max of the slice it adds.
    Case("softmax_broadcast", lambda x: at.mul(
        at.exp(x), at.pow(at.sum(at.exp(x), axis=1).dimshuffle("x", 0), -1)),
         [M], extremes=[([np.array([[800.0, 0.0], [1.0, 2.0]])],
                         [[1.0, 1 / (np.e + np.e ** 2)], [0.0, np.e / (1 + np.e)]])]),
    # The two factors inside a longer product: the rest of the product is kept.
    Case("softmax", lambda x, y: at.mul(y, at.pow(at.sum(at.exp(x)), -1), at.exp(x)), [V, V],
         expect="exp(x - max(x)) * sum(exp(x - max(x, keepdims=True))) ** -1 * y",
         extremes=[([np.array([1000.0, 1000.0]), np.array([2.0, 3.0])], [1.0, 1.5])]),
    Case("softmax_div", lambda x: at.exp(x) / at.sum(at.exp(x)), [V],
         expect="exp(x - max(x)) / sum(exp(x - max(x, keepdims=True)))",
         extremes=[([np.array([-1000.0, -1000.0])], [0.5, 0.5])]),
    Case("softmax_div_axes_back",
         lambda x: at.exp(x) / at.sum(at.exp(x), axis=1).dimshuffle(0, "x"), [M],
         expect="exp(x - max(x, axis=1, keepdims=True)) / sum(exp(x - max(x, axis=1, "
                "keepdims=True)), axis=1, keepdims=True)",
         extremes=[([np.array([[1000.0, -1000.0]])], [[1.0, 0.0]])]),
    Case("softmax_div_broadcast",
         lambda x: at.exp(x) / at.sum(at.exp(x), axis=1).dimshuffle("x", 0), [M],
         expect="exp(x - max(x, axis=1).dimshuffle('x', 0)) / sum(exp(x - max(x, axis=1, "
                "keepdims=True)), axis=1).dimshuffle('x', 0)",
         extremes=[([np.array([[800.0, 0.0], [1.0, 2.0]])],
                    [[1.0, 1 / (np.e + np.e ** 2)], [0.0, np.e / (1 + np.e)]])]),
    Case("one_minus_cos", lambda x: at.add(1, -at.cos(x)), [V],
         expect="2 * sqr(sin(0.5 * x))", rtol=1e-9, atol=1e-15,
         extremes=[([np.array([1e-10])], [5e-21])]),
    # Written as math with a wild: found in every spelling and inside a longer sum.
    Case("one_minus_sigmoid", lambda x: 1 - at.sigmoid(x), [V], expect="sigmoid(-x)",
         extremes=[([np.array([40.0])], [4.248354255291589e-18])]),
    Case("one_minus_sigmoid", lambda x, y: at.add(y, 1, -at.sigmoid(x)), [V, V],
         expect="sigmoid(-x) + y", rtol=1e-9, atol=1e-15),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule(case, rng):
    from aesara_cas.rewriting.rewriter import rule_name

    check_case(case, {rule_name(r): r for r in stability.RULES}, rng)


def test_every_rule_has_a_case():
    check_coverage(stability, CASES)


def test_every_rule_states_its_identity():
    for r in stability.RULES:
        assert r.__doc__ and "->" in r.__doc__, r


def test_stable_forms_through_the_whole_pipeline(mode):
    x, v = at.dscalar("x"), at.dvector("v")
    f = ac.function([x, v], [at.log(1 + at.exp(x)), at.exp(v) / at.sum(at.exp(v)),
                             at.log(at.sigmoid(x))], mode=mode)
    sp, sm, ls = f(800.0, np.array([1000.0, 1000.0, 0.0]))
    assert float(sp) == 800.0
    np.testing.assert_allclose(sm, [0.5, 0.5, 0.0], atol=1e-300)
    assert float(f(-800.0, np.zeros(1))[2]) == -800.0


def test_softmax_rules_keep_a_found_case_accurate():
    """Found by the accuracy property: the softmax rules made -log(max(softmax(h))) lose
    9 bits (18 -> 29 bits of error) with exp(h - logsumexp(h)); shifted by the max, as
    SciPy does, it is no worse than the original."""
    x, y = at.dscalar("x"), at.tensor("float64", (3,), name="y")
    h = at.hypot(x, y ** 2)
    expr = -at.log(at.max(at.exp(h) / at.sum(at.exp(h))))
    out = ac.simplify(expr)
    values = [np.array(-316.22776602), np.array([0.0, 0.0, -10.0])]
    exact = reference_eval(expr, dict(zip([x, y], values)), max_dps=100)
    before = bits_of_error(np.float64(run_exactly([x, y], expr, values)), exact)
    after = bits_of_error(np.float64(run_exactly([x, y], out, values)), exact)
    assert after <= before + 1 and after < 22, (before, after, ac.pprint(out))
    # The probabilities themselves, at large logits of both signs, to an ulp or two.
    v = at.dvector("v")
    soft = ac.simplify(at.exp(v) / at.sum(at.exp(v)))
    for logits in (np.array([331.66247903554, 316.22776602, 316.22776602]),
                   np.array([-700.0, -701.5, -703.25, -740.0])):
        exact = reference_eval(at.exp(v) / at.sum(at.exp(v)), {v: logits}, max_dps=100)
        assert bits_of_error(run_exactly([v], soft, [logits]), exact).max() <= 2


def test_log_of_the_stable_softmax_is_as_accurate_as_scipy():
    """log(softmax) in the spellings the softmax rules rewrite: t - logsumexp(t) with
    t = x - max(x) grouped first, SciPy's log_softmax (x - logsumexp(x) loses ~9 bits)."""
    import scipy.special

    m = at.dmatrix("m")
    logits = np.array([[331.66247903554, 316.22776602, 316.22776602]])
    sums = [at.sum(at.exp(m), axis=1, keepdims=True),
            at.sum(at.exp(m), axis=1).dimshuffle(0, "x")]
    for expr in [at.log(at.exp(m) / s) for s in sums]:
        exact = reference_eval(expr, {m: logits}, max_dps=100)
        got = run_exactly([m], ac.simplify(expr), [logits])
        scipy_bits = bits_of_error(scipy.special.log_softmax(logits, axis=1), exact).max()
        assert bits_of_error(got, exact).max() <= scipy_bits + 1
