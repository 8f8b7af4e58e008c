"""Specialisation rules: the ``specialize`` set, run last.

They turn the canonical forms into the cheapest ops a backend has: ``x ** 2`` is
``sqr(x)``, ``x ** 0.5`` is ``sqrt(x)``, ``x * y ** -1`` is ``x / y``, ``a + -b`` is
``a - b``, ``sum(x * y)`` over vectors is ``dot(x, y)`` and ``alpha * dot(A, B) +
beta * C`` is one :class:`~aesara_cas.tensor.blas.Gemm` node.  Each is an exact
identity (or one rounding better), for all inputs.

All are pattern pairs.  A product or sum of any length is matched through its rest
(:func:`~aesara_cas.rewriting.pattern.rest_var`), one reciprocal or negated term at a
time; ``div_div`` gathers the denominators.  ``gemm`` is one rule per spelling of its
scales, generated from the tables :data:`DOT_SPELLINGS` and :data:`C_SPELLINGS`.
"""

from __future__ import annotations

import itertools

import numpy as np
from aesara_cas.rules.algebra import add_order, mul_order
from etuples import etuple
from unification import var

from aesara_cas.rewriting.context import MADE_BY
from aesara_cas.rewriting.pattern import rest_var
from aesara_cas.rewriting.rule import rule
from aesara_cas.rewriting.terms import (
    inputs_if,
    is_float,
    never_negative,
    ops_equal,
    scalar_constant,
)
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.blas import Dot, MatMul, gemm
from aesara_cas.tensor.reduction import sum as full_sum
from aesara_cas.tensor.variable import constant

_dot = Dot()

x, y = var("x"), var("y")
a, b, d, c = var("a"), var("b"), var("d"), var("k_neg")
A, B, C, alpha, beta = var("A"), var("B"), var("C"), var("alpha"), var("beta")
#: The rest of a sum or product (one or more terms).
rest, C_rest = rest_var("rest"), rest_var("C")


def _float_of_one_dtype(*names):
    """A guard: the result is a float and the bound values ``names`` have its dtype."""

    def guard(bd) -> bool:
        out = bd.term
        return is_float(out) and all(bd[n].dtype == out.dtype for n in names)

    return guard


_of_one_dtype = _float_of_one_dtype(d, rest)


def _gathers_divisions(bd) -> bool:
    """Floats of one dtype, and neither division built as an exact construction: the
    cancellation rules divide twice on purpose (``(c / s) / t``: ``s * t`` may overflow)."""
    out = bd.term
    inner = out.owner.inputs[0] if out.owner is not None else None
    return _float_of_one_dtype(a, b, d)(bd) and not any(
        v is not None and v.tag.get(MADE_BY) == "exact" for v in (out, inner))


def _negative_power(bd) -> bool:
    """``k`` is a negative constant other than -1, and ``d ** k`` is ``1 / d ** -k`` at
    every ``d``: ``k`` is an integer, or ``d`` is never negative (``d ** -0.5`` is inf at
    ``d = -0.0``, ``1 / d ** 0.5`` is -inf)."""
    k = scalar_constant(bd[c])
    if k is None or isinstance(k, bool) or not k < 0 or k == -1:
        return False
    return (float(k).is_integer() or never_negative(bd[d])) and _of_one_dtype(bd)


def _scaled(t) -> bool:
    """Whether ``t`` is spelled with a scale ``gemm`` reads: ``-u``, or a product with a
    scalar factor and another factor with dimensions."""
    if inputs_if(t, E.neg) is not None:
        return True
    ins = inputs_if(t, E.mul)
    return ins is not None and any(
        s.ndim == 0 and any(u.ndim > 0 for u in ins if u is not s) for s in ins)


def _product_of(t) -> tuple | None:
    """``(A, B)`` if ``t`` is ``dot(A, B)`` of matrices, possibly negated or scaled."""
    for u in (t, *(inputs_if(t, E.neg) or ()), *(inputs_if(t, E.mul) or ())):
        node = u.owner
        if node is not None and isinstance(node.op, (Dot, MatMul)) and u.ndim == 2:
            return tuple(node.inputs)
    return None


def _holds(t, v) -> bool:
    """Whether ``t`` is ``v``, ``-v`` or ``s * v``."""
    return t is v or any(i is v for i in (inputs_if(t, E.neg) or inputs_if(t, E.mul) or ()))


def _gemm_guard(alpha, beta, c):
    """The guard of one spelling of ``gemm``: float matrices ``A``, ``B``, scalar scales
    (the logic variables ``alpha``/``beta``, or ``None`` for a number) and ``C`` (the
    variable ``c``; at most two dimensions) of the result's dtype; ``C`` spelled without a
    scale where the rule reads none, and with dimensions where it reads one (so exactly
    one spelling matches a term).  Of a sum of two matrix products, the first is
    ``dot(A, B)``."""
    scales = tuple(v for v in (alpha, beta) if v is not None)
    plain_c = c is C

    def guard(bd) -> bool:
        out, c_ = bd.term, bd[c]
        if out.ndim != 2 or not is_float(out) or c_.ndim > 2:
            return False
        if bd[A].ndim != 2 or bd[B].ndim != 2 or any(bd[v].ndim != 0 for v in scales):
            return False
        if any(bd[v].dtype != out.dtype for v in (A, B, c, *scales)):
            return False
        if (plain_c and _scaled(c_)) or (beta is not None and c_.ndim == 0):
            return False
        node = out.owner
        if node is not None and ops_equal(node.op, E.add) and len(node.inputs) == 2:
            first, second = node.inputs
            if _product_of(first) is not None and _product_of(second) is not None:
                p = _product_of(first)
                return p[0] is bd[A] and p[1] is bd[B] and _holds(second, c_)
        return True

    return guard


def _vectors_of_one_dtype(bd) -> bool:
    a, b = bd[x], bd[y]
    return (a.ndim == 1 and b.ndim == 1 and is_float(bd.term)
            and a.dtype == b.dtype == bd.term.dtype)


pow_to_sqr = rule(etuple(E.pow, x, 2), etuple(E.sqr, x), name="pow_to_sqr",
                  doc="x ** 2 -> sqr(x), for all x.")
pow_to_sqrt = rule(etuple(E.pow, x, 0.5), etuple(E.sqrt, x), name="pow_to_sqrt",
                   doc="x ** 0.5 -> sqrt(x), for all x (both nan for x < 0; NumPy computes "
                       "x ** 0.5 with sqrt, so -0.0 and -inf agree too).")
pow_to_reciprocal = rule(
    etuple(E.pow, x, -1), etuple(E.true_div, 1, x), where=lambda bd: is_float(bd.term),
    name="pow_to_reciprocal", doc="x ** -1 -> 1 / x, for floats.",
)
pow_to_rsqrt = rule(
    etuple(E.pow, x, -0.5), etuple(E.true_div, 1, etuple(E.sqrt, x)),
    where=lambda bd: is_float(bd.term) and never_negative(bd[x]), name="pow_to_rsqrt",
    doc="x ** -0.5 -> 1 / sqrt(x), for floats x that are never negative (exp(y), y * y, "
        "...): at x = -0.0 and -inf NumPy gives inf and 0.0, 1 / sqrt(x) -inf and nan.",
)
mul_to_div = rule(
    etuple(E.mul, etuple(E.pow, d, -1), rest), etuple(E.true_div, rest, d),
    where=_of_one_dtype, name="mul_to_div",
    doc="a * b ** -1 -> a / b, for floats of one dtype; a is the rest of a product of any "
        "length (one reciprocal at a time; div_div gathers the denominators).",
)
mul_to_div_power = rule(
    etuple(E.mul, etuple(E.pow, d, c), rest),
    etuple(E.true_div, rest, etuple(E.pow, d, etuple(E.neg, c))),
    where=_negative_power, name="mul_to_div_power",
    doc="a * b ** k -> a / b ** -k for a negative constant k other than -1 (floats of one "
        "dtype), where k is an integer or b is never negative (then both sides agree at "
        "b = -0.0 and -inf too).",
)
mul_reciprocal_to_div = rule(
    etuple(E.mul, etuple(E.true_div, 1, d), rest), etuple(E.true_div, rest, d),
    where=_of_one_dtype, name="mul_reciprocal_to_div",
    doc="a * (1 / b) -> a / b, for floats of one dtype; a is the rest of a product of any "
        "length.",
)
div_div = rule(
    etuple(E.true_div, etuple(E.true_div, a, b), d), etuple(E.true_div, a, etuple(E.mul, b, d)),
    where=_gathers_divisions, name="div_div",
    doc="(a / b) / d -> a / (b * d), for floats of one dtype: one division (the "
        "denominators of a product a * b ** -1 * d ** -1 gathered; b * d may overflow "
        "where the two divisions would not, as in the written product).  The exact "
        "constructions of the cancellation rules keep their two divisions.",
)
# Lowerings that match their own outputs again: greedy only (see Rule.saturate).
for _r in (mul_to_div, mul_to_div_power, mul_reciprocal_to_div, div_div):
    _r.saturate = False

add_to_sub = rule(
    etuple(E.add, etuple(E.neg, b), rest), etuple(E.sub, rest, b),
    where=lambda bd: bd.term.dtype != "bool", name="add_to_sub",
    doc="a + -b -> a - b, for all a, b; a is the rest of a sum of any length (-a + -b -> "
        "-b - a: the same rounding, and NumPy's +0.0 where the terms cancel).",
)
matmul_to_dot = rule(
    etuple(MatMul(), A, B), etuple(_dot, A, B),
    where=lambda bd: bd[A].ndim == 2 and bd[B].ndim == 2, name="matmul_to_dot",
    doc="A @ B -> dot(A, B) for matrices A, B (np.matmul and np.dot are one product there; "
        "the gemm rules read dot).",
)
sum_to_dot = rule(
    etuple(full_sum, etuple(E.mul, x, y)), etuple(_dot, x, y), where=_vectors_of_one_dtype,
    name="sum_to_dot", doc="sum(x * y) -> dot(x, y) for float vectors x, y of one dtype.",
)
#: The scales 1 and -1 as constants of the narrowest integer type: they promote to any
#: float dtype unchanged.
ONE, MINUS_ONE = constant(np.int8(1)), constant(np.int8(-1))
#: The spellings of the term ``alpha * dot(A, B)``: ``(name, as written, alpha as
#: shown, the term, alpha, alpha's variable or None)``.
DOT_SPELLINGS = (
    ("one", "dot(A, B)", "1", lambda t: t, ONE, None),
    ("neg", "-dot(A, B)", "-1", lambda t: etuple(E.neg, t), MINUS_ONE, None),
    ("scaled", "alpha * dot(A, B)", "alpha", lambda t: etuple(E.mul, alpha, t), alpha, alpha),
)
#: The spellings of the term ``beta * C``: ``(name, as written, beta as shown after
#: + and after -, the term, C's variable, beta, beta's variable or None)``.  ``C`` of
#: ``beta * C`` is the rest of the product, so ``beta`` is found among its factors in
#: any order (``C * beta``, ``P * beta * Q``).
C_SPELLINGS = (
    ("one", "C", ("1", "-1"), C, C, ONE, None),
    ("neg", "-C", ("-1", "1"), etuple(E.neg, C), C, MINUS_ONE, None),
    ("scaled", "beta * C", ("beta", "-beta"), etuple(E.mul, beta, C_rest), C_rest, beta, beta),
)
#: ``(name, op, sign, index into the shown betas)``: ``x - y`` negates beta.
SUMS = (("add", E.add, "+", 0), ("sub", E.sub, "-", 1))


def _negated(scale):
    if scale is ONE:
        return MINUS_ONE
    if scale is MINUS_ONE:
        return ONE
    return etuple(E.neg, scale)


def _gemm_rule(sum_, dot_spelling, c_spelling):
    s_name, op, sign, k = sum_
    a_name, a_text, alpha_text, spell_dot, alpha_, alpha_var = dot_spelling
    c_name, c_text, beta_texts, c_term, c_var, beta_, beta_var = c_spelling
    return rule(
        etuple(op, spell_dot(etuple(_dot, A, B)), c_term),
        etuple(gemm, c_var, alpha_, A, B, beta_ if k == 0 else _negated(beta_)),
        where=_gemm_guard(alpha_var, beta_var, c_var),
        name=f"gemm_from_{s_name}_{a_name}_{c_name}",
        doc=f"{a_text} {sign} {c_text} -> gemm(C, {alpha_text}, A, B, "
            f"{beta_texts[k]}) for float matrices A, B and C of one dtype (C may broadcast; "
            "alpha and beta scalars).",
    )


#: One pure rule per sum or difference and spelling of each scale (a matrix product
#: spelled ``A @ B`` is ``dot(A, B)`` here: matmul_to_dot).
GEMM_RULES = [_gemm_rule(*spelled) for spelled in itertools.product(
    SUMS, DOT_SPELLINGS, C_SPELLINGS)]

#: The ``specialize`` set.
RULES = [
    pow_to_sqr, pow_to_sqrt, pow_to_reciprocal, pow_to_rsqrt, mul_to_div, mul_to_div_power,
    mul_reciprocal_to_div, div_div, add_to_sub, matmul_to_dot, sum_to_dot, *GEMM_RULES,
    # Sums and products are sorted again once their terms are spelled as specialised
    # (sqr(x) sorts where x ** 2 did not): else a second simplify would re-sort them.
    add_order, mul_order,
]
