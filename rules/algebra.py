"""Algebraic rules: the ``canonicalize`` set.

They bring every expression to one normal form, so that equal expressions look
equal (and merge) and later rules have one shape to match:

* ``x - y`` is ``x + -y``; ``x / y`` (floats) is ``x * y ** -1``;
* sums and products are flat (``(a + b) + c`` is ``a + b + c`` when ``a + b`` has no
  other use), their constants combined into one, placed first, and their
  arguments in a canonical order;
* like terms are collected (``2*x + 3*x`` is ``5*x``), like factors become powers
  (``x * x`` is ``x ** 2``, ``x * y / x`` is ``y``), ``exp(a) * exp(b)`` is
  ``exp(a + b)``; a sign is pulled out of products: ``-1 * x`` is ``-x``.

Conventions (as in Aesara): a rewrite may give a defined result where the
original was undefined, never the reverse.  ``x / x -> 1`` and ``x * 0 -> 0`` are
applied without proving ``x != 0`` or ``x`` finite; ``exp(log(x)) -> x`` without
proving ``x > 0``.  Rules never change a dtype or a shape (the engine casts and
broadcasts the replacement to the exact type of what it replaces); boolean
``+``/``*`` (logical or/and) are left alone.

Every rule is a miniKanren relation built with :func:`aesara_cas.rewriting.rule`;
the list :data:`RULES` is what the database reads.
"""

from __future__ import annotations

import numpy as np
from cons import cons
from etuples import etuple
from unification import var

from aesara_cas.graph.basic import Constant
from aesara_cas.rewriting.context import n_clients
from aesara_cas.rewriting.matcher import rest_var
from aesara_cas.rewriting.rule import rule
from aesara_cas.rewriting.terms import (
    add_of,
    canonical_order,
    constant_zero_sign,
    inputs_if,
    is_float,
    mul_of,
    never_negative,
    never_negative_zero,
    ops_equal,
    plus_zero,
    reorderable,
    scalar_constant,
    split_coefficient,
    uniform_constant,
    wrap_to_dtype,
)
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.elemwise import as_operands
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import Alloc, DimShuffle, Reshape, Shape
from aesara_cas.tensor.subtensor import Subtensor, getitem
from aesara_cas.tensor.variable import constant

#: Flattening stops when a sum or product would get more arguments than this.
MAX_ARITY = 32

#: How the doc of an n-ary normalisation of the engine starts its ``Python:`` reason.
#: These rules (flatten, fold constants, drop 0 and 1, order, collect, and the
#: canonical forms of - and /) define the normal form of a sum or product of any
#: length that every other rule matches against; they stay Python by design.
NORMALISATION = "an n-ary normalisation of the engine; "

x, y, a, b = var(), var(), var(), var()
args = var()
axis, keepdims = var(), var()
#: The rest of a product, of any length (see :func:`aesara_cas.rewriting.matcher.rest_var`).
rest_ = rest_var("x")


def _numeric(v) -> bool:
    return v.dtype != "bool"


def _flattenable(arg, op, out) -> bool:
    """Whether ``arg`` is an ``op`` node that may be merged into its user ``out``."""
    return (inputs_if(arg, op) is not None and arg.dtype == out.dtype
            and n_clients(arg) in (None, 1))


def _flatten(op):
    def rhs(bd):
        out, ins = bd.term, bd[args]
        if not _numeric(out):
            return None
        flat, changed = [], False
        for i, arg in enumerate(ins):
            inner = inputs_if(arg, op)
            if (_flattenable(arg, op, out)
                    and len(flat) + len(inner) + len(ins) - i - 1 <= MAX_ARITY):
                flat.extend(inner)
                changed = True
            else:
                flat.append(arg)
        return _build(op, flat) if changed else None

    return rhs


def _build(op, items):
    """``op`` (``add``/``mul``) of ``items``, in canonical order when that is exact."""
    return (add_of if op is E.add else mul_of)(items, canonical=True)


def _combine_constants(op):
    def rhs(bd):
        out, ins = bd.term, bd[args]
        consts = [i for i in ins if _is_const(i)]
        rest = [i for i in ins if not _is_const(i)]
        if len(consts) < 2 or not rest or not _numeric(out) or not reorderable(ins):
            return None
        value = op.scalar_op.compute(*[c.data for c in consts])
        return _build(op, [constant(value), *rest])

    return rhs


def _is_const(v) -> bool:
    return isinstance(v, Constant)


def _is_value(v, number) -> bool:
    """Whether ``v`` is a (non-boolean) constant all of whose elements equal ``number``."""
    c = uniform_constant(v)
    return c is not None and not isinstance(c, bool) and c == number


def _drop_neutral(op, neutral):
    def rhs(bd):
        out, ins = bd.term, bd[args]
        if not _numeric(out):
            return None
        rest = [i for i in ins if not _is_value(i, neutral)]
        if len(rest) == len(ins) or not rest:
            return None
        return _build(op, rest)

    return rhs


def _drop_zeros(bd):
    """x + 0 -> x, keeping NumPy's sign of zero: -0.0 + 0.0 is +0.0, so a +0.0 term is
    dropped only if the other terms can never all be -0.0 (a -0.0 term always goes)."""
    out, ins = bd.term, bd[args]
    if not _numeric(out):
        return None
    signs = [constant_zero_sign(i) for i in ins]
    rest = [i for i, z in zip(ins, signs) if z is None]
    zeros = [i for i, z in zip(ins, signs) if z is not None]
    if not zeros or not rest:
        return None
    if is_float(out) and not any(never_negative_zero(i) for i in rest):
        positive = [z for z in zeros if constant_zero_sign(z) != -1]
        if not positive:
            return _build(E.add, rest)
        if len(zeros) == 1:
            return None
        rest = [positive[0], *rest]  # one +0.0 keeps a zero sum +0.0
    return _build(E.add, rest)


def _mul_zero(bd):
    """x * 0 -> 0.  For floats only when the sign of the zero is known: all the other
    factors are never negative (NumPy's -1.0 * 0.0 is -0.0)."""
    out, ins = bd.term, bd[args]
    if not _numeric(out):
        return None
    signs = [constant_zero_sign(i) for i in ins]
    if not is_float(out):
        return 0
    if 0 in signs or not all(z is not None or never_negative(i) for i, z in zip(ins, signs)):
        return None
    negative = sum(1 for z in signs if z == -1) % 2
    return constant(np.asarray(-0.0 if negative else 0.0, dtype=out.dtype))


def _order(op):
    def rhs(bd):
        out, ins = bd.term, list(bd[args])
        if not _numeric(out):
            return None
        # With mixed dtypes the left-to-right evaluation order decides where
        # promotion happens; only two arguments commute exactly then.
        if len(ins) > 2 and any(i.dtype != out.dtype for i in ins):
            return None
        ordered = canonical_order(ins)
        if all(p is q for p, q in zip(ordered, ins)):
            return None
        return op(*ordered)

    return rhs


def _collect_terms(bd):
    out, ins = bd.term, bd[args]
    if not _numeric(out) or any(_flattenable(i, E.add, out) for i in ins):
        return None
    groups: dict[tuple, list] = {}
    for term in ins:
        coef, body = split_coefficient(term)
        key = tuple(map(id, body)) if body else ("constant", id(term))
        if not body:
            coef, body = 1, (term,)
        if key in groups:
            g = groups[key]
            g[0] += coef
            g[2] += 1
            g[4].append(coef > 0)
            if coef == 1 and g[1] is None:
                g[1] = term
        else:
            groups[key] = [coef, term if coef == 1 else None, 1, body, [coef > 0]]
    if all(g[2] == 1 for g in groups.values()):
        return None
    terms = []
    # x + y - y and 2*x - x give +0.0 at x = -0.0 in NumPy (two terms of opposite signs
    # always sum to a +0.0 zero); the collected sum keeps that with a +0.0 term.
    mixed = any(len(set(g[4])) > 1 for g in groups.values())
    for coef, whole, _, body, _signs in groups.values():
        if coef == 0:
            continue
        if coef == 1:
            terms.append(whole if whole is not None else mul_of(body, canonical=True))
        elif coef == -1:
            terms.append(E.neg(whole if whole is not None else mul_of(body, canonical=True)))
        else:
            if np.dtype(out.dtype).kind in "iu":
                # Integer coefficients wrap as NumPy's arithmetic does (2**62*x + 2**62*x).
                coef = wrap_to_dtype(coef, out.dtype)
                if coef == 0:
                    continue
            # as_operands gives the coefficient NumPy's weak-scalar dtype.
            terms.append(mul_of(as_operands((coef, *body)), canonical=True))
    if mixed and is_float(out):
        if not terms:
            return constant(np.zeros((), dtype=out.dtype))
        return add_of([plus_zero(add_of(terms, canonical=True))], canonical=True)
    return add_of(terms, canonical=True)


def _base_exponent(f):
    ins = inputs_if(f, E.pow)
    if ins is not None:
        e = scalar_constant(ins[1])
        if e is not None and not isinstance(e, bool):
            return ins[0], e
    ins = inputs_if(f, E.sqr)
    if ins is not None:
        return ins[0], 2
    ins = inputs_if(f, E.sqrt)
    if ins is not None:
        return ins[0], 0.5
    return f, 1


def _collect_powers(bd):
    out, ins = bd.term, bd[args]
    if not is_float(out) or any(_flattenable(i, E.mul, out) for i in ins):
        return None
    if any(i.dtype != out.dtype for i in ins):
        return None
    groups: dict[int, list] = {}
    order = []
    for f in ins:
        if _is_const(f) or inputs_if(f, E.exp) is not None:
            order.append(("keep", f))
            continue
        base, e = _base_exponent(f)
        if id(base) in groups:
            groups[id(base)][1] += e
            groups[id(base)][2] += 1
            groups[id(base)][3].append(f)
        else:
            groups[id(base)] = [base, e, 1, [f]]
            order.append(("group", id(base)))
    for g in groups.values():
        if g[2] > 1 and not never_negative(g[0]):
            _keep_edge_signs(g)
    if all(g[2] == 1 for g in groups.values()):
        return None
    factors = []
    for kind, item in order:
        if kind == "keep":
            factors.append(item)
            continue
        base, e, count, originals = groups[item]
        if count == 1:
            factors.extend(originals)
            continue
        if e == 0:
            continue
        factors.append(base if e == 1 else E.pow(base, e))
    return mul_of(factors, canonical=True)


def _edge_signs(k) -> tuple[bool, bool | None]:
    """Whether ``x ** k`` is negative at ``x = -0.0`` and at ``x = -inf`` (``None``:
    NaN there).  NumPy computes ``x ** 0.5`` as ``sqrt(x)``: -0.0 at -0.0, NaN at -inf;
    other fractional powers are +0.0 or +inf there; odd integer powers keep the sign."""
    k = float(k)
    if k == 0.5:
        return True, None
    odd = k.is_integer() and int(k) % 2 == 1
    return odd, odd


def _written_vs_collected(written: list, e) -> str:
    """``"same"`` if ``x ** e`` has the signs at -0.0 and -inf of the product of
    ``x ** k`` for ``k`` in ``written`` (where that is not NaN), ``"abs"`` if
    ``abs(x) ** e`` has them, else ``"keep"``."""
    at_zero, at_inf = False, False
    for k in written:
        z, i = _edge_signs(k)
        at_zero ^= z
        at_inf = None if at_inf is None or i is None else at_inf ^ i
    z, i = _edge_signs(e) if e != 0 else (False, False)
    if z == at_zero and (at_inf is None or i == at_inf):
        return "same"
    if not at_zero and not at_inf:
        return "abs"
    return "keep"


def _keep_edge_signs(group: list) -> None:
    """Make a collected group ``[base, e, count, factors]`` keep NumPy's signs at
    ``base = -0.0`` and ``-inf``: it becomes ``abs(base) ** e`` or stays as written
    when ``base ** e`` would change them."""
    base, e, _, factors = group
    verdict = _written_vs_collected([_base_exponent(f)[1] for f in factors], e)
    if verdict == "abs":
        group[0] = E.abs(base)
    elif verdict == "keep":
        group[2] = 1


def _one_minus_one(bd) -> bool:
    """Exactly one factor is -1, and it is a scalar (the rest of a product is what is
    left; a number product, not a boolean one)."""
    owner = bd.term.owner
    if owner is None or not ops_equal(owner.op, E.mul):  # another form (saturation)
        return False
    hits = [i for i in owner.inputs if _is_value(i, -1)]
    return len(hits) == 1 and hits[0].ndim == 0 and _numeric(bd.term)


def _div_to_mul(bd):
    out = bd.term
    if not (is_float(out) and bd[x].dtype == out.dtype == bd[y].dtype):
        return None
    return mul_of([bd[x], E.pow(bd[y], -1)], canonical=True)


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


sub_to_add = rule(
    etuple(E.sub, x, y), lambda bd: add_of([bd[x], E.neg(bd[y])], canonical=True),
    name="sub_to_add",
    doc="x - y -> x + -y, for all x, y (the canonical form of subtraction).  Python: "
        + NORMALISATION + "the sum is built in canonical order at once (a pattern would "
        "need add_order after it on a hot path, and under saturation lets sums grow without "
        "bound).",
)
neg_neg = rule(
    etuple(E.neg, etuple(E.neg, x)), x, name="neg_neg", doc="-(-x) -> x, for all x.",
)
add_flatten = rule(
    cons(E.add, args), _flatten(E.add), name="add_flatten",
    doc="(a + b) + c -> a + b + c when a + b has no other use and the same dtype.  "
        "Python: "
        + NORMALISATION + "it splices the arguments of inner sums into a sum of any length.",
)
mul_flatten = rule(
    cons(E.mul, args), _flatten(E.mul), name="mul_flatten",
    doc="(a * b) * c -> a * b * c when a * b has no other use and the same dtype.  "
        "Python: "
        + NORMALISATION + "it splices the factors of inner products into a product of any length.",
)
add_constants = rule(
    cons(E.add, args), _combine_constants(E.add), name="add_constants",
    doc="2 + x + 3 -> 5 + x: the constants of a sum combined into one.  "
        "Python: "
        + NORMALISATION + "it folds any number of constants among any number of terms.",
)
mul_constants = rule(
    cons(E.mul, args), _combine_constants(E.mul), name="mul_constants",
    doc="2 * x * 3 -> 6 * x: the constants of a product combined into one.  "
        "Python: "
        + NORMALISATION + "it folds any number of constants among any number of factors.",
)
add_zero = rule(
    cons(E.add, args), _drop_zeros, name="add_zero",
    doc="x + 0 -> x, for all x (0 may be an array of zeros; the shape is kept).  Floats: "
        "x + -0.0 -> x always; x + 0.0 -> x only where x is never -0.0 (-0.0 + 0.0 is 0.0).  "
        "Python: "
        + NORMALISATION + "which zeros may go depends on the signs of all the other terms.",
)
mul_one = rule(
    cons(E.mul, args), _drop_neutral(E.mul, 1), name="mul_one",
    doc="x * 1 -> x, for all x (1 may be an array of ones; the shape is kept).  "
        "Python: "
        + NORMALISATION + "it drops every 1 from a product of any length.",
)
mul_zero = rule(
    cons(E.mul, args), _mul_zero,
    where=lambda bd: any(_is_value(i, 0) for i in bd[args]),
    name="mul_zero",
    doc="x * 0 -> 0, for finite x (convention: assumed, not proved).  Floats: only where "
        "the sign of the zero is known (the other factors never negative, e.g. exp(y) * 0.0 "
        "-> 0.0); x * 0.0 stays, as it is -0.0 for negative x.  "
        "Python: "
        + NORMALISATION + "the zero's sign depends on the signs of all the other factors.",
)
add_order = rule(
    cons(E.add, args), _order(E.add), name="add_order",
    doc="y + x -> x + y: arguments of + in canonical order (constants, inputs by name, "
        "then expressions), for all x, y.  "
        "Python: "
        + NORMALISATION + "a sort of the arguments by a structural key.",
)
mul_order = rule(
    cons(E.mul, args), _order(E.mul), name="mul_order",
    doc="y * x -> x * y: arguments of * in canonical order (constants, inputs by name, "
        "then expressions), for all x, y.  "
        "Python: "
        + NORMALISATION + "a sort of the arguments by a structural key.",
)
add_collect = rule(
    cons(E.add, args), _collect_terms, name="add_collect",
    doc="x + x -> 2*x, 2*x + 3*x -> 5*x, x - x -> 0: like terms collected, for all x.  "
        "Python: "
        + NORMALISATION + "it groups the terms of a sum of any length by their non-constant part.",
)
mul_collect = rule(
    cons(E.mul, args), _collect_powers, name="mul_collect",
    doc="x * x -> x**2, x**a * x**b -> x**(a+b), x * x**-1 -> 1 (floats; x != 0 by "
        "convention for negative powers; fractional powers only of never-negative x, "
        "which keeps the signs of zero and inf).  "
        "Python: "
        + NORMALISATION + "it groups the factors of a product of any length by their base.",
)
mul_minus_one = rule(
    etuple(E.mul, -1, rest_), etuple(E.neg, rest_), where=_one_minus_one,
    name="mul_minus_one",
    doc="-1 * x -> -x, for all x; x is the rest of a product of any length "
        "(-1 * a * b -> -(a * b)).",
)
div_to_mul = rule(
    etuple(E.true_div, x, y), _div_to_mul, name="div_to_mul",
    doc="x / y -> x * y**-1 for floats of one dtype (the canonical form of division).  "
        "Python: "
        + NORMALISATION + "the product is built in canonical order at once (as sub_to_add).",
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
    sub_to_add, neg_neg, add_flatten, mul_flatten, add_constants, mul_constants, add_zero,
    mul_one, mul_zero, add_order, mul_order, add_collect, mul_collect, mul_minus_one,
    div_to_mul, div_self, pow_one, pow_zero, log_exp, log_exp_signed, exp_log, exp_log_signed,
    sum_neg, dimshuffle_inverse, dimshuffle_dimshuffle, reshape_reshape, reshape_noop,
    shape_entry, maximum_same, minimum_same, elemwise_of_alloc,
]
