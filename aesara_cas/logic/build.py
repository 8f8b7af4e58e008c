"""Terms back to graphs: substitution of logic variables and evaluation of etuples.

A rule's output is a term (an etuple over ops, logic variables and graph
variables).  :func:`substitute` replaces its logic variables by what a match
bound; :func:`build` evaluates it into graph nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cons.core import ConsPair
from etuples import etuple
from etuples.core import ExpressionTuple, KwdPair
from unification.variable import LVarType, Var

from aesara_cas.graph.basic import Op, Variable
from aesara_cas.logic.mirror import normalize_head


class TermError(ValueError):
    """A reified term that does not describe a graph."""


def is_lvar(x: Any) -> bool:
    """``isvar`` without the cost of ``unification``'s global-variable lookup."""
    return type(x) is Var or isinstance(type(x), LVarType)


def substitute(term: Any, s: Mapping) -> Any:
    """``reify(term, s)`` for rule outputs: logic variables replaced by their values.

    Handles etuples, cons pairs, tuples and lists; a sub-term without variables is
    returned as is.  Recursion follows the nesting of the *term* (a hand-written
    pattern, a few levels deep), never the depth of a graph: bound values (graph
    variables) are not entered.
    """
    if is_lvar(term):
        for _ in range(10_000):
            nxt = s.get(term, term)
            if nxt is term or not is_lvar(nxt):
                term = nxt
                break
            term = nxt
        return term
    if isinstance(term, ExpressionTuple):
        items = term._tuple
        new = [substitute(i, s) for i in items]
        if all(a is b for a, b in zip(new, items)):
            return term
        return ExpressionTuple(new)
    if _is_cons(term):
        car, cdr = substitute(term.car, s), substitute(term.cdr, s)
        if car is term.car and cdr is term.cdr:
            return term
        return ConsPair(car, cdr)
    if type(term) in (tuple, list):
        return type(term)(substitute(i, s) for i in term)
    return term


def build(term: Any, leaf: Callable[[Any], Any] | None = None) -> Any:
    """Evaluate a (reified) term into graph objects, always creating fresh nodes.

    Etuples whose head is an op (or a builder such as ``at.dot``) become nodes;
    etuples whose head is a class (``etuple(Reduce, "sum", None, False)``) become
    op instances built from their parameters; graph variables and plain values
    pass through.  Unlike ``etuple.evaled_obj`` this never caches the result in
    the (possibly shared) pattern, so rules cannot leak nodes between graphs.
    Iterative: deep terms are fine.

    ``leaf``, if given, maps every graph variable the term refers to (for example
    to cast it) before it is used.
    """
    if is_lvar(term):
        raise TermError(f"the term still contains the unbound logic variable {term}")
    if not isinstance(term, ExpressionTuple) and not _is_cons(term):
        return leaf(term) if leaf is not None and isinstance(term, Variable) else term
    results: dict[int, Any] = {}
    keep: list[Any] = []  # keeps converted cons lists alive so their ids stay unique
    stack: list[tuple[Any, bool]] = [(term, False)]
    while stack:
        t, ready = stack.pop()
        if id(t) in results and not ready:
            continue
        if _is_cons(t):
            t_et = etuple(*_cons_items(t))
            keep.append(t_et)
            results[id(t)] = _Alias(t_et)
            stack.append((t_et, False))
            continue
        if t._evaled_obj is not ExpressionTuple.null and isinstance(t._evaled_obj, (Variable, Op)):
            obj = t._evaled_obj
            results[id(t)] = leaf(obj) if leaf is not None and isinstance(obj, Variable) else obj
            continue
        if len(t) == 0:
            raise TermError("an empty expression cannot be evaluated")
        if not ready:
            stack.append((t, True))
            for item in t:
                if isinstance(item, KwdPair):
                    item = item.value
                nested = isinstance(item, ExpressionTuple) or _is_cons(item)
                if nested and id(item) not in results:
                    stack.append((item, False))
            continue
        vals = []
        kwargs = {}
        for item in t:
            if isinstance(item, KwdPair):
                kwargs[item.arg] = _resolve(results, item.value)
            else:
                val = _resolve(results, item)
                if leaf is not None and isinstance(val, Variable) and item is val:
                    val = leaf(val)
                vals.append(val)
        fn = normalize_head(vals[0])
        if is_lvar(fn) or not callable(fn):
            raise TermError(f"the head of {t} is not an operation: {fn!r}")
        for a in [*vals[1:], *kwargs.values()]:
            if is_lvar(a):
                raise TermError(f"the term still contains the unbound logic variable {a}")
        results[id(t)] = fn(*vals[1:], **kwargs)
    return _resolve(results, term)


def _is_cons(x: Any) -> bool:
    # ``isinstance(etuple, ConsPair)`` is true (cons treats sequences as pairs),
    # so test the type itself.
    return issubclass(type(x), ConsPair)


class _Alias:
    __slots__ = ("target",)

    def __init__(self, target: Any):
        self.target = target


def _resolve(results: dict[int, Any], item: Any) -> Any:
    if isinstance(item, ExpressionTuple) or _is_cons(item):
        value = results[id(item)]
        while isinstance(value, _Alias):
            value = results[id(value.target)]
        return value
    return item


def _cons_items(c: Any) -> list:
    """The elements of a proper cons list (ending in an etuple, tuple or empty)."""
    items = []
    while _is_cons(c):
        items.append(c.car)
        c = c.cdr
    if is_lvar(c):
        raise TermError(f"the term still contains the unbound logic variable {c}")
    items.extend(list(c))
    return items
