"""Rules for indexing and arg-reductions (in the ``canonicalize`` set).

``argmax(f(x)) -> argmax(x)`` for a strictly increasing element-wise ``f`` (and
``argmax(-x) -> argmin(x)``) drops work the result does not depend on; a gather
of a gather becomes one gather of the composed index, so the intermediate
(often the large one: ``W[idx]`` of an embedding table) is never built; a gather
at a constant run of consecutive indices becomes a basic slice, a view.
"""

from __future__ import annotations

import numpy as np
from etuples import etuple
from unification import var

from aesara_cas.graph.basic import Constant
from aesara_cas.rewriting.rule import rule
from aesara_cas.rewriting.terms import is_float
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.advanced import AdvancedSubtensor
from aesara_cas.tensor.scalar import Cast
from aesara_cas.tensor.sort import ArgReduce
from aesara_cas.tensor.subtensor import getitem

x, i, j = var(), var(), var()

#: Element-wise functions strictly increasing on all of the reals (no NaN for any
#: non-NaN input), so they keep the position of the largest and smallest element.
INCREASING = frozenset({
    "exp", "exp2", "expm1", "sigmoid", "softplus", "tanh", "arctan", "sinh", "arcsinh", "erf",
})


def _argreduce_of_monotone(bd):
    node = bd.term.owner
    inner = node.inputs[0].owner
    op = inner.op
    if not isinstance(op, E.Elemwise) or isinstance(op.scalar_op, Cast):
        return None
    name = op.scalar_op.name
    arg = inner.inputs[0]
    if name in INCREASING:
        return node.op.make_node(arg).outputs[0]
    if name == "neg" and is_float(arg):
        flipped = "argmin" if node.op.kind == "argmax" else "argmax"
        return ArgReduce(flipped, node.op.axis, node.op.keepdims)(arg)
    return None


def _gather_of_gather(bd):
    outer, inner = bd.term.owner, bd.term.owner.inputs[0].owner
    if inner.op.idx_list != (("array", 1),) or len(outer.op.idx_list) != 1 \
            or outer.op.idx_list[0][0] != "array":
        return None
    idx = inner.inputs[1]
    composed = AdvancedSubtensor(outer.op.idx_list)(idx, outer.inputs[1])
    return AdvancedSubtensor((("array", composed.ndim),))(inner.inputs[0], composed)


def _gather_of_range(bd):
    node = bd.term.owner
    entries = node.op.idx_list
    idx = bd[i]
    if [e[0] for e in entries].count("array") != 1 or any(e[0] in ("mask", "int")
                                                           for e in entries):
        return None
    if not isinstance(idx, Constant) or idx.ndim != 1 or idx.data.size == 0:
        return None
    data = np.asarray(idx.data)
    if data[0] < 0 or not np.array_equal(data, np.arange(data[0], data[0] + data.size)):
        return None
    index = []
    for entry in entries:  # the node has one index input: every slice part is static
        if entry[0] == "newaxis":
            index.append(None)
        elif entry[0] == "slice":
            index.append(slice(*entry[1:]))
        else:
            axis_ = len([e for e in index if e is not None])
            length = node.inputs[0].type.shape[axis_]
            if length is None or data[-1] >= length:
                return None  # out of bounds must stay an IndexError
            index.append(slice(int(data[0]), int(data[-1]) + 1))
    return getitem(node.inputs[0], tuple(index))


kind, axis, keepdims, sop, idx_a, idx_b = var(), var(), var(), var(), var(), var()

argreduce_of_monotone = rule(
    etuple(etuple(ArgReduce, kind, axis, keepdims), etuple(etuple(E.Elemwise, sop), x)),
    _argreduce_of_monotone, name="argreduce_of_monotone",
    doc="argmax(f(x)) -> argmax(x) (argmin likewise) for f strictly increasing on the reals "
        "(exp, sigmoid, tanh, ...), any axis; argmax(-x) -> argmin(x) for floats.  The result "
        "is the position in exact arithmetic: f(x) may round distinct elements to one value "
        "(exp overflowing to inf), where the original picks the first of them.  "
        "Python: the op of the match is looked up among the monotone ones (and its direction).",
)
gather_of_gather = rule(
    etuple(etuple(AdvancedSubtensor, idx_a), etuple(etuple(AdvancedSubtensor, idx_b), x, i), j),
    _gather_of_gather, name="gather_of_gather",
    doc="x[i][j] -> x[i[j]] for integer arrays i (1-d) and j, for all x: one gather, and the "
        "intermediate x[i] is never built (out-of-range indices are an IndexError either way).  "
        "Python: the inner indices are gathered by the outer ones into a new index op.",
)
gather_of_range = rule(
    etuple(etuple(AdvancedSubtensor, idx_a), x, i), _gather_of_range, name="gather_of_range",
    doc="x[[a, a+1, ..., b]] -> x[a:b+1] for a constant run of consecutive in-range indices "
        "(with slices around it): a view instead of a copy.  "
        "Python: the constant indices are checked for a run and turned into a slice.",
)

RULES = [argreduce_of_monotone, gather_of_gather, gather_of_range]
