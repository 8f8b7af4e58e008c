"""round isfinite tile repeat diag trace tensordot einsum split vstack hstack (and the
existing stack concatenate outer clip) against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at
from tests.conftest import MODES

#: Builders taking the module (``at`` or ``np``) and a matrix ``x``, vector ``v``, 3-d ``t``.
CASES = {
    "round": lambda m, x, v, t: m.round(x * 7.5), "round1": lambda m, x, v, t: m.round(x * 100, 1),
    "round-1": lambda m, x, v, t: m.round(x * 100, -1),
    "isfinite": lambda m, x, v, t: m.isfinite(x / v[:1]),
    "isfinite_x": lambda m, x, v, t: m.isfinite(x), "tile": lambda m, x, v, t: m.tile(x, 2),
    "tile3": lambda m, x, v, t: m.tile(v, (2, 1, 3)),
    "tile_t": lambda m, x, v, t: m.tile(t, (2, 1)),
    "repeat": lambda m, x, v, t: m.repeat(x, 2),
    "repeat-1": lambda m, x, v, t: m.repeat(x, 3, axis=-1),
    "repeat_list": lambda m, x, v, t: m.repeat(x, [1, 0, 2], axis=0),
    "diag": lambda m, x, v, t: m.diag(x), "diag1": lambda m, x, v, t: m.diag(x, 1),
    "diag-2": lambda m, x, v, t: m.diag(x, -2), "diag_v": lambda m, x, v, t: m.diag(v),
    "diag_v-1": lambda m, x, v, t: m.diag(v, -1), "trace": lambda m, x, v, t: m.trace(x),
    "trace_t": lambda m, x, v, t: m.trace(t, 1, 1, 2),
    "diagonal": lambda m, x, v, t: m.diagonal(t, 0, 0, 2),
    "tensordot2": lambda m, x, v, t: m.tensordot(t, x, [[1, 2], [0, 1]]),
    "tensordot1": lambda m, x, v, t: m.tensordot(x, v, 1),
    "tensordot0": lambda m, x, v, t: m.tensordot(x, x, 0),
    "tensordot3": lambda m, x, v, t: m.tensordot(t, t, 3),
    "tensordot_pair": lambda m, x, v, t: m.tensordot(t, x, axes=([1], [0])),
    "einsum_mm": lambda m, x, v, t: m.einsum("ij,jk->ik", x, x.T),
    "einsum_trace": lambda m, x, v, t: m.einsum("ii", x[:, :3]),
    "einsum_batch": lambda m, x, v, t: m.einsum("bij,j->bi", t, v),
    "einsum_ell": lambda m, x, v, t: m.einsum("...j,j", t, v),
    "einsum_outer": lambda m, x, v, t: m.einsum("i,j->ij", v, v),
    "einsum_t": lambda m, x, v, t: m.einsum("ji", x),
    **{f"split{k}": lambda m, x, v, t, k=k: m.split(x, 2, axis=1)[k] for k in range(2)},
    **{f"split_at{k}": lambda m, x, v, t, k=k: m.split(t, [1, 3], axis=2)[k] for k in range(3)},
    "vstack": lambda m, x, v, t: m.vstack([v, v * 2]),
    "vstack2": lambda m, x, v, t: m.vstack([x, x]), "hstack": lambda m, x, v, t: m.hstack([x, x]),
    "hstack1": lambda m, x, v, t: m.hstack([v, v]),
    "stack": lambda m, x, v, t: m.stack([x, x], axis=-1),
    "concatenate": lambda m, x, v, t: m.concatenate([x, x], 1),
    "outer": lambda m, x, v, t: m.outer(v, x), "clip": lambda m, x, v, t: m.clip(x, -0.5, v[:1]),
}
#: The cases the compiled mode runs too, one per op (each compiled module costs seconds to
#: build; the other cases run the very same ``perform`` as the NumPy mode).
COMPILED = {"isfinite_x", "tile_t", "repeat_list", "diag1", "diag_v-1", "diagonal",
            "einsum_batch", "split0", "split1", "split_at2", "hstack"}


@pytest.fixture(scope="module", params=MODES)
def compiled(request):
    x, v, t = at.dmatrix("x"), at.dvector("v"), at.dtensor3("t")
    names = [n for n in CASES if request.param == "numpy" or n in COMPILED]
    f = ac.function([x, v, t], [CASES[n](at, x, v, t) for n in names], mode=request.param)
    return lambda *args: dict(zip(names, f(*args)))


@settings(max_examples=15)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.0, np.inf, np.nan]))
def _check(compiled, seed, special):
    rng = np.random.default_rng(seed)
    xv = rng.standard_normal((3, 4))
    xv[0, 0] = special or xv[0, 0]
    vv = rng.standard_normal(4)
    vv[0] = 0.0 if special == 0.0 else vv[0]
    tv = rng.standard_normal((2, 3, 4))
    with np.errstate(all="ignore"):
        gots = compiled(xv, vv, tv)
        for name, got in gots.items():
            want = np.asarray(CASES[name](np, xv, vv, tv))
            assert got.shape == want.shape and got.dtype == want.dtype, name
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)


def test_against_numpy(compiled):
    _check(compiled)


def test_round_halves_to_even_and_integers():
    x = at.dvector("x")
    vals = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, 1.25, 2.675])
    np.testing.assert_array_equal(at.round(x).eval({x: vals}), np.round(vals))
    np.testing.assert_array_equal(at.round(x, 2).eval({x: vals}), np.round(vals, 2))
    i = at.lvector("i")
    iv = np.array([1234, -1250, 1350])
    np.testing.assert_array_equal(at.round(i, -2).eval({i: iv}), np.round(iv, -2))
    assert at.round(i).dtype == "int64" and at.isfinite(i).dtype == "bool"


def test_static_shapes():
    x = at.tensor("float64", shape=(3, 4))
    assert at.tile(x, (2, 1, 3)).type.shape == (2, 3, 12)
    assert at.repeat(x, 2, axis=1).type.shape == (3, 8)
    assert at.repeat(x, [1, 0, 2], axis=0).type.shape == (3, 4)
    assert at.diag(x, 1).type.shape == (3,) and at.diag(x, -5).type.shape == (0,)
    assert at.diag(at.tensor("float64", shape=(3,)), 2).type.shape == (5, 5)
    assert at.tensordot(x, x, [[0], [0]]).type.shape == (4, 4)
    assert at.einsum("ij,jk", x, x.T).type.shape == (3, 3)
    assert [p.type.shape for p in at.split(x, 2, axis=1)] == [(3, 2), (3, 2)]
    assert at.tile(x, 1) is x


def test_bad_arguments():
    x = at.tensor("float64", shape=(3, 4), name="x")
    with pytest.raises(ValueError, match="negative"):
        at.tile(x, -1)
    with pytest.raises(ValueError, match="negative"):
        at.repeat(x, [-1, 1, 1], axis=0)
    with pytest.raises(ValueError, match="repeats"):
        at.repeat(x, [1, 2], axis=0)
    with pytest.raises(TypeError, match="repeats"):
        at.repeat(x, at.dvector())
    with pytest.raises(ValueError, match="2-dimensional"):
        at.diag(at.dtensor3())
    with pytest.raises(ValueError, match="shape mismatch"):
        at.tensordot(x, x, [[0], [1]])
    with pytest.raises(ValueError, match="equal parts"):
        at.split(x, 3, axis=1)
    with pytest.raises(ValueError, match="operand"):
        at.einsum("ij,j", x)
    with pytest.raises(ValueError, match="dimension"):
        at.einsum("ijk", x)
    with pytest.raises(ValueError, match="lengths"):
        at.einsum("ij,ij", x, at.tensor("float64", shape=(3, 5)))
    with pytest.raises(ValueError, match="does not appear"):
        at.einsum("ij->k", x)
    y = at.dmatrix("y")
    r = at.lvector("r")
    f = ac.function([y, r], [at.split(y, 2, axis=0)[0], at.repeat(y, r, axis=0)], mode="numpy")
    with pytest.raises(ValueError, match="equal parts"):
        f(np.ones((3, 2)), np.ones(3, dtype="int64"))
    with pytest.raises(ValueError, match="repeat"):
        f(np.ones((4, 2)), np.ones(3, dtype="int64"))


def test_gradients():
    rng = np.random.default_rng(9)
    xv, vv, tv = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 3, 4))
    checks = [
        (lambda x: at.tile(x, (2, 1, 3)), [xv]), (lambda x: at.repeat(x, 2), [xv]),
        (lambda x: at.repeat(x, [1, 0, 3], axis=0), [xv]), (lambda x: at.diag(x, 1), [xv]),
        (lambda v: at.diag(v, -1), [vv]), (lambda x: at.trace(x) * x, [xv]),
        (lambda t: at.trace(t, 1, 1, 2), [tv]), (lambda t: at.diagonal(t, 0, 0, 2), [tv]),
        (lambda t, x: at.tensordot(t, x, [[1, 2], [0, 1]]), [tv, xv]),
        (lambda t, x: at.tensordot(t, x, axes=([1], [0])), [tv, xv]),
        (lambda x: at.stack(at.split(x, 2, axis=1)) ** 2, [xv]),
        (lambda x: at.split(x, 2, axis=1)[1] ** 2, [xv]),
        (lambda t: at.split(t, [1, 3], axis=2)[2] * 3.0, [tv]),
        (lambda x, v: at.vstack([x, v]) ** 2, [xv, vv]), (lambda x: at.hstack([x, x * 2]), [xv]),
        (lambda x: at.round(x) + x, [xv]),
    ]
    for sub, ops in [("ij,jk->ik", [xv, xv.T]), ("ii->", [xv[:, :3]]), ("ii->i", [xv[:, :3]]),
                     ("ij->j", [xv]), ("bij,j->bi", [tv, vv]), ("...j,j", [tv, vv]),
                     ("iij->j", [tv[:, :2, :]]), ("ij,ij->ij", [xv[:1], xv]),
                     ("ij,jk,k->i", [xv, xv.T, vv[:3]])]:
        # C-ordered copies: xv.T is a view of xv, and verify_grad's finite differences
        # perturb a C-order flattening of each input.
        checks.append((lambda *a, s=sub: at.einsum(s, *a), [np.ascontiguousarray(o) for o in ops]))
    for fn, inputs in checks:
        ac.verify_grad(fn, inputs, rng=rng)


def test_forward_mode():
    x, t = at.dmatrix("x"), at.dmatrix("t")
    xv = np.arange(12.0).reshape(3, 4)
    tv = np.ones((3, 4))
    for fn, linear_in_x in [(lambda v: at.einsum("ij,ij->i", v, v), False),
                            (lambda v: at.tile(v, 2), True), (lambda v: at.repeat(v, 2), True),
                            (lambda v: at.diag(v), True)]:
        (jv,) = ac.jvp([fn(x)], [x], [t])
        if linear_in_x:
            np.testing.assert_allclose(jv.eval({x: xv, t: tv}), fn(x).eval({x: tv}))
        else:
            np.testing.assert_allclose(jv.eval({x: xv, t: tv}), 2 * xv.sum(1))


def test_printing():
    x = at.dmatrix("x")
    assert ac.pprint(at.tile(x, (2, 1))) == "tile(x, (2, 1))"
    assert ac.pprint(at.repeat(x, 2, axis=1)) == "repeat(x, 2, axis=1)"
    assert ac.pprint(at.einsum("ij,jk", x, x)) == "einsum('ij,jk->ik', x, x)"
    assert ac.pprint(at.diag(x, 1)) == "diagonal(x, 1)"
    assert ac.pprint(at.isfinite(x)) == "isfinite(x)"
    assert ac.pprint(at.round(x, 2)) == "round(x, decimals=2)"
