"""Every rule of ``rules/shapes.py``: it fires on an example and both sides agree, and
compiled functions (both modes) read shapes without computing what has them."""

import numpy as np
import pytest
from aesara_cas.rules import shapes

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.advanced import AdvancedSubtensor
from aesara_cas.tensor.blas import MatMul
from aesara_cas.tensor.grad_ops import _broadcast_like, _sum_to_like
from aesara_cas.tensor.variable import constant
from tests.rewriting.rulecheck import Case, check_case, check_coverage

V = ("dvector", -3.0, 3.0)
M = ("dmatrix", -3.0, 3.0)
S = ("dscalar", -3.0, 3.0)
IDX = ("lvector", 0.0, 4.0)
ONE = constant(1.0)

CASES = [
    Case("sum_to_like_cheaper_ref", lambda x, y: _sum_to_like(x, at.exp(y) * 2.0), [V, V],
         expect="sum_to_like(x, y)"),
    Case("sum_to_like_cheaper_ref_second", lambda x, y: _sum_to_like(x, 2.0 * y), [V, V],
         expect="sum_to_like(x, y)"),
    Case("sum_to_like_cheaper_ref_second", lambda x, y: _sum_to_like(x, _sum_to_like(x, y)),
         [V, V], expect="sum_to_like(x, y)"),
    Case("sum_to_like_cheaper_ref_gather", lambda x, y, z: _sum_to_like(x, y[z]), [V, V, IDX],
         expect="sum_to_like(x, z)"),
    Case("broadcast_like_cheaper_ref", lambda x, y: _broadcast_like(x, at.sin(y) + at.cos(y)),
         [S, M], expect="broadcast_like(x, y)"),
    Case("broadcast_like_cheaper_ref", lambda x, y, z: _broadcast_like(
        x, at.inc_subtensor(y[z], 1.0)), [S, V, IDX], expect="broadcast_like(x, y)"),
    Case("sum_to_like_cheaper_ref", lambda x, y: _sum_to_like(
        x, at.set_subtensor(y[1:3], 0.0)), [V, V], expect="sum_to_like(x, y)"),
    Case("broadcast_like_cheaper_ref_second", lambda x, y: _broadcast_like(x, 2.0 - y),
         [S, M], expect="broadcast_like(x, y)"),
    Case("broadcast_like_cheaper_ref_gather", lambda x, y, z: _broadcast_like(x, y[z]),
         [S, V, IDX], expect="broadcast_like(x, z)"),
    Case("sum_to_like_same",
         lambda x: _sum_to_like(at.exp(x) * at.sin(x), at.cos(x)), [M]),
    Case("sum_to_like_same",
         lambda x, y: _sum_to_like(at.exp(at.inc_subtensor(x[y], 1.0)), x), [V, IDX],
         expect="exp(inc_subtensor(x[y], 1.0))"),
    Case("mul_broadcast_ref", lambda x, y, z: x * _broadcast_like(ONE, x * y[z]), [V, V, IDX],
         expect="x * broadcast_like(1.0, y[z])"),
    Case("mul_broadcast_ref_second", lambda x, y: _broadcast_like(ONE, y / x) * x, [V, V],
         expect="x * broadcast_like(1.0, y)"),
    Case("sum_to_like_of_broadcast",
         lambda x, z: _sum_to_like(x * _broadcast_like(ONE, z), z), [V, IDX],
         expect="sum_to_like(x * 1, y)"),
    Case("sum_to_like_of_broadcast",
         lambda x, y: _sum_to_like(_broadcast_like(constant(2.0), at.exp(y)) * x, y), [M, M]),
    Case("shape_of_elemwise", lambda x: (at.exp(x) * at.sin(x)).shape, [M],
         expect="shape(x)"),
    Case("shape_of_elemwise_second", lambda x, y: at.maximum(x, y).shape, [S, M],
         expect="shape(y)"),
    Case("shape_of_elemwise_gather", lambda x, y: x[y].shape, [V, IDX], expect="shape(y)"),
    Case("shape_of_elemwise_second", lambda x, y: _broadcast_like(x, y).shape, [S, M],
         expect="shape(y)"),
    Case("shape_of_matmul_rows", lambda x, y: (x @ y.T).shape[0], [M, M],
         expect="shape(x)[0]"),
    Case("shape_of_matmul_rows", lambda x, y: (x @ y).shape[0], [M, V]),
    Case("shape_of_matmul_cols", lambda x, y: (x @ y).shape[-1], [M, M],
         expect="shape(y)[-1]"),
    Case("shape_of_matmul_cols", lambda x, y: (x @ y).shape[-1], [V, M]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule(case, rng):
    check_case(case, {r.name: r for r in shapes.RULES}, rng, n_samples=2)


def test_every_rule_has_a_case():
    check_coverage(shapes, CASES)


def test_every_rule_states_its_identity():
    for r in shapes.RULES:
        assert r.__doc__ and "->" in r.__doc__, r.name


def test_rules_do_not_fire_without_a_proof():
    """A dimension of unknown length may be 1 at run time: no rewrite from static types."""
    x, y = at.dvector("x"), at.dvector("y")
    A, B = at.dmatrix("A"), at.dmatrix("B")
    w2, i = at.dmatrix("w2"), at.lvector("i")
    for expr in (_sum_to_like(x, x * y), _sum_to_like(x, y), (at.exp(A) * B).shape,
                 _sum_to_like(at.dmatrix("g"), w2[i]), (A * B).shape, (x @ A).shape[0],
                 (A @ x).shape[-1],
                 x * _broadcast_like(ONE, y * at.exp(x))):
        out = ac.simplify(expr, include=[], rules=shapes.RULES)
        assert ac.pprint(out) == ac.pprint(expr)


def test_the_steps_walk_a_reference_back_to_its_root():
    """Each rule steps back once; together, to a fixpoint, they reach the chain's root."""
    g, y, w = at.dvector("g"), at.dvector("y"), at.dvector("w")
    i = at.lvector("i")
    cases = [
        (_sum_to_like(g, at.exp(2.0 * w[i]) + at.sin(w[i])), "sum_to_like(g, i)"),
        (y * _broadcast_like(ONE, at.tanh(y * w[i])), "y * broadcast_like(1.0, i)"),
        ((1.0 - at.exp(at.dmatrix("A"))).shape, "shape(A)"),
    ]
    for expr, expect in cases:
        out = ac.simplify(expr, include=[], rules=shapes.RULES)
        assert ac.pprint(out) == expect


@pytest.fixture(scope="module", params=["numpy", "cython"])
def compiled(request):
    w, i, c = at.dvector("w"), at.lvector("i"), at.dvector("c")
    A, B = at.dmatrix("A"), at.dmatrix("B")
    outs = [ac.grad(at.sum(w[i] * c), w), (at.exp(A) * at.sin(A)).shape, (A @ B.T).shape[0]]
    f = ac.function([w, i, c, A, B], outs, mode=request.param)
    return f


def test_compiled_graph_reads_shapes_only(compiled):
    ops = [n.op for n in compiled.fgraph.toposort()]
    assert not any(isinstance(op, (AdvancedSubtensor, MatMul)) for op in ops), ops
    assert not any(isinstance(op, E.Elemwise) and op.scalar_op.name in ("exp", "sin")
                   for op in ops), ops


@pytest.mark.parametrize("n_idx, n_c", [(6, 6), (6, 1), (1, 4), (0, 1)])
def test_gather_gradient_broadcasts_as_numpy(compiled, n_idx, n_c):
    """c broadcast against W[idx] either way: the gradient is np.add.at of c broadcast
    (or summed) to the gather's shape, whatever the lengths at run time."""
    rng = np.random.default_rng(n_idx * 10 + n_c)
    W = rng.normal(size=5)
    idx = rng.integers(0, 5, size=n_idx)
    c = rng.normal(size=n_c)
    A, B = rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    g, shape, rows = compiled(W, idx, c, A, B)
    full = np.broadcast_to(c, np.broadcast_shapes(idx.shape, c.shape))
    expected = np.zeros_like(W)
    np.add.at(expected, idx, full if full.shape == idx.shape else full.sum(keepdims=True))
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-12)
    assert tuple(shape) == (3, 2) and int(rows) == 3


def test_gather_gradient_bad_lengths_still_fail(compiled):
    with pytest.raises(ValueError):
        compiled(np.ones(5), np.array([0, 1, 2]), np.ones(2), np.ones((3, 2)), np.ones((4, 2)))
