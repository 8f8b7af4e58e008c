"""The NumPy virtual machine: run a graph's nodes in order with their ``perform``.

The graph is lowered once to a flat program (storage slots and a list of steps);
each intermediate's slot is cleared right after its last client ran, so peak
memory follows the live values, not the whole graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.graph.fg import FunctionGraph


class NumPyProgram:
    """A lowered graph: ``run(input_values) -> output_values``."""

    def __init__(self, fgraph: FunctionGraph):
        nodes = fgraph.toposort()
        slot: dict[Variable, int] = {}

        def slot_of(var: Variable) -> int:
            if var not in slot:
                slot[var] = len(slot)
            return slot[var]

        self.input_slots = [slot_of(v) for v in fgraph.inputs]
        constants: list[tuple[int, Any]] = []
        for node in nodes:
            for inp in node.inputs:
                if isinstance(inp, Constant) and inp not in slot:
                    constants.append((slot_of(inp), inp.data))
        for out in fgraph.outputs:
            if isinstance(out, Constant) and out not in slot:
                constants.append((slot_of(out), out.data))
        last_use: dict[Variable, int] = {}
        for step, node in enumerate(nodes):
            for inp in node.inputs:
                last_use[inp] = step
        keep = set(fgraph.outputs) | set(fgraph.inputs)
        frees: list[list[int]] = [[] for _ in nodes]
        for var, step in last_use.items():
            if var.owner is not None and var not in keep:
                frees[step].append(slot_of(var))
        self.steps: list[tuple[Callable, Any, list[int], list[int], list[int]]] = []
        for step, node in enumerate(nodes):
            ins = [slot_of(i) for i in node.inputs]
            outs = [slot_of(o) for o in node.outputs]
            self.steps.append((node.op.perform, node, ins, outs, frees[step]))
        self.output_slots = [slot_of(o) for o in fgraph.outputs]
        self.n_slots = len(slot)
        self.constants = constants

    def run(self, values: list[Any]) -> list[Any]:
        storage: list[Any] = [None] * self.n_slots
        for i, v in self.constants:
            storage[i] = v
        for i, v in zip(self.input_slots, values):
            storage[i] = v
        with np.errstate(all="ignore"):
            for perform, node, ins, outs, frees in self.steps:
                try:
                    results = perform(node, [storage[i] for i in ins])
                except (ValueError, TypeError, IndexError) as err:
                    err.add_note(f"while computing {node.op} of {node.inputs}")
                    raise
                for i, r in zip(outs, results):
                    storage[i] = r
                for i in frees:
                    storage[i] = None
        return [storage[i] for i in self.output_slots]
