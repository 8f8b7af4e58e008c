"""Multi-output fusion in the Cython backend: values read outside a loop are stored
by it, so chains whose intermediates have other readers still fuse."""

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile.cython.fuse import MAX_FUSED, WIDE
from aesara_cas.compile.cython.lower import lower


def both(inputs, outputs):
    return (ac.function(inputs, outputs, mode="cython"),
            ac.function(inputs, outputs, mode="numpy"))


def chain(x, n):
    v = x
    for i in range(n):
        v = at.tanh(v) * 0.999 if i % 2 else at.sin(v) + 0.001
    return v


def test_chain_and_its_gradient_fuse_into_few_loops():
    x = at.dvector("x")
    v = chain(x, 300)
    outs = [v, ac.grad(v.sum(), x)]
    fc, fn = both([x], outs)
    ew = [s for s in lower(fc.fgraph).steps if s.kind == "ew"]
    # Every forward value is read by the gradient too; one loop per node before.
    n_nodes = len(fc.fgraph.apply_nodes)
    assert len(ew) <= 3 * n_nodes // MAX_FUSED + 4, (len(ew), n_nodes)
    assert any(len(s.group.outputs) > 1 for s in ew)
    xv = np.linspace(-2, 2, 1001)
    for a, b in zip(fc(xv), fn(xv)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_intermediate_with_several_readers_is_stored_once_and_not_aliased():
    x = at.dvector("x")
    e = at.exp(x) * 2.0
    outs = [e, e + 1.0, at.sqrt(e), e]
    fc, fn = both([x], outs)
    plan = lower(fc.fgraph)
    assert [s.kind for s in plan.steps] == ["ew"]
    assert len(plan.steps[0].group.outputs) == 3
    xv = np.linspace(-1, 1, 50)
    rc, rn = fc(xv), fn(xv)
    for a, b in zip(rc, rn):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    assert not np.shares_memory(rc[0], rc[3])
    rc[0][:] = 0.0
    np.testing.assert_allclose(rc[3], rn[3], rtol=1e-13)


def test_stored_value_keeps_its_own_broadcast_shape():
    # x and y have unknown lengths: at run time x may have length 1 and broadcast.
    x, y = at.dvector("x"), at.dvector("y")
    m = at.exp(x)
    r = m * y + 1.0
    fc, fn = both([x, y], [m, r, r * m])
    plan = lower(fc.fgraph)
    assert sum(s.kind == "ew" for s in plan.steps) == 1
    for xv, yv in [(np.array([0.5]), np.arange(5.0)), (np.arange(4.0), np.arange(4.0)),
                   (np.arange(3.0), np.array([2.0]))]:
        rc, rn = fc(xv, yv), fn(xv, yv)
        for a, b in zip(rc, rn):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-13)
    with pytest.raises(ValueError):
        fc(np.arange(3.0), np.arange(4.0))


def test_unrelated_lengths_are_not_forced_together():
    # exp(x) and exp(y) share no operand: fusing them would make NumPy-legal
    # calls with different lengths fail.
    x, y = at.dvector("x"), at.dvector("y")
    fc, fn = both([x, y], [at.exp(x), at.exp(y)])
    rc = fc(np.arange(3.0), np.arange(5.0))
    rn = fn(np.arange(3.0), np.arange(5.0))
    for a, b in zip(rc, rn):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_value_read_by_a_reduction_and_by_the_loop_after_it():
    # a is stored by its loop, summed, and the sum feeds a later loop over a: the
    # group holding a must not also hold b (b needs the sum, which needs a).
    x = at.dmatrix("x")
    a = at.exp(x) - 1.0
    s = a.sum()
    b = a * s + at.cos(a)
    fc, fn = both([x], [b, a, s])
    xv = np.linspace(-1, 1, 12).reshape(3, 4)
    for c, n in zip(fc(xv), fn(xv)):
        np.testing.assert_allclose(c, n, rtol=1e-12)


def test_error_in_a_multi_output_loop():
    x, y = at.lvector("x"), at.lvector("y")
    p = x ** y
    fc, fn = both([x, y], [p, p + 1, p * x])
    assert len(lower(fc.fgraph).steps[0].group.outputs) == 3
    xv, yv = np.array([2, 3, -2]), np.array([10, 3, 5])
    for c, n in zip(fc(xv, yv), fn(xv, yv)):
        np.testing.assert_array_equal(c, n)
    with pytest.raises(ValueError, match="negative integer powers"):
        fc(np.array([2]), np.array([-1]))


def test_wide_nary_product_is_split_and_bit_identical():
    xs = [at.dvector(f"x{i}") for i in range(5 * WIDE)]
    prod = xs[0]
    for v in xs[1:]:
        prod = prod * v
    fc, fn = both(xs, [prod, prod * 2.0])
    widths = [len(n.inputs) for n in fc.fgraph.apply_nodes]
    assert max(widths) <= WIDE
    rng = np.random.default_rng(1)
    vals = [rng.uniform(0.5, 1.5, size=7) for _ in xs]
    for c, n in zip(fc(*vals), fn(*vals)):
        np.testing.assert_array_equal(c, n)
