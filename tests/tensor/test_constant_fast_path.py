"""Constants of numbers (made by a shortcut) and shared tensor types: the same results as
the general construction, and types that stay equal by value (pickles included)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from aesara_cas import tensor as at
from aesara_cas.tensor import type as type_module
from aesara_cas.tensor.type import TensorType, normalize_dtype, normalize_shape
from aesara_cas.tensor.variable import _array_constant, constant

_PY_DTYPES = {bool: "bool", int: "int64", float: "float64"}


def _general(value, dtype=None):
    """``constant(value, dtype=dtype)`` the general way (a Python number's dtype as the
    fast path picks it): NumPy converts, the type is made from the array, and
    ``TensorConstant`` filters and copies it."""
    if dtype is None and type(value) in _PY_DTYPES:
        dtype = _PY_DTYPES[type(value)]
    return _array_constant(value, None, dtype)


_NUMPY_TYPES = [np.dtype(c).type for c in "?" + np.typecodes["AllInteger"]
                + np.typecodes["Float"]]
VALUES = [0.0, -0.0, 1.0001, 1e308, -1e-310, float("nan"), float("inf"), float("-inf"),
          0, -1, 255, 256, 2**31, 2**63 - 1, -(2**63), 2**63, 2**64, -(2**70), True, False]
VALUES += [t(v) for t in _NUMPY_TYPES for v in (0, 1, 100)]
VALUES += [np.float32("nan"), np.float64(-0.0), np.float16("inf"), np.int64(-(2**63)),
           np.uint64(2**64 - 1)]
DTYPES = [None, "float32", "float64", "int8", "uint8", "int64", "bool", np.dtype("float16"),
          np.dtype(">f8"), np.float32, "complex128", "U3", object]


def _outcome(make, value, dtype):
    try:
        c = make(value, dtype=dtype)
    except Exception as err:  # noqa: BLE001  (the error itself is compared)
        return type(err), str(err)
    data = c.data
    assert type(data) is np.ndarray and not data.flags.writeable and data.flags.owndata
    return c.type, data.dtype.str, data.shape, data.tobytes(), c.signature()


def test_number_constants_equal_the_general_construction():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow of casts, both ways
        for value in VALUES:
            for dtype in DTYPES:
                fast, general = _outcome(constant, value, dtype), _outcome(_general, value,
                                                                           dtype)
                assert fast == general, (value, dtype)


def test_constants_of_operators_take_the_weak_dtypes():
    x32, i8 = at.fvector("x"), at.tensor("int8", (None,), "i")
    for out, value, dtype in [(x32 * 1.0001, 1.0001, "float32"), (i8 + 3, 3, "int8"),
                              (x32 + True, True, "float32"), (i8 * 2.5, 2.5, "float64"),
                              (i8 + 300, 300, None), (x32 - 2**70, 2**70, "float32")]:
        c = out.owner.inputs[1]
        assert dtype is None or c.dtype == dtype
        made = _outcome(lambda v, dtype, c=c: c, value, None)
        assert made == _outcome(_general, value, c.dtype)


def test_bad_constants_still_fail_clearly():
    with pytest.raises(TypeError, match="cannot make a constant of 256"):
        constant(256, dtype="uint8")
    with pytest.raises(TypeError, match="numeric"):
        constant(1.0, dtype="complex64")
    with pytest.raises(TypeError, match="name"):
        constant(1.0, name=3)
    with pytest.raises(TypeError, match="symbolic"):
        constant(at.dscalar())


def test_types_are_shared_immutable_and_equal_by_value(monkeypatch):
    t = TensorType("float64", (None, 3))
    assert TensorType(np.float64, [None, np.int64(3)]) is t
    assert TensorType(np.dtype("<f8"), (None, 3)) is t and TensorType(">f8", (None, 3)) is t
    assert t.clone() is t and t.clone(dtype="float32") == TensorType("float32", (None, 3))
    with pytest.raises(AttributeError, match="immutable"):
        t.dtype = "float32"
    with pytest.raises(TypeError, match="dtype"):
        TensorType()
    monkeypatch.setattr(type_module, "_INTERN_LIMIT", 0)
    other = TensorType("int8", (7,))  # past the table's limit: a new, equal object
    assert other is not TensorType("int8", (7,))
    assert other == TensorType("int8", (7,)) and hash(other) == hash(TensorType("int8", (7,)))
    assert other != TensorType("int8", (None,)) and other != "int8"


def test_shared_types_survive_pickling_and_copies():
    t = TensorType("int32", (2, None))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(t, protocol=protocol)) is t
    assert copy.copy(t) is t and copy.deepcopy(t) is t
    x = at.tensor("int32", (2, None), "x")
    y = pickle.loads(pickle.dumps(x + 1))
    assert y.type is (x + 1).type
    # A type pickled before types were shared (its slots as state) still loads, equal.
    old = (b"\x80\x05\x95p\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x16aesara_cas.tensor.type"
           b"\x94\x8c\nTensorType\x94\x93\x94)\x81\x94N}\x94(\x8c\x05dtype\x94\x8c\x07float32"
           b"\x94\x8c\x05shape\x94NK\x03\x86\x94u\x86\x94bh\x03)\x81\x94N}\x94(h\x06\x8c\x04bool"
           b"\x94h\x08)u\x86\x94be.")
    a, b = pickle.loads(old)
    assert a == TensorType("float32", (None, 3)) and b == TensorType("bool")
    assert hash(a) == hash(TensorType("float32", (None, 3))) and str(b) == "bool"


def test_dtype_and_shape_normalisation_answer_as_before():
    for spec in ["float32", "f4", np.float32, np.dtype("float32"), np.dtype(">f4")]:
        assert normalize_dtype(spec) == normalize_dtype(spec) == "float32"
    for bad in ["complex64", np.complex64, np.dtype("U3"), np.floating, "nope"]:
        for _ in range(2):  # a failure is not remembered as an answer
            with pytest.raises(TypeError, match="dtype"):
                normalize_dtype(bad)
    assert normalize_shape((np.int64(3), None)) == (3, None)
    assert normalize_shape([2]) == (2,) and normalize_shape(4) == (4,)
    for bad in [(True,), (-1,), (2.0,), ("3",)]:
        with pytest.raises(TypeError, match="shape"):
            normalize_shape(bad)
