"""Random variables: one op family drawing from ``numpy.random.Generator``.

``RandomVariable(dist, size_given, ndim)`` takes ``[rng, size, *params]`` and
returns ``[next_rng, draw]``.  The distributions are data (:data:`DISTRIBUTIONS`):
parameter count and core dimensions, support dimensions, output dtype and the
NumPy sampler.  ``size`` follows NumPy: the batch shape of the draw (support
dimensions, as for ``multivariate_normal``, come after it); without it, the batch
shape is the parameters' broadcast shape.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Constant, Op, Variable
from aesara_cas.random.type import RandomGeneratorType, as_generator
from aesara_cas.tensor.type import TensorType

__all__ = ["DISTRIBUTIONS", "Distribution", "RandomVariable"]


@dataclass(frozen=True)
class Distribution:
    """How to draw one distribution.

    ``param_ndims``: core dimensions of each parameter (0 for scalars, 1 for a
    probability vector, 2 for a covariance); ``ndim_supp``: dimensions of one draw;
    ``supp_from``: which parameter gives the support length.
    """

    name: str
    params: tuple[str, ...]
    param_ndims: tuple[int, ...]
    ndim_supp: int
    dtype: str
    sample: Callable
    supp_from: int = 0


def _method(name: str) -> Callable:
    def sample(gen, params, size):
        return getattr(gen, name)(*params, size=size)
    return sample


def _bernoulli(gen, params, size):
    return gen.binomial(1, params[0], size=size)


def _batch(size, params, ndims) -> tuple:
    if size is not None:
        return tuple(size)
    return np.broadcast_shapes(*(np.shape(p)[:np.ndim(p) - d] for p, d in zip(params, ndims)))


def _categorical(gen, params, size):
    p = np.asarray(params[0], dtype="float64")
    batch = _batch(size, [p], (1,))
    pb = np.broadcast_to(p, batch + p.shape[-1:])
    cdf = np.cumsum(pb, axis=-1)
    cdf /= cdf[..., -1:]
    u = gen.random(batch + (1,))
    idx = (u >= cdf).sum(axis=-1)
    return np.minimum(idx, p.shape[-1] - 1)


def _dirichlet(gen, params, size):
    alpha = np.asarray(params[0], dtype="float64")
    if alpha.ndim == 1:
        return gen.dirichlet(alpha, size=size)
    batch = _batch(size, [alpha], (1,))
    g = gen.standard_gamma(np.broadcast_to(alpha, batch + alpha.shape[-1:]))
    return g / g.sum(axis=-1, keepdims=True)


def _mvnormal(gen, params, size):
    mean, cov = (np.asarray(p, dtype="float64") for p in params)
    if mean.ndim == 1 and cov.ndim == 2:
        return gen.multivariate_normal(mean, cov, size=size, method="cholesky")
    batch = _batch(size, [mean, cov], (1, 2))
    chol = np.linalg.cholesky(cov)
    z = gen.standard_normal(batch + mean.shape[-1:])
    return mean + np.einsum("...ij,...j->...i", chol, z)


def _dist(name, params, ndims=None, supp=0, dtype="float64", sample=None) -> Distribution:
    ndims = ndims or (0,) * len(params)
    return Distribution(name, tuple(params), tuple(ndims), supp, dtype,
                        sample or _method(name))


#: Every distribution ``RandomStream`` offers, by name.
DISTRIBUTIONS: dict[str, Distribution] = {d.name: d for d in [
    _dist("normal", ("loc", "scale")),
    _dist("uniform", ("low", "high")),
    _dist("integers", ("low", "high"), dtype="int64"),
    _dist("bernoulli", ("p",), dtype="int64", sample=_bernoulli),
    _dist("binomial", ("n", "p"), dtype="int64"),
    _dist("poisson", ("lam",), dtype="int64"),
    _dist("gamma", ("shape", "scale")),
    _dist("beta", ("a", "b")),
    _dist("exponential", ("scale",)),
    _dist("categorical", ("p",), (1,), dtype="int64", sample=_categorical),
    _dist("dirichlet", ("alpha",), (1,), supp=1, sample=_dirichlet),
    _dist("multivariate_normal", ("mean", "cov"), (1, 2), supp=1, sample=_mvnormal),
]}


def _clash(a, b) -> bool:
    return a is not None and b is not None and a != b and a != 1 and b != 1


def static_out_shape(dist: Distribution, size_entries: list | None,
                     params: list[Variable]) -> tuple:
    """The draw's static shape; ``ValueError`` when parameter shapes cannot agree."""
    batches = []
    for name, p, d in zip(dist.params, params, dist.param_ndims):
        if p.ndim < d:
            raise ValueError(
                f"{dist.name}: {name} must have at least {d} dimension(s), got {p.ndim} "
                f"({p.type})"
            )
        batches.append((name, p.type.shape[:p.ndim - d]))
    if dist.name == "multivariate_normal":
        mean, cov = params
        k = {mean.type.shape[-1], cov.type.shape[-1], cov.type.shape[-2]} - {None}
        if len(k) > 1:
            raise ValueError(
                f"multivariate_normal: mean has shape {mean.type.shape[-1:]} but cov has "
                f"shape {cov.type.shape[-2:]}; cov must be (k, k) for a mean of length k"
            )
    if size_entries is not None:
        n = len(size_entries)
        for name, b in batches:
            if len(b) > n or any(_clash(x, s) for x, s in zip(b[::-1], size_entries[::-1])):
                raise ValueError(
                    f"{dist.name}: {name} has batch shape {b}, which does not broadcast to "
                    f"size {tuple(size_entries)}"
                )
        batch = tuple(size_entries)
    else:
        ndim = max((len(b) for _, b in batches), default=0)
        batch = []
        for axis in range(ndim):
            known = set()
            for _, b in batches:
                pad = (1,) * (ndim - len(b)) + tuple(b)
                if pad[axis] is not None:
                    known.add(pad[axis])
            if len(known - {1}) > 1:
                shapes = ", ".join(f"{name} {b}" for name, b in batches)
                raise ValueError(f"{dist.name}: parameter shapes do not broadcast: {shapes}")
            if known - {1}:
                batch.append((known - {1}).pop())
            elif known == {1} and all(
                ((1,) * (ndim - len(b)) + tuple(b))[axis] == 1 for _, b in batches
            ):
                batch.append(1)
            else:
                batch.append(None)
        batch = tuple(batch)
    supp = ()
    if dist.ndim_supp:
        p = params[dist.supp_from]
        supp = p.type.shape[-1:]
    return batch + supp


class RandomVariable(Op):
    """Draw from ``dist`` with a copy of the input generator.

    Inputs ``[rng, size, *params]``; outputs ``[next_rng, draw]``.  ``size_given``
    says whether ``size`` (an int64 vector) is the batch shape or a placeholder.
    """

    __props__ = ("dist_name", "size_given", "out_shape")
    #: ``perform`` returns the draw as a new array nothing else holds (checked there):
    #: compiled modules return it without a copy (see ``cython.wrapper.fresh_outputs``).
    fresh_outputs = (1,)

    def __init__(self, dist_name: str, size_given: bool, out_shape: tuple):
        self.dist_name = dist_name
        self.size_given = bool(size_given)
        self.out_shape = tuple(out_shape)
        self.dist = DISTRIBUTIONS[dist_name]
        self._freeze()

    def __str__(self) -> str:
        return f"{self.dist_name}_rv"

    def make_node(self, rng: Variable, size: Variable, *params: Variable) -> Apply:
        if not isinstance(rng.type, RandomGeneratorType):
            raise TypeError(f"{self}: the first input must be a random generator, got {rng!r}")
        out = TensorType(self.dist.dtype, self.out_shape)
        return Apply(self, [rng, size, *params], [RandomGeneratorType(), out])

    def perform(self, node: Apply, inputs: list[Any]) -> list[Any]:
        rng, size, *params = inputs
        gen = copy_generator(as_generator(rng, f"the generator of {self}"))
        shape = None
        if self.size_given:
            shape = tuple(int(s) for s in np.asarray(size).reshape(-1))
            if any(s < 0 for s in shape):
                raise ValueError(f"{self.dist_name}: size must be non-negative, got {shape}")
        try:
            draw = self.dist.sample(gen, params, shape)
        except ValueError as err:
            raise ValueError(f"{self.dist_name}: {err} (parameters of shapes "
                             f"{[np.shape(p) for p in params]}, size {shape})") from None
        draw = np.asarray(draw, dtype=self.dist.dtype)
        if not draw.flags.owndata or any(
                isinstance(p, np.ndarray) and np.may_share_memory(draw, p) for p in params):
            draw = draw.copy()  # keep the fresh_outputs promise whatever the sampler did
        return [gen, draw]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False, False] for _ in node.inputs]

    def L_op(self, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
        """Draws are not differentiable functions of their parameters here."""
        return [None] * len(inputs)

    def R_op(self, node: Apply, inputs: list, eval_points: list) -> list:
        return [None, None]


def copy_generator(gen: np.random.Generator) -> np.random.Generator:
    """An independent generator in the same state (3x faster than ``deepcopy``)."""
    bg = gen.bit_generator
    try:
        fresh = type(bg)(0)
        fresh.state = bg.state
    except (TypeError, ValueError):  # an unusual bit generator
        return copy.deepcopy(gen)
    return np.random.Generator(fresh)


def constant_entries(size: Variable) -> list:
    """The static entries of a size vector (``None`` where symbolic)."""
    from aesara_cas.tensor.shape import static_shape_entries

    if isinstance(size, Constant):
        return [int(s) for s in np.asarray(size.data).reshape(-1)]
    return list(static_shape_entries(size))
