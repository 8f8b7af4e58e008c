"""Accuracy benchmark: bits of error of naive NumPy, ``ac.function`` and ``accuracy=True``.

For every case in ``cases.py`` the script samples input points (log-uniform
in magnitude over each case's ranges, both signs where the range allows),
computes the exact result with the mpmath reference evaluator
(:func:`aesara_cas.testing.reference_eval`), and reports the mean and maximum
bits of error (log2 of the number of floats between the result and the
correctly rounded exact value) of

* ``naive``: the formula as written, evaluated op by op with NumPy;
* ``default``: ``ac.function(inputs, formula)`` in the default (compiled) mode;
* ``accuracy=True``: ``ac.function(inputs, formula, accuracy={"domain": ranges,
  "limit": --limit})``, the searched form compiled in the default mode, with the
  search's time per expression (its own samples, exact values and validation
  included).

Points whose exact value is undefined (NaN: outside the domain) or could not be
confirmed by the reference are left out (their count is shown).

Run::

    python benchmarks/accuracy/run.py            # the full table
    python benchmarks/accuracy/run.py --points 200 --only sqrt_diff,log_diff
    python benchmarks/accuracy/run.py --check    # exit 1 if the acceptance bars fail
    python benchmarks/accuracy/run.py --formulas # also each formula, source, forms chosen
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The default-mode columns measure the graphs' own native modules: build them before
# ac.function returns (by default it answers on the kernel interpreter first).
os.environ.setdefault("AESARA_CAS_SYNC_BUILD", "1")

from cases import CASES, Case  # noqa: E402

import aesara_cas as ac  # noqa: E402
from aesara_cas import tensor as at  # noqa: E402
from aesara_cas.compile.vm import NumPyProgram  # noqa: E402
from aesara_cas.graph.fg import FunctionGraph  # noqa: E402
from aesara_cas.testing import bits_of_error, reference_eval, round_to_dtype  # noqa: E402


def sample(intervals, n: int, rng: np.random.Generator, inner=()) -> np.ndarray:
    """``n`` points (times ``inner``), log-uniform in magnitude over a union of intervals."""
    shape = (n, *inner)
    pick = rng.integers(len(intervals), size=shape)
    out = np.empty(shape)
    for k, (sign, lo, hi) in enumerate(intervals):
        mask = pick == k
        mags = np.exp(rng.uniform(np.log(lo), np.log(hi), size=int(mask.sum())))
        out[mask] = sign * mags
    return out


def naive_eval(inputs, expr, values):
    """The formula exactly as written, one NumPy call per operation (no rewriting)."""
    program = NumPyProgram(FunctionGraph(inputs, [expr], clone=True))
    return program.run(list(values))[0]


#: Differences in mean bits of error below this are noise (sampling, the compiled
#: backend's vector math): "worse than naive" means worse by more.
NOISE_BITS = 0.1


def search_domain(ranges) -> list[tuple[float, float]]:
    """A case's ranges ``(sign, lo, hi)`` as the search's intervals."""
    return [(lo, hi) if sign > 0 else (-hi, -lo) for sign, lo, hi in ranges]


def measure(case: Case, n: int, seed: int, limit: float) -> dict:
    # Seeded by the case's name too, so --only reproduces the full run's points.
    rng = np.random.default_rng([seed, zlib.crc32(case.name.encode())])
    names = case.build.__code__.co_varnames[: case.build.__code__.co_argcount]
    ndim = len(case.inner) + 1
    inputs = [at.tensor(dtype="float64", shape=(None,) * ndim, name=nm) for nm in names]
    expr = case.build(*inputs)
    values = [sample(r, n, rng, case.inner) for r in case.ranges]
    exact, resolved = reference_eval(expr, dict(zip(inputs, values)), return_resolved=True)
    ref = round_to_dtype(exact, "float64")
    keep = resolved & ~np.isnan(ref)
    row = {"name": case.name, "source": case.source, "formula": ac.pprint(expr),
           "points": int(keep.sum()), "dropped": int((~keep).sum())}
    results = {"naive": naive_eval(inputs, expr, values)}
    t0 = time.perf_counter()
    default_fn = ac.function(inputs, expr)
    row["compile_s"] = time.perf_counter() - t0
    results["default"] = default_fn(*values)
    row["rewritten"] = ac.pprint(default_fn.fgraph.outputs[0])
    reports: list = []
    domain = {nm: search_domain(r) for nm, r in zip(names, case.ranges)}
    try:
        acc_fn = ac.function(inputs, expr, accuracy={"domain": domain, "limit": limit,
                                                     "trace": reports})
        results["accuracy"] = acc_fn(*values)
        row["searched"] = ac.pprint(reports[0].expr)
        row["search_s"] = reports[0].seconds
        row["chosen"] = reports[0].chosen
        row["stop"] = reports[0].stop
    except ValueError as err:  # not element-wise (a reduction): the default pipeline
        results["accuracy"] = results["default"]
        row["searched"] = f"(no search: {err})"
        row["search_s"] = None
        row["chosen"] = "default (no search)"
        row["stop"] = "-"
    for key, out in results.items():
        bits = bits_of_error(np.asarray(out, dtype=np.float64), ref)[keep]
        row[key] = (float(bits.mean()), float(bits.max())) if bits.size else (0.0, 0.0)
    return row


def print_table(rows: list[dict], out=sys.stdout) -> dict:
    head = (f"{'expression':<16} {'pts':>5} | {'naive':>13} | {'default':>13} | "
            f"{'accuracy=True':>13} | {'search':>6}")
    sub = f"{'':<16} {'':>5} | {'mean':>6} {'max':>6} | {'mean':>6} {'max':>6} | " \
          f"{'mean':>6} {'max':>6} | {'s':>6}"
    print(head, file=out)
    print(sub, file=out)
    print("-" * len(head), file=out)
    worse, acc_worse = [], []
    for r in rows:
        flag = ""
        if r["naive"][0] - r["default"][0] < -1:
            flag = "  <-- default worse than naive by > 1 bit"
            worse.append(r["name"])
        if r["accuracy"][0] > r["naive"][0] + NOISE_BITS:
            flag += "  <-- accuracy=True worse than naive"
            acc_worse.append(r["name"])
        secs = "   n/a" if r["search_s"] is None else f"{r['search_s']:6.2f}"
        print(f"{r['name']:<16} {r['points']:>5} | {r['naive'][0]:6.2f} {r['naive'][1]:6.2f} | "
              f"{r['default'][0]:6.2f} {r['default'][1]:6.2f} | "
              f"{r['accuracy'][0]:6.2f} {r['accuracy'][1]:6.2f} | {secs}{flag}", file=out)
    print("-" * len(head), file=out)
    keys = ("naive", "default", "accuracy")
    means = {k: float(np.mean([r[k][0] for r in rows])) for k in keys}
    under = {k: sum(r[k][0] < 1.0 for r in rows) for k in keys}
    ratio = means["default"] / means["naive"] if means["naive"] else float("nan")
    print(f"{'overall mean':<22} | {means['naive']:6.2f} {'':>6} | {means['default']:6.2f} "
          f"{'':>6} | {means['accuracy']:6.2f} {'':>6} |", file=out)
    n = len(rows)
    print(f"{'under 1 bit':<22} | {under['naive']:>3}/{n:<9} | {under['default']:>3}/{n:<9} | "
          f"{under['accuracy']:>3}/{n:<9} |", file=out)
    times = [r["search_s"] for r in rows if r["search_s"] is not None]
    print(f"\nexpressions: {n}; mean bits of error, naive: {means['naive']:.2f}, "
          f"default: {means['default']:.2f} (ratio {ratio:.3f}), accuracy=True: "
          f"{means['accuracy']:.2f}", file=out)
    print(f"under 1 bit: naive {under['naive']}, default {under['default']}, accuracy=True "
          f"{under['accuracy']} ({100 * under['accuracy'] / n:.0f}%)", file=out)
    if times:
        print(f"search time per expression: median {np.median(times):.2f} s, max "
              f"{max(times):.2f} s ({len(times)} searched)", file=out)
    print(f"default worse than naive by more than 1 bit on: {', '.join(worse) or 'none'}",
          file=out)
    print(f"accuracy=True worse than naive by more than {NOISE_BITS} bits on: "
          f"{', '.join(acc_worse) or 'none'}", file=out)
    return {"means": means, "ratio": ratio, "worse": worse, "acc_worse": acc_worse,
            "under": under, "n": n}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=500, help="sample points per expression")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--limit", type=float, default=3.0,
                        help="seconds the accuracy search may take per expression")
    parser.add_argument("--formulas", action="store_true",
                        help="also print each formula, its source and rewritten forms")
    parser.add_argument("--json", default="", help="write the rows to this file")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless default is within 1 bit of naive on every "
                             "expression and its overall mean is at most half of naive's, "
                             "and accuracy=True is never worse than naive")
    args = parser.parse_args(argv)
    wanted = {s for s in args.only.split(",") if s}
    cases = [c for c in CASES if not wanted or c.name in wanted]
    if wanted - {c.name for c in cases}:
        parser.error(f"unknown case(s): {', '.join(sorted(wanted - {c.name for c in cases}))}")
    rows = []
    t0 = time.perf_counter()
    for case in cases:
        rows.append(measure(case, args.points, args.seed, args.limit))
    elapsed = time.perf_counter() - t0
    if args.formulas:
        for r in rows:
            print(f"{r['name']} ({r['source']}):\n    naive:     {r['formula']}\n"
                  f"    default:   {r['rewritten']}\n    searched:  {r['searched']}  "
                  f"[{r['chosen']}; stop: {r['stop']}]")
        print()
    summary = print_table(rows)
    print(f"({args.points} points per expression, seed {args.seed}, {elapsed:.1f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, **summary}, indent=1))
    if args.check:
        ok = not summary["worse"] and summary["ratio"] <= 0.5 and not summary["acc_worse"]
        print("acceptance:", "PASS" if ok else "FAIL")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
