"""A rule's output built as the replacement of a node's output, of exactly its type.

:func:`materialize` builds a reified output term into graph variables; if a float
input was narrower than the result it replaces, the term is built again from
upcast inputs.  :func:`fit_type` casts and broadcasts the result back to the old
output's type when a rewrite dropped an input that only broadcast or promoted it
(``x * 0 -> 0``), and :func:`keep_shape` broadcasts it back to the old output's
*run-time* shape when the types agree but a dropped input may still have broadcast
it (``(x + z) - x -> z`` for vectors of unknown lengths: ``z`` may have length 1).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from numbers import Number
from typing import Any

import numpy as np
from unification.variable import isvar

from aesara_cas.graph import basic
from aesara_cas.graph.basic import Variable
from aesara_cas.graph.traversal import graph_inputs
from aesara_cas.logic.build import TermError, build
from aesara_cas.tensor.elemwise import Elemwise, cast, maximum
from aesara_cas.tensor.shape import Alloc, DimShuffle, Shape, alloc
from aesara_cas.tensor.subtensor import getitem
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import constant

log = logging.getLogger("aesara_cas.rewriting")

_BUILD_ERRORS = (TermError, TypeError, ValueError, IndexError, ZeroDivisionError)


def output_shape(old: Variable) -> list[Variable] | None:
    """``old``'s shape as scalars computed from its node's inputs (never from ``old``)."""
    node = old.owner
    if node is None:
        return None
    in_shapes = []
    for inp in node.inputs:
        if not isinstance(inp.type, TensorType):
            return None
        dims = []
        for i, s in enumerate(inp.type.shape):
            dims.append(constant(np.int64(s)) if s is not None else getitem(Shape()(inp), i))
        in_shapes.append(tuple(dims))
    try:
        shapes = node.op.infer_shape(node, in_shapes)
    except NotImplementedError:
        return None
    out = []
    for d in shapes[old.index]:
        if isinstance(d, Variable):
            out.append(d)
        else:
            out.append(constant(np.int64(d)))
    return out


#: Nodes each side of a rewrite :func:`keep_shape` looks at before it gives up proving
#: that the run-time shape is kept (and broadcasts the replacement to be sure).
SHAPE_WALK_NODES = 256


def _dims_known(v: Variable) -> bool:
    return all(d is not None for d in v.type.shape)


def _cannot_widen(u: Variable, old: Variable) -> bool:
    """Whether ``u``, an element-wise operand somewhere below ``old``, cannot make
    ``old``'s run-time shape bigger than a replacement of ``old``'s type: each of its
    dimensions is 1 or one whose length ``old``'s type fixes."""
    shape, target = u.type.shape, old.type.shape
    lead = len(target) - len(shape)
    return lead >= 0 and all(d == 1 or target[lead + i] is not None
                             for i, d in enumerate(shape))


def _operands(v: Variable, since: int | None) -> list | None:
    """The inputs the walks go on to from ``v``: its node's, except an ``alloc``'s,
    whose shape entries are compared instead (:func:`_alloc_key`); with ``since``,
    only of nodes made after that id."""
    owner = v.owner
    if owner is None or isinstance(owner.op, Alloc) or (
            since is not None and owner.outputs[0].id < since):
        return None
    return owner.inputs


def _alloc_key(v: Variable) -> tuple | None:
    owner = v.owner
    if owner is not None and isinstance(owner.op, Alloc):
        return ("alloc", *owner.inputs[1:])
    return None


def keep_shape(new: Variable, old: Variable, since: int | None = None) -> Variable | None:
    """``new`` (of ``old``'s type) if it keeps every operand that may decide ``old``'s
    run-time shape, else ``new`` broadcast to ``old``'s shape (``alloc``), or ``None``
    if that shape cannot be written down.

    Equal types do not make equal shapes: a dimension of unknown length may be 1 at
    run time and broadcast, so ``(x + z) - x`` is ``z`` broadcast to ``x``'s length.
    An element-wise ``old`` keeps its shape if every leaf below it (walking through
    any operation but ``alloc``) either is used by ``new`` too (reached by the walk
    from ``new``, which enters the nodes made after the id ``since``, the
    replacement's own, and where that does not settle it, the graph's), or is an
    ``alloc`` to a shape ``new`` also allocates, or cannot widen the result.  A rule
    that replaces an operation by another over the same operands is trusted with its
    shapes (``log(sum(exp(t))) -> logsumexp(t)``); one that drops an operand is not.
    Bounded by :data:`SHAPE_WALK_NODES`; past it, ``new`` is broadcast.
    """
    if not _broadcasts(old):
        return new  # the type fixes every length, or the op's rules reason about it
    if not _dominated(old, _covered(new, since)) and (
            since is None or not _dominated(old, _covered(new, None))):
        # (The second walk also enters nodes the graph had: a replacement that
        # reuses one, such as a reordered product, is usually proved there.)
        return _alloc_like(new, old, _broadcast_dims(old) or output_shape(old))
    return new


def _broadcasts(old: Variable) -> bool:
    """Whether a replacement of ``old``'s type may still differ from it in run-time
    shape: an element-wise (or dimshuffled) result with a length its type leaves open."""
    return (not _dims_known(old) and old.ndim > 0 and old.owner is not None
            and isinstance(old.owner.op, (Elemwise, DimShuffle)))


def _alloc_like(new: Variable, old: Variable, dims: list[Variable] | None) -> Variable | None:
    """``new`` broadcast to ``dims`` (``old``'s shape) if that gives ``old``'s type."""
    if dims is None:
        return None
    out = alloc(new, *dims)
    return out if out.type == old.type else None


def _broadcast_dims(old: Variable) -> list[Variable] | None:
    """``old``'s shape as the broadcast of the leaves of its element-wise graph
    (``maximum`` of each dimension's lengths, one per leaf), or ``None`` past
    :data:`SHAPE_WALK_NODES` nodes.  Reads as the shape it is: ``(x + z) - x`` has
    ``maximum(shape(x)[0], shape(z)[0])`` elements."""
    if old.owner is None or not isinstance(old.owner.op, Elemwise):
        return None  # (never a shape read from ``old`` itself: it is being replaced)
    leaves: list[Variable] = []
    seen, stack, budget = {old}, [old], SHAPE_WALK_NODES
    while stack:
        v = stack.pop()
        owner = v.owner
        if owner is None or not isinstance(owner.op, Elemwise):
            leaves.append(v)
            continue
        budget -= 1
        if not budget:
            return None
        for inp in owner.inputs:
            if inp not in seen and inp.ndim > 0:
                seen.add(inp)
                stack.append(inp)
    dims = []
    for i, static in enumerate(old.type.shape):
        if static is not None:
            dims.append(constant(np.int64(static)))
            continue
        lengths = []
        for leaf in leaves:
            j = i - (old.ndim - leaf.ndim)
            if j >= 0 and leaf.type.shape[j] != 1:
                lengths.append(getitem(Shape()(leaf), j))
        if not lengths:
            return None
        dim = lengths[0]
        for length in lengths[1:]:
            dim = maximum(dim, length)
        dims.append(dim)
    return dims


def keep_input_shapes(new: Variable, old: Variable) -> Variable | None:
    """:func:`keep_shape` for whole graphs (equality saturation's extracted result
    ``new`` for its input ``old``): ``new`` if it still reads every graph input that may
    widen ``old``, else ``new`` broadcast to ``old``'s shape.  Linear in the graphs."""
    if not _broadcasts(old):
        return new
    kept = set(graph_inputs([new]))
    if all(u in kept or _cannot_widen(u, old) for u in graph_inputs([old])):
        return new
    return _alloc_like(new, old, _broadcast_dims(old) or output_shape(old))


def _covered(new: Variable, since: int | None) -> set:
    """``new``, the variables the walk from it meets and their ``alloc`` shapes."""
    covered: set = {new}
    stack, budget = [new], SHAPE_WALK_NODES
    while stack and budget:
        v = stack.pop()
        key = _alloc_key(v)
        if key is not None:
            covered.add(key)
        operands = _operands(v, since)
        if operands is None:
            continue
        budget -= 1
        for inp in operands:
            if inp not in covered:
                covered.add(inp)
                stack.append(inp)
    return covered


def _dominated(old: Variable, covered: set) -> bool:
    """Whether every leaf the walk from ``old`` meets is covered or cannot widen it."""
    seen = {old}
    stack, budget = [old], SHAPE_WALK_NODES
    while stack:
        v = stack.pop()
        if v in covered or v is not old and (_cannot_widen(v, old) or _alloc_key(v) in covered):
            continue
        operands = _operands(v, None) if budget else None
        if operands is None:
            return False  # an operand ``new`` does not use
        budget -= 1
        for inp in operands:
            if inp not in seen:
                seen.add(inp)
                stack.append(inp)
    return True


def fit_type(new: Variable, old: Variable, since: int | None = None) -> Variable | None:
    """``new`` made to have exactly ``old.type`` and ``old``'s run-time shape, by a cast
    and/or a broadcast; or ``None``.

    A rewrite may drop an input that only broadcast the result (``x * 0 -> 0``)
    or changed its dtype; the replacement must still be of the same type, so
    the dtype is cast back and the shape restored with ``alloc`` from the
    shapes of the original node's inputs (see :func:`keep_shape` for ``since``).
    """
    if new.type == old.type:
        return keep_shape(new, old, since)
    if not isinstance(new.type, TensorType) or new.ndim > old.ndim:
        return None
    if new.dtype != old.dtype:
        new = cast(new, old.dtype)
        if new.type == old.type:
            return new
    padded = (1,) * (old.ndim - new.ndim) + new.type.shape
    for a, b in zip(padded, old.type.shape):
        if a is not None and b is not None and a != b and a != 1:
            return None
    return _alloc_like(new, old, output_shape(old))


def _lower_precision(new: Variable, old: Variable) -> bool:
    a, b = np.dtype(new.dtype), np.dtype(old.dtype)
    return a.kind == "f" and b.kind == "f" and a.itemsize < b.itemsize


def materialize(term: Any, old: Variable,
                rebuild: Callable[[Callable], Any] | None = None) -> Variable | None:
    """Build ``term`` (a rule's reified output) as a replacement for ``old``, or ``None``.

    If the result would be computed in a narrower float type than ``old`` (an
    input was float32 but a float64 constant promoted the original), the term is
    built again from inputs cast to ``old``'s dtype: ``rebuild(upcast)`` gives the
    term for upcast inputs (by default the same term, its leaves cast).
    """
    if isvar(term) or term is None:
        return None
    since = basic.next_id()
    try:
        if isinstance(term, (Number, np.number, np.ndarray)) and not isinstance(term, Variable):
            new = constant(np.asarray(term, dtype=old.dtype))
        else:
            new = build(term)
            if isinstance(new, Variable) and _lower_precision(new, old):
                target = old.dtype

                def upcast(v: Variable) -> Variable:
                    if isinstance(v, Variable) and np.dtype(v.dtype).kind == "f" \
                            and np.dtype(v.dtype).itemsize < np.dtype(target).itemsize:
                        return cast(v, target)
                    return v

                if rebuild is not None:
                    new = build(rebuild(upcast))
                else:
                    new = build(term, leaf=upcast)
                if not isinstance(new, Variable) or _lower_precision(new, old):
                    return None
    except _BUILD_ERRORS as err:
        log.debug("could not build %s: %s", term, err)
        return None
    if not isinstance(new, Variable):
        if isinstance(new, (Number, np.number)):
            return fit_type(constant(np.asarray(new, dtype=old.dtype)), old, since)
        return None
    try:
        return fit_type(new, old, since)
    except _BUILD_ERRORS as err:
        log.debug("could not fit %s to %s: %s", new, old.type, err)
        return None
