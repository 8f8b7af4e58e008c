"""Which rewriters a node can interest at all, judged by the ops among its inputs.

The driver offers a node the rewriters indexed under its op: on a sum, dozens.
Most of their patterns ask for a particular operation (or a constant) among the
node's inputs, ``log(1 + exp(x))`` an ``exp`` inside the ``add``, and a node whose
inputs have none of those cannot match.  :func:`pattern_needs` states that
condition once per pattern; the driver keys a node by its number of inputs and the
kinds of its inputs (:func:`input_kinds`) and offers only the rewriters one of whose
patterns the key allows, a list made once per key.  Where a pattern also says what
an argument's own arguments are (``-1 * y``: a ``mul`` with the constant -1), the
pairs (input kind, kind of one of its inputs) decide too (:func:`input_pairs`, read
only for nodes that such a pattern could otherwise match, and only the pairs some
pattern asks about).  It is a necessary condition of
a match (an ``add``/``mul`` pattern matches its arguments to distinct inputs, in any
order), so no rewrite is lost; the rewriters still check everything themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from aesara_cas.graph.basic import Constant
from aesara_cas.logic.mirror import uniform_value
from aesara_cas.rewriting.pattern import APPLY, CONST, HEAD_OP, HEAD_PARAMS, NUMBER, PNode
from aesara_cas.rewriting.terms import ops_equal

#: The kind of an input that is a constant (a pattern's number or constant needs one).
CONSTANT = "constant"

#: ``(kinds the inputs must include, least and most number of inputs, pairs (input kind,
#: kind of one of its inputs) that must occur)``.
Need = tuple[frozenset, int, "int | None", frozenset]


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


def _constant_kinds(c: Constant) -> tuple:
    """:data:`CONSTANT`, and ``("=", value)`` for a constant all of whose elements are
    ``value`` (a pattern's number matches only such a constant)."""
    tag = c.tag
    kinds = tag.get("_kinds")  # a constant's value never changes: read once
    if kinds is None:
        value = uniform_value(c)
        kinds = tag["_kinds"] = (CONSTANT,) if value is None else (CONSTANT, ("=", value))
    return kinds


def input_kinds(inputs: Sequence[Any]) -> frozenset:
    """What the inputs of a node are: their ops' kinds and classes, :data:`CONSTANT`
    and ``("=", value)`` for constants."""
    out: set = set()
    last = None  # the terms of a sum mostly share one op: its kinds are added once
    for i in inputs:
        node = i.owner
        if node is not None:
            if node.op is not last:
                last = node.op
                out.update(_kinds_of(last))
        elif isinstance(i, Constant):
            out.update(_constant_kinds(i))
    return frozenset(out)


def _nested_kinds(inputs: Sequence[Any], heads: frozenset | None = None):
    """``(kinds of an input's op, kinds of one of that op's inputs)`` for every input
    with an op (with ``heads``: only the outer kinds among them, inputs with none
    skipped)."""
    for i in inputs:
        node = i.owner
        if node is None:
            continue
        outer = _kinds_of(node.op)
        if heads is not None:
            outer = [a for a in outer if a in heads]
            if not outer:
                continue
        for g in node.inputs:
            inner_node = g.owner
            if inner_node is not None:
                yield outer, _kinds_of(inner_node.op)
            elif isinstance(g, Constant):
                yield outer, _constant_kinds(g)


def input_pairs(inputs: Sequence[Any]) -> frozenset:
    """``(kind of an input, kind of one of that input's inputs)`` for every input with an
    op (the kinds as in :func:`input_kinds`)."""
    return frozenset((a, b) for outer, inner in _nested_kinds(inputs)
                     for a in outer for b in inner)


def _pairs_within(inputs: Sequence[Any], wanted: frozenset, heads: frozenset) -> frozenset:
    """``input_pairs(inputs) & wanted`` (``heads``: the first kinds of ``wanted``).

    Only the pairs some need asks about can decide :func:`allows`; the others (the value
    of every coefficient of a long sum) would make each node's pairs new to the cache."""
    return frozenset((a, b) for outer, inner in _nested_kinds(inputs, heads)
                     for a in outer for b in inner if (a, b) in wanted)


def _arg_kind(a: PNode) -> Any:
    """The kind a compiled pattern argument requires of the input it matches, or
    ``None``: any."""
    if a.kind == APPLY:
        if a.head_kind == HEAD_OP:
            return op_kind(a.head)
        if a.head_kind == HEAD_PARAMS:
            return a.head  # the op's class, compared exactly
        return None
    if a.kind == NUMBER:
        return ("=", a.value) if _hashable(a.value) else CONSTANT
    if a.kind == CONST:
        return CONSTANT
    return None


def _hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


#: The keys of the node the driver is looking at (see :func:`_current`), per thread:
#: graphs may be rewritten in several threads at once.
_LOCAL = threading.local()


def _current(inputs: Sequence[Any]) -> list:
    """The cache entry ``[inputs, snapshot, kinds key]`` of the node the
    driver is looking at (the rewriters it offers the node ask again)."""
    cur = getattr(_LOCAL, "current", None)
    if cur is None:
        cur = _LOCAL.current = [None, (), None]
    elif cur[0] is inputs and len(cur[1]) == len(inputs):
        for a, b in zip(cur[1], inputs):
            if a is not b:
                break
        else:
            return cur
    cur[0], cur[1], cur[2] = inputs, tuple(inputs), None
    return cur


def forget() -> None:
    """Drop the keys of the last node looked at (they hold its inputs, hence its graph)."""
    _LOCAL.current = None


def kinds_key(inputs: Sequence[Any]) -> tuple[int, frozenset]:
    """``(number of inputs, input_kinds(inputs))``."""
    cur = _current(inputs)
    if cur[2] is None:
        cur[2] = (len(inputs), input_kinds(inputs))
    return cur[2]


def pattern_needs(p: PNode) -> Need | None:
    """What a node's inputs must have for compiled pattern ``p`` (matching the node's
    op) to match it: ``(kinds, least inputs, most inputs)``; ``None``: nothing known."""
    if p is None or p.kind != APPLY:
        return None
    kinds, pairs = set(), set()
    for a in p.args:
        k = _arg_kind(a)
        if k is None:
            continue
        kinds.add(k)
        if a.kind == APPLY:
            for b in a.args:
                inner = _arg_kind(b)
                if inner is not None:
                    pairs.add((k, inner))
    n = len(p.args)
    if p.search and p.ac:
        # Any order; a rest variable takes at least one more input.
        least = n + (1 if p.tail is not None else 0)
        return frozenset(kinds), least, (None if p.partial else n), frozenset(pairs)
    return frozenset(kinds), n, (n if p.rest is None else None), frozenset(pairs)


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
        if need is None or (not need[0] and need[1] == 0 and need[2] is None
                            and not need[3]):
            return None
        out.append(need)
    return tuple(out)


def allows(needs: tuple[Need, ...] | None, n_inputs: int, kinds: frozenset,
           pairs: frozenset | None = None) -> bool:
    """Whether a node of ``n_inputs`` inputs of ``kinds`` (and, if given, ``pairs``)
    meets one of ``needs``."""
    if needs is None:
        return True
    for want, least, most, deep in needs:
        if (least <= n_inputs and (most is None or n_inputs <= most) and want <= kinds
                and (pairs is None or deep <= pairs)):
            return True
    return False


def _deep(needs: tuple[Need, ...] | None) -> bool:
    return needs is not None and any(n[3] for n in needs)


#: The key under which a cache of :func:`_select` keeps the kinds its needs ask for.
_RELEVANT = "relevant kinds"


def _select(items: list, needs: list, inputs: Sequence[Any], cache: dict) -> list:
    """The ``items`` whose ``needs`` a node with ``inputs`` meets, in their order; the
    pairs are read only if an item the kinds allow has a need of them."""
    relevant = cache.get(_RELEVANT)
    if relevant is None:
        relevant = cache[_RELEVANT] = frozenset(
            k for need in needs if need is not None for nd in need for k in nd[0])
    n, kinds = kinds_key(inputs)
    # Only the kinds some need asks for can decide: the others (the value of every
    # coefficient of a long sum) would make each node's key new to the cache.
    key = (n, kinds & relevant)
    entry = cache.get(key)
    if entry is None:
        n, kinds = key
        kept = [(item, need) for item, need in zip(items, needs) if allows(need, n, kinds)]
        deep = [(item, need) for item, need in kept if _deep(need)]
        # The pairs any kept need asks about (a need holds on the pairs among these
        # exactly when it holds on all of them): the node's other pairs are not read.
        wanted = frozenset(p for _, need in kept if need is not None for nd in need
                           for p in nd[3])
        entry = ([item for item, _ in kept], kept if deep else None, {}, wanted,
                 frozenset(a for a, _ in wanted))
        if len(cache) > 4096:
            cache.clear()
        cache[key] = entry
    if entry[1] is None:
        return entry[0]
    pairs = _pairs_within(inputs, entry[3], entry[4])
    hit = entry[2].get(pairs)
    if hit is None:
        n, kinds = key
        hit = [item for item, need in entry[1] if allows(need, n, kinds, pairs)]
        if len(entry[2]) > 1024:
            entry[2].clear()
        entry[2][pairs] = hit
    return hit


def allowed_patterns(patterns: Sequence[PNode], inputs: Sequence[Any],
                     cache: dict) -> Sequence[PNode]:
    """The patterns of ``patterns`` (all of one op) whose needs a node with ``inputs``
    meets, in their order (``cache``: the caller's)."""
    needs = cache.get("needs")
    if needs is None:
        needs = cache["needs"] = [_needs_one(p) for p in patterns]
    return _select(patterns, needs, inputs, cache)


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
        return _select(self.rewriters, self.needs, inputs, self._lists)
