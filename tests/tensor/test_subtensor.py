"""Basic indexing (ints, slices, None, ...) against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.tensor.subtensor import Subtensor
from tests.strategies import arrays, shapes

E = Ellipsis

#: Index expressions for a 3-d input of shape at least (3, 4, 5).
INDICES = [
    0, -1, (1, 2), (0, -1, 2), slice(None), slice(1, None), slice(None, -1),
    (slice(None), 0), (slice(None, None, 2), slice(1, 3)), (slice(None, None, -1),),
    (slice(-2, None, -1), slice(None), slice(None, None, 3)), None, (None, 0), (0, None, 1),
    E, (E, 0), (0, E), (E, None), (1, E, slice(1, 4)), (slice(5, 1, -2), E, -1),
    (slice(10, 20),), (slice(-10, 2),),
]


def test_fixed_indices(mode):
    x = at.dtensor3("x")
    f = ac.function([x], [x[i] for i in INDICES], mode=mode)

    @given(arrays("float64", st.tuples(st.integers(3, 6), st.integers(4, 6),
                                       st.integers(5, 6))))
    def check(xv):
        for index, got in zip(INDICES, f(xv)):
            want = xv[index]
            assert got.shape == want.shape, index
            np.testing.assert_array_equal(got, want)

    check()


@given(st.data())
def test_random_basic_indices_numpy_vm(data):
    """Random basic indices on random shapes: static shape and values match NumPy."""
    shape = data.draw(shapes(min_dims=0, max_dims=3, max_side=4))
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    value = np.arange(int(np.prod(shape)), dtype="float64").reshape(shape)
    x = at.tensor("float64", shape=(None,) * len(shape), name="x")
    known = at.tensor("float64", shape=shape, name="k")
    want = value[index]
    out = x[index]
    assert out.ndim == want.ndim
    assert all(s is None or s == w for s, w in zip(out.type.shape, want.shape))
    assert known[index].type.shape == want.shape
    got = out.eval({x: value}) if out is not x else value
    np.testing.assert_array_equal(got, want)
    assert got.shape == want.shape


def test_symbolic_index(mode):
    x = at.dmatrix("x")
    i, j = at.lscalar("i"), at.iscalar("j")
    outs = [x[i], x[:, j], x[i:], x[:j, i], x[i, j], x[::j], x[j:i:-1]]
    f = ac.function([x, i, j], outs, mode=mode)
    xv = np.arange(20.0).reshape(4, 5)
    for iv, jv in [(0, 1), (2, 3), (-1, 2), (3, -2)]:
        want = [xv[iv], xv[:, jv], xv[iv:], xv[:jv, iv], xv[iv, jv], xv[::jv] if jv > 0 else
                xv[::jv], xv[jv:iv:-1]]
        for g, w in zip(f(xv, iv, jv), want):
            np.testing.assert_array_equal(g, w)


def test_index_errors(mode):
    x = at.dmatrix("x")
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(IndexError):
        x[..., ...]
    with pytest.raises(IndexError):
        at.tensor("float64", shape=(3, None))[3]
    with pytest.raises(ValueError):
        x[::0]
    with pytest.raises(TypeError):
        x[1.5]
    with pytest.raises(TypeError):
        x[at.dscalar()]
    with pytest.raises(TypeError):
        x["a"]
    f = ac.function([x], x[5], mode=mode)
    with pytest.raises(IndexError):
        f(np.ones((2, 2)))


def test_subtensor_props_and_identity():
    x = at.dmatrix("x")
    assert x[1:3].owner.op == x[1:3].owner.op
    assert hash(x[1:3].owner.op) == hash(x[1:3].owner.op)
    assert x[1:3].owner.op != x[1:4].owner.op
    assert isinstance(x[0].owner.op, Subtensor)
    assert x[:] is x and x[...] is x
    assert x[np.int64(1)].owner.op == x[1].owner.op
    assert x[at.constant(1)].owner.op == x[1].owner.op


def test_result_does_not_alias_input(mode):
    x = at.dvector("x")
    f = ac.function([x], x[1:], mode=mode)
    xv = np.arange(4.0)
    out = f(xv)
    out[0] = 100.0
    assert xv[1] == 1.0
    np.testing.assert_array_equal(f(xv), [1.0, 2.0, 3.0])
