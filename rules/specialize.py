"""Specialisation rules: the ``specialize`` set, run last.

They turn the canonical forms into the cheapest ops a backend has: ``x ** 2`` is
``sqr(x)``, ``x ** 0.5`` is ``sqrt(x)``, ``x * y ** -1`` is ``x / y``, ``a + -b`` is
``a - b``, ``sum(x * y)`` over vectors is ``dot(x, y)`` and ``alpha * dot(A, B) +
beta * C`` is one :class:`~aesara_cas.tensor.blas.Gemm` node.  Each is an exact
identity (or one rounding better), for all inputs.
"""

from __future__ import annotations

import numpy as np
from aesara_cas.rules.algebra import add_order, mul_order
from cons import cons
from etuples import etuple
from unification import var

from aesara_cas.rewriting.rule import rule
from aesara_cas.rewriting.terms import (
    add_of,
    inputs_if,
    is_float,
    mul_of,
    never_negative,
    scalar_constant,
)
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.blas import Dot, MatMul, gemm
from aesara_cas.tensor.reduction import sum as full_sum
from aesara_cas.tensor.variable import constant

x, y, args = var(), var(), var()


def _reciprocal_base(f):
    """``d`` if factor ``f`` is ``1 / d`` (``d ** -c`` gives ``d ** c``), else ``None``."""
    ins = inputs_if(f, E.pow)
    if ins is not None:
        c = scalar_constant(ins[1])
        if c is None or isinstance(c, bool) or not c < 0:
            return None
        # d ** -0.5 is not 1 / d ** 0.5 at d = -0.0 (inf vs -inf) and d = -inf (0 vs nan);
        # integer powers agree everywhere, including the signs of zeros and infinities.
        if not (float(c).is_integer() or never_negative(ins[0])):
            return None
        return ins[0] if c == -1 else E.pow(ins[0], -c)
    ins = inputs_if(f, E.true_div)
    if ins is not None and scalar_constant(ins[0]) == 1 and not isinstance(
            scalar_constant(ins[0]), bool):
        return ins[1]
    return None


def _mul_to_div(bd):
    out, ins = bd.term, bd[args]
    if not is_float(out) or any(i.dtype != out.dtype for i in ins):
        return None
    num, den = [], []
    for f in ins:
        d = _reciprocal_base(f)
        if d is None:
            num.append(f)
        else:
            den.append(d)
    if not den:
        return None
    return E.true_div(mul_of(num) if num else constant(np.asarray(1, dtype=out.dtype)),
                      mul_of(den))


def _add_to_sub(bd):
    out, ins = bd.term, bd[args]
    if out.dtype == "bool":
        return None
    pos = [i for i in ins if inputs_if(i, E.neg) is None]
    neg = [inputs_if(i, E.neg)[0] for i in ins if inputs_if(i, E.neg) is not None]
    if not neg or (not pos and len(neg) < 2):
        return None
    if not pos:
        # -a - b - c, not -(a + b + c): the same roundings in the same order, so also
        # NumPy's +0.0 where the terms cancel (-(1 + -1) would be -0.0).
        out = E.neg(neg[0])
        for term in neg[1:]:
            out = E.sub(out, term)
        return out
    return E.sub(add_of(pos), add_of(neg))


def _dot_of(t):
    """``(A, B)`` if ``t`` is a matrix product of two matrices, else ``None``."""
    node = t.owner
    if node is None or not isinstance(node.op, (Dot, MatMul)):
        return None
    A, B = node.inputs
    return (A, B) if A.ndim == 2 and B.ndim == 2 else None


def _scaled(t):
    """``(scale, u)`` with ``t = scale * u``, scale a scalar variable, a number, or 1."""
    ins = inputs_if(t, E.neg)
    if ins is not None:
        return -1, ins[0]
    ins = inputs_if(t, E.mul)
    if ins is not None and len(ins) == 2:
        for s, u in ((ins[0], ins[1]), (ins[1], ins[0])):
            if s.ndim == 0 and u.ndim > 0:
                return s, u
    return 1, t


def _gemm(bd):
    out = bd.term
    p, q = out.owner.inputs if len(out.owner.inputs) == 2 else (None, None)
    if p is None or out.ndim != 2 or not is_float(out):
        return None
    sign = -1 if out.owner.op == E.sub else 1
    for t_dot, t_c, c_sign in ((p, q, sign), (q, p, 1)):
        alpha, d = _scaled(t_dot)
        AB = _dot_of(d)
        if AB is None:
            continue
        if t_dot is q and sign < 0:
            continue  # C - dot(A, B): keep it simple, the dot must come first in a sub
        beta, C = _scaled(t_c)
        parts = [v for v in (alpha, beta, C, *AB) if not isinstance(v, (int, float))]
        if any(v.dtype != out.dtype for v in parts) or C.ndim > 2:
            return None
        if c_sign < 0:
            beta = -beta if isinstance(beta, (int, float)) else E.neg(beta)
        alpha, beta = (constant(np.asarray(s, dtype=out.dtype)) if isinstance(s, (int, float))
                       else s for s in (alpha, beta))
        return gemm(C, alpha, AB[0], AB[1], beta)
    return None


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
    cons(E.mul, args), _mul_to_div, name="mul_to_div",
    doc="a * b ** -1 -> a / b (and b ** -c -> b ** c in the denominator), floats.  "
        "Python: the reciprocals are collected from a product of any length.",
)
add_to_sub = rule(
    cons(E.add, args), _add_to_sub, name="add_to_sub",
    doc="a + -b -> a - b; -a + -b -> -a - b, for all a, b.  "
        "Python: the negated terms are collected from a sum of any length.",
)
sum_to_dot = rule(
    etuple(full_sum, etuple(E.mul, x, y)), etuple(Dot(), x, y), where=_vectors_of_one_dtype,
    name="sum_to_dot", doc="sum(x * y) -> dot(x, y) for float vectors x, y of one dtype.",
)
gemm_from_add = rule(
    cons(E.add, args), _gemm, name="gemm_from_add",
    doc="alpha * dot(A, B) + beta * C -> gemm(C, alpha, A, B, beta), float matrices.  "
        "Python: scales are read from several spellings and cast to the dtype.",
)
gemm_from_sub = rule(
    etuple(E.sub, x, y), _gemm, name="gemm_from_sub",
    doc="alpha * dot(A, B) - beta * C -> gemm(C, alpha, A, B, -beta), float matrices.  "
        "Python: as gemm_from_add, with the sign of beta flipped.",
)

#: The ``specialize`` set.
RULES = [
    pow_to_sqr, pow_to_sqrt, pow_to_reciprocal, pow_to_rsqrt, mul_to_div, add_to_sub,
    sum_to_dot, gemm_from_add, gemm_from_sub,
    # Sums and products are sorted again once their terms are spelled as specialised
    # (sqr(x) sorts where x ** 2 did not): else a second simplify would re-sort them.
    add_order, mul_order,
]
