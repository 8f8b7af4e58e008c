"""SymPy round trips: ``to_sympy(var)`` and ``from_sympy(expr, variables)``.

The bridge covers the element-wise functions and the reductions.  A SymPy user
can build an expression in SymPy, bring it here to be simplified, differentiated
and compiled, and take results back to SymPy.  Reductions become SymPy functions
named after them (``sum(x)``; with an axis: ``sum(x, (0,), 0)``, the last
argument ``keepdims``, the empty tuple standing for all axes), so they survive a
round trip.

SymPy is an optional extra (``pip install 'aesara_cas[sympy]'``); it is imported
when a function here is first called.  Both walks are iterative.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.graph.traversal import toposort
from aesara_cas.tensor.elemwise import Elemwise
from aesara_cas.tensor.reduction import Reduce

__all__ = ["from_sympy", "to_sympy"]


def _sympy():
    try:
        import sympy
    except ModuleNotFoundError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the SymPy bridge needs SymPy: pip install 'aesara_cas[sympy]' (or sympy)"
        ) from err
    return sympy


def _to_table(sp) -> dict[str, Callable]:
    """Our element-wise op names -> functions building the SymPy expression."""
    return {
        "add": lambda *a: sp.Add(*a), "mul": lambda *a: sp.Mul(*a),
        "sub": lambda a, b: a - b, "true_div": lambda a, b: a / b, "neg": lambda a: -a,
        "pow": sp.Pow, "sqr": lambda a: a**2, "sqrt": sp.sqrt, "abs": sp.Abs,
        "cbrt": lambda a: sp.real_root(a, 3),
        "exp": sp.exp, "exp2": lambda a: 2**a, "expm1": lambda a: sp.exp(a) - 1,
        "log": sp.log, "log2": lambda a: sp.log(a, 2), "log10": lambda a: sp.log(a, 10),
        "log1p": lambda a: sp.log(1 + a), "log1mexp": lambda a: sp.log(1 - sp.exp(a)),
        "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "arcsin": sp.asin, "arccos": sp.acos,
        "arctan": sp.atan, "arctan2": sp.atan2, "sinh": sp.sinh, "cosh": sp.cosh,
        "tanh": sp.tanh, "arcsinh": sp.asinh, "arccosh": sp.acosh, "arctanh": sp.atanh,
        "hypot": lambda a, b: sp.sqrt(a**2 + b**2),
        "sigmoid": lambda a: 1 / (1 + sp.exp(-a)), "softplus": lambda a: sp.log(1 + sp.exp(a)),
        "erf": sp.erf, "erfc": sp.erfc, "erfcx": lambda a: sp.exp(a**2) * sp.erfc(a),
        "gamma": sp.gamma, "gammaln": sp.loggamma, "digamma": sp.digamma,
        "xlogy": lambda a, b: a * sp.log(b),
        "maximum": sp.Max, "minimum": sp.Min, "floor": sp.floor, "ceil": sp.ceiling,
        "sign": sp.sign, "mod": sp.Mod, "int_div": lambda a, b: sp.floor(a / b),
        "lt": sp.Lt, "le": sp.Le, "gt": sp.Gt, "ge": sp.Ge, "eq": sp.Eq, "neq": sp.Ne,
        "and_": sp.And, "or_": sp.Or, "invert": sp.Not,
        "switch": lambda c, a, b: sp.Piecewise((a, c), (b, True)),
    }


def _sympy_number(sp, value: float | int) -> Any:
    """The SymPy number for ``value``: exact where a short fraction (or pi, e) is exact."""
    if isinstance(value, int) or (math.isfinite(value) and float(value).is_integer()):
        return sp.Integer(int(value))
    if not math.isfinite(value):
        return sp.nan if math.isnan(value) else (sp.oo if value > 0 else -sp.oo)
    for constant, symbol in ((math.pi, sp.pi), (math.e, sp.E)):
        if value == constant:
            return symbol
    fraction = Fraction(value).limit_denominator(10**6)
    return sp.Rational(fraction.numerator, fraction.denominator) if float(fraction) == value \
        else sp.Float(value)


def to_sympy(var: Variable) -> Any:
    """The SymPy expression of ``var`` (element-wise ops and reductions).

    Inputs become ``sympy.Symbol`` s of their names (``real=True``); an unnamed
    input is named ``_i<k>``.  Raises ``ValueError`` naming the first op SymPy has
    no counterpart for.

    Examples
    --------
    >>> from aesara_cas import tensor as at
    >>> x = at.dscalar("x")
    >>> to_sympy(at.log1p(at.exp(x)))
    log(exp(x) + 1)
    """
    if not isinstance(var, Variable):
        raise TypeError(f"to_sympy takes a symbolic variable, got {type(var).__name__}")
    sp = _sympy()
    table = _to_table(sp)
    done: dict[Variable, Any] = {}

    def leaf(v: Variable) -> Any:
        if isinstance(v, Constant):
            if v.data.ndim > 0 and v.data.size != 1 and len(set(v.data.ravel().tolist())) > 1:
                raise ValueError(f"to_sympy: the array constant {v} has no scalar SymPy form")
            value = v.data.ravel()[0].item() if v.data.size else 0
            if isinstance(value, bool):
                return sp.true if value else sp.false
            return _sympy_number(sp, value)
        if v not in done:
            done[v] = sp.Symbol(v.name or f"_i{len(done)}", real=True)
        return done[v]

    for node in toposort([var]):
        args = [done[i] if i.owner is not None else leaf(i) for i in node.inputs]
        op = node.op
        if isinstance(op, Elemwise) and op.scalar_op.name in table:
            value = table[op.scalar_op.name](*args)
        elif isinstance(op, Elemwise) and op.scalar_op.name.startswith("cast"):
            value = args[0]
        elif isinstance(op, Reduce):
            head = sp.Function(op.kind)
            if op.axis is None and not op.keepdims:
                value = head(args[0])
            else:
                axis = sp.Tuple(*op.axis) if op.axis is not None else sp.Tuple()
                value = head(args[0], axis, sp.Integer(int(op.keepdims)))
        else:
            raise ValueError(f"to_sympy: the op {op} has no SymPy counterpart")
        done[node.outputs[0]] = value
    return done[var] if var.owner is not None else leaf(var)


def _from_table(sp, at) -> list[tuple[Any, Callable]]:
    """(SymPy class, builder of our graph from the converted arguments), most specific first."""
    def chain(f):
        def build(*a):
            out = a[0]
            for b in a[1:]:
                out = f(out, b)
            return out
        return build

    return [
        (sp.Add, chain(lambda a, b: a + b)), (sp.Mul, chain(lambda a, b: a * b)),
        (sp.Pow, lambda a, b: a**b), (sp.exp, at.exp), (sp.log, lambda a, *b: (
            at.log(a) / at.log(b[0]) if b else at.log(a))),
        (sp.sin, at.sin), (sp.cos, at.cos), (sp.tan, at.tan), (sp.asin, at.arcsin),
        (sp.acos, at.arccos), (sp.atan, at.arctan), (sp.atan2, at.arctan2),
        (sp.sinh, at.sinh), (sp.cosh, at.cosh), (sp.tanh, at.tanh), (sp.asinh, at.arcsinh),
        (sp.acosh, at.arccosh), (sp.atanh, at.arctanh), (sp.Abs, at.abs),
        (sp.erf, at.erf), (sp.erfc, at.erfc), (sp.gamma, getattr(at, "gamma", None)),
        (sp.loggamma, getattr(at, "gammaln", None)), (sp.digamma, getattr(at, "digamma", None)),
        (sp.Max, chain(at.maximum)), (sp.Min, chain(at.minimum)), (sp.floor, at.floor),
        (sp.ceiling, at.ceil), (sp.sign, at.sign), (sp.Mod, at.mod),
        (sp.StrictLessThan, at.lt), (sp.LessThan, at.le), (sp.StrictGreaterThan, at.gt),
        (sp.GreaterThan, at.ge), (sp.Equality, at.eq), (sp.Unequality, at.neq),
        (sp.And, chain(at.and_)), (sp.Or, chain(at.or_)), (sp.Not, at.invert),
    ]


def _number(sp, e: Any) -> Any:
    if e is sp.true or e is sp.false:
        return bool(e)
    if e.is_Integer:
        return int(e)
    if e.is_Rational or e.is_Float or e.is_NumberSymbol:
        return float(e)
    if e is sp.S.Infinity:
        return math.inf
    if e is sp.S.NegativeInfinity:
        return -math.inf
    if e is sp.S.NaN:
        return math.nan
    raise ValueError(f"from_sympy: the number {e} is not real")


def from_sympy(expr: Any, variables: Mapping[Any, Variable]) -> Variable:
    """The graph of the SymPy expression ``expr``.

    Parameters
    ----------
    expr
        A SymPy expression over the symbols in ``variables``.
    variables
        ``{sympy_symbol: aesara_cas_variable}``; every free symbol of ``expr`` must
        be a key.

    Raises
    ------
    ValueError
        For a free symbol not in ``variables`` or a function with no counterpart.

    Examples
    --------
    >>> import sympy
    >>> from aesara_cas import tensor as at
    >>> s = sympy.Symbol("s")
    >>> x = at.dscalar("x")
    >>> import aesara_cas as ac
    >>> ac.pprint(ac.simplify(from_sympy(sympy.exp(s) - 1, {s: x})))
    'expm1(x)'
    """
    sp = _sympy()
    from aesara_cas import tensor as at

    if not isinstance(variables, Mapping):
        raise TypeError("from_sympy: variables must be a dict {sympy symbol: variable}")
    for k, v in variables.items():
        if not isinstance(v, Variable):
            raise TypeError(f"from_sympy: variables[{k}] must be a symbolic variable, got {v!r}")
    expr = sp.sympify(expr)
    table = [(cls, f) for cls, f in _from_table(sp, at) if f is not None]
    reductions = {"sum", "prod", "max", "min", "mean", "all", "any", "logsumexp"}
    done: dict[Any, Any] = {}
    stack: list[tuple[Any, bool]] = [(expr, False)]
    while stack:
        e, expanded = stack.pop()
        if e in done:
            continue
        if e.is_Symbol:
            if e not in variables:
                raise ValueError(f"from_sympy: the symbol {e} is not in variables")
            done[e] = variables[e]
            continue
        if e.is_Number or e.is_NumberSymbol or e in (sp.true, sp.false):
            done[e] = _number(sp, e)
            continue
        if not expanded:
            stack.append((e, True))
            stack.extend((a, False) for a in _children(sp, e))
            continue
        done[e] = _build(sp, at, e, done, table, reductions)
    result = done[expr]
    return result if isinstance(result, Variable) else at.as_tensor_variable(result)


def _children(sp, e: Any) -> list:
    if isinstance(e, sp.Piecewise):
        return [part for pair in e.args for part in pair]
    return [a for a in e.args if not isinstance(a, sp.Tuple)]


def _build(sp, at, e, done, table, reductions) -> Any:
    name = getattr(e.func, "__name__", "")
    if isinstance(e, sp.Piecewise):
        out = None
        for value, cond in reversed(e.args):
            v = done[value]
            out = v if cond is sp.true and out is None else at.switch(done[cond], v, out)
        return out
    if isinstance(e, sp.polygamma) and e.args[0] == 0 and hasattr(at, "digamma"):
        return at.digamma(done[e.args[1]])
    if name in reductions and isinstance(e, sp.core.function.AppliedUndef):
        arg = done[e.args[0]]
        if len(e.args) == 1:
            return getattr(at, name)(arg)
        axis = tuple(int(a) for a in e.args[1]) or None
        keepdims = len(e.args) > 2 and bool(e.args[2])
        return getattr(at, name)(arg, axis=axis, keepdims=keepdims)
    args = [done[a] for a in e.args]
    if isinstance(e, sp.Pow) and e.args[1] == sp.S.Half:
        return at.sqrt(args[0])
    for cls, build in table:
        if isinstance(e, cls):
            return build(*args)
    raise ValueError(f"from_sympy: the SymPy function {name or e.func} has no counterpart")
