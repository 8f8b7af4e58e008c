"""The rewrite engine: miniKanren relations applied to graphs until nothing changes.

``ac.simplify(expr)`` and every ``ac.function`` run :func:`rewrite_graph`: merge
equal sub-graphs, then the user's rules and the sets ``canonicalize`` and
``stabilize`` together to one fixpoint, then ``specialize``, with constant
folding and merging throughout.  See ``docs/rules.md`` for writing rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.gc_pause import paused_gc
from aesara_cas.graph.traversal import graph_inputs, toposort
from aesara_cas.rewriting.bindings import Bindings
from aesara_cas.rewriting.context import n_clients, rewriting
from aesara_cas.rewriting.database import (
    BUILTINS,
    LAST_SETS,
    STANDARD_SETS,
    USER_SET,
    RuleDatabase,
    _names,
    as_rule_list,
    standard_database,
)
from aesara_cas.rewriting.driver import Driver, RewriteCycleError, RewriteEvent, RuleError
from aesara_cas.rewriting.replacement import fit_type, materialize
from aesara_cas.rewriting.rewriter import ConstantFolder, NodeRewriter, RelationRewriter
from aesara_cas.rewriting.rule import Rule, rule
from aesara_cas.rewriting.rule_rewriter import RuleRewriter
from aesara_cas.rewriting.wild import Wild, wild

__all__ = [
    "BUILTINS", "STANDARD_SETS", "Bindings", "ConstantFolder", "NodeRewriter",
    "RelationRewriter", "RewriteCycleError", "RewriteEvent", "Rule", "RuleDatabase",
    "RuleError", "RuleRewriter", "Wild", "fit_type", "materialize", "n_clients", "plan",
    "rewrite_graph", "rule", "simplify", "standard_database", "wild",
]


def plan(phases: list[tuple[str, list[NodeRewriter]]]
         ) -> list[tuple[str, list[tuple[str, NodeRewriter]]]]:
    """Group the selected sets into the runs of the driver.

    Every set but those of :data:`LAST_SETS` runs in one joint fixpoint (the user's
    rules first where several rules match one node, then the sets in their order),
    so no set can hide a result from another: a stable form ``stabilize`` makes is
    canonicalised and simplified further, and the other way round.  ``specialize``
    lowers canonical forms to cheaper ops that the other sets do not expect, so it
    runs afterwards, once, on the joint fixpoint.
    """
    joint = [p for p in phases if p[0] == USER_SET] + [
        p for p in phases if p[0] != USER_SET and p[0] not in LAST_SETS]
    runs = []
    if joint:
        label = "+".join(name for name, _ in joint)
        runs.append((label, [(name, rw) for name, rws in joint for rw in rws]))
    for name, rws in phases:
        if name in LAST_SETS:
            runs.append((name, [(name, rw) for rw in rws]))
    return runs


def rewrite_graph(
    fgraph: FunctionGraph,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    rules: Any = None,
    trace: bool | list = False,
    database: RuleDatabase | None = None,
    max_steps: int | None = None,
) -> list[RewriteEvent]:
    """Rewrite ``fgraph`` in place with the standard rule sets (and ``rules``).

    Parameters
    ----------
    fgraph
        The graph to rewrite; its outputs are replaced in place.
    include
        Names of the rule sets to run (default: all, in their defined order).
    exclude
        Names of rule sets, of single rules, or of the built-in passes
        ``"merge"`` and ``"constant_folding"`` to leave out.
    rules
        User rules (relations or ``ac.rule(...)``), run last as the set ``"user"``.
    trace
        ``True`` prints each rewrite as it happens; a list collects them.
    database
        The rule sets to use instead of the standard ones.
    max_steps
        A bound on the rewrites per set (default: proportional to the graph size).

    Returns
    -------
    list of RewriteEvent
        The rewrites done, when tracing (empty otherwise).
    """
    if not isinstance(fgraph, FunctionGraph):
        raise TypeError(f"rewrite_graph takes a FunctionGraph, got {type(fgraph).__name__}")
    db = database if database is not None else standard_database()
    user = as_rule_list(rules)
    phases = db.select(include, exclude, user)
    excluded = set(_names(exclude or (), "exclude"))
    builtins = [] if "constant_folding" in excluded else [ConstantFolder()]
    driver = Driver(fgraph, trace=trace, merge="merge" not in excluded)
    # Graphs are full of reference cycles (nodes <-> variables); the cyclic garbage
    # collector would rescan the whole graph again and again while rewriting adds
    # nodes, so it is paused (and restored) around the rewrite.
    try:
        with paused_gc(), rewriting(fgraph):
            driver.merge_all()
            for label, entries in plan(phases) or [("builtin", [])]:
                rws = builtins + [rw for _, rw in entries]
                sets = ["builtin"] * len(builtins) + [name for name, _ in entries]
                marks = [None] * len(builtins) + [
                    "user" if name == USER_SET else ("exact" if rw.keep_form else None)
                    for name, rw in entries]
                driver.run_phase(label, rws, max_steps, sets=sets, marks=marks)
    finally:
        driver.close()
    return driver.events


def _copy_nodes(outputs: list[Variable]) -> list[Variable]:
    """Copies of the nodes computing ``outputs``; inputs and constants are kept."""
    memo: dict[int, Variable] = {}
    for node in toposort(outputs):
        # A plain copy, not ``op.make_node``: the inputs have the types they had, so
        # inferring the output types again would only cost time (a third of simplify's
        # own work on a 10,000-node chain).
        new_node = Apply.__new__(Apply)
        new_node.op = node.op
        new_node.inputs = [memo.get(id(i), i) for i in node.inputs]
        new_node.tag = {}
        new_node.outputs = []
        for old in node.outputs:
            new = type(old)(old.type, new_node, old.index, old.name)
            new.tag = dict(old.tag)  # what earlier rewrites protected stays protected
            new_node.outputs.append(new)
            memo[id(old)] = new
    return [memo.get(id(o), o) for o in outputs]


def simplify(
    outputs: Variable | Sequence[Variable],
    rules: Any = None,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    trace: bool | list = False,
    database: RuleDatabase | None = None,
    saturate: bool = False,
    cost: Any = None,
    accuracy: bool = False,
    domain: Any = None,
    limit: float = 3.0,
) -> Variable | list[Variable]:
    """The rewritten (simplified, stabilised) form of ``outputs``, not compiled.

    The caller's graph is not changed.  Arguments are those of
    :func:`rewrite_graph`.  ``saturate=True`` continues with equality saturation
    and returns the cheapest equivalent form under ``cost`` (a dict ``{op: cost}``
    or a function of a node; see :mod:`aesara_cas.rewriting.egraph`).
    ``accuracy=True`` searches for the most accurate form instead
    (:func:`aesara_cas.accuracy.search`, at most ``limit`` seconds per output,
    inputs sampled within ``domain``, a dict ``{input or name: (lo, hi)}``); each
    result's ``tag["accuracy"]`` holds the search's report (printed with ``trace``).

    Examples
    --------
    >>> import aesara_cas as ac
    >>> from aesara_cas import tensor as at
    >>> x, y = at.dscalar("x"), at.dscalar("y")
    >>> ac.pprint(ac.simplify(x * y / x))
    'y'
    """
    if accuracy:
        from aesara_cas.accuracy.search import simplify_accurate

        return simplify_accurate(outputs, domain=domain, limit=limit, cost=cost, trace=trace)
    if saturate:
        from aesara_cas.rewriting.egraph import simplify_saturated

        return simplify_saturated(outputs, rules=rules, include=include, exclude=exclude,
                                  trace=trace, database=database, cost=cost)
    if cost is not None:
        raise ValueError("simplify: cost= is used only with saturate=True")
    single = isinstance(outputs, Variable)
    if single:
        outs = [outputs]
    elif isinstance(outputs, (list, tuple)):
        outs = list(outputs)
    else:
        raise TypeError(f"simplify takes a variable or a list of variables, got {outputs!r}")
    for i, o in enumerate(outs):
        if not isinstance(o, Variable):
            raise TypeError(f"simplify: output {i} is not a symbolic variable: {o!r}")
    # The copy allocates several objects per node, as the rewrite does: the collector
    # is paused for both (see rewrite_graph).
    with paused_gc():
        inputs = [v for v in graph_inputs(outs) if not isinstance(v, Constant)]
        fgraph = FunctionGraph(inputs, _copy_nodes(outs), clone=False)
        rewrite_graph(fgraph, include=include, exclude=exclude, rules=rules, trace=trace,
                      database=database)
    result = list(fgraph.outputs)
    return result[0] if single else result
