"""Stabilizing only the regions of a big expression where a stability rule can apply.

:func:`aesara_cas.grad` stabilizes the expression it differentiates first (the
derivative of ``log(1 + exp(x))`` taken as is overflows at ``x = 1000``; that of
``softplus(x)``, its stable form, is ``sigmoid(x)``).  Rewriting a whole
10,000-op expression for that costs seconds, and nearly all of it goes into
putting sums and products in canonical order, where no stability rule could ever
match.  For big expressions this module rewrites only the *regions* where one
can:

1. **Anchors.**  Every pattern of a rule of the ``stabilize`` set that prevents
   overflow or undefined values (the rules not marked ``keep_form``: softplus,
   log-sigmoid, logsumexp, softmax, log-det...) contains some op besides the
   arithmetic of canonical forms (``add``, ``mul``, ``neg``, ``pow``...): ``exp``,
   ``log``, ``sigmoid``, ``det``...  Those ops are read from the rules' patterns, and
   one op per pattern is an anchor (:func:`anchor_keys`); a rule whose pattern holds
   none has its anchors listed in :data:`GUARD_ANCHORS` (a test checks that every
   pattern is anchored).
2. **Regions.**  The nodes within :data:`RADIUS` steps (inputs or users) of an
   anchor node, a step into a sum (product) read only by a sum (product) counting
   zero (the canonical form flattens them), and the constant sub-graphs they read.  Every
   node of a match of such a rule at an anchor is in its region.
3. The regions are rewritten as one graph cut out of the expression (the values
   they read from outside become inputs; equal ones share an input, as merging
   would make them) with the ``canonicalize`` and ``stabilize`` sets, and put
   back in place of what they computed.

What is not rewritten before differentiating: the canonical order of the rest,
and the *cancellation* rules (``keep_form``: ``sin(x) - x``, ``sqrt(x + 1) -
sqrt(x)``...) away from anchors.  Both are accuracy, not overflow: the derivative
of a cancelling difference is a cancelling difference again (``1 - cos(x)``),
which the same sets rewrite when the derivative is simplified or compiled.  A
rule whose match needs canonicalisation far from its anchor (a sum whose terms
only cancel to ``1 + exp(x)`` after many steps) is not seen; such forms are not
made by ordinary code.
"""

from __future__ import annotations

import functools
from collections import deque
from typing import Any

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.tensor.elemwise import Elemwise

__all__ = ["GUARD_ANCHORS", "RADIUS", "anchor_keys", "op_key", "stabilize_regions"]

#: Ops of canonical arithmetic: no stability rule is anchored on them.
RING = frozenset({"add", "sub", "mul", "neg", "true_div", "pow", "sqr"})
#: Ops a stability pattern only uses next to a more specific op (a dimshuffle or a
#: sum around ``exp``, the diagonal under a ``log``): not anchors when the rule has
#: another one.
_STRUCTURAL = frozenset({"DimShuffle", "Reduce", "abs", "diagonal"})
#: Anchors of the stability rules whose pattern is a bare sum or product and whose
#: guard (Python) looks for the ops: ``softmax`` finds ``exp(x) * sum(exp(x))**-1``.
GUARD_ANCHORS: dict[str, tuple[str, ...]] = {"softmax": ("exp",)}
#: Steps from an anchor that a region spans: two nodes of a match of a pattern of
#: depth d are at most 2 (d - 1) steps apart (the deepest stability patterns have 5
#: levels; a test checks), plus one step for the canonical form around the match (a
#: constant folded, a difference respelled).
RADIUS = 9
#: A cut-out region bigger than this share of the expression is not worth cutting
#: out: the whole expression is rewritten instead.
MAX_SHARE = 0.5


def op_key(op: Any) -> Any:
    """What anchors are compared by: an element-wise op's scalar op name, else the
    op's class name."""
    if isinstance(op, Elemwise):
        return op.scalar_op.name
    return op.__name__ if isinstance(op, type) else type(op).__name__


def _pattern_keys(pattern: Any) -> set | None:
    """The op keys of a compiled pattern's apply nodes, or None if a head is a logic
    variable (any op)."""
    from aesara_cas.rewriting.pattern import APPLY, HEAD_VAR

    keys: set = set()
    stack = [pattern]
    while stack:
        p = stack.pop()
        if p.kind != APPLY:
            continue
        if p.head_kind == HEAD_VAR or p.head is None:
            return None
        keys.add(op_key(p.head))
        stack.extend(p.args)
    return keys


#: Ops found in many graphs: a rule holding a rarer op is anchored on that one.
_COMMON = ("exp", "log", "Dot", "MatMul", "cos")


@functools.lru_cache(maxsize=4)
def _anchors_of(database: Any) -> frozenset | None:
    phases = database.select(["stabilize"], None, [])
    options: list[frozenset] = []
    for _, rewriters in phases:
        for rw in rewriters:
            if rw.keep_form:
                continue
            found = rule_anchors(rw)
            if found is None:
                return None
            options.extend(found)
    # Every op of a pattern is in each of its matches, so one anchor per pattern
    # finds them all: a small hitting set, rarer ops first, keeps regions small.
    anchors: set = set()
    for found in sorted(options, key=len):
        if not found & anchors:
            anchors.add(min(found, key=lambda k: (k in _COMMON, str(k))))
    return frozenset(anchors)


def rule_anchors(rw: Any) -> tuple[frozenset, ...] | None:
    """For each pattern of one stability rewriter, the op keys that may anchor it (each
    of its matches holds all of them); None when it could match anywhere."""
    found = _patterns_anchors(getattr(rw, "patterns", None))
    if found is None and rw.name in GUARD_ANCHORS:
        return (frozenset(GUARD_ANCHORS[rw.name]),)
    return found


def _patterns_anchors(patterns: Any) -> tuple[frozenset, ...] | None:
    if not patterns:
        return None
    found = []
    for p in patterns:
        keys = _pattern_keys(p)
        if keys is None:
            return None
        keys -= RING
        keys = (keys - _STRUCTURAL) or keys
        if not keys:
            return None
        found.append(frozenset(keys))
    return tuple(found)


def anchor_keys() -> frozenset | None:
    """The op keys anchoring the standard stability rules (None when some rule could
    match anywhere: then regions cannot be cut out)."""
    from aesara_cas.rewriting import standard_database

    return _anchors_of(standard_database())


def _flattens(a: Apply, b: Apply, n_clients: int) -> bool:
    """Whether the step between ``a`` and ``b``, one reading the other's value which
    has ``n_clients`` readers, is inside a nested sum or product (the canonical form
    flattens it)."""
    return (n_clients == 1 and isinstance(a.op, Elemwise) and a.op == b.op
            and a.op.scalar_op.name in ("add", "mul"))


def _region(nodes: list[Apply], clients: dict, anchors: frozenset) -> set[Apply]:
    """The nodes within ``RADIUS`` steps of an anchor node (see the module docstring)."""
    best: dict[Apply, int] = {}
    work: deque[tuple[Apply, int]] = deque()
    for node in nodes:
        if op_key(node.op) in anchors:
            best[node] = RADIUS
            work.append((node, RADIUS))
    # Label-correcting search: a node is expanded again only when it is reached with
    # more budget left, so each node is expanded at most RADIUS + 1 times.
    while work:
        node, left = work.popleft()
        if best.get(node, -1) > left:
            continue
        near = [(i.owner, len(clients.get(id(i), ()))) for i in node.inputs
                if i.owner is not None]
        for out in node.outputs:
            users = clients.get(id(out), ())
            near.extend((u, len(users)) for u in users)
        for other, n_clients in near:
            budget = left if _flattens(node, other, n_clients) else left - 1
            if budget >= 0 and best.get(other, -1) < budget:
                best[other] = budget
                work.append((other, budget))
    region = set(best)
    # Constant sub-graphs read by the region join it (constant folding needs them).
    const = _constant_nodes(nodes)
    stack = [i.owner for n in region for i in n.inputs
             if i.owner is not None and i.owner in const and i.owner not in region]
    while stack:
        node = stack.pop()
        if node not in region:
            region.add(node)
            stack.extend(i.owner for i in node.inputs if i.owner is not None)
    return region


def _constant_nodes(nodes: list[Apply]) -> set[Apply]:
    const: set[Apply] = set()
    for node in nodes:
        if all(isinstance(i, Constant) or i.owner in const for i in node.inputs):
            const.add(node)
    return const


def _representatives(nodes: list[Apply]) -> dict[int, Variable]:
    """``id(var) -> the first equal variable`` (equal op and equal inputs), so values
    computed twice become one input of the cut-out region, as merging makes them."""
    rep: dict[int, Variable] = {}
    table: dict[tuple, Apply] = {}
    for node in nodes:
        args = tuple(id(rep.get(id(i), i)) for i in node.inputs)
        try:
            first = table.setdefault((node.op, args), node)
        except TypeError:  # an op with unhashable parameters: compared by identity
            first = table.setdefault((id(node.op), args), node)
        if first is not node:
            for a, b in zip(node.outputs, first.outputs):
                rep[id(a)] = b
    return rep


def _copy(node: Apply, inputs: list[Variable]) -> Apply:
    """``node`` with other inputs of the same types (no type inference needed)."""
    if any(a.type != b.type for a, b in zip(inputs, node.inputs)):
        return node.op.make_node(*inputs)
    new = Apply.__new__(Apply)
    new.op = node.op
    new.inputs = inputs
    new.tag = dict(node.tag)
    new.outputs = []
    for old in node.outputs:
        out = type(old)(old.type, new, old.index, old.name)
        out.tag = dict(old.tag)
        new.outputs.append(out)
    return new


def stabilize_regions(outputs: list[Variable], nodes: list[Apply],
                      rewrite: Any) -> list[Variable] | None:
    """``outputs`` (whose nodes in topological order are ``nodes``) with their
    stability regions rewritten by ``rewrite(fgraph)``; None when regions cannot be
    cut out (a rule with no anchor, or regions covering most of the graph: rewrite
    it all instead)."""
    anchors = anchor_keys()
    if anchors is None:
        return None
    clients: dict[int, list[Apply]] = {}
    for node in nodes:
        for i in node.inputs:
            clients.setdefault(id(i), []).append(node)
    region = _region(nodes, clients, anchors)
    if not region:
        return list(outputs)
    if len(region) > MAX_SHARE * len(nodes):
        return None
    wanted = {id(o) for o in outputs}
    rep = _representatives(nodes)
    # The cut-out graph: region nodes copied, outside values as inputs.
    holder: dict[int, Variable] = {}   # id(outside value) -> input of the cut-out graph
    source: dict[int, Variable] = {}   # id(input of the cut-out graph) -> outside value
    inside: dict[int, Variable] = {}
    cut_outs: list[Variable] = []
    origins: list[Variable] = []
    for node in nodes:
        if node not in region:
            continue
        args = []
        for i in node.inputs:
            new = inside.get(id(i))
            if new is None:
                if isinstance(i, Constant):
                    new = i
                else:
                    r = rep.get(id(i), i)
                    if r.owner in region:  # equal to a value the region computes
                        r = i
                    new = holder.get(id(r))
                    if new is None:
                        new = holder[id(r)] = r.type.make_variable(name=r.name)
                        source[id(new)] = r
            args.append(new)
        copy = _copy(node, args)
        for old, new in zip(node.outputs, copy.outputs):
            inside[id(old)] = new
            if id(old) in wanted or any(c not in region for c in clients.get(id(old), ())):
                cut_outs.append(new)
                origins.append(old)
    fgraph = FunctionGraph([holder[k] for k in holder], cut_outs, clone=False)
    rewrite(fgraph)
    result = dict(zip(map(id, origins), fgraph.outputs))
    return _put_back(outputs, nodes, region, result, source)


def _put_back(outputs: list[Variable], nodes: list[Apply], region: set[Apply],
              result: dict[int, Variable], source: dict[int, Variable]) -> list[Variable]:
    """Rebuild the graph with each value computed in a region replaced by its rewritten
    form, whose inputs are the (rebuilt) outside values they stand for."""
    memo: dict[int, Variable] = {}      # id(original variable) -> rebuilt
    done: dict[int, Variable] = {}      # id(variable of a rewritten region) -> rebuilt

    def outside(v: Variable) -> Variable:
        return memo.get(id(v), v)

    def rebuilt(v: Variable) -> Variable:
        # Iterative post-order over the rewritten region, stopping at what is done:
        # each of its nodes is rebuilt once over all calls.
        stack = [(v, False)]
        while stack:
            var, expanded = stack.pop()
            if id(var) in done:
                continue
            if id(var) in source:
                done[id(var)] = outside(source[id(var)])
            elif var.owner is None:
                done[id(var)] = var
            elif not expanded:
                stack.append((var, True))
                stack.extend((i, False) for i in var.owner.inputs if id(i) not in done)
            else:
                node = var.owner
                args = [done[id(i)] for i in node.inputs]
                if all(a is b for a, b in zip(args, node.inputs)):
                    outs = node.outputs
                else:
                    outs = _copy(node, args).outputs
                for old, new in zip(node.outputs, outs):
                    done[id(old)] = new
        return done[id(v)]

    for node in nodes:
        if node in region:
            for out in node.outputs:
                if id(out) in result:
                    memo[id(out)] = rebuilt(result[id(out)])
            continue
        args = [outside(i) for i in node.inputs]
        if any(a is not b for a, b in zip(args, node.inputs)):
            for old, new in zip(node.outputs, _copy(node, args).outputs):
                memo[id(old)] = new
    return [outside(o) for o in outputs]
