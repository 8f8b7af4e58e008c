"""``ac.pprint`` (infix, minimal parentheses, re-parseable) and ``ac.dprint`` (tree)."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.graph.basic import Constant, Variable

a, b, c, x = (at.dscalar(n) for n in "abcx")
v, w = at.dvector("v"), at.dvector("w")
m = at.dmatrix("m")
i, k = at.lvector("i"), at.lscalar("k")
NAMESPACE = {"a": a, "b": b, "c": c, "x": x, "v": v, "w": w, "m": m, "i": i, "k": k,
             **{name: getattr(at, name) for name in dir(at) if not name.startswith("_")}}


def reparse(text: str) -> Variable:
    """Evaluate printed text as Python, with the variables and ``at``'s functions in scope."""
    return eval(text, {"__builtins__": {}}, dict(NAMESPACE))  # test-only: trusted text


def same_graph(p: Variable, q: Variable) -> bool:
    """Structural equality: equal ops, equal constants, identical leaf variables."""
    stack = [(p, q)]
    seen = set()
    while stack:
        s, t = stack.pop()
        if (id(s), id(t)) in seen:
            continue
        seen.add((id(s), id(t)))
        if isinstance(s, Constant) or isinstance(t, Constant):
            if not (isinstance(s, Constant) and isinstance(t, Constant)
                    and s.signature() == t.signature()):
                return False
            continue
        if s.owner is None or t.owner is None:
            if s is not t:
                return False
            continue
        if (s.owner.op != t.owner.op or s.index != t.index
                or len(s.owner.inputs) != len(t.owner.inputs)):
            return False
        stack.extend(zip(s.owner.inputs, t.owner.inputs))
    return True


@pytest.mark.parametrize("expr,text", [
    ((a + b) * c, "(a + b) * c"),
    (a + b * c, "a + b * c"),
    (a - (b - c), "a - (b - c)"),
    ((a - b) - c, "a - b - c"),
    (a / (b * c), "a / (b * c)"),
    (a * (b / c), "a * (b / c)"),
    (a + (b + c), "a + (b + c)"),
    (-x ** 2, "-x ** 2"),
    ((-x) ** 2, "(-x) ** 2"),
    (x ** -a, "x ** -a"),
    (a ** b ** c, "a ** b ** c"),
    ((a ** b) ** c, "(a ** b) ** c"),
    (at.log1p(at.exp(x)) * 2, "log1p(exp(x)) * 2"),
    (-(a * b), "-(a * b)"),
    (-a * b, "-a * b"),
    ((-2.0) ** x, "(-2) ** x"),
    (x - -2.0, "x - -2"),
    (a // b % c, "a // b % c"),
    (a % (b // c), "a % (b // c)"),
    ((a < b) & (b < c), "(a < b) & (b < c)"),
    (at.lt(a < b, c), "(a < b) < c"),
    ((a > b) | (a <= c), "(a > b) | (a <= c)"),
    (at.maximum(a, b) + at.switch(a > b, a, 0.5), "maximum(a, b) + switch(a > b, a, 0.5)"),
    (m.sum(axis=1) + v, "sum(m, axis=1) + v"),
    (m.T @ m, "m.T @ m"),
    (at.dot(m, v)[0], "dot(m, v)[0]"),
    (m[1:, None, 0], "m[1:, None, 0]"),
    (abs(a - b), "abs(a - b)"),
    (v[i] * 2.0, "v[i] * 2"),
    (at.inc_subtensor(v[i], w), "inc_subtensor(v[i], w)"),
    (at.set_subtensor(m[k, i], 2.0), "set_subtensor(m[k, i], 2.0)"),
    (at.inc_subtensor((v + 1.0)[k:], w), "inc_subtensor((v + 1)[k:], w)"),
])
def test_pprint_minimal_parentheses(expr, text):
    assert ac.pprint(expr) == text


REPARSEABLE = [
    (a + b) * c, a - (b - c), (a - b) - c, a + (b + c), a * (b / c), -x ** 2, (-x) ** 2,
    a ** b ** c, (a ** b) ** c, at.log1p(at.exp(x)) * 2, (-2.0) ** x, x ** -a,
    ((a < b) & (b < c)), at.lt(a < b, c), at.sigmoid(a) * at.softplus(-b) / at.erf(c),
    at.clip(a, -1.0, 1.0) - at.where(a > 0, b, c), m.sum(axis=0, keepdims=True) * v,
    at.concatenate([v, w * 2.0]), at.cast(v, "float32"), m.T @ m - at.outer(v, w),
    at.logsumexp(m, axis=-1) + at.max(v), m[0, 1:] ** 2, at.log(v).dimshuffle("x", 0),
    at.inc_subtensor(v[i], w), at.set_subtensor(v[1:3], w[:2]), at.inc_subtensor(m[k, 1:k], 1.0),
    at.set_subtensor(m[i, 0], v[:1]) * 2.0, m[i, 1:][k],
]


@pytest.mark.parametrize("expr", REPARSEABLE, ids=ac.pprint)
def test_pprint_reparses_into_an_equal_graph(expr):
    text = ac.pprint(expr)
    assert same_graph(reparse(text), expr), text


UNARY = ["exp", "log", "sin", "tanh", "sigmoid", "neg", "abs", "sqrt"]
BINARY = ["add", "sub", "mul", "true_div", "pow", "maximum", "mod", "int_div"]


@st.composite
def expressions(draw, depth=0, constant_ok=False):
    """A random expression over a, b, c and small constants.

    Every operation has a variable among its inputs' leaves: Python would fold an
    all-constant sub-expression such as `2.0 + 2.0` before it reached the graph.
    """
    leaves = [a, b, c, 2.0, 0.5, -3.0] if constant_ok else [a, b, c]
    if depth >= 4 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(leaves))
    if draw(st.booleans()):
        return getattr(at, draw(st.sampled_from(UNARY)))(draw(expressions(depth + 1)))
    left = draw(expressions(depth + 1))
    right = draw(expressions(depth + 1, constant_ok=True))
    if draw(st.booleans()):
        left, right = right, left
    return getattr(at, draw(st.sampled_from(BINARY)))(left, right)


@given(expressions(depth=1).filter(lambda e: e.owner is not None))
def test_random_expressions_round_trip(expr):
    text = ac.pprint(expr)
    assert same_graph(reparse(text), expr), text


def test_pprint_names_and_lists():
    y = at.exp(x)
    y.name = "y"
    # A named intermediate still prints as its expression (names are for leaves).
    assert "exp(x)" in ac.pprint(y * 2)
    assert ac.pprint([a + b, a * b]) == "[a + b, a * b]"
    assert ac.pprint(a) == "a"
    assert ac.pprint(at.constant(2.5)) == "2.5"
    with pytest.raises(TypeError):
        ac.pprint("a + b")
    # Unnamed inputs print their type.
    assert "float64" in ac.pprint(at.dvector() + 1)


def test_pprint_shares_large_repeated_subexpressions():
    big = a
    for k in range(40):
        big = at.sin(big + k)
    text = ac.pprint(big * big + big)
    assert "where" in text
    assert text.count("sin(") == 40  # printed once


def test_dprint_tree_and_repeated_subgraphs():
    y = at.exp(v) + 1.0
    z = y * at.log(y)
    text = ac.dprint(z, file="str")
    lines = text.splitlines()
    assert lines[0].startswith("mul [id A]") and "float64[?]" in lines[0]
    assert sum("exp" in line for line in lines) == 1  # the shared add(exp, 1) is expanded once
    assert sum("(repeated)" in line for line in lines) == 1
    repeated = next(line for line in lines if "(repeated)" in line)
    first = next(line for line in lines if "add" in line)
    label = first.split("[id ")[1].split("]")[0]
    assert f"[id {label}]" in repeated
    assert "v [id" in text


def test_dprint_targets(capsys):
    f = ac.function([v], v * 2, mode="numpy")
    assert ac.dprint(f) is None
    assert "v" in capsys.readouterr().out
    assert ac.dprint(f.fgraph, file="str") == ac.dprint(f, file="str")
    buf = io.StringIO()
    ac.dprint([v + 1, v * 2], file=buf)
    assert buf.getvalue().count("[id A]") == 1 and "add" in buf.getvalue()
    assert "float64" not in ac.dprint(v + 1, file="str", print_type=False)
    with pytest.raises(TypeError):
        ac.dprint(3)


def test_ten_thousand_op_chain_prints():
    """Printing is iterative: a 10,000-deep graph prints (evaluation: test_function.py)."""
    s = at.dscalar("s")
    out = s
    for k in range(10_000):
        out = out * 0.5 + 0.5 if k % 2 else at.sin(out)
    want = "s"
    for k in range(10_000):
        want = f"{want} * 0.5 + 0.5" if k % 2 else f"sin({want})"
    assert ac.pprint(out) == want
    lines = ac.dprint(out, file="str").splitlines()
    # Per `* 0.5 + 0.5`: the add, the mul and two constants; per sin: one line; then s.
    assert len(lines) == 5_000 * 4 + 5_000 + 1
    (leaf,) = [line for line in lines if " s [id" in line]
    assert "(depth 15000)" in leaf  # add, mul and sin are one level each
    assert max(len(line) for line in lines) < 400  # indentation stops growing
