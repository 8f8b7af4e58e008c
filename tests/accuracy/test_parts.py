"""The pieces of the accuracy search: sampling, exact series, regime inference."""

from fractions import Fraction

import numpy as np
import pytest

from aesara_cas import tensor as at
from aesara_cas.accuracy import regimes, sampling
from aesara_cas.accuracy.search import evaluate
from aesara_cas.accuracy.series import expand, series_graph

x = at.dvector("x")


def test_ordinals_round_trip_and_sampling_stays_in_the_intervals(rng):
    v = np.array([-np.inf, -1e308, -1.5, -5e-324, 0.0, 5e-324, 1.0, 1e300])
    np.testing.assert_array_equal(sampling.from_ordinal(sampling.to_ordinal(v)), v)
    assert np.all(np.diff(sampling.to_ordinal(v)) > 0)
    ivs = [(-2.0, -1.0), (1e-10, 1e10)]
    pts = sampling.sample_floats(ivs, 2000, rng)
    inside = ((pts >= -2) & (pts <= -1)) | ((pts >= 1e-10) & (pts <= 1e10))
    assert inside.all()
    # Uniform over bit patterns: every binade of (1e-10, 1e10) gets about the same share.
    big = pts[pts > 0]
    assert 0.3 < np.mean(big < 1.0) < 0.7


def test_domain_specs():
    y = at.dvector("y")
    ivs = sampling.domain_intervals([x, y], {"x": (0, 1), y: [(-3, -2), (2, 3)]})
    assert ivs == [[(0.0, 1.0)], [(-3.0, -2.0), (2.0, 3.0)]]
    with pytest.raises(TypeError, match="interval"):
        sampling.domain_intervals([x], {"x": "big"})
    with pytest.raises(ValueError, match="NaN"):
        sampling.domain_intervals([x], {"x": (np.nan, 1)})


def test_series_coefficients_are_exact():
    s = expand(x - at.sin(x), x)
    assert s.terms()[:3] == [(3, Fraction(1, 6)), (5, Fraction(-1, 120)), (7, Fraction(1, 5040))]
    s = expand(at.tan(x) - x, x)
    assert s.terms()[:2] == [(3, Fraction(1, 3)), (5, Fraction(2, 15))]
    # Around infinity (t = 1/x) with half-integer powers: 1/(2 sqrt(x)) - 1/(8 x**1.5) ...
    s = expand(at.sqrt(x + 1) - at.sqrt(x), x, at_inf=True)
    assert s.terms()[:2] == [(Fraction(1, 2), Fraction(1, 2)), (Fraction(3, 2), Fraction(-1, 8))]
    s = expand(at.log(1 + x) / x, x)
    assert s.terms()[:3] == [(0, 1), (1, Fraction(-1, 2)), (2, Fraction(1, 3))]


def test_no_series_where_coefficients_are_not_rational():
    assert expand(at.exp(x + 1), x) is None      # e is not a fraction
    assert expand(at.log(x), x) is None          # log x has no power series at 0
    assert expand(at.exp(x), x, at_inf=True) is None
    assert expand(at.erf(x), x) is None          # not an op the expander knows


def test_series_graph_evaluates_the_truncated_series():
    s = expand(1 / x - 1 / at.tan(x), x)
    g = series_graph(s, x)
    v = np.array([1e-8, 1e-3, 0.02])
    got = evaluate(g, {x: v})
    np.testing.assert_allclose(got[1:], 1 / v[1:] - 1 / np.tan(v[1:]), rtol=1e-6)
    np.testing.assert_allclose(got[:1], v[:1] / 3, rtol=1e-15)  # naive: 0 (cancelled)


def test_best_split_finds_the_regimes_and_refine_bisects():
    xs = np.linspace(-10, 10, 41)
    errors = np.stack([np.where(xs < 2.6, 0.0, 30.0), np.where(xs < 2.6, 30.0, 0.0)])
    score, segs = regimes.best_split(errors, xs)
    assert [c for _, c in segs] == [0, 1]
    split = segs[0][0]
    assert split.lo < 2.6 < split.hi
    assert score == pytest.approx(regimes.SPLIT_PENALTY)
    t = regimes.refine(split, lambda v: v < 2.7)
    assert 2.6 < t <= 2.8
    # One candidate better everywhere: no split.
    _, segs = regimes.best_split(np.stack([np.zeros(41), np.ones(41)]), xs)
    assert len(segs) == 1 and segs[0] == (None, 0)


def test_short_thresholds():
    assert regimes._short_between(-1.0, 3.0) == 0.0
    assert regimes._short_between(0.07, 0.3) == 0.1
    assert regimes._short_between(-0.3, -0.07) == -0.1
    t = regimes._short_between(1.2345, 1.2346)
    assert 1.2345 < t <= 1.2346


def test_regime_graph():
    g = regimes.regime_graph(x, [0.0, 1.0], [0, 1, 2], [x * 0 - 1, x * 0, x * 0 + 1])
    np.testing.assert_array_equal(evaluate(g, {x: np.array([-3.0, 0.5, 7.0])}), [-1, 0, 1])


def test_climber_evaluates_selections_as_extraction_spells_them():
    from aesara_cas.accuracy.climb import Climber
    from aesara_cas.rewriting.egraph.egraph import EGraph
    from aesara_cas.rewriting.egraph.extract import CostModel, Extractor

    y = at.dvector("y")
    eg = EGraph()
    (root,) = eg.add_graph([x / y + 1])
    eg.rebuild()
    ext = Extractor(eg, CostModel(None))
    xs, ys = np.array([1.0, 2.0, 1e200]), np.array([3.0, 7.0, 1e-10])
    cl = Climber(eg, ext, {id(x): xs, id(y): ys}, None)
    got = cl.evaluate({}, root, {})
    # x * y**-1 is spelled x / y (one rounding), as the extracted graph computes it.
    np.testing.assert_array_equal(got, xs / ys + 1)
    np.testing.assert_array_equal(evaluate(ext.variable(root), {x: xs, y: ys}), got)
    # A selection that makes a class its own descendant is refused, not looped on.
    (prod,) = [n for n in eg[root].nodes]
    kid = eg.find(prod[1]) if eg.const_of(prod[1]) is None else eg.find(prod[2])
    assert cl.evaluate({kid: (prod[0], root, root)}, root, {}) is None


def test_regimes_chosen_end_to_end():
    from aesara_cas.accuracy import search

    report = search(at.log(at.erfc(x)), domain={"x": (1e-3, 1e5)}, limit=1.0, points=64)
    assert report.chosen.startswith("regimes on x")
    assert "switch" in str(report)
    assert report.error_after < 1 < report.error_before


def test_series_stage_expands_a_near_tie_not_only_the_best():
    # Only log1p((1 + x)/x - 1) has a sub-expression whose series is exact (1/x): the
    # stage must expand it even when another form (extracted twice) scores better.
    # No series of the whole formula is accurate from 1e-3 to 1e12.
    from aesara_cas.accuracy.search import Candidate, Pool, _series_stage

    e1 = at.log((1 + x) / x)
    best_form, near_tie = at.log(1 / x + x / x), at.log1p((1 + x) / x - 1)
    intervals = sampling.domain_intervals([x], {"x": (1e-3, 1e12)})
    values, exact = sampling.valid_points(e1, [x], intervals, 32,
                                          np.random.default_rng(0))
    pool = Pool(values, exact)
    pool.measure("original", e1)
    worse = pool.measure("near tie", near_tie)
    assert worse.mean > 5
    for _ in range(2):  # the same form twice, scored better than the near tie
        pool.add(Candidate("best", best_form, worse.errors / 2, 9))
    _series_stage(pool, e1, e1, [x], intervals, None, float("inf"))
    assert min(c.mean for c in pool.all) < 1
