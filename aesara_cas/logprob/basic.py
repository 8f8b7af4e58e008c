"""``logprob(rv, value)``: the log-density graph of a random variable, by rules.

The graph of ``rv`` is read from the top: each element-wise node on the way to the
random variable is inverted by its relation (:mod:`aesara_cas.logprob.transforms`),
which maps the value back and contributes a log-Jacobian; the random variable's
own density comes from the table (:mod:`aesara_cas.logprob.densities`).  The walk
is a loop, so long chains of transforms need no recursion.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.graph.basic import Variable
from aesara_cas.graph.traversal import ancestors
from aesara_cas.logprob.densities import LOGPROBS
from aesara_cas.logprob.transforms import VOLUME_PRESERVING, relation_for
from aesara_cas.random.op import RandomVariable
from aesara_cas.tensor.elemwise import Elemwise, cast
from aesara_cas.tensor.variable import as_tensor_variable

__all__ = ["logprob"]


def _is_draw(var: Variable) -> bool:
    return var.owner is not None and isinstance(var.owner.op, RandomVariable) \
        and var is var.owner.outputs[1]


def _depends_on_draw(var: Variable) -> bool:
    return any(_is_draw(v) for v in ancestors([var]))


def logprob(rv: Variable, value: Any) -> Variable:
    """The log-density (or log-mass, for discrete variables) of ``rv`` at ``value``.

    Parameters
    ----------
    rv
        A random variable (from :class:`~aesara_cas.RandomStream`) or an element-wise
        invertible transform of one: ``loc + scale * z``, ``exp(z)``, ``-z``, ...
    value
        Where to evaluate it: a variable or an array of ``rv``'s shape.

    Returns
    -------
    The log-density, element by element over the draws (summed over the support
    axis of vector-valued distributions); ``-inf`` outside the support.
    """
    if not isinstance(rv, Variable):
        raise TypeError(f"logprob: rv must be a random variable, got {rv!r}")
    value = as_tensor_variable(value)
    if value.ndim != rv.ndim:
        raise ValueError(f"logprob: value has {value.ndim} dimension(s) but the random "
                         f"variable has {rv.ndim}")
    if not _depends_on_draw(rv):
        raise ValueError(f"logprob: {rv!r} is not a random variable or a transform of one")
    jacobians: list[Variable] = []
    used: list[str] = []
    var = rv
    while not _is_draw(var):
        node = var.owner
        if node is None or not isinstance(node.op, Elemwise):
            what = "a graph input" if node is None else f"{node.op}"
            raise ValueError(
                f"logprob: {rv!r} is not a random variable or an invertible element-wise "
                f"transform of one (reached {what})"
            )
        name = node.op.scalar_op.name
        carrying = [k for k, inp in enumerate(node.inputs) if _depends_on_draw(inp)]
        if len(carrying) != 1:
            raise ValueError(
                f"logprob: {name} combines {len(carrying)} random variables; only "
                "transforms of one random variable have a density rule"
            )
        relation = relation_for(name)
        if relation is None:
            raise NotImplementedError(
                f"logprob: no rule inverts {name}; register one with "
                "aesara_cas.logprob.register_transform"
            )
        k = carrying[0]
        others = [inp for j, inp in enumerate(node.inputs) if j != k]
        value, log_jac = relation(value, k, others)
        if log_jac is not None:
            jacobians.append(log_jac)
        used.append(name)
        var = node.inputs[k]
    op = var.owner.op
    params = var.owner.inputs[2:]
    discrete = np.dtype(op.dist.dtype).kind in "iub"
    if discrete and any(n not in VOLUME_PRESERVING for n in used):
        raise ValueError(
            f"logprob: {op.dist_name} is discrete; only shifts and negation of it have a "
            f"mass function here, not {', '.join(n for n in used if n not in VOLUME_PRESERVING)}"
        )
    if not discrete and value.dtype[0] != "f":
        value = cast(value, "float64")
    logp = LOGPROBS[op.dist_name](value, *params)
    for j in jacobians:
        logp = logp + j
    return logp
