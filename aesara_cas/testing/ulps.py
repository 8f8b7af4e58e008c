"""Correct rounding of exact values to floats, and bits of error between floats.

Bits of error follow the floating-point accuracy literature (Herbie): the
error of a float result ``y`` against the exact value ``v`` is
``log2(1 + n)`` where ``n`` is the number of floats between ``y`` and the
correctly rounded ``v`` (the difference of their ordinals, the integer order of
the bit patterns).  Equal results have 0 bits of error; float64 results range
up to 64 bits, float32 up to 32.
"""

from __future__ import annotations

import math
from typing import Any

import mpmath.libmp as libmp
import numpy as np
from mpmath.ctx_mp_python import _mpf as MPF

# dtype -> (significand bits, exponent of the least subnormal's bit)
_FORMATS = {
    "float64": (53, -1074),
    "float32": (24, -149),
    "float16": (11, -24),
}
_INT_VIEW = {"float64": np.int64, "float32": np.int32, "float16": np.int16}


def _format(dtype: Any) -> tuple[str, int, int]:
    name = np.dtype(dtype).name
    if name not in _FORMATS:
        raise TypeError(f"expected a float16/32/64 dtype, got {name}")
    return (name, *_FORMATS[name])


def round_mpf(x: Any, dtype: Any = "float64") -> float:
    """``x`` (an ``mpf``, bool or number) correctly rounded (to nearest, ties to even).

    Subnormals are rounded once, directly to their reduced precision, not via a
    53-bit intermediate (which would round twice).
    """
    name, prec, lsb = _format(dtype)
    if not isinstance(x, MPF):
        return float(np.asarray(x, dtype=name))
    m = x._mpf_
    if m == libmp.fnan:
        return math.nan
    if m in (libmp.finf, libmp.fninf):
        return math.inf if m == libmp.finf else -math.inf
    sign, man, exp, bc = m
    if not man:
        return 0.0
    top = exp + bc - 1  # |x| is in [2**top, 2**(top + 1))
    bits = min(prec, top - lsb + 1)
    if bits <= 0:
        # Below the least subnormal: only [2**(lsb-1), 2**lsb) can round up to it;
        # exactly half way (a power of two) ties to the even value, zero.
        up = bits == 0 and not (man == 1 or man & (man - 1) == 0)
        value = math.ldexp(1.0, lsb) if up else 0.0
    else:
        _, man2, exp2, _ = libmp.normalize(0, man, exp, bc, bits, "n")
        try:
            value = math.ldexp(man2, exp2)
        except OverflowError:
            value = math.inf
    value = -value if sign else value
    if name == "float64":
        return value
    with np.errstate(over="ignore"):  # already rounded: only overflow to inf can happen
        return float(np.asarray(value).astype(name))


def round_to_dtype(values: Any, dtype: Any = "float64") -> np.ndarray:
    """An array of exact values (object array of ``mpf``) correctly rounded to ``dtype``."""
    name, _, _ = _format(dtype)
    arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    flat = [round_mpf(v, name) for v in arr.ravel()]
    with np.errstate(over="ignore"):
        return np.asarray(flat, dtype=np.float64).astype(name).reshape(arr.shape)


def ordinal(x: np.ndarray) -> np.ndarray:
    """Each float's position in the ordered set of floats (``-0.0`` and ``0.0`` are 0)."""
    x = np.asarray(x)
    name = x.dtype.name
    ints = x.view(_INT_VIEW[name]).astype(np.int64)
    magnitude = ints & np.int64((1 << (8 * x.dtype.itemsize - 1)) - 1)
    return np.where(ints < 0, -magnitude, magnitude)


def bits_of_error(approx: Any, exact: Any, dtype: Any = None) -> np.ndarray:
    """``log2(1 + number of floats between approx and the correctly rounded exact)``.

    Parameters
    ----------
    approx
        The float results (array-like).
    exact
        The exact values: an object array of ``mpf`` (rounded here) or floats
        already correctly rounded.
    dtype
        The float format to count in; defaults to ``approx``'s dtype (float64 for
        Python floats).

    Returns
    -------
    numpy.ndarray
        Bits of error per element.  NaN against NaN is 0; NaN against a number,
        or a number against NaN, is the maximum (64 for float64, 32 for float32).
        Infinities count as one step beyond the largest finite float.
    """
    approx = np.asarray(approx)
    if dtype is None:
        dtype = approx.dtype if approx.dtype.kind == "f" else np.float64
    name, _, _ = _format(dtype)
    approx = approx.astype(name)
    exact = np.asarray(exact, dtype=object) if not isinstance(exact, np.ndarray) else exact
    ref = round_to_dtype(exact, name) if exact.dtype == object else exact.astype(name)
    approx, ref = np.broadcast_arrays(approx, ref)
    oa, orf = ordinal(approx), ordinal(ref)
    same_side = (oa >= 0) == (orf >= 0)
    with np.errstate(over="ignore"):
        diff = np.where(
            same_side,
            np.abs(oa - orf).astype(np.uint64),
            np.abs(oa).astype(np.uint64) + np.abs(orf).astype(np.uint64),
        )
    width = 8 * np.dtype(name).itemsize
    bits = np.minimum(np.log2(diff.astype(np.float64) + 1.0), float(width))
    nan_a, nan_r = np.isnan(approx), np.isnan(ref)
    bits = np.where(nan_a & nan_r, 0.0, bits)
    bits = np.where(nan_a ^ nan_r, float(width), bits)
    return bits
