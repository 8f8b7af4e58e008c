"""The engine's normal form of sums and products (``aesara_cas.rewriting.normal_form``):
every step fires on an example, keeps the type, and both sides agree on random inputs;
a node in normal form is left alone; traces and ``exclude=`` name the steps."""

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.rewriting.normal_form import NORMAL_FORM, STEPS, NormalForm
from tests.rewriting.rulecheck import Case, check_case

V = ("dvector", -3.0, 3.0)
POS = ("dvector", 0.5, 3.0)
C = at.constant

CASES = [
    Case("sub_to_add", lambda x, y: x - y, [V, V], expect="x + -y"),
    Case("add_flatten", lambda x, y, z: (x + y) + z, [V, V, V], expect="x + y + z"),
    Case("mul_flatten", lambda x, y, z: (x * y) * z, [V, V, V], expect="x * y * z"),
    Case("add_constants", lambda x: at.add(C(2.0), x, C(3.0)), [V], expect="5 + x"),
    Case("mul_constants", lambda x: at.mul(C(2.0), x, C(3.0)), [V], expect="6 * x"),
    Case("add_zero", lambda x: x + C(-0.0), [V], expect="x"),
    Case("add_zero", lambda x: at.exp(x) + C(0.0), [V], expect="exp(x)"),
    Case("add_zero", lambda x: at.add(x * x, np.zeros((4, 5))), [V]),  # keeps the broadcast
    Case("mul_one", lambda x: C(1.0) * x, [V], expect="x"),
    Case("mul_zero", lambda x: at.exp(x) * 0.0, [V]),
    Case("mul_zero", lambda x: x * 0, [("ivector", -9, 9)]),
    Case("add_order", lambda x, y: at.exp(y) + x, [V, V], expect="x + exp(y)"),
    Case("mul_order", lambda x, y: y * x, [V, V], expect="x * y"),
    Case("add_collect", lambda x: 2.0 * x + 3.0 * x, [V], expect="5 * x"),
    Case("add_collect", lambda x: at.add(x, -x), [V]),
    Case("add_collect", lambda x, y: at.add(x * y, -(x * y), 2.0 * y * x, x), [V, V]),
    Case("mul_collect", lambda x, y: at.mul(x, y, x), [POS, V], expect="y * x ** 2"),
    Case("mul_collect", lambda x, y: at.mul(x, y, x ** -1.0), [POS, V],
         expect="alloc(y, maximum(shape(y)[0], shape(x)[0]))"),  # x may broadcast y
    Case("mul_collect", lambda x: at.mul(at.sqrt(x), x), [POS], expect="x ** 1.5"),
    Case("mul_collect", lambda x: at.sqrt(x) * at.sqrt(x), [POS], expect="abs(x)"),
    Case("div_to_mul", lambda x, y: x / y, [V, POS], expect="x * y ** -1"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_step(case, rng):
    """The step alone (as the only rule, and as a relation) rewrites the example to an
    equal expression."""
    check_case(case, {case.rule: NormalForm([case.rule], name=case.rule)}, rng)


def test_every_step_has_a_case():
    names = {n for entries in STEPS.values() for n, _, _ in entries}
    assert names == {c.rule for c in CASES}
    assert set(NORMAL_FORM.step_names) == names


def test_a_normal_form_is_left_alone():
    x, y = at.dvector("x"), at.dvector("y")
    out = ac.simplify(at.exp(y) * (x - 2.0 * y) + x * x * 3.0, include=["canonicalize"])
    nodes = [out.owner]
    while nodes:
        node = nodes.pop()
        assert NORMAL_FORM.rewrite(node) is None, ac.pprint(node.outputs[0])
        nodes.extend(i.owner for i in node.inputs if i.owner is not None)


def test_traces_and_exclude_name_the_steps():
    x, y = at.dvector("x"), at.dvector("y")
    events: list = []
    ac.simplify(at.exp(y) + x + x, include=["canonicalize"], trace=events)
    assert {"add_flatten", "add_collect"} <= {e.rule for e in events}
    assert all(e.phase == "canonicalize" for e in events)
    kept = ac.simplify(at.exp(y) + x, include=["canonicalize"], exclude=["add_order"])
    assert ac.pprint(kept) == "exp(y) + x"
    assert ac.pprint(ac.simplify(x - y, exclude=["normal_form"])) == "x - y"
    with pytest.raises(ValueError, match="unknown rule"):
        ac.simplify(x - y, exclude=["add_sorting"])
