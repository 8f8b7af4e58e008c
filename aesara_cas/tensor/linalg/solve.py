"""Linear systems and inverses: ``solve solve_triangular inv pinv``.

``b`` follows NumPy 2's rule: a 1-D ``b`` is one right-hand side (the result has
``a``'s batch shape plus ``(n,)``); otherwise ``b`` is ``(..., n, k)``, its batch
axes broadcast against ``a``'s.  Derivatives are in :mod:`.grads`.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Variable
from aesara_cas.tensor.linalg import lapack
from aesara_cas.tensor.linalg.base import LinalgOp, batch_shape, symbolic_batch
from aesara_cas.tensor.linalg.matrix import (
    as_matrix_stack,
    check_square,
    float_dtype,
    square_length,
)
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable


def _scipy_linalg():
    # Imported on first use: scipy.linalg costs ~0.1 s at import.
    return importlib.import_module("scipy.linalg")


def _system(op: LinalgOp, a: Any, b: Any) -> Apply:
    """The node of ``op(a, b)`` solving ``a x = b`` (shapes as in the module docstring)."""
    a = as_matrix_stack(a, op.name)
    b = as_tensor_variable(b)
    if b.ndim == 0:
        raise ValueError(f"{op.name}: b must have at least 1 dimension, got a scalar")
    dtype = np.result_type(float_dtype(a, op.name), float_dtype(b, op.name)).name
    n = square_length(*a.type.shape[-2:])
    nb = b.type.shape[0] if b.ndim == 1 else b.type.shape[-2]
    if n is not None and nb is not None and n != nb:
        raise ValueError(f"{op.name}: a is {n}x{n} but b has {nb} rows")
    n = n if n is not None else nb
    if b.ndim == 1:
        shape = a.type.shape[:-2] + (n,)
    else:
        shape = batch_shape(a.type.shape[:-2], b.type.shape[:-2], what=op.name) + (
            n, b.type.shape[-1])
    return Apply(op, [a, b], [TensorType(dtype, shape)])


def _system_shape(node: Apply, input_shapes: list[tuple]) -> list[tuple]:
    (sa, sb), (a, b) = input_shapes, node.inputs
    if b.ndim == 1:
        return [tuple(sa[:-1])]
    batch = symbolic_batch([sa[:-2], sb[:-2]], [a.type.shape[:-2], b.type.shape[:-2]])
    return [batch + (sa[-1], sb[-1])]


def _check_system(a: np.ndarray, b: np.ndarray, op: LinalgOp) -> bool:
    """Check the shapes of ``a x = b`` at run time; whether it is one small system
    (``a`` one non-empty matrix, ``b`` a vector or a matrix) for :mod:`.lapack`."""
    check_square(a, op.name)
    n = a.shape[-1]
    rows = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if rows != n:
        raise ValueError(f"{op.name}: a is {n}x{n} but b has {rows} rows")
    return a.ndim == 2 and b.ndim <= 2 and n > 0


def _as_columns(a: np.ndarray, b: np.ndarray, op: LinalgOp) -> tuple[np.ndarray, np.ndarray]:
    """``b`` as a stack of ``(n, k)`` matrices broadcast with ``a``'s batch (run time)."""
    n = a.shape[-1]
    if b.ndim == 1:
        b = np.broadcast_to(b[:, None], a.shape[:-2] + (n, 1))
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"{op.name}: the batch dimensions of a {a.shape} and b {b.shape} "
                         "cannot be broadcast together") from None
    return (np.broadcast_to(a, batch + a.shape[-2:]),
            np.broadcast_to(b, batch + b.shape[-2:]))


class Solve(LinalgOp):
    """``x`` with ``a @ x == b``.  ``assume_a="gen"`` (LU, ``np.linalg.solve``); ``"sym"`` or
    ``"pos"`` (symmetric / positive definite, ``scipy.linalg.solve``) read only the triangle
    of ``a`` named by ``lower``."""

    __props__ = ("assume_a", "lower")
    name = "solve"

    def __init__(self, assume_a: str = "gen", lower: bool = False):
        if assume_a not in ("gen", "sym", "pos"):
            raise ValueError(f"solve: assume_a must be 'gen', 'sym' or 'pos', got {assume_a!r}")
        self.assume_a = assume_a
        self.lower = bool(lower)
        self._freeze()

    def make_node(self, a: Any, b: Any) -> Apply:
        return _system(self, a, b)

    def perform(self, node, inputs):
        a, b = inputs
        dtype = node.outputs[0].dtype
        a, b = np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)
        if _check_system(a, b, self):
            if self.assume_a == "gen":
                return [lapack.solve_general(a, b, self.name)]
            if self.assume_a == "sym":
                return [lapack.solve_symmetric(a, b, self.lower, self.name)]
            return [lapack.solve_positive(a, b, self.lower, self.name)]
        vector = b.ndim == 1
        a, b = _as_columns(a, b, self)
        with self.errors():
            if self.assume_a == "gen":
                x = np.linalg.solve(a, b)
            else:
                x = _scipy_linalg().solve(a, b, assume_a=self.assume_a, lower=self.lower,
                                          check_finite=False)
        return [np.asarray(x[..., 0] if vector else x, dtype=dtype)]

    def infer_shape(self, node, input_shapes):
        return _system_shape(node, input_shapes)

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.linalg.grads import solve_L_op

        return solve_L_op(self, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.linalg.grads import solve_R_op

        return solve_R_op(self, inputs, node.outputs, eval_points)


class SolveTriangular(LinalgOp):
    """``scipy.linalg.solve_triangular``: ``x`` with ``op(a) @ x == b`` where ``a`` is lower
    (``lower=True``) or upper triangular (the other triangle is not read), ``op(a)`` is
    ``a`` (``trans=0``) or ``a.T`` (``trans=1``), and ``unit_diagonal`` takes ``a``'s
    diagonal as ones."""

    __props__ = ("lower", "trans", "unit_diagonal")
    name = "solve_triangular"

    def __init__(self, lower: bool = False, trans: int = 0, unit_diagonal: bool = False):
        trans = {"N": 0, "T": 1, "C": 1}.get(trans, trans) if isinstance(trans, str) else trans
        if trans not in (0, 1):
            raise ValueError(f"solve_triangular: trans must be 0, 1, 'N' or 'T', got {trans!r}")
        self.lower = bool(lower)
        self.trans = int(trans)
        self.unit_diagonal = bool(unit_diagonal)
        self._freeze()

    def make_node(self, a: Any, b: Any) -> Apply:
        return _system(self, a, b)

    def perform(self, node, inputs):
        a, b = inputs
        dtype = node.outputs[0].dtype
        a, b = np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)
        if _check_system(a, b, self):
            return [lapack.solve_triangular(a, b, self.lower, self.trans, self.unit_diagonal,
                                            self.name)]
        vector = b.ndim == 1
        a, b = _as_columns(a, b, self)
        with self.errors():
            x = _scipy_linalg().solve_triangular(
                a, b, trans=self.trans, lower=self.lower, unit_diagonal=self.unit_diagonal,
                check_finite=False)
        return [np.asarray(x[..., 0] if vector else x, dtype=dtype)]

    def infer_shape(self, node, input_shapes):
        return _system_shape(node, input_shapes)

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.linalg.grads import solve_triangular_L_op

        return solve_triangular_L_op(self, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.linalg.grads import solve_triangular_R_op

        return solve_triangular_R_op(self, inputs, node.outputs, eval_points)


class MatrixInverse(LinalgOp):
    """``np.linalg.inv`` of (a stack of) square matrices."""

    name = "inv"

    def make_node(self, a: Any) -> Apply:
        a = as_matrix_stack(a, self.name)
        n = square_length(*a.type.shape[-2:])
        return Apply(self, [a], [TensorType(float_dtype(a, self.name), a.type.shape[:-2] + (n, n))])

    def perform(self, node, inputs):
        (a,) = inputs
        check_square(a, self.name)
        with self.errors():
            return [np.linalg.inv(np.asarray(a, dtype=node.outputs[0].dtype))]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.linalg.grads import inv_L_op

        return inv_L_op(self, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.linalg.grads import inv_R_op

        return inv_R_op(self, inputs, node.outputs, eval_points)


class Pinv(LinalgOp):
    """``np.linalg.pinv``: the Moore-Penrose pseudo-inverse (singular values below
    ``rtol`` times the largest are treated as zero; ``None``: NumPy's default)."""

    __props__ = ("rtol", "hermitian")
    name = "pinv"

    def __init__(self, rtol: float | None = None, hermitian: bool = False):
        self.rtol = None if rtol is None else float(rtol)
        self.hermitian = bool(hermitian)
        self._freeze()

    def make_node(self, a: Any) -> Apply:
        a = as_matrix_stack(a, self.name, square=self.hermitian)
        *batch, m, n = a.type.shape
        return Apply(self, [a], [TensorType(float_dtype(a, self.name), tuple(batch) + (n, m))])

    def perform(self, node, inputs):
        (a,) = inputs
        kwargs = {} if self.rtol is None else {"rtol": self.rtol}
        with self.errors():
            out = np.linalg.pinv(np.asarray(a, dtype=node.outputs[0].dtype),
                                 hermitian=self.hermitian, **kwargs)
        return [out]

    def infer_shape(self, node, input_shapes):
        s = input_shapes[0]
        return [tuple(s[:-2]) + (s[-1], s[-2])]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.linalg.grads import pinv_L_op

        return pinv_L_op(self, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.linalg.grads import pinv_R_op

        return pinv_R_op(self, inputs, node.outputs, eval_points)


def solve(a: Any, b: Any, assume_a: str = "gen", lower: bool = False) -> Variable:
    """``x`` with ``a @ x == b`` (``np.linalg.solve``; ``scipy.linalg.solve`` for
    ``assume_a="sym"``/``"pos"``, which read only the ``lower``/upper triangle of ``a``).

    ``a`` is ``(..., n, n)``; a 1-D ``b`` of length ``n`` gives ``x`` of shape
    ``(..., n)``, otherwise ``b`` is ``(..., n, k)`` with batch axes broadcast against
    ``a``'s.  A singular ``a`` raises ``numpy.linalg.LinAlgError`` (a ``ValueError``).
    """
    return Solve(assume_a, lower)(a, b)


def solve_triangular(a: Any, b: Any, trans: int | str = 0, lower: bool = False,
                     unit_diagonal: bool = False) -> Variable:
    """``x`` with ``op(a) @ x == b`` for triangular ``a`` (``scipy.linalg.solve_triangular``):
    ``op(a)`` is ``a`` (``trans=0``/``"N"``) or ``a.T`` (``1``/``"T"``); only the
    ``lower``/upper triangle of ``a`` is read.  Shapes as in :func:`solve`."""
    return SolveTriangular(lower, trans, unit_diagonal)(a, b)


_inv = MatrixInverse()


def inv(a: Any) -> Variable:
    """``np.linalg.inv(a)``; a singular ``a`` raises ``numpy.linalg.LinAlgError``."""
    return _inv(a)


def pinv(a: Any, rtol: float | None = None, hermitian: bool = False) -> Variable:
    """``np.linalg.pinv(a, rtol=rtol, hermitian=hermitian)``."""
    return Pinv(rtol, hermitian)(a)
