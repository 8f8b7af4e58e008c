"""Linear-algebra rules (in the ``stabilize`` set): cheaper and more accurate forms.

- ``inv(A) @ b`` and ``dot(inv(A), b)`` -> ``solve(A, b)``, ``x @ inv(A)`` ->
  ``solve(A.T, x)`` (``.T`` of it for a matrix ``x``): one LU solve instead of an inverse
  and a product (faster, and backward stable);
- ``solve(L, b)`` of a triangular factor (``cholesky``, ``tril``, ``triu``) ->
  ``solve_triangular(L, b)``: a substitution instead of an LU factorisation;
- ``diagonal(diag_embed(v))`` -> ``v``;
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
error (``solve`` and ``solve_triangular`` raise as ``inv`` does).
"""

from __future__ import annotations

from etuples import etuple
from unification import var

from aesara_cas.rewriting.rule import rule
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.blas import Dot, MatMul
from aesara_cas.tensor.linalg.decomp import Cholesky, Det
from aesara_cas.tensor.linalg.logdet import LogAbsDet, LogDet
from aesara_cas.tensor.linalg.matrix import DiagEmbed, MatrixDiagonal, TriangularPart
from aesara_cas.tensor.linalg.solve import MatrixInverse, Solve, SolveTriangular
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import DimShuffle

A, b, x, L, v = var("A"), var("b"), var("x"), var("L"), var("v")
axis, keepdims, lower, solve_lower = var("axis"), var("keepdims"), var("lower"), var("sl")
_det, _inv, _solve, _diag = Det(), MatrixInverse(), Solve("gen", False), MatrixDiagonal()
_T = DimShuffle(2, (1, 0))  # the transpose of a matrix


def _is_triangular(v) -> bool:
    """Whether ``v`` is known to be (a stack of) triangular matrices."""
    owner = v.owner
    return owner is not None and isinstance(owner.op, (Cholesky, TriangularPart)) and (
        not isinstance(owner.op, TriangularPart) or owner.op.k == 0)


def _is_cholesky(v) -> bool:
    return v.owner is not None and isinstance(v.owner.op, Cholesky)


def _diagonal_decides(v) -> bool:
    """Whether det(v) is left to det_of_triangular (a triangular v it has a rule for)."""
    return v.ndim in DET_NDIMS and _is_triangular(v)


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

#: ``solve(L, b)`` of a lower (upper) triangular ``L`` as the triangular solve it is: a
#: substitution, O(n^2) instead of an O(n^3) LU factorisation, for any ``b``; a zero on
#: the diagonal stays a ``LinAlgError``.  The pattern names the factor's op, and the output
#: repeats it (the same node: the rewrite merges equal nodes, the e-graph shares them).
_TRIANGULAR_FACTORS = (
    ("solve_of_cholesky", "a Cholesky factor (lower or upper, as the factor)",
     etuple(etuple(Cholesky, lower), A)),
    ("solve_of_triangular_part", "tril(A) or triu(A)", etuple(etuple(TriangularPart, lower, 0), A)),
)
solve_of_triangular_rules = [
    rule(etuple(etuple(Solve, "gen", solve_lower), factor, b),
         etuple(etuple(SolveTriangular, lower, 0, False), factor, b), name=name,
         doc=f"solve(L, b) -> solve_triangular(L, b, lower) for L = {what}, any batch shape "
             "and b (the same values: L's other triangle is zero).")
    for name, what, factor in _TRIANGULAR_FACTORS
]
row_solve_from_inv = rule(
    etuple(MatMul(), x, etuple(_inv, A)), etuple(_solve, etuple(_T, A), x),
    where=lambda bd: bd[A].ndim == 2 and bd[x].ndim == 1, name="row_solve_from_inv",
    doc="x @ inv(A) -> solve(A.T, x) for a vector x and a matrix A (x A^-1 = A^-T x: one LU "
        "solve, faster and backward stable).",
)
rows_solve_from_inv = rule(
    etuple(MatMul(), x, etuple(_inv, A)), etuple(_T, etuple(_solve, etuple(_T, A), etuple(_T, x))),
    where=lambda bd: bd[A].ndim == 2 and bd[x].ndim == 2, name="rows_solve_from_inv",
    doc="X @ inv(A) -> solve(A.T, X.T).T for matrices X and A (X A^-1 = (A^-T X^T)^T).",
)
diagonal_of_diag_embed = rule(
    etuple(_diag, etuple(DiagEmbed(), v)), v, name="diagonal_of_diag_embed",
    doc="diagonal(diag_embed(v)) -> v for all v (the derivatives of diagonal and diag_embed "
        "are each other: second derivatives meet this pair).",
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
    where=lambda bd: not _diagonal_decides(bd[x]), name="log_det",
    doc="log(det(A)) -> logdet(A), computed as log(sign) + logabsdet of slogdet(A): equal "
        "wherever det(A) is finite, and finite where det(A) overflows or underflows.  A "
        "triangular A is left to det_of_triangular (then log_prod_cholesky_diagonal for a "
        "Cholesky factor): its diagonal is cheaper than an LU factorisation.",
)
log_abs_det = rule(
    etuple(E.log, etuple(E.abs, etuple(_det, x))), etuple(LogAbsDet(), x),
    where=lambda bd: not _diagonal_decides(bd[x]), name="log_abs_det",
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


RULES = [solve_from_inv, solve_from_inv_dot, row_solve_from_inv, rows_solve_from_inv,
         *solve_of_triangular_rules, diagonal_of_diag_embed, *det_of_triangular_rules, log_det,
         log_abs_det, log_prod_cholesky_diagonal]
