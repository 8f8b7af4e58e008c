"""The kernel interpreter (the fast tier) against the graph's own module, bit for bit.

One function holds fused element-wise, reduction and staged (strip-mined) groups;
its interpreter program and its native program run the same plan on the same
values.  Random programs are drawn by hypothesis (few: each builds a module).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile import tiered
from aesara_cas.compile.cython.interp_program import InterpProgram
from aesara_cas.compile.cython.lower import lower


def _native(f):
    """Wait for ``f``'s background build and return its native program."""
    assert tiered.wait_idle(timeout=120)
    assert f._job.state == "done", f._job.error
    return f._job.program


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.fixture(scope="module")
def programs():
    x, y, z = at.dvector("x"), at.dvector("y"), at.dvector("z")
    X, w = at.dmatrix("X"), at.fvector("w")
    outs = [
        at.exp(-x ** 2 / 2) * at.sin(y) + at.log1p(at.exp(z)),   # the fused benchmark
        (at.exp(X) * x).sum(axis=1), (at.exp(X) * x).sum(axis=0), at.sin(X).sum(),
        at.logsumexp(X, axis=1), at.logsumexp(z), at.max(at.cos(X), axis=0),
        at.mean(at.tanh(X) * 0.5, axis=1), at.prod(at.cos(X) * 0.25 + 1, axis=1),
        at.exp(w) * at.sin(w) + 1.5, at.sum(at.exp(w)),
        at.min(X * 2 - 1, axis=0), at.any(x > 1), at.sum(X > 0, axis=1),
    ]
    c = X * 0 + y  # a group of > 48 members: the kernel is strip-mined in stages
    for k in range(30):
        c = at.sin(c) * 1.01 + at.exp(-c * c) * 0.5 if k % 2 == 0 else c * 0.9 - at.cos(c)
    outs.append(c)
    f = ac.function([x, y, z, X, w], outs, mode="tiered")
    fast = f._program
    assert isinstance(fast, InterpProgram)
    # Every group above runs on the interpreter (none falls back to perform).
    plan = lower(f.fgraph)
    assert fast.n_kernels == sum(s.kind in ("ew", "reduce") for s in plan.steps)
    assert any(s.kind == "ew" and len(s.group.members) > 48 for s in plan.steps)
    return fast, _native(f)


@settings(max_examples=12, deadline=None)
@given(m=st.integers(1, 5), n=st.sampled_from([0, 1, 3, 7, 8, 13, 67, 255, 256, 257, 1030]),
       seed=st.integers(0, 2 ** 32 - 1))
def test_interpreter_matches_compiled_bit_for_bit(programs, m, n, seed):
    fast, native = programs
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=n) * 3, rng.normal(size=n) * 3, rng.normal(size=n) * 3,
              rng.normal(size=(m, n)), rng.normal(size=n).astype("float32")]
    for k, (a, b) in enumerate(zip(fast.run(values), native.run(values))):
        assert _same(a, b), f"output {k} differs (shape {(m, n)})"


def test_interpreter_errors_match_compiled(programs):
    fast, native = programs
    values = [np.ones(3), np.ones(4), np.ones(3), np.ones((2, 3)), np.ones(3, "float32")]
    errors = []
    for prog in (fast, native):
        with pytest.raises(ValueError) as info:
            prog.run(values)
        errors.append((str(info.value), info.value.__notes__))
    assert errors[0] == errors[1]
    assert "could not be broadcast" in errors[0][0]


_UNARY = ["exp", "sin", "cos", "tanh", "log1p_abs", "sqrt_abs", "neg", "sqr"]
_BINARY = ["add", "mul", "sub", "div1p", "maximum", "pow_abs"]


def _apply(name, a, b=None):
    if name == "log1p_abs":
        return at.log1p(abs(a))
    if name == "sqrt_abs":
        return at.sqrt(abs(a))
    if name == "neg":
        return -a
    if name == "sqr":
        return a * a
    if name == "add":
        return a + b
    if name == "mul":
        return a * b
    if name == "sub":
        return a - b
    if name == "div1p":
        return a / (1 + b * b)
    if name == "maximum":
        return at.maximum(a, b)
    if name == "pow_abs":
        return abs(a) ** (b * 0.1)
    return getattr(at, name)(a)


_step = st.one_of(
    st.tuples(st.sampled_from(_UNARY), st.integers(0, 10 ** 6)),
    st.tuples(st.sampled_from(_BINARY), st.integers(0, 10 ** 6), st.integers(0, 10 ** 6)),
)


@settings(max_examples=2, deadline=None)
@given(steps=st.lists(_step, min_size=2, max_size=8), dtype=st.sampled_from(["float64",
                                                                              "float32"]),
       reduce=st.sampled_from([None, "sum", "max", "logsumexp"]))
def test_random_programs_match_compiled(steps, dtype, reduce):
    """A drawn program of element-wise ops (optionally reduced) gives the same bits
    on the interpreter and in its own module."""
    x, y = at.vector("x", dtype=dtype), at.vector("y", dtype=dtype)
    values = [x, y]
    for step in steps:
        args = [values[i % len(values)] for i in step[1:]]
        values.append(_apply(step[0], *args))
    out = values[-1]
    if reduce is not None:
        out = getattr(at, reduce)(out)
    f = ac.function([x, y], [out, values[-2]], mode="tiered")
    native = _native(f)
    rng = np.random.default_rng(len(steps))
    for n in (1, 5, 12, 64, 333):
        args = [rng.normal(size=n).astype(dtype), rng.normal(size=n).astype(dtype)]
        for a, b in zip(f._program.run(args), native.run(args)):
            assert _same(a, b)
