"""``ac.function``: calling conventions, input checking, outputs, givens, aliasing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.graph.basic import Apply, Variable
from tests.strategies import arrays, shapes


def full_message(err: BaseException) -> str:
    return " ".join([str(err), *getattr(err, "__notes__", [])])


def test_seed_example_as_written():
    import aesara_cas as ac
    from aesara_cas import tensor as at

    a = at.dscalar("a"); b = at.dscalar("b")  # noqa: E702
    f = ac.function([a, b], a + b)
    assert f(1.5, 2.5) == 4.0


def test_seed_example_in_each_mode(mode):
    a, b = at.dscalar("a"), at.dscalar("b")
    f = ac.function([a, b], a + b, mode=mode)
    out = f(1.5, 2.5)
    assert isinstance(out, np.ndarray) and out.dtype == "float64" and out.shape == ()
    assert out == 4.0


def test_single_output_and_list_outputs(mode):
    x = at.dvector("x")
    f = ac.function([x], [x + 1.0, x * 2.0, x.sum()], mode=mode)
    got = f([1.0, 2.0])
    assert isinstance(got, list) and len(got) == 3
    np.testing.assert_array_equal(got[0], [2.0, 3.0])
    np.testing.assert_array_equal(got[1], [2.0, 4.0])
    assert got[2] == 3.0
    g = ac.function([x], (x + 1.0,), mode=mode)
    assert isinstance(g([1.0]), list)
    h = ac.function([x], x + 1.0, mode=mode)
    assert isinstance(h([1.0]), np.ndarray)


def test_output_dtypes_follow_the_graph(mode):
    x, i = at.fvector("x"), at.ivector("i")
    f = ac.function([x, i], [x * 2, i + 1, i / 2, x > 0, x.sum()], mode=mode)
    got = f(np.ones(2, "float32"), np.ones(2, "int32"))
    assert [g.dtype.name for g in got] == ["float32", "int32", "float64", "bool", "float32"]


def test_positional_and_keyword_arguments(mode):
    x, y = at.dscalar("x"), at.dscalar("y")
    f = ac.function([x, y], x - y, mode=mode)
    assert f(5.0, 3.0) == 2.0
    assert f(x=5.0, y=3.0) == 2.0
    assert f(y=3.0, x=5.0) == 2.0
    assert f(5.0, y=3.0) == 2.0


@pytest.mark.parametrize("args,kwargs,error,words", [
    (("a", 1.0), {}, TypeError, ["argument 0", "'x'", "str"]),
    ((np.ones(3), 1.0), {}, ValueError, ["argument 0", "'x'", "dimension"]),
    ((1.0,), {}, TypeError, ["missing", "'y'"]),
    ((1.0, 2.0, 3.0), {}, TypeError, ["takes 2", "3"]),
    ((1.0, 2.0), {"z": 1.0}, TypeError, ["unexpected", "'z'"]),
    ((1.0, 2.0), {"y": 1.0}, TypeError, ["multiple", "'y'"]),
    ((None, 1.0), {}, TypeError, ["'x'"]),
    ((1j, 1.0), {}, TypeError, ["'x'", "complex"]),
    ((1.0, [1.0, 2.0]), {}, ValueError, ["'y'", "dimension"]),
])
def test_bad_calls_name_the_input(mode, args, kwargs, error, words):
    x, y = at.dscalar("x"), at.dscalar("y")
    f = ac.function([x, y], x * y, mode=mode)
    with pytest.raises(error) as info:
        f(*args, **kwargs)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_no_silent_float_to_int(mode):
    i = at.ivector("i")
    f = ac.function([i], i * 2, mode=mode)
    for bad in (np.array([1.5]), np.array([2.0]), [1.5], np.ones(2, "float32")):
        with pytest.raises(TypeError, match="'i'"):
            f(bad)
    n = at.lscalar("n")
    g = ac.function([n], n + 1, mode=mode)
    with pytest.raises(TypeError, match="'n'"):
        g(2.0)  # a Python float, even an integral one
    assert g(2) == 3
    # Integer values are converted as NumPy's same_kind casting allows.
    np.testing.assert_array_equal(f([1, 2]), [2, 4])
    np.testing.assert_array_equal(f(np.array([1, 2], dtype="int64")), [2, 4])
    np.testing.assert_array_equal(f(np.array([True, False])), [2, 0])
    # ... but never wrap around.
    with pytest.raises(ValueError, match="'i'"):
        f(np.array([2**40]))
    with pytest.raises(ValueError, match="'i'"):
        f([2**40])


def test_float_inputs_accept_ints_and_downcast_within_kind(mode):
    x = at.fvector("x")
    f = ac.function([x], x + 1, mode=mode)
    got = f(np.array([1.0, 2.0]))  # float64 -> float32: same kind
    assert got.dtype == "float32"
    np.testing.assert_array_equal(f([1, 2]), [2.0, 3.0])
    np.testing.assert_array_equal(f(np.array([1, 2], dtype="int64")), [2.0, 3.0])


def test_static_shape_is_checked(mode):
    v = at.tensor("float64", shape=(3, None), name="v")
    f = ac.function([v], v.sum(axis=0), mode=mode)
    assert f(np.ones((3, 2))).tolist() == [3.0, 3.0]
    with pytest.raises(ValueError) as info:
        f(np.ones((4, 2)))
    assert "'v'" in str(info.value) and "dimension 0" in str(info.value)


def test_incompatible_shapes_at_run_time(mode):
    x, y = at.dmatrix("x"), at.dvector("y")
    f = ac.function([x, y], x * y, mode=mode)
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones(4))
    text = full_message(info.value)
    assert "x" in text and "y" in text


def test_outputs_never_alias_inputs_or_constants(mode):
    x = at.dvector("x")
    c = at.constant(np.arange(3.0), name="c")
    f = ac.function([x], [x, x.T, x[1:], c, c * 1.0, x.reshape((3, 1)), x, x], mode=mode)
    xv = np.arange(3.0)
    outs = f(xv)
    assert all(o is not xv for o in outs)
    assert len({id(o) for o in outs}) == len(outs)
    for o in outs:
        o[...] = -1.0  # every output is writable and private
    np.testing.assert_array_equal(xv, np.arange(3.0))
    np.testing.assert_array_equal(c.data, np.arange(3.0))
    again = f(xv)
    for o in again:
        np.testing.assert_array_equal(o.ravel(), np.arange(3.0)[-o.size:])


def test_earlier_results_survive_later_calls(mode):
    x = at.dvector("x")
    f = ac.function([x], [at.exp(x), x * 2.0], mode=mode)
    first = f(np.zeros(4))
    f(np.ones(4))
    np.testing.assert_array_equal(first[0], np.ones(4))
    np.testing.assert_array_equal(first[1], np.zeros(4))


def test_mutating_arguments_after_the_call(mode):
    x = at.dvector("x")
    f = ac.function([x], x + 0.0, mode=mode)
    xv = np.ones(3)
    out = f(xv)
    xv[:] = 7.0
    np.testing.assert_array_equal(out, np.ones(3))


def test_fgraph_is_exposed(mode):
    x = at.dvector("x")
    f = ac.function([x], at.log1p(at.exp(x)) * 2.0, mode=mode)
    assert isinstance(f.fgraph, ac.FunctionGraph)
    nodes = f.fgraph.toposort()
    assert nodes and all(isinstance(n, Apply) for n in nodes)
    assert all(isinstance(o, Variable) for o in f.fgraph.outputs)
    assert len(f.fgraph.outputs) == 1
    # The caller's graph is not modified by compilation.
    assert f.fgraph.outputs[0].owner is not None


def test_bad_function_definitions():
    x, y = at.dvector("x"), at.dvector("y")
    with pytest.raises(ValueError, match="mode"):
        ac.function([x], x, mode="fortran")
    with pytest.raises(TypeError):
        ac.function(x, x)
    with pytest.raises(TypeError):
        ac.function([x + 1.0], x)
    with pytest.raises(TypeError):
        ac.function([at.constant(1.0)], x)
    with pytest.raises(TypeError):
        ac.function(["x"], x)
    with pytest.raises(ValueError):
        ac.function([x, x], x)
    with pytest.raises(ValueError, match="y"):
        ac.function([x], x + y)
    with pytest.raises(TypeError):
        ac.function([ac.shared(np.ones(2))], x)


def test_constant_and_unused_inputs(mode):
    x, y = at.dvector("x"), at.dscalar("y")
    f = ac.function([x, y], at.constant(3.0), mode=mode)
    assert f(np.ones(2), 1.0) == 3.0
    with pytest.raises(TypeError):
        f("a", 1.0)  # unused inputs are still checked
    g = ac.function([], at.constant(np.arange(2)) + 1, mode=mode)
    np.testing.assert_array_equal(g(), [1, 2])


def test_givens(mode):
    x, y = at.dscalar("x"), at.dscalar("y")
    z = x * 2.0 + y
    f = ac.function([y], z, givens={x: y + 1.0}, mode=mode)
    assert f(3.0) == (3.0 + 1.0) * 2.0 + 3.0
    g = ac.function([y], z, givens={x: 10.0}, mode=mode)
    assert g(1.0) == 21.0
    # The given value is cast to the replaced variable's dtype.
    i = at.lscalar("i")
    h = ac.function([i], z, givens={x: i, y: i * 2}, mode=mode)
    assert h(3) == 12.0
    # z itself is untouched.
    assert z.owner.inputs[1] is y
    with pytest.raises(ValueError):
        ac.function([y], z, givens={x: at.dvector()}, mode=mode)
    with pytest.raises(TypeError):
        ac.function([y], z, givens={"x": 1.0}, mode=mode)


def test_name_in_repr_and_errors():
    x = at.dscalar("x")
    f = ac.function([x], x, mode="numpy", name="identity")
    assert "identity" in repr(f)
    with pytest.raises(TypeError, match="identity"):
        f(1.0, 2.0)


def test_empty_and_zero_size_arrays(mode):
    x = at.dmatrix("x")
    f = ac.function([x], [at.exp(x) + 1.0, x.sum(axis=1), x.T], mode=mode)
    got = f(np.zeros((0, 3)))
    assert got[0].shape == (0, 3) and got[1].shape == (0,) and got[2].shape == (3, 0)


def test_values_over_many_calls(mode):
    """One compiled function, many shapes and values (hypothesis reuses it)."""
    x = at.dtensor3("x")
    f = ac.function([x], [at.tanh(x) * 2.0 - x, (x ** 2).sum(axis=(0, 2))], mode=mode)

    @given(arrays("float64", shapes(3)))
    def check(xv):
        a, b = f(xv)
        np.testing.assert_allclose(a, np.tanh(xv) * 2.0 - xv, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(b, (xv ** 2).sum(axis=(0, 2)), rtol=1e-12, atol=1e-10)

    check()


def test_ten_thousand_op_chain_evaluates(mode):
    """Two 10,000-op chains: a mixed one and an affine one (which rewrites can collapse)."""
    s = at.dscalar("s")
    mixed = affine = s
    for k in range(10_000):
        mixed = at.sin(mixed) + 0.5 if k % 2 else mixed * 0.999
        affine = affine * 0.5 + 0.5 if k % 2 else affine + 1e-4
    want_mixed = want_affine = 0.25
    for k in range(10_000):
        want_mixed = np.sin(want_mixed) + 0.5 if k % 2 else want_mixed * 0.999
        want_affine = want_affine * 0.5 + 0.5 if k % 2 else want_affine + 1e-4
    f = ac.function([s], [mixed, affine], mode=mode)
    got_mixed, got_affine = f(0.25)
    np.testing.assert_allclose(got_mixed, want_mixed, rtol=1e-10)
    np.testing.assert_allclose(got_affine, want_affine, rtol=1e-10)


def test_concurrent_calls_from_threads(mode):
    """Big loops release the GIL: calls running at once from several threads each get
    their own frame and buffers, so their results do not mix."""
    import threading

    x, s = at.dvector("x"), at.dscalar("s")
    y = at.exp(at.sin(x) * s) + at.sum(x * s)
    f = ac.function([x, s], [y, at.cos(y) * s], mode=mode)
    cases = [(np.random.default_rng(i).normal(size=100_000), i / 7) for i in range(6)]
    want = [f(*c) for c in cases]
    mismatches = []

    def work(k):
        for it in range(12):
            i = (k + it) % len(cases)
            for got, ref in zip(f(*cases[i]), want[i]):
                if not np.array_equal(got, ref):
                    mismatches.append((k, it, i))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not mismatches
