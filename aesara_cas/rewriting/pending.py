"""Standard rules are prepared when first needed: the canonical forms of pending rules.

A rule written with ``normalize`` matches every normal form of its pattern
(:func:`~aesara_cas.rewriting.spellings.normal_forms`), which needs the pattern's canonical
form: the ``canonicalize`` set run on the pattern itself.  That costs a ``simplify``, so
rules wait here (:data:`PENDING`) until one of them is needed; it is canonicalised
with the others that may head the same nodes (its spelling family,
:func:`spelling_family`) and those of the ops of the graph being rewritten, in one
batch.  A rewriter of the standard database is indexed meanwhile by those families
(:meth:`~aesara_cas.rewriting.rule.Rule.index_guess`), so a small graph prepares only
the rules of its own ops.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import weakref
from typing import Any

from aesara_cas.rewriting.terms import ops_equal
from aesara_cas.rewriting.wild import _UNSET

#: Rules made with ``normalize`` whose canonical form is not known yet (weakly held).
PENDING: list[weakref.ref] = []
#: Held while canonicalising (re-entrant: canonicalising runs ``simplify``, whose rules
#: may need their own patterns); another thread waits for the forms rather than
#: compiling patterns without them.
CANON_LOCK = threading.RLock()
#: ``Rule._canon`` while its canonical form is being computed.
BUSY: Any = object()


def canonicalise_pending(first: Any) -> None:
    """Compute the canonical form of rule ``first``, and, in the same batch, of the
    pending rules of its family and of the graph being rewritten's ops."""
    from aesara_cas.rewriting.spellings import canonical_forms

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
