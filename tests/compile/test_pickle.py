"""Compiled functions pickle: same results, here and in a fresh process."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at


def _function(mode):
    x, y = at.dvector("x"), at.dscalar("y")
    w = ac.shared(np.zeros(3), "w")
    expr = at.exp(-x * x / 2) * at.sin(y) + at.log1p(at.exp(x))
    return ac.function([x, y], [expr, w.sum()], updates={w: w + x}, mode=mode)


def test_round_trip_keeps_results_names_and_updates(mode):
    f = _function(mode)
    f(np.ones(3), 2.0)
    g = pickle.loads(pickle.dumps(f))
    expected = f(np.arange(3.0), y=0.5)
    got = g(np.arange(3.0), y=0.5)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    # the copy has its own shared value, carried over from the pickle
    np.testing.assert_array_equal(g(np.ones(3), 1.0)[1], 3.0 + 3.0)
    assert len(g.fgraph.toposort()) == len(f.fgraph.toposort())
    with pytest.raises(TypeError, match="argument 0"):
        g("nope", 1.0)


def test_shared_variables_stay_shared_within_one_pickle():
    w = ac.shared(np.zeros(2), "w")
    x = at.dvector("x")
    inc = ac.function([x], [], updates={w: w + x}, mode="numpy")
    read = ac.function([], w * 1.0, mode="numpy")
    inc2, read2 = pickle.loads(pickle.dumps([inc, read]))
    inc2(np.ones(2))
    np.testing.assert_array_equal(read2(), [1.0, 1.0])
    np.testing.assert_array_equal(read(), [0.0, 0.0])


def test_deep_graph_pickles():
    # deeper than Python's recursion limit: a plain pickle of the graph would overflow
    x = at.dvector("x")
    c = x
    for _ in range(1_500):
        c = (c + 1) * 1.0001
    f = ac.function([x], c, mode="numpy")
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(np.ones(2)), f(np.ones(2)))


def test_compiled_function_works_in_a_fresh_process():
    f = _function(None)
    blob = pickle.dumps(f)
    code = (
        "import pickle, sys, numpy as np\n"
        "g = pickle.loads(sys.stdin.buffer.read())\n"
        "out = g(np.arange(3.0), 0.5)\n"
        "print(repr(out[0].tolist()), float(out[1]), type(g._cython_program).__name__)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True,
                         check=False, timeout=120)
    assert run.returncode == 0, run.stderr.decode()
    expected = f(np.arange(3.0), 0.5)
    line = run.stdout.decode().strip()
    assert line == f"{expected[0].tolist()!r} {float(expected[1])} CythonProgram"


def test_bad_state_is_refused():
    from aesara_cas.compile.pickling import restore_function

    with pytest.raises(ValueError, match="not a pickle of an aesara_cas function"):
        restore_function((99, [], [], [], {}))
