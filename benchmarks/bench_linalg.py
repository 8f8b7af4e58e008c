"""A multivariate-normal log-density (500x500 covariance), compiled vs NumPy/SciPy.

Run::

    python benchmarks/bench_linalg.py            # n = 500
    python benchmarks/bench_linalg.py --n 1000 --quick

The graph is the usual one: ``L = cholesky(S)``, ``z = solve_triangular(L, x - mu)``,
``logp = -0.5 z.z - sum(log(diag(L))) - n/2 log(2 pi)``.  It is compared with the same
three steps written with ``numpy.linalg.cholesky`` and ``scipy.linalg.solve_triangular``
(``check_finite=False``, the fastest SciPy path) and with
``scipy.stats.multivariate_normal.logpdf`` (which factorises with ``eigh``).  Also timed:
the naive ``-0.5 x^T inv(S) x - 0.5 log det(S)`` written with ``at.linalg.inv``/``det``,
which the rules rewrite to ``solve``/``logdet`` (one ``slogdet`` factorisation), and the
gradient with respect to ``S`` and ``x``.  Figures are medians of several repeats; builds
go to a temporary cache.
On a shared machine set ``OPENBLAS_NUM_THREADS=1``: an oversubscribed multi-threaded
BLAS makes every row slow and noisy.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)
# The compiled-mode figures time the graphs' own modules: build them before
# ac.function returns (by default it answers on the kernel interpreter first).
os.environ.setdefault("AESARA_CAS_SYNC_BUILD", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402


def median_time(fn, repeat: int = 9, min_time: float = 0.1) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` batches of >= ``min_time``."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-9)
    number = max(1, int(min_time / one))
    return statistics.median(t / number for t in timeit.repeat(fn, number=number,
                                                              repeat=repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    os.environ.setdefault("AESARA_CAS_CACHE_DIR", tempfile.mkdtemp(prefix="acc_bench_la_"))
    repeat = 3 if args.quick else 9

    import scipy.linalg
    import scipy.stats

    import aesara_cas as ac
    from aesara_cas import tensor as at
    from aesara_cas.tensor import linalg as la

    n = args.n
    rng = np.random.default_rng(0)
    A = rng.normal(size=(n, n))
    cov = A @ A.T / n + np.eye(n)
    xv, muv = rng.normal(size=n), rng.normal(size=n)
    const = -0.5 * n * math.log(2 * math.pi)

    S, x, mu = at.dmatrix("S"), at.dvector("x"), at.dvector("mu")
    L = la.cholesky(S)
    z = la.solve_triangular(L, x - mu, lower=True)
    logp = -0.5 * at.sum(z * z) - at.sum(at.log(la.diagonal(L))) + const
    naive = -0.5 * ((x - mu) @ (la.inv(S) @ (x - mu))) - 0.5 * at.log(la.det(S)) + const

    def numpy_scipy(S_, x_, mu_):
        L_ = np.linalg.cholesky(S_)
        z_ = scipy.linalg.solve_triangular(L_, x_ - mu_, lower=True, check_finite=False)
        return -0.5 * z_ @ z_ - np.sum(np.log(np.diagonal(L_))) + const

    expected = numpy_scipy(cov, xv, muv)
    rows = []
    for label, graph in [("cholesky graph", logp), ("naive inv/det graph", naive)]:
        for mode in ("cython", "numpy"):
            f = ac.function([S, x, mu], graph, mode=mode)
            assert np.isclose(f(cov, xv, muv), expected, rtol=1e-9), label
            rows.append((f"{label}, {mode} mode", median_time(lambda f=f: f(cov, xv, muv),
                                                              repeat)))
    t_np = median_time(lambda: numpy_scipy(cov, xv, muv), repeat)
    rows.append(("NumPy cholesky + SciPy solve_triangular", t_np))

    def scipy_only():
        L_ = scipy.linalg.cholesky(cov, lower=True, check_finite=False)
        z_ = scipy.linalg.solve_triangular(L_, xv - muv, lower=True, check_finite=False)
        return -0.5 * z_ @ z_ - np.sum(np.log(np.diagonal(L_))) + const

    rows.append(("SciPy cholesky + solve_triangular", median_time(scipy_only, repeat)))
    rows.append(("scipy.stats.multivariate_normal.logpdf",
                 median_time(lambda: scipy.stats.multivariate_normal.logpdf(xv, muv, cov),
                             repeat)))
    grads = ac.grad(logp, [S, x])
    fg = ac.function([S, x, mu], [logp, *grads])
    rows.append(("value + gradient (S, x), cython mode",
                 median_time(lambda: fg(cov, xv, muv), repeat)))

    def numpy_grad():
        L_ = np.linalg.cholesky(cov)
        z_ = scipy.linalg.solve_triangular(L_, xv - muv, lower=True, check_finite=False)
        alpha = scipy.linalg.solve_triangular(L_, z_, lower=True, trans=1, check_finite=False)
        inv = scipy.linalg.cho_solve((L_, True), np.eye(n), check_finite=False)
        return -alpha, 0.5 * (np.outer(alpha, alpha) - inv)

    rows.append(("NumPy/SciPy hand-written value + gradient", median_time(numpy_grad, repeat)))

    print(f"multivariate normal log-density, n = {n}")
    for label, t in rows:
        print(f"  {label:<45} {t * 1e3:8.3f} ms   {t / t_np:5.2f}x NumPy/SciPy")


if __name__ == "__main__":
    main()
