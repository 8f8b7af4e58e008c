"""The loop rewrites of rules/scan.py: each side evaluated, results compared."""

import numpy as np
from aesara_cas.rules import scan as scan_rules

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.scan import Scan


def _both(out, inputs, values):
    new = ac.simplify(out, rules=scan_rules.RULES)
    f = ac.function(inputs, [out, new], mode="numpy")
    before, after = f(*values)
    return new, before, after


def test_running_sum_and_product_become_cumulative_ops(rng):
    x = at.dvector("x")
    xv = rng.normal(size=50)
    for fn, name in [(lambda v, acc: acc + v, "cumsum"), (lambda v, acc: v * acc, "cumprod")]:
        out, _ = ac.scan(fn, sequences=x, outputs_info=at.constant(0.7))
        new, before, after = _both(out, [x], [xv])
        names = {str(n.op) for n in ac.function([x], new, mode="numpy").fgraph.toposort()}
        assert not any(n.startswith("scan") for n in names)
        assert any(n.startswith(name) for n in names), names
        np.testing.assert_array_equal(before, after)  # same additions, same order
    empty = ac.function([x], ac.simplify(out, rules=scan_rules.RULES), mode="numpy")(np.zeros(0))
    assert empty.shape == (0,)


def test_other_steps_are_left_alone():
    x = at.dvector("x")
    out, _ = ac.scan(lambda v, acc: acc + 2.0 * v, sequences=x, outputs_info=at.constant(0.0))
    new = ac.simplify(out, rules=[scan_rules.RULES[1]])
    assert isinstance(new.owner.op, Scan)


def test_loop_invariants_are_hoisted(rng):
    x = at.dvector("x")
    a, b = at.dscalar("a"), at.dscalar("b")
    out, _ = ac.scan(lambda v, acc, c, d: acc * at.exp(c * d) + at.sin(c) * v, sequences=x,
                     outputs_info=at.constant(0.5), non_sequences=[a, b])
    new, before, after = _both(out, [x, a, b], [rng.normal(size=20), 0.3, -0.4])
    np.testing.assert_array_equal(before, after)
    op = new.owner.op
    assert isinstance(op, Scan) and op.n_nonseqs > 2
    inner_ops = {str(n.op) for n in op.fgraph.toposort()}
    assert "exp" not in inner_ops and "sin" not in inner_ops
    # A loop with several outputs is not rewritten (only a node's first output is replaced).
    (s, y), _ = ac.scan(lambda v, acc, c: (acc * at.exp(c), v * at.exp(c)), sequences=x,
                        outputs_info=[at.constant(1.0), None], non_sequences=a)
    assert scan_rules.RULES[0].rewrite(s.owner) is None
