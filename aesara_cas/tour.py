"""The built-in tour (``aesara-cas`` with no arguments): one short example per feature."""

from __future__ import annotations

import time

import numpy as np

import aesara_cas as ac
from aesara_cas import tensor as at


def _heading(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 66 - len(title)))


def tour_build_and_run() -> None:
    _heading("1. Build a graph and run it (the NumPy interpreter)")
    a, b = at.dscalar("a"), at.dscalar("b")
    f = ac.function([a, b], a + b, mode="numpy")
    print("f = ac.function([a, b], a + b)      f(1.5, 2.5) =", f(1.5, 2.5))
    x = at.dvector("x")
    y = ((x - x.mean()) ** 2).sum()
    print("expression:", ac.pprint(y))
    ac.dprint(y)


def tour_simplify() -> None:
    if not hasattr(ac, "simplify"):
        return
    _heading("2. Simplify with declarative rules")
    x, y = at.dvector("x"), at.dvector("y")
    two = at.constant(2.0)   # a graph constant: `2 + 3` would be added by Python first
    for expr in (x * y / x, at.neg(-x), x + x, (two + 3) * x, at.log(1 + at.exp(x)),
                 at.log(at.sum(at.exp(x))), at.log1p(-at.exp(x))):
        print(f"{ac.pprint(expr):>28}  ->  {ac.pprint(ac.simplify(expr))}")
    f = ac.function([x], at.log(1 + at.exp(x)))
    print("log(1 + exp(x)) at x = 800 gives", f(np.array([800.0])), "(naive NumPy: inf)")


def tour_user_rule() -> None:
    from etuples import etuple
    from kanren import eq, lall, var

    _heading("3. Your own rule")
    # Written as the identity it states: a wild is a pattern variable the tensor API accepts.
    x_ = ac.wild("x")
    pythagoras = ac.rule(at.sin(x_) ** 2 + at.cos(x_) ** 2, 1, name="pythagoras",
                         doc="sin(x)**2 + cos(x)**2 -> 1, for all x.")
    a, t = at.dscalar("a"), at.dscalar("t")
    expr = a + at.cos(t) ** 2 + at.sin(t) ** 2
    print("pythagoras = ac.rule(at.sin(x)**2 + at.cos(x)**2, 1)   with x = ac.wild('x')")
    print("expression:", ac.pprint(expr))
    print("  without the rule:", ac.pprint(ac.simplify(expr)))
    trace: list = []
    out = ac.simplify(expr, rules=[pythagoras], trace=trace)
    print("  with rules=[pythagoras]:", ac.pprint(out))
    print("  rules fired:", ", ".join(dict.fromkeys(e.rule for e in trace)))

    # The same engine runs any miniKanren relation rel(in_term, out_term).
    def log_of_exp(in_term, out_term):
        """log(exp(x)) -> x, for real x."""
        x = var()
        return lall(eq(in_term, etuple(at.log, etuple(at.exp, x))), eq(out_term, x))

    v = at.dvector("v")
    trace = []
    # include=[]: only the user's rule runs (the standard sets know this identity too).
    out = ac.simplify(at.log(at.exp(v)), rules=[log_of_exp], include=[], trace=trace)
    print("a relation: log(exp(v)) with rules=[log_of_exp], include=[]:", ac.pprint(out),
          " (fired:", ", ".join(e.rule for e in trace) + ")")


def tour_gradients() -> None:
    if not hasattr(ac, "grad"):
        return
    _heading("4. Symbolic gradients")
    x = at.dscalar("x")
    g = ac.grad(at.softplus(x), x)
    print("grad(softplus(x), x) =", ac.pprint(g))
    g2 = ac.grad(at.log(1 + at.exp(x)), x)
    f = ac.function([x], g2, mode="numpy")
    print("grad(log(1 + exp(x))) at x = 1000:", f(1000.0))


def tour_compile() -> None:
    _heading("5. Compile to a native (Cython) kernel")
    x, y, z = at.dvector("x"), at.dvector("y"), at.dvector("z")
    expr = at.exp(-x**2 / 2) * at.sin(y) + at.log1p(at.exp(z))
    start = time.perf_counter()
    try:
        f = ac.function([x, y, z], expr, mode="cython")   # built now, then timed
    except RuntimeError as err:  # no C compiler: the error says to use mode="numpy"
        print(f"compiled mode unavailable: {err}")
        return
    build = time.perf_counter() - start
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(1_000_000) for _ in range(3)]
    f(*args)
    t_c = min(_timeit(lambda: f(*args)) for _ in range(5))
    def numpy_version():
        return np.exp(-args[0] ** 2 / 2) * np.sin(args[1]) + np.log1p(np.exp(args[2]))

    t_np = min(_timeit(numpy_version) for _ in range(5))
    print("expression:", ac.pprint(expr))
    print(f"build (or cache load): {build:.2f} s; on 1e6 elements: compiled {t_c * 1e3:.1f} ms, "
          f"NumPy {t_np * 1e3:.1f} ms ({t_np / t_c:.1f}x)")


def tour_dask(chunks: int) -> None:
    _heading("6. Out of memory, onto a cluster: mode='dask'")
    import dask
    import dask.array as da

    x, y, z = at.dvector("x"), at.dvector("y"), at.dvector("z")
    expr = at.exp(-x**2 / 2) * at.sin(y) + at.log1p(at.exp(z))
    f = ac.function([x, y, z], [expr, at.logsumexp(expr)], mode="dask")
    args = [da.random.default_rng(i).standard_normal(1_000_000, chunks=-(-1_000_000 // chunks))
            for i in range(3)]
    out, lse = f(*args)  # lazy: a dask graph, one compiled-kernel task per chunk
    print(f"inputs: 3 x 1e6 float64 in {args[0].numblocks[0]} chunks; result: {out!r}")
    start = time.perf_counter()
    out, lse = dask.compute(out, lse, scheduler="threads")
    print(f"computed with the threaded scheduler in {time.perf_counter() - start:.2f} s; "
          f"logsumexp = {float(lse):.6f}")


def _timeit(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_tour(mode: str | None = None, chunks: int = 4) -> int:
    """The tour; ``mode="dask"`` adds a section computing chunk by chunk (``chunks``)."""
    print("aesara_cas tour: build -> rewrite -> differentiate -> compile")
    for step in (tour_build_and_run, tour_simplify, tour_user_rule, tour_gradients, tour_compile):
        step()
    if mode == "dask":
        tour_dask(chunks)
    print('\nTry your own: aesara-cas "log(1 + exp(x)) * y" --var x:dvector --var y:dscalar')
    return 0
