"""Time to first result: tiered execution against synchronous builds, one run, cold cache.

Run::

    python benchmarks/bench_latency.py            # every row (a few minutes: the
                                                  # synchronous builds of big graphs)
    python benchmarks/bench_latency.py --quick    # no synchronous builds of big graphs

Everything builds into a fresh temporary cache directory, and each row's clock starts
after a ``gc.collect()`` (the garbage of earlier rows is not charged to it).
"tiered" is the default
mode (the function answers on the kernel interpreter while its module builds in the
background); "sync" is ``AESARA_CAS_SYNC_BUILD=1`` (the module is built before
``ac.function`` returns).  "native after" is when the background build finished
(the next call runs the module).  jax.jit figures are printed when jax is importable.

Rows:

* first call of a new small graph ``exp(x).sum()`` (1,000 elements): in a new process
  on an empty cache (on the interpreter built at install; without one, the function is
  built synchronously, then the interpreter in the background: the row says which), in
  a new process once the interpreter is cached, and in a warm process;
* ``sum_{i<=1000} c_i exp(i x)``: simplify + compile, to the first result;
* the chain ``(x + 1) * 1.0001`` x 5,000 (20k nodes): compile, to the first result;
* a chain of 10,000 ops: ``ac.grad``; the same chain and its gradient compiled in the
  default mode, to the first result; rewriting 10,000 nodes (``ac.simplify``);
* the fused ``exp(-x**2/2)*sin(y) + log1p(exp(z))`` at 1e6 float64: interpreter tier
  vs NumPy vs the native module (the interpreter runs before any graph-specific build).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import timeit

CACHE = tempfile.mkdtemp(prefix="ac_bench_latency_")
os.environ["AESARA_CAS_CACHE_DIR"] = os.path.join(CACHE, "cache")
os.environ.pop("AESARA_CAS_SYNC_BUILD", None)

import numpy as np  # noqa: E402

import aesara_cas as ac  # noqa: E402
from aesara_cas import tensor as at  # noqa: E402
from aesara_cas.compile import tiered  # noqa: E402

try:
    import jax
    import jax.numpy as jnp
except ImportError:  # optional peer
    jax = None

ROWS: list[tuple[str, str, str, str]] = []


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def row(work: str, tiered_s: float | None, sync_s: float | None, jax_s: float | None = None,
        note: str = "") -> None:
    # The note (when the background build finished) belongs to the tiered column.
    tiered = fmt(tiered_s) + (f" ({note})" if note else "")
    ROWS.append((work, tiered, fmt(sync_s), fmt(jax_s)))
    print(f"  {work}: tiered {tiered}, sync {fmt(sync_s)}, jax {fmt(jax_s)}", flush=True)


def clean_slate() -> None:
    """Collect the garbage earlier rows left (their graphs, their background builds'
    objects) before a row's clock starts: each row is timed as if run on its own."""
    gc.collect()


def first_result(make, args, sync: bool) -> tuple[float, float | None]:
    """Seconds from building the graph to the first result, and (tiered) to the
    background build's end."""
    if sync:
        os.environ["AESARA_CAS_SYNC_BUILD"] = "1"
    try:
        clean_slate()
        start = time.perf_counter()
        f = make()
        f(*args)
        first = time.perf_counter() - start
    finally:
        os.environ.pop("AESARA_CAS_SYNC_BUILD", None)
    native = None
    if not sync:
        tiered.wait_idle()
        native = time.perf_counter() - start
    return first, native


_CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    import aesara_cas as ac
    from aesara_cas import tensor as at
    x = at.dvector("x")
    start = time.perf_counter()
    f = ac.function([x], at.exp(x * float(sys.argv[1])).sum())
    fast = getattr(f, "_job", None) is not None  # on the interpreter, its module queued
    f(np.ones(1000))
    seconds = time.perf_counter() - start
    from aesara_cas.compile.cython import interp
    how = ("built synchronously; the interpreter after it" if not fast
           else "on the interpreter built at install" if interp.prebuilt()[0] is not None
           else "on the interpreter from the cache")
    print(seconds, how)
""")


def child_first_call(scale: float) -> tuple[float, str]:
    """Seconds to the first result in a new process, and the path it took."""
    out = subprocess.run([sys.executable, "-c", _CHILD, str(scale)], capture_output=True,
                         text=True, env=os.environ.copy())
    if out.returncode != 0 or not out.stdout.strip():
        raise RuntimeError(f"the child process failed ({out.returncode}, {out.stdout!r}):\n"
                           f"{out.stderr[-3000:]}")
    seconds, how = out.stdout.strip().splitlines()[-1].split(" ", 1)
    return float(seconds), how


def jax_first_call(fn, *args) -> float | None:
    if jax is None:
        return None
    clean_slate()
    start = time.perf_counter()
    jax.block_until_ready(jax.jit(fn)(*args))
    return time.perf_counter() - start


def median_time(fn, repeat: int = 7) -> float:
    fn()
    t0 = time.perf_counter()
    fn()
    number = max(1, int(0.05 / max(time.perf_counter() - t0, 1e-9)))
    return statistics.median(t / number for t in timeit.repeat(fn, number=number,
                                                               repeat=repeat))


def chain(n: int, x):
    out = x
    for _ in range(n):
        out = (out + 1) * 1.0001
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true",
                        help="skip the synchronous builds of big graphs")
    opts = parser.parse_args()
    ones = np.ones(1000)

    print("first call of a new small graph exp(x).sum():", flush=True)
    cold, cold_how = child_first_call(1.0)
    warm_interp, warm_how = child_first_call(2.0)
    jx = jax_first_call(lambda v: jnp.exp(v).sum(), ones) if jax else None
    row(f"new process, empty cache ({cold_how})", cold, None, jx)
    tiered.wait_idle()
    row(f"new process, interpreter cached, new graph ({warm_how})", warm_interp, None, jx)
    x = at.dvector("x")
    ac.function([x], at.exp(x * 3.0).sum(), mode="numpy")  # this process's first rewrite
    t, native = first_result(lambda: ac.function([x], at.exp(x * 4.0).sum()), [ones], False)
    s, _ = first_result(lambda: ac.function([x], at.exp(x * 5.0).sum()), [ones], True)
    row("warm process, new graph", t, s, jx, f"native after {fmt(native)}")

    print("sum_{i<=1000} c_i exp(i x): simplify + compile:", flush=True)
    coef = np.linspace(0.5, 1.5, 1000)

    def big_sum(shift):
        terms = [float(c + shift) * at.exp(float(i) * x) for i, c in enumerate(coef, 1)]
        return ac.function([x], ac.simplify(sum(terms[1:], terms[0])))
    small = np.linspace(-1e-3, 1e-3, 1000)
    t, native = first_result(lambda: big_sum(0.0), [small], False)
    s = None if opts.quick else first_result(lambda: big_sum(1.0), [small], True)[0]
    row("sum of 1000 exponentials", t, s, None, f"native after {fmt(native)}")

    print("chain (x + 1) * 1.0001 x 5,000 (20k nodes): compile", flush=True)
    t, native = first_result(lambda: ac.function([x], chain(5000, x)), [ones], False)
    s = None if opts.quick else first_result(
        lambda: ac.function([x], chain(5000, x) * 2.0), [ones], True)[0]

    def jchain(v):
        for _ in range(5000):
            v = (v + 1) * 1.0001
        return v
    row("20k-node chain", t, s, jax_first_call(jchain, ones) if jax else None,
        f"native after {fmt(native)}")

    print("chain of 10,000 ops and its gradient:", flush=True)
    xs = at.dscalar("xs")
    long_chain = xs
    for k in range(10000):
        long_chain = at.sin(long_chain) * 0.5 + 0.1 if k % 2 else long_chain * 1.0001
    clean_slate()
    start = time.perf_counter()
    g = ac.grad(long_chain, xs)
    row("ac.grad of a 10,000-op chain", time.perf_counter() - start, None)
    t, native = first_result(lambda: ac.function([xs], [long_chain, g]), [0.3], False)
    s = None if opts.quick else first_result(
        lambda: ac.function([xs], [long_chain * 2.0, g]), [0.3], True)[0]
    row("same chain + gradient: ac.function", t, s, None, f"native after {fmt(native)}")
    clean_slate()
    start = time.perf_counter()
    ac.simplify(chain(2500, x))  # 10,000 nodes
    row("rewriting 10,000 nodes (ac.simplify)", time.perf_counter() - start, None)

    print("fused exp(-x**2/2)*sin(y) + log1p(exp(z)), 1e6 float64:", flush=True)
    a, b, c = at.dvector("a"), at.dvector("b"), at.dvector("c")
    expr = at.exp(-a ** 2 / 2) * at.sin(b) + at.log1p(at.exp(c))
    rng = np.random.default_rng(0)
    vals = [rng.normal(size=1_000_000) for _ in range(3)]
    f = ac.function([a, b, c], expr, mode="tiered")
    fast = f._program  # the interpreter tier (f switches to its module later)
    tiered.wait_idle()  # time both tiers with no build running
    interp = median_time(lambda: fast.run(vals))
    numpy_t = median_time(lambda: np.exp(-vals[0] ** 2 / 2) * np.sin(vals[1])
                          + np.log1p(np.exp(vals[2])))
    native_t = median_time(lambda: f(*vals))
    same = np.array_equal(fast.run(vals)[0], f(*vals))
    print(f"  interpreter {fmt(interp)} ({numpy_t / interp:.1f}x NumPy), NumPy {fmt(numpy_t)}, "
          f"native {fmt(native_t)} ({numpy_t / native_t:.1f}x NumPy); bit-identical: {same}")
    ROWS.append(("fused 1e6 float64: interpreter tier vs NumPy",
                 f"{numpy_t / interp:.1f}x", f"{numpy_t / native_t:.1f}x (native)", "–"))

    print("\n| work | tiered: first result | sync build: first result | jax.jit here |")
    print("| --- | --- | --- | --- |")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
