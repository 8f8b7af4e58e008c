"""In-place scatters: no copy when nothing else can see the base, and never a change to
a value the user can see (inputs, shared values, outputs, earlier results)."""

from __future__ import annotations

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.tensor.inplace import insert_inplace
from tests.conftest import MODES


def _n_inplace(f) -> int:
    return sum(getattr(n.op, "inplace", False) for n in f.fgraph.toposort())


@pytest.fixture(scope="module", params=MODES)
def compiled(request):
    """One function per mode: a loop of updates (in place but for the first) next to
    scatters whose base the user can see (never in place)."""
    x, i, v, j = at.dvector("x"), at.lscalar("i"), at.dvector("v"), at.lvector("j")
    y, z = x, x * 2.0
    for k in range(10):
        y = at.set_subtensor(y[i + k], v[k])
        z = at.inc_subtensor(z[[k, k, 0]], v[:3])  # advanced, repeated indices
    c = at.constant(np.ones(20))
    y1 = x * 3.0
    visible = [
        at.set_subtensor(x[0], 1.0),  # the caller's input
        at.set_subtensor(SHARED[0], 1.0),  # a shared value
        at.set_subtensor(c[0], 5.0),  # a constant
        at.set_subtensor(x[1:][0], 1.0),  # a view of an input
        at.set_subtensor(x.T[0], 1.0),
        at.inc_subtensor(y1[j], 1.0),  # y1 is an output too
        at.set_subtensor((x + 1.0)[0], (x + 1.0)[1]),  # the base is also read
    ]
    f = ac.function([x, i, v, j], [y, z, y1, *visible], mode=request.param)
    return f, c


SHARED = ac.shared(np.zeros(20), name="s")


def test_loop_of_updates_is_in_place_and_correct(compiled):
    f, _ = compiled
    assert _n_inplace(f) == 19  # all but the first of y's (x is the caller's array)
    xv, vv, jv = np.arange(20.0), np.arange(10.0) + 0.5, np.array([0, 0])
    first = f(xv, 3, vv, jv)[:2]
    want_y, want_z = xv.copy(), xv * 2.0
    for k in range(10):
        want_y[3 + k] = vv[k]
        np.add.at(want_z, [k, k, 0], vv[:3])
    np.testing.assert_array_equal(first[0], want_y)
    np.testing.assert_array_equal(first[1], want_z)
    np.testing.assert_array_equal(xv, np.arange(20.0))
    kept = [a.copy() for a in first]
    second = f(xv + 1.0, 0, vv, jv)  # a second call leaves the first results alone
    for a, b in zip(first, kept):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(second[0], first[0])


def test_never_in_place_where_the_base_is_visible(compiled):
    f, c = compiled
    scatters = [n for n in f.fgraph.toposort() if hasattr(n.op, "inplace")]
    assert sum(n.op.inplace for n in scatters) == 19  # only the loop's (constants fold)
    assert len(scatters) > 19
    xv = np.arange(20.0)
    got = f(xv, 3, np.ones(10), np.array([0, 0]))[2:]
    np.testing.assert_array_equal(xv, np.arange(20.0))
    np.testing.assert_array_equal(SHARED.get_value(), np.zeros(20))
    np.testing.assert_array_equal(c.data, np.ones(20))
    np.testing.assert_array_equal(got[0], xv * 3.0)
    want = xv * 3.0
    want[0] += 2.0
    np.testing.assert_array_equal(got[6], want)
    want = xv + 1.0
    want[0] = want[1]
    np.testing.assert_array_equal(got[7], want)


def test_shared_value_and_updates(mode):
    s = ac.shared(np.arange(5.0), name="s")
    i = at.lscalar("i")
    f = ac.function([i], at.set_subtensor((s + 1.0)[i], 0.0),
                    updates={s: at.inc_subtensor((s * 1.5)[i], 1.0)}, mode=mode)
    assert _n_inplace(f) == 2
    out = f(2)
    np.testing.assert_array_equal(out, [1.0, 2.0, 0.0, 4.0, 5.0])
    np.testing.assert_array_equal(s.get_value(), [0.0, 1.5, 4.0, 4.5, 6.0])


def test_marks_are_recomputed_for_each_graph():
    x = at.dvector("x")
    y = x * 2.0
    z = at.set_subtensor(y[0], 1.0)
    f = ac.function([x], z, mode="numpy")
    assert _n_inplace(f) == 1
    # The marked op reused where its base is an output: not in place there.
    (z2,) = f.fgraph.outputs
    base = z2.owner.inputs[0]
    fg = FunctionGraph([f.fgraph.inputs[0]], [z2, base], clone=False)
    assert insert_inplace(fg) == 0
    assert not z2.owner.op.inplace


@pytest.mark.parametrize("op_str", ["set_subtensor{inplace}"])
def test_printing(op_str):
    x = at.dvector("x")
    f = ac.function([x], at.set_subtensor((x * 2.0)[0], 1.0), mode="numpy")
    assert any(str(n.op).startswith(op_str) for n in f.fgraph.toposort())
