"""Patterns written as ordinary math: ``x = ac.wild("x"); ac.rule(at.sin(x)**2 + at.cos(x)**2, 1)``.

A :class:`Wild` is a tensor variable the whole tensor API accepts, standing for
"any expression".  :func:`pattern_of` turns a graph built from wilds into the
etuple term the engine matches (each wild becomes a logic variable, each
zero-dimensional constant a number that matches a constant of that value).

The spellings of such a pattern the engine treats as equal are in
:mod:`aesara_cas.rewriting.spellings`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from cons.core import ConsPair
from etuples.core import ExpressionTuple
from unification.variable import Var, var

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.logic.build import is_lvar
from aesara_cas.logic.mirror import uniform_value
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import TensorVariable


class Wild(TensorVariable):
    """A pattern variable: matches any expression, whatever its dtype or shape.

    Its own dtype and number of dimensions only serve to build the pattern with the
    tensor API (``ndim=1`` lets ``at.sum(x, axis=0)`` be written); matching ignores
    them, and a rule's result gets the exact type of what it replaces.
    """

    __slots__ = ("lvar",)

    def __init__(self, type_: TensorType, owner: Apply | None = None, index: int | None = None,
                 name: str | None = None, lvar: Var | None = None):
        super().__init__(type_, owner, index, name)
        self.lvar = lvar if lvar is not None else (var(name) if name is not None else var())

    def clone(self) -> Wild:
        out = Wild(self.type, name=self.name, lvar=self.lvar)
        out.tag = dict(self.tag)
        return out

    def __repr__(self) -> str:
        return self.name if self.name is not None else "_"


def wild(name: str | None = None, *, dtype: str = "float64", ndim: int = 0) -> Wild:
    """A pattern variable for writing rules as math.

    Parameters
    ----------
    name
        Shown when patterns are printed, and the key of the bindings a ``where``
        gets (``b["x"]``, or ``b[x]`` with the wild itself).  Wilds of one name in
        one rule stand for the same expression.
    dtype, ndim
        The placeholder type used while the pattern is built (``ndim=1`` or more for
        patterns with reductions over an axis); matching does not depend on them.

    Examples
    --------
    >>> import aesara_cas as ac
    >>> from aesara_cas import tensor as at
    >>> x = ac.wild("x")
    >>> r = ac.rule(at.sin(x) ** 2 + at.cos(x) ** 2, 1, name="pythagoras")
    >>> y = at.dscalar("y")
    >>> ac.pprint(ac.simplify(3 + at.cos(y) ** 2 + at.sin(y) ** 2, rules=[r]))
    '4'
    """
    if name is not None and not isinstance(name, str):
        raise TypeError(f"wild: name must be a str or None, got {name!r}")
    if not isinstance(ndim, (int, np.integer)) or isinstance(ndim, bool) or ndim < 0:
        raise ValueError(f"wild: ndim must be a non-negative int, got {ndim!r}")
    return Wild(TensorType(dtype, (None,) * int(ndim)), name=name)


def is_pattern_graph(x: Any) -> bool:
    """Whether ``x`` is a graph variable (possibly built from wilds)."""
    return isinstance(x, Variable)


def _leaf_term(v: Variable) -> Any:
    if isinstance(v, Wild):
        return v.lvar
    if isinstance(v, Constant) and getattr(v.type, "ndim", None) == 0:
        value = uniform_value(v)
        if value is not None:
            return value.item() if isinstance(value, np.generic) else value
    return v


def pattern_of(expr: Variable) -> Any:
    """The etuple term of a graph built from wilds (iteratively, any depth).

    Wilds become logic variables, zero-dimensional constants numbers, other inputs
    and constants stay graph objects (they match only themselves).
    """
    if expr.owner is None:
        return _leaf_term(expr)
    memo: dict[int, Any] = {}
    stack: list[tuple[Variable, bool]] = [(expr, False)]
    while stack:
        v, ready = stack.pop()
        if id(v) in memo:
            continue
        node = v.owner
        if node is None:
            memo[id(v)] = _leaf_term(v)
            continue
        if len(node.outputs) != 1:
            raise ValueError(f"a pattern cannot contain {node.op}, an operation with "
                             "several outputs")
        if not ready:
            stack.append((v, True))
            stack.extend((i, False) for i in node.inputs if id(i) not in memo)
            continue
        memo[id(v)] = ExpressionTuple((node.op, *[memo[id(i)] for i in node.inputs]))
    return memo[id(expr)]


def replace_wilds(term: Any) -> Any:
    """``term`` with every :class:`Wild` replaced by its logic variable (etuples,
    tuples and lists are entered; a graph built from wilds becomes its pattern)."""
    if isinstance(term, Wild):
        return term.lvar
    if isinstance(term, Variable):
        return pattern_of(term) if _has_wild(term) else term
    if isinstance(term, ExpressionTuple):
        items = [replace_wilds(t) for t in term._tuple]
        if all(a is b for a, b in zip(items, term._tuple)):
            return term
        return ExpressionTuple(items)
    if type(term) in (tuple, list):
        return type(term)(replace_wilds(t) for t in term)
    return term


def _has_wild(v: Variable) -> bool:
    seen: set[int] = set()
    stack = [v]
    while stack:
        u = stack.pop()
        if isinstance(u, Wild):
            return True
        if u.owner is not None and id(u.owner) not in seen:
            seen.add(id(u.owner))
            stack.extend(u.owner.inputs)
    return False


def graph_vars(v: Variable) -> set | None:
    """The logic variables of the wilds of graph ``v`` (``term_vars(pattern_of(v))``,
    without building the term), or ``None`` if :func:`pattern_of` would refuse the
    graph (an operation with several outputs)."""
    out: set = set()
    seen: set[int] = set()
    stack = [v]
    while stack:
        u = stack.pop()
        if isinstance(u, Wild):
            out.add(u.lvar)
            continue
        node = u.owner
        if node is not None and id(node) not in seen:
            if len(node.outputs) != 1:
                return None
            seen.add(id(node))
            stack.extend(node.inputs)
    return out


def rest_vars_compile(lhs: Variable) -> bool:
    """Whether the pattern of graph ``lhs`` surely compiles although it has rest wilds:
    each stands beside other inputs of an ``add`` or ``mul``, one per node, and no
    constant is complex (the conditions of
    :func:`~aesara_cas.rewriting.pattern.compile_pattern`)."""
    from aesara_cas.rewriting.pattern import is_rest_var
    from aesara_cas.rewriting.terms import ops_equal
    from aesara_cas.tensor import elemwise as E

    seen: set[int] = set()
    stack = [lhs]
    while stack:
        node = stack.pop().owner
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        tails = 0
        for i in node.inputs:
            if isinstance(i, Wild):
                tails += is_rest_var(i.lvar)
            elif isinstance(i, Constant) and np.dtype(i.dtype).kind == "c":
                return False
            else:
                stack.append(i)
        if tails and (tails > 1 or len(node.inputs) < 2 or not (
                ops_equal(node.op, E.add) or ops_equal(node.op, E.mul))):
            return False
    return True


def term_vars(term: Any) -> set:
    """The logic variables of a term (etuples, cons pairs, tuples, lists)."""
    out: set = set()
    stack = [term]
    while stack:
        t = stack.pop()
        if is_lvar(t):
            out.add(t)
        elif isinstance(t, ExpressionTuple):
            stack.extend(t._tuple)
        elif type(t) in (tuple, list):
            stack.extend(t)
        elif issubclass(type(t), ConsPair):
            stack.extend((t.car, t.cdr))
    return out


#: A rule's term or pattern that is not computed yet (and ``normal_forms``' "not given").
_UNSET: Any = object()
