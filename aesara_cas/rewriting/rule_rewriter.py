"""A :class:`~aesara_cas.rewriting.rule.Rule` as a node rewriter, matched by its compiled patterns.

With ``normalize`` the rule matches every normal form of its pattern and, for a term
output, part of a longer sum or product.  A lazy rewriter is indexed by the ops its
normal forms can be headed by (:func:`lazy_keys`) and compiles its patterns when a
node of such an op first meets it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from etuples.core import ExpressionTuple

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.rewriting.context import generation
from aesara_cas.rewriting.matcher import match_node
from aesara_cas.rewriting.pattern import HEAD_OP, REMAINDER, WILDCARD, PNode, index_key
from aesara_cas.rewriting.precheck import POSSIBLE_DEPTH, possible
from aesara_cas.rewriting.prefilter import allowed_patterns, needs_of
from aesara_cas.rewriting.replacement import materialize
from aesara_cas.rewriting.rewriter import NodeRewriter
from aesara_cas.rewriting.rule import Rule
from aesara_cas.rewriting.terms import ops_equal

log = logging.getLogger("aesara_cas.rewriting")


def lazy_keys(r: Rule, normalize: bool) -> frozenset | None:
    """The ops (or op classes) a rewriter of ``r`` is indexed under before its patterns
    are computed: those its normal forms can be headed by (:meth:`Rule.index_guess`),
    or its pattern's written head; ``None``: its patterns must be computed to index it
    (a variable head, or ``also=`` spellings)."""
    if normalize and not r._rhs_is_function:
        return r.index_guess()
    if r.also:
        return None
    head = r.head_key()
    return None if head is None else frozenset((head,))


class RuleRewriter(NodeRewriter):
    """A :class:`Rule` applied through its compiled pattern(s).

    With ``normalize`` (a user rule, or a rule built with ``normalize=True``) the rule
    matches every normal form of its pattern (see
    :func:`~aesara_cas.rewriting.spellings.normal_forms`), and a rule whose output is a
    term also matches part of a longer sum or product: ``a + sin(y)**2 + cos(y)**2``
    becomes ``a + 1``.
    """

    def __init__(self, r: Rule, name: str | None = None, normalize: bool = False,
                 lazy: bool = False):
        self.rule = r
        self.name = name or r.name
        if r.normalize is not None:
            normalize = r.normalize
        self.normalize = normalize
        #: The patterns a node's inputs allow, per number and kinds of inputs.
        self._allowed: dict = {}
        #: id(op) -> (op, needs(op)).
        self._needs: dict[int, tuple] = {}
        self._patterns: list[PNode] | None = None
        # ``lazy``: the normal forms of a term rule (which canonicalise its pattern and
        # compile a dozen spellings), or another rule's pattern, wait until a node of an
        # op the rule is indexed under meets it; meanwhile the rule is indexed by the
        # ops its forms can have, or by its pattern's written head.
        guess = None
        if lazy and r._patterns.get(normalize) is None:
            guess = lazy_keys(r, normalize)
        self._guess = guess
        if guess is None:
            self._compile()
        else:
            self.keys = tuple(guess)

    @property
    def patterns(self) -> list[PNode]:
        """The compiled input patterns (:meth:`Rule.patterns`)."""
        patterns = self._patterns
        return self._compile() if patterns is None else patterns

    def _compile(self) -> list[PNode]:
        r = self.rule
        patterns = r.patterns(self.normalize)
        keys = tuple(dict.fromkeys(index_key(p) for p in patterns)) or (WILDCARD,)
        if (self._guess is not None and r.pattern is not None
                and not self._guess.issuperset(keys)):
            log.warning("rule %s: its patterns are headed by %s, outside the ops it was "
                        "indexed under before they were computed (%s); the graph "
                        "rewritten now may miss it", self.name, keys, tuple(self._guess))
        self.keys = keys
        self._simple = len(patterns) == 1 and not patterns[0].search
        # A computed rule with one plain pattern per head (``also=``: ``a - b`` and
        # ``a + b``): the node's op picks its pattern, matched as directly as one.
        by_head: dict | None = None
        if (len(patterns) > 1 and r._rhs_is_function
                and all(not p.search and p.head_kind == HEAD_OP for p in patterns)
                and len(set(keys)) == len(patterns)):
            by_head = dict(zip(keys, patterns))
        self._by_head = by_head
        if r._patterns.get(self.normalize) is patterns:  # (else not final: see Rule.patterns)
            self._patterns = patterns  # last: other threads read it as "compiled"
        return patterns

    def needs(self, op: Any) -> tuple | None:
        # Asked once per op by every rewrite (the driver's pre-filter): kept per op.
        hit = self._needs.get(id(op))
        if hit is not None and hit[0] is op:
            return hit[1]
        need = None if self.rule.pattern is None else needs_of(self.patterns, op)
        if self._patterns is not None:  # (final)
            if len(self._needs) > 256:
                self._needs.clear()
            self._needs[id(op)] = (op, need)
        return need

    def rewrite(self, node: Apply) -> Variable | None:
        if len(node.outputs) != 1:
            return None
        old = node.outputs[0]
        r = self.rule
        if self._patterns is None:
            self._compile()
        if r.pattern is None:
            s = r.bindings(old)
            return None if s is None else self._build(s, old)
        if self._simple:
            s = match_node(self.patterns[0], node, generation())
            return None if s is None else self._build(s, old)
        if self._by_head is not None:
            p = self._by_head.get(node.op)
            s = None if p is None else match_node(p, node, generation())
            return None if s is None else self._build(s, old)
        # The backtracking (commutative) search is the costly part of most failing
        # attempts; the kinds of the node's inputs, then the ops near the node, usually
        # rule every pattern out first.
        patterns = self.patterns
        if len(patterns) > 1:  # (one pattern: the driver's pre-filter checked it)
            patterns = allowed_patterns(patterns, node.inputs, self._allowed)
        for p in patterns:
            if possible(p, old, POSSIBLE_DEPTH):
                break
        else:
            return None
        for s, term in r.matches(old, self.normalize, patterns):
            new = self._build(s, old, term)
            if new is not None:
                return new
        return None

    def _build(self, s: dict, old: Variable, term: Any = None) -> Variable | None:
        r = self.rule
        if term is None:
            term = r.output(s, old)
            if term is None:
                return None
        rest = s.get(REMAINDER)
        if rest:
            # A partial match of a sum or product: the rest stays around the result.
            op = old.owner.op

            def rebuild(leaf: Callable) -> Any:
                inner = r.output(_map_bindings(s, leaf), old)
                return None if inner is None else ExpressionTuple(
                    (op, inner, *[leaf(v) for v in rest]))
        else:
            def rebuild(leaf: Callable) -> Any:
                return r.output(_map_bindings(s, leaf), old)
        new = materialize(term, old, rebuild)
        if (new is not None and len(self.patterns) > 1 and self._by_head is None
                and same_structure(new, old)):
            return None  # another spelling of what is there: not a rewrite
        return new


#: Nodes compared at most by :func:`same_structure`.
SAME_STRUCTURE_NODES = 64


def same_structure(a: Variable, b: Variable) -> bool:
    """Whether ``a`` and ``b`` compute the same expression node for node (equal ops,
    the same inputs or constants of equal value, ``add``/``mul`` inputs in any order);
    ``False`` when undecided within :data:`SAME_STRUCTURE_NODES` nodes."""
    budget = [SAME_STRUCTURE_NODES]

    def same(u: Variable, w: Variable) -> bool:
        if u is w:
            return True
        if isinstance(u, Constant) and isinstance(w, Constant):
            return u.type == w.type and u.signature() == w.signature()
        nu, nw = u.owner, w.owner
        if nu is None or nw is None or u.type != w.type or u.index != w.index:
            return False
        budget[0] -= 1
        if budget[0] < 0 or len(nu.inputs) != len(nw.inputs) or not ops_equal(nu.op, nw.op):
            return False
        if all(same(p, q) for p, q in zip(nu.inputs, nw.inputs)):
            return True
        if not (ops_equal(nu.op, _add()) or ops_equal(nu.op, _mul())):
            return False
        rest = list(nw.inputs)
        for p in nu.inputs:
            for k, q in enumerate(rest):
                if same(p, q):
                    del rest[k]
                    break
            else:
                return False
        return True

    return same(a, b)


def _add() -> Any:
    from aesara_cas.tensor.elemwise import add

    return add


def _mul() -> Any:
    from aesara_cas.tensor.elemwise import mul

    return mul


def _map_bindings(s: dict, leaf: Callable) -> dict:
    """The bindings with ``leaf`` applied to every graph variable (also inside cons tails)."""
    out = {}
    for k, v in s.items():
        if isinstance(v, Variable):
            out[k] = leaf(v)
        elif isinstance(v, ExpressionTuple) and v._evaled_obj is ExpressionTuple.null:
            out[k] = ExpressionTuple([leaf(i) if isinstance(i, Variable) else i for i in v])
        else:
            out[k] = v
    return out
