"""Vector-Jacobian (``L_op``) and Jacobian-vector (``R_op``) products of the non-element-wise ops.

The op classes' ``L_op``/``R_op`` methods delegate here, so the derivative rules
of every family sit together.  Conventions: ``None`` stands for a zero (or
disconnected) gradient; integer and boolean inputs get ``None``; every returned
gradient has exactly the type of its input (see :func:`~aesara_cas.tensor.grad_ops.fit`).

Reductions whose output depends on several elements weigh them: ``max``/``min``
split the gradient equally between tied maxima (as JAX does), ``prod`` gives each
element the product of the others (correct with zeros), ``logsumexp`` gives the
softmax.  The Jacobian of a reduction is block-diagonal, so its forward product
is ``sum(weights * tangent)`` over the same axes.
"""

from __future__ import annotations

import numpy as np

from aesara_cas.graph.basic import Apply, Variable
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.grad_ops import (
    broadcast_like,
    fit,
    is_float,
    mul,
    shape_ref,
    sum_to_like,
    zeros_like,
)
from aesara_cas.tensor.variable import constant

# Reductions -------------------------------------------------------------------------


def _expand(g: Variable, op, ndim: int) -> Variable:
    """The reduced ``g`` with length-1 axes put back where ``op`` reduced."""
    from aesara_cas.tensor.shape import dimshuffle

    axes = set(op.reduced_axes(ndim))
    if op.keepdims or axes == set(range(len(axes))):
        # Leading axes are restored by broadcasting itself.
        return g
    it = iter(range(g.ndim))
    return dimshuffle(g, ["x" if k in axes else next(it) for k in range(ndim)])


def _count(x: Variable, op) -> Variable:
    """How many elements each output of the reduction ``op`` combines (a scalar)."""
    axes = op.reduced_axes(x.ndim)
    static = [x.type.shape[a] for a in axes]
    if all(s is not None for s in static):
        return constant(float(np.prod(static, dtype=np.int64)), dtype=x.dtype)
    from aesara_cas.tensor.shape import Shape

    shp = Shape()(shape_ref(x))
    n = E.mul(*[shp[a] for a in axes]) if len(axes) > 1 else shp[axes[0]]
    return E.cast(n, x.dtype)


def _weights(op, x: Variable, out: Variable) -> Variable:
    """``d out / d x`` element-wise for the reductions that are not linear."""
    from aesara_cas.tensor.reduction import Reduce

    def red(kind, v):
        return Reduce(kind, op.axis, True)(v)

    if op.kind == "prod":
        is_zero = E.eq(x, 0)
        n_zero = red("sum", is_zero)
        prod_nonzero = red("prod", E.switch(is_zero, 1, x))
        only_zero = E.and_(E.eq(n_zero, 1), is_zero)
        return E.switch(
            E.eq(n_zero, 0), E.true_div(prod_nonzero, x), E.switch(only_zero, prod_nonzero, 0)
        )
    out_b = _expand(out, op, x.ndim)
    if op.kind in ("max", "min"):
        hit = E.cast(E.eq(x, out_b), x.dtype)
        return E.true_div(hit, red("sum", hit))
    if op.kind == "logsumexp":
        return E.exp(E.sub(x, out_b))
    raise NotImplementedError(f"no derivative for the reduction {op.kind!r}")


def reduce_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    (x,), (out,), (gz,) = inputs, outputs, output_grads
    if gz is None or not is_float(x) or op.kind in ("all", "any"):
        return [None]
    g = _expand(gz, op, x.ndim)
    if op.kind == "sum":
        return [fit(broadcast_like(g, x), x)]
    if op.kind == "mean":
        return [fit(broadcast_like(E.true_div(g, _count(x, op)), x), x)]
    return [fit(mul(g, _weights(op, x, out)), x)]


def reduce_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    from aesara_cas.tensor.reduction import Reduce

    (x,), (t,) = inputs, eval_points
    out = node.outputs[0]
    if t is None or not is_float(x) or op.kind in ("all", "any"):
        return [None]
    if op.kind in ("sum", "mean"):
        return [fit(op.make_node(t).outputs[0], out)]
    weighted = E.mul(_weights(op, x, out), t)
    return [fit(Reduce("sum", op.axis, op.keepdims)(weighted), out)]


# Products ---------------------------------------------------------------------------


def _swap(v: Variable) -> Variable:
    """``v`` with its last two axes exchanged."""
    from aesara_cas.tensor.shape import dimshuffle

    order = list(range(v.ndim))
    order[-2], order[-1] = order[-1], order[-2]
    return dimshuffle(v, order)


def _col(v: Variable) -> Variable:
    return v.dimshuffle(0, "x")


def _row(v: Variable) -> Variable:
    return v.dimshuffle("x", 0)


def dot_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    from aesara_cas.tensor.blas import dot

    a, b = inputs
    (gz,) = output_grads
    if gz is None:
        return [None, None]
    if a.ndim == 0 or b.ndim == 0:
        # With a scalar, ``dot`` is a broadcast multiplication.
        ga = sum_to_like(mul(gz, b), a) if a.ndim else _total(mul(gz, b))
        gb = sum_to_like(mul(gz, a), b) if b.ndim else _total(mul(gz, a))
    elif a.ndim == 1 and b.ndim == 1:
        ga, gb = mul(gz, b), mul(gz, a)
    elif a.ndim <= 2 and b.ndim <= 2:
        if b.ndim == 1:  # (m, k) . (k,) -> (m,)
            ga, gb = mul(_col(gz), _row(b)), dot(_swap(a), gz)
        elif a.ndim == 1:  # (k,) . (k, n) -> (n,)
            ga, gb = dot(b, gz), mul(_col(a), _row(gz))
        else:
            ga, gb = dot(gz, _swap(b)), dot(_swap(a), gz)
    else:
        raise NotImplementedError(
            "the gradient of dot is implemented for inputs of at most 2 dimensions; "
            "use matmul for batched products"
        )
    return [fit(ga, a) if is_float(a) else None, fit(gb, b) if is_float(b) else None]


def _total(v: Variable) -> Variable:
    from aesara_cas.tensor.reduction import Reduce

    return v if v.ndim == 0 else Reduce("sum")(v)


def matmul_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    from aesara_cas.tensor.blas import matmul

    a, b = inputs
    (gz,) = output_grads
    if gz is None:
        return [None, None]
    if a.ndim == 1 and b.ndim == 1:
        ga, gb = mul(gz, b), mul(gz, a)
    elif a.ndim == 2 and b.ndim == 1:
        ga, gb = mul(_col(gz), _row(b)), matmul(_swap(a), gz)
    elif a.ndim == 1 and b.ndim == 2:
        ga, gb = matmul(b, gz), mul(_col(a), _row(gz))
    elif a.ndim == 2 and b.ndim == 2:
        ga, gb = matmul(gz, _swap(b)), matmul(_swap(a), gz)
    else:
        # Batched: promote 1-D operands to matrices, then sum over broadcast batch axes.
        a2 = a.dimshuffle("x", 0) if a.ndim == 1 else a
        b2 = b.dimshuffle(0, "x") if b.ndim == 1 else b
        g2 = gz
        if a.ndim == 1:
            g2 = _insert(g2, g2.ndim - 1)
        if b.ndim == 1:
            g2 = _insert(g2, g2.ndim)
        ga = sum_to_like(matmul(g2, _swap(b2)), a2)
        gb = sum_to_like(matmul(_swap(a2), g2), b2)
        ga = ga.dimshuffle(1) if a.ndim == 1 else ga
        gb = gb.dimshuffle(0) if b.ndim == 1 else gb
    return [fit(ga, a) if is_float(a) else None, fit(gb, b) if is_float(b) else None]


def _insert(v: Variable, pos: int) -> Variable:
    from aesara_cas.tensor.shape import expand_dims

    return expand_dims(v, pos)


def product_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    a, b = inputs
    ta, tb = eval_points
    terms = []
    if ta is not None and is_float(a):
        terms.append(op.make_node(ta, b).outputs[0])
    if tb is not None and is_float(b):
        terms.append(op.make_node(a, tb).outputs[0])
    if not terms:
        return [None]
    out = terms[0] if len(terms) == 1 else E.add(*terms)
    return [fit(out, node.outputs[0])]


def _expanded(expand, inputs: list):
    """``expand`` applied to stand-ins for ``inputs`` (so a variable given twice gets
    one gradient per position), with the map back to the real inputs."""
    holders = [i.type.make_variable() for i in inputs]
    return expand(*holders), holders, dict(zip(holders, inputs))


def expanded_L_op(expand, inputs: list, output_grads: list) -> list:
    """Gradients of an op that equals the primitive expression ``expand(*inputs)``."""
    from aesara_cas.gradient import backprop
    from aesara_cas.graph.traversal import clone_replace

    out, holders, back = _expanded(expand, inputs)
    grads = backprop([out], output_grads, holders)
    done = clone_replace([g for g in grads if g is not None], back)
    it = iter(done)
    return [None if g is None else next(it) for g in grads]


def expanded_R_op(expand, inputs: list, eval_points: list) -> list:
    """Tangent of an op that equals the primitive expression ``expand(*inputs)``."""
    from aesara_cas.gradient import push_forward
    from aesara_cas.graph.traversal import clone_replace

    out, holders, back = _expanded(expand, inputs)
    (t,) = push_forward([out], holders, eval_points)
    return [None if t is None else clone_replace([t], back)[0]]


def _gemm_expression(C, alpha, A, B, beta):
    from aesara_cas.tensor.blas import dot

    return E.add(E.mul(alpha, dot(A, B)), E.mul(beta, C))


def gemm_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    return expanded_L_op(_gemm_expression, inputs, output_grads)


def gemm_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    return expanded_R_op(_gemm_expression, inputs, eval_points)


# Shape and indexing -----------------------------------------------------------------


def dimshuffle_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    from aesara_cas.tensor.shape import dimshuffle

    (x,), (gz,) = inputs, output_grads
    if gz is None or not is_float(x):
        return [None]
    where = {d: j for j, d in enumerate(op.new_order) if d != "x"}
    pattern = [where.get(i, "x") for i in range(op.input_ndim)]
    return [fit(dimshuffle(gz, pattern), x)]


def dimshuffle_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    (t,) = eval_points
    if t is None or not is_float(inputs[0]):
        return [None]
    return [fit(op.make_node(t).outputs[0], node.outputs[0])]


def reshape_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    from aesara_cas.tensor.shape import Reshape, shape

    (x, _), (gz,) = inputs, output_grads
    if gz is None or not is_float(x):
        return [None, None]
    return [fit(Reshape(x.ndim)(gz, shape(shape_ref(x))), x), None]


def reshape_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    t = eval_points[0]
    if t is None or not is_float(inputs[0]):
        return [None]
    return [fit(op.make_node(t, inputs[1]).outputs[0], node.outputs[0])]


def subtensor_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    from aesara_cas.tensor.subtensor import IncSubtensor

    (x, *sym), (gz,) = inputs, output_grads
    none = [None] * len(sym)
    if gz is None or not is_float(x):
        return [None, *none]
    return [IncSubtensor(op.idx_list)(zeros_like(x), gz, *sym), *none]


def subtensor_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    t = eval_points[0]
    if t is None or not is_float(inputs[0]):
        return [None]
    return [fit(op.make_node(t, *inputs[1:]).outputs[0], node.outputs[0])]


def incsubtensor_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    from aesara_cas.tensor.subtensor import IncSubtensor, Subtensor

    (x, y, *sym), (gz,) = inputs, output_grads
    none = [None] * len(sym)
    if gz is None:
        return [None, None, *none]
    gx = None
    if is_float(x):
        gx = IncSubtensor(op.idx_list, True)(gz, 0, *sym) if op.set_instead_of_inc else gz
    gy = None
    if is_float(y):
        gy = fit(sum_to_like(Subtensor(op.idx_list)(gz, *sym), y), y)
    return [gx, gy, *none]


def incsubtensor_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    (x, y, *sym), (tx, ty, *_) = inputs, eval_points
    if not is_float(x):
        return [None]
    ty = ty if ty is not None and is_float(y) else None
    if tx is None and ty is None:
        return [None]
    base = tx if tx is not None else zeros_like(x)
    if ty is None:
        if not op.set_instead_of_inc:
            return [base]
        ty = 0
    return [fit(op.make_node(base, ty, *sym).outputs[0], node.outputs[0])]


def join_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    from aesara_cas.tensor.shape import Shape
    from aesara_cas.tensor.subtensor import getitem

    (gz,) = output_grads
    if gz is None:
        return [None] * len(inputs)
    grads = []
    start = 0
    for x in inputs:
        n = x.type.shape[op.axis]
        if n is None:
            n = Shape()(shape_ref(x))[op.axis]
        if isinstance(start, int) and isinstance(n, int):
            stop = start + n
        else:
            stop = n if isinstance(start, int) and start == 0 else E.add(start, n)
        if is_float(x):
            index = (slice(None),) * op.axis + (slice(start, stop),)
            grads.append(fit(getitem(gz, index), x))
        else:
            grads.append(None)
        start = stop
    return grads


def join_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    if all(t is None for t in eval_points):
        return [None]
    parts = [t if t is not None and is_float(x) else zeros_like(x)
             for x, t in zip(inputs, eval_points)]
    return [fit(op.make_node(*parts).outputs[0], node.outputs[0])]


def alloc_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    (value, *dims), (gz,) = inputs, output_grads
    none = [None] * len(dims)
    if gz is None or not is_float(value):
        return [None, *none]
    return [fit(sum_to_like(gz, value), value), *none]


def alloc_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    t = eval_points[0]
    if t is None or not is_float(inputs[0]):
        return [None]
    return [fit(op.make_node(t, *inputs[1:]).outputs[0], node.outputs[0])]


def makevector_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    (gz,) = output_grads
    if gz is None or not is_float(outputs[0]):
        return [None] * len(inputs)
    return [fit(gz[k], x) if is_float(x) else None for k, x in enumerate(inputs)]


def makevector_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    out = node.outputs[0]
    if not is_float(out) or all(t is None for t in eval_points):
        return [None]
    parts = [t if t is not None else constant(0, dtype=out.dtype) for t in eval_points]
    return [op.make_node(*parts).outputs[0]]
