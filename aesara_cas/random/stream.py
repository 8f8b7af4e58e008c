"""``RandomStream``: a factory of random variables with reproducible seeding."""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.graph.basic import Variable
from aesara_cas.random.op import DISTRIBUTIONS, RandomVariable, constant_entries, static_out_shape
from aesara_cas.random.type import RandomGeneratorSharedVariable, random_generator_shared
from aesara_cas.tensor.variable import as_tensor_variable, constant

__all__ = ["RandomStream"]


def _size_vector(size: Any, dist: str) -> tuple[Variable | None, list | None]:
    """``size`` as an int64 vector with its static entries, or ``(None, None)``."""
    from aesara_cas.tensor.elemwise import cast
    from aesara_cas.tensor.shape import as_shape_vector

    if size is None:
        return None, None
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (int(size),)
    if isinstance(size, (tuple, list)):
        for s in size:
            if isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s < 0:
                raise ValueError(f"{dist}: size must be non-negative, got {tuple(size)}")
            if isinstance(s, (bool, float)):
                raise TypeError(f"{dist}: size entries must be integers, got {s!r}")
    try:
        vec = as_shape_vector(size)
    except TypeError as err:
        raise TypeError(f"{dist}: size must be an int, a tuple of ints or integer scalars, "
                        f"or an integer vector; got {size!r}") from err
    if vec.type.shape[0] is None:
        raise TypeError(f"{dist}: a symbolic size vector must have a known length "
                        "(give a tuple of scalars instead)")
    if vec.dtype != "int64":
        vec = cast(vec, "int64")
    return vec, constant_entries(vec)


class RandomStream:
    """Random variables drawn from NumPy generators seeded from one seed.

    Each variable gets its own generator, spawned from ``numpy.random.SeedSequence(seed)``,
    held in a shared variable that every compiled function using the variable
    advances after each call (so each call draws new values).  Equal seeds give equal
    draws, in either compilation mode.

    >>> import aesara_cas as ac
    >>> srng = ac.RandomStream(seed=42)
    >>> x = srng.normal(0.0, 1.0, size=(3,))
    >>> f = ac.function([], x, mode="numpy")
    >>> bool((f() != f()).all())
    True
    """

    def __init__(self, seed: Any = None):
        self._seed_seq = np.random.SeedSequence(seed)
        self.state_updates: list[RandomGeneratorSharedVariable] = []

    def seed(self, seed: Any = None) -> None:
        """Reseed every generator of this stream (and those made later) from ``seed``."""
        self._seed_seq = np.random.SeedSequence(seed)
        for rng in self.state_updates:
            rng.set_value(self._next_generator(), borrow=True)

    def _next_generator(self) -> np.random.Generator:
        (child,) = self._seed_seq.spawn(1)
        return np.random.default_rng(child)

    def gen(self, dist_name: str, *params: Any, size: Any = None) -> Variable:
        """A random variable of the distribution ``dist_name`` (see ``DISTRIBUTIONS``)."""
        dist = DISTRIBUTIONS.get(dist_name)
        if dist is None:
            raise ValueError(f"unknown distribution {dist_name!r}; the distributions are "
                             f"{sorted(DISTRIBUTIONS)}")
        if len(params) != len(dist.params):
            raise TypeError(f"{dist_name} takes {len(dist.params)} parameter(s) "
                            f"({', '.join(dist.params)}), got {len(params)}")
        args = []
        for name, p in zip(dist.params, params):
            try:
                v = as_tensor_variable(p)
            except TypeError as err:
                raise TypeError(f"{dist_name}: {name} must be a tensor or a number, "
                                f"got {p!r}") from err
            if np.dtype(v.dtype).kind not in "biuf":
                raise TypeError(f"{dist_name}: {name} must be numeric, got {v.dtype}")
            args.append(v)
        vec, entries = _size_vector(size, dist_name)
        shape = static_out_shape(dist, entries, args)
        if vec is None:
            vec = constant(np.zeros(0, dtype="int64"))
        rng = random_generator_shared(self._next_generator(), name=f"{dist_name}_rng")
        op = RandomVariable(dist_name, entries is not None, shape)
        node = op.make_node(rng, vec, *args)
        rng.default_update = node.outputs[0]
        self.state_updates.append(rng)
        return node.outputs[1]

    # One method per distribution (NumPy's parameter names and defaults).
    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None) -> Variable:
        """Normal draws with mean ``loc`` and standard deviation ``scale``."""
        return self.gen("normal", loc, scale, size=size)

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Any = None) -> Variable:
        """Uniform draws on ``[low, high)``."""
        return self.gen("uniform", low, high, size=size)

    def integers(self, low: Any, high: Any = None, size: Any = None) -> Variable:
        """Integers on ``[low, high)`` (on ``[0, low)`` without ``high``)."""
        if high is None:
            low, high = 0, low
        return self.gen("integers", low, high, size=size)

    def bernoulli(self, p: Any, size: Any = None) -> Variable:
        """1 with probability ``p``, else 0 (int64)."""
        return self.gen("bernoulli", p, size=size)

    def binomial(self, n: Any, p: Any, size: Any = None) -> Variable:
        """Successes in ``n`` trials of probability ``p`` (int64)."""
        return self.gen("binomial", n, p, size=size)

    def poisson(self, lam: Any = 1.0, size: Any = None) -> Variable:
        """Poisson counts with rate ``lam`` (int64)."""
        return self.gen("poisson", lam, size=size)

    def gamma(self, shape: Any, scale: Any = 1.0, size: Any = None) -> Variable:
        """Gamma draws with shape ``shape`` and scale ``scale``."""
        return self.gen("gamma", shape, scale, size=size)

    def beta(self, a: Any, b: Any, size: Any = None) -> Variable:
        """Beta draws on ``[0, 1]``."""
        return self.gen("beta", a, b, size=size)

    def exponential(self, scale: Any = 1.0, size: Any = None) -> Variable:
        """Exponential draws with mean ``scale``."""
        return self.gen("exponential", scale, size=size)

    def categorical(self, p: Any, size: Any = None) -> Variable:
        """Indices drawn with probabilities ``p`` (last axis; normalised), int64."""
        return self.gen("categorical", p, size=size)

    def dirichlet(self, alpha: Any, size: Any = None) -> Variable:
        """Points of the simplex with concentrations ``alpha`` (last axis)."""
        return self.gen("dirichlet", alpha, size=size)

    def multivariate_normal(self, mean: Any, cov: Any, size: Any = None) -> Variable:
        """Normal vectors with mean ``mean`` (last axis) and covariance ``cov``."""
        return self.gen("multivariate_normal", mean, cov, size=size)
