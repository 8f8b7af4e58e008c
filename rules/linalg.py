"""Linear-algebra rules (in the ``stabilize`` set): cheaper and more accurate forms.

- ``inv(A) @ b`` and ``dot(inv(A), b)`` -> ``solve(A, b)``: one LU solve instead of an
  inverse and a product (faster, and backward stable);
- ``det(L)`` of a triangular factor (``cholesky``, ``tril``, ``triu``) -> the product
  of its diagonal;
- ``log(det(L))`` of a Cholesky factor -> ``sum(log(diagonal(L)))`` (no overflow: the
  determinant of a 500x500 covariance easily exceeds the float range);
- ``log(det(A))`` -> ``logdet(A)`` and ``log(abs(det(A)))`` -> ``logabsdet(A)`` (both from
  one ``slogdet`` LU factorisation): the same values wherever ``det(A)`` is finite, and
  finite where it overflows or underflows.

All are pattern -> pattern rules; guards read what computes a matrix (triangular, a
Cholesky factor) and its number of dimensions.

Every rewrite keeps the result where the original is defined; singular input stays an
error (``solve`` raises as ``inv`` does).
"""

from __future__ import annotations

from etuples import etuple
from unification import var

from aesara_cas.rewriting.rule import rule
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.blas import Dot, MatMul
from aesara_cas.tensor.linalg.decomp import Cholesky, Det
from aesara_cas.tensor.linalg.logdet import LogAbsDet, LogDet
from aesara_cas.tensor.linalg.matrix import MatrixDiagonal, TriangularPart
from aesara_cas.tensor.linalg.solve import MatrixInverse, Solve
from aesara_cas.tensor.reduction import Reduce

A, b, x, L = var("A"), var("b"), var("x"), var("L")
axis, keepdims = var("axis"), var("keepdims")
_det, _inv, _solve, _diag = Det(), MatrixInverse(), Solve("gen", False), MatrixDiagonal()


def _is_triangular(v) -> bool:
    """Whether ``v`` is known to be (a stack of) triangular matrices."""
    owner = v.owner
    return owner is not None and isinstance(owner.op, (Cholesky, TriangularPart)) and (
        not isinstance(owner.op, TriangularPart) or owner.op.k == 0)


def _is_cholesky(v) -> bool:
    return v.owner is not None and isinstance(v.owner.op, Cholesky)


def _matrix_and_vector_or_matrix(bd) -> bool:
    # dot of stacks is not a matrix product
    return bd[A].ndim == 2 and bd[b].ndim <= 2


solve_from_inv = rule(
    etuple(MatMul(), etuple(_inv, A), b), etuple(_solve, A, b), name="solve_from_inv",
    doc="inv(A) @ b -> solve(A, b), any batch shape (an LU solve: faster, backward stable).",
)
solve_from_inv_dot = rule(
    etuple(Dot(), etuple(_inv, A), b), etuple(_solve, A, b),
    where=_matrix_and_vector_or_matrix, name="solve_from_inv_dot",
    doc="dot(inv(A), b) -> solve(A, b) for a matrix A and a vector or matrix b.",
)

#: ``det(L) -> prod(diagonal(L), axis=-1)``, one rule per number of dimensions of ``L``
#: (a matrix, a stack, a stack of stacks): the reduced axis, the last one of the
#: diagonal, is a parameter of the ``prod`` op, fixed once ``L.ndim`` is.  Deeper stacks
#: keep ``det`` (still right, one LU per matrix).
DET_NDIMS = (2, 3, 4)


def _det_rule(ndim: int):
    suffix = "" if ndim == 2 else f"_{ndim}d"
    what = "a matrix" if ndim == 2 else f"a {ndim}-d stack of matrices"
    return rule(
        etuple(_det, L), etuple(Reduce("prod", (ndim - 2,), False), etuple(_diag, L)),
        where=lambda bd: bd[L].ndim == ndim and _is_triangular(bd[L]),
        name=f"det_of_triangular{suffix}",
        doc=f"det(L) -> prod(diagonal(L), axis=-1) for {what} L that is triangular "
            "(cholesky, tril, triu): the determinant of a triangular matrix is the product "
            "of its diagonal, exactly (O(n) instead of an LU factorisation).",
    )


det_of_triangular_rules = [_det_rule(n) for n in DET_NDIMS]

log_det = rule(
    etuple(E.log, etuple(_det, x)), etuple(LogDet(), x),
    where=lambda bd: not _is_triangular(bd[x]), name="log_det",
    doc="log(det(A)) -> logdet(A), computed as log(sign) + logabsdet of slogdet(A): equal "
        "wherever det(A) is finite, and finite where det(A) overflows or underflows.  A "
        "triangular A is left to det_of_triangular (then log_prod_cholesky_diagonal for a "
        "Cholesky factor): its diagonal is cheaper than an LU factorisation.",
)
log_abs_det = rule(
    etuple(E.log, etuple(E.abs, etuple(_det, x))), etuple(LogAbsDet(), x),
    where=lambda bd: not _is_triangular(bd[x]), name="log_abs_det",
    doc="log(abs(det(A))) -> logabsdet(A) (slogdet(A)[1]): no overflow or underflow.  A "
        "triangular A is left to det_of_triangular.",
)
log_prod_cholesky_diagonal = rule(
    etuple(E.log, etuple(etuple(Reduce, "prod", axis, keepdims), etuple(_diag, L))),
    etuple(etuple(Reduce, "sum", axis, keepdims), etuple(E.log, etuple(_diag, L))),
    where=lambda bd: _is_cholesky(bd[L]), name="log_prod_cholesky_diagonal",
    doc="log(prod(diagonal(L))) -> sum(log(diagonal(L))) over any axes for a Cholesky "
        "factor L (its diagonal is positive, so the log of the product is the sum of the "
        "logs): no overflow where the product exceeds the float range.",
)


RULES = [solve_from_inv, solve_from_inv_dot, *det_of_triangular_rules, log_det, log_abs_det,
         log_prod_cholesky_diagonal]
