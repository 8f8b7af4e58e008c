"""Long sums and products: the normal form of a nested sum is that of the flat sum, however
it was nested (left, right, balanced), a partial sum used twice stays a node, and the fast
paths the normal form, the pre-filter and ``Elemwise.make_node`` take give exactly what the
general code gives."""

import random

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.graph.basic import Constant
from aesara_cas.graph.traversal import toposort
from aesara_cas.rewriting.database import standard_database
from aesara_cas.rewriting.normal_form import _build, _build_like, _in_order
from aesara_cas.rewriting.prefilter import Prefilter, allows, input_kinds, input_pairs
from aesara_cas.rewriting.terms import canonical_order, key_less, order_key, order_token
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.elemwise import _weak_result_type, broadcast_shapes

x, y = at.dvector("x"), at.dvector("y")
s = at.dscalar("s")


def structure(outs):
    """The graph of ``outs`` as text: each node's op, its inputs in order (constants by
    dtype and bytes), its output type; equal text is the same expression."""
    names, lines = {}, []

    def ref(v):
        if isinstance(v, Constant):
            d = np.asarray(v.data)
            return f"{d.dtype}:{d.shape}:{d.tobytes().hex()}"
        return names.get(id(v), v.name)

    for node in toposort(outs):
        args = ", ".join(ref(i) for i in node.inputs)
        for o in node.outputs:
            names[id(o)] = f"n{len(names)}"
        lines.append(f"{ref(node.outputs[0])} = {node.op}({args}) : {node.outputs[0].type}")
    return "\n".join(lines + [" ".join(ref(o) for o in outs)])


def _terms(n, seed):
    r = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        c = round(r.uniform(0.5, 1.5), 3)
        out.append([c * at.exp(float(i) * x), c * at.sin(float(i) * y), at.exp(s * float(i)),
                    (x + float(i)) ** 2][i % 4])
    return out


def _nest(terms, shape, op):
    if shape == "left":
        e = terms[0]
        for t in terms[1:]:
            e = op(e, t)
        return e
    if shape == "right":
        e = terms[-1]
        for t in reversed(terms[:-1]):
            e = op(t, e)
        return e
    level = list(terms)  # balanced
    while len(level) > 1:
        nxt = [op(level[k], level[k + 1]) for k in range(0, len(level) - 1, 2)]
        level = nxt + ([level[-1]] if len(level) % 2 else [])
    return level[0]


@pytest.mark.parametrize("shape", ["left", "right", "balanced"])
@pytest.mark.parametrize("n", [5, 20, 32])
def test_a_nested_sum_has_the_normal_form_of_the_flat_sum(shape, n):
    terms = _terms(n, n)
    nested = ac.simplify(_nest(terms, shape, lambda a, b: a + b))
    flat = ac.simplify(E.add(*terms))
    assert structure([nested]) == structure([flat])
    assert nested.owner.op == E.add and len(nested.owner.inputs) == n


@pytest.mark.parametrize("shape", ["left", "right", "balanced"])
def test_a_nested_product_has_the_normal_form_of_the_flat_product(shape):
    factors = [at.exp(float(i) * x) + float(i) for i in range(1, 13)] + [y, s]
    nested = ac.simplify(_nest(factors, shape, lambda a, b: a * b))
    flat = ac.simplify(E.mul(*factors))
    assert structure([nested]) == structure([flat])


def test_a_long_sum_is_split_into_sums_of_at_most_32_terms_and_keeps_its_value():
    terms = _terms(100, 1)
    out = ac.simplify(_nest(terms, "left", lambda a, b: a + b))
    adds = [n for n in toposort([out]) if n.op == E.add and len(n.inputs) > 2]
    assert adds and all(len(n.inputs) <= 32 for n in adds)
    assert sum(len(n.inputs) for n in adds) >= 100
    # Summed once more, the result is its own normal form.
    assert structure([ac.simplify(out)]) == structure([out])
    xv, yv = np.linspace(-0.1, 0.1, 5), np.linspace(0.2, 0.3, 5)
    f = ac.function([x, y, s], [out, _nest(terms, "left", lambda a, b: a + b)], mode="numpy")
    got, want = f(xv, yv, 0.01)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("shape", ["left", "right"])
def test_a_partial_sum_with_two_uses_stays_a_node(shape):
    terms = _terms(12, 3)
    part = _nest(terms[:5], shape, lambda a, b: a + b)  # used by the sum and by 2 * part
    whole = _nest([part] + terms[5:], shape, lambda a, b: a + b)
    got = ac.simplify([whole, 2.0 * part])
    part_nf = ac.simplify(_nest(terms[:5], shape, lambda a, b: a + b))
    inner = [i for i in got[0].owner.inputs if i.owner is not None and i.owner.op == E.add]
    assert len(inner) == 1 and structure(inner) == structure([part_nf])
    assert len(got[0].owner.inputs) == 1 + 7  # the partial sum and the other 7 terms
    assert got[1].owner.inputs[1] is inner[0]  # one node, used twice
    f = ac.function([x, y, s], [whole, 2.0 * part, *got], mode="numpy")
    a, b, c, d = f(np.array([0.1, -0.2]), np.array([0.3, 0.4]), 0.2)
    np.testing.assert_allclose(c, a, rtol=1e-12)
    np.testing.assert_allclose(d, b, rtol=1e-12)


def test_the_fast_flattened_build_equals_the_general_one():
    f32 = at.fvector("f")
    m = at.dmatrix("m")
    cases = [
        [t for t in _terms(9, 4) if t.type == x.type],
        [x, y, x * 2.0, at.exp(y)],
        [x, s, y],  # a scalar among vectors: another shape
        [x, f32, y],  # another dtype
        [m, x],  # broadcast to a matrix
        [y, x],
    ]
    for items in cases:
        for op in (E.add, E.mul):
            general = _build(op, list(items))
            out = general  # a node of the flattened type, as the flatten step has
            fast = _build_like(op, list(items), out)
            assert fast.type == general.type
            assert fast.owner.op == general.owner.op
            assert fast.owner.inputs == general.owner.inputs


def test_key_less_agrees_with_the_order_keys():
    vs = [c * at.exp(k * x) for c in (0.5, 2.0, 0.25) for k in (1.0, 3.0)]
    vs += [c * at.exp(x) for c in (0.5, 0.5)] + [x * y, y * x, x * x, s * x]
    vs += [at.exp(y * 2.0), at.exp(x * 2.0), at.sin(x) * 2.0]
    pairs = 0
    for a in vs:
        for b in vs:
            if order_token(a) == order_token(b):
                pairs += 1
                assert key_less(a, b) == (order_key(a) < order_key(b))
    assert pairs > 40
    assert _in_order(canonical_order(vs[:8]))


def test_the_prefilter_selects_as_its_needs_allow_on_a_long_sum():
    db = standard_database()
    rewriters = [db.rewriter(r) for rs in db.sets.values() for r in rs]
    pf = Prefilter([rw for rw in rewriters if E.add in rw.keys or not rw.keys], E.add)
    terms = _terms(60, 5) + [at.constant(-1.0), at.exp(x) * -1.0, -1.0 * at.exp(y)]
    for k in range(2, len(terms)):
        inputs = terms[:k]
        want = [rw for rw, need in zip(pf.rewriters, pf.needs)
                if allows(need, k, input_kinds(inputs), input_pairs(inputs))]
        assert pf.select(inputs) == want
    # The coefficients' values are no part of the keys: one entry per number of terms.
    assert len(pf._lists) <= len(terms)


def test_make_node_fast_paths_give_the_general_results():
    i8, f32, u8 = at.bvector("i8"), at.fvector("f32"), at.vector("u8", dtype="uint8")
    for var in (i8, f32, u8, x, s):
        for value in (2.5, 1e300, -0.0, True):  # the value of a float or bool never matters
            assert _weak_result_type(type(value), (var.dtype,), value) == \
                np.result_type(var.dtype, value)
        for value in (2, 300, -1, 2.5, True):
            try:
                node = E.add(var, value).owner
            except TypeError:
                continue
            const = node.inputs[1]
            assert node.outputs[0].dtype == np.result_type(var.dtype, const.dtype).name
    assert broadcast_shapes([(None,), (), (None,)]) == (None,)
    assert broadcast_shapes([(3, 1), (3, 1)]) == (3, 1)
    assert broadcast_shapes([(), ()]) == ()
    assert broadcast_shapes([(1,), (None,)]) == (None,)
    assert broadcast_shapes([(2, None), (None,)]) == (2, None)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        broadcast_shapes([(2,), (3,)])
    with pytest.raises(TypeError):
        E.add(x, object())
