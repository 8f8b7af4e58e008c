"""Bidirectional identities for equality saturation (``ac.simplify(..., saturate=True)``).

Each identity is stated in both directions as two pattern rules; in an e-graph
both forms live side by side and the cost model picks one, so a pair that would
loop in the greedy engine is harmless here.  These rules are not in the greedy
sets: the greedy engine applies a rule whenever it matches, and would undo one
direction with the other.

Guards read e-class analyses through :func:`aesara_cas.rewriting.egraph.analysis.facts`
(an interval and a non-zero flag for every class), e.g. ``a > 0`` for the power laws.
"""

from __future__ import annotations

from etuples import etuple
from unification import var

from aesara_cas.graph.basic import Constant
from aesara_cas.rewriting.egraph.analysis import is_float, positive
from aesara_cas.rewriting.rule import rule
from aesara_cas.tensor import elemwise as E

a, b, c, x = var("a"), var("b"), var("c"), var("x")


def _floats(*names):
    return lambda bd: all(is_float(bd[n]) for n in names)


def _positive_base(bd) -> bool:
    return is_float(bd[a]) and positive(bd[a])


def _not_constant(bd) -> bool:
    # A scalar constant multiple of a sum is distributed by the e-graph's normal form of
    # sums already (``-1 * (b + c)`` is ``-b - c`` there); by these rules it would add
    # every partial regrouping of it (``-b - c - d`` is ``-(b + c) - d``, ``-(b + d) - c``,
    # ..., a new sum class for every pair of terms).
    v = bd[a]
    return not (isinstance(v, Constant) and getattr(v.data, "ndim", 0) == 0)


distribute = rule(etuple(E.mul, a, etuple(E.add, b, c)), etuple(E.add, etuple(E.mul, a, b), etuple(E.mul, a, c)), where=_not_constant, name="distribute", doc="a * (b + c) = a*b + a*c, for all a, b, c (exact for integers).  Exception (floats): the signs of zero and overflow: a*b + a*c is 0.0 where a * (b + c) is -0.0 (a = -0.0, b = -0.0, c = 2), NaN where a*b overflows (a = 1e300, b = 1e300, c = -1e300).")  # noqa: E501
factor = rule(etuple(E.add, etuple(E.mul, a, b), etuple(E.mul, a, c)), etuple(E.mul, a, etuple(E.add, b, c)), where=_not_constant, name="factor", doc="a*b + a*c = a * (b + c), for all a, b, c (exact for integers).  Exception (floats): the signs of zero: a * (b + c) is -0.0 where a*b + a*c is 0.0 (a = -0.0, b = -0.0, c = 2).")  # noqa: E501
exp_of_sum = rule(etuple(E.exp, etuple(E.add, a, b)), etuple(E.mul, etuple(E.exp, a), etuple(E.exp, b)), where=_floats(a, b), name="exp_of_sum", doc="exp(a + b) = exp(a) * exp(b), for all real a, b.  Exception: exp(a) * exp(b) is NaN where one factor overflows and the other is 0 (exp(800 + -inf) is 0.0).")  # noqa: E501
exp_product = rule(etuple(E.mul, etuple(E.exp, a), etuple(E.exp, b)), etuple(E.exp, etuple(E.add, a, b)), where=_floats(a, b), name="exp_product", doc="exp(a) * exp(b) = exp(a + b), for all real a, b.")  # noqa: E501
pow_product = rule(etuple(E.mul, etuple(E.pow, a, b), etuple(E.pow, a, c)), etuple(E.pow, a, etuple(E.add, b, c)), where=_positive_base, name="pow_product", doc="a**b * a**c = a**(b + c), for a > 0 and real b, c.")  # noqa: E501
pow_of_sum = rule(etuple(E.pow, a, etuple(E.add, b, c)), etuple(E.mul, etuple(E.pow, a, b), etuple(E.pow, a, c)), where=_positive_base, name="pow_of_sum", doc="a**(b + c) = a**b * a**c, for a > 0 and real b, c.  Exception: a**b * a**c is NaN or inf where one factor overflows (a = 2, b = 800, c = -800 or -inf).")  # noqa: E501
pow_of_pow = rule(etuple(E.pow, etuple(E.pow, a, b), c), etuple(E.pow, a, etuple(E.mul, b, c)), where=_positive_base, name="pow_of_pow", doc="(a**b)**c = a**(b*c), for a > 0 and real b, c.  Exception: a**(b*c) is NaN where b*c is 0 * inf ((a**0)**inf is 1.0).")  # noqa: E501
sinh_arcsinh = rule(etuple(E.sinh, etuple(E.arcsinh, x)), x, where=_floats(x), name="sinh_arcsinh", doc="sinh(arcsinh(x)) = x, for all real x.")  # noqa: E501
arcsinh_sinh = rule(etuple(E.arcsinh, etuple(E.sinh, x)), x, where=_floats(x), name="arcsinh_sinh", doc="arcsinh(sinh(x)) = x, for all real x.")  # noqa: E501
log_of_product = rule(etuple(E.log, etuple(E.mul, a, b)), etuple(E.add, etuple(E.log, a), etuple(E.log, b)), where=lambda bd: positive(bd[a]) and positive(bd[b]) and is_float(bd[a]), name="log_of_product", doc="log(a * b) = log(a) + log(b), for a > 0 and b > 0.")  # noqa: E501

#: The identities that may give NaN, inf or the other sign of zero where the form they
#: replace is defined (each doc says where): saturation may pick either side.
EDGE_EXCEPTIONS = ("distribute", "factor", "exp_of_sum", "pow_of_sum", "pow_of_pow")

#: The identities saturation uses besides the pattern rules of the standard sets.
RULES = [
    distribute, factor, exp_of_sum, exp_product, pow_product, pow_of_sum, pow_of_pow,
    sinh_arcsinh, arcsinh_sinh, log_of_product,
]
