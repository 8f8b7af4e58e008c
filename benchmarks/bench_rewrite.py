"""Rewrite-engine benchmark: time ``rewrite_graph`` on mixed-op graphs of growing size.

Graphs of 100, 1,000 and 10,000 nodes are built from a fixed seed: each new node
applies a random op (arithmetic, exp/log/sin, powers, negation, stability
patterns such as ``log(1 + exp(.))``, reductions of vectors) to recent nodes, so
the graph is deep (long dependency chains) and shares sub-expressions.  Each size
is rewritten ``--repeats`` times on a fresh copy and the median wall-clock and
CPU seconds are reported (CPU time is steadier on a shared machine), with the
1k -> 10k ratio (10 means linear).

Then the compile-path rewriting of the chain ``(x + 1) * 1.0001`` repeated
``--chain`` times (5,000 by default: 10,000 nodes, each rewritten into canonical
order), the part of compiling that chain spent before code generation.

    python benchmarks/bench_rewrite.py [--repeats 5] [--sizes 100 1000 10000] [--chain 5000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from aesara_cas import tensor as at
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.rewriting import rewrite_graph


def build_graph(n_nodes: int, seed: int = 0) -> tuple[list, list]:
    """A random mixed-op graph with about ``n_nodes`` nodes; returns (inputs, outputs)."""
    rng = random.Random(seed)
    x, y, z = at.dvector("x"), at.dvector("y"), at.dscalar("z")
    pool = [x, y, z * x]
    window = 8  # operands come from the most recent nodes: a deep graph

    def pick():
        return pool[-1 - rng.randrange(min(window, len(pool)))]

    ops = [
        lambda: pick() + pick(),
        lambda: pick() * pick(),
        lambda: pick() - pick(),
        lambda: pick() / (pick() * pick() + 1.5),
        lambda: at.exp(pick() * 0.001),
        lambda: at.log(1 + at.exp(pick())),
        lambda: at.sin(pick()) * 2 + 3 * at.sin(pick()),
        lambda: at.neg(-pick()),
        lambda: pick() ** 2,
        lambda: at.sqrt(at.sqr(pick()) + 1.0),
        lambda: pick() * 1 + 0,
        lambda: at.exp(pick()) - 1,
        lambda: x * at.sum(pick()) * 1e-3,
    ]
    while len(pool) < n_nodes:
        pool.append(ops[rng.randrange(len(ops))]())
    return [x, y, z], [pool[-1], pool[len(pool) // 2]]


def count_nodes(outputs) -> int:
    from aesara_cas.graph.traversal import toposort

    return len(toposort(outputs))


def time_rewrite(inputs, outputs, repeats: int) -> tuple[float, float, int, int]:
    """Median wall-clock and CPU seconds of ``rewrite_graph`` on fresh copies."""
    wall, cpu = [], []
    after = 0
    for _ in range(repeats):
        fg = FunctionGraph(inputs, outputs, clone=True)
        t0, c0 = time.perf_counter(), time.process_time()
        rewrite_graph(fg)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        after = len(fg.apply_nodes)
    return statistics.median(wall), statistics.median(cpu), count_nodes(outputs), after


def bench_chain(n: int, repeats: int) -> None:
    """``rewrite_graph`` of ``(x + 1) * 1.0001`` repeated ``n`` times (median)."""
    x = at.dvector("x")
    y = x
    for _ in range(n):
        y = (y + 1) * 1.0001
    wall = []
    for _ in range(repeats):
        fg = FunctionGraph([x], [y], clone=True)
        t0 = time.perf_counter()
        rewrite_graph(fg)
        wall.append(time.perf_counter() - t0)
    print(f"\nchain (x + 1) * 1.0001 x {n:,} ({count_nodes([y]):,} nodes): rewrite "
          f"{statistics.median(wall):.3f} s (median of {repeats})")


def bench_saturation(sizes: list[int]) -> None:
    """Equality saturation (``ac.simplify(..., saturate=True)``'s engine, without its
    greedy first step) on the graphs of :func:`build_graph`: time, e-graph size, and
    which of egg's default limits (30 iterations, 10,000 e-nodes, 5 s) stopped it."""
    from aesara_cas.rewriting.egraph import saturate

    print(f"\nsaturation {'nodes':>8} {'iters':>6} {'e-nodes':>8} {'classes':>8} "
          f"{'stop':>10} {'wall s':>8} {'after':>6}")
    for n in sizes:
        inputs, outputs = build_graph(n)
        t0 = time.perf_counter()
        results, report = saturate(outputs, greedy=False)
        wall = time.perf_counter() - t0
        print(f"{n:>10} {count_nodes(outputs):>8} {report.iterations:>6} {report.nodes:>8} "
              f"{report.classes:>8} {report.stop:>10} {wall:>8.3f} "
              f"{count_nodes(results):>6}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--saturate-sizes", type=int, nargs="*", default=[10, 100, 1000],
                   help="expression sizes for the equality-saturation table (none: skip)")
    p.add_argument("--chain", type=int, default=5000,
                   help="repetitions of (x + 1) * 1.0001 for the chain row (0: skip)")
    args = p.parse_args(argv)
    sys.setrecursionlimit(1000)  # the engine must not need a deep stack
    # Warm up: the first run imports the rule modules and learns relation patterns.
    rewrite_graph(FunctionGraph(*build_graph(20), clone=True))
    results = {}
    print(f"{'target':>8} {'nodes':>8} {'after':>8} {'wall s':>9} {'cpu s':>9} {'us/node':>9}")
    for n in args.sizes:
        inputs, outputs = build_graph(n)
        wall, cpu, nodes, after = time_rewrite(inputs, outputs, args.repeats)
        results[n] = (wall, cpu)
        print(f"{n:>8} {nodes:>8} {after:>8} {wall:>9.3f} {cpu:>9.3f} "
              f"{1e6 * wall / nodes:>9.1f}")
    if 1000 in results and 10000 in results:
        print(f"1k -> 10k ratio: wall {results[10000][0] / results[1000][0]:.2f}, "
              f"cpu {results[10000][1] / results[1000][1]:.2f} (10 = linear)")
    if args.chain:
        bench_chain(args.chain, args.repeats)
    if args.saturate_sizes:
        bench_saturation(args.saturate_sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
