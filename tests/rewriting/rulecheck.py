"""Checking one rewrite rule: it fires, keeps the type, and both sides agree numerically.

Used by ``tests/rules/test_{algebra,stability,specialize}.py``.  A :class:`Case`
names a rule, builds an expression the rule matches, and says where to draw the
inputs (the rule's domain).  :func:`check_case` runs *only* that rule (plus the
built-in constant folding and merging), checks it fired, and evaluates the
original and the rewritten graph, each exactly as built (no further rewriting),
on random inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from kanren import run, var

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile.vm import NumPyProgram
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.rewriting import Rule, simplify
from aesara_cas.rewriting.replacement import materialize
from aesara_cas.rewriting.rewriter import rule_name


@dataclass
class Case:
    """An expression a rule rewrites, and where its inputs live."""

    rule: str
    build: Callable[..., Any]
    #: One ``(kind, low, high)`` per input: kind is a constructor name of ``at``
    #: (``"dvector"``, ``"dscalar"``, ``"dmatrix"``, ...).
    inputs: Sequence[tuple[str, float, float]]
    expect: str | None = None
    rtol: float = 1e-12
    atol: float = 0.0
    #: Extra ``(input values, expected output)`` pairs, e.g. where the original overflows.
    extremes: list = field(default_factory=list)
    shape: tuple = (5,)


def _make_inputs(case: Case) -> list:
    names = "xyzuvw"
    return [getattr(at, kind)(names[i]) for i, (kind, _, _) in enumerate(case.inputs)]


def _sample(var_: Any, low: float, high: float, rng, shape: tuple) -> np.ndarray:
    dims = {0: (), 1: shape[:1], 2: (shape[0], shape[0])}.get(var_.ndim, shape)
    value = rng.uniform(low, high, size=dims)
    if np.dtype(var_.dtype).kind in "iu":
        value = np.round(value)
    return np.asarray(value, dtype=var_.dtype)


def run_exactly(inputs: list, output: Any, values: list) -> np.ndarray:
    """Evaluate ``output`` as built, without any rewriting."""
    program = NumPyProgram(FunctionGraph(inputs, [output], clone=True))
    return program.run([np.asarray(v, dtype=i.dtype) for i, v in zip(inputs, values)])[0]


def check_case(case: Case, rules_by_name: dict, rng, n_samples: int = 8) -> Any:
    relation = rules_by_name[case.rule]
    xs = _make_inputs(case)
    expr = case.build(*xs)
    events: list = []
    out = simplify(expr, include=[], rules=[relation], trace=events)
    fired = [e.rule for e in events]
    assert case.rule in fired, f"{case.rule} did not fire on {ac.pprint(expr)}: {fired}"
    assert out.type == expr.type, (out.type, expr.type)
    if case.expect is not None:
        assert ac.pprint(out) == case.expect, ac.pprint(out)
    for _ in range(n_samples):
        values = [_sample(v, lo, hi, rng, case.shape) for v, (_, lo, hi) in zip(xs, case.inputs)]
        before = run_exactly(xs, expr, values)
        after = run_exactly(xs, out, values)
        assert np.all(np.isfinite(before)), (case.rule, values, before)
        np.testing.assert_allclose(after, before, rtol=case.rtol, atol=case.atol,
                                   err_msg=f"{case.rule} on {values}")
    for values, expected in case.extremes:
        got = run_exactly(xs, out, values)
        np.testing.assert_allclose(got, expected, rtol=1e-13, err_msg=f"{case.rule} extreme")
    # The rule is a relation: kanren finds the same rewrite.
    q = var()
    found = run(1, q, relation(expr, q))
    assert found, f"kanren found no rewrite for {case.rule}"
    if isinstance(relation, Rule):
        via_kanren = materialize(found[0], expr)
        direct = materialize(relation.apply(expr), expr)
        assert ac.pprint(via_kanren) == ac.pprint(direct)
    return out


def check_coverage(module, cases: Sequence[Case]) -> None:
    """Every rule of ``module.RULES`` has at least one case."""
    names = {rule_name(r) for r in module.RULES}
    covered = {c.rule for c in cases}
    assert names <= covered, f"rules without a test: {sorted(names - covered)}"
    assert covered <= names, f"cases for unknown rules: {sorted(covered - names)}"
