"""``InterpProgram``: a kernel plan run on the kernel interpreter (the fast tier).

The plan's fused element-wise and reduction groups run on the interpreter module
(:mod:`.interp`); every other step (views, BLAS, indexing, ``perform`` nodes), and
a group the interpreter does not cover, runs its nodes' NumPy ``perform`` like the
NumPy VM.  Errors carry the note the native module adds ("while computing ...",
with the same step labels), so both tiers report bad input alike.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any

import numpy as np

from aesara_cas.compile.cython import interp
from aesara_cas.compile.cython.interp_encode import Encoded, encode
from aesara_cas.compile.cython.kernels import describe
from aesara_cas.compile.cython.lower import Plan
from aesara_cas.compile.vm import name_operands
from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.graph.fg import FunctionGraph

_ERRORS = (ValueError, TypeError, IndexError, ArithmeticError)


def _kernel_step(module: Any, enc: Encoded, slot_of: Callable) -> tuple:
    arrays = [slot_of(v) for v in enc.arrays]
    scalars = [slot_of(v) for v in enc.scalars]
    outs = [slot_of(v) for v in enc.outputs]
    prog, meta, cost = enc.prog, enc.meta, enc.cost
    if enc.kind == "ew":
        ew = module.ew

        def run(storage: list) -> None:
            results = ew(prog, meta, [storage[i] for i in arrays],
                         [storage[i] for i in scalars], cost)
            for i, r in zip(outs, results):
                storage[i] = r
    else:
        red, variant, out = module.red, enc.variant, outs[0]

        def run(storage: list) -> None:
            storage[out] = red(variant, prog, meta, [storage[i] for i in arrays],
                               [storage[i] for i in scalars], cost)
    return run, arrays + scalars


def _perform_step(nodes: list, slot_of: Callable, input_index: dict) -> tuple:
    """The nodes' ``perform`` one after the other (a step the interpreter lacks)."""
    wired = [(node.op.perform, node, [slot_of(v) for v in node.inputs],
              [slot_of(v) for v in node.outputs]) for node in nodes]

    def run(storage: list) -> None:
        for perform, node, ins, outs in wired:
            try:
                results = perform(node, [storage[i] for i in ins])
            except (ValueError, TypeError, IndexError) as err:
                if len(wired) == 1:  # a node of the graph (not inside a fused loop)
                    name_operands(err, node, [storage[i] for i in ins], input_index)
                raise
            for i, r in zip(outs, results):
                storage[i] = r
    return run, [i for _, _, ins, _ in wired for i in ins]


class InterpProgram:
    """``run(values) -> outputs`` for a plan, without a graph-specific build.

    ``values`` are the input values followed by the shared variables' values; the
    result is the outputs followed by the update values (as for the other programs).
    """

    def __init__(self, fgraph: FunctionGraph, plan: Plan):
        module = interp.load()
        slot: dict[Variable, int] = {}

        def slot_of(var: Variable) -> int:
            if var not in slot:
                slot[var] = len(slot)
            return slot[var]

        self.input_slots = [slot_of(v) for v in fgraph.inputs]
        input_index = {v: i for i, v in enumerate(fgraph.inputs)}
        self.steps: list[tuple[Callable, list[int]]] = []
        self.labels: list[str] = []
        #: Steps run on the interpreter (the others run ``perform``).
        self.n_kernels = 0
        for step in plan.steps:
            enc = encode(step) if step.kind in ("ew", "reduce") else None
            if enc is not None:
                self.steps.append(_kernel_step(module, enc, slot_of))
                self.n_kernels += 1
            elif step.group is not None:
                nodes = list(step.group.members)
                if step.kind == "reduce":
                    nodes.append(step.node)
                self.steps.append(_perform_step(nodes, slot_of, input_index))
            else:
                self.steps.append(_perform_step([step.node], slot_of, input_index))
            self.labels.append(describe(step.node))
        self.output_slots = [slot_of(v) for v in fgraph.outputs]
        self.constants = [(i, v.data) for v, i in slot.items() if isinstance(v, Constant)]
        # Free each intermediate after the last step reading it (peak memory).
        last: dict[int, int] = {}
        for k, (_, reads) in enumerate(self.steps):
            for i in reads:
                last[i] = k
        keep = set(self.output_slots) | set(self.input_slots) | {i for i, _ in self.constants}
        self.frees: list[list[int]] = [[] for _ in self.steps]
        for i, k in last.items():
            if i not in keep:
                self.frees[k].append(i)
        self.n_slots = len(slot)
        #: A Profile collecting per-step times, or None (see compile/profiling.py).
        self.profile = None

    def step_labels(self) -> list[str]:
        """What each step computes (the native module's labels)."""
        return list(self.labels)

    def run(self, values: list[Any]) -> list[Any]:
        storage: list[Any] = [None] * self.n_slots
        for i, v in self.constants:
            storage[i] = v
        for i, v in zip(self.input_slots, values):
            storage[i] = v
        profile = self.profile
        with np.errstate(all="ignore"):
            for k, (run, _) in enumerate(self.steps):
                if profile is not None:
                    start = perf_counter()
                try:
                    run(storage)
                except _ERRORS as err:
                    err.add_note(f"while computing {self.labels[k]}")
                    raise
                for i in self.frees[k]:
                    storage[i] = None
                if profile is not None:
                    profile.step_times[k] += perf_counter() - start
                    profile.step_calls[k] += 1
        return [storage[i] for i in self.output_slots]
