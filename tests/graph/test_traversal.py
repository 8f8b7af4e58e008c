"""Iterative traversals: toposort, ancestors, graph_inputs, clone_graph, clone_replace."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aesara_cas import tensor as at
from aesara_cas.graph.basic import Apply, Constant
from aesara_cas.graph.traversal import (
    ancestors,
    clone_graph,
    clone_replace,
    graph_inputs,
    toposort,
)

DEEP = 10_000


def assert_topological(order):
    position = {id(n): k for k, n in enumerate(order)}
    assert len(position) == len(order), "a node is listed twice"
    for node in order:
        for inp in node.inputs:
            if inp.owner is not None and id(inp.owner) in position:
                assert position[id(inp.owner)] < position[id(node)]


def chain(n, start=None):
    x = start if start is not None else at.dscalar("x")
    out = x
    for k in range(n):
        out = at.sin(out) if k % 3 == 0 else out * 1.5 if k % 3 == 1 else out + out
    return x, out


def test_toposort_small():
    x, y = at.dscalar("x"), at.dscalar("y")
    a = x + y
    b = at.exp(a)
    c = a * b
    order = toposort([c])
    assert order == [a.owner, b.owner, c.owner]
    assert toposort([c], [a]) == [b.owner, c.owner]
    assert toposort([x]) == []


@given(st.integers(1, 40), st.randoms(use_true_random=False))
def test_toposort_random_dags(n, rnd):
    pool = [at.dscalar(f"i{k}") for k in range(3)]
    for _ in range(n):
        p, q = rnd.choice(pool), rnd.choice(pool)
        pool.append(at.add(p, q) if rnd.random() < 0.5 else at.exp(p))
    outputs = rnd.sample(pool, min(3, len(pool)))
    order = toposort(outputs)
    assert_topological(order)
    reachable = {id(v.owner) for v in ancestors(outputs) if v.owner is not None}
    assert {id(n) for n in order} == reachable


def test_deep_chain_traversals():
    x, out = chain(DEEP)
    order = toposort([out])
    assert len(order) == DEEP
    assert_topological(order)
    anc = ancestors([out])
    assert len([v for v in anc if v.owner is not None]) == DEEP
    assert graph_inputs([out])[0] is x or x in graph_inputs([out])
    new_inputs, new_outputs, memo = clone_graph([out], [x])
    assert new_outputs[0] is not out and new_inputs[0] is not x
    assert len(toposort(new_outputs, new_inputs)) == DEEP
    y = at.dscalar("y")
    (replaced,) = clone_replace([out], {x: y})
    assert graph_inputs([replaced]).count(y) == 1
    assert x not in graph_inputs([replaced])


def test_graph_inputs_include_constants():
    x = at.dvector("x")
    y = x * 2.0 + at.constant(np.ones(3))
    ins = graph_inputs([y])
    assert x in ins
    assert sum(isinstance(v, Constant) for v in ins) == 2
    assert graph_inputs([y], blockers=[y]) == [y]


def test_clone_graph_is_independent():
    x = at.dvector("x")
    y = at.exp(x) + 1.0
    (nx,), (ny,), memo = clone_graph([y], [x])
    assert memo[id(x)] is nx and memo[id(y)] is ny
    assert ny.owner is not y.owner and ny.owner.op == y.owner.op
    # Constants are shared (immutable); tags and names are copied.
    assert ny.owner.inputs[1] is y.owner.inputs[1]
    ny.owner.inputs[0] = nx
    assert y.owner.inputs[0].owner.inputs[0] is x


def test_clone_replace_keeps_untouched_parts():
    x, z = at.dvector("x"), at.dvector("z")
    shared_part = at.exp(z)
    y = at.log(x) + shared_part
    w = at.fvector("w")
    (new,) = clone_replace([y], {x: w})
    assert new is not y
    assert new.owner.inputs[1] is shared_part  # no replaced variable below: shared
    assert new.dtype == "float64"
    assert new.owner.inputs[0].owner.inputs[0] is w
    assert clone_replace([y], {}) == [y]


def test_cycles_are_reported_not_looped():
    x = at.dscalar("x")
    y = at.exp(x)
    z = y + 1.0
    y.owner.inputs[0] = z  # corrupt the graph into a cycle
    with pytest.raises(ValueError, match="cycle"):
        toposort([z])


def test_apply_nodes_listed_once_with_multiple_paths():
    x = at.dscalar("x")
    y = at.exp(x)
    outs = [y + y, y * y, at.sin(y)]
    order = toposort(outs)
    assert [n for n in order if n is y.owner] == [y.owner]
    assert all(isinstance(n, Apply) for n in order)
    assert len(order) == 4
