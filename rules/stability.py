"""Numerical-stability rules: the ``stabilize`` set (with :mod:`.cancellation`).

Each rule replaces a form that overflows, underflows or cancels by an equal one
that does not: ``log(1 + exp(800))`` is ``inf`` in floating point, ``softplus(800)``
is 800.  They match the canonical forms ``canonicalize`` produces (``1 - e`` is
``1 + -e``, ``1 / d`` is ``d ** -1``, ``-1 * e`` is ``-e``) and, where users may run
this set alone, the plain spellings too, so the result does not depend on which
rules ran first.
"""

from __future__ import annotations

from cons import cons
from etuples import etuple
from kanren import conde, eq, lall
from unification import var

from aesara_cas.rewriting.rule import rule
from aesara_cas.rewriting.terms import add_of, inputs_if, mul_of, plus_zero, uniform_constant
from aesara_cas.rewriting.wild import wild
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import DimShuffle

x, args = var(), var()
axis, keepdims = var(), var()
#: A wild for the rules written as math (matched in every spelling, inside longer sums).
s_ = wild("s")


def _is_value(v, number) -> bool:
    c = uniform_constant(v)
    return c is not None and not isinstance(c, bool) and c == number


def _split_off(ins, number):
    """The other arguments of a sum when exactly one argument is the constant ``number``."""
    hits = [i for i, a in enumerate(ins) if _is_value(a, number)]
    if len(hits) != 1:
        return None
    return [a for i, a in enumerate(ins) if i != hits[0]]


def _log_one_plus(bd):
    rest = _split_off(bd[args], 1)
    return None if rest is None else E.log1p(add_of(rest))


def _one_plus_exp_arg(v):
    """``t`` if ``v`` computes ``1 + exp(t)`` (either order), else ``None``."""
    ins = inputs_if(v, E.add)
    if ins is None:
        return None
    rest = _split_off(ins, 1)
    if rest is None or len(rest) != 1:
        return None
    inner = inputs_if(rest[0], E.exp)
    return None if inner is None else inner[0]


def _sigmoid_of(bd):
    t = _one_plus_exp_arg(bd[x])
    if t is None:
        return None
    neg = inputs_if(t, E.neg)
    return E.sigmoid(neg[0]) if neg is not None else E.sigmoid(E.neg(t))


def _expm1(bd):
    ins = bd[args]
    rest = _split_off(ins, -1)
    if rest is None:
        return None
    for k, term in enumerate(rest):
        inner = inputs_if(term, E.exp)
        if inner is not None:
            return add_of([E.expm1(inner[0]), *rest[:k], *rest[k + 1:]])
    return None


def _one_minus_cos(bd):
    ins = bd[args]
    rest = _split_off(ins, 1)
    if rest is None or len(rest) != 1:
        return None
    negated = inputs_if(rest[0], E.neg)
    cos_in = inputs_if(negated[0], E.cos) if negated is not None else None
    if cos_in is None:
        return None
    return E.mul(2, E.sqr(E.sin(E.mul(0.5, cos_in[0]))))


def _sum_of_exp(d):
    """``(x, [reduce op, dimshuffle op or None])`` if ``d`` is ``sum(exp(x))``, maybe
    re-broadcast by a dimshuffle; else ``None``."""
    ds = None
    if d.owner is not None and isinstance(d.owner.op, DimShuffle):
        ds, d = d.owner.op, d.owner.inputs[0]
    if d.owner is None or not isinstance(d.owner.op, Reduce) or d.owner.op.kind != "sum":
        return None
    inner = inputs_if(d.owner.inputs[0], E.exp)
    if inner is None:
        return None
    return inner[0], d.owner.op, ds


def _softmax(bd):
    """exp(x) * sum(exp(x)) ** -1  ->  exp(x - logsumexp(x)) (same axes)."""
    ins = list(bd[args])
    for k, f in enumerate(ins):
        p = inputs_if(f, E.pow)
        if p is None or not _is_value(p[1], -1):
            continue
        found = _sum_of_exp(p[0])
        if found is None:
            continue
        src, red, ds = found
        for j, g in enumerate(ins):
            if j != k and inputs_if(g, E.exp) is not None and inputs_if(g, E.exp)[0] is src:
                lse = Reduce("logsumexp", red.axis, red.keepdims)(src)
                if ds is not None:
                    lse = ds(lse)
                stable = E.exp(E.add(src, E.neg(lse)))
                rest = [h for i, h in enumerate(ins) if i not in (j, k)]
                return mul_of([*rest, stable])
    return None


def _softmax_div(bd):
    found = _sum_of_exp(bd[x])
    num = inputs_if(bd.term.owner.inputs[0], E.exp)
    if found is None or num is None or num[0] is not found[0]:
        return None
    src, red, ds = found
    lse = Reduce("logsumexp", red.axis, red.keepdims)(src)
    return E.exp(E.sub(src, ds(lse) if ds is not None else lse))


def log1p_neg_exp(in_term, out_term):
    """log1p(-exp(x)) -> log1mexp(x), for x < 0 (also spelled log1p(-1 * exp(x))).

    Written as a plain miniKanren relation: ``conde`` accepts either spelling of the
    negation, so the rule does not depend on whether ``-1 * e`` was canonicalised yet.
    """
    t, e, a = var(), var(), var()
    return lall(
        eq(in_term, etuple(E.log1p, t)),
        conde([eq(t, etuple(E.neg, e))], [eq(t, etuple(E.mul, -1, e))]),
        eq(e, etuple(E.exp, a)),
        eq(out_term, etuple(E.log1mexp, a)),
    )

log_to_log1p = rule(
    etuple(E.log, cons(E.add, args)), _log_one_plus, name="log_to_log1p",
    doc="log(1 + x) -> log1p(x), for x > -1 (accurate for small |x|).  Exception to the "
        "signs of zero: at x = -0.0 it gives -0.0 where NumPy's log(1 + x) gives 0.0 (a + 0.0 "
        "would hide log1p from the accuracy rules that build on it).",
)
softplus_from_log1p = rule(
    etuple(E.log1p, etuple(E.exp, x)), etuple(E.softplus, x), name="softplus_from_log1p",
    doc="log1p(exp(x)) -> softplus(x), for real x (no overflow for large x).",
)
softplus_from_log = rule(
    etuple(E.log, cons(E.add, args)),
    lambda bd: E.softplus(_one_plus_exp_arg(bd.term.owner.inputs[0])),
    where=lambda bd: _one_plus_exp_arg(bd.term.owner.inputs[0]) is not None,
    name="softplus_from_log", doc="log(1 + exp(x)) -> softplus(x), for real x.",
)
expm1_from_exp = rule(
    cons(E.add, args), _expm1, name="expm1_from_exp",
    doc="exp(x) - 1 -> expm1(x), for real x (accurate for small |x|).  Exception to the "
        "signs of zero: at x = -0.0 it gives -0.0 where NumPy's exp(x) - 1 gives 0.0.",
)
expm1_from_sub = rule(
    etuple(E.sub, etuple(E.exp, x), 1), etuple(E.expm1, x), name="expm1_from_sub",
    doc="exp(x) - 1 -> expm1(x) (the uncanonicalised spelling; -0.0 at x = -0.0, as "
        "expm1_from_exp).",
)
sigmoid_from_pow = rule(
    etuple(E.pow, x, -1), _sigmoid_of, name="sigmoid_from_pow",
    doc="(1 + exp(-x)) ** -1 -> sigmoid(x); (1 + exp(x)) ** -1 -> sigmoid(-x); real x.",
)
sigmoid_from_div = rule(
    etuple(E.true_div, 1, x), _sigmoid_of, name="sigmoid_from_div",
    doc="1 / (1 + exp(-x)) -> sigmoid(x); 1 / (1 + exp(x)) -> sigmoid(-x); real x.",
)
log_sigmoid = rule(
    etuple(E.log, etuple(E.sigmoid, x)),
    lambda bd: plus_zero(E.neg(E.softplus(E.neg(bd[x])))),
    name="log_sigmoid",
    doc="log(sigmoid(x)) -> -softplus(-x) + 0.0, for real x (log(sigmoid(inf)) is 0.0).",
)
log1p_neg_sigmoid = rule(
    etuple(E.log1p, etuple(E.neg, etuple(E.sigmoid, x))),
    etuple(E.neg, etuple(E.softplus, x)),
    name="log1p_neg_sigmoid", doc="log(1 - sigmoid(x)) = log1p(-sigmoid(x)) -> -softplus(x).",
)
log_one_minus_exp = rule(
    etuple(E.log, etuple(E.sub, 1, etuple(E.exp, x))), etuple(E.log1mexp, x),
    name="log_one_minus_exp", doc="log(1 - exp(x)) -> log1mexp(x), for x < 0.",
)
logsumexp = rule(
    etuple(E.log, etuple(etuple(Reduce, "sum", axis, keepdims), etuple(E.exp, x))),
    etuple(etuple(Reduce, "logsumexp", axis, keepdims), x),
    name="logsumexp", doc="log(sum(exp(x), axis)) -> logsumexp(x, axis), any axis.",
)
softmax = rule(
    cons(E.mul, args), _softmax, name="softmax",
    doc="exp(x) / sum(exp(x), axis) -> exp(x - logsumexp(x, axis)): no overflow.",
)
softmax_div = rule(
    etuple(E.true_div, etuple(E.exp, var()), x), _softmax_div, name="softmax_div",
    doc="exp(x) / sum(exp(x), axis) -> exp(x - logsumexp(x, axis)) (plain spelling).",
)
one_minus_cos = rule(
    cons(E.add, args), _one_minus_cos, name="one_minus_cos",
    doc="1 - cos(x) -> 2 * sin(x/2)**2, for real x (no cancellation near 0).",
)
one_minus_sigmoid = rule(
    1 - E.sigmoid(s_), E.sigmoid(-s_), name="one_minus_sigmoid", normalize=True,
    doc="1 - sigmoid(x) -> sigmoid(-x), for real x (no cancellation for large x: at x = 40 "
        "the left side is 0, the right 4.2e-18).",
)

#: The rules that may give -0.0 where NumPy gives 0.0 (each says where, in its doc).
SIGNED_ZERO_EXCEPTIONS = ("log_to_log1p", "expm1_from_exp", "expm1_from_sub")

#: The ``stabilize`` set (``rules/cancellation.py`` adds its own ``RULES``).
RULES = [
    log_to_log1p, softplus_from_log1p, softplus_from_log, expm1_from_exp, expm1_from_sub,
    log1p_neg_exp, sigmoid_from_pow, sigmoid_from_div, log_sigmoid, log1p_neg_sigmoid,
    log_one_minus_exp, logsumexp, softmax, softmax_div, one_minus_cos, one_minus_sigmoid,
]
