"""``ac.rule`` objects as miniKanren relations, and the compiled matcher behind them."""

import numpy as np
import pytest
from cons import cons
from etuples import etuple
from kanren import conde, eq, lall, run, var
from unification import unify

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.logic import build
from aesara_cas.rewriting import Bindings, Rule, rule
from aesara_cas.rewriting.matcher import match
from aesara_cas.rewriting.pattern import WILDCARD, compile_pattern, index_key
from aesara_cas.rewriting.rewriter import RelationRewriter, learn_patterns
from aesara_cas.rewriting.rule_rewriter import RuleRewriter
from aesara_cas.tensor.reduction import Reduce


def test_a_rule_is_a_relation_kanren_can_run():
    x = var()
    r = rule(etuple(at.log, etuple(at.exp, x)), x, name="log_exp")
    v = at.dvector("v")
    q = var()
    assert run(1, q, r(at.log(at.exp(v)), q)) == (v,)
    assert run(1, q, r(at.exp(v), q)) == ()
    # Composed with other goals: the rule's variables do not leak into the caller's.
    a, b = var(), var()
    goal = lall(r(at.log(at.exp(v)), a), r(at.log(at.exp(at.sin(v))), b), eq(q, (a, b)))
    (pair,) = run(1, q, goal)
    assert pair[0] is v and ac.pprint(pair[1]) == "sin(v)"


def test_where_and_function_outputs_see_the_bindings():
    x, rest = var(), var()
    seen = {}

    def rhs(b):
        seen["b"] = b
        return etuple(at.mul, len(b[rest]), x)

    r = rule(cons(at.add, cons(x, rest)), rhs, where=lambda b: b[x].ndim == 1)
    v, w = at.dvector("v"), at.dvector("w")
    term = r.apply(at.add(v, w, w))
    assert ac.pprint(build(term)) == "2 * v"
    b = seen["b"]
    assert isinstance(b, Bindings) and b.term.owner.op == at.add
    assert b[rest] == (w, w)
    assert r.apply(at.add(at.dscalar("s"), w)) is None  # where fails
    assert "x" not in b  # by-name lookup only finds named variables
    named = var("named_token")
    r2 = rule(etuple(at.exp, named), lambda b: b["named_token"])
    assert r2.apply(at.exp(v)) is v


def test_rule_validation():
    with pytest.raises(TypeError, match="where"):
        rule(etuple(at.exp, var()), 1, where=3)


def test_learning_the_patterns_of_relations():
    x = var()

    def two_forms(in_term, out_term):
        a = var()
        return lall(conde([eq(in_term, etuple(at.log1p, etuple(at.neg, a)))],
                          [eq(in_term, etuple(at.log1p, etuple(at.mul, -1, a)))]),
                    eq(out_term, a))

    patterns = learn_patterns(two_forms)
    assert len(patterns) == 2
    rw = RelationRewriter(two_forms)
    assert rw.keys == (at.log1p,)
    v = at.dvector("v")
    assert rw.rewrite(at.log1p(-v).owner) is v
    assert rw.rewrite(at.log1p(at.mul(-1, v)).owner) is v
    assert rw.rewrite(at.log1p(v).owner) is None
    r = rule(etuple(at.exp, x), x)
    assert RuleRewriter(r).keys == (at.exp,)


def test_patterns_are_indexed_by_head():
    x, ax, kd = var(), var(), var()
    assert index_key(compile_pattern(etuple(at.exp, x))) is at.exp
    assert index_key(compile_pattern(etuple(etuple(Reduce, "sum", ax, kd), x))) is Reduce
    assert index_key(compile_pattern(etuple(var(), x))) == WILDCARD
    assert index_key(compile_pattern(x)) == WILDCARD
    assert compile_pattern(etuple(at.exp, {1: 2})) is None  # unsupported term


PATTERNS = [
    lambda x, y, r: etuple(at.add, x, y),
    lambda x, y, r: etuple(at.add, x, x),
    lambda x, y, r: etuple(at.mul, 2, x),
    lambda x, y, r: etuple(at.log, etuple(at.add, 1, etuple(at.exp, x))),
    lambda x, y, r: cons(at.add, cons(1, r)),
    lambda x, y, r: cons(at.mul, r),
    lambda x, y, r: etuple(etuple(Reduce, "sum", y, r), etuple(at.exp, x)),
    lambda x, y, r: etuple(at.sum, x),
    lambda x, y, r: etuple(y, etuple(at.exp, x)),
    lambda x, y, r: etuple(at.dot, x, y),
]


def graphs():
    a, b = at.dvector("a"), at.dvector("b")
    m = at.dmatrix("m")
    e = at.exp(a)
    return [
        a + b, a + a, at.add(1, a), at.add(1, e), at.log(at.add(1, e)), at.log(at.add(2, e)),
        at.add(1, a, b), at.add(a, 1), 2 * a, at.mul(2.0, a, b), at.mul(np.full(3, 2.0), a),
        at.sum(e), at.sum(at.exp(m), axis=0), at.sum(at.exp(m), axis=1, keepdims=True),
        at.sum(a), at.sin(e), at.dot(m, m), at.matmul(m, m), a, at.constant(1.0),
    ]


@pytest.mark.parametrize("k", range(len(PATTERNS)))
def test_compiled_matcher_agrees_with_unification(k):
    x, y, r = var(), var(), var()
    pattern = PATTERNS[k](x, y, r)
    compiled = compile_pattern(pattern)
    assert compiled is not None
    matched = 0
    for g in graphs():
        expected = unify(pattern, g, {})
        got = match(compiled, g)
        if expected is False:
            assert got is None, (pattern, g)
            continue
        assert got is not None, (pattern, g)
        matched += 1
        for key in (x, y, r):
            if key in expected:
                want, have = expected[key], got[key]
                if hasattr(want, "_tuple"):
                    assert tuple(want) == tuple(have)
                else:
                    assert want is have or want == have
    assert matched > 0


def test_rules_fire_the_same_through_kanren_and_the_compiled_matcher():
    from aesara_cas.rules import algebra, stability

    v, w = at.dvector("v"), at.dvector("w")
    cases = [(algebra.log_exp_signed, at.log(at.exp(v - w))), (algebra.neg_neg, at.neg(-v)),
             (stability.logsumexp, at.log(at.sum(at.exp(v)))),
             (algebra.shape_entry, at.shape(at.exp(v))[0])]
    q = var()
    for r, expr in cases:
        assert isinstance(r, Rule)
        fast = RuleRewriter(r).rewrite(expr.owner)
        slow = RelationRewriter(r, name="via kanren", patterns=[r.lhs]).rewrite(expr.owner)
        assert ac.pprint(fast) == ac.pprint(slow), r.name
        (term,) = run(1, q, r(expr, q))
        assert ac.pprint(build(term)) == ac.pprint(fast)
