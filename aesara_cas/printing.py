"""Printing graphs: ``pprint`` (infix math) and ``dprint`` (an indented tree).

Both walk the graph iteratively, so graphs tens of thousands of nodes deep print.
Sub-expressions used more than once are printed once: ``pprint`` names large
ones (``where`` clauses), ``dprint`` marks repeats with their ``[id]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.traversal import toposort
from aesara_cas.tensor.advanced import AdvancedIncSubtensor, AdvancedSubtensor, _index_str
from aesara_cas.tensor.blas import Dot, MatMul
from aesara_cas.tensor.elemwise import Elemwise
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.scalar import Cast
from aesara_cas.tensor.shape import DimShuffle, Join
from aesara_cas.tensor.subtensor import IncSubtensor, Subtensor

ATOM = 100
# Python's own operator precedences, so printed expressions read (and parse) as Python:
# comparisons bind looser than `|` and `&`, which bind looser than `+`.
PRECEDENCE = {
    "lt": 6, "le": 6, "gt": 6, "ge": 6, "eq": 6, "neq": 6, "or_": 7, "and_": 8,
    "add": 10, "sub": 10, "mul": 20, "true_div": 20, "int_div": 20, "mod": 20, "matmul": 20,
    "neg": 30, "invert": 30, "pow": 40,
}
#: A repeated sub-expression longer than this is printed once, under a name.
SHARE_THRESHOLD = 120


def _format_constant(c: Constant, strip_point: bool = True) -> str:
    data = c.data
    if data.ndim == 0:
        value = data.item()
        if isinstance(value, float):
            # NumPy's str is the shortest text that reads back as the same value in
            # the constant's own dtype (`0.1` for a float32, not `0.10000000149011612`).
            text = str(data[()])
            if strip_point and text.endswith(".0") and "e" not in text:
                return text[:-2]
            return text
        return repr(value)
    if data.size <= 6:
        return np.array2string(data, separator=", ").replace("\n", "")
    return f"constant{{{data.dtype}, shape={data.shape}}}"


def _leaf_name(var: Variable) -> str:
    if isinstance(var, Constant):
        return var.name or _format_constant(var)
    return var.name if var.name is not None else f"<{var.type}>"


def _weak_partner(c: Constant, node) -> bool:
    """Whether a Python number in place of ``c`` would take ``c``'s dtype in ``node``."""
    return isinstance(node.op, Elemwise) and any(
        i is not c and not isinstance(i, Constant) and i.dtype == c.dtype for i in node.inputs
    )


def _wrap(text: str, prec: int, need: int, strict: bool = False) -> str:
    return f"({text})" if prec < need or (strict and prec == need) else text


def _format_node(node, args: list[tuple[str, int]]) -> tuple[str, int]:
    op = node.op
    if isinstance(op, Elemwise):
        sop = op.scalar_op
        if isinstance(sop, Cast):
            return f"cast({args[0][0]}, {sop.dtype!r})", ATOM
        name = sop.name
        sym = sop.symbol
        prec = PRECEDENCE.get(name)
        if sym and prec is not None:
            if len(args) == 1:
                text, p = args[0]
                return f"{sym}{_wrap(text, p, prec)}", prec
            if name == "pow":
                (a, pa), (b, pb) = args
                return f"{_wrap(a, pa, prec, strict=True)} ** {_wrap(b, pb, prec - 10)}", prec
            # Python chains comparisons (`a < b < c` is not `(a < b) < c`), so a
            # comparison operand of equal precedence always needs parentheses.
            chained = prec == PRECEDENCE["lt"]
            parts = [_wrap(args[0][0], args[0][1], prec, strict=chained)]
            # Left-associative: a right operand of equal precedence keeps its
            # parentheses, so the text parses back into the same tree (even for `+`:
            # `a + (b + c)` and `a + b + c` round differently).
            for text, p in args[1:]:
                parts.append(_wrap(text, p, prec, strict=True))
            return f" {sym} ".join(parts), prec
        return f"{name}({', '.join(a for a, _ in args)})", ATOM
    if isinstance(op, Reduce):
        extra = []
        if op.axis is not None:
            extra.append(f"axis={op.axis[0] if len(op.axis) == 1 else op.axis}")
        if op.keepdims:
            extra.append("keepdims=True")
        return f"{op.kind}({', '.join([args[0][0], *extra])})", ATOM
    if isinstance(op, DimShuffle):
        text, p = args[0]
        if op.is_transpose and op.new_order == tuple(reversed(range(op.input_ndim))):
            return f"{_wrap(text, p, ATOM)}.T", ATOM
        pattern = ", ".join(repr(d) if d == "x" else str(d) for d in op.new_order)
        return f"{_wrap(text, p, ATOM)}.dimshuffle({pattern})", ATOM
    if isinstance(op, (IncSubtensor, AdvancedIncSubtensor)):
        # As it is written: ``inc_subtensor(x[i], y)`` (the view names the region).
        (text, p), (value, _), *index_args = args
        verb = "set_subtensor" if op.set_instead_of_inc else "inc_subtensor"
        region = _indexed(text, p, op.idx_list, index_args)
        return f"{verb}({region}, {value})", ATOM
    if isinstance(op, (Subtensor, AdvancedSubtensor)):
        return _indexed(args[0][0], args[0][1], op.idx_list, args[1:]), ATOM
    if isinstance(op, MatMul):
        (a, pa), (b, pb) = args
        prec = PRECEDENCE["matmul"]
        return f"{_wrap(a, pa, prec)} @ {_wrap(b, pb, prec, strict=True)}", prec
    if isinstance(op, Dot):
        return f"dot({args[0][0]}, {args[1][0]})", ATOM
    if isinstance(op, Join):
        return f"concatenate([{', '.join(a for a, _ in args)}], axis={op.axis})", ATOM
    call = getattr(op, "pprint_call", None)
    if call is not None:  # ops that show their parameters: ``sort(x, axis=0)``
        return call([a for a, _ in args]), ATOM
    name = getattr(op, "print_name", None) or type(op).__name__.lower()
    return f"{name}({', '.join(a for a, _ in args)})", ATOM


def _indexed(text: str, prec: int, idx_list: tuple, index_args: list) -> str:
    """``x[...]``, the index inputs' texts in place of the index's ``?`` entries."""
    pieces = _index_str(idx_list).split("?")
    idx = pieces[0] + "".join(arg + rest for (arg, _), rest in zip(index_args, pieces[1:]))
    return f"{_wrap(text, prec, ATOM)}[{idx}]"


class _Text:
    """A rendered sub-expression kept as pieces (literal strings and other ``_Text``).

    Nesting pieces instead of concatenating strings keeps printing a deep chain
    linear in its size; ``render`` flattens the pieces iteratively.
    """

    __slots__ = ("pieces", "length")

    def __init__(self, pieces: list, length: int):
        self.pieces = pieces
        self.length = length

    def render(self) -> str:
        out: list[str] = []
        stack: list = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
            else:
                stack.extend(reversed(item.pieces))
        return "".join(out)


_MARK = "\x00"


def _format_with_pieces(node, args: list[tuple[_Text, int]]) -> tuple[_Text, int]:
    """Format ``node`` with placeholder arguments, then splice the real pieces in."""
    placeholders = [(f"{_MARK}{k}{_MARK}", prec) for k, (_, prec) in enumerate(args)]
    text, prec = _format_node(node, placeholders)
    pieces: list = []
    length = 0
    for k, chunk in enumerate(text.split(_MARK)):
        if k % 2:
            sub = args[int(chunk)][0]
            pieces.append(sub)
            length += sub.length
        elif chunk:
            pieces.append(chunk)
            length += len(chunk)
    return _Text(pieces, length), prec


def pprint(var: Variable | Sequence[Variable]) -> str:
    """An infix, Python-like rendering of ``var``: ``log1p(exp(x)) * 2``.

    Variables print as their names; a large sub-expression used more than once
    is printed once, as ``name where name = ...``.
    """
    outputs = list(var) if isinstance(var, (list, tuple)) else [var]
    for o in outputs:
        if not isinstance(o, Variable):
            raise TypeError(f"pprint takes symbolic variables, got {type(o).__name__}")
    nodes = toposort(outputs)
    uses: dict[Variable, int] = {}
    for node in nodes:
        for inp in node.inputs:
            uses[inp] = uses.get(inp, 0) + 1
    text: dict[Variable, tuple[_Text, int]] = {}
    bindings: list[str] = []

    def leaf(v: Variable, node=None) -> tuple[_Text, int]:
        name = _leaf_name(v)
        if (
            node is not None and isinstance(v, Constant) and v.name is None
            and v.data.ndim == 0 and v.dtype[0] == "f" and not _weak_partner(v, node)
        ):
            # `2` reads back as a float only next to a float variable of the same
            # dtype (NumPy's weak scalars); elsewhere keep the point: `exp(2.0)`.
            name = _format_constant(v, strip_point=False)
        # A negative number binds like unary minus: `(-2) ** x`, not `-2 ** x`,
        # which Python reads as `-(2 ** x)`.
        return _Text([name], len(name)), PRECEDENCE["neg"] if name.startswith("-") else ATOM

    for node in nodes:
        args = [text.get(i) or leaf(i, node) for i in node.inputs]
        whole = _format_with_pieces(node, args)
        for out in node.outputs:
            result = whole
            if len(node.outputs) > 1:
                suffix = f"[{out.index}]"
                result = (_Text([whole[0], suffix], whole[0].length + len(suffix)), ATOM)
            if uses.get(out, 0) > 1 and result[0].length > SHARE_THRESHOLD:
                label = f"%{len(bindings) + 1}"
                bindings.append(f"{label} = {result[0].render()}")
                text[out] = (_Text([label], len(label)), ATOM)
            else:
                text[out] = result
    rendered = [(text.get(o) or leaf(o))[0].render() for o in outputs]
    body = rendered[0] if len(rendered) == 1 else "[" + ", ".join(rendered) + "]"
    if bindings:
        body += "\n  where " + "\n        ".join(bindings)
    return body


def render(obj: Any, path: Any) -> Any:
    """Draw ``obj`` to ``path`` (``.svg``/``.png``/``.pdf`` via Graphviz, or ``.dot``).

    See :func:`aesara_cas.dot.render`; the ``dot`` program is needed for pictures.
    """
    from aesara_cas.dot import render as _render

    return _render(obj, path)


def _id_label(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def dprint(
    obj: Any, file: TextIO | str | None = None, max_indent: int = 40, print_type: bool = True
) -> str | None:
    """Print ``obj`` (a variable, list, ``Function`` or ``FunctionGraph``) as a tree.

    Each node shows its op, an ``[id X]`` and its type; a node reached a second
    time shows only its id.  Past ``max_indent`` levels the indentation stops
    growing and each line shows its depth instead.

    ``file="str"`` returns the text; by default it is printed to stdout.
    """
    if isinstance(obj, FunctionGraph):
        outputs = obj.outputs
    elif hasattr(obj, "fgraph"):
        outputs = obj.fgraph.outputs
    elif isinstance(obj, Variable):
        outputs = [obj]
    elif isinstance(obj, (list, tuple)) and all(isinstance(o, Variable) for o in obj):
        outputs = list(obj)
    else:
        raise TypeError(
            f"dprint takes a variable, a list of variables or a compiled function, got "
            f"{type(obj).__name__}"
        )
    ids: dict[Variable, str] = {}
    lines: list[str] = []
    # Stack entries: (variable, prefix for this line, prefix for its children, depth).
    stack = [(o, "", "", 0) for o in reversed(outputs)]
    while stack:
        var, head, tail, depth = stack.pop()
        seen = var in ids
        if not seen:
            ids[var] = _id_label(len(ids))
        if var.owner is None:
            label = _leaf_name(var)
        else:
            label = str(var.owner.op)
            if len(var.owner.outputs) > 1:
                label += f".{var.index}"
        line = f"{head}{label} [id {ids[var]}]"
        if print_type:
            line += f" {var.type}"
        if var.name and var.owner is not None:
            line += f" '{var.name}'"
        if depth > max_indent:
            line = f"{head}(depth {depth}) {line[len(head):]}"
        if seen and var.owner is not None:
            line += " (repeated)"
        lines.append(line)
        if seen or var.owner is None:
            continue
        inputs = var.owner.inputs
        if depth >= max_indent:
            # Past the limit the indentation stops growing; the line shows its depth.
            entries = [(i, tail, tail, depth + 1) for i in inputs]
        else:
            entries = []
            for k, inp in enumerate(inputs):
                last = k == len(inputs) - 1
                entries.append((
                    inp,
                    tail + ("└─ " if last else "├─ "),
                    tail + ("   " if last else "│  "),
                    depth + 1,
                ))
        stack.extend(reversed(entries))
    text = "\n".join(lines) + "\n"
    if file == "str":
        return text
    (file or sys.stdout).write(text)
    return None
