"""Random variables: ``RandomStream`` and the ops it builds."""

from aesara_cas.random.op import DISTRIBUTIONS, RandomVariable
from aesara_cas.random.stream import RandomStream
from aesara_cas.random.type import RandomGeneratorSharedVariable, RandomGeneratorType

__all__ = [
    "DISTRIBUTIONS", "RandomGeneratorSharedVariable", "RandomGeneratorType", "RandomStream",
    "RandomVariable",
]
