"""``verify_grad``: check a symbolic gradient against central finite differences.

Meant for people writing their own ops (an ``L_op`` is easy to get subtly
wrong) and for the library's own tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["GradientError", "verify_grad"]

#: Default (step, absolute tolerance, relative tolerance) by dtype.
_DEFAULTS = {"float64": (1e-6, 1e-4, 1e-4), "float32": (1e-3, 1e-2, 1e-2),
             "float16": (1e-1, 5e-2, 5e-2)}


class GradientError(AssertionError):
    """A symbolic gradient disagrees with finite differences (or has the wrong type)."""


def _numeric_gradient(
    cost_fn: Callable, arrays: list[np.ndarray], k: int, eps: float
) -> np.ndarray:
    """Central differences of ``cost_fn`` with respect to ``arrays[k]``, one element at a time."""
    base = arrays[k]
    out = np.empty(base.shape, dtype="float64")
    # C order: reshape(-1) of a Fortran-ordered or strided array is a copy, and the
    # steps written into it would never reach the function (a zero gradient).
    work = np.array(base, copy=True, order="C")
    flat_work = work.reshape(-1)
    flat_out = out.reshape(-1)
    args = list(arrays)
    args[k] = work
    for j in range(work.size):
        orig = flat_work[j]
        flat_work[j] = orig + eps
        plus = float(cost_fn(*args))
        flat_work[j] = orig - eps
        minus = float(cost_fn(*args))
        flat_work[j] = orig
        # The step actually taken after rounding to the input's dtype.
        step = float(np.asarray(orig + eps, dtype=work.dtype)) - float(
            np.asarray(orig - eps, dtype=work.dtype)
        )
        flat_out[j] = (plus - minus) / step
    return out


def verify_grad(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    rng: Any = None,
    eps: float | None = None,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
    mode: str | None = "numpy",
    static_shapes: bool = False,
    simplify: bool = True,
) -> None:
    """Raise :class:`GradientError` unless ``grad`` of ``fn`` matches finite differences.

    Parameters
    ----------
    fn
        Builds an expression from symbolic inputs: ``fn(x, y) -> expression``.  A
        non-scalar expression is reduced to a scalar with a fixed random
        projection, ``sum(expression * R)``, so every output element is checked.
    inputs
        One floating-point NumPy array per argument of ``fn``: the point at which
        the gradient is checked (any memory layout: C-ordered copies are used).
    rng
        Seed or ``numpy.random.Generator`` for the projection.
    eps
        Finite-difference step (default: 1e-6 for float64, 1e-3 for float32).
    abs_tol, rel_tol
        An element fails when both its absolute and its relative difference exceed
        these (default: 1e-4 for float64, 1e-2 for float32).
    mode
        Compilation mode of the functions evaluated (``"numpy"`` by default).
    static_shapes
        Give the symbolic inputs the arrays' shapes as static shapes (default: every
        length unknown, so run-time broadcasting is exercised).
    simplify
        Passed to :func:`aesara_cas.grad`.
    """
    from aesara_cas.compile.function import function
    from aesara_cas.gradient import grad
    from aesara_cas.tensor.reduction import sum as at_sum
    from aesara_cas.tensor.variable import as_tensor_variable, constant, tensor

    if callable(inputs) or not isinstance(inputs, (list, tuple)):
        raise TypeError("verify_grad(fn, inputs): inputs must be a list of NumPy arrays")
    arrays = []
    for k, value in enumerate(inputs):
        arr = np.array(value, copy=True, order="C")  # any layout: a C-ordered copy
        if arr.dtype.kind != "f":
            raise TypeError(
                f"verify_grad: inputs[{k}] must be a floating-point array, got dtype {arr.dtype}"
            )
        arrays.append(arr)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    sym = [
        tensor(a.dtype, a.shape if static_shapes else (None,) * a.ndim, name=f"input{k}")
        for k, a in enumerate(arrays)
    ]
    out = as_tensor_variable(fn(*sym))
    if out.dtype[0] != "f":
        raise TypeError(f"verify_grad: fn must return a floating-point expression, got {out.type}")
    if out.ndim == 0:
        cost = out
    else:
        value = function(sym, out, mode=mode)(*arrays)
        proj = rng.uniform(0.5, 1.5, size=value.shape).astype(out.dtype)
        cost = at_sum(out * constant(proj))
    grads = grad(cost, sym, disconnected_inputs="ignore", simplify=simplify)
    for k, (g, s) in enumerate(zip(grads, sym)):
        if g.type != s.type:
            raise GradientError(
                f"verify_grad: the gradient of inputs[{k}] has type {g.type}, expected {s.type}"
            )
    cost_fn = function(sym, cost, mode=mode)
    analytic = function(sym, grads, mode=mode)(*arrays)
    for k, (arr, a) in enumerate(zip(arrays, analytic)):
        d_eps, d_abs, d_rel = _DEFAULTS.get(arr.dtype.name, _DEFAULTS["float64"])
        numeric = _numeric_gradient(cost_fn, arrays, k, eps or d_eps)
        a = np.asarray(a, dtype="float64")
        if a.shape != numeric.shape:
            raise GradientError(
                f"verify_grad: the gradient of inputs[{k}] has shape {a.shape}, "
                f"expected {numeric.shape}"
            )
        abs_err = np.abs(a - numeric)
        with np.errstate(all="ignore"):
            rel_err = abs_err / np.maximum(np.abs(a) + np.abs(numeric), 1e-8)
        both_nan = np.isnan(a) & np.isnan(numeric)
        bad = ~both_nan & ~(
            (abs_err <= (abs_tol or d_abs)) | (rel_err <= (rel_tol or d_rel))
        )
        if bad.any():
            where = np.unravel_index(int(np.argmax(np.where(bad, abs_err, -1))), a.shape)
            raise GradientError(
                f"verify_grad: the gradient of inputs[{k}] disagrees with central finite "
                f"differences: max abs difference {np.nanmax(abs_err):.3g}, max rel "
                f"difference {np.nanmax(rel_err):.3g} (tolerances {abs_tol or d_abs:g} / "
                f"{rel_tol or d_rel:g}); worst at index {tuple(int(i) for i in where)}: "
                f"symbolic {a[where]!r}, numeric {numeric[where]!r}"
            )
