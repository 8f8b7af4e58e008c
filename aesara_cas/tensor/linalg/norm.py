"""``norm``: vector and matrix norms with ``np.linalg.norm``'s ``ord``/``axis``/``keepdims``.

Built from existing ops (``sqrt(sum(x ** 2))``, ``max(abs(x))``, singular values, ...),
so it is differentiable wherever those are.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Variable
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.variable import as_tensor_variable

_MATRIX_ORDS = (None, "fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"norm: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"norm: axis {a} is out of bounds for {ndim} dimension(s)")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"norm: repeated axis in {axis!r}")
    return tuple(out)


def _red(kind: str, x: Variable, axes: tuple[int, ...], keepdims: bool) -> Variable:
    return Reduce(kind)(x, axis=axes, keepdims=keepdims)


def _vector_norm(x: Variable, ord: Any, axis: tuple[int, ...], keepdims: bool) -> Variable:
    if ord is None or ord == 2:
        return E.sqrt(_red("sum", E.sqr(x), axis, keepdims))
    if isinstance(ord, str):
        raise ValueError(f"norm: ord {ord!r} is only defined for matrices")
    if ord == math.inf:
        return _red("max", E.abs(x), axis, keepdims)
    if ord == -math.inf:
        return _red("min", E.abs(x), axis, keepdims)
    if ord == 0:
        return _red("sum", E.cast(E.neq(x, 0), x.dtype), axis, keepdims)
    if ord == 1:
        return _red("sum", E.abs(x), axis, keepdims)
    p = float(ord)
    return E.pow(_red("sum", E.pow(E.abs(x), p), axis, keepdims), 1.0 / p)


def _matrix_norm(x: Variable, ord: Any, axes: tuple[int, int], keepdims: bool) -> Variable:
    from aesara_cas.tensor.linalg.decomp import svd
    from aesara_cas.tensor.shape import expand_dims, transpose

    row, col = axes
    if ord is None or ord == "fro":
        return E.sqrt(_red("sum", E.sqr(x), axes, keepdims))
    if ord in (1, -1, math.inf, -math.inf):
        pick = "max" if ord > 0 else "min"
        # 1: the largest column sum (sum over rows); inf: the largest row sum.
        inner, outer = (row, col) if abs(ord) == 1 else (col, row)
        sums = _red("sum", E.abs(x), (inner,), True)
        value = _red(pick, sums, (outer,), True)
        return value if keepdims else _drop(value, axes)
    if ord in (2, -2, "nuc"):
        rest = [i for i in range(x.ndim) if i not in axes]
        s = svd(transpose(x, rest + [row, col]), compute_uv=False)
        out = {2: "max", -2: "min", "nuc": "sum"}[ord]
        value = _red(out, s, (s.ndim - 1,), False)
        if keepdims:
            value = expand_dims(value, sorted(axes))
        return value
    raise ValueError(f"norm: invalid ord {ord!r} for a matrix norm; expected one of "
                     f"{_MATRIX_ORDS}")


def _drop(x: Variable, axes: tuple[int, ...]) -> Variable:
    from aesara_cas.tensor.shape import squeeze

    return squeeze(x, tuple(sorted(axes)))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Variable:
    """``np.linalg.norm(x, ord, axis, keepdims)``.

    Parameters
    ----------
    x
        A tensor; integers are computed in float64.
    ord
        Vector norms: ``None``/``2``, ``1``, ``inf``, ``-inf``, ``0`` (count of non-zeros)
        or any other number ``p`` (``sum(abs(x)**p)**(1/p)``).  Matrix norms: ``None``/
        ``"fro"``, ``"nuc"``, ``1``, ``-1``, ``2``, ``-2``, ``inf``, ``-inf``.
    axis
        ``None`` (the whole of a vector or matrix; with ``ord=None`` any shape, flattened),
        an int (vector norms) or a pair of ints (matrix norms).
    keepdims
        Keep the reduced axes with length 1.
    """
    x = as_tensor_variable(x)
    from aesara_cas.tensor.linalg.matrix import float_dtype

    dtype = float_dtype(x, "norm")
    if x.dtype != dtype:
        x = E.cast(x, dtype)
    if axis is None:
        if ord is None:
            return E.sqrt(_red("sum", E.sqr(x), tuple(range(x.ndim)), keepdims))
        if x.ndim not in (1, 2):
            raise ValueError(f"norm: with ord={ord!r} and axis=None, x must be 1-D or 2-D, "
                             f"got {x.ndim} dimensions")
        axis = tuple(range(x.ndim))
    axes = _axes(axis, x.ndim)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: axis must name 1 or 2 axes, got {axis!r}")
