"""Loss + gradient of logistic regression: ``ac.grad`` against hand-written NumPy.

The loss is ``sum(log1p(exp(-y * (X @ w))))`` with ``X`` of shape 10,000 x 100.
Both sides are timed in the same run, call by call in turn, and the script reports the
median time of each, their ratio (ours / NumPy; the target is at most 1.3 in
``mode="numpy"``), and the node counts of the forward and gradient graphs.

Run::

    python benchmarks/bench_grad.py                  # mode="numpy"
    python benchmarks/bench_grad.py --mode cython --repeat 500
"""

from __future__ import annotations

import os

# Old-OpenBLAS tuning variables set on this machine slow a current NumPy down;
# they are read when NumPy loads, so drop them first (this process only).
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.special  # noqa: E402

import aesara_cas as ac  # noqa: E402
from aesara_cas import tensor as at  # noqa: E402
from aesara_cas.graph.traversal import toposort  # noqa: E402


def numpy_loss_grad(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple:
    """The hand-written reference: one pass forward, one backward, no repeated work."""
    m = -y * (X @ w)
    loss = np.sum(np.logaddexp(0.0, m))
    grad = X.T @ (-y * scipy.special.expit(m))
    return loss, grad


def naive_loss_grad(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple:
    """The formula as written, ``log1p(exp(.))``: fast, but inf for large margins."""
    m = -y * (X @ w)
    e = np.exp(m)
    return np.sum(np.log1p(e)), X.T @ (-y * (e / (1.0 + e)))


def build() -> tuple:
    X, y, w = at.dmatrix("X"), at.dvector("y"), at.dvector("w")
    loss = at.sum(at.log1p(at.exp(-y * (X @ w))))
    g = ac.grad(loss, w)
    return (X, y, w), loss, g


def interleaved_times(fns: list, args: tuple, repeat: int) -> list[list[float]]:
    """Per-call times of each of ``fns``, called in turn, so load changes hit all alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, times):
            t0 = time.perf_counter()
            fn(*args)
            out.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="numpy", help="compilation mode (numpy or cython)")
    parser.add_argument("--repeat", type=int, default=300, help="timed calls of each")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cols", type=int, default=100)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    Xv = rng.normal(size=(args.rows, args.cols))
    yv = rng.choice([-1.0, 1.0], size=args.rows)
    wv = rng.normal(size=args.cols) * 0.1

    t0 = time.perf_counter()
    inputs, loss, g = build()
    t_grad = time.perf_counter() - t0
    t0 = time.perf_counter()
    f = ac.function(list(inputs), [loss, g], mode=args.mode)
    t_compile = time.perf_counter() - t0

    ours_loss, ours_grad = f(Xv, yv, wv)
    ref_loss, ref_grad = numpy_loss_grad(Xv, yv, wv)
    np.testing.assert_allclose(ours_loss, ref_loss, rtol=1e-10)
    np.testing.assert_allclose(ours_grad, ref_grad, rtol=1e-9, atol=1e-9)

    ours, ref, naive = interleaved_times(
        [f, numpy_loss_grad, naive_loss_grad], (Xv, yv, wv), args.repeat
    )
    m_ours, m_ref, m_naive = (float(np.median(t)) for t in (ours, ref, naive))
    pair_ratio = float(np.median(np.asarray(ours) / np.asarray(ref)))

    print(f"logistic regression loss + gradient, X {args.rows} x {args.cols}, "
          f"mode={args.mode!r}")
    print(f"  graph nodes: forward {len(toposort([loss]))}, gradient {len(toposort([g]))}, "
          f"loss+gradient compiled {len(f.fgraph.toposort())}")
    print(f"  build grad {t_grad * 1e3:.1f} ms, compile {t_compile * 1e3:.1f} ms")
    print(f"  median per call: aesara_cas {m_ours * 1e3:.3f} ms, "
          f"hand-written NumPy {m_ref * 1e3:.3f} ms")
    print(f"  (naive NumPy with log1p(exp(.)), which overflows for large inputs: "
          f"{m_naive * 1e3:.3f} ms)")
    print(f"  ratio of medians (aesara_cas / NumPy): {m_ours / m_ref:.3f}; median of "
          f"per-call ratios {pair_ratio:.3f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
