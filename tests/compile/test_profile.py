"""profile=True: call counts, total time and per-step times, in both modes."""

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at


def test_profile_counts_calls_and_steps(mode):
    x, y = at.dvector("x"), at.dscalar("y")
    A = at.dmatrix("A")
    f = ac.function([x, y, A], [at.sum(at.exp(x) * y), at.dot(A, x).max()], mode=mode,
                    profile=True, name="demo")
    args = (np.ones(50), 2.0, np.ones((50, 50)))
    expected = ac.function([x, y, A], [at.sum(at.exp(x) * y), at.dot(A, x).max()],
                           mode=mode)(*args)
    for _ in range(5):
        got = f(*args)
    np.testing.assert_allclose(got, expected)
    profile = f.profile
    assert profile.calls == 5
    assert profile.total_time > 0
    assert len(profile.labels) >= 2
    assert all(c == 5 for c in profile.step_calls)
    assert 0 < float(profile.step_times.sum()) <= profile.total_time
    table = str(profile)
    assert table.startswith("Profile of demo: 5 call(s)")
    assert "dot" in table and "(calling: arguments, outputs, updates)" in table
    rows = profile.rows()
    assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)
    profile.reset()
    assert profile.calls == 0 and float(profile.step_times.sum()) == 0.0


def test_unprofiled_function_sharing_the_module_is_not_charged(mode):
    x = at.dvector("x")
    f = ac.function([x], at.exp(x).sum(), mode=mode, profile=True)
    g = ac.function([x], at.exp(x).sum(), mode=mode)
    assert g.profile is None
    f(np.ones(3))
    before = f.profile.step_calls.copy()
    g(np.ones(3))
    np.testing.assert_array_equal(f.profile.step_calls, before)


def test_profile_with_updates_and_errors(mode):
    w = ac.shared(np.zeros(3), "w")
    x = at.dvector("x")
    f = ac.function([x], w.sum(), updates={w: w + x}, mode=mode, profile=True)
    f(np.ones(3))
    f(np.ones(3))
    np.testing.assert_array_equal(w.get_value(), [2.0, 2.0, 2.0])
    with pytest.raises(ValueError):
        f(np.ones(4))
    assert f.profile.calls == 3
