"""Iterative graph traversals: topological order, ancestors, cloning.

Graphs can be tens of thousands of nodes deep, so nothing here recurses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from aesara_cas.graph.basic import Apply, Variable


def toposort(outputs: Sequence[Variable], inputs: Iterable[Variable] = ()) -> list[Apply]:
    """The ``Apply`` nodes between ``inputs`` and ``outputs``, each after its inputs' owners.

    Variables in ``inputs`` are treated as leaves even if they have an owner.
    A ``set`` of variables (``FunctionGraph.variables``) is used as is, not copied,
    so importing a small sub-graph into a large graph stays cheap.
    """
    # The hot loop of every compile (several sorts of a 20k-node graph): bound
    # methods are looked up once, and nodes are kept in sets as themselves (``Apply``
    # hashes by identity, so no ``id()`` call per visit).
    stop = inputs if isinstance(inputs, (set, frozenset)) else set(inputs)
    order: list[Apply] = []
    emit = order.append
    done: set[Apply] = set()
    # Nodes whose inputs are being visited: meeting one again means a cycle (which
    # would otherwise grow the stack forever).
    active: set[Apply] = set()
    # Each stack entry is (node, expanded): a node is emitted on its second visit,
    # once every input owner has been emitted.
    stack: list[tuple[Apply, bool]] = []
    push, pop = stack.append, stack.pop
    for out in reversed(list(outputs)):
        if out.owner is not None and out not in stop:
            push((out.owner, False))
    while stack:
        node, expanded = pop()
        if node in done:
            continue
        if expanded:
            done.add(node)
            active.discard(node)
            emit(node)
            continue
        if node in active:
            raise ValueError(f"the graph has a cycle through {node}")
        active.add(node)
        push((node, True))
        for inp in reversed(node.inputs):
            owner = inp.owner
            if owner is not None and owner not in done and inp not in stop:
                push((owner, False))
    return order


def ancestors(outputs: Sequence[Variable], blockers: Iterable[Variable] = ()) -> list[Variable]:
    """Every variable that ``outputs`` depend on (outputs included), without repeats."""
    # Variables hash by identity: kept in sets as themselves (no ``id()`` per visit).
    stop = set(blockers)
    seen: set[Variable] = set()
    result: list[Variable] = []
    stack = list(outputs)
    pop, extend, emit, see = stack.pop, stack.extend, result.append, seen.add
    while stack:
        var = pop()
        if var in seen:
            continue
        see(var)
        emit(var)
        owner = var.owner
        if owner is not None and var not in stop:
            extend(owner.inputs)
    return result


def graph_inputs(outputs: Sequence[Variable], blockers: Iterable[Variable] = ()) -> list[Variable]:
    """The ownerless variables (inputs and constants) that ``outputs`` depend on."""
    stop = set(map(id, blockers))
    return [v for v in ancestors(outputs, blockers) if v.owner is None or id(v) in stop]


def clone_replace(
    outputs: Sequence[Variable], replace: Mapping[Variable, Variable] | None = None
) -> list[Variable]:
    """Rebuild the graph of ``outputs`` with some variables replaced.

    Nodes are rebuilt through ``op.make_node`` so types are inferred again; nodes
    that depend on no replaced variable are shared with the original graph.
    """
    memo: dict[int, Variable] = {id(k): v for k, v in (replace or {}).items()}
    blockers = list((replace or {}).keys())
    for node in toposort(outputs, blockers):
        new_inputs = [memo.get(id(i), i) for i in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs)):
            continue
        new_node = node.op.make_node(*new_inputs)
        for old, new in zip(node.outputs, new_node.outputs):
            memo[id(old)] = new
    return [memo.get(id(o), o) for o in outputs]


def clone_graph(
    outputs: Sequence[Variable], inputs: Sequence[Variable]
) -> tuple[list[Variable], list[Variable], dict[int, Variable]]:
    """Copy every node between ``inputs`` and ``outputs``.

    Returns the new inputs, the new outputs and a map from ``id(old)`` to new.
    Constants are shared (they are immutable).
    """
    new_inputs, new_outputs, memo, _ = clone_nodes(outputs, inputs)
    return new_inputs, new_outputs, memo


def clone_nodes(
    outputs: Sequence[Variable], inputs: Sequence[Variable]
) -> tuple[list[Variable], list[Variable], dict[int, Variable], list[Apply]]:
    """:func:`clone_graph`, and the new nodes in topological order (the order
    ``toposort(new_outputs, new_inputs)`` gives: the copy has the same shape)."""
    memo: dict[int, Variable] = {}
    new_inputs = []
    for inp in inputs:
        new = inp if getattr(inp, "is_shared", False) else inp.clone()
        memo[id(inp)] = new
        new_inputs.append(new)
    get = memo.get
    new_apply = Apply.__new__
    nodes: list[Apply] = []
    add_node = nodes.append
    for node in toposort(outputs, inputs):
        new_node = new_apply(Apply)
        new_node.op = node.op
        new_node.inputs = [get(id(i), i) for i in node.inputs]
        new_node.tag = dict(node.tag)
        new_outputs = new_node.outputs = []
        for out in node.outputs:
            new_out = type(out)(out.type, new_node, out.index, out.name)
            if out.tag:  # the new variable's own tag is a fresh empty dict
                new_out.tag = dict(out.tag)
            new_outputs.append(new_out)
            memo[id(out)] = new_out
        add_node(new_node)
    return new_inputs, [memo.get(id(o), o) for o in outputs], memo, nodes
