"""Patterns compiled into trees of structural checks (:class:`PNode`).

A rule's input pattern (an etuple or cons term with logic variables) is compiled
once into a small tree of :class:`PNode` checks: "the op here is ``log``, its
input's op is ``exp``, this position holds a constant equal to 1, these two
positions hold the same variable".  :mod:`aesara_cas.rewriting.matcher` runs them
against graph variables.

Patterns the compiler does not understand make :func:`compile_pattern` return
``None``; callers then fall back to unification on every node of the right head.

``add`` and ``mul`` nodes of a pattern are marked ``ac`` (their arguments may match
the node's inputs in any order) when the order can matter.  A pattern compiled with
``partial=True`` also matches a sub-multiset of a longer sum or product at its
root.  A *rest variable* (:func:`rest_var`) among the arguments of a pattern's ``add``
or ``mul`` binds to the rest of the sum or product, of any length.
"""

from __future__ import annotations

import contextlib
from numbers import Number
from typing import Any

import numpy as np
from cons.core import ConsPair
from etuples.core import ExpressionTuple
from unification.variable import LVarType, Var, isvar
from unification.variable import _global_logic_variables as _GLOBAL_VARS

from aesara_cas.graph.basic import Constant, Op, Variable
from aesara_cas.logic.mirror import normalize_head
from aesara_cas.rewriting.terms import ops_equal

# Kinds of pattern nodes.
VAR, NUMBER, CONST, GRAPHVAR, APPLY = range(5)
# Kinds of heads of an APPLY node.
HEAD_OP, HEAD_VAR, HEAD_PARAMS = range(3)
#: Index key of patterns whose head is a logic variable: they meet every node.
WILDCARD = "*"


class PNode:
    """One compiled position of a pattern.

    ``ac``: an ``add``/``mul`` whose arguments match in any order; ``search``: this
    node or one below it needs the backtracking matcher; ``partial`` (the root
    only): a sub-multiset of the node's inputs may match.
    """

    __slots__ = ("kind", "value", "head_kind", "head", "params", "args", "rest", "ac",
                 "search", "partial", "tail")

    def __init__(self, kind: int, value: Any = None):
        self.kind = kind
        self.value = value
        self.head_kind = None
        self.head = None
        self.params: list | None = None
        self.args: list[PNode] = []
        self.rest: Var | None = None
        self.ac = False
        self.search = False
        self.partial = False
        # A rest variable of an add/mul: bound to the inputs the other arguments left.
        self.tail: Var | None = None


#: The key of the bindings holding the inputs a partial match left over.
REMAINDER = object()
#: The logic variables made by :func:`rest_var`.
_REST_VARS: set = set()


def rest_var(name: str = "rest") -> Var:
    """A fresh logic variable that, as an argument of a pattern's ``add`` or ``mul``,
    matches the rest of the sum or product (one input or more): bound to the input
    left, or to a new ``add``/``mul`` of the inputs left, in their order (a graph
    variable either way, so a ``where`` reads its dtype and shape)."""
    v = Var(prefix=f"{name}_rest")
    _REST_VARS.add(v)
    return v


def is_rest_var(v: Any) -> bool:
    """Whether ``v`` was made by :func:`rest_var`."""
    return type(v) is Var and v in _REST_VARS


class _Unsupported(Exception):
    pass


def _isvar(t: Any) -> bool:
    """``isvar(t)`` that hashes ``t`` only while global logic variables are declared
    (``unification.variables``): an etuple hashes its whole term, and compiling
    asks of every sub-term."""
    return type(t) is Var or isinstance(type(t), LVarType) or (
        bool(_GLOBAL_VARS) and isvar(t))


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
    if _isvar(p):
        rest = p
    elif isinstance(p, (ExpressionTuple, tuple, list)):
        items.extend(p)
        rest = None
    else:
        raise _Unsupported
    if not items:
        raise _Unsupported
    return items[0], items[1:], rest


def _variables_used_twice(pattern: Any) -> frozenset:
    """The logic variables that occur more than once in ``pattern`` (anywhere: in
    arguments and in op parameters).  Walks the pattern with a stack."""
    seen: set = set()
    twice: set = set()
    stack = [pattern]
    while stack:
        t = stack.pop()
        if _isvar(t):
            (twice if t in seen else seen).add(t)
        elif isinstance(t, (ExpressionTuple, tuple, list)):
            stack.extend(t)
        elif issubclass(type(t), ConsPair):
            stack.extend((t.car, t.cdr))
    return frozenset(twice)


def _compile(p: Any, shared: frozenset = frozenset()) -> PNode:
    if _isvar(p):
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
        if _isvar(head):
            node.head_kind, node.head = HEAD_VAR, head
        elif isinstance(head, Op):
            node.head_kind, node.head = HEAD_OP, head
        elif isinstance(head, ExpressionTuple) and len(head) > 0 and isinstance(head[0], type):
            node.head_kind, node.head = HEAD_PARAMS, head[0]
            node.params = list(head[1:])
        else:
            raise _Unsupported
        node.args = [_compile(a, shared) for a in args]
        node.rest = rest
        tails = [a for a in node.args if a.kind == VAR and is_rest_var(a.value)]
        if tails:
            # "The rest of the sum": the other arguments match a sub-multiset of the
            # inputs, the rest variable takes what they leave (at least one input).
            if (len(tails) > 1 or rest is not None or node.head_kind != HEAD_OP
                    or not _is_ac(node.head) or len(node.args) < 2):
                raise _Unsupported
            node.tail = tails[0].value
            node.args = [a for a in node.args if a is not tails[0]]
            node.ac = node.search = node.partial = True
            return node
        # Distinct variables used nowhere else match in the written order whenever
        # any order matches: arguments with structure, or variables that recur (here
        # or elsewhere in the pattern: ``log(a + b) - log(a)``), need the search.
        plain = all(a.kind == VAR and a.value not in shared for a in node.args) and len(
            {a.value for a in node.args}) == len(node.args)
        node.ac = (node.head_kind == HEAD_OP and rest is None and len(node.args) >= 2
                   and not plain and _is_ac(node.head))
        node.search = node.ac or any(a.search for a in node.args)
        return node
    raise _Unsupported


def _is_ac(op: Any) -> bool:
    from aesara_cas.tensor import elemwise as E

    return ops_equal(op, E.add) or ops_equal(op, E.mul)


_COMPILED: dict[Any, PNode | None] = {}


def compile_pattern(pattern: Any, partial: bool = False) -> PNode | None:
    """The compiled form of ``pattern``, or ``None`` if it uses unsupported terms.

    Equal patterns share one compiled object, so the engine can match a node once
    for all the rules that use the same input pattern.  ``partial=True``: a root
    ``add``/``mul`` also matches part of a longer sum or product.
    """
    key = (pattern, partial) if partial else pattern
    try:
        return _COMPILED[key]
    except (KeyError, TypeError):
        pass
    try:
        compiled = _compile(pattern, _variables_used_twice(pattern))
    except _Unsupported:
        compiled = None
    if (compiled is not None and partial and compiled.kind == APPLY
            and compiled.head_kind == HEAD_OP and compiled.rest is None
            and len(compiled.args) >= 2 and _is_ac(compiled.head)):
        # A private copy: the shared one is not partial.
        compiled = _compile(pattern, _variables_used_twice(pattern))
        compiled.ac = compiled.search = compiled.partial = True
    with contextlib.suppress(TypeError):  # an unhashable pattern is not cached
        _COMPILED[key] = compiled
    return compiled


def index_key(p: PNode | None) -> Any:
    """The key a pattern is indexed under: its head op, its head op class, or ``WILDCARD``."""
    if p is None or p.kind != APPLY or p.head_kind == HEAD_VAR:
        return WILDCARD
    return p.head

