"""The standard database computes a rule's normal forms only when a node of an op it is
indexed under first meets it: a small graph compiles a handful of rules, and the
rewrites are those of a database that computes every rule's forms at once."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import aesara_cas as ac
from aesara_cas.rewriting import (
    Rule,
    RuleDatabase,
    RuleRewriter,
    simplify,
    standard_database,
)
from aesara_cas.rewriting.pattern import WILDCARD, compile_pattern, index_key
from aesara_cas.rewriting.rule_rewriter import lazy_keys
from aesara_cas.rewriting.spellings import _key, canonical_forms, normal_forms

from .test_accuracy_property import expressions


def _lazy_rules() -> list[Rule]:
    db = standard_database()
    return [r for rules in db.sets.values() for r in rules
            if isinstance(r, Rule) and r.normalize and not r._rhs_is_function
            and r.pattern is not None]


def test_standard_rules_are_indexed_within_their_guess_and_canonicalise_alike():
    rules = _lazy_rules()
    assert len(rules) > 50
    together = canonical_forms([r.lhs for r in rules])  # all at once, as before
    for r, canon in zip(rules, together):
        r.patterns(True)  # canonicalised with the rules of its own family
        assert (canon is None) == (r._canon is None), r.name
        assert canon is None or _key(canon) == _key(r._canon), r.name
        heads = {index_key(compile_pattern(f, partial=r.partial))
                 for f in normal_forms(r.lhs, canon)}
        guess = r.index_guess()
        assert guess is not None and heads <= guess, (r.name, heads, guess)


def test_every_standard_rule_is_indexed_under_the_heads_of_its_patterns():
    db = standard_database()
    for name, rules in db.sets.items():
        for r in rules:
            if not isinstance(r, Rule):
                continue
            normalize = bool(r.normalize)
            guessed = lazy_keys(r, normalize)
            eager = RuleRewriter(r, normalize=normalize)  # computes the patterns
            if guessed is not None and eager.keys != (WILDCARD,):
                assert set(eager.keys) <= guessed, (name, r.name, eager.keys, guessed)


_CHILD = textwrap.dedent("""
    import aesara_cas as ac
    from aesara_cas import tensor as at
    from aesara_cas.rewriting import RuleRewriter, standard_database
    x = at.dvector("x")
    out = ac.pprint(ac.simplify(at.exp(x * 2.0).sum()))
    lazy = [rw for _, rw in standard_database()._rewriters.values()
            if isinstance(rw, RuleRewriter) and rw._guess is not None]
    forms = [rw for rw in lazy if rw.normalize and not rw.rule._rhs_is_function]
    print(len(lazy), sum(rw._patterns is not None for rw in lazy), len(forms),
          sum(rw._patterns is not None for rw in forms), out)
""")


def test_a_small_graph_computes_the_forms_of_few_rules():
    # A new process: this one's rules may all have met nodes already.
    res = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                         check=True)
    *counts, out = res.stdout.strip().split(maxsplit=4)
    lazy, compiled, forms, forms_compiled = map(int, counts)
    assert out == "sum(exp(2 * x))"
    # Rules of exp, mul and sum only: none of a difference, a sum or a log.
    assert lazy > 150 and 0 < compiled <= 40, counts
    assert forms > 50 and 0 < forms_compiled <= 20, counts


_EAGER: list = []


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(expr=expressions(depth=4))
def test_lazy_and_eager_databases_rewrite_alike(expr):
    db = standard_database()
    if not _EAGER:
        _EAGER.append(RuleDatabase(db.sets, lazy=False))
        _EAGER[0].keep_form = set(db.keep_form)
    with np.errstate(all="ignore"):  # constants folded from random expressions
        assert ac.pprint(simplify(expr, database=_EAGER[0])) == ac.pprint(
            simplify(expr, database=db))


def test_a_rule_written_as_math_makes_its_terms_when_first_needed():
    from aesara_cas import tensor as at
    from aesara_cas.rewriting.wild import _UNSET, pattern_of, wild

    a, b = wild("a"), wild("b")
    lhs, rhs = at.exp(a) * at.exp(b), at.exp(a + b)
    r = ac.rule(lhs, rhs, name="exp_product")
    assert r._lhs is _UNSET and r._rhs is _UNSET and r._pattern is _UNSET
    assert at.mul in r.index_guess() and r._pattern is _UNSET  # from the root op
    assert _key(r.lhs) == _key(pattern_of(lhs)) and _key(r.rhs) == _key(pattern_of(rhs))
    assert index_key(r.pattern) == at.mul
    x, y = at.dscalar("x"), at.dscalar("y")
    assert ac.pprint(simplify(at.exp(x) * at.exp(y), rules=[r])) == "exp(x + y)"


def test_rest_wilds_of_a_rule_written_as_math_are_checked_at_once():
    from aesara_cas import tensor as at
    from aesara_cas.rewriting.pattern import rest_var
    from aesara_cas.rewriting.wild import _UNSET, Wild, wild
    from aesara_cas.tensor.type import TensorType

    def rest(name):
        return Wild(TensorType("float64", ()), name=name, lvar=rest_var(name))

    t, c, e = wild("t"), rest("c"), rest("e")
    ok = ac.rule(at.sqrt(t + c), at.sqrt(c + t), name="deferred_rest")
    assert ok._pattern is _UNSET and ok.pattern.args[0].tail is not None
    for lhs in (at.exp(c) + t, c + e, at.sqrt(c)):
        with pytest.raises(ValueError, match="rest_var"):
            ac.rule(lhs, 1.0, name="misplaced")


_EXPRS = ["at.exp(x) - 1", "at.log(1 + at.exp(x))", "at.sqrt(x + 1) - at.sqrt(x)",
          "1 / (1 + at.exp(-x))", "x * y / x", "at.log(at.exp(x) * at.exp(y))",
          "(x + 1) * (x + 1) - 1", "at.sin(x) ** 2 + at.cos(x) ** 2"]

_THREADED = textwrap.dedent("""
    import sys, threading
    import aesara_cas as ac
    from aesara_cas import tensor as at
    x, y = at.dscalar("x"), at.dscalar("y")
    names = {"at": at, "x": x, "y": y}
    exprs = [eval(e, names) for e in sys.argv[1:]]
    out = [None] * len(exprs)
    start = threading.Barrier(len(exprs))
    def work(k):
        start.wait()
        out[k] = ac.pprint(ac.simplify(exprs[k]))
    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(exprs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("\\n".join(out))
""")


def test_rules_prepared_by_several_threads_at_once_rewrite_as_serially():
    from aesara_cas import tensor as at

    # A new process: the threads are the first to need (and prepare) the rules.
    res = subprocess.run([sys.executable, "-c", _THREADED, *_EXPRS], capture_output=True,
                         text=True, check=True)
    names = {"at": at, "x": at.dscalar("x"), "y": at.dscalar("y")}
    serial = [ac.pprint(simplify(eval(e, names))) for e in _EXPRS]
    assert res.stdout.splitlines() == serial


def test_a_rule_whose_forms_leave_its_guess_is_reported_and_reindexed(caplog):
    import logging

    from aesara_cas import tensor as at

    a = ac.wild("a")
    r = ac.rule(a + a, at.sqr(a), name="doubled", normalize=True)  # canonically 2 * a
    db = RuleDatabase({"canonicalize": [r]}, lazy=True)
    x = at.dscalar("x")
    with caplog.at_level(logging.WARNING, logger="aesara_cas.rewriting"):
        assert ac.pprint(simplify(x + x, database=db)) == "sqr(x)"
    assert any("doubled" in m and "outside" in m for m in caplog.messages)
    assert at.mul in db.rewriter(r).keys  # indexed by its forms' heads from then on
    assert ac.pprint(simplify(2 * x, database=db)) == "sqr(x)"
