"""Each accuracy rule, checked against mpmath inside and at the edges of its domain.

For every case: the rule fires (it appears in the rewrite trace); the rewritten
graph equals the original mathematically (both evaluated exactly by the mpmath
reference, wherever the original is defined); the compiled result is accurate
to a few ulps; and the naive evaluation is much worse on the same points (so
the points do reach the region the rule is for).  Rules are backend
independent, so the functions are interpreted (``mode="numpy"``); the compiled
backend is measured by ``benchmarks/accuracy/run.py``.
"""

import numpy as np
import pytest
from aesara_cas.rules import cancellation

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile.vm import NumPyProgram
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.rewriting import simplify
from aesara_cas.testing import bits_of_error, reference_eval, reference_float, round_to_dtype

TINY = [5e-324, 1e-300, 1e-200, 1e-30, 1e-16, 1e-9, 1e-5]
LARGE = [0.3, 1.0, 2.5, 1e3, 1e9, 1e16, 1e100, 1e300, 1.7e308]
POS = [0.0] + TINY + LARGE
SIGNED = sorted(POS + [-v for v in POS[1:]])
SMALL = sorted([0.0] + TINY + [-v for v in TINY] + [0.3, -0.3, 1.0, -1.0, 2.5, -2.5])


def grid(*axes):
    """All combinations of the given per-variable points, as one array per variable."""
    mesh = np.meshgrid(*[np.asarray(a, dtype=float) for a in axes], indexing="ij")
    return [m.ravel() for m in mesh]


def near(t: float) -> list[float]:
    """``t`` and its float neighbours, both signs: the edges of a switch."""
    pts = [np.nextafter(t, 0), t, np.nextafter(t, np.inf)]
    return [float(p) for p in pts] + [-float(p) for p in pts]


# (rule, formula, points per variable, max bits of error of the rewritten form,
#  min bits of error the naive form reaches on these points)
CASES = [
    ("root_difference", lambda x: at.sqrt(x + 1) - at.sqrt(x), [POS + [-1.0, -0.5]], 2, 40),
    ("root_difference", lambda x: at.sqrt(x) - at.sqrt(x + 1), [POS], 2, 40),
    ("root_difference", lambda x, e: at.sqrt(x + e) - at.sqrt(x),
     grid([0.0, 1e-300, 1.0, 1e10, 1e300], [0.0, 1e-300, 1e-8, 1.0, -1e-8]), 2, 30),
    ("root_difference", lambda x: at.sqrt(1 + x) - 1, [SIGNED[SIGNED.index(-1.0):]], 2, 40),
    ("root_difference", lambda x: 3 - at.sqrt(9 + x), [POS + [-9.0, -1e-20]], 2, 40),
    ("root_difference", lambda x, y: at.sqrt(x) - at.sqrt(y),
     grid([1.0, 1e10, 1e300], [1.0, np.nextafter(1.0, 2), 1e10 * (1 + 2**-50), 1e300]), 2, 5),
    ("reciprocal_difference", lambda x: 1 / (x + 1) - 1 / x, [POS[1:]], 2, 30),
    ("reciprocal_difference", lambda x: 1 / at.sqrt(x) - 1 / at.sqrt(x + 1), [POS[1:]], 3, 30),
    ("square_difference", lambda x, y: x * x - y * y,
     grid([1.0, 1e10, 1e200, -3.0], [1.0, np.nextafter(1.0, 2), -1e10 * (1 + 2**-40), 1e200]),
     2, 20),
    ("shifted_difference", lambda x, e: at.sin(x + e) - at.sin(x),
     grid([0.0, 1e-5, 1.0, -3.0, 1e4, 1e8], [1e-300, -1e-12, 1e-3, 0.1]), 3, 40),
    ("shifted_difference", lambda x, e: at.cos(x + e) - at.cos(x),
     grid([0.0, 1e-5, 1.0, -3.0, 1e4, 1e8], [1e-300, -1e-12, 1e-3, 0.1]), 3, 40),
    ("shifted_difference", lambda x, e: at.tan(x + e) - at.tan(x),
     grid([0.0, 1e-5, 1.0, -3.0, 1e4], [1e-300, -1e-12, 1e-3, 0.1]), 3, 40),
    ("shifted_difference", lambda x, e: at.exp(x + e) - at.exp(x),
     grid([-700.0, -1.0, 0.0, 1e-5, 1.0, 700.0], [1e-300, -1e-12, 1e-3, 0.1]), 3, 40),
    ("shifted_difference", lambda x: at.log(x + 1) - at.log(x), [POS], 2, 40),
    ("shifted_difference", lambda x: at.arctan(x + 1) - at.arctan(x),
     [SIGNED + [1e155, -3e157, 4e161]], 2, 30),
    ("shifted_difference", lambda x, e: at.arctan(x + e) - at.arctan(x),
     grid([-10.0, -1.0, 0.0, 0.5, 1e8], [-20.0, -1e-10, 1e-300, 3.0]), 2, 20),
    ("odd_function_minus_x", lambda x: x - at.sin(x), [SMALL + near(2.0) + [7.0, -1e5]], 2, 40),
    ("odd_function_minus_x", lambda x: at.sin(x) - x, [SMALL + near(2.0)], 2, 40),
    ("odd_function_minus_x", lambda x: at.sinh(x) - x, [SMALL + near(2.0) + [30.0]], 2, 40),
    ("odd_function_minus_x", lambda x: x - at.tan(x), [SMALL[3:-3] + near(0.6) + [1.5]], 3, 40),
    ("root_minus_base", lambda x: at.sqrt(x * x + 1) - x, [SIGNED], 2, 40),
    ("root_minus_base", lambda x: x - at.sqrt(x * x + 4), [SIGNED], 2, 40),
    ("root_minus_base", lambda a, b, c: (-b + at.sqrt(b * b - 4 * a * c)) / (2 * a),
     grid([1e-3, 1.0, -2.0], [1e8, -1e8, 1.0, 0.0, -3.0], [1.0, -1.0, 1e-5]), 2, 20),
    ("root_plus_base", lambda a, b, c: (-b - at.sqrt(b * b - 4 * a * c)) / (2 * a),
     grid([1e-3, 1.0, -2.0], [1e8, -1e8, 1.0, 0.0, -3.0], [1.0, -1.0, 1e-5]), 2, 20),
    ("root_plus_base", lambda x: x + at.sqrt(x * x + 1), [SIGNED], 2, 40),
    ("hypot_form", lambda x, y: at.sqrt(x * x + y * y),
     grid([0.0, 1e-200, 3.0, 1e200, -1e300], [0.0, 1e-170, 4.0, 1e250]), 1, 40),
    ("hypot_form", lambda x: at.sqrt(x * x + 4), [SIGNED], 1, 40),
    ("one_minus_cos_cosh_exp", lambda x: at.cosh(x) - 1, [SMALL + [700.0, -710.0]], 2, 40),
    ("one_minus_cos_cosh_exp", lambda x: 1 - at.cosh(x), [SMALL], 2, 40),
    ("one_minus_cos_cosh_exp", lambda x: at.cos(x) - 1, [SMALL + [1e5]], 2, 40),
    ("one_minus_cos_cosh_exp", lambda x: 1 - at.exp(x), [SMALL + [-800.0, 700.0]], 1, 40),
    ("exp_difference_sinh", lambda x: at.exp(x) - at.exp(-x), [SMALL + [700.0]], 2, 40),
    ("exp_sum_cosh", lambda x: at.exp(x) + at.exp(-x), [SMALL + [700.0]], 1, 0),
    ("tanh_form", lambda x: (at.exp(x) - at.exp(-x)) / (at.exp(x) + at.exp(-x)),
     [SMALL + [800.0, -800.0]], 1, 40),
    ("tanh_form", lambda x: at.sinh(x) / at.cosh(x), [SMALL + [800.0, -800.0]], 1, 60),
    ("exp_over_expm1", lambda x: at.exp(x) / (at.exp(x) - 1), [SMALL + [800.0, -800.0]], 2, 40),
    ("log_of_expm1", lambda x: at.log(at.exp(x) - 1),
     [[1e-300, 1e-8, 0.5, np.log(2), 30.0, 31.0, 800.0, 1e10]], 2, 40),
    ("log_of_neg_expm1", lambda x: at.log(-at.expm1(x)), [[-1e-300, -1e-8, -0.7, -40.0, -800.0]],
     1, 40),
    ("power_of_one_plus_minus_one", lambda x, y: (1 + x) ** y - 1,
     grid([-1.0, -0.5, -1e-12, 1e-300, 1e-9, 0.5, 3.0, -3.0], [-2.0, 0.5, 3.0, 1e3]), 3, 40),
    ("arccos_one_minus", lambda x: at.arccos(1 - x),
     [[-1.0, 0.0, 5e-324, 1e-300, 1e-16, 1e-5] + near(1.0)[:3] + [1.5, 2.0, 2.5]], 2, 40),
    ("inverse_hyperbolic_log", lambda x: at.log(x + at.sqrt(x * x + 1)), [SIGNED], 1, 40),
    ("inverse_hyperbolic_log", lambda x: at.log(x + at.sqrt(x * x - 1)),
     [[1.0, np.nextafter(1.0, 2), 1.5, 1e10, 1e300, -2.0, 0.5]], 1, 20),
    ("inverse_hyperbolic_log", lambda x: 0.5 * at.log((1 + x) / (1 - x)),
     [SMALL[3:-3] + [0.99, -0.99, 1.0, 2.0]], 1, 40),
    # No cancellation here; the rule makes log(1 + x) - log(1 - x) end as arctanh
    # whichever of log_to_log1p and inverse_hyperbolic_log fires first.
    ("log1p_difference_arctanh", lambda x: at.log1p(x) - at.log1p(-x),
     [SMALL[3:-3] + [0.99, -0.99]], 1, 0),
    ("log_of_exp_pair", lambda x, y: at.log(at.exp(x) + at.exp(y)),
     grid([-800.0, -1.0, 0.0, 3.0, 800.0], [-800.0, 0.0, 1e-10, 800.0]), 3, 60),
    ("exp_of_sum_compensated", lambda x, y: at.exp(x + y),
     grid([-700.0, -1.3, 0.3, 650.5], [-50.25, 0.1, 701.1]), 2, 5),
    # Accurate as written; canonicalisation collects it into exp(x + y).
    ("exp_of_sum_compensated", lambda x, y: at.exp(x) * at.exp(y),
     grid([-700.0, -1.3, 0.3, 650.5], [-50.25, 0.1, 701.1]), 2, 0),
    # Sums of three terms, and of five (the rest of the sum after three terms).
    ("exp_of_sum_compensated", lambda x, y, z: at.exp(x + y + z),
     grid([-700.0, 0.3, 650.5], [-50.25, 40.1], [0.1, -3.7]), 2, 5),
    ("exp_of_sum_compensated", lambda v, w, x, y, z: at.exp(v + w + x + y + z),
     grid([-400.0, 0.3, 350.5], [-50.25, 40.1], [0.1, -3.7], [1.3e-3], [2.5]), 3, 5),
    # The other spellings of the computed rules: graph inputs, log1p, a hypot.
    ("reciprocal_difference", lambda x, y: 1 / at.sqrt(x) - 1 / at.sqrt(y),
     grid([1.0, 1e10, 1e300], [1.0, np.nextafter(1.0, 2), 1e10 * (1 + 2**-50), 1e300]), 3, 5),
    ("shifted_difference", lambda x: at.log1p(x) - at.log(x), [POS[1:]], 2, 30),
    ("root_plus_base", lambda x, y: x + at.hypot(x, y),
     grid([-1e10, -1.0, 3.0, 1e300], [1e-5, 1.0, -1e-200]), 2, 20),
]


def _ids():
    seen: dict[str, int] = {}
    out = []
    for case in CASES:
        n = seen.get(case[0], 0)
        seen[case[0]] = n + 1
        out.append(f"{case[0]}-{n}")
    return out


def _build(fn):
    names = fn.__code__.co_varnames[: fn.__code__.co_argcount]
    inputs = [at.dvector(name) for name in names]
    return inputs, fn(*inputs)


def test_every_rule_has_a_case():
    assert {r.name for r in cancellation.RULES} == {c[0] for c in CASES}


def test_every_rule_documents_its_identity():
    for r in cancellation.RULES:
        assert r.__doc__ and ("=" in r.__doc__ or "->" in r.__doc__), r.name


@pytest.mark.parametrize("name, fn, points, tol, naive_min", CASES, ids=_ids())
def test_rule_against_mpmath(name, fn, points, tol, naive_min):
    values = [np.asarray(p, dtype=float) for p in points]
    inputs, expr = _build(fn)
    events = []
    simplify(expr, trace=events)
    assert name in {e.rule for e in events}, [str(e) for e in events]

    f = ac.function(inputs, expr, mode="numpy")
    exact, resolved = reference_eval(expr, dict(zip(inputs, values)), return_resolved=True)
    ref = round_to_dtype(exact)
    defined = resolved & ~np.isnan(ref)
    assert defined.sum() >= len(ref) // 2, "too few points inside the domain"

    # Both sides are the same function: the rewritten graph, evaluated exactly.
    rewritten = f.fgraph.outputs[0]
    ref_new = reference_float(rewritten, dict(zip(f.fgraph.inputs, values)))
    identity = bits_of_error(ref_new, ref)[defined]
    assert identity.max() <= 1, (values, ref_new, ref)

    # The rewritten form is accurate in float64 ...
    out = f(*values)
    bits = bits_of_error(out, ref)[defined]
    worst = int(np.argmax(bits))
    assert bits.max() <= tol, (
        f"{ac.pprint(rewritten)}: {bits.max():.1f} bits at "
        f"{[v[defined][worst] for v in values]}: got {out[defined][worst]!r}, "
        f"exact {ref[defined][worst]!r}")
    # ... where the formula as written is not.
    program = NumPyProgram(FunctionGraph(inputs, [expr], clone=True))
    naive = bits_of_error(program.run(values)[0], ref)[defined]
    assert naive.max() >= naive_min


def test_float32_graphs_stay_float32_and_accurate():
    x = at.fvector("x")
    small = np.array([1e-30, -1e-8, 1e-3, 0.5, -1.9], dtype=np.float32)
    large = np.array([1e-30, 1e-8, 0.5, 1e10, 1e30], dtype=np.float32)
    for expr, xs in ((at.sqrt(x + 1) - at.sqrt(x), large), (at.cosh(x) - 1, small),
                     (x - at.sin(x), small), (at.sqrt(x * x + 1) - x, large)):
        f = ac.function([x], expr, mode="numpy")
        out = f(xs)
        assert out.dtype == np.float32
        ref = reference_float(expr, {x: xs})
        assert bits_of_error(out, ref).max() <= 2, (ac.pprint(f.fgraph.outputs[0]), out, ref)


def test_rules_do_not_fire_where_they_do_not_help():
    x, y = at.dvector("x"), at.dvector("y")
    for expr in (at.sqrt(at.exp(x)) - at.sqrt(at.sin(y)),   # unrelated radicands
                 at.log(x) - at.log(y),                      # no shift between the arguments
                 at.sin(x) - at.sin(y)):
        events = []
        simplify(expr, include=["stabilize"], trace=events)
        assert not {e.rule for e in events} & {r.name for r in cancellation.RULES}, events


def test_patterns_match_every_spelling_and_order_without_canonicalize():
    """The stabilize set alone (no canonical order) finds each rule in a hand-built graph."""
    x, y = at.dvector("x"), at.dvector("y")
    cases = [("root_difference", at.sqrt(x + 1) - at.sqrt(x)),
             ("root_difference", at.add(at.neg(at.sqrt(x)), at.sqrt(1 + x))),
             ("root_difference", at.add(at.sqrt(y + x), at.mul(-1.0, at.sqrt(x)))),
             ("shifted_difference", at.add(at.neg(at.exp(x)), at.exp(y + x))),
             ("root_minus_base", at.add(at.neg(x), at.sqrt(at.add(1.0, at.sqr(x))))),
             ("exp_of_sum_compensated", at.exp(at.add(x, y, 2.0 * x, 3.0 * y)) * 2.0)]
    for name, expr in cases:
        events = []
        simplify(expr, include=["stabilize"], trace=events)
        assert name in {e.rule for e in events}, (ac.pprint(expr), [str(e) for e in events])


def test_switch_fallbacks_are_not_rewritten_again():
    """Each switch keeps one copy of the original form (no cycle, no nesting)."""
    x = at.dvector("x")
    out = simplify(x - at.sin(x))
    text = ac.pprint(out)
    assert text.count("switch") == 1 and text.count("sin(") == 1, text


def test_compiled_default_mode_matches():
    """The same rewritten graph in the default (compiled) mode: a few ulps (vector math)."""
    x = at.dvector("x")
    expr = at.sqrt(x * x + 1) - x
    xs = np.concatenate([-np.logspace(-300, 300, 50), np.logspace(-300, 300, 50)])
    ref = reference_float(expr, {x: xs})
    out = ac.function([x], expr)(xs)
    assert bits_of_error(out, ref).max() <= 3


def test_tan_series_coefficients_match_mpmath():
    import mpmath
    from aesara_cas.rules.cancellation_util import tan_coefficient

    with mpmath.workdps(60):
        taylor = mpmath.taylor(mpmath.tan, 0, 2 * 30 + 3)
    for k in range(30):
        exact = tan_coefficient(k)
        assert abs(float(exact) - float(taylor[2 * k + 3])) <= 1e-15 * float(exact)
