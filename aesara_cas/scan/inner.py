"""Inner graphs: the sub-programs that ``Scan`` and ``IfElse`` nodes run.

An op with an inner graph owns a :class:`FunctionGraph` whose inputs are fresh
placeholders.  The op compares and hashes by the graph's *structure*
(:func:`structural_key`), so equal loops or conditionals merge like any other
equal sub-graphs.  The graph is rewritten and lowered once, the first time the op
runs (:class:`InnerProgram`), with the same rewrites as any compiled graph.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.traversal import clone_replace


def free_variables(outputs: Sequence[Variable], bound: Sequence[Variable] = (),
                   created_from: int | None = None) -> list[Variable]:
    """The variables ``outputs`` read from outside: non-constant graph inputs not in
    ``bound``, in a stable order (by creation).

    With ``created_from`` (a variable id), variables made before it (they existed
    before a step function was called) are outside values too, even when computed:
    a loop reads them, it does not recompute them at every step.
    """
    bound_ids = {id(b) for b in bound}
    seen: set[int] = set()
    free: list[Variable] = []
    stack = list(outputs)
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if id(v) in bound_ids or isinstance(v, Constant):
            continue
        if v.owner is None or (created_from is not None and v.id < created_from):
            free.append(v)
        else:
            stack.extend(v.owner.inputs)
    free.sort(key=lambda v: v.id)
    return free


def placeholder(var: Variable, name: str | None = None) -> Variable:
    """A fresh graph input of ``var``'s type."""
    return var.type.make_variable(name=name if name is not None else var.name)


def make_inner_graph(inputs: Sequence[Variable], outputs: Sequence[Variable]) -> FunctionGraph:
    """A private copy of the graph from ``inputs`` (placeholders) to ``outputs``."""
    return FunctionGraph(list(inputs), list(outputs), clone=True)


def structural_key(fgraph: FunctionGraph) -> tuple:
    """A hashable description of ``fgraph`` that equal graphs share.

    Variables are named by position (input number, node number and output), constants
    by value, ops by themselves (ops compare by their parameters).
    """
    ref: dict[int, tuple] = {id(v): ("in", i) for i, v in enumerate(fgraph.inputs)}
    nodes = []
    for k, node in enumerate(fgraph.toposort()):
        args = []
        for inp in node.inputs:
            r = ref.get(id(inp))
            if r is None:
                r = ("c", inp.signature()) if isinstance(inp, Constant) else ("?", inp.id)
            args.append(r)
        nodes.append((node.op, tuple(args)))
        for j, out in enumerate(node.outputs):
            ref[id(out)] = ("n", k, j)
    outs = []
    for out in fgraph.outputs:
        r = ref.get(id(out))
        if r is None:
            r = ("c", out.signature()) if isinstance(out, Constant) else ("?", out.id)
        outs.append(r)
    return (tuple(v.type for v in fgraph.inputs), tuple(nodes), tuple(outs))


def outer_outputs(fgraph: FunctionGraph, outer_inputs: Sequence[Variable]) -> list[Variable]:
    """The inner graph's outputs rebuilt over ``outer_inputs`` (used by gradients)."""
    return clone_replace(list(fgraph.outputs), dict(zip(fgraph.inputs, outer_inputs)))


class InnerProgram:
    """The inner graph, rewritten and lowered on first use: to the NumPy VM, or with
    ``mode="cython"`` to a compiled module (fused kernels, one native call per run).

    ``run(values)`` takes one value per inner input and returns the outputs.  A
    lock makes the one-time compilation safe when functions run in threads.
    """

    def __init__(self, fgraph: FunctionGraph, mode: str = "numpy"):
        self.fgraph = fgraph
        self.mode = mode
        self._program: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        # The lowered program is rebuilt (or loaded from the cache) on first use.
        return {"fgraph": self.fgraph, "mode": self.mode}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["fgraph"], state.get("mode", "numpy"))

    def program(self):
        if self._program is None:
            with self._lock:
                if self._program is None:
                    from aesara_cas.compile.mode import link, rewrite

                    fg = self.fgraph.clone()
                    rewrite(fg)
                    self._program = link(fg, self.mode)
        return self._program

    def run(self, values: list[Any]) -> list[Any]:
        return self.program().run(values)

    def runner(self):
        """A lean ``run`` for loops: the caller sets NumPy's error state once around
        all steps, and no per-call bookkeeping is repeated."""
        program = self.program()
        if self.mode != "numpy":
            return program.run
        base: list[Any] = [None] * program.n_slots
        for i, v in program.constants:
            base[i] = v
        input_slots, output_slots = program.input_slots, program.output_slots
        steps = [(perform, node, ins, outs) for perform, node, ins, outs, _ in program.steps]

        def run(values: list[Any]) -> list[Any]:
            storage = base.copy()
            for i, v in zip(input_slots, values):
                storage[i] = v
            for perform, node, ins, outs in steps:
                for i, r in zip(outs, perform(node, [storage[i] for i in ins])):
                    storage[i] = r
            return [storage[i] for i in output_slots]

        return run
