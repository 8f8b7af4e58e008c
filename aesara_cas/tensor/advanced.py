"""Advanced indexing: ``x[idx]``, ``x[mask]`` (mixed with ints, slices, ``None``, ``...``),
its scatter (``set_subtensor``/``inc_subtensor``) and ``take``.

An index is an idx_list as in :mod:`~aesara_cas.tensor.subtensor`, with two more
kinds of entry: ``("array", ndim)`` for an integer array and ``("mask", ndim)`` for
a boolean array.  Arrays are always extra inputs of the node (constants included),
after the input (and the value, for a scatter), in index order.

NumPy's rules apply, including where the indexed dimensions go: when the advanced
entries (arrays, masks and the integers among them) are next to each other in the
index, the broadcast index dimensions replace them in place; otherwise they come
first.  A mask of ``k`` dimensions consumes ``k`` dimensions and gives one of
unknown length (its count of true elements).

Increments accumulate over repeated indices, as ``numpy.add.at``; writes with
repeated indices keep the last value, as NumPy's assignment does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Constant, Op, Variable
from aesara_cas.tensor.subtensor import SYMBOLIC, _index_part
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable, constant

__all__ = [
    "AdvancedIncSubtensor", "AdvancedSubtensor", "advanced_getitem", "is_advanced_index", "take",
]


def _is_array_like(i: Any) -> bool:
    """Whether an index entry is advanced (an array, a list, or a boolean scalar)."""
    if isinstance(i, (bool, np.bool_)):
        return True
    if isinstance(i, (list, np.ndarray)):
        return True
    if isinstance(i, Variable):
        return i.ndim > 0 or i.dtype == "bool"
    return False


def is_advanced_index(index: Any) -> bool:
    """Whether ``x[index]`` needs advanced indexing."""
    if not isinstance(index, tuple):
        index = (index,)
    return any(_is_array_like(i) for i in index)


def _as_index_array(value: Any) -> Variable:
    """An index array as a variable; float (or other) arrays are an IndexError."""
    if isinstance(value, Variable):
        var = value
    else:
        arr = np.asarray(value)
        if arr.size == 0 and arr.dtype.kind == "f" and isinstance(value, list):
            arr = arr.astype("int64")  # NumPy reads an empty list as an empty int index
        if arr.dtype.kind not in "biu":
            raise IndexError(
                f"index: arrays used as indices must be of integer or boolean type, got "
                f"{value!r} of dtype {arr.dtype}"
            )
        var = constant(arr)
    if var.dtype[0] not in "biu":
        raise IndexError(
            f"index: arrays used as indices must be of integer or boolean type, got {var!r} "
            f"of type {var.type}"
        )
    return var


def normalize_advanced_index(index: Any, ndim: int) -> tuple[tuple, list[Variable]]:
    """``index`` as an idx_list and the node's extra inputs (symbolic parts, arrays)."""
    if not isinstance(index, tuple):
        index = (index,)
    items: list[Any] = []
    for i in index:
        if _is_array_like(i):
            items.append(_as_index_array(i))
        else:
            items.append(i)
    if sum(1 for i in items if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")

    def consumes(i):
        if i is None or i is Ellipsis:
            return 0
        if isinstance(i, Variable) and i.dtype == "bool":
            return i.ndim
        return 1

    consumed = sum(consumes(i) for i in items)
    if consumed > ndim:
        raise IndexError(f"too many indices: {consumed} for an array with {ndim} dimension(s)")
    entries: list[tuple] = []
    inputs: list[Variable] = []
    for i in items:
        if i is Ellipsis:
            entries.extend([("slice", None, None, None)] * (ndim - consumed))
        elif i is None:
            entries.append(("newaxis",))
        elif isinstance(i, slice):
            parts = []
            for name, v in (("start", i.start), ("stop", i.stop), ("step", i.step)):
                p, s = _index_part(v, f"slice {name}")
                parts.append(p)
                inputs.extend(s)
            if parts[2] == 0:
                raise ValueError("slice step cannot be zero")
            entries.append(("slice", *parts))
        elif isinstance(i, Variable) and (i.ndim > 0 or i.dtype == "bool"):
            entries.append(("mask" if i.dtype == "bool" else "array", i.ndim))
            inputs.append(i)
        else:
            p, s = _index_part(i, "index")
            entries.append(("int", p))
            inputs.extend(s)
    return tuple(entries), inputs


def _numpy_index(idx_list: tuple, values: list[Any]) -> tuple:
    it = iter(values)

    def part(p):
        return int(next(it)) if p == SYMBOLIC else p

    out: list[Any] = []
    for entry in idx_list:
        kind = entry[0]
        if kind == "newaxis":
            out.append(None)
        elif kind == "int":
            out.append(part(entry[1]))
        elif kind == "slice":
            out.append(slice(part(entry[1]), part(entry[2]), part(entry[3])))
        else:
            out.append(np.asarray(next(it)))
    return tuple(out)


def _check_constant_index(kind: str, arr: np.ndarray, dims: tuple, axis: int) -> None:
    """Build-time check of a constant index array against the static lengths it indexes."""
    if kind == "mask":
        for k, n in enumerate(dims):
            if n is not None and arr.shape[k] != n:
                raise IndexError(
                    f"index: boolean index did not match the indexed array along axis "
                    f"{axis + k}; size of axis is {n} but size of corresponding boolean "
                    f"axis is {arr.shape[k]}"
                )
        return
    n = dims[0]
    if n is not None and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < -n or hi >= n:
            bad = lo if lo < -n else hi
            raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")


def indexed_shape(idx_list: tuple, shape: tuple, index_inputs: list[Variable]) -> tuple:
    """The static shape of ``x[index]`` (NumPy's placement of the advanced dimensions)."""
    from aesara_cas.tensor.elemwise import broadcast_shapes

    it = iter(index_inputs)
    pieces: list[Any] = []  # static lengths, or "ADV" at each advanced entry
    adv_shapes = []
    adv_positions = []
    axis = 0
    for pos, entry in enumerate(idx_list):
        kind = entry[0]
        if kind == "newaxis":
            pieces.append(1)
            continue
        if kind in ("array", "mask"):
            var = next(it)
            k = entry[1] if kind == "mask" else 1
            dims = tuple(shape[axis:axis + k])
            if isinstance(var, Constant):
                _check_constant_index(kind, np.asarray(var.data), dims, axis)
            if kind == "mask":
                count = int(np.count_nonzero(var.data)) if isinstance(var, Constant) else None
                adv_shapes.append((count,))
            else:
                adv_shapes.append(var.type.shape)
            adv_positions.append(pos)
            pieces.append("ADV")
            axis += k
            continue
        n = shape[axis]
        if kind == "int":
            if entry[1] == SYMBOLIC:
                next(it)
            elif n is not None and not -n <= entry[1] < n:
                raise IndexError(f"index {entry[1]} is out of bounds for axis {axis} with size {n}")
            adv_shapes.append(())
            adv_positions.append(pos)
            pieces.append("ADV")
        else:
            parts = entry[1:]
            for p in parts:
                if p == SYMBOLIC:
                    next(it)
            if n is not None and SYMBOLIC not in parts:
                pieces.append(len(range(n)[slice(*parts)]))
            elif parts == (None, None, None):
                pieces.append(n)
            else:
                pieces.append(None)
        axis += 1
    try:
        bshape = broadcast_shapes(adv_shapes, "the index arrays")
    except ValueError as err:
        raise IndexError(f"shape mismatch: {err}") from None
    contiguous = adv_positions == list(range(adv_positions[0], adv_positions[-1] + 1))
    rest = [p for p in pieces if p != "ADV"]
    if contiguous:
        first = pieces.index("ADV")
        out = pieces[:first] + list(bshape) + [p for p in pieces[first:] if p != "ADV"]
    else:
        out = list(bshape) + rest
    out.extend(shape[axis:])
    return tuple(out)


def _index_str(idx_list: tuple) -> str:
    """The index as text; every input (symbolic part, array) is a ``?`` marker."""
    from aesara_cas.tensor.subtensor import _index_str as basic

    parts = []
    for entry in idx_list:
        parts.append("?" if entry[0] in ("array", "mask") else basic((entry,)))
    return ", ".join(parts)


def _described(node: Apply, idx_list: tuple, n_lead: int) -> str:
    """``x[i, 1:]`` with the node's input names (``?`` for unnamed ones), for messages."""
    def name(v):
        return v.name if v.name is not None else ("?" if not isinstance(v, Constant) else "<const>")

    pieces = _index_str(idx_list).split("?")
    names = [name(v) for v in node.inputs[n_lead:]]
    text = "".join(p + (names[k] if k < len(names) else "") for k, p in enumerate(pieces))
    return f"{name(node.inputs[0])}[{text}]"


def _index_error(node: Apply, idx_list: tuple, n_lead: int, err: Exception) -> IndexError:
    return IndexError(f"{_described(node, idx_list, n_lead)}: {err}")


class AdvancedSubtensor(Op):
    """``x[index]`` with integer-array or boolean-mask entries (a new array, a gather)."""

    __props__ = ("idx_list",)

    def __init__(self, idx_list: tuple):
        self.idx_list = idx_list
        self._freeze()

    def __str__(self) -> str:
        return f"getitem[{_index_str(self.idx_list)}]"

    def make_node(self, x: Any, *index_inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        index_inputs = [as_tensor_variable(i) for i in index_inputs]
        shape = indexed_shape(self.idx_list, x.type.shape, index_inputs)
        return Apply(self, [x, *index_inputs], [TensorType(x.dtype, shape)])

    def perform(self, node, inputs):
        x, *rest = inputs
        idx = _numpy_index(self.idx_list, rest)
        try:
            return [_gather(x, idx)]
        except IndexError as err:
            raise _index_error(node, self.idx_list, 1, err) from None

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.grad_ops import is_float, zeros_like

        (x, *rest), (gz,) = inputs, output_grads
        none = [None] * len(rest)
        if gz is None or not is_float(x):
            return [None, *none]
        return [AdvancedIncSubtensor(self.idx_list)(zeros_like(x), gz, *rest), *none]

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.grad_ops import fit, is_float

        t = eval_points[0]
        if t is None or not is_float(inputs[0]):
            return [None]
        return [fit(self.make_node(t, *inputs[1:]).outputs[0], node.outputs[0])]


def _single_array_axis0(idx: tuple) -> bool:
    return len(idx) == 1 and isinstance(idx[0], np.ndarray) and idx[0].dtype.kind in "iu"


def _gather(x: np.ndarray, idx: tuple) -> np.ndarray:
    if _single_array_axis0(idx) and x.ndim >= 1:
        # np.take is about twice as fast as fancy indexing for the common x[idx].
        return np.take(x, idx[0], axis=0)
    return np.asarray(x[idx])


def _scatter_add(out: np.ndarray, idx: tuple, y: np.ndarray) -> None:
    """``out[idx] += y`` accumulating over repeated indices (``np.add.at``)."""
    np.add.at(out, idx, y)


class AdvancedIncSubtensor(Op):
    """A copy of ``x`` with ``y`` added to (``np.add.at``) or written into ``x[index]``
    for an advanced index (``x`` itself updated with ``inplace=True``, which only
    compilation sets: see :mod:`aesara_cas.tensor.inplace`)."""

    __props__ = ("idx_list", "set_instead_of_inc", "inplace")

    def __init__(self, idx_list: tuple, set_instead_of_inc: bool = False,
                 inplace: bool = False):
        self.idx_list = idx_list
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self.inplace = bool(inplace)
        self._freeze()

    def __str__(self) -> str:
        extra = "{inplace}" if self.inplace else ""
        return f"{self.print_name}{extra}[{_index_str(self.idx_list)}]"

    def with_inplace(self, inplace: bool) -> AdvancedIncSubtensor:
        return AdvancedIncSubtensor(self.idx_list, self.set_instead_of_inc, inplace)

    @property
    def print_name(self) -> str:
        return "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"

    def make_node(self, x: Any, y: Any, *index_inputs: Any) -> Apply:
        from aesara_cas.tensor.elemwise import broadcast_shapes

        x, y = as_tensor_variable(x), as_tensor_variable(y)
        index_inputs = [as_tensor_variable(i) for i in index_inputs]
        target = indexed_shape(self.idx_list, x.type.shape, index_inputs)
        if y.ndim > len(target):
            raise ValueError(
                f"{self}: cannot assign a value of {y.ndim} dimension(s) into an indexed "
                f"region of {len(target)}"
            )
        broadcast_shapes([target, y.type.shape], f"{self}: the value and the indexed region")
        if not self.set_instead_of_inc and not np.can_cast(y.dtype, x.dtype, "same_kind"):
            raise TypeError(f"{self}: cannot add values of dtype {y.dtype} to {x.dtype}")
        return Apply(self, [x, y, *index_inputs], [x.type])

    def perform(self, node, inputs):
        x, y, *rest = inputs
        idx = _numpy_index(self.idx_list, rest)
        writable = isinstance(x, np.ndarray) and x.flags.writeable
        out = x if self.inplace and writable else np.array(x, copy=True)
        y = np.asarray(y)
        try:
            if self.set_instead_of_inc:
                out[idx] = y
            else:
                _scatter_add(out, idx, y)
        except IndexError as err:
            raise _index_error(node, self.idx_list, 2, err) from None
        except ValueError as err:
            raise ValueError(f"{self.print_name} of {_described(node, self.idx_list, 2)}: "
                             f"{err}") from None
        return [out]

    def connection_pattern(self, node):
        return [[True], [True]] + [[False]] * (len(node.inputs) - 2)

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.grad_ops import fit, is_float, sum_to_like

        (x, y, *rest), (gz,) = inputs, output_grads
        none = [None] * len(rest)
        if gz is None:
            return [None, None, *none]
        gx = None
        if is_float(x):
            gx = AdvancedIncSubtensor(self.idx_list, True)(gz, 0, *rest) \
                if self.set_instead_of_inc else gz
        gy = None
        if is_float(y):
            gy = fit(sum_to_like(AdvancedSubtensor(self.idx_list)(gz, *rest), y), y)
        return [gx, gy, *none]

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.grad_ops import fit, is_float, zeros_like

        (x, y, *rest), (tx, ty, *_) = inputs, eval_points
        if not is_float(x):
            return [None]
        ty = ty if ty is not None and is_float(y) else None
        if tx is None and ty is None:
            return [None]
        base = tx if tx is not None else zeros_like(x)
        if ty is None:
            if not self.set_instead_of_inc:
                return [base]
            ty = 0
        return [fit(self.make_node(base, ty, *rest).outputs[0], node.outputs[0])]


def advanced_getitem(x: Variable, index: Any) -> Variable:
    """``x[index]`` for an index with integer arrays or boolean masks."""
    idx_list, inputs = normalize_advanced_index(index, x.ndim)
    return AdvancedSubtensor(idx_list)(x, *inputs)


def take(a: Any, indices: Any, axis: int | None = None) -> Variable:
    """Elements of ``a`` at ``indices`` along ``axis`` (``np.take``; the flattened ``a`` when
    ``axis`` is None).  Out-of-range indices are an IndexError, as with ``mode='raise'``."""
    from aesara_cas.tensor.shape import flatten

    a = as_tensor_variable(a)
    if isinstance(indices, Variable):
        idx = indices
    else:
        idx = _as_index_array(indices)
    if idx.dtype[0] not in "iu":
        raise IndexError(f"take: indices must be integers, got {idx!r} of type {idx.type}")
    if axis is None:
        a, axis = flatten(a), 0
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"take: axis must be an int or None, got {axis!r}")
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"take: axis {axis} is out of bounds for {a.ndim} dimension(s)")
    axis = int(axis) % a.ndim
    if idx.ndim == 0:
        from aesara_cas.tensor.subtensor import getitem

        return getitem(a, (slice(None),) * axis + (idx,))
    idx_list = (("slice", None, None, None),) * axis + (("array", idx.ndim),)
    return AdvancedSubtensor(idx_list)(a, idx)
