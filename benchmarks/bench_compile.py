"""Benchmarks of the compiled (Cython) mode against its peers, measured in one run.

Run::

    python benchmarks/bench_compile.py            # everything (a few minutes)
    python benchmarks/bench_compile.py --quick    # fewer repeats, no 1e7 case

Every figure is the median of several repeats; ratios compare numbers measured in
this same run.  The script unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for its own
process (they slow down a current NumPy on this machine); tests never do.  Builds go
to a temporary cache directory so "cold" really is cold.

Cases:

* fused element-wise ``exp(-x**2/2)*sin(y) + log1p(exp(z))`` at 1e6 and 1e7 float64
  elements vs NumPy, numexpr and (when importable) PyTensor and jax.jit, with the
  effective bandwidth (3 inputs + 1 output) against a plain NumPy copy;
* ``alpha*dot(A, B) + beta*C`` (1000x1000) vs ``numpy.dot(A, B)`` alone;
* ``logsumexp`` over the rows of a 2000x2000 matrix vs ``scipy.special.logsumexp``,
  NumPy's naive ``log(sum(exp(x)))`` and (when importable) jax.jit;
* reductions over columns, rows and everything of a 2000x2000 matrix vs NumPy;
* the call overhead of the seed's ``f(1.5, 2.5)`` (Python floats, checked);
* cold build (empty cache, new process) and warm load (cached module, new process)
  of the fused element-wise function: the ``ac.function`` call only.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)
# The compiled-mode figures time the graphs' own modules: build them before
# ac.function returns (by default it answers on the kernel interpreter first).
os.environ.setdefault("AESARA_CAS_SYNC_BUILD", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402

REPEATS = 9


def median_time(fn, repeat: int = REPEATS, min_time: float = 0.05) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` batches of >= ``min_time``."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-9)
    number = max(1, int(min_time / one))
    times = timeit.repeat(fn, number=number, repeat=repeat)
    return statistics.median(t / number for t in times)


def fmt(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:8.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.2f} us"
    return f"{seconds * 1e3:8.2f} ms"


def row(name: str, seconds: float, base: float | None = None, extra: str = "") -> None:
    ratio = f"  {base / seconds:6.2f}x vs NumPy" if base else ""
    print(f"  {name:<28}{fmt(seconds)}{ratio}{extra}")


W1 = "exp(-x**2/2)*sin(y) + log1p(exp(z))"


def bench_fused(n: int, repeat: int) -> None:
    import aesara_cas as ac
    from aesara_cas import tensor as at

    rng = np.random.default_rng(0)
    xv, yv, zv = (rng.normal(size=n) for _ in range(3))
    x, y, z = at.dvector("x"), at.dvector("y"), at.dvector("z")
    f = ac.function([x, y, z], at.exp(-x**2 / 2) * at.sin(y) + at.log1p(at.exp(z)))

    def numpy_w1():
        return np.exp(-xv**2 / 2) * np.sin(yv) + np.log1p(np.exp(zv))

    np.testing.assert_allclose(f(xv, yv, zv), numpy_w1(), rtol=1e-12, atol=1e-14)
    print(f"\nfused {W1}, n = {n:.0e} float64 ({os.cpu_count()} cores)")
    t_np = median_time(numpy_w1, repeat)
    row("NumPy", t_np, t_np)
    t_ac = median_time(lambda: f(xv, yv, zv), repeat)
    out = np.empty(n)
    t_copy = median_time(lambda: np.copyto(out, xv), repeat)
    bw = 4 * 8 * n / t_ac / 1e9
    copy_bw = 2 * 8 * n / t_copy / 1e9
    row("aesara_cas (compiled)", t_ac, t_np,
        f"   {bw:5.1f} GB/s effective ({bw / copy_bw:.0%} of a NumPy copy: {copy_bw:.1f} GB/s)")
    try:
        import numexpr

        t_ne = median_time(lambda: numexpr.evaluate(
            "exp(-x**2/2)*sin(y) + log1p(exp(z))", local_dict={"x": xv, "y": yv, "z": zv}), repeat)
        row(f"numexpr ({numexpr.detect_number_of_cores()} threads)", t_ne, t_np)
    except ImportError:
        print("  numexpr                     not installed")
    try:
        import pytensor
        import pytensor.tensor as pt

        px, py, pz = pt.dvector(), pt.dvector(), pt.dvector()
        pf = pytensor.function([px, py, pz], pt.exp(-px**2 / 2) * pt.sin(py) + pt.log1p(pt.exp(pz)))
        row("PyTensor (C backend)", median_time(lambda: pf(xv, yv, zv), repeat), t_np)
    except ImportError:
        print("  PyTensor                    not installed")
    jax = _jax()
    if jax is not None:
        jnp = jax.numpy
        jf = jax.jit(lambda a, b, c: jnp.exp(-a**2 / 2) * jnp.sin(b) + jnp.log1p(jnp.exp(c)))
        ja, jb, jc = (jnp.asarray(v) for v in (xv, yv, zv))
        row("jax.jit", median_time(lambda: jf(ja, jb, jc).block_until_ready(), repeat), t_np)
    else:
        print("  jax                         not installed")


def bench_gemm(repeat: int) -> None:
    import aesara_cas as ac
    from aesara_cas import tensor as at

    rng = np.random.default_rng(1)
    Av, Bv, Cv = (rng.normal(size=(1000, 1000)) for _ in range(3))
    A, B, C = at.dmatrix("A"), at.dmatrix("B"), at.dmatrix("C")
    alpha, beta = at.dscalar("alpha"), at.dscalar("beta")
    f = ac.function([A, B, C, alpha, beta], alpha * at.dot(A, B) + beta * C)
    np.testing.assert_allclose(f(Av, Bv, Cv, 0.5, 2.0), 0.5 * (Av @ Bv) + 2.0 * Cv, rtol=1e-10)
    print("\nalpha*dot(A, B) + beta*C, 1000x1000 float64")
    t_dot = median_time(lambda: np.dot(Av, Bv), repeat)
    t_ac = median_time(lambda: f(Av, Bv, Cv, 0.5, 2.0), repeat)
    t_np = median_time(lambda: 0.5 * np.dot(Av, Bv) + 2.0 * Cv, repeat)
    print(f"  {'numpy.dot(A, B) alone':<28}{fmt(t_dot)}")
    print(f"  {'NumPy full expression':<28}{fmt(t_np)}")
    print(f"  {'aesara_cas (compiled)':<28}{fmt(t_ac)}  {t_ac / t_dot:5.2f}x the time of numpy.dot")
    print(f"  graph: {[str(n.op) for n in f.fgraph.toposort()]}")


def bench_logsumexp(repeat: int) -> None:
    import scipy.special

    import aesara_cas as ac
    from aesara_cas import tensor as at

    rng = np.random.default_rng(2)
    Xv = rng.normal(size=(2000, 2000))
    X = at.dmatrix("X")
    f = ac.function([X], at.logsumexp(X, axis=1))
    np.testing.assert_allclose(f(Xv), scipy.special.logsumexp(Xv, axis=1), rtol=1e-13)
    print("\nlogsumexp over rows, 2000x2000 float64")
    t_naive = median_time(lambda: np.log(np.sum(np.exp(Xv), axis=1)), repeat)
    t_sp = median_time(lambda: scipy.special.logsumexp(Xv, axis=1), repeat)
    t_ac = median_time(lambda: f(Xv), repeat)
    print(f"  {'NumPy log(sum(exp(x)))':<28}{fmt(t_naive)}")
    print(f"  {'scipy.special.logsumexp':<28}{fmt(t_sp)}")
    print(f"  {'aesara_cas (compiled)':<28}{fmt(t_ac)}  {t_naive / t_ac:5.2f}x faster than naive, "
          f"{t_sp / t_ac:5.2f}x faster than scipy")
    jax = _jax()
    if jax is not None:
        jf = jax.jit(lambda a: jax.scipy.special.logsumexp(a, axis=1))
        ja = jax.numpy.asarray(Xv)
        t_jax = median_time(lambda: jf(ja).block_until_ready(), repeat)
        print(f"  {'jax.jit logsumexp':<28}{fmt(t_jax)}  {t_naive / t_jax:5.2f}x faster than naive "
              f"(aesara_cas / jax: {t_ac / t_jax:.2f})")
    else:
        print("  jax                         not installed")


def bench_reductions(repeat: int) -> None:
    import aesara_cas as ac
    from aesara_cas import tensor as at

    X = at.dmatrix("X")
    Xv = np.random.default_rng(3).normal(size=(2000, 2000))
    cases = [
        ("sum, axis=0", at.sum(X, axis=0), lambda: Xv.sum(axis=0)),
        ("max, axis=0", at.max(X, axis=0), lambda: Xv.max(axis=0)),
        ("sum(exp(x)), axis=0", at.sum(at.exp(X), axis=0), lambda: np.exp(Xv).sum(axis=0)),
        ("logsumexp, axis=0", at.logsumexp(X, axis=0),
         lambda: np.log(np.sum(np.exp(Xv), axis=0))),
        ("sum, axis=1", at.sum(X, axis=1), lambda: Xv.sum(axis=1)),
        ("sum, all", at.sum(X), lambda: Xv.sum()),
    ]
    print("\nreductions of 2000x2000 float64 (NumPy: the same expression; logsumexp: naive)")
    for name, expr, numpy_fn in cases:
        f = ac.function([X], expr)
        np.testing.assert_allclose(f(Xv), numpy_fn(), rtol=1e-12)
        t_np = median_time(numpy_fn, repeat)
        t_ac = median_time(lambda f=f: f(Xv), repeat)
        print(f"  {name:<26}{fmt(t_ac)}  NumPy {fmt(t_np).strip():>9}  {t_np / t_ac:5.2f}x")


def _jax():
    """jax with float64 enabled, or None when it is not installed."""
    try:
        import jax
        import jax.numpy  # noqa: F401
        import jax.scipy.special  # noqa: F401
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax


def bench_call(repeat: int) -> None:
    import aesara_cas as ac
    from aesara_cas import tensor as at

    a, b = at.dscalar("a"), at.dscalar("b")
    f = ac.function([a, b], a + b)
    assert f(1.5, 2.5) == 4.0

    def g(x, y):
        return x + y

    n = 200_000
    t_f = statistics.median(timeit.repeat(lambda: f(1.5, 2.5), number=n, repeat=repeat)) / n
    t_g = statistics.median(timeit.repeat(lambda: g(1.5, 2.5), number=n, repeat=repeat)) / n
    t_0 = statistics.median(timeit.repeat(lambda: None, number=n, repeat=repeat)) / n
    print("\ncall overhead of f(1.5, 2.5) (Python floats, arguments checked)")
    print(f"  {'aesara_cas f(1.5, 2.5)':<28}{fmt(t_f - t_0)}  (timing loop's own cost "
          f"{fmt(t_0).strip()} subtracted)")
    print(f"  {'plain Python g(1.5, 2.5)':<28}{fmt(t_g - t_0)}")
    try:
        import pytensor
        import pytensor.tensor as pt

        pa, pb = pt.dscalar(), pt.dscalar()
        pf = pytensor.function([pa, pb], pa + pb)
        t_p = statistics.median(timeit.repeat(lambda: pf(1.5, 2.5), number=n // 10,
                                              repeat=repeat)) / (n // 10)
        print(f"  {'PyTensor f(1.5, 2.5)':<28}{fmt(t_p - t_0)}")
    except ImportError:
        print("  PyTensor                    not installed")
    jax = _jax()
    if jax is not None:
        jf = jax.jit(lambda x, y: x + y)
        jf(1.5, 2.5).block_until_ready()
        t_j = statistics.median(timeit.repeat(lambda: jf(1.5, 2.5).block_until_ready(),
                                              number=n // 10, repeat=repeat)) / (n // 10)
        print(f"  {'jax.jit f(1.5, 2.5)':<28}{fmt(t_j - t_0)}")
    else:
        print("  jax                         not installed")


BUILD_SCRIPT = textwrap.dedent("""
    import time
    import aesara_cas as ac
    from aesara_cas import tensor as at
    import sys
    fmod = sys.modules["aesara_cas.compile.function"]
    link, spent = fmod.link, []
    def timed_link(fgraph, m):
        t0 = time.perf_counter()
        try:
            return link(fgraph, m)
        finally:
            spent.append(time.perf_counter() - t0)
    fmod.link = timed_link
    x, y, z = at.dvector("x"), at.dvector("y"), at.dvector("z")
    e = at.exp(-x**2 / 2) * at.sin(y) + at.log1p(at.exp(z))
    t = time.perf_counter()
    f = ac.function([x, y, z], e)
    print(time.perf_counter() - t, spent[0])
""")


def bench_build(repeat: int) -> None:
    cold, warm = [], []
    for _ in range(max(3, repeat // 3)):
        with tempfile.TemporaryDirectory() as d:
            env = dict(os.environ, AESARA_CAS_CACHE_DIR=d)
            run = [sys.executable, "-c", BUILD_SCRIPT]
            out = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
            cold.append([float(v) for v in out.stdout.split()[-2:]])
            out = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
            warm.append([float(v) for v in out.stdout.split()[-2:]])
    print("\nbuilding the fused function (new process each time; the ac.function call only;")
    print("  in brackets the backend's share: lowering, codegen, cache, build or load)")
    for name, runs in (("cold (empty cache)", cold), ("warm (cached module)", warm)):
        total = statistics.median(r[0] for r in runs)
        backend = statistics.median(r[1] for r in runs)
        print(f"  {name:<28}{fmt(total)}   [{fmt(backend).strip()}]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, skip 1e7")
    args = parser.parse_args(argv)
    repeat = 5 if args.quick else REPEATS
    os.environ.setdefault("AESARA_CAS_CACHE_DIR", tempfile.mkdtemp(prefix="ac-bench-"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    ncpu = os.cpu_count() or 1
    threads = os.environ.get("AESARA_CAS_THREADS") or max(1, min(ncpu, round(ncpu - load + 1)))
    print(f"aesara_cas compiled-mode benchmarks (load average {load:.1f} on {ncpu} cores, so "
          f"big loops use ~{threads} thread(s): AESARA_CAS_THREADS=N forces N; "
          f"medians of {repeat} repeats)")
    bench_fused(10**6, repeat)
    if not args.quick:
        bench_fused(10**7, max(3, repeat // 2))
    bench_gemm(repeat)
    bench_logsumexp(repeat)
    bench_reductions(repeat)
    bench_call(repeat)
    bench_build(repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
