"""A rule's output built as the replacement of a node's output, of exactly its type.

:func:`materialize` builds a reified output term into graph variables; if a float
input was narrower than the result it replaces, the term is built again from
upcast inputs.  :func:`fit_type` casts and broadcasts the result back to the old
output's type when a rewrite dropped an input that only broadcast or promoted it
(``x * 0 -> 0``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from numbers import Number
from typing import Any

import numpy as np
from unification.variable import isvar

from aesara_cas.graph.basic import Variable
from aesara_cas.logic.build import TermError, build
from aesara_cas.tensor.elemwise import cast
from aesara_cas.tensor.shape import Shape, alloc
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


def fit_type(new: Variable, old: Variable) -> Variable | None:
    """``new`` made to have exactly ``old.type``, by a cast and/or a broadcast; or ``None``.

    A rewrite may drop an input that only broadcast the result (``x * 0 -> 0``)
    or changed its dtype; the replacement must still be of the same type, so
    the dtype is cast back and the shape restored with ``alloc`` from the
    shapes of the original node's inputs.
    """
    if new.type == old.type:
        return new
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
    dims = output_shape(old)
    if dims is None:
        return None
    out = alloc(new, *dims)
    return out if out.type == old.type else None


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
            return fit_type(constant(np.asarray(new, dtype=old.dtype)), old)
        return None
    try:
        return fit_type(new, old)
    except _BUILD_ERRORS as err:
        log.debug("could not fit %s to %s: %s", new, old.type, err)
        return None
