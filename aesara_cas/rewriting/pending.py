"""Rules prepared when first needed: canonical forms of pending rules, index guesses, patterns.

A rule written with ``normalize`` matches every normal form of its pattern
(:func:`~aesara_cas.rewriting.spellings.normal_forms`), which needs the pattern's canonical
form: the ``canonicalize`` set run on the pattern itself.  That costs a ``simplify``, so
rules wait here (:data:`PENDING`) until one of them is needed; it is canonicalised
with the others that may head the same nodes (its spelling family,
:func:`spelling_family`) and those of the ops of the graph being rewritten, in one
batch.  A rewriter of the standard database is indexed meanwhile by those families
(:func:`guess_index`), so a small graph prepares only the rules of its own ops.

The rest of a rule's lazy preparation is here too: the head its pattern is written
with (:func:`written_head`) and its compiled patterns (:func:`compile_patterns`),
which :class:`~aesara_cas.rewriting.rule.Rule` computes when first asked.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import weakref
from typing import TYPE_CHECKING, Any

from etuples.core import ExpressionTuple

from aesara_cas.graph.basic import Op
from aesara_cas.logic.mirror import normalize_head
from aesara_cas.rewriting.pattern import APPLY, HEAD_VAR, PNode, compile_pattern
from aesara_cas.rewriting.spellings import canonical_forms, normal_forms
from aesara_cas.rewriting.terms import ops_equal
from aesara_cas.rewriting.wild import _UNSET

if TYPE_CHECKING:
    from aesara_cas.rewriting.rule import Rule

#: Rules made with ``normalize`` whose canonical form is not known yet (weakly held).
PENDING: list[weakref.ref] = []
#: Held while canonicalising (re-entrant: canonicalising runs ``simplify``, whose rules
#: may need their own patterns); another thread waits for the forms rather than
#: compiling patterns without them.
CANON_LOCK = threading.RLock()
#: ``Rule._canon`` while its canonical form is being computed.
BUSY: Any = object()


def canonicalise_pending(first: Rule) -> None:
    """Compute the canonical form of rule ``first``, and, in the same batch, of the
    pending rules of its family and of the graph being rewritten's ops."""
    with CANON_LOCK:
        if first._canon is not _UNSET:
            return  # another thread did it meanwhile
        group = first.index_guess()
        # The rules of the ops of the graph being rewritten will be needed soon too: one
        # batch (a batch costs about as much to set up as to run).
        present = _graph_ops() if group is not None else frozenset()
        rules, keep = [first], []
        for ref in PENDING:
            r = ref()
            if r is None or r is first or r._canon is not _UNSET:
                continue
            guess = r.index_guess() if group is not None else None
            if (group is None or guess is None or not guess.isdisjoint(group)
                    or not guess.isdisjoint(present)):
                rules.append(r)
            else:
                keep.append(ref)
        PENDING[:] = keep
        for r in rules:
            r._canon = BUSY
        forms: list = [None] * len(rules)
        try:
            forms = canonical_forms([r.lhs for r in rules])
        finally:
            for r, c in zip(rules, forms):
                r._canon = c


#: Nodes of the graph being rewritten that :func:`_graph_ops` reads at most.
_GRAPH_OPS_NODES = 2000


def _graph_ops() -> frozenset:
    """The ops (and op classes) of (the first nodes of) the graph being rewritten."""
    from aesara_cas.rewriting.context import current_graph

    fg = current_graph()
    if fg is None:
        return frozenset()
    out: set = set()
    for node in itertools.islice(fg.apply_nodes, _GRAPH_OPS_NODES):
        op = node.op
        out.add(type(op))
        with contextlib.suppress(TypeError):  # (an unhashable op is only left out)
            out.add(op)
    return frozenset(out)


#: The element-wise ops whose patterns :func:`~aesara_cas.rewriting.spellings.spellings`
#: and the canonical form respell into one another: a sum's (``a - b``, ``a + -b``)
#: and a product's (``-a``, ``a / b``, ``a * b**-1``, ``sqrt(a)``, ``a**0.5``...).
_SUM_OPS = ("add", "sub")
_PRODUCT_OPS = ("neg", "mul", "true_div", "pow", "sqr", "sqrt")


def spelling_family(op: Any) -> tuple | None:
    """The ops of ``op``'s family (:data:`_SUM_OPS` or :data:`_PRODUCT_OPS`), or None."""
    from aesara_cas.tensor import elemwise as E

    for family in (_SUM_OPS, _PRODUCT_OPS):
        for name in family:
            if ops_equal(op, getattr(E, name)):
                return tuple(getattr(E, n) for n in family)
    return None


# A rule's patterns, prepared when first needed ----------------------------------------

def written_head(r: Rule) -> Any:
    """The op (or op class) heading the pattern as written, which the rewriter of a
    rule without normal forms is indexed under; read from the written lhs when the
    pattern is not compiled yet.  ``None``: a variable head, or no pattern."""
    if r._pattern is _UNSET:
        lhs = r._lhs
        if lhs is _UNSET:  # (a graph: its root op, as the compiled head)
            return normalize_head(r._lhs_graph.owner.op)
        if isinstance(lhs, ExpressionTuple) and len(lhs) > 0:
            head = normalize_head(lhs[0])
            if isinstance(head, Op):
                return head
            if (isinstance(head, ExpressionTuple) and len(head) > 0
                    and isinstance(head[0], type)):
                return head[0]
    p = r.pattern
    if p is None or p.kind != APPLY or p.head_kind == HEAD_VAR:
        return None
    return p.head


def guess_index(r: Rule) -> frozenset | None:
    """The ops the normal forms of the pattern can be headed by, without computing
    them (which canonicalises the pattern): the written head and the ops of its
    spelling family.  ``None``: no guess (a head that is a variable, or no pattern);
    the forms must then be computed to index the rule.  Every standard rule's
    normal forms are headed within its guess (tests check it); a rewriter that
    finds otherwise says so and indexes its rule by the forms' heads from then on."""
    guess = r._guess
    if guess is _UNSET:
        head = written_head(r)
        family = spelling_family(head) if isinstance(head, Op) else None
        if family is not None:
            guess = frozenset(family)
        else:
            guess = None if head is None else frozenset((head,))
        r._guess = guess
    return guess


def compile_patterns(r: Rule, normalize: bool) -> list[PNode]:
    """The compiled input patterns: the lhs as written, or, with ``normalize`` and a
    term output, every normal form of it
    (:func:`~aesara_cas.rewriting.spellings.normal_forms`), partial at the root.  A rule
    with a computed output sees the node as its pattern is written (``add`` and
    ``mul`` arguments in any order)."""
    cached = r._patterns.get(normalize)
    if cached is not None:
        return cached
    out: list[PNode] = []
    busy = False
    if normalize and r.pattern is not None and not r._rhs_is_function:
        if r._canon is _UNSET or r._canon is BUSY:
            # (busy in another thread: this waits for its forms)
            canonicalise_pending(r)
        canon = r._canon
        if canon is BUSY:
            # Needed in this thread while its own canonical form is being computed
            # (the pattern graph holds a node it could match): the spellings as
            # written, not kept.
            busy, canon = True, None
        out = [p for p in (compile_pattern(f, partial=r.partial)
                           for f in normal_forms(r.lhs, canon)) if p is not None]
    if not out and r.pattern is not None:
        out = [r.pattern]
        for t in r.also:
            p = compile_pattern(t)
            if p is None:
                raise ValueError(f"rule {r.name!r}: also= pattern {t!r} is not an "
                                 "operation")
            out.append(p)
    if not busy:
        r._patterns[normalize] = out
    return out
