"""How the reference evaluator computes each kind of node (element-wise, reductions,
shape operations, products) on object arrays of ``mpmath.mpf``.

Every value is a triple ``(array, exact, bad)``: the values, whether each is
known exactly, and whether it is untrustworthy at the current precision (see
:mod:`aesara_cas.testing.reference`).
"""

from __future__ import annotations

import math
from typing import Any

import mpmath
import numpy as np

from aesara_cas.tensor.blas import Dot, MatMul
from aesara_cas.tensor.elemwise import Elemwise
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.scalar import Cast
from aesara_cas.tensor.shape import Alloc, DimShuffle, Join, MakeVector, Reshape, Shape
from aesara_cas.tensor.subtensor import IncSubtensor, Subtensor, build_index
from aesara_cas.testing.mp_scalar import (
    EXACT_OPS,
    MP_SCALAR,
    MPF,
    difference,
    from_fraction,
    is_finite,
    result_is_exact,
    to_fraction,
    truth,
)

Triple = tuple[np.ndarray, np.ndarray, np.ndarray]

#: Margin (bits) kept between a cancellation and the working precision before the
#: result is called unreliable.
MARGIN = 72
_COMPARISONS = frozenset({"lt", "le", "gt", "ge", "eq", "neq"})


def obj(x: Any) -> np.ndarray:
    """``x`` as an object array (a scalar becomes a 0-d array, not a converted value)."""
    if isinstance(x, np.ndarray) and x.dtype == object:
        return x
    if isinstance(x, np.ndarray):
        return x.astype(object)
    out = np.empty((), dtype=object)
    out[()] = x
    return out


def to_mp(ctx, arr: np.ndarray) -> np.ndarray:
    """A NumPy array as an object array of exact ``mpf`` values (object arrays pass)."""
    arr = np.asarray(arr)
    if arr.dtype == object:
        return arr
    if arr.dtype.kind == "f":
        conv = np.frompyfunc(lambda v: ctx.mpf(float(v)), 1, 1)
    elif arr.dtype.kind in "iub":
        conv = np.frompyfunc(lambda v: ctx.mpf(int(v)), 1, 1)
    else:
        raise TypeError(f"reference_eval: values of dtype {arr.dtype} are not supported")
    return obj(conv(arr))


def to_native(arr: np.ndarray, dtype: str) -> np.ndarray:
    """An object array of bools or ``mpf`` as a NumPy array of a non-float ``dtype``."""
    if np.dtype(dtype).kind == "b":
        return np.asarray(np.frompyfunc(truth, 1, 1)(arr), dtype=bool).reshape(arr.shape)
    floats = np.asarray(np.frompyfunc(float, 1, 1)(arr), dtype=float).reshape(arr.shape)
    with np.errstate(all="ignore"):
        return floats.astype(dtype)


def mag(x) -> float:
    """``floor(log2(|x|)) + 1`` for a finite nonzero ``mpf``; ``-inf`` for zero."""
    _, man, exp, bc = x._mpf_
    return exp + bc if man else -math.inf


def close(x, y, bits: int) -> bool:
    """``x`` and ``y`` agree to ``bits`` bits (NaN agrees with NaN)."""
    if not isinstance(x, MPF) or not isinstance(y, MPF):
        return bool(x == y) if not (isinstance(x, MPF) or isinstance(y, MPF)) \
            else False
    if x == y or (mpmath.isnan(x) and mpmath.isnan(y)):
        return True
    if not (is_finite(x) and is_finite(y)):
        return False
    diff = abs(x - y)
    return bool(diff == 0 or mag(diff) <= max(mag(x), mag(y)) - bits)


def _cancelled(ctx, r, *operands) -> bool:
    """A sum of rounded values ``r`` that lost (nearly) all the working precision."""
    if not all(is_finite(v) for v in (r, *operands)):
        return False
    top = max(mag(v) for v in operands)
    return top != -math.inf and mag(r) < top - (ctx.prec - MARGIN)


def _vectorize(fn, nin: int) -> Any:
    return np.frompyfunc(fn, nin, 1)


def apply_scalar(ctx, name: str, triples: list[Triple]) -> Triple:
    """Apply the scalar op ``name`` element-wise to ``triples`` (broadcasting)."""
    fn = MP_SCALAR[name]
    vals = np.broadcast_arrays(*[obj(t[0]) for t in triples])
    exact_in = np.logical_and.reduce(np.broadcast_arrays(*[t[1] for t in triples]))
    bad = np.logical_or.reduce(np.broadcast_arrays(*[t[2] for t in triples]))
    out = obj(_vectorize(lambda *a: fn(ctx, *a), len(vals))(*vals))
    exact = np.array(exact_in, copy=True)
    if name == "switch":
        shape = out.shape
        cond = np.asarray(_vectorize(truth, 1)(vals[0]), bool).reshape(shape)
        ex = [np.broadcast_to(t[1], shape) for t in triples]
        bd = [np.broadcast_to(t[2], shape) for t in triples]
        return out, ex[0] & np.where(cond, ex[1], ex[2]), bd[0] | np.where(cond, bd[1], bd[2])
    if name not in EXACT_OPS and exact.any():
        check = _vectorize(lambda o, *a: result_is_exact(name, ctx, o, a), len(vals) + 1)
        exact &= np.asarray(check(out, *vals), bool).reshape(out.shape)
    if name in ("add", "sub") and not exact_in.all():
        lost = np.asarray(_vectorize(lambda r, a, b: _cancelled(ctx, r, a, b), 3)(out, *vals),
                          bool).reshape(out.shape)
        bad = bad | (lost & ~exact_in)
    if name in _COMPARISONS and not exact_in.all():
        def tie(a, b):
            return is_finite(a) and is_finite(b) and (
                a == b or _cancelled(ctx, difference(ctx, a, b), a, b))
        ties = np.asarray(_vectorize(tie, 2)(*vals), bool).reshape(out.shape)
        bad = bad | (ties & ~exact_in)
    return out, np.broadcast_to(exact, out.shape), np.broadcast_to(bad, out.shape)


def _elemwise(ctx, node, args: list[Triple]) -> Triple:
    scalar_op = node.op.scalar_op
    out_dtype = node.outputs[0].dtype
    float_out = np.dtype(out_dtype).kind == "f"
    if isinstance(scalar_op, Cast):
        arr, exact, bad = args[0]
        if float_out:
            # A cast to a float type rounds to it (correctly, to nearest).
            from aesara_cas.testing.ulps import round_mpf

            vals = to_mp(ctx, arr)
            conv = np.frompyfunc(lambda v: ctx.mpf(round_mpf(v, out_dtype)), 1, 1)
            out = obj(conv(vals))
            same = np.asarray(np.frompyfunc(lambda a, b: a == b, 2, 1)(out, vals), bool)
            return out, np.asarray(exact) & same.reshape(out.shape), bad
        if arr.dtype == object:
            return to_native(arr, out_dtype), np.ones(arr.shape, bool), bad
        return np.asarray(arr).astype(out_dtype), exact, bad
    if not float_out and all(a[0].dtype != object for a in args):
        (out,) = node.op.perform(node, [a[0] for a in args])
        bad = np.logical_or.reduce(np.broadcast_arrays(*[a[2] for a in args]))
        return out, np.ones(out.shape, bool), np.broadcast_to(bad, out.shape)
    mp_args = [(to_mp(ctx, a[0]), a[1], a[2]) for a in args]
    name = scalar_op.name
    result = apply_scalar(ctx, name, mp_args[:2] if scalar_op.nin == -1 else mp_args)
    if scalar_op.nin == -1:
        for extra in mp_args[2:]:
            result = apply_scalar(ctx, name, [result, extra])
    if not float_out:
        result = (to_native(result[0], out_dtype), result[1], result[2])
    return result


def _reduce_row(ctx, kind: str, row: list) -> tuple[Any, bool]:
    """One reduction of the mpf values ``row``; also whether it cancelled badly."""
    if kind in ("all", "any"):
        return (all if kind == "all" else any)(truth(v) for v in row), False
    if kind in ("max", "min"):
        if any(mpmath.isnan(v) for v in row):
            return ctx.nan, False
        return (max if kind == "max" else min)(row), False
    if kind == "prod":
        out = ctx.mpf(1)
        for v in row:
            out = MP_SCALAR["mul"](ctx, out, v)
        return out, False
    if kind == "logsumexp":
        if any(mpmath.isnan(v) for v in row):
            return ctx.nan, False
        if any(v == ctx.inf for v in row):
            return ctx.inf, False
        total = ctx.fsum(ctx.exp(v) for v in row)
        return (ctx.log(total) if total else ctx.ninf), False
    total = ctx.mpf(0)
    for v in row:
        total = MP_SCALAR["add"](ctx, total, v)
    lost = bool(row) and _cancelled(ctx, total, *row)
    if kind == "mean":
        total = MP_SCALAR["true_div"](ctx, total, ctx.mpf(len(row)))
    return total, lost


def _reduce(ctx, node, args: list[Triple]) -> Triple:
    op: Reduce = node.op
    arr, exact, bad = args[0]
    out_dtype = node.outputs[0].dtype
    ndim = arr.ndim
    axes = op.reduced_axes(ndim)
    red_exact = np.logical_and.reduce(exact, axis=axes, keepdims=op.keepdims) \
        if axes else np.array(exact)
    red_bad = np.logical_or.reduce(bad, axis=axes, keepdims=op.keepdims) if axes else np.array(bad)
    if arr.dtype != object and np.dtype(out_dtype).kind != "f":
        (out,) = op.perform(node, [arr])
        return out, np.ones(np.shape(out), bool), red_bad
    vals = to_mp(ctx, arr)
    moved = np.moveaxis(vals, axes, tuple(range(ndim - len(axes), ndim)))
    rest = moved.shape[: ndim - len(axes)]
    rows = moved.reshape(rest + (-1,))
    out = np.empty(rest, dtype=object)
    lost = np.zeros(rest, bool)
    for idx in np.ndindex(*rest):
        out[idx], lost[idx] = _reduce_row(ctx, op.kind, list(rows[idx]))
    exact_out = red_exact.reshape(rest) & (op.kind not in ("mean", "logsumexp"))
    lost &= ~red_exact.reshape(rest)
    if op.keepdims:
        shape = tuple(1 if i in axes else n for i, n in enumerate(arr.shape))
        out, lost, exact_out = out.reshape(shape), lost.reshape(shape), exact_out.reshape(shape)
    if np.dtype(out_dtype).kind != "f":
        out = to_native(out, out_dtype)
    return out, exact_out, red_bad | lost


def _product(ctx, node, args: list[Triple]) -> Triple:
    (a, a_ex, a_bad), (b, b_ex, b_bad) = args
    fn = np.dot if isinstance(node.op, Dot) else np.matmul
    out_dtype = node.outputs[0].dtype
    if np.dtype(out_dtype).kind != "f":
        (out,) = node.op.perform(node, [a, b])
        return out, np.ones(out.shape, bool), np.zeros(out.shape, bool)
    a, b = to_mp(ctx, a), to_mp(ctx, b)
    finite = np.frompyfunc(is_finite, 1, 1)
    if np.all(finite(a)) and np.all(finite(b)):
        # Exact rational arithmetic: products and sums of floats never round.
        frac = np.frompyfunc(to_fraction, 1, 1)
        raw = obj(fn(obj(frac(a)), obj(frac(b))))
        out = obj(np.frompyfunc(lambda q: from_fraction(ctx, q), 1, 1)(raw))
    else:
        out = obj(fn(a, b))
        out = obj(np.frompyfunc(lambda v: v if isinstance(v, MPF) else ctx.mpf(v),
                                1, 1)(out))
    exact = np.full(out.shape, bool(a_ex.all() and b_ex.all()))
    bad = np.full(out.shape, bool(a_bad.any() or b_bad.any()))
    return out, exact, bad


def _same_layout(node, args: list[Triple]) -> list[Triple]:
    """Ops that only move elements: apply them to the values and both masks alike."""
    x, exact, bad = args[0]
    rest = [a[0] for a in args[1:]]
    outs = []
    for arr in (x, np.broadcast_to(exact, np.shape(x)), np.broadcast_to(bad, np.shape(x))):
        (res,) = node.op.perform(node, [arr, *rest])
        outs.append(obj(res) if arr.dtype == object else np.asarray(res))
    return [tuple(outs)]


def _inc_subtensor(ctx, node, args: list[Triple]) -> list[Triple]:
    op: IncSubtensor = node.op
    (x, x_ex, x_bad), y, *sym = args
    idx = build_index(op.idx_list, [s[0] for s in sym])
    float_out = np.dtype(node.outputs[0].dtype).kind == "f"
    if float_out:
        x, y = (to_mp(ctx, x), x_ex, x_bad), (to_mp(ctx, y[0]), y[1], y[2])
    else:
        x = (x, x_ex, x_bad)
    region = tuple(np.asarray(part)[idx] for part in x)
    if op.set_instead_of_inc:
        new = y
    elif float_out:
        new = apply_scalar(ctx, "add", [region, y])
    else:
        new = (region[0] + y[0], region[1], region[2] | y[2])
    out = tuple(np.array(part, copy=True) for part in x)
    for part, val in zip(out, new):
        part[idx] = val
    return [out]


def evaluate_node(ctx, node, args: list[Triple]) -> list[Triple]:
    """The outputs of ``node`` (as triples) from its inputs' triples."""
    op = node.op
    if isinstance(op, Elemwise):
        return [_elemwise(ctx, node, args)]
    if isinstance(op, Reduce):
        return [_reduce(ctx, node, args)]
    if isinstance(op, (Dot, MatMul)):
        return [_product(ctx, node, args)]
    if isinstance(op, (DimShuffle, Reshape, Subtensor)):
        return _same_layout(node, args)
    if isinstance(op, IncSubtensor):
        return _inc_subtensor(ctx, node, args)
    float_out = np.dtype(node.outputs[0].dtype).kind == "f"
    if isinstance(op, Shape):
        (out,) = op.perform(node, [args[0][0]])
        return [(out, np.ones(out.shape, bool), np.zeros(out.shape, bool))]
    if isinstance(op, Join) and float_out:
        parts = [(to_mp(ctx, a[0]), a[1], a[2]) for a in args]
        return [tuple(np.concatenate([p[k] for p in parts], axis=op.axis) for k in range(3))]
    if isinstance(op, Alloc):
        value, *dims = args
        shape = tuple(int(d[0]) for d in dims)
        val = to_mp(ctx, value[0]) if float_out else value[0]
        return [tuple(np.array(np.broadcast_to(p, shape)) for p in (val, value[1], value[2]))]
    if isinstance(op, MakeVector) and float_out:
        return [tuple(np.array([np.asarray(a[k])[()] for a in args], dtype=dt)
                      for k, dt in ((0, object), (1, bool), (2, bool)))]
    if not float_out and all(a[0].dtype != object for a in args):
        outs = op.perform(node, [a[0] for a in args])
        bad = any(bool(a[2].any()) for a in args)
        return [(np.asarray(o), np.ones(np.shape(o), bool), np.full(np.shape(o), bad))
                for o in outs]
    raise NotImplementedError(f"reference_eval has no high-precision rule for the op {op}")
