"""FunctionGraph: clients, replace, pruning, listeners, toposort, clone."""

from __future__ import annotations

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.traversal import toposort


def build():
    x = at.dvector("x")
    y = at.exp(x)
    z = y * 2.0
    w = y + z
    return x, y, z, w


def check_invariants(fg: FunctionGraph) -> None:
    """Clients agree with the node inputs; every node is reachable and listed once."""
    nodes = fg.toposort()
    assert set(nodes) == fg.apply_nodes
    expected: dict = {v: [] for v in fg.variables}
    for node in nodes:
        for i, inp in enumerate(node.inputs):
            assert inp in fg.variables
            expected[inp].append((node, i))
        for out in node.outputs:
            assert out in fg.variables
    for i, out in enumerate(fg.outputs):
        expected[out].append(("output", i))
    for var, clients in expected.items():
        assert sorted(map(repr, fg.clients[var])) == sorted(map(repr, clients)), var


def test_clients():
    x, y, z, w = build()
    fg = FunctionGraph([x], [w, z], clone=False)
    assert list(fg.clients[x]) == [(y.owner, 0)]
    assert sorted(i for _, i in fg.clients[y]) == [0, 0]
    assert {id(n) for n, _ in fg.clients[y]} == {id(z.owner), id(w.owner)}
    assert (w.owner, 1) in fg.clients[z] and ("output", 1) in fg.clients[z]
    assert list(fg.clients[w]) == [("output", 0)]
    assert fg.apply_nodes == {y.owner, z.owner, w.owner}
    check_invariants(fg)


def test_clone_true_leaves_the_caller_graph_alone():
    x, y, z, w = build()
    fg = FunctionGraph([x], [w])
    assert fg.inputs[0] is not x and fg.outputs[0] is not w
    assert fg.inputs[0].name == "x"
    new_y = fg.outputs[0].owner.inputs[0]
    fg.replace(new_y, at.log(fg.inputs[0]))
    assert w.owner.inputs[0] is y and y.owner.op is at.exp
    check_invariants(fg)


def test_replace_updates_clients_and_prunes():
    x, y, z, w = build()
    fg = FunctionGraph([x], [w], clone=False)
    new = at.log(x)
    fg.replace(y, new, reason="test")
    assert y.owner not in fg.apply_nodes and y not in fg.variables
    assert w.owner.inputs[0] is new and z.owner.inputs[0] is new
    assert new.owner in fg.apply_nodes
    check_invariants(fg)
    f = ac.function([x], w)  # the edited graph evaluates: log(x) + log(x) * 2
    np.testing.assert_allclose(f(np.array([1.0, np.e])), [0.0, 3.0])


def test_replace_an_output():
    x, y, z, w = build()
    fg = FunctionGraph([x], [w, z], clone=False)
    fg.replace(w, y)
    assert fg.outputs[0] is y
    assert w.owner not in fg.apply_nodes
    check_invariants(fg)
    fg.replace(z, x * 3.0)
    assert fg.outputs[1].owner.op is at.mul
    check_invariants(fg)


def test_replace_with_an_expression_of_itself():
    """`z -> z + 1`: the new node keeps using z; no cycle."""
    x, y, z, w = build()
    fg = FunctionGraph([x], [w], clone=False)
    bigger = z + 1.0
    fg.replace(z, bigger)
    assert w.owner.inputs[1] is bigger and bigger.owner.inputs[0] is z
    assert z.owner in fg.apply_nodes
    check_invariants(fg)
    order = fg.toposort()
    assert order.index(z.owner) < order.index(bigger.owner) < order.index(w.owner)


def test_replace_errors():
    x, y, z, w = build()
    fg = FunctionGraph([x], [w], clone=False)
    with pytest.raises(TypeError):
        fg.replace(y, at.fvector())  # another type
    with pytest.raises(ValueError, match="not an input"):
        fg.replace(y, y + at.dvector("q"))
    check_invariants(fg)
    # Replacing a variable that is not in the graph, or by itself, changes nothing.
    fg.replace(at.dvector(), at.dvector())
    fg.replace(y, y)
    check_invariants(fg)


def test_listeners():
    x, y, z, w = build()
    fg = FunctionGraph([x], [w], clone=False)
    events = []

    class Listener:
        def on_replace(self, fgraph, old, new, new_nodes, reason):
            events.append(("replace", old, new, list(new_nodes), reason))

        def on_prune(self, fgraph, node):
            events.append(("prune", node))

    listener = Listener()
    fg.attach(listener)
    new = at.log(x)
    fg.replace(y, new, reason="why")
    assert events[0] == ("replace", y, new, [new.owner], "why")
    assert ("prune", y.owner) in events
    fg.detach(listener)
    fg.replace(z, new * 3.0)
    assert len([e for e in events if e[0] == "replace"]) == 1


def test_missing_inputs_are_refused():
    x, y = at.dvector("x"), at.dvector("y")
    with pytest.raises(ValueError, match="y"):
        FunctionGraph([x], [x + y])
    # Constants need not be inputs.
    FunctionGraph([x], [x + at.constant(np.ones(3))])


def test_toposort_and_clone():
    x, y, z, w = build()
    fg = FunctionGraph([x], [w], clone=False)
    assert fg.toposort() == [y.owner, z.owner, w.owner]
    copy = fg.clone()
    assert copy.inputs[0] is not x
    assert [n.op for n in copy.toposort()] == [n.op for n in fg.toposort()]
    copy.replace(copy.outputs[0], copy.inputs[0])
    assert fg.outputs[0] is w and len(fg.apply_nodes) == 3
    check_invariants(copy)
    assert "3 nodes" in repr(fg)


def test_input_used_as_output():
    x = at.dvector("x")
    fg = FunctionGraph([x], [x, x * 2.0], clone=False)
    assert ("output", 0) in fg.clients[x]
    check_invariants(fg)


def test_deep_graph_replace_and_prune():
    x = at.dscalar("x")
    out = x
    layers = []
    for k in range(10_000):
        out = at.sin(out) if k % 2 else out * 1.0001
        layers.append(out)
    fg = FunctionGraph([x], [out], clone=False)
    assert len(fg.apply_nodes) == 10_000
    # Cutting the chain in the middle prunes the 5,000 nodes below the cut, iteratively.
    fg.replace(layers[4_999], x * 2.0)
    assert len(fg.apply_nodes) == 5_000 + 1
    assert len(toposort(fg.outputs)) == 5_001
    check_invariants(fg)


def test_toposort_reuse_follows_edits():
    # The sort is reused while the graph is unchanged: a replace or a prune must
    # show in the next sort, and a caller changing the returned list changes nothing.
    x = at.dvector("x")
    y = at.exp(x) + 1.0
    fg = FunctionGraph([x], [y * 2.0])
    first = fg.toposort()
    assert [n.op for n in first] == [n.op for n in fg.toposort()]
    first.clear()
    assert len(fg.toposort()) == 3
    add = fg.outputs[0].owner.inputs[0]
    fg.replace(add, at.sin(fg.inputs[0]))
    order = fg.toposort()
    assert set(order) == fg.apply_nodes and len(order) == 2
    assert order[0].op == at.sin(x).owner.op


def test_a_cloned_graph_imports_the_copy_in_order():
    # A copy's nodes are imported in the order the copy made them (no second sort):
    # the graph and its first sort are those a fresh sort of the copy gives, even with
    # a shared sub-graph, an input that has an owner, and an output that is an input.
    x = at.dvector("x")
    shared = at.exp(x)
    mid = shared * 2.0
    out = at.sin(mid) + shared
    extra = shared * 3.0
    fg = FunctionGraph([x, mid], [out, extra, mid])
    order = fg.toposort()
    assert order == toposort(fg.outputs, fg.inputs)
    assert fg.inputs[1].owner is None and fg.outputs[2] is fg.inputs[1]
    assert [n.op for n in order] == [n.op for n in toposort([out, extra, mid], [x, mid])]
    check_invariants(fg)
    # One new node over values the graph has, and a replacement reading a new input.
    fg.replace(fg.outputs[1], at.cos(fg.outputs[0]))
    check_invariants(fg)
    with pytest.raises(ValueError, match="not an input"):
        fg.replace(fg.outputs[1], at.cos(at.dvector("y")))
    check_invariants(fg)
