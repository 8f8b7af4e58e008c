"""Identities for the accuracy search (``ac.simplify(e, accuracy=True)``).

Each rule is an identity of real numbers, stated where both sides are defined;
the search saturates an e-graph with them (and the ``saturation`` identities and
the standard pattern rules), then *measures* which equivalent form is most
accurate in floating point.  So a rule need not be more accurate by itself: it
only has to be true.  Several come in both directions (``expm1`` <-> ``exp - 1``)
because the accurate form of a larger expression can go through either.

These rules are in no greedy set: they would undo each other there.  Guards read
e-class facts (intervals), which the search seeds from its ``domain`` argument.
"""

from __future__ import annotations

from aesara_cas.rewriting.egraph.analysis import facts
from aesara_cas.rewriting.rule import rule
from aesara_cas.rewriting.wild import wild
from aesara_cas.tensor import elemwise as E

a, b, c, d = wild("a"), wild("b"), wild("c"), wild("d")
_h = 0.5


def _lo_at_least(name: str, bound: float):
    return lambda bd: facts(bd[name]).lo >= bound


def _positive(*names: str):
    return lambda bd: all(facts(bd[n]).positive for n in names)


# ---- differences of square roots: multiply by the conjugate
sqrt_conjugate = rule(E.sqrt(a) - E.sqrt(b), (a - b) / (E.sqrt(a) + E.sqrt(b)), name="sqrt_conjugate", doc="sqrt(a) - sqrt(b) = (a - b) / (sqrt(a) + sqrt(b)), for a, b >= 0 not both 0.")  # noqa: E501
sqrt_sub_conjugate = rule(E.sqrt(a) - b, (a - b * b) / (E.sqrt(a) + b), name="sqrt_sub_conjugate", doc="sqrt(a) - b = (a - b*b) / (sqrt(a) + b), for a >= 0 and sqrt(a) + b != 0.")  # noqa: E501
sqrt_sub_one = rule(E.sqrt(a) - 1, (a - 1) / (E.sqrt(a) + 1), name="sqrt_sub_one", doc="sqrt(a) - 1 = (a - 1) / (sqrt(a) + 1), for a >= 0.")  # noqa: E501
# ---- differences of cube roots: a - b over the other factor of a**3 - b**3
cbrt_conjugate = rule(E.cbrt(a) - E.cbrt(b), (a - b) / (E.sqr(E.cbrt(a)) + E.cbrt(a) * E.cbrt(b) + E.sqr(E.cbrt(b))), name="cbrt_conjugate", doc="cbrt(a) - cbrt(b) = (a - b) / (cbrt(a)**2 + cbrt(a) cbrt(b) + cbrt(b)**2), for real a, b not both 0.")  # noqa: E501
# x ** (1/3) is NaN for x < 0 where cbrt is not: only where x >= 0 is known.
pow_third_as_cbrt = rule(a ** (1 / 3), E.cbrt(a), where=_lo_at_least("a", 0.0), name="pow_third_as_cbrt", doc="a ** (1/3) = cbrt(a), for a >= 0.")  # noqa: E501
# ---- fractions: combine (and the reverse comes from distributing the product)
combine_fractions = rule(a / b - c / d, (a * d - b * c) / (b * d), name="combine_fractions", doc="a/b - c/d = (a*d - b*c) / (b*d), for b, d != 0.")  # noqa: E501
combine_reciprocals = rule(1 / a - 1 / b, (b - a) / (a * b), name="combine_reciprocals", doc="1/a - 1/b = (b - a) / (a*b), for a, b != 0.")  # noqa: E501
difference_of_squares = rule(a * a - b * b, (a + b) * (a - b), name="difference_of_squares", doc="a*a - b*b = (a + b) * (a - b), for all real a, b.")  # noqa: E501
# ---- trigonometric and hyperbolic addition formulas
sin_of_sum = rule(E.sin(a + b), E.sin(a) * E.cos(b) + E.cos(a) * E.sin(b), name="sin_of_sum", doc="sin(a + b) = sin(a) cos(b) + cos(a) sin(b), for all real a, b.")  # noqa: E501
cos_of_sum = rule(E.cos(a + b), E.cos(a) * E.cos(b) - E.sin(a) * E.sin(b), name="cos_of_sum", doc="cos(a + b) = cos(a) cos(b) - sin(a) sin(b), for all real a, b.")  # noqa: E501
sinh_of_sum = rule(E.sinh(a + b), E.sinh(a) * E.cosh(b) + E.cosh(a) * E.sinh(b), name="sinh_of_sum", doc="sinh(a + b) = sinh(a) cosh(b) + cosh(a) sinh(b), for all real a, b.")  # noqa: E501
cosh_of_sum = rule(E.cosh(a + b), E.cosh(a) * E.cosh(b) + E.sinh(a) * E.sinh(b), name="cosh_of_sum", doc="cosh(a + b) = cosh(a) cosh(b) + sinh(a) sinh(b), for all real a, b.")  # noqa: E501
tan_of_sum = rule(E.tan(a + b), (E.tan(a) + E.tan(b)) / (1 - E.tan(a) * E.tan(b)), name="tan_of_sum", doc="tan(a + b) = (tan(a) + tan(b)) / (1 - tan(a) tan(b)), where the tangents are defined and tan(a) tan(b) != 1.")  # noqa: E501
sin_difference = rule(E.sin(a) - E.sin(b), 2 * E.sin((a - b) * _h) * E.cos((a + b) * _h), name="sin_difference", doc="sin(a) - sin(b) = 2 sin((a - b)/2) cos((a + b)/2), for all real a, b.")  # noqa: E501
cos_difference = rule(E.cos(a) - E.cos(b), -2 * E.sin((a - b) * _h) * E.sin((a + b) * _h), name="cos_difference", doc="cos(a) - cos(b) = -2 sin((a - b)/2) sin((a + b)/2), for all real a, b.")  # noqa: E501
tan_difference = rule(E.tan(a) - E.tan(b), E.sin(a - b) / (E.cos(a) * E.cos(b)), name="tan_difference", doc="tan(a) - tan(b) = sin(a - b) / (cos(a) cos(b)), where both tangents are defined.")  # noqa: E501
one_minus_cos = rule(1 - E.cos(a), 2 * E.sqr(E.sin(a * _h)), name="one_minus_cos", doc="1 - cos(a) = 2 sin(a/2)**2, for all real a.")  # noqa: E501
cosh_minus_one = rule(E.cosh(a) - 1, 2 * E.sqr(E.sinh(a * _h)), name="cosh_minus_one", doc="cosh(a) - 1 = 2 sinh(a/2)**2, for all real a.")  # noqa: E501
exp_sum_minus_two = rule(E.exp(a) + E.exp(-a) - 2, 4 * E.sqr(E.sinh(a * _h)), name="exp_sum_minus_two", doc="exp(a) + exp(-a) - 2 = 4 sinh(a/2)**2, for all real a.")  # noqa: E501
exp_sum_as_cosh = rule(E.exp(a) + E.exp(-a), 2 * E.cosh(a), name="exp_sum_as_cosh", doc="exp(a) + exp(-a) = 2 cosh(a), for all real a.")  # noqa: E501
cosh_minus_one_expm1 = rule(E.cosh(a) - 1, E.sqr(E.expm1(E.abs(a))) / (2 * E.exp(E.abs(a))), name="cosh_minus_one_expm1", doc="cosh(a) - 1 = expm1(|a|)**2 / (2 exp(|a|)), for all real a.")  # noqa: E501
arctan_difference = rule(E.arctan(a) - E.arctan(b), E.arctan2(a - b, 1 + a * b), name="arctan_difference", doc="arctan(a) - arctan(b) = arctan2(a - b, 1 + a*b), for all real a, b (the argument of (1 + ia)(1 - ib)).")  # noqa: E501
arccos_half_angle = rule(E.arccos(a), 2 * E.arcsin(E.sqrt((1 - a) * _h)), name="arccos_half_angle", doc="arccos(a) = 2 arcsin(sqrt((1 - a)/2)), for -1 <= a <= 1.")  # noqa: E501
# ---- log / exp laws and the expm1 / log1p forms (both directions)
log_quotient = rule(E.log(a) - E.log(b), E.log(a / b), where=_positive("a", "b"), name="log_quotient", doc="log(a) - log(b) = log(a / b), for a, b > 0.")  # noqa: E501
log_as_log1p = rule(E.log(a), E.log1p(a - 1), name="log_as_log1p", doc="log(a) = log1p(a - 1), for a > 0.")  # noqa: E501
log1p_as_log = rule(E.log1p(a), E.log(1 + a), name="log1p_as_log", doc="log1p(a) = log(1 + a), for a > -1.")  # noqa: E501
exp_as_expm1 = rule(E.exp(a) - 1, E.expm1(a), name="exp_as_expm1", doc="exp(a) - 1 = expm1(a), for all real a.")  # noqa: E501
expm1_as_exp = rule(E.expm1(a), E.exp(a) - 1, name="expm1_as_exp", doc="expm1(a) = exp(a) - 1, for all real a.")  # noqa: E501
exp_difference = rule(E.exp(a) - E.exp(b), E.exp(b) * E.expm1(a - b), name="exp_difference", doc="exp(a) - exp(b) = exp(b) expm1(a - b), for all real a, b.")  # noqa: E501
log_of_exp = rule(E.log(E.exp(a)), a, name="log_of_exp", doc="log(exp(a)) = a, for all real a.")  # noqa: E501
exp_of_log = rule(E.exp(E.log(a)), a, where=_positive("a"), name="exp_of_log", doc="exp(log(a)) = a, for a > 0.")  # noqa: E501
log_diff_exp = rule(E.log(E.exp(a) - E.exp(b)), a + E.log1mexp(b - a), name="log_diff_exp", doc="log(exp(a) - exp(b)) = a + log1mexp(b - a), for a > b (logdiffexp).")  # noqa: E501
erfc_as_erf = rule(E.erfc(a), 1 - E.erf(a), name="erfc_as_erf", doc="erfc(a) = 1 - erf(a), for all real a (log(erfc(a)) near a = 0 is then log1p(-erf(a))).")  # noqa: E501
log_of_erfc = rule(E.log(E.erfc(a)), E.log(E.erfcx(a)) - a * a, name="log_of_erfc", doc="log(erfc(a)) = log(erfcx(a)) - a*a, for all real a (erfcx(a) = exp(a*a) erfc(a)).")  # noqa: E501
pow_difference = rule(a ** c - b ** c, b ** c * E.expm1(c * E.log(a / b)), where=_positive("a", "b"), name="pow_difference", doc="a**c - b**c = b**c expm1(c log(a/b)), for a, b > 0 and real c.")  # noqa: E501
pow_as_exp_log1p = rule((1 + a) ** b, E.exp(b * E.log1p(a)), where=_lo_at_least("a", -1.0), name="pow_as_exp_log1p", doc="(1 + a)**b = exp(b log1p(a)), for a >= -1 (a > -1 where b <= 0).")  # noqa: E501

#: The accuracy identities, in the order the search applies them.
RULES = [
    sqrt_conjugate, sqrt_sub_conjugate, sqrt_sub_one, cbrt_conjugate, pow_third_as_cbrt,
    combine_fractions, combine_reciprocals,
    difference_of_squares, sin_of_sum, cos_of_sum, sinh_of_sum, cosh_of_sum, tan_of_sum,
    sin_difference, cos_difference, tan_difference, one_minus_cos, cosh_minus_one,
    exp_sum_minus_two, exp_sum_as_cosh, cosh_minus_one_expm1, arctan_difference,
    arccos_half_angle, log_quotient, log_as_log1p, log1p_as_log, exp_as_expm1, expm1_as_exp,
    exp_difference, log_of_exp, exp_of_log, log_diff_exp, erfc_as_erf, log_of_erfc,
    pow_difference, pow_as_exp_log1p,
]
