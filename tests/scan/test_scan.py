"""scan and map against NumPy loops, in both modes; gradients; bad input."""

import sys
import tracemalloc

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.scan import Scan


def _python_recurrence(a, u, x0):
    out = np.empty_like(u)
    x = x0
    for t in range(len(u)):
        x = a * x + u[t]
        out[t] = x
    return out


def test_scan_matches_numpy(mode, rng):
    x = at.dvector("x")
    a = at.dscalar("a")
    W = at.dmatrix("W")
    h0 = at.dvector("h0")
    X = at.dmatrix("X")
    c = at.dvector("c")
    cums, _ = ac.scan(lambda v, acc: acc + v, sequences=x, outputs_info=at.constant(0.0))
    powers, _ = ac.scan(lambda p, b: p * b, outputs_info=at.constant(1.0), non_sequences=a,
                        n_steps=8)
    series = at.sum(powers / np.arange(1.0, 9.0))
    # Vectors: element-wise steps over rows (one native loop in the compiled mode).
    (decayed, rows), _ = ac.scan(lambda r, prev, w: (prev * 0.5 + r, r * r * w + 1.0),
                                 sequences=X, outputs_info=[at.zeros((X.shape[1],)), None],
                                 non_sequences=c)
    # A matrix product in the step: compiled once, called per step in the compiled mode.
    hs, _ = ac.scan(lambda h, w: at.tanh(at.dot(w, h)), outputs_info=h0, non_sequences=W,
                    n_steps=5)
    f = ac.function([x, a, W, h0, X, c], [cums, series, rows, hs, decayed], mode=mode)
    xv = rng.normal(size=1000)
    Xv = rng.normal(size=(6, 4))
    cv = np.array([1.0, 2.0, 3.0, 4.0])
    Wv = np.array([[0.5, -0.2], [0.1, 0.3]])
    res = f(xv, 0.9, Wv, np.array([1.0, -1.0]), Xv, cv)
    np.testing.assert_allclose(res[0], np.cumsum(xv), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(res[1], sum(0.9 ** k / k for k in range(1, 9)), rtol=1e-13)
    np.testing.assert_array_equal(res[2], Xv * Xv * cv + 1.0)
    h, ref = np.array([1.0, -1.0]), []
    for _ in range(5):
        h = np.tanh(Wv @ h)
        ref.append(h)
    np.testing.assert_allclose(res[3], ref, rtol=1e-12)
    prev, ref = np.zeros(4), []
    for r in Xv:
        prev = prev * 0.5 + r
        ref.append(prev)
    np.testing.assert_allclose(res[4], ref, rtol=1e-14)
    # Strided views are read in place; vectors of different lengths broadcast.
    res = f(xv[::-3], 0.9, Wv, np.array([1.0, -1.0]), Xv[::-2, ::2], cv[:1])
    np.testing.assert_allclose(res[0], np.cumsum(xv[::-3]), rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(res[2], Xv[::-2, ::2] ** 2 * cv[:1] + 1.0)
    # Empty sequence: zero steps, outputs of length 0.
    empty = f(np.zeros(0), 0.9, Wv, np.array([1.0, -1.0]), np.zeros((0, 4)), cv)
    assert empty[0].shape == (0,) and empty[2].shape[0] == 0


def test_recurrence_and_several_outputs(rng):
    x = at.dvector("x")
    a = at.dscalar("a")
    x0 = at.dscalar("x0")
    rec, _ = ac.scan(lambda u, prev: a * prev + u, sequences=x, outputs_info=x0)
    (halves, ratio), _ = ac.scan(lambda prev: (prev * 0.5 + 1.0, prev / 2.0),
                                 outputs_info=[at.constant(3.0), None], n_steps=4)
    f = ac.function([x, a, x0], [rec, halves, ratio], mode="numpy")
    xv = rng.normal(size=1000)
    res = f(xv, 0.9, 0.5)
    np.testing.assert_allclose(res[0], _python_recurrence(0.9, xv, 0.5), rtol=1e-12)
    ref, prev = [], 3.0
    for _ in range(4):
        ref.append((prev * 0.5 + 1.0, prev / 2.0))
        prev = prev * 0.5 + 1.0
    np.testing.assert_allclose(res[1], [r[0] for r in ref])
    np.testing.assert_allclose(res[2], [r[1] for r in ref])


def test_scan_gradients_verify_grad():
    def recurrence(a, u, x0):
        out, _ = ac.scan(lambda ut, prev, c: c * prev + ut, sequences=u, outputs_info=x0,
                         non_sequences=a)
        return out

    ac.verify_grad(recurrence, [np.array(0.8), np.array([0.3, -1.0, 2.0, 0.5]),
                                np.array(1.5)], rng=0)

    def rnn(W, xs, h0):
        hs, _ = ac.scan(lambda x, h: at.tanh(at.dot(W, h) + x), sequences=xs,
                        outputs_info=h0)
        return hs.sum() + (hs[-1] ** 2).sum()

    ac.verify_grad(rnn, [np.array([[0.5, -0.2], [0.1, 0.3]]),
                         np.array([[0.1, 0.2], [-0.3, 0.4], [0.5, 0.0]]),
                         np.array([0.2, -0.1])], rng=0)

    def two_outputs(x):
        (s, y), _ = ac.scan(lambda v, acc: (acc * v, at.sin(acc) + v), sequences=x,
                            outputs_info=[at.constant(1.0), None])
        return s + y

    ac.verify_grad(two_outputs, [np.array([0.5, 1.2, -0.7])], rng=0)


def test_second_derivatives():
    def cost(a, u):
        out, _ = ac.scan(lambda ut, prev: a * prev + ut, sequences=u,
                         outputs_info=at.constant(0.5))
        return (out ** 2).sum()

    ac.verify_grad(lambda a, u: ac.grad(cost(a, u), a),
                   [np.array(0.8), np.array([0.3, -1.0, 2.0])], rng=0)


def test_gradient_in_compiled_mode_matches_numpy(mode, rng):
    a = at.dscalar("a")
    u = at.dvector("u")
    out, _ = ac.scan(lambda ut, prev: a * prev + ut, sequences=u, outputs_info=at.constant(0.0))
    cost = at.sum(out ** 2)
    # Vectors: the backward loop sums over the elements for the scalar `a`.
    U, w, x0 = at.dmatrix("U"), at.dvector("w"), at.dvector("x0")
    vs, _ = ac.scan(lambda ut, prev: a * prev * w + ut, sequences=U, outputs_info=x0)
    vcost = at.sum(vs ** 2)
    g = ac.grad(cost, [a, u]) + ac.grad(vcost, [a, U, w, x0])
    f = ac.function([a, u, U, w, x0], g, mode=mode)
    uv = np.linspace(-1, 1, 50)
    Uv, wv, x0v = rng.normal(size=(30, 3)), rng.uniform(0.5, 1.0, 3), rng.normal(size=3)
    ga, gu, *vgrads = f(0.95, uv, Uv, wv, x0v)
    eps = 1e-6
    num = (_cost(0.95 + eps, uv) - _cost(0.95 - eps, uv)) / (2 * eps)
    np.testing.assert_allclose(ga, num, rtol=1e-6)
    # d cost / d u_t = sum_{s >= t} 2 x_s a^(s-t), by a reverse loop.
    xs = _python_recurrence(0.95, uv, 0.0)
    lam, ref = 0.0, np.empty_like(uv)
    for t in range(len(uv) - 1, -1, -1):
        lam = 2 * xs[t] + 0.95 * lam
        ref[t] = lam
    np.testing.assert_allclose(gu, ref, rtol=1e-12)
    want = ac.function([a, U, w, x0], ac.grad(vcost, [a, U, w, x0]), mode="numpy")(
        0.95, Uv, wv, x0v)
    for got, exp in zip(vgrads, want):
        np.testing.assert_allclose(got, exp, rtol=1e-12)


def _cost(a, u):
    return float(np.sum(_python_recurrence(a, u, 0.0) ** 2))


def test_hundred_thousand_steps_no_recursion_or_growth():
    x = at.dscalar("x")
    n = at.lscalar("n")
    out, _ = ac.scan(lambda prev: prev + 1.0, outputs_info=x, n_steps=n)
    f = ac.function([x, n], out[-1], mode="numpy")
    limit = sys.getrecursionlimit()
    assert f(0.0, 100_000) == 100_000.0
    assert sys.getrecursionlimit() == limit
    tracemalloc.start()
    try:
        f(1.0, 2000)
        first = tracemalloc.get_traced_memory()[0]
        f(2.0, 2000)
        f(3.0, 2000)
        assert tracemalloc.get_traced_memory()[0] - first < 50_000
    finally:
        tracemalloc.stop()


def test_shared_variable_updates_inside_the_step():
    count = ac.shared(np.int64(0), name="count")

    def step(v, acc):
        return acc + v, {count: count + 1}

    out, updates = ac.scan(step, sequences=at.dvector("x"), outputs_info=at.constant(0.0))
    x = out.owner.inputs[1]  # the sequence variable the scan reads
    assert list(updates) == [count]
    f = ac.function([x], out, updates=updates, mode="numpy")
    np.testing.assert_allclose(f(np.ones(3)), [1, 2, 3])
    f(np.ones(4))
    assert int(count.get_value()) == 7


def test_inner_graph_is_rewritten_when_compiled():
    x = at.dvector("x")
    out, _ = ac.map(lambda v: at.log(1.0 + at.exp(v)), x)
    f = ac.function([x], out, mode="numpy")
    (node,) = [n for n in f.fgraph.toposort() if isinstance(n.op, Scan)]
    program = node.op.inner.program()
    names = {str(step[1].op) for step in program.steps}
    assert "softplus" in names
    np.testing.assert_allclose(f(np.array([800.0, 0.0])), [800.0, np.log(2.0)])


def test_nested_scan():
    A = at.dmatrix("A")
    rows, _ = ac.map(lambda r: ac.scan(lambda v, acc: acc + v, sequences=r,
                                       outputs_info=at.constant(0.0))[0], A)
    f = ac.function([A], rows, mode="numpy")
    Av = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(f(Av), np.cumsum(Av, axis=1))


def test_equal_scans_merge():
    x = at.dvector("x")
    # A step that is not a running sum (that one becomes cumsum, no loop left to merge).
    s1, _ = ac.scan(lambda v, acc: 0.5 * acc + v, sequences=x, outputs_info=at.constant(0.0))
    s2, _ = ac.scan(lambda v, acc: 0.5 * acc + v, sequences=x, outputs_info=at.constant(0.0))
    assert s1.owner.op == s2.owner.op and hash(s1.owner.op) == hash(s2.owner.op)
    f = ac.function([x], s1 + s2, mode="numpy")
    assert sum(isinstance(n.op, Scan) for n in f.fgraph.toposort()) == 1


def test_bad_input():
    x = at.dvector("x")
    with pytest.raises(ValueError, match="returned 2 output"):
        ac.scan(lambda v, acc: (acc + v, v), sequences=x, outputs_info=at.constant(0.0))
    with pytest.raises(TypeError, match="output 0 of the step function must be a tensor"):
        ac.scan(lambda v: "nope", sequences=x)
    with pytest.raises(ValueError, match=r"outputs_info\[0\]"):
        ac.scan(lambda acc: at.ones(3), outputs_info=at.zeros(2), n_steps=3)
    with pytest.raises(ValueError, match="dimension"):
        ac.scan(lambda acc: acc.sum(), outputs_info=at.dvector("h"), n_steps=3)
    with pytest.raises(TypeError, match="float64 but its initial value"):
        ac.scan(lambda acc: acc * 0.5, outputs_info=at.lscalar("i"), n_steps=3)
    with pytest.raises(ValueError, match="sequences or n_steps"):
        ac.scan(lambda acc: acc + 1, outputs_info=at.constant(0.0))
    with pytest.raises(ValueError, match="non-negative"):
        ac.scan(lambda acc: acc + 1, outputs_info=at.constant(0.0), n_steps=-2)
    with pytest.raises(ValueError, match="at least one dimension"):
        ac.scan(lambda v: v, sequences=at.dscalar("s"))
    with pytest.raises(TypeError, match="callable"):
        ac.scan(3, sequences=x)
    # A shape only known at run time: the call names the output and outputs_info.
    h = at.dvector("h")
    out, _ = ac.scan(lambda acc: at.concatenate([acc, acc]), outputs_info=h, n_steps=2)
    f = ac.function([h], out, mode="numpy")
    with pytest.raises(ValueError, match=r"outputs_info\[0\]"):
        f(np.ones(2))
    n = at.lscalar("n")
    out, _ = ac.scan(lambda acc: acc + 1.0, outputs_info=at.constant(0.0), n_steps=n)
    g = ac.function([n], out, mode="numpy")
    with pytest.raises(ValueError, match="non-negative"):
        g(-1)


def test_forward_mode_jvp_matches_finite_differences():
    a, x0 = at.dscalar("a"), at.dscalar("x0")
    u = at.dvector("u")
    (out, y), _ = ac.scan(lambda ut, prev: (a * prev + ut, at.sin(prev) * ut), sequences=u,
                          outputs_info=[x0, None])
    tangents = [1.0, np.ones(4), 0.5]
    f = ac.function([a, u, x0], ac.jvp([out, y], [a, u, x0], tangents), mode="numpy")
    value = ac.function([a, u, x0], [out, y], mode="numpy")
    uv = np.array([0.3, -1.0, 2.0, 0.5])
    eps = 1e-6
    plus = value(0.8 + eps, uv + eps, 1.5 + 0.5 * eps)
    minus = value(0.8 - eps, uv - eps, 1.5 - 0.5 * eps)
    for got, p, m in zip(f(0.8, uv, 1.5), plus, minus):
        np.testing.assert_allclose(got, (p - m) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_pickle_and_threads():
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    x = at.dvector("x")
    s, _ = ac.scan(lambda v, acc: acc + at.exp(v), sequences=x, outputs_info=at.constant(0.0))
    y = ac.ifelse(x.sum() > 0, s, -s)
    f = ac.function([x], y, mode="numpy")
    g = pickle.loads(pickle.dumps(f))
    xv = np.array([0.5, -0.2, 1.0])
    np.testing.assert_array_equal(g(xv), f(xv))
    inputs = [np.arange(k, k + 40.0) / 40 for k in range(8)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(g, inputs))
    for v, r in zip(inputs, results):
        np.testing.assert_allclose(r, np.cumsum(np.exp(v)), rtol=1e-12)


def test_native_loop_op_and_dtype_mix(mode, rng):
    """One step mixing comparisons, switch, integer and float32 states and the backend's
    helper functions: the native loop agrees with the NumPy mode."""
    x = at.dvector("x")
    f32 = at.fvector("f")

    def step(v, w, acc, count, small, k):
        return (at.switch(v > 0, acc * 0.5, acc + v),
                count + at.cast(v > 0.3, "int64"),
                small * np.float32(0.9) + w,
                k * 2 % 7 + 1,
                at.softplus(v) + at.sigmoid(acc) - at.log1p(at.exp(-abs(v))) + v ** 2)

    outs, _ = ac.scan(step, sequences=[x, f32],
                      outputs_info=[at.constant(1.0), at.constant(np.int64(0)),
                                    at.constant(np.float32(0.0)), at.constant(np.int32(3)),
                                    None])
    f = ac.function([x, f32], outs, mode=mode)
    xv = rng.normal(size=64)
    fv = rng.normal(size=64).astype("float32")
    got = f(xv, fv)
    want = ac.function([x, f32], outs, mode="numpy")(xv, fv)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-6 if g.dtype == "float32" else 1e-13)
    assert got[1].dtype == "int64" and got[3].dtype == "int32"
