"""Cheap necessary conditions for a compiled pattern to match, tried before matching.

The backtracking (commutative) search is the costly part of most failing attempts
to match a pattern with ``add``/``mul`` nodes; the ops and numbers of inputs near
the node (:func:`possible`), or the ops of its inputs (:func:`may_match`), usually
rule the pattern out first.
"""

from __future__ import annotations

from typing import Any

from aesara_cas.graph.basic import Constant, Op
from aesara_cas.logic.mirror import constant_equals
from aesara_cas.rewriting.pattern import APPLY, HEAD_OP, HEAD_PARAMS, NUMBER, PNode
from aesara_cas.rewriting.terms import ops_equal

#: How many levels of a pattern :func:`possible` compares.
POSSIBLE_DEPTH = 3


def possible(p: PNode, v: Any, depth: int) -> bool:
    """Whether compiled pattern ``p`` could match ``v``, judging by the ops and the
    numbers of inputs of its top ``depth`` levels only: a necessary condition for
    :func:`~aesara_cas.rewriting.matcher.match` (arguments of ``add``/``mul`` in any
    order).  Recursion follows the pattern's levels, never the graph's depth."""
    if p.kind != APPLY or depth <= 0:
        return True
    node = getattr(v, "owner", None)
    if node is None or len(node.outputs) != 1:
        return False
    hk = p.head_kind
    if hk == HEAD_OP:
        op = node.op
        if op is not p.head and not ops_equal(op, p.head):
            return False
    elif hk == HEAD_PARAMS and type(node.op) is not p.head:
        return False
    ins, args = node.inputs, p.args
    n, m = len(args), len(ins)
    depth -= 1
    if p.ac:
        if m < n or (m > n and not p.partial) or (m == n and p.tail is not None):
            return False
        numbers = None
        for a in args:
            if a.kind != APPLY:
                if a.kind == NUMBER:
                    numbers = [a] if numbers is None else [*numbers, a]
                continue
            head = a.head if a.head_kind == HEAD_OP else None
            for i in ins:
                if head is not None:
                    # The head first, without a call: most inputs fail here.
                    owner = i.owner
                    if owner is None or (owner.op is not head and not ops_equal(owner.op, head)):
                        continue
                if possible(a, i, depth):
                    break
            else:
                return False
        if numbers is not None:
            # Some input must be each number (a cached read of the constants' values).
            for a in numbers:
                for i in ins:
                    if isinstance(i, Constant) and constant_equals(i, a.value):
                        break
                else:
                    return False
        return True
    if m < n or (p.rest is None and m != n):
        return False
    for k in range(n):
        a = args[k]
        if a.kind == APPLY:
            if not possible(a, ins[k], depth):
                return False
        elif a.kind == NUMBER and not constant_equals(ins[k], a.value):
            return False
    return True


def _op_key(op: Any) -> Any:
    """A key equal for equal ops (the scalar op's name of an element-wise op)."""
    scalar = getattr(op, "scalar_op", None)
    return getattr(scalar, "name", None) or type(op)


#: id(pattern) -> (pattern, argument heads a node's inputs must have, in order or not).
_NEEDS: dict[int, tuple] = {}


def may_match(p: PNode, node: Any) -> bool:
    """A cheap necessary condition for ``p`` to match ``node`` (whose op matched the
    head): the operations the pattern's arguments need are among the node's inputs.
    Spares the backtracking search on the many nodes a pattern cannot match."""
    hit = _NEEDS.get(id(p))
    if hit is None or hit[0] is not p:
        keys = [(i, _op_key(a.head)) for i, a in enumerate(p.args)
                if a.kind == APPLY and a.head_kind == HEAD_OP and isinstance(a.head, Op)]
        hit = _NEEDS[id(p)] = (p, keys)
    keys = hit[1]
    if not keys:
        return True
    ins = node.inputs
    if not p.ac:
        if p.rest is None and len(ins) != len(p.args):
            return False
        for i, k in keys:
            if i >= len(ins):
                return False
            owner = ins[i].owner
            if owner is None or _op_key(owner.op) != k:
                return False
        return True
    have: list = [_op_key(i.owner.op) for i in ins if i.owner is not None]
    for _, k in keys:
        if k not in have:
            return False
        have.remove(k)
    return True
