"""Accuracy rules for exponential, hyperbolic and inverse-function forms.

Part of the ``stabilize`` set through :data:`aesara_cas.rules.cancellation.RULES`
(conventions in :mod:`aesara_cas.rules.cancellation`).
"""

from __future__ import annotations

from aesara_cas.rules.cancellation_util import (
    const_value,
    has_client,
    only_used_by,
    real,
    rest_wild,
)

from aesara_cas import tensor as at
from aesara_cas.graph.basic import Variable
from aesara_cas.rewriting.rule import Rule, rule
from aesara_cas.rewriting.wild import wild
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import DimShuffle

#: ln 2 split in two floats: LN2_HI + LN2_LO = ln 2 to ~2^-106.
LN2_HI = 0.6931471805599453
LN2_LO = 2.3190468138462996e-17


# ---------------------------------------------------------------- exp of a rounded sum


def _reduction(v: Variable) -> bool:
    """Whether ``v`` is a reduction's result (maybe negated or re-broadcast)."""
    node = v.owner
    if node is not None and node.op == at.neg:
        node = node.inputs[0].owner
    elif node is not None and node.op == at.mul and len(node.inputs) == 2:
        signs = [const_value(i) for i in node.inputs]
        if -1 in signs:
            node = node.inputs[1 - signs.index(-1)].owner
    if node is not None and isinstance(node.op, DimShuffle):
        node = node.inputs[0].owner
    return node is not None and isinstance(node.op, Reduce)


#: The terms of the compensated sums: two or three named, or three and the rest.
_TERMS = [wild(f"s{i}") for i in range(3)] + [rest_wild("s")]


def _compensated_where(terms: list):
    """Guard: at least two terms are not constants, none is a reduction (the
    exp(x - max(x)) of softmax, whose shift only sets the range), the sum is not also
    subtracted from (then the TwoSum is already there), and the exp is used only by
    products and quotients (or is an output), so the rules for log(1 + exp(...)),
    exp(t + c) - exp(t) and the like still see it."""
    def where(bd) -> bool:
        if not real(bd):
            return False
        vs = [bd[t] for t in terms]
        if sum(const_value(v) is None for v in vs) < 2 or any(map(_reduction, vs)):
            return False
        return (not has_client(bd.term.owner.inputs[0], at.sub)
                and only_used_by(bd.term, (at.mul, at.true_div)))
    return where


def _two_sum(terms: list) -> tuple:
    """``(s, e)``: the sum left to right, and its rounding error by TwoSum (Knuth)."""
    s, err = terms[0], None
    for t in terms[1:]:
        total = s + t
        bb = total - s
        e = (s - (total - bb)) + (t - bb)
        err = e if err is None else err + e
        s = total
    return s, err


_EXP_SUM_DOC = """exp(a + b + ...), the sum compensated.

    exp(a + b) = exp(s) * exp(e) ~ exp(s) * (1 + e),   s = fl(a + b), e = (a + b) - s

e is computed exactly by TwoSum (Knuth), term by term; |e| <= 2^-53 |s|, so the
dropped e^2/2 is negligible wherever exp(s) is finite.  The plain form has a
relative error of about |s| 2^-53 (up to 8 bits for |s| ~ 700): this matters for
exp(x) * exp(y), which canonicalisation collects into exp(x + y).  Sums of two to
four terms are compensated term by term; in a longer sum the terms after the third
are added first, as one term (a pattern names a fixed number of terms and the
rest of the sum).  Not applied
to sums with a reduction term (the exp(x - max(x)) of softmax, whose shift only
sets the range), and only where the exp is used by products and quotients (or is
an output), so it never hides log(1 + exp(...)), exp(t + c) - exp(t) and the like
from the rules for them.  Where s is not finite or |s| >= 746 (exp(s) is 0 or inf)
e is not used.
"""


def _compensated_rules() -> list[Rule]:
    out = []
    shapes = [_TERMS[:2], _TERMS[:3], _TERMS]
    for terms in shapes:
        lhs = terms[0]
        for t in terms[1:]:
            lhs = lhs + t
        s, err = _two_sum(terms)
        rhs = at.exp(s) * (1.0 + at.switch(at.abs(s) < 746.0, err, 0.0))
        # A two-term sum is the node itself (s is rebuilt as the same a + b).
        out.append(rule(at.exp(lhs), rhs, where=_compensated_where(terms),
                        name="exp_of_sum_compensated", doc=_EXP_SUM_DOC, partial=False))
    return out


# ---------------------------------------------------------------- identities as patterns
#
# Written as math with wilds: each matches every spelling of its left side (``a - b`` as
# ``a + -b``, ``p / q`` as ``p * q ** -1``, ``x * x`` as ``x ** 2``, arguments of ``+``
# and ``*`` in any order), as a whole node (not inside a longer sum: cheaper to match).


def _real_not_under_log(bd) -> bool:
    # Inside log or log1p, 1 - exp(x) is left to the rules that make log1mexp of it.
    v = bd.term
    return real(bd) and not (has_client(v, at.log) or has_client(v, at.log1p))


def _same_constant(bd) -> bool:
    k = const_value(bd[k_])
    return k is not None and k != 0 and real(bd)


def _pattern(lhs, rhs, name, doc, where=real) -> Rule:
    # Two-term identities: every spelling, but the whole node only (cheaper to match).
    return rule(lhs, rhs, where=where, name=name, doc=doc, partial=False)


_COS_DOC = """Forms of f(x) - 1 that cancel near x = 0.

    cosh(x) - 1 = 2 sinh(x/2)^2        1 - cosh(x) = -2 sinh(x/2)^2
    cos(x) - 1  = -2 sin(x/2)^2        1 - exp(x)  = -expm1(x)

Exact identities for all x.  The left sides cancel for |x| << 1 (all bits lost
below |x| ~ 1e-8); the right sides are accurate everywhere (cosh - 1 also
keeps its range: sinh(x/2)^2 overflows only where cosh(x) does).  1 - cos(x)
and exp(x) - 1 are the stability rules one_minus_cos and expm1_from_exp; inside
log or log1p, 1 - exp(x) is left to log1p_neg_exp (which makes log1mexp).
"""
_SINH_DOC = """exp(x) - exp(-x) -> 2 sinh(x).

Exact identity.  The left side cancels for |x| << 1 (it is 2x + O(x^3)); sinh
is accurate there.  Both overflow for |x| > ~710.
"""
_COSH_DOC = """exp(x) + exp(-x) -> 2 cosh(x).

Exact identity; one op instead of three (both sides are accurate).  Lets the
tanh rule see (exp(x) - exp(-x)) / (exp(x) + exp(-x)).
"""
_TANH_DOC = """sinh(x)/cosh(x) and the exponential form -> tanh(x).

    (exp(x) - exp(-x)) / (exp(x) + exp(-x)) = k sinh(x) / (k cosh(x)) = tanh(x)

Exact identity.  The left sides overflow to inf/inf = NaN for |x| > ~710 and
cancel near 0; tanh is accurate everywhere.
"""
_EXPM1_DOC = """exp(x) / expm1(x) -> 1 / -expm1(-x).

Exact identity (= 1 / (1 - exp(-x))).  The left side is inf/inf = NaN for
x > ~709; the right side is accurate for all x (0 gives inf on both sides).
"""
_LOG1MEXP_DOC = """log(-expm1(x)) -> log1mexp(x).

Exact identity (= log(1 - exp(x)), x < 0; both NaN for x > 0).  -expm1(x) rounds
to 1 for x < -37, so the left side loses all relative accuracy there; log1mexp
is accurate everywhere.  (1 - exp(x) becomes -expm1(x) by one_minus_cos_cosh_exp,
so log(1 - exp(x)) ends as log1mexp whichever rule fires first.)
"""
_INVERSE_DOC = """Log forms of arcsinh, arccosh, arctanh.

    log(x + sqrt(x*x + 1))  = arcsinh(x)      (all x; also with hypot(x, 1))
    log(x + sqrt(x*x - 1))  = arccosh(x)      (x >= 1; both NaN below)
    log((1 + x) / (1 - x))  = 2 arctanh(x)    (|x| < 1; both NaN outside)

Exact identities.  The left sides cancel (arcsinh for x < 0, all three near 0)
or overflow in x*x; the library functions are accurate everywhere.
"""
_ARCTANH_DOC = """log1p(x) - log1p(-x) -> 2 arctanh(x).

Exact identity for |x| < 1 (both NaN outside).  The left side cancels near 0;
arctanh is accurate everywhere.
"""
_PAIR_DOC = """log(exp(a) + exp(b)) without overflow.

    log(exp(a) + exp(b)) = max(a, b) + softplus(-|a - b|)

Exact identity.  The left side overflows for max(a, b) > ~709 and underflows to
log(0) = -inf below ~-745; the right side is accurate everywhere (a == b,
including infinities, gives max + log 2).
"""

_LOG_EXPM1_DOC = """log(expm1(x)) where it overflows or cancels.

    log(expm1(x)) = x + log1mexp(-x)             used for x > 30
                  = log1p(2 expm1(x - ln 2))     used for 0.35 < x < 1.38

Exact identities for x > 0 (expm1(x) = 2 e^(x - ln 2) - 1 = 1 + 2 expm1(x - ln 2)).
expm1(x) overflows for x > ~709 (log gives inf where the answer is ~x).  Near
x = ln 2 the result crosses 0 and log(expm1(x)) loses all relative accuracy;
x - ln 2 is formed exactly there (Sterbenz) with ln 2 in two parts.  Elsewhere
the left side is kept (a fallback branch no rule rewrites again).
"""
_POWER_DOC = """(1 + a)**y - 1 -> expm1(y * log1p(a)).

Exact identity for a > -1, used where |t| = |y log1p(a)| < 1 (elsewhere, and
outside the domain, the original is kept).  There the left side rounds 1 + a
(losing the low bits of small a) and then cancels against 1; the right side is
accurate to |t| + 2 ulps.  For |t| >= 1 nothing cancels and pow is better (the
rounding of log1p(a) would cost |t| ulps).
"""
_ARCCOS_DOC = """arccos(1 - a) -> 2 arcsin(sqrt(a/2)).

Exact identity for 0 <= a <= 2 (used for a < 1; both sides are NaN for a < 0).
The left side rounds 1 - a (losing small a entirely below 1e-16) and arccos is
ill-conditioned at 1; the right side is accurate there.  sqrt(a / 2) is computed
as sqrt(2 a) / 2 (a / 2 would underflow for the smallest a).
"""

x_, a_, b_, k_ = wild("x"), wild("a"), wild("b"), wild("k")
_t = x_ * at.log1p(a_)  # y * log1p(a), y bound to the wild x

PATTERN_RULES: list[Rule] = [
    _pattern(at.cosh(x_) - 1, 2.0 * at.sqr(at.sinh(x_ * 0.5)), "one_minus_cos_cosh_exp",
             _COS_DOC),
    _pattern(1 - at.cosh(x_), -2.0 * at.sqr(at.sinh(x_ * 0.5)), "one_minus_cos_cosh_exp",
             _COS_DOC),
    _pattern(at.cos(x_) - 1, -2.0 * at.sqr(at.sin(x_ * 0.5)), "one_minus_cos_cosh_exp",
             _COS_DOC),
    _pattern(1 - at.exp(x_), -at.expm1(x_), "one_minus_cos_cosh_exp", _COS_DOC,
             where=_real_not_under_log),
    _pattern(at.exp(x_) - at.exp(-x_), 2.0 * at.sinh(x_), "exp_difference_sinh", _SINH_DOC),
    _pattern(at.exp(-x_) - at.exp(x_), -2.0 * at.sinh(x_), "exp_difference_sinh", _SINH_DOC),
    _pattern(at.exp(x_) + at.exp(-x_), 2.0 * at.cosh(x_), "exp_sum_cosh", _COSH_DOC),
    _pattern(at.sinh(x_) / at.cosh(x_), at.tanh(x_), "tanh_form", _TANH_DOC),
    _pattern((k_ * at.sinh(x_)) / (k_ * at.cosh(x_)), at.tanh(x_), "tanh_form", _TANH_DOC,
             where=_same_constant),
    _pattern(at.exp(x_) / at.expm1(x_), 1.0 / -at.expm1(-x_), "exp_over_expm1", _EXPM1_DOC),
    _pattern(at.log(-at.expm1(x_)), at.log1mexp(x_), "log_of_neg_expm1", _LOG1MEXP_DOC),
    _pattern(at.log(x_ + at.sqrt(x_ * x_ + 1)), at.arcsinh(x_), "inverse_hyperbolic_log",
             _INVERSE_DOC),
    _pattern(at.log(x_ + at.hypot(x_, 1)), at.arcsinh(x_), "inverse_hyperbolic_log",
             _INVERSE_DOC),
    _pattern(at.log(x_ + at.sqrt(x_ * x_ - 1)), at.arccosh(x_), "inverse_hyperbolic_log",
             _INVERSE_DOC),
    _pattern(at.log((1 + x_) / (1 - x_)), 2.0 * at.arctanh(x_), "inverse_hyperbolic_log",
             _INVERSE_DOC),
    _pattern(at.log((1 - x_) / (1 + x_)), -2.0 * at.arctanh(x_), "inverse_hyperbolic_log",
             _INVERSE_DOC),
    _pattern(at.log1p(x_) - at.log1p(-x_), 2.0 * at.arctanh(x_), "log1p_difference_arctanh",
             _ARCTANH_DOC),
    _pattern(at.log1p(-x_) - at.log1p(x_), -2.0 * at.arctanh(x_), "log1p_difference_arctanh",
             _ARCTANH_DOC),
    _pattern(at.log(at.expm1(x_)),
             at.switch(x_ > 30.0, x_ + at.log1mexp(-x_),
                       at.switch(at.and_(x_ > 0.35, x_ < 1.38),
                                 at.log1p(2.0 * at.expm1((x_ - LN2_HI) - LN2_LO)),
                                 at.log(at.expm1(x_)))),
             "log_of_expm1", _LOG_EXPM1_DOC),
    _pattern((1 + a_) ** x_ - 1, at.switch(at.abs(_t) < 1.0, at.expm1(_t), (1 + a_) ** x_ - 1),
             "power_of_one_plus_minus_one", _POWER_DOC),
    _pattern(at.arccos(1 - a_),
             at.switch(a_ < 1.0, 2.0 * at.arcsin(at.sqrt(2.0 * a_) * 0.5), at.arccos(1 - a_)),
             "arccos_one_minus", _ARCCOS_DOC),
    _pattern(at.log(at.exp(a_) + at.exp(b_)),
             at.maximum(a_, b_) + at.softplus(at.switch(at.eq(a_, b_), 0.0,
                                                        -at.abs(a_ - b_))),
             "log_of_exp_pair", _PAIR_DOC),
]

#: exp(a + b + ...) with the TwoSum compensation.
COMPENSATED_RULES: list[Rule] = _compensated_rules()

#: The rules of this module.  A rule whose output is a switch back to its input keeps
#: that fallback branch as built (``real``: no rule fires on a fallback again) and does
#: not run under saturation.
RULES: list[Rule] = PATTERN_RULES + COMPENSATED_RULES
