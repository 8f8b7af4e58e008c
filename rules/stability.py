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
from aesara_cas.rewriting.rule_rewriter import same_structure
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


def _strip_broadcast(v):
    """``v`` without a dimshuffle around it."""
    node = v.owner
    return node.inputs[0] if node is not None and isinstance(node.op, DimShuffle) else v


def _negated(v):
    """``t`` where ``v`` is ``-t`` or ``-1 * t`` (either order), else ``None``."""
    node = v.owner
    if node is None:
        return None
    if ops_equal(node.op, E.neg):
        return node.inputs[0]
    if ops_equal(node.op, E.mul) and len(node.inputs) == 2:
        for k in (0, 1):
            if _is_value(node.inputs[k], -1):
                return node.inputs[1 - k]
    return None


def _is_max_of(v, t) -> bool:
    """Whether ``v`` is ``max(t, ...)`` (maybe re-broadcast by a dimshuffle)."""
    node = _strip_broadcast(v).owner
    return (node is not None and isinstance(node.op, Reduce) and node.op.kind == "max"
            and same_structure(node.inputs[0], t))


def max_shifted(v) -> bool:
    """Whether ``v`` is ``t - max(t, ...)`` in any spelling (``t + -max(t)``,
    ``t + -1 * max(t)``, the max maybe re-broadcast): the argument the stable softmax
    gives its exp, which needs no further shift (and must not get one: the softmax
    rules would apply to their own output forever)."""
    node = v.owner
    if node is None:
        return False
    ins = node.inputs
    if ops_equal(node.op, E.sub):
        return _is_max_of(ins[1], ins[0])
    if ops_equal(node.op, E.add) and len(ins) == 2:
        return any(_negated(ins[k]) is not None and _is_max_of(_negated(ins[k]), ins[1 - k])
                   for k in (0, 1))
    return False


def _not_shifted(bd) -> bool:
    """x is not already shifted by its max, and no summed axis is known to be empty (the
    max of an empty axis is an error: at run time the rewritten form raises there)."""
    t = bd[x]
    axes = range(t.ndim) if bd[axis] is None else bd[axis]
    return not max_shifted(t) and all(t.type.shape[a] != 0 for a in axes)


_SOFTMAX_DOC = (
    "exp(x) * sum(exp(x), axis) ** -1 -> exp(x - max(x, axis)) * sum(exp(x - max(x, axis, "
    "keepdims=True)), axis) ** -1, for real x, any axes, the two factors anywhere in a "
    "product of any length (the rest of the product is kept).  SciPy's softmax: no "
    "overflow, and x - max(x) is exact near the max (Sterbenz), so the largest "
    "probabilities are accurate to a few ulps; exp(x - logsumexp(x)) is not, as x - "
    "logsumexp(x) cancels (an error of ~|logsumexp(x)| 2^-53 in every probability).  The "
    "max inside the sum keeps its axes, so each sum sees one shift however the sum is "
    "broadcast; not applied where x is already x' - max(x').  Domain: non-empty sums "
    "(the max of an empty slice is an error, as in SciPy).")
_SOFTMAX_DIV_DOC = (
    "exp(x) / sum(exp(x), axis) -> exp(x - max(x, axis)) / sum(exp(x - max(x, axis, "
    "keepdims=True)), axis), for real x, any axes (plain spelling).  SciPy's softmax: no "
    "overflow, and the largest probabilities are accurate to a few ulps (see softmax); "
    "not applied where x is already x' - max(x').  Domain: non-empty sums (the max of an "
    "empty slice is an error, as in SciPy).")
_sum = etuple(Reduce, "sum", axis, keepdims)
_ds = etuple(DimShuffle, ndim, order)
_exp_x = etuple(E.exp, x)
#: max(x, axis) broadcast as the sum is, and max(x, axis, keepdims=True) for inside it.
_max = etuple(etuple(Reduce, "max", axis, keepdims), x)
_max_kept = etuple(etuple(Reduce, "max", axis, True), x)
_shifted_sum = etuple(_sum, etuple(E.exp, etuple(E.sub, x, _max_kept)))
_x_kept = etuple(E.sub, x, _max_kept)
_kept_sum = etuple(etuple(Reduce, "sum", axis, True), etuple(E.exp, _x_kept))


def _axes_put_back(bd) -> bool:
    """The dimshuffle of the sum puts the summed axes back in place (as keepdims=True
    would), the others in order."""
    if bd[keepdims]:
        return False
    t = bd[x]
    axes = set(range(t.ndim) if bd[axis] is None else bd[axis])
    inputs = iter(range(t.ndim - len(axes)))
    return tuple(bd[order]) == tuple("x" if i in axes else next(inputs) for i in range(t.ndim))


def _put_back(bd) -> bool:
    return _not_shifted(bd) and _axes_put_back(bd)


def _moved_back(bd) -> bool:
    return _not_shifted(bd) and not _axes_put_back(bd)
softmax = rule(
    etuple(E.mul, _exp_x, etuple(E.pow, etuple(_sum, _exp_x), -1)),
    etuple(E.mul, etuple(E.exp, etuple(E.sub, x, _max)), etuple(E.pow, _shifted_sum, -1)),
    where=_not_shifted, name="softmax", doc=_SOFTMAX_DOC, normalize=True,
)
softmax_broadcast = rule(
    etuple(E.mul, _exp_x, etuple(E.pow, etuple(_ds, etuple(_sum, _exp_x)), -1)),
    etuple(E.mul, etuple(E.exp, etuple(E.sub, x, etuple(_ds, _max))),
           etuple(E.pow, etuple(_ds, _shifted_sum), -1)),
    where=_moved_back, name="softmax_broadcast", normalize=True,
    doc=_SOFTMAX_DOC + "  Here the sum is re-broadcast by a dimshuffle that does not just "
        "put its axes back (see softmax_axes_back).",
)
softmax_axes_back = rule(
    etuple(E.mul, _exp_x, etuple(E.pow, etuple(_ds, etuple(_sum, _exp_x)), -1)),
    etuple(E.mul, etuple(E.exp, _x_kept), etuple(E.pow, _kept_sum, -1)),
    where=_put_back, name="softmax_axes_back", normalize=True,
    doc=_SOFTMAX_DOC + "  Here the sum is re-broadcast by a dimshuffle that puts its axes "
        "back where they were, i.e. sum(..., keepdims=True): written so, with one max (the "
        "log of the result is then t - logsumexp(t), t = x - max(x), grouped so).",
)
softmax_div = rule(
    etuple(E.true_div, _exp_x, etuple(_sum, _exp_x)),
    etuple(E.true_div, etuple(E.exp, etuple(E.sub, x, _max)), _shifted_sum),
    where=_not_shifted, name="softmax_div", doc=_SOFTMAX_DIV_DOC,
)
softmax_div_broadcast = rule(
    etuple(E.true_div, _exp_x, etuple(_ds, etuple(_sum, _exp_x))),
    etuple(E.true_div, etuple(E.exp, etuple(E.sub, x, etuple(_ds, _max))),
           etuple(_ds, _shifted_sum)),
    where=_moved_back, name="softmax_div_broadcast",
    doc=_SOFTMAX_DIV_DOC + "  Here the sum is re-broadcast by a dimshuffle that does not "
        "just put its axes back (see softmax_div_axes_back).",
)
softmax_div_axes_back = rule(
    etuple(E.true_div, _exp_x, etuple(_ds, etuple(_sum, _exp_x))),
    etuple(E.true_div, etuple(E.exp, _x_kept), _kept_sum),
    where=_put_back, name="softmax_div_axes_back",
    doc=_SOFTMAX_DIV_DOC + "  Here the sum is re-broadcast by a dimshuffle that puts its "
        "axes back where they were: written as sum(..., keepdims=True), with one max.",
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
    logsumexp, softmax, softmax_broadcast, softmax_axes_back, softmax_div, softmax_div_broadcast,
    softmax_div_axes_back, one_minus_cos, one_minus_sigmoid,
]
