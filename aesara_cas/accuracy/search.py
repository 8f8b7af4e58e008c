"""The accuracy search: find the equivalent form with the least floating-point error.

Steps (each bounded by the time limit; the best form so far is kept):

1. sample points (:mod:`.sampling`) and their exact results (mpmath reference);
2. candidates: the formula as written and the default pipeline's rewrite; an
   e-graph saturated with the accuracy identities (:mod:`aesara_cas.rules.accuracy`),
   the saturation identities and the standard pattern rules, searched by hill
   climbing over the choice of e-node per e-class, each choice *measured*
   (float evaluation at the samples against the exact results); truncated series
   of sub-expressions of one input around 0 and infinity (:mod:`.series`);
3. regimes (:mod:`.regimes`): the best split of one input's range between
   candidates;
4. the candidate of least mean bits of error wins, its cost breaking ties.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.graph.traversal import graph_inputs, toposort
from aesara_cas.tensor import elemwise as E

try:  # the exact reference is mpmath's, an optional dependency
    from aesara_cas.testing import bits_of_error
except ImportError as err:  # pragma: no cover - mpmath is in the test extra
    raise ImportError("the accuracy search needs mpmath for its exact reference: "
                      "pip install mpmath") from err

#: Candidates kept for regime inference.
POOL_SIZE = 12
#: Bits a chosen form may lose, at a point where the original has at most 1 bit of
#: error (a different but equally good rounding).
SAFE_SLACK = 2.0
#: Bits of mean error a form must gain over the formula as written to replace it,
#: plus this share of the formula's error: smaller differences are sampling noise, or
#: undone by the compiled backend's vector math (a few ulps per transcendental call).
MIN_GAIN = 0.1
GAIN_SHARE = 0.25
#: Best candidates measured again on fresh points before the final choice.
VALIDATE = 4
#: Share of the remaining time the e-graph stage may use.
EGRAPH_SHARE = 0.7
#: Candidates (the best first) whose sub-expressions the series stage expands, besides
#: the formula as written: forms within noise of each other can differ in whether a
#: sub-expression has an exact series (``log(1/x + x/x)`` at 11.26 bits hides
#: ``log1p((1 + x)/x - 1)`` at 11.28, whose ``(1 + x)/x - 1`` is exactly ``1/x``).
SERIES_BASES = 2
#: A candidate joins the pool when it beats every earlier one by this many bits ...
POINT_GAIN = 1.0
#: ... on at least this share of the points.
POINT_SHARE = 0.02


@dataclass
class Candidate:
    """One measured form: its label, graph (over the sampling inputs) and errors."""

    label: str
    expr: Variable
    errors: np.ndarray
    cost: int

    @property
    def mean(self) -> float:
        return float(self.errors.mean())

    def key(self) -> tuple:
        # Least error first; forms within 0.01 bits of each other: the cheaper.
        return (round(self.mean, 2), self.cost, self.mean)


@dataclass
class AccuracyReport:
    """What :func:`aesara_cas.accuracy.search` found.

    Attributes
    ----------
    expr
        The chosen form (over the caller's inputs).
    original, default
        The formula as given, and the default pipeline's rewrite of it.
    error_before, error_default, error_after
        Mean bits of error over the samples of the original, the default rewrite
        and the chosen form (``max_*``: the largest at any sample).
    chosen
        How the chosen form was found (``"original"``, ``"default"``, ``"e-graph"``,
        ``"series of ... around 0"``, ``"regimes on x"``...).
    stop
        ``"done"``, or ``"time"`` when the limit cut the search short (the result is
        the best form found until then).
    """

    expr: Variable
    original: Variable
    default: Variable
    error_before: float
    error_default: float
    error_after: float
    max_before: float
    max_after: float
    chosen: str
    stop: str
    seconds: float
    points: int
    candidates: int
    stages: dict = field(default_factory=dict)
    #: The sample points (``{input: values}``) and the exact results there.
    samples: dict = field(default_factory=dict, repr=False)
    exact: np.ndarray | None = field(default=None, repr=False)

    def __str__(self) -> str:
        from aesara_cas.printing import pprint

        stopped = (" (stopped at the time limit: best form so far)" if self.stop == "time"
                   else "")
        return (f"accuracy search{stopped}: {self.points} points, {self.candidates} "
                f"candidates, {self.seconds:.2f} s\n"
                f"  original: {self.error_before:.2f} bits (max {self.max_before:.2f})\n"
                f"  default:  {self.error_default:.2f} bits\n"
                f"  chosen:   {self.error_after:.2f} bits (max {self.max_after:.2f}), "
                f"{self.chosen}\n  {pprint(self.expr)}")


# Evaluating graphs at the samples --------------------------------------------------------

def evaluate(expr: Variable, values: Mapping[Variable, np.ndarray]) -> np.ndarray:
    """``expr`` at the samples, op by op as built (element-wise graphs)."""
    memo: dict[int, Any] = {id(k): v for k, v in values.items()}
    with np.errstate(all="ignore"):
        for node in toposort([expr], list(values)):
            args = []
            for i in node.inputs:
                if id(i) in memo:
                    args.append(memo[id(i)])
                elif isinstance(i, Constant):
                    args.append(np.asarray(i.data))
                else:
                    raise ValueError(f"no value for the input {i}")
            memo[id(node.outputs[0])] = node.op.scalar_op.compute(*args)
    out = memo.get(id(expr))
    if out is None:
        out = np.asarray(expr.data) if isinstance(expr, Constant) else None
    return np.asarray(out, dtype=np.float64)


def size(expr: Variable) -> int:
    return sum(1 for _ in toposort([expr]))


class Pool:
    """The measured candidates: the best, and those best somewhere (for regimes)."""

    def __init__(self, values: dict, exact: np.ndarray):
        self.values = values
        self.exact = exact
        self.n = exact.shape[0]
        self.all: list[Candidate] = []
        self.kept: list[Candidate] = []
        self.point_best = np.full(self.n, np.inf)
        self.tried = 0

    def errors(self, out: np.ndarray) -> np.ndarray:
        out = np.broadcast_to(np.asarray(out, dtype=np.float64), (self.n,))
        return bits_of_error(out, self.exact)

    def measure(self, label: str, expr: Variable) -> Candidate | None:
        try:
            errs = self.errors(evaluate(expr, self.values))
        except (ValueError, TypeError, AttributeError):
            return None
        return self.add(Candidate(label, expr, errs, size(expr)))

    def useful(self, errs: np.ndarray) -> bool:
        better = errs < self.point_best - POINT_GAIN
        return bool(better.mean() >= POINT_SHARE)

    def add(self, cand: Candidate) -> Candidate:
        self.tried += 1
        self.all.append(cand)
        if self.useful(cand.errors) or not self.kept:
            self.kept.append(cand)
            self.kept.sort(key=Candidate.key)
            del self.kept[POOL_SIZE:]
        self.point_best = np.minimum(self.point_best, cand.errors)
        return cand

    def safe(self, cand: Candidate, refs: int = 2) -> bool:
        """Whether ``cand`` is as accurate as the original (and the default rewrite,
        the second candidate) wherever one of them is accurate: at most ``SAFE_SLACK``
        bits worse where the better of them has at most 1 bit."""
        ref = np.min([c.errors for c in self.all[:refs]], axis=0)
        good = ref <= 1.0
        return bool(np.all(cand.errors[good] <= ref[good] + SAFE_SLACK))

    def best(self) -> Candidate:
        """The least error among the safe candidates, if it beats the formula as
        written by ``MIN_GAIN`` bits plus ``GAIN_SHARE`` of its error; else the
        formula as written."""
        # The original is always safe with respect to itself.
        safe = [c for c in self.all if self.safe(c)] or \
            [c for c in self.all if self.safe(c, refs=1)]
        orig = self.all[0]
        gain = [c for c in safe if c.mean <= orig.mean - MIN_GAIN - GAIN_SHARE * orig.mean]
        if gain:
            return min(gain, key=Candidate.key)
        return orig if orig in safe else min(safe, key=Candidate.key)


# The search ---------------------------------------------------------------------------------

def _check(expr: Any) -> list[Variable]:
    if not isinstance(expr, Variable):
        raise TypeError(f"accuracy search: expected a symbolic variable, got {expr!r}")
    if np.dtype(expr.dtype) != np.float64:
        raise TypeError(f"accuracy search: the expression must be float64, got {expr.dtype}")
    inputs = [v for v in graph_inputs([expr]) if not isinstance(v, Constant)]
    for v in inputs:
        if np.dtype(v.dtype) != np.float64:
            raise TypeError(f"accuracy search: input {v} must be float64, got {v.dtype}")
    for node in toposort([expr]):
        if not isinstance(node.op, E.Elemwise) and not _left_padding(node.op):
            raise ValueError(f"accuracy search works on element-wise graphs; {node.op} is not "
                             "element-wise")
    return inputs


def _left_padding(op: Any) -> bool:
    """Whether ``op`` only adds leading broadcast axes (NumPy's implicit broadcasting):
    then every element of the result still pairs the same elements of each input, and
    the formula is one scalar function of its inputs.  A transpose, or a new axis
    between or after existing ones, pairs different elements (``v[:, None] - v``)."""
    from aesara_cas.tensor.shape import DimShuffle

    if not isinstance(op, DimShuffle):
        return False
    k = len(op.new_order) - op.input_ndim
    return k >= 0 and op.new_order == ("x",) * k + tuple(range(op.input_ndim))


def _rebuild(expr: Variable, mapping: dict) -> Variable:
    """``expr`` with inputs replaced (``mapping``: id -> variable); leading broadcast
    axes are dropped (element-wise ops broadcast by themselves)."""
    memo = {k: v for k, v in mapping.items()}
    for node in toposort([expr]):
        ins = [memo.get(id(i), i) for i in node.inputs]
        if _left_padding(node.op):
            memo[id(node.outputs[0])] = ins[0]
            continue
        if all(a is b for a, b in zip(ins, node.inputs)):
            continue
        memo[id(node.outputs[0])] = node.op(*ins)
    return memo.get(id(expr), expr)


def search(expr: Variable, domain: Mapping | None = None, limit: float = 3.0,
           points: int = 256, seed: int = 0, cost: Mapping | Callable | None = None,
           series: bool = True, regimes: bool = True) -> AccuracyReport:
    """Search for the most accurate form of ``expr`` (an element-wise float64 graph).

    Parameters
    ----------
    expr
        The formula.
    domain
        ``{input or name: (lo, hi) or [(lo, hi), ...]}``: where to sample each input
        (all finite floats by default).
    limit
        Seconds the search of candidates may take, after the setup (sampling with
        the exact reference evaluation, and the default rewrite; ``report.seconds``
        counts both).  At the limit the best form so far is returned, and the
        report's ``stop`` is ``"time"`` (the series of the whole formula and the regime
        split of the candidates found are still made: milliseconds).
    points
        Sample points (Herbie uses 256).
    seed
        Seed of the sampling.
    cost
        Cost model of the e-graph extraction (see ``ac.simplify(saturate=True)``).
    series, regimes
        Whether to try series expansions and regime splits.

    Returns
    -------
    AccuracyReport
        ``report.expr`` is the chosen form.

    Raises
    ------
    ValueError
        When the domain excludes every point, or the expression is undefined at
        every point sampled.
    """
    from aesara_cas.accuracy import sampling
    from aesara_cas.rewriting import simplify
    from aesara_cas.tensor import tensor

    start = time.perf_counter()
    if not (isinstance(limit, (int, float)) and limit > 0):
        raise ValueError(f"limit must be a positive number of seconds, got {limit!r}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 8:
        raise ValueError(f"points must be an int >= 8, got {points!r}")
    inputs = _check(expr)
    intervals = sampling.domain_intervals(inputs, domain)
    stand = [tensor(dtype="float64", shape=(None,), name=v.name) for v in inputs]
    e1 = _rebuild(expr, {id(v): s for v, s in zip(inputs, stand)})
    rng = np.random.default_rng(seed)
    values, exact = sampling.valid_points(e1, stand, intervals, points, rng)
    pool = Pool(values, exact)
    original = pool.measure("original", e1)
    default_expr = simplify(e1)
    default = pool.measure("default", default_expr) or original
    deadline = time.perf_counter() + limit
    stop = "done"
    stages: dict = {}
    for name, stage in (("e-graph", _egraph_stage), ("series", _series_stage),
                        ("regimes", _regimes_stage)):
        if name == "series" and not series or name == "regimes" and not regimes:
            continue
        t0 = time.perf_counter()
        # Past the limit, the e-graph is skipped; the series of the whole formula and
        # the regime split of what was found are cheap (milliseconds) and still made.
        if name == "e-graph" and t0 >= deadline:
            stop = "time"
            continue
        # The e-graph may take most of what is left, not all: series and regimes
        # are cheap and often decisive.
        until = deadline if name != "e-graph" else t0 + EGRAPH_SHARE * (deadline - t0)
        if stage(pool, e1, default_expr, stand, intervals, cost, until) == "time":
            stop = "time"
        stages[name] = time.perf_counter() - t0
    pool = _validated(pool, e1, stand, intervals, rng)
    original, default = pool.all[0], pool.all[1] if len(pool.all) > 1 else pool.all[0]
    best = pool.best()
    back = {id(s): v for s, v in zip(stand, inputs)}
    return AccuracyReport(
        expr=_rebuild(best.expr, back), original=expr, default=_rebuild(default_expr, back),
        error_before=original.mean, error_default=default.mean, error_after=best.mean,
        max_before=float(original.errors.max()), max_after=float(best.errors.max()),
        chosen=best.label, stop=stop, seconds=time.perf_counter() - start,
        points=pool.n, candidates=pool.tried, stages=stages,
        samples={v: pool.values[st] for v, st in zip(inputs, stand)}, exact=pool.exact)


def _validated(pool: Pool, e1: Variable, stand: list, intervals: list,
               rng: np.random.Generator) -> Pool:
    """The original, the default rewrite and the ``VALIDATE`` best safe candidates,
    measured on the samples and as many fresh ones (a form that only fits the first
    sample does not win)."""
    from aesara_cas.accuracy import sampling

    picks = list(pool.all[:2])
    for c in sorted(pool.all[2:], key=Candidate.key):
        if len(picks) >= 2 + VALIDATE:
            break
        if pool.safe(c) and all(c.expr is not p.expr for p in picks):
            picks.append(c)
    try:
        values, exact = sampling.valid_points(e1, stand, intervals, pool.n, rng)
    except ValueError:  # pragma: no cover - the first sampling found valid points
        return pool
    both = Pool({v: np.concatenate([pool.values[v], values[v]]) for v in stand},
                np.concatenate([pool.exact, exact]))
    both.tried = pool.tried
    for c in picks:
        both.add(Candidate(c.label, c.expr, both.errors(evaluate(c.expr, both.values)),
                           c.cost))
    both.tried -= len(picks)
    return both


def _egraph_stage(pool: Pool, e1, default_expr, stand, intervals, cost, deadline) -> str:
    from aesara_cas.accuracy.climb import climb_egraph

    return climb_egraph(pool, e1, default_expr, stand, intervals, cost, deadline)


def _series_stage(pool: Pool, e1, default_expr, stand, intervals, cost, deadline) -> str:
    from aesara_cas.accuracy.series import expand, series_graph

    best = pool.best()
    bases = [best]
    for c in sorted(pool.all[1:], key=Candidate.key):
        if len(bases) >= SERIES_BASES:
            break
        # Equal errors at every point: the same form again (extracted twice).
        if pool.safe(c) and not any(np.array_equal(c.errors, b.errors) for b in bases):
            bases.append(c)
    bases.append(pool.all[0])
    seen: set[int] = set()
    for base in bases:
        subs = []
        # Inputs and sizes of every sub-expression, in one pass (no walk per node).
        deps: dict[int, frozenset] = {id(v): frozenset([v]) for v in stand}
        sizes: dict[int, int] = {}
        for node in toposort([base.expr]):
            out = node.outputs[0]
            deps[id(out)] = frozenset().union(*(deps.get(id(i), frozenset())
                                                for i in node.inputs))
            sizes[id(out)] = 1 + sum(sizes.get(id(i), 0) for i in node.inputs)
            if len(deps[id(out)]) == 1 and id(out) not in seen:
                seen.add(id(out))
                subs.append((sizes[id(out)], out, next(iter(deps[id(out)]))))
        subs.sort(key=lambda t: -t[0])
        for _, sub, x in subs[:6]:
            for at_inf in (False, True):
                whole = sub is base.expr  # the whole formula: tried even past the limit
                if time.perf_counter() >= deadline and not whole:
                    return "time"
                s = expand(sub, x, at_inf)
                g = None if s is None else series_graph(s, x, at_inf)
                if g is None:
                    continue
                where = "infinity" if at_inf else "0"
                cand = g if sub is base.expr else _rebuild(base.expr, {id(sub): g})
                pool.measure(f"series of a sub-expression around {where}", cand)
    return "done"


def _regimes_stage(pool: Pool, e1, default_expr, stand, intervals, cost, deadline) -> str:
    from aesara_cas.accuracy.regimes import _short_between, best_split, refine, regime_graph

    kept = pool.kept
    if len(kept) < 2:
        return "done"
    errs = np.stack([c.errors for c in kept])
    single = pool.best().mean
    best = None
    for x in stand:
        score, segs = best_split(errs, pool.values[x])
        if len(segs) > 1 and score < single and (best is None or score < best[0]):
            best = (score, segs, x)
    if best is None:
        return "done"
    _, segs, x = best
    choice = [c for _, c in segs]
    thresholds = []
    for (split, c), (_, c_next) in zip(segs[:-1], segs[1:]):
        if time.perf_counter() >= deadline:  # no time to bisect: between the samples
            thresholds.append(_short_between(split.lo, split.hi))
            continue
        judge = _judge(pool, e1, stand, x, split.index, kept[c].expr, kept[c_next].expr)
        thresholds.append(refine(split, judge))
    g = regime_graph(x, thresholds, choice, [c.expr for c in kept])
    labels = ", ".join(sorted({kept[c].label for c in choice}))
    pool.measure(f"regimes on {x.name or 'an input'} ({len(segs)} ranges: {labels})", g)
    return "done"


def _judge(pool: Pool, e1: Variable, stand: list, x: Variable, index: int,
           left: Variable, right: Variable) -> Callable[[float], bool | None]:
    """Whether ``left`` is at least as accurate as ``right`` at ``x = v`` (the other
    inputs as at sample ``index``), by the exact reference; ``None`` where undefined."""
    from aesara_cas.testing import reference_eval, round_to_dtype

    def left_is_better(v: float) -> bool | None:
        point = {s: np.array([v if s is x else pool.values[s][index]]) for s in stand}
        with np.errstate(all="ignore"):
            exact, ok = reference_eval(e1, point, return_resolved=True)
        ref = round_to_dtype(exact, "float64")
        if not bool(np.all(ok)) or np.isnan(ref).any():
            return None
        el = bits_of_error(np.broadcast_to(evaluate(left, point), ref.shape), ref)
        er = bits_of_error(np.broadcast_to(evaluate(right, point), ref.shape), ref)
        return bool(el[0] <= er[0])

    return left_is_better


def simplify_accurate(outputs: Variable | list[Variable], domain: Mapping | None = None,
                      limit: float = 3.0, cost: Any = None,
                      trace: bool | list = False) -> Variable | list[Variable]:
    """``ac.simplify(outputs, accuracy=True)``: :func:`search` on each output; each
    result carries its :class:`AccuracyReport` in ``tag["accuracy"]``."""
    single = isinstance(outputs, Variable)
    outs = [outputs] if single else outputs
    if not isinstance(outs, (list, tuple)):
        raise TypeError(f"simplify takes a variable or a list of variables, got {outputs!r}")
    results = []
    for o in outs:
        report = search(o, domain=domain, limit=limit, cost=cost)
        if trace is True:
            print(report)
        elif isinstance(trace, list):
            trace.append(report)
        _keep_as_chosen(report.expr)
        report.expr.tag["accuracy"] = report
        results.append(report.expr)
    return results[0] if single else results


def _keep_as_chosen(expr: Variable) -> None:
    """Protect the chosen form as a user rule's result is protected: the standard sets
    do not respell it when it is simplified or compiled again (the measured form is the
    one that runs)."""
    from aesara_cas.rewriting.context import MADE_BY

    for node in toposort([expr]):
        for out in node.outputs:
            out.tag[MADE_BY] = "user"
