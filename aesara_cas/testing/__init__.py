"""Testing and measurement helpers: a high-precision reference evaluator and ulp error.

>>> import numpy as np
>>> from aesara_cas import tensor as at
>>> from aesara_cas.testing import reference_float, bits_of_error
>>> x = at.dvector("x")
>>> y = at.sqrt(x + 1) - at.sqrt(x)
>>> ref = reference_float(y, {x: np.array([1e12])})
>>> float(bits_of_error(np.sqrt(1e12 + 1) - np.sqrt(1e12), ref)[0]) > 10
True
"""

from aesara_cas.testing.reference import reference_eval, reference_float
from aesara_cas.testing.ulps import bits_of_error, ordinal, round_mpf, round_to_dtype

__all__ = [
    "bits_of_error", "ordinal", "reference_eval", "reference_float", "round_mpf",
    "round_to_dtype",
]
