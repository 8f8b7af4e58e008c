"""Compile time and compiler memory of a graph with many scalar inputs.

Run::

    python benchmarks/bench_many_inputs.py                 # 500, 2000 and 5000 inputs
    python benchmarks/bench_many_inputs.py --sizes 5000    # one size

Each size runs in a new process with an empty temporary cache, so every build is
cold.  The graph is ``sum_i (i + 1) * x_i`` over ``n`` float64 scalars (one
multiply per input, then a long chain of adds) plus the same with mixed dtypes
(every third input an int64, every fifth a float32), compiled with
``ac.function`` in the default (compiled) mode and with ``mode="numpy"``.

Printed per size: total ``ac.function`` time in each mode, the time spent in
Cython (``.pyx`` -> ``.c``) and in the C compiler, the generated ``.c`` size, and
the C compiler's wall time and peak resident memory as ``/usr/bin/time -v``
reports them (when ``/usr/bin/time`` exists), plus a check that both modes agree.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

# The compiled-mode figures time the graphs' own modules: build them before
# ac.function returns (by default it answers on the kernel interpreter first).
os.environ.setdefault("AESARA_CAS_SYNC_BUILD", "1")

CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    import numpy as np
    import aesara_cas as ac
    import aesara_cas.tensor as at
    from aesara_cas.compile.cython import build

    n = int(sys.argv[1])
    stats = {"cython_s": 0.0, "cc_s": 0.0, "c_bytes": 0}
    cythonize, compile_c = build.cythonize, build.compile_c

    def timed_cythonize(pyx, name):
        t0 = time.perf_counter()
        c_file = cythonize(pyx, name)
        stats["cython_s"] += time.perf_counter() - t0
        stats["c_bytes"] += c_file.stat().st_size
        return c_file

    def timed_compile(c_file, out, big=False):
        t0 = time.perf_counter()
        compile_c(c_file, out, big)
        stats["cc_s"] += time.perf_counter() - t0

    build.cythonize, build.compile_c = timed_cythonize, timed_compile

    xs = []
    for i in range(n):
        dtype = "int64" if i % 3 == 1 else "float32" if i % 5 == 4 else "float64"
        xs.append(at.scalar(f"x{i}", dtype=dtype))
    out = xs[0] * 1.0
    for i, x in enumerate(xs[1:], start=2):
        out = out + x * float(i)
    t0 = time.perf_counter()
    f_np = ac.function(xs, out, mode="numpy")
    stats["numpy_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    f_c = ac.function(xs, out)
    stats["compiled_s"] = time.perf_counter() - t0
    args = [(i % 7) - 3 if i % 3 == 1 else 0.5 * i for i in range(n)]
    a, b = float(f_c(*args)), float(f_np(*args))
    stats["agree"] = bool(np.isclose(a, b, rtol=1e-12))
    t0 = time.perf_counter()
    for _ in range(100):
        f_c(*args)
    stats["call_us"] = (time.perf_counter() - t0) / 100 * 1e6
    print(json.dumps(stats))
    """
)


def measure(n: int) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        env["AESARA_CAS_CACHE_DIR"] = os.path.join(tmp, "cache")
        timing = os.path.join(tmp, "time.txt")
        if os.path.exists("/usr/bin/time"):
            cc = env.get("CC", "gcc")
            env["CC"] = f"/usr/bin/time -v -a -o {timing} {cc}"
        proc = subprocess.run([sys.executable, "-c", CHILD, str(n)], env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        stats = json.loads(proc.stdout.strip().splitlines()[-1])
        if os.path.exists(timing):
            peak = 0
            with open(timing) as fh:
                for line in fh:
                    if "Maximum resident set size" in line:
                        peak = max(peak, int(line.rsplit(":", 1)[1]))
            stats["cc_peak_mb"] = peak / 1024
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    sizes = parser.parse_args().sizes
    print(f"{'inputs':>7} {'compiled':>9} {'numpy':>7} {'cython':>7} {'gcc':>7} "
          f"{'gcc peak':>9} {'.c size':>9} {'call':>9} agree")
    for n in sizes:
        s = measure(n)
        print(f"{n:>7} {s['compiled_s']:>8.2f}s {s['numpy_s']:>6.2f}s {s['cython_s']:>6.2f}s "
              f"{s['cc_s']:>6.2f}s {s.get('cc_peak_mb', float('nan')):>6.0f} MB "
              f"{s['c_bytes'] / 1e6:>6.1f} MB {s['call_us']:>7.1f}us {s['agree']}", flush=True)


if __name__ == "__main__":
    main()
