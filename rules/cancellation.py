"""Accuracy rules: rearrangements that remove catastrophic cancellation and overflow.

Part of the ``stabilize`` rule set.  Every rule states its identity, the domain
where the identity holds, and where the new form is more accurate.  Where no
single form is accurate over the whole range, the result is a ``switch`` by
sign or magnitude between the stable form and the original expression.

Every rule is a pattern -> pattern relation (``rule(lhs, rhs, where=guard)``,
built with the blocks of :mod:`aesara_cas.rules.cancellation_util`).  Conventions:

* The patterns are written as math with wilds, so the engine matches every
  spelling: ``a - b`` is ``sub(a, b)``, ``a + -b`` or ``a + -1*b``; ``a / b`` is
  also ``a * b**-1``; ``sqrt(u)`` is also ``u ** 0.5``; ``b*b`` is ``b ** 2``.  A
  constant is subtracted as ``a + (-k)``: those rules name ``+ m`` with ``m < 0``.
  ``t + c`` with ``c`` a rest wild is a sum of any length containing ``t``.
* A difference is not symmetric: each identity comes as two rules, one per order
  (``differences``).  Where a computed right side used to choose among forms, there
  is one rule per form, with guards (``where=``) that exclude each other, so the
  result does not depend on which rule is tried first.
* Results are unchanged wherever the original expression is defined (not
  NaN); outside its domain a rewrite may return a number where the original
  gave NaN.  Each rule's tests check this against mpmath at points inside and
  at the edges of the domain.
* A rule that keeps the original expression as the ``else`` branch of a
  ``switch`` never fires on that branch again (``guarded``).
"""

from __future__ import annotations

import math
from fractions import Fraction

from aesara_cas.rules import cancellation_functions
from aesara_cas.rules.cancellation_util import (
    const_value,
    differences,
    has_client,
    odd_series,
    ratio_or_zero,
    real,
    rest_wild,
    series,
    tan_coefficient,
)

from aesara_cas import tensor as at
from aesara_cas.rewriting.rule import Rule, rule
from aesara_cas.rewriting.wild import wild

a_, b_, t_, w_ = (wild(n) for n in ("a", "b", "t", "w"))
#: Wilds a guard requires to be constants (named as the rule tests instantiate them:
#: k = 4, k_int = 2, k_neg = -2, so that sqrt(k + c) - k_int and sqrt(k + c) + k_neg fire).
k_, n_, m_ = wild("k"), wild("k_int"), wild("k_neg")
#: The rest of a sum of any length: ``c`` the shift of ``t + c``, ``e`` of ``b*b + e``.
c_, e_ = rest_wild("c"), rest_wild("e")


def _shift_nonzero(bd) -> bool:
    """The shift ``k`` is a non-zero constant: the rationalised form needs no guard.
    (Constants of a sum are folded into one, so a constant shift is the only other term.)"""
    c = const_value(bd[k_])
    return c is not None and c != 0 and real(bd)


def _shift_any(bd) -> bool:
    """The shift may be 0: the quotient is guarded (0 where both roots are 0)."""
    c = const_value(bd[c_])
    return (c is None or c == 0) and real(bd)


def _exact_square(kk: float | None, k: float | None) -> bool:
    """``kk == k*k`` exactly, ``k > 0`` (so ``sqrt(kk) == k``)."""
    return (kk is not None and k is not None and k > 0
            and Fraction(k) ** 2 == Fraction(kk))


def _root_of_square(bd) -> bool:  # sqrt(k + c) - n, n*n = k, spelled as "+ m", m = -n < 0
    m = const_value(bd[m_])
    return m is not None and _exact_square(const_value(bd[k_]), -m) and real(bd)


def _square_minus_root(bd) -> bool:  # n - sqrt(k + c), n*n = k
    return _exact_square(const_value(bd[k_]), const_value(bd[n_])) and real(bd)


def _inputs(bd) -> bool:
    """Both radicands are graph inputs (no shift to find between them)."""
    a, b = bd[a_], bd[b_]
    return a.owner is None and b.owner is None and a is not b and real(bd)


# ---------------------------------------------------------------- differences of roots

_ROOT_DOC = """Rationalise a difference of square roots.

    sqrt(t + c) - sqrt(t) = c / (sqrt(t + c) + sqrt(t))      (t >= 0, t + c >= 0)
    sqrt(k*k + c) - k     = c / (sqrt(k*k + c) + k)           (k > 0 a constant)
    sqrt(x) - sqrt(y)     = (x - y) / (sqrt(x) + sqrt(y))     (x, y graph inputs)
    (and the negated forms sqrt(t) - sqrt(t + c), k - sqrt(k*k + c), ...)

c is the rest of a sum of any length containing t.  The left sides lose all
accuracy when c is small against t; the right sides are accurate to a few ulps
everywhere.  Where both roots are 0 the result is 0 (the quotient is guarded by a
switch unless c is a non-zero constant).
"""


def _root_rules() -> list[Rule]:
    shifted, base = at.sqrt(c_ + t_), at.sqrt(t_)
    kw = {"name": "root_difference", "doc": _ROOT_DOC}
    root = at.sqrt(k_ + t_)  # matches t + k too: t recurs, so the sum is searched
    return [
        *differences(root, base, k_ / (root + base), -k_ / (base + root),
                     where=_shift_nonzero, **kw),
        *differences(shifted, base, ratio_or_zero(c_, shifted + base),
                     ratio_or_zero(-c_, base + shifted), where=_shift_any, **kw),
        # n*n + c under the root (k = n*n): n is a constant, so n - sqrt(...) is spelled
        # n + -sqrt(...) and sqrt(...) - n as sqrt(...) + m with m = -n.
        rule(at.sqrt(c_ + k_) + m_, c_ / (at.sqrt(c_ + k_) - m_), where=_root_of_square,
             partial=False, **kw),
        rule(n_ - at.sqrt(c_ + k_), -(c_ / (at.sqrt(c_ + k_) + n_)), where=_square_minus_root,
             partial=False, **kw),
        # x - y is exact for nearby inputs (Sterbenz), unlike the roots' difference.
        rule(at.sqrt(a_) - at.sqrt(b_),
             ratio_or_zero(a_ - b_, at.sqrt(a_) + at.sqrt(b_)), where=_inputs,
             partial=False, **kw),
    ]


_RECIPROCAL_DOC = """Subtract reciprocals over a common denominator.

    1/t - 1/(t + c)           = (c / t) / (t + c)
    1/sqrt(t) - 1/sqrt(t + c) = (sqrt(t + c) - sqrt(t)) / sqrt(t) / sqrt(t + c),
                                with the root difference rationalised
    1/sqrt(x) - 1/sqrt(y)     = (y - x) / (sqrt(y) + sqrt(x)) / sqrt(x) / sqrt(y)
                                (x, y graph inputs)
    (and the negated forms)

Exact identities wherever both sides are finite; the left side cancels when c
is small against t.  Dividing twice (not by t * (t + c)) avoids overflow.
"""


def _reciprocal_rules() -> list[Rule]:
    kw = {"name": "reciprocal_difference", "doc": _RECIPROCAL_DOC}
    s, r = c_ + t_, at.sqrt(c_ + t_)
    root = at.sqrt(t_)
    ra, rb = at.sqrt(a_), at.sqrt(b_)
    return [
        *differences(1 / t_, 1 / s, (c_ / t_) / s, (-c_ / s) / t_, **kw),
        *differences(1 / root, 1 / r, (ratio_or_zero(c_, r + root) / root) / r,
                     (ratio_or_zero(-c_, root + r) / r) / root, **kw),
        rule(1 / ra - 1 / rb, (ratio_or_zero(b_ - a_, rb + ra) / ra) / rb, where=_inputs,
             partial=False, **kw),
    ]


# ---------------------------------------------------------------- shifted functions


def _shift_identities() -> list:
    """``(f, f(t + c) - f(t) as a pattern over t and c)``: the expansions of the doc."""
    half, s = c_ * 0.5, c_ + t_
    cos_s = at.cos(t_) * at.cos(c_) - at.sin(t_) * at.sin(c_)
    # arctan: c / (1 + t s), as (c / t) / (1 / t + s) for |t| > 1 so t s cannot overflow;
    # where 1 + t s <= 0 the identity does not hold and the difference is kept.
    d = 1.0 + t_ * s
    q = at.switch(at.abs(t_) > 1.0, (c_ / t_) / (1.0 / t_ + s), c_ / d)
    # c / t overflows only for t tiny against c, where log(c) - log(t) is large and does
    # not cancel (the omitted log1p(t / c) is below 1e-300).
    lq = c_ / t_
    return [
        (at.sin, 2.0 * at.sin(half)
         * (at.cos(t_) * at.cos(half) - at.sin(t_) * at.sin(half))),
        (at.cos, -2.0 * at.sin(half)
         * (at.sin(t_) * at.cos(half) + at.cos(t_) * at.sin(half))),
        (at.tan, at.sin(c_) / (cos_s * at.cos(t_))),
        (at.exp, at.exp(t_) * at.expm1(c_)),
        (at.log, at.switch(at.abs(lq) < 1e300, at.log1p(lq), at.log(c_) - at.log(t_))),
        (at.arctan, at.switch(d > 0, at.arctan(q), at.arctan(s) - at.arctan(t_))),
    ]


_SHIFT_DOC = """f(t + c) - f(t) without cancellation, for small c.

    sin(t + c) - sin(t)       = 2 cos(t + c/2) sin(c/2)
    cos(t + c) - cos(t)       = -2 sin(t + c/2) sin(c/2)
    tan(t + c) - tan(t)       = sin(c) / (cos(t + c) cos(t))
    (with cos(t + h) = cos t cos h - sin t sin h, sin(t + h) = sin t cos h + cos t sin h
    expanded, so the rounding of t + h, |t| ulps, does not enter)
    exp(t + c) - exp(t)       = exp(t) expm1(c)
    log(t + c) - log(t)       = log1p(c / t)                   (t > 0, t + c > 0;
                                log(c) - log(t) where c / t would overflow)
    log1p(t) - log(t)         = log1p(1 / t)                   (t > 0)
    arctan(t + c) - arctan(t) = arctan(c / (1 + t (t + c)))    where 1 + t (t + c) > 0
    (and the negated forms f(t) - f(t + c))

c is the rest of a sum of any length containing t.  All exact identities on the
stated domains (the arctan one is applied only where it holds; elsewhere the
difference does not cancel and is kept).  The left sides lose about
log2(|f(t)| / |f(t + c) - f(t)|) bits.
"""


def _shift_rules() -> list[Rule]:
    kw = {"name": "shifted_difference", "doc": _SHIFT_DOC}
    out = []
    for f, identity in _shift_identities():
        out += differences(f(c_ + t_), f(t_), identity, -identity, **kw)
    q = 1.0 / t_
    log1p_form = at.switch(at.abs(q) < 1e300, at.log1p(q), at.log(1.0) - at.log(t_))
    out += differences(at.log1p(t_), at.log(t_), log1p_form, -log1p_form, **kw)
    return out


# ---------------------------------------------------------------- series near zero

_SIN_T, _TAN_T = 2.0, 0.6
#: x - sin(x) = x**3/3! - x**5/5! + ...  and  sinh(x) - x = x**3/3! + x**5/5! + ...
SIN_SERIES = series(lambda k: Fraction((-1) ** k, math.factorial(2 * k + 3)), _SIN_T)
SINH_SERIES = series(lambda k: Fraction(1, math.factorial(2 * k + 3)), _SIN_T)
TAN_SERIES = series(tan_coefficient, _TAN_T)


# ---------------------------------------------------------------- sqrt(b*b + e) -/+ b

#: The root, rebuilt with its terms in the order canonical graphs give them (so there it
#: is usually the node that was matched, which merging then shares).
_ROOT = at.sqrt(e_ + b_ ** 2)


def _stable(r, num, w=None):
    """``num / (r + |b|)`` (``w * (w / (r + |b|))`` for a hypot), halved: the
    denominator does not overflow for |b| near the largest float while the quotient
    is representable."""
    half_rb = 0.5 * r + 0.5 * at.abs(b_)
    return (0.5 * num) / half_rb if w is None else (0.5 * w) * (w / half_rb)


def _root_minus_forms(sign: int) -> list:
    """``(root, stable)`` for ``r - b`` (sign +1, used where b > 0) or ``r + b`` (sign -1,
    used where b < 0): both equal ``r + |b|`` where the stable form is not used, and
    are spelled so, so that no rule sees a root plus or minus its base again."""
    cond = (b_ > 0) if sign > 0 else (b_ < 0)
    out = [(_ROOT, at.switch(cond, _stable(_ROOT, e_), _ROOT + at.abs(b_)), real)]
    for hyp in (at.hypot(b_, w_), at.hypot(w_, b_)):
        out.append((hyp, at.switch(cond, _stable(hyp, None, w_), hyp + at.abs(b_)),
                    _variable_w))
    # hypot(b, k), k a constant: the same graph as for sqrt(b*b + k*k) (which hypot_form
    # makes hypot(b, k) of), so the result does not depend on which rule fires first.
    for hyp in (at.hypot(b_, k_), at.hypot(k_, b_)):
        out.append((hyp, at.switch(cond, _stable(hyp, k_ * k_), hyp + at.abs(b_)),
                    _constant_k))
    return out


def _constant_k(bd) -> bool:
    return const_value(bd[k_]) is not None and real(bd)


def _variable_w(bd) -> bool:
    return const_value(bd[w_]) is None and bd[w_] is not bd[b_] and real(bd)


_MINUS_DOC = """sqrt(b*b + e) - b and b - sqrt(b*b + e), rationalised.

    sqrt(b*b + e) - b = e / (sqrt(b*b + e) + b)      used where b > 0
    hypot(b, w) - b   = w * (w / (hypot(b, w) + b))  used where b > 0

Exact identities; the left side cancels when b > 0 and |e| << b*b, the right
side does not.  For b <= 0 the difference is a sum of non-negative terms and is
kept (as sqrt(b*b + e) + |b|).  e is the rest of a sum of any length containing
b*b.  This covers sqrt(x*x + 1) - x and the '+' root of the quadratic formula,
(-b + sqrt(b*b - 4ac)) / 2a.
"""


def _minus_rules() -> list[Rule]:
    out = []
    for root, stable, guard in _root_minus_forms(1):
        out += differences(root, b_, stable, -stable, where=guard, name="root_minus_base",
                           doc=_MINUS_DOC)
    return out


_PLUS_DOC = """b + sqrt(b*b + e).

    b + sqrt(b*b + e) = e / (sqrt(b*b + e) - b)      used where b < 0

Exact identity; the left side cancels when b < 0 and |e| << b*b.  Also matches
-b - sqrt(b*b + e) = -(b + sqrt(...)), the '-' root of the quadratic formula, and
hypot(b, w) for the root.  log(b + sqrt(b*b +- 1)) is left to the arcsinh and
arccosh rule (inverse_hyperbolic_log), whose result is better still.
"""


def _not_inverse_hyperbolic(guard):
    """``guard``, and not the argument of a log with e (or w) = +-1: arcsinh/arccosh."""
    def where(bd) -> bool:
        if not guard(bd):
            return False
        if not has_client(bd.term, at.log):
            return True
        unit = next((bd.get(v.lvar) for v in (e_, k_, w_) if v.lvar in bd), None)
        value = const_value(unit)
        return value is None or abs(value) != 1
    return where


def _plus_rules() -> list[Rule]:
    out = []
    for root, stable, guard in _root_minus_forms(-1):
        out.append(rule(b_ + root, stable, where=_not_inverse_hyperbolic(guard),
                        name="root_plus_base", doc=_PLUS_DOC, partial=False))
        out.append(rule(-b_ - root, -stable, where=guard, name="root_plus_base",
                        doc=_PLUS_DOC, partial=False))
    return out


# ---------------------------------------------------------------- identities as patterns

_SQUARES_DOC = """Factor a difference of squares.

    a*a - b*b = (a - b) * (a + b)

Exact identity.  a - b is exact when a and b are close (Sterbenz), so the
product is accurate to ~1.5 ulps where the left side cancels; the right side
also avoids the overflow of a*a for |a| > 1e154.  A zero result is +0.0, as
NumPy's a*a - b*b is (the product alone gives -0.0 at a = -0.0, b = 0.0).
"""
_HYPOT_DOC = """Square roots of sums of squares as hypot.

    sqrt(a*a + b*b) = hypot(a, b)        sqrt(a*a + k) = hypot(a, sqrt(k))

Exact identity (k > 0 a constant with an exact square root); hypot does not
overflow or underflow in the squares, so it is right for |a| > 1e154 or < 1e-154.
"""


def _two_bases(bd) -> bool:
    return bd[a_] is not bd[b_] and real(bd)


def _exact_root(bd) -> bool:
    """``k`` is a positive constant whose square root is exact (4, 0.25, 9, ...)."""
    kv = const_value(bd[k_])
    if kv is None or not kv > 0 or not real(bd):
        return False
    return Fraction(kv ** 0.5) ** 2 == Fraction(kv)


_ODD_DOC = """x - f(x) near 0 by its Taylor series.

    x - sin(x)  = x^3/3! - x^5/5! + ...      used for |x| < 2
    sinh(x) - x = x^3/3! + x^5/5! + ...      used for |x| < 2
    tan(x) - x  = x^3/3 + 2 x^5/15 + ...     used for |x| < 0.6
    (and the negated forms f(x) - x, x - f(x))

The direct forms lose 2 log2(1/|x|) bits near 0; the series (Horner in x^2,
truncated below 2^-60 relative) is accurate to ~1 ulp below the threshold, and
the direct form loses at most ~2 bits above it.  A switch on |x| picks one; its
fallback branch (the original) is never rewritten again.
"""


def _odd_rules() -> list[Rule]:
    """``x - f(x)`` and ``f(x) - x`` for f = sin, sinh, tan: a switch to the series."""
    out = []
    for f, coeffs, threshold in ((at.sin, SIN_SERIES, _SIN_T), (at.sinh, SINH_SERIES, _SIN_T),
                                 (at.tan, TAN_SERIES, _TAN_T)):
        series_ = odd_series(a_, coeffs)  # x**3 (c0 + c1 x**2 + ...) = x - sin x, sinh x - x, ...
        x_minus_f, f_minus_x = (series_, -series_) if f is at.sin else (-series_, series_)
        for lhs, approx in ((a_ - f(a_), x_minus_f), (f(a_) - a_, f_minus_x)):
            out.append(rule(lhs, at.switch(at.abs(a_) < threshold, approx, lhs), where=real,
                            name="odd_function_minus_x", doc=_ODD_DOC, partial=False))
    return out


PATTERN_RULES: list[Rule] = [
    rule(a_ * a_ - b_ * b_, (a_ - b_) * (a_ + b_) + 0.0, where=_two_bases,
         name="square_difference", doc=_SQUARES_DOC, partial=False),
    rule(at.sqrt(a_ * a_ + b_ * b_), at.hypot(a_, b_), where=_two_bases, name="hypot_form",
         doc=_HYPOT_DOC, partial=False),
    rule(at.sqrt(a_ * a_ + k_), at.hypot(a_, at.sqrt(k_)), where=_exact_root,
         name="hypot_form", doc=_HYPOT_DOC, partial=False),
    *_odd_rules(),
]

#: The rules that pick a stable form by a switch, or by the shape of the sum they match
#: (the rationalised differences, the shifted functions, exp of a compensated sum).
GREEDY_RULES: list[Rule] = (_root_rules() + _reciprocal_rules() + _shift_rules()
                            + _minus_rules() + _plus_rules()
                            + cancellation_functions.COMPENSATED_RULES)
# Greedy only: in an e-graph a switch form shares its class with the plain form, and
# the accuracy search (which measures the forms) has its own conjugate and shift
# identities (rules/accuracy.py); their guards also read the greedy graph (guarded,
# the uses of a node), which an e-graph does not have.
for _r in GREEDY_RULES:
    _r.saturate = False

#: The rules of this module and of :mod:`aesara_cas.rules.cancellation_functions`.
RULES: list[Rule] = PATTERN_RULES + cancellation_functions.PATTERN_RULES + GREEDY_RULES
