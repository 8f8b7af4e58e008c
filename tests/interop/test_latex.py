"""latex: expected strings for common expressions, escaping, deep graphs."""

import pytest

import aesara_cas as ac
from aesara_cas import tensor as at

x = at.dscalar("x")
y = at.dscalar("y")
alpha = at.dvector("alpha")
A = at.dmatrix("A_1")

CASES = [
    (at.exp(x) / (1 + x), r"\frac{e^{x}}{1 + x}"),
    (-x, "-x"),
    (x - 2 * x, r"x - 2 \cdot x"),
    (x + (-2) * y, r"x - 2 \cdot y"),
    (x**2, "{x}^{2}"),
    (at.sqr(x + 1), r"{\left(x + 1\right)}^{2}"),
    (at.sqrt(x + 1) - at.sqrt(x), r"\sqrt{x + 1} - \sqrt{x}"),
    (at.sum(alpha * alpha), r"\sum \left(\alpha \cdot \alpha\right)"),
    (at.sum(A, axis=0), r"\sum_{\mathrm{axis}=0} A_{1}"),
    (A.T, "{A_{1}}^{T}"),
    (at.dot(A, alpha), r"A_{1} \alpha"),
    (at.log(x), r"\log{\left(x \right)}"),
    (at.log1p(at.exp(x)), r"\operatorname{log1p}{\left(e^{x} \right)}"),
    (x <= 2, r"x \leq 2"),
    (at.switch(x < 0, -x, x),
     r"\begin{cases} -x & \text{if}\ x < 0 \\ x & \text{otherwise} \end{cases}"),
    ((x + 1) ** (x - 1), r"{\left(x + 1\right)}^{x - 1}"),
    (x * (x + 1), r"x \cdot \left(x + 1\right)"),
    (at.abs(x - y), r"\left|x - y\right|"),
    (at.maximum(x, 0), r"\operatorname{maximum}{\left(x, 0 \right)}"),
    (1e-20 * x, r"1 \cdot 10^{-20} \cdot x"),
    (x / (x + 1) / (x + 2), r"\frac{\frac{x}{x + 1}}{x + 2}"),
    (at.sin(x) ** 2 + at.cos(y), r"{\sin{\left(x \right)}}^{2} + \cos{\left(y \right)}"),
]


@pytest.mark.parametrize("expr, expected", CASES)
def test_latex_strings(expr, expected):
    assert ac.latex(expr) == expected


def test_names_are_escaped_and_repr_latex():
    v = at.dscalar("my var_%$")
    assert ac.latex(v + 1) == r"\mathrm{my var\_\%\$} + 1"
    assert (x + 1)._repr_latex_() == "$x + 1$"
    with pytest.raises(TypeError, match="latex takes symbolic variables"):
        ac.latex("x")


def test_deep_chain_is_linear():
    c = x
    for _ in range(3_000):
        c = (c + 1) * 1.0001
    text = ac.latex(c)
    assert text.count(r"\cdot") == 3_000
