"""Tensor variables: constructors, properties, methods, Python operators, eval."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from hypothesis import given

from aesara_cas import tensor as at
from aesara_cas.graph.basic import Apply, Constant
from aesara_cas.tensor.type import TensorType
from tests.strategies import broadcastable_arrays

KINDS = {"scalar": 0, "vector": 1, "matrix": 2, "tensor3": 3}
PREFIX = {"d": "float64", "f": "float32", "i": "int32", "l": "int64", "b": "bool"}


@pytest.mark.parametrize("prefix", PREFIX)
@pytest.mark.parametrize("kind", KINDS)
def test_typed_constructors(prefix, kind):
    var = getattr(at, prefix + kind)("v")
    assert var.dtype == PREFIX[prefix]
    assert var.ndim == KINDS[kind]
    assert var.name == "v"
    assert var.owner is None
    assert var.type == TensorType(PREFIX[prefix], (None,) * KINDS[kind])
    assert getattr(at, prefix + kind)().name is None


@pytest.mark.parametrize("kind,ndim", [*KINDS.items(), ("tensor4", 4)])
def test_default_constructors_are_float64(kind, ndim):
    var = getattr(at, kind)("x")
    assert var.dtype == "float64" and var.ndim == ndim and var.name == "x"
    assert getattr(at, kind)(dtype="int32").dtype == "int32"


def test_tensor_constructor():
    t = at.tensor(dtype="float32", shape=(None, 3), name="t")
    assert t.dtype == "float32" and t.type.shape == (None, 3) and t.name == "t"
    assert at.tensor("int64").ndim == 0
    assert at.vector(shape=(3,)).type.shape == (3,)
    with pytest.raises(ValueError):
        at.vector(shape=(3, 4))
    with pytest.raises(TypeError):
        at.tensor(dtype="complex128", shape=(2,))
    with pytest.raises(TypeError):
        at.tensor(dtype="object")
    with pytest.raises(TypeError):
        at.tensor(dtype="nonsense")
    with pytest.raises(TypeError):
        at.tensor("float64", shape=(-1,))
    with pytest.raises(TypeError):
        at.tensor("float64", shape=(2.5,))
    with pytest.raises(TypeError):
        at.dvector(name=3)


def test_constants():
    assert at.constant(2).dtype == "int64"
    assert at.constant(2.0).dtype == "float64"
    assert at.constant(True).dtype == "bool"
    c = at.constant(np.arange(6, dtype="int32").reshape(2, 3), name="c")
    assert c.dtype == "int32" and c.type.shape == (2, 3) and c.name == "c"
    assert isinstance(c, Constant) and c.owner is None
    assert at.constant([1.0, 2.0]).type.shape == (2,)
    assert at.constant(1, dtype="float32").dtype == "float32"
    with pytest.raises(TypeError):
        at.constant("abc")
    with pytest.raises(TypeError):
        at.constant(at.dscalar())
    with pytest.raises(TypeError):
        at.constant(1 + 1j)
    # The stored value is a read-only copy.
    arr = np.ones(3)
    c = at.constant(arr)
    arr[0] = 5.0
    assert c.data[0] == 1.0
    with pytest.raises(ValueError):
        c.data[0] = 2.0


def test_as_tensor_variable():
    x = at.dvector("x")
    assert at.as_tensor_variable(x) is x
    assert at.as_tensor_variable(3).dtype == "int64"
    assert at.as_tensor_variable(np.float32(3)).dtype == "float32"
    assert at.as_tensor_variable([[1, 2]]).type.shape == (1, 2)
    assert at.as_tensor_variable(np.zeros((2, 2)), ndim=2).ndim == 2
    with pytest.raises(ValueError):
        at.as_tensor_variable(np.zeros(2), ndim=2)
    with pytest.raises(TypeError):
        at.as_tensor_variable("x")
    with pytest.raises(TypeError):
        at.as_tensor_variable(object())


def test_properties_and_owner():
    x = at.dmatrix("x")
    y = at.exp(x)
    assert y.type == TensorType("float64", (None, None))
    assert y.dtype == "float64" and y.ndim == 2 and y.name is None
    assert isinstance(y.owner, Apply)
    assert y.owner.op is at.exp and y.owner.inputs == [x] and y.owner.outputs == [y]
    y.name = "y"
    assert y.name == "y"
    assert x.T.owner.inputs == [x]
    np.testing.assert_array_equal(x.T.eval({x: np.arange(6.0).reshape(2, 3)}),
                                  np.arange(6.0).reshape(2, 3).T)
    np.testing.assert_array_equal(x.shape.eval({x: np.zeros((2, 7))}), [2, 7])


def test_methods():
    x = at.dmatrix("x")
    v = np.arange(6.0).reshape(2, 3) - 2
    env = {x: v}
    np.testing.assert_allclose(x.sum().eval(env), v.sum())
    np.testing.assert_allclose(x.sum(axis=0).eval(env), v.sum(axis=0))
    np.testing.assert_allclose(x.mean(axis=1).eval(env), v.mean(axis=1))
    np.testing.assert_allclose(x.max(axis=-1).eval(env), v.max(axis=-1))
    np.testing.assert_allclose(x.min(axis=(0, 1)).eval(env), v.min())
    np.testing.assert_allclose(x.prod(axis=0, keepdims=True).eval(env),
                               v.prod(axis=0, keepdims=True))
    np.testing.assert_array_equal(x.reshape((3, 2)).eval(env), v.reshape(3, 2))
    np.testing.assert_array_equal(x.reshape(3, 2).eval(env), v.reshape(3, 2))
    np.testing.assert_array_equal(x.reshape([-1]).eval(env), v.reshape(-1))
    np.testing.assert_array_equal(x.dimshuffle(1, 0).eval(env), v.T)
    np.testing.assert_array_equal(x.dimshuffle((1, "x", 0)).eval(env), v.T[:, None, :])


def test_eval():
    x, y = at.dscalar("x"), at.dscalar("y")
    assert (x + y).eval({x: 1.0, y: 2.0}) == 3.0
    assert isinstance((x + y).eval({x: 1.0, y: 2.0}), np.ndarray)
    assert at.constant(2.0).eval() == 2.0
    assert (at.constant(2.0) * 3).eval(None) == 6.0
    with pytest.raises(ValueError, match="y"):
        (x + y).eval({x: 1.0})
    with pytest.raises(TypeError):
        (x + y).eval({"x": 1.0, y: 2.0})
    with pytest.raises(TypeError):
        (x + y).eval([1.0, 2.0])
    # A repeated eval gives the same result (the compiled function is reused).
    assert (x * y).eval({x: 2.0, y: 4.0}) == 8.0
    z = x * y
    assert z.eval({x: 2.0, y: 4.0}) == z.eval({y: 4.0, x: 2.0}) == 8.0


BINARY_OPERATORS = [
    (operator.add, np.add, at.add), (operator.sub, np.subtract, at.sub),
    (operator.mul, np.multiply, at.mul), (operator.truediv, np.true_divide, at.true_div),
    (operator.floordiv, np.floor_divide, at.int_div), (operator.pow, np.power, at.pow),
    (operator.mod, np.mod, at.mod), (operator.lt, np.less, at.lt),
    (operator.le, np.less_equal, at.le), (operator.gt, np.greater, at.gt),
    (operator.ge, np.greater_equal, at.ge),
]


@pytest.mark.parametrize("pyop,npop,atop", BINARY_OPERATORS, ids=lambda o: getattr(
    o, "__name__", str(o)))
def test_python_operators(pyop, npop, atop):
    x, y = at.dvector("x"), at.dvector("y")
    out = pyop(x, y)
    assert out.owner.op is atop and out.owner.inputs == [x, y]
    # Python numbers and NumPy arrays on either side.
    left = pyop(1.5, x)
    right = pyop(x, 1.5)
    arr_left = pyop(np.full(3, 1.5), x)
    assert right.owner.op is atop
    if atop not in (at.lt, at.le, at.gt, at.ge):
        # (Python mirrors a reflected comparison: `1.5 < x` is `x > 1.5`.)
        assert left.owner.op is atop and arr_left.owner.op is atop
    xv = np.array([0.5, 1.0, 3.0])
    yv = np.array([2.0, -1.0, 0.25])
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(out.eval({x: xv, y: yv}), npop(xv, yv))
        np.testing.assert_allclose(left.eval({x: xv}), npop(1.5, xv))
        np.testing.assert_allclose(right.eval({x: xv}), npop(xv, 1.5))
        np.testing.assert_allclose(arr_left.eval({x: xv}), npop(np.full(3, 1.5), xv))


@given(broadcastable_arrays(("float64", "float64"), (2, 1), low=0.5, high=4))
def test_operator_expression_matches_numpy(values):
    a, b = values
    x, y = at.dmatrix("x"), at.dvector("y")
    # Built once per example: graphs are cheap; evaluation runs on the NumPy VM.
    expr = (x + y) * 2 - x / y + (x // y) % 3 + x ** 2 - (-y) + abs(x - 2 * y)
    want = (a + b) * 2 - a / b + (a // b) % 3 + a ** 2 - (-b) + np.abs(a - 2 * b)
    np.testing.assert_allclose(expr.eval({x: a, y: b}), want, rtol=1e-12)


def test_unary_operators_and_matmul():
    x = at.dmatrix("x")
    assert (-x).owner.op is at.neg
    assert abs(x).owner.op is at.abs
    assert +x is x
    b = at.bvector("b")
    assert (~b).owner.op is at.invert
    assert (b & b).owner.op is at.and_ and (b | b).owner.op is at.or_
    v = np.arange(4.0).reshape(2, 2)
    np.testing.assert_array_equal((x @ x).eval({x: v}), v @ v)
    np.testing.assert_array_equal((v @ x).eval({x: v}), v @ v)
    np.testing.assert_array_equal((x @ v).eval({x: v}), v @ v)


def test_truthiness_is_an_error():
    x, y = at.dscalar("x"), at.dscalar("y")
    with pytest.raises(TypeError):
        bool(x)
    with pytest.raises(TypeError):
        if x < y:
            pass
    with pytest.raises(TypeError):
        x and y  # noqa: B018
    with pytest.raises(TypeError):
        not x  # noqa: B018
    with pytest.raises(TypeError):
        bool(at.constant(1.0))
    with pytest.raises(TypeError):
        len(at.dvector())
    with pytest.raises(TypeError):
        iter(at.dvector())


def test_variables_hash_by_identity():
    x, y = at.dscalar("x"), at.dscalar("x")
    d = {x: 1, y: 2}
    assert d[x] == 1 and d[y] == 2
    assert len({x, y, x}) == 2
