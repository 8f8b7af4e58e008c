"""The accuracy benchmark set: textbook cancellation and overflow cases.

Each case is a formula written the obvious way, with the input ranges it is
measured on.  Ranges are unions of intervals ``(sign, lo, hi)`` sampled
log-uniformly in magnitude (``lo > 0``).  Most come from Hamming's *Numerical
Methods for Scientists and Engineers* (ch. 3) and the Herbie benchmark suite,
plus the overflow forms common in machine learning (softplus, sigmoid,
logsumexp) and the hyperbolic/inverse-hyperbolic identities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aesara_cas import tensor as at

Interval = tuple[int, float, float]


def pos(lo: float, hi: float) -> list[Interval]:
    return [(1, lo, hi)]


def neg(lo: float, hi: float) -> list[Interval]:
    return [(-1, lo, hi)]


def both(lo: float, hi: float) -> list[Interval]:
    return [(1, lo, hi), (-1, lo, hi)]


WIDE = both(1e-300, 1e300)


@dataclass
class Case:
    """One benchmark expression: ``build(*variables)`` over ``ranges`` (one per variable)."""

    name: str
    build: Callable
    ranges: list[list[Interval]]
    note: str = ""
    #: Extra trailing dimensions of every input (a reduction's length).
    inner: tuple[int, ...] = field(default_factory=tuple)


def _quad(sign: int):
    def build(a, b, c):
        return (-b + sign * at.sqrt(b * b - 4 * a * c)) / (2 * a)

    return build


CASES: list[Case] = [
    # ---- differences of roots, reciprocals and logs (Hamming 3.*)
    Case("sqrt_diff", lambda x: at.sqrt(x + 1) - at.sqrt(x), [pos(1e-300, 1e300)]),
    Case("sqrt_diff_e", lambda x, e: at.sqrt(x + e) - at.sqrt(x),
         [pos(1e-10, 1e10), pos(1e-10, 1e3)]),
    Case("inv_sqrt_diff", lambda x: 1 / at.sqrt(x) - 1 / at.sqrt(x + 1), [pos(1e-300, 1e300)]),
    Case("sqrt1p_m1", lambda x: at.sqrt(1 + x) - 1, [both(1e-300, 1.0) + pos(1.0, 1e300)]),
    Case("recip_diff", lambda x: 1 / (x + 1) - 1 / x, [pos(1e-300, 1e300)]),
    Case("log_diff", lambda x: at.log(x + 1) - at.log(x), [pos(1e-300, 1e300)]),
    Case("log1p_naive", lambda x: at.log(1 + x), [both(1e-300, 1.0) + pos(1.0, 1e300)]),
    Case("log1p_quot", lambda x: at.log(1 + x) / x, [both(1e-300, 1.0) + pos(1.0, 1e300)]),
    Case("sq_diff", lambda x, y: x * x - y * y, [WIDE, WIDE]),
    # ---- exponentials
    Case("expm1_naive", lambda x: at.exp(x) - 1, [both(1e-300, 700.0)]),
    Case("one_m_exp", lambda x: 1 - at.exp(-x), [both(1e-300, 700.0)]),
    Case("expm1_quot", lambda x: (at.exp(x) - 1) / x, [both(1e-300, 700.0)]),
    Case("exp_quot", lambda x: at.exp(x) / (at.exp(x) - 1), [both(1e-300, 1e3)]),
    Case("pow1p_m1", lambda x, y: (1 + x) ** y - 1, [both(1e-300, 0.5), both(1e-3, 1e3)]),
    Case("exp_prod", lambda x, y: at.exp(x) * at.exp(y), [both(1e-3, 1e3), both(1e-3, 1e3)]),
    Case("log_expm1", lambda x: at.log(at.exp(x) - 1), [pos(1e-300, 1e3)]),
    # ---- trigonometric
    Case("one_m_cos", lambda x: 1 - at.cos(x), [both(1e-300, 1e5)]),
    Case("cos_quot", lambda x: (1 - at.cos(x)) / (x * x), [both(1e-150, 1e5)]),
    Case("x_m_sin", lambda x: x - at.sin(x), [both(1e-300, 1e5)]),
    Case("tan_m_x", lambda x: at.tan(x) - x, [both(1e-300, 1.5)]),
    Case("sin_diff", lambda x, e: at.sin(x + e) - at.sin(x), [both(1e-5, 1e4), both(1e-300, 1e-1)]),
    Case("cos_diff", lambda x, e: at.cos(x + e) - at.cos(x), [both(1e-5, 1e4), both(1e-300, 1e-1)]),
    Case("tan_diff", lambda x, e: at.tan(x + e) - at.tan(x), [both(1e-5, 1e4), both(1e-300, 1e-1)]),
    Case("atan_diff", lambda x: at.arctan(x + 1) - at.arctan(x), [WIDE]),
    Case("acos_1m", lambda x: at.arccos(1 - x), [pos(1e-300, 2.0)]),
    # ---- hyperbolic
    Case("cosh_m1", lambda x: at.cosh(x) - 1, [both(1e-300, 700.0)]),
    Case("sinh_exp", lambda x: (at.exp(x) - at.exp(-x)) / 2, [both(1e-300, 1e3)]),
    Case("tanh_exp", lambda x: (at.exp(x) - at.exp(-x)) / (at.exp(x) + at.exp(-x)),
         [both(1e-300, 1e3)]),
    Case("sinh_m_x", lambda x: at.sinh(x) - x, [both(1e-300, 700.0)]),
    Case("asinh_log", lambda x: at.log(x + at.sqrt(x * x + 1)), [WIDE]),
    Case("acosh_log", lambda x: at.log(x + at.sqrt(x * x - 1)), [pos(1.0, 2.0) + pos(2.0, 1e300)]),
    Case("atanh_log", lambda x: 0.5 * at.log((1 + x) / (1 - x)), [both(1e-300, 1.0)]),
    # ---- square roots of sums, quadratic formula
    Case("hypot_naive", lambda x, y: at.sqrt(x * x + y * y), [WIDE, WIDE]),
    Case("sqrt_sq1_m_x", lambda x: at.sqrt(x * x + 1) - x, [WIDE]),
    Case("quad_plus", _quad(1), [both(1e-5, 1e5), both(1e-5, 1e10), both(1e-5, 1e5)]),
    Case("quad_minus", _quad(-1), [both(1e-5, 1e5), both(1e-5, 1e10), both(1e-5, 1e5)]),
    # ---- machine-learning overflow forms
    Case("softplus_naive", lambda x: at.log(1 + at.exp(x)), [both(1e-300, 1e3)]),
    Case("sigmoid_naive", lambda x: 1 / (1 + at.exp(-x)), [both(1e-300, 1e3)]),
    Case("logaddexp_naive", lambda x, y: at.log(at.exp(x) + at.exp(y)),
         [both(1e-3, 1e3), both(1e-3, 1e3)]),
    Case("log1mexp_naive", lambda x: at.log(1 - at.exp(x)), [neg(1e-300, 1e3)]),
    Case("logsumexp_naive", lambda x: at.log(at.sum(at.exp(x), axis=-1)), [both(1e-3, 1e3)],
         inner=(4,)),
]
