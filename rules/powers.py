"""Powers as pattern pairs (in the ``canonicalize`` set): a power of a power is one power.

``(x**a)**b`` is ``x**(a*b)`` in exact arithmetic for an integer ``b``; in floating
point the two can differ in the sign of the result at ``x = -0.0`` and ``x = -inf``
(``(x**0.5)**2`` is ``+0.0`` at ``-0.0``, ``x**1.0`` is ``-0.0``).  Two guarded rules
state the two ways the identity holds there: ``x**(a*b)`` where the signs agree (or
``x`` is never negative), ``abs(x)**(a*b)`` where the original is never negative at
those points; elsewhere neither fires and the power stays as written.
"""

from __future__ import annotations

import numpy as np
from etuples import etuple
from unification import var

from aesara_cas.rewriting.rule import rule
from aesara_cas.rewriting.terms import (
    edge_signs,
    is_float,
    never_negative,
    power_edge_verdict,
    scalar_constant,
)
from aesara_cas.tensor import elemwise as E

x = var("x")
#: The exponents (named as the examples the pattern-rule test instantiates them with).
a, half, b = var("k"), var("k_half"), var("k_int")


def edge_verdict(e1: float, e2: int) -> str:
    """How ``(x**e1)**e2`` (``e2`` an integer) compares with ``x**(e1*e2)`` at
    ``x = -0.0`` and ``-inf``: ``"same"`` signs (where the original is not NaN),
    ``"abs"`` when ``abs(x)**(e1*e2)`` has them, else ``"keep"``."""
    at_zero, at_inf = edge_signs(e1) if int(e2) % 2 else (False, False)
    return power_edge_verdict(at_zero, at_inf, e1 * e2)


def _exponents(bd, a=a) -> tuple | None:
    """``(a, b)`` as numbers if ``a`` is a constant, ``b`` an integer constant, the power
    a float, and ``a * b`` exact in the constants' own dtype; else ``None``."""
    e1, e2 = scalar_constant(bd[a]), scalar_constant(bd[b])
    if e1 is None or e2 is None or isinstance(e1, bool) or isinstance(e2, bool):
        return None
    if not is_float(bd.term) or not np.isfinite(e2) or float(e2) != int(e2):
        return None
    with np.errstate(all="ignore"):
        folded = np.multiply(bd[a].data, bd[b].data)
    if float(folded) != float(e1) * float(e2):
        return None  # a * b rounds or wraps in the constants' dtype
    return e1, e2


def _same_signs(bd) -> bool:
    e = _exponents(bd)
    return e is not None and (never_negative(bd[x]) or edge_verdict(*e) == "same")


def _abs_signs(bd) -> bool:
    e = _exponents(bd, half)
    return e is not None and not never_negative(bd[x]) and edge_verdict(*e) == "abs"


pow_pow = rule(
    etuple(E.pow, etuple(E.pow, x, a), b), etuple(E.pow, x, etuple(E.mul, a, b)),
    where=_same_signs, name="pow_pow",
    doc="(x**a)**b -> x**(a*b) for constant a and integer constant b (floats), where both "
        "sides have the same signs at x = -0.0 and -inf, or x is never negative "
        "((exp(y)**1.5)**2 -> exp(y)**3); a*b is folded to a constant.",
)
pow_pow_abs = rule(
    etuple(E.pow, etuple(E.pow, x, half), b),
    etuple(E.pow, etuple(E.abs, x), etuple(E.mul, half, b)),
    where=_abs_signs, name="pow_pow_abs",
    doc="(x**a)**b -> abs(x)**(a*b) for constant a and integer constant b (floats), where "
        "(x**a)**b is never negative at x = -0.0 and -inf but x**(a*b) would be "
        "((x**1.5)**2 -> abs(x)**3: +0.0 at -0.0, as the original).",
)

RULES = [pow_pow, pow_pow_abs]
