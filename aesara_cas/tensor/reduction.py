"""Reductions over axes: ``sum prod max min mean all any logsumexp``.

One op family, :class:`Reduce`, parametrised by the reduction's name, its axes
and ``keepdims``.  The module-level ``sum`` etc. are ``Reduce`` instances over all
axes; calling one with ``axis=`` builds a node of the matching instance.
"""

from __future__ import annotations

import builtins
import functools
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Op, Variable
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable


def _logsumexp(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """``log(sum(exp(x)))`` shifted by the maximum, so large inputs do not overflow."""
    if x.size == 0:
        with np.errstate(divide="ignore"):
            return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return out


_IMPLS = {
    "sum": np.sum,
    "prod": np.prod,
    "max": np.max,
    "min": np.min,
    "mean": np.mean,
    "all": np.all,
    "any": np.any,
    "logsumexp": _logsumexp,
}


def normalize_axis(axis: Any, ndim: int) -> tuple[int, ...] | None:
    """Sorted non-negative axes, or ``None`` for all axes; ``ValueError`` if out of range."""
    if axis is None:
        return None
    if isinstance(axis, Variable):
        from aesara_cas.graph.basic import Constant

        if not isinstance(axis, Constant):
            raise TypeError("axis must be known when the graph is built (an int or tuple)")
        axis = axis.data.tolist()
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = set()
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for an input with {ndim} dimension(s)")
        out.add(int(a) % ndim)
    if len(out) != len(axes):
        raise ValueError(f"repeated axis in {axis!r}")
    if len(out) == ndim:
        return None
    return tuple(sorted(out))


@functools.lru_cache(maxsize=1024)
def _reduce_dtype(kind: str, dtype: str) -> str:
    return np.asarray(_IMPLS[kind](np.ones(2, dtype=dtype), axis=0, keepdims=False)).dtype.name


class Reduce(Op):
    """Reduce over ``axis`` (``None``: all axes) with the reduction named ``kind``."""

    __props__ = ("kind", "axis", "keepdims")

    def __init__(self, kind: str, axis: tuple[int, ...] | None = None, keepdims: bool = False):
        if kind not in _IMPLS:
            raise ValueError(f"unknown reduction {kind!r}; expected one of {sorted(_IMPLS)}")
        self.kind = kind
        self.axis = axis
        self.keepdims = bool(keepdims)
        self._freeze()

    def __str__(self) -> str:
        if self.axis is None and not self.keepdims:
            return self.kind
        extra = [] if self.axis is None else [f"axis={self.axis}"]
        if self.keepdims:
            extra.append("keepdims=True")
        return f"{self.kind}{{{', '.join(extra)}}}"

    def __call__(self, x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
        x = as_tensor_variable(x)
        if axis is None and self.axis is not None:
            axis = self.axis
        op = Reduce(self.kind, normalize_axis(axis, x.ndim), keepdims or self.keepdims)
        return op.make_node(x).outputs[0]

    def reduced_axes(self, ndim: int) -> tuple[int, ...]:
        return tuple(range(ndim)) if self.axis is None else self.axis

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        # `any` here is the module's Reduce instance, hence builtins.
        if self.axis is not None and builtins.any(a >= x.ndim for a in self.axis):
            raise ValueError(f"{self}: axis out of range for an input with {x.ndim} dimension(s)")
        axes = set(self.reduced_axes(x.ndim))
        if self.kind in ("max", "min"):
            for a in axes:
                if x.type.shape[a] == 0:
                    raise ValueError(f"{self.kind} of an empty axis ({a}) has no identity")
        if self.keepdims:
            shape = tuple(1 if i in axes else s for i, s in enumerate(x.type.shape))
        else:
            shape = tuple(s for i, s in enumerate(x.type.shape) if i not in axes)
        dtype = _reduce_dtype(self.kind, x.dtype)
        return Apply(self, [x], [TensorType(dtype, shape)])

    def perform(self, node: Apply, inputs: list[Any]) -> list[Any]:
        (x,) = inputs
        out = _IMPLS[self.kind](x, axis=self.axis, keepdims=self.keepdims)
        out = np.asarray(out)
        dtype = node.outputs[0].dtype
        if out.dtype.name != dtype:
            out = out.astype(dtype)
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        (shape,) = input_shapes
        axes = set(self.reduced_axes(len(shape)))
        if self.keepdims:
            return [tuple(1 if i in axes else s for i, s in enumerate(shape))]
        return [tuple(s for i, s in enumerate(shape) if i not in axes)]

    def L_op(self, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
        from aesara_cas.tensor.op_grads import reduce_L_op

        return reduce_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node: Apply, inputs: list, eval_points: list) -> list:
        from aesara_cas.tensor.op_grads import reduce_R_op

        return reduce_R_op(self, node, inputs, eval_points)


sum = Reduce("sum")
prod = Reduce("prod")
max = Reduce("max")
min = Reduce("min")
mean = Reduce("mean")
all = Reduce("all")
any = Reduce("any")
logsumexp = Reduce("logsumexp")
