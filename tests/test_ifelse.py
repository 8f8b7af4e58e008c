"""ifelse: lazy in both modes, gradients through the taken branch, bad input."""

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.graph.basic import Apply, Op
from aesara_cas.ifelse import IfElse


class Boom(Op):
    """An op that fails whenever it runs: evidence that a branch was computed."""

    calls = 0

    def make_node(self, x):
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        Boom.calls += 1
        raise RuntimeError("the branch not taken was computed")


def test_only_the_taken_branch_runs(mode):
    x = at.dvector("x")
    c = at.dscalar("c")
    then_, else_ = Boom()(x) + 1.0, [x * 2.0, x.sum()]
    out = ac.ifelse(c > 0, [then_, x.sum() * 0.0], else_)
    # Gradients flow to the branch taken.
    y = ac.ifelse(c > 0, at.log(c) * c, at.sqrt(-c))
    f = ac.function([c, x], out + [y, ac.grad(y, c)], mode=mode)
    xv = np.array([1.0, 2.0])
    Boom.calls = 0
    a, b, v, g = f(-4.0, xv)
    np.testing.assert_array_equal(a, [2.0, 4.0])
    assert float(b) == 3.0
    assert Boom.calls == 0
    assert np.isclose(v, 2.0) and np.isclose(g, -0.25)
    with pytest.raises(RuntimeError, match="not taken"):
        f(1.0, xv)
    g_only = ac.function([c], [y, ac.grad(y, c)], mode="numpy")
    v, g = g_only(2.0)
    assert np.isclose(v, 2 * np.log(2.0)) and np.isclose(g, np.log(2.0) + 1)


def test_verify_grad_each_branch():
    def fn(c, x, w):
        return ac.ifelse(c.sum() > 0, at.sin(x) * w, at.exp(w) + x)

    x = np.array([0.3, -0.4])
    ac.verify_grad(fn, [np.array([1.0]), x, np.array([0.7, 0.2])], rng=0)
    ac.verify_grad(fn, [np.array([-1.0]), x, np.array([0.7, 0.2])], rng=0)


def test_constants_and_shared_variables_in_branches():
    s = ac.shared(np.array([1.0, 2.0]), name="s")
    c = at.bscalar("c")
    out = ac.ifelse(c, s * 3.0, np.zeros(2))
    f = ac.function([c], out, mode="numpy")
    np.testing.assert_array_equal(f(True), [3.0, 6.0])
    np.testing.assert_array_equal(f(False), [0.0, 0.0])
    assert isinstance(out.owner.op, IfElse)


def test_bad_input():
    x = at.dvector("x")
    with pytest.raises(TypeError, match="condition must be a scalar"):
        ac.ifelse(x > 0, x, -x)
    with pytest.raises(TypeError, match="equal types"):
        ac.ifelse(x.sum() > 0, x, at.lvector("i"))
    with pytest.raises(TypeError, match="dimension"):
        ac.ifelse(x.sum() > 0, x, x.sum())
    with pytest.raises(ValueError, match="then_branch has 2"):
        ac.ifelse(x.sum() > 0, [x, x], [x])
    with pytest.raises(TypeError, match="then_branch"):
        ac.ifelse(x.sum() > 0, "x", x)


def test_forward_mode_through_the_taken_branch():
    a, c = at.dscalar("a"), at.dscalar("c")
    y = ac.ifelse(c > 0, at.sin(c) * a, at.exp(a))
    f = ac.function([a, c], ac.jvp(y, [a, c], [1.0, 1.0]), mode="numpy")
    assert np.isclose(f(0.3, 0.7), np.sin(0.7) + np.cos(0.7) * 0.3)
    assert np.isclose(f(0.3, -1.0), np.exp(0.3))
