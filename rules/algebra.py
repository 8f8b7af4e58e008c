"""Algebraic rules: the ``canonicalize`` set.

They bring every expression to one normal form, so that equal expressions look
equal (and merge) and later rules have one shape to match.  The normal form of
sums and products is the engine's own (:data:`NORMAL_FORM`, first in :data:`RULES`;
see :mod:`aesara_cas.rewriting.normal_form`):

* ``x - y`` is ``x + -y``; ``x / y`` (floats) is ``x * y ** -1``;
* sums and products are flat (``(a + b) + c`` is ``a + b + c`` when ``a + b`` has no
  other use), their constants combined into one, placed first, and their
  arguments in a canonical order;
* like terms are collected (``2*x + 3*x`` is ``5*x``), like factors become powers
  (``x * x`` is ``x ** 2``, ``x * y / x`` is ``y``).

The rules here (and in ``products.py``, ``powers.py``) simplify further:
``exp(a) * exp(b)`` is ``exp(a + b)``; a sign is pulled out of products: ``-1 * x``
is ``-x``.

Conventions (as in Aesara): a rewrite may give a defined result where the
original was undefined, never the reverse.  ``x / x -> 1`` and ``x * 0 -> 0`` are
applied without proving ``x != 0`` or ``x`` finite; ``exp(log(x)) -> x`` without
proving ``x > 0``.  Rules never change a dtype or a shape (the engine casts and
broadcasts the replacement to the exact type of what it replaces); boolean
``+``/``*`` (logical or/and) are left alone.

Every rule here is a miniKanren relation built with :func:`aesara_cas.rewriting.rule`;
the list :data:`RULES` (the rules and the engine's normal form) is what the database reads.
"""

from __future__ import annotations

import numpy as np
from cons import cons
from etuples import etuple
from unification import var

from aesara_cas.graph.basic import Constant

# The normal form of sums and products is the engine's; specialize reuses its sorts.
from aesara_cas.rewriting.normal_form import NORMAL_FORM, add_order, mul_order  # noqa: F401
from aesara_cas.rewriting.pattern import rest_var
from aesara_cas.rewriting.rule import rule
from aesara_cas.rewriting.terms import (
    inputs_if,
    never_negative_zero,
    ops_equal,
    uniform_constant,
)
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import Alloc, DimShuffle, Reshape, Shape
from aesara_cas.tensor.subtensor import Subtensor, getitem
from aesara_cas.tensor.variable import constant

x, y, a, b = var(), var(), var(), var()
args = var()
axis, keepdims = var(), var()
#: The rest of a product, of any length (see :func:`aesara_cas.rewriting.pattern.rest_var`).
rest_ = rest_var("x")


def _numeric(v) -> bool:
    return v.dtype != "bool"


def _is_value(v, number) -> bool:
    """Whether ``v`` is a (non-boolean) constant all of whose elements equal ``number``."""
    c = uniform_constant(v)
    return c is not None and not isinstance(c, bool) and c == number


def _one_minus_one(bd) -> bool:
    """Exactly one factor is -1, and it is a scalar (the rest of a product is what is
    left; a number product, not a boolean one)."""
    owner = bd.term.owner
    if owner is None or not ops_equal(owner.op, E.mul):  # another form (saturation)
        return False
    hits = [i for i in owner.inputs if _is_value(i, -1)]
    return len(hits) == 1 and hits[0].ndim == 0 and _numeric(bd.term)


def compose_orders(inner: tuple, outer: tuple) -> tuple:
    """The axis order of ``x.dimshuffle(*inner).dimshuffle(*outer)`` as one dimshuffle of
    ``x`` (a function of the two orders only, evaluated when the output term is built)."""
    return tuple("x" if d == "x" else inner[d] for d in outer)


def _composes_to_identity(bd) -> bool:
    return compose_orders(bd[a], bd[b]) == tuple(range(bd[y]))


def _reshape_noop(bd) -> bool:
    """Whether ``reshape(x, s)`` keeps ``x``'s shape (``s`` is ``x.shape``, or both static)."""
    src, out, shp = bd[x], bd.term, bd[y]
    if src.ndim != out.ndim:
        return False
    if inputs_if(shp, Shape()) is not None and inputs_if(shp, Shape())[0] is src:
        return True
    return all(s is not None for s in src.type.shape) and src.type.shape == out.type.shape


def _shape_entry(bd):
    """shape(y)[i] from what computes y: alloc dims, a unary elemwise's input, static shape."""
    idx = bd[a]
    if len(idx) != 1 or idx[0][0] != "int" or not isinstance(idx[0][1], int):
        return None
    y, i = bd[x], idx[0][1]
    if not -y.ndim <= i < y.ndim:
        return None
    static = y.type.shape[i]
    if static is not None:
        return constant(np.int64(static))
    node = y.owner
    if node is None:
        return None
    if isinstance(node.op, Alloc):
        return node.inputs[1:][i]
    if isinstance(node.op, E.Elemwise) and len(node.inputs) == 1 and node.inputs[0].ndim == y.ndim:
        return getitem(Shape()(node.inputs[0]), i)
    return None


def _constant_filler(bd) -> bool:
    """The value an ``alloc`` broadcasts is a constant (so ``f`` of it is folded)."""
    return isinstance(bd[a], Constant)


neg_neg = rule(
    etuple(E.neg, etuple(E.neg, x)), x, name="neg_neg", doc="-(-x) -> x, for all x.",
)
mul_minus_one = rule(
    etuple(E.mul, -1, rest_), etuple(E.neg, rest_), where=_one_minus_one,
    name="mul_minus_one",
    doc="-1 * x -> -x, for all x; x is the rest of a product of any length "
        "(-1 * a * b -> -(a * b)).",
)
div_self = rule(
    etuple(E.true_div, x, x), 1, name="div_self",
    doc="x / x -> 1 (convention: x != 0 assumed, as in Aesara).",
)
pow_one = rule(etuple(E.pow, x, 1), x, name="pow_one", doc="x ** 1 -> x, for all x.")
pow_zero = rule(
    etuple(E.pow, x, 0), 1, name="pow_zero", doc="x ** 0 -> 1, for all x (NumPy: 0**0 = 1).",
)
log_exp = rule(
    etuple(E.log, etuple(E.exp, x)), x, where=lambda bd: never_negative_zero(bd[x]),
    name="log_exp", doc="log(exp(x)) -> x, for real x that is never -0.0.",
)
log_exp_signed = rule(
    etuple(E.log, etuple(E.exp, x)), etuple(E.add, x, 0.0),
    where=lambda bd: not never_negative_zero(bd[x]), name="log_exp_signed",
    doc="log(exp(x)) -> x + 0.0, for real x that may be -0.0 (log(exp(-0.0)) is 0.0).",
)
exp_log = rule(
    etuple(E.exp, etuple(E.log, x)), x, where=lambda bd: never_negative_zero(bd[x]),
    name="exp_log",
    doc="exp(log(x)) -> x, for x > 0 that is never -0.0 (convention: x > 0 applied without "
        "proof).",
)
exp_log_signed = rule(
    etuple(E.exp, etuple(E.log, x)), etuple(E.add, x, 0.0),
    where=lambda bd: not never_negative_zero(bd[x]), name="exp_log_signed",
    doc="exp(log(x)) -> x + 0.0, for x > 0 that may be -0.0 (exp(log(-0.0)) is 0.0; "
        "convention: x > 0 applied without proof).",
)
sum_neg = rule(
    etuple(etuple(Reduce, "sum", axis, keepdims), etuple(E.neg, x)),
    etuple(E.neg, etuple(etuple(Reduce, "sum", axis, keepdims), x)),
    name="sum_neg", doc="sum(-x, axis) -> -sum(x, axis), for all x and any axis.",
)
_two_dimshuffles = etuple(etuple(DimShuffle, var(), b), etuple(etuple(DimShuffle, y, a), x))
dimshuffle_inverse = rule(
    _two_dimshuffles, x, where=_composes_to_identity, name="dimshuffle_inverse",
    doc="x.dimshuffle(a).dimshuffle(b) -> x where the two orders compose to the identity "
        "(x.T.T -> x; an axis added and dropped again), for all x.",
)
dimshuffle_dimshuffle = rule(
    _two_dimshuffles, etuple(etuple(DimShuffle, y, etuple(compose_orders, a, b)), x),
    where=lambda bd: not _composes_to_identity(bd), name="dimshuffle_dimshuffle",
    doc="x.dimshuffle(a).dimshuffle(b) -> x.dimshuffle(compose_orders(a, b)), for all x: two "
        "dimshuffles (transposes, added/dropped axes) are one.",
)
# The composed order is a function term evaluated when the greedy engine builds the output;
# the e-graph does not evaluate terms inside an op's parameters.
dimshuffle_dimshuffle.saturate = False
reshape_reshape = rule(
    etuple(etuple(Reshape, a), etuple(etuple(Reshape, var()), x, var()), y),
    etuple(etuple(Reshape, a), x, y), name="reshape_reshape",
    doc="reshape(reshape(x, s1), s2) -> reshape(x, s2), for all x.",
)
reshape_noop = rule(
    etuple(etuple(Reshape, var()), x, y), x, where=_reshape_noop, name="reshape_noop",
    doc="reshape(x, s) -> x when s is x's own shape.",
)
shape_entry = rule(
    etuple(etuple(Subtensor, a), etuple(Shape(), x)), _shape_entry, name="shape_entry",
    doc="y.shape[i] -> dims[i] for y = alloc(v, *dims); f(x).shape[i] -> x.shape[i] for a "
        "unary element-wise f; the length itself when it is known statically.  "
        "Python: the length is read from what computes y, which varies by op.",
)
elemwise_of_alloc = rule(
    etuple(etuple(E.Elemwise, b), cons(Alloc(), a, args)),
    cons(Alloc(), etuple(etuple(E.Elemwise, b), a), args), where=_constant_filler,
    name="elemwise_of_alloc",
    doc="f(alloc(c, *dims)) -> alloc(f(c), *dims) for a unary element-wise f and a constant "
        "c: exp(x - x) becomes ones, not exp of zeros computed at run time (f(c) is folded).",
)
maximum_same = rule(etuple(E.maximum, x, x), x, name="maximum_same",
                    doc="maximum(x, x) -> x, for all x.")
minimum_same = rule(etuple(E.minimum, x, x), x, name="minimum_same",
                    doc="minimum(x, x) -> x, for all x.")

#: The ``canonicalize`` set, in its default order (the result does not depend on it).
RULES = [
    NORMAL_FORM, neg_neg, mul_minus_one, div_self, pow_one, pow_zero, log_exp,
    log_exp_signed, exp_log, exp_log_signed, sum_neg, dimshuffle_inverse,
    dimshuffle_dimshuffle, reshape_reshape, reshape_noop, shape_entry, maximum_same,
    minimum_same, elemwise_of_alloc,
]
