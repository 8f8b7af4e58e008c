"""Numerical-stability rules: the ``stabilize`` set (with :mod:`.cancellation`).

Each rule replaces a form that overflows, underflows or cancels by an equal one
that does not: ``log(1 + exp(800))`` is ``inf`` in floating point, ``softplus(800)``
is 800.  They match the canonical forms ``canonicalize`` produces (``1 - e`` is
``1 + -e``, ``1 / d`` is ``d ** -1``, ``-1 * e`` is ``-e``) and, where users may run
this set alone, the plain spellings too, so the result does not depend on which
rules ran first.
"""

from __future__ import annotations

from etuples import etuple
from unification import var

from aesara_cas import tensor as at
from aesara_cas.rewriting.pattern import rest_var
from aesara_cas.rewriting.rule import rule
from aesara_cas.rewriting.terms import ops_equal, uniform_constant
from aesara_cas.rewriting.wild import wild
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import DimShuffle

x = var()
#: The rest of a sum, of any length (see :func:`aesara_cas.rewriting.pattern.rest_var`).
rest_ = rest_var("x")
axis, keepdims = var(), var()
ndim, order = var(), var()
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


def _one_one(bd) -> bool:
    """Exactly one term of the sum is the constant 1 (``log(1 + 1 + x)`` is left alone,
    as the constants are folded first)."""
    arg = bd.term.owner.inputs[0]
    # Under saturation the sum's class may be shown by another of its forms: not checked.
    if arg.owner is None or not ops_equal(arg.owner.op, E.add):
        return False
    return _split_off(arg.owner.inputs, 1) is not None


log_to_log1p = rule(
    etuple(E.log, etuple(E.add, 1, rest_)), etuple(E.log1p, rest_), where=_one_one,
    name="log_to_log1p",
    doc="log(1 + x) -> log1p(x), for x > -1 (accurate for small |x|); x is the rest of a "
        "sum of any length (log(1 + a + b) -> log1p(a + b)).  Exception to the signs of "
        "zero: at x = -0.0 it gives -0.0 where NumPy's log(1 + x) gives 0.0 (a + 0.0 would "
        "hide log1p from the accuracy rules that build on it).",
)
softplus_from_log1p = rule(
    etuple(E.log1p, etuple(E.exp, x)), etuple(E.softplus, x), name="softplus_from_log1p",
    doc="log1p(exp(x)) -> softplus(x), for real x (no overflow for large x).",
)
softplus_from_log = rule(
    at.log(1 + at.exp(s_)), at.softplus(s_), name="softplus_from_log",
    doc="log(1 + exp(x)) -> softplus(x), for real x.",
)
expm1_from_exp = rule(
    at.exp(s_) - 1, at.expm1(s_), name="expm1_from_exp",
    doc="exp(x) - 1 -> expm1(x), for real x (accurate for small |x|; also inside a longer "
        "sum).  Exception to the signs of zero: at x = -0.0 it gives -0.0 where NumPy's "
        "exp(x) - 1 gives 0.0.",
)
log1p_neg_exp = rule(
    at.log1p(-at.exp(s_)), at.log1mexp(s_), name="log1p_neg_exp",
    doc="log1p(-exp(x)) -> log1mexp(x), for x < 0 (in every spelling of the negation, "
        "-e or -1 * e).",
)
sigmoid_from_neg_exp = rule(
    1 / (1 + at.exp(-s_)), at.sigmoid(s_), name="sigmoid_from_neg_exp",
    doc="1 / (1 + exp(-x)) -> sigmoid(x), for real x (also spelled (1 + exp(-x)) ** -1).",
)
sigmoid_from_exp = rule(
    1 / (1 + at.exp(s_)), at.sigmoid(-s_), name="sigmoid_from_exp",
    doc="1 / (1 + exp(x)) -> sigmoid(-x), for real x (also spelled (1 + exp(x)) ** -1).",
)
log_sigmoid = rule(
    at.log(at.sigmoid(s_)), -at.softplus(-s_) + 0.0, name="log_sigmoid",
    doc="log(sigmoid(x)) -> -softplus(-x) + 0.0, for real x (the + 0.0 keeps "
        "log(sigmoid(inf)) = 0.0, not -0.0).",
)
log1p_neg_sigmoid = rule(
    at.log1p(-at.sigmoid(s_)), -at.softplus(s_), name="log1p_neg_sigmoid",
    doc="log(1 - sigmoid(x)) = log1p(-sigmoid(x)) -> -softplus(x), for real x.",
)
log_one_minus_exp = rule(
    at.log(1 - at.exp(s_)), at.log1mexp(s_), name="log_one_minus_exp",
    doc="log(1 - exp(x)) -> log1mexp(x), for x < 0.  Exception to the signs of zero: at "
        "x = -inf it gives -0.0 where NumPy's log(1 - exp(x)) gives 0.0, as log_to_log1p "
        "followed by log1p_neg_exp does (either order of the rules gives one result).",
)
logsumexp = rule(
    etuple(E.log, etuple(etuple(Reduce, "sum", axis, keepdims), etuple(E.exp, x))),
    etuple(etuple(Reduce, "logsumexp", axis, keepdims), x),
    name="logsumexp", doc="log(sum(exp(x), axis)) -> logsumexp(x, axis), any axis.",
)
_SOFTMAX_DIV_DOC = ("exp(x) / sum(exp(x), axis) -> exp(x - logsumexp(x, axis)), for real x, "
                    "any axes (plain spelling; the sum may be re-broadcast by a dimshuffle): "
                    "no overflow.")
_sum = etuple(Reduce, "sum", axis, keepdims)
_lse = etuple(etuple(Reduce, "logsumexp", axis, keepdims), x)
_ds = etuple(DimShuffle, ndim, order)
_exp_x = etuple(E.exp, x)
_SOFTMAX_DOC = ("exp(x) * sum(exp(x), axis) ** -1 -> exp(x + -logsumexp(x, axis)), for real x, "
                "any axes, the two factors anywhere in a product of any length (the rest "
                "of the product is kept): no overflow.")
softmax = rule(
    etuple(E.mul, _exp_x, etuple(E.pow, etuple(_sum, _exp_x), -1)),
    etuple(E.exp, etuple(E.add, x, etuple(E.neg, _lse))), name="softmax", doc=_SOFTMAX_DOC,
    normalize=True,
)
softmax_broadcast = rule(
    etuple(E.mul, _exp_x, etuple(E.pow, etuple(_ds, etuple(_sum, _exp_x)), -1)),
    etuple(E.exp, etuple(E.add, x, etuple(E.neg, etuple(_ds, _lse)))),
    name="softmax_broadcast", normalize=True,
    doc=_SOFTMAX_DOC[:-len(": no overflow.")] + ", the sum re-broadcast by a dimshuffle: no "
        "overflow.",
)
softmax_div = rule(
    etuple(E.true_div, _exp_x, etuple(_sum, _exp_x)),
    etuple(E.exp, etuple(E.sub, x, _lse)), name="softmax_div", doc=_SOFTMAX_DIV_DOC,
)
softmax_div_broadcast = rule(
    etuple(E.true_div, _exp_x, etuple(_ds, etuple(_sum, _exp_x))),
    etuple(E.exp, etuple(E.sub, x, etuple(_ds, _lse))), name="softmax_div_broadcast",
    doc=_SOFTMAX_DIV_DOC,
)
one_minus_cos = rule(
    1 - at.cos(s_), 2 * at.sqr(at.sin(0.5 * s_)), name="one_minus_cos",
    doc="1 - cos(x) -> 2 * sin(x/2)**2, for real x (no cancellation near 0).",
)
one_minus_sigmoid = rule(
    1 - at.sigmoid(s_), at.sigmoid(-s_), name="one_minus_sigmoid",
    doc="1 - sigmoid(x) -> sigmoid(-x), for real x (no cancellation for large x: at x = 40 "
        "the left side is 0, the right 4.2e-18).",
)

#: The rules that may give -0.0 where NumPy gives 0.0 (each says where, in its doc).
SIGNED_ZERO_EXCEPTIONS = ("log_to_log1p", "expm1_from_exp", "log_one_minus_exp")

#: The ``stabilize`` set (``rules/cancellation.py`` adds its own ``RULES``).
RULES = [
    log_to_log1p, softplus_from_log1p, softplus_from_log, expm1_from_exp, log1p_neg_exp,
    sigmoid_from_neg_exp, sigmoid_from_exp, log_sigmoid, log1p_neg_sigmoid, log_one_minus_exp,
    logsumexp, softmax, softmax_broadcast, softmax_div, softmax_div_broadcast, one_minus_cos,
    one_minus_sigmoid,
]
