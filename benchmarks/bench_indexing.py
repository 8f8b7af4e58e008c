"""Gather/scatter, sort and cumsum against NumPy, in both modes.

Run::

    python benchmarks/bench_indexing.py           # everything
    python benchmarks/bench_indexing.py --quick   # fewer repeats
    python benchmarks/bench_indexing.py --only sort   # one section (gather, update, sort)

Cases (1e6 indices or elements, float64):

* gather ``W[idx]`` for a vector ``W`` (1e5) and a matrix ``W`` (1e4 x 16) vs ``W[idx]``;
* its gradient, the scatter-add ``grad(sum(W[idx] * c), W)`` (``c`` an input of the
  gather's shape) vs ``np.add.at(zeros_like(W), idx, c)``, and the scatter alone,
  ``inc_subtensor(W[idx], c)`` vs ``np.add.at`` on a copy of ``W``;
* ``sort(x)`` and ``cumsum(x)`` vs ``np.sort`` and ``np.cumsum``;
* 1 and 10 chained ``set_subtensor`` updates of a 1e6 vector (in place after one copy)
  vs one ``x.copy()``.

Every figure is the median of several repeats; builds go to a temporary cache directory.
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
import tempfile  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402


def median_time(fn, repeat: int) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` batches of at least 0.05 s."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-9)
    number = max(1, int(0.05 / one))
    return statistics.median(t / number for t in timeit.repeat(fn, number=number,
                                                                repeat=repeat))


def interleaved_times(fns: dict, repeat: int) -> dict:
    """Median seconds per call of each of ``fns``, timed in alternation (one batch of
    each per round) so a change in the machine's load hits all of them alike."""
    numbers = {}
    for key, fn in fns.items():
        fn()
        t0 = time.perf_counter()
        fn()
        numbers[key] = max(1, int(0.05 / max(time.perf_counter() - t0, 1e-9)))
    times: dict = {key: [] for key in fns}
    for _ in range(repeat):
        for key, fn in fns.items():
            times[key].append(timeit.timeit(fn, number=numbers[key]) / numbers[key])
    return {key: statistics.median(ts) for key, ts in times.items()}


def row(name: str, ours: dict, reference: float, ref_name: str) -> None:
    cells = "  ".join(f"{mode:>6}: {t * 1e3:8.3f} ms ({t / reference:4.2f}x)"
                      for mode, t in ours.items())
    print(f"{name:<34} {ref_name}: {reference * 1e3:8.3f} ms   {cells}")


def bench_gather(shape: tuple, rng, repeat: int, modes: tuple) -> None:
    import aesara_cas as ac
    from aesara_cas import tensor as at

    n_idx = 10**6
    W = rng.standard_normal(shape)
    idx = rng.integers(0, shape[0], n_idx)
    c = rng.standard_normal((n_idx, *shape[1:]))
    w = at.tensor("float64", shape=(None,) * len(shape), name="W")
    i = at.lvector("idx")
    cv = at.tensor("float64", shape=(None,) * len(shape), name="c")
    gather = {m: ac.function([w, i], w[i], mode=m) for m in modes}
    g = ac.grad(at.sum(w[i] * cv), w)
    scatter = {m: ac.function([w, i, cv], g, mode=m) for m in modes}
    inc = {m: ac.function([w, i, cv], at.inc_subtensor(w[i], cv), mode=m) for m in modes}

    def add_at():
        out = np.zeros_like(W)
        np.add.at(out, idx, c)
        return out

    want = add_at()
    for m in modes:
        np.testing.assert_array_equal(gather[m](W, idx), W[idx])
        np.testing.assert_allclose(scatter[m](W, idx, c), want, rtol=1e-12, atol=1e-12)
    row(f"gather W{list(shape)}[idx]",
        {m: median_time(lambda f=gather[m]: f(W, idx), repeat) for m in modes},
        median_time(lambda: W[idx], repeat), "W[idx]")
    row(f"scatter-add grad W{list(shape)}",
        {m: median_time(lambda f=scatter[m]: f(W, idx, c), repeat) for m in modes},
        median_time(add_at, repeat), "add.at")

    def copy_add_at():
        out = W.copy()
        np.add.at(out, idx, c)
        return out

    for m in modes:
        np.testing.assert_array_equal(inc[m](W, idx, c), copy_add_at())
    row(f"inc_subtensor(W{list(shape)}[idx], c)",
        {m: median_time(lambda f=inc[m]: f(W, idx, c), repeat) for m in modes},
        median_time(copy_add_at, repeat), "add.at")


def bench_update_loop(repeat: int, modes: tuple) -> None:
    """``x = set_subtensor(x[i + k], v)`` k = 0..n-1 on 1e6 elements: in place after the
    first copy, so the time is flat in n."""
    import aesara_cas as ac
    from aesara_cas import tensor as at

    x, i, v = at.dvector("x"), at.lscalar("i"), at.dscalar("v")
    xv = np.zeros(10**6)
    for n in (1, 10):
        y = x
        for k in range(n):
            y = at.set_subtensor(y[i + k], v)
        fns = {m: ac.function([x, i, v], y, mode=m) for m in modes}
        ref = median_time(lambda: xv.copy(), repeat)
        row(f"{n} x set_subtensor, 1e6", {m: median_time(lambda f=fns[m]: f(xv, 3, 1.0), repeat)
                                          for m in modes}, ref, "x.copy()")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["gather", "update", "sort"], action="append",
                        help="run only this section (repeatable)")
    args = parser.parse_args()
    only = set(args.only or ["gather", "update", "sort"])
    repeat = 3 if args.quick else 7
    os.environ.setdefault("AESARA_CAS_CACHE_DIR", tempfile.mkdtemp(prefix="acc_bench_idx_"))

    import aesara_cas as ac
    from aesara_cas import tensor as at

    rng = np.random.default_rng(0)
    modes = ("numpy", "cython")
    for shape in ((10**5,), (10**4, 16)) if "gather" in only else ():
        bench_gather(shape, rng, repeat, modes)
    if "update" in only:
        bench_update_loop(repeat, modes)
    if "sort" not in only:
        return
    x = rng.standard_normal(10**6)
    xs = at.dvector("x")
    for name, build, ref_fn in (("sort", at.sort, np.sort), ("cumsum", at.cumsum, np.cumsum)):
        fns = {m: ac.function([xs], build(xs), mode=m) for m in modes}
        for m in modes:
            np.testing.assert_array_equal(fns[m](x), ref_fn(x))
        times = interleaved_times({"ref": lambda f=ref_fn: f(x),
                                   **{m: lambda f=fns[m]: f(x) for m in modes}}, repeat)
        ref = times.pop("ref")
        row(f"{name}(x), 1e6", times, ref, f"np.{name}")


if __name__ == "__main__":
    main()
