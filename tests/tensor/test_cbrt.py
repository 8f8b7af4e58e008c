"""``cbrt``: NumPy's real cube root in every tier, its gradient, printing and references."""

import mpmath
import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile import tiered
from aesara_cas.compile.cython.interp_program import InterpProgram
from aesara_cas.testing.mp_scalar import MP_SCALAR

# Signed zeros, subnormals, the ends of the range, inf and nan.
EDGES = np.array([-8.0, -0.0, 0.0, 27.0, 1e-300, -5e-324, 5e-324, 1e308, -1.7976931348623157e308,
                  np.inf, -np.inf, np.nan, 0.125, -3.0, 2.0])


@pytest.fixture(scope="module")
def cbrt_fns():
    """One function per mode: cbrt of a float64, a float32 and an int64 vector, and
    cbrt fused with ``expm1`` (a vectorised math call in the same loop).  The compiled
    one is built by the tiered mode, so its interpreter program can be compared too."""
    x, xf, n = at.dvector("x"), at.fvector("xf"), at.lvector("n")
    outs = [at.cbrt(x), at.cbrt(xf), at.cbrt(n), at.cbrt(at.expm1(x)) * 3]
    tiered_fn = ac.function([x, xf, n], outs, mode="tiered")
    assert tiered.wait_idle(timeout=120)
    assert tiered_fn._job.state == "done", tiered_fn._job.error
    programs = tiered_fn._program, tiered_fn._job.program  # (interpreter, own module)
    return {"numpy": ac.function([x, xf, n], outs, mode="numpy"), "cython": tiered_fn,
            "programs": programs}


def _expected(xs, xfs, ns):
    return [np.cbrt(xs), np.cbrt(xfs), np.cbrt(ns), np.cbrt(np.expm1(xs)) * 3]


def _check(got, expected):
    for k, (g, e) in enumerate(zip(got, expected)):
        assert g.dtype == e.dtype, k
        # Zeros, infinities and NaNs exactly, signs of zero included (array_equal alone
        # treats -0.0 == 0.0); finite values within an ulp: the compiled module calls C's
        # cbrt (within an ulp of the true root), NumPy may use its own, nearly correctly
        # rounded SIMD loop: the two differ by up to 2 ulps after rounding.
        exact = ~np.isfinite(e) | (e == 0)
        np.testing.assert_array_equal(g[exact], e[exact], err_msg=str(k))
        np.testing.assert_array_equal(np.signbit(g), np.signbit(e), err_msg=str(k))
        # (the last output: two calls and a product, each within an ulp or so)
        np.testing.assert_array_max_ulp(g[~exact], e[~exact], maxulp=2 if k < 3 else 6)


def _inputs():
    rng = np.random.default_rng(3)
    xs = np.concatenate([rng.normal(size=40) * 10.0 ** rng.integers(-30, 30, size=40), EDGES,
                         np.linspace(-40, 40, 37)])
    xfs = np.clip(xs, -1e38, 1e38).astype("float32")
    ns = np.arange(-40, xs.size - 40, dtype=np.int64) ** 3
    return xs, xfs, ns


def test_values_match_numpy(mode, cbrt_fns):
    xs, xfs, ns = _inputs()
    with np.errstate(all="ignore"):
        _check(cbrt_fns[mode](xs, xfs, ns), _expected(xs, xfs, ns))


def test_interpreter_matches_module_bit_for_bit(cbrt_fns):
    interpreter, module = cbrt_fns["programs"]
    assert isinstance(interpreter, InterpProgram)
    args = list(_inputs())
    with np.errstate(all="ignore"):
        fast, native = interpreter.run(args), module.run(args)
    assert len(fast) == 4
    for k, (a, b) in enumerate(zip(fast, native)):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), k


def test_negative_inputs_are_real():
    f = ac.function([x := at.dvector("x")], at.cbrt(x), mode="numpy")
    np.testing.assert_array_equal(f([-8.0, -27.0, -1e-9]), [-2.0, -3.0, -1e-3])


def test_dtypes_follow_numpy():
    for dtype in ("float32", "float64", "int64", "int8", "bool"):
        assert at.cbrt(at.vector(dtype=dtype)).dtype == np.cbrt(np.ones(1, dtype)).dtype.name


def test_gradient():
    ac.verify_grad(at.cbrt, [np.array([-3.0, -0.4, 0.2, 1.5, 30.0])])
    x = at.dvector("x")
    g = ac.grad(at.sum(at.cbrt(x)), x)
    f = ac.function([x], g, mode="numpy")
    xs = np.array([-8.0, 0.0, 27.0, 1e-3])
    # 1 / (3 cbrt(x)**2); inf at 0, like sqrt'(0).
    np.testing.assert_allclose(f(xs), [1 / 12, np.inf, 1 / 27, 100 / 3], rtol=1e-15)


def test_mpmath_reference():
    ctx = mpmath.mp.clone()
    ctx.prec = 200
    ref = MP_SCALAR["cbrt"]
    for x in [-8.0, -1e-300, 3.0, 1e308, 0.0]:
        assert float(ref(ctx, ctx.mpf(x))) == np.cbrt(x)
    assert float(ref(ctx, ctx.mpf(-np.inf))) == -np.inf
    assert np.isnan(float(ref(ctx, ctx.mpf("nan"))))


def test_printing_and_parsing():
    from aesara_cas.expr_parser import FUNCTIONS
    from aesara_cas.latex import latex

    x = at.dscalar("x")
    assert latex(at.cbrt(x + 1)) == r"\sqrt[3]{x + 1}"
    assert FUNCTIONS["cbrt"] is at.cbrt


def test_sympy_round_trip():
    import sympy as sp

    from aesara_cas.sympy_bridge import from_sympy, to_sympy

    x = at.dscalar("x")
    e = to_sympy(at.cbrt(x))
    s = sp.Symbol("x", real=True)
    assert e == sp.real_root(s, 3)
    back = ac.function([x], from_sympy(e, {s: x}), mode="numpy")
    assert float(back(-8.0)) == -2.0
