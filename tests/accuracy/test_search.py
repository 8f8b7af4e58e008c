"""The accuracy search: choices measured against the mpmath reference, bad input,
the time limit, and the ``ac.simplify``/``ac.function`` entry points."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.accuracy import search
from aesara_cas.accuracy.search import evaluate
from aesara_cas.testing import bits_of_error

x = at.dvector("x")


@pytest.fixture(scope="module")
def invcot():
    """Hamming's 1/x - 1/tan(x) near 0: no rule covers it; its series does."""
    expr = 1 / x - 1 / at.tan(x)
    return expr, search(expr, domain={"x": (-0.026, 0.026)}, limit=1.0, points=64)


def test_search_finds_an_accurate_form(invcot):
    expr, report = invcot
    assert report.error_before > 20
    assert report.error_after < 1
    # Measured again, at the search's samples, from the returned graph itself.
    got = evaluate(report.expr, report.samples)
    assert bits_of_error(got, report.exact).mean() == pytest.approx(report.error_after)
    assert "bits" in str(report) and report.chosen


def test_time_limit_returns_best_so_far_and_says_it_stopped():
    expr = (x - at.sin(x)) / (x - at.tan(x))
    report = search(expr, domain={"x": (-1e3, 1e3)}, limit=0.05, points=32)
    assert report.stop == "time"
    assert "stopped at the time limit" in str(report)
    assert report.error_after <= report.error_before
    out = evaluate(report.expr, report.samples)
    assert out.shape == report.exact.shape


def test_domain_that_excludes_every_point():
    with pytest.raises(ValueError, match="excludes every point"):
        search(at.sqrt(x), domain={"x": (3.0, 1.0)})
    with pytest.raises(ValueError, match="not an input"):
        search(at.sqrt(x), domain={"y": (0.0, 1.0)})


def test_expression_without_a_valid_sample():
    with pytest.raises(ValueError, match="no valid sample"):
        search(at.sqrt(-1 - x * x), points=16)
    with pytest.raises(ValueError, match="no valid sample"):
        search(at.log(x), domain={"x": (-5.0, -1.0)}, points=16)


def test_bad_arguments():
    with pytest.raises(TypeError, match="float64"):
        search(at.lvector("n") + 1)
    with pytest.raises(ValueError, match="element-wise"):
        search(at.sum(at.exp(x)))
    # v[:, None] - v pairs different elements of v: not one scalar function of v.
    with pytest.raises(ValueError, match="element-wise"):
        search(x.dimshuffle(0, "x") - x)
    with pytest.raises(ValueError, match="limit"):
        search(at.exp(x), limit=0)
    with pytest.raises(TypeError, match="domain"):
        search(at.exp(x), domain=[(0, 1)])


def test_simplify_and_function_entry_points():
    s = at.dscalar("s")
    expr = at.exp(s) - 2 + at.exp(-s)
    out = ac.simplify(expr, accuracy=True, domain={"s": (1e-5, 1.0)}, limit=0.6)
    report = out.tag["accuracy"]
    assert out.type == expr.type and report.error_after < 1 < report.error_before
    fn = ac.function([s], expr, mode="numpy", accuracy={"domain": {s: (1e-5, 1.0)},
                                                        "limit": 0.6})
    exact = 4 * np.sinh(1e-6 / 2) ** 2
    assert abs(fn(1e-6) - exact) <= 1e-15 * exact


UNARY = [at.exp, at.log, at.sqrt, at.sin, at.cos, at.log1p, at.expm1, at.arctan]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b]


@st.composite
def formulas(draw, depth=3):
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return x if draw(st.booleans()) else at.constant(draw(st.sampled_from([1.0, 2.0, 0.5])))
    if draw(st.booleans()):
        return draw(st.sampled_from(UNARY))(draw(formulas(depth - 1)))
    return draw(st.sampled_from(BINARY))(draw(formulas(depth - 1)), draw(formulas(depth - 1)))


@settings(max_examples=4, deadline=None)
@given(formulas(), st.sampled_from([(-1e3, 1e3), (1e-8, 10.0)]))
def test_searched_form_is_never_worse_where_the_original_is_accurate(expr, dom):
    expr = expr + 0 * x  # x is an input even when the drawn formula is a constant
    try:
        report = search(expr, domain={"x": dom}, limit=0.4, points=48)
    except ValueError as err:  # undefined everywhere in the domain: said so
        assert "no valid sample" in str(err)
        return
    orig = bits_of_error(evaluate(expr, report.samples), report.exact)
    new = bits_of_error(evaluate(report.expr, report.samples), report.exact)
    good = orig <= 1.0
    assert np.all(new[good] <= orig[good] + 2.0)
    assert new.mean() <= orig.mean() + 1e-9
