"""RandomStream: seeds, shapes, dtypes and loose statistics of every distribution."""

import re

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at

P3 = np.array([0.2, 0.3, 0.5])
ALPHA = np.array([1.0, 2.0, 3.0])
MEAN = np.array([1.0, -1.0])
COV = np.array([[1.0, 0.5], [0.5, 2.0]])

#: (method, args, draw shape for size=(N,), dtype, expected mean, expected variance)
CASES = [
    ("normal", (1.0, 2.0), (), "float64", 1.0, 4.0),
    ("uniform", (-1.0, 3.0), (), "float64", 1.0, 16 / 12),
    ("integers", (2, 7), (), "int64", 4.0, (25 - 1) / 12),
    ("bernoulli", (0.3,), (), "int64", 0.3, 0.21),
    ("binomial", (10, 0.4), (), "int64", 4.0, 2.4),
    ("poisson", (3.0,), (), "int64", 3.0, 3.0),
    ("gamma", (2.0, 1.5), (), "float64", 3.0, 4.5),
    ("beta", (2.0, 3.0), (), "float64", 0.4, 0.04),
    ("exponential", (2.0,), (), "float64", 2.0, 4.0),
    ("categorical", (P3,), (), "int64", 1.3, 0.61),
    ("dirichlet", (ALPHA,), (3,), "float64", ALPHA / 6, None),
    ("multivariate_normal", (MEAN, COV), (2,), "float64", MEAN, np.diag(COV)),
]
N = 4000


def _draws(mode, seed):
    srng = ac.RandomStream(seed)
    rvs = [getattr(srng, case[0])(*case[1], size=(N,)) for case in CASES]
    return ac.function([], rvs, mode=mode), srng


@pytest.fixture(scope="module")
def numpy_draws():
    f, _ = _draws("numpy", 123)
    return f()


def test_shapes_dtypes_and_statistics(numpy_draws):
    for (name, _, shape, dtype, mean, var), draw in zip(CASES, numpy_draws):
        assert draw.shape == (N,) + shape, name
        assert draw.dtype == dtype, name
        np.testing.assert_allclose(draw.mean(axis=0), mean, rtol=0.1, atol=0.05, err_msg=name)
        if var is not None:
            np.testing.assert_allclose(draw.var(axis=0), var, rtol=0.15, err_msg=name)
    mv = numpy_draws[-1]
    np.testing.assert_allclose(np.cov(mv.T), COV, atol=0.15)
    np.testing.assert_allclose(numpy_draws[-2].sum(axis=1), 1.0)


def test_equal_seeds_equal_draws_in_both_modes(numpy_draws):
    f, srng = _draws("cython", 123)
    first = f()
    for a, b, case in zip(first, numpy_draws, CASES):
        np.testing.assert_array_equal(a, b, err_msg=case[0])
    second = f()
    assert all((a != b).any() for a, b in zip(first, second))
    srng.seed(123)
    for a, b in zip(f(), numpy_draws):
        np.testing.assert_array_equal(a, b)


def test_new_values_each_call_and_reseeding():
    srng = ac.RandomStream(7)
    x = srng.normal(size=(3,))
    y = srng.uniform(size=(2,))
    f = ac.function([], [x, y], mode="numpy")
    a, b = f(), f()
    assert (a[0] != b[0]).all() and (a[1] != b[1]).all()
    srng.seed(7)
    np.testing.assert_array_equal(f()[0], a[0])
    other = ac.RandomStream(99)
    x2 = other.normal(size=(3,))
    other.seed(7)
    np.testing.assert_array_equal(ac.function([], x2, mode="numpy")(), a[0])


def test_symbolic_size_and_broadcast_parameters():
    srng = ac.RandomStream(3)
    n = at.lscalar("n")
    loc = at.dvector("loc")
    x = srng.normal(loc, 1.0, size=(n, 3))
    assert x.type.shape == (None, 3)
    y = srng.poisson(np.array([1.0, 5.0, 10.0]))
    assert y.type.shape == (3,)
    f = ac.function([n, loc], [x, y], mode="numpy")
    a, b = f(4, np.array([0.0, 100.0, -100.0]))
    assert a.shape == (4, 3) and b.shape == (3,)
    assert (a[:, 1] > 50).all() and (a[:, 2] < -50).all()
    with pytest.raises(ValueError, match="non-negative"):
        f(-2, np.zeros(3))


def test_random_walk_in_scan(mode):
    srng = ac.RandomStream(5)
    walk, updates = ac.scan(lambda prev: prev + srng.normal(0.0, 1.0),
                            outputs_info=at.constant(0.0), n_steps=6)
    assert len(updates) == 1
    f = ac.function([], walk, mode=mode)
    a, b = f(), f()
    assert a.shape == (6,) and (a != b).all()
    srng.seed(5)
    np.testing.assert_array_equal(f(), a)
    steps = np.diff(np.concatenate([[0.0], a]))
    assert np.all(np.abs(steps) < 6)


def test_bad_input():
    srng = ac.RandomStream(0)
    with pytest.raises(ValueError, match="size must be non-negative"):
        srng.normal(size=(-1, 2))
    with pytest.raises(ValueError, match="loc has batch shape"):
        srng.normal(np.zeros(3), 1.0, size=(2,))
    with pytest.raises(ValueError, match="do not broadcast"):
        srng.normal(np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="cov"):
        srng.multivariate_normal(np.zeros(3), np.eye(2))
    with pytest.raises(ValueError, match="p must have at least 1"):
        srng.categorical(0.5)
    with pytest.raises(TypeError, match="size"):
        srng.normal(size=at.lvector("s"))
    with pytest.raises(TypeError, match="scale must be a tensor"):
        srng.normal(0.0, "wide")
    with pytest.raises(ValueError, match="unknown distribution"):
        srng.gen("cauchy", 0.0, 1.0)
    f = ac.function([], srng.bernoulli(1.5, size=(2,)), mode="numpy")
    with pytest.raises(ValueError, match="bernoulli"):
        f()


def test_a_draw_read_inside_a_loop_advances_too():
    srng = ac.RandomStream(11)
    z = srng.normal(size=())
    out, _ = ac.scan(lambda acc: acc + z, outputs_info=at.constant(0.0), n_steps=3)
    f = ac.function([], out, mode="numpy")
    a, b = f(), f()
    np.testing.assert_allclose(a, a[0] * np.arange(1, 4))
    assert a[0] != b[0]
    # An explicit update wins over the default one.
    rng = z.owner.inputs[0]
    frozen = ac.function([], out, mode="numpy", updates={rng: rng})
    np.testing.assert_array_equal(frozen(), frozen())


def test_draws_copy_the_generator():
    from aesara_cas.random.op import copy_generator

    for gen in (np.random.default_rng(5), np.random.Generator(np.random.MT19937(5))):
        twin = copy_generator(gen)
        first = twin.normal(size=3)
        np.testing.assert_array_equal(gen.normal(size=3), first)
        assert type(twin.bit_generator) is type(gen.bit_generator)


def test_loop_generators_advance_when_only_a_later_output_is_used():
    srng = ac.RandomStream(2)
    (walk, noise), _ = ac.scan(lambda prev: (prev + 1.0, srng.uniform()),
                               outputs_info=[at.constant(0.0), None], n_steps=4)
    f = ac.function([], noise, mode="numpy")
    assert (f() != f()).all()


def _draw_fn(mode):
    """Draws of a symbolic size and location, returned twice and stored in a shared
    variable too."""
    srng = ac.RandomStream(3)
    n, loc = at.lscalar("n"), at.dvector("loc")
    x, y = srng.normal(loc, 1.0, size=(n,)), srng.uniform(size=(4,))
    keep = ac.shared(np.zeros(4), name="keep")
    return ac.function([n, loc], [x, x, y], updates={keep: x}, mode=mode), keep


def test_compiled_draws_are_returned_without_a_copy_but_never_aliased():
    """A draw is a fresh array (``RandomVariable.fresh_outputs``): the compiled module
    returns it as is, and copies only where it would otherwise be visible twice (the
    same draw returned twice, or also stored in a shared variable)."""
    f, keep = _draw_fn("cython")
    # Returned: x, a copy of x, y; the update value: a copy of x.
    returned = re.findall(r"return \[(S\[\d+\]), ac_copy\(\1\), S\[\d+\], ac_copy\(\1\),",
                          f._cython_program.source)
    assert returned, "the draws should be returned without ac_copy, the repeats with it"
    a, b, c = f(4, np.zeros(4))
    stored = keep.get_value(borrow=True)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, stored)
    for u, v in [(a, b), (a, stored), (b, stored), (a, c)]:
        assert not np.shares_memory(u, v)
    a[:] = 0.0  # the caller's arrays are theirs
    assert (keep.get_value(borrow=True) == b).all() and (b != 0).all()


@pytest.mark.parametrize("mode", ["numpy", "cython"])
def test_bad_sizes_and_parameters_at_call_time(mode):
    f, _ = _draw_fn(mode)
    with pytest.raises(ValueError, match=r"normal: size must be non-negative, got \(-2,\)"):
        f(-2, np.zeros(1))
    with pytest.raises(ValueError, match="normal: shape mismatch"):
        f(4, np.zeros(3))  # loc of 3 for a size of 4
