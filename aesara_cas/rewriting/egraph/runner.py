"""Equality saturation: rules applied to an e-graph until nothing changes or a limit.

Each iteration finds *every* match of every rule first (against the e-graph as it
is), then applies them all, then rebuilds once (egg's batched rebuilding).  The
e-graph after an iteration therefore does not depend on the order of the rules.

How rules run:

* **Pattern rules** (``ac.rule(lhs, rhs)`` with a term ``rhs``) run natively: the
  ``lhs`` is e-matched (:mod:`.ematch`) and the ``rhs`` is added as e-nodes.  A
  ``where=`` guard gets the usual bindings (graph variables: the cheapest current
  expression of each bound class); :func:`~.analysis.facts` of such a variable
  answers from the e-class analysis.
* **Function rules** (``ac.rule(lhs, f)``) and plain **relations** are matched by
  their patterns (a function rule's ``lhs`` and its ``also=`` patterns; a
  relation's are learned by running it on an unknown input), and then run on the
  matched expression, materialised as a graph (the cheapest current form of every
  bound class); their output graph is added back.  A relation whose pattern
  cannot be learned is skipped (reported).
* Built-in rewrites of sums and products (:mod:`.builtin`) run every iteration.

Limits are egg's defaults: 30 iterations, 10,000 e-nodes, 5 seconds (the time is
checked while matching and applying too, so a run ends soon after it; the e-node
limit between iterations, with a hard stop at four times it inside one), and an
e-node budget relative to the input (``Limits.growth``);
a rule matching more than ``match_limit`` times in an iteration is banned for a
few iterations (egg's backoff scheduler).  :class:`Report` says what stopped it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from etuples.core import ExpressionTuple
from kanren import run as kanren_run
from unification.variable import var

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.logic.build import TermError, build, is_lvar
from aesara_cas.logic.mirror import normalize_head
from aesara_cas.rewriting.bindings import Bindings
from aesara_cas.rewriting.egraph import analysis
from aesara_cas.rewriting.egraph.builtin import builtin_actions
from aesara_cas.rewriting.egraph.egraph import EGraph
from aesara_cas.rewriting.egraph.ematch import (
    Bag,
    EPat,
    Match,
    Matcher,
    Rest,
    Unsupported,
    compile_epatterns,
)
from aesara_cas.rewriting.egraph.extract import CostModel, Extractor
from aesara_cas.rewriting.pattern import _split_apply
from aesara_cas.rewriting.rewriter import MAX_SOLUTIONS, learn_patterns, rule_name
from aesara_cas.rewriting.rule import Rule
from aesara_cas.tensor.elemwise import as_operands

log = logging.getLogger("aesara_cas.rewriting")
#: The e-node budget of a small input: ``growth * input + GROWTH_BASE`` (see :class:`Limits`).
GROWTH_BASE = 300

_APPLY_ERRORS = (TermError, TypeError, ValueError, IndexError, ZeroDivisionError,
                 KeyError, OverflowError)


@dataclass
class Limits:
    """Bounds of one saturation run (egg's defaults)."""

    iterations: int = 30
    nodes: int = 10_000
    seconds: float = 5.0
    #: A rule with more matches than this in one iteration is banned for a while.
    match_limit: int = 1_000
    ban_length: int = 5
    #: The e-graph stops growing at ``growth`` times the e-nodes of its input (plus
    #: :data:`GROWTH_BASE`), if that is below ``nodes``: a sum of a few terms has
    #: infinitely many equal spellings (``x = (x + z) - z = 2*(x + z) - x - 2*z``...),
    #: and a small input that found its best form early must not run to the 10,000
    #: e-node or 5 s limit looking for more.
    growth: int = 40

    def __post_init__(self) -> None:
        for name in ("iterations", "nodes", "match_limit", "ban_length", "growth"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"Limits.{name} must be a positive int, got {v!r}")
        if not isinstance(self.seconds, (int, float)) or self.seconds <= 0:
            raise ValueError(f"Limits.seconds must be a positive number, got {self.seconds!r}")


@dataclass
class Report:
    """What one saturation run did, and why it stopped.

    ``stop`` is ``"saturated"`` (nothing new: every equality the rules imply is
    known), ``"iterations"``, ``"nodes"``, ``"time"`` (the limits) or ``"goal"``
    (the question asked, such as "are these equal?", was answered).
    """

    stop: str = "saturated"
    iterations: int = 0
    nodes: int = 0
    classes: int = 0
    seconds: float = 0.0
    applied: int = 0
    skipped: list = field(default_factory=list)

    def __str__(self) -> str:
        return (f"saturation stopped by {self.stop} after {self.iterations} iteration(s): "
                f"{self.nodes} e-nodes in {self.classes} classes, {self.applied} unions, "
                f"{self.seconds:.3f} s")


class SatRule:
    """A rule prepared for saturation: its e-patterns and what to do with a match."""

    def __init__(self, name: str, patterns: list[EPat], rhs: Any = None,
                 where: Callable | None = None, callback: Callable | None = None):
        self.name = name
        self.patterns = patterns
        self.rhs = rhs
        self.where = where
        self.callback = callback
        self.banned_until = -1
        self.times_banned = 0

    def __repr__(self) -> str:
        return f"SatRule({self.name})"


def prepare(rules: Sequence[Any]) -> tuple[list[SatRule], list[tuple[str, str]]]:
    """Rules (``ac.rule`` objects or relations) as :class:`SatRule` s; and the skipped
    ones with the reason."""
    out: list[SatRule] = []
    skipped: list[tuple[str, str]] = []
    for r in rules:
        name = rule_name(r)
        try:
            if isinstance(r, Rule):
                # ``also=`` spellings are input patterns too (only function rules
                # have them: the output is computed from the bindings).
                pats = [p for lhs in (r.lhs, *r.also) for p in compile_epatterns(lhs)]
                if r._rhs_is_function:
                    out.append(SatRule(name, pats, callback=_rule_callback(r)))
                else:
                    out.append(SatRule(name, pats, rhs=r.rhs, where=r.where))
            elif callable(r):
                learned = getattr(r, "patterns", None) or learn_patterns(r)
                if not learned:
                    skipped.append((name, "its input pattern cannot be learned"))
                    continue
                pats = [p for lhs in learned for p in compile_epatterns(lhs)]
                out.append(SatRule(name, pats, callback=_relation_callback(r)))
            else:
                skipped.append((name, "not a rule or relation"))
        except Unsupported as err:
            skipped.append((name, str(err)))
    return out, skipped


def _rule_callback(r: Rule) -> Callable:
    def callback(s: dict, term: Variable) -> list:
        out = r.output(s, term)
        return [] if out is None else [out]

    return callback


def _relation_callback(relation: Callable) -> Callable:
    def callback(s: dict, term: Variable) -> list:
        q = var()
        return list(kanren_run(MAX_SOLUTIONS, q, relation(term, q)))

    return callback


# Applying matches ----------------------------------------------------------------------

def _bound(eg: EGraph, value: Any) -> int:
    if type(value) is int:
        return eg.find(value)
    if type(value) is Bag:
        return eg.add_op(value.op, list(value.kids))
    raise TermError(f"{value!r} is not an expression")


def instantiate(eg: EGraph, term: Any, b: dict, like: int) -> int:
    """Add a rule's output ``term`` (over the match's bindings ``b``); its class.

    Numbers take NumPy's weak-scalar dtype next to their siblings (a ``2`` next to a
    float32 expression is float32); a bare number is a constant of ``like``'s dtype.
    """
    if is_lvar(term):
        if term not in b:
            raise TermError(f"the output uses the unbound variable {term}")
        return _bound(eg, b[term])
    if isinstance(term, Constant):
        return eg.add_var(term)
    if isinstance(term, Variable):
        return eg.add_graph([term])[0]
    if analysis_is_number(term):
        t = eg[like].type
        shape = getattr(t, "shape", ())
        if any(s is None for s in shape):
            shape = ()
        return eg.constant(np.asarray(term), t.dtype, shape)
    if not (isinstance(term, ExpressionTuple) or hasattr(term, "car")):
        raise TermError(f"cannot build {term!r}")
    head, args, rest = _split_apply(term)
    head = normalize_head(head)
    if is_lvar(head):
        head = b[head]
    elif isinstance(head, ExpressionTuple):
        items = [b.get(x, x) if is_lvar(x) else x for x in head]
        head = build(ExpressionTuple(items))
    # Numbers are kept as 1-tuples until their dtype is known (a class id is an int).
    kids: list[Any] = []
    for a in args:
        kids.append((a,) if analysis_is_number(a) else instantiate(eg, a, b, like))
    if rest is not None:
        tail = b[rest] if is_lvar(rest) else rest
        kids.extend(eg.find(k) for k in tail)
    if any(type(k) is tuple for k in kids):
        probes = [k[0] if type(k) is tuple else eg._probe(k) for k in kids]
        operands = as_operands(tuple(probes))
        kids = [eg.add_var(o) if type(k) is tuple else k for k, o in zip(kids, operands)]
    return eg.add_op(head, kids)


def analysis_is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.number, np.bool_)) and not isinstance(x, complex)


class _Materializer:
    """Graph variables for bound classes (their cheapest current expressions)."""

    def __init__(self, eg: EGraph, cost: CostModel):
        self.eg = eg
        self.cost = cost
        self._ext: Extractor | None = None

    @property
    def ext(self) -> Extractor:
        if self._ext is None:
            self._ext = Extractor(self.eg, self.cost)
        return self._ext

    def value(self, v: Any) -> Any:
        ext = self.ext
        if type(v) is int:
            return ext.variable(v)
        if type(v) is Bag:
            return v.op(*[ext.variable(k) for k in v.kids])
        if type(v) is Rest:
            return ExpressionTuple([ext.variable(k) for k in v])
        return v

    def bindings(self, m: Match) -> dict:
        return {k: self.value(v) for k, v in m.bindings.items()}

    def term(self, m: Match) -> Variable:
        """The matched expression as a graph (its matched e-nodes, then cheapest forms)."""
        eg, ext = self.eg, self.ext
        inner = {}
        for n in m.nodes.values():
            if n is not m.node and n in eg.memo:
                inner.setdefault(eg.find(eg.memo[n]), n)
        top = m.node
        kids = list(top[1:])
        for k in m.remainder:
            kids.remove(k)
        memo: dict[int, Variable] = {}

        def kid_var(k: int, depth: int = 0) -> Variable:
            k = eg.find(k)
            if k in memo:
                return memo[k]
            node = inner.pop(k, None)
            if node is None or depth > 8:
                out = ext.variable(k)
            else:
                out = node[0].make_node(*[kid_var(c, depth + 1) for c in node[1:]]).outputs[0]
            memo[k] = out
            return out

        if len(kids) == 1 and len(top) > 2:
            return kid_var(kids[0])
        return top[0].make_node(*[kid_var(k) for k in kids]).outputs[0]


class LazyBindings(Bindings):
    """:class:`Bindings` of a match whose graph variables are built when asked for."""

    def __init__(self, mat: _Materializer, m: Match):
        super().__init__(m.bindings)
        self._mat, self._m = mat, m
        self._done: dict = {}

    @property
    def term(self) -> Variable:
        if "term" not in self._done:
            self._done["term"] = self._mat.term(self._m)
        return self._done["term"]

    @term.setter
    def term(self, value: Any) -> None:
        pass

    def __getitem__(self, key: Any) -> Any:
        k = self._key(key)
        if k not in self._s:
            raise KeyError(key)
        if k not in self._done:
            self._done[k] = self._mat.value(self._s[k])
        return self._done[k]


def _search(eg: EGraph, rules: list[SatRule], limits: Limits, it: int,
            mat: _Materializer, deadline: float = float("inf")) -> tuple[list, bool]:
    """Every action of this iteration: ``(class, build, rule name, birth)``; and
    whether some rule is banned."""
    matcher = Matcher(eg)
    actions: list = []
    banned = False
    for r in rules:
        if time.perf_counter() > deadline:
            break
        if r.banned_until > it:
            banned = True
            continue
        threshold = limits.match_limit << r.times_banned
        matches: list[tuple[EPat, Match]] = []
        for p in r.patterns:
            for m in matcher.search(p, limit=threshold + 1, deadline=deadline):
                matches.append((p, m))
        if len(matches) > threshold:
            r.banned_until = it + (limits.ban_length << r.times_banned)
            r.times_banned += 1
            banned = True
            continue
        for p, m in matches:
            act = _action(eg, r, p, m, mat)
            if act is not None:
                actions.append(act)
    for cid, fn, name in builtin_actions(eg, deadline):
        actions.append((cid, fn, name, None))
    return actions, banned


def _action(eg: EGraph, r: SatRule, p: EPat, m: Match, mat: _Materializer):
    birth = eg.birth.get(m.node)
    cid, rem, head = m.cid, m.remainder, m.node[0]

    def attach(new: int) -> int:
        return eg.add_op(head, [new, *rem]) if rem else new

    try:
        if r.callback is None:
            if r.where is not None and not r.where(LazyBindings(mat, m)):
                return None
            b = m.bindings
            return (cid, lambda: attach(instantiate(eg, r.rhs, b, cid)), r.name, birth)
        term = mat.term(m)
        outs = r.callback(mat.bindings(m), term)
    except _APPLY_ERRORS as err:
        log.debug("saturation: %s declined: %s", r.name, err)
        return None
    graphs = []
    for out in outs:
        try:
            if isinstance(out, Variable) or analysis_is_number(out):
                graphs.append(out)
            else:
                new = build(out)
                if isinstance(new, Variable) or analysis_is_number(new):
                    graphs.append(new)
        except _APPLY_ERRORS as err:
            log.debug("saturation: output of %s not built: %s", r.name, err)
    if not graphs:
        return None

    def apply() -> int:
        first = None
        for g in graphs:
            new = instantiate(eg, g, {}, cid) if not isinstance(g, Variable) else \
                eg.add_graph([g])[0]
            new = attach(new)
            if first is None:
                first = new
            else:
                eg.union(first, new, r.name)
        return first

    return (cid, apply, r.name, birth)


def run(eg: EGraph, rules: Sequence[SatRule], limits: Limits | None = None,
        goal: Callable[[EGraph], bool] | None = None, cost: CostModel | None = None) -> Report:
    """Saturate ``eg`` with ``rules`` within ``limits``."""
    limits = limits or Limits()
    cost = cost or CostModel()
    rules = list(rules)
    report = Report()
    t0 = time.perf_counter()
    analysis._ACTIVE.append(eg)
    try:
        eg.rebuild()
        max_nodes = min(limits.nodes, limits.growth * eg.n_nodes + GROWTH_BASE)
        if goal is not None and goal(eg):
            report.stop = "goal"
        it = 0
        while report.stop != "goal":
            if it >= limits.iterations:
                report.stop = "iterations"
                break
            version = eg.version
            mat = _Materializer(eg, cost)
            deadline = t0 + limits.seconds
            actions, banned = _search(eg, rules, limits, it, mat, deadline)
            hard = 4 * max_nodes
            for n_done, (cid, fn, name, birth) in enumerate(actions):
                if n_done % 16 == 0 and time.perf_counter() > deadline:
                    break
                try:
                    new = fn()
                except _APPLY_ERRORS as err:
                    log.debug("saturation: %s not applied: %s", name, err)
                    continue
                if new is not None and eg.union(cid, new, name, birth_a=birth, birth_b=new):
                    report.applied += 1
                if eg.n_nodes > hard:
                    break
            eg.rebuild()
            it += 1
            report.iterations = it
            if goal is not None and goal(eg):
                report.stop = "goal"
                break
            out_of_time = time.perf_counter() - t0 > limits.seconds
            if eg.version == version and not out_of_time:
                if not banned:
                    report.stop = "saturated"
                    break
                for r in rules:  # nothing new while some rules rest: wake them up
                    r.banned_until = -1
            if eg.n_nodes > max_nodes:
                report.stop = "nodes"
                break
            if out_of_time:
                report.stop = "time"
                break
    finally:
        analysis._ACTIVE.remove(eg)
    report.nodes, report.classes = eg.n_nodes, eg.n_classes
    report.seconds = time.perf_counter() - t0
    return report

