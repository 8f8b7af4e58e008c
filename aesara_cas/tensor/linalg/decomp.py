"""Factorisations and determinants: ``cholesky det slogdet eigh qr svd``.

Each op computes with ``numpy.linalg`` (batched over leading axes, float32 kept,
integers computed in float64).  Derivatives are in :mod:`.grads`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Variable
from aesara_cas.tensor.linalg import lapack
from aesara_cas.tensor.linalg.base import LinalgOp
from aesara_cas.tensor.linalg.matrix import (
    as_matrix_stack,
    check_square,
    float_dtype,
    square_length,
)
from aesara_cas.tensor.type import TensorType


def _square(x: Variable, what: str) -> tuple[str, tuple, int | None]:
    """dtype, batch shape and the known side length of a stack of square matrices."""
    return float_dtype(x, what), x.type.shape[:-2], square_length(*x.type.shape[-2:])


class Cholesky(LinalgOp):
    """``np.linalg.cholesky``: ``L`` with ``L @ L.T == a`` (``lower=True``, reading the
    lower triangle of ``a``) or ``U`` with ``U.T @ U == a`` (reading the upper one)."""

    __props__ = ("lower",)
    name = "cholesky"

    def __init__(self, lower: bool = True):
        self.lower = bool(lower)
        self._freeze()

    def make_node(self, a: Any) -> Apply:
        a = as_matrix_stack(a, self.name)
        dtype, batch, n = _square(a, self.name)
        return Apply(self, [a], [TensorType(dtype, batch + (n, n))])

    def perform(self, node, inputs):
        (a,) = inputs
        check_square(a, self.name)
        a = np.asarray(a, dtype=node.outputs[0].dtype)
        if a.ndim == 2 and a.shape[0] > 0:
            return [lapack.cholesky(a, self.lower, self.name)]
        with self.errors(), np.errstate(all="ignore"):
            return [np.linalg.cholesky(a, upper=not self.lower)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.linalg.grads import cholesky_L_op

        return cholesky_L_op(self, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.linalg.grads import cholesky_R_op

        return cholesky_R_op(self, inputs, node.outputs, eval_points)


class Det(LinalgOp):
    """``np.linalg.det`` of (a stack of) square matrices."""

    name = "det"

    def make_node(self, a: Any) -> Apply:
        a = as_matrix_stack(a, self.name)
        dtype, batch, _ = _square(a, self.name)
        return Apply(self, [a], [TensorType(dtype, batch)])

    def perform(self, node, inputs):
        (a,) = inputs
        check_square(a, self.name)
        with self.errors():
            out = np.linalg.det(np.asarray(a, dtype=node.outputs[0].dtype))
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0][:-2]]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.linalg.grads import det_L_op

        return det_L_op(self, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.linalg.grads import det_R_op

        return det_R_op(self, inputs, node.outputs, eval_points)


class SlogDet(LinalgOp):
    """``np.linalg.slogdet``: the sign and the log of the absolute value of the determinant."""

    name = "slogdet"

    def make_node(self, a: Any) -> Apply:
        a = as_matrix_stack(a, self.name)
        dtype, batch, _ = _square(a, self.name)
        return Apply(self, [a], [TensorType(dtype, batch), TensorType(dtype, batch)])

    def perform(self, node, inputs):
        (a,) = inputs
        check_square(a, self.name)
        dtype = node.outputs[0].dtype
        with self.errors():
            sign, logabs = np.linalg.slogdet(np.asarray(a, dtype=dtype))
        return [np.asarray(sign, dtype=dtype), np.asarray(logabs, dtype=dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0][:-2]] * 2

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.linalg.grads import slogdet_L_op

        return slogdet_L_op(self, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.linalg.grads import slogdet_R_op

        return slogdet_R_op(self, inputs, node.outputs, eval_points)


class Eigh(LinalgOp):
    """``np.linalg.eigh``: eigenvalues (ascending) and eigenvectors (columns) of symmetric
    matrices, reading the lower (``lower=True``, ``UPLO='L'``) or upper triangle."""

    __props__ = ("lower",)
    name = "eigh"

    def __init__(self, lower: bool = True):
        self.lower = bool(lower)
        self._freeze()

    def make_node(self, a: Any) -> Apply:
        a = as_matrix_stack(a, self.name)
        dtype, batch, n = _square(a, self.name)
        return Apply(self, [a], [TensorType(dtype, batch + (n,)),
                                 TensorType(dtype, batch + (n, n))])

    def perform(self, node, inputs):
        (a,) = inputs
        check_square(a, self.name)
        with self.errors():
            w, v = np.linalg.eigh(np.asarray(a, dtype=node.outputs[0].dtype),
                                  UPLO="L" if self.lower else "U")
        return [w, v]

    def infer_shape(self, node, input_shapes):
        (s,) = input_shapes
        return [tuple(s[:-1]), tuple(s)]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.linalg.grads import eigh_L_op

        return eigh_L_op(self, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.linalg.grads import eigh_R_op

        return eigh_R_op(self, inputs, node.outputs, eval_points)


def _min_len(m: int | None, n: int | None) -> int | None:
    return None if m is None or n is None else min(m, n)


def _symbolic_min(m, n):
    from aesara_cas.tensor.elemwise import minimum

    return minimum(m, n)


class QR(LinalgOp):
    """``np.linalg.qr`` with ``mode`` ``"reduced"`` (``Q, R``), ``"complete"`` or ``"r"``
    (``R`` only)."""

    __props__ = ("mode",)
    name = "qr"

    def __init__(self, mode: str = "reduced"):
        if mode not in ("reduced", "complete", "r"):
            raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
        self.mode = mode
        self._freeze()

    def make_node(self, a: Any) -> Apply:
        a = as_matrix_stack(a, self.name, square=False)
        dtype = float_dtype(a, self.name)
        *batch, m, n = a.type.shape
        batch = tuple(batch)
        k = m if self.mode == "complete" else _min_len(m, n)
        r = TensorType(dtype, batch + (k, n))
        if self.mode == "r":
            return Apply(self, [a], [r])
        return Apply(self, [a], [TensorType(dtype, batch + (m, k)), r])

    def perform(self, node, inputs):
        (a,) = inputs
        with self.errors():
            out = np.linalg.qr(np.asarray(a, dtype=node.outputs[0].dtype), mode=self.mode)
        return [out] if self.mode == "r" else list(out)

    def infer_shape(self, node, input_shapes):
        (s,) = input_shapes
        *batch, m, n = s
        batch = tuple(batch)
        k = m if self.mode == "complete" else _symbolic_min(m, n)
        r = batch + (k, n)
        return [r] if self.mode == "r" else [batch + (m, k), r]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.linalg.grads import qr_L_op

        return qr_L_op(self, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.linalg.grads import qr_R_op

        return qr_R_op(self, inputs, node.outputs, eval_points)


class SVD(LinalgOp):
    """``np.linalg.svd``: ``U, S, Vh`` (``compute_uv=True``) or the singular values ``S``."""

    __props__ = ("full_matrices", "compute_uv")
    name = "svd"

    def __init__(self, full_matrices: bool = True, compute_uv: bool = True):
        self.full_matrices = bool(full_matrices)
        self.compute_uv = bool(compute_uv)
        self._freeze()

    def make_node(self, a: Any) -> Apply:
        a = as_matrix_stack(a, self.name, square=False)
        dtype = float_dtype(a, self.name)
        *batch, m, n = a.type.shape
        batch = tuple(batch)
        k = _min_len(m, n)
        s = TensorType(dtype, batch + (k,))
        if not self.compute_uv:
            return Apply(self, [a], [s])
        ku, kv = (m, n) if self.full_matrices else (k, k)
        return Apply(self, [a], [TensorType(dtype, batch + (m, ku)), s,
                                 TensorType(dtype, batch + (kv, n))])

    def perform(self, node, inputs):
        (a,) = inputs
        with self.errors():
            out = np.linalg.svd(np.asarray(a, dtype=node.outputs[0].dtype),
                                full_matrices=self.full_matrices, compute_uv=self.compute_uv)
        return list(out) if self.compute_uv else [out]

    def infer_shape(self, node, input_shapes):
        (s,) = input_shapes
        *batch, m, n = s
        batch = tuple(batch)
        k = _symbolic_min(m, n)
        if not self.compute_uv:
            return [batch + (k,)]
        ku, kv = (m, n) if self.full_matrices else (k, k)
        return [batch + (m, ku), batch + (k,), batch + (kv, n)]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.linalg.grads import svd_L_op

        return svd_L_op(self, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.linalg.grads import svd_R_op

        return svd_R_op(self, inputs, node.outputs, eval_points)


def cholesky(a: Any, lower: bool = True) -> Variable:
    """The Cholesky factor of symmetric positive-definite ``a`` (``np.linalg.cholesky``).

    Parameters
    ----------
    a
        ``(..., n, n)``; only the triangle named by ``lower`` is read.
    lower
        ``True``: lower-triangular ``L`` with ``L @ L.T == a``; ``False``: upper ``U`` with
        ``U.T @ U == a`` (``np.linalg.cholesky(a, upper=True)``).

    Raises ``numpy.linalg.LinAlgError`` (a ``ValueError``) when ``a`` is not positive definite.
    """
    return Cholesky(lower)(a)


_det = Det()
_slogdet = SlogDet()


def det(a: Any) -> Variable:
    """``np.linalg.det(a)`` for ``a`` of shape ``(..., n, n)``."""
    return _det(a)


def slogdet(a: Any) -> tuple[Variable, Variable]:
    """``(sign, logabsdet)`` as ``np.linalg.slogdet``: ``det(a) == sign * exp(logabsdet)``."""
    sign, logabs = _slogdet(a)
    return sign, logabs


def eigh(a: Any, UPLO: str = "L") -> tuple[Variable, Variable]:
    """``(w, v)`` as ``np.linalg.eigh``: ascending eigenvalues and unit eigenvectors
    (``a @ v[..., :, i] == w[..., i] * v[..., :, i]``) of a symmetric matrix, reading its
    ``UPLO`` (``"L"`` or ``"U"``) triangle."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    w, v = Eigh(UPLO == "L")(a)
    return w, v


def qr(a: Any, mode: str = "reduced") -> Variable | tuple[Variable, Variable]:
    """``np.linalg.qr(a, mode)``: ``(Q, R)``, or ``R`` alone for ``mode="r"``."""
    out = QR(mode)(a)
    return out if mode == "r" else tuple(out)


def svd(a: Any, full_matrices: bool = True,
        compute_uv: bool = True) -> Variable | tuple[Variable, Variable, Variable]:
    """``np.linalg.svd(a, full_matrices, compute_uv)``: ``(U, S, Vh)`` or ``S``."""
    out = SVD(full_matrices, compute_uv)(a)
    return tuple(out) if compute_uv else out
