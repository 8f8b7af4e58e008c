"""Functions with hundreds of inputs: every argument lands in the right place.

The compiled mode loads arguments from per-input tables in one loop (see
``aesara_cas/compile/cython/argload.py``); these tests give each input a distinct
weight so a value stored in the wrong place, with the wrong dtype or not at all
changes the result.
"""

from __future__ import annotations

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from tests.conftest import MODES

N = 300
#: Every third input an int64, every seventh a float32, every eleventh a bool, three
#: vectors (float64, int64, float32), the rest float64 scalars.
DTYPES = ["int64" if i % 3 == 1 else "float32" if i % 7 == 5 else "bool" if i % 11 == 10
          else "float64" for i in range(N)]


def _inputs():
    xs = []
    for i, dtype in enumerate(DTYPES):
        if i % 100 == 99:
            xs.append(at.tensor(dtype, (None,), f"x{i}"))
        else:
            xs.append(at.scalar(f"x{i}", dtype=dtype))
    return xs


def _weighted_sum(xs, shared):
    total = shared * 0.5
    for i, x in enumerate(xs):
        term = x.sum() if x.ndim else x
        total = total + at.cast(term, "float64") * float(i + 1)
    return total


@pytest.fixture(scope="module", params=MODES)
def many(request):
    xs = _inputs()
    acc = ac.shared(np.float64(10.0), name="acc")
    f = ac.function(xs, _weighted_sum(xs, acc), mode=request.param,
                    updates={acc: acc + 1.0})
    return f, acc


def _values(rng):
    vals = []
    for i, dtype in enumerate(DTYPES):
        if i % 100 == 99:
            vals.append(rng.integers(-3, 4, size=3).astype(dtype))
        elif dtype == "bool":
            vals.append(bool(i % 2))
        elif dtype == "int64":
            vals.append(int(rng.integers(-1000, 1000)))
        else:
            vals.append(float(rng.integers(-1000, 1000)) / 8)  # exact in float32 too
    return vals


def _expected(vals, acc_value):
    total = acc_value * 0.5
    for i, v in enumerate(vals):
        total += float(np.sum(v)) * (i + 1)
    return total


def test_all_inputs_arrive(many, rng):
    f, acc = many
    acc.set_value(np.float64(10.0))
    for k in range(3):
        vals = _values(rng)
        # Exact: every term is a multiple of 1/8 far below 2**53.
        assert f(*vals) == _expected(vals, 10.0 + k)
    assert acc.get_value() == 13.0


def test_numpy_scalars_arrays_and_keywords(many, rng):
    f, acc = many
    acc.set_value(np.float64(0.0))
    vals = _values(rng)
    # NumPy scalars and 0-d arrays go through the checked slow path.
    as_numpy = [np.asarray(v, dtype=d) if np.ndim(v) == 0 else v for v, d in zip(vals, DTYPES)]
    assert f(*as_numpy) == _expected(vals, 0.0)
    # The last 100 by name (the generic path binds them first).
    names = {f"x{i}": vals[i] for i in range(200, N)}
    assert f(*vals[:200], **names) == _expected(vals, 1.0)


def test_a_bad_argument_is_named(many, rng):
    f, _ = many
    vals = _values(rng)
    vals[241] = 2.5  # x241 is int64: a float would lose information
    assert DTYPES[241] == "int64"
    with pytest.raises(TypeError, match=r"argument 241 \('x241'\)"):
        f(*vals)
    vals = _values(rng)
    vals[299] = np.ones((2, 2))  # x299 is a vector
    with pytest.raises(ValueError, match=r"argument 299 \('x299'\): expected 1 dimension"):
        f(*vals)
    with pytest.raises(TypeError, match=f"takes {N} argument"):
        f(*vals, 1.0)
