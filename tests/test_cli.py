"""The command line: expressions, safe parsing, errors, the tour."""

import subprocess
import sys

import numpy as np
import pytest

from aesara_cas import tensor as at
from aesara_cas.cli import main
from aesara_cas.expr_parser import ExpressionError, parse_expression


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_expression_prints_graph_and_result(capsys):
    code, out, err = run(capsys, "log(1 + exp(x)) * y", "--var", "x:dvector", "--var", "y:dscalar")
    assert code == 0, err
    assert "expression: log(1 + exp(x)) * y" in out
    assert "graph:" in out and "exp [id" in out
    result_line = next(line for line in out.splitlines() if line.startswith("result = "))
    values = np.array(result_line.split("=", 1)[1].strip(" []").split(), dtype=float)
    assert values.shape == (4,) and np.all(np.isfinite(values))


def test_result_matches_numpy(capsys):
    code, out, _ = run(capsys, "sum(x * 2)", "--var", "x:dvector:3", "--seed", "3")
    assert code == 0
    x_line = next(line for line in out.splitlines() if line.startswith("input x = "))
    x = np.array(x_line.split("=", 1)[1].strip(" []").split(), dtype=float)
    result = float(next(line for line in out.splitlines() if line.startswith("result = "))[9:])
    assert result == pytest.approx(2 * x.sum(), rel=1e-5)


@pytest.mark.parametrize(
    "expr, column, words",
    [
        ("log(1 + foo(x))", 9, "unknown function 'foo'"),
        ("log(1 + (x)", None, "invalid syntax"),
        ("x + z", 5, "unknown name 'z'"),
        ("__import__('os').system('true')", None, "unknown function '__import__'"),
        ("x.__class__", 1, "attribute '__class__' is not allowed"),
        ("lambda: 1", 1, "Lambda is not allowed"),
        ("'a' + x", 1, "only numeric literals"),
        ("x if x else x", 1, "IfExp is not allowed"),
        ("sum(x, foo=1)", None, "keyword 'foo' is not allowed"),
    ],
)
def test_bad_expressions_exit_2_with_position(capsys, expr, column, words):
    code, out, err = run(capsys, expr, "--var", "x:dvector")
    assert code == 2
    assert words in err
    assert len(err.strip().splitlines()[0]) > 0
    if column is not None:
        assert f"column {column}:" in err


def test_bad_var_spec(capsys):
    code, _, err = run(capsys, "x", "--var", "x:dnothing")
    assert code == 2 and "unknown type 'dnothing'" in err
    code, _, err = run(capsys, "x", "--var", "1x:dvector")
    assert code == 2 and "NAME:TYPE" in err


def test_shape_error_is_reported_not_raised(capsys):
    code, _, err = run(capsys, "x @ A", "--var", "x:dvector:3", "--var", "A:dmatrix:4")
    assert code == 2 and "error" in err


def test_parser_is_iterative_on_long_expressions():
    x = at.dscalar("x")
    expr = parse_expression(" + ".join(["x"] * 2000), {"x": x})
    assert float(expr.eval({x: 1.5})) == 3000.0


def test_expression_beyond_pythons_parser_gets_a_clear_error():
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression(" + ".join(["x"] * 20000), {"x": at.dscalar("x")})


def test_parser_supports_methods_indexing_and_keywords():
    x = at.dmatrix("x")
    expr = parse_expression("x[1:, None].sum(axis=0) + max(x, axis=(0, 1)) + x.T[..., 0]", {"x": x})
    value = np.arange(6.0).reshape(2, 3)
    expected = value[1:, None].sum(axis=0) + value.max() + value.T[..., 0]
    np.testing.assert_allclose(expr.eval({x: value}), expected)


def test_parse_error_type():
    with pytest.raises(ExpressionError):
        parse_expression("1 +", {})
    with pytest.raises(TypeError):
        parse_expression(3, {})


def test_module_entry_point_runs():
    done = subprocess.run(
        [sys.executable, "-m", "aesara_cas", "x ** 2", "--var", "x:dscalar"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "result = " in done.stdout


def test_simplify_and_grad_are_printed(capsys):
    code, out, err = run(
        capsys, "log(1 + exp(x)) * y", "--var", "x:dscalar", "--var", "y:dscalar", "--grad", "x"
    )
    assert code == 0, err
    assert "simplified: y * softplus(x)" in out
    assert "softplus_from_log1p" in out.split("rules fired:", 1)[1].splitlines()[0]
    assert "gradient d/dx: y * sigmoid(x)" in out


def test_grad_of_undeclared_variable(capsys):
    code, _, err = run(capsys, "x * 2", "--var", "x:dscalar", "--grad", "q")
    assert code == 2 and "--grad 'q'" in err


@pytest.mark.parametrize(
    "argv, column, words",
    [
        (["x", "--var", "x:dvector", "--size", "100000000000000"], None, "too many to generate"),
        (["x", "--var", "x:dvector:3000000000"], None, "too many to generate"),
        (["x[10**30]", "--var", "x:dvector"], 3, "does not fit in int64"),
        (["x ** 10**400", "--var", "x:dvector"], 6, "does not fit in int64"),
        (["x + 9223372036854775808", "--var", "x:lvector"], 5, "does not fit in int64"),
        (["", "--var", "x:dvector"], 1, "the expression is empty"),
        (["1 +"], 4, "invalid syntax"),
        (["  x + z", "--var", "x:dvector"], 7, "unknown name 'z'"),
        (["(x +\n z)", "--var", "x:dvector"], 7, "unknown name 'z'"),
        (["x.__class__", "--var", "x:dvector"], 1, ".T and the methods .all()"),
        (["x.foo()", "--var", "x:dvector"], 1, ".sum()"),
        (["x[5]", "--var", "x:dvector"], None, "index 5 is out of bounds"),
        (["outer(x, x)", "--var", "x:dvector", "--size", "5000000"], None, "out of memory"),
        (["x @ A", "--var", "x:dvector:3", "--var", "A:dmatrix:4"], None,
         "x (argument 0, shape (3,)) and A (argument 1, shape (4, 4))"),
    ],
)
def test_every_error_is_one_line_with_exit_2(capsys, argv, column, words):
    code, _, err = run(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aesara-cas: error: "), err
    assert words in err
    assert "invalid syntax: invalid syntax" not in err
    if column is not None:
        assert f"error: column {column}: " in err


def test_integer_literals_at_the_int64_edges_work(capsys):
    code, out, err = run(capsys, "x - 9223372036854775807 + -9223372036854775808",
                         "--var", "x:lvector:2", "--no-simplify")
    assert code == 0, err
    x = np.array(next(li for li in out.splitlines() if li.startswith("input x = "))
                 .split("=", 1)[1].strip(" []").split(), dtype="int64")
    result = np.array(next(li for li in out.splitlines() if li.startswith("result = "))
                      .split("=", 1)[1].strip(" []").split(), dtype="int64")
    with np.errstate(over="ignore"):
        expected = x - np.int64(2**63 - 1) + np.int64(-(2**63))
    np.testing.assert_array_equal(result, expected)
