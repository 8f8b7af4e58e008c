"""What a match bound, as a rule's ``where`` and computed output read it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cons.core import ConsPair
from etuples.core import ExpressionTuple
from unification import reify
from unification.variable import Var, isvar

from aesara_cas.graph.basic import Variable
from aesara_cas.rewriting.pattern import REMAINDER
from aesara_cas.rewriting.wild import Wild


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
        if isinstance(key, Wild):
            return key.lvar
        if isinstance(key, str):
            for k in self._s:
                if isvar(k) and k.token == key:
                    return k
            raise KeyError(key)
        return key

    def __getitem__(self, key: Any) -> Any:
        if type(key) is Var:
            # The common case first (rules read their bindings on every attempt): a
            # logic variable bound to a graph variable.
            value = self._s.get(key)
            if isinstance(value, Variable):
                return value
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
        return (k for k in self._s if k is not REMAINDER)

    def __len__(self) -> int:
        return len(self._s) - (REMAINDER in self._s)

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
