"""Arguments that are instances of ``ndarray`` subclasses, in both modes.

Masked arrays are refused with a ``TypeError`` naming the argument (their mask
would otherwise be dropped, or honoured in one mode only); every other subclass
(``np.matrix``, ``np.memmap``, user subclasses) is taken as the plain array it
holds, so results follow NumPy's array semantics and are plain ``ndarray``s.
"""

from __future__ import annotations

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.tensor.type import TensorType, base_array
from tests.conftest import MODES

# np.matrix warns on creation that it is not recommended: it is what these tests test.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


class Tagged(np.ndarray):
    """A user subclass that changes nothing but its type."""


@pytest.fixture(scope="module", params=MODES)
def fns(request):
    """One function per mode over every kind of input storage: a 0-d scalar, a
    vector, a matrix and a static (1,)-shaped vector (a frame value in the
    compiled mode); plus a single-input sum."""
    s, v, m = at.dscalar("s"), at.dvector("v"), at.dmatrix("m")
    w = at.tensor("float64", (1,), "w")
    many = ac.function([s, v, m, w], [s * v.sum(), (m * m).sum(axis=0), w * 2.0],
                       mode=request.param)
    x = at.dvector("x")
    total = ac.function([x], x.sum(), mode=request.param)
    return many, total


def masked(data, mask):
    return np.ma.masked_array(np.asarray(data, dtype="float64"), mask=mask)


def test_masked_vector_is_refused_by_name(fns):
    _, total = fns
    arr = masked([1.0, 2.0, 3.0], [False, True, False])
    # Plain NumPy honours the mask (4.0); the data under it sums to 6.0.  Neither
    # may come out silently.
    assert arr.sum() == 4.0 and arr.data.sum() == 6.0
    with pytest.raises(TypeError, match=r"argument 0 \('x'\).*masked arrays are not supported"):
        total(arr)
    with pytest.raises(TypeError, match=r"argument 0 \('x'\).*masked"):
        total(x=arr)
    # Even without a masked entry: the type itself is refused, the same in both modes.
    with pytest.raises(TypeError, match="filled"):
        total(masked([1.0, 2.0], False))


def test_masked_values_in_every_storage_kind(fns):
    many, _ = fns
    good = [1.0, np.ones(2), np.ones((2, 2)), np.ones(1)]
    for pos, name in enumerate("svmw"):
        args = list(good)
        args[pos] = np.ma.masked_array(np.asarray(good[pos]), mask=True)
        with pytest.raises(TypeError, match=rf"argument {pos} \('{name}'\).*masked"):
            many(*args)
    # The masked constant too (a 0-d MaskedArray).
    with pytest.raises(TypeError, match=r"argument 0 \('s'\).*masked"):
        many(np.ma.masked, *good[1:])


def test_matrix_is_taken_as_a_plain_2d_array(fns):
    many, _ = fns
    m = np.matrix([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    s, colsq, w2 = many(2.0, np.array([1.0, 2.0]), m, np.array([3.0]))
    plain = np.asarray(m)
    # Element-wise square (not a matrix product) and a 1-d column sum (not (1, 3)).
    np.testing.assert_array_equal(colsq, (plain * plain).sum(axis=0))
    assert type(colsq) is np.ndarray and colsq.shape == (3,)
    assert s == 6.0 and w2.tolist() == [6.0]
    # By keyword too.
    np.testing.assert_array_equal(many(2.0, [1.0], m=m, w=[1.0])[1], colsq)


def test_matrix_for_a_vector_input_is_a_dimension_error(fns):
    _, total = fns
    with pytest.raises(ValueError, match=r"argument 0 \('x'\): expected 1 dimension"):
        total(np.matrix([1.0, 2.0]))


def test_other_subclasses_compute_as_plain_arrays(fns, tmp_path):
    many, total = fns
    tagged = np.arange(4.0).view(Tagged)
    out = total(tagged)
    assert out == 6.0 and type(out) is np.ndarray
    mm = np.memmap(tmp_path / "data.bin", dtype="float64", mode="w+", shape=(3,))
    mm[:] = [1.0, 2.0, 4.0]
    assert total(mm) == 7.0
    # A 0-d subclass instance for the scalar, a (1,)-shaped one for w, and an
    # int subclass array (converted like any int array).
    s, _, w2 = many(np.array(3.0).view(Tagged), np.ones(2), np.ones((1, 1)),
                    np.array([2], dtype="int64").view(Tagged))
    assert s == 6.0 and w2.tolist() == [4.0] and type(w2) is np.ndarray


def test_shared_variable_refuses_masked_values():
    sv = ac.shared(np.zeros(3), name="acc")
    with pytest.raises(TypeError, match=r"shared variable acc.*masked"):
        sv.set_value(masked([1.0, 2.0, 3.0], [True, False, False]))
    sv.set_value(np.matrix([1.0, 2.0, 3.0]).A1.view(Tagged))
    assert type(sv.get_value()) is np.ndarray and sv.get_value().tolist() == [1.0, 2.0, 3.0]


def test_shared_refuses_masked_values_and_unwraps_subclasses():
    with pytest.raises(TypeError, match=r"shared\(\): value of 'w'.*masked arrays are not"):
        ac.shared(masked([1.0, 2.0, 3.0], [False, True, False]), name="w")
    with pytest.raises(TypeError, match=r"shared\(\): value.*masked"):
        ac.shared(np.ma.masked)
    # np.matrix: stored as a plain 2-d array before any mode sees it, so every mode
    # computes element-wise * and a 1-d column sum.
    sv = ac.shared(np.matrix([[1.0, 2.0], [3.0, 4.0]]), name="m")
    assert type(sv.get_value(borrow=True)) is np.ndarray and sv.ndim == 2
    f = ac.function([], (sv * sv).sum(axis=0), mode="numpy")
    out = f()
    assert type(out) is np.ndarray and out.tolist() == [10.0, 20.0]


def test_base_array_is_a_view_without_copy():
    data = np.arange(6.0).reshape(2, 3)
    mat = data.view(np.matrix)
    plain = base_array(mat, "m")
    assert type(plain) is np.ndarray and np.shares_memory(plain, data)
    with pytest.raises(TypeError, match="^q: masked"):
        base_array(np.ma.masked_array(data), "q")
    # filter() keeps exact ndarrays as they are.
    assert TensorType("float64", (None, None)).filter(data, "m") is data


def test_constants_refuse_masked_arrays_and_unwrap_matrices():
    x = at.dvector("x")
    with pytest.raises(TypeError, match="masked arrays are not supported"):
        x + np.ma.masked_array([1.0, 2.0], mask=[True, False])
    c = at.constant(np.matrix([[1.0, 2.0]]))
    assert type(c.data) is np.ndarray and c.type.shape == (1, 2)
