"""Which rewriters a node can interest at all, judged by the ops among its inputs.

The driver offers a node the rewriters indexed under its op: on a sum, dozens.
Most of their patterns ask for a particular operation (or a constant) among the
node's inputs, ``log(1 + exp(x))`` an ``exp`` inside the ``add``, and a node whose
inputs have none of those cannot match.  :func:`pattern_needs` states that
condition once per pattern; the driver keys a node by its number of inputs and the
kinds of its inputs (:func:`input_kinds`) and offers only the rewriters one of whose
patterns the key allows, a list made once per key.  It is a necessary condition of
a match (an ``add``/``mul`` pattern matches its arguments to distinct inputs, in any
order), so no rewrite is lost; the rewriters still check everything themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aesara_cas.graph.basic import Constant
from aesara_cas.rewriting.matcher import (
    APPLY,
    CONST,
    HEAD_OP,
    HEAD_PARAMS,
    NUMBER,
    PNode,
)
from aesara_cas.rewriting.terms import ops_equal

#: The kind of an input that is a constant (a pattern's number or constant needs one).
CONSTANT = "constant"

#: ``(kinds an input must include, least and most number of inputs)``; ``None``: any.
Need = tuple[frozenset, int, "int | None"]


def op_kind(op: Any) -> Any:
    """A key equal for equal ops: the scalar op's name of an element-wise op, else the
    op's class (as the matcher's own pre-checks compare them)."""
    scalar = getattr(op, "scalar_op", None)
    return getattr(scalar, "name", None) or type(op)


#: id(op) -> (op, its kinds): ops are few and shared, so their kinds are computed once.
_KINDS: dict[int, tuple[Any, tuple]] = {}


def _kinds_of(op: Any) -> tuple:
    hit = _KINDS.get(id(op))
    if hit is not None and hit[0] is op:
        return hit[1]
    kinds = (op_kind(op), type(op))
    if len(_KINDS) > 10_000:
        _KINDS.clear()
    _KINDS[id(op)] = (op, kinds)
    return kinds


def input_kinds(inputs: Sequence[Any]) -> frozenset:
    """What the inputs of a node are: their ops' kinds and classes, and
    :data:`CONSTANT` if one is a constant."""
    out: set = set()
    for i in inputs:
        node = i.owner
        if node is not None:
            out.update(_kinds_of(node.op))
        elif isinstance(i, Constant):
            out.add(CONSTANT)
    return frozenset(out)


#: The key of the node the driver is looking at: ``[inputs, their snapshot, key]``.
_CURRENT: list = [None, (), None]


def kinds_key(inputs: Sequence[Any]) -> tuple[int, frozenset]:
    """``(number of inputs, input_kinds(inputs))``, reusing the driver's for the node it
    is looking at (the rewriters it offers the node ask again)."""
    cur = _CURRENT
    if cur[0] is inputs and len(cur[1]) == len(inputs):
        for a, b in zip(cur[1], inputs):
            if a is not b:
                break
        else:
            return cur[2]
    key = (len(inputs), input_kinds(inputs))
    cur[0], cur[1], cur[2] = inputs, tuple(inputs), key
    return key


def pattern_needs(p: PNode) -> Need | None:
    """What a node's inputs must have for compiled pattern ``p`` (matching the node's
    op) to match it: ``(kinds, least inputs, most inputs)``; ``None``: nothing known."""
    if p is None or p.kind != APPLY:
        return None
    kinds = set()
    for a in p.args:
        if a.kind == APPLY:
            if a.head_kind == HEAD_OP:
                kinds.add(op_kind(a.head))
            elif a.head_kind == HEAD_PARAMS:
                kinds.add(a.head)  # the op's class, compared exactly
        elif a.kind in (NUMBER, CONST):
            kinds.add(CONSTANT)
    n = len(p.args)
    if p.search and p.ac:
        # Any order; a rest variable takes at least one more input.
        least = n + (1 if p.tail is not None else 0)
        return frozenset(kinds), least, (None if p.partial else n)
    return frozenset(kinds), n, (n if p.rest is None else None)


def head_matches(p: PNode, op: Any) -> bool:
    """Whether ``p``'s head can be ``op`` (a variable head can be any)."""
    if p.head_kind == HEAD_OP:
        return op is p.head or ops_equal(op, p.head)
    if p.head_kind == HEAD_PARAMS:
        return type(op) is p.head
    return True


def needs_of(patterns: Sequence[PNode | None], op: Any) -> tuple[Need, ...] | None:
    """The :func:`pattern_needs` of the patterns that can match a node of ``op`` (the
    rewriter can rewrite such a node only if one of them holds); ``None``: no limit."""
    out = []
    for p in patterns:
        if p is None or p.kind != APPLY:
            return None
        if not head_matches(p, op):
            continue
        need = pattern_needs(p)
        if need is None or (not need[0] and need[1] == 0 and need[2] is None):
            return None
        out.append(need)
    return tuple(out)


def allows(needs: tuple[Need, ...] | None, n_inputs: int, kinds: frozenset) -> bool:
    """Whether a node of ``n_inputs`` inputs of ``kinds`` meets one of ``needs``."""
    if needs is None:
        return True
    for want, least, most in needs:
        if least <= n_inputs and (most is None or n_inputs <= most) and want <= kinds:
            return True
    return False


def allowed_patterns(patterns: Sequence[PNode], inputs: Sequence[Any],
                     cache: dict) -> Sequence[PNode]:
    """The patterns of ``patterns`` (all of one op) whose needs a node with ``inputs``
    meets, in their order (``cache``: the caller's, per key)."""
    key = kinds_key(inputs)
    hit = cache.get(key)
    if hit is None:
        n, kinds = key
        hit = [p for p in patterns if allows(_needs_one(p), n, kinds)]
        if len(cache) > 1024:
            cache.clear()
        cache[key] = hit
    return hit


def _needs_one(p: PNode) -> tuple[Need, ...] | None:
    need = pattern_needs(p)
    return None if need is None else (need,)


class Prefilter:
    """The rewriters to offer a node, per (candidate list, number and kinds of inputs).

    ``needs[i]`` is what ``rewriters[i]`` needs of a node of the op the list is for
    (``None``: nothing; see :meth:`aesara_cas.rewriting.rewriter.NodeRewriter.needs`).
    """

    def __init__(self, rewriters: list, op: Any):
        self.rewriters = rewriters
        self.needs = [rw.needs(op) for rw in rewriters]
        #: Whether any rewriter can be left out at all (else the list is offered whole).
        self.active = any(n is not None for n in self.needs)
        self._lists: dict[tuple, list] = {}

    def select(self, inputs: Sequence[Any]) -> list:
        if not self.active:
            return self.rewriters
        key = kinds_key(inputs)
        hit = self._lists.get(key)
        if hit is None:
            n, kinds = key
            hit = [rw for rw, need in zip(self.rewriters, self.needs) if allows(need, n, kinds)]
            if len(self._lists) > 4096:
                self._lists.clear()
            self._lists[key] = hit
        return hit
