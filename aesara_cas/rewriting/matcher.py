"""Compiled patterns (:mod:`aesara_cas.rewriting.pattern`) matched against graph variables.

Matching a graph variable against a compiled pattern costs a few microseconds,
against tens for a ``kanren`` run, so it serves as the structural pre-check in front
of every relation, and, for rules built with :func:`~aesara_cas.rewriting.rule.rule`,
as the matcher itself (tests check it agrees with unification).

:func:`match` walks a pattern without ``ac`` nodes with a stack.  ``add`` and ``mul``
are matched modulo commutativity by a backtracking search (:func:`solutions`): the
pattern's arguments may match the node's inputs in any order (the given order is
tried first, so a pattern written in canonical order costs nothing more).  A partial
pattern also matches a sub-multiset of a longer sum or product at its root; the
inputs it did not use are returned under :data:`~aesara_cas.rewriting.pattern.REMAINDER`,
or bound to the pattern's rest variable (``log(1 + x)`` with ``x`` a rest variable
matches ``log(1 + a + b)`` with ``x = a + b``).
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from etuples.core import ExpressionTuple
from unification.variable import Var, isvar

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.logic.mirror import constant_equals, op_params
from aesara_cas.rewriting.pattern import (
    APPLY,
    CONST,
    HEAD_OP,
    HEAD_PARAMS,
    NUMBER,
    REMAINDER,
    VAR,
    PNode,
    rest_var,  # noqa: F401 - its documented home (docs/rules.md)
)
from aesara_cas.rewriting.terms import ops_equal

#: Partial matches tried per node at most (a long sum has many sub-multisets).
MAX_AC_SOLUTIONS = 64

class _MatchMemo(threading.local):
    """The matches of the node being looked at, shared by its candidate rules (per
    thread: threads rewrite different graphs)."""

    def __init__(self) -> None:
        self.node: Any = None
        self.generation = -1
        self.results: dict[int, dict | None] = {}


_memo = _MatchMemo()


def forget() -> None:
    """Drop the memo of the last node matched (it holds the node, hence its graph)."""
    _memo.node, _memo.generation, _memo.results = None, -1, {}


def match_node(p: PNode, node: Any, generation: int) -> dict | None:
    """:func:`match` of ``node``'s output, reusing the result of an identical pattern
    already matched against the same node (while the graph has not changed)."""
    memo = _memo
    if memo.node is not node or memo.generation != generation:
        memo.node, memo.generation, memo.results = node, generation, {}
    key = id(p)
    if key in memo.results:
        b = memo.results[key]
        return None if b is None else dict(b)
    b = match(p, node.outputs[0])
    memo.results[key] = b
    return None if b is None else dict(b)


_MISSING = object()


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, Constant) and isinstance(b, Constant):
        return a.type == b.type and a.signature() == b.signature()
    if isinstance(a, Variable) or isinstance(b, Variable):
        return False
    try:
        return bool(a == b)
    except Exception:
        return False


def _bind(bindings: dict, key: Var, value: Any) -> bool:
    prev = bindings.get(key, _MISSING)
    if prev is _MISSING:
        bindings[key] = value
        return True
    return _same(prev, value)


def _match_params(patterns: list, values: tuple, bindings: dict) -> bool:
    """Match op-parameter patterns (plain values, logic variables, nested op patterns)."""
    stack = list(zip(patterns, values))
    while stack:
        p, v = stack.pop()
        if isvar(p):
            if not _bind(bindings, p, v):
                return False
        elif isinstance(p, ExpressionTuple):
            if len(p) == 0 or not isinstance(p[0], type) or type(v) is not p[0]:
                return False
            sub = op_params(v)
            if sub is None or len(sub) != len(p) - 1:
                return False
            stack.extend(zip(list(p[1:]), sub))
        elif not _same(p, v):
            return False
    return True


def match(p: PNode, var: Any, bindings: dict | None = None) -> dict | None:
    """Match compiled pattern ``p`` against graph variable ``var``.

    Returns the bindings of the pattern's logic variables (graph variables, op
    parameters, or for a cons tail an etuple of the remaining inputs), or ``None``.
    """
    if p.search:
        for b in solutions(p, var, bindings):
            return b
        return None
    b: dict = {} if bindings is None else bindings
    stack = [(p, var)]
    while stack:
        p, v = stack.pop()
        kind = p.kind
        if kind == VAR:
            if not _bind(b, p.value, v):
                return None
        elif kind == APPLY:
            node = getattr(v, "owner", None)
            if node is None or len(node.outputs) != 1:
                return None
            op = node.op
            hk = p.head_kind
            if hk == HEAD_OP:
                if not ops_equal(op, p.head):
                    return None
            elif hk == HEAD_PARAMS:
                if type(op) is not p.head:
                    return None
                params = op_params(op)
                if params is None or len(params) != len(p.params):
                    return None
                if not _match_params(p.params, params, b):
                    return None
            elif not _bind(b, p.head, op):
                return None
            ins = node.inputs
            n = len(p.args)
            if p.rest is None:
                if len(ins) != n:
                    return None
            else:
                if len(ins) < n or not _bind(b, p.rest, ExpressionTuple(ins[n:])):
                    return None
            stack.extend(zip(p.args, ins))
        elif kind == NUMBER:
            if not constant_equals(v, p.value):
                return None
        elif kind == CONST:
            if not _same(p.value, v):
                return None
        elif v is not p.value:  # GRAPHVAR
            return None
    return b


# Matching modulo commutativity (and partial sums and products) --------------------

def solutions(p: PNode, var: Any, bindings: dict | None = None) -> Any:
    """Every match of ``p`` against ``var`` (at most :data:`MAX_AC_SOLUTIONS` when the
    pattern has commutative nodes), as binding dicts, the given argument order first.

    Recursion follows the nesting of the *pattern* (a few levels), never the graph.
    """
    b = {} if bindings is None else dict(bindings)
    if not p.search:
        out = match(p, var, b)
        if out is not None:
            yield out
        return
    yield from itertools.islice(_solve(p, var, b), MAX_AC_SOLUTIONS)


def _head(p: PNode, v: Any, b: dict) -> tuple[list, dict] | None:
    """The inputs of ``v``'s node and the bindings after matching ``p``'s head."""
    node = getattr(v, "owner", None)
    if node is None or len(node.outputs) != 1:
        return None
    op = node.op
    hk = p.head_kind
    b = dict(b)
    if hk == HEAD_OP:
        if not ops_equal(op, p.head):
            return None
    elif hk == HEAD_PARAMS:
        if type(op) is not p.head:
            return None
        params = op_params(op)
        if params is None or len(params) != len(p.params):
            return None
        if not _match_params(p.params, params, b):
            return None
    elif not _bind(b, p.head, op):
        return None
    return node.inputs, b


def _solve(p: PNode, v: Any, b: dict) -> Any:
    if p.kind != APPLY or not p.search:
        out = match(p, v, dict(b))
        if out is not None:
            yield out
        return
    found = _head(p, v, b)
    if found is None:
        return
    ins, b = found
    n = len(p.args)
    if p.ac:
        if len(ins) < n or (len(ins) > n and not p.partial):
            return
        tail = p.tail
        if tail is not None and len(ins) == n:
            return
        # Constrained arguments (operations, constants) first: fewer choices.
        order = sorted(range(n), key=lambda i: p.args[i].kind == VAR)
        for out, used in _assign(p.args, order, 0, ins, (), b):
            if len(ins) > n:
                left = tuple(x for j, x in enumerate(ins) if j not in used)
                if tail is None:
                    out[REMAINDER] = left
                elif not _bind(out, tail, left[0] if len(left) == 1 else
                               v.owner.op(*left)):
                    continue
            yield out
        return
    if p.rest is None:
        if len(ins) != n:
            return
    else:
        if len(ins) < n or not _bind(b, p.rest, ExpressionTuple(ins[n:])):
            return
    yield from _sequence(p.args, ins, 0, b)


def _sequence(args: list, ins: list, i: int, b: dict) -> Any:
    if i == len(args):
        yield b
        return
    for b2 in _solve(args[i], ins[i], b):
        yield from _sequence(args, ins, i + 1, b2)


def _assign(args: list, order: list, k: int, ins: list, used: tuple, b: dict) -> Any:
    """Injective assignments of the pattern arguments to inputs, the natural order first."""
    if k == len(order):
        yield b, used
        return
    i = order[k]
    candidates = [i] if i < len(ins) and i not in used else []
    candidates += [j for j in range(len(ins)) if j != i and j not in used]
    for j in candidates:
        for b2 in _solve(args[i], ins[j], b):
            yield from _assign(args, order, k + 1, ins, used + (j,), b2)
