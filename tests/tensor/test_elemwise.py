"""Every element-wise op of the contract against NumPy: values, dtypes, broadcasting.

Compiled-mode tests build one function per op (holding float64, float32 and
weak-scalar variants as separate outputs) and let hypothesis draw shapes and
values for it, so the number of distinct compiled graphs stays small.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.tensor.elemwise import Elemwise
from aesara_cas.tensor.scalar import SCALAR_OPS, Cast
from tests.strategies import PROMOTION_DTYPES, arrays, broadcastable_shapes
from tests.tensor.elemwise_cases import (
    ALL_CASES,
    BINARY,
    CASES,
    CONTRACT_NAMES,
    UNARY,
    Case,
    expected_dtype,
)

F64_SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0,
                         1e-310, 1e300, -1e300, 710.0, -746.0, 37.0, -37.0])
F32_SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0,
                         1e-40, 3e38, -3e38, 89.0, -104.0, 17.0, -17.0], dtype="float32")


def tolerance(dtype: str) -> dict:
    if dtype == "float32":
        return {"rtol": 1e-5, "atol": 1e-6}
    if dtype == "float64":
        return {"rtol": 1e-12, "atol": 1e-13}
    return {"rtol": 0, "atol": 0}


def assert_matches(got, want, dtype=None):
    """Same dtype, shape and values (NaN where NumPy has NaN)."""
    want = np.asarray(want)
    assert isinstance(got, np.ndarray), type(got)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, equal_nan=True, **tolerance(dtype or want.dtype.name))


def reference(case: Case, *values):
    with np.errstate(all="ignore"):
        return np.asarray(case.ref(*values))


def int_domain(case: Case, position: int) -> tuple[int, int]:
    if case.name == "pow" and position == 1:
        return (0, 3)  # NumPy refuses negative integer powers of integers
    low, high = case.domains[position]
    return math.ceil(low), math.floor(high)


# -- the op set -----------------------------------------------------------------------------

def test_every_contract_name_is_an_elemwise_instance_with_a_case():
    for name in CONTRACT_NAMES:
        op = getattr(at, name)
        assert isinstance(op, Elemwise), name
        assert name in CASES, name
    assert at.where is at.switch


def test_op_instance_heads_node():
    x = at.dvector("x")
    y = at.exp(x)
    assert y.owner.op is at.exp
    assert y.owner.inputs == [x]
    assert y.owner.outputs == [y]


def test_ops_equal_and_hash_equal_across_constructions():
    for name in ("exp", "add", "switch"):
        again = Elemwise(SCALAR_OPS[name])
        assert again == getattr(at, name)
        assert hash(again) == hash(getattr(at, name))
    assert at.exp != at.log
    c1, c2, c3 = Elemwise(Cast("int32")), Elemwise(Cast("int32")), Elemwise(Cast("int64"))
    assert c1 == c2 and hash(c1) == hash(c2)
    assert c1 != c3
    x = at.dvector("x")
    assert at.cast(x, "int32").owner.op == at.cast(x, np.int32).owner.op


def test_ops_are_immutable():
    with pytest.raises(AttributeError):
        at.exp.scalar_op = SCALAR_OPS["log"]


@pytest.mark.parametrize("name", ["exp", "sub", "arctan2", "switch", "clip"])
def test_wrong_arity_is_a_type_error(name):
    x = at.dvector("x")
    n = CASES[name].nin
    with pytest.raises(TypeError, match=name):
        getattr(at, name)(*([x] * (n + 1)))
    with pytest.raises(TypeError, match=name):
        getattr(at, name)(*([x] * (n - 1)))


def test_variadic_add_and_mul():
    """add and mul take any number of inputs (n-ary nodes), but at least one."""
    x, y, z = at.dvector("x"), at.dvector("y"), at.dvector("z")
    out = at.add(x, y, z) * at.mul(x, y, 2.0)
    v = [np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.5, 0.25])]
    got = out.eval(dict(zip([x, y, z], v)))
    np.testing.assert_allclose(got, (v[0] + v[1] + v[2]) * (v[0] * v[1] * 2.0))
    with pytest.raises(TypeError):
        at.add()


def test_non_numeric_operand_is_a_type_error():
    x = at.dvector("x")
    with pytest.raises(TypeError):
        at.add(x, "a")
    with pytest.raises(TypeError):
        at.exp(None)
    with pytest.raises(TypeError):
        at.add(x, 1 + 2j)


# -- result dtypes (build time, no compilation) ----------------------------------------------

def _dtype_combos(case: Case):
    if case.special:
        return [(d,) for d in ("int32", "int64", "float32", "float64")]
    if case.nin == 1:
        return [(d,) for d in PROMOTION_DTYPES]
    if case.nin == 2:
        return [(a, b) for a in PROMOTION_DTYPES for b in PROMOTION_DTYPES]
    small = ("bool", "int32", "int64", "float32", "float64")
    first = ("bool",) if case.name in ("switch", "where") else small
    return [(a, b, c) for a in first for b in small for c in small]


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.name)
def test_result_dtype_follows_numpy(case):
    checked = 0
    for dtypes in _dtype_combos(case):
        want = expected_dtype(case, dtypes)
        inputs = [at.tensor(d, shape=(None,)) for d in dtypes]
        if want is None:
            with pytest.raises(TypeError):
                case.op(*inputs)
            continue
        out = case.op(*inputs)
        assert out.dtype == want, (case.name, dtypes, out.dtype, want)
        checked += 1
    assert checked


@pytest.mark.parametrize("case", [c for c in ALL_CASES if not c.special], ids=lambda c: c.name)
@pytest.mark.parametrize("scalar", [2, 2.5, True, -3])
def test_python_scalars_are_weak(case, scalar):
    """NumPy 2 (NEP 50): a Python number does not widen the other operand's dtype."""
    for dtype in ("bool", "int8", "int32", "int64", "float32", "float64"):
        arr = np.ones(3, dtype=dtype)
        var = at.tensor(dtype, shape=(None,))
        args_np = [arr] + [scalar] * (case.nin - 1)
        args_sym = [var] + [scalar] * (case.nin - 1)
        if case.name in ("switch", "where"):
            args_np[0], args_sym[0] = arr.astype(bool), at.bvector()
        try:
            with np.errstate(all="ignore"):
                want = np.asarray(case.ref(*args_np)).dtype.name
        except (TypeError, OverflowError):
            with pytest.raises((TypeError, OverflowError, ValueError)):
                case.op(*args_sym)
            continue
        except ValueError:
            # A run-time value error (integers to negative powers): tested below.
            continue
        assert case.op(*args_sym).dtype == want, (case.name, dtype, scalar)


def test_weak_scalar_examples():
    f32, i32, b = at.fvector("f"), at.ivector("i"), at.bvector("b")
    assert (f32 * 2.0).dtype == "float32"
    assert (2.0 * f32).dtype == "float32"
    assert (f32 + 2).dtype == "float32"
    assert (f32 ** 2).dtype == "float32"
    assert (i32 + 2).dtype == "int32"
    assert (i32 * 2.5).dtype == "float64"
    assert (i32 / 2).dtype == "float64"
    assert (b + 1).dtype == "int64"
    assert (b & True).dtype == "bool"
    # NumPy scalars are strong, like arrays.
    assert (f32 + np.float64(2.0)).dtype == "float64"
    assert (f32 + np.float32(2.0)).dtype == "float32"
    assert (i32 + np.int64(1)).dtype == "int64"
    # Variables are strong.
    assert (f32 * at.dscalar()).dtype == "float64"


def test_python_int_too_large_for_the_dtype_is_never_wrapped():
    i8 = at.tensor("int8", shape=(None,), name="i8")
    try:
        out = i8 + 300
    except (OverflowError, TypeError, ValueError):
        return  # NumPy's own answer
    assert out.eval({i8: np.array([1, 2], dtype="int8")}).tolist() == [301, 302]


# -- values of every op in every dtype (NumPy VM: cheap to build) ----------------------------

def _value_strategy(case: Case, dtypes: tuple[str, ...], shapes):
    parts = []
    for k, (d, shp) in enumerate(zip(dtypes, shapes)):
        if np.dtype(d).kind == "b":
            parts.append(arrays(d, shp))
            continue
        if np.dtype(d).kind in "iu":
            lo, hi = int_domain(case, k)
        else:
            lo, hi = case.domains[k]
        parts.append(arrays(d, shp, lo, hi, avoid_zero=k in case.nonzero))
    return st.tuples(*parts)


def _supported_dtypes(case: Case):
    out = []
    for d in ("bool", "int32", "int64", "float32", "float64"):
        kind = np.dtype(d).kind
        if (kind == "f" and not case.floats) or (kind in "biu" and not case.ints):
            continue
        if kind == "b" and (case.special or case.nin > 1 and case.name not in (
                "and_", "or_", "eq", "neq", "maximum", "minimum", "add", "mul")):
            continue
        dtypes = (d,) * case.nin
        if case.name in ("switch", "where"):
            dtypes = ("bool", d, d)
        if expected_dtype(case, dtypes) is None:
            continue
        out.append(dtypes)
    return out


@pytest.mark.parametrize(
    "case,dtypes",
    [(c, d) for c in ALL_CASES for d in _supported_dtypes(c)],
    ids=lambda v: v.name if isinstance(v, Case) else "-".join(v),
)
def test_values_per_dtype_numpy_vm(case, dtypes):
    ndims = (2, 1, 0)[: case.nin]
    inputs = [at.tensor(d, shape=(None,) * n, name=f"x{k}")
              for k, (d, n) in enumerate(zip(dtypes, ndims))]
    out = case.op(*inputs)
    f = ac.function(inputs, out, mode="numpy")
    assert out.dtype == expected_dtype(case, dtypes)

    @given(broadcastable_shapes(ndims).flatmap(lambda s: _value_strategy(case, dtypes, s)))
    def check(values):
        assert_matches(f(*values), reference(case, *values), out.dtype)

    check()


# -- compiled functions (the `mode` fixture) -------------------------------------------------

@pytest.mark.parametrize("case", [c for c in UNARY if c.floats], ids=lambda c: c.name)
def test_unary_float(case, mode):
    x64, x32 = at.dmatrix("x64"), at.fvector("x32")
    f = ac.function([x64, x32], [case.op(x64), case.op(x32)], mode=mode)
    (lo, hi), = case.domains

    @given(st.tuples(arrays("float64", st.tuples(st.integers(0, 4), st.integers(0, 5)), lo, hi),
                     arrays("float32", st.integers(0, 7), lo, hi)))
    def check(values):
        a, b = values
        got64, got32 = f(a, b)
        assert_matches(got64, reference(case, a), "float64")
        assert_matches(got32, reference(case, b), "float32")

    check()
    # NaN, infinities, signed zeros, subnormals, overflow thresholds.
    got64, got32 = f(F64_SPECIALS.reshape(1, -1), F32_SPECIALS)
    assert_matches(got64, reference(case, F64_SPECIALS.reshape(1, -1)), "float64")
    assert_matches(got32, reference(case, F32_SPECIALS), "float32")


@pytest.mark.parametrize("case", [c for c in BINARY if c.floats], ids=lambda c: c.name)
def test_binary_float(case, mode):
    a64, b64 = at.dmatrix("a64"), at.dvector("b64")
    a32, b32 = at.fvector("a32"), at.fmatrix("b32")
    k = case.scalar
    outs = [case.op(a64, b64), case.op(a32, b32), case.op(a32, k), case.op(k, a32)]
    assert outs[2].dtype == outs[3].dtype == expected_dtype(case, ("float32", "float32"))
    f = ac.function([a64, b64, a32, b32], outs, mode=mode)
    (lo0, hi0), (lo1, hi1) = case.domains
    nz = 1 in case.nonzero

    @given(broadcastable_shapes((2, 1)).flatmap(lambda s: st.tuples(
        arrays("float64", s[0], lo0, hi0), arrays("float64", s[1], lo1, hi1, nz),
        arrays("float32", s[1], lo0, hi0), arrays("float32", s[0], lo1, hi1, nz))))
    def check(values):
        a, b, c, d = values
        got = f(a, b, c, d)
        assert_matches(got[0], reference(case, a, b), "float64")
        assert_matches(got[1], reference(case, c, d), "float32")
        if case.name not in ("pow",) or np.all(c > 0):
            assert_matches(got[2], reference(case, c, k), "float32")
        if 0 not in case.nonzero or np.all(c != 0):
            assert_matches(got[3], reference(case, k, c), "float32")

    check()
    # Every pair of special values.
    col64, row64 = F64_SPECIALS.reshape(-1, 1), F64_SPECIALS
    col32, row32 = F32_SPECIALS, F32_SPECIALS.reshape(-1, 1)
    got = f(col64, row64, col32, row32)
    assert_matches(got[0], reference(case, col64, row64), "float64")
    assert_matches(got[1], reference(case, col32, row32), "float32")


def test_ternary_float(mode):
    c, a, b = at.bmatrix("c"), at.dvector("a"), at.dscalar("b")
    x, lo, hi = at.dmatrix("x"), at.dvector("lo"), at.dscalar("hi")
    x32 = at.fvector("x32")
    outs = [at.switch(c, a, b), at.where(c, b, a), at.clip(x, lo, hi), at.clip(x32, -1, 1.5),
            at.switch(at.gt(x32, 0), x32, 0.5)]
    assert [o.dtype for o in outs] == ["float64"] * 3 + ["float32"] * 2
    f = ac.function([c, a, b, x, lo, hi, x32], outs, mode=mode)

    @given(broadcastable_shapes((2, 1, 0)).flatmap(lambda s: st.tuples(
        arrays("bool", s[0]), arrays("float64", s[1]), arrays("float64", ()),
        arrays("float64", s[0]), arrays("float64", s[1], -5, 0), arrays("float64", (), 0, 5),
        arrays("float32", s[1]))))
    def check(values):
        cv, av, bv, xv, lov, hiv, x32v = values
        got = f(cv, av, bv, xv, lov, hiv, x32v)
        assert_matches(got[0], np.where(cv, av, bv))
        assert_matches(got[1], np.where(cv, bv, av))
        assert_matches(got[2], np.clip(xv, lov, hiv))
        assert_matches(got[3], np.clip(x32v, -1, 1.5))
        assert_matches(got[4], np.where(x32v > 0, x32v, np.float32(0.5)))

    check()
    # clip with NaN and with lo > hi behaves as NumPy's clip.
    xs = np.array([[np.nan, -np.inf, 0.0, 7.0]])
    got = f(np.zeros((1, 4), bool), np.zeros(4), 0.0, xs, np.array([np.nan, 3.0, 3.0, 3.0]),
            1.0, np.zeros(4, "float32"))
    assert_matches(got[2], np.clip(xs, np.array([np.nan, 3.0, 3.0, 3.0]), 1.0))


@pytest.mark.parametrize(
    "case",
    [c for c in UNARY + BINARY if c.ints and c.name not in ("isnan", "isinf")],
    ids=lambda c: c.name,
)
def test_integer_inputs(case, mode):
    if case.nin == 1:
        a, b = at.imatrix("a"), at.lvector("b")
        outs = [case.op(a), case.op(b)]
        ndims = (2, 1)
    else:
        a, b = at.imatrix("a"), at.lvector("b")
        outs = [case.op(a, b), case.op(b, a), case.op(a, 2)]
        ndims = (2, 1)
        if expected_dtype(case, ("int32", "int32")) is not None:
            assert outs[2].dtype == expected_dtype(case, ("int32", "int32"))
    f = ac.function([a, b], outs, mode=mode)
    lo0, hi0 = int_domain(case, 0)
    lo1, hi1 = int_domain(case, case.nin - 1)
    nz = bool(case.nonzero)

    @given(broadcastable_shapes(ndims).flatmap(lambda s: st.tuples(
        arrays("int32", s[0], lo0, hi0, nz), arrays("int64", s[1], lo1, hi1, nz))))
    def check(values):
        av, bv = values
        got = f(av, bv)
        if case.nin == 1:
            assert_matches(got[0], reference(case, av))
            assert_matches(got[1], reference(case, bv))
        else:
            assert_matches(got[0], reference(case, av, bv))
            if case.name != "pow":
                assert_matches(got[1], reference(case, bv, av))
            assert_matches(got[2], reference(case, av, 2))

    check()


def test_integer_division_edge_cases(mode):
    """Division by zero gives 0 and INT_MIN // -1 wraps, as in NumPy; never a crash."""
    for dtype in ("int32", "int64"):
        info = np.iinfo(dtype)
        a = at.tensor(dtype, shape=(None,), name="a")
        b = at.tensor(dtype, shape=(None,), name="b")
        f = ac.function([a, b], [a // b, a % b], mode=mode)
        av = np.array([7, -7, 0, info.min, info.min, info.max, 7, -7, 5], dtype=dtype)
        bv = np.array([0, 0, 0, -1, 1, -1, -2, 2, 3], dtype=dtype)
        with np.errstate(all="ignore"):
            want = [np.floor_divide(av, bv), np.mod(av, bv)]
        got = f(av, bv)
        assert_matches(got[0], want[0])
        assert_matches(got[1], want[1])


def test_integer_to_negative_integer_power_raises(mode):
    """NumPy raises ValueError here; a compiled kernel must not return garbage."""
    a, b = at.lvector("a"), at.lvector("b")
    f = ac.function([a, b], a ** b, mode=mode)
    np.testing.assert_array_equal(f(np.array([2, 3]), np.array([3, 0])), [8, 1])
    with pytest.raises(ValueError):
        f(np.array([2, 3]), np.array([1, -1]))


def test_boolean_logic(mode):
    p, q = at.bvector("p"), at.bvector("q")
    outs = [p & q, p | q, ~p, at.and_(p, q), at.or_(p, q), at.invert(q), at.eq(p, q),
            at.neq(p, q), at.maximum(p, q), p + q, p * q]
    assert all(o.dtype == "bool" for o in outs)
    f = ac.function([p, q], outs, mode=mode)
    pv = np.array([True, True, False, False])
    qv = np.array([True, False, True, False])
    want = [pv & qv, pv | qv, ~pv, pv & qv, pv | qv, ~qv, pv == qv, pv != qv,
            np.maximum(pv, qv), pv + qv, pv * qv]
    for g, w in zip(f(pv, qv), want):
        assert_matches(g, w)
    with pytest.raises(TypeError):
        _ = p - q  # NumPy refuses boolean subtraction
    with pytest.raises(TypeError):
        _ = -p


# -- broadcasting and static shapes ---------------------------------------------------------

def test_static_shape_mismatch_fails_at_build_time():
    with pytest.raises(ValueError, match="broadcast"):
        at.vector(shape=(3,)) + at.vector(shape=(4,))
    with pytest.raises(ValueError):
        at.matrix(shape=(2, 3)) * at.vector(shape=(2,))
    with pytest.raises(ValueError):
        at.switch(at.bvector(shape=(2,)), at.vector(shape=(3,)), 0.0)


@pytest.mark.parametrize("shapes,want", [
    (((3,), (3,)), (3,)),
    (((3,), (1,)), (3,)),
    (((None,), (3,)), (3,)),
    (((None,), (1,)), (None,)),
    (((None,), (None,)), (None,)),
    (((1,), (1,)), (1,)),
    (((2, None), (3,)), (2, 3)),
    (((2, 1), (None,)), (2, None)),
    (((), (4, 5)), (4, 5)),
    (((0,), (1,)), (0,)),
    (((5, 1, 4), (3, 1)), (5, 3, 4)),
])
def test_static_shape_inference(shapes, want):
    a = at.tensor("float64", shape=shapes[0])
    b = at.tensor("float64", shape=shapes[1])
    assert (a + b).type.shape == want
    assert at.maximum(b, a).type.shape == want


@given(broadcastable_shapes((3, 2)), st.lists(st.booleans(), min_size=5, max_size=5))
def test_static_shape_agrees_with_numpy(shapes, hide):
    """Hiding some lengths (None) never contradicts NumPy's broadcast shape."""
    want = np.broadcast_shapes(*shapes)
    it = iter(hide)
    masked = [tuple(None if next(it) else n for n in s) for s in shapes]
    out = (at.tensor("float64", shape=masked[0]) * at.tensor("float64", shape=masked[1])).type
    assert len(out.shape) == len(want)
    for got, n in zip(out.shape, want):
        assert got is None or got == n
    full = (at.tensor("float64", shape=shapes[0]) * at.tensor("float64", shape=shapes[1])).type
    assert full.shape == want


@given(st.tuples(st.integers(2, 5), st.integers(2, 5)).filter(lambda t: t[0] != t[1]))
def test_incompatible_static_lengths_always_rejected(lengths):
    n, m = lengths
    with pytest.raises(ValueError):
        at.tensor("float64", shape=(None, n)) - at.tensor("float64", shape=(m,))


def test_incompatible_shapes_at_run_time_name_the_inputs(mode):
    x, y = at.dvector("x"), at.dvector("y")
    f = ac.function([x, y], x + y, mode=mode)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    text = str(info.value) + "\n".join(getattr(info.value, "__notes__", []))
    assert "x" in text and "y" in text
    assert f(np.ones(3), np.ones(1)).shape == (3,)


def test_constant_operands_broadcast():
    x = at.dmatrix("x")
    out = x + np.arange(3.0)
    assert out.type.shape == (None, 3)
    v = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(out.eval({x: v}), v + np.arange(3.0))
