"""Rules for the special functions (in the ``stabilize`` set).

- ``log(gamma(x))`` -> ``gammaln(x)``: ``gamma`` overflows from ``x = 171.7`` on,
  ``gammaln`` not until ``x ~ 2.5e305``.  Where ``gamma(x) < 0`` (some negative
  ``x``) the left side is NaN and ``gammaln`` gives ``log|gamma(x)|``; wherever the
  left side is a number, both agree.
- ``log(softmax(x))`` needs no rule of its own: ``softmax`` is built as
  ``exp(x - logsumexp(x))``, and ``log(exp(t)) -> t`` leaves ``log_softmax(x)``.
"""

from __future__ import annotations

from etuples import etuple
from unification import var

from aesara_cas.rewriting.rule import rule
from aesara_cas.tensor import elemwise as E

x = var()

log_gamma = rule(
    etuple(E.log, etuple(E.gamma, x)), etuple(E.gammaln, x), name="log_gamma",
    doc="log(gamma(x)) -> gammaln(x) (no overflow for large x; equal wherever the left "
        "side is not NaN).",
)

RULES = [log_gamma]
