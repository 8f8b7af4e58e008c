"""Accuracy rules for exponential, hyperbolic and inverse-function forms.

Part of the ``stabilize`` set through :data:`aesara_cas.rules.cancellation.RULES`
(conventions in :mod:`aesara_cas.rules.cancellation`).
"""

from __future__ import annotations

from typing import Any

from aesara_cas.rules.cancellation_util import (
    Registry,
    const_value,
    difference,
    find_node,
    has_client,
    input_of,
    is_float,
    negate,
    negation,
    only_used_by,
    quotient,
    root_of_square_sum,
    shift,
)

from aesara_cas import tensor as at
from aesara_cas.graph.basic import Variable
from aesara_cas.rewriting.rule import Rule
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import DimShuffle

registry = Registry()


# ---------------------------------------------------------------- 1 - cos, cosh - 1


@registry.on_difference("one_minus_cos_cosh_exp", """Forms of f(x) - 1 that cancel near x = 0.

    cosh(x) - 1 = 2 sinh(x/2)^2        1 - cosh(x) = -2 sinh(x/2)^2
    cos(x) - 1  = -2 sin(x/2)^2        1 - exp(x)  = -expm1(x)

Exact identities for all x.  The left sides cancel for |x| << 1 (all bits lost
below |x| ~ 1e-8); the right sides are accurate everywhere (cosh - 1 also
keeps its range: sinh(x/2)^2 overflows only where cosh(x) does).  1 - cos(x)
and exp(x) - 1 are the stability rules one_minus_cos and expm1_from_exp; inside
log or log1p, 1 - exp(x) is left to log1p_neg_exp (which makes log1mexp).
""", with_node=True)
def one_minus_cos_cosh_exp(a: Variable, b: Variable, v: Variable | None) -> Variable | None:
    for f, one, sign in ((a, b, 1), (b, a, -1)):
        if const_value(one) != 1:
            continue
        x = input_of(f, at.cosh)
        if x is not None:
            return (2.0 * sign) * at.sqr(at.sinh(x * 0.5))
        x = input_of(f, at.cos)
        if x is not None and sign > 0:
            return -2.0 * at.sqr(at.sin(x * 0.5))
        x = input_of(f, at.exp)
        if x is not None and sign < 0 and not (
                v is not None and (has_client(v, at.log) or has_client(v, at.log1p))):
            return at.neg(at.expm1(x))
    return None


# ---------------------------------------------------------------- exponential forms


def _exp_pair(a: Variable, b: Variable) -> Variable | None:
    """``x`` if ``a = exp(x)`` and ``b = exp(-x)``."""
    x, y = input_of(a, at.exp), input_of(b, at.exp)
    if x is None or y is None:
        return None
    return x if negation(y) is x else None


@registry.on_difference("exp_difference_sinh", """exp(x) - exp(-x) -> 2 sinh(x).

Exact identity.  The left side cancels for |x| << 1 (it is 2x + O(x^3)); sinh
is accurate there.  Both overflow for |x| > ~710.
""")
def exp_difference_sinh(a: Variable, b: Variable) -> Variable | None:
    x = _exp_pair(a, b)
    if x is not None:
        return 2.0 * at.sinh(x)
    x = _exp_pair(b, a)
    return None if x is None else -2.0 * at.sinh(x)


@registry.on_op("exp_sum_cosh", at.add, 2, """exp(x) + exp(-x) -> 2 cosh(x).

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
    x = input_of(v, op)
    if x is not None:
        return x, 1.0
    node = v.owner
    if node is not None and node.op == at.mul and len(node.inputs) == 2:
        for i in (0, 1):
            k = const_value(node.inputs[i])
            x = input_of(node.inputs[1 - i], op)
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


registry.on_quotient("tanh_form", """sinh(x)/cosh(x) and the exponential form -> tanh(x).

    (exp(x) - exp(-x)) / (exp(x) + exp(-x)) = k sinh(x) / (k cosh(x)) = tanh(x)

Exact identity.  The left sides overflow to inf/inf = NaN for |x| > ~710 and
cancel near 0; tanh is accurate everywhere.
""")(_tanh_form)


def _exp_over_expm1(p: Variable, q: Variable) -> Variable | None:
    x = input_of(p, at.exp)
    if x is None or input_of(q, at.expm1) is not x:
        return None
    return 1.0 / at.neg(at.expm1(at.neg(x)))


registry.on_quotient("exp_over_expm1", """exp(x) / expm1(x) -> 1 / -expm1(-x).

Exact identity (= 1 / (1 - exp(-x))).  The left side is inf/inf = NaN for
x > ~709; the right side is accurate for all x (0 gives inf on both sides).
""")(_exp_over_expm1)


@registry.on_op("log_of_neg_expm1", at.log, 1, """log(-expm1(x)) -> log1mexp(x).

Exact identity (= log(1 - exp(x)), x < 0; both NaN for x > 0).  -expm1(x) rounds
to 1 for x < -37, so the left side loses all relative accuracy there; log1mexp
is accurate everywhere.  (1 - exp(x) becomes -expm1(x) by one_minus_cos_cosh_exp,
so log(1 - exp(x)) ends as log1mexp whichever rule fires first.)
""")
def log_of_neg_expm1(u: Variable) -> Variable | None:
    x = negation(u)
    x = None if x is None else input_of(x, at.expm1)
    return None if x is None else at.log1mexp(x)


#: ln 2 split in two floats: LN2_HI + LN2_LO = ln 2 to ~2^-106.
LN2_HI = 0.6931471805599453
LN2_LO = 2.3190468138462996e-17


@registry.on_op("log_of_expm1", at.log, 1, """log(expm1(x)) where it overflows or cancels.

    log(expm1(x)) = x + log1mexp(-x)             used for x > 30
                  = log1p(2 expm1(x - ln 2))     used for 0.35 < x < 1.38

Exact identities for x > 0 (expm1(x) = 2 e^(x - ln 2) - 1 = 1 + 2 expm1(x - ln 2)).
expm1(x) overflows for x > ~709 (log gives inf where the answer is ~x).  Near
x = ln 2 the result crosses 0 and log(expm1(x)) loses all relative accuracy;
x - ln 2 is formed exactly there (Sterbenz) with ln 2 in two parts.  Elsewhere
the left side is kept.
""")
def log_of_expm1(u: Variable) -> Variable | None:
    x = input_of(u, at.expm1)
    if x is None or not is_float(x):
        return None
    near_ln2 = at.log1p(2.0 * at.expm1((x - LN2_HI) - LN2_LO))
    middle = at.switch(at.and_(x > 0.35, x < 1.38), near_ln2, at.log(u))
    return at.switch(x > 30.0, x + at.log1mexp(at.neg(x)), middle)


@registry.on_difference("power_of_one_plus_minus_one", """(1 + a)**y - 1 -> expm1(y * log1p(a)).

Exact identity for a > -1, used where |t| = |y log1p(a)| < 1 (elsewhere, and
outside the domain, the original is kept).  There the left side rounds 1 + a
(losing the low bits of small a) and then cancels against 1; the right side is
accurate to |t| + 2 ulps.  For |t| >= 1 nothing cancels and pow is better (the
rounding of log1p(a) would cost |t| ulps).
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
    t = y * at.log1p(c)
    return at.switch(at.abs(t) < 1.0, at.expm1(t), at.sub(a, b))


@registry.on_op("arccos_one_minus", at.arccos, 1, """arccos(1 - a) -> 2 arcsin(sqrt(a/2)).

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
    # sqrt(a / 2) as sqrt(2 a) / 2: a / 2 would underflow for the smallest a.
    return at.switch(a < 1.0, 2.0 * at.arcsin(at.sqrt(2.0 * a) * 0.5), at.arccos(u))


# ---------------------------------------------------------------- inverse hyperbolic


@registry.on_op("inverse_hyperbolic_log", at.log, 1, """Log forms of arcsinh, arccosh, arctanh.

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
            wv = None if w is None else const_value(w)
            value = const_value(e) if w is None else (None if wv is None else wv * wv)
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


@registry.on_difference("log1p_difference_arctanh", """log1p(x) - log1p(-x) -> 2 arctanh(x).

Exact identity for |x| < 1 (both NaN outside).  The left side cancels near 0;
arctanh is accurate everywhere.
""")
def log1p_difference_arctanh(a: Variable, b: Variable) -> Variable | None:
    x, y = input_of(a, at.log1p), input_of(b, at.log1p)
    if x is None or y is None:
        return None
    if negation(y) is x:
        return 2.0 * at.arctanh(x)
    if negation(x) is y:
        return -2.0 * at.arctanh(y)
    return None


@registry.on_op("log_of_exp_pair", at.log, 1, """log(exp(a) + exp(b)) without overflow.

    log(exp(a) + exp(b)) = max(a, b) + softplus(-|a - b|)


Exact identity.  The left side overflows for max(a, b) > ~709 and underflows to
log(0) = -inf below ~-745; the right side is accurate everywhere (a == b,
including infinities, gives max + log 2).
""")
def log_of_exp_pair(u: Variable) -> Variable | None:
    node = u.owner
    if node is None or node.op != at.add or len(node.inputs) != 2:
        return None
    a, b = (input_of(t, at.exp) for t in node.inputs)
    if a is None or b is None or not is_float(a, b):
        return None
    gap = at.switch(at.eq(a, b), 0.0, at.neg(at.abs(a - b)))
    return at.maximum(a, b) + at.softplus(gap)


# ---------------------------------------------------------------- exp of a rounded sum


def _reduction(v: Variable) -> bool:
    """Whether ``v`` is a reduction's result (maybe negated or re-broadcast)."""
    u = negation(v)
    node = (u if u is not None else v).owner
    if node is not None and isinstance(node.op, DimShuffle):
        node = node.inputs[0].owner
    return node is not None and isinstance(node.op, Reduce)


@registry.on_op("exp_of_sum_compensated", at.exp, 1, """exp(a + b + ...), the sum compensated.

    exp(a + b) = exp(s) * exp(e) ~ exp(s) * (1 + e),   s = fl(a + b), e = (a + b) - s

e is computed exactly by TwoSum (Knuth); |e| <= 2^-53 |s|, so the dropped e^2/2
is negligible wherever exp(s) is finite.  The plain form has a relative error of
about |s| 2^-53 (up to 8 bits for |s| ~ 700): this matters for exp(x) * exp(y),
which canonicalisation collects into exp(x + y).  Not applied to sums with a
reduction term (the exp(x - max(x)) of softmax, whose shift only sets the range),
and only where the exp is used by products and quotients (or is an output), so
it never hides log(1 + exp(...)), exp(t + c) - exp(t) and the like from the rules
for them.  Where s is not finite or |s| >= 746 (exp(s) is 0 or inf) e is not used.
""")
def exp_of_sum_compensated(u: Variable) -> Variable | None:
    node = u.owner
    if node is None or node.op != at.add or not is_float(u):
        return None
    terms = node.inputs
    if sum(const_value(t) is None for t in terms) < 2 or any(_reduction(t) for t in terms):
        return None
    if has_client(u, at.sub):
        return None  # the TwoSum built here uses (a + b) - a: already compensated
    if not only_used_by(find_node(at.exp, (u,)), (at.mul, at.true_div)):
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


RULES: list[Rule] = registry.rules
