"""Rewrites of loops: move loop-invariant work out, running sums and products as
``cumsum``/``cumprod``.

Both rewrite a :class:`~aesara_cas.scan.Scan` node with one output (the rewrite
driver replaces a node's first output; a loop with several outputs is left alone).

``scan_hoist_invariants``
    Inner computations that read only non-sequences and constants are computed once,
    before the loop, and passed in as new non-sequences.
``scan_running_sum`` / ``scan_running_product``
    A loop whose step is ``prev + x_t`` (``prev * x_t``) is ``cumsum`` (``cumprod``)
    of the sequence with the initial value in front: the additions happen in the same
    order, so the results are bit-for-bit those of the loop.
"""

from __future__ import annotations

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.graph.traversal import clone_replace
from aesara_cas.rewriting.rewriter import NodeRewriter
from aesara_cas.scan.inner import make_inner_graph, placeholder
from aesara_cas.scan.op import Scan
from aesara_cas.tensor.elemwise import Elemwise


def _single_output(node: Apply) -> bool:
    op = node.op
    return isinstance(op, Scan) and op.n_sitsot + op.n_nitsot + op.n_last == 1


class HoistInvariants(NodeRewriter):
    """Compute the step's loop-invariant sub-expressions once, outside the loop.

    Python: it rebuilds the loop's inner graph, which a pattern does not reach into.
    """

    name = "scan_hoist_invariants"
    keys = (Scan,)

    def rewrite(self, node: Apply) -> Variable | None:
        if not _single_output(node):
            return None
        op = node.op
        fg = op.fgraph
        first_non = op.n_seqs + op.n_sitsot + op.n_last
        invariant = {id(v) for v in fg.inputs[first_non:]}
        hoisted: list[Apply] = []
        for inner in fg.toposort():
            if not isinstance(inner.op, Elemwise):  # element-wise ops are pure
                continue
            if all(id(i) in invariant or isinstance(i, Constant) for i in inner.inputs) \
                    and not all(isinstance(i, Constant) for i in inner.inputs):
                hoisted.append(inner)
                invariant.update(id(o) for o in inner.outputs)
        if not hoisted:
            return None
        hoisted_ids = {id(o) for n in hoisted for o in n.outputs}
        frontier: dict[int, Variable] = {}
        for inner in fg.toposort():
            if id(inner.outputs[0]) in hoisted_ids:
                continue
            for i in inner.inputs:
                if id(i) in hoisted_ids:
                    frontier[id(i)] = i
        for o in fg.outputs:
            if id(o) in hoisted_ids:
                frontier[id(o)] = o
        if not frontier:
            return None
        outer_non = node.inputs[1 + first_non:]
        to_outer = dict(zip(fg.inputs[first_non:], outer_non))
        frontier_vars = list(frontier.values())
        outer_values = clone_replace(frontier_vars, to_outer)
        holders = [placeholder(v) for v in frontier_vars]
        new_outputs = clone_replace(list(fg.outputs), dict(zip(frontier_vars, holders)))
        new_graph = make_inner_graph(list(fg.inputs) + holders, new_outputs)
        new_op = Scan(new_graph, op.n_seqs, op.n_sitsot, op.n_nitsot, op.n_last,
                      op.n_nonseqs + len(holders), op.name)
        new_node = new_op.make_node(*node.inputs, *outer_values)
        return new_node.outputs[0]


class RunningReduction(NodeRewriter):
    """``scan(prev <op> x_t, init)`` as ``cum<op>(concatenate([init[None], x]))[1:]``.

    Python: the step is read from the loop's inner graph, which a pattern does not reach.
    """

    keys = (Scan,)

    def __init__(self, scalar_name: str, name: str):
        self.scalar_name = scalar_name
        self.name = name

    def rewrite(self, node: Apply) -> Variable | None:
        from aesara_cas import tensor as at

        op = node.op
        if not (isinstance(op, Scan) and op.n_seqs == 1 and op.n_sitsot == 1
                and op.n_nitsot == 0 and op.n_last == 0):
            return None
        fg = op.fgraph
        seq_in, prev_in = fg.inputs[0], fg.inputs[1]
        out = fg.outputs[0]
        step = out.owner
        if step is None or not isinstance(step.op, Elemwise) \
                or step.op.scalar_op.name != self.scalar_name or len(step.inputs) != 2:
            return None
        if list(step.inputs) not in ([prev_in, seq_in], [seq_in, prev_in]):
            return None
        if not (seq_in.type == prev_in.type == out.type):
            return None
        seq, init = node.inputs[1], node.inputs[2]
        cum = at.cumsum if self.scalar_name == "add" else at.cumprod
        full = cum(at.concatenate([at.expand_dims(init, 0), seq]), axis=0)
        result = full[1:]
        return result if result.type == node.outputs[0].type else None


RULES = [
    HoistInvariants(),
    RunningReduction("add", "scan_running_sum"),
    RunningReduction("mul", "scan_running_product"),
]
