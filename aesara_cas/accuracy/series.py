"""Truncated series of an expression of one input, around 0 or infinity.

A :class:`Series` is ``sum_k c[k] * t**(val + k)`` for exponents below ``order``
(the terms from ``order`` on are unknown), with exact :class:`fractions.Fraction`
coefficients and a rational valuation ``val`` (``sqrt`` halves it).  Around
infinity the expansion variable is ``t = 1/x``.  The expansion follows the graph
node by node (no recursion); an op it cannot expand exactly (``exp`` of a series
with a non-zero constant term has a transcendental coefficient, ``log`` of a
series whose leading term is not 1, an unsupported op) makes :func:`expand`
return ``None``.

:func:`series_graph` turns a series back into a graph: ``x**val * P(x)`` around 0
and ``x**-val * P(1/x)`` around infinity, ``P`` in Horner form over the step of
its non-zero terms (``x**2`` for odd or even functions).
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import reduce

import numpy as np

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.graph.traversal import toposort
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.variable import constant

#: Default absolute truncation order of the exact inputs (``x`` and constants).
ORDER = 10


class NoSeries(Exception):
    """The expression has no exact series of the supported kind."""


class Series:
    """``sum_k c[k] t**(val + k)`` for exponents ``< order``."""

    __slots__ = ("val", "c", "order")

    def __init__(self, val: Fraction, c: list[Fraction], order: Fraction):
        n = max(0, math.ceil(order - val))
        c = (list(c) + [Fraction(0)] * n)[:n]
        while c and c[0] == 0:  # normalise: the first coefficient is non-zero
            c.pop(0)
            val += 1
        self.val, self.c, self.order = Fraction(val), c, Fraction(order)

    @property
    def zero(self) -> bool:
        return not self.c

    def terms(self) -> list[tuple[Fraction, Fraction]]:
        return [(self.val + k, q) for k, q in enumerate(self.c) if q]

    def __repr__(self) -> str:
        body = " + ".join(f"{q}*t^{e}" for e, q in self.terms()) or "0"
        return f"{body} + O(t^{self.order})"


def _const(q: Fraction, order: Fraction) -> Series:
    return Series(Fraction(0), [q], order)


def _add(s: Series, t: Series) -> Series:
    order = min(s.order, t.order)
    if s.zero or t.zero:
        keep = t if s.zero else s
        return Series(keep.val, keep.c, order)
    if (s.val - t.val).denominator != 1:
        raise NoSeries("a sum of terms with exponents not an integer apart")
    val = min(s.val, t.val)
    n = max(0, math.ceil(order - val))
    out = [Fraction(0)] * n
    for ser in (s, t):
        off = int(ser.val - val)
        for k, q in enumerate(ser.c):
            if off + k < n:
                out[off + k] += q
    return Series(val, out, order)


def _scale(s: Series, q: Fraction) -> Series:
    return Series(s.val, [q * v for v in s.c], s.order)


def _mul(s: Series, t: Series) -> Series:
    if s.zero or t.zero:
        val = (s.val if s.zero else t.val) + (t.val if s.zero else s.val)
        return Series(val, [], min(s.order + t.val, t.order + s.val))
    val = s.val + t.val
    order = min(s.order + t.val, t.order + s.val)
    n = max(0, math.ceil(order - val))
    out = [Fraction(0)] * n
    for i, p in enumerate(s.c[:n]):
        if p:
            for j, q in enumerate(t.c[: n - i]):
                out[i + j] += p * q
    return Series(val, out, order)


def _unit(s: Series) -> tuple[Fraction, Fraction, list[Fraction], int]:
    """``s = c0 t**val (1 + u)``: ``(c0, val, [1, u1, u2, ...], n)``."""
    if s.zero:
        raise NoSeries("the leading term is unknown (cancellation beyond the order)")
    c0 = s.c[0]
    return c0, s.val, [q / c0 for q in s.c], len(s.c)


def _unit_pow(a: list[Fraction], p: Fraction) -> list[Fraction]:
    """``(1 + u)**p`` (J.C.P. Miller's recurrence), as many terms as ``a``."""
    b = [Fraction(1)] + [Fraction(0)] * (len(a) - 1)
    for k in range(1, len(a)):
        b[k] = sum(((p + 1) * j - k) * a[j] * b[k - j] for j in range(1, k + 1)) / k
    return b


def _rational_root(q: Fraction, den: int) -> Fraction:
    if q <= 0:
        raise NoSeries("a fractional power of a non-positive leading coefficient")
    num = round(q.numerator ** (1 / den))
    dd = round(q.denominator ** (1 / den))
    for cand_n in (num - 1, num, num + 1):
        for cand_d in (dd - 1, dd, dd + 1):
            if cand_n > 0 and cand_d > 0 and Fraction(cand_n, cand_d) ** den == q:
                return Fraction(cand_n, cand_d)
    raise NoSeries("an irrational root of a leading coefficient")


def _pow(s: Series, p: Fraction) -> Series:
    c0, val, a, n = _unit(s)
    if p.denominator == 1:
        lead = c0 ** int(p)
    else:
        lead = _rational_root(c0, p.denominator) ** p.numerator
    b = _unit_pow(a, p)
    return Series(val * p, [lead * q for q in b], val * p + n)


def _compose(coef, s: Series) -> Series:
    """``f(s)`` for ``f = sum coef(k) y**k`` and ``s`` of positive valuation."""
    if s.zero:
        return _add(_const(coef(0), s.order), Series(s.order, [], s.order))
    if s.val <= 0:
        raise NoSeries("a function of a series that does not vanish at the point")
    k_max = math.ceil(s.order / s.val)
    out = _const(coef(0), s.order)
    power = None
    for k in range(1, k_max + 1):
        power = s if power is None else _mul(power, s)
        q = coef(k)
        if q:
            out = _add(out, _scale(power, q))
    return out


def _split_constant(s: Series) -> tuple[Fraction, Series]:
    """``(s0, s - s0)``: the constant term and the rest (which must vanish at 0)."""
    if s.zero or s.val > 0:
        return Fraction(0), s
    if s.val < 0:
        raise NoSeries("a function of a series that has a pole")
    rest = Series(s.val + 1, s.c[1:], s.order)
    return s.c[0], rest


def _fact(k: int) -> int:
    return math.factorial(k)


def _odd(f):
    return lambda k: f(k // 2) if k % 2 else Fraction(0)


def _even(f):
    return lambda k: Fraction(0) if k % 2 else f(k // 2)


COEFFS = {
    "exp": lambda k: Fraction(1, _fact(k)),
    "expm1": lambda k: Fraction(1, _fact(k)) if k else Fraction(0),
    "sin": _odd(lambda m: Fraction((-1) ** m, _fact(2 * m + 1))),
    "cos": _even(lambda m: Fraction((-1) ** m, _fact(2 * m))),
    "sinh": _odd(lambda m: Fraction(1, _fact(2 * m + 1))),
    "cosh": _even(lambda m: Fraction(1, _fact(2 * m))),
    "log1p": lambda k: Fraction((-1) ** (k + 1), k) if k else Fraction(0),
    "arctan": _odd(lambda m: Fraction((-1) ** m, 2 * m + 1)),
    "arctanh": _odd(lambda m: Fraction(1, 2 * m + 1)),
    "arcsin": _odd(lambda m: Fraction(_fact(2 * m), 4 ** m * _fact(m) ** 2 * (2 * m + 1))),
    "arcsinh": _odd(lambda m: Fraction((-1) ** m * _fact(2 * m),
                                       4 ** m * _fact(m) ** 2 * (2 * m + 1))),
}


def _function(name: str, s: Series) -> Series:
    if name in ("tan", "tanh"):
        base = "sin" if name == "tan" else "sinh"
        other = "cos" if name == "tan" else "cosh"
        return _mul(_function(base, s), _pow(_function(other, s), Fraction(-1)))
    if name == "log":
        c0, val, a, n = _unit(s)
        if val != 0 or c0 != 1:
            raise NoSeries("log of a series whose leading term is not 1")
        return _compose(COEFFS["log1p"], Series(Fraction(1), a[1:], s.order))
    s0, rest = _split_constant(s)
    if s0 and name == "log1p":
        return _function("log", _add(s, _const(Fraction(1), s.order)))
    if s0 and name == "expm1":
        raise NoSeries("expm1 of a series with a non-zero constant term")
    if s0:
        raise NoSeries(f"{name} at a non-zero point")
    return _compose(COEFFS[name], rest)


def _const_of(v: Variable) -> Fraction | None:
    if not isinstance(v, Constant):
        return None
    data = np.asarray(v.data)
    if data.size != 1 or data.dtype.kind not in "biuf" or not np.isfinite(data).all():
        raise NoSeries("a non-scalar or non-finite constant")
    return Fraction(float(data.reshape(()))) if data.dtype.kind == "f" else \
        Fraction(int(data.reshape(())))


def expand(expr: Variable, x: Variable, at_inf: bool = False,
           order: int = ORDER) -> Series | None:
    """The series of ``expr`` in ``x`` around 0 (or infinity: in ``t = 1/x``), or
    ``None`` when it has none of the supported kind."""
    top = Fraction(order)
    memo: dict[int, Series] = {}

    def get(v: Variable) -> Series:
        if v is x:
            return Series(Fraction(-1 if at_inf else 1), [Fraction(1)], top)
        q = _const_of(v)
        if q is not None:
            return _const(q, top)
        hit = memo.get(id(v))
        if hit is None:
            raise NoSeries(f"the input {v} is not the expansion variable")
        return hit

    try:
        for node in toposort([expr]):
            op = getattr(node.op, "scalar_op", None)
            if op is None:
                raise NoSeries(f"the op {node.op} is not element-wise")
            args = [get(i) for i in node.inputs]
            memo[id(node.outputs[0])] = _apply(op.name, args, node.inputs)
        return get(expr)
    except (NoSeries, ZeroDivisionError, OverflowError):
        return None


def _apply(name: str, args: list[Series], inputs) -> Series:
    if name == "add":
        return reduce(_add, args)
    if name == "mul":
        return reduce(_mul, args)
    if name == "sub":
        return _add(args[0], _scale(args[1], Fraction(-1)))
    if name == "neg":
        return _scale(args[0], Fraction(-1))
    if name == "true_div":
        return _mul(args[0], _pow(args[1], Fraction(-1)))
    if name == "sqr":
        return _mul(args[0], args[0])
    if name == "sqrt":
        return _pow(args[0], Fraction(1, 2))
    if name == "pow":
        p = _const_of(inputs[1])
        if p is None or p.denominator > 6:
            raise NoSeries("a power with a non-constant or irrational exponent")
        return _pow(args[0], p)
    if name in COEFFS or name in ("tan", "tanh", "log"):
        return _function(name, args[0])
    raise NoSeries(f"no series for {name}")


def _power_of(x: Variable, e: Fraction) -> Variable:
    if e == 1:
        return x
    if e == Fraction(1, 2):
        return E.sqrt(x)
    if e == -1:
        return E.true_div(1.0, x)
    if e == Fraction(-1, 2):
        return E.true_div(1.0, E.sqrt(x))
    if e.denominator == 1 and 0 < e <= 4:
        return reduce(E.mul, [x] * int(e))
    return E.pow(x, float(e))


def series_graph(s: Series, x: Variable, at_inf: bool = False,
                 max_terms: int = 6) -> Variable | None:
    """A graph of the first ``max_terms`` non-zero terms of ``s`` (``None`` if none)."""
    terms = s.terms()[:max_terms]
    if not terms:
        return None
    val = terms[0][0]
    offs = [int(e - val) for e, _ in terms]
    step = reduce(math.gcd, offs[1:], 0) or 1
    ystep = _power_of(x, Fraction(step))
    if at_inf:
        ystep = E.true_div(1.0, ystep)
    coef = {o // step: float(q) for o, (_, q) in zip(offs, terms)}
    poly = None
    for k in range(max(coef), -1, -1):  # Horner: c0 + y*(c1 + y*(...))
        c = coef.get(k, 0.0)
        if poly is None:
            poly = constant(c, dtype=x.dtype)
        else:
            poly = E.mul(ystep, poly)
            if c:
                poly = E.add(constant(c, dtype=x.dtype), poly)
    if val == 0:
        return poly
    lead = _power_of(x, -val) if at_inf else _power_of(x, val)
    return E.mul(lead, poly)
