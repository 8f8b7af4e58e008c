"""Transform relations: how a value of ``f(z, *others)`` maps back to a value of ``z``.

A relation for an element-wise op answers, for the position ``k`` of the input
that carries the random variable: given the value ``v`` of the output and the
other inputs, the value of ``z`` and ``log |d z / d v|`` (the log-Jacobian of the
inverse map).  The density of the output is then
``logp_z(inverse(v)) + log_jacobian``.

Built in: shifts and scalings (``loc + scale * z``, ``z - c``, ``c - z``, ``z / c``,
``-z``), ``exp`` (log-normal), ``log``, ``expm1``, ``log1p``, ``sigmoid``, ``tanh``,
``sinh``, ``arcsinh``, ``sqrt`` and ``softplus``.  :func:`register_transform` adds an
invertible element-wise function of one argument.
"""

from __future__ import annotations

from collections.abc import Callable

from aesara_cas.graph.basic import Variable

__all__ = ["TRANSFORMS", "register_transform"]


def _at():
    from aesara_cas import tensor as at

    return at


def _add(v, k, others):
    at = _at()
    rest = others[0] if len(others) == 1 else at.add(*others)
    return v - rest, None


def _sub(v, k, others):
    (c,) = others
    return (v + c, None) if k == 0 else (c - v, None)


def _mul(v, k, others):
    at = _at()
    scale = others[0] if len(others) == 1 else at.mul(*others)
    return v / scale, -at.log(at.abs(scale))


def _true_div(v, k, others):
    at = _at()
    (c,) = others
    if k == 0:  # v = z / c
        return v * c, at.log(at.abs(c))
    return c / v, at.log(at.abs(c)) - 2 * at.log(at.abs(v))  # v = c / z


def _neg(v, k, others):
    return -v, None


def _unary(inverse: Callable, log_jac: Callable) -> Callable:
    def relation(v, k, others):
        return inverse(v), log_jac(v)
    return relation


def _builtin_unary() -> dict[str, Callable]:
    at = _at()
    return {
        "exp": _unary(at.log, lambda v: -at.log(v)),
        "log": _unary(at.exp, lambda v: v),
        "expm1": _unary(at.log1p, lambda v: -at.log1p(v)),
        "log1p": _unary(at.expm1, lambda v: v),
        "sigmoid": _unary(lambda v: at.log(v) - at.log1p(-v),
                          lambda v: -at.log(v) - at.log1p(-v)),
        "tanh": _unary(at.arctanh, lambda v: -at.log1p(-v * v)),
        "sinh": _unary(at.arcsinh, lambda v: -0.5 * at.log1p(v * v)),
        "arcsinh": _unary(at.sinh, lambda v: at.log(at.cosh(v))),
        "sqrt": _unary(lambda v: v * v, lambda v: at.log(2 * v)),
        "softplus": _unary(lambda v: at.log(at.expm1(v)), lambda v: -at.log1p(-at.exp(-v))),
    }


#: Relation by element-wise op name: ``relation(value, k, others) -> (z_value,
#: log_jacobian or None)``; ``None`` marks a volume-preserving map (a shift).
TRANSFORMS: dict[str, Callable] = {
    "add": _add, "sub": _sub, "mul": _mul, "true_div": _true_div, "neg": _neg,
}
_UNARY_LOADED = False

#: Relations that only shift or reflect (valid for discrete variables too).
VOLUME_PRESERVING = frozenset({"add", "sub", "neg"})


def relation_for(name: str) -> Callable | None:
    global _UNARY_LOADED
    if not _UNARY_LOADED:
        for key, rel in _builtin_unary().items():
            TRANSFORMS.setdefault(key, rel)
        _UNARY_LOADED = True
    return TRANSFORMS.get(name)


def register_transform(op_name: str, inverse: Callable[[Variable], Variable],
                       log_jacobian: Callable[[Variable], Variable]) -> None:
    """Teach :func:`logprob` an invertible element-wise function of one argument.

    Parameters
    ----------
    op_name
        The element-wise op's name (``at.<name>``, e.g. ``"arctan"``).
    inverse
        Builds ``f^{-1}(v)`` from a value ``v`` of ``f(z)``.
    log_jacobian
        Builds ``log |d f^{-1}(v) / d v|``.
    """
    if not callable(inverse) or not callable(log_jacobian):
        raise TypeError("register_transform: inverse and log_jacobian must be callables")
    relation_for(op_name)  # load the built-ins first, so a registration is not overwritten
    TRANSFORMS[op_name] = _unary(inverse, log_jacobian)
