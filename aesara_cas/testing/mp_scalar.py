"""High-precision (mpmath) versions of every element-wise scalar op.

Each entry computes the *mathematical* value of the op at one point, with
NumPy's conventions at the edges of the domain (``log(0) = -inf``,
``sqrt(-1) = nan``, ``1/0 = inf``, ``0**-1 = inf``, NaN propagation).  The
arithmetic ops ``+ - * neg abs sqr`` and ``floor ceil int_div mod`` are computed
exactly (no rounding at all), so cancellation in them cannot fool the
reference; everything else is rounded to the working precision of ``ctx``.

Known limitation: mpmath has no signed zero, so ``1/-0.0`` gives ``+inf``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import mpmath
import mpmath.libmp as libmp
import numpy as np
from mpmath.ctx_mp_python import _mpf as MPF  # the base of every context's mpf class

from aesara_cas.tensor.scalar import SCALAR_OPS

#: Exact results whose mantissa would exceed this many bits (beyond the working
#: precision) are rounded instead, so long chains of products stay affordable.
EXACT_EXTRA_BITS = 4096


_NONFINITE = (libmp.finf, libmp.fninf, libmp.fnan)


def is_finite(x) -> bool:
    """Whether ``x`` is a finite ``mpf`` (not inf, not nan)."""
    return isinstance(x, MPF) and x._mpf_ not in _NONFINITE


def to_fraction(x: mpmath.mpf) -> Fraction:
    """The exact rational value of a finite ``mpf``."""
    sign, man, exp, _ = x._mpf_
    man = -man if sign else man
    return Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)


def from_fraction(ctx, q: Fraction):
    """``q`` as an ``mpf``: exact when the denominator is a power of two, else rounded."""
    den = q.denominator
    if den & (den - 1) == 0:
        return ctx.make_mpf(libmp.from_man_exp(q.numerator, -(den.bit_length() - 1)))
    return ctx.fdiv(q.numerator, den)


def _cap(ctx, x):
    """Round an exact result whose mantissa became unreasonably long."""
    if x._mpf_[3] > ctx.prec + EXACT_EXTRA_BITS:
        return +x
    return x


def _fallback(ctx, name: str, args: tuple):
    """NumPy's own result when an argument is inf or nan (exactly representable)."""
    with np.errstate(all="ignore"):
        out = SCALAR_OPS[name].impl(*[np.float64(float(a)) for a in args])
    return ctx.mpf(float(out))


def _sign(x) -> int:
    return -1 if x._mpf_[0] else (0 if not x else 1)


# ---------------------------------------------------------------- arithmetic


def _far_apart(ctx, a, b) -> bool:
    """Magnitudes so different that an exact sum would need an absurd mantissa (then no
    cancellation is possible, and the sum is rounded to the working precision)."""
    if not (is_finite(a) and is_finite(b)) or not a or not b:
        return False
    ea, eb = a._mpf_[2] + a._mpf_[3], b._mpf_[2] + b._mpf_[3]
    return abs(ea - eb) > ctx.prec + EXACT_EXTRA_BITS


def _add(ctx, a, b):
    if _far_apart(ctx, a, b):
        return ctx.fadd(a, b)
    return _cap(ctx, ctx.fadd(a, b, exact=True))


def difference(ctx, a, b):
    """``a - b``, exact unless the magnitudes are too far apart for any cancellation."""
    if _far_apart(ctx, a, b):
        return ctx.fsub(a, b)
    return _cap(ctx, ctx.fsub(a, b, exact=True))


def _mul(ctx, a, b):
    return _cap(ctx, ctx.fmul(a, b, exact=True))


def _div(ctx, a, b):
    if not (is_finite(a) and is_finite(b)):
        return _fallback(ctx, "true_div", (a, b))
    if not b:
        return ctx.nan if not a else ctx.inf * _sign(a)
    return ctx.fdiv(a, b)


def _int_div(ctx, a, b):
    if not (is_finite(a) and is_finite(b)) or not b:
        return _fallback(ctx, "int_div", (a, b))
    return ctx.mpf(math.floor(to_fraction(a) / to_fraction(b)))


def _mod(ctx, a, b):
    if not (is_finite(a) and is_finite(b)) or not b:
        return _fallback(ctx, "mod", (a, b))
    qa, qb = to_fraction(a), to_fraction(b)
    return from_fraction(ctx, qa - math.floor(qa / qb) * qb)


def _is_int(x) -> bool:
    return is_finite(x) and x == int(x)


def _pow(ctx, a, b):
    if not (is_finite(a) and is_finite(b)):
        return _fallback(ctx, "pow", (a, b))
    if _is_int(b) and 0 <= b <= 64:
        out = ctx.mpf(1)
        for _ in range(int(b)):
            out = ctx.fmul(out, a, exact=True)
        return _cap(ctx, out)
    if not a:
        return ctx.inf if b < 0 else (ctx.mpf(1) if not b else ctx.mpf(0))
    if a < 0 and not _is_int(b):
        return ctx.nan
    return ctx.power(a, b)


# ---------------------------------------------------------------- functions


def _domain(fn: Callable, name: str, lo=None, hi=None, lo_val=None, hi_val=None,
            open_lo=False) -> Callable:
    """``fn`` on finite inputs inside ``[lo, hi]``; ``lo_val``/``hi_val`` at the ends;
    NaN outside; NumPy's own answer for inf/nan inputs."""

    def impl(ctx, x):
        if not is_finite(x):
            return _fallback(ctx, name, (x,))
        if lo is not None and (x < lo or (open_lo and x == lo)):
            return ctx.nan
        if hi is not None and x > hi:
            return ctx.nan
        if lo_val is not None and x == lo:
            return ctx.mpf(lo_val)
        if hi_val is not None and x == hi:
            return ctx.mpf(hi_val)
        return fn(ctx, x)

    return impl


def _sigmoid(ctx, x):
    return ctx.fdiv(1, _add(ctx, ctx.mpf(1), ctx.exp(-x)))


def _softplus(ctx, x):
    return ctx.log1p(ctx.exp(x))


def _log1mexp(ctx, x):
    return ctx.log(-ctx.expm1(x))


def _cbrt(ctx, x):
    # mpmath's cbrt of a negative number is the complex principal root; NumPy's is real.
    r = ctx.cbrt(abs(x))
    return -r if x < 0 else r


def _unary(name: str, fn: Callable) -> Callable:
    return _domain(fn, name)


def _maxmin(pick_first: Callable) -> Callable:
    def impl(ctx, a, b):
        if ctx.isnan(a) or ctx.isnan(b):
            return ctx.nan
        return a if pick_first(a, b) else b

    return impl


def _compare(op: Callable, nan_result: bool) -> Callable:
    def impl(ctx, a, b):
        if ctx.isnan(a) or ctx.isnan(b):
            return nan_result
        return bool(op(a, b))

    return impl


def _clip(ctx, x, lo, hi):
    if ctx.isnan(x) or ctx.isnan(lo) or ctx.isnan(hi):
        return ctx.nan
    return hi if x > hi else (lo if x < lo else x)  # NumPy: min(max(x, lo), hi)


def _floor_ceil(name: str, fn: Callable) -> Callable:
    def impl(ctx, x):
        if not is_finite(x):
            return x
        return ctx.mpf(fn(to_fraction(x)))

    return impl


def _sign_op(ctx, x):
    return x if ctx.isnan(x) else ctx.mpf(_sign(x))


def _switch(ctx, c, a, b):
    return a if truth(c) else b


def truth(x) -> bool:
    """NumPy truthiness of one element (NaN is true, zero is false)."""
    if isinstance(x, MPF):
        return x._mpf_ != libmp.fzero
    return bool(x)


def _logic(op: Callable) -> Callable:
    def impl(ctx, *args):
        return bool(op(*[truth(a) for a in args]))

    return impl


def _abs(ctx, x):
    return abs(x)


def _neg(ctx, x):
    return ctx.fneg(x, exact=True)


def _sqr(ctx, x):
    return _mul(ctx, x, x)


def _arctan2(ctx, y, x):
    if not (is_finite(y) and is_finite(x)):
        return _fallback(ctx, "arctan2", (y, x))
    return ctx.atan2(y, x)


def _hypot(ctx, a, b):
    if not (is_finite(a) and is_finite(b)):
        return _fallback(ctx, "hypot", (a, b))
    return ctx.hypot(a, b)


def _at_pole(x) -> bool:
    """Whether ``x`` is a pole of the gamma family (0, -1, -2, ...)."""
    return _is_int(x) and x <= 0


def _gamma_family(name: str, fn: Callable) -> Callable:
    """``fn`` away from the poles; NumPy/SciPy's own value at a pole or inf/nan."""

    def impl(ctx, x):
        if not is_finite(x) or _at_pole(x):
            return _fallback(ctx, name, (x,))
        return fn(ctx, x)

    return impl


def _gammaln(ctx, x):
    return ctx.loggamma(x) if x > 0 else ctx.log(abs(ctx.gamma(x)))


def _polygamma(ctx, n, x):
    if not (is_finite(n) and is_finite(x)) or _at_pole(x):
        return _fallback(ctx, "polygamma", (n, x))
    if not _is_int(n) or n < 0:
        return ctx.nan
    return ctx.polygamma(int(n), x)


def _erfcx(ctx, x):
    if not is_finite(x):
        return _fallback(ctx, "erfcx", (x,))
    # exp(x**2) overflows the float range long before erfc underflows; mpmath does not.
    return ctx.exp(ctx.fmul(x, x, exact=True)) * ctx.erfc(x)


def _xlogy(ctx, a, b):
    if not (is_finite(a) and is_finite(b)):
        return _fallback(ctx, "xlogy", (a, b))
    if not a:
        return ctx.mpf(0)
    if b < 0:
        return ctx.nan
    if not b:
        return -ctx.inf * _sign(a)
    return ctx.fmul(a, ctx.log(b))


#: name -> function(ctx, *mpf args) giving an mpf (or bool for predicates).
MP_SCALAR: dict[str, Callable] = {
    "add": _add, "sub": difference, "mul": _mul, "true_div": _div, "int_div": _int_div,
    "mod": _mod, "pow": _pow, "neg": _neg, "abs": _abs, "sqr": _sqr,
    "exp": _unary("exp", lambda c, x: c.exp(x)),
    "exp2": _unary("exp2", lambda c, x: c.power(2, x)),
    "expm1": _unary("expm1", lambda c, x: c.expm1(x)),
    "log": _domain(lambda c, x: c.log(x), "log", lo=0, lo_val=-math.inf),
    "log2": _domain(lambda c, x: c.log(x, 2), "log2", lo=0, lo_val=-math.inf),
    "log10": _domain(lambda c, x: c.log10(x), "log10", lo=0, lo_val=-math.inf),
    "log1p": _domain(lambda c, x: c.log1p(x), "log1p", lo=-1, lo_val=-math.inf),
    "sqrt": _domain(lambda c, x: c.sqrt(x), "sqrt", lo=0),
    "cbrt": _unary("cbrt", _cbrt),
    "sin": _unary("sin", lambda c, x: c.sin(x)),
    "cos": _unary("cos", lambda c, x: c.cos(x)),
    "tan": _unary("tan", lambda c, x: c.tan(x)),
    "arcsin": _domain(lambda c, x: c.asin(x), "arcsin", lo=-1, hi=1),
    "arccos": _domain(lambda c, x: c.acos(x), "arccos", lo=-1, hi=1),
    "arctan": _unary("arctan", lambda c, x: c.atan(x)),
    "arctan2": _arctan2,
    "hypot": _hypot,
    "sinh": _unary("sinh", lambda c, x: c.sinh(x)),
    "cosh": _unary("cosh", lambda c, x: c.cosh(x)),
    "tanh": _unary("tanh", lambda c, x: c.tanh(x)),
    "arcsinh": _unary("arcsinh", lambda c, x: c.asinh(x)),
    "arccosh": _domain(lambda c, x: c.acosh(x), "arccosh", lo=1),
    "arctanh": _domain(lambda c, x: c.atanh(x), "arctanh", lo=-1, hi=1,
                       lo_val=-math.inf, hi_val=math.inf),
    "sigmoid": _unary("sigmoid", _sigmoid),
    "softplus": _unary("softplus", _softplus),
    "log1mexp": _domain(_log1mexp, "log1mexp", hi=0, hi_val=-math.inf),
    "erf": _unary("erf", lambda c, x: c.erf(x)),
    "erfc": _unary("erfc", lambda c, x: c.erfc(x)),
    "erfcx": _erfcx,
    "gamma": _gamma_family("gamma", lambda c, x: c.gamma(x)),
    "gammaln": _gamma_family("gammaln", _gammaln),
    "digamma": _gamma_family("digamma", lambda c, x: c.digamma(x)),
    "polygamma": _polygamma,
    "xlogy": _xlogy,
    "maximum": _maxmin(lambda a, b: a >= b),
    "minimum": _maxmin(lambda a, b: a <= b),
    "lt": _compare(lambda a, b: a < b, False),
    "le": _compare(lambda a, b: a <= b, False),
    "gt": _compare(lambda a, b: a > b, False),
    "ge": _compare(lambda a, b: a >= b, False),
    "eq": _compare(lambda a, b: a == b, False),
    "neq": _compare(lambda a, b: a != b, True),
    "and_": _logic(lambda a, b: a and b),
    "or_": _logic(lambda a, b: a or b),
    "invert": _logic(lambda a: not a),
    "switch": _switch,
    "clip": _clip,
    "floor": _floor_ceil("floor", math.floor),
    "ceil": _floor_ceil("ceil", math.ceil),
    "sign": _sign_op,
    "isnan": lambda c, x: bool(c.isnan(x)),
    "isinf": lambda c, x: bool(c.isinf(x)),
}

#: Ops computed without rounding: their result is exact when their inputs are.
EXACT_OPS = frozenset({
    "add", "sub", "mul", "neg", "abs", "sqr", "int_div", "mod", "maximum", "minimum",
    "switch", "clip", "floor", "ceil", "sign",
})


def result_is_exact(name: str, ctx, out, args: tuple) -> bool:
    """Whether a rounded op's result ``out`` is known to be exact (inputs exact).

    Used to tell a true zero from a zero left by the cancellation of rounded
    values.  Conservative: ``False`` unless the exactness is checked.
    """
    if not isinstance(out, MPF) or not is_finite(out):
        return True  # inf/nan/bool results are what they are at any precision
    if name == "true_div":
        return ctx.fmul(out, args[1], exact=True) == args[0]
    if name == "sqrt":
        return ctx.fmul(out, out, exact=True) == args[0]
    if name == "pow":
        return _is_int(args[1]) and 0 <= args[1] <= 64 and out._mpf_[3] <= ctx.prec
    if name == "exp2":
        return _is_int(args[0])
    if name == "log2":
        return _is_int(out) and ctx.power(2, out) == args[0]
    # A transcendental function is exactly representable essentially only at
    # trivial points (exp(0) = 1, log(1) = 0, sin(0) = 0, ...).
    return all(is_finite(a) and a in (0, 1, -1) for a in args) and out in (0, 1, -1)


missing = set(SCALAR_OPS) - set(MP_SCALAR)
if missing:  # pragma: no cover - a new scalar op needs a reference implementation
    raise ImportError(f"aesara_cas.testing has no mpmath version of {sorted(missing)}")
