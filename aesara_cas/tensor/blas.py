"""Products: ``dot`` (``np.dot``), ``matmul`` (``np.matmul``, the ``@`` operator), ``outer``."""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Op, Variable
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable


def _check_inner(n: int | None, m: int | None, what: str) -> None:
    if n is not None and m is not None and n != m:
        raise ValueError(f"{what}: shapes are not aligned (inner lengths {n} and {m})")


def _product_dtype(a: Variable, b: Variable, what: str) -> str:
    dtype = np.result_type(a.dtype, b.dtype)
    if dtype.kind == "b":
        raise TypeError(f"{what} of boolean arrays is not supported; cast them first")
    return dtype.name


class Dot(Op):
    """``np.dot``: inner product, matrix-vector and matrix-matrix products, ``tensordot`` over
    the last axis of ``a`` and the second-to-last of ``b`` in general."""

    def __str__(self) -> str:
        return "dot"

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        dtype = _product_dtype(a, b, "dot")
        if a.ndim == 0 or b.ndim == 0:
            from aesara_cas.tensor.elemwise import broadcast_shapes

            shape = broadcast_shapes([a.type.shape, b.type.shape])
        else:
            inner_b = b.type.shape[-2] if b.ndim >= 2 else b.type.shape[0]
            _check_inner(a.type.shape[-1], inner_b, "dot")
            b_rest = b.type.shape[:-2] + b.type.shape[-1:] if b.ndim >= 2 else ()
            shape = a.type.shape[:-1] + b_rest
        return Apply(self, [a, b], [TensorType(dtype, shape)])

    def perform(self, node, inputs):
        a, b = inputs
        return [np.asarray(np.dot(a, b), dtype=node.outputs[0].dtype)]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.op_grads import dot_L_op

        return dot_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.op_grads import product_R_op

        return product_R_op(self, node, inputs, eval_points)


class MatMul(Op):
    """``np.matmul``: matrix products broadcast over leading (batch) dimensions."""

    def __str__(self) -> str:
        return "matmul"

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: inputs must have at least one dimension (use * for scalars)")
        dtype = _product_dtype(a, b, "matmul")
        sa = a.type.shape if a.ndim >= 2 else (1,) + a.type.shape
        sb = b.type.shape if b.ndim >= 2 else b.type.shape + (1,)
        _check_inner(sa[-1], sb[-2], "matmul")
        from aesara_cas.tensor.elemwise import broadcast_shapes

        batch = broadcast_shapes([sa[:-2], sb[:-2]], "matmul batch dimensions")
        shape = batch + (sa[-2] if a.ndim >= 2 else None, sb[-1] if b.ndim >= 2 else None)
        shape = tuple(s for s, keep in zip(shape, (True,) * len(batch) + (a.ndim >= 2, b.ndim >= 2))
                      if keep)
        return Apply(self, [a, b], [TensorType(dtype, shape)])

    def perform(self, node, inputs):
        a, b = inputs
        return [np.asarray(np.matmul(a, b), dtype=node.outputs[0].dtype)]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.op_grads import matmul_L_op

        return matmul_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.op_grads import product_R_op

        return product_R_op(self, node, inputs, eval_points)


_dot = Dot()
_matmul = MatMul()


def dot(a: Any, b: Any) -> Variable:
    """``np.dot(a, b)``."""
    return _dot(a, b)


def matmul(a: Any, b: Any) -> Variable:
    """``np.matmul(a, b)``, i.e. ``a @ b``."""
    return _matmul(a, b)


def outer(a: Any, b: Any) -> Variable:
    """``np.outer(a, b)``: both inputs are flattened first."""
    from aesara_cas.tensor.elemwise import mul
    from aesara_cas.tensor.shape import dimshuffle, flatten

    a, b = flatten(as_tensor_variable(a)), flatten(as_tensor_variable(b))
    return mul(dimshuffle(a, (0, "x")), dimshuffle(b, ("x", 0)))


class Gemm(Op):
    """``alpha * dot(A, B) + beta * C`` for matrices ``A``, ``B`` (BLAS ``gemm``) as one node.

    Inputs are ``(C, alpha, A, B, beta)``; ``alpha`` and ``beta`` are scalars and ``C``
    broadcasts against ``dot(A, B)``.  The result is a new array (``C`` is not
    overwritten).  The ``specialize`` rules build it so backends can call BLAS.
    """

    def __str__(self) -> str:
        return "gemm"

    def make_node(self, C: Any, alpha: Any, A: Any, B: Any, beta: Any) -> Apply:
        C, alpha, A, B, beta = (as_tensor_variable(v) for v in (C, alpha, A, B, beta))
        if A.ndim != 2 or B.ndim != 2:
            raise ValueError(f"gemm: A and B must be matrices, got {A.ndim} and {B.ndim} dims")
        if alpha.ndim != 0 or beta.ndim != 0:
            raise ValueError("gemm: alpha and beta must be scalars")
        if C.ndim > 2:
            raise ValueError(f"gemm: C must have at most 2 dimensions, got {C.ndim}")
        _check_inner(A.type.shape[1], B.type.shape[0], "gemm")
        dtype = np.result_type(*(v.dtype for v in (C, alpha, A, B, beta)))
        if dtype.kind != "f":
            raise TypeError(f"gemm needs floating-point inputs, got {dtype}")
        from aesara_cas.tensor.elemwise import broadcast_shapes

        shape = broadcast_shapes([C.type.shape, (A.type.shape[0], B.type.shape[1])], "gemm")
        return Apply(self, [C, alpha, A, B, beta], [TensorType(dtype.name, shape)])

    def perform(self, node, inputs):
        C, alpha, A, B, beta = inputs
        dtype = node.outputs[0].dtype
        out = np.asarray(alpha, dtype=dtype) * np.dot(A, B).astype(dtype, copy=False)
        out += np.asarray(beta, dtype=dtype) * np.asarray(C, dtype=dtype)
        return [np.asarray(out, dtype=dtype)]

    def infer_shape(self, node, input_shapes):
        from aesara_cas.tensor.shape import broadcast_symbolic_shapes

        c, _, a, b, _ = input_shapes
        C, _, A, B, _ = node.inputs
        return [broadcast_symbolic_shapes(
            [c, (a[0], b[1])], [C.type.shape, (A.type.shape[0], B.type.shape[1])]
        )]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.op_grads import gemm_L_op

        return gemm_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.op_grads import gemm_R_op

        return gemm_R_op(self, node, inputs, eval_points)


_gemm = Gemm()


def gemm(C: Any, alpha: Any, A: Any, B: Any, beta: Any) -> Variable:
    """``alpha * dot(A, B) + beta * C`` as one node (see :class:`Gemm`)."""
    return _gemm(C, alpha, A, B, beta)
