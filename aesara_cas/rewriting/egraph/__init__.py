"""Equality saturation with an e-graph, and cost-based extraction.

``ac.simplify(expr, saturate=True, cost=None)`` runs :func:`simplify_saturated`:

1. the greedy standard pipeline (the selected sets, to a fixpoint) rewrites a copy
   of ``expr``: its result is the starting point, so saturation can only improve
   on it (the extracted form never costs more than the greedy one); with a
   ``cost=`` of the caller's, ``expr`` itself is a candidate too (the same e-class);
2. that result is added to an e-graph (:mod:`.egraph`; what the greedy step
   protected, such as a compensated sum's error term, as an opaque leaf: see
   :func:`_protected_cost`) and saturated (:mod:`.runner`)
   with the pattern rules of the selected standard sets, the bidirectional
   identities of :mod:`aesara_cas.rules.saturation` (the set ``"saturation"``,
   which only runs here) and the user's ``rules``: all of them, pattern rules,
   function rules and relations (user rules do not run in the greedy step, so
   rules that undo each other are fine);
3. the cheapest equivalent form under ``cost`` is extracted (:mod:`.extract`).

The greedy step keeps the standard sets' function rules (their right-hand sides
are Python that inspects the graph: flattening, ordering, stabilising rewrites);
saturation runs the patterns.  :func:`equivalent` asks whether two expressions are
equal in the saturated e-graph.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from etuples.core import ExpressionTuple

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.rewriting.context import KEEP_GROUPED, MADE_BY
from aesara_cas.rewriting.egraph.analysis import Facts, facts
from aesara_cas.rewriting.egraph.egraph import EGraph
from aesara_cas.rewriting.egraph.ematch import respells_only
from aesara_cas.rewriting.egraph.extract import CostModel, Extractor, NodeInfo, graph_cost
from aesara_cas.rewriting.egraph.runner import Limits, Report, SatRule, prepare, run
from aesara_cas.rewriting.replacement import keep_input_shapes

__all__ = [
    "SATURATION_SET", "CostModel", "EGraph", "Extractor", "Facts", "Limits", "NodeInfo",
    "Report", "SatRule", "equivalent", "explain", "facts", "prepare", "run", "saturate",
    "saturation_rules", "simplify_saturated",
]

#: The name of the rule set that only runs under saturation.
SATURATION_SET = "saturation"
#: At most this many explanation steps are reported per output.
MAX_EXPLAIN = 200


def saturation_rules() -> list:
    """The bidirectional identities of :mod:`aesara_cas.rules.saturation`."""
    from aesara_cas.rules import saturation

    return list(saturation.RULES)


def _outputs(outputs: Any, what: str) -> tuple[list[Variable], bool]:
    single = isinstance(outputs, Variable)
    outs = [outputs] if single else outputs
    if not isinstance(outs, (list, tuple)):
        raise TypeError(f"{what} takes a variable or a list of variables, got {outputs!r}")
    outs = list(outs)
    for i, o in enumerate(outs):
        if not isinstance(o, Variable):
            raise TypeError(f"{what}: output {i} is not a symbolic variable: {o!r}")
    return outs, single


def _select_rules(database: Any, include: Sequence[str] | None,
                  exclude: Sequence[str] | None, user: list) -> tuple[list, list, list]:
    """``(greedy include, greedy exclude, saturation rules)`` for the options."""
    from aesara_cas.rewriting.database import _names, standard_database
    from aesara_cas.rewriting.rewriter import rule_name
    from aesara_cas.rewriting.rule import Rule

    db = database if database is not None else standard_database()
    inc = None if include is None else _names(include, "include")
    exc = _names(exclude or (), "exclude")
    use_sat = (inc is None or SATURATION_SET in inc) and SATURATION_SET not in exc
    g_inc = None if inc is None else [n for n in inc if n != SATURATION_SET]
    g_exc = [n for n in exc if n != SATURATION_SET]
    chosen = [n for n in db.sets if (g_inc is None or n in g_inc) and n not in g_exc]
    dropped = set(g_exc)
    rules = saturation_rules() if use_sat else []
    for name in chosen:
        rules.extend(r for r in db.sets[name]
                     if isinstance(r, Rule) and not r._rhs_is_function
                     and r.saturate and not _keeps_original(r)
                     and not respells_only(r.lhs, r.rhs))
    rules.extend(r for r in user if getattr(r, "saturate", True))
    known = set(db.sets) | {"merge", "constant_folding"}
    for rs in db.sets.values():
        known.update(rule_name(r) for r in rs)
    g_exc = [n for n in g_exc if n in known]
    rules = [r for r in rules if rule_name(r) not in dropped]
    return g_inc, g_exc, rules


def _protected_cost(v: Variable) -> float | None:
    """The cost of ``v`` as an opaque leaf if the greedy step protected it, else ``None``.

    What an exact floating-point construction made (``exp(a + b)`` compensated by
    its TwoSum error term ``(a - (s - (s - a))) + (b - (s - a))``), or a user rule,
    is tagged so that the standard sets do not respell it (``context.PROTECTED``).
    The e-graph honours the tag by not looking inside: saturation reasons in real
    arithmetic, where that error term is ``0``, and would discard the compensation.
    """
    if v.tag.get(MADE_BY) not in KEEP_GROUPED:
        return None
    return graph_cost(v)


def _keeps_original(r: Any) -> bool:
    """Whether a pattern rule's output contains its own input (``switch(c, stable,
    original)``, a fallback the greedy engine never rewrites again).  Such a rule does
    not run under saturation: there the original and the switch share one e-class, and
    the cheaper, unstable original would be extracted."""
    lhs = r.lhs
    stack = [r.rhs]
    while stack:
        t = stack.pop()
        if t == lhs:
            return True
        if isinstance(t, ExpressionTuple):
            stack.extend(t._tuple)
    return False


def saturate(outputs: Variable | Sequence[Variable], rules: Any = None,
             include: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
             trace: bool | list = False, database: Any = None,
             cost: Mapping | Callable | None = None, limits: Limits | None = None,
             greedy: bool = True) -> tuple[list[Variable], Report]:
    """:func:`simplify_saturated`, also returning the saturation :class:`Report`.

    ``greedy=False`` skips the greedy step (the e-graph starts from ``outputs``).
    """
    from aesara_cas.graph.fg import FunctionGraph
    from aesara_cas.graph.traversal import graph_inputs
    from aesara_cas.rewriting import _copy_nodes, rewrite_graph
    from aesara_cas.rewriting.database import as_rule_list
    from aesara_cas.rewriting.driver import RewriteEvent

    outs, _ = _outputs(outputs, "simplify")
    cost_model = CostModel(cost)
    limits = limits if limits is not None else Limits()
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits, got {limits!r}")
    user = as_rule_list(rules)
    g_inc, g_exc, sat_rules = _select_rules(database, include, exclude, user)
    events: list[RewriteEvent] = []
    start = outs
    if greedy:
        inputs = [v for v in graph_inputs(outs) if not isinstance(v, Constant)]
        fg = FunctionGraph(inputs, _copy_nodes(outs), clone=False)
        rewrite_graph(fg, include=g_inc, exclude=g_exc, trace=trace if trace is True else
                      (events if trace is not False else False), database=database)
        start = list(fg.outputs)
    prepared, skipped = prepare(sat_rules)
    eg = EGraph(explain=trace is not False)
    roots = eg.add_graph(start, opaque=_protected_cost)
    n_input = eg.n_ids
    if greedy and cost is not None:
        # The caller's own form is a candidate too: under their cost model it may be
        # cheaper than the greedy result.  (With the default costs it is not added: a
        # stabilised form, e.g. a switch to a series, may cost more than the unstable
        # spelling it replaced, and must not be undone.)
        for r, o in zip(roots, eg.add_graph(outs)):
            eg.union(r, o, "input")
    report = run(eg, prepared, limits, cost=cost_model)
    report.skipped = skipped
    ext = Extractor(eg, cost_model)
    results = []
    for o, g, r in zip(outs, start, roots):
        v = ext.variable(r)
        # Real-number identities ignore broadcasting (``x + z - x`` is ``z``): the
        # result keeps the shape the inputs it no longer reads gave the original.
        v = keep_input_shapes(v, g) if v.type == o.type else None
        results.append(g if v is None else v)
    if trace is not False:
        sat_events = explain(eg, ext, roots, n_input)
        if trace is True:
            for e in sat_events:
                print(e)
        events.extend(sat_events)
        if isinstance(trace, list):
            trace.extend(events)
    return results, report


def simplify_saturated(outputs: Variable | Sequence[Variable], rules: Any = None,
                       include: Sequence[str] | None = None,
                       exclude: Sequence[str] | None = None, trace: bool | list = False,
                       database: Any = None, cost: Mapping | Callable | None = None,
                       limits: Limits | None = None) -> Variable | list[Variable]:
    """The cheapest form of ``outputs`` found by equality saturation.

    Parameters are those of ``ac.simplify``; ``include``/``exclude`` may also name
    the set ``"saturation"``.  ``cost`` is a dict ``{op, op name or op class: cost}``
    or a function of a :class:`NodeInfo`; ``limits`` bounds the run (egg's defaults).
    With ``trace``, the events of the greedy step are followed by the chain of rules
    that leads from its result to the extracted one.
    """
    results, _ = saturate(outputs, rules=rules, include=include, exclude=exclude,
                          trace=trace, database=database, cost=cost, limits=limits)
    return results[0] if isinstance(outputs, Variable) else results


def equivalent(a: Variable, b: Variable, rules: Any = None,
               include: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
               limits: Limits | None = None, database: Any = None) -> bool:
    """Whether saturation proves ``a`` and ``b`` equal (within ``limits``).

    ``False`` means "not proved": the rules (the saturation identities, the pattern
    rules of the standard sets and ``rules``) did not connect them in time.

    Examples
    --------
    >>> from aesara_cas import tensor as at
    >>> x = at.dscalar("x")
    >>> equivalent((x + 3) * (x + 1), x**2 + 4*x + 3)
    True
    """
    from aesara_cas.rewriting.database import as_rule_list

    _outputs([a, b], "equivalent")
    if a.type != b.type:
        return False
    _, _, sat_rules = _select_rules(database, include, exclude, as_rule_list(rules))
    prepared, _ = prepare(sat_rules)
    eg = EGraph()
    ra, rb = eg.add_graph([a, b])
    report = run(eg, prepared, limits, goal=lambda g: g.find(ra) == g.find(rb))
    return report.stop == "goal" or eg.find(ra) == eg.find(rb)


def explain(eg: EGraph, ext: Extractor, roots: Sequence[int], n_input: int) -> list:
    """The rewrites (as ``RewriteEvent`` s) that lead from the input to the extracted
    result: for every class of the result, the chain of unions from each e-node of
    the input in that class (ids below ``n_input``) to the e-node extracted."""
    from aesara_cas.rewriting.driver import RewriteEvent, describe

    if not eg.proofs:
        return []
    adj: dict[int, list] = defaultdict(list)
    for u, v, reason in eg.proofs:
        adj[u].append((v, reason))
        adj[v].append((u, reason))
    by_birth = {i: n for n, i in eg.birth.items()}
    inputs: dict[int, list[int]] = defaultdict(list)
    for i in range(n_input):
        inputs[eg.find(i)].append(i)

    def show(i: int) -> str:
        node = by_birth.get(i)
        if node is None:
            return f"#{i}"
        try:
            return describe(ext.assemble(eg.find(i), node))
        except Exception:  # noqa: BLE001 - a description is best effort
            return f"{node[0]}(...)"

    events: list = []
    seen_edges: set = set()
    seen_classes: set = set()
    stack = [eg.find(r) for r in reversed(list(roots))]
    while stack and len(events) < MAX_EXPLAIN and len(seen_classes) < 4 * MAX_EXPLAIN:
        c = stack.pop()
        if c in seen_classes:
            continue
        seen_classes.add(c)
        best = ext.node_of(c)
        goal = eg.birth.get(eg.canon(best), eg.birth.get(best))
        for s in inputs.get(c, ()):
            if goal is None or s == goal:
                continue
            for u, v, reason in _path(adj, s, goal):
                if reason in ("congruence", "constant_folding") or (u, v) in seen_edges:
                    continue
                seen_edges.add((u, v))
                events.append(RewriteEvent("saturate", reason, show(u), show(v)))
        stack.extend(eg.find(k) for k in reversed(ext._deps(best)))
    return events[:MAX_EXPLAIN]


def _path(adj: Mapping, start: int, goal: int) -> list[tuple[int, int, str]]:
    prev: dict[int, tuple[int, str]] = {start: (start, "")}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        if u == goal:
            break
        for v, reason in adj.get(u, ()):
            if v not in prev:
                prev[v] = (u, reason)
                queue.append(v)
    if goal not in prev:
        return []
    out = []
    v = goal
    while v != start:
        u, reason = prev[v]
        out.append((u, v, reason))
        v = u
    out.reverse()
    return out
