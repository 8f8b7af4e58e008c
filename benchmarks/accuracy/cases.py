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
    #: Where the formula comes from.
    source: str = ""


def _quad2(sign: int):
    def build(a, b2, c):
        return (-b2 + sign * at.sqrt(b2 * b2 - a * c)) / a

    return build


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

_HERBIE = "Herbie bench/hamming/{} (FPBench Hamming ch. 3, {})"
_DK = "FPBench {} (Darulova & Kuncak 2014)"
_TUT = "Herbie bench/tutorial.fpcore \"{}\""

#: Hamming ch. 3 as FPBench / Herbie's suite states it (its preconditions as ranges),
#: Herbie's tutorial problems, FPBench's Darulova-Kuncak kernels and two more
#: overflow forms.  The first 41 cases come from the same chapter and suites.
MORE_CASES: list[Case] = [
    Case("h_2sqrt", lambda x: at.sqrt(x + 1) - at.sqrt(x), [pos(1.0, 1e100)],
         source=_HERBIE.format("rearrangement.fpcore", "example 3.1")),
    Case("h_2isqrt", lambda x: 1 / at.sqrt(x) - 1 / at.sqrt(x + 1), [pos(1.0, 1e100)],
         source=_HERBIE.format("rearrangement.fpcore", "example 3.6")),
    Case("h_2frac", lambda x: 1 / (x + 1) - 1 / x, [WIDE],
         source=_HERBIE.format("rearrangement.fpcore", "problem 3.3.1")),
    Case("h_3frac", lambda x: 1 / (x + 1) - 2 / x + 1 / (x - 1), [WIDE],
         source=_HERBIE.format("rearrangement.fpcore", "problem 3.3.3")),
    Case("h_2cbrt", lambda x: at.cbrt(x + 1) - at.cbrt(x), [pos(1e-300, 1e5)],
         source=_HERBIE.format("rearrangement.fpcore", "problem 3.3.4")),
    Case("h_2log", lambda n: at.log(n + 1) - at.log(n), [pos(1.0, 1e40)],
         source=_HERBIE.format("rearrangement.fpcore", "problem 3.3.6")),
    Case("h_exp2", lambda x: at.exp(x) - 2 + at.exp(-x), [both(1e-300, 710.0)],
         source=_HERBIE.format("rearrangement.fpcore", "problem 3.3.7")),
    Case("h_expm1", lambda x: at.exp(x) - 1, [both(1e-300, 0.5)],
         source=_HERBIE.format("series.fpcore", "example 3.7")),
    Case("h_logs", lambda n: (n + 1) * at.log(n + 1) - n * at.log(n) - 1, [pos(6.8e15, 1e300)],
         source=_HERBIE.format("series.fpcore", "example 3.8")),
    Case("h_invcot", lambda x: 1 / x - 1 / at.tan(x), [both(1e-300, 0.026)],
         source=_HERBIE.format("series.fpcore", "example 3.9")),
    Case("h_qlog", lambda x: at.log(1 - x) / at.log(1 + x), [both(1e-300, 0.5)],
         source=_HERBIE.format("series.fpcore", "example 3.10")),
    Case("h_cos2", lambda x: (1 - at.cos(x)) / (x * x), [both(1e-300, 1e300)],
         source=_HERBIE.format("series.fpcore", "problem 3.4.1")),
    Case("h_expq3", lambda a, b, eps: eps * (at.exp((a + b) * eps) - 1)
         / ((at.exp(a * eps) - 1) * (at.exp(b * eps) - 1)),
         [both(0.1, 10.0), both(0.1, 10.0), pos(1e-20, 0.1)],
         source=_HERBIE.format("series.fpcore", "problem 3.4.2")),
    Case("h_logq", lambda e: at.log((1 - e) / (1 + e)), [both(1e-300, 1.0)],
         source=_HERBIE.format("series.fpcore", "problem 3.4.3")),
    Case("h_sqrtexp", lambda x: at.sqrt((at.exp(2 * x) - 1) / (at.exp(x) - 1)),
         [both(1e-300, 700.0)], source=_HERBIE.format("series.fpcore", "problem 3.4.4")),
    Case("h_2nthrt", lambda x, n: (x + 1) ** (1 / n) - x ** (1 / n),
         [pos(1e-3, 1e10), pos(1.0, 1e3)],
         source=_HERBIE.format("series.fpcore", "problem 3.4.6")),
    Case("h_sintan", lambda x: (x - at.sin(x)) / (x - at.tan(x)), [both(1e-300, 1e5)],
         source=_HERBIE.format("trigonometry.fpcore", "problem 3.4.5")),
    Case("h_tanhf", lambda x: (1 - at.cos(x)) / at.sin(x), [both(1e-300, 1e5)],
         source=_HERBIE.format("trigonometry.fpcore", "example 3.4")),
    Case("h_2atan", lambda n: at.arctan(n + 1) - at.arctan(n), [pos(1.0, 1e100)],
         source=_HERBIE.format("trigonometry.fpcore", "example 3.5")),
    Case("h_2sin", lambda x, e: at.sin(x + e) - at.sin(x), [both(1e-3, 1e4), pos(1e-12, 1e-3)],
         source=_HERBIE.format("trigonometry.fpcore", "example 3.3")),
    Case("h_2cos", lambda x, e: at.cos(x + e) - at.cos(x), [both(1e-3, 1e4), pos(1e-12, 1e-3)],
         source=_HERBIE.format("trigonometry.fpcore", "problem 3.3.5")),
    Case("h_2tan", lambda x, e: at.tan(x + e) - at.tan(x), [both(1e-3, 1e4), pos(1e-12, 1e-3)],
         source=_HERBIE.format("trigonometry.fpcore", "problem 3.3.2")),
    Case("h_expq2", lambda x: at.exp(x) / (at.exp(x) - 1), [both(1e-300, 700.0)],
         source=_HERBIE.format("overflow-underflow.fpcore", "section 3.11")),
    Case("h_quad2m", _quad2(-1), [both(1e-5, 1e5), both(1e-5, 1e10), both(1e-5, 1e5)],
         source=_HERBIE.format("quadratic.fpcore", "problem 3.2.1, negative")),
    Case("h_quad2p", _quad2(1), [both(1e-5, 1e5), both(1e-5, 1e10), both(1e-5, 1e5)],
         source=_HERBIE.format("quadratic.fpcore", "problem 3.2.1, positive")),
    Case("h_expax", lambda a, x: at.exp(a * x) - 1, [both(1e-3, 1e3), both(1e-300, 0.7)],
         source=_HERBIE.format("machine-decide.fpcore", "section 3.5")),
    Case("t_cancel", lambda x: (1 + x) - x, [WIDE], source=_TUT.format("Cancel like terms")),
    Case("t_square", lambda x: at.sqr(x + 1) - 1, [both(1e-300, 1e150)],
         source=_TUT.format("Expanding a square")),
    Case("t_assoc", lambda x, y, z: ((x + y) + z) - (x + (y + z)), [WIDE, WIDE, WIDE],
         source=_TUT.format("Commute and associate")),
    Case("dk_nonlin1", lambda x: (x - 1) / (x * x - 1), [pos(1.00001, 2.0)],
         source="FPBench test05_nonlin1, r4"),
    Case("dk_verhulst", lambda x: 4 * x / (1 + x / 1.11), [pos(0.1, 0.3)],
         source=_DK.format("verhulst")),
    Case("dk_predprey", lambda x: 4 * x * x / (1 + (x / 1.11) * (x / 1.11)), [pos(0.1, 0.3)],
         source=_DK.format("predatorPrey")),
    Case("dk_sine", lambda x: x - x * x * x / 6 + x ** 5 / 120 - x ** 7 / 5040,
         [both(1e-300, 1.57079632679)], source=_DK.format("sine")),
    Case("dk_sqroot", lambda x: 1 + 0.5 * x - 0.125 * x * x + 0.0625 * x * x * x
         - 0.0390625 * x * x * x * x, [pos(1e-300, 1.0)], source=_DK.format("sqroot")),
    Case("dk_sineord3", lambda x: 0.954929658551372 * x - 0.12900613773279798 * (x * x * x),
         [both(1e-300, 2.0)], source=_DK.format("sineOrder3")),
    Case("dk_bspline3", lambda u: -(u * u * u) / 6, [pos(1e-300, 1.0)],
         source=_DK.format("bspline3")),
    Case("dk_carbongas", lambda v: (3.5e7 + 0.401 * (1000 / v) * (1000 / v))
         * (v - 1000 * 4.27e-5) - 1.3806503e-23 * 1000 * 300, [pos(0.1, 0.5)],
         source=_DK.format("carbonGas")),
    Case("logdiffexp", lambda a, b: at.log(at.exp(a) - at.exp(b)),
         [pos(1e-3, 700.0), neg(1e-3, 700.0)],
         source="issue: log(exp(a) - exp(b)) = a + log1mexp(b - a), a > b"),
    Case("log_erfc", lambda x: at.log(at.erfc(x)), [pos(1e-3, 1e5)],
         source="issue: log(erfc(x)) = log(erfcx(x)) - x**2 for large x"),
]

_ORIGINAL_SOURCES = {
    "Hamming ch. 3 (Herbie bench/hamming)": (
        "sqrt_diff sqrt_diff_e inv_sqrt_diff sqrt1p_m1 recip_diff log_diff log1p_naive "
        "log1p_quot expm1_naive one_m_exp expm1_quot exp_quot pow1p_m1 one_m_cos cos_quot "
        "x_m_sin tan_m_x sin_diff cos_diff tan_diff atan_diff quad_plus quad_minus"),
    "Herbie benchmark suite (bench/)": (
        "sq_diff exp_prod log_expm1 acos_1m cosh_m1 sinh_exp tanh_exp sinh_m_x asinh_log "
        "acosh_log atanh_log hypot_naive sqrt_sq1_m_x"),
    "machine-learning overflow forms": (
        "softplus_naive sigmoid_naive logaddexp_naive log1mexp_naive logsumexp_naive"),
}
for _case in CASES:
    _case.source = next(src for src, names in _ORIGINAL_SOURCES.items()
                        if _case.name in names.split())
CASES = CASES + MORE_CASES
