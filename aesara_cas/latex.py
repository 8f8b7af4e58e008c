"""LaTeX for graphs: ``latex(var)`` and the notebooks' ``_repr_latex_``.

The walk is iterative like :func:`aesara_cas.printing.pprint`, so deep graphs
print.  Variable names are user input: anything but a plain identifier is set in
``\\mathrm{...}`` with LaTeX's special characters escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.graph.traversal import toposort
from aesara_cas.printing import _format_constant, _Text
from aesara_cas.tensor.blas import Dot, MatMul
from aesara_cas.tensor.elemwise import Elemwise
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.scalar import Cast
from aesara_cas.tensor.shape import DimShuffle

__all__ = ["latex"]

ATOM, POW, PREFIX, MUL, ADD, CMP = 100, 40, 30, 20, 10, 5

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
}
#: Functions LaTeX has a command for.
NAMED = {"sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan", "log", "exp"}
#: Infix comparison and logical symbols.
INFIX = {"lt": "<", "le": r"\leq", "gt": ">", "ge": r"\geq", "eq": "=", "neq": r"\neq",
         "and_": r"\wedge", "or_": r"\vee"}
_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}",
            "~": r"\textasciitilde{}"}


def _escape(text: str) -> str:
    return "".join(_SPECIAL.get(ch, ch) for ch in text)


def latex_name(name: str) -> str:
    """A variable name as LaTeX: ``x``, ``\\alpha``, ``x_{1}``, else ``\\mathrm{...}``."""
    if name in GREEK:
        return "\\" + name
    m = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name)
    if m and (len(m.group(1)) == 1 or m.group(1) in GREEK):
        return f"{latex_name(m.group(1))}_{{{m.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    return rf"\mathrm{{{_escape(name)}}}"


class _Arg:
    """A rendered operand: its text (kept as pieces: linear-time on deep chains),
    precedence, and whether it starts with a minus sign."""

    __slots__ = ("text", "prec", "negative")

    def __init__(self, text: _Text, prec: int, negative: bool = False):
        self.text, self.prec, self.negative = text, prec, negative


def _t(*parts: str | _Text | _Arg) -> _Text:
    """Pieces joined without copying the operands' text."""
    pieces = [p.text if isinstance(p, _Arg) else p for p in parts]
    return _Text(pieces, sum(len(p) if isinstance(p, str) else p.length for p in pieces))


def _leaf(v: Variable) -> _Arg:
    if isinstance(v, Constant) and v.name is None:
        text = _format_constant(v)
        if text.startswith("constant{"):
            return _Arg(_t(rf"\mathrm{{{_escape(text)}}}"), ATOM)
        if "e" in text and v.data.ndim == 0 and "inf" not in text:
            mantissa, _, exponent = text.partition("e")
            return _Arg(_t(rf"{mantissa} \cdot 10^{{{int(exponent)}}}"), MUL,
                        mantissa.startswith("-"))
        text = text.replace("inf", r"\infty").replace("nan", r"\mathrm{NaN}")
        negative = text.startswith("-")
        return _Arg(_t(text), PREFIX if negative else ATOM, negative)
    if v.name is None:
        return _Arg(_t(rf"\mathrm{{{_escape(str(v.type))}}}"), ATOM)
    return _Arg(_t(latex_name(v.name)), ATOM)


def _strip_minus(text: _Text) -> _Text:
    """``text`` without its leading ``-`` (copies only the pieces on the path to it)."""
    path = [text]
    while not isinstance(path[-1].pieces[0], str):
        path.append(path[-1].pieces[0])
    first = path[-1].pieces[0].removeprefix("-").lstrip()
    new = _t(first)
    for node in reversed(path):
        new = _t(new, *node.pieces[1:])
    return new


def _paren(arg: _Arg, need: int) -> _Text:
    return _t(r"\left(", arg, r"\right)") if arg.prec < need else arg.text


def _join(args: list[_Arg], sep: str, need: int) -> list:
    parts: list = []
    for k, a in enumerate(args):
        if k:
            parts.append(sep)
        parts.append(_paren(a, need))
    return parts


def _call(name: str, args: list[_Arg]) -> _Arg:
    head = f"\\{name}" if name in NAMED else rf"\operatorname{{{_escape(name)}}}"
    return _Arg(_t(head, r"{\left(", *_join(args, ", ", 0), r" \right)}"), ATOM)


def _elemwise(name: str, a: list[_Arg]) -> _Arg:
    if name == "add":
        parts: list = [a[0]]
        for arg in a[1:]:
            if arg.negative and arg.prec >= MUL:
                parts += [" - ", _strip_minus(arg.text)]  # `x + -2 y` reads `x - 2 y`
            else:
                parts += [" + ", _paren(arg, ADD + 1)]
        return _Arg(_t(*parts), ADD, a[0].negative)
    if name == "sub":
        return _Arg(_t(a[0], " - ", _paren(a[1], ADD + 1)), ADD, a[0].negative)
    if name == "mul":
        return _Arg(_t(*_join(a, r" \cdot ", MUL)), MUL, a[0].negative and a[0].prec >= MUL)
    if name == "neg":
        return _Arg(_t("-", _paren(a[0], MUL + 1)), PREFIX, True)
    if name == "true_div":
        return _Arg(_t(r"\frac{", a[0], "}{", a[1], "}"), ATOM)
    if name == "int_div":
        return _Arg(_t(r"\left\lfloor \frac{", a[0], "}{", a[1], r"} \right\rfloor"), ATOM)
    if name == "mod":
        return _Arg(_t(_paren(a[0], MUL), r" \bmod ", _paren(a[1], MUL + 1)), MUL)
    if name in ("pow", "sqr"):
        exponent = a[1] if name == "pow" else "2"
        return _Arg(_t("{", _paren(a[0], ATOM), "}^{", exponent, "}"), POW)
    if name == "sqrt":
        return _Arg(_t(r"\sqrt{", a[0], "}"), ATOM)
    if name == "cbrt":
        return _Arg(_t(r"\sqrt[3]{", a[0], "}"), ATOM)
    if name == "exp":
        return _Arg(_t("e^{", a[0], "}"), POW)
    if name in _DELIMITED:
        left, right = _DELIMITED[name]
        return _Arg(_t(left, a[0], right), ATOM)
    if name == "invert":
        return _Arg(_t(r"\neg ", _paren(a[0], ATOM)), PREFIX)
    if name in INFIX:
        return _Arg(_t(_paren(a[0], CMP + 1), f" {INFIX[name]} ", _paren(a[1], CMP + 1)), CMP)
    if name == "switch":
        return _Arg(_t(r"\begin{cases} ", a[1], r" & \text{if}\ ", a[0], r" \\ ", a[2],
                       r" & \text{otherwise} \end{cases}"), ATOM)
    return _call(name, a)


_DELIMITED = {"abs": (r"\left|", r"\right|"), "floor": (r"\left\lfloor ", r" \right\rfloor"),
              "ceil": (r"\left\lceil ", r" \right\rceil")}


def _format(node, args: list[_Arg]) -> _Arg:
    op = node.op
    if isinstance(op, Elemwise):
        if isinstance(op.scalar_op, Cast):
            return _call(f"cast_{op.scalar_op.dtype}", args)
        return _elemwise(op.scalar_op.name, args)
    if isinstance(op, Reduce):
        symbol = {"sum": r"\sum", "prod": r"\prod"}.get(op.kind)
        if symbol is not None:
            sub = "" if op.axis is None else rf"_{{\mathrm{{axis}}={','.join(map(str, op.axis))}}}"
            return _Arg(_t(f"{symbol}{sub} ", _paren(args[0], ATOM)), MUL)
        return _call(op.kind, args)
    if isinstance(op, DimShuffle) and op.is_transpose:
        return _Arg(_t("{", _paren(args[0], ATOM), "}^{T}"), POW)
    if isinstance(op, (Dot, MatMul)):
        return _Arg(_t(_paren(args[0], MUL), " ", _paren(args[1], MUL + 1)), MUL)
    name = getattr(op, "print_name", None) or type(op).__name__.lower()
    return _call(name, args)


def latex(var: Variable | Sequence[Variable]) -> str:
    """``var`` as LaTeX math (without surrounding ``$``).

    Examples
    --------
    >>> from aesara_cas import tensor as at
    >>> x = at.dscalar("x")
    >>> latex(at.exp(x) / (1 + x))
    '\\\\frac{e^{x}}{1 + x}'
    """
    outputs = list(var) if isinstance(var, (list, tuple)) else [var]
    for o in outputs:
        if not isinstance(o, Variable):
            raise TypeError(f"latex takes symbolic variables, got {type(o).__name__}")
    text: dict[Variable, _Arg] = {}
    for node in toposort(outputs):
        args = [text.get(i) or _leaf(i) for i in node.inputs]
        result = _format(node, args)
        for out in node.outputs:
            text[out] = result if len(node.outputs) == 1 else _Arg(
                _t(_paren(result, ATOM), f"_{{{out.index}}}"), ATOM)
    rendered = [(text.get(o) or _leaf(o)).text.render() for o in outputs]
    return rendered[0] if len(rendered) == 1 else r",\ ".join(rendered)
