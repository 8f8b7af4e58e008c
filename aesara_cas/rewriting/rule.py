"""``rule(lhs, rhs, where=...)``: a rewrite rule written as a pattern pair.

A :class:`Rule` *is* a miniKanren relation: ``r(in_term, out_term)`` returns a
goal, so it composes with ``kanren.run``, ``conde`` and the rest.  The engine
also uses its compiled ``lhs`` directly (see :mod:`aesara_cas.rewriting.matcher`),
which is the same match without the cost of a ``kanren`` run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from cons.core import ConsPair
from etuples.core import ExpressionTuple
from unification import reify, unify
from unification.utils import transitive_get as walk
from unification.variable import Var, isvar, var

from aesara_cas.graph.basic import Op, Variable
from aesara_cas.logic.build import substitute
from aesara_cas.rewriting.matcher import PNode, compile_pattern, match


class Bindings(Mapping):
    """What a match bound: ``b[x]`` for a logic variable ``x`` (or ``b["x"]`` by name).

    Values are graph variables, op parameters (an axis tuple, a dtype), or, for the
    tail of a cons pattern, a tuple of graph variables.  ``b.term`` is the whole
    matched variable.
    """

    def __init__(self, s: Mapping, term: Any = None):
        self._s = s
        self.term = term

    def _key(self, key: Any) -> Any:
        if isinstance(key, str):
            for k in self._s:
                if isvar(k) and k.token == key:
                    return k
            raise KeyError(key)
        return key

    def __getitem__(self, key: Any) -> Any:
        k = self._key(key)
        if k not in self._s:
            raise KeyError(key)
        value = _walk(k, self._s)
        if isinstance(value, ExpressionTuple) and value._evaled_obj is ExpressionTuple.null:
            # A cons tail: the matched arguments.
            return tuple(_walk(v, self._s) for v in value)
        if isinstance(value, (ExpressionTuple, tuple)) or issubclass(type(value), ConsPair):
            return reify(value, self._s)
        return value

    def __iter__(self) -> Iterator:
        return iter(self._s)

    def __len__(self) -> int:
        return len(self._s)

    def __repr__(self) -> str:
        return f"Bindings({dict(self._s)!r})"


def _walk(v: Any, s: Mapping) -> Any:
    """Follow ``v`` through the substitution (a cheaper ``unification`` walk)."""
    for _ in range(10_000):
        if type(v) is not Var:
            return v
        nxt = s.get(v, v)
        if nxt is v:
            return v
        v = nxt
    return v


def _is_function(rhs: Any) -> bool:
    return callable(rhs) and not isinstance(rhs, (Op, ExpressionTuple, Variable, type))


class Rule:
    """A rewrite ``lhs -> rhs`` applying where ``where(bindings)`` holds.

    Parameters
    ----------
    lhs
        The input pattern: an etuple (or ``cons``) term over ops, logic variables,
        numbers and op-parameter patterns.
    rhs
        The output: a term over the same logic variables, or a function
        ``rhs(bindings) -> term | Variable | number | None`` (``None``: no rewrite).
    where
        An optional condition ``where(bindings) -> bool`` on the matched values.
    name
        The name shown in traces and accepted by ``exclude=``.
    doc
        The identity and its domain, for readers and for ``help()``.
    """

    def __init__(self, lhs: Any, rhs: Any, where: Callable | None = None,
                 name: str | None = None, doc: str | None = None):
        if where is not None and not callable(where):
            raise TypeError(f"rule: where must be a function of the bindings, got {where!r}")
        self.lhs = lhs
        self.rhs = rhs
        self.where = where
        self.name = name or f"rule({lhs} -> {rhs})"
        self.__name__ = self.name
        self.__doc__ = doc
        self.pattern: PNode | None = compile_pattern(lhs)
        self._rhs_is_function = _is_function(rhs)

    def __repr__(self) -> str:
        return f"Rule({self.name})"

    def output(self, s: Mapping, term: Any) -> Any:
        """The output term for a match ``s`` of ``term`` (``None``: the rule declines)."""
        return self._output(s, term)

    def _output(self, s: Mapping, term: Any) -> Any:
        b = Bindings(s, term)
        if self.where is not None and not self.where(b):
            return None
        out = self.rhs(b) if self._rhs_is_function else self.rhs
        return None if out is None else substitute(out, s)

    def __call__(self, in_term: Any, out_term: Any) -> Callable:
        """The relation: a goal relating ``in_term`` to its rewrite ``out_term``.

        The rule's own logic variables are bound in a private substitution, so
        one rule can be used several times in one goal.
        """

        def rule_goal(s: Mapping) -> Iterator:
            term = walk(in_term, s)
            if isvar(term):
                # An unknown input: state the input pattern (this is how the
                # engine learns the patterns of relations built from rules).
                s2 = unify(term, self.lhs, s)
                if s2 is not False:
                    yield s2
                return
            local = unify(self.lhs, term, {})
            if local is False:
                return
            out = self._output(local, term)
            if out is None:
                return
            s2 = unify(out_term, out, s)
            if s2 is not False:
                yield s2

        return rule_goal

    def bindings(self, v: Variable) -> dict | None:
        """The bindings of ``lhs`` matched against ``v``, or ``None``."""
        if self.pattern is not None:
            return match(self.pattern, v)
        s = unify(self.lhs, v, {})
        return None if s is False else s

    def apply(self, v: Variable) -> Any:
        """The (reified) output term for ``v``, or ``None`` if the rule does not apply."""
        s = self.bindings(v)
        if s is None:
            return None
        return self._output(s, v)


def rule(lhs: Any, rhs: Any, where: Callable | None = None, name: str | None = None,
         doc: str | None = None) -> Rule:
    """A rewrite rule ``lhs -> rhs``: a miniKanren relation built from two patterns.

    Examples
    --------
    >>> from etuples import etuple
    >>> from kanren import var
    >>> from aesara_cas import tensor as at
    >>> x = var("x")
    >>> r = rule(etuple(at.sqrt, etuple(at.sqr, x)), etuple(at.abs, x), name="sqrt_sqr")
    >>> r.name
    'sqrt_sqr'
    """
    return Rule(lhs, rhs, where=where, name=name, doc=doc)


def fresh(n: int | None = None, prefix: str = "") -> Var | list[Var]:
    """``n`` fresh logic variables (one if ``n`` is None)."""
    if n is None:
        return var(prefix=prefix)
    return [var(prefix=prefix) for _ in range(n)]
