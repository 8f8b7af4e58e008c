"""The ``Scan`` op: a loop whose body is an inner graph.

Inner graph inputs, in order::

    sequence slices | recurrent states (previous step) | carried states | non-sequences

Inner graph outputs::

    recurrent states (next step) | per-step outputs | carried states (next step)

Node inputs are ``[n_steps, *sequences, *initial_states, *initial_carried,
*non_sequences]`` and node outputs ``[*states (n_steps, ...), *per_step (n_steps, ...),
*final_carried]``.  *Recurrent* states (``outputs_info`` entries) are stacked over
the steps; *carried* states (shared variables the step updates, random generators)
keep only their last value.

``perform`` runs the inner graph once per step (see :mod:`aesara_cas.scan.inner`);
in the compiled mode a scalar step becomes one native loop
(:mod:`aesara_cas.scan.c_loop`) and any other step is compiled once.
The gradient is another scan running backwards over the steps
(:mod:`aesara_cas.scan.grad`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Op, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.scan.inner import InnerProgram, structural_key
from aesara_cas.tensor.type import TensorType

__all__ = ["Scan"]


class Scan(Op):
    """A loop of ``n_steps`` applications of an inner graph.

    Parameters
    ----------
    fgraph
        The step: inputs and outputs laid out as described in the module docstring.
    n_seqs, n_sitsot, n_nitsot, n_last, n_nonseqs
        How many sequences, recurrent states, per-step outputs, carried states and
        non-sequences there are.
    name
        A label for printing.
    """

    __props__ = ("key",)

    def __init__(self, fgraph: FunctionGraph, n_seqs: int, n_sitsot: int, n_nitsot: int,
                 n_last: int, n_nonseqs: int, name: str | None = None):
        n_in = n_seqs + n_sitsot + n_last + n_nonseqs
        n_out = n_sitsot + n_nitsot + n_last
        if len(fgraph.inputs) != n_in or len(fgraph.outputs) != n_out:
            raise ValueError("Scan: the inner graph does not match the declared layout")
        self.fgraph = fgraph
        self.n_seqs, self.n_sitsot, self.n_nitsot = n_seqs, n_sitsot, n_nitsot
        self.n_last, self.n_nonseqs = n_last, n_nonseqs
        self.name = name
        self.key = (structural_key(fgraph), n_seqs, n_sitsot, n_nitsot, n_last, n_nonseqs)
        self.inner = InnerProgram(fgraph)
        self.native: Any = None  # a compiled loop (set by ``for_mode``)
        outs = fgraph.outputs
        types = []
        for j in range(n_sitsot):
            init_t = fgraph.inputs[n_seqs + j].type
            types.append(TensorType(init_t.dtype, (None,) + _merge(init_t.shape,
                                                                   outs[j].type.shape)))
        for m in range(n_nitsot):
            t = outs[n_sitsot + m].type
            types.append(TensorType(t.dtype, (None,) + t.shape))
        for c in range(n_last):
            types.append(fgraph.inputs[n_seqs + n_sitsot + c].type)
        self.out_types = tuple(types)
        self._freeze()

    def __str__(self) -> str:
        label = f" {self.name}" if self.name else ""
        return (f"scan{label}[{self.n_seqs} seq, {self.n_sitsot} rec, {self.n_nitsot} out, "
                f"{self.n_last} carried]")

    def make_node(self, n_steps: Variable, *inputs: Variable) -> Apply:
        n_in = self.n_seqs + self.n_sitsot + self.n_last + self.n_nonseqs
        if len(inputs) != n_in:
            raise TypeError(f"{self} takes {n_in + 1} inputs, got {len(inputs) + 1}")
        return Apply(self, [n_steps, *inputs], self.out_types)

    # Running ------------------------------------------------------------------------
    def perform(self, node: Apply, inputs: list[Any]) -> list[Any]:
        n = int(inputs[0])
        if n < 0:
            raise ValueError(f"scan: n_steps must be non-negative, got {n}")
        ns, nst, nl = self.n_seqs, self.n_sitsot, self.n_last
        seqs = inputs[1:1 + ns]
        for i, s in enumerate(seqs):
            if len(s) != n:
                raise ValueError(
                    f"scan: sequence {i} has {len(s)} entries but the loop runs {n} step(s)"
                )
        states = [np.asarray(x) for x in inputs[1 + ns:1 + ns + nst]]
        carried = list(inputs[1 + ns + nst:1 + ns + nst + nl])
        nonseqs = list(inputs[1 + ns + nst + nl:])
        if self.native is not None:
            results = self.native.run(n, seqs, states, carried, nonseqs)
            if results is not None:
                return results
        return self._loop(n, seqs, states, carried, nonseqs)

    def _loop(self, n: int, seqs: list, states: list, carried: list, nonseqs: list) -> list:
        nst, nnt = self.n_sitsot, self.n_nitsot
        types = self.out_types
        bufs: list[Any] = [None] * (nst + nnt)
        for j, x in enumerate(states):
            bufs[j] = np.empty((n,) + x.shape, dtype=types[j].dtype)
        with np.errstate(all="ignore"):
            return self._steps(n, seqs, states, carried, nonseqs, bufs)

    def _steps(self, n: int, seqs: list, states: list, carried: list, nonseqs: list,
               bufs: list) -> list:
        nst, nnt = self.n_sitsot, self.n_nitsot
        types = self.out_types
        run = self.inner.runner()
        nl = self.n_last
        prev = states
        shapes = [None if b is None else b.shape[1:] for b in bufs]
        for t in range(n):
            results = run([s[t] for s in seqs] + prev + carried + nonseqs)
            for k in range(nst + nnt):
                r = results[k]
                buf = bufs[k]
                if buf is None:
                    r = np.asarray(r)
                    buf = bufs[k] = np.empty((n,) + r.shape, dtype=types[k].dtype)
                    shapes[k] = r.shape
                if np.shape(r) != shapes[k]:
                    raise ValueError(self._shape_error(k, np.shape(r), shapes[k]))
                buf[t] = r
            prev = [bufs[j][t] for j in range(nst)]
            if nl:
                carried = list(results[nst + nnt:])
        for m in range(nnt):
            if bufs[nst + m] is None:  # no steps: the static shape, unknown lengths 0
                t = types[nst + m]
                bufs[nst + m] = np.empty(tuple(s or 0 for s in t.shape), dtype=t.dtype)
        finals = []
        for c, v in enumerate(carried):
            t = types[nst + nnt + c]
            if isinstance(t, TensorType):
                v = np.asarray(v, dtype=t.dtype)
            finals.append(v)
        return bufs + finals

    def _shape_error(self, k: int, got: tuple, want: tuple) -> str:
        if k < self.n_sitsot:
            return (f"scan: output {k} of the step function has shape {got}, but its "
                    f"initial value (outputs_info[{k}]) has shape {want}")
        return (f"scan: output {k} of the step function changed shape between steps "
                f"({want} then {got})")

    # Compiled mode ------------------------------------------------------------------
    def for_mode(self, mode: str | None) -> Scan:
        """The op to run in ``mode``: in the compiled mode, a scan whose step the
        backend can lower runs as one native loop (no Python per step); another step
        is compiled once and called once per step, unless it carries shared or
        generator states (those keep the NumPy VM)."""
        if mode == "numpy":
            return self
        from aesara_cas.scan.c_loop import native_loop

        loop = native_loop(self)
        if loop is None and self.n_last:
            return self
        op = Scan(self.fgraph, self.n_seqs, self.n_sitsot, self.n_nitsot, self.n_last,
                  self.n_nonseqs, self.name)
        if loop is not None:
            object.__setattr__(op, "native", loop)
        else:  # compiled now, with the function, not at the first call
            inner = InnerProgram(self.fgraph, "cython")
            inner.program()
            object.__setattr__(op, "inner", inner)
        return op

    # Gradients ----------------------------------------------------------------------
    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        n_out = len(node.outputs)
        return [[False] * n_out] + [[True] * n_out for _ in node.inputs[1:]]

    def L_op(self, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
        """Reverse mode: a scan over the reversed steps (see ``scan.grad``)."""
        from aesara_cas.scan.grad import scan_L_op

        return scan_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node: Apply, inputs: list, eval_points: list) -> list:
        """Forward mode: one scan carrying the tangents (see ``scan.grad``)."""
        from aesara_cas.scan.grad import scan_R_op

        return scan_R_op(self, node, inputs, eval_points)

    def default_updates(self, node: Apply) -> list[tuple[Variable, Variable]]:
        """``(shared variable, final value)`` for carried states that are shared
        variables with a default update (random generators): ``function`` applies
        them unless the caller gives an update of its own."""
        start = 1 + self.n_seqs + self.n_sitsot
        first_out = self.n_sitsot + self.n_nitsot
        out = []
        for c in range(self.n_last):
            var = node.inputs[start + c]
            if getattr(var, "default_update", None) is not None:
                out.append((var, node.outputs[first_out + c]))
        return out


def _merge(a: tuple, b: tuple) -> tuple:
    if len(a) != len(b):
        return a
    return tuple(x if x is not None else y for x, y in zip(a, b))
