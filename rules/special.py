"""Rules for the special functions (in the ``stabilize`` set).

- ``log(gamma(x))`` -> ``gammaln(x)``: ``gamma`` overflows from ``x = 171.7`` on,
  ``gammaln`` not until ``x ~ 2.5e305``.  Where ``gamma(x) < 0`` (some negative
  ``x``) the left side is NaN and ``gammaln`` gives ``log|gamma(x)|``; wherever the
  left side is a number, both agree.
- ``log(softmax(x))`` -> ``log_softmax(x)``: the stable softmax (``at.softmax``, or
  what the ``softmax`` rules of ``rules/stability.py`` make of ``exp(x) / sum(exp(x))``)
  is ``exp(t) / sum(exp(t))`` with ``t = x - max(x)``, and its log is
  ``t - logsumexp(t)``: no ``log(0) = -inf`` where a probability underflows, and ``t``
  is exact near the max.
"""

from __future__ import annotations

from aesara_cas.rules.stability import max_shifted
from etuples import etuple
from unification import var

from aesara_cas.rewriting.rule import rule
from aesara_cas.rewriting.terms import ops_equal
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import DimShuffle

x, y, s = var(), var(), var()
axis, keepdims, ndim, order = var(), var(), var(), var()

log_gamma = rule(
    etuple(E.log, etuple(E.gamma, x)), etuple(E.gammaln, x), name="log_gamma",
    doc="log(gamma(x)) -> gammaln(x) (no overflow for large x; equal wherever the left "
        "side is not NaN).",
)


def _shifted(bd) -> bool:
    """Both exps are of arguments already shifted by their max (the softmax rules shift
    first: this keeps the accurate form, and nothing else sees the unshifted one)."""
    return max_shifted(bd[x]) and max_shifted(bd[y])


def _shifted_sum(bd) -> bool:
    """``s`` is ``sum(exp(y), ...)`` and both exps are of shifted arguments."""
    node = bd[s].owner
    if node is None or not isinstance(node.op, Reduce) or node.op.kind != "sum":
        return False
    inner = node.inputs[0].owner
    return (inner is not None and ops_equal(inner.op, E.exp) and max_shifted(bd[x])
            and max_shifted(inner.inputs[0]))


_LOG_SOFTMAX_DOC = (
    "log({}) -> t - log(d), for real t and d = {} > 0: the log "
    "of the stable softmax (t, u shifted by their max, as the softmax rules leave them; "
    "log(sum(exp(u))) then becomes logsumexp(u)): no log(0) where a probability "
    "underflows, and t is exact near the max.")
_sum = etuple(Reduce, "sum", axis, keepdims)
_ds = etuple(DimShuffle, ndim, order)
_exp_x = etuple(E.exp, x)
_d = etuple(_sum, etuple(E.exp, y))
log_softmax = rule(
    etuple(E.log, etuple(E.mul, _exp_x, etuple(E.pow, _d, -1))),
    etuple(E.sub, x, etuple(E.log, _d)), where=_shifted, name="log_softmax",
    doc=_LOG_SOFTMAX_DOC.format("exp(t) * d ** -1", "sum(exp(u), axis)"),
)
log_softmax_broadcast = rule(
    etuple(E.log, etuple(E.mul, _exp_x, etuple(E.pow, etuple(_ds, s), -1))),
    etuple(E.sub, x, etuple(E.log, etuple(_ds, s))), where=_shifted_sum,
    name="log_softmax_broadcast",
    doc=_LOG_SOFTMAX_DOC.format("exp(t) * d ** -1", "sum(exp(u), axis) re-broadcast")
    + "  The guard checks that d is a sum of exps (a pattern spelling it out would be "
      "too deep for the gradient regions).",
)
log_softmax_div = rule(
    etuple(E.log, etuple(E.true_div, _exp_x, _d)), etuple(E.sub, x, etuple(E.log, _d)),
    where=_shifted, name="log_softmax_div",
    doc=_LOG_SOFTMAX_DOC.format("exp(t) / d", "sum(exp(u), axis)"),
)
log_softmax_div_broadcast = rule(
    etuple(E.log, etuple(E.true_div, _exp_x, etuple(_ds, s))),
    etuple(E.sub, x, etuple(E.log, etuple(_ds, s))), where=_shifted_sum,
    name="log_softmax_div_broadcast",
    doc=_LOG_SOFTMAX_DOC.format("exp(t) / d", "sum(exp(u), axis) re-broadcast")
    + "  The guard checks that d is a sum of exps.",
)

RULES = [log_gamma, log_softmax, log_softmax_broadcast, log_softmax_div,
         log_softmax_div_broadcast]
