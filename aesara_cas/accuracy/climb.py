"""Measured extraction from a saturated e-graph: hill climbing over e-node choices.

A *selection* picks one e-node per e-class (the cost-cheapest unless overridden);
the form it denotes is evaluated in float64 at the samples, e-class by e-class
(spelling products with a reciprocal as divisions, as extraction spells them), and
its bits of error against the exact results measured.  A move changes the e-node
of one class reachable from the root; only that class and its ancestors are
re-evaluated.  The climb takes the best move until none improves the mean error
(or time runs out).  Bits of error do not add up over sub-expressions, so the
choice is measured on the whole form, never per class.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from aesara_cas.rewriting.egraph.egraph import MUL, POW, ConstHead, Leaf

#: Saturation bounds inside the accuracy search (the climb needs the rest of the time).
SAT_ITERATIONS = 6
SAT_NODES = 3000
SAT_SHARE = 0.3
#: Climbs, from the best starting selections (the cheapest form, each root e-node).
CLIMBS = 3


class Climber:
    """Evaluates selections of an e-graph at the sample points."""

    def __init__(self, eg, ext, leaves: dict[int, np.ndarray], errors_of):
        self.eg, self.ext = eg, ext
        self.leaves = leaves
        self.errors_of = errors_of
        self.evaluations = 0

    def node(self, sel: dict, c: int) -> tuple | None:
        """The e-node ``sel`` picks for class ``c`` (else the cheapest; ``None`` when the
        class has no finite-cost form)."""
        n = sel.get(c)
        if n is not None:
            return n
        best = self.ext.best.get(self.eg.find(c))
        return None if best is None else best[2]

    def _recip_base(self, sel: dict, k: int) -> int | None:
        kn = self.node(sel, k)
        if kn is not None and kn[0] is POW and len(kn) == 3:
            const = self.eg.const_of(kn[2])
            if const is not None and np.asarray(const.data).size == 1 \
                    and float(np.asarray(const.data).reshape(())) == -1.0:
                return self.eg.find(kn[1])
        return None

    def _value(self, sel: dict, node: tuple, cache: dict) -> Any:
        head = node[0]
        if type(head) is Leaf:
            return self.leaves[id(head.var)]
        if type(head) is ConstHead:
            return np.asarray(head.const.data, dtype=np.float64)
        find = self.eg.find
        kids = [cache[find(k)] for k in node[1:]]
        if head is MUL and len(node) > 2:
            num, den = [], []
            for k, v in zip(node[1:], kids):
                base = self._recip_base(sel, find(k))
                if base is not None and base in cache:
                    den.append(cache[base])
                else:
                    num.append(v)
            out = num[0] if num else np.float64(1.0)
            for v in num[1:]:
                out = out * v
            if den:
                d = den[0]
                for v in den[1:]:
                    d = d * v
                out = out / d
            return out
        return head.scalar_op.compute(*kids)

    def evaluate(self, sel: dict, root: int, cache: dict) -> Any:
        """The value of ``root`` under ``sel`` (``None``: the selection has a cycle or
        an op that is not element-wise); fills ``cache`` (class -> value)."""
        find = self.eg.find
        on_path: set[int] = set()
        stack: list[tuple[int, bool]] = [(root, False)]
        with np.errstate(all="ignore"):
            while stack:
                c, ready = stack.pop()
                if c in cache:
                    continue
                node = self.node(sel, c)
                if node is None:
                    return None
                if not ready:
                    if c in on_path:
                        return None
                    head = node[0]
                    if type(head) not in (Leaf, ConstHead) and \
                            getattr(head, "scalar_op", None) is None:
                        return None
                    on_path.add(c)
                    stack.append((c, True))
                    for k in node[1:]:
                        k = find(k)
                        if k not in cache:
                            stack.append((k, False))
                    continue
                on_path.discard(c)
                try:
                    cache[c] = self._value(sel, node, cache)
                except KeyError:  # a child on the path: a cycle
                    return None
        self.evaluations += 1
        return cache[root]

    def dag(self, sel: dict, root: int) -> dict[int, list[int]]:
        """Reachable classes under ``sel`` -> their children."""
        find = self.eg.find
        out: dict[int, list[int]] = {}
        stack = [root]
        while stack:
            c = stack.pop()
            if c in out:
                continue
            kids = [find(k) for k in self.node(sel, c)[1:]]
            out[c] = kids
            stack.extend(k for k in kids if k not in out)
        return out


def _ancestors(dag: dict[int, list[int]]) -> dict[int, set[int]]:
    """For every class, itself and the classes above it in ``dag``."""
    parents: dict[int, list[int]] = {c: [] for c in dag}
    for c, kids in dag.items():
        for k in kids:
            parents.setdefault(k, []).append(c)
    out: dict[int, set[int]] = {}
    for c in dag:
        seen = {c}
        stack = [c]
        while stack:
            for p in parents.get(stack.pop(), ()):
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        out[c] = seen
    return out


def climb(cl: Climber, root: int, sel: dict, pool, deadline: float,
          offer: Callable[[dict], None]) -> tuple[dict, str]:
    """Hill-climb from ``sel``; ``offer`` gets the selections that are the best yet at
    some points (candidates for regimes)."""
    cache: dict = {}
    val = cl.evaluate(sel, root, cache)
    if val is None:
        return sel, "done"
    cur = float(pool.errors(val).mean())
    while True:
        dag = cl.dag(sel, root)
        anc = _ancestors(dag)
        best = None
        for c in dag:
            now = cl.node(sel, c)
            for n in list(cl.eg[c].nodes):
                if time.perf_counter() >= deadline:
                    return sel, "time"
                if n == now:
                    continue
                trial = dict(sel)
                trial[c] = n
                tc = {k: v for k, v in cache.items() if k not in anc[c]}
                v = cl.evaluate(trial, root, tc)
                if v is None:
                    continue
                errs = pool.errors(v)
                m = float(errs.mean())
                if pool.useful(errs):
                    offer(trial)
                if m < cur - 1e-6 and (best is None or m < best[0]):
                    best = (m, trial, tc)
        if best is None:
            return sel, "done"
        cur, sel, cache = best


def climb_egraph(pool, e1, default_expr, stand, intervals, cost, deadline) -> str:
    """Saturate an e-graph of the formula and its default rewrite, then climb."""
    from aesara_cas.rewriting.egraph import _select_rules
    from aesara_cas.rewriting.egraph.analysis import Facts
    from aesara_cas.rewriting.egraph.egraph import EGraph
    from aesara_cas.rewriting.egraph.extract import CostModel, Extractor
    from aesara_cas.rewriting.egraph.runner import Limits, prepare, run
    from aesara_cas.rules import accuracy

    eg = EGraph()
    for v, ivs in zip(stand, intervals):
        cid = eg.add_var(v)
        lo, hi = min(a for a, _ in ivs), max(b for _, b in ivs)
        # Facts snap bounds to landmarks (0, 1, ...): say "non-zero" before lo > 0 is lost.
        eg[cid].facts = Facts(lo, hi, nonzero=all(a > 0 or b < 0 for a, b in ivs))
    r0, r1 = eg.add_graph([e1, default_expr])
    eg.union(r0, r1, "default pipeline")
    eg.rebuild()
    _, _, rules = _select_rules(None, None, None, list(accuracy.RULES))
    prepared, _ = prepare(rules)
    left = deadline - time.perf_counter()
    if left <= 0:
        return "time"
    limits = Limits(iterations=SAT_ITERATIONS, nodes=SAT_NODES,
                    seconds=max(0.05, SAT_SHARE * left))
    cost_model = CostModel(cost)
    run(eg, prepared, limits, cost=cost_model)
    ext = Extractor(eg, cost_model)
    root = eg.find(r0)
    leaves = {id(v): pool.values[v] for v in stand}
    cl = Climber(eg, ext, leaves, pool.errors)
    def offer(sel: dict) -> None:
        _offer(pool, ext, root, sel)

    _offer(pool, ext, root, {}, "e-graph (cheapest)")
    starts = [{}] + [{root: n} for n in list(eg[root].nodes)]
    seeds = []
    for s in starts:
        v = cl.evaluate(s, root, {})
        if v is not None:
            seeds.append((float(pool.errors(v).mean()), len(seeds), s))
    seeds.sort(key=lambda t: t[:2])
    status = "done"
    for _, _, s in seeds[:CLIMBS]:
        sel, status = climb(cl, root, s, pool, deadline, offer)
        offer(sel)
        if status == "time":
            break
    return status


def _offer(pool, ext, root: int, sel: dict, label: str = "e-graph") -> None:
    """Build the form of ``sel`` as a graph and measure it into the pool."""
    saved = {c: ext.best[c] for c in sel if c in ext.best}
    saved_vars = ext._vars
    try:
        for c, n in sel.items():
            old = ext.best.get(c)
            ext.best[c] = (old[0] if old else 0, old[1] if old else (), n)
        ext._vars = {}
        expr = ext.variable(root)
    except Exception:  # noqa: BLE001 - a selection that does not assemble is skipped
        expr = None
    finally:
        ext.best.update(saved)
        ext._vars = saved_vars
    if expr is not None:
        pool.measure(label, expr)
