"""More of NumPy's array functions: ``round isfinite tile repeat diag trace tensordot split
vstack hstack``.

``tensordot``, ``vstack`` and ``hstack`` are built from existing operations (their
derivatives come from those); the others are small ops of their own with
``L_op``/``R_op`` where a derivative exists.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Constant, Op, Variable
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable, constant

__all__ = [
    "AllocDiagonal", "Diagonal", "IsFinite", "Repeat", "Round", "Split", "Tile", "diag",
    "diagonal", "hstack", "isfinite", "repeat", "round", "split", "tensordot", "tile", "trace",
    "vstack",
]


def _ints(values: Any, what: str) -> tuple[int, ...]:
    items = [values] if isinstance(values, (int, np.integer)) else list(values)
    for v in items:
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{what} must be ints, got {values!r}")
    return tuple(int(v) for v in items)


def _dim(x: Variable, axis: int) -> Variable:
    """``x.shape[axis]`` (a constant when known statically)."""
    n = x.type.shape[axis]
    if n is not None:
        return constant(np.int64(n))
    from aesara_cas.tensor.grad_ops import shape_ref
    from aesara_cas.tensor.shape import Shape

    return Shape()(shape_ref(x))[axis]


class Round(Op):
    """``np.round(x, decimals)``: round half to even; integers are left as they are for
    ``decimals >= 0``."""

    __props__ = ("decimals",)

    def __init__(self, decimals: int = 0):
        self.decimals = int(decimals)
        self._freeze()

    def pprint_call(self, args: list[str]) -> str:
        return f"round({', '.join(args)}{f', decimals={self.decimals}' if self.decimals else ''})"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [np.asarray(np.round(inputs[0], self.decimals), dtype=node.outputs[0].dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def L_op(self, node, inputs, outputs, output_grads):
        return [None]  # piecewise constant: zero almost everywhere

    def R_op(self, node, inputs, eval_points):
        return [None]


def round(x: Any, decimals: int = 0) -> Variable:
    """``x`` rounded to ``decimals`` decimals, halves to even (``np.round``)."""
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    return Round(decimals)(x)


class IsFinite(Op):
    """``np.isfinite``: neither infinite nor NaN (always true for integers)."""

    def __str__(self) -> str:
        return "isfinite"

    print_name = "isfinite"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("bool", x.type.shape)])

    def perform(self, node, inputs):
        return [np.asarray(np.isfinite(inputs[0]))]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [[False]]

    def L_op(self, node, inputs, outputs, output_grads):
        return [None]

    def R_op(self, node, inputs, eval_points):
        return [None]


_isfinite = IsFinite()


def isfinite(x: Any) -> Variable:
    """Element-wise: ``x`` is neither infinite nor NaN (``np.isfinite``)."""
    return _isfinite(x)


class Tile(Op):
    """``np.tile(x, reps)`` with ``len(reps) == x.ndim`` (the wrapper pads either side)."""

    __props__ = ("reps",)

    def __init__(self, reps: tuple[int, ...]):
        self.reps = tuple(reps)
        self._freeze()

    def pprint_call(self, args: list[str]) -> str:
        return f"tile({args[0]}, {self.reps})"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != len(self.reps):
            raise ValueError(f"tile: {len(self.reps)} repetitions for {x.ndim} dimension(s)")
        shape = [None if s is None else s * r for s, r in zip(x.type.shape, self.reps)]
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def perform(self, node, inputs):
        return [np.tile(inputs[0], self.reps)]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.grad_ops import fit, is_float
        from aesara_cas.tensor.reduction import Reduce
        from aesara_cas.tensor.shape import reshape

        (x,), (gz,) = inputs, output_grads
        if gz is None or not is_float(x):
            return [None]
        # gz viewed as (r0, n0, r1, n1, ...) summed over the repetition axes.
        dims = []
        for k, r in enumerate(self.reps):
            dims += [r, _dim(x, k)]
        g = reshape(gz, dims)
        summed = Reduce("sum", tuple(range(0, 2 * x.ndim, 2)))(g) if x.ndim else g
        return [fit(summed, x)]

    def R_op(self, node, inputs, eval_points):
        t = eval_points[0]
        return [None if t is None else self.make_node(t).outputs[0]]


def tile(x: Any, reps: int | Sequence[int]) -> Variable:
    """``x`` repeated ``reps`` times along each axis (``np.tile``)."""
    from aesara_cas.tensor.shape import expand_dims

    x = as_tensor_variable(x)
    reps = _ints(reps, "tile: reps")
    if builtins.any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative, got {reps}")
    if x.ndim < len(reps):
        x = expand_dims(x, tuple(range(len(reps) - x.ndim)))
    reps = (1,) * (x.ndim - len(reps)) + reps
    if builtins.all(r == 1 for r in reps):
        return x
    return Tile(reps)(x)


class Repeat(Op):
    """``np.repeat(x, repeats, axis)``; ``repeats`` is an integer scalar or vector input."""

    __props__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = axis
        self._freeze()

    def pprint_call(self, args: list[str]) -> str:
        return f"repeat({', '.join(args)}, axis={self.axis})"

    def make_node(self, x: Any, repeats: Any) -> Apply:
        x, repeats = as_tensor_variable(x), as_tensor_variable(repeats)
        if repeats.dtype[0] not in "iu" or repeats.ndim > 1:
            raise TypeError(f"repeat: repeats must be an int or a vector of ints, got "
                            f"{repeats.type}")
        n = x.type.shape[self.axis]
        length = None
        if isinstance(repeats, Constant):
            r = np.asarray(repeats.data)
            if np.any(r < 0):
                raise ValueError("repeat: repeats may not contain negative values")
            if r.ndim == 1 and n is not None and r.size not in (1, n):
                raise ValueError(f"repeat: {r.size} repeats for an axis of length {n}")
            if r.ndim == 0 or r.size == 1:
                length = None if n is None else n * int(r.reshape(-1)[0])
            else:
                length = int(r.sum())
        shape = list(x.type.shape)
        shape[self.axis] = length
        return Apply(self, [x, repeats], [TensorType(x.dtype, shape)])

    def perform(self, node, inputs):
        x, repeats = inputs
        try:
            return [np.repeat(x, repeats, axis=self.axis)]
        except ValueError as err:
            raise ValueError(f"repeat: {err}") from None

    def connection_pattern(self, node):
        return [[True], [False]]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.advanced import AdvancedIncSubtensor
        from aesara_cas.tensor.constructors import arange
        from aesara_cas.tensor.grad_ops import is_float, zeros_like

        (x, repeats), (gz,) = inputs, output_grads
        if gz is None or not is_float(x):
            return [None, None]
        # repeat(x) = x[idx] along the axis with idx = repeat(arange(n), repeats): the
        # gradient is the scatter-add of gz at idx.
        idx = Repeat(0)(arange(_dim(x, self.axis)), repeats)
        idx_list = (("slice", None, None, None),) * self.axis + (("array", 1),)
        return [AdvancedIncSubtensor(idx_list)(zeros_like(x), gz, idx), None]

    def R_op(self, node, inputs, eval_points):
        t = eval_points[0]
        return [None if t is None else self.make_node(t, inputs[1]).outputs[0]]


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Variable:
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (``np.repeat``;
    the flattened ``x`` when ``axis`` is None)."""
    from aesara_cas.tensor.shape import flatten

    x = as_tensor_variable(x)
    if axis is None:
        x, axis = flatten(x) if x.ndim != 1 else x, 0
    elif not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"repeat: axis must be an int or None, got {axis!r}")
    elif not -x.ndim <= axis < x.ndim:
        raise ValueError(f"repeat: axis {axis} is out of bounds for {x.ndim} dimension(s)")
    if isinstance(repeats, (int, np.integer)) or (
            isinstance(repeats, (list, tuple, np.ndarray)) and not isinstance(repeats, Variable)):
        repeats = constant(np.asarray(repeats, dtype="int64"))
    return Repeat(int(axis) % x.ndim)(x, repeats)


class Diagonal(Op):
    """``np.diagonal(x, offset, axis1, axis2)``: the diagonal as the last axis (a copy)."""

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset: int = 0, axis1: int = 0, axis2: int = 1):
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)
        self._freeze()

    def pprint_call(self, args: list[str]) -> str:
        extra = f", {self.offset}" if self.offset else ""
        if (self.axis1, self.axis2) != (0, 1):
            extra += f", axis1={self.axis1}, axis2={self.axis2}"
        return f"diagonal({args[0]}{extra})"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim < 2 or builtins.max(self.axis1, self.axis2) >= x.ndim:
            raise ValueError(f"diagonal: needs at least 2 dimensions and valid axes, got "
                             f"{x.ndim} dimension(s)")
        n, m = x.type.shape[self.axis1], x.type.shape[self.axis2]
        length = None
        if n is not None and m is not None:
            k = self.offset
            length = builtins.max(0, builtins.min(n + builtins.min(k, 0), m - builtins.max(k, 0)))
        rest = [s for i, s in enumerate(x.type.shape) if i not in (self.axis1, self.axis2)]
        return Apply(self, [x], [TensorType(x.dtype, (*rest, length))])

    def perform(self, node, inputs):
        return [np.diagonal(inputs[0], self.offset, self.axis1, self.axis2).copy()]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.grad_ops import is_float

        (x,), (gz,) = inputs, output_grads
        if gz is None or not is_float(x):
            return [None]
        return [AllocDiagonal(self.offset, self.axis1, self.axis2)(gz, x)]

    def R_op(self, node, inputs, eval_points):
        t = eval_points[0]
        return [None if t is None else self.make_node(t).outputs[0]]


class AllocDiagonal(Op):
    """Zeros shaped like ``ref`` with ``v`` (whose last axis runs along the diagonal)
    written on the ``offset`` diagonal of axes ``axis1``, ``axis2``: the adjoint of
    :class:`Diagonal`."""

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset: int = 0, axis1: int = 0, axis2: int = 1):
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)
        self._freeze()

    def make_node(self, v: Any, ref: Any) -> Apply:
        v, ref = as_tensor_variable(v), as_tensor_variable(ref)
        return Apply(self, [v, ref], [TensorType(v.dtype, ref.type.shape)])

    def perform(self, node, inputs):
        v, ref = inputs
        out = np.zeros(np.shape(ref), dtype=node.outputs[0].dtype)
        moved = np.moveaxis(out, (self.axis1, self.axis2), (-2, -1))
        n = v.shape[-1]
        k = self.offset
        rows = np.arange(n) + builtins.max(0, -k)
        moved[..., rows, rows + k] = v
        return [out]

    def connection_pattern(self, node):
        return [[True], [False]]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.grad_ops import is_float

        (v, _), (gz,) = inputs, output_grads
        if gz is None or not is_float(v):
            return [None, None]
        return [Diagonal(self.offset, self.axis1, self.axis2)(gz), None]

    def R_op(self, node, inputs, eval_points):
        t = eval_points[0]
        return [None if t is None else self.make_node(t, inputs[1]).outputs[0]]


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Variable:
    """The ``offset`` diagonal over ``axis1``, ``axis2`` as the last axis (``np.diagonal``)."""
    from aesara_cas.tensor.shape import _axes_in_range

    x = as_tensor_variable(x)
    if x.ndim < 2:
        raise ValueError(f"diagonal: the input needs at least 2 dimensions, got {x.ndim}")
    a1, a2 = _axes_in_range((axis1, axis2), x.ndim, "diagonal")
    return Diagonal(_ints(offset, "diagonal: offset")[0], a1, a2)(x)


def diag(v: Any, k: int = 0) -> Variable:
    """``np.diag``: the ``k``-th diagonal of a matrix, or a square matrix with the vector
    ``v`` on its ``k``-th diagonal."""
    from aesara_cas.tensor.constructors import zeros

    v = as_tensor_variable(v)
    k = _ints(k, "diag: k")[0]
    if v.ndim == 2:
        return Diagonal(k)(v)
    if v.ndim != 1:
        raise ValueError(f"diag: input must be 1- or 2-dimensional, got {v.ndim}")
    n = v.type.shape[0]
    n = _dim(v, 0) + builtins.abs(k) if n is None else n + builtins.abs(k)
    return AllocDiagonal(k)(v, zeros((n, n), dtype=v.dtype))


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Variable:
    """Sum along a diagonal (``np.trace``)."""
    from aesara_cas.tensor.reduction import Reduce

    d = diagonal(x, offset, axis1, axis2)
    return Reduce("sum", (d.ndim - 1,))(d)


def tensordot(a: Any, b: Any, axes: int | Sequence = 2) -> Variable:
    """Sum of products over the given axes (``np.tensordot``): transposes, reshapes and one
    matrix product."""
    from aesara_cas.tensor.blas import dot
    from aesara_cas.tensor.shape import reshape, transpose

    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if isinstance(axes, (int, np.integer)):
        if axes < 0 or axes > builtins.min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={axes} is out of range for inputs of {a.ndim} "
                             f"and {b.ndim} dimension(s)")
        axes_a = list(range(a.ndim - axes, a.ndim))
        axes_b = list(range(axes))
    else:
        try:
            axes_a, axes_b = axes
        except (TypeError, ValueError):
            raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, got "
                             f"{axes!r}") from None
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
        if len(axes_a) != len(axes_b):
            raise ValueError("tensordot: the two axis lists must have the same length")
    from aesara_cas.tensor.shape import _axes_in_range

    axes_a = _axes_in_range(axes_a, a.ndim, "tensordot") if axes_a else []
    axes_b = _axes_in_range(axes_b, b.ndim, "tensordot") if axes_b else []
    for i, j in zip(axes_a, axes_b):
        n, m = a.type.shape[i], b.type.shape[j]
        if n is not None and m is not None and n != m:
            raise ValueError(f"tensordot: shape mismatch for sum (axis {i}: {n}, axis {j}: {m})")
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [i for i in range(b.ndim) if i not in axes_b]

    def size(x, axs):
        static = [x.type.shape[i] for i in axs]
        if None not in static:
            return int(np.prod(static, dtype=np.int64))
        out = _dim(x, axs[0])
        for i in axs[1:]:
            out = out * _dim(x, i)
        return out

    def dim(x, i):
        return x.type.shape[i] if x.type.shape[i] is not None else _dim(x, i)

    a2 = reshape(transpose(a, free_a + axes_a), [size(a, free_a), size(a, axes_a)])
    b2 = reshape(transpose(b, axes_b + free_b), [size(b, axes_b), size(b, free_b)])
    out_shape = [dim(a, i) for i in free_a] + [dim(b, i) for i in free_b]
    return reshape(dot(a2, b2), out_shape, ndim=len(out_shape))


class Split(Op):
    """``np.split(x, n, axis)`` into ``n`` equal parts (a ValueError when they cannot be)."""

    __props__ = ("n", "axis")

    def __init__(self, n: int, axis: int):
        self.n, self.axis = int(n), int(axis)
        self._freeze()

    def pprint_call(self, args: list[str]) -> str:
        return f"split({args[0]}, {self.n}, axis={self.axis})"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        length = x.type.shape[self.axis]
        if length is not None and length % self.n:
            raise ValueError(f"split: an axis of length {length} does not split into "
                             f"{self.n} equal parts")
        shape = list(x.type.shape)
        shape[self.axis] = None if length is None else length // self.n
        return Apply(self, [x], [TensorType(x.dtype, shape) for _ in range(self.n)])

    def perform(self, node, inputs):
        (x,) = inputs
        if x.shape[self.axis] % self.n:
            raise ValueError(f"split: an axis of length {x.shape[self.axis]} does not split "
                             f"into {self.n} equal parts")
        return [p.copy() for p in np.split(x, self.n, axis=self.axis)]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.grad_ops import is_float, zeros_like
        from aesara_cas.tensor.shape import Join

        (x,) = inputs
        if not is_float(x) or builtins.all(g is None for g in output_grads):
            return [None]
        parts = [g if g is not None else zeros_like(o) for g, o in zip(output_grads, outputs)]
        return [Join(self.axis)(*parts)]

    def R_op(self, node, inputs, eval_points):
        t = eval_points[0]
        return [None] * self.n if t is None else self.make_node(t).outputs


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Variable]:
    """``np.split``: ``n`` equal parts, or the pieces between the given indices."""
    from aesara_cas.tensor.subtensor import getitem

    x = as_tensor_variable(x)
    if x.ndim == 0:
        raise ValueError("split: the input needs at least one dimension")
    if not isinstance(axis, (int, np.integer)) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"split: axis {axis!r} is out of bounds for {x.ndim} dimension(s)")
    axis = int(axis) % x.ndim
    if isinstance(indices_or_sections, (int, np.integer)):
        n = int(indices_or_sections)
        if n <= 0:
            raise ValueError(f"split: the number of sections must be positive, got {n}")
        out = Split(n, axis)(x)
        return out if isinstance(out, list) else [out]
    points = list(indices_or_sections)
    lead = (slice(None),) * axis
    bounds = [None, *points, None]
    return [getitem(x, lead + (slice(a, b),)) if not (a is None and b is None) else x
            for a, b in zip(bounds[:-1], bounds[1:])]


def vstack(tensors: Sequence[Any]) -> Variable:
    """Stack arrays row-wise (``np.vstack``: 1-d inputs become rows)."""
    from aesara_cas.tensor.shape import concatenate, expand_dims

    ts = [as_tensor_variable(t) for t in tensors]
    ts = [expand_dims(t, 0) if t.ndim == 1 else (t.reshape((1, 1)) if t.ndim == 0 else t)
          for t in ts]
    return concatenate(ts, axis=0)


def hstack(tensors: Sequence[Any]) -> Variable:
    """Stack arrays column-wise (``np.hstack``: along axis 0 for 1-d inputs, else 1)."""
    from aesara_cas.tensor.shape import concatenate, expand_dims

    ts = [as_tensor_variable(t) for t in tensors]
    ts = [expand_dims(t, 0) if t.ndim == 0 else t for t in ts]
    if not ts:
        raise ValueError("hstack needs at least one array")
    return concatenate(ts, axis=0 if ts[0].ndim == 1 else 1)
