"""logprob against scipy.stats for every distribution and the transforms, with gradients."""

import numpy as np
import pytest
import scipy.stats as st

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.logprob import register_transform

srng = ac.RandomStream(0)
P3 = np.array([0.2, 0.3, 0.5])

#: (method, args, values, scipy log-density)
CASES = [
    ("normal", (1.0, 2.0), [-1.0, 0.5, 3.0], st.norm(1.0, 2.0).logpdf),
    ("uniform", (-1.0, 3.0), [-2.0, 0.0, 2.5], st.uniform(-1.0, 4.0).logpdf),
    ("exponential", (2.0,), [-1.0, 0.5, 3.0], st.expon(scale=2.0).logpdf),
    ("bernoulli", (0.3,), [0, 1, 1], st.bernoulli(0.3).logpmf),
    ("categorical", (P3,), [0, 2, 1], lambda v: np.log(P3[np.asarray(v)])),
    ("integers", (2, 7), [1, 2, 6], st.randint(2, 7).logpmf),
    ("poisson", (3.0,), [0, 2, 7], st.poisson(3.0).logpmf),
    ("binomial", (10, 0.4), [0, 4, 10], st.binom(10, 0.4).logpmf),
    ("gamma", (2.0, 1.5), [0.1, 1.0, 4.0], st.gamma(2.0, scale=1.5).logpdf),
    ("beta", (2.0, 3.0), [0.1, 0.5, 0.9], st.beta(2.0, 3.0).logpdf),
]


@pytest.mark.parametrize("name,args,values,ref", CASES, ids=[c[0] for c in CASES])
def test_base_distributions_match_scipy(name, args, values, ref):
    rv = getattr(srng, name)(*args, size=(3,))
    values = np.asarray(values)
    np.testing.assert_allclose(ac.logprob(rv, values).eval(), ref(values), rtol=1e-12)


def test_vector_distributions_match_scipy():
    alpha = np.array([1.0, 2.0, 3.0])
    d = srng.dirichlet(alpha)
    v = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(ac.logprob(d, v).eval(), st.dirichlet(alpha).logpdf(v))
    mean, cov = np.array([1.0, -1.0]), np.array([[1.0, 0.5], [0.5, 2.0]])
    mv = srng.multivariate_normal(mean, cov, size=(3,))
    vals = np.array([[0.0, 0.0], [1.0, -1.0], [2.0, 1.0]])
    np.testing.assert_allclose(ac.logprob(mv, vals).eval(),
                               st.multivariate_normal(mean, cov).logpdf(vals))
    one = srng.multivariate_normal(mean, cov)
    np.testing.assert_allclose(ac.logprob(one, vals[2]).eval(),
                               st.multivariate_normal(mean, cov).logpdf(vals[2]))

    def mv_lp(m, c):
        c = at.dot(c, c.T) + np.eye(2)  # a covariance for any c
        return ac.logprob(srng.multivariate_normal(m, c, size=(3,)), vals).sum()

    ac.verify_grad(mv_lp, [mean, np.array([[1.0, 0.2], [0.3, 0.9]])], rng=0)


def test_compiled_mode_matches(mode):
    mu, sigma = at.dscalar("mu"), at.dscalar("sigma")
    v = at.dvector("v")
    z = srng.normal(mu, sigma, size=(3,))
    lp = ac.logprob(2.0 + 3.0 * at.exp(z), v)
    f = ac.function([v, mu, sigma], lp, mode=mode)
    vals = np.array([2.5, 4.0, 10.0])
    ref = st.lognorm(s=0.5, scale=3.0 * np.exp(0.2), loc=2.0).logpdf(vals)
    np.testing.assert_allclose(f(vals, 0.2, 0.5), ref, rtol=1e-12)


def test_transforms_match_scipy():
    mu, sigma = 0.3, 1.5
    vals = np.array([0.2, 1.1, 3.0])
    z = srng.normal(mu, sigma, size=(3,))
    cases = [
        (4.0 + 2.0 * z, st.norm(4.0 + 2.0 * mu, 2.0 * sigma).logpdf(vals)),
        (z * -2.0 - 1.0, st.norm(-2.0 * mu - 1.0, 2.0 * sigma).logpdf(vals)),
        (z / 4.0, st.norm(mu / 4.0, sigma / 4.0).logpdf(vals)),
        (-z, st.norm(-mu, sigma).logpdf(vals)),
        (at.exp(z), st.lognorm(s=sigma, scale=np.exp(mu)).logpdf(vals)),
        (at.log(srng.exponential(2.0, size=(3,))),
         st.expon(scale=2.0).logpdf(np.exp(vals)) + vals),
    ]
    for k, (expr, ref) in enumerate(cases):
        got = ac.logprob(expr, vals).eval()
        np.testing.assert_allclose(got[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=1e-10,
                                   err_msg=f"case {k}")
    unit = np.array([0.1, 0.5, 0.8])
    ref = st.norm(mu, sigma).logpdf(np.log(unit / (1 - unit))) - np.log(unit * (1 - unit))
    np.testing.assert_allclose(ac.logprob(at.sigmoid(z), unit).eval(), ref, rtol=1e-12)
    shifted = srng.poisson(3.0, size=(3,)) + 2
    np.testing.assert_allclose(ac.logprob(shifted, np.array([2, 3, 9])).eval(),
                               st.poisson(3.0).logpmf([0, 1, 7]))


def test_registered_transform():
    register_transform("arctan", at.tan, lambda v: -2.0 * at.log(at.cos(v)))
    z = srng.normal(0.0, 1.0, size=(2,))
    vals = np.array([0.3, -1.0])
    ref = st.norm().logpdf(np.tan(vals)) - 2 * np.log(np.cos(vals))
    np.testing.assert_allclose(ac.logprob(at.arctan(z), vals).eval(), ref, rtol=1e-12)


def test_gradients():
    def normal_lp(mu, sigma, v):
        z = srng.normal(mu, sigma, size=(3,))
        return ac.logprob(1.0 + 2.0 * at.exp(z), v)

    ac.verify_grad(normal_lp, [np.array(0.3), np.array(1.2), np.array([1.5, 2.0, 4.0])], rng=0)

    def gamma_lp(k, theta, v):
        return ac.logprob(srng.gamma(k, theta, size=(3,)), v).sum()

    ac.verify_grad(gamma_lp, [np.array(2.0), np.array(1.5), np.array([0.5, 1.0, 2.0])], rng=0)

    def beta_lp(a, b):
        return ac.logprob(srng.beta(a, b, size=(3,)), np.array([0.2, 0.5, 0.7])).sum()

    ac.verify_grad(beta_lp, [np.array(2.0), np.array(3.0)], rng=0)
    mu = at.dscalar("mu")
    g = ac.grad(ac.logprob(srng.normal(mu, 1.0), 2.0), mu)
    assert np.isclose(g.eval({mu: 0.5}), 1.5)


def test_bad_input():
    x = at.dvector("x")
    with pytest.raises(ValueError, match="not a random variable"):
        ac.logprob(x * 2.0, np.zeros(3))
    z1, z2 = srng.normal(size=(2,)), srng.normal(size=(2,))
    with pytest.raises(ValueError, match="combines 2 random variables"):
        ac.logprob(z1 + z2, np.zeros(2))
    with pytest.raises(NotImplementedError, match="no rule inverts"):
        ac.logprob(at.cos(z1), np.zeros(2))
    with pytest.raises(ValueError, match="discrete"):
        ac.logprob(srng.poisson(1.0, size=(2,)) * 2, np.zeros(2, dtype="int64"))
    with pytest.raises(ValueError, match="dimension"):
        ac.logprob(z1, 0.0)


#: (method, float parameters, how to call it, values) for gradient checks.
GRAD_CASES = [
    ("normal", [1.0, 2.0], lambda s, p: s.normal(*p, size=(3,)), [-1.0, 0.5, 3.0]),
    ("uniform", [-1.0, 3.0], lambda s, p: s.uniform(*p, size=(3,)), [-0.5, 0.0, 2.5]),
    ("exponential", [2.0], lambda s, p: s.exponential(*p, size=(3,)), [0.1, 0.5, 3.0]),
    ("bernoulli", [0.3], lambda s, p: s.bernoulli(*p, size=(3,)), [0, 1, 1]),
    ("categorical", [P3], lambda s, p: s.categorical(*p, size=(3,)), [0, 2, 1]),
    ("poisson", [3.0], lambda s, p: s.poisson(*p, size=(3,)), [0, 2, 7]),
    ("binomial", [0.4], lambda s, p: s.binomial(10, *p, size=(3,)), [0, 4, 10]),
    ("dirichlet", [np.array([1.0, 2.0, 3.0])], lambda s, p: s.dirichlet(*p),
     [0.2, 0.3, 0.5]),
]


@pytest.mark.parametrize("name,params,make,values", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradients_of_every_distribution(name, params, make, values):
    def lp(*p):
        return ac.logprob(make(srng, p), np.asarray(values)).sum()

    ac.verify_grad(lp, [np.asarray(p, dtype="float64") for p in params], rng=0)
