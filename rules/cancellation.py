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

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from aesara_cas.rules.cancellation_util import (
    const_value,
    difference,
    find_node,
    guarded,
    has_client,
    is_float,
    negate,
    negation,
    odd_series,
    quotient,
    reciprocal_of,
    root_of_square_sum,
    series,
    shift,
    sqrt_arg,
    square_base,
    tan_coefficient,
)
from etuples import etuple

from aesara_cas import tensor as at
from aesara_cas.graph.basic import Variable
from aesara_cas.rewriting.rule import Rule, fresh, rule

RULES: list[Rule] = []


def _register(name: str, heads: tuple, nin: int, build: Callable, doc: str) -> Callable:
    """Make ``build(*inputs)`` (replacement or ``None``) a rule on each head op."""
    args = fresh(nin, prefix=name)
    for head in heads:
        def rhs(bindings, head=head) -> Any:
            ins = tuple(bindings[a] for a in args)
            if guarded(find_node(head, ins)):
                return None
            return build(head, *ins)

        RULES.append(rule(etuple(head, *args), rhs, name=name, doc=doc))
    return build


def on_difference(name: str, doc: str) -> Callable:
    """Decorator: ``build(a, b)`` for every node computing ``a - b`` (float)."""

    def deco(build: Callable) -> Callable:
        def from_node(head, p, q):
            if head == at.sub:
                pair = (p, q)
            else:
                v = find_node(head, (p, q))
                pair = difference(v if v is not None else at.add(p, q))
            if pair is None or not is_float(*pair):
                return None
            return build(*pair)

        _register(name, (at.sub, at.add), 2, from_node, doc)
        return build

    return deco


def on_op(name: str, head: Any, nin: int, doc: str) -> Callable:
    """Decorator: ``build(*inputs)`` for every node of ``head``."""

    def deco(build: Callable) -> Callable:
        _register(name, (head,), nin, lambda _h, *ins: build(*ins), doc)
        return build

    return deco


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


on_difference("root_difference", """Rationalise a difference of square roots.

    sqrt(t + c) - sqrt(t) = c / (sqrt(t + c) + sqrt(t))      (t >= 0, t + c >= 0)
    sqrt(k*k + c) - k     = c / (sqrt(k*k + c) + k)           (k > 0 a constant)
    sqrt(x) - sqrt(y)     = (x - y) / (sqrt(x) + sqrt(y))     (x, y graph inputs)

The left sides lose all accuracy when c is small against t; the right sides are
accurate to a few ulps everywhere.  Where both roots are 0 the result is 0.
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


on_difference("reciprocal_difference", """Subtract reciprocals over a common denominator.

    1/s - 1/(s + c)           = (c / s) / (s + c)
    1/sqrt(u) - 1/sqrt(u + c) = (sqrt(u + c) - sqrt(u)) / sqrt(u) / sqrt(u + c),
                                with the root difference rationalised.

Exact identities wherever both sides are finite; the left side cancels when c
is small against s.  Dividing twice (not by s * (s + c)) avoids overflow.
""")(reciprocal_difference)


@on_difference("square_difference", """Factor a difference of squares.

    a*a - b*b = (a - b) * (a + b)

Exact identity.  a - b is exact when a and b are close (Sterbenz), so the
product is accurate to ~1.5 ulps where the left side cancels; the right side
also avoids the overflow of a*a for |a| > 1e154.
""")
def square_difference(a: Variable, b: Variable) -> Variable | None:
    u, w = square_base(a), square_base(b)
    if u is None or w is None or u is w:
        return None
    return (u - w) * (u + w)


# ---------------------------------------------------------------- shifted functions


def _shift_identity(op: Any, base: Variable, shifted: Variable, c: Variable, orig) -> Any:
    half = c * 0.5
    if op == at.sin:
        return 2.0 * at.cos(base + half) * at.sin(half)
    if op == at.cos:
        return -2.0 * at.sin(base + half) * at.sin(half)
    if op == at.tan:
        return at.sin(c) / (at.cos(shifted) * at.cos(base))
    if op == at.exp:
        return at.exp(base) * at.expm1(c)
    if op == at.log:
        return at.log1p(c / base)
    if op == at.arctan:
        d = 1.0 + base * shifted
        return at.switch(d > 0, at.arctan(c / d), orig())
    return None


@on_difference("shifted_difference", """f(t + c) - f(t) without cancellation, for small c.

    sin(t + c) - sin(t)       = 2 cos(t + c/2) sin(c/2)
    cos(t + c) - cos(t)       = -2 sin(t + c/2) sin(c/2)
    tan(t + c) - tan(t)       = sin(c) / (cos(t + c) cos(t))
    exp(t + c) - exp(t)       = exp(t) expm1(c)
    log(t + c) - log(t)       = log1p(c / t)                   (t > 0, t + c > 0)
    log1p(t) - log(t)         = log1p(1 / t)                   (t > 0)
    arctan(t + c) - arctan(t) = arctan(c / (1 + t (t + c)))    where 1 + t (t + c) > 0

All exact identities on the stated domains (the arctan one is applied only
where it holds; elsewhere the difference does not cancel and is kept).  The
left sides lose about log2(|f(t)| / |f(t + c) - f(t)|) bits.
""")
def shifted_difference(a: Variable, b: Variable) -> Variable | None:
    t = _inputs(a, at.log1p)
    if t is not None and _inputs(b, at.log) is t:  # log(1 + t) - log(t)
        return at.log1p(1.0 / t)
    t = _inputs(b, at.log1p)
    if t is not None and _inputs(a, at.log) is t:
        return at.neg(at.log1p(1.0 / t))
    for op in (at.sin, at.cos, at.tan, at.exp, at.log, at.arctan):
        ia, ib = _inputs(a, op), _inputs(b, op)
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


def _inputs(v: Variable, op: Any) -> Variable | None:
    node = v.owner
    if node is None or node.op != op:
        return None
    return node.inputs[0]


# ---------------------------------------------------------------- series near zero

_SIN_T, _TAN_T = 2.0, 0.6
def _factorial(n: int) -> int:
    out = 1
    for i in range(2, n + 1):
        out *= i
    return out


#: x - sin(x) = x**3/3! - x**5/5! + ...  and  sinh(x) - x = x**3/3! + x**5/5! + ...
SIN_SERIES = series(lambda k: Fraction((-1) ** k, _factorial(2 * k + 3)), _SIN_T)
SINH_SERIES = series(lambda k: Fraction(1, _factorial(2 * k + 3)), _SIN_T)
TAN_SERIES = series(tan_coefficient, _TAN_T)
#: op -> (series of f(x) - x up to sign: x - sin x, sinh x - x, tan x - x; its sign
#: as ``x - f(x)``; the |x| below which the series is used)
_ODD = {at.sin: (SIN_SERIES, 1, _SIN_T), at.sinh: (SINH_SERIES, -1, _SIN_T),
        at.tan: (TAN_SERIES, -1, _TAN_T)}


@on_difference("odd_function_minus_x", """x - f(x) near 0 by its Taylor series.

    x - sin(x)  = x^3/3! - x^5/5! + ...      used for |x| < 2
    sinh(x) - x = x^3/3! + x^5/5! + ...      used for |x| < 2
    tan(x) - x  = x^3/3 + 2 x^5/15 + ...     used for |x| < 0.6
    (and the negated forms f(x) - x, x - f(x))

The direct forms lose 2 log2(1/|x|) bits near 0; the series (Horner in x^2,
truncated below 2^-60 relative) is accurate to ~1 ulp below the threshold, and
the direct form loses at most ~2 bits above it.  A switch on |x| picks one.
""")
def odd_function_minus_x(a: Variable, b: Variable) -> Variable | None:
    for fx, x, sign in ((b, a, 1), (a, b, -1)):  # sign +1: a - b = x - f(x)
        for op, (coeffs, s_sign, threshold) in _ODD.items():
            if _inputs(fx, op) is x:
                approx = odd_series(x, coeffs)
                approx = approx if s_sign * sign > 0 else at.neg(approx)
                return at.switch(at.abs(x) < threshold, approx, at.sub(a, b))
    return None


# ---------------------------------------------------------------- sqrt(b*b + e) -/+ b


def _root_minus(r: Variable, b: Variable, sign: int) -> Variable | None:
    """``r - b`` (sign +1) or ``r + b`` (sign -1) for ``r = sqrt(b*b + e)``."""
    found = root_of_square_sum(r, b)
    if found is None:
        return None
    e, w = found
    # Where the stable form is used, r + b (sign +1, b > 0) and r - b (sign -1, b < 0)
    # both equal r + |b|: spelled so, no rule sees a root plus/minus its base again.
    rb = r + at.abs(b)
    stable = e / rb if w is None else w * (w / rb)
    cond = b > 0 if sign > 0 else b < 0
    return at.switch(cond, stable, rb)


def _unit_offset(r: Variable, b: Variable) -> bool:
    """Whether ``r`` is ``sqrt(b*b +- 1)`` (or ``hypot(b, +-1)``)."""
    found = root_of_square_sum(r, b)
    if found is None:
        return False
    e, w = found
    value = const_value(e) if w is None else const_value(w)
    return value is not None and abs(value) == 1


@on_difference("root_minus_base", """sqrt(b*b + e) - b and b - sqrt(b*b + e), rationalised.

    sqrt(b*b + e) - b = e / (sqrt(b*b + e) + b)      used where b > 0
    hypot(b, w) - b   = w * (w / (hypot(b, w) + b))  used where b > 0

Exact identities; the left side cancels when b > 0 and |e| << b*b, the right
side does not.  For b <= 0 the difference is a sum of non-negative terms and is
kept (as sqrt(b*b + e) + |b|).  This covers sqrt(x*x + 1) - x and the '+'
root of the quadratic formula, (-b + sqrt(b*b - 4ac)) / 2a.
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


_register("root_plus_base", (at.add, at.sub), 2, _root_plus, """b + sqrt(b*b + e), rationalised.

    b + sqrt(b*b + e) = e / (sqrt(b*b + e) - b)      used where b < 0

Exact identity; the left side cancels when b < 0 and |e| << b*b.  Also matches
-b - sqrt(b*b + e) = -(b + sqrt(...)), the '-' root of the quadratic formula.
""")


@on_op("hypot_form", at.sqrt, 1, """Square roots of sums of squares as hypot.

    sqrt(a*a + b*b) = hypot(a, b)        sqrt(a*a + k) = hypot(a, sqrt(k))

Exact identity (k > 0 a constant with an exact square root); hypot does not
overflow or underflow in the squares, so it is right for |a| > 1e154 or < 1e-154.
""")
def hypot_form(u: Variable) -> Variable | None:
    ins = u.owner.inputs if u.owner is not None and u.owner.op == at.add else None
    if ins is None or len(ins) != 2:
        return None
    x, y = square_base(ins[0]), square_base(ins[1])
    if x is not None and y is not None:
        return at.hypot(x, y)
    for sq, k in ((ins[0], ins[1]), (ins[1], ins[0])):
        x, kv = square_base(sq), const_value(k)
        if x is not None and kv is not None and kv > 0:
            root = kv ** 0.5
            if Fraction(root) ** 2 == Fraction(kv):
                return at.hypot(x, root)
    return None


# ---------------------------------------------------------------- 1 - cos, cosh - 1


@on_difference("cos_cosh_minus_one", """Half-angle forms of cos(x) - 1 and cosh(x) - 1.

    cosh(x) - 1 = 2 sinh(x/2)^2        1 - cosh(x) = -2 sinh(x/2)^2
    cos(x) - 1  = -2 sin(x/2)^2        1 - cos(x)  = 2 sin(x/2)^2

Exact identities for all x.  The left sides cancel for |x| << 1 (all bits lost
below |x| ~ 1e-8); the right sides are accurate everywhere (cosh - 1 also
keeps its range: sinh(x/2)^2 overflows only where cosh(x) does).
""")
def cos_cosh_minus_one(a: Variable, b: Variable) -> Variable | None:
    for f, one, sign in ((a, b, 1), (b, a, -1)):
        if const_value(one) != 1:
            continue
        x = _inputs(f, at.cosh)
        if x is not None:
            return (2.0 * sign) * at.sqr(at.sinh(x * 0.5))
        x = _inputs(f, at.cos)
        if x is not None:
            return (-2.0 * sign) * at.sqr(at.sin(x * 0.5))
    return None


# ---------------------------------------------------------------- exponential forms


def _exp_pair(a: Variable, b: Variable) -> Variable | None:
    """``x`` if ``a = exp(x)`` and ``b = exp(-x)``."""
    x, y = _inputs(a, at.exp), _inputs(b, at.exp)
    if x is None or y is None:
        return None
    return x if negation(y) is x else None


@on_difference("exp_difference_sinh", """exp(x) - exp(-x) -> 2 sinh(x).

Exact identity.  The left side cancels for |x| << 1 (it is 2x + O(x^3)); sinh
is accurate there.  Both overflow for |x| > ~710.
""")
def exp_difference_sinh(a: Variable, b: Variable) -> Variable | None:
    x = _exp_pair(a, b)
    if x is not None:
        return 2.0 * at.sinh(x)
    x = _exp_pair(b, a)
    return None if x is None else -2.0 * at.sinh(x)


@on_op("exp_sum_cosh", at.add, 2, """exp(x) + exp(-x) -> 2 cosh(x).

Exact identity; one op instead of three (both sides are accurate).  Lets the
tanh rule see (exp(x) - exp(-x)) / (exp(x) + exp(-x)).
""")
def exp_sum_cosh(p: Variable, q: Variable) -> Variable | None:
    x = _exp_pair(p, q)
    if x is None:
        x = _exp_pair(q, p)
    return None if x is None else 2.0 * at.cosh(x)


def _scaled(v: Variable, op: Any) -> tuple[Variable, float] | None:
    """``(x, k)`` if ``v`` computes ``k * op(x)`` (k a constant, 1 if absent)."""
    x = _inputs(v, op)
    if x is not None:
        return x, 1.0
    node = v.owner
    if node is not None and node.op == at.mul and len(node.inputs) == 2:
        for i in (0, 1):
            k = const_value(node.inputs[i])
            x = _inputs(node.inputs[1 - i], op)
            if k is not None and x is not None:
                return x, k
    return None


def _tanh_form(p: Variable, q: Variable) -> Variable | None:
    num, den = _scaled(p, at.sinh), _scaled(q, at.cosh)
    if num is None:
        pair = difference(p)
        x = None if pair is None else _exp_pair(*pair)
        num = None if x is None else (x, 2.0)
    if den is None:
        node = q.owner
        if node is not None and node.op == at.add and len(node.inputs) == 2:
            x = _exp_pair(*node.inputs) or _exp_pair(*node.inputs[::-1])
            den = None if x is None else (x, 2.0)
    if num is None or den is None or num[0] is not den[0] or num[1] != den[1]:
        return None
    return at.tanh(num[0])


def _quotient_rule(name: str, build: Callable, doc: str) -> None:
    """Register ``build(p, q)`` on nodes computing ``p / q`` (either spelling)."""

    def from_node(head, u, w):
        if head == at.true_div:
            return build(u, w)
        v = find_node(head, (u, w))
        pair = quotient(v if v is not None else at.mul(u, w))
        return None if pair is None else build(*pair)

    _register(name, (at.true_div, at.mul), 2, from_node, doc)


_quotient_rule("tanh_form", _tanh_form, """sinh(x)/cosh(x) and the exponential form -> tanh(x).

    (exp(x) - exp(-x)) / (exp(x) + exp(-x)) = k sinh(x) / (k cosh(x)) = tanh(x)

Exact identity.  The left sides overflow to inf/inf = NaN for |x| > ~710 and
cancel near 0; tanh is accurate everywhere.
""")


def _exp_over_expm1(p: Variable, q: Variable) -> Variable | None:
    x = _inputs(p, at.exp)
    if x is None or _inputs(q, at.expm1) is not x:
        return None
    return -1.0 / at.expm1(at.neg(x))


_quotient_rule("exp_over_expm1", _exp_over_expm1, """exp(x) / expm1(x) -> -1 / expm1(-x).

Exact identity (= 1 / (1 - exp(-x))).  The left side is inf/inf = NaN for
x > ~709; the right side is accurate for all x (0 gives inf on both sides).
""")


@on_op("log_of_expm1", at.log, 1, """log(expm1(x)) for large x.

    log(expm1(x)) = x + log(1 - exp(-x)) = x + log1mexp(-x)     used for x > 30

Exact identity for x > 0.  expm1(x) overflows for x > ~709 (log gives inf where
the answer is ~x); the right side is accurate there, and for x <= 30 (where it
would cancel near x = log 2) the left side is kept.
""")
def log_of_expm1(u: Variable) -> Variable | None:
    x = _inputs(u, at.expm1)
    if x is None or not is_float(x):
        return None
    return at.switch(x > 30.0, x + at.log1mexp(at.neg(x)), at.log(u))


@on_difference("power_of_one_plus_minus_one", """(1 + a)**y - 1 -> expm1(y * log1p(a)).

Exact identity for a > -1 (used there; elsewhere the original is kept).  The
left side rounds 1 + a (losing the low bits of small a) and then cancels
against 1; the right side is accurate to a few ulps.
""")
def power_of_one_plus_minus_one(a: Variable, b: Variable) -> Variable | None:
    if const_value(b) != 1:
        return None
    node = a.owner
    if node is None or node.op != at.pow:
        return None
    base, y = node.inputs
    c = shift(base, at.constant(1.0))
    if c is None:
        return None
    return at.switch(c > -1.0, at.expm1(y * at.log1p(c)), at.sub(a, b))


@on_op("arccos_one_minus", at.arccos, 1, """arccos(1 - a) -> 2 arcsin(sqrt(a / 2)) for small a.

Exact identity for 0 <= a <= 2 (used for a < 1; both sides are NaN for a < 0).
The left side rounds 1 - a (losing small a entirely below 1e-16) and arccos is
ill-conditioned at 1; the right side is accurate there.
""")
def arccos_one_minus(u: Variable) -> Variable | None:
    pair = difference(u)
    if pair is not None and const_value(pair[0]) == 1:
        a = pair[1]
    else:
        c = shift(u, at.constant(1.0))
        if c is None:
            return None
        a = negate(c)
    if not is_float(a):
        return None
    return at.switch(a < 1.0, 2.0 * at.arcsin(at.sqrt(a * 0.5)), at.arccos(u))


# ---------------------------------------------------------------- inverse hyperbolic


@on_op("inverse_hyperbolic_log", at.log, 1, """Logarithmic forms of arcsinh, arccosh, arctanh.

    log(x + sqrt(x*x + 1))  = arcsinh(x)      (all x; also with hypot(x, 1))
    log(x + sqrt(x*x - 1))  = arccosh(x)      (x >= 1; both NaN below)
    log((1 + x) / (1 - x))  = 2 arctanh(x)    (|x| < 1; both NaN outside)

Exact identities.  The left sides cancel (arcsinh for x < 0, all three near 0)
or overflow in x*x; the library functions are accurate everywhere.
""")
def inverse_hyperbolic_log(u: Variable) -> Variable | None:
    node = u.owner
    if node is not None and node.op == at.add and len(node.inputs) == 2:
        for x, r in (tuple(node.inputs), tuple(node.inputs[::-1])):
            found = root_of_square_sum(r, x)
            if found is None:
                continue
            e, w = found
            value = const_value(e) if w is None else const_value(w) ** 2 \
                if const_value(w) is not None else None
            if value == 1:
                return at.arcsinh(x)
            if value == -1:
                return at.arccosh(x)
    pair = quotient(u)
    if pair is not None:
        x = _one_plus_over_one_minus(*pair)
        if x is not None:
            return 2.0 * at.arctanh(x)
        x = _one_plus_over_one_minus(*pair[::-1])
        if x is not None:
            return -2.0 * at.arctanh(x)
    return None


def _one_plus_over_one_minus(s: Variable, t: Variable) -> Variable | None:
    """``x`` if ``s`` computes ``1 + x`` and ``t`` computes ``1 - x``."""
    x = shift(s, at.constant(1.0))
    pair = difference(t)
    if x is None or pair is None or const_value(pair[0]) != 1:
        return None
    return x if pair[1] is x else None


@on_difference("log1p_difference_arctanh", """log1p(x) - log1p(-x) -> 2 arctanh(x).

Exact identity for |x| < 1 (both NaN outside).  The left side cancels near 0;
arctanh is accurate everywhere.
""")
def log1p_difference_arctanh(a: Variable, b: Variable) -> Variable | None:
    x, y = _inputs(a, at.log1p), _inputs(b, at.log1p)
    if x is None or y is None:
        return None
    if negation(y) is x:
        return 2.0 * at.arctanh(x)
    if negation(x) is y:
        return -2.0 * at.arctanh(y)
    return None


# ---------------------------------------------------------------- exp of a rounded sum


def _reduction(v: Variable) -> bool:
    u = negation(v)
    node = (u if u is not None else v).owner
    return node is not None and type(node.op).__name__ == "Reduce"


@on_op("exp_of_sum_compensated", at.exp, 1, """exp(a + b + ...) with the sum's rounding error compensated.

    exp(a + b) = exp(s) * exp(e) ~ exp(s) * (1 + e),   s = fl(a + b), e = (a + b) - s

e is computed exactly by TwoSum (Knuth); |e| <= 2^-53 |s|, so the dropped e^2/2
is negligible wherever exp(s) is finite.  The plain form has a relative error of
about |s| 2^-53 (up to 8 bits for |s| ~ 700): this matters for exp(x) * exp(y),
which canonicalisation collects into exp(x + y).  Not applied to sums with a
reduction term (the exp(x - max(x)) of softmax, whose shift only sets the range).
Where s is not finite or |s| >= 746 (exp(s) is 0 or inf) e is not used.
""")
def exp_of_sum_compensated(u: Variable) -> Variable | None:
    node = u.owner
    if node is None or node.op != at.add or not is_float(u):
        return None
    terms = node.inputs
    if sum(const_value(t) is None for t in terms) < 2 or any(_reduction(t) for t in terms):
        return None
    s, err = terms[0], None
    for t in terms[1:]:
        total = u if t is terms[-1] and len(terms) == 2 else s + t
        bb = total - s
        e = (s - (total - bb)) + (t - bb)
        err = e if err is None else err + e
        s = total
    corr = at.switch(at.abs(s) < 746.0, err, 0.0)
    return at.exp(s) * (1.0 + corr)
