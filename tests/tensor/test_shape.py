"""Shape and linear-algebra ops against NumPy: dot matmul outer transpose reshape
dimshuffle expand_dims squeeze flatten concatenate stack cast."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.tensor.shape import DimShuffle, Join, Reshape
from tests.strategies import ALL_DTYPES, PROMOTION_DTYPES, arrays


def assert_same(got, want):
    want = np.asarray(want)
    assert isinstance(got, np.ndarray)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


dims = st.integers(0, 4)
pos_dims = st.integers(1, 4)


# -- dot, matmul, outer ----------------------------------------------------------------------

def test_products(mode):
    v, w = at.dvector("v"), at.dvector("w")
    m, n = at.dmatrix("m"), at.dmatrix("n")
    t = at.dtensor3("t")
    s = at.dscalar("s")
    outs = [at.dot(v, w), at.dot(m, w), at.dot(v, n), at.dot(m, n), at.dot(t, w),
            at.dot(s, m), at.dot(t, n), m @ n, v @ n, m @ w, v @ w, t @ n, at.matmul(t, t),
            at.outer(v, w), at.outer(m, w)]
    f = ac.function([v, w, m, n, t, s], outs, mode=mode)

    @given(st.tuples(pos_dims, dims, dims, pos_dims).flatmap(lambda d: st.tuples(
        arrays("float64", (d[1],)), arrays("float64", (d[1],)),
        arrays("float64", (d[2], d[1])), arrays("float64", (d[1], d[1])),
        arrays("float64", (d[1], d[1], d[1])), arrays("float64", ()))))
    def check(values):
        vv, wv, mv, nv, tv, sv = values
        want = [np.dot(vv, wv), np.dot(mv, wv), np.dot(vv, nv), np.dot(mv, nv), np.dot(tv, wv),
                np.dot(sv, mv), np.dot(tv, nv), mv @ nv, vv @ nv, mv @ wv, vv @ wv, tv @ nv,
                tv @ tv, np.outer(vv, wv), np.outer(mv, wv)]
        for g, e in zip(f(*values), want):
            assert_same(g, e)

    check()


def test_product_types():
    assert at.dot(at.ivector(), at.lvector()).dtype == "int64"
    assert at.dot(at.fvector(), at.fvector()).dtype == "float32"
    assert at.dot(at.fmatrix(), at.dvector()).dtype == "float64"
    assert (at.imatrix() @ at.fmatrix()).dtype == "float64"
    assert at.dot(at.matrix(shape=(2, 3)), at.matrix(shape=(3, 5))).type.shape == (2, 5)
    assert at.dot(at.matrix(shape=(2, None)), at.vector(shape=(3,))).type.shape == (2,)
    assert at.dot(at.vector(), at.vector()).type.shape == ()
    assert at.matmul(at.tensor3(shape=(1, 2, 3)), at.tensor3(shape=(4, 3, 2))).type.shape == \
        (4, 2, 2)
    assert (at.vector(shape=(3,)) @ at.matrix(shape=(3, 7))).type.shape == (7,)
    assert at.outer(at.vector(shape=(3,)), at.matrix(shape=(2, 2))).type.shape == (3, 4)


def test_product_errors(mode):
    with pytest.raises(ValueError, match="aligned"):
        at.dot(at.matrix(shape=(2, 3)), at.vector(shape=(4,)))
    with pytest.raises(ValueError):
        at.matrix(shape=(2, 3)) @ at.matrix(shape=(2, 3))
    with pytest.raises(ValueError):
        at.matmul(at.dscalar(), at.dvector())
    with pytest.raises(ValueError):
        at.matmul(at.tensor3(shape=(2, 1, 1)), at.tensor3(shape=(3, 1, 1)))
    m, v = at.dmatrix("m"), at.dvector("v")
    f = ac.function([m, v], at.dot(m, v), mode=mode)
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones(4))
    text = str(info.value) + " ".join(getattr(info.value, "__notes__", []))
    assert "m" in text and "v" in text


def test_boolean_products_are_refused_or_match_numpy():
    p, q = at.bvector("p"), at.bvector("q")
    try:
        out = at.dot(p, q)
    except TypeError:
        return
    pv, qv = np.array([True, False]), np.array([True, True])
    assert_same(out.eval({p: pv, q: qv}), np.dot(pv, qv))


# -- transpose, dimshuffle, expand_dims, squeeze -------------------------------------------

def test_transpose_dimshuffle_expand_squeeze(mode):
    t = at.dtensor3("t")
    r = at.tensor("float64", shape=(None, 1, None), name="r")
    outs = [t.T, at.transpose(t), at.transpose(t, (1, 0, 2)), at.transpose(t, (-1, 0, 1)),
            t.dimshuffle(2, "x", 0, 1), t.dimshuffle((1, 2, 0)), at.dimshuffle(t, ("x", 0, 1, 2)),
            at.expand_dims(t, 0), at.expand_dims(t, -1), at.expand_dims(t, (0, 2)),
            at.squeeze(r), at.squeeze(r, 1), at.squeeze(r, -2), r.dimshuffle(0, 2),
            at.squeeze(at.expand_dims(t, 1), axis=1)]
    f = ac.function([t, r], outs, mode=mode)

    @given(st.tuples(dims, dims, dims).flatmap(lambda d: st.tuples(
        arrays("float64", d), arrays("float64", (d[0], 1, d[2])))))
    def check(values):
        tv, rv = values
        want = [tv.T, np.transpose(tv), np.transpose(tv, (1, 0, 2)), np.transpose(tv, (2, 0, 1)),
                tv.transpose(2, 0, 1)[:, None], tv.transpose(1, 2, 0), tv[None],
                np.expand_dims(tv, 0), np.expand_dims(tv, -1), np.expand_dims(tv, (0, 2)),
                np.squeeze(rv, 1), np.squeeze(rv, 1), np.squeeze(rv, -2), rv[:, 0, :], tv]
        for g, e in zip(f(*values), want):
            assert_same(g, e)

    check()


def test_dimshuffle_types_and_errors(mode):
    x = at.tensor("float64", shape=(2, None, 1))
    assert x.dimshuffle(1, "x", 0).type.shape == (None, 1, 2)
    assert x.dimshuffle(0, 1).type.shape == (2, None)
    with pytest.raises(ValueError):
        x.dimshuffle(1, 2)  # drops axis 0, of length 2
    with pytest.raises(ValueError):
        x.dimshuffle(0, 0, 1, 2)
    with pytest.raises(ValueError):
        x.dimshuffle(0, 1, 3)
    with pytest.raises(ValueError):
        at.transpose(at.dmatrix(), (0, 0))
    with pytest.raises(ValueError):
        at.squeeze(x, 0)
    # Dropping an axis whose length is unknown is checked when the function runs.
    m = at.dmatrix("m")
    f = ac.function([m], m.dimshuffle(0), mode=mode)
    assert_same(f(np.ones((3, 1))), np.ones(3))
    with pytest.raises(ValueError):
        f(np.ones((3, 2)))


@pytest.mark.parametrize("build", [
    lambda v, m, r: at.expand_dims(v, 2),
    lambda v, m, r: at.expand_dims(v, -3),
    lambda v, m, r: at.expand_dims(v, (0, 0)),
    lambda v, m, r: at.squeeze(r, 3),
    lambda v, m, r: at.squeeze(r, (0, -3)),
    lambda v, m, r: at.transpose(m, (0, 2)),
    lambda v, m, r: at.transpose(m, (1, 1)),
    lambda v, m, r: at.transpose(m, (0,)),
], ids=["expand-2", "expand--3", "expand-dup", "squeeze-3", "squeeze-dup", "transpose-2",
        "transpose-dup", "transpose-short"])
def test_out_of_range_or_repeated_axes_are_errors(build):
    """NumPy raises for these; wrapping the axis around would be a silent wrong answer."""
    v, m = at.dvector(), at.dmatrix()
    r = at.tensor("float64", shape=(1, 1, 3))
    with pytest.raises(ValueError):
        build(v, m, r)


def test_dimshuffle_props():
    a = DimShuffle(2, (1, "x", 0))
    b = DimShuffle(2, [1, "x", 0])
    assert a == b and hash(a) == hash(b)
    assert a != DimShuffle(2, (1, 0, "x"))
    assert a != DimShuffle(3, (1, "x", 0))
    x = at.dmatrix()
    assert x.T.owner.op == at.transpose(x).owner.op == DimShuffle(2, (1, 0))
    # The identity pattern builds no node.
    assert x.dimshuffle(0, 1) is x


# -- reshape and flatten ---------------------------------------------------------------------

def test_reshape_and_flatten(mode):
    t = at.dtensor3("t")
    k = at.lscalar("k")
    outs = [t.reshape((-1,)), t.reshape(-1), at.reshape(t, (t.shape[0], -1)),
            t.reshape((t.shape[2], t.shape[1], t.shape[0])), at.flatten(t), at.flatten(t, 2),
            t.flatten(), t.reshape((k, -1)), t.reshape(t.shape)]
    f = ac.function([t, k], outs, mode=mode)

    @given(st.tuples(pos_dims, dims, dims).flatmap(lambda d: arrays("float64", d)))
    def check(tv):
        a, b, c = tv.shape
        got = f(tv, a)
        want = [tv.reshape(-1), tv.reshape(-1), tv.reshape(a, -1), tv.reshape(c, b, a),
                tv.reshape(-1), tv.reshape(a, -1), tv.reshape(-1), tv.reshape(a, -1), tv]
        for g, e in zip(got, want):
            assert_same(g, e)

    check()


def test_reshape_types_and_errors(mode):
    x = at.tensor("float64", shape=(2, 3, 4))
    assert x.reshape((6, 4)).type.shape == (6, 4)
    assert x.reshape((-1, 4)).type.shape == (6, 4)
    assert x.reshape(24).type.shape == (24,)
    assert x.reshape(4, 6).type.shape == (4, 6)
    assert at.flatten(x, 2).type.shape[0] == 2
    assert at.dmatrix().reshape((at.lscalar(), 3)).type.shape == (None, 3)
    with pytest.raises(ValueError):
        x.reshape((5, 5))
    with pytest.raises(ValueError):
        x.reshape((-1, -1))
    with pytest.raises(ValueError):
        x.reshape((-1, 5))
    with pytest.raises(ValueError):
        at.flatten(x, 4)
    with pytest.raises(TypeError):
        x.reshape((2.5, 3))
    with pytest.raises(ValueError):
        at.reshape(x, at.lvector())  # unknown length: needs ndim=
    assert at.reshape(x, at.lvector(), ndim=2).ndim == 2
    m = at.dmatrix("m")
    f = ac.function([m], m.reshape((3, -1)), mode=mode)
    assert_same(f(np.ones((2, 3))), np.ones((3, 2)))
    with pytest.raises(ValueError):
        f(np.ones((2, 2)))


def test_reshape_props():
    assert Reshape(2) == Reshape(2) and hash(Reshape(2)) == hash(Reshape(2))
    assert Reshape(2) != Reshape(3)


# -- concatenate and stack -------------------------------------------------------------------

def test_concatenate_and_stack(mode):
    a, b = at.dmatrix("a"), at.dmatrix("b")
    v, w = at.dvector("v"), at.dvector("w")
    outs = [at.concatenate([a, b], axis=0), at.concatenate([a, a, a], axis=1),
            at.concatenate([a, b * 2], axis=-2), at.stack([v, w]), at.stack([v, w], axis=1),
            at.stack([v, w, v], axis=-1), at.stack([a, a], axis=1), at.concatenate([v, w, v])]
    f = ac.function([a, b, v, w], outs, mode=mode)

    @given(st.tuples(dims, dims, dims, dims).flatmap(lambda d: st.tuples(
        arrays("float64", (d[0], d[1])), arrays("float64", (d[2], d[1])),
        arrays("float64", (d[3],)), arrays("float64", (d[3],)))))
    def check(values):
        av, bv, vv, wv = values
        want = [np.concatenate([av, bv]), np.concatenate([av, av, av], axis=1),
                np.concatenate([av, bv * 2], axis=-2), np.stack([vv, wv]),
                np.stack([vv, wv], axis=1), np.stack([vv, wv, vv], axis=-1),
                np.stack([av, av], axis=1), np.concatenate([vv, wv, vv])]
        for g, e in zip(f(*values), want):
            assert_same(g, e)

    check()


@pytest.mark.parametrize("d1", ALL_DTYPES)
@pytest.mark.parametrize("d2", ALL_DTYPES)
def test_join_dtype_promotion(d1, d2):
    x, y = at.tensor(d1, shape=(None,)), at.tensor(d2, shape=(None,))
    want = np.concatenate([np.ones(1, d1), np.ones(1, d2)]).dtype
    out = at.concatenate([x, y])
    assert out.dtype == want
    got = out.eval({x: np.ones(2, d1), y: np.zeros(1, d2)})
    assert got.dtype == want and got.tolist() == [1, 1, 0]
    assert at.stack([x, y]).dtype == np.stack([np.ones(1, d1), np.ones(1, d2)]).dtype


def test_join_types_and_errors(mode):
    a = at.tensor("float64", shape=(2, 3))
    b = at.tensor("float64", shape=(None, 3))
    assert at.concatenate([a, a]).type.shape == (4, 3)
    assert at.concatenate([a, b]).type.shape == (None, 3)
    assert at.concatenate([a, a], axis=1).type.shape == (2, 6)
    assert at.stack([a, a], axis=-1).type.shape == (2, 3, 2)
    with pytest.raises(ValueError):
        at.concatenate([a, at.tensor("float64", shape=(2, 4))])
    with pytest.raises(ValueError):
        at.concatenate([a, at.dvector()])
    with pytest.raises(ValueError):
        at.concatenate([a, a], axis=2)
    with pytest.raises(ValueError):
        at.concatenate([])
    with pytest.raises(ValueError):
        at.concatenate([at.dscalar(), at.dscalar()])
    with pytest.raises(ValueError):
        at.stack([a, at.tensor("float64", shape=(3, 3))])
    with pytest.raises(ValueError):
        at.stack([a, a], axis=3)
    assert Join(0) == Join(0) and hash(Join(0)) == hash(Join(0)) and Join(0) != Join(1)
    x, y = at.dmatrix("x"), at.dmatrix("y")
    f = ac.function([x, y], at.concatenate([x, y]), mode=mode)
    with pytest.raises(ValueError):
        f(np.ones((2, 3)), np.ones((2, 4)))


# -- cast ------------------------------------------------------------------------------------

def test_cast(mode):
    x, i = at.dvector("x"), at.lvector("i")
    targets = ("bool", "int32", "int64", "float32", "float64", "int8", "uint8")
    outs = [at.cast(x, d) for d in targets] + [at.cast(i, d) for d in targets]
    assert [o.dtype for o in outs] == list(targets) * 2
    f = ac.function([x, i], outs, mode=mode)
    xv = np.array([0.0, -0.0, 1.5, -1.5, 2.7, -2.7, 100.0, 127.9, 255.0])
    iv = np.array([0, 1, -1, 255, 256, -129, 2**31 - 1, 2**31, 7])
    with np.errstate(all="ignore"):
        want = [xv.astype(d) for d in targets] + [iv.astype(d) for d in targets]
    got = f(xv, iv)
    for k, (g, e) in enumerate(zip(got, want)):
        assert g.dtype == e.dtype and g.shape == e.shape
        if k < len(targets) and e.dtype.kind in "iu":
            # A float out of an int's range converts to anything (undefined in C too).
            info = np.iinfo(e.dtype)
            ok = (xv > info.min - 1) & (xv < info.max + 1)
            np.testing.assert_array_equal(g[ok], e[ok])
        else:
            np.testing.assert_array_equal(g, e)


def test_cast_identity_and_methods():
    x = at.dvector("x")
    assert at.cast(x, "float64") is x
    assert x.astype("float32").dtype == "float32"
    with pytest.raises(TypeError):
        at.cast(x, "complex128")
    with pytest.raises(TypeError):
        at.cast(x, "not a dtype")


@pytest.mark.parametrize("dtype", PROMOTION_DTYPES)
def test_cast_between_all_dtypes(dtype):
    x = at.dvector("x")
    xv = np.array([0.0, 1.0, 3.75, 100.0])
    got = at.cast(x, dtype).eval({x: xv})
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, xv.astype(dtype))


# -- shape -----------------------------------------------------------------------------------

def test_shape_is_symbolic_or_constant(mode):
    x = at.tensor("float64", shape=(None, 3))
    s = x.shape
    assert s.dtype == "int64" and s.ndim == 1 and s.type.shape == (2,)
    np.testing.assert_array_equal(s.eval({x: np.zeros((5, 3))}), [5, 3])
    assert x.shape[1].eval({x: np.zeros((5, 3))}) == 3
    known = at.tensor("float64", shape=(2, 3)).shape
    np.testing.assert_array_equal(known.eval(), [2, 3])
    f = ac.function([x], [x.shape, x.shape[0] * 2], mode=mode)
    shp, twice = f(np.zeros((4, 3)))
    np.testing.assert_array_equal(shp, [4, 3])
    assert twice == 8
