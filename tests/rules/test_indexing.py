"""Every rule of ``rules/indexing.py``: it fires on an example and both sides agree."""

import numpy as np
import pytest
from aesara_cas.rules import indexing

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.tensor.advanced import AdvancedSubtensor
from tests.rewriting.rulecheck import Case, check_case, check_coverage

V = ("dvector", -3.0, 3.0)
M = ("dmatrix", -3.0, 3.0)

CASES = [
    Case("argreduce_of_monotone", lambda x: at.argmax(at.exp(x)), [V], expect="argmax(x)"),
    Case("argreduce_of_monotone", lambda x: at.argmin(at.sigmoid(x), axis=1), [M],
         expect="argmin(x, axis=1)"),
    Case("argreduce_of_monotone", lambda x: at.argmax(at.tanh(x), axis=0, keepdims=True), [M],
         expect="argmax(x, axis=0, keepdims=True)"),
    Case("argmax_of_neg", lambda x: at.argmax(-x, axis=-1), [M],
         expect="argmin(x, axis=1)"),
    Case("argmin_of_neg", lambda x: at.argmin(at.neg(x)), [V], expect="argmax(x)"),
    Case("argreduce_of_shift", lambda x: at.argmax(at.log_softmax(x, axis=-1), axis=-1), [M],
         expect="argmax(x, axis=1)"),
    Case("argreduce_of_shift", lambda x: at.argmin(x - at.max(x, axis=0, keepdims=True),
                                                   axis=0, keepdims=True), [M],
         expect="argmin(x, axis=0, keepdims=True)"),
    Case("argreduce_of_shift", lambda x: at.argmax(x + -at.mean(x, keepdims=True)), [M],
         expect="argmax(x)"),
    Case("argreduce_of_softmax", lambda x: at.argmax(at.mul(
        at.pow(at.sum(at.exp(x), axis=1, keepdims=True), -1), at.exp(x)), axis=1), [M],
         expect="argmax(x, axis=1)"),
    Case("argreduce_of_softmax", lambda x: at.argmin(at.exp(x) / at.sum(at.exp(x)), axis=0),
         [M], expect="argmin(x, axis=0)"),
    Case("gather_of_gather", lambda x: x[[0, 4, 1, 1]][[3, 0, 0]], [V],
         expect="x[[1, 0, 0]]"),
    Case("gather_of_gather", lambda x: x[[2, 0, 1]][np.array([[0, 1], [2, 2]])], [M]),
    Case("gather_of_range", lambda x: x.reshape((5,))[[1, 2, 3]], [V],
         expect="reshape(x, [5])[1:4]"),
    Case("gather_of_range", lambda x: x.reshape((5, 5))[None, :, [0, 1]], [M],
         expect="reshape(x, [5, 5])[None, :, 0:2]"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule(case, rng):
    check_case(case, {r.name: r for r in indexing.RULES}, rng)


def test_every_rule_has_a_case():
    check_coverage(indexing, CASES)


def test_every_rule_states_its_identity():
    for r in indexing.RULES:
        assert r.__doc__ and "->" in r.__doc__, r.name


def test_rules_do_not_fire_outside_their_domain():
    x = at.dvector("x")
    X, i = at.dmatrix("X"), at.lvector("i")
    for expr in (at.argmax(at.log(x)), at.argmax(at.sqrt(x)), at.argmax(at.cos(x)),
                 at.argmax(at.cast(x, "float32")), at.argmax(-i),
                 at.argmax(at.log_softmax(X, axis=0), axis=1),
                 at.argmax(at.exp(X) / at.sum(at.exp(X), axis=1), axis=1),
                 at.argmax(at.exp(X) / at.sum(at.exp(X), axis=0, keepdims=True), axis=1),
                 at.argmax(X - at.max(X, axis=1, keepdims=True)),
                 at.argmax(i - at.max(i, keepdims=True))):
        out = ac.simplify(expr, include=[], rules=indexing.RULES)
        assert ac.pprint(out) == ac.pprint(expr)
    k = at.tensor("float64", shape=(5,), name="k")
    for expr in (k[[1, 2, 4]], k[[2, 1]], x[[1, 2]], k[[-2, -1]]):
        out = ac.simplify(expr, include=[], rules=indexing.RULES)
        assert ac.pprint(out) == ac.pprint(expr)
    with pytest.raises(IndexError):
        ac.function([x], ac.simplify(x[[0, 3]][[1]], rules=indexing.RULES), mode="numpy")(
            np.ones(3))


def test_argmax_of_softmax_is_argmax_in_both_engines():
    x = at.dmatrix("x")
    expr = at.argmax(at.softmax(x, axis=-1), axis=-1)
    for saturate in (False, True):
        assert ac.pprint(ac.simplify(expr, saturate=saturate)) == "argmax(x, axis=1)"


def test_standard_sets_use_them():
    x = at.dmatrix("x")
    f = ac.function([x], [at.argmax(at.exp(x), axis=1), x[[0, 2, 2]][[1, 0]]], mode="numpy")
    ops = [n.op for n in f.fgraph.toposort()]
    assert not any(isinstance(op, at.Elemwise) for op in ops)
    assert sum(isinstance(op, AdvancedSubtensor) for op in ops) == 1
    xv = np.arange(12.0).reshape(3, 4)[::-1]
    got = f(xv)
    np.testing.assert_array_equal(got[0], np.argmax(np.exp(xv), axis=1))
    np.testing.assert_array_equal(got[1], xv[[0, 2, 2]][[1, 0]])
