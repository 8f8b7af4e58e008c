"""Every rule of ``rules/specialize.py``: it fires on an example and both sides agree."""

import numpy as np
import pytest
from aesara_cas.rules import specialize

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.tensor.blas import Gemm
from tests.rewriting.rulecheck import Case, check_case, check_coverage

V = ("dvector", -3.0, 3.0)
POS = ("dvector", 0.5, 3.0)
M = ("dmatrix", -3.0, 3.0)
S = ("dscalar", -3.0, 3.0)



def _gemm_example(name: str):
    """An expression in the spelling the gemm rule ``name`` reads (its name says which)."""
    _, _, op, alpha, beta = name.split("_")
    spell = {"one": lambda t, s: t, "neg": lambda t, s: -t, "scaled": lambda t, s: s * t}

    def build(a, b, c, s, t):
        d, c_term = spell[alpha](at.dot(a, b), s), spell[beta](c, t)
        return at.add(c_term, d) if op == "add" else at.sub(d, c_term)

    return build


CASES = [
    Case("pow_to_sqr", lambda x: x ** 2, [V], expect="sqr(x)"),
    Case("pow_to_sqrt", lambda x: x ** 0.5, [POS], expect="sqrt(x)"),
    Case("pow_to_reciprocal", lambda x: x ** -1, [POS], expect="1 / x"),
    Case("pow_to_rsqrt", lambda x: at.exp(x) ** -0.5, [V], expect="1 / sqrt(exp(x))",
         rtol=1e-15),
    Case("mul_to_div", lambda x, y: at.mul(x, at.pow(y, -1)), [V, POS], expect="x / y",
         rtol=1e-15),
    Case("mul_to_div", lambda x, y, z: at.mul(at.pow(y, -1), x, z), [V, POS, V],
         expect="x * z / y"),
    Case("mul_reciprocal_to_div", lambda x, y: at.mul(x, at.true_div(1, y)), [V, POS],
         expect="x / y", rtol=1e-15),
    Case("mul_to_div_power", lambda x, y, z: at.mul(x, at.pow(y, -2), z), [V, POS, V],
         expect="x * z / y ** 2"),
    Case("mul_to_div_power", lambda x: at.exp(x) ** -0.5 * x, [V],
         expect="x / exp(x) ** 0.5"),
    Case("div_div", lambda x, y, z: x / y / z, [V, POS, POS], expect="x / (y * z)"),
    Case("add_to_sub", lambda x, y: at.add(x, -y), [V, V], expect="x - y"),
    Case("add_to_sub", lambda x, y: at.add(-x, -y), [V, V], expect="-y - x"),  # +0.0 at x = -y
    Case("add_to_sub", lambda x, y, z: at.add(x, -y, z), [V, V, V], expect="x + z - y"),
    Case("sum_to_dot", lambda x, y: at.sum(x * y), [V, V], expect="dot(x, y)"),
    Case("matmul_to_dot", lambda a, b: a @ b, [M, M], expect="dot(x, y)"),
    Case("gemm_from_add_scaled_scaled", lambda a, b, c: 2.0 * at.dot(a, b) + 3.0 * c,
         [M, M, M], expect="gemm(z, 2.0, x, y, 3.0)"),
    Case("gemm_from_add_scaled_one", lambda a, b, c, s: at.add(c, at.mul(at.dot(a, b), s)),
         [M, M, M, S], expect="gemm(z, u, x, y, 1)"),
    Case("gemm_from_add_one_neg", lambda a, b, c: at.add(-c, at.dot(a, b)), [M, M, M],
         expect="gemm(z, 1, x, y, -1)"),
    Case("gemm_from_sub_one_one", lambda a, b, c: at.dot(a, b) - c, [M, M, M],
         expect="gemm(z, 1, x, y, -1)"),
    Case("gemm_from_sub_one_scaled", lambda a, b, c, s: at.dot(a, b) - c * s,
         [M, M, M, S], expect="gemm(z, 1, x, y, -u)"),
    *[Case(r.name, _gemm_example(r.name), [M, M, M, S, S]) for r in specialize.GEMM_RULES],
    # Terms spelled as specialised are sorted again (x ** 2 sorted before sin, sqr after).
    Case("add_order", lambda x: at.sqr(x) + at.sin(x), [V], expect="sin(x) + sqr(x)"),
    Case("mul_order", lambda x: at.sqr(x) * at.sin(x), [V], expect="sin(x) * sqr(x)"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule(case, rng):
    check_case(case, {r.name: r for r in specialize.RULES}, rng)


def test_every_rule_has_a_case():
    check_coverage(specialize, CASES)


def test_every_rule_states_its_identity():
    for r in specialize.RULES:
        assert r.__doc__ and "->" in r.__doc__, r.name


def test_gemm_reaches_the_compiled_graph(mode):
    A, B, C = at.dmatrix("A"), at.dmatrix("B"), at.dmatrix("C")
    f = ac.function([A, B, C], 2 * at.dot(A, B) + 3 * C, mode=mode)
    assert [type(n.op) for n in f.fgraph.toposort()] == [Gemm]
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    np.testing.assert_allclose(f(a, b, c), 2 * a @ b + 3 * c)


def test_gemm_spellings_through_the_standard_sets():
    """Every spelling of the scales, and A @ B, ends as one gemm; of two products the
    first is dot(A, B) whatever the order of the rules."""
    A, B, C = at.dmatrix("A"), at.dmatrix("B"), at.dmatrix("C")
    s = at.dscalar("s")
    cases = {
        s * (A @ B) + C: "gemm(C, s, A, B, 1)",
        at.dot(A, B) - s * C: "gemm(C, 1, A, B, -s)",
        -at.dot(A, B) - C: "gemm(C, -1, A, B, -1)",
        at.dot(A, B) + at.dot(B, C): "gemm(dot(B, C), 1, A, B, 1)",
    }
    for expr, want in cases.items():
        assert ac.pprint(ac.simplify(expr)) == want, ac.pprint(expr)
    rules = list(specialize.RULES)
    expr = at.dot(A, B) + 2.0 * at.dot(B, C)
    outs = {ac.pprint(ac.simplify(expr, include=[], rules=order))
            for order in (rules, rules[::-1])}
    assert outs == {"gemm(dot(B, C), 1, A, B, 2.0)"}


def test_exact_constructions_keep_their_two_divisions():
    """1/x - 1/(x + 1) is built as (1 / x) / (1 + x): gathered into 1 / (x * (1 + x)) the
    denominator would overflow at x = 1e160 and the result be 0, not 1e-320."""
    x = at.dscalar("x")
    out = ac.simplify(1 / x - 1 / (x + 1))
    assert ac.pprint(out) == "1 / x / (1 + x)"
    got = ac.function([x], out, mode="numpy")(1e160)
    assert got > 0 and np.isclose(got, 1e-320, rtol=1e-3)


def test_gemm_is_not_built_for_vectors_or_mixed_dtypes():
    v, A = at.dvector("v"), at.dmatrix("A")
    assert "gemm" not in ac.pprint(ac.simplify(at.dot(A, v) + v))
    Af = at.fmatrix("Af")
    assert "gemm" not in ac.pprint(ac.simplify(at.dot(Af, Af) + A))


def test_specialised_forms(mode):
    x, y = at.dscalar("x"), at.dscalar("y")
    assert ac.pprint(ac.simplify(x * x)) == "sqr(x)"
    assert ac.pprint(ac.simplify(x / y)) == "x / y"
    assert ac.pprint(ac.simplify(x - y)) == "x - y"
    f = ac.function([x, y], x / y - x * x, mode=mode)
    assert float(f(3.0, 2.0)) == 1.5 - 9.0
