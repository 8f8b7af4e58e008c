"""mode="dask": lazy dask.array results equal to mode="numpy", one task per chunk per
region, under the threaded scheduler and a LocalCluster of worker processes."""

import pickle

import dask.array as da
import distributed
import numpy as np
import pytest
from dask.highlevelgraph import HighLevelGraph

import aesara_cas as ac
from aesara_cas import tensor as at

# Uneven chunks on purpose: 7 = 3 + 3 + 1 rows, 6 = 4 + 2 columns.
SHAPE, CHUNKS = (7, 6), ((3, 3, 1), (4, 2))
N_BLOCKS = 6
NAMES = ["expr", "grad", "sum0", "mean1", "lse", "dot"]


def _outputs(x, y):
    expr = at.sin(x) * y + at.log1p(at.exp(x * y))
    return [
        expr,
        ac.grad(at.sum(expr), x),        # element-wise: one region with expr
        (at.exp(x) * y).sum(axis=0),     # reductions over each axis, each with the
        (x * y - 1).mean(axis=1),        # element-wise tree it reads fused in
        at.logsumexp(x * 300.0),         # overflows exp: the stable combine matters
        at.dot(x, y.T),
    ]


@pytest.fixture(scope="module")
def fns():
    x, y = at.matrix("x"), at.matrix("y")
    outs = _outputs(x, y)
    return ac.function([x, y], outs, mode="dask"), ac.function([x, y], outs, mode="numpy")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=SHAPE), rng.normal(size=SHAPE)
    return X, Y, da.from_array(X, chunks=CHUNKS), da.from_array(Y, chunks=CHUNKS)


def _check(got, expected):
    for name, a, b in zip(NAMES, got, expected):
        assert a.shape == b.shape and a.dtype == b.dtype, name
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=name)


def test_threaded_scheduler_equals_numpy_mode(fns, data):
    f, g = fns
    X, Y, dX, dY = data
    outs = f(dX, dY)
    assert all(isinstance(o, da.Array) for o in outs)
    assert outs[0].chunks == CHUNKS  # never rechunked
    _check(da.compute(*outs, scheduler="threads"), g(X, Y))


def test_lazy_until_compute(fns, data):
    f, _ = fns
    X, _, dX, dY = data
    calls = []

    def spy(block):
        calls.append(block.shape)
        return block

    out = f(dX.map_blocks(spy, meta=np.empty((0, 0))), dY)[2]
    assert calls == []  # building the graph ran nothing
    out.compute(scheduler="threads")
    assert len(calls) == N_BLOCKS


def test_one_task_per_chunk_per_region(fns, data):
    f, _ = fns
    _, _, dX, dY = data
    outs = f(dX, dY)
    theirs = set(dX.dask.layers) | set(dY.dask.layers)
    graph = HighLevelGraph.merge(*[o.dask for o in outs])
    tasks = {k: len(v) for k, v in graph.layers.items() if k not in theirs}
    kind = {k: k.rsplit("-", 1)[0] for k in tasks}
    regions = [k for k in tasks if kind[k] in ("ac-map", "ac-reduce")]
    # Today: expr and its gradient (one region storing both); three reductions, each
    # fused with the element-wise tree it reads.
    steps, _ = f._program._fast or f._program._general
    assert len(regions) == sum(s.kind == "region" for s in steps) <= 4
    assert all(tasks[k] == N_BLOCKS for k in regions)
    # a product per output block (3 x 3), after dask's own transpose of y
    assert sorted(tasks[k] for k in tasks if kind[k] in ("ac-dot", "transpose")) == [6, 9]
    # tree reductions: one task per output block (2 + 3 + 1); taking expr and the
    # gradient out of their region's tuples: one per chunk.  Nothing else.
    assert sum(tasks[k] for k in tasks if kind[k] == "ac-combine") == 6
    unpack = sum(kind[k] == "ac-unpack" for k in tasks)
    assert sum(tasks.values()) == (len(regions) + unpack) * N_BLOCKS + 6 + 9 + 6


def test_numpy_arguments_mix_with_dask_and_pickle(fns, data):
    f, g = fns
    X, Y, dX, _ = data
    outs = f(dX, Y)  # the NumPy argument is cut like the dask one
    assert outs[0].chunks == CHUNKS
    _check(da.compute(*outs, scheduler="threads"), g(X, Y))
    h = pickle.loads(pickle.dumps(f))  # carries its graph; kernels from the cache
    np.testing.assert_allclose(h(dX, Y)[4].compute(), g(X, Y)[4], rtol=1e-12)


def test_gradient_reaching_an_argument_that_broadcasts_at_run_time(data):
    x, y = at.matrix("x"), at.matrix("y")
    gy = ac.grad(at.sum(x * y), y)  # summed back to y's shape: (1, 6) at run time below
    f, g = ac.function([x, y], gy, mode="dask"), ac.function([x, y], gy, mode="numpy")
    X, Y, dX, dY = data
    np.testing.assert_allclose(f(dX, dY).compute(), g(X, Y), rtol=1e-12)
    assert f._program._general is None  # no sum_to_like needed: not even partitioned
    row = Y[:1]
    got = f(dX, da.from_array(row, chunks=(1, CHUNKS[1])))
    assert got.shape == (1, 6) and f._program._general is not None
    np.testing.assert_allclose(got.compute(), g(X, row), rtol=1e-12)


def test_shape_ops_and_indexing_run_on_dask_arrays(data):
    x, y = at.matrix("x"), at.matrix("y")
    outs = [x.T[1:, ::2], x.reshape((6, 7)), at.concatenate([x, y], axis=0), x[:, 2],
            x.dimshuffle(0, "x", 1)[:, :, 1:]]
    f, g = ac.function([x, y], outs, mode="dask"), ac.function([x, y], outs, mode="numpy")
    X, Y, dX, dY = data
    for args in [(dX, dY), (X, dY)]:
        for a, b in zip(da.compute(*f(*args), scheduler="threads"), g(X, Y)):
            np.testing.assert_array_equal(a, b)


def test_bad_inputs_name_the_argument(fns, data):
    f, _ = fns
    X, Y, dX, dY = data
    with pytest.raises(ValueError, match=r"argument 1 \('y'\) has chunks .* argument 0"):
        f(dX, da.from_array(Y, chunks=(2, 3)))
    with pytest.raises(ValueError, match=r"argument 0 \('x'\).*unknown chunk sizes"):
        f(dX[dX[:, 0] > 0], dY)
    with pytest.raises(ValueError, match=r"argument 1 \('y'\) has length 5"):
        f(dX, np.ones((5, 6)))
    with pytest.raises(ValueError, match=r"argument 0 \('x'\): expected 2 dimension"):
        f(dX[0], dY)
    with pytest.raises(TypeError, match=r"argument 1 \('y'\): cannot convert"):
        f(dX, dY.astype(complex))


@pytest.fixture(scope="module")
def client():
    with (distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None, memory_limit="1GiB") as cluster,
          distributed.Client(cluster) as c):
        yield c


def test_local_cluster_with_processes_equals_numpy_mode(fns, data, client):
    f, g = fns
    X, Y, dX, dY = data
    outs = client.compute(f(dX, dY), sync=True)  # kernels unpickled in the workers
    _check(outs, g(X, Y))
    pids = set(client.run(lambda: __import__("os").getpid()).values())
    assert len(pids) == 2 and __import__("os").getpid() not in pids
