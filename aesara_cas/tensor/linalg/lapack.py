"""Single matrices straight through SciPy's LAPACK wrappers.

``numpy.linalg`` and ``scipy.linalg`` spend 10-60 us per call on checks and batching
before LAPACK runs, which dominates for small matrices (a GP or a hierarchical model
calls these in loops); the LAPACK routine itself takes about 1 us at 4x4.  The ops call
these helpers for one matrix and ``numpy.linalg``/``scipy.linalg`` for stacks.

LAPACK wants Fortran order.  The wrappers copy their input (it is never overwritten), so
``a`` in any order is fine; ``potrf`` and ``trtrs`` get ``a.T`` and are told so (the upper
triangle of ``a.T`` is the lower triangle of ``a``; solving with ``(a.T)^T`` is solving
with ``a``), which hands back the factor in C order.
"""

from __future__ import annotations

import functools
import importlib

import numpy as np

from aesara_cas.tensor.linalg.base import LinAlgError


@functools.lru_cache(maxsize=64)
def _routine(name: str, dtype: str):
    lapack = importlib.import_module("scipy.linalg.lapack")
    return lapack.get_lapack_funcs(name, (np.empty(0, dtype=dtype),))


def _check(info: int, what: str, singular: str) -> None:
    if info > 0:
        raise LinAlgError(f"{what}: {singular.format(info=info)}")
    if info < 0:  # pragma: no cover - an argument error is a bug here, not bad input
        raise ValueError(f"{what}: LAPACK rejected argument {-info}")


def cholesky(a: np.ndarray, lower: bool, what: str) -> np.ndarray:
    """The Cholesky factor of one matrix, reading the ``lower`` (or upper) triangle."""
    potrf = _routine("potrf", a.dtype.name)
    c, info = potrf(a.T, lower=not lower, clean=True, overwrite_a=False)
    _check(info, what, "the matrix is not positive definite (its leading minor of order "
                       "{info} is not)")
    return c.T


def solve_triangular(a: np.ndarray, b: np.ndarray, lower: bool, trans: int,
                     unit_diagonal: bool, what: str) -> np.ndarray:
    """``op(a) x = b`` for one triangular ``a`` and a 1-D or 2-D ``b``."""
    trtrs = _routine("trtrs", a.dtype.name)
    x, info = trtrs(a.T, b, lower=not lower, trans=1 - trans, unitdiag=unit_diagonal)
    _check(info, what, "singular matrix: its diagonal entry {info} is zero")
    return x


def solve_general(a: np.ndarray, b: np.ndarray, what: str) -> np.ndarray:
    """``a x = b`` for one square ``a`` (LU with partial pivoting, ``gesv``)."""
    gesv = _routine("gesv", a.dtype.name)
    _, _, x, info = gesv(a, b)
    _check(info, what, "Singular matrix (U[{info}, {info}] is zero)")
    return x


def solve_positive(a: np.ndarray, b: np.ndarray, lower: bool, what: str) -> np.ndarray:
    """``a x = b`` for one symmetric positive-definite ``a`` (Cholesky, ``posv``), reading
    its ``lower`` (or upper) triangle."""
    posv = _routine("posv", a.dtype.name)
    _, x, info = posv(a, b, lower=lower)
    _check(info, what, "the matrix is not positive definite (its leading minor of order "
                       "{info} is not)")
    return x


def solve_symmetric(a: np.ndarray, b: np.ndarray, lower: bool, what: str) -> np.ndarray:
    """``a x = b`` for one symmetric ``a`` (Bunch-Kaufman, ``sysv``), reading its ``lower``
    (or upper) triangle."""
    sysv = _routine("sysv", a.dtype.name)
    _, _, x, info = sysv(a, b, lower=lower)
    _check(info, what, "Singular matrix (D[{info}, {info}] is zero)")
    return x
