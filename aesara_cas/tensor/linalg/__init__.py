"""Linear algebra, ``at.linalg``: NumPy/SciPy's names and semantics.

``solve solve_triangular cholesky det slogdet logdet logabsdet inv pinv eigh qr svd
norm``, batched
over leading axes where ``numpy.linalg`` is, differentiable (reverse and forward
mode) where NumPy/JAX define a derivative.  Singular or non-square input and
non-positive-definite input to ``cholesky`` raise ``numpy.linalg.LinAlgError``
(a ``ValueError``) or ``ValueError`` naming the op.
"""

from aesara_cas.tensor.linalg.base import LinAlgError, LinalgOp
from aesara_cas.tensor.linalg.decomp import (
    QR,
    SVD,
    Cholesky,
    Det,
    Eigh,
    SlogDet,
    cholesky,
    det,
    eigh,
    qr,
    slogdet,
    svd,
)
from aesara_cas.tensor.linalg.logdet import LogAbsDet, LogDet, logabsdet, logdet
from aesara_cas.tensor.linalg.matrix import (
    DiagEmbed,
    MatrixDiagonal,
    TriangularPart,
    diag_embed,
    diagonal,
    tril,
    triu,
)
from aesara_cas.tensor.linalg.norm import norm
from aesara_cas.tensor.linalg.solve import (
    MatrixInverse,
    Pinv,
    Solve,
    SolveTriangular,
    inv,
    pinv,
    solve,
    solve_triangular,
)

__all__ = [
    "Cholesky", "Det", "DiagEmbed", "Eigh", "LinAlgError", "LinalgOp", "LogAbsDet", "LogDet",
    "MatrixDiagonal", "MatrixInverse", "Pinv", "QR", "SVD", "SlogDet", "Solve",
    "SolveTriangular", "TriangularPart", "cholesky", "det", "diag_embed", "diagonal", "eigh",
    "inv", "logabsdet", "logdet", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular",
    "svd", "tril", "triu",
]
