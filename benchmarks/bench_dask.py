"""``mode="dask"`` against the same computation written with ``dask.array`` and NumPy.

Run::

    python benchmarks/bench_dask.py                    # 2e8 float64 (1.6 GB) in 100 chunks
    python benchmarks/bench_dask.py --size 2e7         # smaller
    python benchmarks/bench_dask.py --skip-numpy       # no in-memory NumPy rows
    python benchmarks/bench_dask.py --only logsumexp   # one case

Cases (medians of ``--repeat`` runs; ratios measured in this same run):

* the fused ``exp(-x**2/2)*sin(y) + log1p(exp(z))`` over three arrays of ``--size``
  elements in ``--chunks`` chunks, results persisted chunk by chunk (never gathered);
* ``logsumexp`` of one such array (the dask.array form is the usual stable two-pass
  ``m = x.max(); m + log(sum(exp(x - m)))``);

each with the local threaded scheduler against the same expression in ``dask.array``
(inputs persisted in memory first, so generation is not timed) and against NumPy on
whole in-memory arrays; then

* out of core: ``logsumexp`` of an array generated chunk by chunk inside a
  ``LocalCluster`` of 2 worker processes whose memory limits add up to less than the
  array (``--worker-memory``, default 400 MiB each; the array has at least twice
  their sum, and at least ``--size`` elements).

Builds go to a temporary cache directory (set ``AESARA_CAS_CACHE_DIR`` to keep one).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
import warnings

import numpy as np

W1 = "exp(-x**2/2)*sin(y) + log1p(exp(z))"


def median_time(fn, repeat: int) -> float:
    fn()  # warm: kernels loaded, thread pools started
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def row(name: str, seconds: float, ours: float | None = None) -> None:
    ratio = f"   aesara_cas is {seconds / ours:5.2f}x faster" if ours else ""
    print(f"  {name:<36}{seconds:8.3f} s{ratio}", flush=True)


def persist(*arrays):
    """Compute every chunk and keep them (as the user would with ``.persist()``)."""
    import dask

    out = dask.persist(*arrays, scheduler="threads")
    return out


def bench_fused(n: int, chunks: int, repeat: int, skip_numpy: bool) -> None:
    import dask.array as da

    import aesara_cas as ac
    from aesara_cas import tensor as at

    x, y, z = at.dvector("x"), at.dvector("y"), at.dvector("z")
    f = ac.function([x, y, z], at.exp(-x**2 / 2) * at.sin(y) + at.log1p(at.exp(z)),
                    mode="dask")
    step = -(-n // chunks)
    rng = da.random.default_rng(0)
    dx, dy, dz = persist(*(rng.standard_normal(n, chunks=step) for _ in range(3)))
    print(f"\nfused {W1}: n = {n:.2e} float64 in {dx.numblocks[0]} chunks "
          f"({os.cpu_count()} cores, threaded scheduler)", flush=True)
    ours = f(dx, dy, dz)
    theirs = da.exp(-dx**2 / 2) * da.sin(dy) + da.log1p(da.exp(dz))
    print(f"  tasks: aesara_cas {len(ours.dask) - 3 * dx.numblocks[0]}, "
          f"dask.array {len(theirs.dask) - 3 * dx.numblocks[0]} (inputs excluded)")
    a, b = persist(ours[:step], theirs[:step])
    np.testing.assert_allclose(a.compute(), b.compute(), rtol=1e-12, atol=1e-14)
    t_ac = median_time(lambda: persist(f(dx, dy, dz)), repeat)
    row("aesara_cas mode='dask'", t_ac)
    row("dask.array", median_time(lambda: persist(
        da.exp(-dx**2 / 2) * da.sin(dy) + da.log1p(da.exp(dz))), repeat), t_ac)
    if not skip_numpy:
        del ours, theirs, a, b
        xv = dx.compute(scheduler="threads")
        del dx
        yv = dy.compute(scheduler="threads")
        del dy
        zv = dz.compute(scheduler="threads")
        del dz
        row("NumPy (in memory, 1 thread)", median_time(
            lambda: np.exp(-xv**2 / 2) * np.sin(yv) + np.log1p(np.exp(zv)), repeat), t_ac)
        del xv, yv, zv


def bench_logsumexp(n: int, chunks: int, repeat: int, skip_numpy: bool) -> None:
    import dask.array as da

    import aesara_cas as ac
    from aesara_cas import tensor as at

    v = at.dvector("v")
    f = ac.function([v], at.logsumexp(v), mode="dask")
    step = -(-n // chunks)
    (dx,) = persist(da.random.default_rng(1).standard_normal(n, chunks=step) * 30)
    print(f"\nlogsumexp: n = {n:.2e} float64 in {dx.numblocks[0]} chunks (threaded scheduler)",
          flush=True)

    def dask_lse():
        m = dx.max()
        return (m + da.log(da.exp(dx - m).sum())).compute(scheduler="threads")

    got = f(dx).compute(scheduler="threads")
    want = dask_lse()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    print(f"  tasks: aesara_cas {len(f(dx).dask) - dx.numblocks[0]}, dask.array "
          f"{len(((dx.max()) + da.log(da.exp(dx - dx.max()).sum())).dask) - dx.numblocks[0]}")
    t_ac = median_time(lambda: f(dx).compute(scheduler="threads"), repeat)
    row("aesara_cas mode='dask'", t_ac)
    row("dask.array (max, then sum of exp)", median_time(dask_lse, repeat), t_ac)
    if not skip_numpy:
        xv = dx.compute(scheduler="threads")
        del dx

        def numpy_lse():
            m = xv.max()
            return m + np.log(np.sum(np.exp(xv - m)))

        np.testing.assert_allclose(numpy_lse(), got, rtol=1e-12)
        row("NumPy (in memory, 1 thread)", median_time(numpy_lse, repeat), t_ac)


def bench_out_of_core(n: int, chunks: int, worker_memory: int) -> None:
    import dask.array as da
    import distributed

    import aesara_cas as ac
    from aesara_cas import tensor as at

    warnings.filterwarnings("ignore", message="Sending large graph")
    v = at.dvector("v")
    f = ac.function([v], at.logsumexp(at.exp(-v**2 / 2) * at.sin(v) + at.log1p(at.exp(v))),
                    mode="dask")
    step = -(-n // chunks)
    print(f"\nout of core: logsumexp({W1} with x=y=z=v) over {n:.2e} float64 "
          f"({8 * n / 2**30:.2f} GiB) generated per chunk, {-(-n // step)} chunks, "
          f"2 worker processes of {worker_memory / 2**30:.2f} GiB each", flush=True)
    with (distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   memory_limit=worker_memory, dashboard_address=None,
                                   silence_logs=logging.ERROR)
          as cluster, distributed.Client(cluster) as client):
        x = da.random.default_rng(2).standard_normal(n, chunks=step)
        t0 = time.perf_counter()
        got = client.compute(f(x), sync=True)
        seconds = time.perf_counter() - t0
        # The same with dask.array (stable two-pass form), on the same cluster.
        e = da.exp(-x**2 / 2) * da.sin(x) + da.log1p(da.exp(x))
        m = e.max()
        t0 = time.perf_counter()
        want = client.compute(m + da.log(da.exp(e - m).sum()), sync=True)
        theirs = time.perf_counter() - t0
        np.testing.assert_allclose(got, want, rtol=1e-10)
        row("aesara_cas mode='dask' (finished)", seconds)
        row("dask.array (finished)", theirs, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=float, default=2e8, help="elements per array")
    parser.add_argument("--chunks", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-numpy", action="store_true")
    parser.add_argument("--only", choices=["fused", "logsumexp", "out-of-core"],
                        help="run one case")
    parser.add_argument("--worker-memory", type=float, default=400 * 2**20,
                        help="memory_limit of each of the 2 workers in the out-of-core "
                             "run (bytes; default 400 MiB)")
    args = parser.parse_args()
    n = int(args.size)
    if not os.environ.get("AESARA_CAS_CACHE_DIR"):
        os.environ["AESARA_CAS_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench_dask_")
    if args.only in (None, "fused"):
        bench_fused(n, args.chunks, args.repeat, args.skip_numpy)
    if args.only in (None, "logsumexp"):
        bench_logsumexp(n, args.chunks, args.repeat, args.skip_numpy)
    if args.only in (None, "out-of-core"):
        memory = int(args.worker_memory)
        # At least twice the memory of both workers together (and at least --size).
        bench_out_of_core(max(n, 4 * memory // 8), args.chunks, memory)


if __name__ == "__main__":
    main()
