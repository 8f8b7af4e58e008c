"""Big expressions are stabilized region by region before they are differentiated
(``aesara_cas.gradient_regions``): the numerical guarantees of small ones hold.  Big
derivatives come with their nested products flattened (``flatten_products``)."""

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import gradient
from aesara_cas import tensor as at
from aesara_cas.compile.vm import NumPyProgram
from aesara_cas.gradient_regions import RADIUS, anchor_keys, rule_anchors, stabilize_regions
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.traversal import toposort
from aesara_cas.rewriting import rewrite_graph, standard_database
from aesara_cas.rewriting.pattern import APPLY
from aesara_cas.tensor.grad_ops import flatten_products


def _run(inputs, outputs, values):
    """Evaluated as built (no rewriting): what differentiation itself produced."""
    return NumPyProgram(FunctionGraph(inputs, outputs, clone=False)).run(values)


@pytest.fixture
def regions(monkeypatch):
    """Every expression takes the region path (small graphs keep the tests fast)."""
    monkeypatch.setattr(gradient, "STABILIZE_REGIONS_ABOVE", 0)


def _tower(x, n=12):
    # Ops no stability rule is anchored on, below the unstable part.
    for _ in range(n):
        x = at.tanh(x) * 1.5 + x
    return x


def _depth(pattern):
    deepest, stack = 0, [(pattern, 1)]
    while stack:
        p, d = stack.pop()
        if p.kind == APPLY:
            deepest = max(deepest, d)
            stack.extend((a, d + 1) for a in p.args)
    return deepest


def test_every_stability_rule_has_an_anchor():
    anchors = anchor_keys()
    assert anchors is not None and {"exp", "log", "sigmoid"} <= anchors
    for _, rws in standard_database().select(["stabilize"], None, []):
        for rw in rws:
            if not rw.keep_form:
                found = rule_anchors(rw)
                assert found is not None and all(f & anchors for f in found), rw.name
                # A region spans every match holding its anchor.
                assert all(2 * (_depth(p) - 1) < RADIUS for p in rw.patterns), rw.name


def test_overflowing_forms_differentiate_finitely(regions):
    v, y, s = at.dvector("v"), at.dvector("y"), at.dscalar("s")
    z = _tower(v)  # logits computed far below the loss
    t = _tower(s)
    softmax = at.exp(z) / at.sum(at.exp(z), axis=-1, keepdims=True)
    costs = [
        -at.sum(y * at.log(softmax)),      # cross-entropy: gradient softmax - y
        at.log(at.sum(at.exp(z))),         # logsumexp: gradient softmax
        at.log(1 + at.exp(t)),             # softplus: gradient sigmoid
        -at.log(at.sigmoid(-t)),           # -log sigmoid(-t): gradient sigmoid
    ]
    grads = [ac.grad(costs[0], v), ac.grad(costs[1], v), ac.grad(costs[2], s),
             ac.grad(costs[3], s)]
    vv, yv, sv = np.array([1000.0, 0.0]), np.array([0.0, 1.0]), 1000.0
    zv, tv = _run([v], [z], [vv])[0], float(_run([s], [t], [sv])[0])
    assert zv[0] > 1000 and tv > 1000  # the unstable forms would overflow here
    dz = _run([v], [ac.grad(at.sum(z), v)], [vv])[0]  # the tower is element-wise
    dt = float(_run([s], [ac.grad(t, s)], [sv])[0])
    got = _run([v, y, s], grads, [vv, yv, sv])
    sm = np.exp(zv - zv.max()) / np.exp(zv - zv.max()).sum()
    np.testing.assert_allclose(got[0], (sm - yv) * dz, rtol=1e-12)
    np.testing.assert_allclose(got[1], sm * dz, rtol=1e-12)
    np.testing.assert_allclose(float(got[2]), dt, rtol=1e-12)
    np.testing.assert_allclose(float(got[3]), dt, rtol=1e-12)


def test_regions_agree_with_full_stabilization(regions, monkeypatch, rng):
    x, w = at.dvector("x"), at.dvector("w")
    e = at.exp(x * w)  # an anchor at the bottom, read by the region and outside it
    h = _tower(at.log1p(e) + e * 0.1)
    cost = at.sum(at.log(1 + at.exp(h * w)) + at.sigmoid(h) * e)
    region_grads = ac.grad(cost, [x, w])
    monkeypatch.setattr(gradient, "STABILIZE_REGIONS_ABOVE", 10**9)
    full_grads = ac.grad(cost, [x, w])
    for _ in range(3):
        vals = [rng.normal(size=4), rng.normal(size=4)]
        got = _run([x, w], region_grads, vals)
        want = _run([x, w], full_grads, vals)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_only_the_regions_are_rebuilt():
    x = at.dscalar("x")
    base = _tower(x, 400)  # 1,200 nodes, no anchor
    top = at.log(1 + at.exp(base * 2.0))
    nodes = toposort([top])
    out, = stabilize_regions([top], nodes,
                             lambda fg: rewrite_graph(fg, include=["canonicalize", "stabilize"]))
    kept = {id(n) for n in toposort([out])} & {id(n) for n in nodes}
    assert len(nodes) - len(kept) < 40  # the tower below the region is shared, not copied
    assert any(n.op == at.softplus for n in toposort([out]))
    # Without anchors nothing is rewritten: the expression is differentiated as it is.

    def no_rewrite(fg):
        raise AssertionError("nothing to rewrite")

    assert stabilize_regions([base], toposort([base]), no_rewrite) == [base]


def test_big_derivatives_have_flat_products(regions, monkeypatch):
    monkeypatch.setattr(gradient, "SIMPLIFY_AFTER_NODES", 0)
    x = at.dscalar("x")
    z = x
    for k in range(300):
        z = at.sin(z) * 0.5 + 0.1 if k % 2 else z * 1.0001
    g = ac.grad(z, x)
    raw = ac.grad(z, x, simplify=False)
    forward = set(toposort([z]))
    products = [n for n in toposort([g]) if n.op == at.mul and n not in forward]
    assert len(products) == 1 and len(products[0].inputs) > 300  # one product, not a nest
    np.testing.assert_array_equal(_run([x], [g], [0.3]), _run([x], [raw], [0.3]))
    # The caller's graphs are left whole: a cotangent that is a product is no nest.
    u = at.dscalar("u")
    cot = (u * 3.0) * 2.0
    (vj,) = gradient.vjp([z], [x], [cot])
    assert cot.owner.outputs == [cot] and cot.owner.inputs[0].owner.outputs
    np.testing.assert_allclose(_run([x, u], [vj], [0.3, 1.0])[0],
                               6.0 * _run([x], [raw], [0.3])[0], rtol=1e-12)
    # A product the expression reads too, or a derivative read twice, stays as it is.
    y = x * 3.0
    a = (y * x) * 2.0
    assert flatten_products([a], [a]) == [a]
    b = y * x
    out = flatten_products([b * 2.0, b * 5.0], [y])
    assert all(len(o.owner.inputs) == 2 for o in out)
