"""``mode="dask"``: compiled graphs run block by block on Dask.

``ac.function(inputs, outputs, mode="dask")`` rewrites the graph as every mode does,
cuts it into block-wise regions and compiles one kernel per region
(:mod:`.regions`); each call builds a lazy dask graph from the arguments' chunks
(:mod:`.blocks`) and returns ``dask.array`` results.  Nothing is computed until the
caller asks (``.compute()``, ``dask.compute``, a ``distributed`` client...).

Kernels travel to workers as their graphs (see ``regions.Kernel``): a worker process
loads the built module from the compile cache it shares with the client (same
``AESARA_CAS_CACHE_DIR``), or builds it on first use.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

from aesara_cas.compile.function import Function
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.tensor.type import TensorType

__all__ = ["DaskFunction", "DaskProgram"]


class _ArgCheck:
    """Stands for an input's type in ``Function._bind``: checks a dask array (ndim,
    dtype, known chunks) without computing it; NumPy values go through the type's
    own ``filter`` and stay unchunked (:class:`.blocks.Flex`) until they meet chunks."""

    def __init__(self, type_: TensorType):
        self.type = type_

    def filter(self, value: Any, label: str) -> Any:
        import dask.array as da

        from aesara_cas.compile.dask.blocks import Flex

        t = self.type
        if not isinstance(value, da.Array):
            return Flex(t.filter(value, label))
        if value.ndim != t.ndim:
            raise ValueError(f"{label}: expected {t.ndim} dimension(s) ({t}), got a dask "
                             f"array with {value.ndim} dimension(s) of shape {value.shape}")
        if any(math.isnan(c) for dim in value.chunks for c in dim):
            raise ValueError(
                f"{label}: the dask array has unknown chunk sizes (nan), e.g. after boolean "
                "indexing; call .compute_chunk_sizes() on it first")
        for axis, (want, got) in enumerate(zip(t.shape, value.shape)):
            if want is not None and want != got:
                raise ValueError(f"{label}: expected shape {t} but dimension {axis} has "
                                 f"length {got}")
        if value.dtype.name != t.dtype:
            if value.dtype.kind not in "biuf" or not np.can_cast(value.dtype, t.dtype,
                                                                   casting="same_kind"):
                raise TypeError(f"{label}: cannot convert a dask array of {value.dtype} to "
                                f"{t.dtype} without losing information (NumPy 'same_kind' "
                                "casting); cast it explicitly")
            value = value.astype(t.dtype)
        return value


class DaskFunction(Function):
    """A function compiled with ``mode="dask"``: calls return lazy ``dask.array``
    results (``.compute()`` them); arguments may be dask or NumPy arrays."""

    def __call__(self, *args: Any, **kwargs: Any):
        from aesara_cas.compile.dask.blocks import Flex

        values = self._bind(args, kwargs)
        values.extend(Flex(np.asarray(s.container[0])) for s in self._shared)
        outs = self._program.run(values)
        return outs[0] if self._single else outs

    def __reduce__(self):
        from aesara_cas.compile.pickling import function_state, restore_function

        state = function_state(self)
        state[4]["mode"] = "dask"
        return restore_function, (state,)


class DaskProgram:
    """``link(fgraph, "dask")``: the partitioned graph and its compiled kernels."""

    function_class = DaskFunction

    def __init__(self, fgraph: FunctionGraph):
        try:
            import dask.array  # noqa: F401
        except ImportError as err:
            raise ImportError("mode='dask' needs dask: pip install 'aesara_cas[dask]'") \
                from err
        from aesara_cas.compile.dask.regions import has_shape_plumbing, partition

        self.fgraph = fgraph
        self.labels: dict = {}
        self._lock = threading.Lock()
        self._general = None
        self._fast = None
        if has_shape_plumbing(fgraph):
            self._fast = partition(fgraph, shape_free=True)
        else:
            self._general = partition(fgraph)

    def step_labels(self) -> list[str]:
        """Asked for by ``profile=True``, which this mode does not support: its calls
        only build graphs (time the work with dask's own diagnostics instead)."""
        raise ValueError("mode='dask' does not support profile=True: calls only build a "
                         "lazy graph; use dask.diagnostics.Profiler or the distributed "
                         "dashboard to time the computation")

    def _program_for(self, values: list) -> tuple:
        """The fast partition if no argument broadcasts where its type does not say
        so (see ``regions.no_runtime_broadcast``), else the general one (built on
        first need)."""
        from aesara_cas.compile.dask.regions import no_runtime_broadcast, partition

        if self._fast is not None and no_runtime_broadcast(
                self.fgraph, [np.shape(v) if not hasattr(v, "shape") else v.shape
                              for v in values]):
            return self._fast
        with self._lock:
            if self._general is None:
                self._general = partition(self.fgraph)
        return self._general

    def attach(self, fn: Function) -> None:
        if fn._updates:
            raise ValueError("mode='dask' does not support updates (results are lazy, so "
                             "there is no value to store when the function returns)")
        fn._types = [_ArgCheck(t) for t in fn._types]
        n = len(fn._labels)
        self.labels = dict(zip(self.fgraph.inputs, fn._labels))
        for var, s in zip(self.fgraph.inputs[n:], fn._shared):
            self.labels[var] = f"shared variable {s.name!r}" if s.name else "a shared variable"

    def run(self, values: list) -> list:
        """Lazy outputs for argument values (dask arrays or Flex) then shared values."""
        from aesara_cas.compile.dask.blocks import Builder, as_array

        steps, outputs = self._program_for(values)
        builder = Builder(dict(zip(self.fgraph.inputs, values)), self.labels)
        for step in steps:
            builder.run(step)
        return [as_array(builder.get(v)).astype(v.dtype) for v in outputs]
