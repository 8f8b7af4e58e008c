"""Rules written as math with ``ac.wild``, matched modulo the engine's equalities; user rules
in ``ac.function``; malformed rules and rules that raise."""

import numpy as np
import pytest
from etuples import etuple
from kanren import run, var

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.graph.traversal import toposort
from aesara_cas.rewriting import RewriteCycleError, RuleError, Wild, simplify
from aesara_cas.rewriting.matcher import solutions
from aesara_cas.rewriting.pattern import REMAINDER, compile_pattern
from aesara_cas.rewriting.spellings import canonical_form, canonical_forms, normal_forms, spellings
from aesara_cas.rewriting.wild import pattern_of

x_, y_ = ac.wild("x"), ac.wild("y")
PYTHAGORAS = ac.rule(at.sin(x_) ** 2 + at.cos(x_) ** 2, 1, name="pythagoras",
                     doc="sin(x)**2 + cos(x)**2 -> 1, for all x.")


def ops(var_or_fn):
    outs = var_or_fn.fgraph.outputs if hasattr(var_or_fn, "fgraph") else [var_or_fn]
    return [str(n.op) for n in toposort(outs)]


def test_a_wild_builds_with_the_tensor_api():
    for expr in (x_ * 2, x_ - y_, x_ / y_, -x_, x_ ** 2, at.sin(x_) ** 2 + at.cos(x_) ** 2):
        assert expr.owner is not None
    assert isinstance(x_, Wild) and ac.wild("x").lvar is x_.lvar  # one name, one variable
    assert ac.wild().lvar is not ac.wild().lvar
    term = pattern_of(x_ * 2)
    assert term[0] == at.mul and term[1] is x_.lvar and term[2] == 2
    v = ac.wild("v", ndim=1)
    assert at.sum(v, axis=0).owner is not None
    with pytest.raises(TypeError, match="name"):
        ac.wild(3)
    with pytest.raises(ValueError, match="ndim"):
        ac.wild("z", ndim=-1)


@pytest.mark.parametrize("build, expect", [
    (lambda a, t: at.sin(t) ** 2 + at.cos(t) ** 2, "1"),
    (lambda a, t: at.cos(t) ** 2 + at.sin(t) ** 2, "1"),
    (lambda a, t: a + at.sin(t) ** 2 + at.cos(t) ** 2, "1 + a"),
    (lambda a, t: at.cos(t) ** 2 + a * 3 + at.sqr(at.sin(t)), "1 + 3 * a"),
    (lambda a, t: at.exp(a) * (at.sin(t) ** 2 + 3 + at.cos(t) ** 2), "4 * exp(a)"),
])
def test_pythagoras_fires_in_any_order_and_inside_longer_sums(build, expect, rng):
    a, t = at.dscalar("a"), at.dscalar("t")
    expr = build(a, t)
    out = simplify(expr, rules=[PYTHAGORAS])
    assert ac.pprint(out) == expect
    f_in = ac.function([a, t], expr, mode="numpy")
    f_out = ac.function([a, t], out, mode="numpy")
    for _ in range(3):
        vals = rng.uniform(-3, 3, size=2)
        assert float(f_out(*vals)) == pytest.approx(float(f_in(*vals)), rel=1e-12)


def test_an_etuple_pattern_in_any_argument_order_fires():
    z = var()
    twice = ac.rule(etuple(at.mul, z, 2), etuple(at.add, z, z), name="twice")
    v = at.dvector("v")
    assert ac.pprint(simplify(v * 2, rules=[twice])) == "v + v"
    assert ac.pprint(simplify(2 * at.exp(v) + 1, rules=[twice])) == "1 + (exp(v) + exp(v))"



def test_a_sum_of_wilds_used_elsewhere_matches_in_either_order():
    # exp(a + b) * exp(-a) -> exp(b): which summand is `a` depends on the other factor,
    # so the sum must be searched in both orders even though its arguments are wilds.
    a, b = ac.wild("a"), ac.wild("b")
    shift = ac.rule(at.exp(a + b) * at.exp(-a), at.exp(b), name="shift",
                    doc="exp(a + b) * exp(-a) -> exp(b), for all real a, b.")
    x, y = at.dscalar("x"), at.dscalar("y")
    for expr, kept, value in ((at.exp(x + y) * at.exp(-x), "exp(y)", np.exp(0.25)),
                              (at.exp(y + x) * at.exp(-x), "exp(y)", np.exp(0.25)),
                              (at.exp(x + y) * at.exp(-y), "exp(x)", np.exp(0.5))):
        out = simplify(expr, rules=[shift], include=[])
        assert ac.pprint(out) == kept
        f = ac.function([x, y], out, mode="numpy")
        assert np.isclose(f(0.5, 0.25), value)

@pytest.mark.parametrize("lhs, build", [
    (lambda: x_ - y_, lambda a, b: a + -b),         # x - y matches x + -y
    (lambda: x_ + -y_, lambda a, b: at.sub(a, b)),   # and the other way round
    (lambda: x_ / y_, lambda a, b: a * b ** -1),     # x / y matches x * y**-1
    (lambda: x_ / y_, lambda a, b: at.true_div(a, b)),
    (lambda: x_ ** 2 + y_, lambda a, b: at.sqr(a) + b),   # x**2 matches sqr(x)
    (lambda: -x_ + y_, lambda a, b: -1 * a + b),     # -x matches -1 * x
])
def test_every_spelling_of_a_pattern_fires(lhs, build):
    a, b = at.dscalar("a"), at.dscalar("b")
    marker = ac.rule(lhs(), at.arctan2(x_, y_), name="marker")
    for include in ([], None):  # as built, and in canonical form
        out = simplify(build(a, b), rules=[marker], include=include)
        assert "arctan2" in ac.pprint(out), (ac.pprint(build(a, b)), include, ac.pprint(out))


def test_canonical_forms_in_one_go_are_each_alone():
    # The same wild in two patterns, a pattern that is not an expression (a logic
    # variable as head) and one whose canonical form is a bare variable.
    u = var("u")
    terms = [pattern_of(x_ / 2), pattern_of(x_ - y_), etuple(u, x_.lvar),
             pattern_of(at.log(at.exp(x_))), pattern_of((x_ + y_) + x_ * 0)]
    together = canonical_forms(terms)
    alone = [canonical_form(t) for t in terms]
    assert [str(f) for f in together] == [str(f) for f in alone]
    assert together[2] is None and str(together[0]) != str(terms[0])


def test_normal_forms_of_a_pattern():
    forms = {str(f) for f in normal_forms(pattern_of(x_ / 2))}
    assert len(forms) >= 2  # as written, and canonical (0.5 * x)
    assert any("0.5" in f for f in forms)
    # A form that loses a wild (x * 0 + y is y) or is no operation is left out.
    assert all(len(f) > 1 for f in normal_forms(pattern_of(x_ * 0 + at.exp(y_))))
    assert len(spellings(pattern_of(x_ - y_))) == 2


def test_partial_matches_keep_the_rest():
    a, b, c = at.dscalar("a"), at.dscalar("b"), at.dscalar("c")
    p = compile_pattern(pattern_of(at.exp(x_) + y_), partial=True)
    found = list(solutions(p, at.add(c, at.exp(a), b)))
    assert found and all(len(s[REMAINDER]) == 1 for s in found)
    assert compile_pattern(pattern_of(at.exp(x_) + y_)).partial is False


def test_the_rule_is_a_relation_modulo_the_equalities():
    a, t = at.dscalar("a"), at.dscalar("t")
    q = var()
    (out,) = run(1, q, PYTHAGORAS(at.add(a, at.cos(t) ** 2, at.sin(t) ** 2), q))
    assert ac.pprint(ac.logic.build(out)) == "1 + a"


def test_where_reads_bindings_by_wild_and_by_name_and_tries_every_match():
    a, b = at.dscalar("a"), at.dscalar("b")
    seen = []

    def positive_exponent(bd):
        seen.append((bd[x_], bd["y"]))
        return bd[y_] is b

    r = ac.rule(at.exp(x_) + y_, at.exp(x_) * 0 + y_, where=positive_exponent, name="w")
    out = simplify(at.add(at.exp(a), at.exp(b), b), rules=[r], include=[])
    assert len(seen) >= 2  # the first match was declined, another accepted
    assert "exp(a) * 0" in ac.pprint(out) or "exp(b) * 0" in ac.pprint(out)


def test_a_user_rule_shapes_the_compiled_graph_and_is_not_undone(mode):
    v = at.dvector("v")
    double = ac.rule(2 * x_, x_ + x_, name="double", doc="2 * x -> x + x, for all x.")
    f = ac.function([v], 2 * v + at.exp(v), rules=[double], mode=mode)
    names = ops(f)
    assert "mul" not in names and names.count("add") == 2
    np.testing.assert_allclose(f(np.array([1.0, 2.0])), [2 + np.e, 4 + np.exp(2.0)])
    # Without the rule the standard sets collect v + v into 2 * v ...
    assert "mul" in ops(ac.function([v], v + v, mode="numpy"))
    # ... but what the user's rule made stays so, even simplified again.
    done = simplify(2 * v, rules=[double])
    assert ac.pprint(simplify(done)) == "v + v"


def test_ac_simplify_exclude_still_works_with_user_rules():
    v = at.dvector("v")
    double = ac.rule(2 * x_, x_ + x_, name="double")
    assert ac.pprint(simplify(2 * v, rules=[double], exclude=["double"])) == "2 * v"
    assert ac.pprint(simplify(at.log(1 + at.exp(v)), rules=[double],
                              exclude=["stabilize"])) == "log(1 + exp(v))"


def test_a_rule_keeping_its_input_does_not_fire_on_it_again():
    guard = ac.rule(at.log(x_), at.switch(x_ > 0, at.log(x_), 0.0), name="guard_log")
    a = at.dscalar("a")
    out = simplify(at.log(a), rules=[guard])
    assert ac.pprint(out).count("switch") == 1
    assert ac.pprint(simplify(out, rules=[guard])) == ac.pprint(out)


def test_mutually_inverse_user_rules_are_reported():
    to_mul = ac.rule(x_ + x_, 2 * x_, name="to_mul")
    to_add = ac.rule(2 * x_, x_ + x_, name="to_add")
    with pytest.raises(RewriteCycleError, match="to_(mul|add)"):
        simplify(at.dscalar("a") * 2, rules=[to_mul, to_add], include=[])


# Bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("lhs, exc, words", [
    (3, TypeError, "pattern"),
    (np.ones(2), TypeError, "pattern"),
    (at.dscalar("plain"), TypeError, "no wilds and no operations"),
    (at.constant(2.0), TypeError, "no wilds and no operations"),
    (x_, ValueError, "every expression"),
    (var(), ValueError, "every expression"),
    (etuple(), TypeError, "empty"),
    ("exp(x)", TypeError, "pattern"),
])
def test_a_malformed_lhs_is_refused_naming_the_rule(lhs, exc, words):
    with pytest.raises(exc, match=words) as err:
        ac.rule(lhs, 1, name="malformed")
    assert "malformed" in str(err.value)


def test_an_unbound_wild_or_a_bad_rhs_or_where_is_refused():
    with pytest.raises(ValueError, match=r"unbound_rhs.*\['w'\]"):
        ac.rule(at.exp(x_), x_ + ac.wild("w"), name="unbound_rhs")
    with pytest.raises(ValueError, match="does not bind"):
        ac.rule(etuple(at.exp, var("p")), etuple(at.log, var("q")))
    with pytest.raises(TypeError, match="bad_rhs"):
        ac.rule(at.exp(x_), None, name="bad_rhs")
    with pytest.raises(TypeError, match="bad_where.*where"):
        ac.rule(at.exp(x_), x_, where=True, name="bad_where")
    with pytest.raises(TypeError, match="name"):
        ac.rule(at.exp(x_), x_, name=7)


def test_a_rule_that_raises_names_itself_and_leaves_the_graph_intact():
    def boom(bd):
        raise ZeroDivisionError("no")

    r = ac.rule(at.exp(x_), x_, where=boom, name="raising_rule")
    a = at.dscalar("a")
    expr = at.exp(a) * 2 + 1
    before = ac.dprint(expr, file="str")
    with pytest.raises(RuleError, match="raising_rule.*ZeroDivisionError") as err:
        simplify(expr, rules=[r])
    assert isinstance(err.value, TypeError) and isinstance(err.value, ValueError)
    assert isinstance(err.value.__cause__, ZeroDivisionError)
    assert ac.dprint(expr, file="str") == before
    with pytest.raises(RuleError, match="raising_rule"):
        ac.function([a], expr, rules=[r], mode="numpy")
    # The same graph compiles and runs without the rule.
    assert float(ac.function([a], expr, mode="numpy")(0.0)) == 3.0
