"""Parse a user's expression string into a graph, safely.

The string is parsed with :mod:`ast` and walked over an allow-list of node kinds,
names and functions; nothing is ever passed to ``eval``.  The walk is iterative
(an explicit stack), so long expressions such as ``x+x+...+x`` do not recurse.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import Any

from aesara_cas import tensor as at
from aesara_cas.graph.basic import Variable


class ExpressionError(ValueError):
    """A bad expression; ``column`` is the 1-based offending position (or None)."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column

    def __str__(self) -> str:
        msg = super().__str__()
        return f"column {self.column}: {msg}" if self.column else msg


#: Functions an expression may call, by name.
FUNCTIONS: dict[str, Any] = {
    name: getattr(at, name)
    for name in [
        "abs", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "sqr",
        "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "hypot", "sinh", "cosh",
        "tanh", "sigmoid", "softplus", "log1mexp", "erf", "erfc", "maximum", "minimum", "switch",
        "where", "clip", "floor", "ceil", "sign", "isnan", "isinf", "sum", "prod", "max", "min",
        "mean", "all", "any", "logsumexp", "dot", "matmul", "outer", "transpose", "reshape",
        "expand_dims", "squeeze", "flatten", "concatenate", "stack",
    ]
}
FUNCTIONS["lt"], FUNCTIONS["le"], FUNCTIONS["gt"], FUNCTIONS["ge"] = at.lt, at.le, at.gt, at.ge
FUNCTIONS["eq"], FUNCTIONS["neq"] = at.eq, at.neq
CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan}
METHODS = {"sum", "prod", "max", "min", "mean", "all", "any", "reshape", "dimshuffle", "flatten"}
KEYWORDS = {"axis", "keepdims", "ndim"}
_ALLOWED_ATTRIBUTES = "allowed: .T and the methods " + ", ".join(
    f".{m}()" for m in sorted(METHODS))

_BINOPS = {
    ast.Add: at.add, ast.Sub: at.sub, ast.Mult: at.mul, ast.Div: at.true_div,
    ast.FloorDiv: at.int_div, ast.Pow: at.pow, ast.Mod: at.mod, ast.MatMult: at.matmul,
    ast.BitAnd: at.and_, ast.BitOr: at.or_,
}
_UNARY = {ast.USub: at.neg, ast.UAdd: lambda x: x, ast.Invert: at.invert}
_COMPARE = {ast.Lt: at.lt, ast.LtE: at.le, ast.Gt: at.gt, ast.GtE: at.ge, ast.Eq: at.eq,
            ast.NotEq: at.neq}


def _col(node: ast.AST) -> int | None:
    off = getattr(node, "col_offset", None)
    return None if off is None else off + 1


def _children(node: ast.AST) -> list[ast.AST]:
    """The sub-expressions whose values ``node`` needs, in evaluation order."""
    if isinstance(node, ast.Expression):
        return [node.body]
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Compare):
        return [node.left, *node.comparators]
    if isinstance(node, ast.Call):
        return ([node.func.value] if isinstance(node.func, ast.Attribute) else []) + \
            list(node.args) + [k.value for k in node.keywords]
    if isinstance(node, ast.Attribute):
        return [node.value]
    if isinstance(node, ast.Subscript):
        return [node.value, node.slice]
    if isinstance(node, ast.Slice):
        return [p for p in (node.lower, node.upper, node.step) if p is not None]
    if isinstance(node, (ast.Tuple, ast.List)):
        return list(node.elts)
    return []


#: Integers in an expression must fit int64 (the dtype NumPy gives a Python int).
INT_RANGE = (-(2**63), 2**63 - 1)
#: Arithmetic on two integer literals is done exactly (as Python does) up to this many bits.
_FOLD_BITS = 128


def _check_int(value: Any, col: int | None) -> Any:
    if type(value) is int and not INT_RANGE[0] <= value <= INT_RANGE[1]:
        shown = str(value) if abs(value) < 10**40 else f"about 10**{len(str(abs(value))) - 1}"
        raise ExpressionError(
            f"the integer {shown} does not fit in int64 (from {INT_RANGE[0]} to {INT_RANGE[1]})",
            col)
    return value


def _fold_ints(node: ast.BinOp, a: int, b: int) -> int | None:
    """``a op b`` for two Python integers, exactly as Python computes it (so ``10**30``
    is an error, not a silently wrapped int64), or ``None`` to build a graph instead."""
    op = type(node.op)
    if op is ast.Add:
        return a + b
    if op is ast.Sub:
        return a - b
    if op is ast.Mult:
        return a * b
    if op is ast.Pow and b >= 0:
        if a in (0, 1, -1) or b * max(abs(a), 1).bit_length() <= _FOLD_BITS:
            return a ** b
        raise ExpressionError(f"the integer {a} ** {b} does not fit in int64", _col(node))
    return None


def _reduce(node: ast.AST, vals: list[Any], names: Mapping[str, Variable]) -> Any:
    """The value of ``node`` given the values of its children."""
    col = _col(node)
    if isinstance(node, ast.Expression):
        return vals[0]
    if isinstance(node, ast.Constant):
        if type(node.value) in (int, float, bool) or node.value in (None, Ellipsis):
            return node.value
        raise ExpressionError(f"only numeric literals are allowed, not {node.value!r}", col)
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        declared = ", ".join(sorted(names)) or "none"
        raise ExpressionError(
            f"unknown name {node.id!r} (declared variables: {declared}; declare one with "
            f"--var {node.id}:dscalar)", col
        )
    if isinstance(node, ast.BinOp):
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise ExpressionError(f"operator {type(node.op).__name__} is not supported", col)
        if type(vals[0]) is int and type(vals[1]) is int:
            folded = _fold_ints(node, *vals)
            if folded is not None:
                return folded
        return op(*vals)
    if isinstance(node, ast.UnaryOp):
        op = _UNARY.get(type(node.op))
        if op is None:
            raise ExpressionError("'not' is not supported; use ~ for boolean arrays", col)
        if type(vals[0]) in (int, float) and type(node.op) in (ast.USub, ast.UAdd):
            # -9223372036854775808 is a literal, not the negation of an int64 overflow.
            return -vals[0] if isinstance(node.op, ast.USub) else vals[0]
        return op(vals[0])
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1:
            raise ExpressionError("chained comparisons are not supported", col)
        op = _COMPARE.get(type(node.ops[0]))
        if op is None:
            raise ExpressionError("only < <= > >= == != comparisons are supported", col)
        return op(*vals)
    if isinstance(node, ast.Call):
        n_kw = len(node.keywords)
        kw_vals = vals[len(vals) - n_kw:] if n_kw else []
        pos_vals = vals[: len(vals) - n_kw]
        kwargs = {}
        for k, v in zip(node.keywords, kw_vals):
            if k.arg not in KEYWORDS:
                raise ExpressionError(
                    f"keyword {k.arg!r} is not allowed (allowed: {', '.join(sorted(KEYWORDS))})",
                    _col(k.value) or col,
                )
            kwargs[k.arg] = v
        if isinstance(node.func, ast.Attribute):
            if node.func.attr not in METHODS:
                raise ExpressionError(
                    f"method {node.func.attr!r} is not allowed ({_ALLOWED_ATTRIBUTES})", col
                )
            obj, *args = pos_vals
            if not isinstance(obj, Variable):
                raise ExpressionError(f"{node.func.attr}() needs a variable", col)
            return getattr(obj, node.func.attr)(*args, **kwargs)
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = node.func.id if isinstance(node.func, ast.Name) else "this call"
            raise ExpressionError(f"unknown function {what!r}", col)
        fn = FUNCTIONS[node.func.id]
        if node.func.id in ("concatenate", "stack"):
            return fn(pos_vals[0], **kwargs)
        return fn(*pos_vals, **kwargs)
    if isinstance(node, ast.Attribute):
        if node.attr == "T":
            return at.transpose(vals[0])
        raise ExpressionError(f"attribute {node.attr!r} is not allowed ({_ALLOWED_ATTRIBUTES})",
                              col)
    if isinstance(node, ast.Subscript):
        return vals[0][vals[1]]
    if isinstance(node, ast.Slice):
        it = iter(vals)
        parts = [next(it) if p is not None else None for p in (node.lower, node.upper, node.step)]
        return slice(*parts)
    if isinstance(node, ast.Tuple):
        return tuple(vals)
    if isinstance(node, ast.List):
        return list(vals)
    raise ExpressionError(f"{type(node).__name__} is not allowed in an expression", col)


def _check_calls(tree: ast.AST) -> None:
    """Reject unknown functions before evaluating anything (``ast.walk`` is iterative)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id not in FUNCTIONS:
                raise ExpressionError(f"unknown function {node.func.id!r}", _col(node))
        elif isinstance(node, ast.Call) and not isinstance(node.func, ast.Attribute):
            raise ExpressionError("only named functions can be called", _col(node))


def _absolute_columns(tree: ast.AST, body: str, starts: list[int], lead: int) -> None:
    """Make every node's ``col_offset`` a character offset into the whole text
    (Python gives a UTF-8 byte offset within the node's line)."""
    lines = body.split("\n")
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) is None or getattr(node, "col_offset", None) is None:
            continue
        i = node.lineno - 1
        chars = len(lines[i].encode("utf-8")[: node.col_offset].decode("utf-8", "ignore"))
        node.col_offset = lead + starts[i] + chars


def parse_expression(text: str, names: Mapping[str, Variable]) -> Variable:
    """Build the graph of ``text`` over the variables in ``names``.

    Raises
    ------
    ExpressionError
        With the 1-based column of the offending part.
    """
    if not isinstance(text, str):
        raise TypeError(f"the expression must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("the expression is empty", 1)
    # Columns count characters from the start of ``text`` (across lines, if any).
    body = text.strip()
    lead = len(text) - len(text.lstrip())
    starts = [0]
    for line in body.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as err:
        msg = err.msg if err.msg.startswith("invalid syntax") else f"invalid syntax: {err.msg}"
        line = (err.lineno or 1) - 1
        if not err.offset or line >= len(starts):
            column = len(text.rstrip()) + 1  # Python reports "at the end of the input"
            msg += " (the expression ends too early)" if "end" not in msg else ""
        else:
            column = lead + starts[line] + err.offset
        raise ExpressionError(msg, column) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply to parse") from None
    _absolute_columns(tree, body, starts, lead)
    _check_calls(tree)
    # Post-order walk with an explicit stack: (node, children visited?).
    values: list[Any] = []
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if not expanded:
            stack.append((node, True))
            for child in reversed(_children(node)):
                stack.append((child, False))
            continue
        kids = _children(node)
        n = len(kids)
        args = values[len(values) - n:] if n else []
        del values[len(values) - n:]
        if not (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)):
            # Python integers must fit int64 where they are used (-2**63 is negated first).
            for kid, value in zip(kids, args):
                _check_int(value, _col(kid))
        try:
            values.append(_reduce(node, args, names))
        except ExpressionError:
            raise
        except (TypeError, ValueError, IndexError) as err:
            raise ExpressionError(str(err), _col(node)) from None
    (result,) = values
    _check_int(result, _col(tree.body))
    if not isinstance(result, Variable):
        result = at.as_tensor_variable(result)
    return result
