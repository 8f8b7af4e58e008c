"""Derivatives of every differentiable op of the public contract.

Each case runs ``verify_grad`` (reverse mode against central differences) and
checks ``jvp`` (forward mode) against a central difference along a random
tangent.  Inputs are random, with broadcasting between operands of different
shapes, both with unknown static lengths (run-time broadcasting) and with
static shapes.
"""

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.gradient_check import GradientError
from aesara_cas.graph.basic import Apply, Op


def _uniform(rng, lo, hi, shape):
    return rng.uniform(lo, hi, size=shape)


def check(fn, arrays, rng, static_shapes=False, eps=1e-6, jvp_tol=1e-5, **kwargs):
    """``verify_grad``, then the forward-mode product against finite differences."""
    ac.verify_grad(fn, arrays, rng, static_shapes=static_shapes, eps=eps, **kwargs)

    def sym(a, name):
        return at.tensor(a.dtype, a.shape if static_shapes else (None,) * a.ndim, name=name)

    xs = [sym(a, f"x{k}") for k, a in enumerate(arrays)]
    ts = [sym(a, f"t{k}") for k, a in enumerate(arrays)]
    out = fn(*xs)
    jv = ac.jvp(out, xs, ts)
    assert jv.type == out.type
    tangents = [rng.normal(size=a.shape) for a in arrays]
    f = ac.function(xs, out, mode="numpy")
    plus = f(*[a + eps * t for a, t in zip(arrays, tangents)])
    minus = f(*[a - eps * t for a, t in zip(arrays, tangents)])
    got = ac.function(xs + ts, jv, mode="numpy")(*arrays, *tangents)
    numeric = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(got, numeric, rtol=jvp_tol, atol=jvp_tol / 10)


# name -> (builder, domain (lo, hi) per input); shapes below broadcast against each other.
UNARY = {
    "neg": (at.neg, (-2, 2)), "abs": (at.abs, (0.2, 2)), "exp": (at.exp, (-2, 2)),
    "exp2": (at.exp2, (-2, 2)), "expm1": (at.expm1, (-2, 2)), "log": (at.log, (0.2, 3)),
    "log2": (at.log2, (0.2, 3)), "log10": (at.log10, (0.2, 3)), "log1p": (at.log1p, (-0.5, 3)),
    "sqrt": (at.sqrt, (0.2, 3)), "sqr": (at.sqr, (-2, 2)), "sin": (at.sin, (-3, 3)),
    "cos": (at.cos, (-3, 3)), "tan": (at.tan, (-1.2, 1.2)), "arcsin": (at.arcsin, (-0.9, 0.9)),
    "arccos": (at.arccos, (-0.9, 0.9)), "arctan": (at.arctan, (-3, 3)),
    "sinh": (at.sinh, (-2, 2)), "cosh": (at.cosh, (-2, 2)), "tanh": (at.tanh, (-2, 2)),
    "arcsinh": (at.arcsinh, (-2, 2)), "arccosh": (at.arccosh, (1.2, 3)),
    "arctanh": (at.arctanh, (-0.9, 0.9)), "sigmoid": (at.sigmoid, (-5, 5)),
    "softplus": (at.softplus, (-5, 5)), "log1mexp": (at.log1mexp, (-3, -0.1)),
    "erf": (at.erf, (-2, 2)), "erfc": (at.erfc, (-2, 2)),
    "negative_abs": (lambda x: abs(x), (-2, -0.2)),
}

BINARY = {
    "add": (at.add, (-2, 2), (-2, 2)), "sub": (at.sub, (-2, 2), (-2, 2)),
    "mul": (at.mul, (-2, 2), (-2, 2)), "true_div": (at.true_div, (-2, 2), (0.5, 2)),
    "pow": (at.pow, (0.5, 2), (-2, 2)), "mod": (at.mod, (0.1, 0.9), (1.0, 1.5)),
    "arctan2": (at.arctan2, (-2, 2), (0.5, 2)), "hypot": (at.hypot, (0.5, 2), (0.5, 2)),
    "maximum": (at.maximum, (-2, 2), (-2, 2)), "minimum": (at.minimum, (-2, 2), (-2, 2)),
}

SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (1, 4)), ((), (3,))]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, rng):
    fn, (lo, hi) = UNARY[name]
    check(fn, [_uniform(rng, lo, hi, (3, 4))], rng)


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("static", [False, True])
def test_binary_broadcasting(name, shapes, static, rng):
    fn, da, db = BINARY[name]
    a, b = _uniform(rng, *da, shapes[0]), _uniform(rng, *db, shapes[1])
    check(fn, [a, b], rng, static_shapes=static)
    check(lambda x, y: fn(y, x), [b, a], rng, static_shapes=static)


def test_nary_add_mul(rng):
    xs = [_uniform(rng, 0.5, 2, s) for s in [(3, 4), (4,), (3, 1)]]
    check(lambda a, b, c: at.add(a, b, c), xs, rng)
    check(lambda a, b, c: at.mul(a, b, c), xs, rng)
    check(lambda a: a * a * a, xs[:1], rng)


@pytest.mark.parametrize("static", [False, True])
def test_switch_and_clip(static, rng):
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4,))
    check(lambda x, y: at.switch(x > 0, x * 2, y), [a, b], rng, static_shapes=static)
    x = rng.uniform(-2, 2, size=(3, 4))
    lo, hi = np.full((4,), -1.0), np.full((3, 1), 1.0)
    # Keep away from the kinks where finite differences straddle two branches.
    x[np.abs(np.abs(x) - 1) < 0.05] = 0.3
    check(lambda v, a_, b_: at.clip(v, a_, b_), [x, lo, hi], rng, static_shapes=static)


def test_cast_between_floats(rng):
    x = rng.normal(size=(3,))
    check(lambda v: at.cast(at.cast(v, "float32"), "float64") * v, [x], rng,
          eps=1e-3, abs_tol=1e-3, jvp_tol=1e-3)


@pytest.mark.parametrize("kind", ["sum", "mean", "prod", "max", "min", "logsumexp"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(kind, axis, keepdims, rng):
    x = rng.uniform(0.5, 2.0, size=(2, 3, 4))
    fn = getattr(at, kind)
    check(lambda v: fn(v, axis=axis, keepdims=keepdims), [x], rng)


def test_prod_with_zeros(rng):
    fn = at.prod
    for zeros in ([0], [0, 5]):
        x = rng.uniform(0.5, 2.0, size=(2, 4))
        x.flat[zeros] = 0.0
        check(lambda v: fn(v, axis=1), [x], rng)
        check(lambda v: fn(v), [x], rng)
    x = np.array([0.0, 2.0, 3.0])
    g = ac.grad(at.prod(v := at.dvector("v")), v).eval({v: x})
    np.testing.assert_allclose(g, [6.0, 0.0, 0.0])
    g = ac.grad(at.prod(v), v).eval({v: np.array([0.0, 0.0, 3.0])})
    np.testing.assert_allclose(g, [0.0, 0.0, 0.0])


def test_max_ties_share_the_gradient():
    x = at.dvector("x")
    g = ac.grad(at.max(x), x).eval({x: np.array([1.0, 3.0, 3.0, 2.0])})
    np.testing.assert_allclose(g, [0.0, 0.5, 0.5, 0.0])
    g = ac.grad(at.sum(at.maximum(x, 1.0)), x).eval({x: np.array([1.0, 3.0, 0.0])})
    np.testing.assert_allclose(g, [0.5, 1.0, 0.0])
    g = ac.grad(at.sum(abs(x)), x).eval({x: np.array([-2.0, 0.0, 2.0])})
    np.testing.assert_allclose(g, [-1.0, 0.0, 1.0])


MATRIX_SHAPES = [((3, 4), (4, 5)), ((3, 4), (4,)), ((4,), (4, 5)), ((4,), (4,))]
SCALAR_SHAPES = [((), (3,)), ((3, 4), ()), ((), ())]


@pytest.mark.parametrize(
    ("op", "shapes"),
    [(op, s) for op in ("dot", "matmul") for s in MATRIX_SHAPES]
    + [("dot", s) for s in SCALAR_SHAPES],  # matmul rejects scalars, as NumPy does
)
def test_products(op, shapes, rng):
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    check(getattr(at, op), [a, b], rng)
    check(getattr(at, op), [a, b], rng, static_shapes=True)


@pytest.mark.parametrize("shapes", [((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)),
                                    ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 5)),
                                    ((4,), (2, 4, 5)), ((2, 3, 4), (4,))])
def test_batched_matmul(shapes, rng):
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    check(at.matmul, [a, b], rng)
    check(at.matmul, [a, b], rng, static_shapes=True)


def test_outer(rng):
    check(at.outer, [rng.normal(size=3), rng.normal(size=(2, 2))], rng)


@pytest.mark.parametrize("static", [False, True])
def test_shape_ops(static, rng):
    x = rng.normal(size=(2, 3, 4))
    for fn in [
        lambda v: v.T,
        lambda v: v.dimshuffle(2, "x", 0, 1),
        lambda v: at.transpose(v, (1, 0, 2)),
        lambda v: v.reshape((4, 6)),
        lambda v: v.reshape((-1,)),
        lambda v: at.flatten(v, 2),
        lambda v: at.expand_dims(v, 1),
        lambda v: v[1],
        lambda v: v[:, 1:3, ::2],
        lambda v: v[..., -1],
        lambda v: v[None, 0, :, 1:],
    ]:
        check(fn, [x], rng, static_shapes=static)
    y = rng.normal(size=(1, 3, 1))
    check(lambda v: at.squeeze(v, (0, 2)), [y], rng, static_shapes=static)


def test_symbolic_index(rng):
    i = at.lscalar("i")
    x = at.dmatrix("x")
    cost = at.sum(x[i, 1:i + 2] ** 2)
    g = ac.grad(cost, x).eval({x: np.arange(12.0).reshape(3, 4), i: 1})
    expected = np.zeros((3, 4))
    expected[1, 1:3] = 2 * np.array([5.0, 6.0])
    np.testing.assert_allclose(g, expected)


@pytest.mark.parametrize("static", [False, True])
def test_join_and_stack(static, rng):
    a, b, c = rng.normal(size=(2, 3)), rng.normal(size=(4, 3)), rng.normal(size=(2, 3))
    check(lambda x, y: at.concatenate([x, y, x], axis=0), [a, b], rng, static_shapes=static)
    check(lambda x, y: at.concatenate([x.T, y.T], axis=1), [a, b], rng, static_shapes=static)
    check(lambda x, y: at.stack([x, y], axis=1), [a, c], rng, static_shapes=static)


def test_inc_and_set_subtensor(rng):
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(4,))

    def inc(a, b):
        return at.inc_subtensor(a[1:3], b * 2)

    def set_(a, b):
        return at.set_subtensor(a[0], b) * a

    check(inc, [x, y], rng)
    check(set_, [x, y], rng)


def test_alloc(rng):
    v = rng.normal(size=(3,))
    check(lambda a: at.alloc(a, 2, 3) * at.alloc(a, 4, 2, 3).sum(0), [v], rng)
    check(lambda a: at.alloc(a.sum(), 2, 2), [v], rng)


def test_float32(rng):
    x = rng.uniform(0.5, 2, size=(3, 4)).astype("float32")
    y = rng.uniform(0.5, 2, size=(4,)).astype("float32")
    check(lambda a, b: at.log(a * b) / (a + b), [x, y], rng, eps=1e-3, jvp_tol=1e-2)
    a, b = at.fmatrix("a"), at.dvector("b")
    ga, gb = ac.grad(at.sum(a * b), [a, b])
    assert ga.type == a.type and gb.type == b.type


def test_verify_grad_catches_a_wrong_gradient(rng):
    from aesara_cas.tensor.grad_ops import SumToLike

    class Double(Op):  # a user's op with a wrong gradient
        def make_node(self, x):
            x = at.as_tensor_variable(x)
            return Apply(self, [x], [x.type])

        def perform(self, node, inputs):
            return [inputs[0] * 2]

        def L_op(self, node, inputs, outputs, output_grads):
            return [output_grads[0] * 3]  # wrong on purpose

    assert SumToLike  # the helper ops are importable for users writing L_ops
    with pytest.raises(GradientError, match="max abs difference"):
        ac.verify_grad(lambda v: Double()(v), [rng.normal(size=(3,))], rng=rng)


def test_verify_grad_with_fortran_ordered_and_strided_inputs(rng):
    """The finite differences reach the function whatever the input's layout (a
    Fortran-ordered input used to give a zero numeric gradient)."""
    a = np.asfortranarray(rng.normal(size=(3, 4)))
    strided = rng.normal(size=(8,))[::2]
    assert a.flags.f_contiguous and not a.flags.c_contiguous
    ac.verify_grad(lambda m, v: at.sum(m * m, axis=0) * v, [a, strided], rng=rng)
    with pytest.raises(GradientError):  # and a wrong gradient is still caught
        ac.verify_grad(lambda m: at.sum(Double()(m)), [a], rng=rng)


class Double(Op):
    """x * 2 with a wrong gradient (x * 3)."""

    def make_node(self, x):
        x = at.as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0] * 2]

    def L_op(self, node, inputs, outputs, output_grads):
        return [output_grads[0] * 3]


def test_verify_grad_rejects_bad_inputs():
    with pytest.raises(TypeError, match="floating-point"):
        ac.verify_grad(lambda v: v * 2, [np.arange(3)])
    with pytest.raises(TypeError, match="list"):
        ac.verify_grad(lambda v: v * 2, np.arange(3.0))


def test_gradients_seeded_by_a_broadcast_scalar(rng):
    # A reduction's gradient is a scalar broadcast to the input; element-wise ops
    # below it use the scalar directly where that provably gives the full shape.
    x = rng.normal(size=(3, 4))
    for fn in [
        lambda v: at.mean(at.sigmoid(v)),
        lambda v: at.sum(at.exp(v) * np.array([2.0])),
        lambda v: at.sum(at.softplus(v) * 3.0 + 1.0),
        lambda v: at.sum(at.exp(v) + np.ones((1, 1, 1))),
        lambda v: at.sum(-v),
        lambda v: at.mean(v * np.ones((1, 1))) * at.max(v),
    ]:
        check(fn, [x], rng)
        check(fn, [x], rng, static_shapes=True)


def test_gemm(rng):
    from aesara_cas.tensor.blas import gemm

    C, A, B = rng.normal(size=(3, 1)), rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    alpha, beta = np.array(0.7), np.array(-1.3)
    check(gemm, [C, alpha, A, B, beta], rng)
    check(gemm, [C, alpha, A, B, beta], rng, static_shapes=True)
    # The same variable in two positions gets both contributions.
    check(lambda c, a: gemm(c, 2.0, a, a.T, 0.5), [C, A], rng)


def test_piecewise_constant_ops_have_zero_gradient(rng):
    # Points away from the jumps, so finite differences see a flat function too.
    x = rng.integers(-3, 3, size=(3, 4)) + rng.uniform(0.2, 0.8, size=(3, 4))

    def fn(v):
        flat = at.floor(v) + at.ceil(v) + at.sign(v) + at.int_div(v, 1.0)
        return flat * 2.0 + at.cast(v > 0, "float64") + at.switch(at.eq(v, 0.0), 1.0, 0.0)

    check(fn, [x], rng)
    v = at.dmatrix("v")
    g = ac.grad(at.sum(fn(v)), v)
    np.testing.assert_array_equal(g.eval({v: x}), np.zeros((3, 4)))
