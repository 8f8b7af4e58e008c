"""Hypothesis: random expression DAGs compiled with Cython agree with the NumPy mode."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at

# Continuous ops only: libmvec and NumPy's own SIMD math differ by an ulp or two, and a
# discontinuous op downstream (floor, //, %, a comparison) could turn that into a
# different branch.  Those ops have exact tests in test_cython_backend.py.
UNARY = ["neg", "abs", "exp", "log1p", "sin", "cos", "tanh", "sqr", "sigmoid", "softplus",
         "arctan", "expm1"]
BINARY = ["add", "sub", "mul", "true_div", "maximum", "minimum", "pow", "hypot", "arctan2"]
REDUCE = ["sum", "max", "min", "mean", "logsumexp", "prod"]


@st.composite
def programs(draw):
    """A list of (kind, op, operand indices) over 4 inputs: x, y (matrices), v (a row
    vector) and s (a scalar)."""
    n = draw(st.integers(3, 12))
    steps = []
    for k in range(n):
        avail = 4 + k
        kind = draw(st.sampled_from(["u", "b", "b", "r", "w"]))
        a = draw(st.integers(0, avail - 1))
        b = draw(st.integers(0, avail - 1))
        c = draw(st.integers(0, avail - 1))
        if kind == "u":
            steps.append(("u", draw(st.sampled_from(UNARY)), a, b, c))
        elif kind == "b":
            steps.append(("b", draw(st.sampled_from(BINARY)), a, b, c))
        elif kind == "r":
            steps.append(("r", draw(st.sampled_from(REDUCE)), a, draw(st.sampled_from([0, 1])), c))
        else:
            steps.append(("w", "switch", a, b, c))
    return steps


def build(steps):
    x, y = at.dmatrix("x"), at.dmatrix("y")
    v = at.dvector("v")
    s = at.dscalar("s")
    nodes = [x, y, v, s]
    for kind, name, a, b, c in steps:
        A, B, C = nodes[a], nodes[b], nodes[c]
        if kind == "u":
            out = getattr(at, name)(A)
        elif kind == "b":
            out = getattr(at, name)(A, B)
        elif kind == "r":
            out = getattr(at, name)(A, axis=min(b, A.ndim - 1)) if A.ndim else A * 1.0
        else:
            out = at.switch(A > B, A, B) * C
        nodes.append(out)
    return [x, y, v, s], nodes[4:]


@settings(max_examples=12, deadline=None)
@given(programs(), st.integers(0, 2**32 - 1))
def test_random_programs_match_numpy_mode(steps, seed):
    inputs, outs = build(steps)
    fc = ac.function(inputs, outs, mode="cython")
    fn = ac.function(inputs, outs, mode="numpy")
    rng = np.random.default_rng(seed)
    vals = [rng.normal(size=(3, 4)) * 2, rng.normal(size=(3, 4)) * 2, rng.normal(size=4),
            np.float64(rng.normal())]
    vals[0][0, 0] = np.nan
    vals[1][1, 2] = np.inf
    try:
        rn = fn(*vals)
    except ValueError:  # lengths 3 and 4 met at run time: both modes must refuse
        with pytest.raises(ValueError):
            fc(*vals)
        return
    rc = fc(*vals)
    for a, b in zip(rc, rn):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        # libmvec vs NumPy's SIMD math: a few ulp, amplified by later operations.
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, equal_nan=True)


# Bounded element-wise steps for long programs: values stay in a range where a few ulp
# of difference between the two modes' math libraries cannot grow without bound.
LONG_UNARY = ["sin", "cos", "tanh", "arctan", "sigmoid", "neg"]
LONG_BINARY = ["mul", "mean2", "maximum", "minimum", "sub2"]


@st.composite
def long_programs(draw):
    """60-160 element-wise steps over x (a matrix, passed strided), v (a row vector,
    broadcast) and s (a scalar): fused groups big enough to run as staged kernels."""
    n = draw(st.integers(60, 160))
    steps = []
    for k in range(n):
        avail = 3 + k
        # a chain (each step uses the one before, so none is dead code) with side inputs
        a = avail - 1
        b = draw(st.integers(0, avail - 2))
        if draw(st.integers(0, 2)):
            steps.append(("u", draw(st.sampled_from(LONG_UNARY)), a, b))
        else:
            steps.append(("b", draw(st.sampled_from(LONG_BINARY)), a, b))
    return steps


def build_long(steps):
    x, v, s = at.dmatrix("x"), at.dvector("v"), at.dscalar("s")
    nodes = [x, v, s]
    for kind, name, a, b in steps:
        A, B = nodes[a], nodes[b]
        if name == "mean2":
            out = (A + B) * 0.5
        elif name == "sub2":
            out = (A - B) * 0.5
        elif kind == "u":
            out = getattr(at, name)(A)
        else:
            out = getattr(at, name)(A, B)
        nodes.append(out)
    outs = [o for o in nodes[-3:] if o.ndim == 2] or [nodes[-1] + x]
    return [x, v, s], outs + [at.sum(outs[0], axis=1)]


@settings(max_examples=6, deadline=None)
@given(long_programs(), st.integers(0, 2**32 - 1))
def test_long_programs_match_numpy_mode(steps, seed):
    inputs, outs = build_long(steps)
    fc = ac.function(inputs, outs, mode="cython")
    fn = ac.function(inputs, outs, mode="numpy")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 600))[:, ::2]
    vals = [x, rng.normal(size=300), np.float64(rng.normal())]
    for a, b in zip(fc(*vals), fn(*vals)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
