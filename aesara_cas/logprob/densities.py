"""Log-densities (log-masses) of the base distributions, as graphs.

:data:`LOGPROBS` maps a distribution name to a function ``(value, *params) ->
log-density graph``, evaluated element by element over the batch (one entry per
draw; the support axis of ``dirichlet``/``multivariate_normal``/``categorical``
is reduced).  Values outside the support give ``-inf``.  The graphs are ordinary
expressions: they simplify, compile and differentiate like any other.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from aesara_cas.graph.basic import Variable
from aesara_cas.tensor.variable import constant

__all__ = ["LOGPROBS"]

_LOG_2PI = math.log(2 * math.pi)


def _at():
    from aesara_cas import tensor as at

    return at


def _special(name: str) -> Callable:
    """A special function of ``at`` (``gammaln``, ``xlogy``, ...), or a clear error."""
    fn = getattr(_at(), name, None)
    if fn is None:
        raise NotImplementedError(f"this log-density needs at.{name}, which is not available")
    return fn


def _neg_inf(x: Variable) -> Variable:
    return constant(-np.inf, dtype=x.dtype if x.dtype[0] == "f" else "float64")


def _bound(logp: Variable, *conditions: Variable) -> Variable:
    """``logp`` where every condition holds, ``-inf`` elsewhere."""
    at = _at()
    cond = conditions[0]
    for c in conditions[1:]:
        cond = at.and_(cond, c)
    return at.switch(cond, logp, _neg_inf(logp))


def _float(x: Variable) -> Variable:
    at = _at()
    return x if x.dtype[0] == "f" else at.cast(x, "float64")


def normal(v, mu, sigma):
    at = _at()
    z = (v - mu) / sigma
    return -0.5 * z * z - at.log(sigma) - 0.5 * _LOG_2PI


def uniform(v, low, high):
    at = _at()
    return _bound(-at.log(_float(high - low)), at.ge(v, low), at.le(v, high))


def integers(v, low, high):
    at = _at()
    return _bound(-at.log(_float(high - low)), at.ge(v, low), at.lt(v, high),
                  at.eq(at.floor(v), v))


def exponential(v, scale):
    at = _at()
    return _bound(-at.log(scale) - v / scale, at.ge(v, 0))


def bernoulli(v, p):
    at = _at()
    p = _float(p)
    return at.switch(at.eq(v, 1), at.log(p),
                     at.switch(at.eq(v, 0), at.log1p(-p), _neg_inf(p)))


def binomial(v, n, p):
    at = _at()
    gammaln, xlogy = _special("gammaln"), _special("xlogy")
    v, n, p = _float(v), _float(n), _float(p)
    logp = (gammaln(n + 1) - gammaln(v + 1) - gammaln(n - v + 1)
            + xlogy(v, p) + xlogy(n - v, 1 - p))
    return _bound(logp, at.ge(v, 0), at.le(v, n), at.eq(at.floor(v), v))


def poisson(v, lam):
    at = _at()
    gammaln, xlogy = _special("gammaln"), _special("xlogy")
    v, lam = _float(v), _float(lam)
    return _bound(xlogy(v, lam) - lam - gammaln(v + 1), at.ge(v, 0), at.eq(at.floor(v), v))


def gamma(v, shape, scale):
    at = _at()
    gammaln = _special("gammaln")
    logp = (shape - 1) * at.log(v) - v / scale - gammaln(shape) - shape * at.log(scale)
    return _bound(logp, at.gt(v, 0))


def beta(v, a, b):
    at = _at()
    gammaln = _special("gammaln")
    logp = ((a - 1) * at.log(v) + (b - 1) * at.log1p(-v)
            + gammaln(a + b) - gammaln(a) - gammaln(b))
    return _bound(logp, at.ge(v, 0), at.le(v, 1))


def categorical(v, p):
    at = _at()
    k = p.shape[-1]
    onehot = at.eq(at.expand_dims(v, -1), at.arange(k))
    p = _float(p)
    picked = at.sum(at.switch(onehot, p, 0.0 * p), axis=-1)
    return at.log(picked) - at.log(at.sum(p, axis=-1))


def dirichlet(v, alpha):
    at = _at()
    gammaln = _special("gammaln")
    logp = (at.sum((alpha - 1) * at.log(v), axis=-1)
            + gammaln(at.sum(alpha, axis=-1)) - at.sum(gammaln(alpha), axis=-1))
    inside = at.all(at.ge(v, 0), axis=-1)
    return _bound(logp, inside)


def multivariate_normal(v, mean, cov):
    at = _at()
    linalg = getattr(at, "linalg", None)
    if linalg is None or not hasattr(linalg, "cholesky"):
        raise NotImplementedError("the multivariate normal density needs at.linalg.cholesky")
    if cov.ndim != 2:
        raise NotImplementedError("multivariate_normal logprob: cov must be one (k, k) matrix")
    chol = linalg.cholesky(cov)
    diff = v - mean
    # Rows of `diff` are draws: solve L z = diff^T for all of them at once.
    flat = at.reshape(diff, (-1, diff.shape[-1])) if diff.ndim > 2 else diff
    z = linalg.solve_triangular(chol, flat.T if diff.ndim > 1 else flat, lower=True)
    quad = at.sum(z * z, axis=0)
    if diff.ndim > 2:
        quad = at.reshape(quad, diff.shape[:-1])
    k = _float(mean.shape[-1])
    half_logdet = at.sum(at.log(_diag(chol)))
    return -0.5 * quad - half_logdet - 0.5 * k * _LOG_2PI


def _diag(m: Variable) -> Variable:
    at = _at()
    diag = getattr(at, "diag", None)
    if diag is not None:
        return diag(m)
    n = m.shape[0]
    return at.sum(m * at.eq(at.expand_dims(at.arange(n), 1), at.arange(n)), axis=1)


#: The log-density of each distribution of ``RandomStream``, by name.
LOGPROBS: dict[str, Callable] = {
    "normal": normal, "uniform": uniform, "integers": integers, "exponential": exponential,
    "bernoulli": bernoulli, "binomial": binomial, "poisson": poisson, "gamma": gamma,
    "beta": beta, "categorical": categorical, "dirichlet": dirichlet,
    "multivariate_normal": multivariate_normal,
}
