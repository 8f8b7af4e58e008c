"""The driver's pre-filter (``aesara_cas.rewriting.prefilter``) only leaves out rewriters
that could not have rewritten the node: on a variety of nodes, every standard rewriter it
leaves out declines the node when asked directly."""

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.traversal import graph_inputs
from aesara_cas.rewriting import rule, wild
from aesara_cas.rewriting.context import rewriting
from aesara_cas.rewriting.database import as_rewriter, standard_database
from aesara_cas.rewriting.prefilter import Prefilter, allows, input_kinds, input_pairs


def _expressions():
    x, y = at.dvector("x"), at.dvector("y")
    m = at.dmatrix("m")
    return [
        at.log(1 + at.exp(x)) - at.sqrt(x * x + 1.0) + at.sqrt(y + 1e-3) - at.sqrt(y),
        at.exp(x) * at.exp(-x) * 2.0 + 1.0 / (1.0 + at.exp(-y)) - at.sin(x) ** 2,
        at.log(at.sum(at.exp(m), axis=1)) + at.exp(m - at.max(m)).sum(axis=0),
        at.cos(y + 1e-4) - at.cos(y) + (x - at.tanh(x)) * at.sinh(y) - x,
        at.dot(m, m) * 2.0 + at.alloc(at.constant(0.0), 3, 3) + m.T.T,
        (x + 1) * 1.0001 * x / (x * y) - at.log1p(-at.exp(-x)),
        -1.0 * at.sqrt(x * x + 1.0) + x + at.tan(y) - y + 1.0 - at.cos(x) + at.hypot(x, 2.0) - x,
    ]


def test_what_it_leaves_out_declines():
    db = standard_database()
    rewriters = [db.rewriter(r) for rs in db.sets.values() for r in rs]
    x = ac.wild("x")
    rewriters += [as_rewriter(rule(at.sin(x) ** 2 + at.cos(x) ** 2, 1, name="pythagoras"),
                              normalize=True)]
    left_out = 0
    for expr in _expressions():
        inputs = [v for v in graph_inputs([expr]) if v.owner is None and v.name]
        fg = FunctionGraph(inputs, [expr], clone=True)
        with rewriting(fg):
            for node in fg.toposort():
                kinds, pairs = input_kinds(node.inputs), input_pairs(node.inputs)
                for rw in rewriters:
                    if allows(rw.needs(node.op), len(node.inputs), kinds, pairs):
                        continue
                    left_out += 1
                    assert rw.rewrite(node) is None, (rw.name, ac.pprint(node.outputs[0]))
    assert left_out > 100  # it does leave rewriters out


def test_a_user_rule_inside_a_longer_sum_is_still_offered():
    # (Of one length: with lengths unknown, y could broadcast a length-1 z.)
    y, z = at.tensor("float64", (4,), name="y"), at.tensor("float64", (4,), name="z")
    x = wild("x")
    r = rule(at.sin(x) ** 2 + at.cos(x) ** 2, 1, name="pythagoras")
    out = ac.simplify(z + at.sin(y) ** 2 + at.cos(y) ** 2, rules=[r])
    assert ac.pprint(out) == "1 + z"
    pf = Prefilter([as_rewriter(r, normalize=True)], at.add)
    assert pf.select([z, at.exp(y)]) == []  # no sin or cos (or power) among the terms


def test_threads_rewriting_at_once_get_the_serial_results():
    """What the engine keeps of the graph and node being looked at (the graph rules ask
    about, the pre-filter's key, the matcher's memo) is per thread."""
    from concurrent.futures import ThreadPoolExecutor

    exprs = _expressions()
    want = [ac.pprint(ac.simplify(e)) for e in exprs]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda e: ac.pprint(ac.simplify(e)), exprs * 4))
    assert got == want * 4


def test_no_graph_is_held_after_rewriting():
    import gc
    import weakref

    x = at.dvector("x")
    out = ac.simplify(at.exp(x) * 2.0 + (x + 1.0) * 3.0)
    refs = [weakref.ref(out)] + [weakref.ref(i) for i in out.owner.inputs]
    del out
    gc.collect()
    assert all(r() is None for r in refs)
