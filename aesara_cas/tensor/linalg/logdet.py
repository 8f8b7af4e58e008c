"""``logdet`` and ``logabsdet``: the logarithm of a determinant as one single-output op.

``np.linalg.slogdet`` gives ``(sign, log|det|)`` from one LU factorisation, so the
logarithm stays finite where ``det`` itself overflows or underflows (the determinant of
a 500x500 covariance easily exceeds the float range).  Its two outputs do not fit a
rewrite rule's right-hand side (a pattern is a term of single-output operations), so
these ops name each logarithm on its own:

- ``logabsdet(a)`` is ``log(abs(det(a)))`` (slogdet's second output);
- ``logdet(a)`` is ``log(det(a))``: ``log|det|`` where the determinant is positive,
  ``-inf`` where it is 0 and NaN where it is negative, exactly
  ``log(sign) + logabsdet``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Variable
from aesara_cas.tensor.linalg.base import LinalgOp
from aesara_cas.tensor.linalg.matrix import as_matrix_stack, check_square, float_dtype
from aesara_cas.tensor.type import TensorType


class _SlogdetLog(LinalgOp):
    """What ``logdet`` and ``logabsdet`` share: types, slogdet, derivatives."""

    def make_node(self, a: Any) -> Apply:
        a = as_matrix_stack(a, self.name)
        return Apply(self, [a], [TensorType(float_dtype(a, self.name), a.type.shape[:-2])])

    def _slogdet(self, node: Apply, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        check_square(a, self.name)
        with self.errors():
            return np.linalg.slogdet(np.asarray(a, dtype=node.outputs[0].dtype))

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0][:-2]]

    def L_op(self, node, inputs, outputs, output_grads):
        # d log|det A| / dA = A^-T (and so for log det A where det A > 0).
        from aesara_cas.tensor import elemwise as E
        from aesara_cas.tensor.linalg.grads import _expand2, _to
        from aesara_cas.tensor.linalg.matrix import mT
        from aesara_cas.tensor.linalg.solve import inv

        (a,), (g,) = inputs, output_grads
        if g is None:
            return [None]
        return [_to(E.mul(_expand2(g), mT(inv(a))), a)]

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.linalg.grads import _trace
        from aesara_cas.tensor.linalg.solve import solve

        (a,), (t,) = inputs, eval_points
        return [None if t is None else _trace(solve(a, t))]


class LogAbsDet(_SlogdetLog):
    """``log(abs(det(a)))`` of (a stack of) square matrices, from ``np.linalg.slogdet``."""

    name = "logabsdet"

    def perform(self, node, inputs):
        _, logabs = self._slogdet(node, inputs[0])
        return [np.asarray(logabs, dtype=node.outputs[0].dtype)]


class LogDet(_SlogdetLog):
    """``log(det(a))`` of (a stack of) square matrices: ``log(sign) + logabsdet`` of
    ``np.linalg.slogdet`` (``-inf`` where ``det(a) == 0``, NaN where it is negative)."""

    name = "logdet"

    def perform(self, node, inputs):
        sign, logabs = self._slogdet(node, inputs[0])
        dtype = node.outputs[0].dtype
        out = np.where(sign > 0, logabs, np.where(sign == 0, -np.inf, np.nan))
        return [np.asarray(out, dtype=dtype)]


_logdet, _logabsdet = LogDet(), LogAbsDet()


def logdet(a: Any) -> Variable:
    """``log(det(a))`` for ``a`` of shape ``(..., n, n)``, finite where ``det(a)`` over- or
    underflows (NaN where the determinant is negative, as ``log``)."""
    return _logdet(a)


def logabsdet(a: Any) -> Variable:
    """``log(abs(det(a)))`` for ``a`` of shape ``(..., n, n)`` (``slogdet(a)[1]``)."""
    return _logabsdet(a)
