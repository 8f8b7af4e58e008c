"""Shared helpers of the e-graph tests: evaluating graphs exactly as built."""

from __future__ import annotations

import numpy as np

from aesara_cas.compile.vm import NumPyProgram
from aesara_cas.graph.basic import Constant
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.traversal import graph_inputs


def evaluate(expr, values: dict) -> np.ndarray:
    """``expr`` evaluated as built (no rewriting) at ``{input variable: value}``."""
    inputs = [v for v in graph_inputs([expr]) if not isinstance(v, Constant)]
    program = NumPyProgram(FunctionGraph(inputs, [expr], clone=True))
    with np.errstate(all="ignore"):
        return np.asarray(program.run([np.asarray(values[i], dtype=i.dtype) for i in inputs])[0])


def assert_same_values(before, after, inputs, rng, low=-3.0, high=3.0, n=6, rtol=1e-9,
                       atol=1e-12) -> None:
    """``before`` and ``after`` agree at random points where ``before`` is finite."""
    for _ in range(n):
        values = {}
        for v in inputs:
            shape = tuple(3 if s is None else s for s in v.type.shape)
            values[v] = rng.uniform(low, high, size=shape).astype(v.dtype)
        b = evaluate(before, values)
        a = evaluate(after, values)
        ok = np.isfinite(b)
        np.testing.assert_allclose(np.broadcast_to(a, b.shape)[ok], b[ok], rtol=rtol,
                                   atol=atol)
