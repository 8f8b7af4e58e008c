"""Bad input found only at call time, in both modes: a recurrent state whose initial
value (``outputs_info``) has another length than the step's output."""

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at


def test_outputs_info_of_the_wrong_length_at_call_time(mode):
    X, h0 = at.dmatrix("X"), at.dvector("h0")
    hs, _ = ac.scan(lambda xt, h: at.tanh(0.5 * h + xt), sequences=X, outputs_info=h0)
    f = ac.function([X, h0], hs, mode=mode)
    assert f(np.ones((3, 4)), np.zeros(4)).shape == (3, 4)
    # A length-1 state would broadcast against the rows: the state changes shape.
    with pytest.raises(ValueError, match=r"initial value \(outputs_info\[0\]\) has shape \(1,\)"):
        f(np.ones((3, 4)), np.zeros(1))
    with pytest.raises(ValueError, match="could not be broadcast"):
        f(np.ones((3, 4)), np.zeros(2))
