"""C for one element: dtype tables, literals, casts and one emitter per scalar op.

Each emitter takes the computation dtype ``T`` and the operands (C expressions
already converted to the dtype the op computes in) and returns a C expression.
Operands are always plain identifiers or casts of them, so an emitter may use an
operand twice.  Semantics follow NumPy's loops (NaN propagation in ``maximum``,
Python-style ``//`` and ``%``, ``x // 0 == 0`` for integers, ...).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from aesara_cas.tensor.scalar import Cast, ScalarOp

#: The dtypes kernels handle (others run through the op's NumPy ``perform``).
CTYPES = {
    "bool": "npy_bool", "int8": "npy_int8", "int16": "npy_int16", "int32": "npy_int32",
    "int64": "npy_int64", "uint8": "npy_uint8", "uint16": "npy_uint16",
    "uint32": "npy_uint32", "uint64": "npy_uint64", "float32": "float", "float64": "double",
}
TYPENUMS = {
    "bool": "NPY_BOOL", "int8": "NPY_INT8", "int16": "NPY_INT16", "int32": "NPY_INT32",
    "int64": "NPY_INT64", "uint8": "NPY_UINT8", "uint16": "NPY_UINT16",
    "uint32": "NPY_UINT32", "uint64": "NPY_UINT64", "float32": "NPY_FLOAT32",
    "float64": "NPY_FLOAT64", "float16": "NPY_FLOAT16",
}
SUFFIX = {
    "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8",
    "uint16": "u16", "uint32": "u32", "uint64": "u64", "float32": "f32", "float64": "f64",
}
FLOATS = frozenset({"float32", "float64"})
SIGNED = frozenset({"int8", "int16", "int32", "int64"})
UNSIGNED = frozenset({"uint8", "uint16", "uint32", "uint64"})


def supported(dtype: str) -> bool:
    return dtype in CTYPES


def typenum(dtype: str) -> str:
    """The NumPy type number macro (any dtype a TensorType allows)."""
    return TYPENUMS.get(dtype) or f"NPY_{np.dtype(dtype).name.upper()}"


def literal(value, dtype: str) -> str:
    """An exact C literal of ``value`` in ``dtype``."""
    if dtype == "bool":
        return "((npy_bool)1)" if bool(value) else "((npy_bool)0)"
    if dtype in FLOATS:
        v = float(np.asarray(value, dtype=dtype))
        ct = CTYPES[dtype]
        if math.isnan(v):
            return f"(({ct})NAN)"
        if math.isinf(v):
            return f"(({ct})INFINITY)" if v > 0 else f"(-({ct})INFINITY)"
        text = v.hex()
        return f"{text}f" if dtype == "float32" else f"{text}"
    v = int(np.asarray(value, dtype=dtype))
    ct = CTYPES[dtype]
    if dtype in UNSIGNED:
        return f"(({ct}){v}ULL)"
    if v == -(2**63):
        return f"(({ct})(-9223372036854775807LL - 1))"
    return f"(({ct}){v}LL)"


def cast(expr: str, src: str, dst: str) -> str:
    """``expr`` of dtype ``src`` converted like ``ndarray.astype(dst)``."""
    if src == dst:
        return expr
    if dst == "bool":
        return f"((npy_bool)({expr} != 0))"
    return f"(({CTYPES[dst]}){expr})"


def _f(name: str) -> Callable:
    def emit(T: str, a: list[str]) -> str | None:
        if T not in FLOATS:
            return None
        suffix = "f" if T == "float32" else ""
        return f"{name}{suffix}({', '.join(a)})"
    return emit


def _arith(op: str, bool_op: str | None) -> Callable:
    def emit(T: str, a: list[str]) -> str | None:
        if T == "bool":
            return None if bool_op is None else f"((npy_bool)({a[0]} {bool_op} {a[1]}))"
        return f"(({CTYPES[T]})({a[0]} {op} {a[1]}))"
    return emit


def _true_div(T, a):
    return f"({a[0]} / {a[1]})" if T in FLOATS else None


def _helper(name: str, floats: bool = True, ints: bool = True) -> Callable:
    def emit(T: str, a: list[str]) -> str | None:
        if T == "bool" or (T in FLOATS and not floats) or (T not in FLOATS and not ints):
            return None
        return f"ac_{name}_{SUFFIX[T]}({', '.join(a)})"
    return emit


def _pow(T, a):
    if T in FLOATS:
        return f"pow{'f' if T == 'float32' else ''}({a[0]}, {a[1]})"
    if T == "bool":
        return None
    return f"ac_pow_{SUFFIX[T]}({a[0]}, {a[1]}, &ac_err)"


def _neg(T, a):
    return None if T == "bool" else f"(({CTYPES[T]})(-{a[0]}))"


def _abs(T, a):
    if T in FLOATS:
        return f"fabs{'f' if T == 'float32' else ''}({a[0]})"
    if T in SIGNED:
        return f"(({CTYPES[T]})({a[0]} < 0 ? -{a[0]} : {a[0]}))"
    return a[0]


def _sqr(T, a):
    return a[0] if T == "bool" else f"(({CTYPES[T]})({a[0]} * {a[0]}))"


def _sigmoid(T, a):
    if T not in FLOATS:
        return None
    e = "expf" if T == "float32" else "exp"
    one = "1.0f" if T == "float32" else "1.0"
    return f"({one} / ({one} + {e}(-{a[0]})))"


def _gammaln(T, a):
    # lgamma(-inf) is +inf in C; SciPy's gammaln gives -inf.
    if T not in FLOATS:
        return None
    f = "f" if T == "float32" else ""
    return f"({a[0]} == -INFINITY ? {a[0]} : lgamma{f}({a[0]}))"


def _xlogy(T, a):
    # SciPy: 0 where x == 0 and y is not NaN (even y == 0 or inf), else x * log(y).
    if T not in FLOATS:
        return None
    x, y = a
    f = "f" if T == "float32" else ""
    return f"(({x} == 0 && {y} == {y}) ? ({CTYPES[T]})0 : {x} * log{f}({y}))"


def _maximum(T, a):
    # NumPy's loop: the second operand where they compare equal, so maximum(0.0, -0.0)
    # is -0.0 and maximum(-0.0, 0.0) is 0.0, as in NumPy.
    x, y = a
    if T in FLOATS:
        return f"(({x} > {y} || {x} != {x}) ? {x} : {y})"
    return f"({x} >= {y} ? {x} : {y})"


def _minimum(T, a):
    x, y = a
    if T in FLOATS:
        return f"(({x} < {y} || {x} != {x}) ? {x} : {y})"
    return f"({x} <= {y} ? {x} : {y})"


def _compare(op: str) -> Callable:
    def emit(T, a):
        return f"((npy_bool)({a[0]} {op} {a[1]}))"
    return emit


def _bitwise(op: str) -> Callable:
    def emit(T, a):
        if T in FLOATS:
            return None
        return f"(({CTYPES[T]})({a[0]} {op} {a[1]}))"
    return emit


def _invert(T, a):
    if T == "bool":
        return f"((npy_bool)!{a[0]})"
    if T in FLOATS:
        return None
    return f"(({CTYPES[T]})~{a[0]})"


def _switch(T, a):
    return f"({a[0]} ? {a[1]} : {a[2]})"


def _clip(T, a):
    x, lo, hi = a
    if T in FLOATS:
        return f"ac_clip_{SUFFIX[T]}({x}, {lo}, {hi})"
    t = f"({x} > {lo} ? {x} : {lo})"
    return f"({t} < {hi} ? {t} : {hi})"


def _round(name: str) -> Callable:
    def emit(T, a):
        if T in FLOATS:
            return f"{name}{'f' if T == 'float32' else ''}({a[0]})"
        return a[0]
    return emit


def _sign(T, a):
    x = a[0]
    ct = CTYPES[T]
    if T in FLOATS:
        return f"({x} > 0 ? ({ct})1 : ({x} < 0 ? ({ct})-1 : ({x} == 0 ? ({ct})0 : {x})))"
    if T in SIGNED:
        return f"(({ct})(({x} > 0) - ({x} < 0)))"
    if T in UNSIGNED:
        return f"(({ct})({x} > 0))"
    return None


def _isnan(T, a):
    return f"((npy_bool)({a[0]} != {a[0]}))" if T in FLOATS else "((npy_bool)0)"


def _isinf(T, a):
    return f"((npy_bool)(isinf({a[0]}) != 0))" if T in FLOATS else "((npy_bool)0)"


def _identity(T, a):
    return a[0]


#: name -> emitter(T, operands) -> C expression, or None when T is not handled.
EMITTERS: dict[str, Callable] = {
    "add": _arith("+", "|"), "sub": _arith("-", None), "mul": _arith("*", "&"),
    "true_div": _true_div, "int_div": _helper("floordiv"), "mod": _helper("mod"),
    "pow": _pow, "neg": _neg, "abs": _abs, "sqr": _sqr,
    "exp": _f("exp"), "exp2": _f("exp2"), "expm1": _f("expm1"), "log": _f("log"),
    "log2": _f("log2"), "log10": _f("log10"), "log1p": _f("log1p"), "sqrt": _f("sqrt"),
    "cbrt": _f("cbrt"),
    "sin": _f("sin"), "cos": _f("cos"), "tan": _f("tan"), "arcsin": _f("asin"),
    "arccos": _f("acos"), "arctan": _f("atan"), "arctan2": _f("atan2"),
    "hypot": _f("hypot"), "sinh": _f("sinh"), "cosh": _f("cosh"), "tanh": _f("tanh"),
    "arcsinh": _f("asinh"), "arccosh": _f("acosh"), "arctanh": _f("atanh"),
    "erf": _f("erf"), "erfc": _f("erfc"),
    "gamma": _f("tgamma"), "gammaln": _gammaln, "xlogy": _xlogy,
    "sigmoid": _sigmoid, "softplus": _helper("softplus", ints=False),
    "log1mexp": _helper("log1mexp", ints=False),
    "maximum": _maximum, "minimum": _minimum,
    "lt": _compare("<"), "le": _compare("<="), "gt": _compare(">"), "ge": _compare(">="),
    "eq": _compare("=="), "neq": _compare("!="),
    "and_": _bitwise("&"), "or_": _bitwise("|"), "invert": _invert,
    "switch": _switch, "clip": _clip, "floor": _round("floor"), "ceil": _round("ceil"),
    "sign": _sign, "isnan": _isnan, "isinf": _isinf,
}

#: Ops whose operands are compared in their common dtype (the output is bool).
COMPARE_IN_COMMON = frozenset({"lt", "le", "gt", "ge", "eq", "neq"})
#: Ops that look at their operand's own dtype.
OWN_DTYPE = frozenset({"isnan", "isinf"})
#: Relative per-element cost, to decide when a loop is worth several threads.
EXPENSIVE = frozenset({
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "arctan2", "hypot", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
    "arctanh", "erf", "erfc", "sigmoid", "softplus", "log1mexp", "pow", "int_div", "mod",
    "gamma", "gammaln", "xlogy", "cbrt",
})


def operand_dtypes(scalar_op: ScalarOp, in_dtypes: list[str], out_dtype: str) -> list[str] | None:
    """The dtype each operand is converted to before the op computes, or None."""
    name = scalar_op.name
    if isinstance(scalar_op, Cast):
        return [in_dtypes[0]]
    if name in OWN_DTYPE:
        return list(in_dtypes)
    if name in COMPARE_IN_COMMON:
        common = np.result_type(*in_dtypes).name
        if common not in CTYPES:
            return None  # e.g. int64 vs uint64: NumPy compares exactly, not in float64
        return [common] * len(in_dtypes)
    if name == "switch":
        return ["bool", out_dtype, out_dtype]
    return [out_dtype] * len(in_dtypes)


def emit(scalar_op: ScalarOp, op_dtypes: list[str], out_dtype: str,
         operands: list[str]) -> str | None:
    """C for ``scalar_op`` on operands already converted to ``op_dtypes``."""
    if isinstance(scalar_op, Cast):
        return cast(operands[0], op_dtypes[0], out_dtype)
    name = scalar_op.name
    fn = EMITTERS.get(name)
    if fn is None:
        return None
    T = op_dtypes[0] if name in OWN_DTYPE or name in COMPARE_IN_COMMON else out_dtype
    return fn(T, operands)
