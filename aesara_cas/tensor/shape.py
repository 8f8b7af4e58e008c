"""Shape operations: ``Shape``, ``DimShuffle``, ``Reshape``, ``Join``, ``Alloc``, ``MakeVector``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Constant, Op, Variable
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable, constant


class Shape(Op):
    """The shape of an array, as an int64 vector."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (x.ndim,))])

    def perform(self, node, inputs):
        return [np.asarray(inputs[0].shape, dtype="int64")]

    def infer_shape(self, node, input_shapes):
        return [(len(input_shapes[0]),)]

    def connection_pattern(self, node):
        # The shape does not depend on the values: no gradient flows through it.
        return [[False]]

    def L_op(self, node, inputs, outputs, output_grads):
        return [None]

    def R_op(self, node, inputs, eval_points):
        return [None]


def shape(x: Any) -> Variable:
    """The shape of ``x``; a constant when every length is known statically."""
    x = as_tensor_variable(x)
    if all(s is not None for s in x.type.shape):
        return constant(np.asarray(x.type.shape, dtype="int64"))
    return Shape()(x)


class MakeVector(Op):
    """A vector built from scalars of one dtype."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str = "int64"):
        self.dtype = dtype
        self._freeze()

    def make_node(self, *scalars: Any) -> Apply:
        scalars = [as_tensor_variable(s) for s in scalars]
        for s in scalars:
            if s.ndim != 0:
                raise TypeError(f"MakeVector takes scalars, got {s!r} with {s.ndim} dimension(s)")
        return Apply(self, scalars, [TensorType(self.dtype, (len(scalars),))])

    def perform(self, node, inputs):
        return [np.asarray(inputs, dtype=self.dtype).reshape(len(inputs))]

    def infer_shape(self, node, input_shapes):
        return [(len(node.inputs),)]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.op_grads import makevector_L_op

        return makevector_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.op_grads import makevector_R_op

        return makevector_R_op(self, node, inputs, eval_points)


def as_shape_vector(shp: Any) -> Variable:
    """A shape given as ints, scalar variables or an int vector, as an int64 vector."""
    if isinstance(shp, Variable):
        if shp.ndim == 0:
            shp = [shp]
        elif shp.ndim == 1 and shp.dtype[0] in "iu":
            return shp
        else:
            raise TypeError(f"a shape must be an int vector or a sequence of ints, got {shp!r}")
    if isinstance(shp, (int, np.integer)):
        shp = (shp,)
    items = list(shp)
    if builtins.all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in items):
        return constant(np.asarray(items, dtype="int64").reshape(len(items)))
    parts = []
    for s in items:
        v = as_tensor_variable(s)
        if v.ndim != 0 or v.dtype[0] not in "iu":
            raise TypeError(f"shape entries must be integer scalars, got {s!r}")
        parts.append(v)
    return MakeVector("int64")(*parts)


def static_shape_entries(shp: Variable) -> list[int | None]:
    """The entries of a shape vector that are known statically (``None`` otherwise)."""
    if isinstance(shp, Constant):
        return [int(v) for v in shp.data]
    if shp.owner is not None and isinstance(shp.owner.op, MakeVector):
        return [int(i.data) if isinstance(i, Constant) else None for i in shp.owner.inputs]
    return [None] * (shp.type.shape[0] or 0)


class DimShuffle(Op):
    """Reorder, drop (length-1) and insert (``'x'``) dimensions: ``x.dimshuffle(1, 'x', 0)``."""

    __props__ = ("input_ndim", "new_order")

    def __init__(self, input_ndim: int, new_order: Sequence[int | str]):
        order = tuple(d if d == "x" else int(d) for d in new_order)
        kept = [d for d in order if d != "x"]
        if len(set(kept)) != len(kept) or builtins.any(not 0 <= d < input_ndim for d in kept):
            raise ValueError(
                f"invalid dimshuffle pattern {new_order!r} for an input with {input_ndim} "
                "dimension(s): each existing axis at most once, 'x' for a new axis"
            )
        self.input_ndim = input_ndim
        self.new_order = order
        self.drop = tuple(i for i in range(input_ndim) if i not in kept)
        self._freeze()

    def __str__(self) -> str:
        if self.is_transpose:
            return "transpose" if self.new_order == tuple(reversed(range(self.input_ndim))) \
                else f"transpose{{{self.new_order}}}"
        return f"dimshuffle{{{','.join(map(str, self.new_order))}}}"

    @property
    def is_transpose(self) -> bool:
        return not self.drop and "x" not in self.new_order and self.input_ndim > 1

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != self.input_ndim:
            raise ValueError(f"{self} expects {self.input_ndim} dimension(s), got {x.ndim}")
        for d in self.drop:
            if x.type.shape[d] not in (1, None):
                raise ValueError(
                    f"dimshuffle can only drop length-1 dimensions; dimension {d} has "
                    f"length {x.type.shape[d]}"
                )
        shape = tuple(1 if d == "x" else x.type.shape[d] for d in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def perform(self, node, inputs):
        (x,) = inputs
        if self.drop:
            for d in self.drop:
                if x.shape[d] != 1:
                    raise ValueError(
                        f"dimshuffle can only drop length-1 dimensions; dimension {d} has "
                        f"length {x.shape[d]}"
                    )
        kept = [d for d in self.new_order if d != "x"]
        y = np.transpose(x, kept + list(self.drop))
        y = y.reshape([1 if d == "x" else x.shape[d] for d in self.new_order])
        return [y]

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [tuple(1 if d == "x" else shape[d] for d in self.new_order)]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.op_grads import dimshuffle_L_op

        return dimshuffle_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.op_grads import dimshuffle_R_op

        return dimshuffle_R_op(self, node, inputs, eval_points)


def dimshuffle(x: Any, pattern: Sequence[int | str]) -> Variable:
    x = as_tensor_variable(x)
    op = DimShuffle(x.ndim, pattern)
    if op.new_order == tuple(range(x.ndim)):
        return x
    return op(x)


def _axes_in_range(axis: Any, ndim: int, what: str) -> list[int]:
    """``axis`` (an int or ints, negative counting from the end) as distinct
    non-negative axes below ``ndim``; out-of-range or repeated axes are a ValueError
    (as in NumPy), never wrapped around silently."""
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{what}: axes must be ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"{what}: axis {a} is out of bounds for {ndim} dimension(s)")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{what}: repeated axis in {axis!r}")
    return out


def transpose(x: Any, axes: Sequence[int] | None = None) -> Variable:
    """Permute the axes (reverse them by default), like ``np.transpose``."""
    x = as_tensor_variable(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(_axes_in_range(axes, x.ndim, "transpose"))
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"axes {axes} are not a permutation of {x.ndim} dimension(s)")
    return dimshuffle(x, axes)


def expand_dims(x: Any, axis: int | Sequence[int]) -> Variable:
    """Insert length-1 axes at ``axis`` (positions in the result), like ``np.expand_dims``."""
    x = as_tensor_variable(x)
    n_new = 1 if isinstance(axis, (int, np.integer)) else len(tuple(axis))
    out_ndim = x.ndim + n_new
    axes = sorted(_axes_in_range(axis, out_ndim, "expand_dims"))
    it = iter(range(x.ndim))
    pattern = ["x" if i in axes else next(it) for i in range(out_ndim)]
    return dimshuffle(x, pattern)


def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> Variable:
    """Drop length-1 axes (all statically known ones when ``axis`` is None)."""
    x = as_tensor_variable(x)
    if axis is None:
        drop = [i for i, s in enumerate(x.type.shape) if s == 1]
    else:
        drop = _axes_in_range(axis, x.ndim, "squeeze")
        for a in drop:
            if x.type.shape[a] not in (1, None):
                raise ValueError(f"cannot squeeze axis {a} of length {x.type.shape[a]}")
    return dimshuffle(x, [i for i in range(x.ndim) if i not in drop])


class Reshape(Op):
    """Give an array a new shape of ``ndim`` dimensions (one entry may be -1)."""

    __props__ = ("ndim",)

    def __init__(self, ndim: int):
        self.ndim = ndim
        self._freeze()

    def make_node(self, x: Any, shp: Any) -> Apply:
        x = as_tensor_variable(x)
        shp = as_shape_vector(shp)
        if shp.type.shape[0] is not None and shp.type.shape[0] != self.ndim:
            raise ValueError(f"reshape to {self.ndim} dimension(s) needs {self.ndim} lengths")
        entries = static_shape_entries(shp)
        if len(entries) != self.ndim:
            entries = [None] * self.ndim
        if entries.count(-1) > 1:
            raise ValueError("reshape: only one length can be -1")
        if builtins.any(e is not None and e < -1 for e in entries):
            raise ValueError(f"reshape: invalid length in {entries}")
        size = None
        if builtins.all(s is not None for s in x.type.shape):
            size = int(np.prod(x.type.shape, dtype=np.int64))
        if -1 in entries and size is not None and builtins.all(e is not None for e in entries):
            rest = int(np.prod([e for e in entries if e != -1], dtype=np.int64))
            if rest == 0 or size % rest:
                raise ValueError(
                    f"cannot reshape an array of size {size} into shape {tuple(entries)}"
                )
            entries = [size // rest if e == -1 else e for e in entries]
        known = size is not None and builtins.all(e is not None and e >= 0 for e in entries)
        if known and int(np.prod(entries, dtype=np.int64)) != size:
            raise ValueError(
                f"cannot reshape an array of shape {x.type.shape} into shape {tuple(entries)}"
            )
        static = tuple(e if e is not None and e >= 0 else None for e in entries)
        return Apply(self, [x, shp], [TensorType(x.dtype, static)])

    def perform(self, node, inputs):
        x, shp = inputs
        return [np.reshape(x, tuple(int(s) for s in shp))]

    def infer_shape(self, node, input_shapes):
        from aesara_cas.tensor.subtensor import getitem

        out = node.outputs[0]
        return [tuple(
            s if s is not None else getitem(Shape()(out), i)
            for i, s in enumerate(out.type.shape)
        )]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.op_grads import reshape_L_op

        return reshape_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.op_grads import reshape_R_op

        return reshape_R_op(self, node, inputs, eval_points)


def reshape(x: Any, shp: Any, ndim: int | None = None) -> Variable:
    """``x`` with shape ``shp`` (ints, scalar variables or an int vector)."""
    x = as_tensor_variable(x)
    shp = as_shape_vector(shp)
    if ndim is None:
        ndim = shp.type.shape[0]
        if ndim is None:
            raise ValueError("reshape with a symbolic shape vector of unknown length needs `ndim=`")
    return Reshape(ndim)(x, shp)


def flatten(x: Any, ndim: int = 1) -> Variable:
    """Collapse the trailing dimensions so the result has ``ndim`` dimensions."""
    x = as_tensor_variable(x)
    if not 1 <= ndim <= builtins.max(x.ndim, 1):
        raise ValueError(f"flatten to {ndim} dimension(s) from {x.ndim} is not possible")
    if x.ndim == ndim:
        return x
    if ndim == 1:
        return reshape(x, [-1])
    sh = x.shape
    # Static lengths stay ints so the result keeps its static shape.
    lead = [sh[i] if x.type.shape[i] is None else x.type.shape[i] for i in range(ndim - 1)]
    return reshape(x, [*lead, -1])


class Join(Op):
    """Concatenate arrays along ``axis`` (``np.concatenate``)."""

    __props__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = axis
        self._freeze()

    def make_node(self, *tensors: Any) -> Apply:
        if not tensors:
            raise ValueError("concatenate needs at least one array")
        tensors = [as_tensor_variable(t) for t in tensors]
        ndim = tensors[0].ndim
        if ndim == 0:
            raise ValueError("zero-dimensional arrays cannot be concatenated")
        if builtins.any(t.ndim != ndim for t in tensors):
            raise ValueError(
                "concatenate: all inputs need the same number of dimensions, got "
                f"{[t.ndim for t in tensors]}"
            )
        if not 0 <= self.axis < ndim:
            raise ValueError(f"axis {self.axis} is out of bounds for {ndim} dimension(s)")
        dtype = np.result_type(*[t.dtype for t in tensors]).name
        shape = []
        for d in range(ndim):
            lengths = [t.type.shape[d] for t in tensors]
            if d == self.axis:
                shape.append(None if None in lengths else builtins.sum(lengths))
            else:
                known = {n for n in lengths if n is not None}
                if len(known) > 1:
                    raise ValueError(
                        f"concatenate: input lengths differ in dimension {d}: {sorted(known)}"
                    )
                shape.append(known.pop() if known else None)
        return Apply(self, tensors, [TensorType(dtype, shape)])

    def perform(self, node, inputs):
        out = np.concatenate(inputs, axis=self.axis)
        return [out.astype(node.outputs[0].dtype, copy=False)]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.op_grads import join_L_op

        return join_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.op_grads import join_R_op

        return join_R_op(self, node, inputs, eval_points)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Variable:
    tensors = [as_tensor_variable(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate needs at least one array")
    ndim = tensors[0].ndim
    if ndim and not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for {ndim} dimension(s)")
    return Join(axis % ndim if ndim else axis)(*tensors)


def stack(tensors: Sequence[Any], axis: int = 0) -> Variable:
    """Join arrays of one shape along a new ``axis`` (``np.stack``)."""
    tensors = [as_tensor_variable(t) for t in tensors]
    if not tensors:
        raise ValueError("stack needs at least one array")
    ndim = tensors[0].ndim
    if builtins.any(t.ndim != ndim for t in tensors):
        raise ValueError("stack: all inputs need the same number of dimensions")
    if not -(ndim + 1) <= axis <= ndim:
        raise ValueError(f"axis {axis} is out of bounds for {ndim + 1} dimension(s)")
    axis = axis % (ndim + 1)
    for d in range(ndim):
        known = {t.type.shape[d] for t in tensors if t.type.shape[d] is not None}
        if len(known) > 1:
            raise ValueError(f"stack: all inputs must have the same shape; dimension {d} differs")
    return Join(axis)(*[expand_dims(t, axis) for t in tensors])


class Alloc(Op):
    """``value`` broadcast to a given shape (a fresh, writable array)."""

    def make_node(self, value: Any, *shape: Any) -> Apply:
        value = as_tensor_variable(value)
        dims = [as_tensor_variable(s) for s in shape]
        for d in dims:
            if d.ndim != 0 or d.dtype[0] not in "iu":
                raise TypeError(f"alloc: shape entries must be integer scalars, got {d!r}")
        if value.ndim > len(dims):
            raise ValueError("alloc: the value has more dimensions than the target shape")
        static = [int(d.data) if isinstance(d, Constant) else None for d in dims]
        return Apply(self, [value, *dims], [TensorType(value.dtype, static)])

    def perform(self, node, inputs):
        value, *dims = inputs
        out = np.empty(tuple(int(d) for d in dims), dtype=node.outputs[0].dtype)
        out[...] = value
        return [out]

    def infer_shape(self, node, input_shapes):
        return [tuple(node.inputs[1:])]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.op_grads import alloc_L_op

        return alloc_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.op_grads import alloc_R_op

        return alloc_R_op(self, node, inputs, eval_points)


def alloc(value: Any, *shape: Any) -> Variable:
    return Alloc()(value, *shape)


def broadcast_symbolic_shapes(input_shapes: list[tuple], static_shapes: list[tuple]) -> tuple:
    """The symbolic broadcast shape of element-wise inputs."""
    from aesara_cas.tensor.elemwise import maximum

    ndim = builtins.max((len(s) for s in input_shapes), default=0)
    out = []
    for axis in range(ndim):
        candidates = []
        known = None
        for sym, static in zip(input_shapes, static_shapes):
            k = axis - (ndim - len(sym))
            if k < 0:
                continue
            if static[k] is not None and static[k] != 1:
                known = static[k]
            elif static[k] is None:
                candidates.append(sym[k])
        if known is not None:
            out.append(constant(np.int64(known)))
        elif not candidates:
            out.append(constant(np.int64(1)))
        else:
            dim = candidates[0]
            for c in candidates[1:]:
                dim = maximum(dim, c)
            out.append(dim)
    return tuple(out)
