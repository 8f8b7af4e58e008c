"""``at.linalg`` against NumPy/SciPy in both modes, derivatives, shapes and bad input."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.tensor import linalg as la

RNG = np.random.default_rng(7)
N = 4
_M = RNG.normal(size=(N, N))
SPD = _M @ _M.T + N * np.eye(N)
GEN = RNG.normal(size=(N, N)) + 3 * np.eye(N)
LOW = np.tril(RNG.normal(size=(N, N))) + 3 * np.eye(N)
UP = np.ascontiguousarray(LOW.T)
VEC = RNG.normal(size=N)
RHS = RNG.normal(size=(N, 2))
RECT = RNG.normal(size=(5, 3))
BATCH = np.stack([SPD, SPD + np.eye(N), 2 * SPD])


def _forward(S, G, T, b, B, R, S3):
    L = la.cholesky(S)
    sign, logdet = la.slogdet(G)
    w, v = la.eigh(S)
    q, r = la.qr(R)
    u, s, vh = la.svd(R, full_matrices=False)
    return [
        L, la.cholesky(S, lower=False), la.solve(G, b), la.solve(G, B),
        la.solve(S, B, assume_a="pos"), la.solve(S, b, assume_a="sym", lower=True),
        la.solve_triangular(T, b, lower=True), la.solve_triangular(T, B, lower=True, trans=1),
        la.solve_triangular(L, b, lower=True, unit_diagonal=True),
        la.det(G), sign, logdet, la.inv(G), la.pinv(R), w, at.abs(v), at.abs(q), at.abs(r),
        s, at.abs(u), la.svd(R, compute_uv=False), la.norm(R), la.norm(R, "nuc"),
        la.norm(R, 2), la.norm(R, -1), la.norm(b, 3), la.norm(R, np.inf, axis=1),
        la.cholesky(S3), la.det(S3), la.inv(S3), la.solve(S3, b), la.solve(S3, B),
    ]


def _reference(S, G, T, b, B, R, S3):
    npl = np.linalg
    L = npl.cholesky(S)
    sign, logdet = npl.slogdet(G)
    w, v = npl.eigh(S)
    q, r = npl.qr(R)
    u, s, vh = npl.svd(R, full_matrices=False)
    tri = scipy.linalg.solve_triangular
    return [
        L, npl.cholesky(S, upper=True), npl.solve(G, b), npl.solve(G, B),
        scipy.linalg.solve(S, B, assume_a="pos"),
        scipy.linalg.solve(S, b, assume_a="sym", lower=True),
        tri(T, b, lower=True), tri(T, B, lower=True, trans=1),
        tri(L, b, lower=True, unit_diagonal=True),
        npl.det(G), sign, logdet, npl.inv(G), npl.pinv(R), w, np.abs(v), np.abs(q), np.abs(r),
        s, np.abs(u), npl.svd(R, compute_uv=False), npl.norm(R), npl.norm(R, "nuc"),
        npl.norm(R, 2), npl.norm(R, -1), npl.norm(b, 3), npl.norm(R, np.inf, axis=1),
        npl.cholesky(S3), npl.det(S3), npl.inv(S3), npl.solve(S3, b[None, :, None])[..., 0],
        npl.solve(S3, B),
    ]


ARGS = (SPD, GEN, LOW, VEC, RHS, RECT, BATCH)


#: Outputs the compiled test covers (each op's ``perform`` run from the compiled module;
#: the rest are checked in the NumPy mode, which runs the same ``perform``).
COMPILED = [0, 2, 3, 6, 11, 14, 27, 30]


def _symbols():
    return [at.dmatrix("S"), at.dmatrix("G"), at.dmatrix("T"), at.dvector("b"),
            at.dmatrix("B"), at.dmatrix("R"), at.dtensor3("S3")]


def _check(got, expected, which):
    assert len(got) == len(which)
    for k, g in zip(which, got):
        e = expected[k]
        assert g.shape == np.shape(e), k
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12, err_msg=f"output {k}")


def test_every_op_matches_numpy_and_scipy():
    syms = _symbols()
    outs = _forward(*syms)
    got = ac.function(syms, outs, mode="numpy")(*ARGS)
    _check(got, _reference(*ARGS), range(len(outs)))


@pytest.fixture(scope="module")
def compiled_fns():
    """The ops of ``COMPILED`` in one function per mode (one build of a compiled module)."""
    syms = _symbols()
    outs = _forward(*syms)
    return {m: ac.function(syms, [outs[k] for k in COMPILED], mode=m)
            for m in ("numpy", "cython")}


def test_compiled_module_runs_the_ops(compiled_fns):
    _check(compiled_fns["cython"](*ARGS), _reference(*ARGS), COMPILED)


def _replace(k, value):
    args = list(ARGS)
    args[k] = value
    return args


@pytest.mark.parametrize("args, match", [
    (_replace(0, -SPD), "cholesky.*positive definite"),
    (_replace(0, np.ones((3, 4))), "(cholesky|eigh): a must be square"),
    (_replace(1, np.ones((N, N))), "solve: .*[Ss]ingular"),
    (_replace(3, np.ones(3)), "solve(_triangular)?: a is 4x4 but b has 3 rows"),
    (_replace(1, np.ones((N, N + 1))), "(solve|slogdet): a must be square"),
], ids=["not-spd", "cholesky-not-square", "singular", "rows", "solve-not-square"])
def test_bad_input_raises_naming_the_op(mode, compiled_fns, args, match):
    with pytest.raises(ValueError, match=match):
        compiled_fns[mode](*args)


def test_singular_inverse_and_triangular_solve_raise():
    G, b = at.dmatrix("G"), at.dvector("b")
    f = ac.function([G, b], [la.inv(G), la.solve_triangular(G, b, lower=True)], mode="numpy")
    with pytest.raises(np.linalg.LinAlgError, match="inv: Singular"):
        f(np.zeros((2, 2)), np.ones(2))
    g = ac.function([G, b], la.solve_triangular(G, b, lower=True), mode="numpy")
    with pytest.raises(np.linalg.LinAlgError, match="solve_triangular: singular"):
        g(np.array([[1.0, 0.0], [2.0, 0.0]]), np.ones(2))
    h = ac.function([G, b], [la.solve(G, b, assume_a="sym"), la.solve(G, b, assume_a="pos")],
                    mode="numpy")
    with pytest.raises(np.linalg.LinAlgError, match="solve: Singular"):
        h(np.zeros((2, 2)), np.ones(2))
    with pytest.raises(np.linalg.LinAlgError, match="solve: the matrix is not positive"):
        h(-np.eye(2), np.ones(2))
    X = at.dtensor3("X")
    batched = ac.function([X], [la.cholesky(X), la.inv(X)], mode="numpy")
    with pytest.raises(np.linalg.LinAlgError, match="cholesky: .*not positive definite"):
        batched(np.stack([np.eye(2), -np.eye(2)]))


def test_build_time_shape_errors():
    with pytest.raises(ValueError, match="cholesky: a must be square"):
        la.cholesky(at.tensor("float64", (3, 4)))
    with pytest.raises(ValueError, match="solve: a must have at least 2 dimensions"):
        la.solve(at.dvector(), at.dvector())
    with pytest.raises(ValueError, match="solve: a is 3x3 but b has 4 rows"):
        la.solve(at.tensor("float64", (3, 3)), at.tensor("float64", (4,)))
    with pytest.raises(ValueError, match="norm: invalid ord"):
        la.norm(at.dmatrix(), ord=3)
    with pytest.raises(ValueError, match="qr: mode"):
        la.qr(at.dmatrix(), mode="economic")


def test_static_shapes_and_dtypes():
    A = at.tensor("float32", (2, 5, 5))
    b = at.tensor("float32", (5, 3))
    assert la.solve(A, b).type.shape == (2, 5, 3)
    assert la.solve(A, at.fvector()).type.shape == (2, 5)
    assert la.det(A).type.shape == (2,) and la.det(A).dtype == "float32"
    assert la.cholesky(at.imatrix()).dtype == "float64"
    w, v = la.eigh(A)
    assert w.type.shape == (2, 5) and v.type.shape == (2, 5, 5)
    q, r = la.qr(at.tensor("float64", (6, 4)))
    assert q.type.shape == (6, 4) and r.type.shape == (4, 4)
    u, s, vh = la.svd(at.tensor("float64", (6, 4)))
    assert (u.type.shape, s.type.shape, vh.type.shape) == ((6, 6), (4,), (4, 4))
    assert la.pinv(at.tensor("float64", (6, 4))).type.shape == (4, 6)
    assert la.norm(at.dmatrix(), axis=1, keepdims=True).ndim == 2


def test_infer_shape_of_every_op_matches_the_result():
    syms = _symbols()
    outs = _forward(*syms)
    nodes = list(dict.fromkeys(o.owner for o in outs if o.owner is not None and isinstance(
        o.owner.op, la.LinalgOp)))
    nodes += [la.qr(syms[5], "complete")[0].owner, la.qr(syms[5], "r").owner,
              la.svd(syms[5])[0].owner, la.tril(syms[0]).owner, la.diag_embed(syms[3]).owner]
    shape_exprs, actual, labels = [], [], []
    for node in nodes:
        in_shapes = [tuple(at.shape(i)[k] for k in range(i.ndim)) for i in node.inputs]
        for out, shp in zip(node.outputs, node.op.infer_shape(node, in_shapes)):
            shape_exprs.append(at.stack([at.as_tensor_variable(d) for d in shp])
                               if shp else at.constant(np.zeros(0, dtype="int64")))
            actual.append(at.shape(out))
            labels.append(f"{node.op} output {out.index}")
    f = ac.function(syms, shape_exprs + actual, mode="numpy")
    values = f(*ARGS)
    half = len(shape_exprs)
    for k, (inferred, real) in enumerate(zip(values[:half], values[half:])):
        np.testing.assert_array_equal(inferred, real, err_msg=labels[k])


@settings(max_examples=10)
@given(batch=st.lists(st.integers(1, 3), max_size=2), n=st.integers(0, 4),
       k=st.integers(1, 3), vector=st.booleans())
def test_batched_solve_and_det_shapes(batch, n, k, vector):
    rng = np.random.default_rng(len(batch) * 10 + n)
    a = rng.normal(size=(*batch, n, n)) + 3 * np.eye(n)
    b = rng.normal(size=(n,) if vector else (n, k))
    A = at.tensor("float64", (None,) * a.ndim)
    B = at.tensor("float64", (None,) * b.ndim)
    f = ac.function([A, B], [la.solve(A, B), la.det(A), la.inv(A)], mode="numpy")
    x, d, inv = f(a, b)
    expected = np.linalg.solve(a, b[..., None])[..., 0] if vector else np.linalg.solve(a, b)
    np.testing.assert_allclose(x, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d, np.linalg.det(a), rtol=1e-10)
    np.testing.assert_allclose(inv, np.linalg.inv(a), rtol=1e-10, atol=1e-12)


GRAD_CASES = {
    "cholesky": (la.cholesky, [SPD]),
    "cholesky_upper": (lambda a: la.cholesky(a, lower=False), [SPD]),
    "cholesky_batched": (la.cholesky, [BATCH]),
    "solve": (la.solve, [GEN, VEC]),
    "solve_matrix": (la.solve, [GEN, RHS]),
    "solve_batched_vector": (la.solve, [BATCH, VEC]),
    "solve_pos": (lambda a, b: la.solve(a, b, assume_a="pos"), [SPD, RHS]),
    "solve_sym_lower": (lambda a, b: la.solve(a, b, assume_a="sym", lower=True), [SPD, VEC]),
    "solve_triangular": (lambda a, b: la.solve_triangular(a, b, lower=True), [LOW, VEC]),
    "solve_triangular_trans": (lambda a, b: la.solve_triangular(a, b, lower=True, trans=1),
                               [LOW, RHS]),
    "solve_triangular_unit": (
        lambda a, b: la.solve_triangular(a, b, unit_diagonal=True), [UP, RHS]),
    "inv": (la.inv, [GEN]),
    "det": (la.det, [GEN]),
    "det_batched": (la.det, [BATCH]),
    "slogdet": (lambda a: la.slogdet(a)[1], [GEN]),
    "pinv": (la.pinv, [RECT]),
    "pinv_wide": (la.pinv, [np.ascontiguousarray(RECT.T)]),
    "eigh_values": (lambda a: la.eigh(a)[0], [SPD]),
    "eigh_vectors": (lambda a: la.eigh(a, "U")[1] ** 3, [SPD]),
    "svd_values": (lambda a: la.svd(a, compute_uv=False), [RECT]),
    "svd_vectors": (lambda a: sum(at.sum(o ** 3) for o in la.svd(a, full_matrices=False)),
                    [RECT]),
    "norm_fro": (la.norm, [RECT]),
    "norm_nuc": (lambda a: la.norm(a, "nuc"), [RECT]),
    "norm_1": (lambda a: la.norm(a, 1), [RECT]),
    "norm_p": (lambda a: la.norm(a, 3), [VEC]),
    "triangular_parts": (lambda a: la.tril(a, -1) * 2 + la.triu(a) ** 2, [GEN]),
    "diagonal": (lambda a: la.diagonal(a) ** 2, [BATCH]),
    "diag_embed": (lambda v: la.diag_embed(v) ** 2, [VEC]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_match_finite_differences(name):
    fn, args = GRAD_CASES[name]
    ac.verify_grad(fn, args, rng=1)


def test_qr_gradient_for_tall_matrices():
    ac.verify_grad(lambda a: sum(at.sum(o ** 3) for o in la.qr(a)), [RECT], static_shapes=True)
    with pytest.raises(NotImplementedError, match="qr: the gradient"):
        A = at.dmatrix()
        ac.grad(at.sum(la.qr(A)[1]), A)


@pytest.mark.parametrize("name", ["cholesky", "cholesky_upper", "solve_batched_vector",
                                  "solve_sym_lower", "solve_triangular_trans",
                                  "solve_triangular_unit", "inv", "det", "slogdet",
                                  "pinv_wide", "eigh_vectors", "svd_values", "svd_vectors",
                                  "norm_nuc", "qr"])
def test_forward_mode_matches_finite_differences(name):
    fn, args = GRAD_CASES[name] if name != "qr" else (
        lambda a: sum(at.sum(o ** 3) for o in la.qr(a)), [RECT])
    # Static shapes: the QR derivative needs to know that m >= n.
    syms = [at.tensor("float64", np.shape(a)) for a in args]
    out = fn(*syms)
    rng = np.random.default_rng(3)
    tangents = [rng.normal(size=np.shape(a)) for a in args]
    tangent = ac.jvp(out, syms, tangents)
    f = ac.function(syms, [out, tangent], mode="numpy")
    eps = 1e-6
    plus = f(*[a + eps * t for a, t in zip(args, tangents)])[0]
    minus = f(*[a - eps * t for a, t in zip(args, tangents)])[0]
    np.testing.assert_allclose(f(*args)[1], (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-7)


def test_cholesky_gradient_reads_only_the_lower_triangle():
    A = at.dmatrix("A")
    g = ac.grad(at.sum(la.cholesky(A)), A)
    out = ac.function([A], g, mode="numpy")(SPD)
    np.testing.assert_array_equal(np.triu(out, 1), 0)


def test_inputs_in_any_layout_are_read_not_written():
    """Fortran-ordered and strided inputs give the same results and are never modified
    (LAPACK works in place; the ops hand it copies)."""
    syms = _symbols()
    f = ac.function(syms, _forward(*syms), mode="numpy")
    expected = f(*ARGS)
    odd = [np.asfortranarray(a) if a.ndim == 2 else a for a in ARGS]
    odd[3] = np.repeat(VEC, 2)[::2]  # a strided vector
    before = [a.copy() for a in odd]
    for g, e in zip(f(*odd), expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-13)
    for a, b in zip(odd, before):
        np.testing.assert_array_equal(a, b)


def test_second_derivatives_through_the_factorisations():
    x = at.dvector("x")
    S = at.outer(x, x) + at.constant(3 * np.eye(3))
    cost = (at.sum(at.log(la.diagonal(la.cholesky(S)))) + at.sum(la.solve(S, x))
            + la.slogdet(S)[1] + at.sum(la.eigh(S)[0] ** 2))
    h = ac.function([x], ac.hessian(cost, x), mode="numpy")
    g = ac.function([x], ac.grad(cost, x), mode="numpy")
    xv, eps = np.array([0.3, -0.5, 1.2]), 1e-5
    numeric = np.stack([(g(xv + eps * e) - g(xv - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(h(xv), numeric, rtol=1e-6, atol=1e-7)
