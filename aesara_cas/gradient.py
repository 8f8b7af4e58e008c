"""Symbolic differentiation: ``grad``, ``jacobian``, ``hessian``, ``jvp`` (and ``vjp``).

Reverse mode walks the graph once, in reverse topological order, asking each
node's op for its vector-Jacobian product (``op.L_op``) and adding up the
contributions that reach each variable.  Forward mode walks it once in
topological order with each op's Jacobian-vector product (``op.R_op``).  Both
loops are iterative, so a chain of tens of thousands of operations
differentiates without touching the recursion limit.  The cyclic garbage
collector is paused while a derivative is built (see :mod:`aesara_cas.graph.gc_pause`).

Derivatives come out compact and stable when the rewrite engine is available
(``aesara_cas.simplify``): the expression is stabilized *before* it is
differentiated (``log(1 + exp(x))`` becomes ``softplus(x)``, whose derivative is
the stable ``sigmoid(x)``), and the derivative graph is simplified after, unless
it has more than :data:`SIMPLIFY_AFTER_NODES` nodes: a huge derivative is left for
compilation to rewrite (``ac.function`` runs the same rule sets, so the compiled
results are the same) instead of being rewritten twice; its nested products (reverse
mode through a chain multiplies one local derivative at a time) are flattened in
one pass first, which made compiling a 10,000-op chain with its gradient ~2.5x
faster (see :func:`~aesara_cas.tensor.grad_ops.flatten_products`).

An expression of more than :data:`STABILIZE_REGIONS_ABOVE` nodes is not rewritten
in full before it is differentiated, only in the regions around the ops a
stability rule is anchored on (``exp``, ``log``, ``sigmoid``...; see
:mod:`aesara_cas.gradient_regions`).  The trade-off: the overflow guarantees are
those of a full rewrite (log-softmax, softmax cross-entropy, logsumexp, softplus
and log-sigmoid gradients stay finite at logits of 1000), but the derivative is
built from the expression as written elsewhere (not in canonical order, and
without the cancellation rewrites away from anchors, which act on the derivative
when it is simplified or compiled).  On a 10,000-op chain of ``sin``, products
and sums, which has no anchor, ``grad`` went from ~4.4 s (80% rewriting the
chain) to ~0.7 s.

Conventions
-----------
- Only floating-point variables have derivatives.  Integer and boolean inputs,
  and everything that flows through comparisons, rounding or bitwise ops, get a
  zero gradient of their own type.
- A ``wrt`` variable the expression does not depend on at all is
  *disconnected*: ``disconnected_inputs="raise"`` (default) raises
  :class:`DisconnectedInputError`, ``"warn"`` warns and ``"ignore"`` returns zeros.
- The value of a function at a non-differentiable point follows JAX; see
  :mod:`aesara_cas.tensor.scalar_grad` and :mod:`aesara_cas.tensor.op_grads`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.graph.gc_pause import pausing_gc
from aesara_cas.graph.traversal import clone_replace, toposort
from aesara_cas.tensor.grad_ops import fit, flatten_products, is_float, zeros_like
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import TensorVariable, as_tensor_variable, constant

__all__ = [
    "DisconnectedInputError", "backprop", "grad", "hessian", "jacobian", "jvp", "push_forward",
    "vjp",
]

_POLICIES = ("raise", "warn", "ignore")


class DisconnectedInputError(ValueError):
    """The expression being differentiated does not depend on a ``wrt`` variable."""


# Helpers -----------------------------------------------------------------------------


def _variables(value: Any, what: str) -> tuple[list[Variable], bool]:
    """``value`` as a list of tensor variables, and whether it was a single one."""
    single = isinstance(value, Variable)
    items = [value] if single else value
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"{what} must be a symbolic variable or a list of them, got {value!r}")
    for k, v in enumerate(items):
        label = what if single else f"{what}[{k}]"
        if not isinstance(v, TensorVariable):
            raise TypeError(f"{label} must be a symbolic tensor variable, got {v!r}")
        if isinstance(v, Constant) and what == "wrt":
            raise TypeError(f"{label} is the constant {v!r}; differentiate with respect to "
                            "a variable")
    return list(items), single


def _connections(node) -> list[bool]:
    """For each input of ``node``, whether its value can influence an output."""
    pattern = getattr(node.op, "connection_pattern", None)
    if pattern is None:
        return [True] * len(node.inputs)
    return [any(row) for row in pattern(node)]


def _reaching(outputs: Sequence[Variable], blockers: Sequence[Variable]) -> set[int]:
    """Ids of the variables whose value can influence ``outputs``."""
    reach = {id(o) for o in outputs}
    for node in reversed(toposort(outputs, blockers)):
        if any(id(o) in reach for o in node.outputs):
            for inp, connected in zip(node.inputs, _connections(node)):
                if connected:
                    reach.add(id(inp))
    return reach


def _check_policy(policy: str) -> None:
    if policy not in _POLICIES:
        raise ValueError(f"disconnected_inputs must be one of {_POLICIES}, got {policy!r}")


def _disconnected(policy: str, label: str, what: str) -> None:
    msg = (
        f"{what} does not depend on {label}; pass disconnected_inputs='ignore' "
        "(zeros) or 'warn' if that is intended"
    )
    if policy == "raise":
        raise DisconnectedInputError(msg)
    if policy == "warn":
        warnings.warn(msg, stacklevel=3)


def _label(var: Variable, k: int, single: bool) -> str:
    name = f" ({var.name})" if var.name else ""
    return f"wrt{name}" if single else f"wrt[{k}]{name}"


#: The rule sets run on expressions before and after differentiating them.  The
#: backend-oriented ``specialize`` set is left to compilation: what it produces
#: (fused or BLAS-specific ops) is not meant to be differentiated again.
REWRITE_SETS = ("canonicalize", "stabilize")
#: Derivatives with more nodes than this are not simplified after differentiating
#: (see the module docstring): rewriting a 25,000-node derivative of a 10,000-op
#: chain took several times longer than building it, only to be redone by compilation.
SIMPLIFY_AFTER_NODES = 4_000


#: Expressions with more nodes than this are stabilized region by region before they
#: are differentiated (see :mod:`aesara_cas.gradient_regions`): only around the ops a
#: stability rule is anchored on, not the canonical order of everything else.
STABILIZE_REGIONS_ABOVE = 2_000


def _simplify(outputs: list[Variable]) -> list[Variable]:
    """``outputs`` through the standard rewrites when the rewrite engine is present."""
    try:
        from aesara_cas.rewriting import simplify
    except ImportError:  # the rewrite engine is optional for differentiation
        return outputs
    if not outputs:
        return outputs
    result = simplify(list(outputs), include=list(REWRITE_SETS))
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _stabilize(outputs: list[Variable]) -> list[Variable]:
    """``outputs`` stabilized: simplified in full when small, else region by region."""
    nodes = toposort(outputs)
    if len(nodes) <= STABILIZE_REGIONS_ABOVE:
        return _simplify(outputs)
    try:
        from aesara_cas.rewriting import rewrite_graph
    except ImportError:
        return outputs
    from aesara_cas.gradient_regions import stabilize_regions

    result = stabilize_regions(
        outputs, nodes, lambda fg: rewrite_graph(fg, include=list(REWRITE_SETS)))
    return _simplify(outputs) if result is None else result


def _stabilized(outputs: list[Variable], wrt: list[Variable], blockers: list[Variable],
                enabled: bool) -> tuple[list[Variable], dict[Variable, Variable]]:
    """Rewrite ``outputs`` before differentiating them.

    ``consider_constant`` variables are cut out first (replaced by placeholder
    inputs, returned as ``{placeholder: original}``) so rewriting cannot remove
    them.  When a ``wrt`` variable is computed inside the graph, the rewrites could
    remove it, so the expression is left as it is.
    """
    if not enabled or any(w.owner is not None for w in wrt):
        return outputs, {}
    holders = {b: b.type.make_variable(name=b.name) for b in blockers}
    if holders:
        outputs = clone_replace(outputs, holders)
    return _stabilize(outputs), {h: b for b, h in holders.items()}


def _sum(terms: list[Variable] | None) -> Variable | None:
    from aesara_cas.tensor.elemwise import add

    if not terms:
        return None
    return terms[0] if len(terms) == 1 else add(*terms)


# Reverse mode ------------------------------------------------------------------------


def backprop(
    outputs: Sequence[Variable],
    cotangents: Sequence[Variable],
    wrt: Sequence[Variable],
    blockers: Sequence[Variable] = (),
) -> list[Variable | None]:
    """The vector-Jacobian products ``sum_k cotangents[k] . d outputs[k] / d wrt``.

    The core of reverse mode, without rewriting or connectivity checks.  ``None``
    means the result is zero.  ``blockers`` are treated as constants.
    """
    nodes = toposort(outputs, blockers)
    depends = {id(w) for w in wrt}
    active = []
    for node in nodes:
        conn = _connections(node)
        if any(c and id(i) in depends for i, c in zip(node.inputs, conn)):
            active.append((node, conn))
            depends.update(id(o) for o in node.outputs)
    contributions: dict[int, list[Variable]] = {}
    for out, cot in zip(outputs, cotangents):
        if cot is not None and id(out) in depends and is_float(out):
            contributions.setdefault(id(out), []).append(fit(cot, out))
    totals: dict[int, Variable | None] = {}

    def total(var: Variable) -> Variable | None:
        key = id(var)
        if key not in totals:
            totals[key] = _sum(contributions.pop(key, None))
        return totals[key]

    for node, conn in reversed(active):
        grads_out = [total(o) for o in node.outputs]
        if all(g is None for g in grads_out):
            continue
        if len(grads_out) > 1:
            grads_out = [zeros_like(o) if g is None and is_float(o) else g
                         for g, o in zip(grads_out, node.outputs)]
        l_op = getattr(node.op, "L_op", None)
        if l_op is None:
            raise NotImplementedError(
                f"{node.op} has no gradient: its op class defines no L_op method"
            )
        grads_in = l_op(node, list(node.inputs), list(node.outputs), grads_out)
        if len(grads_in) != len(node.inputs):
            raise ValueError(
                f"{node.op}.L_op returned {len(grads_in)} gradient(s) for "
                f"{len(node.inputs)} input(s)"
            )
        for inp, g, connected in zip(node.inputs, grads_in, conn):
            if g is None or not connected or id(inp) not in depends or not is_float(inp):
                continue
            g = fit(as_tensor_variable(g), inp)
            contributions.setdefault(id(inp), []).append(g)
    return [total(w) for w in wrt]


def _finish(results: list[Variable | None], wrt: list[Variable], reach: Any,
            policy: str, single: bool, what: str) -> list[Variable]:
    """Zeros for the ``None`` results; ``reach()`` (called only then) tells a
    disconnected ``wrt`` from one whose gradient is zero."""
    out = []
    reached = None
    for k, (g, w) in enumerate(zip(results, wrt)):
        if g is None:
            if reached is None:
                reached = reach()
            if id(w) not in reached:
                _disconnected(policy, _label(w, k, single), what)
            g = zeros_like(w)
        out.append(g)
    return out


@pausing_gc
def grad(
    cost: Any,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    simplify: bool = True,
) -> Variable | list[Variable]:
    """The gradient of the scalar ``cost`` with respect to ``wrt``.

    Parameters
    ----------
    cost
        A 0-dimensional expression.
    wrt
        A variable or a list of variables (graph inputs or intermediate results).
    consider_constant
        Variables whose value is treated as constant: no gradient flows through them.
    disconnected_inputs
        What to do when ``cost`` does not depend on a ``wrt`` variable: ``"raise"``
        (:class:`DisconnectedInputError`), ``"warn"`` or ``"ignore"`` (zeros).
    simplify
        Stabilize ``cost`` before differentiating and simplify the result (with the
        ``canonicalize`` and ``stabilize`` rule sets).  When a ``wrt`` variable is
        computed inside the graph, only the result is simplified (rewriting the
        cost could remove that variable).

    Returns
    -------
    One gradient per ``wrt`` variable, each of exactly its type; a single
    variable for a single ``wrt``, a list for a list.
    """
    _check_policy(disconnected_inputs)
    if isinstance(cost, Variable) and not isinstance(cost, TensorVariable):
        raise TypeError(f"grad: cost must be a tensor expression, got {cost!r}")
    cost = as_tensor_variable(cost)
    if cost.ndim != 0:
        raise TypeError(
            f"grad: cost must be a scalar (0-dimensional) expression, got {cost.ndim} "
            f"dimension(s) of type {cost.type}; reduce it first (e.g. .sum()) or use "
            "jacobian()"
        )
    wrt_list, single = _variables(wrt, "wrt")
    blockers, _ = _variables(list(consider_constant or []), "consider_constant")
    def reach() -> set[int]:
        return _reaching([cost], blockers)

    (stable,), holders = _stabilized([cost], wrt_list, blockers, simplify)
    seed = constant(1, dtype=cost.dtype) if is_float(cost) else None
    results = backprop([stable], [seed], wrt_list, list(holders) or blockers)
    grads = _finish(results, wrt_list, reach, disconnected_inputs, single, "the cost")
    grads = _finalize(grads, holders, simplify, [stable])
    return grads[0] if single else grads


def _more_nodes_than(outputs: list[Variable], limit: int) -> bool:
    """Whether the graph of ``outputs`` has more than ``limit`` nodes (a walk that
    stops there: a 25,000-node derivative is not sorted just to be counted)."""
    seen: set[int] = set()
    stack = [o.owner for o in outputs if o.owner is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > limit:
            return True
        stack.extend(i.owner for i in node.inputs if i.owner is not None)
    return False


def _finalize(results: list[Variable], holders: dict, simplify: bool,
              forward: list[Variable]) -> list[Variable]:
    """The derivative as returned: simplified when small; when too big to simplify
    here, its nested products are flattened (one pass, see ``flatten_products``), so
    compiling it costs a rewrite per product instead of one per level.  ``forward``:
    every graph the caller gave (expression, seeds), which flattening leaves alone."""
    if not simplify:
        return clone_replace(results, holders) if holders else results
    big = _more_nodes_than(results, SIMPLIFY_AFTER_NODES)
    if big:
        results = flatten_products(results, forward, release=True)
    if holders:
        results = clone_replace(results, holders)
    return results if big else _simplify(results)


@pausing_gc
def vjp(
    outputs: Variable | Sequence[Variable],
    wrt: Variable | Sequence[Variable],
    cotangents: Any,
    simplify: bool = True,
) -> Variable | list[Variable]:
    """Vector-Jacobian products: ``sum_k cotangents[k] . d outputs[k] / d wrt``.

    ``cotangents`` has one entry per output, of the output's shape.  Disconnected
    inputs get zeros.
    """
    outs, _ = _variables(outputs, "outputs")
    wrt_list, single = _variables(wrt, "wrt")
    cots = [cotangents] if isinstance(outputs, Variable) else list(cotangents)
    if len(cots) != len(outs):
        raise ValueError(f"vjp: {len(outs)} output(s) but {len(cots)} cotangent(s)")
    cots = [_as_seed(c, o, f"cotangents[{k}]") for k, (c, o) in enumerate(zip(cots, outs))]
    stable, _ = _stabilized(outs, wrt_list, [], simplify)
    results = backprop(stable, cots, wrt_list)
    grads = [zeros_like(w) if g is None else g for g, w in zip(results, wrt_list)]
    grads = _finalize(grads, {}, simplify, stable + [c for c in cots if c is not None])
    return grads[0] if single else grads


def _as_seed(value: Any, like: Variable, what: str) -> Variable | None:
    """A tangent or cotangent for ``like``, checked and cast to its dtype."""
    if value is None:
        return None
    v = as_tensor_variable(value)
    if v.ndim != like.ndim:
        raise ValueError(
            f"{what} has {v.ndim} dimension(s) but the variable it goes with has {like.ndim}"
        )
    if not is_float(like):
        return None
    return fit(v, like)


# Forward mode ------------------------------------------------------------------------


def push_forward(
    outputs: Sequence[Variable], wrt: Sequence[Variable], tangents: Sequence[Variable | None]
) -> list[Variable | None]:
    """The tangents of ``outputs`` given those of ``wrt`` (``None``: zero).

    The core of forward mode, without rewriting; ``wrt`` are treated as leaves.
    """
    tangent: dict[int, Variable] = {id(w): t for w, t in zip(wrt, tangents) if t is not None}
    for node in toposort(outputs, wrt):
        points = [tangent.get(id(i)) for i in node.inputs]
        if all(p is None for p in points):
            continue
        r_op = getattr(node.op, "R_op", None)
        if r_op is None:
            raise NotImplementedError(
                f"{node.op} has no forward derivative: its op class defines no R_op method"
            )
        results = r_op(node, list(node.inputs), points)
        for out, t in zip(node.outputs, results):
            if t is not None and is_float(out):
                tangent[id(out)] = fit(as_tensor_variable(t), out)
    return [tangent.get(id(o)) for o in outputs]


@pausing_gc
def jvp(
    outputs: Variable | Sequence[Variable],
    wrt: Variable | Sequence[Variable],
    tangents: Any,
    simplify: bool = True,
) -> Variable | list[Variable]:
    """Jacobian-vector products (forward mode): ``sum_i d outputs / d wrt[i] . tangents[i]``.

    Parameters
    ----------
    outputs
        A variable or a list; the result has the same structure, each entry of
        its output's type.
    wrt
        The variables being perturbed (treated as independent: perturbing one
        does not perturb another computed from it).
    tangents
        One per ``wrt`` variable, of its shape (variables, arrays or numbers).
    simplify
        Stabilize before and simplify after, as :func:`grad` does.
    """
    outs, single_out = _variables(outputs, "outputs")
    wrt_list, single = _variables(wrt, "wrt")
    tans = [tangents] if single else list(tangents)
    if len(tans) != len(wrt_list):
        raise ValueError(f"jvp: {len(wrt_list)} wrt variable(s) but {len(tans)} tangent(s)")
    tans = [_as_seed(t, w, f"tangents[{k}]") for k, (t, w) in enumerate(zip(tans, wrt_list))]
    stable, _ = _stabilized(outs, wrt_list, [], simplify)
    results = push_forward(stable, wrt_list, tans)
    results = [zeros_like(o) if t is None else t for t, o in zip(results, outs)]
    results = _finalize(results, {}, simplify, stable + [t for t in tans if t is not None])
    return results[0] if single_out else results


# Jacobian and Hessian ----------------------------------------------------------------

#: Jacobians of expressions with at most this many (statically known) elements are
#: built row by row as one graph; larger or dynamically sized ones use a loop op.
UNROLL_LIMIT = 16


@pausing_gc
def jacobian(
    expression: Any,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    simplify: bool = True,
) -> Variable | list[Variable]:
    """The Jacobian of ``expression`` with respect to each ``wrt`` variable.

    The Jacobian with respect to ``w`` has shape ``expression.shape + w.shape``
    (JAX's convention); for a scalar expression it is the gradient.
    """
    from aesara_cas.tensor.jacobian_loop import JacobianLoop, unrolled_jacobian

    _check_policy(disconnected_inputs)
    expression = as_tensor_variable(expression)
    if expression.ndim == 0:
        return grad(expression, wrt, consider_constant, disconnected_inputs, simplify)
    wrt_list, single = _variables(wrt, "wrt")
    blockers, _ = _variables(list(consider_constant or []), "consider_constant")
    def reach() -> set[int]:
        return _reaching([expression], blockers)

    (stable,), holders = _stabilized([expression], wrt_list, blockers, simplify)
    cot = TensorType(expression.dtype, expression.type.shape).make_variable("cotangent")
    seed = cot if is_float(expression) else None
    results = backprop([stable], [seed], wrt_list, list(holders) or blockers)
    rows = _finish(results, wrt_list, reach, disconnected_inputs, single, "the expression")
    if holders:
        stable, *rows = clone_replace([stable, *rows], holders)
    shape = expression.type.shape
    size = None if None in shape else math.prod(shape)
    if size is not None and size <= UNROLL_LIMIT:
        jacs = unrolled_jacobian(rows, cot, wrt_list)
    else:
        jacs = JacobianLoop.build(stable, cot, rows, wrt_list)
    jacs = _simplify(jacs) if simplify else jacs
    return jacs[0] if single else jacs


def hessian(
    cost: Any,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    simplify: bool = True,
) -> Variable | list[Variable]:
    """The Hessian of the scalar ``cost`` with respect to each ``wrt`` variable.

    For ``w`` of shape ``s`` the result has shape ``s + s``: the Jacobian of the
    gradient.  Cross terms between different ``wrt`` variables are not formed.
    """
    wrt_list, single = _variables(wrt, "wrt")
    grads = grad(cost, wrt_list, consider_constant, disconnected_inputs, simplify)
    out = [
        jacobian(g, w, consider_constant, "ignore", simplify)
        for g, w in zip(grads, wrt_list)
    ]
    return out[0] if single else out
