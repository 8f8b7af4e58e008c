"""Hypothesis strategies shared by the test suite: dtypes, shapes, broadcastable
shape pairs and array values.

Values are kept finite and moderate by default, so comparisons against NumPy test
the semantics rather than overflow behaviour; tests that want extreme values ask
for them explicitly (``finite_floats(..., extreme=True)``).

Typical use keeps one compiled function per test and draws only values::

    f = ac.function([x, y], x + y, mode=mode)

    @given(broadcastable_arrays(2, "float64"))
    def check(arrays):
        np.testing.assert_allclose(f(*arrays), arrays[0] + arrays[1])

    check()
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

#: The dtypes offered by the public constructors.
FLOAT_DTYPES = ("float64", "float32")
INT_DTYPES = ("int64", "int32")
ALL_DTYPES = ("bool", "int32", "int64", "float32", "float64")
#: A wider set used for promotion checks.
PROMOTION_DTYPES = ("bool", "int8", "uint8", "int16", "int32", "int64", "uint32", "float32",
                    "float64")

MAX_SIDE = 5


def dtypes(choices: tuple[str, ...] = ALL_DTYPES) -> st.SearchStrategy[str]:
    """One dtype name from ``choices``."""
    return st.sampled_from(choices)


def shapes(ndim: int | None = None, min_dims: int = 0, max_dims: int = 3,
           min_side: int = 0, max_side: int = MAX_SIDE) -> st.SearchStrategy[tuple[int, ...]]:
    """An array shape; exactly ``ndim`` dimensions when given."""
    if ndim is not None:
        min_dims = max_dims = ndim
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(
    ndims: tuple[int, ...], min_side: int = 0, max_side: int = MAX_SIDE
) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """Shapes of exactly ``ndims`` dimensions that broadcast together (NumPy rules).

    Lengths of 1 are drawn often, so both broadcasting directions are exercised.
    """
    out_ndim = max(ndims, default=0)

    @st.composite
    def build(draw):
        full = draw(st.lists(st.integers(min_side, max_side), min_size=out_ndim,
                             max_size=out_ndim))
        result = []
        for nd in ndims:
            own = full[out_ndim - nd:]
            result.append(tuple(draw(st.sampled_from([n, 1])) for n in own))
        return tuple(result)

    return build()


def broadcastable_shape_pairs(max_dims: int = 3, max_side: int = MAX_SIDE):
    """Two shapes (possibly of different dimensions) that broadcast together."""
    return st.tuples(st.integers(0, max_dims), st.integers(0, max_dims)).flatmap(
        lambda nds: broadcastable_shapes(nds, max_side=max_side)
    )


def finite_floats(dtype: str = "float64", low: float = -10.0, high: float = 10.0,
                  extreme: bool = False) -> st.SearchStrategy[float]:
    """Finite values of ``dtype`` in ``[low, high]``, or anywhere finite if ``extreme``."""
    width = 32 if np.dtype(dtype) == np.float32 else 64
    if extreme:
        return st.floats(allow_nan=False, allow_infinity=False, width=width)
    if width == 32:
        # Bounds must be float32 values: round them inwards.
        lo32, hi32 = np.float32(low), np.float32(high)
        if lo32 < low:
            lo32 = np.nextafter(lo32, np.float32(np.inf))
        if hi32 > high:
            hi32 = np.nextafter(hi32, np.float32(-np.inf))
        low, high = float(lo32), float(hi32)
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=width)


def elements(dtype: str, low: float = -10, high: float = 10,
             avoid_zero: bool = False) -> st.SearchStrategy:
    """Scalar values for an array of ``dtype``, within ``[low, high]`` where it applies."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return st.booleans()
    if kind in "iu":
        info = np.iinfo(dtype)
        lo, hi = max(int(low), info.min), min(int(high), info.max)
        base = st.integers(lo, hi)
    else:
        base = finite_floats(dtype, low, high)
    if avoid_zero:
        base = base.filter(lambda v: v != 0)
    return base


def arrays(dtype: str, shape, low: float = -10, high: float = 10,
           avoid_zero: bool = False) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``dtype``; ``shape`` a tuple or a strategy for one."""
    return hnp.arrays(np.dtype(dtype), shape,
                      elements=elements(dtype, low, high, avoid_zero))


def broadcastable_arrays(dtypes_: tuple[str, ...], ndims: tuple[int, ...],
                         low: float = -10, high: float = 10):
    """Arrays of the given dtypes and dimensions whose shapes broadcast together."""

    @st.composite
    def build(draw):
        shps = draw(broadcastable_shapes(ndims))
        return tuple(draw(arrays(d, s, low, high)) for d, s in zip(dtypes_, shps))

    return build()
