"""``rule(lhs, rhs, where=...)``: a rewrite rule written as a pattern pair.

A :class:`Rule` *is* a miniKanren relation: ``r(in_term, out_term)`` returns a
goal, so it composes with ``kanren.run``, ``conde`` and the rest.  The engine
also uses its compiled ``lhs`` directly (see :mod:`aesara_cas.rewriting.matcher`),
which is the same match without the cost of a ``kanren`` run.  Its patterns are
compiled, and its rewriter indexed, when first needed (:mod:`aesara_cas.rewriting.pending`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
from cons.core import ConsPair
from etuples.core import ExpressionTuple
from unification import unify
from unification.utils import transitive_get as walk
from unification.variable import Var, isvar, var

from aesara_cas.graph.basic import Constant, Op, Variable
from aesara_cas.logic.build import substitute
from aesara_cas.rewriting.bindings import Bindings
from aesara_cas.rewriting.matcher import match, solutions
from aesara_cas.rewriting.pattern import HEAD_OP, REMAINDER, PNode, compile_pattern, is_rest_var
from aesara_cas.rewriting.pending import PENDING, compile_patterns, guess_index, written_head
from aesara_cas.rewriting.precheck import may_match
from aesara_cas.rewriting.terms import ops_equal
from aesara_cas.rewriting.wild import (
    _UNSET,
    Wild,
    graph_vars,
    pattern_of,
    replace_wilds,
    rest_vars_compile,
    term_vars,
)


def _is_function(rhs: Any) -> bool:
    return callable(rhs) and not isinstance(rhs, (Op, ExpressionTuple, Variable, type))


def _show(t: Any) -> str:
    if isinstance(t, Variable) and not isinstance(t, Constant):
        from aesara_cas.printing import pprint

        try:
            return pprint(t)
        except Exception:  # noqa: BLE001 - a name is only for messages
            return repr(t)
    if callable(t) and not isinstance(t, (Op, ExpressionTuple, Variable, type)):
        return getattr(t, "__name__", "<function>")
    return str(t)


_NUMBERS = (bool, int, float, complex, np.number, np.bool_, np.ndarray)


def _check_lhs(lhs: Any, label: str) -> Any:
    """``lhs`` as an etuple/cons pattern, or a TypeError/ValueError naming the rule."""
    if isinstance(lhs, Wild) or isvar(lhs):
        raise ValueError(
            f"rule {label!r}: the lhs is a bare wild, which matches every expression; "
            "write the operation it should match, e.g. at.exp(x)")
    if isinstance(lhs, Variable):
        if lhs.owner is None:
            raise TypeError(
                f"rule {label!r}: the lhs {lhs!r} has no wilds and no operations, so it is "
                "not a pattern; build it from ac.wild(...) with the tensor API")
        return replace_wilds(lhs)
    if isinstance(lhs, ExpressionTuple) or issubclass(type(lhs), ConsPair):
        if isinstance(lhs, ExpressionTuple) and len(lhs) == 0:
            raise TypeError(f"rule {label!r}: the lhs is an empty etuple")
        return replace_wilds(lhs)
    what = "a number" if isinstance(lhs, _NUMBERS) else type(lhs).__name__
    raise TypeError(
        f"rule {label!r}: the lhs must be a pattern (an expression built from ac.wild(...) "
        f"with the tensor API, or an etuple), got {what}: {lhs!r}")


def _check_rhs(rhs: Any, label: str) -> Any:
    if rhs is None or isinstance(rhs, (str, bytes, dict, set)):
        raise TypeError(
            f"rule {label!r}: the rhs must be an expression, a term, a number or a function "
            f"of the bindings, got {rhs!r}")
    return replace_wilds(rhs)


class Rule:
    """A rewrite ``lhs -> rhs`` applying where ``where(bindings)`` holds.

    Parameters
    ----------
    lhs
        The input pattern: an expression built from :func:`~aesara_cas.rewriting.wild.wild`
        variables with the tensor API, or an etuple (or ``cons``) term over ops,
        logic variables (or wilds), numbers and op-parameter patterns.
    rhs
        The output: an expression or term over the same wilds / logic variables, a
        number, or a function ``rhs(bindings) -> term | Variable | number | None``
        (``None``: no rewrite).
    where
        An optional condition ``where(bindings) -> bool`` on the matched values.
    name
        The name shown in traces and accepted by ``exclude=``.
    doc
        The identity and its domain, for readers and for ``help()``.
    normalize
        Whether the pattern also matches in every spelling the engine treats as
        equal, and (for a term ``rhs``) inside a longer sum or product.  ``None``
        (the default): yes for an ``lhs`` written with wilds, and for user rules
        (``rules=[...]``); no for etuple patterns of the standard sets, which are
        written against the canonical forms.
    partial
        With ``normalize``: whether a sum or product pattern also matches part of a
        longer one (default: yes).  ``False`` keeps the spellings but matches the
        whole node only, which is cheaper for an identity of two terms that has no
        business inside longer sums.
    also
        More input patterns (etuples) for the same rule: other spellings of the
        ``lhs``, for a rule whose computed output reads every spelling itself (one
        rule for ``a - b`` and ``a + -b`` rather than two of the same name).

    Raises
    ------
    TypeError, ValueError
        For a malformed rule (naming it): an ``lhs`` that is not a pattern or
        matches every expression, a ``where`` that is not callable, an ``rhs`` with a
        variable the ``lhs`` does not bind.
    """

    #: Whether equality saturation uses the rule (``saturate=True``).  A lowering to
    #: backend forms whose outputs it matches again (``a * b**-1 -> a / b`` beside
    #: ``(a / b) / d -> a / (b * d)``) sets it ``False``: in an e-graph, where every
    #: form stays, such rules make new products without end.
    saturate: bool = True

    def __init__(self, lhs: Any, rhs: Any, where: Callable | None = None,
                 name: str | None = None, doc: str | None = None,
                 normalize: bool | None = None, partial: bool = True,
                 also: Any = ()):
        label = name if name is not None else f"{_show(lhs)} -> {_show(rhs)}"
        if name is not None and not isinstance(name, str):
            raise TypeError(f"rule: name must be a str, got {name!r}")
        if where is not None and not callable(where):
            raise TypeError(
                f"rule {label!r}: where must be a function of the bindings, got {where!r}")
        if normalize is None and isinstance(lhs, Variable):
            normalize = True  # written as math: meant up to the engine's equalities
        rhs_is_function = _is_function(rhs)
        # A pattern written as math (most standard rules) is checked on its graph; its
        # term and compiled form are made when first needed (importing the rule
        # modules builds them all, and most are never needed by a small graph).
        lhs_vars = (graph_vars(lhs) if isinstance(lhs, Variable) and not also
                    and not isinstance(lhs, Wild) and lhs.owner is not None else None)
        deferred = bool(lhs_vars) and (not any(map(is_rest_var, lhs_vars))
                                       or rest_vars_compile(lhs))
        self._lhs_graph: Variable | None = None
        self._rhs_graph: Variable | None = None
        if deferred:
            self._lhs_graph, self._lhs = lhs, _UNSET
        else:
            lhs = self._lhs = _check_lhs(lhs, label)
        if rhs_is_function:
            self._rhs = rhs
        else:
            rhs_vars = (graph_vars(rhs) if deferred and isinstance(rhs, Variable)
                        and not isinstance(rhs, Wild) else None)
            if rhs_vars:
                self._rhs_graph, self._rhs = rhs, _UNSET
            else:
                rhs = self._rhs = _check_rhs(rhs, label)
                rhs_vars = term_vars(rhs)
            if not deferred:
                lhs_vars = term_vars(lhs)
            unbound = rhs_vars - lhs_vars
            if unbound:
                names = sorted(str(getattr(v, "token", v)) for v in unbound)
                raise ValueError(
                    f"rule {label!r}: the rhs uses the variable(s) {names}, which the lhs "
                    "does not bind; every wild of the rhs must occur in the lhs")
        self.where = where
        self.name = name or f"rule({label})"
        self.__name__ = self.name
        self.__doc__ = doc
        self.normalize = normalize
        self.partial = bool(partial)
        self._pattern: Any = _UNSET
        # An etuple pattern is compiled when first needed too, unless a rest variable
        # asks for the check that compiling makes.
        rests = not deferred and any(map(is_rest_var, lhs_vars or term_vars(lhs)))
        if also or rests:
            self._pattern = compile_pattern(lhs)
            if self._pattern is None and rests:
                raise ValueError(
                    f"rule {label!r}: a rest_var stands only as an argument of an add or "
                    "mul, at most one per sum or product, next to at least one other "
                    "argument")
        self.also = tuple(_check_lhs(t, label) for t in also)
        if self.also and (self.pattern is None or not rhs_is_function):
            raise ValueError(
                f"rule {label!r}: also= (more input spellings) needs an etuple lhs and a "
                "computed rhs; a term rhs already matches every spelling with normalize")
        self._rhs_is_function = rhs_is_function
        self._patterns: dict[bool, list[PNode]] = {}
        self._canon: Any = _UNSET
        self._guess: Any = _UNSET
        if normalize and not rhs_is_function:
            PENDING.append(weakref.ref(self))

    @property
    def lhs(self) -> Any:
        """The input pattern as a term (etuple or cons) over logic variables."""
        lhs = self._lhs
        if lhs is _UNSET:
            lhs = self._lhs = pattern_of(self._lhs_graph)
        return lhs

    @property
    def rhs(self) -> Any:
        """The output: a term over the input pattern's variables, a number, or a
        function of the bindings."""
        rhs = self._rhs
        if rhs is _UNSET:
            rhs = self._rhs = pattern_of(self._rhs_graph)
        return rhs

    @property
    def pattern(self) -> PNode | None:
        """The compiled input pattern as written (``None``: matched by unification)."""
        p = self._pattern
        if p is _UNSET:
            p = self._pattern = compile_pattern(self.lhs)
        return p

    def __repr__(self) -> str:
        return f"Rule({self.name})"

    def output(self, s: Mapping, term: Any) -> Any:
        """The output term for a match ``s`` of ``term`` (``None``: the rule declines)."""
        return self._output(s, term)

    def _output(self, s: Mapping, term: Any) -> Any:
        if REMAINDER in s:
            s = {k: v for k, v in s.items() if k is not REMAINDER}
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
            if isinstance(term, Variable) and self.pattern is not None:
                for _, out in self.matches(term, bool(self.normalize)):
                    s2 = unify(out_term, out, s)
                    if s2 is not False:
                        yield s2
                        return
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

    def head_key(self) -> Any:
        """The op (or op class) heading the pattern as written, or ``None`` (see
        :func:`~aesara_cas.rewriting.pending.written_head`)."""
        return written_head(self)

    def index_guess(self) -> frozenset | None:
        """The ops the normal forms of the pattern can be headed by, without computing
        them, or ``None`` (see :func:`~aesara_cas.rewriting.pending.guess_index`)."""
        guess = self._guess
        return guess_index(self) if guess is _UNSET else guess

    def patterns(self, normalize: bool = False) -> list[PNode]:
        """The compiled input patterns: the lhs as written, or, with ``normalize`` and a
        term output, every normal form of it, partial at the root (see
        :func:`~aesara_cas.rewriting.pending.compile_patterns`)."""
        cached = self._patterns.get(normalize)
        return compile_patterns(self, normalize) if cached is None else cached

    def matches(self, v: Variable, normalize: bool = False,
                patterns: Any = None) -> Iterator[tuple[dict, Any]]:
        """``(bindings, output term)`` for the matches of ``v`` the rule accepts.

        A pure pattern rule (a term output) matched with ``normalize``, or guarded by a
        ``where``, offers every match, so a ``where`` that declines one may accept
        another (``sum(c * rest)`` with ``c`` a scalar: the scalar factor need not come
        first); otherwise only the first match of each pattern (the written argument
        order first).  For a match of part of a sum or product, the output term keeps
        the rest around the result.  ``patterns``: only these of the rule's patterns
        (the others are known not to match).
        """
        node = getattr(v, "owner", None)
        every = (normalize or self.where is not None) and not self._rhs_is_function
        for p in self.patterns(normalize) if patterns is None else patterns:
            if node is None or (p.head_kind == HEAD_OP and not ops_equal(node.op, p.head)):
                continue
            if not may_match(p, node):
                continue
            if every:
                found: Iterator = solutions(p, v)
            else:
                first = match(p, v)
                found = iter(() if first is None else (first,))
            for b in found:
                out = self._output(b, v)
                if out is None:
                    continue
                rest = b.get(REMAINDER)
                if rest:
                    out = ExpressionTuple((node.op, out, *rest))
                yield b, out

    def bindings(self, v: Variable) -> dict | None:
        """The bindings of ``lhs`` matched against ``v``, or ``None``."""
        if self.pattern is not None:
            return match(self.pattern, v)
        s = unify(self.lhs, v, {})
        return None if s is False else s

    def apply(self, v: Variable) -> Any:
        """The (reified) output term for ``v``, or ``None`` if the rule does not apply."""
        if self.pattern is not None and isinstance(v, Variable):
            for _, out in self.matches(v, bool(self.normalize)):
                return out
            return None
        s = self.bindings(v)
        if s is None:
            return None
        return self._output(s, v)


def rule(lhs: Any, rhs: Any, where: Callable | None = None, name: str | None = None,
         doc: str | None = None, normalize: bool | None = None, partial: bool = True,
         also: Any = ()) -> Rule:
    """A rewrite rule ``lhs -> rhs``: a miniKanren relation built from two patterns.

    The patterns may be written as math with wilds (``x = ac.wild("x")``) or as
    etuples; see :class:`Rule` for the parameters.

    Examples
    --------
    >>> import aesara_cas as ac
    >>> from aesara_cas import tensor as at
    >>> x = ac.wild("x")
    >>> ac.rule(at.sin(x) ** 2 + at.cos(x) ** 2, 1, name="pythagoras").name
    'pythagoras'

    >>> from etuples import etuple
    >>> from kanren import var
    >>> from aesara_cas import tensor as at
    >>> x = var("x")
    >>> r = rule(etuple(at.sqrt, etuple(at.sqr, x)), etuple(at.abs, x), name="sqrt_sqr")
    >>> r.name
    'sqrt_sqr'
    """
    return Rule(lhs, rhs, where=where, name=name, doc=doc, normalize=normalize,
                partial=partial, also=also)


def is_pattern_rule(r: Any) -> bool:
    """Whether ``r`` is a pure pattern rule: an :class:`Rule` whose output is a term over
    the input pattern's variables (guards with ``where=`` allowed), not a Python function.
    """
    return isinstance(r, Rule) and not r._rhs_is_function


def fresh(n: int | None = None, prefix: str = "") -> Var | list[Var]:
    """``n`` fresh logic variables (one if ``n`` is None)."""
    if n is None:
        return var(prefix=prefix)
    return [var(prefix=prefix) for _ in range(n)]
