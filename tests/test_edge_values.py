"""Fuzz: random expressions at edge values agree between the compiled mode,
``mode="numpy"`` and plain NumPy on the expression as written.

A seeded generator draws :data:`N_RANDOM_FLOAT` float expressions over two float64
vectors and :data:`N_RANDOM_INT` integer ones per integer dtype (int64, int8), adds every
form of the grammar once, and compiles them all as *one* function per mode (one native
build).  Each expression is evaluated at every pair of edge values (``±0``, ``±inf``,
NaN, subnormals, tiny, huge, the integer extremes).  The counts are printed (``pytest
-s``) and kept in :data:`SUMMARY`; ``AESARA_CAS_FUZZ_SEED`` and ``AESARA_CAS_FUZZ_SIZE``
(a multiplier of the expression counts) run other or bigger samples.

What must hold (the conventions of ``docs/rules.md``: a rewrite keeps NumPy's value,
the sign of zero and of inf included, wherever the original is defined):

* The compiled modes (the native module and the default mode) give the numpy mode's
  results: the same NaN positions, infinities and signs of zero, values within
  :data:`ULPS` ulps or 1e-9 relative (the math libraries' last bits, amplified where an
  expression cancels; at the largest floats one side may have overflowed), except where
  the numpy mode is itself more than 1e-6 from the exact value (``cos`` of 1e154: the
  last bits of its argument decide), counted as ill-conditioned.
* Against NumPy on the expression as written, wherever NumPy's result is not NaN, the
  rewritten result is identical (the sign of zero and of inf included) or equal to
  rounding (as between the modes: rewritten operands differ in their last bits, which
  a cancellation amplifies), except at points excused, and counted, as one of:

  - *as accurate*: no further from the exact value (mpmath) than twice NumPy's error
    (plus :data:`ULPS`), as a stable rewrite of ``log(1 + exp(800))`` gives 800 where
    NumPy overflows to ``inf``;
  - *rounding*: the rewritten graph is exact there (its exact value is the
    original's, not a NaN, not a zero or an infinity of the other sign) and only its
    roundings differ: canonical sums are reassociated (``(y - 2) + x`` is computed
    as ``-2 + x + y``, which cancels at ``y = 2``), see ``docs/rules.md``;
  - *documented exception*: the graph rewritten without
    ``rules.stability.SIGNED_ZERO_EXCEPTIONS`` (``log1p``/``expm1`` at ``-0.0``,
    ``log1mexp`` at ``-inf``)
    gives NumPy's value there;
  - *range effect*: an intermediate (or a partial product or sum) of the expression as
    written or as rewritten overflowed (``±inf``, exactly finite) or underflowed (0 or
    subnormal, exactly not) there, see :func:`out_of_range`.  Flattened products collect
    constants (``x * -(4 / y)`` computes ``-4 * x / y``: NaN, not 0, at
    ``x = 1.8e308, y = inf``), so near the ends of the float range the order of
    operations decides;
  - *undefined step*: a step of the expression as written makes a NaN from numbers
    (``inf - inf``) that a comparison then drops, see :func:`undefined_step`.
* Integer results equal NumPy's wrap-around results exactly, in both modes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
from aesara_cas.rules.stability import SIGNED_ZERO_EXCEPTIONS

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile.vm import NumPyProgram
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.traversal import graph_inputs
from aesara_cas.rewriting import rewrite_graph
from aesara_cas.testing.reference import reference_eval, reference_float
from aesara_cas.testing.ulps import ordinal

SEED = int(os.environ.get("AESARA_CAS_FUZZ_SEED", "20261203"))
SIZE = int(os.environ.get("AESARA_CAS_FUZZ_SIZE", "1"))
N_RANDOM_FLOAT = 50 * SIZE
N_RANDOM_INT = 12 * SIZE
DEPTH = 3
#: Differences within this many ulps are rounding, not a changed value.
ULPS = 4

TINY = 5e-324
SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)
BIG = float(np.finfo(np.float64).max)
EDGE_FLOATS = [
    0.0, -0.0, math.inf, -math.inf, math.nan, TINY, -TINY, 2.2250738585072014e-308,
    1e-300, -1e-300, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0, 20.0, 710.0, -745.0,
    1e300, -1e300, BIG, -BIG,
]


def edge_ints(dtype: str) -> list[int]:
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    return sorted({0, 1, -1, 2, -3, 7, hi, lo, hi - 1, lo + 1, hi // 2 + 1, lo // 2})


#: One-argument forms: plain ops and the spellings the rewrite rules look for.
UNARY: dict[str, Callable[[Any], Any]] = {
    "-a": lambda a: -a,
    "abs": at.abs,
    "exp": at.exp,
    "log": at.log,
    "sqrt": at.sqrt,
    "log1p": at.log1p,
    "expm1": at.expm1,
    "tanh": at.tanh,
    "sigmoid": at.sigmoid,
    "a**2": lambda a: a ** 2,
    "a**3": lambda a: a ** 3,
    "a**0.5": lambda a: a ** 0.5,
    "a**-0.5": lambda a: a ** -0.5,
    "a**-1": lambda a: a ** -1,
    "a**-2": lambda a: a ** -2,
    "a**-1.5": lambda a: a ** -1.5,
    "1/a": lambda a: 1.0 / a,
    "a*a": lambda a: a * a,
    "log(1+a)": lambda a: at.log(1.0 + a),
    "exp(a)-1": lambda a: at.exp(a) - 1.0,
    "1-cos(a)": lambda a: 1.0 - at.cos(a),
    "log(1+exp(a))": lambda a: at.log(1.0 + at.exp(a)),
    "1/(1+exp(-a))": lambda a: 1.0 / (1.0 + at.exp(-a)),
    "log(sigmoid(a))": lambda a: at.log(at.sigmoid(a)),
    "1-sigmoid(a)": lambda a: 1.0 - at.sigmoid(a),
    "log(1-exp(a))": lambda a: at.log(1.0 - at.exp(a)),
    "a*0": lambda a: a * 0.0,
    "a*-0": lambda a: a * -0.0,
    "a+0": lambda a: a + 0.0,
    "a+-0": lambda a: a + -0.0,
    "0-a": lambda a: 0.0 - a,
    "maximum(0,a)": lambda a: at.maximum(0.0, a),
    "maximum(a,-0)": lambda a: at.maximum(a, -0.0),
    "minimum(a,0)": lambda a: at.minimum(a, 0.0),
    "a/a": lambda a: a / a,
    "a-a": lambda a: a - a,
    "log(exp(a))": lambda a: at.log(at.exp(a)),
    "exp(log(a))": lambda a: at.exp(at.log(a)),
    "2a+3a": lambda a: 2.0 * a + 3.0 * a,
    "-(2a)": lambda a: -(2.0 * a),
    "a*-1": lambda a: a * -1.0,
    "a*1": lambda a: a * 1.0,
    "--a": lambda a: at.neg(at.neg(a)),
    "sqrt(a+1)-sqrt(a)": lambda a: at.sqrt(a + 1.0) - at.sqrt(a),
}
BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "a+b": lambda a, b: a + b,
    "a-b": lambda a, b: a - b,
    "a*b": lambda a, b: a * b,
    "a/b": lambda a, b: a / b,
    "maximum": at.maximum,
    "minimum": at.minimum,
    "a*b**-1": lambda a, b: a * b ** -1,
    "a*b**-0.5": lambda a, b: a * b ** -0.5,
    "a*a-b*b": lambda a, b: a * a - b * b,
    "(a+b)-b": lambda a, b: (a + b) - b,
    "a*b*0": lambda a, b: a * b * 0.0,
    "exp(a)*exp(b)": lambda a, b: at.exp(a) * at.exp(b),
    "a*-b": lambda a, b: a * -b,
    "-(a*b)": lambda a, b: -(a * b),
    "switch(a<b,a,b)": lambda a, b: at.switch(at.lt(a, b), a, b),
}


def int_forms(dtype: str) -> tuple[dict, dict]:
    """The integer grammar, its constants at the extremes of ``dtype``."""
    info = np.iinfo(dtype)
    hi, lo, c = np.dtype(dtype).type(info.max), np.dtype(dtype).type(info.min), np.dtype(dtype).type
    half = c(info.max // 2 + 1)
    unary = {
        "-a": lambda a: -a,
        "abs": at.abs,
        "a-MAX": lambda a: a - hi,
        "a+MIN": lambda a: a + lo,
        "a-MIN": lambda a: a - lo,
        "-(MIN*a)": lambda a: -(lo * a),
        "H*a+H*a": lambda a: half * a + half * a,
        "a*0": lambda a: a * c(0),
        "a+0": lambda a: a + c(0),
        "a-a": lambda a: a - a,
        "a*-1": lambda a: a * c(-1),
        "a*a": lambda a: a * a,
        "a**2": lambda a: a ** 2,
        "maximum(a,0)": lambda a: at.maximum(a, c(0)),
    }
    binary = {
        "a+b": lambda a, b: a + b,
        "a-b": lambda a, b: a - b,
        "a*b": lambda a, b: a * b,
        "maximum": at.maximum,
        "minimum": at.minimum,
        "a*a-b*b": lambda a, b: a * a - b * b,
        "(a+b)-b": lambda a, b: (a + b) - b,
        "a//b": lambda a, b: a // b,
        "a%b": lambda a, b: a % b,
    }
    return unary, binary


INT_DTYPES = ("int64", "int8")


# ---------------------------------------------------------------- expressions

def random_tree(rng: np.random.Generator, unary: dict, binary: dict, leaves: tuple,
                depth: int = DEPTH) -> Any:
    """A random expression tree (nested tuples, ``("exp", ("a+b", "x", "y"))``) of at
    most ``depth`` operations on any path, with at least one variable leaf."""
    u, b = sorted(unary), sorted(binary)

    def grow(level: int) -> Any:  # depth <= DEPTH: a bounded recursion
        if level == 0 or (level < depth and rng.random() < 0.25):
            return leaves[rng.integers(len(leaves))]
        if rng.random() < 0.6:
            return (u[rng.integers(len(u))], grow(level - 1))
        return (b[rng.integers(len(b))], grow(level - 1), grow(level - 1))

    while True:
        tree = grow(depth)
        if not isinstance(tree, str) and ("'x'" in repr(tree) or "'y'" in repr(tree)):
            return tree


def build(tree: Any, env: dict, unary: dict, binary: dict) -> Any:
    """The graph of ``tree`` (an explicit stack, no recursion)."""
    results: dict[int, Any] = {}
    stack = [(tree, False)]
    while stack:
        node, done = stack.pop()
        if isinstance(node, str):
            continue
        if not done:
            stack.append((node, True))
            stack.extend((child, False) for child in node[1:])
            continue
        args = [env[c] if isinstance(c, str) else results[id(c)] for c in node[1:]]
        results[id(node)] = (unary if len(args) == 1 else binary)[node[0]](*args)
    return results[id(tree)]


def show(tree: Any) -> str:
    if isinstance(tree, str):
        return tree
    return f"{tree[0]}[{', '.join(show(c) for c in tree[1:])}]"


# ---------------------------------------------------------------- comparisons

def grid(values: list, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.meshgrid(np.array(values, dtype=dtype), np.array(values, dtype=dtype))
    return a.ravel(), b.ravel()


def identical(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise: the same value with the same sign (of zero too), or both NaN."""
    with np.errstate(invalid="ignore"):
        return ((a == b) & (np.signbit(a) == np.signbit(b))) | (np.isnan(a) & np.isnan(b))


def near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Identical, or finite nonzero values of one sign within :data:`ULPS` floats."""
    comparable = (np.isfinite(a) & np.isfinite(b) & (np.signbit(a) == np.signbit(b))
                  & (a != 0) & (b != 0))
    dist = np.abs(ordinal(np.where(comparable, a, 1.0)) - ordinal(np.where(comparable, b, 1.0)))
    return identical(a, b) | (comparable & (dist <= ULPS))


def agree(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`near`, or finite nonzero values of one sign within 1e-9 relative: the
    modes' math libraries differ in the last bits, which a cancellation amplifies."""
    with np.errstate(all="ignore"):
        close = (np.isfinite(a) & np.isfinite(b) & (np.signbit(a) == np.signbit(b))
                 & (a != 0) & (b != 0) & (np.abs(a - b) <= 1e-9 * np.abs(b)))
        # A last-bit difference at the largest floats: one side overflowed to inf.
        brink = (np.signbit(a) == np.signbit(b)) & (np.minimum(np.abs(a), np.abs(b))
                                                    >= BIG * (1 - 1e-9))
    return near(a, b) | close | brink


def _error(a: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Distance to the exact value in floats (inf: one past the largest; NaN: infinite)."""
    both_nan = np.isnan(a) & np.isnan(exact)
    ok = ~np.isnan(a) & ~np.isnan(exact)
    dist = np.abs(ordinal(np.where(ok, a, 0.0)) - ordinal(np.where(ok, exact, 0.0)))
    return np.where(both_nan, 0.0, np.where(ok, dist.astype(np.float64), np.inf))


def run_graph(inputs: list, outputs: list, values: list, exclude=None, rewrite=True) -> list:
    """The NumPy VM on ``outputs``: rewritten (optionally without some rules) or as written."""
    fgraph = FunctionGraph(inputs, outputs, clone=True)
    if rewrite:
        rewrite_graph(fgraph, exclude=exclude)
    with np.errstate(all="ignore"):
        return NumPyProgram(fgraph).run(values)


def exact_at(inputs: list, output: Any, values: list) -> np.ndarray:
    """The exact value of ``output`` (mpmath, correctly rounded) at each point, each
    distinct point (bit pattern of the inputs ``output`` uses) evaluated once."""
    used = set(graph_inputs([output]))
    cols = [v.view(np.int64) for i, v in zip(inputs, values) if i in used]
    if not cols:
        cols = [np.zeros(len(values[0]), dtype=np.int64)]
    _, first, back = np.unique(np.stack(cols, axis=1), axis=0, return_index=True,
                               return_inverse=True)
    point = {i: v[first] for i, v in zip(inputs, values)}
    exact = np.asarray(reference_float(output, point, max_dps=400), dtype=np.float64)
    return np.broadcast_to(exact, first.shape)[back.ravel()]


def _intermediates(fgraph: FunctionGraph) -> list:
    """The float results of every node of ``fgraph``, in order, and the partial results
    of n-ary sums and products (``a * b`` of ``a * b * c``, computed left to right)."""
    steps = []
    for node in fgraph.toposort():
        name = getattr(getattr(node.op, "scalar_op", None), "name", None)
        if name in ("add", "mul") and len(node.inputs) > 2:
            partial = node.inputs[0]
            for term in node.inputs[1:-1]:
                partial = getattr(at, name)(partial, term)
                steps.append(partial)
        steps += node.outputs
    return [v for v in steps if np.dtype(v.dtype).kind == "f"]


def rewritten_graph(inputs: list, output: Any) -> FunctionGraph:
    """A copy of ``output`` (over copies of ``inputs``) rewritten by the standard sets."""
    fgraph = FunctionGraph(inputs, [output], clone=True)
    rewrite_graph(fgraph)
    return fgraph


def ill_conditioned(value: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Where ``value`` (the numpy mode's) is more than 1e-6 relative from the exact
    value: the expression is so sensitive there (``cos`` of 1e154) that the modes'
    last-bit differences give unrelated results."""
    with np.errstate(all="ignore"):
        rel = np.abs(value - exact) / np.maximum(np.abs(exact), SMALLEST_NORMAL)
    return ~(rel <= 1e-6)


def undefined_step(inputs: list, output: Any, values: list) -> np.ndarray:
    """Per point: a step of ``output`` as written makes a NaN from operands that are not
    NaN (``inf - inf``, ``0 * inf``, ``sqrt(-1)``) there, which a comparison or ``switch``
    then drops.  The expression is undefined at that step, where a rewrite may give a
    number (``sqrt(y + 1) - sqrt(y)`` is 0 at ``y = inf`` once rewritten), and a
    comparison of that number may take the other branch."""
    fgraph = FunctionGraph(inputs, [output], clone=True)
    steps = [node.outputs[0] for node in fgraph.toposort()]
    floats = dict(zip(steps, run_graph(fgraph.inputs, steps, values, rewrite=False)))
    floats.update(zip(fgraph.inputs, values))
    hit = np.zeros(len(values[0]), dtype=bool)
    for out in steps:
        if np.dtype(out.dtype).kind != "f":
            continue
        made = np.isnan(np.broadcast_to(floats[out], hit.shape))
        for i in out.owner.inputs:
            value = floats.get(i)
            value = i.data if value is None else value  # a constant
            made &= ~np.isnan(np.broadcast_to(np.asarray(value, dtype=np.float64), hit.shape))
        hit |= made
    return hit


def out_of_range(inputs: list, output: Any, values: list) -> np.ndarray:
    """Per point: some intermediate of ``output`` as written, or of its rewritten graph,
    overflowed (``±inf``, exactly finite) or underflowed (0 or subnormal, exactly
    nonzero) there.

    These are the points where the order of operations decides the result near the ends
    of the float range: products and sums are flattened and their constants collected
    (``x * (4 / y)`` computes ``-4 * x / y``), and a stable rewrite computes exactly an
    intermediate NumPy rounds to zero (``log(sigmoid(710))`` is ``-4.4e-309``, not 0,
    whose sign then shows in ``0 * log(sigmoid(710))``)."""
    hit = np.zeros(len(values[0]), dtype=bool)
    written = FunctionGraph(inputs, [output], clone=True)
    rewritten = FunctionGraph(inputs, [output], clone=True)
    rewrite_graph(rewritten)
    for fgraph in (written, rewritten):
        steps = _intermediates(fgraph)
        if not steps:
            continue
        floats = run_graph(fgraph.inputs, steps, values, rewrite=False)
        exact = reference_eval(steps, dict(zip(fgraph.inputs, values)), max_dps=400)
        for f, e in zip(floats, exact):
            f = np.broadcast_to(f, hit.shape)
            e = np.broadcast_to(e, hit.shape)
            finite = np.array([mpmath.isfinite(v) for v in e.ravel()]).reshape(hit.shape)
            nonzero = finite & np.array([v != 0 for v in e.ravel()]).reshape(hit.shape)
            # Subnormal results have lost bits, as a zero has lost them all.
            hit |= (np.isinf(f) & finite) | ((np.abs(f) < SMALLEST_NORMAL) & nonzero)
    return hit


# ---------------------------------------------------------------- the run

class Batch:
    """Every expression of one fuzz run, compiled once per mode and evaluated."""

    def __init__(self, seed: int):
        rng = np.random.default_rng(seed)
        x, y = at.dvector("x"), at.dvector("y")
        self.trees: list[tuple[str, Any]] = []  # (kind, tree): kind "float" or an int dtype
        outs: list = []
        leaves = ("x", "y", "x", "y", "1", "2")
        forms = [(k, "x") for k in UNARY] + [(k, "x", "y") for k in BINARY]
        randoms = [random_tree(rng, UNARY, BINARY, leaves) for _ in range(N_RANDOM_FLOAT)]
        env = {"x": x, "y": y, "1": at.constant(1.0), "2": at.constant(2.0)}
        with np.errstate(all="ignore"):  # the grammar's NumPy-scalar constants overflow
            for tree in forms + randoms:
                self.trees.append(("float", tree))
                outs.append(build(tree, env, UNARY, BINARY))
        self.n_float_forms, self.n_float_random = len(forms), len(randoms)
        self.inputs = [x, y]
        fx, fy = grid(EDGE_FLOATS, "float64")
        self.points = {"float": (fx, fy)}
        self.n_int_forms = self.n_int_random = 0
        for dtype in INT_DTYPES:
            unary, binary = int_forms(dtype)
            i, j = at.vector(f"i_{dtype}", dtype=dtype), at.vector(f"j_{dtype}", dtype=dtype)
            env = {"x": i, "y": j, "1": at.constant(np.dtype(dtype).type(1))}
            forms = [(k, "x") for k in unary] + [(k, "x", "y") for k in binary]
            randoms = [random_tree(rng, unary, binary, ("x", "y", "x", "y", "1"))
                       for _ in range(N_RANDOM_INT)]
            with np.errstate(all="ignore"):
                for tree in forms + randoms:
                    self.trees.append((dtype, tree))
                    outs.append(build(tree, env, unary, binary))
            self.n_int_forms += len(forms)
            self.n_int_random += len(randoms)
            self.inputs += [i, j]
            self.points[dtype] = grid(edge_ints(dtype), dtype)
        self.outputs = outs
        self.values = [v for pair in self.points.values() for v in pair]
        with np.errstate(all="ignore"):
            # The native module, the default mode (the same module, or the fast tier
            # while it builds) and the NumPy VM, each on the rewritten graph.
            self.results = {m: ac.function(self.inputs, outs, mode=m, name="edge_fuzz")(
                *self.values) for m in ("cython", None, "numpy")}
        self.compiled = self.results["cython"]
        self.interpreted = self.results["numpy"]
        self.as_written = run_graph(self.inputs, outs, self.values, rewrite=False)
        self.counts = {"documented_exception_points": 0, "closer_to_exact_points": 0,
                       "rounding_points": 0, "ill_conditioned_mode_points": 0,
                       "range_effect_points": 0, "undefined_step_points": 0,
                       "numpy_nan_rewrite_number_points": 0}

    def expected(self, k: int) -> np.ndarray:
        out = self.compiled[k]
        return np.broadcast_to(self.as_written[k], np.shape(out))

    def inputs_of(self, k: int) -> list:
        kind = self.trees[k][0]
        index = 0 if kind == "float" else 2 + 2 * INT_DTYPES.index(kind)
        return self.inputs[index:index + 2]

    def without_exceptions(self, k: int) -> np.ndarray:
        """Expression ``k`` rewritten without the documented exceptions."""
        value = run_graph(self.inputs[:2], [self.outputs[k]], self.values[:2],
                          exclude=list(SIGNED_ZERO_EXCEPTIONS))[0]
        return np.broadcast_to(value, self.compiled[k].shape)

    def n_points(self, kind: str) -> int:
        return self.points[kind][0].size


#: Filled by :func:`test_random_expressions_at_edge_values`: what the run covered.
SUMMARY: dict[str, int] = {}


def _where(batch: Batch, k: int, idx: int) -> str:
    kind, tree = batch.trees[k]
    xs, ys = batch.points[kind]
    return f"{show(tree)} ({kind}) at x={xs[idx]!r}, y={ys[idx]!r}"


def modes_disagree(batch: Batch) -> list[str]:
    """Compiled and ``mode="numpy"``: the same values, NaN positions, signs of zero."""
    failures = []
    for mode in ("cython", None):
        for k, (kind, tree) in enumerate(batch.trees):
            c, n = np.asarray(batch.results[mode][k]), np.asarray(batch.interpreted[k])
            if c.dtype != n.dtype or c.shape != n.shape:
                failures.append(f"{show(tree)}: mode={mode!r} {c.dtype}{c.shape}, "
                                f"numpy mode {n.dtype}{n.shape}")
                continue
            ok = agree(c, n) if kind == "float" else (c == n)
            if kind == "float" and not ok.all():
                bad = np.flatnonzero(~ok)
                xs, ys = batch.points["float"]
                rewritten = rewritten_graph(batch.inputs[:2], batch.outputs[k])
                exact = exact_at(rewritten.inputs, rewritten.outputs[0], [xs[bad], ys[bad]])
                shaky = ill_conditioned(n[bad], exact) & ~np.isnan(c[bad])
                batch.counts["ill_conditioned_mode_points"] += int(shaky.sum())
                ok[bad[shaky]] = True
            for idx in np.flatnonzero(~ok)[:2]:
                failures.append(f"{_where(batch, k, idx)}: mode={mode!r} {c[idx]!r}, "
                                f"numpy mode {n[idx]!r}")
    return failures


def integers_differ(batch: Batch) -> list[str]:
    """Integer results against NumPy's wrap-around, exactly."""
    failures = []
    for k, (kind, tree) in enumerate(batch.trees):
        if kind == "float":
            continue
        got, want = np.asarray(batch.interpreted[k]), batch.expected(k)
        if got.dtype != want.dtype:
            failures.append(f"{show(tree)}: rewritten {got.dtype}, NumPy {want.dtype}")
            continue
        for idx in np.flatnonzero(got != want)[:2]:
            failures.append(f"{_where(batch, k, idx)}: rewritten {got[idx]!r}, "
                            f"NumPy {want[idx]!r}")
    return failures


def floats_differ(batch: Batch) -> list[str]:
    """Rewritten float results against NumPy on the expression as written, with the
    excuses of the module doc (each counted in ``batch.counts``)."""
    failures = []
    xs, ys = batch.points["float"]
    for k, (kind, tree) in enumerate(batch.trees):
        if kind != "float":
            continue
        got, want = np.asarray(batch.interpreted[k]), batch.expected(k)
        if got.dtype != want.dtype:
            failures.append(f"{show(tree)}: rewritten {got.dtype}, NumPy {want.dtype}")
            continue
        nan = np.isnan(want)
        batch.counts["numpy_nan_rewrite_number_points"] += int((nan & ~np.isnan(got)).sum())
        bad = np.flatnonzero(~(nan | agree(got, want)))
        if bad.size == 0:
            continue
        exact = exact_at(batch.inputs[:2], batch.outputs[k], [xs[bad], ys[bad]])
        g, w = got[bad], want[bad]
        zero_signs = (g == 0) & (w == 0)  # mpmath has no -0.0: never "closer"
        # Twice NumPy's error: where a cancellation amplifies the operands' rounding,
        # equally accurate forms land on either side of each other.
        closer = ~zero_signs & (_error(g, exact) <= 2 * _error(w, exact) + ULPS)
        batch.counts["closer_to_exact_points"] += int(closer.sum())
        bad, g, w, exact = bad[~closer], g[~closer], w[~closer], exact[~closer]
        if bad.size == 0:
            continue
        excused = near(batch.without_exceptions(k)[bad], w)
        batch.counts["documented_exception_points"] += int(excused.sum())
        bad, g, w, exact = bad[~excused], g[~excused], w[~excused], exact[~excused]
        if bad.size == 0:
            continue
        # The rewritten form is exact there (its exact value is the original's) and
        # only its roundings differ: reassociated sums, or an ill-conditioned step.
        rewritten = rewritten_graph(batch.inputs[:2], batch.outputs[k])
        same = identical(exact_at(rewritten.inputs, rewritten.outputs[0],
                                  [xs[bad], ys[bad]]), exact)
        rounding = same & ~np.isnan(g) & ~((g == 0) & (w == 0)) & ~(np.isinf(g) & np.isinf(w))
        batch.counts["rounding_points"] += int(rounding.sum())
        bad, g, w, exact = bad[~rounding], g[~rounding], w[~rounding], exact[~rounding]
        if bad.size == 0:
            continue
        ranged = out_of_range(batch.inputs[:2], batch.outputs[k], [xs[bad], ys[bad]])
        batch.counts["range_effect_points"] += int(ranged.sum())
        undefined = ~ranged & undefined_step(batch.inputs[:2], batch.outputs[k],
                                             [xs[bad], ys[bad]])
        batch.counts["undefined_step_points"] += int(undefined.sum())
        for j in np.flatnonzero(~ranged & ~undefined)[:2]:
            failures.append(f"{_where(batch, k, bad[j])}: rewritten {g[j]!r}, "
                            f"NumPy {w[j]!r}, exact {exact[j]!r}")
    return failures


def test_random_expressions_at_edge_values(capsys):
    """One test (one build per mode, even when pytest-xdist spreads the module)."""
    batch = Batch(SEED)
    failures = modes_disagree(batch) + integers_differ(batch) + floats_differ(batch)
    n_float = batch.n_float_forms + batch.n_float_random
    SUMMARY.update(
        float_expressions=n_float,
        int_expressions=batch.n_int_forms + batch.n_int_random,
        random_expressions=batch.n_float_random + batch.n_int_random,
        float_points=n_float * batch.n_points("float"),
        int_points=sum(sum(1 for kind, _ in batch.trees if kind == d) * batch.n_points(d)
                       for d in INT_DTYPES),
        **batch.counts,
    )
    with capsys.disabled():
        print(f"\nedge-value fuzz (seed {SEED}): "
              + ", ".join(f"{k} {v}" for k, v in SUMMARY.items()))
    assert len(batch.compiled) == len(batch.interpreted) == len(batch.trees)
    assert not failures, f"{len(failures)} disagreements:\n" + "\n".join(failures[:30])
