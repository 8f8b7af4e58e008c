"""Linear-algebra rules (in the ``stabilize`` set): cheaper and more accurate forms.

- ``inv(A) @ b`` and ``dot(inv(A), b)`` -> ``solve(A, b)``: one LU solve instead of an
  inverse and a product (faster, and backward stable);
- ``det(L)`` of a triangular factor (``cholesky``, ``tril``, ``triu``) -> the product
  of its diagonal;
- ``log(det(L))`` of a Cholesky factor -> ``sum(log(diagonal(L)))`` (no overflow: the
  determinant of a 500x500 covariance easily exceeds the float range);
- ``log(det(A))`` -> ``log(sign) + logabsdet`` from ``slogdet(A)`` and ``log(abs(det(A)))``
  -> ``logabsdet``: the same values wherever ``det(A)`` is finite, and finite where it
  overflows or underflows.

Every rewrite keeps the result where the original is defined; singular input stays an
error (``solve`` raises as ``inv`` does).
"""

from __future__ import annotations

from etuples import etuple
from unification import var

from aesara_cas.rewriting.rule import rule
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.blas import Dot, MatMul
from aesara_cas.tensor.linalg.decomp import Cholesky, Det, slogdet
from aesara_cas.tensor.linalg.matrix import MatrixDiagonal, TriangularPart, diagonal
from aesara_cas.tensor.linalg.solve import MatrixInverse, Solve
from aesara_cas.tensor.reduction import Reduce

A, b, x = var(), var(), var()
_det, _inv, _solve = Det(), MatrixInverse(), Solve("gen", False)


def _is_triangular(v) -> bool:
    """Whether ``v`` is known to be (a stack of) triangular matrices."""
    owner = v.owner
    return owner is not None and isinstance(owner.op, (Cholesky, TriangularPart)) and (
        not isinstance(owner.op, TriangularPart) or owner.op.k == 0)


def _is_cholesky(v) -> bool:
    return v.owner is not None and isinstance(v.owner.op, Cholesky)


def _last_axis(kind: str, v):
    return Reduce(kind)(v, axis=v.ndim - 1)


def _matrix_and_vector_or_matrix(bd) -> bool:
    # dot of stacks is not a matrix product
    return bd[A].ndim == 2 and bd[b].ndim <= 2


def _det_triangular(bd):
    if not _is_triangular(bd[x]):
        return None
    return _last_axis("prod", diagonal(bd[x]))


def _log_det(bd):
    a = bd[x]
    if _is_cholesky(a):
        # A Cholesky factor has a positive diagonal: log det = sum of the logs.
        return _last_axis("sum", E.log(diagonal(a)))
    sign, logabs = slogdet(a)
    return E.add(E.log(sign), logabs)


def _log_abs_det(bd):
    return slogdet(bd[x])[1]


def _log_prod_diag(bd):
    """``log(prod(diagonal(L)))`` of a Cholesky factor (``det`` rewritten first)."""
    owner = bd[x].owner
    if (owner is None or not isinstance(owner.op, Reduce) or owner.op.kind != "prod"
            or owner.op.keepdims):
        return None
    d = owner.inputs[0]
    if owner.op.reduced_axes(d.ndim) != (d.ndim - 1,):
        return None
    if d.owner is None or not isinstance(d.owner.op, MatrixDiagonal):
        return None
    if not _is_cholesky(d.owner.inputs[0]):
        return None
    return _last_axis("sum", E.log(d))


solve_from_inv = rule(
    etuple(MatMul(), etuple(_inv, A), b), etuple(_solve, A, b), name="solve_from_inv",
    doc="inv(A) @ b -> solve(A, b), any batch shape (an LU solve: faster, backward stable).",
)
solve_from_inv_dot = rule(
    etuple(Dot(), etuple(_inv, A), b), etuple(_solve, A, b),
    where=_matrix_and_vector_or_matrix, name="solve_from_inv_dot",
    doc="dot(inv(A), b) -> solve(A, b) for a matrix A and a vector or matrix b.",
)
det_of_triangular = rule(
    etuple(_det, x), _det_triangular, name="det_of_triangular",
    doc="det(L) -> prod(diagonal(L)) for a triangular L (cholesky, tril, triu).  "
        "Python: the reduced axis (the last) depends on the number of dimensions.",
)
log_det = rule(
    etuple(E.log, etuple(_det, x)), _log_det, name="log_det",
    doc="log(det(L)) -> sum(log(diagonal(L))) for a Cholesky factor L; otherwise "
        "log(det(A)) -> log(sign) + logabsdet of slogdet(A) (no overflow or underflow).  "
        "Python: slogdet has two outputs, which a pattern cannot contain.",
)
log_abs_det = rule(
    etuple(E.log, etuple(E.abs, etuple(_det, x))), _log_abs_det, name="log_abs_det",
    doc="log(abs(det(A))) -> logabsdet of slogdet(A).  "
        "Python: slogdet has two outputs, which a pattern cannot contain.",
)
log_prod_cholesky_diagonal = rule(
    etuple(E.log, x), _log_prod_diag, name="log_prod_cholesky_diagonal",
    doc="log(prod(diagonal(L))) -> sum(log(diagonal(L))) for a Cholesky factor L (its "
        "diagonal is positive).  "
        "Python: the reduced axis must be the last one of the diagonal.",
)


RULES = [solve_from_inv, solve_from_inv_dot, det_of_triangular, log_det, log_abs_det,
         log_prod_cholesky_diagonal]
