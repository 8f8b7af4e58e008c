"""Patterns compiled into direct structural matchers.

A rule's input pattern (an etuple or cons term with logic variables) is compiled
once into a small tree of :class:`PNode` checks: "the op here is ``log``, its
input's op is ``exp``, this position holds a constant equal to 1, these two
positions hold the same variable".  Matching a graph variable against it costs a
few microseconds, against tens for a ``kanren`` run, so it serves as the
structural pre-check in front of every relation, and, for rules built with
:func:`~aesara_cas.rewriting.rule.rule`, as the matcher itself (tests check it
agrees with unification).

Patterns the compiler does not understand make :func:`compile_pattern` return
``None``; callers then fall back to unification on every node of the right head.
"""

from __future__ import annotations

import contextlib
from numbers import Number
from typing import Any

import numpy as np
from cons.core import ConsPair
from etuples.core import ExpressionTuple
from unification.variable import Var, isvar

from aesara_cas.graph.basic import Constant, Op, Variable
from aesara_cas.logic.mirror import constant_equals, normalize_head, op_params
from aesara_cas.rewriting.terms import ops_equal

# Kinds of pattern nodes.
VAR, NUMBER, CONST, GRAPHVAR, APPLY = range(5)
# Kinds of heads of an APPLY node.
HEAD_OP, HEAD_VAR, HEAD_PARAMS = range(3)
#: Index key of patterns whose head is a logic variable: they meet every node.
WILDCARD = "*"


class PNode:
    """One compiled position of a pattern."""

    __slots__ = ("kind", "value", "head_kind", "head", "params", "args", "rest")

    def __init__(self, kind: int, value: Any = None):
        self.kind = kind
        self.value = value
        self.head_kind = None
        self.head = None
        self.params: list | None = None
        self.args: list[PNode] = []
        self.rest: Var | None = None


class _Unsupported(Exception):
    pass


def _split_apply(p: Any) -> tuple[Any, list, Var | None]:
    """``(head, fixed arguments, rest variable or None)`` of an etuple/cons pattern."""
    if isinstance(p, ExpressionTuple):
        items = list(p)
        if not items:
            raise _Unsupported
        return items[0], items[1:], None
    items = []
    while issubclass(type(p), ConsPair):
        items.append(p.car)
        p = p.cdr
    if isvar(p):
        rest = p
    elif isinstance(p, (ExpressionTuple, tuple, list)):
        items.extend(p)
        rest = None
    else:
        raise _Unsupported
    if not items:
        raise _Unsupported
    return items[0], items[1:], rest


def _compile(p: Any) -> PNode:
    if isvar(p):
        return PNode(VAR, p)
    if isinstance(p, Constant):
        return PNode(CONST, p)
    if isinstance(p, Variable):
        return PNode(GRAPHVAR, p)
    if isinstance(p, (bool, np.bool_)) or (isinstance(p, (Number, np.number))
                                          and not isinstance(p, complex)):
        return PNode(NUMBER, p)
    if isinstance(p, ExpressionTuple) or issubclass(type(p), ConsPair):
        head, args, rest = _split_apply(p)
        node = PNode(APPLY)
        head = normalize_head(head)
        if isvar(head):
            node.head_kind, node.head = HEAD_VAR, head
        elif isinstance(head, Op):
            node.head_kind, node.head = HEAD_OP, head
        elif isinstance(head, ExpressionTuple) and len(head) > 0 and isinstance(head[0], type):
            node.head_kind, node.head = HEAD_PARAMS, head[0]
            node.params = list(head[1:])
        else:
            raise _Unsupported
        node.args = [_compile(a) for a in args]
        node.rest = rest
        return node
    raise _Unsupported


_COMPILED: dict[Any, PNode | None] = {}


def compile_pattern(pattern: Any) -> PNode | None:
    """The compiled form of ``pattern``, or ``None`` if it uses unsupported terms.

    Equal patterns share one compiled object, so the engine can match a node once
    for all the rules that use the same input pattern.
    """
    try:
        return _COMPILED[pattern]
    except (KeyError, TypeError):
        pass
    try:
        compiled = _compile(pattern)
    except _Unsupported:
        compiled = None
    with contextlib.suppress(TypeError):  # an unhashable pattern is not cached
        _COMPILED[pattern] = compiled
    return compiled


class _MatchMemo:
    """The matches of the node being looked at, shared by its candidate rules."""

    node: Any = None
    generation: int = -1
    results: dict[int, dict | None] = {}


_memo = _MatchMemo()


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


def index_key(p: PNode | None) -> Any:
    """The key a pattern is indexed under: its head op, its head op class, or ``WILDCARD``."""
    if p is None or p.kind != APPLY or p.head_kind == HEAD_VAR:
        return WILDCARD
    return p.head


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
