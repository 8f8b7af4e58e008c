"""The type of a random generator's state, and shared variables holding one.

A random variable's op reads a ``numpy.random.Generator`` and returns the next one
(a copy that has drawn), so a graph stays a pure function of its inputs; the
generator lives in a shared variable whose *default update* is that next state, so
every call of a compiled function draws new values.

The compiled mode keeps such values in its array slots: a generator may arrive as a
0-dimensional object array holding it, which :func:`as_generator` unwraps.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from aesara_cas.compile.shared import SharedVariable
from aesara_cas.graph.basic import Type, Variable

__all__ = ["RandomGeneratorSharedVariable", "RandomGeneratorType", "as_generator",
           "random_generator_shared"]


def as_generator(value: Any, name: str = "input") -> np.random.Generator:
    """``value`` as a ``numpy.random.Generator`` (unwrapping a 0-d object array)."""
    if isinstance(value, np.ndarray) and value.dtype == object and value.shape == ():
        value = value[()]
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"{name}: expected a numpy.random.Generator, got {type(value).__name__}")
    return value


class RandomGeneratorType(Type):
    """The state of a ``numpy.random.Generator`` (not an array: no arithmetic)."""

    dtype = "object"
    shape: tuple = ()
    ndim = 0
    broadcastable: tuple = ()

    def filter(self, value: Any, name: str = "input") -> np.random.Generator:
        return as_generator(value, name)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __str__(self) -> str:
        return "RandomGenerator"

    __repr__ = __str__

    def make_variable(self, name: str | None = None) -> Variable:
        return RandomGeneratorVariable(self, name=name)


class RandomGeneratorVariable(Variable):
    """A symbolic generator state (the next state a random variable leaves behind)."""

    __slots__ = ()
    dtype = "object"
    ndim = 0


class RandomGeneratorSharedVariable(SharedVariable):
    """A shared variable holding a generator; ``default_update`` is its next state."""

    __slots__ = ("default_update",)

    def get_value(self, borrow: bool = False) -> np.random.Generator:
        """The generator (a copy unless ``borrow``: drawing from a copy leaves this
        variable's state alone)."""
        import copy

        gen = as_generator(self.container[0])
        return gen if borrow else copy.deepcopy(gen)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        import copy

        gen = as_generator(value, f"shared variable {self.name or ''}".strip())
        with self.lock:
            self.container[0] = gen if borrow else copy.deepcopy(gen)


def random_generator_shared(gen: np.random.Generator,
                            name: str | None = None) -> RandomGeneratorSharedVariable:
    """A shared variable holding ``gen`` (no default update yet)."""
    var = RandomGeneratorSharedVariable(RandomGeneratorType(), name=name)
    var.container = [None]
    var.lock = threading.RLock()
    var.default_update = None
    var.set_value(gen, borrow=True)
    return var
