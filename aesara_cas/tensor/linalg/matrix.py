"""Small matrix helpers the linear-algebra ops and their derivatives are built from.

All act on the last two axes and broadcast over the leading (batch) axes, as
``numpy.linalg`` does: :class:`TriangularPart` (``np.tril``/``np.triu``),
:class:`MatrixDiagonal` (the diagonal of square matrices) and :class:`DiagEmbed`
(vectors placed on the diagonal of zero matrices), plus input checks shared by
the ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Op, Variable
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable


def float_dtype(x: Variable, what: str) -> str:
    """The dtype ``numpy.linalg`` computes ``x`` in: float32 stays, ints and bools
    become float64; anything else is refused with a ``TypeError``."""
    kind = np.dtype(x.dtype).kind
    if x.dtype in ("float32", "float64"):
        return x.dtype
    if kind in "biu":
        return "float64"
    raise TypeError(f"{what}: expected a real floating-point or integer array, got dtype "
                    f"{x.dtype}")


def as_matrix_stack(x: Any, what: str, square: bool = True, name: str = "a") -> Variable:
    """``x`` as a variable with at least 2 dimensions (square in the last two if asked),
    checked against its static shape; raises ``ValueError`` naming ``what``/``name``."""
    x = as_tensor_variable(x)
    if x.ndim < 2:
        raise ValueError(f"{what}: {name} must have at least 2 dimensions (a matrix or a stack "
                         f"of matrices), got {x.ndim}")
    m, n = x.type.shape[-2:]
    if square and m is not None and n is not None and m != n:
        raise ValueError(f"{what}: {name} must be square in its last two dimensions, got "
                         f"shape {_fmt(x.type.shape)}")
    return x


def check_square(value: np.ndarray, what: str, name: str = "a") -> None:
    """Run-time version of the square check (shapes unknown when the graph was built)."""
    if value.ndim < 2 or value.shape[-1] != value.shape[-2]:
        raise ValueError(f"{what}: {name} must be square in its last two dimensions, got "
                         f"shape {value.shape}")


def _fmt(shape: tuple) -> str:
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + ")"


def square_length(*lengths: int | None) -> int | None:
    """The common known length of square dimensions (``None`` if none is known)."""
    known = [n for n in lengths if n is not None]
    return known[0] if known else None


def mT(x: Variable) -> Variable:
    """``x`` with its last two axes exchanged (a view)."""
    from aesara_cas.tensor.shape import dimshuffle

    order = list(range(x.ndim))
    order[-2], order[-1] = order[-1], order[-2]
    return dimshuffle(x, order)


class TriangularPart(Op):
    """``np.tril(x, k)`` (``lower=True``) or ``np.triu(x, k)`` over the last two axes."""

    __props__ = ("lower", "k")

    def __init__(self, lower: bool = True, k: int = 0):
        self.lower = bool(lower)
        self.k = int(k)
        self._freeze()

    def __str__(self) -> str:
        name = "tril" if self.lower else "triu"
        return name if self.k == 0 else f"{name}{{k={self.k}}}"

    @property
    def print_name(self) -> str:
        return str(self)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim < 2:
            raise ValueError(f"{self}: expected at least 2 dimensions, got {x.ndim}")
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)])

    def perform(self, node: Apply, inputs: list) -> list:
        (x,) = inputs
        fn = np.tril if self.lower else np.triu
        return [fn(x, self.k)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]

    def L_op(self, node, inputs, outputs, output_grads):
        (g,) = output_grads
        return [None if g is None else self(g)]

    def R_op(self, node, inputs, eval_points):
        (t,) = eval_points
        return [None if t is None else self(t)]


def tril(x: Any, k: int = 0) -> Variable:
    """``np.tril(x, k)``: the lower triangle of the last two axes."""
    return TriangularPart(True, k)(x)


def triu(x: Any, k: int = 0) -> Variable:
    """``np.triu(x, k)``: the upper triangle of the last two axes."""
    return TriangularPart(False, k)(x)


class MatrixDiagonal(Op):
    """The diagonal of (a stack of) square matrices: ``x[..., i, i]``."""

    print_name = "diagonal"

    def __str__(self) -> str:
        return "diagonal"

    def make_node(self, x: Any) -> Apply:
        x = as_matrix_stack(x, "diagonal", name="x")
        n = square_length(*x.type.shape[-2:])
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape[:-2] + (n,))])

    def perform(self, node: Apply, inputs: list) -> list:
        (x,) = inputs
        check_square(x, "diagonal", "x")
        return [np.diagonal(x, axis1=-2, axis2=-1).copy()]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0][:-1]]

    def L_op(self, node, inputs, outputs, output_grads):
        (g,) = output_grads
        return [None if g is None else diag_embed(g)]

    def R_op(self, node, inputs, eval_points):
        (t,) = eval_points
        return [None if t is None else self(t)]


class DiagEmbed(Op):
    """Square matrices with ``v[..., i]`` on the diagonal and zeros elsewhere."""

    print_name = "diag_embed"

    def __str__(self) -> str:
        return "diag_embed"

    def make_node(self, v: Any) -> Apply:
        v = as_tensor_variable(v)
        if v.ndim < 1:
            raise ValueError("diag_embed: expected at least 1 dimension, got a scalar")
        n = v.type.shape[-1]
        return Apply(self, [v], [TensorType(v.dtype, v.type.shape + (n,))])

    def perform(self, node: Apply, inputs: list) -> list:
        (v,) = inputs
        out = np.zeros(v.shape + v.shape[-1:], dtype=node.outputs[0].dtype)
        np.einsum("...ii->...i", out)[...] = v
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        (s,) = input_shapes
        return [tuple(s) + (s[-1],)]

    def L_op(self, node, inputs, outputs, output_grads):
        (g,) = output_grads
        return [None if g is None else diagonal(g)]

    def R_op(self, node, inputs, eval_points):
        (t,) = eval_points
        return [None if t is None else self(t)]


_diagonal = MatrixDiagonal()
_diag_embed = DiagEmbed()


def diagonal(x: Any) -> Variable:
    """The diagonals ``x[..., i, i]`` of (a stack of) square matrices."""
    return _diagonal(x)


def diag_embed(v: Any) -> Variable:
    """Square matrices with the last axis of ``v`` on their diagonals."""
    return _diag_embed(v)
