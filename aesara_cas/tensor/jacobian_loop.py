"""Jacobians row by row: unrolled into the graph, or computed by a loop op.

A Jacobian has one row per element of the expression: the vector-Jacobian
product with a one-hot cotangent.  When the expression's size is known and
small, :func:`unrolled_jacobian` substitutes each one-hot constant into the
symbolic product, giving an ordinary graph that rewrites and compiles like any
other.  Otherwise :class:`JacobianLoop` evaluates the product once per row at
run time (like Aesara's ``scan``-based Jacobian).  Only the part of the product
that depends on the cotangent runs inside the loop; everything else (the
forward values it needs) is computed once, outside, and passed in.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Constant, Op, Variable
from aesara_cas.graph.traversal import clone_replace, toposort
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import constant

_uids = itertools.count()


def _result_shape(cot: Variable, w: Variable) -> list:
    """``cot``'s static shape followed by ``w``'s run-time shape, as a shape list."""
    from aesara_cas.tensor.shape import shape

    entries: list[Any] = list(cot.type.shape)
    if w.ndim:
        sym = shape(w)
        entries += [n if n is not None else sym[k] for k, n in enumerate(w.type.shape)]
    return entries


def unrolled_jacobian(rows: list[Variable], cot: Variable, wrt: list[Variable]) -> list[Variable]:
    """Jacobians from the symbolic products ``rows`` (one per ``wrt``) with cotangent ``cot``.

    ``cot`` must have a fully static shape with at least one element.
    """
    from aesara_cas.tensor.shape import reshape, stack

    shape = cot.type.shape
    size = math.prod(shape)
    per_row = []
    for k in range(size):
        onehot = np.zeros(size, dtype=cot.dtype)
        onehot[k] = 1
        per_row.append(clone_replace(rows, {cot: constant(onehot.reshape(shape))}))
    jacs = []
    for j, w in enumerate(wrt):
        stacked = stack([r[j] for r in per_row])
        if len(shape) != 1:
            stacked = reshape(stacked, _result_shape(cot, w))
        jacs.append(stacked)
    return jacs


class JacobianLoop(Op):
    """Jacobians computed row by row at run time.

    Inputs: the expression (its value gives the number of rows), then the
    "frontier" variables the cotangent-dependent part of the product reads.
    Outputs: one Jacobian per ``wrt`` variable, shaped ``expression.shape + wrt.shape``.
    """

    __props__ = ("uid",)
    print_name = "jacobian"

    def __init__(self, cot: Variable, holders: list[Variable], inner: list[Variable],
                 out_types: list[TensorType]):
        self.uid = next(_uids)
        self.cot = cot
        self.holders = holders
        self.inner = inner
        self.out_types = out_types
        self._cache: dict[str, Any] = {}
        self._freeze()

    def __str__(self) -> str:
        return self.print_name

    @classmethod
    def build(cls, expression: Variable, cot: Variable, rows: Sequence[Variable],
              wrt: Sequence[Variable]) -> list[Variable]:
        """The Jacobian variables of ``expression`` from its products ``rows`` with ``cot``."""
        depends = {id(cot)}
        frontier: dict[int, Variable] = {}
        for node in toposort(rows):
            if any(id(i) in depends for i in node.inputs):
                depends.update(id(o) for o in node.outputs)
                for i in node.inputs:
                    if id(i) not in depends and not isinstance(i, Constant):
                        frontier.setdefault(id(i), i)
        for r in rows:
            if id(r) not in depends and not isinstance(r, Constant):
                frontier.setdefault(id(r), r)
        outer = list(frontier.values())
        holders = {v: v.type.make_variable(name=v.name) for v in outer}
        inner = clone_replace(list(rows), holders)
        types = [
            TensorType(w.dtype, expression.type.shape + w.type.shape) for w in wrt
        ]
        op = cls(cot, [holders[v] for v in outer], inner, types)
        return op.make_node(expression, *outer).outputs

    def make_node(self, expression: Any, *frontier: Any) -> Apply:
        if len(frontier) != len(self.holders):
            raise TypeError(f"{self} takes {len(self.holders) + 1} inputs, got {len(frontier) + 1}")
        return Apply(self, [expression, *frontier], list(self.out_types))

    def _function(self):
        fn = self._cache.get("fn")
        if fn is None:
            from aesara_cas.compile.function import function

            fn = function([self.cot, *self.holders], list(self.inner), mode="numpy")
            self._cache["fn"] = fn
        return fn

    def perform(self, node: Apply, inputs: list[Any]) -> list[Any]:
        expr, *frontier = inputs
        expr = np.asarray(expr)
        fn = self._function()
        cot = np.zeros(expr.shape, dtype=self.cot.dtype)
        results: list[np.ndarray] = []
        if expr.size == 0:
            rows = fn(cot, *frontier)
            return [
                np.zeros(expr.shape + np.shape(r), dtype=t.dtype)
                for r, t in zip(rows, self.out_types)
            ]
        flat = cot.reshape(-1)
        for k in range(expr.size):
            flat[k] = 1
            rows = fn(cot, *frontier)
            flat[k] = 0
            if k == 0:
                results = [
                    np.empty((expr.size,) + np.shape(r), dtype=t.dtype)
                    for r, t in zip(rows, self.out_types)
                ]
            for res, r in zip(results, rows):
                res[k] = r
        return [r.reshape(expr.shape + r.shape[1:]) for r in results]

    def L_op(self, node, inputs, outputs, output_grads):
        raise NotImplementedError(
            "derivatives of a Jacobian computed by a run-time loop are not supported; "
            "give the expression a static shape of at most "
            "aesara_cas.gradient.UNROLL_LIMIT elements to get an unrolled graph"
        )

    R_op = None
