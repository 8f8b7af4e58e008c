"""Loss + gradient of logistic regression: ``ac.grad`` against hand-written NumPy.

The loss is ``sum(log1p(exp(-y * (X @ w))))`` with ``X`` of shape 10,000 x 100.
Both sides are timed in the same run, in interleaved rounds, and the script reports the
median time of each, their ratio (ours / NumPy; the target is at most 1.3 in
``mode="numpy"``), and the node counts of the forward and gradient graphs.

It then times ``ac.grad`` itself on a chain of ``--chain`` ops (10,000 by default:
``sin``, ``* 1.0001``, ``+ 1``, ``exp(. * 0.001)`` in turn; median of ``--chain-repeat``
runs), with the default ``simplify=True`` and with ``simplify=False``.

Run::

    python benchmarks/bench_grad.py                  # mode="numpy"
    python benchmarks/bench_grad.py --chain 10000 --repeat 0   # the chain only
    python benchmarks/bench_grad.py --mode cython --repeat 100
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_grad.py   # steadier on a loaded machine
"""

from __future__ import annotations

import os

# Old-OpenBLAS tuning variables set on this machine slow a current NumPy down;
# they are read when NumPy loads, so drop them first (this process only).
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)
# The compiled-mode figures time the graphs' own modules: build them before
# ac.function returns (by default it answers on the kernel interpreter first).
os.environ.setdefault("AESARA_CAS_SYNC_BUILD", "1")

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


def interleaved_times(fns: list, args: tuple, repeat: int, number: int) -> np.ndarray:
    """Per-call times, shape ``(len(fns), repeat)``: each round times ``number`` calls
    of every function in turn, so changes in machine load hit all of them alike."""
    times = np.empty((len(fns), repeat))
    for r in range(repeat):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            for _ in range(number):
                fn(*args)
            times[k, r] = (time.perf_counter() - t0) / number
    return times


def chain(n: int):
    """A scalar ``x`` through ``n`` ops (sin, * 1.0001, + 1, exp(. * 0.001) in turn)."""
    x = at.dscalar("x")
    y = x
    for i in range(n):
        k = i % 4
        y = at.sin(y) if k == 0 else y * 1.0001 if k == 1 else y + 1 if k == 2 \
            else at.exp(y * 0.001)
    return x, y


def bench_chain(n: int, repeat: int) -> None:
    """``ac.grad`` of an ``n``-op chain: median seconds, simplified and not."""
    import statistics

    x, y = chain(n)
    for simplify in (True, False):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            g = ac.grad(y, x, simplify=simplify)
            times.append(time.perf_counter() - t0)
        print(f"chain of {n:,} ops: ac.grad(simplify={simplify}) "
              f"{statistics.median(times):.3f} s (median of {repeat}), "
              f"gradient {len(toposort([g])):,} nodes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="numpy", help="compilation mode (numpy or cython)")
    parser.add_argument("--repeat", type=int, default=60, help="interleaved rounds")
    parser.add_argument("--number", type=int, default=10, help="calls of each per round")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--chain", type=int, default=10_000,
                        help="ops in the chain for the ac.grad timing (0: skip)")
    parser.add_argument("--chain-repeat", type=int, default=3)
    args = parser.parse_args()
    if args.repeat <= 0:
        if args.chain:
            bench_chain(args.chain, args.chain_repeat)
        return

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

    times = interleaved_times(
        [f, numpy_loss_grad, naive_loss_grad], (Xv, yv, wv), args.repeat, args.number
    )
    m_ours, m_ref, m_naive = np.median(times, axis=1)
    round_ratio = float(np.median(times[0] / times[1]))
    best_ratio = float(times[0].min() / times[1].min())

    print(f"logistic regression loss + gradient, X {args.rows} x {args.cols}, "
          f"mode={args.mode!r}")
    from aesara_cas.rewriting import simplify

    print(f"  graph nodes: forward {len(toposort([loss]))} (simplified "
          f"{len(toposort([simplify(loss)]))}), gradient {len(toposort([g]))}, "
          f"loss+gradient compiled {len(f.fgraph.toposort())}")
    print(f"  build grad {t_grad * 1e3:.1f} ms, compile {t_compile * 1e3:.1f} ms")
    print(f"  median per call: aesara_cas {m_ours * 1e3:.3f} ms, "
          f"hand-written NumPy {m_ref * 1e3:.3f} ms")
    print(f"  (naive NumPy with log1p(exp(.)), which overflows for large inputs: "
          f"{m_naive * 1e3:.3f} ms)")
    print(f"  ratio aesara_cas / NumPy: of medians {m_ours / m_ref:.3f}, median of per-round "
          f"ratios {round_ratio:.3f}, of minimums {best_ratio:.3f}  (target <= 1.3)")
    if args.chain:
        bench_chain(args.chain, args.chain_repeat)

if __name__ == "__main__":
    main()
