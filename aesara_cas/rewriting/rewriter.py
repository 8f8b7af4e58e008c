"""Node rewriters: a relation (or rule) turned into "given a node, its replacement".

Every rewriter has ``keys`` (the head ops or op classes of the input patterns it
can match: the driver only offers it nodes with those heads) and
``rewrite(node)``, which returns a replacement variable of exactly the node's
output type, or ``None``.

* :class:`RuleRewriter` wraps a :class:`~aesara_cas.rewriting.rule.Rule`: its
  compiled pattern matches and binds directly.
* :class:`RelationRewriter` wraps any miniKanren relation ``rel(in, out)``.  It
  learns the relation's input patterns once, by running it with an unknown input;
  the compiled patterns index it and pre-check each node, so ``kanren.run`` only
  runs on nodes the patterns match.
* :class:`ConstantFolder` computes nodes whose inputs are all constants.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from numbers import Number
from typing import Any

import numpy as np
from etuples.core import ExpressionTuple
from kanren import run
from unification.variable import isvar, var

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.logic.build import TermError, build
from aesara_cas.logic.mirror import constant_equals
from aesara_cas.rewriting.context import generation
from aesara_cas.rewriting.matcher import match, match_node
from aesara_cas.rewriting.pattern import (
    APPLY,
    HEAD_OP,
    HEAD_PARAMS,
    NUMBER,
    REMAINDER,
    WILDCARD,
    PNode,
    compile_pattern,
    index_key,
)
from aesara_cas.rewriting.prefilter import allowed_patterns, needs_of
from aesara_cas.rewriting.rule import Rule
from aesara_cas.rewriting.terms import ops_equal
from aesara_cas.tensor.elemwise import cast
from aesara_cas.tensor.shape import Alloc, Shape, alloc
from aesara_cas.tensor.subtensor import getitem
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import TensorConstant, constant

log = logging.getLogger("aesara_cas.rewriting")

#: Constant folding skips results larger than this many elements.
FOLD_MAX_SIZE = 1 << 16
#: How many input patterns are learned from a relation at most.
MAX_PATTERNS = 16
#: How many solutions of a relation are tried on one node.
MAX_SOLUTIONS = 4

_BUILD_ERRORS = (TermError, TypeError, ValueError, IndexError, ZeroDivisionError)


def rule_name(relation: Any) -> str:
    return getattr(relation, "name", None) or getattr(relation, "__name__", None) or repr(relation)


# Fitting a replacement to the exact type of what it replaces -----------------------

def output_shape(old: Variable) -> list[Variable] | None:
    """``old``'s shape as scalars computed from its node's inputs (never from ``old``)."""
    node = old.owner
    if node is None:
        return None
    in_shapes = []
    for inp in node.inputs:
        if not isinstance(inp.type, TensorType):
            return None
        dims = []
        for i, s in enumerate(inp.type.shape):
            dims.append(constant(np.int64(s)) if s is not None else getitem(Shape()(inp), i))
        in_shapes.append(tuple(dims))
    try:
        shapes = node.op.infer_shape(node, in_shapes)
    except NotImplementedError:
        return None
    out = []
    for d in shapes[old.index]:
        if isinstance(d, Variable):
            out.append(d)
        else:
            out.append(constant(np.int64(d)))
    return out


def fit_type(new: Variable, old: Variable) -> Variable | None:
    """``new`` made to have exactly ``old.type``, by a cast and/or a broadcast; or ``None``.

    A rewrite may drop an input that only broadcast the result (``x * 0 -> 0``)
    or changed its dtype; the replacement must still be of the same type, so
    the dtype is cast back and the shape restored with ``alloc`` from the
    shapes of the original node's inputs.
    """
    if new.type == old.type:
        return new
    if not isinstance(new.type, TensorType) or new.ndim > old.ndim:
        return None
    if new.dtype != old.dtype:
        new = cast(new, old.dtype)
        if new.type == old.type:
            return new
    padded = (1,) * (old.ndim - new.ndim) + new.type.shape
    for a, b in zip(padded, old.type.shape):
        if a is not None and b is not None and a != b and a != 1:
            return None
    dims = output_shape(old)
    if dims is None:
        return None
    out = alloc(new, *dims)
    return out if out.type == old.type else None


def _lower_precision(new: Variable, old: Variable) -> bool:
    a, b = np.dtype(new.dtype), np.dtype(old.dtype)
    return a.kind == "f" and b.kind == "f" and a.itemsize < b.itemsize


def materialize(term: Any, old: Variable,
                rebuild: Callable[[Callable], Any] | None = None) -> Variable | None:
    """Build ``term`` (a rule's reified output) as a replacement for ``old``, or ``None``.

    If the result would be computed in a narrower float type than ``old`` (an
    input was float32 but a float64 constant promoted the original), the term is
    built again from inputs cast to ``old``'s dtype: ``rebuild(upcast)`` gives the
    term for upcast inputs (by default the same term, its leaves cast).
    """
    if isvar(term) or term is None:
        return None
    try:
        if isinstance(term, (Number, np.number, np.ndarray)) and not isinstance(term, Variable):
            new = constant(np.asarray(term, dtype=old.dtype))
        else:
            new = build(term)
            if isinstance(new, Variable) and _lower_precision(new, old):
                target = old.dtype

                def upcast(v: Variable) -> Variable:
                    if isinstance(v, Variable) and np.dtype(v.dtype).kind == "f" \
                            and np.dtype(v.dtype).itemsize < np.dtype(target).itemsize:
                        return cast(v, target)
                    return v

                if rebuild is not None:
                    new = build(rebuild(upcast))
                else:
                    new = build(term, leaf=upcast)
                if not isinstance(new, Variable) or _lower_precision(new, old):
                    return None
    except _BUILD_ERRORS as err:
        log.debug("could not build %s: %s", term, err)
        return None
    if not isinstance(new, Variable):
        if isinstance(new, (Number, np.number)):
            return fit_type(constant(np.asarray(new, dtype=old.dtype)), old)
        return None
    try:
        return fit_type(new, old)
    except _BUILD_ERRORS as err:
        log.debug("could not fit %s to %s: %s", new, old.type, err)
        return None


# Rewriters ------------------------------------------------------------------------

class NodeRewriter:
    """Base class: ``keys`` to index by, ``rewrite(node)`` to produce a replacement."""

    name: str = "rewriter"
    keys: tuple = (WILDCARD,)
    #: Whether what it makes is an exact floating-point construction that
    #: ``canonicalize`` must not respell or regroup (see ``context.PROTECTED``).
    keep_form: bool = False
    #: Whether ``last_step`` names what the last rewrite did (a rewriter of several
    #: named steps, such as the engine's normal form); else ``name`` does.
    named_steps: bool = False
    last_step: str | None = None
    #: The names of its steps, which ``exclude=`` accepts (see ``without``).
    step_names: tuple = ()

    def rewrite(self, node: Apply) -> Variable | None:
        raise NotImplementedError

    def without(self, names: Any) -> NodeRewriter:
        """This rewriter without the steps ``names`` (it has none: itself)."""
        return self

    def needs(self, op: Any) -> tuple | None:
        """What the inputs of a node of ``op`` must have for a rewrite to be possible
        (see :mod:`aesara_cas.rewriting.prefilter`); ``None``: no condition known."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


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


#: How many levels of a pattern :func:`possible` compares.
POSSIBLE_DEPTH = 3


def possible(p: PNode, v: Any, depth: int) -> bool:
    """Whether compiled pattern ``p`` could match ``v``, judging by the ops and the
    numbers of inputs of its top ``depth`` levels only: a necessary condition for
    :func:`~aesara_cas.rewriting.matcher.match` (arguments of ``add``/``mul`` in any
    order).  Recursion follows the pattern's levels, never the graph's depth."""
    if p.kind != APPLY or depth <= 0:
        return True
    node = getattr(v, "owner", None)
    if node is None or len(node.outputs) != 1:
        return False
    hk = p.head_kind
    if hk == HEAD_OP:
        op = node.op
        if op is not p.head and not ops_equal(op, p.head):
            return False
    elif hk == HEAD_PARAMS and type(node.op) is not p.head:
        return False
    ins, args = node.inputs, p.args
    n, m = len(args), len(ins)
    depth -= 1
    if p.ac:
        if m < n or (m > n and not p.partial) or (m == n and p.tail is not None):
            return False
        numbers = None
        for a in args:
            if a.kind != APPLY:
                if a.kind == NUMBER:
                    numbers = [a] if numbers is None else [*numbers, a]
                continue
            head = a.head if a.head_kind == HEAD_OP else None
            for i in ins:
                if head is not None:
                    # The head first, without a call: most inputs fail here.
                    owner = i.owner
                    if owner is None or (owner.op is not head and not ops_equal(owner.op, head)):
                        continue
                if possible(a, i, depth):
                    break
            else:
                return False
        if numbers is not None:
            # Some input must be each number (a cached read of the constants' values).
            for a in numbers:
                for i in ins:
                    if isinstance(i, Constant) and constant_equals(i, a.value):
                        break
                else:
                    return False
        return True
    if m < n or (p.rest is None and m != n):
        return False
    for k in range(n):
        a = args[k]
        if a.kind == APPLY:
            if not possible(a, ins[k], depth):
                return False
        elif a.kind == NUMBER and not constant_equals(ins[k], a.value):
            return False
    return True


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


def learn_patterns(relation: Callable) -> list | None:
    """The input patterns of ``relation``, found by running it on an unknown input.

    Returns ``None`` when they cannot be learned (the relation fails or raises on
    an unknown input, or accepts anything): the relation then meets every node.
    """
    q_in, q_out = var(), var()
    try:
        found = run(MAX_PATTERNS, q_in, relation(q_in, q_out))
    except Exception as err:  # noqa: BLE001 - any failure just means "not indexable"
        log.debug("could not learn the patterns of %s: %s", rule_name(relation), err)
        return None
    patterns = []
    for p in found:
        if isvar(p) or (not isinstance(p, ExpressionTuple) and not hasattr(p, "car")):
            return None
        patterns.append(p)
    return patterns or None


class RelationRewriter(NodeRewriter):
    """Any miniKanren relation ``rel(in_term, out_term)`` as a node rewriter."""

    def __init__(self, relation: Callable, name: str | None = None,
                 patterns: list | None = None):
        self.relation = relation
        self.name = name or rule_name(relation)
        if patterns is None:
            patterns = getattr(relation, "patterns", None)
        if patterns is None:
            patterns = learn_patterns(relation)
        compiled = [compile_pattern(p) for p in patterns] if patterns else []
        if not compiled or any(c is None for c in compiled):
            # Unknown or uncompilable input patterns: try the relation everywhere.
            self.prechecks = None
            self.keys = (WILDCARD,)
        else:
            self.prechecks = compiled
            self.keys = tuple(dict.fromkeys(index_key(c) for c in compiled))

    def needs(self, op: Any) -> tuple | None:
        return None if self.prechecks is None else needs_of(self.prechecks, op)

    def rewrite(self, node: Apply) -> Variable | None:
        if len(node.outputs) != 1:
            return None
        old = node.outputs[0]
        if self.prechecks is not None and not any(
            match(p, old) is not None for p in self.prechecks
        ):
            return None
        q = var()
        for term in run(MAX_SOLUTIONS, q, self.relation(old, q)):
            new = materialize(term, old)
            if new is not None:
                return new
        return None


class ConstantFolder(NodeRewriter):
    """Compute a node whose inputs are all constants; fold shapes known statically."""

    name = "constant_folding"
    keys = (WILDCARD,)

    def rewrite(self, node: Apply) -> Variable | None:
        # Every node meets this rewriter: the common answer (an input that is not a
        # constant, not a shape) first.
        shape_op = isinstance(node.op, Shape)
        if not shape_op:
            for i in node.inputs:
                if not isinstance(i, Constant):
                    return None
        if len(node.outputs) != 1 or isinstance(node.op, Alloc):
            return None
        out = node.outputs[0]
        if not isinstance(out.type, TensorType):
            return None
        if shape_op:
            shape = node.inputs[0].type.shape
            if any(s is None for s in shape):
                return None
            return TensorConstant(out.type, np.asarray(shape, dtype=out.dtype))
        static = out.type.shape
        if all(s is not None for s in static) and int(np.prod(static)) > FOLD_MAX_SIZE:
            return None
        try:
            with np.errstate(all="ignore"):
                (value,) = node.op.perform(node, [i.data for i in node.inputs])
        except Exception as err:  # noqa: BLE001 - leave it for run time to report
            log.debug("not folding %s: %s", node.op, err)
            return None
        value = np.asarray(value)
        if value.size > FOLD_MAX_SIZE or value.dtype.name != out.dtype:
            return None
        try:
            return TensorConstant(out.type, value)
        except (TypeError, ValueError):
            return None


def as_rewriter(obj: Any, normalize: bool = False, lazy: bool = False) -> NodeRewriter:
    """A :class:`NodeRewriter` for a rule, a relation or a rewriter.

    ``normalize``: a :class:`Rule` matches modulo the engine's equalities (unless
    the rule itself says otherwise).  ``lazy``: its normal forms are computed when a
    node first meets it (see :class:`RuleRewriter`).
    """
    if isinstance(obj, NodeRewriter):
        return obj
    if isinstance(obj, Rule):
        return RuleRewriter(obj, normalize=normalize, lazy=lazy)
    if callable(obj):
        return RelationRewriter(obj)
    raise TypeError(
        f"a rule must be a miniKanren relation rel(in_term, out_term), an ac.rule(...) or a "
        f"NodeRewriter; got {obj!r}"
    )
