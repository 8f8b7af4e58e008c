"""The differentiation drivers: ``ac.grad``, ``ac.jacobian``, ``ac.hessian``, ``ac.jvp``."""

import warnings

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile.vm import NumPyProgram
from aesara_cas.gradient import DisconnectedInputError, vjp
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.traversal import toposort
from aesara_cas.tensor.jacobian_loop import JacobianLoop


def _ev(var, values):
    return ac.function(list(values), var, mode="numpy")(*values.values())


# grad: contract -----------------------------------------------------------------------


def test_grad_single_and_list():
    x, y = at.dscalar("x"), at.dvector("y")
    cost = x**2 * at.sum(y)
    gx = ac.grad(cost, x)
    assert gx.type == x.type
    gs = ac.grad(cost, [x, y])
    assert isinstance(gs, list) and len(gs) == 2
    assert [g.type for g in gs] == [x.type, y.type]
    gs = ac.grad(cost, (y,))
    assert isinstance(gs, list) and len(gs) == 1
    vals = {x: 3.0, y: np.array([1.0, 2.0])}
    np.testing.assert_allclose(_ev(gx, vals), 2 * 3.0 * 3.0)
    np.testing.assert_allclose(_ev(gs[0], vals), [9.0, 9.0])


def test_cost_must_be_scalar():
    x = at.dvector("x")
    with pytest.raises(TypeError, match="scalar"):
        ac.grad(x * 2, x)
    with pytest.raises(TypeError, match=r"wrt\[1\]"):
        ac.grad(x.sum(), [x, 3.0])
    with pytest.raises(TypeError, match="wrt"):
        ac.grad(x.sum(), "x")


def test_disconnected_inputs():
    x, y = at.dvector("x"), at.dvector("y")
    cost = at.sum(x**2)
    with pytest.raises(DisconnectedInputError, match=r"wrt\[1\] \(y\)"):
        ac.grad(cost, [x, y])
    with pytest.warns(UserWarning, match="does not depend on"):
        gx, gy = ac.grad(cost, [x, y], disconnected_inputs="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gx, gy = ac.grad(cost, [x, y], disconnected_inputs="ignore")
    assert gy.type == y.type
    np.testing.assert_array_equal(_ev(gy, {y: np.ones(3)}), np.zeros(3))
    with pytest.raises(ValueError, match="disconnected_inputs"):
        ac.grad(cost, x, disconnected_inputs="zeros")
    # Only the shape of x is used: no gradient flows through a shape.
    with pytest.raises(DisconnectedInputError):
        ac.grad(at.cast(x.shape[0], "float64"), x)


def test_connected_but_zero_gradients():
    x = at.dvector("x")
    i = at.lvector("i")
    cost = at.sum(at.switch(x > 0, 1.0, -1.0)) + at.sum(at.floor(x)) + at.sum(i * 2.0)
    gx, gi = ac.grad(cost, [x, i])
    assert gi.type == i.type
    vals = {x: np.array([-1.5, 0.5]), i: np.array([1, 2])}
    np.testing.assert_array_equal(_ev(gx, vals), [0.0, 0.0])
    np.testing.assert_array_equal(_ev(gi, vals), [0, 0])
    # An integer cost has a zero gradient.
    gx = ac.grad(at.sum(x > 0), x)
    np.testing.assert_array_equal(_ev(gx, {x: np.array([1.0, -1.0])}), [0.0, 0.0])


def test_consider_constant_and_intermediate_wrt():
    x = at.dvector("x")
    h = at.exp(x)
    cost = at.sum(h * x)
    vals = {x: np.array([0.5, -1.0])}
    xv = vals[x]
    # Total derivative: exp(x) * x + exp(x).
    np.testing.assert_allclose(_ev(ac.grad(cost, x), vals), np.exp(xv) * (xv + 1))
    # h held constant: only the explicit x.
    g = ac.grad(cost, x, consider_constant=[h])
    np.testing.assert_allclose(_ev(g, vals), np.exp(xv))
    # With respect to the intermediate h, and to both.
    np.testing.assert_allclose(_ev(ac.grad(cost, h), vals), xv)
    gh, gx = ac.grad(cost, [h, x])
    np.testing.assert_allclose(_ev(gx, vals), np.exp(xv) * (xv + 1))


def test_runtime_broadcasting_is_summed_back():
    x, y = at.dmatrix("x"), at.dmatrix("y")
    cost = at.sum(at.sin(x) * y)
    gx, gy = ac.grad(cost, [x, y])
    xv, yv = np.array([[0.3], [0.7]]), np.arange(6.0).reshape(2, 3)
    f = ac.function([x, y], [gx, gy], mode="numpy")
    gxv, gyv = f(xv, yv)
    np.testing.assert_allclose(gxv, np.cos(xv) * yv.sum(1, keepdims=True))
    np.testing.assert_allclose(gyv, np.broadcast_to(np.sin(xv), (2, 3)))


def test_matmul_gradient_keeps_static_types():
    A = at.tensor("float64", (None, 3), name="A")
    w = at.tensor("float64", (3,), name="w")
    gA, gw = ac.grad(at.sum(at.tanh(A @ w)), [A, w])
    assert gA.type == A.type and gw.type == w.type


# Hessian, Jacobian, JVP ----------------------------------------------------------------


@pytest.mark.parametrize("static", [False, True])
def test_hessian_of_quadratic_form(static, rng):
    shape = (4,) if static else (None,)
    x = at.tensor("float64", shape, name="x")
    A = at.tensor("float64", shape * 2, name="A")
    H = ac.hessian(x @ A @ x, x)
    assert H.type == at.tensor("float64", shape * 2).type
    loops = [n for n in toposort([H]) if isinstance(n.op, JacobianLoop)]
    assert bool(loops) != static  # unrolled when the size is static and small
    a, xv = rng.normal(size=(4, 4)), rng.normal(size=4)
    np.testing.assert_allclose(_ev(H, {x: xv, A: a}), a + a.T, atol=1e-12)


def test_hessian_list_and_scalar(rng):
    x, s = at.dvector("x"), at.dscalar("s")
    cost = at.sum(at.exp(x) * s**3)
    hx, hs = ac.hessian(cost, [x, s])
    xv, sv = rng.normal(size=3), 1.3
    vals = {x: xv, s: sv}
    np.testing.assert_allclose(_ev(hx, vals), np.diag(np.exp(xv) * sv**3))
    np.testing.assert_allclose(_ev(hs, vals), 6 * sv * np.exp(xv).sum())


def _numeric_jacobian(f, x, eps=1e-6):
    base = f(x)
    jac = np.empty(base.shape + x.shape)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        jac[(...,) + idx] = (f(x + d) - f(x - d)) / (2 * eps)
    return jac


@pytest.mark.parametrize("static", [False, True])
def test_jacobian_matches_finite_differences(static, rng):
    x = at.tensor("float64", (3,) if static else (None,), name="x")
    M = at.dmatrix("M")
    expr = at.tanh(M * x) * x.sum()  # 2 x 3 expression
    J = ac.jacobian(expr, x)
    assert J.ndim == 3
    mv, xv = rng.normal(size=(2, 3)), rng.normal(size=3)
    got = _ev(J, {x: xv, M: mv})
    want = _numeric_jacobian(lambda v: np.tanh(mv * v) * v.sum(), xv)
    np.testing.assert_allclose(got, want, atol=1e-7)


def test_jacobian_of_scalar_is_grad_and_list(rng):
    x, y = at.dvector("x"), at.dvector("y")
    g = ac.jacobian(at.sum(x * y), x)
    assert g.type == x.type
    jx, jy = ac.jacobian(x * y, [x, y])
    xv, yv = rng.normal(size=3), rng.normal(size=3)
    vals = {x: xv, y: yv}
    np.testing.assert_allclose(_ev(jx, vals), np.diag(yv))
    np.testing.assert_allclose(_ev(jy, vals), np.diag(xv))
    # An empty expression has an empty Jacobian.
    np.testing.assert_array_equal(_ev(jx, {x: np.zeros(0), y: np.zeros(0)}).shape, (0, 0))


@pytest.mark.parametrize("static", [False, True])
def test_jacobian_consider_constant(static, rng):
    x = at.tensor("float64", (3,) if static else (None,), name="x")
    h = at.exp(x)
    J = ac.jacobian(h * x, x, consider_constant=[h])
    xv = rng.normal(size=3)
    np.testing.assert_allclose(_ev(J, {x: xv}), np.diag(np.exp(xv)))


def test_jvp_equals_jacobian_times_tangent(rng):
    x, A = at.dvector("x"), at.dmatrix("A")
    t = at.dvector("t")
    out = at.exp(A @ x) / at.sum(x**2) + at.concatenate([x[1:], at.max(x, keepdims=True)])
    J = ac.jacobian(out, x)
    jv = ac.jvp(out, x, t)
    assert jv.type == out.type
    xv, av, tv = rng.normal(size=3), rng.normal(size=(3, 3)), rng.normal(size=3)
    vals = {x: xv, A: av, t: tv}
    np.testing.assert_allclose(_ev(jv, vals), _ev(J, {x: xv, A: av}) @ tv, rtol=1e-10)


def test_jvp_lists_and_finite_differences(rng):
    x, y = at.dmatrix("x"), at.dvector("y")
    outs = [at.sum(at.sigmoid(x) * y, axis=0), at.prod(x, axis=1) @ y[:2], (x.T @ x)[0]]
    tx, ty = rng.normal(size=(2, 3)), rng.normal(size=3)
    res = ac.jvp(outs, [x, y], [tx, ty])
    assert isinstance(res, list) and [r.type for r in res] == [o.type for o in outs]
    xv, yv = rng.normal(size=(2, 3)), rng.normal(size=3)
    f = ac.function([x, y], outs, mode="numpy")
    eps = 1e-6
    plus = f(xv + eps * tx, yv + eps * ty)
    minus = f(xv - eps * tx, yv - eps * ty)
    got = ac.function([x, y], res, mode="numpy")(xv, yv)
    for g, p, m in zip(got, plus, minus):
        np.testing.assert_allclose(g, (p - m) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_jvp_checks_tangents():
    x = at.dvector("x")
    with pytest.raises(ValueError, match="tangent"):
        ac.jvp(x * 2, [x], [])
    with pytest.raises(ValueError, match="dimension"):
        ac.jvp(x * 2, x, np.ones((2, 2)))


def test_vjp_matches_grad(rng):
    x = at.dvector("x")
    out = at.sin(x) * 3
    c = at.dvector("c")
    g1 = vjp(out, x, c)
    g2 = ac.grad(at.sum(out * c), x)
    xv, cv = rng.normal(size=4), rng.normal(size=4)
    np.testing.assert_allclose(_ev(g1, {x: xv, c: cv}), _ev(g2, {x: xv, c: cv}))


# Depth, compactness, stability ---------------------------------------------------------


def test_ten_thousand_op_chain():
    x = at.dvector("x")
    z = x
    for _ in range(5000):
        z = at.tanh(z) * 0.999
    assert len(toposort([z])) == 10000
    g = ac.grad(at.sum(z), x, simplify=False)
    xv = np.array([0.1, -0.2])
    want = np.ones(2)
    v = xv.copy()
    for _ in range(5000):
        want *= 0.999 * (1 - np.tanh(v) ** 2)
        v = np.tanh(v) * 0.999
    # Evaluated by the NumPy VM directly: this checks differentiation, not the rewriter.
    program = NumPyProgram(FunctionGraph([x], [g], clone=False))
    np.testing.assert_allclose(program.run([xv])[0], want, rtol=1e-9)
    t = at.dvector("t")
    jv = ac.jvp(z, x, t, simplify=False)
    assert jv.type == z.type
    program = NumPyProgram(FunctionGraph([x, t], [jv], clone=False))
    np.testing.assert_allclose(program.run([xv, np.ones(2)])[0], want, rtol=1e-9)


def test_long_chain_simplified_before_only():
    # The default: the cost is stabilized first (a cost this big only around the
    # ops stability rules are anchored on: none here); a derivative this big is left
    # for compilation to rewrite (gradient.SIMPLIFY_AFTER_NODES), and has the values
    # of the plain derivative.
    x = at.dvector("x")
    z = x
    for _ in range(1200):
        z = at.tanh(z) * 0.999
    g = ac.grad(at.sum(z), x)
    raw = ac.grad(at.sum(z), x, simplify=False)
    assert len(toposort([g])) > ac.gradient.SIMPLIFY_AFTER_NODES
    xv = np.array([0.1, -0.2, 3.0])
    got = NumPyProgram(FunctionGraph([x], [g], clone=False)).run([xv])[0]
    want = NumPyProgram(FunctionGraph([x], [raw], clone=False)).run([xv])[0]
    np.testing.assert_array_equal(got, want)


def test_logistic_regression_matches_numpy(rng):
    X, y, w = at.dmatrix("X"), at.dvector("y"), at.dvector("w")
    loss = at.sum(at.log1p(at.exp(-y * (X @ w))))
    g = ac.grad(loss, w)
    assert len(toposort([g])) <= 3 * len(toposort([loss]))
    Xv, yv, wv = rng.normal(size=(50, 4)), rng.choice([-1.0, 1.0], size=50), rng.normal(size=4)
    m = -yv * (Xv @ wv)
    want = Xv.T @ (-yv / (1 + np.exp(-m)))
    np.testing.assert_allclose(_ev(g, {X: Xv, y: yv, w: wv}), want, rtol=1e-10)


def test_logistic_regression_end_to_end(mode, rng):
    X, y, w = at.dmatrix("X"), at.dvector("y"), at.dvector("w")
    loss = at.sum(at.log1p(at.exp(-y * (X @ w))))
    f = ac.function([X, y, w], [loss, ac.grad(loss, w)], mode=mode)
    Xv, yv, wv = rng.normal(size=(30, 3)), rng.choice([-1.0, 1.0], size=30), rng.normal(size=3)
    m = -yv * (Xv @ wv)
    lv, gv = f(Xv, yv, wv)
    np.testing.assert_allclose(lv, np.sum(np.logaddexp(0, m)), rtol=1e-12)
    np.testing.assert_allclose(gv, Xv.T @ (-yv / (1 + np.exp(-m))), rtol=1e-10)


def test_sum_of_squares_does_not_repeat_the_forward_computation():
    x = at.dvector("x")
    g = ac.grad(at.sum(x**2), x)
    assert not any(n.op == at.pow or n.op == at.sqr for n in toposort([g]))
    A, b = at.dmatrix("A"), at.dvector("b")
    r = A @ x - b
    cost = at.sum(r**2)
    gx = ac.grad(cost, x)
    f = ac.function([x, A, b], [cost, gx], mode="numpy")
    products = [n for n in f.fgraph.toposort() if isinstance(n.op, (at.MatMul, at.Dot))]
    assert len(products) == 2  # A @ x once, shared with the cost, and A.T @ (...)
    av, bv, xv = np.eye(2) * 2, np.array([1.0, 1.0]), np.array([1.0, 2.0])
    np.testing.assert_allclose(_ev(gx, {x: xv, A: av, b: bv}), 2 * av.T @ (av @ xv - bv))


def test_softplus_derivative_prints_as_sigmoid():
    x = at.dscalar("x")
    assert ac.pprint(ac.grad(at.softplus(x), x)) == "sigmoid(x)"


def test_logsumexp_gradient_is_softmax_at_large_inputs():
    x = at.dvector("x")
    g = ac.grad(at.logsumexp(x), x)
    xv = np.array([1000.0, 1001.0, 999.0])
    e = np.exp(xv - xv.max())
    np.testing.assert_allclose(_ev(g, {x: xv}), e / e.sum(), rtol=1e-12)


def test_stabilized_before_differentiating():
    x = at.dscalar("x")
    g = ac.grad(at.log(1 + at.exp(x)), x)
    f = ac.function([x], g, mode="numpy")
    assert float(f(100.0)) == 1.0
    assert float(f(1000.0)) == 1.0
    np.testing.assert_allclose(float(f(0.0)), 0.5)
    g = ac.grad(at.log1p(at.exp(x)), x)
    assert float(ac.function([x], g, mode="numpy")(1000.0)) == 1.0
    g = ac.grad(at.log(1 - at.exp(x)), x)
    np.testing.assert_allclose(float(ac.function([x], g, mode="numpy")(-1e-20)), -1e20,
                               rtol=1e-12)


def test_gradient_descent_with_a_shared_variable(rng):
    Xv = rng.normal(size=(100, 3))
    yv = np.sign(Xv @ np.array([1.0, -2.0, 0.5]))
    w = ac.shared(np.zeros(3), name="w")
    X, y = at.dmatrix("X"), at.dvector("y")
    loss = at.mean(at.softplus(-y * (X @ w)))
    g = ac.grad(loss, w)
    assert g.type == w.type
    step = ac.function([X, y], loss, updates={w: w - 0.5 * g}, mode="numpy")
    first = step(Xv, yv)
    for _ in range(50):
        last = step(Xv, yv)
    assert last < 0.5 * first
    wv = w.get_value()
    assert wv[1] < 0 < wv[0]
