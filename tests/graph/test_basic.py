"""The graph IR: Variable, Constant, Apply, Op (props, equality, immutability)."""

from __future__ import annotations

import numpy as np
import pytest

from aesara_cas import tensor as at
from aesara_cas.graph.basic import Apply, Constant, Op, Type, Variable
from aesara_cas.tensor.type import TensorType

T = TensorType("float64", (None,))


class Scale(Op):
    """A small op with a parameter, for testing the Op machinery."""

    __props__ = ("factor",)

    def __init__(self, factor):
        self.factor = factor
        self._freeze()

    def make_node(self, x):
        x = at.as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0] * self.factor]

    def infer_shape(self, node, input_shapes):
        return input_shapes


class Pair(Op):
    """Two outputs."""

    def make_node(self, x):
        return Apply(self, [x], [x.type, x.type])

    def perform(self, node, inputs):
        return [inputs[0], -inputs[0]]


def test_variable_basics():
    v = Variable(T, name="v")
    assert v.type is T and v.owner is None and v.index is None and v.name == "v"
    assert repr(v) == "v"
    assert "float64" in repr(Variable(T))
    with pytest.raises(TypeError):
        Variable(T, name=1)
    assert Variable(T).id != Variable(T).id


def test_truthiness_raises():
    with pytest.raises(TypeError, match="truth value"):
        bool(Variable(T))
    with pytest.raises(TypeError):
        bool(Constant(T, np.zeros(1)))


def test_clone_makes_a_new_input():
    x = at.dvector("x")
    y = at.exp(x)
    c = y.clone()
    assert c is not y and c.owner is None and c.type == y.type and c.name == y.name
    k = at.constant(np.arange(3.0))
    kc = k.clone()
    assert isinstance(kc, Constant) and kc is not k
    np.testing.assert_array_equal(kc.data, k.data)
    assert kc.signature() == k.signature()


def test_constant_signature():
    a = at.constant(np.arange(3.0))
    b = at.constant(np.arange(3.0))
    c = at.constant(np.arange(3))
    assert a.signature() == b.signature()
    assert a.signature() != c.signature()  # same values, other dtype
    big1 = at.constant(np.arange(100.0))
    big2 = at.constant(np.arange(100.0))
    big3 = at.constant(np.arange(100.0) + 1)
    assert big1.signature() == big2.signature() != big3.signature()
    hash(big1.signature())


def test_apply_links_outputs():
    x = at.dvector("x")
    node = Pair().make_node(x)
    assert node.inputs == [x]
    assert [o.owner for o in node.outputs] == [node, node]
    assert [o.index for o in node.outputs] == [0, 1]
    with pytest.raises(ValueError):
        _ = node.out  # two outputs
    outs = Pair()(x)
    assert isinstance(outs, list) and len(outs) == 2
    single = Scale(2.0).make_node(x)
    assert single.out is single.outputs[0]


def test_clone_with_new_inputs_reinfers_types():
    x = at.dvector("x")
    y = at.exp(x)
    z = at.tensor("float32", shape=(3,))
    new = y.owner.clone_with_new_inputs([z])
    assert new.op is y.owner.op and new is not y.owner
    assert new.outputs[0].type == TensorType("float32", (3,))
    # A constant made from a Python number keeps its dtype once built (float64 here).
    assert (x + 1.0).owner.clone_with_new_inputs([z, (x + 1.0).owner.inputs[1]]).outputs[
        0].dtype == "float64"


def test_props_equality_and_hash():
    a, b, c = Scale(2.0), Scale(2.0), Scale(3.0)
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert a != "Scale"
    assert len({a, b, c}) == 2
    assert str(a) == "Scale{2.0}"
    assert Pair() == Pair() and hash(Pair()) == hash(Pair())
    assert str(Pair()) == "Pair"


def test_an_unpickled_op_hashes_afresh():
    # A frozen op caches its hash, which hashes its class (by address): a pickle must
    # not carry it to another process, where an equal op hashes differently.
    import pickle

    x = at.dvector("x")
    ops = [Scale(2.0), (at.exp(x) * 2.0).owner.op, at.sum(at.dmatrix("m"), axis=0).owner.op]
    for op in ops:
        mine = pickle.loads(pickle.dumps(op))  # a private equal instance (ops are shared)
        assert mine is not op and mine == op
        object.__setattr__(mine, "_hash_value", 12345)  # as made by another process
        copy = pickle.loads(pickle.dumps(mine))
        assert copy == op and "_hash_value" not in copy.__dict__
        assert hash(copy) == hash(op) == hash((type(op), op._props())) != 12345
        assert copy in {op} and op in {copy}


def test_ops_of_different_classes_differ():
    class Scale2(Scale):
        pass

    assert Scale(2.0) != Scale2(2.0)


def test_ops_are_immutable():
    op = Scale(2.0)
    with pytest.raises(AttributeError):
        op.factor = 3.0
    with pytest.raises(AttributeError):
        op.new_attribute = 1


def test_base_op_and_type_are_abstract():
    with pytest.raises(NotImplementedError):
        Op().make_node()
    with pytest.raises(NotImplementedError):
        Op().perform(None, [])
    with pytest.raises(NotImplementedError):
        Op().infer_shape(None, [])
    with pytest.raises(NotImplementedError):
        Type().filter(1)


def test_tensor_ops_equal_across_constructions():
    """Equal parameters give equal, equally hashed ops, so equal sub-graphs can merge."""
    x, y = at.dmatrix("x"), at.dmatrix("y")
    pairs = [
        ((x + y).owner.op, (y + x).owner.op),
        (at.sum(x, axis=0).owner.op, at.sum(y, axis=-2).owner.op),
        (x.T.owner.op, y.dimshuffle(1, 0).owner.op),
        (x.reshape((2, 3)).owner.op, y.reshape((3, 2)).owner.op),
        (x[1:].owner.op, y[1:].owner.op),
        (at.concatenate([x, y], axis=1).owner.op, at.concatenate([y, x], axis=-1).owner.op),
        (at.cast(x, "int32").owner.op, at.cast(y, np.dtype("int32")).owner.op),
        (at.dot(x, y).owner.op, at.dot(y, x).owner.op),
    ]
    for p, q in pairs:
        assert p == q and hash(p) == hash(q), (p, q)
