"""Each identity of ``rules/accuracy.py``: it fires in the e-graph, and both sides
agree numerically on random inputs in its domain."""

import numpy as np
import pytest
from aesara_cas.rules import accuracy

from aesara_cas import tensor as at
from aesara_cas.rewriting.egraph import EGraph, Limits, prepare, run
from aesara_cas.rewriting.rewriter import rule_name
from tests.rewriting.egraph.helpers import evaluate

a, b, c, d = at.dvector("a"), at.dvector("b"), at.dvector("c"), at.dvector("d")
h = 0.5
pa, pb = at.exp(a), at.exp(b)  # known positive (the guards read the e-class facts)

# rule name -> (lhs, rhs, domain of the inputs a, b, c, d)
CASES = {
    "sqrt_conjugate": (lambda: at.sqrt(a) - at.sqrt(b),
                       lambda: (a - b) / (at.sqrt(a) + at.sqrt(b)), (0.1, 5)),
    "sqrt_sub_conjugate": (lambda: at.sqrt(a) - b, lambda: (a - b * b) / (at.sqrt(a) + b),
                           (0.1, 5)),
    "sqrt_sub_one": (lambda: at.sqrt(a) - 1, lambda: (a - 1) / (at.sqrt(a) + 1), (0.1, 5)),
    "cbrt_conjugate": (lambda: at.cbrt(a) - at.cbrt(b),
                       lambda: (a - b) / (at.sqr(at.cbrt(a)) + at.cbrt(a) * at.cbrt(b)
                                          + at.sqr(at.cbrt(b))), (-5, 5)),
    "pow_third_as_cbrt": (lambda: pa ** (1 / 3), lambda: at.cbrt(pa), (-5, 5)),
    "combine_fractions": (lambda: a / b - c / d, lambda: (a * d - b * c) / (b * d), (0.5, 3)),
    "combine_reciprocals": (lambda: 1 / a - 1 / b, lambda: (b - a) / (a * b), (0.5, 3)),
    "difference_of_squares": (lambda: a * a - b * b, lambda: (a + b) * (a - b), (-5, 5)),
    "sin_of_sum": (lambda: at.sin(a + b), lambda: at.sin(a) * at.cos(b) + at.cos(a) * at.sin(b),
                   (-3, 3)),
    "cos_of_sum": (lambda: at.cos(a + b), lambda: at.cos(a) * at.cos(b) - at.sin(a) * at.sin(b),
                   (-3, 3)),
    "sinh_of_sum": (lambda: at.sinh(a + b),
                    lambda: at.sinh(a) * at.cosh(b) + at.cosh(a) * at.sinh(b), (-3, 3)),
    "cosh_of_sum": (lambda: at.cosh(a + b),
                    lambda: at.cosh(a) * at.cosh(b) + at.sinh(a) * at.sinh(b), (-3, 3)),
    "tan_of_sum": (lambda: at.tan(a + b),
                   lambda: (at.tan(a) + at.tan(b)) / (1 - at.tan(a) * at.tan(b)), (-0.7, 0.7)),
    "sin_difference": (lambda: at.sin(a) - at.sin(b),
                       lambda: 2 * at.sin((a - b) * h) * at.cos((a + b) * h), (-3, 3)),
    "cos_difference": (lambda: at.cos(a) - at.cos(b),
                       lambda: -2 * at.sin((a - b) * h) * at.sin((a + b) * h), (-3, 3)),
    "tan_difference": (lambda: at.tan(a) - at.tan(b),
                       lambda: at.sin(a - b) / (at.cos(a) * at.cos(b)), (-1.2, 1.2)),
    "one_minus_cos": (lambda: 1 - at.cos(a), lambda: 2 * at.sqr(at.sin(a * h)), (-3, 3)),
    "cosh_minus_one": (lambda: at.cosh(a) - 1, lambda: 2 * at.sqr(at.sinh(a * h)), (-5, 5)),
    "exp_sum_minus_two": (lambda: at.exp(a) + at.exp(-a) - 2,
                          lambda: 4 * at.sqr(at.sinh(a * h)), (-5, 5)),
    "exp_sum_as_cosh": (lambda: at.exp(a) + at.exp(-a), lambda: 2 * at.cosh(a), (-5, 5)),
    "cosh_minus_one_expm1": (lambda: at.cosh(a) - 1,
                             lambda: at.sqr(at.expm1(abs(a))) / (2 * at.exp(abs(a))), (-5, 5)),
    "arctan_difference": (lambda: at.arctan(a) - at.arctan(b),
                          lambda: at.arctan2(a - b, 1 + a * b), (-20, 20)),
    "arccos_half_angle": (lambda: at.arccos(a), lambda: 2 * at.arcsin(at.sqrt((1 - a) * h)),
                          (-1, 1)),
    "log_quotient": (lambda: at.log(pa) - at.log(pb), lambda: at.log(pa / pb), (-5, 5)),
    "log_as_log1p": (lambda: at.log(a), lambda: at.log1p(a - 1), (0.1, 5)),
    "log1p_as_log": (lambda: at.log1p(a), lambda: at.log(1 + a), (-0.5, 5)),
    "exp_as_expm1": (lambda: at.exp(a) - 1, lambda: at.expm1(a), (-5, 5)),
    "expm1_as_exp": (lambda: at.expm1(a), lambda: at.exp(a) - 1, (-5, 5)),
    "exp_difference": (lambda: at.exp(a) - at.exp(b), lambda: at.exp(b) * at.expm1(a - b),
                       (-5, 5)),
    "log_of_exp": (lambda: at.log(at.exp(a)), lambda: a, (-5, 5)),
    "exp_of_log": (lambda: at.exp(at.log(pa)), lambda: pa, (-5, 5)),
    "log_diff_exp": (lambda: at.log(at.exp(pa + 1) - at.exp(-pb)),
                     lambda: (pa + 1) + at.log1mexp(-pb - (pa + 1)), (-2, 2)),
    "erfc_as_erf": (lambda: at.erfc(a), lambda: 1 - at.erf(a), (-3, 3)),
    "log_of_erfc": (lambda: at.log(at.erfc(a)), lambda: at.log(at.erfcx(a)) - a * a, (-3, 5)),
    "pow_difference": (lambda: pa ** c - pb ** c, lambda: pb ** c * at.expm1(c * at.log(pa / pb)),
                       (-2, 2)),
    "pow_as_exp_log1p": (lambda: (1 + pa) ** b, lambda: at.exp(b * at.log1p(pa)), (-3, 3)),
}


def test_every_rule_has_a_case():
    assert {rule_name(r) for r in accuracy.RULES} == set(CASES)


def test_every_rule_is_documented_with_its_domain():
    for r in accuracy.RULES:
        doc = r.__doc__
        assert doc and "=" in doc and ("for " in doc or "where " in doc), rule_name(r)


def _fires(name, lhs, rhs) -> bool:
    rule = next(r for r in accuracy.RULES if rule_name(r) == name)
    prepared, skipped = prepare([rule])
    assert not skipped
    eg = EGraph()
    left, right = eg.add_graph([lhs, rhs])
    run(eg, prepared, Limits(iterations=3))
    return eg.find(left) == eg.find(right)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_fires_and_both_sides_agree(name, rng):
    build_lhs, build_rhs, (low, high) = CASES[name]
    lhs, rhs = build_lhs(), build_rhs()
    assert _fires(name, lhs, rhs), name
    values = {v: rng.uniform(low, high, size=16) for v in (a, b, c, d)}
    left, right = evaluate(lhs, values), evaluate(rhs, values)
    ok = np.isfinite(left)
    assert ok.mean() > 0.5
    np.testing.assert_allclose(right[ok], left[ok], rtol=1e-8, atol=1e-12)


def test_guarded_rules_need_their_facts():
    # log(a) - log(b) = log(a/b) needs a, b > 0; (1 + a)**b = exp(b log1p(a)) needs a >= -1.
    assert not _fires("log_quotient", at.log(a) - at.log(b), at.log(a / b))
    assert not _fires("pow_difference", a ** c - b ** c, b ** c * at.expm1(c * at.log(a / b)))
    assert not _fires("pow_as_exp_log1p", (1 + a) ** b, at.exp(b * at.log1p(a)))
    # a ** (1/3) is NaN for a < 0, cbrt(a) is not: the rule needs a >= 0.
    assert not _fires("pow_third_as_cbrt", a ** (1 / 3), at.cbrt(a))
