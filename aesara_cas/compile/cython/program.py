"""``CythonProgram``: what ``link(fgraph, "cython")`` returns."""

from __future__ import annotations

import weakref
from types import ModuleType
from typing import Any

from aesara_cas.compile.cython import cache
from aesara_cas.compile.cython.lower import lower
from aesara_cas.compile.cython.module import generate
from aesara_cas.compile.cython.wrapper import (
    P_LABELS,
    P_NAME_ERROR,
    P_NAMES,
    P_SHARED,
    P_SINGLE,
    P_TYPES,
    P_UPDATES,
)
from aesara_cas.compile.vm import name_operands
from aesara_cas.graph.fg import FunctionGraph

_function_classes: dict[str, type] = {}


def function_class(module: ModuleType) -> type:
    """A ``Function`` subclass whose ``__call__`` is the module's compiled ``call``
    (one per module, so calling costs no extra Python frame)."""
    cls = _function_classes.get(module.__name__)
    if cls is None:
        from aesara_cas.compile.function import Function

        cls = type("Function", (Function,), {
            "__call__": module.make_method(),
            "__module__": Function.__module__,
            "__doc__": Function.__doc__,
        })
        _function_classes[module.__name__] = cls
    return cls


class CythonProgram:
    """A graph compiled to one native module.

    ``run(values)`` takes the input values followed by the shared variables'
    values and returns the outputs followed by the update values.
    """

    def __init__(self, fgraph: FunctionGraph):
        plan = lower(fgraph)
        source = generate(plan)
        self._setup(plan, source, cache.load_module(source.text))

    def _setup(self, plan: Any, source: Any, module: ModuleType) -> None:
        self.module = module
        self.source = source.text
        # The per-function state the module reads (see wrapper.P_*).
        self.state = [source.step_labels, [], [], [], [], False, source.consts,
                      source.perform_nodes, None]
        self.function_class = function_class(module)
        # What an error message needs to name a failing step's operands.
        self._step_nodes = [(step.node if step.group is None else None) for step in plan.steps]
        self._array_slots = {var: where[1] for var, where in plan.storage.items()
                             if where[0] == "array"}
        self._inputs = list(plan.fgraph.inputs)  # the arguments, then shared variables

    def attach(self, fn: Any) -> None:
        """Bind the Function object: its compiled ``__call__`` reads ``fn._ac_state``."""
        state = self.state
        state[P_TYPES] = list(fn._types)
        state[P_NAMES] = list(fn._labels)
        state[P_SHARED] = [s.container for s in fn._shared]
        state[P_UPDATES] = [t.container for t, _ in fn._updates]
        state[P_SINGLE] = bool(fn._single)
        fn_ref = weakref.ref(fn)  # the state must not keep its function alive
        state[P_NAME_ERROR] = lambda err, step, S, args, kwargs: self._name_error(
            err, step, S, fn_ref(), args, kwargs)
        fn._ac_state = state
        fn._cython_program = self

    def _name_error(self, err: BaseException, step: int, S: list, fn: Any,
                    args: tuple, kwargs: dict) -> None:
        """Name the failing step's operands in ``err`` (as the NumPy mode does): called
        by the module's ``call`` with its slots ``S`` and the call's arguments."""
        if not 0 <= step < len(self._step_nodes):
            return
        node = self._step_nodes[step]
        if node is None or fn is None:  # a fused loop notes its label itself
            return
        n_args = len(fn.inputs)
        values = fn._bind(args, kwargs) + [s.container[0] for s in fn._shared]
        bound = dict(zip(self._inputs, values))
        operands = [bound[v] if v in bound else
                    S[self._array_slots[v]] if v in self._array_slots else None
                    for v in node.inputs]
        name_operands(err, node, operands, {v: i for i, v in enumerate(self._inputs[:n_args])})

    def step_labels(self) -> list[str]:
        """What each step of the module computes (for profiles and error notes)."""
        return list(self.state[P_LABELS])

    def run(self, values: list) -> list:
        try:
            return self.module.run(self.state, list(values))
        except (ValueError, TypeError, IndexError, ArithmeticError) as err:
            step = self.module.last_step()
            if 0 <= step < len(self.state[P_LABELS]):
                err.add_note(f"while computing {self.state[P_LABELS][step]}")
            raise
