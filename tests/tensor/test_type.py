"""TensorType: equality, static shapes, and ``filter`` (the input conversion rules)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from aesara_cas.tensor.type import TensorType
from tests.strategies import ALL_DTYPES, PROMOTION_DTYPES, arrays, dtypes, shapes


def test_equality_hash_and_text():
    a = TensorType("float64", (None, 3))
    assert a == TensorType(np.float64, [None, 3]) and hash(a) == hash(TensorType("float64",
                                                                                (None, 3)))
    assert a != TensorType("float32", (None, 3))
    assert a != TensorType("float64", (None, None))
    assert a.ndim == 2 and a.broadcastable == (False, False)
    assert TensorType("bool", (1, None)).broadcastable == (True, False)
    assert str(a) == "float64[?, 3]" and str(TensorType("int32")) == "int32"
    assert a.clone(dtype="int64") == TensorType("int64", (None, 3))
    assert a.clone(shape=(2, 3)).shape == (2, 3)


def test_is_super():
    loose = TensorType("float64", (None, None))
    tight = TensorType("float64", (2, 3))
    assert loose.is_super(tight) and not tight.is_super(loose)
    assert not loose.is_super(TensorType("float32", (2, 3)))
    assert not loose.is_super(TensorType("float64", (2,)))


@pytest.mark.parametrize("bad", ["complex64", "object", "U3", "datetime64[s]", "nope"])
def test_bad_dtypes(bad):
    with pytest.raises(TypeError):
        TensorType(bad, ())


@given(dtypes(PROMOTION_DTYPES), dtypes(ALL_DTYPES), shapes(max_dims=2))
def test_filter_follows_same_kind_casting(src, dst, shape):
    value = np.ones(shape, dtype=src)
    ttype = TensorType(dst, (None,) * len(shape))
    if np.can_cast(src, dst, casting="same_kind"):
        out = ttype.filter(value, "v")
        assert out.dtype == dst and out.shape == shape
        np.testing.assert_array_equal(out, value.astype(dst))
    else:
        with pytest.raises(TypeError, match="'?v'?"):
            ttype.filter(value, "v")


@given(arrays("int64", shapes(1, min_side=1), low=-128, high=127))
def test_filter_never_wraps_integers(value):
    """int64 -> int32/int8 is 'same_kind', but out-of-range values are refused, not wrapped."""
    np.testing.assert_array_equal(TensorType("int32", (None,)).filter(value), value)
    np.testing.assert_array_equal(TensorType("int8", (None,)).filter(value), value)
    with pytest.raises(ValueError, match="range"):
        TensorType("int32", (None,)).filter(value * 0 + 2**40, "v")
    with pytest.raises(ValueError, match="range"):
        TensorType("int8", (None,)).filter(value * 0 + 128, "v")


def test_filter_python_scalars():
    assert TensorType("float32").filter(2).dtype == "float32"
    assert TensorType("int32").filter(True).dtype == "int32"
    with pytest.raises(TypeError):
        TensorType("int32").filter(2.0)
    with pytest.raises(ValueError, match="fit"):
        TensorType("int8").filter(300)


def test_filter_dimensions_and_static_shape():
    ttype = TensorType("float64", (2, None))
    assert ttype.filter([[1, 2, 3], [4, 5, 6]]).shape == (2, 3)
    with pytest.raises(ValueError, match="dimension"):
        ttype.filter(np.ones(3), "arg")
    with pytest.raises(ValueError, match="dimension 0"):
        ttype.filter(np.ones((3, 3)), "arg")


def test_filter_returns_the_same_array_when_nothing_to_do():
    value = np.ones(3)
    assert TensorType("float64", (None,)).filter(value) is value
