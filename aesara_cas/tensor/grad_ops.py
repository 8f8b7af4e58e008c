"""Shape plumbing for derivatives: ``SumToLike``, ``BroadcastLike`` and typed helpers.

Broadcasting follows NumPy's rules, so a dimension of unknown length (``None``)
can turn out to be 1 at run time and be broadcast.  A gradient flowing back to
such an input must then be summed over that dimension, which can only be
decided when the shapes are known.  ``SumToLike(g, ref)`` does exactly that: it
sums ``g`` down to the run-time shape of ``ref`` (and returns ``g`` itself when
the shapes already agree, the common case).  ``BroadcastLike(g, ref)`` is its
adjoint: ``g`` broadcast to the shape of ``ref`` (a read-only NumPy view, so no
copy is made and an accidental in-place write fails loudly).

Both ops read only the *shape* of ``ref``; the value of ``ref`` does not
influence the result, so ``ref`` is declared disconnected for differentiation.
:func:`shape_ref` picks the earliest variable known to have the same run-time
shape, so a gradient graph does not keep forward computations alive merely to
read their shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Constant, Op, Variable
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable, constant


def _check_static(g_shape: tuple, ref_shape: tuple, what: str) -> None:
    lead = len(g_shape) - len(ref_shape)
    for k, r in enumerate(ref_shape):
        s = g_shape[lead + k]
        if s is not None and r is not None and s != r and r != 1 and s != 1:
            raise ValueError(f"{what}: shapes {g_shape} and {ref_shape} are incompatible")


class _ShapedLikeRef(Op):
    """An op ``f(g, ref)`` whose output takes ``ref``'s shape; ``ref`` gives only its shape,
    so no gradient flows to it."""

    print_name = ""
    #: The output may be (a view of) the first input: no copy when shapes agree.
    view_map = {0: [0]}

    def __str__(self) -> str:
        return self.print_name

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[1]]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True], [False]]


class SumToLike(_ShapedLikeRef):
    """``g`` summed over the axes along which ``ref``'s shape broadcasts to ``g``'s.

    The result has ``g``'s dtype and ``ref``'s (run-time and static) shape.  Where ``g``
    has length 1 and ``ref`` does not, ``g`` is broadcast (a view): ``sum_to_like(g, r)``
    is then ``g`` broadcast against ``r`` and summed back to ``r``'s shape, which lets a
    gradient drop the operand it broadcast against only to read its shape.
    """

    print_name = "sum_to_like"

    def make_node(self, g: Any, ref: Any) -> Apply:
        g, ref = as_tensor_variable(g), as_tensor_variable(ref)
        if g.ndim < ref.ndim:
            raise ValueError(
                f"sum_to_like: the value has {g.ndim} dimension(s), fewer than the "
                f"target's {ref.ndim}"
            )
        _check_static(g.type.shape, ref.type.shape, "sum_to_like")
        return Apply(self, [g, ref], [TensorType(g.dtype, ref.type.shape)])

    def perform(self, node: Apply, inputs: list[Any]) -> list[Any]:
        g, ref = inputs
        g = np.asarray(g)
        shape = np.shape(ref)
        if g.shape == shape:
            return [g]
        lead = g.ndim - len(shape)
        axes = list(range(lead))
        for k, n in enumerate(shape):
            m = g.shape[lead + k]
            if n == 1 and m != 1:
                axes.append(lead + k)
            elif n != m and m != 1:
                raise ValueError(
                    f"sum_to_like: cannot sum an array of shape {g.shape} to shape {shape}"
                )
        out = np.sum(g, axis=tuple(axes), keepdims=True) if axes else g
        out = np.asarray(out, dtype=node.outputs[0].dtype).reshape(out.shape[lead:])
        return [out if out.shape == shape else np.broadcast_to(out, shape)]

    def L_op(self, node, inputs, outputs, output_grads):
        (gz,) = output_grads
        return [broadcast_like(gz, shape_ref(inputs[0])), None]

    def R_op(self, node, inputs, eval_points):
        t = eval_points[0]
        return [None if t is None else sum_to_like(t, inputs[1])]


class BroadcastLike(_ShapedLikeRef):
    """``g`` broadcast to the shape of ``ref`` (``np.broadcast_to``, a read-only view)."""

    print_name = "broadcast_like"

    def make_node(self, g: Any, ref: Any) -> Apply:
        g, ref = as_tensor_variable(g), as_tensor_variable(ref)
        if g.ndim > ref.ndim:
            raise ValueError(
                f"broadcast_like: the value has {g.ndim} dimension(s), more than the "
                f"target's {ref.ndim}"
            )
        _check_static(ref.type.shape, g.type.shape, "broadcast_like")
        return Apply(self, [g, ref], [TensorType(g.dtype, ref.type.shape)])

    def perform(self, node: Apply, inputs: list[Any]) -> list[Any]:
        g, ref = inputs
        try:
            return [np.broadcast_to(np.asarray(g), np.shape(ref))]
        except ValueError:
            raise ValueError(
                f"broadcast_like: cannot broadcast shape {np.shape(g)} to {np.shape(ref)}"
            ) from None

    def L_op(self, node, inputs, outputs, output_grads):
        (gz,) = output_grads
        return [sum_to_like(gz, shape_ref(inputs[0])), None]

    def R_op(self, node, inputs, eval_points):
        t = eval_points[0]
        return [None if t is None else broadcast_like(t, inputs[1])]


_sum_to_like = SumToLike()
_broadcast_like = BroadcastLike()


def is_float(var: Variable) -> bool:
    """Whether ``var`` holds floating-point values (only those have derivatives)."""
    return np.dtype(var.dtype).kind == "f"


def same_shape_input(node: Apply) -> Variable | None:
    """An input of the element-wise ``node`` whose run-time shape is the output's, if known.

    That is the case when every other input has only length-1 (or missing) dimensions.
    """
    from aesara_cas.tensor.elemwise import Elemwise

    if not isinstance(node.op, Elemwise):
        return None
    out = node.outputs[0]
    candidates = [
        i for i in node.inputs
        if i.ndim == out.ndim and i.type.shape == out.type.shape
    ]
    for cand in candidates:
        if all(o is cand or all(s == 1 for s in o.type.shape) for o in node.inputs):
            return cand
    return None


def shape_ref(x: Variable) -> Variable:
    """The earliest variable known to share ``x``'s run-time (and static) shape.

    Walks back through element-wise ops whose output shape is one input's shape
    (unary ops, operations with scalars), iteratively.
    """
    while x.owner is not None:
        src = same_shape_input(x.owner)
        if src is None or isinstance(src, Constant):
            break
        x = src
    return x


def sum_to_like(g: Variable, ref: Variable) -> Variable:
    """``g`` summed to the shape of ``ref``; ``g`` itself if the types already agree
    and no dimension can be broadcast."""
    if g.ndim == 0 and ref.ndim == 0:
        return g
    return _sum_to_like(g, shape_ref(ref))


def broadcast_like(g: Variable, ref: Variable) -> Variable:
    """``g`` broadcast to the shape of ``ref``."""
    if ref.ndim == 0 and g.ndim == 0:
        return g
    if all(s is not None for s in ref.type.shape) and g.type.shape == ref.type.shape:
        return g
    return _broadcast_like(g, shape_ref(ref))


def zeros_like(x: Variable, dtype: str | None = None) -> Variable:
    """Zeros of ``x``'s shape and type (``dtype`` overrides the dtype)."""
    zero = constant(0, dtype=dtype or x.dtype)
    if x.ndim == 0:
        return zero
    return _broadcast_like(zero, shape_ref(x))


def ones_like(x: Variable, dtype: str | None = None) -> Variable:
    """Ones of ``x``'s shape and type."""
    one = constant(1, dtype=dtype or x.dtype)
    if x.ndim == 0:
        return one
    return _broadcast_like(one, shape_ref(x))


def fit(g: Variable, var: Variable) -> Variable:
    """``g`` given exactly the type of ``var``: cast to its dtype, static shape matched.

    The static shape is matched with :class:`SumToLike`, which at run time also
    sums over any dimension that ``var`` broadcast.
    """
    if g.dtype != var.dtype:
        from aesara_cas.tensor.elemwise import cast

        g = cast(g, var.dtype)
    if g.type.shape != var.type.shape:
        if g.ndim < var.ndim:
            g = broadcast_like(g, var)
        if g.type.shape != var.type.shape:
            g = _sum_to_like(g, shape_ref(var))
    return g


def is_constant_value(var: Variable, value: float) -> bool:
    """Whether ``var`` is a constant whose every element equals ``value``."""
    if not isinstance(var, Constant):
        return False
    data = np.asarray(var.data)
    if data.size == 1:  # the common case, without a NumPy reduction
        return bool(data.reshape(-1)[0] == value)
    return data.size > 0 and bool(np.all(data == value))


def mul(*args: Variable) -> Variable:
    """Element-wise product that leaves out constant factors of one when the
    result's type allows, so derivatives do not carry ``1 * ...`` around."""
    from aesara_cas.tensor.elemwise import broadcast_shapes, output_dtype
    from aesara_cas.tensor.elemwise import mul as _mul

    kept = [a for a in args if not is_constant_value(a, 1)]
    if len(kept) == len(args) or not kept or not all(isinstance(a, Variable) for a in args):
        return _mul(*args)

    def result_type(vs):
        dtypes = tuple(v.dtype for v in vs)
        dtype = output_dtype(_mul.scalar_op, dtypes) if len(vs) > 1 else dtypes[0]
        return TensorType(dtype, broadcast_shapes([v.type.shape for v in vs]))

    if result_type(kept) != result_type(args):
        return _mul(*args)
    return kept[0] if len(kept) == 1 else _mul(*kept)


def flatten_products(results: list[Variable], forward: list[Variable],
                     release: bool = False) -> list[Variable]:
    """``results`` with each nest of products differentiation made, a product read only
    by a product, as one n-ary product (``((g * a) * b) * c`` -> ``g * a * b * c``).

    Reverse mode through a chain of ``n`` ops multiplies the local derivatives one at
    a time: a nest ``n`` deep that compilation's canonical form flattens again, one
    level per rewrite.  Flattening it here takes one linear pass.  The factors keep
    their left-to-right order (a left-nested product evaluates to the same value).
    Nodes of the ``forward`` graph are never merged into a product: the expression
    being differentiated reads them too.  Iterative: no recursion over graph depth.

    ``release=True`` (for callers that drop ``results``) dismantles the products it
    replaced: nodes and variables refer to each other, so a nest of 10,000 products
    would otherwise wait for the cyclic garbage collector (~0.15 s); without the
    cycle, reference counting frees it at once.
    """
    from aesara_cas.graph.traversal import toposort
    from aesara_cas.tensor.elemwise import Elemwise
    from aesara_cas.tensor.elemwise import mul as _mul

    # The forward graph's values (in no particular order): where the walk stops.
    fwd: set[Variable] = set()
    seen: set[int] = set()
    stack = [v.owner for v in forward if v.owner is not None]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            fwd.update(node.outputs)
            stack.extend(i.owner for i in node.inputs
                         if i.owner is not None and id(i.owner) not in seen)
    nodes = toposort(results, fwd)  # the nodes differentiation made
    n_readers: dict[int, int] = {}
    for node in nodes:
        for i in node.inputs:
            n_readers[id(i)] = n_readers.get(id(i), 0) + 1
    flat: set[int] = set()  # products whose factors all have their dtype
    for node in nodes:
        op = node.op
        if isinstance(op, Elemwise) and op.scalar_op.name == "mul":
            dtype = node.outputs[0].dtype
            if all(i.dtype == dtype for i in node.inputs):
                flat.add(id(node))
    outputs = {id(r) for r in results}
    nested: set[int] = set()  # products merged into the one reading them
    for node in nodes:
        for i in node.inputs:
            owner = i.owner
            if (owner is not None and id(owner) in flat and id(node) in flat
                    and n_readers[id(i)] == 1 and id(i) not in outputs):
                nested.add(id(owner))
    if not nested:
        return list(results)
    memo: dict[int, Variable] = {}
    replaced: list[Apply] = []
    for node in nodes:
        if id(node) in nested:
            continue
        if id(node) in flat:
            factors: list[Variable] = []
            stack = list(reversed(node.inputs))
            while stack:
                v = stack.pop()
                if v.owner is not None and id(v.owner) in nested:
                    stack.extend(reversed(v.owner.inputs))
                else:
                    factors.append(memo.get(id(v), v))
            new = _mul(*factors)
            old = node.outputs[0]
            if new.type == old.type:
                memo[id(old)] = new
                replaced.append(node)
                continue
            release = False  # this product still reads its nest
        args = [memo.get(id(i), i) for i in node.inputs]
        if any(a is not b for a, b in zip(args, node.inputs)):
            for old, new in zip(node.outputs, node.op.make_node(*args).outputs):
                memo[id(old)] = new
    out = [memo.get(id(r), r) for r in results]
    if release:
        for node in nodes:
            if id(node) in nested:
                node.outputs = []
        for node in replaced:
            node.outputs = []
    return out
