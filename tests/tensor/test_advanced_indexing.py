"""Advanced indexing (integer arrays, boolean masks), its scatters and ``take`` against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.tensor.advanced import AdvancedIncSubtensor, AdvancedSubtensor
from tests.conftest import MODES

E = Ellipsis
XV = np.arange(60.0).reshape(3, 4, 5)
IV = np.array([2, 0, 2, -1])  # repeated and negative entries
JV = np.array([[1, 2], [0, 0]])
MV = np.array([True, False, True])
M2 = XV[..., 0] % 3 == 0  # a (3, 4) mask
VV = np.arange(5.0)


def _cases(x, i, j, m, m2):
    """Index expressions on a (3, 4, 5) input, built from symbolic index arrays."""
    return [
        (i,), (slice(None), i), (E, i), (i, slice(1, 3)), (j,), (slice(None), j, 0),
        (i, 0), (0, slice(None), i),  # non-adjacent advanced entries go first
        (i, i), (j, slice(None), j[:, :1]), (None, i, None), (slice(None), i, None, 1),
        (m,), (m, 1), (slice(None, None, -1), slice(None), i[:2]), (m2,), (m2, slice(0, 2)),
        (slice(None), m2[0], i[:1]),
        ([0, 2],), (slice(None), [True, False, True, True]), (1, [0, 1], [2, 3]),
    ]


def _scatter_pairs(i, m):
    return [((i,), (IV,)), ((slice(None), i), (slice(None), IV)),
            ((i, 1, slice(2, None)), (IV, 1, slice(2, None))), ((m,), (MV,)),
            ((m, i[:2]), (MV, IV[:2])), ((1, [0, 0, 3]), (1, [0, 0, 3])),
            ((i, None, [1, 1, 2, 2]), (IV, None, [1, 1, 2, 2]))]


TAKES = [(None,), (1,), (-1,)]


def _outputs(x, i, j, m, m2, y, v) -> dict:
    """Every gather, scatter and take of this module by name."""
    outs = {f"gather{k}": x[index] for k, index in enumerate(_cases(x, i, j, m, m2))}
    for k, (sym, _) in enumerate(_scatter_pairs(i, m)):
        outs[f"inc{k}"] = at.inc_subtensor(x[sym], y)
        outs[f"set{k}"] = at.set_subtensor(x[sym], y)
        outs[f"inc_self{k}"] = at.inc_subtensor(x[sym], x[sym] * 2.0)
    for k, (a,) in enumerate(TAKES):
        outs[f"take{k}"] = at.take(x, j, axis=a)
    outs["take_const"] = at.take(x, [1, 0])
    outs["take_scalar"] = at.take(x, 2, axis=2)
    outs["grad"] = ac.grad(at.sum(x[i] * 3.0), x)
    # Row scatters the compiled mode runs as C kernels: into an intermediate that dies
    # there (updated in place), float32, an int32 index, broadcast values (v has 5
    # elements in good calls).
    outs["row_donor"] = at.inc_subtensor((x * 2.0)[i], x[0])
    outs["row_f32"] = at.inc_subtensor(at.cast(x, "float32")[i], at.cast(y, "float32"))
    outs["row_set_int32"] = at.set_subtensor(x[j], y * 3.0)
    outs["row_bcast"] = at.inc_subtensor(x[i[:3]], x[:, 0:1, :])
    outs["row_v"] = at.inc_subtensor(x[i], v)
    # j's size must match len(i) at run time.
    outs["set_len"] = at.set_subtensor(x[i, 0, 0], at.cast(j.flatten(), "float64"))
    return outs


def _expected() -> dict:
    want = {f"gather{k}": XV[index] for k, index in enumerate(_cases(XV, IV, JV, MV, M2))}
    for k, (_, num) in enumerate(_scatter_pairs(IV, MV)):
        inc, sett, inc2 = (XV.copy() for _ in range(3))
        np.add.at(inc, num, 1.5)
        sett[num] = 1.5
        np.add.at(inc2, num, XV[num] * 2.0)
        want.update({f"inc{k}": inc, f"set{k}": sett, f"inc_self{k}": inc2})
    for k, (a,) in enumerate(TAKES):
        want[f"take{k}"] = np.take(XV, JV, axis=a)
    want["take_const"] = np.take(XV, [1, 0])
    want["take_scalar"] = np.take(XV, 2, axis=2)
    want["grad"] = np.zeros_like(XV)
    np.add.at(want["grad"], IV, 3.0)
    rows = [XV * 2.0, XV.astype("float32"), XV.copy(), XV.copy(), XV.copy(), XV.copy()]
    np.add.at(rows[0], IV, XV[0])
    np.add.at(rows[1], IV, np.float32(1.5))
    rows[2][JV] = 4.5
    np.add.at(rows[3], IV[:3], XV[:, 0:1, :])
    np.add.at(rows[4], IV, VV)
    rows[5][IV, 0, 0] = JV.ravel()
    want.update(zip(["row_donor", "row_f32", "row_set_int32", "row_bcast", "row_v", "set_len"],
                    rows))
    return want


#: What the compiled mode checks: the row kernels and a few ``perform`` paths (masks,
#: mixed and non-adjacent indices, takes).  Each compiled module costs seconds to
#: build; the other cases run the very same ``perform`` as the NumPy mode.
COMPILED = {"gather0", "gather4", "gather7", "gather12", "gather15", "inc0", "set0", "inc3",
            "take_scalar", "grad", "row_donor", "row_f32", "row_set_int32", "row_v", "set_len"}


@pytest.fixture(scope="module", params=MODES)
def compiled(request):
    """``run(x=XV, **changes) -> {name: value}`` for one function per mode."""
    x = at.dtensor3("x")
    i, j = at.lvector("i"), at.imatrix("j")
    m, m2 = at.bvector("m"), at.bmatrix("m2")
    y, v = at.dscalar("y"), at.dvector("v")
    outs = _outputs(x, i, j, m, m2, y, v)
    if request.param == "cython":
        outs = {k: e for k, e in outs.items() if k in COMPILED}
    f = ac.function([x, i, j, m, m2, y, v], list(outs.values()), mode=request.param)

    def run(**changes):
        args = dict(x=XV, i=IV, j=JV, m=MV, m2=M2, y=1.5, v=VV)
        args.update(changes)
        return dict(zip(outs, f(*args.values())))

    run.outs = outs
    return run


def test_gather_matches_numpy(compiled):
    got, want = compiled(), _expected()
    for name, value in got.items():
        if name.startswith("gather"):
            out = compiled.outs[name]
            np.testing.assert_array_equal(value, want[name], err_msg=name)
            assert value.dtype == want[name].dtype
            assert len(out.type.shape) == want[name].ndim
            assert all(s is None or s == w for s, w in zip(out.type.shape, want[name].shape))


@st.composite
def _advanced_index(draw):
    """A shape and a random mixed index (arrays, masks, ints, slices, None, ...)."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
    entries: list = []
    axis = 0
    used_ellipsis = False
    while axis < len(shape):
        kind = draw(st.sampled_from(["array", "array", "mask", "int", "slice", "none",
                                     "ellipsis", "stop"]))
        n = shape[axis]
        if kind == "array":
            entries.append(np.array(draw(st.lists(st.integers(-n, n - 1), max_size=4))))
        elif kind == "mask":
            entries.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
        elif kind == "int":
            entries.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            entries.append(slice(draw(st.none() | st.integers(-n, n)),
                                 draw(st.none() | st.integers(-n, n)),
                                 draw(st.sampled_from([None, 1, 2, -1]))))
        elif kind == "none":
            entries.append(None)
            continue
        elif kind == "ellipsis" and not used_ellipsis:
            used_ellipsis = True
            entries.append(E)
            break
        else:
            break
        axis += 1
    if not any(isinstance(e, np.ndarray) for e in entries):
        entries.insert(0, np.array(draw(st.lists(st.integers(-shape[0], shape[0] - 1),
                                                  max_size=3)), dtype="int64"))
        if entries[1:] and not isinstance(entries[1], type(None)):
            entries = entries[:1] + [e for e in entries[1:] if e is None or e is E]
    return shape, tuple(entries)


@settings(max_examples=40)
@given(_advanced_index())
def test_random_advanced_indices_numpy_vm(case):
    """Random mixed indices: static shape agrees with NumPy's result, values equal."""
    shape, index = case
    value = np.arange(float(np.prod(shape))).reshape(shape)
    try:
        want = value[index]
    except IndexError:
        with pytest.raises(IndexError):
            at.constant(value)[index]
        return
    x = at.tensor("float64", shape=(None,) * len(shape), name="x")
    known = at.tensor("float64", shape=shape, name="k")
    sym_index = tuple(at.constant(e) if isinstance(e, np.ndarray) else e for e in index)
    for var in (x, known):
        out = var[sym_index]
        assert out.ndim == want.ndim
        assert all(s is None or s == w for s, w in zip(out.type.shape, want.shape))
        got = out.eval({var: value})
        np.testing.assert_array_equal(got, want)


def test_scatter_every_index_kind(compiled):
    """inc accumulates over repeated indices (np.add.at), set writes; the input is kept."""
    xv = XV.copy()
    got, want = compiled(x=xv), _expected()
    checked = 0
    for name, value in got.items():
        if not name.startswith(("gather", "take", "grad")):
            assert value.dtype == want[name].dtype, name
            np.testing.assert_array_equal(value, want[name], err_msg=name)
            checked += 1
    assert checked >= 8
    np.testing.assert_array_equal(xv, XV)


def test_gradients_of_gather_and_scatter():
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((4, 3))
    iv = np.array([0, 3, 3, 1, 0])

    ac.verify_grad(lambda x: x[iv] ** 2, [xv], rng=rng)
    ac.verify_grad(lambda x: x[:, [2, 2, 0]] * x[:, [0, 1, 1]], [xv], rng=rng)
    ac.verify_grad(lambda x: at.exp(x[xv > 0]), [xv], rng=rng)
    ac.verify_grad(lambda x, y: at.inc_subtensor(x[iv], y), [xv, rng.standard_normal((5, 3))],
                   rng=rng)
    ac.verify_grad(lambda x, y: at.inc_subtensor(x[iv, 1], y), [xv, rng.standard_normal(())],
                   rng=rng)
    ac.verify_grad(lambda x, y: at.set_subtensor(x[[2, 0], 1:], y) * x,
                   [xv, rng.standard_normal((2, 2))], rng=rng)
    ac.verify_grad(lambda x, y: at.set_subtensor(x[xv < 0], y), [xv, rng.standard_normal(())],
                   rng=rng)


def test_row_gathers_and_scatters_are_kernels():
    from aesara_cas.compile.cython.lower import classify

    x, i = at.dmatrix("x"), at.ivector("i")
    assert classify(x[i].owner) == "index"
    assert classify(at.inc_subtensor(x[i], 1.0).owner) == "index"
    assert classify(at.set_subtensor(x[i], x[:2]).owner) == "index"
    assert classify(x[:, i].owner) == "perform"
    assert classify(at.inc_subtensor(x[i], at.fscalar()).owner) == "perform"


def test_gather_gradient_is_a_scatter_add(compiled):
    assert isinstance(compiled.outs["grad"].owner.op, AdvancedIncSubtensor)
    np.testing.assert_array_equal(compiled()["grad"], _expected()["grad"])


def test_forward_mode():
    x = at.dvector("x")
    t = at.dvector("t")
    (jv,) = ac.jvp([x[[2, 0, 0]] ** 2], [x], [t])
    xv, tv = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(jv.eval({x: xv, t: tv}), 2 * xv[[2, 0, 0]] * tv[[2, 0, 0]])
    (jv2,) = ac.jvp([at.inc_subtensor(x[[1, 1]], x[:2])], [x], [t])
    want = tv.copy()
    np.add.at(want, [1, 1], tv[:2])
    np.testing.assert_allclose(jv2.eval({x: xv, t: tv}), want)


def test_take_matches_numpy(compiled):
    got, want = compiled(), _expected()
    names = [n for n in got if n.startswith("take")]
    assert names
    for name in names:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    a = at.dtensor3("a")
    with pytest.raises(ValueError, match="axis"):
        at.take(a, [0], axis=3)
    with pytest.raises(IndexError, match="integer"):
        at.take(a, [0.5])


def test_bad_indices_at_build_time():
    x = at.tensor("float64", shape=(3, 4), name="x")
    with pytest.raises(IndexError, match="out of bounds"):
        x[[0, 3]]
    with pytest.raises(IndexError, match="out of bounds"):
        x[:, [-5]]
    with pytest.raises(IndexError, match="boolean index did not match"):
        x[np.array([True, False])]
    with pytest.raises(IndexError, match="integer or boolean"):
        x[np.array([0.0, 1.0])]
    with pytest.raises(IndexError, match="integer or boolean"):
        x[at.dvector("f")]
    with pytest.raises(IndexError, match="shape mismatch"):
        x[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError, match="too many"):
        x[[0], [0], [0]]
    with pytest.raises(ValueError, match="cannot assign"):
        at.set_subtensor(x[[0, 1]], at.dtensor3())
    with pytest.raises(ValueError, match="broadcast"):
        at.set_subtensor(x[[0, 1]], np.ones(3))
    with pytest.raises(TypeError, match="cannot add"):
        at.inc_subtensor(at.lvector()[[0]], 0.5)
    with pytest.raises(TypeError, match="indexed variable"):
        at.set_subtensor(x, 1.0)


def test_bad_indices_at_run_time(compiled):
    """Out-of-bounds indices, masks of the wrong shape and float index arrays raise
    cleanly (the compiled mode runs the row kernels and other ops' perform)."""
    with pytest.raises(IndexError, match="out of bounds"):
        compiled(i=np.array([0, 3, 1, 1]))
    with pytest.raises(IndexError, match="out of bounds"):
        compiled(i=np.array([-4, 0, 1, 1]))
    with pytest.raises(IndexError, match="out of bounds"):
        compiled(j=np.array([[0, 5], [0, 0]], dtype="int32"))
    with pytest.raises(IndexError, match="boolean index"):
        compiled(m=np.array([True, False]))
    with pytest.raises(IndexError, match="boolean index"):
        compiled(m2=np.ones((3, 5), dtype=bool))
    with pytest.raises((TypeError, ValueError), match="i"):
        compiled(i=np.array([0.5, 1.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="set_subtensor"):
        compiled(j=np.array([[0, 1]], dtype="int32"))
    with pytest.raises(ValueError, match="inc_subtensor"):
        compiled(v=np.ones(4))  # does not broadcast to x[i]'s rows of 5
    compiled()  # still usable afterwards


def test_printing_and_props():
    x = at.dmatrix("x")
    i = at.lvector("i")
    assert ac.pprint(x[i, 1:]) == "x[i, 1:]"
    assert ac.pprint(x[None, :, i]) == "x[None, :, i]"
    assert "inc_subtensor" in ac.pprint(at.inc_subtensor(x[i], 1.0))
    assert x[i].owner.op == x[i].owner.op
    assert x[i].owner.op != x[:, i].owner.op
    assert isinstance(x[i].owner.op, AdvancedSubtensor)
    assert str(x[i, 0].owner.op) == "getitem[?, 0]"
