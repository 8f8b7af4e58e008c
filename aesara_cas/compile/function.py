"""``ac.function``: turn a graph into a callable that checks its arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aesara_cas.compile.mode import link, rewrite
from aesara_cas.compile.shared import SharedVariable
from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.gc_pause import paused_gc
from aesara_cas.graph.traversal import ancestors, clone_replace, graph_inputs
from aesara_cas.tensor.elemwise import cast
from aesara_cas.tensor.inplace import insert_inplace
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import TensorVariable, as_tensor_variable

MODES = ("numpy", "cython", "tiered", "dask")


def _check_inputs(inputs: Any) -> list[Variable]:
    if isinstance(inputs, Variable) or not isinstance(inputs, Sequence):
        raise TypeError("function() inputs must be a list of symbolic variables")
    inputs = list(inputs)
    for i, var in enumerate(inputs):
        if not isinstance(var, TensorVariable):
            raise TypeError(f"function() input {i} must be a symbolic variable, got {var!r}")
        if isinstance(var, Constant):
            raise TypeError(
                f"function() input {i} is a constant ({var!r}); inputs must be variables"
            )
        if isinstance(var, SharedVariable):
            raise TypeError(
                f"function() input {i} is the shared variable {var!r}; shared variables are "
                "implicit inputs and must not be listed"
            )
        if var.owner is not None:
            raise TypeError(
                f"function() input {i} ({var!r}) is computed from other variables; inputs "
                "must be graph inputs (use `givens` to substitute an expression)"
            )
    if len({id(v) for v in inputs}) != len(inputs):
        raise ValueError("function() inputs contain the same variable twice")
    return inputs


def _check_updates(updates: Any) -> list[tuple[SharedVariable, Variable]]:
    if updates is None:
        return []
    items = list(updates.items()) if isinstance(updates, Mapping) else list(updates)
    out = []
    for target, expr in items:
        if not isinstance(target, SharedVariable):
            raise TypeError(f"updates: {target!r} is not a shared variable")
        if not isinstance(target.type, TensorType):  # e.g. a random generator's state
            if not isinstance(expr, Variable) or expr.type != target.type:
                raise TypeError(f"updates: the new value of {target!r} must be a variable "
                                f"of type {target.type}, got {expr!r}")
            out.append((target, expr))
            continue
        expr = as_tensor_variable(expr)
        if expr.ndim != target.ndim:
            raise ValueError(
                f"updates: the new value of {target!r} has {expr.ndim} dimension(s), "
                f"expected {target.ndim}"
            )
        if expr.dtype != target.dtype:
            if not np.can_cast(expr.dtype, target.dtype, casting="same_kind"):
                raise TypeError(
                    f"updates: the new value of {target!r} is {expr.dtype}, which cannot be "
                    f"stored in {target.dtype} without losing information"
                )
            expr = cast(expr, target.dtype)
        out.append((target, expr))
    if len({id(t) for t, _ in out}) != len(out):
        raise ValueError("updates: a shared variable is updated twice")
    return out


class Function:
    """A compiled graph.  Call it with values for its inputs, by position or by name.

    Attributes
    ----------
    fgraph
        The rewritten graph it runs: ``fgraph.toposort()`` lists its nodes.
    """

    def __init__(self, inputs, outputs, single, updates, fgraph, program, shared_inputs, name):
        self.inputs = inputs
        self.outputs = outputs
        self._single = single
        self._updates = updates
        self.fgraph = fgraph
        self._program = program
        self._shared = shared_inputs
        self.name = name
        self._n_out = len(outputs)
        self._types = [v.type for v in inputs]
        self._labels = [
            f"argument {i} ({v.name!r})" if v.name else f"argument {i}"
            for i, v in enumerate(inputs)
        ]
        self._positions = {}
        self._ambiguous: dict[str, list[int]] = {}
        for i, v in enumerate(inputs):
            if not v.name:
                continue
            if v.name in self._positions:
                self._ambiguous.setdefault(v.name, [self._positions[v.name]]).append(i)
            else:
                self._positions[v.name] = i

    #: Call and step times when compiled with ``profile=True`` (else None).
    profile = None

    def __reduce__(self):
        from aesara_cas.compile.pickling import function_state, restore_function

        return restore_function, (function_state(self),)

    def __repr__(self) -> str:
        names = ", ".join(v.name or f"arg{i}" for i, v in enumerate(self.inputs))
        return f"<aesara_cas.Function {self.name or ''}({names})>"

    def _bind(self, args: tuple, kwargs: dict) -> list[Any]:
        n = len(self.inputs)
        if len(args) > n:
            raise TypeError(
                f"{self!r} takes {n} argument(s) but {len(args)} were given"
            )
        values = list(args) + [_MISSING] * (n - len(args))
        for key, value in kwargs.items():
            if key in self._ambiguous:
                where = ", ".join(map(str, self._ambiguous[key]))
                raise TypeError(
                    f"{self!r}: keyword argument {key!r} is ambiguous: inputs {where} are "
                    f"all named {key!r}; pass them by position"
                )
            pos = self._positions.get(key)
            if pos is None:
                raise TypeError(f"{self!r} got an unexpected keyword argument {key!r}")
            if values[pos] is not _MISSING:
                raise TypeError(f"{self!r} got multiple values for argument {key!r}")
            values[pos] = value
        missing = [self._labels[i] for i, v in enumerate(values) if v is _MISSING]
        if missing:
            raise TypeError(f"{self!r} is missing {', '.join(missing)}")
        return [t.filter(v, label) for t, v, label in zip(self._types, values, self._labels)]

    def __call__(self, *args: Any, **kwargs: Any):
        values = self._bind(args, kwargs)
        values.extend(s.container[0] for s in self._shared)
        results = self._program.run(values)
        # Every returned array and every stored update must be a distinct buffer that
        # nobody else holds: not the caller's argument, not a shared variable's value,
        # not another output (an output may be an input, or appear twice).
        taken = {id(v) for v in values}
        owned = []
        for value in results:
            if id(value) in taken:
                value = np.array(value, copy=True)
            else:
                value = _owned(value)
            taken.add(id(value))
            owned.append(value)
        outs = owned[: self._n_out]
        for (target, _), value in zip(self._updates, owned[self._n_out:]):
            target.container[0] = value
        return outs[0] if self._single else outs


class _Missing:
    def __repr__(self):
        return "<missing>"


_MISSING = _Missing()


def _owned(value: Any) -> np.ndarray:
    """A fresh array the caller may keep and mutate: never a view of an input or constant."""
    if isinstance(value, np.ndarray) and value.flags.owndata and value.flags.writeable:
        return value
    return np.array(value, copy=True)


def function(
    inputs: Sequence[Variable],
    outputs: Variable | Sequence[Variable],
    mode: str | None = None,
    updates: Mapping | Sequence | None = None,
    givens: Mapping | None = None,
    name: str | None = None,
    rules: Any = None,
    profile: bool = False,
    accuracy: bool | Mapping = False,
) -> Function:
    """Compile ``outputs`` as a function of ``inputs``.

    Parameters
    ----------
    inputs
        The variables the caller gives values for, in order (also accepted by name).
    outputs
        One variable (the call returns one array) or a list (the call returns a list).
    mode
        ``"numpy"`` interprets the rewritten graph with NumPy; ``"cython"`` compiles
        it to a native module before returning; ``None`` (the default) returns at once
        with a function on the kernel interpreter and builds the native module in the
        background (see :mod:`aesara_cas.compile.tiered`; ``AESARA_CAS_SYNC_BUILD=1``
        makes it build synchronously like ``"cython"``; ``"tiered"`` always uses tiers).
        ``"dask"`` takes dask (or NumPy) arrays and returns lazy ``dask.array`` results
        computed chunk by chunk with compiled kernels (see :mod:`aesara_cas.compile.dask`).
    updates
        ``{shared_variable: new_value_expression}``, written after each call.
    givens
        ``{variable: replacement}`` substituted into the graph before compiling.
    name
        A label for error messages and printing.
    rules
        User rewrite rules (``ac.rule(...)`` or relations), run with the standard
        sets on the compiled graph; what they produce is not undone by the standard
        sets (see ``docs/rules.md``).
    profile
        ``True`` times every call and every step of the program in ``f.profile``
        (``print(f.profile)`` shows a table; see :class:`~aesara_cas.compile.profiling.Profile`).
    accuracy
        ``True`` (or a dict of options: ``domain``, ``limit``) compiles the most
        accurate form the accuracy search finds for each output (see
        ``ac.simplify(..., accuracy=True)`` and ``docs/accuracy.md``).

    Notes
    -----
    Inputs with the same name are passed by position; a keyword naming several inputs
    raises ``TypeError`` when the function is called.  A function with ``updates`` holds
    the locks of the shared variables it reads or writes for its whole call, so calls
    from several threads update atomically (see "Threads" in the guide).
    """
    if mode is not None and mode not in MODES:
        raise ValueError(f"mode must be one of {MODES} or None, got {mode!r}")
    inputs = _check_inputs(inputs)
    single = not isinstance(outputs, (list, tuple))
    outs = [as_tensor_variable(o) for o in ([outputs] if single else outputs)]
    if accuracy:  # opt-in, bounded in time: the default path stays as fast as before
        from aesara_cas.accuracy.search import simplify_accurate

        outs = simplify_accurate(outs, **(accuracy if isinstance(accuracy, Mapping) else {}))
    upd = _check_updates(updates)
    walked: list[list[Variable]] = []
    found = _default_updates(inputs, outs + [e for _, e in upd], upd, walked)
    upd += found
    all_outs = outs + [e for _, e in upd]
    if givens:
        if not isinstance(givens, Mapping):
            givens = dict(givens)
        replace = {}
        for old, new in givens.items():
            if not isinstance(old, Variable):
                raise TypeError(f"givens: keys must be variables, got {old!r}")
            new = as_tensor_variable(new)
            if new.ndim != old.ndim:
                raise ValueError(f"givens: {old!r} and its replacement differ in dimensions")
            if new.dtype != old.dtype:
                new = cast(new, old.dtype)
            replace[old] = new
        all_outs = clone_replace(all_outs, replace)
    # The walk for default updates saw every variable of the graph, unless the graph
    # changed since (givens, updates found): one walk of a big graph less.
    seen = walked[0] if not givens and not found else graph_inputs(all_outs)
    shared_inputs = [v for v in seen if isinstance(v, SharedVariable) and v.owner is None]
    shared_inputs.sort(key=lambda v: v.id)
    # Cloning, rewriting and lowering a big graph allocate several objects per node:
    # the cyclic collector's repeated full scans would cost seconds (see gc_pause).
    with paused_gc():
        fgraph = FunctionGraph(inputs + shared_inputs, all_outs, clone=True)
        if rules is None:
            rewrite(fgraph)
        else:
            from aesara_cas.rewriting import rewrite_graph

            rewrite_graph(fgraph, rules=rules)
        # Ops with a faster form for this mode (native loops).
        for node in fgraph.apply_nodes:
            for_mode = getattr(node.op, "for_mode", None)
            if for_mode is not None:
                node.op = for_mode(mode)
        insert_inplace(fgraph)  # scatters into intermediates nothing else reads: no copy
        return assemble(inputs, outs, single, upd, fgraph, shared_inputs, name, mode, profile)


def assemble(inputs: list[Variable], outs: list[Variable], single: bool, upd: list,
             fgraph: FunctionGraph, shared_inputs: list, name: str | None,
             mode: str | None, profile: bool = False) -> Function:
    """The callable for a rewritten graph: link it for ``mode`` and wrap it."""
    from aesara_cas.compile import tiered

    if tiered.use_tiers(mode, profile):  # default mode: answer now, native build queued
        return tiered.assemble(inputs, outs, single, upd, fgraph, shared_inputs, name, mode)
    program = link(fgraph, mode)
    # A compiled program brings its own Function subclass whose __call__ is native
    # code (it checks the arguments itself, with the same messages as _bind).
    cls = getattr(program, "function_class", Function)
    fn = cls(inputs, outs, single, upd, fgraph, program, shared_inputs, name)
    attach = getattr(program, "attach", None)
    if attach is not None:
        attach(fn)
    if profile:
        from aesara_cas.compile.profiling import attach_profile

        attach_profile(fn, program)
        cls = type(fn)
    if upd:
        # Read, compute and write back as one step with respect to other threads.
        touched = {id(v): v for v in shared_inputs}
        touched.update((id(t), t) for t, _ in upd)
        fn._locks = tuple(v.lock for v in sorted(touched.values(), key=lambda v: v.id))
        fn.__class__ = _locking_class(cls)
    return fn


def _default_updates(inputs: list[Variable], exprs: list[Variable],
                     given: list[tuple[SharedVariable, Variable]],
                     walked: list | None = None) -> list:
    """Updates the caller did not give, for shared variables the graph reads that have
    one by default (a random generator advances to the state its draw leaves): ops may
    declare them (``op.default_updates(node)``, e.g. a loop's final generator state),
    else the variable's ``default_update`` if the function can compute it.  The
    variables of the first walk (those of ``exprs``) are appended to ``walked``."""
    taken = {id(t) for t, _ in given}
    known = {id(v) for v in inputs}
    extra: list = []
    while True:
        declared, defaults, asked = [], [], set()
        every = ancestors(exprs + [e for _, e in extra])
        if walked is not None and not walked:
            walked.append(every)
        for var in every:
            owner = var.owner
            if owner is None:
                if getattr(var, "default_update", None) is not None:
                    defaults.append(var)
            elif hasattr(owner.op, "default_updates") and id(owner) not in asked:
                asked.add(id(owner))
                declared.extend(owner.op.default_updates(owner))
        found = []
        for target, expr in declared:
            if id(target) not in taken:
                taken.add(id(target))
                found.append((target, expr))
        for var in defaults:
            if id(var) in taken:
                continue
            expr = var.default_update
            free = [v for v in graph_inputs([expr]) if not isinstance(v, Constant)
                    and not isinstance(v, SharedVariable) and id(v) not in known]
            if not free:
                taken.add(id(var))
                found.append((var, expr))
        if not found:
            return extra
        extra += found


_LOCKING: dict[type, type] = {}


def _locking_class(base: type) -> type:
    """``base`` with a ``__call__`` that holds ``self._locks`` (in order) around the call."""
    cls = _LOCKING.get(base)
    if cls is None:
        inner = base.__call__

        def __call__(self, *args: Any, **kwargs: Any):
            locks = self._locks
            for lock in locks:
                lock.acquire()
            try:
                return inner(self, *args, **kwargs)
            finally:
                for lock in reversed(locks):
                    lock.release()

        cls = _LOCKING[base] = type("Function", (base,), {
            "__call__": __call__, "__module__": base.__module__, "__doc__": base.__doc__,
        })
    return cls


def evaluate(var: Variable, inputs: Mapping) -> np.ndarray:
    """Value of ``var`` given ``{input_variable: value}`` (the ``.eval()`` method)."""
    if not isinstance(inputs, Mapping):
        raise TypeError("eval() takes a dict {variable: value}")
    needed = [
        v for v in graph_inputs([var])
        if not isinstance(v, (Constant, SharedVariable))
    ]
    keys = list(inputs.keys())
    for k in keys:
        if not isinstance(k, Variable):
            raise TypeError(f"eval(): keys must be symbolic variables, got {k!r}")
    missing = [v for v in needed if v not in inputs]
    if missing:
        raise ValueError(f"eval(): no value given for {', '.join(map(repr, missing))}")
    cache = var.tag.setdefault("_eval_cache", {})
    key = tuple(k.id for k in keys)
    fn = cache.get(key)
    if fn is None:
        fn = function(keys, var, mode="numpy")
        cache[key] = fn
    return fn(*[inputs[k] for k in keys])
