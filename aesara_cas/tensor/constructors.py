"""Array constructors: ``zeros ones full zeros_like ones_like full_like eye arange linspace``.

NumPy's signatures and dtype rules; where NumPy takes an int (a length, a count,
a diagonal offset) a symbolic integer scalar is accepted too.  ``zeros``/``ones``/
``full`` are :class:`~aesara_cas.tensor.shape.Alloc` nodes; ``eye``, ``arange``
and ``linspace`` are small ops of their own, whose static shape is known when
their sizes are constants.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Constant, Op, Variable
from aesara_cas.tensor.type import TensorType, normalize_dtype
from aesara_cas.tensor.variable import as_tensor_variable, constant

__all__ = [
    "ARange", "Eye", "Linspace", "arange", "eye", "full", "full_like", "linspace", "ones",
    "ones_like", "zeros", "zeros_like",
]


def _int_scalar(value: Any, what: str) -> Variable:
    """``value`` as an integer scalar variable (a Python int becomes an int64 constant)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be an integer, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return constant(np.int64(value))
    v = as_tensor_variable(value)
    if v.ndim != 0 or v.dtype[0] not in "iu":
        raise TypeError(f"{what} must be an integer scalar, got {value!r} of type {v.type}")
    return v


def _dims(shape: Any, what: str = "shape") -> list[Variable]:
    """A shape (an int, a sequence of ints/scalars or an int vector of known length)
    as one integer scalar per dimension; negative constant lengths are a ValueError."""
    if isinstance(shape, Variable):
        if shape.ndim == 0:
            shape = [shape]
        elif shape.ndim == 1 and shape.dtype[0] in "iu":
            n = shape.type.shape[0]
            if n is None:
                raise ValueError(f"{what}: a shape vector needs a length known when the "
                                 "graph is built")
            if isinstance(shape, Constant):
                shape = [int(s) for s in shape.data]
            else:
                shape = [shape[i] for i in range(n)]
        else:
            raise TypeError(f"{what} must be ints or an integer vector, got {shape!r}")
    elif isinstance(shape, (int, np.integer)):
        shape = [shape]
    try:
        items = list(shape)
    except TypeError:
        raise TypeError(f"{what} must be an int or a sequence of ints, got {shape!r}") from None
    dims = [_int_scalar(s, f"{what} entries") for s in items]
    for d in dims:
        if isinstance(d, Constant) and int(d.data) < 0:
            raise ValueError(f"{what}: negative dimensions are not allowed, got {items!r}")
    return dims


def _fill(value: Any, dtype: Any) -> Variable:
    if dtype is None:
        if isinstance(value, Variable):
            return value
        return constant(np.asarray(value))
    dtype = normalize_dtype(dtype)
    if isinstance(value, Variable):
        from aesara_cas.tensor.elemwise import cast

        return cast(value, dtype)
    return constant(np.asarray(value, dtype=dtype))


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Variable:
    """An array of ``shape`` filled with ``fill_value`` (``np.full``); ``fill_value`` may be
    an array broadcastable to ``shape`` or a symbolic value."""
    from aesara_cas.tensor.shape import alloc

    value = _fill(fill_value, dtype)
    dims = _dims(shape)
    if value.ndim > len(dims):
        raise ValueError(f"full: fill_value has {value.ndim} dimension(s), more than the "
                         f"shape's {len(dims)}")
    return alloc(value, *dims)


def zeros(shape: Any, dtype: Any = "float64") -> Variable:
    """An array of zeros (``np.zeros``; float64 by default)."""
    return full(shape, 0, dtype if dtype is not None else "float64")


def ones(shape: Any, dtype: Any = "float64") -> Variable:
    """An array of ones (``np.ones``; float64 by default)."""
    return full(shape, 1, dtype if dtype is not None else "float64")


def _like_dims(x: Variable) -> list[Variable]:
    from aesara_cas.tensor.grad_ops import shape_ref
    from aesara_cas.tensor.shape import Shape

    ref = shape_ref(x)
    sym = None
    dims = []
    for i, n in enumerate(x.type.shape):
        if n is not None:
            dims.append(constant(np.int64(n)))
        else:
            if sym is None:
                sym = Shape()(ref)
            dims.append(sym[i])
    return dims


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Variable:
    """An array shaped like ``x`` filled with ``fill_value``, of ``x``'s dtype unless
    ``dtype`` is given (``np.full_like``)."""
    from aesara_cas.tensor.shape import alloc

    x = as_tensor_variable(x)
    value = _fill(fill_value, dtype or x.dtype)
    return alloc(value, *_like_dims(x))


def zeros_like(x: Any, dtype: Any = None) -> Variable:
    """Zeros shaped like ``x`` (``np.zeros_like``)."""
    return full_like(x, 0, dtype)


def ones_like(x: Any, dtype: Any = None) -> Variable:
    """Ones shaped like ``x`` (``np.ones_like``)."""
    return full_like(x, 1, dtype)


def _static_int(v: Variable) -> int | None:
    return int(v.data) if isinstance(v, Constant) else None


class Eye(Op):
    """``np.eye(n, m, k, dtype)``: ones on the ``k``-th diagonal of an ``n x m`` array."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str = "float64"):
        self.dtype = normalize_dtype(dtype)
        self._freeze()

    def __str__(self) -> str:
        return f"eye{{{self.dtype}}}"

    def make_node(self, n: Any, m: Any, k: Any) -> Apply:
        n, m, k = (_int_scalar(v, w) for v, w in ((n, "eye: N"), (m, "eye: M"), (k, "eye: k")))
        shape = (_static_int(n), _static_int(m))
        for s, w in zip(shape, "NM"):
            if s is not None and s < 0:
                raise ValueError(f"eye: {w} must be non-negative, got {s}")
        return Apply(self, [n, m, k], [TensorType(self.dtype, shape)])

    def perform(self, node, inputs):
        n, m, k = (int(v) for v in inputs)
        if n < 0 or m < 0:
            raise ValueError(f"eye: N and M must be non-negative, got {n} and {m}")
        return [np.eye(n, m, k, dtype=self.dtype)]

    def infer_shape(self, node, input_shapes):
        return [(node.inputs[0], node.inputs[1])]

    def connection_pattern(self, node):
        return [[False], [False], [False]]

    def L_op(self, node, inputs, outputs, output_grads):
        return [None, None, None]

    def R_op(self, node, inputs, eval_points):
        return [None]


def eye(N: Any, M: Any = None, k: Any = 0, dtype: Any = "float64") -> Variable:
    """A 2-d array with ones on the ``k``-th diagonal (``np.eye``)."""
    return Eye(dtype if dtype is not None else "float64")(N, N if M is None else M, k)


class ARange(Op):
    """``np.arange(start, stop, step, dtype)`` with scalar (possibly symbolic) bounds."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str):
        self.dtype = normalize_dtype(dtype)
        self._freeze()

    def __str__(self) -> str:
        return f"arange{{{self.dtype}}}"

    def make_node(self, start: Any, stop: Any, step: Any) -> Apply:
        args = []
        for v, what in ((start, "start"), (stop, "stop"), (step, "step")):
            v = as_tensor_variable(v)
            if v.ndim != 0 or v.dtype == "bool":
                raise TypeError(f"arange: {what} must be a real scalar, got {v!r} of type {v.type}")
            args.append(v)
        length = None
        if all(isinstance(a, Constant) for a in args):
            a, b, s = (a.data.item() for a in args)
            if s == 0:
                raise ValueError("arange: step must not be zero")
            length = max(0, math.ceil((b - a) / s))
        return Apply(self, args, [TensorType(self.dtype, (length,))])

    def perform(self, node, inputs):
        start, stop, step = (np.asarray(v).item() for v in inputs)
        if step == 0:
            raise ValueError("arange: step must not be zero")
        return [np.arange(start, stop, step, dtype=self.dtype)]

    def connection_pattern(self, node):
        return [[False], [False], [False]]

    def L_op(self, node, inputs, outputs, output_grads):
        return [None, None, None]

    def R_op(self, node, inputs, eval_points):
        return [None]


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> Variable:
    """Evenly spaced values in ``[start, stop)`` (``np.arange``).

    With one argument it is ``stop`` (from 0).  The dtype is int64 when every bound is
    an integer and float64 otherwise, unless ``dtype`` is given.
    """
    if stop is None:
        start, stop = 0, start
    args = [as_tensor_variable(v) for v in (start, stop, step)]
    if dtype is None:
        dtype = "int64" if all(a.dtype[0] in "iub" for a in args) else "float64"
    return ARange(dtype)(*args)


class Linspace(Op):
    """``np.linspace(start, stop, num, endpoint, dtype)`` for scalar ``start``/``stop``."""

    __props__ = ("endpoint", "dtype")

    def __init__(self, endpoint: bool = True, dtype: str = "float64"):
        self.endpoint = bool(endpoint)
        self.dtype = normalize_dtype(dtype)
        self._freeze()

    def __str__(self) -> str:
        return f"linspace{{{'endpoint, ' if self.endpoint else ''}{self.dtype}}}"

    def make_node(self, start: Any, stop: Any, num: Any) -> Apply:
        start, stop = as_tensor_variable(start), as_tensor_variable(stop)
        for v, what in ((start, "start"), (stop, "stop")):
            if v.ndim != 0:
                raise ValueError(f"linspace: {what} must be a scalar, got {v.ndim} dimension(s)")
        num = _int_scalar(num, "linspace: num")
        n = _static_int(num)
        if n is not None and n < 0:
            raise ValueError(f"linspace: num must be non-negative, got {n}")
        return Apply(self, [start, stop, num], [TensorType(self.dtype, (n,))])

    def perform(self, node, inputs):
        start, stop, num = inputs
        if int(num) < 0:
            raise ValueError(f"linspace: num must be non-negative, got {int(num)}")
        return [np.linspace(start, stop, int(num), endpoint=self.endpoint, dtype=self.dtype)]

    def infer_shape(self, node, input_shapes):
        return [(node.inputs[2],)]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def _weights(self, node) -> Variable:
        """``d out / d stop``: the fractions ``i / div`` (``d out / d start`` is one minus)."""
        return Linspace(self.endpoint, node.outputs[0].dtype)(0.0, 1.0, node.inputs[2])

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.grad_ops import fit, is_float
        from aesara_cas.tensor.reduction import Reduce

        (gz,) = output_grads
        start, stop, _ = inputs
        if gz is None or not is_float(outputs[0]):
            return [None, None, None]
        t = self._weights(node)
        total = Reduce("sum")
        g_stop = total(gz * t)
        g_start = total(gz) - g_stop
        return [fit(g_start, start) if is_float(start) else None,
                fit(g_stop, stop) if is_float(stop) else None, None]

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.grad_ops import is_float

        out = node.outputs[0]
        t_start, t_stop, _ = eval_points
        if not is_float(out) or (t_start is None and t_stop is None):
            return [None]
        t = self._weights(node)
        terms = []
        if t_start is not None and is_float(inputs[0]):
            terms.append((1 - t) * t_start)
        if t_stop is not None and is_float(inputs[1]):
            terms.append(t * t_stop)
        if not terms:
            return [None]
        from aesara_cas.tensor.grad_ops import fit

        return [fit(terms[0] if len(terms) == 1 else terms[0] + terms[1], out)]


def linspace(start: Any, stop: Any, num: Any = 50, endpoint: bool = True,
             dtype: Any = None) -> Variable:
    """``num`` evenly spaced values from ``start`` to ``stop`` (``np.linspace``).

    The dtype is NumPy's: float64 for integer bounds, else the bounds' float dtype,
    unless ``dtype`` is given (integer dtypes round down, as in NumPy).
    """
    if dtype is None:
        # Python numbers are "weak" (NEP 50): linspace(0, float32(1)) is float32.
        probes = [v if type(v) in (int, float, bool) else as_tensor_variable(v).dtype
                  for v in (start, stop)]
        dtype = np.result_type(*probes, 1.0).name
    return Linspace(endpoint, dtype)(start, stop, num)
