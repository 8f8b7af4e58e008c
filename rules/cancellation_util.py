"""Building blocks of the rules of :mod:`aesara_cas.rules.cancellation`.

The rules are patterns written as math with wilds; the engine matches each in every
spelling it treats as equal (``a - b`` as ``sub(a, b)``, ``a + -b`` or ``a + -1*b``;
``a / b`` as ``a * b**-1``; ``sqrt(u)`` as ``u ** 0.5``; ``b*b`` as ``b ** 2``).
This module gives what the patterns share: a wild for the rest of a sum of any length
(:func:`rest_wild`), the two orders of a difference as a pair of rules
(:func:`differences`), a quotient guarded against a zero denominator
(:func:`ratio_or_zero`), the guards (``where=``) over the matched values and the
graph, and the Taylor series of the ``x - sin(x)`` rules.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from aesara_cas import tensor as at
from aesara_cas.graph.basic import Variable
from aesara_cas.rewriting.context import current_graph
from aesara_cas.rewriting.pattern import rest_var
from aesara_cas.rewriting.rule import Rule, rule
from aesara_cas.rewriting.terms import scalar_constant
from aesara_cas.rewriting.wild import Wild
from aesara_cas.tensor.type import TensorType


def const_value(v: Any) -> float | None:
    """The value of a zero-dimensional numeric constant, else ``None``."""
    c = scalar_constant(v)
    if c is None or isinstance(c, (bool, np.bool_)):
        return None
    return float(c)


def guarded(v: Variable | None) -> bool:
    """Whether ``v`` is already the fallback (``else``) branch of a ``switch`` in the
    graph being rewritten: a rule that keeps the original expression as that branch
    must not fire on it again."""
    fg = current_graph()
    if fg is None or v is None:
        return False
    return any(client != "output" and client.op == at.switch and i == 2
               for client, i in fg.clients.get(v, ()))


def has_client(v: Variable, op: Any) -> bool:
    """Whether some node of the graph being rewritten applies ``op`` to ``v``."""
    fg = current_graph()
    if fg is None:
        return False
    return any(client != "output" and client.op == op for client, _ in fg.clients.get(v, ()))


def only_used_by(v: Variable | None, ops: tuple) -> bool:
    """Whether every use of ``v`` in the graph being rewritten is an output or a node
    applying one of ``ops`` (``True`` outside the engine)."""
    fg = current_graph()
    if fg is None or v is None:
        return True
    return all(client == "output" or client.op in ops for client, _ in fg.clients.get(v, ()))


def is_float(*vs: Variable) -> bool:
    return all(isinstance(v, Variable) and v.dtype.startswith("float") for v in vs)


# ---------------------------------------------------------------- series


def series(coef, threshold: float, tol: float = 2.0 ** -60) -> list[float]:
    """``[c_0, c_1, ...]`` of ``x**3 * sum(c_k x**(2k))``, stopping at the first term
    below ``tol`` times the leading one for every ``|x| < threshold``."""
    out: list[float] = []
    first = abs(coef(0))
    k = 0
    while True:
        c = coef(k)
        out.append(float(c))
        if abs(c) * threshold ** (2 * k) < tol * first:
            return out
        k += 1


def odd_series(x: Variable, coeffs: list[float]) -> Variable:
    """``x**3 * (c0 + c1 x**2 + ...)`` by Horner's rule in ``x**2``."""
    x2 = at.sqr(x)
    acc: Any = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = acc * x2 + c
    return x * x2 * acc


@functools.cache
def tangent_numbers(n: int) -> tuple[int, ...]:
    """``(T_1, T_3, ..., T_(2n-1))``, the tangent numbers: ``tan x = sum T_k x**k / k!``.

    Integer-only (Brent & Harvey's recurrence), so it is exact and costs microseconds;
    Bernoulli numbers as fractions would cost tens of milliseconds at import time.
    """
    t = [0, 1] + [0] * (n - 1)
    for k in range(2, n + 1):
        t[k] = (k - 1) * t[k - 1]
    for k in range(2, n + 1):
        for j in range(k, n + 1):
            t[j] = (j - k) * t[j - 1] + (j - k + 2) * t[j]
    return tuple(t[1:])


def tan_coefficient(k: int) -> Fraction:
    """The coefficient of ``x**(2k+3)`` in ``tan x``: ``T_(2k+3) / (2k+3)!``."""
    m = k + 2
    return Fraction(tangent_numbers(max(m, 64))[m - 1], math.factorial(2 * m - 1))


# ---------------------------------------------------------------- pattern building blocks


def rest_wild(name: str) -> Wild:
    """A wild that, as a term of a sum in a pattern, stands for the rest of that sum:
    one term or several (``sqrt(t + c)`` matches ``sqrt(a + t + b)`` with ``c = a + b``).

    See :func:`aesara_cas.rewriting.pattern.rest_var`; the sum must have at least one
    term besides those the pattern names.
    """
    return Wild(TensorType("float64", ()), name=name, lvar=rest_var(name))


def ratio_or_zero(num: Variable, den: Variable) -> Variable:
    """``num / den`` as a pattern, but 0 where ``den == 0``: the rationalised differences
    divide by a sum of roots that is 0 only where the difference was an exact 0 (0/0
    would be NaN there)."""
    return at.switch(at.eq(den, 0), 0.0, num / den)


def real(bd: Any) -> bool:
    """Guard: the match is a float and not the fallback branch of a switch (see
    :func:`guarded`)."""
    return is_float(bd.term) and not guarded(bd.term)


def differences(first: Any, second: Any, forward: Any, backward: Any, *, name: str,
                doc: str, where: Callable = real, **kw: Any) -> list[Rule]:
    """The rules ``first - second -> forward`` and ``second - first -> backward``.

    A difference is not symmetric, so each identity ``f - g = h`` is two patterns; both
    match every spelling of the subtraction (``f - g``, ``f + -g``, ``-g + f``, ...),
    and only a whole node (``partial=False``: a two-term identity, cheaper to match).
    """
    return [rule(first - second, forward, where=where, name=name, doc=doc, partial=False, **kw),
            rule(second - first, backward, where=where, name=name, doc=doc, partial=False,
                 **kw)]
