"""Every rule of ``rules/products.py`` and ``rules/powers.py``: it fires on an example, keeps
the type, both sides agree on random inputs inside its domain, and at the edges (signed
zeros, infinities) the rewrite keeps NumPy's values."""

import numpy as np
import pytest
from aesara_cas.rules import powers, products

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.rewriting.rule import is_pattern_rule
from tests.rewriting.rulecheck import Case, check_case, check_coverage, run_exactly

V = ("dvector", -3.0, 3.0)
POS = ("dvector", 0.5, 3.0)
S = ("dscalar", -3.0, 3.0)
M = ("dmatrix", -3.0, 3.0)
C = at.constant

PRODUCT_CASES = [
    Case("mul_exp", lambda x, y: at.exp(x) * at.exp(y), [V, V], expect="exp(x + y)"),
    Case("mul_exp_of_more", lambda x, y, z: at.mul(at.exp(x), y, at.exp(z)), [V, V, V],
         expect="exp(x + z) * y"),
    Case("mul_neg", lambda x, y: x * -y, [V, V], expect="-(y * x)"),
    Case("mul_neg", lambda x, y, z: at.mul(x, y, -z), [V, V, V], expect="-(z * (x * y))"),
    Case("neg_mul_constant", lambda x: -(2.0 * x), [V], expect="-2 * x"),
    Case("neg_mul_constant", lambda x, y: -at.mul(C(3.0), x, y), [V, V],
         expect="-3 * (x * y)"),
    Case("sum_scalar_mul", lambda x, y: at.sum(x * y), [S, V], expect="x * sum(y)"),
    # The scalar need not come first, and the rest may be a product of several factors.
    Case("sum_scalar_mul", lambda x, y, z: at.sum(at.mul(x, z, y), axis=1), [M, M, S],
         expect="z * sum(x * y, axis=1)"),
]
POWER_CASES = [
    Case("pow_pow", lambda x: (at.exp(x) ** 1.5) ** 2, [V], expect="exp(x) ** 3"),
    Case("pow_pow", lambda x: (x ** 3) ** 3, [V], expect="x ** 9", rtol=1e-11),
    Case("pow_pow_abs", lambda x: (x ** 1.5) ** 2, [POS], expect="abs(x) ** 3"),
]


@pytest.mark.parametrize("case", PRODUCT_CASES + POWER_CASES,
                         ids=[c.rule for c in PRODUCT_CASES + POWER_CASES])
def test_rule(case, rng):
    check_case(case, {r.name: r for r in products.RULES + powers.RULES}, rng)


def test_every_rule_has_a_case_and_is_a_pattern():
    check_coverage(products, PRODUCT_CASES)
    check_coverage(powers, POWER_CASES)
    for r in products.RULES + powers.RULES:
        assert is_pattern_rule(r), r.name
        assert r.__doc__ and "->" in r.__doc__, r.name


EDGES = np.array([-0.0, 0.0, -np.inf, np.inf, -2.0, 0.5, np.nan])


def _same_values(x, expr, ys=()):
    """``expr`` and its standard simplification agree at the edge values where ``expr``
    is defined, the signs of zeros and infinities included."""
    out = ac.simplify(expr)
    inputs = [x, *ys]
    values = [EDGES, *[EDGES[::-1] for _ in ys]]
    with np.errstate(all="ignore"):
        before, after = run_exactly(inputs, expr, values), run_exactly(inputs, out, values)
    ok = ~np.isnan(before)
    np.testing.assert_array_equal(np.signbit(after[ok]), np.signbit(before[ok]), ac.pprint(out))
    np.testing.assert_allclose(after[ok], before[ok], rtol=1e-15, err_msg=ac.pprint(out))
    return out


def test_edges_are_kept():
    x, y, z = at.dvector("x"), at.dvector("y"), at.dvector("z")
    _same_values(x, x * -y, [y])
    _same_values(x, at.mul(-x, y, -z), [y, z])
    _same_values(x, -(2.0 * x))
    _same_values(x, -(0.0 * x))
    _same_values(x, (x ** 3) ** 3)
    # (x**0.5)**3 is -0.0 at -0.0 but x**1.5 is +0.0: it stays as written.
    assert ac.pprint(_same_values(x, (x ** 0.5) ** 3)) == "sqrt(x) ** 3"
    out = _same_values(x, (x ** 1.5) ** 2)
    assert ac.pprint(out) == "abs(x) ** 3"


def test_guards_decline_outside_the_domain():
    x, i = at.dvector("x"), at.ivector("i")
    alone = {"include": [], "rules": products.RULES + powers.RULES}
    # exp of an integer is a float of another width; a variable exponent; a rounding product.
    for expr in (at.exp(i) * at.exp(x), (x ** 1.5) ** x, (x ** 1.5) ** 2.5,
                 at.neg(at.mul(at.constant(np.int8(-1)), i))):
        assert ac.pprint(ac.simplify(expr, **alone)) == ac.pprint(expr)
    f = at.fvector("f")
    out = ac.simplify((f ** 1.5) ** 2, **alone)
    assert out.type == f.type and ac.pprint(out) == "abs(f) ** 3"
