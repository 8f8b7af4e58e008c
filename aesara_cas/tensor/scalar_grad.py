"""Derivatives of the scalar ops, and the element-wise vector-Jacobian/Jacobian-vector products.

``DERIVATIVES[name](xs, y, seed, i)`` builds ``seed * d y / d xs[i]`` element-wise,
where ``xs`` are the inputs of an element-wise node, ``y`` its output and
``seed`` the incoming gradient (reverse mode) or the tangent of ``xs[i]``
(forward mode).  An element-wise Jacobian is diagonal, so the same product
serves both directions.  An entry returns ``None`` for a zero derivative.

Conventions at points where a function is not differentiable (they follow JAX):

- ``abs'(0) = 0`` (``sign(0)``); ``sign``, ``floor``, ``ceil``, ``int_div``,
  comparisons, ``isnan``/``isinf`` and bitwise ops have zero derivative.
- ``maximum``/``minimum``: on a tie each argument gets half the gradient.
- ``clip(x, lo, hi)``: ``x`` gets the gradient where ``lo <= x <= hi``, ``lo``
  where ``x < lo``, ``hi`` where ``x > hi`` (exactly one of them everywhere).
- ``pow``: ``d(x**y)/dx = 0`` where ``y == 0``, and ``d(x**y)/dy = 0`` where ``x == 0``.
- ``sqrt'(0)``, ``cbrt'(0)``, ``log'(0)`` are ``inf``; ``hypot`` at ``(0, 0)`` gives ``nan``.
- ``switch``: the gradient is routed to the branch that was selected.

The stable functions have stable derivatives: ``softplus' = sigmoid``,
``sigmoid' = sigmoid(x) * sigmoid(-x)``, ``log1mexp'(x) = -1 / expm1(-x)``.
The gamma family differentiates into itself: ``gammaln' = digamma``,
``digamma' = polygamma(1, .)``, ``polygamma(n, .)' = polygamma(n + 1, .)``;
``xlogy(x, y)`` has both derivatives 0 where ``x == 0`` (the function is 0 there).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.grad_ops import (
    BroadcastLike,
    broadcast_like,
    fit,
    is_float,
    mul,
    same_shape_input,
    shape_ref,
    sum_to_like,
)
from aesara_cas.tensor.scalar import Cast
from aesara_cas.tensor.variable import TensorConstant, constant

#: ``name -> fn(xs, y, seed, i) -> seed * dy/dxs[i]`` (``None`` for zero).
DERIVATIVES: dict[str, Callable] = {}

ZERO_DERIVATIVE = frozenset({
    "int_div", "floor", "ceil", "sign", "lt", "le", "gt", "ge", "eq", "neq",
    "and_", "or_", "invert", "isnan", "isinf",
})


def _register(*names: str):
    def deco(fn):
        for n in names:
            DERIVATIVES[n] = fn
        return fn
    return deco


def _const(value: float, like: Variable) -> TensorConstant:
    """A scalar constant of ``like``'s floating dtype."""
    dtype = like.dtype if is_float(like) else "float64"
    return constant(value, dtype=dtype)


def _fold(var: Variable, fn: Callable) -> Variable | None:
    """``fn(var.data)`` as a constant when ``var`` is a constant."""
    if isinstance(var, TensorConstant):
        with np.errstate(all="ignore"):
            value = np.asarray(fn(np.asarray(var.data)), dtype=var.dtype)
        return constant(value)
    return None


for _n in ZERO_DERIVATIVE:
    DERIVATIVES[_n] = lambda xs, y, g, i: None


@_register("add")
def _add(xs, y, g, i):
    return g


@_register("sub")
def _sub(xs, y, g, i):
    return g if i == 0 else E.neg(g)


@_register("mul")
def _mul(xs, y, g, i):
    return mul(g, *[x for j, x in enumerate(xs) if j != i])


@_register("true_div")
def _true_div(xs, y, g, i):
    if i == 0:
        return E.true_div(g, xs[1])
    return E.neg(E.true_div(mul(g, y), xs[1]))


@_register("mod")
def _mod(xs, y, g, i):
    # x % y == x - y * floor(x / y)
    return g if i == 0 else E.neg(mul(g, E.int_div(xs[0], xs[1])))


@_register("pow")
def _pow(xs, y, g, i):
    base, expo = xs
    if i == 0:
        if isinstance(expo, TensorConstant):
            data = np.asarray(expo.data)
            if np.all(data == 0):
                return None
            if np.all(data == 1):
                return g
            if np.all(data == 2):
                return mul(g, E.mul(2, base))
            if not np.any(data == 0):
                return mul(g, expo, E.pow(base, _fold(expo, lambda v: v - 1)))
        d = E.mul(expo, E.pow(base, E.sub(expo, 1)))
        return mul(g, E.switch(E.eq(expo, 0), 0, d))
    if isinstance(base, TensorConstant) and np.all(np.asarray(base.data) > 0):
        return mul(g, y, _fold(base, np.log))
    safe = E.switch(E.eq(base, 0), 1, base)
    return mul(g, y, E.log(safe))


@_register("neg")
def _neg(xs, y, g, i):
    return E.neg(g)


@_register("abs")
def _abs(xs, y, g, i):
    return mul(g, E.sign(xs[0]))


@_register("exp")
def _exp(xs, y, g, i):
    return mul(g, y)


@_register("exp2")
def _exp2(xs, y, g, i):
    return mul(g, y, _const(math.log(2.0), y))


@_register("expm1")
def _expm1(xs, y, g, i):
    return mul(g, E.add(y, 1))


@_register("log")
def _log(xs, y, g, i):
    return E.true_div(g, xs[0])


@_register("log2")
def _log2(xs, y, g, i):
    return E.true_div(g, E.mul(xs[0], _const(math.log(2.0), y)))


@_register("log10")
def _log10(xs, y, g, i):
    return E.true_div(g, E.mul(xs[0], _const(math.log(10.0), y)))


@_register("log1p")
def _log1p(xs, y, g, i):
    return E.true_div(g, E.add(xs[0], 1))


@_register("sqrt")
def _sqrt(xs, y, g, i):
    return E.true_div(mul(g, 0.5), y)


@_register("cbrt")
def _cbrt(xs, y, g, i):
    # d/dx x**(1/3) = 1 / (3 cbrt(x)**2): inf at 0, as sqrt'(0) (and JAX's cbrt) give
    return E.true_div(g, E.mul(3, E.sqr(y)))


@_register("sqr")
def _sqr(xs, y, g, i):
    return mul(g, E.mul(2, xs[0]))


@_register("sin")
def _sin(xs, y, g, i):
    return mul(g, E.cos(xs[0]))


@_register("cos")
def _cos(xs, y, g, i):
    return E.neg(mul(g, E.sin(xs[0])))


@_register("tan")
def _tan(xs, y, g, i):
    return mul(g, E.add(1, E.sqr(y)))


@_register("arcsin")
def _arcsin(xs, y, g, i):
    return E.true_div(g, E.sqrt(E.sub(1, E.sqr(xs[0]))))


@_register("arccos")
def _arccos(xs, y, g, i):
    return E.neg(E.true_div(g, E.sqrt(E.sub(1, E.sqr(xs[0])))))


@_register("arctan")
def _arctan(xs, y, g, i):
    return E.true_div(g, E.add(1, E.sqr(xs[0])))


@_register("arctan2")
def _arctan2(xs, y, g, i):
    a, b = xs
    denom = E.add(E.sqr(a), E.sqr(b))
    if i == 0:
        return E.true_div(mul(g, b), denom)
    return E.neg(E.true_div(mul(g, a), denom))


@_register("hypot")
def _hypot(xs, y, g, i):
    return E.true_div(mul(g, xs[i]), y)


@_register("sinh")
def _sinh(xs, y, g, i):
    return mul(g, E.cosh(xs[0]))


@_register("cosh")
def _cosh(xs, y, g, i):
    return mul(g, E.sinh(xs[0]))


@_register("tanh")
def _tanh(xs, y, g, i):
    return mul(g, E.sub(1, E.sqr(y)))


@_register("arcsinh")
def _arcsinh(xs, y, g, i):
    return E.true_div(g, E.sqrt(E.add(E.sqr(xs[0]), 1)))


@_register("arccosh")
def _arccosh(xs, y, g, i):
    return E.true_div(g, E.sqrt(E.sub(E.sqr(xs[0]), 1)))


@_register("arctanh")
def _arctanh(xs, y, g, i):
    return E.true_div(g, E.sub(1, E.sqr(xs[0])))


@_register("sigmoid")
def _sigmoid(xs, y, g, i):
    # s(x) * s(-x) rather than s * (1 - s): no cancellation for large x.
    return mul(g, E.mul(y, E.sigmoid(E.neg(xs[0]))))


@_register("softplus")
def _softplus(xs, y, g, i):
    return mul(g, E.sigmoid(xs[0]))


@_register("log1mexp")
def _log1mexp(xs, y, g, i):
    # d/dx log(1 - exp(x)) = -exp(x) / (1 - exp(x)) = -1 / expm1(-x): exact near 0.
    return E.neg(E.true_div(g, E.expm1(E.neg(xs[0]))))


@_register("erf")
def _erf(xs, y, g, i):
    c = _const(2.0 / math.sqrt(math.pi), y)
    return mul(g, E.mul(c, E.exp(E.neg(E.sqr(xs[0])))))


@_register("erfc")
def _erfc(xs, y, g, i):
    c = _const(-2.0 / math.sqrt(math.pi), y)
    return mul(g, E.mul(c, E.exp(E.neg(E.sqr(xs[0])))))


@_register("erfcx")
def _erfcx(xs, y, g, i):
    # d/dx exp(x**2) erfc(x) = 2 x erfcx(x) - 2 / sqrt(pi)
    c = _const(2.0 / math.sqrt(math.pi), y)
    return mul(g, E.sub(E.mul(E.mul(2, xs[0]), y), c))


@_register("gamma")
def _gamma(xs, y, g, i):
    return mul(g, E.mul(y, E.digamma(xs[0])))


@_register("gammaln")
def _gammaln(xs, y, g, i):
    return mul(g, E.digamma(xs[0]))


@_register("digamma")
def _digamma(xs, y, g, i):
    return mul(g, E.polygamma(constant(1, dtype="int64"), xs[0]))


@_register("polygamma")
def _polygamma(xs, y, g, i):
    if i == 0:
        return None  # the order is an integer
    n, x = xs
    return mul(g, E.polygamma(E.add(n, 1), x))


@_register("xlogy")
def _xlogy(xs, y, g, i):
    a, b = xs
    # xlogy(0, y) is 0 for every y: both derivatives are 0 where a == 0 (so log(0) and
    # 0 / 0 never reach the result).
    d = E.log(b) if i == 0 else E.true_div(a, b)
    return E.switch(E.eq(a, 0), 0, mul(g, d))


def _chooser(strict):
    def deriv(xs, y, g, i):
        mine, other = xs[i], xs[1 - i]
        tie = E.switch(E.eq(mine, other), mul(g, 0.5), 0)
        return E.switch(strict(mine, other), g, tie)
    return deriv


DERIVATIVES["maximum"] = _chooser(E.gt)
DERIVATIVES["minimum"] = _chooser(E.lt)


@_register("switch")
def _switch(xs, y, g, i):
    if i == 0:
        return None
    return E.switch(xs[0], g, 0) if i == 1 else E.switch(xs[0], 0, g)


@_register("clip")
def _clip(xs, y, g, i):
    x, lo, hi = xs
    if i == 0:
        return E.switch(E.and_(E.ge(x, lo), E.le(x, hi)), g, 0)
    if i == 1:
        return E.switch(E.and_(E.lt(x, lo), E.le(lo, hi)), g, 0)
    return E.switch(E.or_(E.gt(x, hi), E.gt(lo, hi)), g, 0)


def _derivative(op, xs: list, y: Variable, seed: Variable, i: int) -> Variable | None:
    sop = op.scalar_op
    if isinstance(sop, Cast):
        return seed
    fn = DERIVATIVES.get(sop.name)
    if fn is None:
        raise NotImplementedError(f"the element-wise op {sop.name!r} has no derivative defined")
    return fn(xs, y, seed, i)


def _unbroadcast(c: Variable, node: Apply, i: int) -> Variable:
    """Sum the contribution ``c`` (shaped like the output) down to input ``i``'s shape."""
    from aesara_cas.tensor.reduction import Reduce

    x = node.inputs[i]
    out = node.outputs[0]
    lead = out.ndim - x.ndim
    if lead > 0 and c.ndim == out.ndim:
        c = Reduce("sum", tuple(range(lead)), False)(c)
    if c.ndim > x.ndim:
        return fit(c, x)
    static_axes = []
    dynamic = False
    for k, xs in enumerate(x.type.shape):
        cs = c.type.shape[k]
        if xs == 1:
            if cs != 1:
                static_axes.append(k)
        elif xs is None and cs != 1:
            # x may be broadcast here at run time unless every other input is 1 there.
            for j, other in enumerate(node.inputs):
                if j == i:
                    continue
                kk = k - (x.ndim - other.ndim)
                if kk >= 0 and other.type.shape[kk] != 1:
                    dynamic = True
                    break
    if dynamic:
        return fit(sum_to_like(c, x), x)
    if static_axes:
        c = Reduce("sum", tuple(static_axes), True)(c)
    return fit(c, x)


def elemwise_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    """Vector-Jacobian product of an element-wise node (gradient of each input)."""
    (gz,) = output_grads
    (y,) = outputs
    if gz is None or not is_float(y):
        return [None] * len(inputs)
    fill = _filled_scalar(gz, node)
    grads = []
    for i, x in enumerate(inputs):
        # Constants never need a gradient; skipping them keeps the work proportional
        # to the variables that do.
        if not is_float(x) or isinstance(x, Constant):
            grads.append(None)
            continue
        if fill is not None and x.type.shape == y.type.shape:
            c = _derivative(op, inputs, y, fill, i)
            # Element-wise expressions commute with broadcasting: with the scalar in
            # place of the broadcast gradient the result is the same wherever it has
            # the full shape, which its static shape shows (see _filled_scalar); a
            # term of only length-1 dimensions is the same everywhere.
            if c is None:
                grads.append(None)
                continue
            if c.type.shape == x.type.shape:
                grads.append(fit(c, x))
                continue
            if all(s == 1 for s in c.type.shape):
                grads.append(fit(broadcast_like(c, x), x))
                continue
        c = _derivative(op, inputs, y, gz, i)
        grads.append(None if c is None else _unbroadcast(c, node, i))
    return grads


def _filled_scalar(gz: Variable, node: Apply) -> Variable | None:
    """The scalar ``c`` when ``gz`` is ``c`` broadcast to the output and the node's
    other inputs are length-1 constants.

    Then every variable in a derivative term is ``c``, the input, the output or a
    scalar constant, so a term whose static shape is the output's has its run-time
    shape too (only the input and the output can give it that shape).
    """
    owner = gz.owner
    if owner is None or not isinstance(owner.op, BroadcastLike) or owner.inputs[0].ndim:
        return None
    if same_shape_input(node) is None:
        return None
    variables = [i for i in node.inputs if not isinstance(i, Constant)]
    if len(variables) != 1 or any(
        not all(s == 1 for s in i.type.shape) for i in node.inputs if i is not variables[0]
    ):
        return None
    return owner.inputs[0]


def elemwise_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    """Jacobian-vector product of an element-wise node (the output's tangent)."""
    y = node.outputs[0]
    if not is_float(y):
        return [None]
    terms = []
    silent = []
    for i, (x, t) in enumerate(zip(inputs, eval_points)):
        term = None
        if t is not None and is_float(x):
            term = _derivative(op, inputs, y, t, i)
        if term is None:
            silent.append(x)
        else:
            terms.append(term)
    if not terms:
        return [None]
    out = terms[0] if len(terms) == 1 else E.add(*terms)
    # Each term is at least as large as its tangent; inputs without one may
    # still widen the output, in which case the tangent is broadcast to it.
    if any(not all(s == 1 for s in x.type.shape) for x in silent) or out.ndim < y.ndim:
        out = broadcast_like(out, shape_ref(y))
    return [fit(out, y)]
