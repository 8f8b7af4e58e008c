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
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.sort import ArgReduce
from aesara_cas.tensor.subtensor import getitem

x, i, j = var(), var(), var()
kind, axis, keepdims, sop, idx_a = var(), var(), var(), var(), var()
rkind, raxes, rkeep = var("rkind"), var("raxes"), var("rkeep")

#: Element-wise functions strictly increasing on all of the reals (no NaN for any
#: non-NaN input), so they keep the position of the largest and smallest element.
INCREASING = frozenset({
    "exp", "exp2", "expm1", "sigmoid", "softplus", "tanh", "arctan", "sinh", "arcsinh", "erf",
})


def _increasing(bd) -> bool:
    return bd[sop].name in INCREASING


def _shift_along_axis(bd) -> bool:
    """The subtracted reduction is constant along the arg-reduced axis (all axes for a
    flattened arg-reduction), and x is a float (integers may wrap around)."""
    ax, axes = bd[axis], bd[raxes]
    return is_float(bd[x]) and (axes is None or (ax is not None and ax in axes))


def _scaled_along_axis(bd) -> bool:
    """As :func:`_shift_along_axis`, for a sum that keeps its axes (else it is broadcast
    along other axes) or is over all of them (a scalar)."""
    axes = bd[raxes]
    return _shift_along_axis(bd) and (bd[rkeep] or axes is None
                                      or set(axes) == set(range(bd[x].ndim)))


def _is_single_array_index(bd) -> bool:
    entries = bd[idx_a]
    return len(entries) == 1 and entries[0][0] == "array"


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


argreduce_of_monotone = rule(
    etuple(etuple(ArgReduce, kind, axis, keepdims), etuple(etuple(E.Elemwise, sop), x)),
    etuple(etuple(ArgReduce, kind, axis, keepdims), x), where=_increasing,
    name="argreduce_of_monotone",
    doc="argmax(f(x)) -> argmax(x) (argmin likewise) for f strictly increasing on the reals "
        "(exp, sigmoid, tanh, ...: the table INCREASING), any axis.  The result is the "
        "position in exact arithmetic: f(x) may round distinct elements to one value (exp "
        "overflowing to inf), where the original picks the first of them.",
)


def _neg_rule(kind_in: str, kind_out: str):
    return rule(
        etuple(etuple(ArgReduce, kind_in, axis, keepdims), etuple(E.neg, x)),
        etuple(etuple(ArgReduce, kind_out, axis, keepdims), x), where=lambda bd: is_float(bd[x]),
        name=f"{kind_in}_of_neg",
        doc=f"{kind_in}(-x) -> {kind_out}(x) for floating-point x, any axis (negation "
            "reverses the order; for integers -x wraps around at the minimum).",
    )


argmax_of_neg, argmin_of_neg = _neg_rule("argmax", "argmin"), _neg_rule("argmin", "argmax")
argreduce_of_shift = rule(
    etuple(etuple(ArgReduce, kind, axis, keepdims),
           etuple(E.sub, x, etuple(etuple(Reduce, rkind, raxes, True), x))),
    etuple(etuple(ArgReduce, kind, axis, keepdims), x), where=_shift_along_axis,
    normalize=True, name="argreduce_of_shift",
    doc="argmax(x - r(x, axis=a, keepdims=True), axis=b) -> argmax(x, axis=b) (argmin "
        "likewise) for float x, any reduction r over axes a that include b: each slice "
        "along b is shifted by one constant.  argmax(log_softmax(x)) is argmax(x).  As "
        "there, the position in exact arithmetic (the shift may round distinct elements to "
        "one value), for finite r.",
)
argreduce_of_softmax = rule(
    etuple(etuple(ArgReduce, kind, axis, keepdims),
           etuple(E.mul, etuple(E.exp, x),
                  etuple(E.pow, etuple(etuple(Reduce, "sum", raxes, rkeep), etuple(E.exp, x)),
                         -1))),
    etuple(etuple(ArgReduce, kind, axis, keepdims), x), where=_scaled_along_axis,
    normalize=True, name="argreduce_of_softmax",
    doc="argmax(exp(x) / sum(exp(x), axis=a, keepdims=True), axis=b) -> argmax(x, axis=b) "
        "(argmin likewise) for float x, axes a that include b (or a scalar sum over all "
        "axes): each slice along b is "
        "divided by one positive number, after an increasing exp.  With "
        "argreduce_of_shift, argmax(softmax(x)) is argmax(x).  The position in exact "
        "arithmetic (the quotient may round distinct elements to one value).",
)
gather_of_gather = rule(
    etuple(etuple(AdvancedSubtensor, idx_a), etuple(etuple(AdvancedSubtensor, (("array", 1),)),
                                                    x, i), j),
    etuple(etuple(AdvancedSubtensor, idx_a), x, etuple(etuple(AdvancedSubtensor, idx_a), i, j)),
    where=_is_single_array_index, name="gather_of_gather",
    doc="x[i][j] -> x[i[j]] for integer arrays i (1-d) and j, for all x: one gather, and the "
        "intermediate x[i] is never built (out-of-range indices are an IndexError either way; "
        "i[j] has j's number of dimensions, so the outer index keeps its form).",
)
gather_of_range = rule(
    etuple(etuple(AdvancedSubtensor, idx_a), x, i), _gather_of_range, name="gather_of_range",
    doc="x[[a, a+1, ..., b]] -> x[a:b+1] for a constant run of consecutive in-range indices "
        "(with slices around it): a view instead of a copy.  "
        "Python: the constant indices are checked for a run and turned into a slice.",
)

RULES = [argreduce_of_monotone, argmax_of_neg, argmin_of_neg, argreduce_of_shift,
         argreduce_of_softmax, gather_of_gather, gather_of_range]
