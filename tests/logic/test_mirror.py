"""The S-expression mirror: etuplization, car/cdr, unification with graphs, rebuilding."""

import importlib

import numpy as np
import pytest
from cons import car, cdr, cons
from cons.core import ConsError
from etuples import etuple, rands, rator
from etuples.core import ExpressionTuple
from kanren import eq, lall, run, var
from unification import reify, unify

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.logic import build, constant_equals, etuplize, op_params
from aesara_cas.tensor.elemwise import Elemwise
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.scalar import Cast
from aesara_cas.tensor.shape import DimShuffle


def test_packaging_is_importable_so_etuple_unification_is_registered():
    # etuples registers etuple-vs-etuple unification only when `packaging` imports.
    importlib.import_module("packaging")
    x = var()
    assert unify(etuple(at.exp, x), etuple(at.exp, 3), {}) == {x: 3}


def test_a_relation_really_fires_on_a_graph():
    v = at.dvector("v")
    q, x = var(), var()
    goal = lall(eq(at.log(at.exp(v)), etuple(at.log, etuple(at.exp, x))), eq(q, x))
    assert run(1, q, goal) == (v,)


def test_car_cdr_rator_rands_of_variables_and_nodes():
    x, y = at.dvector("x"), at.dvector("y")
    z = at.add(x, y)
    for obj in (z, z.owner):
        assert car(obj) is at.add and rator(obj) is at.add
        assert list(cdr(obj)) == [x, y] and list(rands(obj)) == [x, y]
    with pytest.raises(ConsError):
        car(x)
    with pytest.raises(ConsError):
        cdr(at.constant(1.0))


def test_etuplize_is_shallow_and_keeps_the_variable():
    x = at.dvector("x")
    inner = at.exp(x)
    y = at.log(inner)
    et = ac.etuplize(y)
    assert isinstance(et, ExpressionTuple)
    assert et[0] is at.log and et[1] is inner  # the input stays a graph variable
    assert et.evaled_obj is y
    deep = etuplize(y, depth=None)
    assert deep[1] == etuple(at.exp, x)
    assert etuplize(x) is x  # inputs are atoms
    with pytest.raises(ValueError, match="depth"):
        etuplize(y, depth=0)
    with pytest.raises(TypeError, match="graph variable"):
        etuplize(3.0)


def test_etuplize_a_deep_chain_shallowly():
    x = at.dscalar("x")
    y = x
    for _ in range(10_000):
        y = at.sin(y)
    et = etuplize(y)
    assert et[0] is at.sin and et[1] is y.owner.inputs[0]
    hash(et)  # shallow: hashing does not walk the chain


def test_parametrised_ops_are_etuples():
    assert etuplize(at.sum) == etuple(Reduce, "sum", None, False)
    assert etuplize(at.sum).evaled_obj is at.sum
    assert op_params(Reduce("max", (1,), True)) == ("max", (1,), True)
    assert etuplize(at.exp)[0] is Elemwise
    cast_op = at.cast(at.dvector("x"), "float32").owner.op
    assert op_params(cast_op.scalar_op) == ("float32",)
    assert etuple(Cast, "float32").evaled_obj == cast_op.scalar_op
    # A bare scalar op cannot be rebuilt from its props: it is an atom.
    assert op_params(at.exp.scalar_op) is None
    assert etuplize(at.exp.scalar_op) is at.exp.scalar_op


def test_unify_binds_reduction_parameters():
    m = at.dmatrix("m")
    s = at.sum(at.exp(m), axis=1, keepdims=True)
    axis, keepdims, x = var(), var(), var()
    pattern = etuple(etuple(Reduce, "sum", axis, keepdims), etuple(at.exp, x))
    sub = unify(pattern, s, {})
    assert sub[axis] == (1,) and sub[keepdims] is True and sub[x] is m
    # `at.sum` as a head means a sum over all axes without keepdims.
    assert unify(etuple(at.sum, x), s, {}) is False
    assert unify(etuple(at.sum, x), at.sum(m), {}) == {x: m}
    out = build(reify(etuple(etuple(Reduce, "logsumexp", axis, keepdims), x), sub))
    assert out.owner.op == Reduce("logsumexp", (1,), True)
    value = np.array([[1000.0, 1000.0], [0.0, 0.0]])
    np.testing.assert_allclose(out.eval({m: value}), [[1000 + np.log(2)], [np.log(2)]])


def test_unify_binds_dimshuffle_and_cast_parameters():
    m = at.dmatrix("m")
    order, x = var(), var()
    assert unify(etuple(etuple(DimShuffle, 2, order), x), m.T, {}) == {order: (1, 0), x: m}
    dtype = var()
    c = at.cast(m, "float32")
    assert unify(etuple(etuple(Elemwise, etuple(Cast, dtype)), x), c, {}) == {dtype: "float32",
                                                                               x: m}


def test_numbers_unify_with_constants_of_that_value():
    x = var()
    v = at.dvector("v")
    assert unify(etuple(at.add, 1, x), at.add(1, v), {}) == {x: v}
    assert unify(etuple(at.add, 1, x), at.add(np.ones(3), v), {}) == {x: v}  # all ones
    assert unify(etuple(at.add, 1, x), at.add(np.array([1.0, 2.0]), v), {}) is False
    assert unify(etuple(at.add, 2, x), at.add(1, v), {}) is False
    assert unify(etuple(at.mul, -1, x), at.mul(at.constant(-1, dtype="int8"), v), {}) == {x: v}
    assert constant_equals(at.constant(0.5), 0.5)
    # Booleans are not numbers here: True is not the pattern 1.
    b = at.bvector("b")
    assert unify(etuple(at.and_, 1, x), at.and_(True, b), {}) is False
    assert not constant_equals(at.constant(np.array([np.nan])), np.nan)


def test_cons_patterns_bind_any_number_of_arguments():
    a, b, c = at.dscalar("a"), at.dscalar("b"), at.dscalar("c")
    rest = var()
    sub = unify(cons(at.add, cons(1, rest)), at.add(1, a, b, c), {})
    assert list(sub[rest]) == [a, b, c]
    out = build(reify(etuple(at.log1p, cons(at.mul, rest)), sub))
    assert ac.pprint(out) == "log1p(a * b * c)"


def test_builder_functions_are_heads_for_their_ops():
    A, B = at.dmatrix("A"), at.dmatrix("B")
    x, y = var(), var()
    assert unify(etuple(at.dot, x, y), at.dot(A, B), {}) == {x: A, y: B}
    assert unify(etuple(at.matmul, x, y), at.dot(A, B), {}) is False


def test_build_creates_fresh_nodes_and_never_caches_in_the_pattern():
    x = var()
    v = at.dvector("v")
    pattern = etuple(at.exp, etuple(at.neg, x))
    first = build(reify(pattern, {x: v}))
    second = build(reify(pattern, {x: v}))
    assert first is not second and first.owner is not second.owner
    ground = etuple(at.exp, at.constant(1.0))
    assert build(ground) is not build(ground)


def test_evaled_obj_of_a_reified_etuple_rebuilds_a_graph():
    x = var()
    v = at.dvector("v")
    et = reify(etuple(at.mul, 2, etuple(at.exp, x)), {x: v})
    out = et.evaled_obj
    np.testing.assert_allclose(out.eval({v: np.array([0.0, 1.0])}), 2 * np.exp([0.0, 1.0]))


def test_a_multi_output_node_is_an_atom():
    from aesara_cas.graph.basic import Apply, Op
    from aesara_cas.tensor.type import TensorType

    class Split(Op):
        def make_node(self, x):
            return Apply(self, [x], [TensorType("float64", ()), TensorType("float64", ())])

    a, _ = Split()(at.dscalar("s"))
    with pytest.raises(ConsError):
        car(a)
    assert unify(etuple(var(), var()), a, {}) is False
