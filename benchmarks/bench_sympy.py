"""A SymPy user's choice: ``sympy.lambdify`` (NumPy backend) or ``ac.from_sympy`` + compile.

Run::

    python benchmarks/bench_sympy.py

Three expressions written in SymPy are evaluated on 1e6 float64 points by
``lambdify(..., "numpy")`` and by the function compiled from ``ac.from_sympy`` in the
default mode (rewritten, fused, vectorised).  Prints medians and the ratio
lambdify time / ours (above 1: ours is faster), and the largest relative difference.
Builds go to a temporary cache.
"""

from __future__ import annotations

import os
import tempfile

for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)
# The compiled-mode figures time the graphs' own modules: build them before
# ac.function returns (by default it answers on the kernel interpreter first).
os.environ.setdefault("AESARA_CAS_SYNC_BUILD", "1")
os.environ.setdefault("AESARA_CAS_CACHE_DIR", os.path.join(tempfile.mkdtemp(), "cache"))

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402
from bench_compile import fmt, median_time  # noqa: E402

import aesara_cas as ac  # noqa: E402
from aesara_cas import tensor as at  # noqa: E402


def main() -> None:
    s, t = sp.symbols("s t", real=True)
    cases = {
        "exp(-s**2/2)*sin(t) + log(1 + exp(s))":
            sp.exp(-s**2 / 2) * sp.sin(t) + sp.log(1 + sp.exp(s)),
        "sqrt(s**2 + t**2) / (1 + exp(-s*t))":
            sp.sqrt(s**2 + t**2) / (1 + sp.exp(-s * t)),
        "tanh(s)*cosh(t) - s**3/3 + t**5/120":
            sp.tanh(s) * sp.cosh(t) - s**3 / 3 + t**5 / 120,
    }
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-3, 3, 10**6), rng.uniform(-3, 3, 10**6)
    xs, ts = at.dvector("s"), at.dvector("t")
    print(f"{'expression':45} {'lambdify':>10} {'ours':>10} {'ratio':>7} {'max rel diff':>13}")
    for label, expr in cases.items():
        g = sp.lambdify([s, t], expr, "numpy")
        f = ac.function([xs, ts], ac.from_sympy(expr, {s: xs, t: ts}))
        ref, got = g(a, b), f(a, b)
        diff = float(np.max(np.abs(got - ref) / np.maximum(np.abs(ref), 1e-300)))
        t_lambdify = median_time(lambda g=g: g(a, b))
        t_ours = median_time(lambda f=f: f(a, b))
        print(f"{label:45} {fmt(t_lambdify):>10} {fmt(t_ours):>10} "
              f"{t_lambdify / t_ours:6.2f}x {diff:13.2e}")


if __name__ == "__main__":
    main()
