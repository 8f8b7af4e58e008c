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
