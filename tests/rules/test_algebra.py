"""Every rule of ``rules/algebra.py`` (the ``canonicalize`` set): it fires on an example,
keeps the type, and both sides agree on random inputs inside its domain.  (The engine's
normal form of sums and products is tested step by step in
``tests/rewriting/test_normal_form.py``.)"""

from types import SimpleNamespace

import numpy as np
import pytest
from aesara_cas.rules import algebra

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.rewriting import Rule
from tests.rewriting.rulecheck import Case, check_case, check_coverage

#: The rules of the module (its RULES also list the engine's normal form, tested elsewhere).
RulesOnly = SimpleNamespace(RULES=[r for r in algebra.RULES if isinstance(r, Rule)])

V = ("dvector", -3.0, 3.0)
POS = ("dvector", 0.5, 3.0)
S = ("dscalar", -3.0, 3.0)
M = ("dmatrix", -3.0, 3.0)
C = at.constant

CASES = [
    Case("neg_neg", lambda x: at.neg(-x), [V], expect="x"),
    Case("mul_minus_one", lambda x: -1.0 * x, [V], expect="-x"),
    Case("div_self", lambda x: x / x, [POS]),
    Case("div_self", lambda x: at.true_div(x, x), [("ivector", 1, 9)]),
    Case("pow_one", lambda x: x ** 1, [V], expect="x"),
    Case("pow_zero", lambda x: x ** 0, [V]),
    Case("log_exp_signed", lambda x: at.log(at.exp(x)), [V], expect="x + 0"),
    Case("log_exp", lambda x: at.log(at.exp(at.exp(x))), [V], expect="exp(x)"),
    Case("exp_log_signed", lambda x: at.exp(at.log(x)), [POS], expect="x + 0"),
    Case("exp_log", lambda x: at.exp(at.log(at.exp(x))), [V], expect="exp(x)"),
    Case("sum_neg", lambda x: at.sum(-x, axis=1), [M], expect="-sum(x, axis=1)"),
    Case("dimshuffle_inverse", lambda x: x.T.T, [M], expect="x"),
    Case("dimshuffle_inverse", lambda x: x.dimshuffle(0, "x").dimshuffle(0), [V], expect="x"),
    Case("dimshuffle_dimshuffle", lambda x: x.dimshuffle(1, "x", 0).dimshuffle(2, 0, 1),
         [M], expect="x.dimshuffle(0, 1, 'x')"),
    Case("reshape_reshape", lambda x: x.reshape((5, 1)).reshape((1, 5)), [V]),
    Case("reshape_noop", lambda x: at.reshape(x, x.shape), [V], expect="x"),
    Case("shape_entry", lambda x, y: at.shape(at.alloc(x, y))[0], [S, ("lscalar", 2, 6)],
         expect="y"),
    Case("shape_entry", lambda x: at.shape(at.exp(x))[0], [V], expect="shape(x)[0]"),
    Case("shape_entry", lambda x: at.shape(x.dimshuffle(0, "x"))[1], [V], expect="1"),
    Case("maximum_same", lambda x: at.maximum(x, x), [V], expect="x"),
    Case("minimum_same", lambda x: at.minimum(x, x), [V], expect="x"),
    Case("elemwise_of_alloc", lambda n: at.exp(at.alloc(C(0.0), n)), [("lscalar", 1, 5)],
         expect="alloc(1.0, x)"),
    Case("elemwise_of_alloc", lambda n: at.sin(at.alloc(C(np.array([0.0, 1.0, 2.0])), n, 3)),
         [("lscalar", 1, 5)]),
    Case("elemwise_of_alloc", lambda n: at.cast(at.alloc(C(2.5), n, 3), "int32"),
         [("lscalar", 1, 5)], expect="alloc(2, x, 3)"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule(case, rng):
    check_case(case, {r.name: r for r in RulesOnly.RULES}, rng)


def test_every_rule_has_a_case():
    check_coverage(RulesOnly, CASES)


def test_every_rule_states_its_identity():
    for r in RulesOnly.RULES:
        assert r.__doc__ and "->" in r.__doc__, r.name


def test_bool_sums_and_products_are_left_alone():
    b = at.bvector("b")
    assert ac.pprint(ac.simplify(b + b, include=["canonicalize"])) == "b + b"
    assert ac.pprint(ac.simplify(at.mul(b, b, True), include=["canonicalize"])) == "b * b * True"


def test_flattening_keeps_shared_work_shared():
    x, y, z = at.dscalar("x"), at.dscalar("y"), at.dscalar("z")
    t = x + y
    outs = ac.simplify([t + z, t * 2.0], include=["canonicalize"])
    shared = outs[1].owner.inputs[1]  # 2 * (x + y): the constant comes first
    assert ac.pprint(shared) == "x + y"
    assert any(i is shared for i in outs[0].owner.inputs)  # not flattened into x + y + z
    single = ac.simplify((x + y) + z, include=["canonicalize"])
    assert ac.pprint(single) == "x + y + z"


def test_mixed_dtypes_keep_their_evaluation_order():
    i8 = at.tensor("int8", (None,), name="i")
    x = at.dvector("x")
    expr = at.add(at.add(i8, i8), x)  # the int8 sum wraps around before promotion
    out = ac.simplify(expr, include=["canonicalize"])
    vals = [np.array([100, -100], dtype="int8"), np.array([0.5, 0.5])]
    np.testing.assert_array_equal(ac.function([i8, x], out, mode="numpy")(*vals),
                                  [-55.5, 56.5])


def test_products_that_cancel_leave_no_math_to_run():
    """exp(x) * exp(-x) collects to exp(x - x) = exp(zeros): the exp is folded away."""
    x = at.dvector("x")
    out = ac.simplify(at.exp(x) * at.exp(-x))
    assert ac.pprint(out) == "alloc(1.0, shape(x)[0])"
    f = ac.function([x], out, mode="numpy")
    np.testing.assert_array_equal(f(np.array([-2.0, 0.0, 700.0])), [1.0, 1.0, 1.0])
