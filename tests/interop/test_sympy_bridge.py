"""SymPy round trips: from_sympy then to_sympy gives back an equal expression."""

import numpy as np
import pytest
import sympy as sp

import aesara_cas as ac
from aesara_cas import tensor as at

s, t = sp.symbols("s t", real=True)
xs, ts = at.dscalar("s"), at.dscalar("t")
VARIABLES = {s: xs, t: ts}

EXPRESSIONS = [
    sp.exp(s) - 1, sp.log(1 + sp.exp(s)), sp.sqrt(s**2 + t**2), s / t,
    sp.sin(s) ** 2 + sp.cos(t), sp.Max(s, t, 0), sp.Piecewise((s, s < 0), (t, True)),
    sp.Rational(1, 3) * s, sp.pi * s, sp.erf(s), sp.atan2(s, t), 1 / (1 + sp.exp(-s)),
    sp.tanh(s) * sp.cosh(t), sp.Abs(s - t), s**t, sp.log(s, 2), sp.floor(s) + sp.Mod(s, t),
    sp.asinh(s), sp.E**s, sp.Min(s, 2 * t) - sp.erfc(t),
]


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=str)
def test_round_trip(expr):
    back = ac.to_sympy(ac.from_sympy(expr, VARIABLES))
    assert sp.simplify(back - expr) == 0


def test_values_match_lambdify():
    expr = sp.log(1 + sp.exp(s)) * sp.sin(t) + s**2 / (1 + t**2)
    f = ac.function([xs, ts], ac.from_sympy(expr, VARIABLES), mode="numpy")
    g = sp.lambdify([s, t], expr, "numpy")
    a, b = np.linspace(-3, 3, 7), np.linspace(0.5, 2, 7)
    np.testing.assert_allclose([f(p, q) for p, q in zip(a, b)], g(a, b), rtol=1e-14)


def test_sympy_user_simplifies_with_our_rules():
    expr = sp.log(1 + sp.exp(s))
    simplified = ac.simplify(ac.from_sympy(expr, VARIABLES))
    assert ac.pprint(simplified) == "softplus(s)"


def test_reductions_round_trip():
    v = at.dvector("v")
    m = at.dmatrix("m")
    symbols = {sp.Symbol("v", real=True): v, sp.Symbol("m", real=True): m}
    back = ac.to_sympy(at.sum(v * 2, keepdims=True))
    assert str(back) == "sum(2*v, (), 1)"
    again = ac.from_sympy(back, symbols)
    np.testing.assert_allclose(again.eval({v: np.arange(3.0)}), [6.0])
    back = ac.to_sympy(at.max(at.exp(m), axis=1))
    assert str(back) == "max(exp(m), (1,), 0)"
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ac.from_sympy(back, symbols).eval({m: value}),
                               np.exp(value).max(axis=1))


def test_bad_input_names_what_is_wrong():
    with pytest.raises(ValueError, match="the symbol t is not in variables"):
        ac.from_sympy(s + t, {s: xs})
    with pytest.raises(ValueError, match="has no counterpart"):
        ac.from_sympy(sp.besselj(0, s), VARIABLES)
    with pytest.raises(TypeError, match="must be a symbolic variable"):
        ac.from_sympy(s, {s: 1.0})
    with pytest.raises(ValueError, match="no SymPy counterpart"):
        ac.to_sympy(at.dot(at.dmatrix("A"), at.dvector("b")))
