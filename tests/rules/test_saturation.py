"""Each identity of ``rules/saturation.py``: it fires in the e-graph, and both sides
agree numerically on random inputs in its domain."""

import numpy as np
import pytest
from aesara_cas.rules import saturation

from aesara_cas import tensor as at
from aesara_cas.rewriting.egraph import EGraph, Limits, prepare, run
from aesara_cas.rewriting.rewriter import rule_name
from tests.rewriting.egraph.helpers import evaluate

a, b, c = at.dvector("a"), at.dvector("b"), at.dvector("c")

# rule name -> (lhs, rhs, domain of the inputs a, b, c)
CASES = {
    "distribute": (lambda: a * (b + c), lambda: a * b + a * c, (-5, 5)),
    "factor": (lambda: a * b + a * c, lambda: a * (b + c), (-5, 5)),
    "exp_of_sum": (lambda: at.exp(a + b), lambda: at.exp(a) * at.exp(b), (-20, 20)),
    "exp_product": (lambda: at.exp(a) * at.exp(b), lambda: at.exp(a + b), (-20, 20)),
    "pow_product": (lambda: at.exp(a) ** b * at.exp(a) ** c,
                    lambda: at.exp(a) ** (b + c), (-3, 3)),
    "pow_of_sum": (lambda: 2.0 ** (b + c), lambda: 2.0 ** b * 2.0 ** c, (-10, 10)),
    "pow_of_pow": (lambda: (at.exp(a) ** b) ** c, lambda: at.exp(a) ** (b * c), (-2, 2)),
    "sinh_arcsinh": (lambda: at.sinh(at.arcsinh(a)), lambda: a, (-50, 50)),
    "arcsinh_sinh": (lambda: at.arcsinh(at.sinh(a)), lambda: a, (-20, 20)),
}


def test_every_rule_has_a_case():
    # log_of_product has its own test below (its guard is the point).
    assert {rule_name(r) for r in saturation.RULES} == set(CASES) | {"log_of_product"}


def _fires(name, lhs, rhs) -> bool:
    rule = next(r for r in saturation.RULES if rule_name(r) == name)
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
    for _ in range(4):
        values = {v: rng.uniform(low, high, size=4) for v in (a, b, c)}
        left, right = evaluate(lhs, values), evaluate(rhs, values)
        np.testing.assert_allclose(right, left, rtol=1e-10, atol=1e-300)


def test_log_of_product_needs_positive_factors(rng):
    u, w = at.exp(a), at.sqr(b) + 1.0
    lhs = at.log(u * w)
    rhs = at.log(u) + at.log(w)
    assert _fires("log_of_product", lhs, rhs)
    for _ in range(4):
        values = {a: rng.uniform(-5, 5, 4), b: rng.uniform(-5, 5, 4)}
        np.testing.assert_allclose(evaluate(rhs, values), evaluate(lhs, values), rtol=1e-12)
    # Unknown signs: not applied (log(a*b) is defined for a, b < 0, log(a) + log(b) is not).
    assert not _fires("log_of_product", at.log(a * b), at.log(a) + at.log(b))


def test_power_laws_need_a_positive_base():
    assert not _fires("pow_product", a ** b * a ** c, a ** (b + c))
    assert _fires("pow_product", 2.0 ** b * 2.0 ** c, 2.0 ** (b + c))
