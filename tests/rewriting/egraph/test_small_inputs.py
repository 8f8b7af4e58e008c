"""Saturation of small inputs converges: nested differences of one sum, and a greedy
result holding an error-free transformation, saturate in a few iterations and a few
e-nodes (before the normal forms of sums and products, the first ran into the time
limit with thousands of e-nodes)."""

import numpy as np
import pytest
from etuples import etuple
from unification import var

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.rewriting.egraph import Limits, saturate
from aesara_cas.rewriting.egraph.ematch import respells_only
from tests.rewriting.egraph.helpers import assert_same_values, evaluate

x, z = at.dvector("x"), at.dvector("z")
s = x + z
ERROR_TERM = x - (s - (s - x))
TWO_SUM_ERROR = (x - (s - (s - x))) + (z - (s - x))


@pytest.mark.parametrize("expr", [ERROR_TERM, TWO_SUM_ERROR], ids=["one", "two_sum"])
def test_nested_differences_of_one_sum_saturate(expr, rng):
    (out,), report = saturate(expr)
    assert report.stop == "saturated", str(report)
    assert report.iterations <= 5 and report.nodes < 50, str(report)
    # In real arithmetic the terms cancel; the input (a rounding error) is tiny.  (The
    # operand no longer read still decides the length: the result is broadcast to it.)
    assert ac.pprint(out).startswith(("0 * ", "alloc(0 * ")), ac.pprint(out)
    assert_same_values(expr, out, [x, z], rng, atol=1e-12)


def test_compensated_exp_of_sum_is_kept(rng):
    """The greedy step compensates exp(x) * exp(z) = exp(x + z) * (1 + e) with the TwoSum
    error e; saturation (real arithmetic, where e = 0) must not look inside it."""
    expr = at.exp(x) * at.exp(z)
    greedy = ac.simplify(expr)
    (out,), report = saturate(expr)
    assert report.stop == "saturated", str(report)
    assert ac.pprint(out) == ac.pprint(greedy)
    assert "x + z - (x + z - x)" in ac.pprint(out)
    # Where exp(x + z) rounds badly, the compensation is what makes it right.
    xv, zv = np.array([600.0, 1.0]), np.array([0.1, 1e-17])
    want = np.exp(xv) * np.exp(zv)  # exact enough here: each factor is one rounding
    got = evaluate(out, {x: xv, z: zv})
    np.testing.assert_allclose(got, want, rtol=2e-15)  # exp(fl(x + z)) is 2e-14 off
    assert_same_values(expr, out, [x, z], rng, rtol=1e-14)


def test_products_and_sums_reach_their_normal_forms(rng):
    a, b = at.dscalar("a"), at.dscalar("b")
    cases = [
        ((a * b) * (a / b) * a, "a ** 3"),
        (2 * (a + b) - 2 * a + (b - b), "2 * b"),
        (a * a * a / (a * a), "a"),
    ]
    for expr, want in cases:
        (out,), report = saturate(expr, greedy=False, limits=Limits(iterations=30))
        assert ac.pprint(out) == want, (ac.pprint(expr), ac.pprint(out))
        assert report.stop == "saturated", str(report)
        assert_same_values(expr, out, [a, b], rng, low=0.5, high=2.0)


def test_budget_relative_to_the_input_and_respelling_rules():
    big = (s + 3) * (s + 1) * (z + 2) * (x + 1)
    (_,), report = saturate(big, greedy=False, limits=Limits(growth=2))
    assert report.stop == "nodes", str(report)
    with pytest.raises(ValueError, match="growth"):
        Limits(growth=0)
    a, b = var("a"), var("b")
    assert respells_only(etuple(at.add, a, etuple(at.neg, b)), etuple(at.sub, a, b))
    assert not respells_only(etuple(at.mul, a, etuple(at.add, b, b)),
                             etuple(at.add, etuple(at.mul, a, b), etuple(at.mul, a, b)))
