"""In-place updates: ``set_subtensor``/``inc_subtensor`` that reuse their input's buffer.

``inc_subtensor(x[i], v)`` returns a new array: a copy of ``x`` with ``v`` added.
When nothing else can see ``x`` the copy is wasted work, and a loop of updates
(``x = set_subtensor(x[i], v)`` ten times) copies the whole array each time.
:func:`insert_inplace` runs on a graph being compiled, after rewriting, and marks
each scatter whose ``x`` is safe to overwrite; that op then updates ``x`` itself.

``x`` is safe to overwrite when

* it is computed in the graph (not an input, a shared variable's value or a
  constant: the user's arrays are never written);
* this node is its only use, as the base (no other node reads it, it is not an
  output, it is not also the value or an index);
* the op computing it returns a new array of its own, never a view of another
  value: element-wise ops, scatters, ``alloc``, products, concatenation and
  advanced gathers (basic indexing, ``dimshuffle`` and ``reshape`` may return views,
  so a view's base would change too).

So an in-place update never changes a value the user can see.  The marks are
recomputed whenever a graph is compiled, so a marked op reused in another graph
is only in place where that graph allows it.
"""

from __future__ import annotations

from aesara_cas.graph.basic import Apply, Variable
from aesara_cas.graph.fg import FunctionGraph

__all__ = ["insert_inplace", "owns_its_output"]


def _scatter_classes() -> tuple:
    from aesara_cas.tensor.advanced import AdvancedIncSubtensor
    from aesara_cas.tensor.subtensor import IncSubtensor

    return IncSubtensor, AdvancedIncSubtensor


def owns_its_output(node: Apply) -> bool:
    """Whether ``node``'s op returns a new array (never a view of an input's buffer)."""
    from aesara_cas.tensor.advanced import AdvancedSubtensor
    from aesara_cas.tensor.blas import Dot, MatMul
    from aesara_cas.tensor.elemwise import Elemwise
    from aesara_cas.tensor.shape import Alloc, Join

    return isinstance(node.op, (Elemwise, Alloc, Join, Dot, MatMul, AdvancedSubtensor,
                                *_scatter_classes()))


def _safe_base(fgraph: FunctionGraph, node: Apply) -> bool:
    x: Variable = node.inputs[0]
    if x.owner is None or not owns_its_output(x.owner):
        return False
    clients = fgraph.clients.get(x, {})
    return list(clients) == [(node, 0)]


def insert_inplace(fgraph: FunctionGraph) -> int:
    """Mark (and unmark) the scatters of ``fgraph`` that may update their base in place;
    returns how many are in place."""
    classes = _scatter_classes()
    n = 0
    for node in fgraph.apply_nodes:  # each node decides alone: no need to sort a big graph
        if isinstance(node.op, classes):
            safe = _safe_base(fgraph, node)
            if node.op.inplace != safe:
                node.op = node.op.with_inplace(safe)
            n += safe
    return n
