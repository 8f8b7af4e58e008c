"""A high-precision reference evaluator for graphs, built on mpmath.

``reference_eval(outputs, {x: values})`` computes what a graph means
mathematically, element by element, with NumPy's broadcasting and edge
conventions, and with enough precision that the result is right to well beyond
float64.  It is the ground truth for accuracy measurements and for tests that
check rewrites never change results.

How precision is chosen (when ``dps`` is not fixed): at each precision the
graph is evaluated twice, once with every rounded operation rounding up and
once rounding down; an element is resolved when the two agree to 64 bits and
no step was flagged unreliable.  Otherwise the precision doubles.  Rounding
errors that a cancellation or an ill-conditioned function (``log`` near 1,
``arccos`` near 1, ``sin`` near a multiple of pi, ...) amplifies push the two
evaluations apart, so they cannot agree by accident the way two evaluations
rounded to nearest at different precisions can (both cancelling to exactly 0).
Addition, subtraction and multiplication are exact, so cancellation between
inputs costs nothing; a sum or comparison of rounded values that cancels to
within the working precision is also flagged directly.  Elements still
unresolved at ``max_dps`` are returned with the best value found and reported
by ``return_resolved=True``.

Non-float values (ints, bools, shapes, indices) are computed with NumPy itself.
Every float operation is exact (or nearly so); the only roundings modelled are
explicit casts: a cast to a float type rounds correctly to it, a cast to an
integer truncates toward zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import mpmath
import numpy as np

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.graph.traversal import toposort
from aesara_cas.tensor.elemwise import Elemwise
from aesara_cas.testing import mp_ops

#: Bits two successive evaluations must agree to for an element to count as resolved.
AGREE_BITS = 64
START_DPS = 40


def _is_float(dtype: Any) -> bool:
    return np.dtype(dtype).kind == "f"


def _as_outputs(outputs: Any) -> tuple[list[Variable], bool]:
    single = isinstance(outputs, Variable)
    outs = [outputs] if single else list(outputs)
    for i, o in enumerate(outs):
        if not isinstance(o, Variable):
            raise TypeError(f"reference_eval: output {i} must be a symbolic variable, got {o!r}")
        if np.dtype(o.dtype).kind == "c":
            raise TypeError(f"reference_eval: complex output {o!r} is not supported")
    return outs, single


def _check_inputs(inputs: Mapping, outs: list[Variable]) -> dict[Variable, np.ndarray]:
    if not isinstance(inputs, Mapping):
        raise TypeError("reference_eval: inputs must be a dict {variable: value}")
    values: dict[Variable, np.ndarray] = {}
    for var, value in inputs.items():
        if not isinstance(var, Variable):
            raise TypeError(f"reference_eval: input keys must be variables, got {var!r}")
        label = f"input {var!r}"
        values[var] = np.asarray(var.type.filter(value, label))
    for node in toposort(outs, values):
        for inp in node.inputs:
            if inp.owner is None and not isinstance(inp, Constant) and inp not in values:
                if hasattr(inp, "get_value"):
                    values[inp] = np.asarray(inp.get_value())
                else:
                    raise ValueError(f"reference_eval: no value given for input {inp!r}")
    for o in outs:
        if o.owner is None and not isinstance(o, Constant) and o not in values:
            raise ValueError(f"reference_eval: no value given for input {o!r}")
    return values


class _Evaluation:
    """One evaluation of a graph at a fixed precision.

    Every variable gets a triple ``(array, exact, bad)``: float values as object
    arrays of ``mpf``, others as NumPy arrays; ``exact`` and ``bad`` are boolean
    arrays of the same shape (value known exactly / not trustworthy at this
    precision).
    """

    def __init__(self, prec: int, rounding: str = "n"):
        self.ctx = mpmath.MPContext()
        self.ctx.prec = prec
        # mpmath has no public setter for the rounding direction of its functions.
        self.ctx._prec_rounding[1] = rounding
        self.env: dict[Variable, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def leaf(self, var: Variable, value: np.ndarray) -> None:
        arr = np.asarray(value)
        if _is_float(arr.dtype):
            arr = mp_ops.to_mp(self.ctx, arr)
        self.env[var] = (arr, np.ones(arr.shape, bool), np.zeros(arr.shape, bool))

    def get(self, var: Variable):
        if var not in self.env:
            if not isinstance(var, Constant):
                raise ValueError(f"reference_eval: no value for {var!r}")
            self.leaf(var, var.data)
        return self.env[var]

    def run(self, outs: list[Variable], values: Mapping[Variable, np.ndarray]):
        # NumPy's FP flags mean nothing here (NaN/inf are values like any other).
        with np.errstate(all="ignore"):
            for var, value in values.items():
                self.leaf(var, value)
            for node in toposort(outs, list(values)):
                args = [self.get(i) for i in node.inputs]
                results = mp_ops.evaluate_node(self.ctx, node, args)
                for out, res in zip(node.outputs, results):
                    self.env[out] = res
            return [self.get(o) for o in outs]


def _agree(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise: do two evaluations of one output agree to ``AGREE_BITS``?"""
    if a.dtype != object:
        return np.asarray(a == b) | (np.asarray(a != a) & np.asarray(b != b))
    flat = [mp_ops.close(x, y, AGREE_BITS) for x, y in zip(a.ravel(), b.ravel())]
    return np.asarray(flat, bool).reshape(a.shape)


def _bits(dps: int) -> int:
    return int(dps * 3.3219280948873626) + 1


def _evaluate(outs, values, dps, rounding="n"):
    return _Evaluation(_bits(dps), rounding).run(outs, values)


def _all_elemwise(outs: list[Variable], values: Mapping) -> bool:
    return all(isinstance(n.op, Elemwise) for n in toposort(outs, list(values)))


def reference_eval(
    outputs: Variable | Sequence[Variable],
    inputs: Mapping[Variable, Any],
    dps: int | None = None,
    max_dps: int = 1300,
    return_resolved: bool = False,
):
    """The exact value of ``outputs`` for the given input values.

    Parameters
    ----------
    outputs
        One variable or a list of variables.
    inputs
        ``{input_variable: value}``; values are converted to the input's dtype.
        Shared variables not given take their current value.
    dps
        Fixed working precision in decimal digits (one evaluation).  ``None``
        (the default) chooses the precision adaptively, see the module notes.
    max_dps
        The most digits the adaptive mode will use.
    return_resolved
        Also return, per output, a boolean array: ``True`` where the value was
        confirmed at two successive precisions.

    Returns
    -------
    numpy.ndarray or list
        Per output: an object array of ``mpmath.mpf`` for float outputs (round
        with :func:`aesara_cas.testing.round_to_dtype`), a NumPy array otherwise.
        With ``return_resolved``, a pair ``(values, resolved)``.
    """
    outs, single = _as_outputs(outputs)
    values = _check_inputs(inputs, outs)
    if dps is not None:
        if dps < 1:
            raise ValueError(f"dps must be a positive number of digits, got {dps}")
        evaluated = _evaluate(outs, values, dps)
        results = [r[0] for r in evaluated]
        resolved = [~np.asarray(r[2]) for r in evaluated]
    else:
        results, resolved = _adaptive(outs, values, max_dps)
    results = [r if r.dtype == object else np.asarray(r, dtype=o.dtype)
               for r, o in zip(results, outs)]
    if single:
        return (results[0], resolved[0]) if return_resolved else results[0]
    return (results, resolved) if return_resolved else results


def _adaptive(outs, values, max_dps):
    """Evaluate rounding up and rounding down, at doubling precision, until they agree."""
    elemwise = _all_elemwise(outs, values)
    shape = np.broadcast_shapes(*[np.shape(v) for v in values.values()]) if values else ()
    dps = START_DPS
    up = _evaluate(outs, values, dps, "u")
    down = _evaluate(outs, values, dps, "d")
    # Purely element-wise graphs whose outputs all have the full broadcast shape
    # re-evaluate only the elements still unresolved.
    subset = elemwise and len(shape) > 0 and all(np.shape(r[0]) == shape for r in up)
    best, resolved = [], []
    for u, d in zip(up, down):
        ok = _agree(u[0], d[0]) & ~np.asarray(u[2]) & ~np.asarray(d[2])
        best.append(np.array(u[0]))
        resolved.append(np.array(ok))
    if subset:
        best = [b.reshape(-1) for b in best]
        resolved = [r.reshape(-1) for r in resolved]
        flat_values = {k: np.broadcast_to(v, shape).reshape(-1) for k, v in values.items()}
        todo = np.flatnonzero(~np.logical_and.reduce(resolved))
    while dps < max_dps:
        if subset and len(todo) == 0:
            break
        if not subset and all(r.all() for r in resolved):
            break
        dps = min(2 * dps, max_dps)
        vals = {k: v[todo] for k, v in flat_values.items()} if subset else values
        up = _evaluate(outs, vals, dps, "u")
        down = _evaluate(outs, vals, dps, "d")
        ok_all = None
        for i, (u, d) in enumerate(zip(up, down)):
            ok = _agree(u[0], d[0]) & ~np.asarray(u[2]) & ~np.asarray(d[2])
            if subset:
                best[i][todo] = u[0]
                resolved[i][todo] = ok
            else:
                best[i], resolved[i] = np.array(u[0]), np.array(ok)
            ok_all = ok if ok_all is None else ok_all & ok
        if subset:
            todo = todo[~ok_all]
    if subset:
        best = [b.reshape(shape) for b in best]
        resolved = [r.reshape(shape) for r in resolved]
    return best, resolved


def reference_float(
    outputs: Variable | Sequence[Variable],
    inputs: Mapping[Variable, Any],
    **kwargs: Any,
):
    """Like :func:`reference_eval`, correctly rounded to each output's dtype."""
    from aesara_cas.testing.ulps import round_to_dtype

    outs, single = _as_outputs(outputs)
    res = reference_eval(outs, inputs, **kwargs)
    rounded = [round_to_dtype(r, o.dtype) if r.dtype == object else r for r, o in zip(res, outs)]
    return rounded[0] if single else rounded


__all__ = ["reference_eval", "reference_float"]
