"""Building graphs, and a new process's first function: the fixed costs before a result.

Run::

    python benchmarks/bench_graph_build.py            # a few seconds
    python benchmarks/bench_graph_build.py --procs 3  # fewer new processes

Rows (medians; NumPy's counterpart measured in the same run, interleaved):

* ``at.constant`` of a Python float, int, bool and a ``np.float32`` vs ``np.asarray`` of
  the same number (every ``x * 1.0001`` makes such a constant);
* ``TensorType("float64", (None,))`` (every new variable has a type);
* building the chain ``(x + 1) * 1.0001`` x 5,000 (10,000 nodes) vs the same 10,000
  operations done by NumPy on a 1-element array;
* in ``--procs`` new processes: ``ac.function([x], at.exp(x*2.0).sum())`` and its first call,
  and the part of it spent taking the kernel interpreter built at install
  (``tiered.fast_program``: generating the interpreter's source to check the packaged
  module against, the checks, importing it).  Its own fresh cache directory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import timeit

import numpy as np

import aesara_cas.tensor as at
from aesara_cas.tensor.type import TensorType

CHILD = r"""
import time
t0 = time.perf_counter()
import numpy as np
import aesara_cas as ac
import aesara_cas.tensor as at
from aesara_cas.compile import tiered
spent = []
take = tiered.fast_program
def timed(*a, **k):
    t = time.perf_counter(); r = take(*a, **k); spent.append(time.perf_counter() - t); return r
tiered.fast_program = timed
t1 = time.perf_counter()
x = at.dvector("x")
f = ac.function([x], at.exp(x * 2.0).sum())
f(np.ones(3))
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, sum(spent))
"""


def per_call(stmt, number: int, repeat: int = 7) -> float:
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number


def chain(x):
    y = x
    for _ in range(5000):
        y = (y + 1) * 1.0001
    return y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=7, help="new processes to time")
    args = parser.parse_args()

    print("per number (median of 7 x 20,000):")
    for value in (1.0001, 3, True, np.float32(2.5)):
        ours = per_call(lambda value=value: at.constant(value), 20000)
        numpy = per_call(lambda value=value: np.asarray(value), 20000)
        print(f"  constant({value!r}): {ours * 1e6:.2f} us, np.asarray {numpy * 1e6:.2f} us "
              f"({ours / numpy:.1f}x)")
    t = per_call(lambda: TensorType("float64", (None,)), 20000)
    print(f"  TensorType('float64', (None,)): {t * 1e6:.2f} us")

    x = at.dvector("x")
    a = np.ones(1)
    ours, numpy = [], []
    for _ in range(5):
        ours.append(timeit.timeit(lambda: chain(x), number=1))
        numpy.append(timeit.timeit(lambda: chain(a), number=1))
    o, n = statistics.median(ours), statistics.median(numpy)
    print(f"chain (x + 1) * 1.0001 x 5,000 (10,000 nodes): built in {o * 1e3:.1f} ms "
          f"({o / 1e4 * 1e6:.2f} us a node); NumPy on 1 element {n * 1e3:.1f} ms ({o / n:.1f}x)")

    env = dict(os.environ, AESARA_CAS_CACHE_DIR=tempfile.mkdtemp(prefix="ac_bench_build_"))
    rows = []
    for _ in range(args.procs + 1):  # the first one also writes any bytecode caches
        out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                             env=env, check=True)
        rows.append([float(v) for v in out.stdout.split()])
    rows = rows[1:]
    imp, fn, fast = (statistics.median(r[k] for r in rows) * 1e3 for k in range(3))
    print(f"new process (median of {len(rows)}): import {imp:.1f} ms; first ac.function + "
          f"call {fn:.1f} ms, of which taking the packaged interpreter {fast:.1f} ms")


if __name__ == "__main__":
    main()
