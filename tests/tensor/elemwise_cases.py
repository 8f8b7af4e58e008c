"""The element-wise ops of the contract with independent NumPy references.

Each case says how to compute the op with NumPy (a canonical NumPy/SciPy
function, written here rather than taken from the implementation), which input
values are in its domain, and which dtypes it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.special

from aesara_cas import tensor as at


def _log1mexp(x):
    # log(1 - exp(x)) for x <= 0 in the two-branch form (Maechler 2012).
    x = np.asarray(x)
    with np.errstate(all="ignore"):
        return np.where(x > -np.log(2), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def _softplus(x):
    # A Python 0 is a weak scalar, so float32 stays float32.
    return np.logaddexp(0, x)


@dataclass(frozen=True)
class Case:
    name: str
    ref: object
    nin: int
    #: (low, high) of float inputs, one per input.
    domains: tuple = ()
    #: Input positions that must avoid zero (divisors) in value tests.
    nonzero: tuple = ()
    #: Accepts integer inputs (and then computes on them).
    ints: bool = True
    #: Accepts float inputs.
    floats: bool = True
    #: Not a NumPy ufunc: the result dtype is "float kept, ints become float64".
    special: bool = False
    #: A Python scalar operand in its domain, for the weak-scalar checks.
    scalar: float = 1.5

    @property
    def op(self):
        return getattr(at, self.name)


R = (-10.0, 10.0)
POS = (1e-3, 10.0)

UNARY = [
    Case("neg", np.negative, 1, (R,)),
    Case("abs", np.abs, 1, (R,)),
    Case("exp", np.exp, 1, (R,)),
    Case("exp2", np.exp2, 1, (R,)),
    Case("expm1", np.expm1, 1, (R,)),
    Case("log", np.log, 1, (POS,)),
    Case("log2", np.log2, 1, (POS,)),
    Case("log10", np.log10, 1, (POS,)),
    Case("log1p", np.log1p, 1, ((-0.99, 10.0),)),
    Case("sqrt", np.sqrt, 1, ((0.0, 10.0),)),
    Case("sqr", np.square, 1, (R,)),
    Case("sin", np.sin, 1, (R,)),
    Case("cos", np.cos, 1, (R,)),
    Case("tan", np.tan, 1, ((-1.5, 1.5),)),
    Case("arcsin", np.arcsin, 1, ((-1.0, 1.0),)),
    Case("arccos", np.arccos, 1, ((-1.0, 1.0),)),
    Case("arctan", np.arctan, 1, (R,)),
    Case("sinh", np.sinh, 1, (R,)),
    Case("cosh", np.cosh, 1, (R,)),
    Case("tanh", np.tanh, 1, (R,)),
    Case("sigmoid", scipy.special.expit, 1, (R,), special=True),
    Case("softplus", _softplus, 1, (R,), special=True),
    Case("log1mexp", _log1mexp, 1, ((-10.0, -1e-3),), special=True, scalar=-1.5),
    Case("erf", scipy.special.erf, 1, (R,), special=True),
    Case("erfc", scipy.special.erfc, 1, (R,), special=True),
    Case("floor", np.floor, 1, (R,)),
    Case("ceil", np.ceil, 1, (R,)),
    Case("sign", np.sign, 1, (R,)),
    Case("isnan", np.isnan, 1, (R,)),
    Case("isinf", np.isinf, 1, (R,)),
    Case("invert", np.invert, 1, (R,), floats=False),
]

BINARY = [
    Case("add", np.add, 2, (R, R)),
    Case("sub", np.subtract, 2, (R, R)),
    Case("mul", np.multiply, 2, (R, R)),
    Case("true_div", np.true_divide, 2, (R, R), nonzero=(1,)),
    Case("int_div", np.floor_divide, 2, (R, R), nonzero=(1,)),
    Case("mod", np.mod, 2, (R, R), nonzero=(1,)),
    Case("pow", np.power, 2, ((0.1, 5.0), (-3.0, 3.0))),
    Case("arctan2", np.arctan2, 2, (R, R)),
    Case("maximum", np.maximum, 2, (R, R)),
    Case("minimum", np.minimum, 2, (R, R)),
    Case("lt", np.less, 2, (R, R)),
    Case("le", np.less_equal, 2, (R, R)),
    Case("gt", np.greater, 2, (R, R)),
    Case("ge", np.greater_equal, 2, (R, R)),
    Case("eq", np.equal, 2, (R, R)),
    Case("neq", np.not_equal, 2, (R, R)),
    Case("and_", np.bitwise_and, 2, (R, R), floats=False),
    Case("or_", np.bitwise_or, 2, (R, R), floats=False),
]

TERNARY = [
    Case("switch", np.where, 3, ((0, 1), R, R)),
    Case("where", np.where, 3, ((0, 1), R, R)),
    Case("clip", np.clip, 3, (R, (-5.0, 0.0), (0.0, 5.0))),
]

ALL_CASES = UNARY + BINARY + TERNARY
CASES = {c.name: c for c in ALL_CASES}

#: Every element-wise name in the contract, so a missing case is noticed.
CONTRACT_NAMES = [
    "add", "sub", "mul", "true_div", "int_div", "neg", "pow", "mod", "abs", "exp", "exp2",
    "expm1", "log", "log2", "log10", "log1p", "sqrt", "sqr", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "sigmoid", "softplus", "log1mexp",
    "erf", "erfc", "maximum", "minimum", "lt", "le", "gt", "ge", "eq", "neq", "and_", "or_",
    "invert", "switch", "floor", "ceil", "sign", "isnan", "isinf", "where", "clip",
]


def expected_dtype(case: Case, dtypes: tuple[str, ...]) -> str | None:
    """The dtype NumPy gives, or ``None`` when NumPy refuses these dtypes."""
    if case.special:
        (d,) = dtypes
        return d if np.dtype(d).kind == "f" else "float64"
    probes = [np.ones(1, dtype=d) for d in dtypes]
    if case.name in ("switch", "where"):
        probes[0] = probes[0].astype(bool)
    try:
        with np.errstate(all="ignore"):
            return np.asarray(case.ref(*probes)).dtype.name
    except TypeError:
        return None
