"""The Cython backend against the NumPy mode: values, dtypes, layouts, errors, aliasing.

Each test builds few functions with many outputs: a build costs about a second,
a call microseconds.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile.cython import CythonProgram
from aesara_cas.compile.cython.lower import lower
from aesara_cas.graph.fg import FunctionGraph


def both(inputs, outputs, **kw):
    return (ac.function(inputs, outputs, mode="cython", **kw),
            ac.function(inputs, outputs, mode="numpy", **kw))


def check_same(fc, fn, *args, rtol=1e-12, atol=0.0):
    rc, rn = fc(*args), fn(*args)
    if not isinstance(rc, list):
        rc, rn = [rc], [rn]
    for a, b in zip(rc, rn):
        assert isinstance(a, np.ndarray)
        assert a.dtype == b.dtype, (a.dtype, b.dtype)
        assert a.shape == b.shape, (a.shape, b.shape)
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        else:
            np.testing.assert_array_equal(a, b)


def test_seed_contract():
    a, b = at.dscalar("a"), at.dscalar("b")
    f = ac.function([a, b], a + b)
    assert f(1.5, 2.5) == 4.0
    out = f(1.5, 2.5)
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float64
    assert isinstance(f, ac.Function)
    assert f(b=1.0, a=2) == 3.0
    assert f(np.float64(1.0), np.array(2.0)) == 3.0


def test_fused_loop_is_one_kernel():
    x, y, z = at.dvector("x"), at.dvector("y"), at.dvector("z")
    e = at.exp(-x**2 / 2) * at.sin(y) + at.log1p(at.exp(z))
    plan = lower(FunctionGraph([x, y, z], [e]))
    assert [s.kind for s in plan.steps] == ["ew"]
    fc, fn = both([x, y, z], e)
    rng = np.random.default_rng(0)
    # libmvec and NumPy's SIMD math differ by an ulp or two: compare with a tolerance
    # scaled to the terms (the sum cancels near zero).
    vals = [rng.normal(size=1000) for _ in range(3)]
    check_same(fc, fn, *vals, atol=1e-14)
    # Large enough to run on several threads.
    vals = [rng.normal(size=300_000) for _ in range(3)]
    check_same(fc, fn, *vals, atol=1e-14)


UNARY_F = ["neg", "abs", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
           "sqr", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
           "arcsinh", "arccosh", "arctanh", "sigmoid", "softplus", "log1mexp", "erf", "erfc",
           "floor", "ceil", "sign", "isnan", "isinf"]
BINARY = ["add", "sub", "mul", "true_div", "int_div", "mod", "pow", "maximum", "minimum",
          "lt", "le", "gt", "ge", "eq", "neq", "arctan2", "hypot"]
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, 1e300, -1e300, np.inf,
                    -np.inf, np.nan, 700.0, -750.0, 2.0, -3.0, 0.75])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unary_float_ops_with_special_values(dtype):
    x = at.tensor(dtype=dtype, shape=(None,), name="x")
    outs = [getattr(at, name)(x) for name in UNARY_F]
    fc, fn = both([x], outs)
    with np.errstate(over="ignore"):  # 1e300 becomes inf in float32
        vals = SPECIAL.astype(dtype)
    rtol = 1e-13 if dtype == "float64" else 2e-6
    check_same(fc, fn, vals, rtol=rtol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_binary_float_ops(dtype):
    x = at.tensor(dtype=dtype, shape=(None, 1), name="x")
    y = at.tensor(dtype=dtype, shape=(None,), name="y")
    outs = [getattr(at, name)(x, y) for name in BINARY]
    fc, fn = both([x, y], outs)
    with np.errstate(over="ignore"):
        vals = SPECIAL.astype(dtype)
    rtol = 1e-13 if dtype == "float64" else 2e-6
    check_same(fc, fn, vals[:, None], vals, rtol=rtol)


@pytest.mark.parametrize("dtype", ["int32", "int64", "int8", "uint8"])
def test_integer_ops_match_numpy(dtype):
    x = at.tensor(dtype=dtype, shape=(None, 1), name="x")
    y = at.tensor(dtype=dtype, shape=(None,), name="y")
    names = ["add", "sub", "mul", "int_div", "mod", "maximum", "minimum", "lt", "eq",
             "and_", "or_", "true_div"]
    outs = [getattr(at, n)(x, y) for n in names]
    outs += [at.neg(x), at.abs(x), at.invert(x), at.sign(x), at.sqr(x), at.exp(y)]
    fc, fn = both([x, y], outs)
    info = np.iinfo(dtype)
    vals = np.array([0, 1, -1, 2, -7, 7, 3, info.min, info.max, info.min + 1], dtype=np.int64)
    vals = np.unique(vals.clip(info.min, info.max)).astype(dtype)
    # Division and modulo by zero give 0 (NumPy), INT_MIN // -1 wraps.
    check_same(fc, fn, vals[:, None], vals, rtol=1e-15)


def test_integer_power_and_its_error():
    x, y = at.lvector("x"), at.lvector("y")
    fc, fn = both([x, y], x ** y)
    check_same(fc, fn, np.array([2, 3, -2, 0]), np.array([10, 3, 63, 0]))
    with pytest.raises(ValueError, match="negative integer powers"):
        fc(np.array([2]), np.array([-1]))


def test_bool_ops_and_mixed_promotion():
    b = at.bvector("b")
    i = at.ivector("i")
    f = at.fvector("f")
    d = at.dvector("d")
    outs = [b & b, b | ~b, b + b, b * b, b + i, i + f, i * d, f / i, i / i, f + d,
            at.switch(b, i, f), at.switch(i, d, 2.0), at.cast(d, "int32"), at.cast(f, "bool"),
            at.cast(i, "float32"), i > f, at.maximum(i, f), at.clip(d, -1.0, 1.0),
            at.clip(i, 0, 2), at.add(b, i, f, d), at.mul(i, i, i)]
    fc, fn = both([b, i, f, d], outs)
    args = (np.array([True, False, True, False]), np.array([1, -2, 0, 3], dtype="int32"),
            np.array([0.5, np.nan, -1.5, 2.0], dtype="float32"),
            np.array([np.inf, -0.0, 2.5, np.nan]))
    check_same(fc, fn, *args, rtol=1e-6)


REDUCTIONS = ["sum", "prod", "max", "min", "mean", "all", "any", "logsumexp"]


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(axis, keepdims):
    x = at.dtensor3("x")
    outs = [getattr(at, k)(x * 1.5, axis=axis, keepdims=keepdims) for k in REDUCTIONS]
    fc, fn = both([x], outs)
    rng = np.random.default_rng(1)
    v = rng.normal(size=(3, 4, 5))
    check_same(fc, fn, v, rtol=1e-13)
    v[1, 2, 3] = np.nan
    v[0, 0, 0] = np.inf
    check_same(fc, fn, v, rtol=1e-13)
    # Strided and transposed inputs take the other loop orders.
    check_same(fc, fn, rng.normal(size=(5, 4, 3)).transpose(2, 1, 0), rtol=1e-13)
    check_same(fc, fn, rng.normal(size=(6, 8, 10))[::2, ::-2, 1::2], rtol=1e-13)


def test_float_sums_round_like_numpy():
    """Pairwise summation: the compiled sum equals NumPy's bit for bit."""
    x = at.dvector("x")
    m = at.fmatrix("m")
    f = ac.function([x, m], [at.sum(x), at.sum(m, axis=1), at.mean(m, axis=1)])
    rng = np.random.default_rng(2)
    for n in [1, 5, 8, 9, 127, 128, 129, 1000, 4099]:
        v = rng.normal(size=n) * 10.0 ** rng.integers(-5, 5, size=n)
        w = rng.normal(size=(3, n)).astype("float32")
        s, sm, mm = f(v, w)
        assert s == np.sum(v)
        np.testing.assert_array_equal(sm, np.sum(w, axis=1))
        np.testing.assert_array_equal(mm, np.mean(w, axis=1))


def test_integer_and_bool_reductions():
    x = at.imatrix("x")
    b = at.bmatrix("b")
    outs = [at.sum(x), at.sum(x, axis=0), at.prod(x, axis=1), at.max(x, axis=0), at.min(x),
            at.mean(x, axis=1), at.all(x, axis=1), at.any(b, axis=0), at.sum(b, axis=1),
            at.max(b, axis=1), at.logsumexp(x, axis=1)]
    fc, fn = both([x, b], outs)
    rng = np.random.default_rng(3)
    check_same(fc, fn, rng.integers(-5, 5, size=(4, 6)).astype("int32"),
               rng.random((4, 6)) < 0.5, rtol=1e-13)


def test_empty_reductions():
    x = at.dmatrix("x")
    outs = [at.sum(x, axis=0), at.prod(x, axis=1), at.mean(x, axis=0), at.logsumexp(x, axis=0),
            at.all(x, axis=0), at.any(x, axis=0)]
    fc, fn = both([x], outs)
    check_same(fc, fn, np.zeros((0, 3)))
    check_same(fc, fn, np.zeros((3, 0)))
    fmax = ac.function([x], at.max(x, axis=0), mode="cython")
    with pytest.raises(ValueError, match="zero-size array"):
        fmax(np.zeros((0, 3)))
    assert fmax(np.zeros((3, 0))).shape == (0,)


def test_logsumexp_one_pass_edges():
    """The row-wise logsumexp folds max and sum into one pass over blocks of 1024: rows
    whose maximum rises block after block, infinities, NaN and float32 agree with scipy."""
    import scipy.special

    x, y = at.dmatrix("x"), at.fmatrix("y")
    f = ac.function([x, y], [at.logsumexp(x, axis=1), at.logsumexp(y, axis=1)], mode="cython")
    rng = np.random.default_rng(5)
    rising = np.sort(rng.normal(size=(3, 5000)) * 300, axis=1)
    inf, nan = np.inf, np.nan
    special = np.full((7, 3000), -inf)
    special[1, 2500] = inf
    special[2, [10, 2900]] = [inf, -inf]
    special[3, 1500] = nan
    special[4, :] = 1e308
    special[5, 2999] = -1e308
    special[6, ::7] = rng.normal(size=special[6, ::7].shape) * 700
    for v in (rising, rising[:, ::-1], special):
        with np.errstate(over="ignore"):  # 1e308 is inf in float32
            v32 = v.astype("float32")
        got, got32 = f(v, v32)
        with np.errstate(all="ignore"):
            want = scipy.special.logsumexp(v, axis=1)
            want32 = scipy.special.logsumexp(v32, axis=1)
        np.testing.assert_allclose(got, want, rtol=4e-16 * 8, equal_nan=True)
        assert got32.dtype == np.float32
        np.testing.assert_allclose(got32, want32, rtol=1e-6, equal_nan=True)


def _long_body(v, r, n=70):
    steps = [lambda u: at.sin(u) + r, lambda u: u * 0.5, lambda u: at.cos(u) - 1.0,
             lambda u: u ** 2]
    for i in range(n):
        v = steps[i % 4](v)
    return v


def test_staged_kernels_for_big_fused_groups():
    """Groups of more than STAGED_MEMBERS ops run in stages over blocks: strided and
    broadcast inputs, several outputs, a donated input buffer, mixed dtypes and a
    reduction over such a group all agree with the NumPy mode."""
    import re

    from aesara_cas.compile.cython.elemwise_c import STAGED_MEMBERS

    x, r, h = at.dmatrix("x"), at.dvector("r"), at.fmatrix("h")
    a = at.exp(x) * 2.0
    w = _long_body(a + at.sum(a), r)  # a dies in the staged kernel: its buffer is donated
    wh = _long_body(h, at.cast(r, "float32"), 60)
    outs = [w, w * 3.0 > 1.0, at.sum(_long_body(x, r, 60), axis=1), wh]
    fc, fn = both([x, r, h], outs)
    src = fc._cython_program.source
    staged = [m for m in re.finditer(r"static void (ac_k\d+)_(?:inner|fill).*?\n}\n", src, re.S)
              if "ac_block_in" in m.group(0)]
    assert len(staged) >= 3, "expected staged kernels"
    assert all(m.group(0).count("const double t") + m.group(0).count("const float t")
               > STAGED_MEMBERS for m in staged)
    donated = [c for c in re.findall(r"(ac_k\d+)\(F, S, (.*)\)", src)
               if c[1].split(", ")[-1] in c[1].split(", ")[:-1]]
    assert any(name in {m.group(1) for m in staged} for name, _ in donated)
    rng = np.random.default_rng(7)
    xv, rv = rng.normal(size=(5, 301)) * 0.1, rng.normal(size=301) * 0.1
    hv = rng.normal(size=(5, 301)).astype("float32")
    xs = rng.normal(size=(5, 602))[:, ::2] * 0.1  # strided
    for args in [(xv, rv, hv), (xs, rv, np.asfortranarray(hv)), (xv[:1], rv, hv[:1])]:
        got, want = fc(*args), fn(*args)
        for g, w_ in zip(got[:3], want[:3]):
            np.testing.assert_allclose(g, w_, rtol=1e-11)
        # float32 math (libmvec against NumPy's own SIMD loops) may differ in the last bits
        assert got[3].dtype == np.float32
        np.testing.assert_allclose(got[3], want[3], rtol=2e-5, atol=1e-6)


def test_staged_kernel_integer_power_error():
    """Integer powers report negative exponents from a staged kernel too."""
    i, e = at.lvector("i"), at.lscalar("e")
    v = i
    for k in range(60):
        v = (v * 3 + k) % 1000
    f = ac.function([i, e], v ** e, mode="cython")
    fn = ac.function([i, e], v ** e, mode="numpy")
    iv = np.arange(10, dtype="int64")
    np.testing.assert_array_equal(f(iv, 2), fn(iv, 2))
    with pytest.raises(ValueError, match="negative integer powers"):
        f(iv, -1)


THREADS_SCRIPT = """
import hashlib
import numpy as np
import aesara_cas as ac
from aesara_cas import tensor as at
x = at.dmatrix("x")
outs = [at.sum(x, axis=0), at.logsumexp(x, axis=0), at.max(x * 2.0, axis=0),
        at.sum(at.exp(x), axis=0), at.prod(x[:20], axis=0), at.mean(x.T, axis=1),
        at.sum(x), at.sum(at.exp(x) * 0.5), at.mean(x)]
f = ac.function([x], outs, mode="cython")
v = np.random.default_rng(0).normal(size=(1500, 1003))
got = f(v)
assert got[6] == np.sum(v) and got[8] == np.mean(v)  # NumPy's pairwise order, bit for bit
print(hashlib.sha256(b"".join(o.tobytes() for o in got)).hexdigest())
"""


def test_reductions_do_not_depend_on_threads():
    """Reductions that keep the innermost axis split the output columns among threads
    (each output still folds its values in order); a long sum splits the top of its
    pairwise tree among threads (the same tree).  1 and 2 threads agree bit for bit."""
    digests = []
    for n in ("1", "2"):
        env = dict(os.environ, AESARA_CAS_THREADS=n)
        out = subprocess.run([sys.executable, "-c", THREADS_SCRIPT], env=env,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr
        digests.append(out.stdout.split()[-1])
    assert digests[0] == digests[1]


def test_layouts_broadcasting_and_views():
    x = at.dmatrix("x")
    y = at.dvector("y")
    s = at.dscalar("s")
    outs = [x + y, x * s + 1.0, x.T - y[:3], at.exp(x[:, 0]) + y[:3],
            x.dimshuffle(1, "x", 0) * y[:3],
            at.dot(x, x.T), at.dot(x.T, y[:3]), at.dot(y[:3], x), at.dot(y, y), x @ x.T,
            at.sum(x.T, axis=0) + s]
    fc, fn = both([x, y, s], outs)
    rng = np.random.default_rng(4)
    big = rng.normal(size=(6, 10))
    # Contiguous, transposed, negative strides, a non-contiguous slice.
    for xv in [rng.normal(size=(3, 5)), rng.normal(size=(5, 3)).T, big[::-2, 1:10:2],
               np.asfortranarray(rng.normal(size=(3, 5)))]:
        yv = rng.normal(size=10)[::2]
        check_same(fc, fn, xv, yv, 0.5, rtol=1e-12)
    with pytest.raises(ValueError):
        fc(np.zeros((3, 5)), np.zeros(4), 1.0)
    with pytest.raises(ValueError):
        fc(np.zeros((3, 5)), np.zeros(4), 1.0)


def test_byteswapped_unaligned_and_subclass_inputs():
    x = at.dvector("x")
    fc, fn = both([x], [at.exp(x) + 1, at.sum(x)])
    v = np.arange(5, dtype=">f8")
    check_same(fc, fn, v)
    raw = np.zeros(5 * 8 + 1, dtype=np.uint8)
    unaligned = raw[1:].view(np.float64)
    unaligned[:] = np.arange(5.0)
    check_same(fc, fn, unaligned)
    check_same(fc, fn, [1, 2, 3])


def test_outputs_never_alias_inputs_or_each_other():
    x = at.dvector("x")
    y = x + 1
    f = ac.function([x], [x, y, y, x.T, x[1:], at.constant(np.arange(3.0))], mode="cython")
    v = np.arange(3.0)
    outs = f(v)
    assert not any(np.shares_memory(o, v) for o in outs)
    assert not np.shares_memory(outs[1], outs[2])
    outs[5][0] = 99.0
    assert f(v)[5][0] == 0.0
    g = ac.function([x], x, mode="cython")
    out = g(v)
    out[0] = -1
    assert v[0] == 0.0


def test_intermediate_buffers_reused_in_place():
    x = at.dvector("x")
    z = at.dot(at.dmatrix("A"), x)  # a fresh buffer feeding an element-wise loop
    A = z.owner.inputs[0]
    f = ac.function([A, x], at.exp(z) * 2 + 1, mode="cython")
    rng = np.random.default_rng(5)
    Av, xv = rng.normal(size=(4, 4)), rng.normal(size=4)
    np.testing.assert_allclose(f(Av, xv), np.exp(Av @ xv) * 2 + 1, rtol=1e-13)


def test_argument_errors_match_numpy_mode():
    x = at.dvector("x")
    n = at.iscalar("n")
    m = at.tensor(dtype="float64", shape=(None, 3), name="m")
    outs = [x * n, at.sum(m, axis=1)]
    fc, fn = both([x, n, m], outs)
    good = (np.ones(2), 3, np.ones((2, 3)))
    bad_calls = [
        ((np.ones(2), 3), {}),
        ((np.ones(2), 3, np.ones((2, 3)), 1), {}),
        ((np.ones(2), 1.5, np.ones((2, 3))), {}),
        ((np.ones(2), 2**40, np.ones((2, 3))), {}),
        ((np.ones((2, 2)), 3, np.ones((2, 3))), {}),
        ((np.ones(2), 3, np.ones((2, 4))), {}),
        ((np.ones(2, dtype=complex), 3, np.ones((2, 3))), {}),
        (("a", 3, np.ones((2, 3))), {}),
        ((np.ones(2), 3), {"m": np.ones((2, 3)), "x": 1}),
        ((np.ones(2), 3), {"q": np.ones((2, 3))}),
    ]
    check_same(fc, fn, *good)
    assert fc(x=np.ones(2), n=3, m=np.ones((2, 3)))[0].tolist() == [3.0, 3.0]
    for args, kwargs in bad_calls:
        with pytest.raises((TypeError, ValueError)) as ec:
            fc(*args, **kwargs)
        with pytest.raises(type(ec.value)) as en:
            fn(*args, **kwargs)
        assert str(ec.value) == str(en.value)


def test_runtime_shape_errors_name_the_computation():
    x, y = at.dvector("x"), at.dvector("y")
    f = ac.function([x, y], x + y, mode="cython")
    with pytest.raises(ValueError, match="broadcast") as err:
        f(np.ones(2), np.ones(3))
    assert any("while computing" in note for note in getattr(err.value, "__notes__", []))


def test_nasty_variable_names_compile_and_work():
    names = ['x"; import os #', "y\"\"\"\n'''\\", "*/ #include <stdio.h> /*", "z\x00w"]
    vs = [at.dvector(n) for n in names]
    out = vs[0] * 2 + vs[1] - vs[2] * vs[3]
    f = ac.function(vs, out, mode="cython")
    ones = np.ones(3)
    np.testing.assert_array_equal(f(ones, ones, ones, ones), np.ones(3) * 2)
    np.testing.assert_array_equal(f(**{n: ones for n in names}), np.ones(3) * 2)
    with pytest.raises(TypeError, match="import os"):
        f("bad", ones, ones, ones)
    for name in names:
        assert name not in f._cython_program.source


def test_same_graph_same_source():
    def make():
        x = at.dvector("x" + str(np.random.randint(1000)))
        return FunctionGraph([x], [at.exp(x) * 3.0 + at.sum(x)])

    a, b = CythonProgram(make()), CythonProgram(make())
    assert a.source == b.source
    assert a.module is b.module


def test_shared_variables_and_updates():
    w = ac.shared(np.zeros(3), name="w")
    c = ac.shared(0.0, name="c")
    x = at.dvector("x")
    f = ac.function([x], w + x, updates={w: w + x, c: c + 1}, mode="cython")
    out = f(np.ones(3))
    np.testing.assert_array_equal(out, np.ones(3))
    f(np.ones(3))
    np.testing.assert_array_equal(w.get_value(), 2 * np.ones(3))
    assert c.get_value() == 2.0
    out[0] = 100.0
    np.testing.assert_array_equal(w.get_value(), 2 * np.ones(3))


def test_ops_without_kernels_run_perform():
    x = at.dmatrix("x")
    i = at.lscalar("i")
    h = at.tensor(dtype="float16", shape=(None,), name="h")
    outs = [at.concatenate([x, x], axis=0), x[i], at.reshape(x, (-1,)), at.stack([x, x]),
            h * 2, at.exp(at.cast(h, "float64")), x.shape, at.outer(x[0], x[1])]
    fc, fn = both([x, i, h], outs)
    rng = np.random.default_rng(6)
    check_same(fc, fn, rng.normal(size=(2, 3)), 1, np.arange(3, dtype="float16"), rtol=1e-3)


def test_long_chain_compiles_and_runs():
    """10,000 element-wise operations (PyTensor's C backend fails at ~600 fused ops)."""
    x = at.dvector("x")
    s = at.dscalar("s")
    funcs = [lambda v: v + 1.0, at.sin, lambda v: v * 0.5, at.cos]
    refs = [lambda v: v + 1.0, np.sin, lambda v: v * 0.5, np.cos]
    ex, es = x, s
    for i in range(10_000):
        ex, es = funcs[i % 4](ex), funcs[i % 4](es)
    prog = CythonProgram(FunctionGraph([x, s], [ex, es]))
    xv = np.linspace(0.0, 1.0, 7)
    rx, rs = prog.run([xv, np.array(0.25)])
    ref, ref_s = xv.copy(), np.float64(0.25)
    for i in range(10_000):
        ref, ref_s = refs[i % 4](ref), refs[i % 4](ref_s)
    np.testing.assert_allclose(rx, ref, rtol=1e-12)
    assert rs.shape == ()
    np.testing.assert_allclose(rs, ref_s, rtol=1e-12)


PARALLEL_SCRIPT = """
import numpy as np
import aesara_cas as ac
from aesara_cas import tensor as at
x = at.dmatrix("x")
outs = [at.exp(x) * at.sin(x) + 1.0, at.logsumexp(x, axis=1), at.sum(at.exp(x), axis=1),
        at.max(x * 2.0, axis=1), at.sum(x, axis=0)]
fc = ac.function([x], outs, mode="cython")
fn = ac.function([x], outs, mode="numpy")
v = np.random.default_rng(0).normal(size=(700, 900))
v[3, 5] = np.nan
for a, b in zip(fc(v), fn(v)):
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13, equal_nan=True)
print("ok")
"""


def test_parallel_loops_match_numpy():
    """Big loops on two threads (forced, whatever the machine's load) give NumPy's values."""
    env = dict(os.environ, AESARA_CAS_THREADS="2")
    out = subprocess.run([sys.executable, "-c", PARALLEL_SCRIPT], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "ok"
