"""``softmax``, ``log_softmax``, ``logaddexp``, ``logdiffexp`` and the moments ``var``/``std``.

All are built from existing ops, in their numerically stable forms, so their
derivatives, printing, rewriting and compiled kernels come for free:

- ``softmax`` and ``log_softmax`` are SciPy's: with ``m = max(x)``,
  ``e = exp(x - m); e / sum(e)`` and ``(x - m) - logsumexp(x - m)``.  Neither
  overflows, and ``x - m`` is exact near the max, so the largest probabilities (and
  their logs) are accurate to a few ulps; ``x - logsumexp(x)`` would cancel, an error
  of ~``|logsumexp(x)| 2**-53`` in every result.  ``log(softmax(x))`` simplifies to
  ``log_softmax(x)``'s form (``rules/special.py``);
- ``var`` subtracts the mean before squaring (two passes, as NumPy does), not
  ``mean(x**2) - mean(x)**2``, which cancels.

The element-wise special functions (``gammaln``, ``digamma``, ``erfcx``, ``xlogy``,
...) are element-wise ops; they are re-exported here for ``at.special``-style use.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Variable
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.elemwise import (  # noqa: F401  (re-exported)
    digamma,
    erfcx,
    gamma,
    gammaln,
    log1pexp,
    polygamma,
    xlogy,
)
from aesara_cas.tensor.reduction import Reduce, normalize_axis
from aesara_cas.tensor.variable import as_tensor_variable, constant


def _as_float(x: Any, what: str) -> Variable:
    """``x`` as a variable of a floating dtype (integers and bools as float64)."""
    x = as_tensor_variable(x)
    kind = np.dtype(x.dtype).kind
    if kind == "f":
        return x
    if kind in "biu":
        return E.cast(x, "float64")
    raise TypeError(f"{what}: expected a real array, got dtype {x.dtype}")


def _axis(axis: Any, ndim: int, what: str) -> tuple[int, ...] | None:
    try:
        return normalize_axis(axis, ndim)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{what}: {err}") from None


def _shifted(x: Variable, axis: tuple[int, ...] | None) -> Variable:
    """``x - max(x, axis)``: at most 0, exactly 0 at the max."""
    return E.sub(x, Reduce("max", axis, True)(x))


def softmax(x: Any, axis: Any = None) -> Variable:
    """``scipy.special.softmax(x, axis)``: ``exp(x) / sum(exp(x), axis)``, computed as
    SciPy does, ``e = exp(x - max(x, axis)); e / sum(e, axis)`` (no overflow; the largest
    probabilities accurate to a few ulps).  ``axis=None``: over all elements."""
    x = _as_float(x, "softmax")
    axes = _axis(axis, x.ndim, "softmax")
    e = E.exp(_shifted(x, axes))
    return E.true_div(e, Reduce("sum", axes, True)(e))


def log_softmax(x: Any, axis: Any = None) -> Variable:
    """``scipy.special.log_softmax(x, axis)``: ``x - logsumexp(x, axis)``, computed as
    ``t - logsumexp(t, axis)`` with ``t = x - max(x, axis)`` (exact near the max, where
    ``x - logsumexp(x)`` cancels).  Unlike SciPy, a slice holding ``+inf`` is NaN
    throughout (SciPy gives ``-inf`` at its finite entries)."""
    x = _as_float(x, "log_softmax")
    axes = _axis(axis, x.ndim, "log_softmax")
    t = _shifted(x, axes)
    return E.sub(t, Reduce("logsumexp", axes, True)(t))


def logaddexp(a: Any, b: Any) -> Variable:
    """``np.logaddexp(a, b)``: ``log(exp(a) + exp(b))`` without overflow or underflow,
    as ``max(a, b) + softplus(-|a - b|)`` (``a + log(2)`` where ``a == b``, so equal
    infinities give that infinity).  Built from element-wise ops: gradients and
    compiled kernels come with them."""
    a, b = _as_float(a, "logaddexp"), _as_float(b, "logaddexp")
    ln2 = constant(math.log(2.0), dtype=E.add(a, b).dtype)
    spread = E.add(E.maximum(a, b), E.softplus(E.neg(E.abs(E.sub(a, b)))))
    return E.switch(E.eq(a, b), E.add(a, ln2), spread)


def logdiffexp(a: Any, b: Any) -> Variable:
    """``log(exp(a) - exp(b))`` for ``a >= b``, as ``a + log1mexp(b - a)``: accurate
    when ``b`` is close to ``a`` (where ``exp(a) - exp(b)`` cancels) and when ``exp``
    would overflow.  ``-inf`` where ``a == b``, NaN where ``a < b``."""
    a, b = _as_float(a, "logdiffexp"), _as_float(b, "logdiffexp")
    return E.add(a, E.log1mexp(E.sub(b, a)))


def _count(x: Variable, axes: tuple[int, ...] | None) -> Variable:
    """How many elements each output of a reduction over ``axes`` combines, as a scalar
    of ``x``'s dtype (known when the graph is built if the lengths are)."""
    from aesara_cas.tensor.shape import shape

    axes = tuple(range(x.ndim)) if axes is None else axes
    lengths = [x.type.shape[a] for a in axes]
    if all(n is not None for n in lengths):
        return constant(float(math.prod(lengths)), dtype=x.dtype)
    shp = shape(x)
    n = constant(1, dtype="int64")
    for a in axes:
        n = E.mul(n, shp[a])
    return E.cast(n, x.dtype)


def var(x: Any, axis: Any = None, ddof: int | float = 0, keepdims: bool = False) -> Variable:
    """``np.var(x, axis, ddof=ddof, keepdims=keepdims)``: ``sum((x - mean)**2) / (n - ddof)``.

    Integers are computed in float64.  With ``n - ddof <= 0`` the result is ``nan`` (or
    ``inf``), as NumPy's (without its warning).
    """
    if isinstance(ddof, bool) or not isinstance(ddof, (int, float, np.integer, np.floating)):
        raise TypeError(f"var: ddof must be a number, got {ddof!r}")
    x = _as_float(x, "var")
    axes = _axis(axis, x.ndim, "var")
    centred = E.sub(x, Reduce("mean", axes, True)(x))
    total = Reduce("sum", axes, bool(keepdims))(E.sqr(centred))
    n = _count(x, axes)
    if ddof:
        # NumPy divides by max(n - ddof, 0): too few elements give nan (or inf), never
        # a negative variance.
        n = E.maximum(E.sub(n, constant(ddof, dtype=x.dtype)), constant(0, dtype=x.dtype))
    return E.true_div(total, n)


def std(x: Any, axis: Any = None, ddof: int | float = 0, keepdims: bool = False) -> Variable:
    """``np.std(x, axis, ddof=ddof, keepdims=keepdims)``: ``sqrt(var(...))``."""
    return E.sqrt(var(x, axis=axis, ddof=ddof, keepdims=keepdims))
