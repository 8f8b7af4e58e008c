"""Basic indexing: ``x[1, 2:5, None, ...]`` (``Subtensor``) and its scatter (``IncSubtensor``).

An index is stored as a tuple of entries in the op's props: ``("int", i)``,
``("slice", start, stop, step)`` or ``("newaxis",)``.  A part known when the
graph is built is a Python int (or ``None`` in a slice); a symbolic part is the
marker ``"?"`` and its value is the next extra input of the node.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Constant, Op, Variable
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable

SYMBOLIC = "?"


def _index_part(value: Any, what: str) -> tuple[Any, list[Variable]]:
    """A static int or ``None``, or the symbolic marker with its scalar variable."""
    if value is None:
        return None, []
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), []
    if isinstance(value, Constant) and value.ndim == 0 and value.dtype[0] in "iu":
        return int(value.data), []
    if isinstance(value, Variable):
        if value.ndim != 0 or value.dtype[0] not in "iu":
            raise TypeError(
                f"{what} must be an integer scalar; got {value!r} of type {value.type} "
                "(only basic indexing with ints, slices, None and ... is supported)"
            )
        return SYMBOLIC, [value]
    raise TypeError(
        f"{what} must be an int, a slice, None or ...; got {type(value).__name__} "
        "(advanced indexing with arrays is not supported)"
    )


def normalize_index(index: Any, ndim: int) -> tuple[tuple, list[Variable]]:
    """``index`` as an idx_list (props) and the symbolic parts (extra inputs)."""
    if not isinstance(index, tuple):
        index = (index,)
    n_ellipsis = sum(1 for i in index if i is Ellipsis)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(1 for i in index if i is not None and i is not Ellipsis)
    if consumed > ndim:
        raise IndexError(f"too many indices: {consumed} for an array with {ndim} dimension(s)")
    expanded = []
    for i in index:
        if i is Ellipsis:
            expanded.extend([slice(None)] * (ndim - consumed))
        else:
            expanded.append(i)
    entries: list[tuple] = []
    symbolic: list[Variable] = []
    for i in expanded:
        if i is None:
            entries.append(("newaxis",))
        elif isinstance(i, slice):
            parts = []
            for name, v in (("start", i.start), ("stop", i.stop), ("step", i.step)):
                p, s = _index_part(v, f"slice {name}")
                parts.append(p)
                symbolic.extend(s)
            if parts[2] == 0:
                raise ValueError("slice step cannot be zero")
            entries.append(("slice", *parts))
        else:
            p, s = _index_part(i, "index")
            entries.append(("int", p))
            symbolic.extend(s)
    return tuple(entries), symbolic


def build_index(idx_list: tuple, symbolic_values: list[Any]) -> tuple:
    """The NumPy index tuple from an idx_list and the values of its symbolic parts."""
    it = iter(symbolic_values)

    def part(p):
        return int(next(it)) if p == SYMBOLIC else p

    out = []
    for entry in idx_list:
        if entry[0] == "newaxis":
            out.append(None)
        elif entry[0] == "int":
            out.append(part(entry[1]))
        else:
            out.append(slice(part(entry[1]), part(entry[2]), part(entry[3])))
    return tuple(out)


def indexed_shape(idx_list: tuple, shape: tuple) -> tuple:
    """The static shape of ``x[index]`` for ``x`` of static ``shape``."""
    out = []
    axis = 0
    for entry in idx_list:
        if entry[0] == "newaxis":
            out.append(1)
            continue
        n = shape[axis]
        if entry[0] == "int":
            if n is not None and entry[1] != SYMBOLIC and not -n <= entry[1] < n:
                raise IndexError(f"index {entry[1]} is out of bounds for axis {axis} with size {n}")
        else:
            parts = entry[1:]
            if n is not None and SYMBOLIC not in parts:
                out.append(len(range(n)[slice(*parts)]))
            elif parts == (None, None, None):
                out.append(n)
            else:
                out.append(None)
        axis += 1
    out.extend(shape[axis:])
    return tuple(out)


def _index_str(idx_list: tuple) -> str:
    def p(v):
        return "" if v is None else str(v)

    parts = []
    for entry in idx_list:
        if entry[0] == "newaxis":
            parts.append("None")
        elif entry[0] == "int":
            parts.append(p(entry[1]))
        else:
            s = f"{p(entry[1])}:{p(entry[2])}"
            if entry[3] is not None:
                s += f":{p(entry[3])}"
            parts.append(s)
    return ", ".join(parts)


class Subtensor(Op):
    """``x[index]`` with basic indexing; the result is a view in the NumPy backend."""

    __props__ = ("idx_list",)

    def __init__(self, idx_list: tuple):
        self.idx_list = idx_list
        self._freeze()

    def __str__(self) -> str:
        return f"getitem[{_index_str(self.idx_list)}]"

    def make_node(self, x: Any, *symbolic: Any) -> Apply:
        x = as_tensor_variable(x)
        symbolic = [as_tensor_variable(s) for s in symbolic]
        shape = indexed_shape(self.idx_list, x.type.shape)
        return Apply(self, [x, *symbolic], [TensorType(x.dtype, shape)])

    def perform(self, node, inputs):
        x, *sym = inputs
        return [np.asarray(x[build_index(self.idx_list, sym)])]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.op_grads import subtensor_L_op

        return subtensor_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.op_grads import subtensor_R_op

        return subtensor_R_op(self, node, inputs, eval_points)


def getitem(x: Any, index: Any) -> Variable:
    """``x[index]``: basic indexing (a view), or advanced indexing when the index holds
    integer arrays or boolean masks (see :mod:`aesara_cas.tensor.advanced`)."""
    from aesara_cas.tensor.advanced import advanced_getitem, is_advanced_index

    x = as_tensor_variable(x)
    if is_advanced_index(index):
        return advanced_getitem(x, index)
    idx_list, symbolic = normalize_index(index, x.ndim)
    if all(e == ("slice", None, None, None) for e in idx_list) and len(idx_list) <= x.ndim:
        return x
    return Subtensor(idx_list)(x, *symbolic)


class IncSubtensor(Op):
    """A copy of ``x`` with ``y`` added to (or written into) ``x[index]``.

    With ``inplace=True`` (set only by compilation, see
    :mod:`aesara_cas.tensor.inplace`) ``x``'s own buffer is updated and returned.
    """

    __props__ = ("idx_list", "set_instead_of_inc", "inplace")

    def __init__(self, idx_list: tuple, set_instead_of_inc: bool = False,
                 inplace: bool = False):
        self.idx_list = idx_list
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self.inplace = bool(inplace)
        self._freeze()

    def __str__(self) -> str:
        verb = "set" if self.set_instead_of_inc else "inc"
        extra = "{inplace}" if self.inplace else ""
        return f"{verb}_subtensor{extra}[{_index_str(self.idx_list)}]"

    def with_inplace(self, inplace: bool) -> IncSubtensor:
        return IncSubtensor(self.idx_list, self.set_instead_of_inc, inplace)

    def make_node(self, x: Any, y: Any, *symbolic: Any) -> Apply:
        x = as_tensor_variable(x)
        y = as_tensor_variable(y)
        symbolic = [as_tensor_variable(s) for s in symbolic]
        from aesara_cas.tensor.elemwise import broadcast_shapes

        target = indexed_shape(self.idx_list, x.type.shape)
        if y.ndim > len(target):
            raise ValueError(f"cannot assign {y.ndim} dimension(s) into {len(target)}")
        broadcast_shapes([target, y.type.shape], "the value and the indexed region")
        return Apply(self, [x, y, *symbolic], [x.type])

    def perform(self, node, inputs):
        x, y, *sym = inputs
        writable = isinstance(x, np.ndarray) and x.flags.writeable
        out = x if self.inplace and writable else np.array(x, copy=True)
        idx = build_index(self.idx_list, sym)
        if self.set_instead_of_inc:
            out[idx] = y
        else:
            out[idx] += y
        return [out]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.op_grads import incsubtensor_L_op

        return incsubtensor_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.op_grads import incsubtensor_R_op

        return incsubtensor_R_op(self, node, inputs, eval_points)


def inc_subtensor(target: Variable, value: Any) -> Variable:
    """``x`` with ``value`` added at ``x[index]``, given ``target = x[index]``.

    For an advanced index, repeated indices accumulate (``numpy.add.at``).
    """
    return _scatter(target, value, False)


def set_subtensor(target: Variable, value: Any) -> Variable:
    """``x`` with ``value`` written at ``x[index]``, given ``target = x[index]`` (for an
    advanced index with repeated entries, the last value is kept, as in NumPy)."""
    return _scatter(target, value, True)


def _scatter(target: Variable, value: Any, set_: bool) -> Variable:
    from aesara_cas.tensor.advanced import AdvancedIncSubtensor, AdvancedSubtensor

    op = getattr(target.owner, "op", None)
    if isinstance(op, AdvancedSubtensor):
        x, *rest = target.owner.inputs
        return AdvancedIncSubtensor(op.idx_list, set_)(x, value, *rest)
    if not isinstance(op, Subtensor):
        raise TypeError(
            "the first argument must be an indexed variable such as x[1:3] or x[idx], got "
            f"{target!r}"
        )
    x, *sym = target.owner.inputs
    return IncSubtensor(op.idx_list, set_)(x, value, *sym)
