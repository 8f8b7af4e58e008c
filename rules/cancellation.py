"""Accuracy rules: rearrangements that remove catastrophic cancellation and overflow.

Part of the ``stabilize`` rule set.  Every rule states its identity, the domain
where the identity holds, and where the new form is more accurate.  Where no
single form is accurate over the whole range, the result is a ``switch`` by
sign or magnitude between the stable form and the original expression.

Conventions (see :mod:`aesara_cas.rules.cancellation_util` for the views):

* The rules look through spellings: ``a - b`` is ``sub(a, b)``, ``a + -b``,
  ``a + -1*b`` or ``a + (-k)``; ``a / b`` is also ``a * b**-1``; ``sqrt(u)`` is
  also ``u ** 0.5``; ``a + c`` is any n-ary ``add`` containing ``a``.  So they
  match both canonical graphs and graphs built by hand.
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
from typing import Any

from aesara_cas.rules import cancellation_functions
from aesara_cas.rules.cancellation_util import (
    Registry,
    const_value,
    find_node,
    guarded,
    has_client,
    input_of,
    is_float,
    negate,
    negation,
    odd_series,
    reciprocal_of,
    root_of_square_sum,
    series,
    shift,
    sqrt_arg,
    tan_coefficient,
)

from aesara_cas import tensor as at
from aesara_cas.graph.basic import Variable
from aesara_cas.rewriting.rule import Rule, rule
from aesara_cas.rewriting.wild import wild

registry = Registry()


def _shifted(s: Variable, t: Variable) -> tuple[Variable, Variable, Variable, int] | None:
    """``(base, shifted, c, sign)``: ``s = t + c`` gives sign +1, ``t = s + c`` sign -1."""
    c = shift(s, t)
    if c is not None:
        return t, s, c, 1
    c = shift(t, s)
    if c is not None:
        return s, t, c, -1
    return None


def _signed(v: Variable, sign: int) -> Variable:
    return v if sign > 0 else at.neg(v)


def _safe_ratio(num: Variable, den: Variable) -> Variable:
    """``num / den``, but 0 where ``den == 0`` if ``num`` may be 0 too (0/0 would be NaN
    where the original difference was exactly 0)."""
    out = num / den
    c = const_value(num)
    if c is not None and c != 0:
        return out
    return at.switch(at.eq(den, 0), 0.0, out)


# ---------------------------------------------------------------- differences of roots


def root_difference(a: Variable, b: Variable) -> Variable | None:
    """A stable ``sqrt(s) - sqrt(t)`` or ``sqrt(k*k + c) - k`` (``None`` if not one)."""
    s, t = sqrt_arg(a), sqrt_arg(b)
    if s is not None and t is not None:
        found = _shifted(s, t)
        if found is not None:
            _, _, c, sign = found
            num = c if sign > 0 else negate(c)
        elif s.owner is None and t.owner is None:
            num = s - t  # exact for nearby inputs (Sterbenz), unlike the roots' difference
        else:
            return None
        return _safe_ratio(num, a + b)
    for r, k, sign in ((a, b, 1), (b, a, -1)):
        u, kv = sqrt_arg(r), const_value(k)
        if u is None or kv is None or not kv > 0 or Fraction(kv) ** 2 != Fraction(kv * kv):
            continue
        c = shift(u, at.constant(kv * kv))
        if c is not None:
            return _signed(c / (r + k), sign)
    return None


registry.on_difference("root_difference", """Rationalise a difference of square roots.

    sqrt(t + c) - sqrt(t) = c / (sqrt(t + c) + sqrt(t))      (t >= 0, t + c >= 0)
    sqrt(k*k + c) - k     = c / (sqrt(k*k + c) + k)           (k > 0 a constant)
    sqrt(x) - sqrt(y)     = (x - y) / (sqrt(x) + sqrt(y))     (x, y graph inputs)

The left sides lose all accuracy when c is small against t; the right sides are
accurate to a few ulps everywhere.  Where both roots are 0 the result is 0.
Python: the shift c is the rest of a sum of any length containing t, and a zero
denominator is guarded only when c may be 0.
""")(root_difference)


def reciprocal_difference(a: Variable, b: Variable) -> Variable | None:
    """``1/s - 1/t`` as ``((t - s) / s) / t`` when ``t - s`` has a stable form."""
    s, t = reciprocal_of(a), reciprocal_of(b)
    if s is None or t is None:
        return None
    found = _shifted(t, s)
    if found is not None:
        _, _, c, sign = found
        diff = c if sign > 0 else negate(c)
    else:
        diff = root_difference(t, s)
        if diff is None:
            return None
    return (diff / s) / t


registry.on_difference("reciprocal_difference", """Subtract reciprocals over a common denominator.

    1/s - 1/(s + c)           = (c / s) / (s + c)
    1/sqrt(u) - 1/sqrt(u + c) = (sqrt(u + c) - sqrt(u)) / sqrt(u) / sqrt(u + c),
                                with the root difference rationalised.

Exact identities wherever both sides are finite; the left side cancels when c
is small against s.  Dividing twice (not by s * (s + c)) avoids overflow.
Python: it finds the shift as root_difference does and reuses its result.
""")(reciprocal_difference)


# ---------------------------------------------------------------- shifted functions


def _shift_identity(op: Any, base: Variable, shifted: Variable, c: Variable, orig) -> Any:
    # cos(t + h) and sin(t + h) are expanded rather than computed from the rounded
    # t + h: rounding t + h costs |t| ulps of absolute error, the expansion ~1.
    half = c * 0.5
    if op == at.sin:
        return 2.0 * at.sin(half) * (at.cos(base) * at.cos(half) - at.sin(base) * at.sin(half))
    if op == at.cos:
        return -2.0 * at.sin(half) * (at.sin(base) * at.cos(half) + at.cos(base) * at.sin(half))
    if op == at.tan:
        cos_shifted = at.cos(base) * at.cos(c) - at.sin(base) * at.sin(c)
        return at.sin(c) / (cos_shifted * at.cos(base))
    if op == at.exp:
        return at.exp(base) * at.expm1(c)
    if op == at.log:
        # c / t overflows only for t tiny against c, where log(c) - log(t) is large and
        # does not cancel (the omitted log1p(t / c) is below 1e-300).
        q = c / base
        return at.switch(at.abs(q) < 1e300, at.log1p(q), at.log(c) - at.log(base))
    if op == at.arctan:
        # c / (1 + t s), as (c / t) / (1 / t + s) for |t| > 1 so t s cannot overflow.
        d = 1.0 + base * shifted
        big = at.abs(base) > 1.0
        q = at.switch(big, (c / base) / (1.0 / base + shifted), c / d)
        return at.switch(d > 0, at.arctan(q), orig())
    return None


@registry.on_difference("shifted_difference", """f(t + c) - f(t) without cancellation, for small c.

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

All exact identities on the stated domains (the arctan one is applied only
where it holds; elsewhere the difference does not cancel and is kept).  The
left sides lose about log2(|f(t)| / |f(t + c) - f(t)|) bits.
Python: the shift c is the rest of a sum of any length containing t (either side).
""")
def shifted_difference(a: Variable, b: Variable) -> Variable | None:
    t = input_of(a, at.log1p)
    if t is not None and input_of(b, at.log) is t:  # log(1 + t) - log(t)
        return _shift_identity(at.log, t, None, at.constant(1.0), None)
    t = input_of(b, at.log1p)
    if t is not None and input_of(a, at.log) is t:
        return at.neg(_shift_identity(at.log, t, None, at.constant(1.0), None))
    for op in (at.sin, at.cos, at.tan, at.exp, at.log, at.arctan):
        ia, ib = input_of(a, op), input_of(b, op)
        if ia is None or ib is None:
            continue
        found = _shifted(ia, ib)
        if found is None:
            return None
        base, shifted, c, sign = found
        first, second = (a, b) if sign > 0 else (b, a)
        out = _shift_identity(op, base, shifted, c, lambda f=first, g=second: at.sub(f, g))
        return None if out is None else _signed(out, sign)
    return None


# ---------------------------------------------------------------- series near zero

_SIN_T, _TAN_T = 2.0, 0.6
#: x - sin(x) = x**3/3! - x**5/5! + ...  and  sinh(x) - x = x**3/3! + x**5/5! + ...
SIN_SERIES = series(lambda k: Fraction((-1) ** k, math.factorial(2 * k + 3)), _SIN_T)
SINH_SERIES = series(lambda k: Fraction(1, math.factorial(2 * k + 3)), _SIN_T)
TAN_SERIES = series(tan_coefficient, _TAN_T)


# ---------------------------------------------------------------- sqrt(b*b + e) -/+ b


def _root_minus(r: Variable, b: Variable, sign: int) -> Variable | None:
    """``r - b`` (sign +1) or ``r + b`` (sign -1) for ``r = sqrt(b*b + e)``."""
    found = root_of_square_sum(r, b)
    if found is None:
        return None
    e, w = found
    wv = None if w is None else const_value(w)
    if wv is not None:  # hypot(b, k): the same graph as for sqrt(b*b + k*k)
        e, w = at.constant(wv * wv), None
    # Where the stable form is used, r + b (sign +1, b > 0) and r - b (sign -1, b < 0)
    # both equal r + |b|: spelled so, no rule sees a root plus/minus its base again.
    # Halved (exactly), so the denominator does not overflow for |b| near the largest
    # float while the quotient is representable.
    half_rb = 0.5 * r + 0.5 * at.abs(b)
    stable = (0.5 * e) / half_rb if w is None else (0.5 * w) * (w / half_rb)
    cond = b > 0 if sign > 0 else b < 0
    return at.switch(cond, stable, r + at.abs(b))


def _unit_offset(r: Variable, b: Variable) -> bool:
    """Whether ``r`` is ``sqrt(b*b +- 1)`` (or ``hypot(b, +-1)``)."""
    found = root_of_square_sum(r, b)
    if found is None:
        return False
    e, w = found
    value = const_value(e) if w is None else const_value(w)
    return value is not None and abs(value) == 1


@registry.on_difference("root_minus_base", """sqrt(b*b + e) - b and b - sqrt(b*b + e), rationalised.

    sqrt(b*b + e) - b = e / (sqrt(b*b + e) + b)      used where b > 0
    hypot(b, w) - b   = w * (w / (hypot(b, w) + b))  used where b > 0

Exact identities; the left side cancels when b > 0 and |e| << b*b, the right
side does not.  For b <= 0 the difference is a sum of non-negative terms and is
kept (as sqrt(b*b + e) + |b|).  This covers sqrt(x*x + 1) - x and the '+'
root of the quadratic formula, (-b + sqrt(b*b - 4ac)) / 2a.
Python: e is the rest of a sum of any length containing b*b, or a hypot's other
argument.
""")
def root_minus_base(a: Variable, b: Variable) -> Variable | None:
    out = _root_minus(a, b, 1)
    if out is None:
        out = _root_minus(b, a, 1)
        return None if out is None else at.neg(out)
    return out


def _root_plus(head, p, q) -> Variable | None:
    """``b + sqrt(b*b + e)``, and ``-b - sqrt(b*b + e)`` as its negation."""
    if head == at.add:
        v = find_node(head, (p, q))
        for r, b in ((p, q), (q, p)):
            if v is not None and has_client(v, at.log) and _unit_offset(r, b):
                return None  # log(b + sqrt(b*b +- 1)) is arcsinh/arccosh: leave it to that rule
            out = _root_minus(r, b, -1)
            if out is not None:
                return out
        np_, nq = negation(p), negation(q)
        pairs = ((np_, nq), (nq, np_)) if np_ is not None and nq is not None else ()
    else:  # sub(-b, r)
        nb = negation(p)
        pairs = ((q, nb),) if nb is not None else ()
    for r, b in pairs:
        out = _root_minus(r, b, -1)
        if out is not None:
            return at.neg(out)
    return None


registry.register("root_plus_base", (at.add, at.sub), 2, _root_plus, """b + sqrt(b*b + e).

    b + sqrt(b*b + e) = e / (sqrt(b*b + e) - b)      used where b < 0

Exact identity; the left side cancels when b < 0 and |e| << b*b.  Also matches
-b - sqrt(b*b + e) = -(b + sqrt(...)), the '-' root of the quadratic formula.
Python: as root_minus_base, and it leaves log(b + sqrt(b*b +- 1)) to the arcsinh rule
(a look at the node's uses).
""")


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


def _real(bd) -> bool:
    """A float result that is not the fallback branch of a switch (see ``guarded``)."""
    return is_float(bd.term) and not guarded(bd.term)


def _two_bases(bd) -> bool:
    return bd[a_] is not bd[b_] and _real(bd)


def _exact_root(bd) -> bool:
    """``k`` is a positive constant whose square root is exact (4, 0.25, 9, ...)."""
    kv = const_value(bd[k_])
    if kv is None or not kv > 0 or not _real(bd):
        return False
    return Fraction(kv ** 0.5) ** 2 == Fraction(kv)


a_, b_, k_ = wild("a"), wild("b"), wild("k")

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
            out.append(rule(lhs, at.switch(at.abs(a_) < threshold, approx, lhs), where=_real,
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

#: The rules of this module and of :mod:`aesara_cas.rules.cancellation_functions`:
#: the identities written as patterns first, then those computed in Python (a search
#: over the terms of a sum, a series, or a switch back to the original).
RULES: list[Rule] = (PATTERN_RULES + cancellation_functions.PATTERN_RULES + registry.rules
                     + cancellation_functions.registry.rules)
