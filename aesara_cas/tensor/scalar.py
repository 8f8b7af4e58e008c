"""Scalar operations: what an element-wise op does to one element.

Each scalar op is a small immutable object: a name, an arity and a NumPy
implementation that works on whole arrays.  :class:`~aesara_cas.tensor.elemwise.Elemwise`
lifts one to arrays with broadcasting.  The stable special functions (sigmoid,
softplus, log1mexp) are implemented here so every backend agrees on them; the
gamma family, ``erfcx`` and ``xlogy`` are SciPy's.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np

from aesara_cas.graph.basic import Op
from aesara_cas.tensor.type import normalize_dtype


class ScalarOp(Op):
    """A named element-wise function of ``nin`` arguments (``nin=-1``: any number >= 2)."""

    __props__ = ("name",)

    def __init__(self, name: str, nin: int, impl: Callable, commutative: bool = False,
                 associative: bool = False, symbol: str | None = None):
        self.name = name
        self.nin = nin
        self.impl = impl
        self.commutative = commutative
        self.associative = associative
        self.symbol = symbol
        self._freeze()

    def __str__(self) -> str:
        return self.name

    def __reduce__(self):
        # The implementations are closures; a pickle names the op instead.
        return _scalar_op_named, (self.name,)

    def compute(self, *args):
        if self.nin == -1 and len(args) > 2:
            out = self.impl(args[0], args[1])
            for a in args[2:]:
                out = self.impl(out, a)
            return out
        return self.impl(*args)


class Cast(ScalarOp):
    """Conversion to ``dtype`` (NumPy's ``astype``, unsafe casting)."""

    __props__ = ("name", "dtype")

    def __init__(self, dtype):
        dtype = normalize_dtype(dtype)
        object.__setattr__(self, "dtype", dtype)
        super().__init__(f"cast_{dtype}", 1, lambda x: np.asarray(x).astype(dtype))

    def __reduce__(self):
        return Cast, (self.dtype,)


def _softplus(x):
    """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``."""
    return np.logaddexp(0, x)


def _log1mexp(x):
    """``log(1 - exp(x))`` for ``x <= 0``, accurate at both ends (Maechler, 2012)."""
    x = np.asarray(x)
    with np.errstate(all="ignore"):
        near_zero = x > -0.6931471805599453
        return np.where(near_zero, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def _scipy_special(name: str) -> Callable:
    """``scipy.special.<name>``, imported on first call: importing scipy.special costs
    ~0.2 s, which every ``import aesara_cas`` would pay otherwise."""
    def call(*args):
        return getattr(importlib.import_module("scipy.special"), name)(*args)

    call.__name__ = name
    call.result_dtype = _scipy_result_dtype
    return call


def _scipy_result_dtype(dtypes: tuple[str, ...]) -> str | None:
    """The dtype of a real ``scipy.special`` ufunc's result, without importing SciPy
    (dtype inference would otherwise import it when a graph or a rule pattern is
    built): float32 when every input is float32, else float64 (checked against SciPy
    for every real dtype by the tests).  None for other kinds: ask SciPy then."""
    if not all(np.dtype(d).kind in "biuf" for d in dtypes):
        return None
    return "float32" if all(d == "float32" for d in dtypes) else "float64"


def _polygamma(n, x):
    """``scipy.special.polygamma``: the ``n``-th derivative of ``digamma`` (``n >= 0``
    integer-valued; NaN otherwise)."""
    special = importlib.import_module("scipy.special")
    with np.errstate(all="ignore"):
        n = np.asarray(n)
        bad = (n < 0) | (n != np.floor(n))
        out = special.polygamma(np.where(bad, 0, n), x)
        return np.where(bad, np.nan, out) if np.any(bad) else out


def _mod(x, y):
    return np.mod(x, y)


def _sqr(x):
    return np.square(x)


def _switch(cond, a, b):
    return np.where(cond, a, b)


def _clip(x, lo, hi):
    return np.clip(x, lo, hi)


_TABLE = [
    # name, nin, impl, commutative, associative, infix symbol
    ("add", -1, np.add, True, True, "+"),
    ("sub", 2, np.subtract, False, False, "-"),
    ("mul", -1, np.multiply, True, True, "*"),
    ("true_div", 2, np.true_divide, False, False, "/"),
    ("int_div", 2, np.floor_divide, False, False, "//"),
    ("mod", 2, _mod, False, False, "%"),
    ("pow", 2, np.power, False, False, "**"),
    ("neg", 1, np.negative, False, False, "-"),
    ("abs", 1, np.abs, False, False, None),
    ("exp", 1, np.exp, False, False, None),
    ("exp2", 1, np.exp2, False, False, None),
    ("expm1", 1, np.expm1, False, False, None),
    ("log", 1, np.log, False, False, None),
    ("log2", 1, np.log2, False, False, None),
    ("log10", 1, np.log10, False, False, None),
    ("log1p", 1, np.log1p, False, False, None),
    ("sqrt", 1, np.sqrt, False, False, None),
    ("cbrt", 1, np.cbrt, False, False, None),
    ("sqr", 1, _sqr, False, False, None),
    ("sin", 1, np.sin, False, False, None),
    ("cos", 1, np.cos, False, False, None),
    ("tan", 1, np.tan, False, False, None),
    ("arcsin", 1, np.arcsin, False, False, None),
    ("arccos", 1, np.arccos, False, False, None),
    ("arctan", 1, np.arctan, False, False, None),
    ("arctan2", 2, np.arctan2, False, False, None),
    ("hypot", 2, np.hypot, True, False, None),
    ("sinh", 1, np.sinh, False, False, None),
    ("cosh", 1, np.cosh, False, False, None),
    ("tanh", 1, np.tanh, False, False, None),
    ("arcsinh", 1, np.arcsinh, False, False, None),
    ("arccosh", 1, np.arccosh, False, False, None),
    ("arctanh", 1, np.arctanh, False, False, None),
    ("sigmoid", 1, _scipy_special("expit"), False, False, None),
    ("softplus", 1, _softplus, False, False, None),
    ("log1mexp", 1, _log1mexp, False, False, None),
    ("erf", 1, _scipy_special("erf"), False, False, None),
    ("erfc", 1, _scipy_special("erfc"), False, False, None),
    ("erfcx", 1, _scipy_special("erfcx"), False, False, None),
    ("gamma", 1, _scipy_special("gamma"), False, False, None),
    ("gammaln", 1, _scipy_special("gammaln"), False, False, None),
    ("digamma", 1, _scipy_special("psi"), False, False, None),
    ("polygamma", 2, _polygamma, False, False, None),
    ("xlogy", 2, _scipy_special("xlogy"), False, False, None),
    ("maximum", 2, np.maximum, True, False, None),
    ("minimum", 2, np.minimum, True, False, None),
    ("lt", 2, np.less, False, False, "<"),
    ("le", 2, np.less_equal, False, False, "<="),
    ("gt", 2, np.greater, False, False, ">"),
    ("ge", 2, np.greater_equal, False, False, ">="),
    ("eq", 2, np.equal, True, False, "=="),
    ("neq", 2, np.not_equal, True, False, "!="),
    ("and_", 2, np.bitwise_and, True, True, "&"),
    ("or_", 2, np.bitwise_or, True, True, "|"),
    ("invert", 1, np.invert, False, False, "~"),
    ("switch", 3, _switch, False, False, None),
    ("clip", 3, _clip, False, False, None),
    ("floor", 1, np.floor, False, False, None),
    ("ceil", 1, np.ceil, False, False, None),
    ("sign", 1, np.sign, False, False, None),
    ("isnan", 1, np.isnan, False, False, None),
    ("isinf", 1, np.isinf, False, False, None),
]

#: Every scalar op by name.
SCALAR_OPS: dict[str, ScalarOp] = {
    name: ScalarOp(name, nin, impl, comm, assoc, sym)
    for name, nin, impl, comm, assoc, sym in _TABLE
}

#: Ops whose result is boolean whatever the inputs (their gradient is zero).
COMPARISONS = frozenset({"lt", "le", "gt", "ge", "eq", "neq", "isnan", "isinf"})
#: Ops that are piecewise constant (zero gradient almost everywhere).
PIECEWISE_CONSTANT = frozenset({"floor", "ceil", "sign", "int_div", "and_", "or_", "invert"})


def _scalar_op_named(name: str) -> ScalarOp:
    """The scalar op of the table named ``name`` (what unpickling a scalar op calls)."""
    return SCALAR_OPS[name]
