"""The NumPy virtual machine: run a graph's nodes in order with their ``perform``.

The graph is lowered once to a flat program (storage slots and a list of steps);
each intermediate's slot is cleared right after its last client ran, so peak
memory follows the live values, not the whole graph.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
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
        self.input_index = {v: i for i, v in enumerate(fgraph.inputs)}
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
        #: A Profile collecting per-step times, or None (see compile/profiling.py).
        self.profile = None
        self.n_slots = len(slot)
        self.constants = constants

    def run(self, values: list[Any]) -> list[Any]:
        storage: list[Any] = [None] * self.n_slots
        for i, v in self.constants:
            storage[i] = v
        for i, v in zip(self.input_slots, values):
            storage[i] = v
        profile = self.profile
        with np.errstate(all="ignore"):
            for k, (perform, node, ins, outs, frees) in enumerate(self.steps):
                if profile is not None:
                    start = perf_counter()
                try:
                    results = perform(node, [storage[i] for i in ins])
                except (ValueError, TypeError, IndexError) as err:
                    name_operands(err, node, [storage[i] for i in ins], self.input_index)
                    raise
                for i, r in zip(outs, results):
                    storage[i] = r
                for i in frees:
                    storage[i] = None
                if profile is not None:
                    profile.step_times[k] += perf_counter() - start
                    profile.step_calls[k] += 1
        return [storage[i] for i in self.output_slots]

    def step_labels(self) -> list[str]:
        """What each step computes, for profiles."""
        return [f"{node.op} -> {node.outputs[0].type}" for _, node, _, _, _ in self.steps]


def describe_operands(node: Any, values: list[Any], input_index: dict) -> str:
    """The operands of ``node`` for an error message: ``x (argument 0, shape (4,))``.

    ``input_index`` maps the function's inputs to their argument positions; a value
    of ``None`` is one that is not at hand (its shape is then left out).
    """
    parts = []
    for var, value in zip(node.inputs, values):
        details = []
        if getattr(var, "is_shared", False):
            who = f"shared variable {var.name}" if var.name else "a shared variable"
        elif var in input_index:
            who = var.name or f"argument {input_index[var]}"
            if var.name:
                details.append(f"argument {input_index[var]}")
        elif isinstance(var, Constant):
            who = "a constant"
        elif var.owner is not None:
            who = f"the result of {var.owner.op}"
        else:
            who = str(var)
        if value is not None:
            details.append(f"shape {np.shape(value)}")
        parts.append(f"{who} ({', '.join(details)})" if details else who)
    return " and ".join(parts) if len(parts) <= 2 else ", ".join(parts)


def name_operands(err: BaseException, node: Any, values: list[Any], input_index: dict) -> None:
    """Say in ``err`` which operation failed on which operands (arguments by name and
    position), in the message itself for a plain one-line NumPy error, else in a note."""
    what = f"{node.op} of {describe_operands(node, values, input_index)}"
    if type(err) in (ValueError, TypeError, IndexError) and len(err.args) == 1:
        err.args = (f"{what}: {err.args[0]}",)
    else:
        err.add_note(f"while computing {what}")
