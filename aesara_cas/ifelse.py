"""``ifelse``: a lazy conditional whose branches are inner graphs.

``ifelse(cond, then_branch, else_branch)`` builds one :class:`IfElse` node.  Each
branch is a graph of its own (over the variables it reads, which become the
node's inputs), so running the node computes only the branch that is taken: the
other may divide by zero or index out of bounds without anyone noticing.  This
holds in both modes: the compiled mode runs the node's ``perform`` too.

The gradient of an input is again an ``ifelse``: the derivative of the taken
branch, zero for the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Op, Variable
from aesara_cas.scan.inner import (
    InnerProgram,
    free_variables,
    make_inner_graph,
    outer_outputs,
    structural_key,
)
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import TensorConstant, as_tensor_variable

__all__ = ["IfElse", "ifelse"]


def _merge_shapes(a: tuple, b: tuple) -> tuple:
    return tuple(x if x == y else None for x, y in zip(a, b))


class IfElse(Op):
    """Run ``then_graph`` or ``else_graph`` depending on a scalar condition.

    Node inputs: ``[cond, *then_free, *else_free]`` (the variables each branch
    reads); outputs: one per branch output, with the two branches' common type.
    """

    __props__ = ("key",)

    def __init__(self, then_graph, else_graph, out_types: Sequence[TensorType]):
        self.then_graph = then_graph
        self.else_graph = else_graph
        self.out_types = tuple(out_types)
        self.n_then = len(then_graph.inputs)
        self.key = (structural_key(then_graph), structural_key(else_graph), self.out_types)
        self._then = InnerProgram(then_graph)
        self._else = InnerProgram(else_graph)
        self._freeze()

    def __str__(self) -> str:
        return f"ifelse[{len(self.out_types)} output(s)]"

    def make_node(self, cond: Variable, *inputs: Variable) -> Apply:
        if len(inputs) != self.n_then + len(self.else_graph.inputs):
            raise TypeError(f"{self} takes {self.n_then + len(self.else_graph.inputs) + 1} "
                            f"inputs, got {len(inputs) + 1}")
        return Apply(self, [cond, *inputs], self.out_types)

    def perform(self, node: Apply, inputs: list[Any]) -> list[Any]:
        cond = inputs[0]
        if bool(np.asarray(cond)):
            results = self._then.run(list(inputs[1:1 + self.n_then]))
        else:
            results = self._else.run(list(inputs[1 + self.n_then:]))
        out = []
        for r, t in zip(results, self.out_types):
            r = np.asarray(r)
            if r.dtype.name != t.dtype:
                r = r.astype(t.dtype)
            for axis, (want, got) in enumerate(zip(t.shape, r.shape)):
                if want is not None and want != got:
                    raise ValueError(
                        f"ifelse: the taken branch gave shape {r.shape}, expected length "
                        f"{want} in dimension {axis}"
                    )
            out.append(r)
        return out

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False] * len(node.outputs)] + [[True] * len(node.outputs)
                                                for _ in node.inputs[1:]]

    def L_op(self, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
        """Each input's gradient: the taken branch's vector-Jacobian product, else zero."""
        from aesara_cas.gradient import backprop
        from aesara_cas.tensor.grad_ops import is_float, zeros_like

        cond, rest = inputs[0], inputs[1:]
        then_in, else_in = rest[:self.n_then], rest[self.n_then:]
        then_out = outer_outputs(self.then_graph, then_in)
        else_out = outer_outputs(self.else_graph, else_in)
        float_inputs = [v for v in dict.fromkeys(rest) if is_float(v)]
        if not float_inputs:
            return [None] * len(inputs)
        cots = [g if is_float(o) else None for g, o in zip(output_grads, outputs)]
        g_then = backprop(then_out, cots, float_inputs)
        g_else = backprop(else_out, cots, float_inputs)
        g_then = [zeros_like(v) if g is None else g for g, v in zip(g_then, float_inputs)]
        g_else = [zeros_like(v) if g is None else g for g, v in zip(g_else, float_inputs)]
        chosen = ifelse(cond, g_then, g_else)
        if not isinstance(chosen, list):
            chosen = [chosen]
        by_input = dict(zip(float_inputs, chosen))
        # An input read by both branches appears twice in the node's inputs: its whole
        # gradient goes to the first position.
        result: list = [None]
        seen: set = set()
        for v in rest:
            result.append(by_input.get(v) if v not in seen else None)
            seen.add(v)
        return result

    def R_op(self, node: Apply, inputs: list, eval_points: list) -> list:
        """Tangents: the taken branch's, pushed forward from the inputs' tangents."""
        from aesara_cas.gradient import push_forward
        from aesara_cas.tensor.grad_ops import zeros_like

        cond, rest = inputs[0], inputs[1:]
        pts = eval_points[1:]
        if all(p is None for p in pts):
            return [None] * len(node.outputs)
        then_in, else_in = rest[:self.n_then], rest[self.n_then:]
        then_out = outer_outputs(self.then_graph, then_in)
        else_out = outer_outputs(self.else_graph, else_in)
        t_then = push_forward(then_out, then_in, pts[:self.n_then])
        t_else = push_forward(else_out, else_in, pts[self.n_then:])
        t_then = [zeros_like(o) if t is None else t for t, o in zip(t_then, node.outputs)]
        t_else = [zeros_like(o) if t is None else t for t, o in zip(t_else, node.outputs)]
        chosen = ifelse(cond, t_then, t_else)
        return chosen if isinstance(chosen, list) else [chosen]


def _branch(value: Any, what: str) -> tuple[list[Variable], bool]:
    single = not isinstance(value, (list, tuple))
    items = [value] if single else list(value)
    out = []
    for k, v in enumerate(items):
        try:
            out.append(as_tensor_variable(v))
        except TypeError as err:
            label = what if single else f"{what}[{k}]"
            raise TypeError(f"ifelse: {label} must be a tensor or a number, got {v!r}") from err
    return out, single


def _unify(a: Variable, b: Variable, k: int) -> tuple[Variable, Variable]:
    """Give the two branches' k-th outputs one type (a constant adopts the other's dtype)."""
    from aesara_cas.tensor.elemwise import cast

    if a.ndim != b.ndim:
        raise TypeError(
            f"ifelse: output {k} has {a.ndim} dimension(s) in then_branch but {b.ndim} in "
            "else_branch; both branches must give variables of equal types"
        )
    if a.dtype != b.dtype:
        if isinstance(b, TensorConstant) and np.can_cast(b.dtype, a.dtype, "same_kind"):
            b = cast(b, a.dtype)
        elif isinstance(a, TensorConstant) and np.can_cast(a.dtype, b.dtype, "same_kind"):
            a = cast(a, b.dtype)
        else:
            raise TypeError(
                f"ifelse: output {k} is {a.dtype} in then_branch but {b.dtype} in "
                "else_branch; both branches must give variables of equal types (cast one)"
            )
    return a, b


def ifelse(condition: Any, then_branch: Any, else_branch: Any,
           name: str | None = None) -> Variable | list[Variable]:
    """``then_branch`` if ``condition`` is true, else ``else_branch``, computing only one.

    Parameters
    ----------
    condition
        A scalar (0-dimensional) expression; nonzero means true.
    then_branch, else_branch
        A variable, or lists of equal length of variables of equal types.
    name
        A name for the result (a single output only).

    Returns
    -------
    One variable, or a list when the branches are lists.
    """
    cond = as_tensor_variable(condition)
    if cond.ndim != 0:
        raise TypeError(
            f"ifelse: condition must be a scalar (0-dimensional), got {cond.ndim} "
            f"dimension(s) ({cond.type}); reduce it first, e.g. with all() or any()"
        )
    then_vals, single_t = _branch(then_branch, "then_branch")
    else_vals, single_e = _branch(else_branch, "else_branch")
    if len(then_vals) != len(else_vals):
        raise ValueError(
            f"ifelse: then_branch has {len(then_vals)} output(s) but else_branch has "
            f"{len(else_vals)}"
        )
    pairs = [_unify(a, b, k) for k, (a, b) in enumerate(zip(then_vals, else_vals))]
    then_vals = [a for a, _ in pairs]
    else_vals = [b for _, b in pairs]
    out_types = [
        TensorType(a.dtype, _merge_shapes(a.type.shape, b.type.shape)) for a, b in pairs
    ]
    then_free = free_variables(then_vals)
    else_free = free_variables(else_vals)
    then_graph = make_inner_graph(then_free, then_vals)
    else_graph = make_inner_graph(else_free, else_vals)
    op = IfElse(then_graph, else_graph, out_types)
    outs = op.make_node(cond, *then_free, *else_free).outputs
    if single_t and single_e:
        if name is not None:
            outs[0].name = name
        return outs[0]
    return list(outs)
