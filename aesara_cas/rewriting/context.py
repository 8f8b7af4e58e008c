"""The graph being rewritten, for rule conditions that need more than the match.

While the engine runs, :func:`n_clients` answers "how many nodes use this
variable?" (a rule flattening ``(a + b) + c`` only does so when ``a + b`` has no
other use, so shared work is not duplicated).  Outside the engine (a relation run
by hand with ``kanren.run``) the answer is ``None``: unknown.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from aesara_cas.graph.basic import Variable
from aesara_cas.graph.fg import FunctionGraph

#: Tag of a variable: the names of the rules that must not fire on it again.
KEPT_BY = "_kept_by"
#: Tag of a variable a rule created: how it is protected, ``"user"`` or ``"exact"``.
MADE_BY = "_made_by"
#: ``{protection: sets that do not rewrite such a node}``.  What a user rule made is
#: left alone by the standard sets (a user's ``v + v`` is not collected back into
#: ``2 * v``); an exact floating-point construction (a compensated sum, a rationalised
#: difference, a switch by magnitude) is not respelled by ``canonicalize``.
PROTECTED = {
    "user": frozenset({"canonicalize", "stabilize", "specialize"}),
    "exact": frozenset({"canonicalize"}),
}
#: Protections under which a node is never merged into the sum or product around it
#: (:func:`n_clients` counts it as shared), so its grouping is kept.
KEEP_GROUPED = frozenset(PROTECTED)

#: The graphs being rewritten, innermost last, per thread (several threads may rewrite
#: different graphs at once; a rule must see its own thread's graph).
_local = threading.local()
_generation = [0]
#: ``id(node) -> generation`` at which the node's inputs last changed (see :func:`touched`).
_touched: dict[int, int] = {}
#: Caches made before this generation are not trusted (see :func:`unchanged_since`).
_floor = [0]
#: :data:`_touched` is emptied (and every cache dropped) beyond this many entries.
TOUCHED_LIMIT = 500_000


@contextmanager
def rewriting(fgraph: FunctionGraph) -> Iterator[None]:
    """Make ``fgraph`` the graph rule conditions ask about."""
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(fgraph)
    try:
        yield
    finally:
        stack.pop()


def current_graph() -> FunctionGraph | None:
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


def n_clients(var: Variable) -> int | None:
    """How many uses ``var`` has in the graph being rewritten (``None``: unknown).

    A value made by a rule whose results are protected (a user rule, a stable form)
    counts as used at least twice, so no rule merges it into the sum or product that
    uses it (a user's ``v + v`` stays, a compensated sum is not regrouped).
    """
    fg = current_graph()
    if fg is None:
        return None
    n = len(fg.clients.get(var, ()))
    if n == 1 and var.tag.get(MADE_BY) in KEEP_GROUPED:
        return 2
    return n


def generation() -> int:
    """A counter bumped on every change of the graph being rewritten (for caches)."""
    return _generation[0]


def changed() -> None:
    """Called by the driver after each replacement: invalidates derived caches."""
    _generation[0] += 1


def touched(nodes: Iterable) -> None:
    """Record that the inputs of ``nodes`` changed in the current generation.

    The driver calls this for the users of every replaced value, so a cache of
    something computed from a few nodes (:func:`~aesara_cas.rewriting.terms.order_key`)
    stays valid across unrelated changes: see :func:`unchanged_since`.
    """
    g = _generation[0]
    stamps = _touched
    for n in nodes:
        stamps[id(n)] = g
    if len(stamps) > TOUCHED_LIMIT:
        # Forgetting stamps would make stale caches look valid: drop them all.
        stamps.clear()
        _generation[0] += 1
        _floor[0] = _generation[0]


def new_session() -> None:
    """Distrust every cache: called when a driver starts on a graph, since the graph
    may have been changed (without :func:`touched`) since the caches were made."""
    _generation[0] += 1
    _floor[0] = _generation[0]


def unchanged_since(gen: int, nodes: Iterable) -> bool:
    """Whether no node of ``nodes`` had its inputs changed at or after generation ``gen``
    (and caches of generation ``gen`` are still trusted)."""
    if gen < _floor[0]:
        return False
    get = _touched.get
    for n in nodes:  # noqa: SIM110 - a plain loop: this runs for every cached key
        if get(id(n), -1) >= gen:
            return False
    return True
