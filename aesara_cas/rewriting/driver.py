"""The fixpoint driver: apply node rewriters until none applies, merging as it goes.

One :class:`Driver` works on one :class:`FunctionGraph`.  Each phase (a named
rule set) runs a worklist: every node is offered to the rewriters indexed under
its op (and its op's class); when one returns a replacement, the graph is
updated, equal sub-graphs are merged (common sub-expression elimination) and the
nodes that may now match something new (the new nodes, the users of the
replaced value) go back on the worklist.  The phase ends when the worklist is
empty: a fixpoint.

Cycles (rules that undo each other) are detected when an expression that was
rewritten away is built again and again; a hard bound on the number of rewrites
catches the rest.  Both raise :class:`RewriteCycleError` naming the rules.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.rewriting.context import (
    KEPT_BY,
    MADE_BY,
    PROTECTED,
    changed,
    new_session,
)
from aesara_cas.rewriting.context import touched as stamp_touched
from aesara_cas.rewriting.matcher import forget as forget_match
from aesara_cas.rewriting.pattern import WILDCARD
from aesara_cas.rewriting.prefilter import Prefilter
from aesara_cas.rewriting.prefilter import forget as forget_node
from aesara_cas.rewriting.rewriter import NodeRewriter
from aesara_cas.rewriting.terms import forget_order_keys

log = logging.getLogger("aesara_cas.rewriting")

#: An expression rewritten away and rebuilt this many times means the rules cycle.
CYCLE_REPEATS = 4
#: Rewrites allowed per phase: this many per node of the graph, plus a base.
STEPS_PER_NODE = 50
BASE_STEPS = 1000
#: Sub-graphs up to this many nodes are printed in full in traces.
TRACE_NODES = 40


class RewriteCycleError(RuntimeError):
    """The rewrite rules keep undoing each other (or grow the graph without end)."""


class RuleError(TypeError, ValueError):
    """A rule raised while it was applied; the message names the rule.

    Both a ``TypeError`` and a ``ValueError``: a malformed rule is bad input.
    """


#: Built-in passes, offered every node whatever its tags.
BUILTIN_NAMES = frozenset({"constant_folding", "merge"})


def protect(node: Apply, old: Variable, new: Variable, new_nodes: Sequence[Apply],
            name: str, mark: str | None) -> None:
    """Record what a rewrite of ``node`` (output ``old``) into ``new`` must not undo.

    * A rule that keeps what it rewrote inside its result (``exp(u) -> exp(u) * (1 + e)``,
      ``x -> switch(c, stable, x)``) never fires on that copy again: the copy is
      tagged with the rule's name, and so, when rewritten, is what replaces it.
    * The nodes a user rule made, or a rule whose results are exact floating-point
      constructions, are tagged with ``mark`` (``"user"``, ``"exact"``), and so is
      what replaces them: the sets of ``context.PROTECTED[mark]`` do not rewrite them,
      and no rule merges them into the sum or product around them.

    Tags live on the variables, so they survive cloning: a second ``simplify`` of a
    result does not redo (or undo) what the first did.
    """
    if new.owner is not None:
        inherited = old.tag.get(KEPT_BY)
        if inherited is not None:
            new.tag[KEPT_BY] = new.tag.get(KEPT_BY, frozenset()) | inherited
        made = old.tag.get(MADE_BY)
        if made is not None and MADE_BY not in new.tag:
            new.tag[MADE_BY] = made
    op, inputs = node.op, node.inputs
    for n in new_nodes:
        if mark is not None:
            for out in n.outputs:
                out.tag.setdefault(MADE_BY, mark)
        if n.inputs == inputs and (n.op is op or n.op == op):
            for out in n.outputs:
                out.tag[KEPT_BY] = out.tag.get(KEPT_BY, frozenset()) | {name}


@dataclass
class RewriteEvent:
    """One rewrite: in which phase, by which rule, what became what."""

    phase: str
    rule: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"[{self.phase}] {self.rule}: {self.before}  ->  {self.after}"


def describe(var: Variable) -> str:
    """``pprint(var)`` for a small sub-graph, else its head op with elided inputs."""
    from aesara_cas.printing import pprint

    seen: set[int] = set()
    stack = [var]
    while stack and len(seen) <= TRACE_NODES:
        v = stack.pop()
        if v.owner is not None and id(v.owner) not in seen:
            seen.add(id(v.owner))
            stack.extend(v.owner.inputs)
    if len(seen) <= TRACE_NODES:
        return pprint(var)
    return f"{var.owner.op}(...)" if var.owner is not None else repr(var)


class _Listener:
    """Records what each ``FunctionGraph.replace`` did, for the driver to follow up."""

    def __init__(self) -> None:
        self.new_nodes: list[Apply] = []

    def on_replace(self, fgraph, old, new, new_nodes, reason) -> None:
        self.new_nodes.extend(new_nodes)

    def on_prune(self, fgraph, node) -> None:
        pass

    def take(self) -> list[Apply]:
        out, self.new_nodes = self.new_nodes, []
        return out


def _users(fg: FunctionGraph, var: Variable) -> list[Apply]:
    """The nodes using ``var`` (not the graph outputs)."""
    return [c for c, _ in fg.clients.get(var, ()) if c != "output"]


def _signature(node: Apply) -> tuple:
    return (node.op, tuple(node.inputs))


class Driver:
    """Rewrites one graph: merging, then phases of rewriters, each to a fixpoint."""

    def __init__(self, fgraph: FunctionGraph, trace: Any = False, merge: bool = True):
        self.fgraph = fgraph
        self.merge_enabled = merge
        self.trace = trace
        self.events: list[RewriteEvent] = []
        self._listener = _Listener()
        self._table: dict[tuple, Apply] = {}
        self._constants: dict[tuple, Constant] = {}
        self._const_rep: dict[int, tuple[Constant, Constant]] = {}
        self._stack: list[Apply] = []
        self._queued: set[Apply] = set()
        self._set_of: dict[int, tuple[str, bool]] = {}
        fgraph.attach(self._listener)
        new_session()  # the graph may have changed since any cache was made

    def close(self) -> None:
        """Stop listening to the graph, and drop the caches that hold its variables (the
        next driver starts a new session, which would not trust them)."""
        if self._listener in self.fgraph._listeners:
            self.fgraph.detach(self._listener)
        forget_order_keys()

    # Merging (common sub-expression elimination) ---------------------------------

    def _merge(self, nodes: Sequence[Apply]) -> list[Apply]:
        """Merge ``nodes`` (and, transitively, their users) with equal existing nodes.

        Returns the nodes whose inputs changed.
        """
        if not self.merge_enabled:
            return []
        fg = self.fgraph
        apply_nodes, variables, table = fg.apply_nodes, fg.variables, self._table
        const_rep = self._const_rep
        touched: list[Apply] = []
        work = deque(nodes)
        while work:
            node = work.popleft()
            if node not in apply_nodes:
                continue
            for inp in list(node.inputs):
                if isinstance(inp, Constant) and inp in variables:
                    # The representative of each constant seen, by identity (the
                    # key hashes the type in Python): it never changes.
                    known = const_rep.get(id(inp))
                    if known is not None and known[0] is inp:
                        rep = known[1]
                    else:
                        rep = self._constants.setdefault((inp.type, inp.signature()), inp)
                        const_rep[id(inp)] = (inp, rep)
                    if rep is not inp:
                        moved = _users(fg, inp)
                        stamp_touched(moved)
                        fg.replace(inp, rep, reason="merge")
                        touched.extend(moved)
            sig = (node.op, tuple(node.inputs))
            other = table.get(sig)
            if (other is None or other is node or other not in apply_nodes
                    or _signature(other) != sig):
                table[sig] = node
                continue
            for old, new in zip(node.outputs, other.outputs):
                if old.type is new.type or old.type == new.type:
                    moved = _users(fg, old)
                    stamp_touched(moved)
                    fg.replace(old, new, reason="merge")
                    touched.extend(moved)
                    # Their inputs changed: they may now equal other nodes.
                    work.extend(moved)
        self._listener.take()
        return touched

    def merge_all(self) -> None:
        """Merge equal sub-graphs of the whole graph."""
        self._merge(self.fgraph.toposort())

    # The worklist -------------------------------------------------------------------

    def _push(self, node: Apply) -> None:
        if node not in self._queued and node in self.fgraph.apply_nodes:
            self._queued.add(node)
            self._stack.append(node)

    def run_phase(self, phase: str, rewriters: Sequence[NodeRewriter],
                  max_steps: int | None = None, sets: Sequence[str] | None = None,
                  marks: Sequence[str | None] | None = None) -> int:
        """Apply ``rewriters`` until none applies; returns the number of rewrites.

        ``sets[i]`` names the rule set of ``rewriters[i]`` (shown in traces; default
        ``phase``); ``marks[i]`` is the protection of what it makes (``"user"``,
        ``"exact"`` or ``None``, see ``context.PROTECTED``).  A rule never fires again
        on a node it reproduced (see :func:`protect`).
        """
        fg = self.fgraph
        n = len(rewriters)
        set_names = list(sets) if sets is not None else [phase] * n
        mark_list = list(marks) if marks is not None else [None] * n
        self._set_of = {id(rw): (s, m) for rw, s, m in zip(rewriters, set_names, mark_list)}
        index: dict[Any, list[tuple[int, NodeRewriter]]] = {}
        wild: list[tuple[int, NodeRewriter]] = []
        for pos, rw in enumerate(rewriters):
            for key in rw.keys:
                (wild if key is WILDCARD else index.setdefault(key, [])).append((pos, rw))
        by_op: dict[Any, Prefilter] = {}
        by_id: dict[int, tuple[Any, Prefilter]] = {}
        # id(rewriter) -> its set, for rewriters a protection can exclude.
        set_by_id = {id(rw): s for rw, s in zip(rewriters, set_names)
                     if rw.name not in BUILTIN_NAMES}

        def candidates(op: Any) -> Prefilter:
            # Ops are usually shared instances (at.exp): look them up by identity
            # first, since hashing an op hashes its parameters.
            hit = by_id.get(id(op))
            if hit is not None and hit[0] is op:
                return hit[1]
            result = by_op.get(op)
            if result is None:
                found = index.get(op, []) + index.get(type(op), []) + wild
                result = Prefilter([rw for _, rw in sorted(found, key=lambda t: t[0])], op)
                by_op[op] = result
            by_id[id(op)] = (op, result)
            return result

        if max_steps is None:
            max_steps = BASE_STEPS + STEPS_PER_NODE * len(fg.apply_nodes)
        # Every node, innermost on top (a sort lists each node once, all in the graph).
        nodes = fg.toposort()
        self._queued = set(nodes)
        nodes.reverse()
        self._stack = nodes
        try:
            return self._run(phase, fg, candidates, set_by_id, max_steps)
        finally:
            # The pre-filter's keys and the matcher's memo hold the last node looked at.
            forget_node()
            forget_match()

    def _run(self, phase: str, fg: FunctionGraph, candidates: Any, set_by_id: dict,
             max_steps: int) -> int:
        history: deque[str] = deque(maxlen=64)
        created: dict[tuple, int] = {}
        made_by: dict[tuple, set[str]] = {}
        undone_by: dict[tuple, set[str]] = {}
        steps = 0
        stack, dequeue, apply_nodes = self._stack, self._queued.discard, fg.apply_nodes
        while stack:
            node = stack.pop()
            dequeue(node)
            if node not in apply_nodes:
                continue
            old = node.outputs[0]
            tag = old.tag
            kept = tag.get(KEPT_BY) if tag else None
            made = tag.get(MADE_BY) if tag else None
            shielded = PROTECTED.get(made) if made is not None else None
            # Only the rewriters whose patterns the node's inputs allow.
            for rw in candidates(node.op).select(node.inputs):
                if kept is not None and rw.name in kept:
                    continue
                if shielded is not None and set_by_id.get(id(rw)) in shielded:
                    continue
                try:
                    new = rw.rewrite(node)
                except RewriteCycleError:
                    raise
                except Exception as err:
                    raise RuleError(
                        f"rule {rw.name!r} raised {type(err).__name__} while rewriting "
                        f"{describe(old)}: {err}; nothing was changed in the caller's graph"
                    ) from err
                if new is None or new is old:
                    continue
                if new.owner is not None and new.owner.op == node.op \
                        and new.owner.inputs == node.inputs:
                    continue  # rebuilt the same node: not a change
                steps += 1
                # A rewriter of several steps (the normal form) names the one that fired.
                name = rw.last_step if rw.named_steps else rw.name
                history.append(name)
                old_sig = _signature(node)
                undone_by.setdefault(old_sig, set()).add(name)
                if new.owner is not None:
                    sig = _signature(new.owner)
                    made_by.setdefault(sig, set()).add(name)
                    if sig in undone_by:
                        created[sig] = created.get(sig, 0) + 1
                        if created[sig] > CYCLE_REPEATS:
                            names = sorted(made_by[sig] | undone_by[sig])
                            raise RewriteCycleError(
                                f"rewriting does not terminate in phase {phase!r}: "
                                f"{describe(new)} is rewritten away and rebuilt again and "
                                f"again by the rules {names}; exclude one of them "
                                "(exclude=[...]) or make their forms agree"
                            )
                if steps > max_steps:
                    common = ", ".join(f"{n} ({c}x)" for n, c in Counter(history).most_common())
                    raise RewriteCycleError(
                        f"rewriting did not reach a fixpoint in phase {phase!r} after "
                        f"{max_steps} rewrites; the rules firing last were: {common}"
                    )
                self._commit(phase, rw, name, node, old, new)
                break
        return steps

    def _commit(self, phase: str, rw: NodeRewriter, name: str, node: Apply, old: Variable,
                new: Variable) -> None:
        fg = self.fgraph
        set_name, mark = self._set_of.get(id(rw), (phase, None))
        before = describe(old) if self.trace is not False else ""
        old_inputs = list(node.inputs)
        moved = _users(fg, old)
        stamp_touched(moved)  # their inputs change: see context.unchanged_since
        fg.replace(old, new, reason=name)
        changed()
        new_nodes = self._listener.take()
        protect(node, old, new, new_nodes, name, mark)
        moved += self._merge(new_nodes + moved)
        changed()
        if self.trace is not False:
            event = RewriteEvent(set_name, name, before, describe(new))
            self.events.append(event)
            if self.trace is True:
                print(event, file=sys.stdout)
            elif isinstance(self.trace, list):
                self.trace.append(event)
        log.debug("%s: %s rewrote %s", phase, name, node.op)
        # (``_push`` inlined)
        queued, push, apply_nodes = self._queued, self._stack.append, fg.apply_nodes
        # An input left with a single user may now let that user match a rule
        # with a single-use condition (flattening); other users are unaffected.
        all_clients = fg.clients
        for inp in old_inputs:
            users = all_clients.get(inp, ())
            if len(users) == 1:
                ((user, _),) = users
                if user != "output" and user not in queued and user in apply_nodes:
                    queued.add(user)
                    push(user)
        # The users of the replaced value now see the replacement.
        for n in moved:
            if n not in queued and n in apply_nodes:
                queued.add(n)
                push(n)
        # New nodes last, so they are looked at first (innermost first).
        for n in reversed(new_nodes):
            if n not in queued and n in apply_nodes:
                queued.add(n)
                push(n)
