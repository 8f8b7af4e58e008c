"""The spellings of a pattern the engine treats as equal.

:func:`spellings` lists the equivalent spellings of a pattern's operations (``x - y``
and ``x + -y``, ``x / y`` and ``x * y**-1``, ``sqr(x)`` and ``x**2``, ``-x`` and
``-1 * x``, ``sqrt(x)`` and ``x**0.5``).  :func:`normal_forms` gives every form a rule
written with ``normalize`` matches: the pattern as written, its canonical form (the
``canonicalize`` set run on the pattern itself, so ``x - y`` becomes ``x + -y``,
``x / 2`` becomes ``0.5 * x``, ``(a + b) + c`` one flat sum) and, for each of those,
their spellings.  A user never needs to know the canonical form to write a rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from etuples.core import ExpressionTuple

from aesara_cas.graph.basic import Op, Variable
from aesara_cas.logic.build import is_lvar
from aesara_cas.logic.mirror import normalize_head
from aesara_cas.rewriting.terms import ops_equal
from aesara_cas.rewriting.wild import _UNSET, Wild, pattern_of, term_vars
from aesara_cas.tensor.type import TensorType

#: At most this many spellings of one pattern are generated.
MAX_SPELLINGS = 16


def _num(t: Any, value: float) -> bool:
    return (isinstance(t, (int, float, np.number)) and not isinstance(t, (bool, np.bool_))
            and t == value)


def _local_spellings(t: ExpressionTuple) -> list:
    """The other spellings of the top node of ``t`` (its arguments unchanged)."""
    from aesara_cas.tensor import elemwise as E

    head, args = normalize_head(t[0]), list(t[1:])
    out = []

    def is_op(x: Any, op: Any) -> bool:
        return isinstance(x, ExpressionTuple) and len(x) > 0 and isinstance(
            normalize_head(x[0]), Op) and ops_equal(normalize_head(x[0]), op)

    if not isinstance(head, Op):
        return out
    if ops_equal(head, E.neg) and len(args) == 1:
        out.append(ExpressionTuple((E.mul, -1, args[0])))
    elif ops_equal(head, E.sub) and len(args) == 2:
        out.append(ExpressionTuple((E.add, args[0], ExpressionTuple((E.neg, args[1])))))
    elif ops_equal(head, E.true_div) and len(args) == 2:
        if _num(args[0], 1):
            out.append(ExpressionTuple((E.pow, args[1], -1)))
        out.append(ExpressionTuple((E.mul, args[0], ExpressionTuple((E.pow, args[1], -1)))))
    elif ops_equal(head, E.sqr) and len(args) == 1:
        out.append(ExpressionTuple((E.pow, args[0], 2)))
    elif ops_equal(head, E.sqrt) and len(args) == 1:
        out.append(ExpressionTuple((E.pow, args[0], 0.5)))
    elif ops_equal(head, E.pow) and len(args) == 2:
        if _num(args[1], 2):
            out.append(ExpressionTuple((E.sqr, args[0])))
        elif _num(args[1], 0.5):
            out.append(ExpressionTuple((E.sqrt, args[0])))
        elif _num(args[1], -1):
            out.append(ExpressionTuple((E.true_div, 1, args[0])))
    elif ops_equal(head, E.mul) and len(args) == 2:
        for i in (0, 1):
            other = args[1 - i]
            if _num(args[i], -1):
                out.append(ExpressionTuple((E.neg, other)))
            if is_op(args[i], E.pow) and len(args[i]) == 3 and _num(args[i][2], -1):
                out.append(ExpressionTuple((E.true_div, other, args[i][1])))
    elif ops_equal(head, E.add) and len(args) == 2:
        for i in (0, 1):
            other = args[1 - i]
            if is_op(args[i], E.neg) and len(args[i]) == 2:
                out.append(ExpressionTuple((E.sub, other, args[i][1])))
    return out


def spellings(pattern: Any, _memo: dict | None = None) -> list:
    """``pattern`` and its equivalent spellings (at most :data:`MAX_SPELLINGS`).

    Each operation of the pattern may be spelled any way the engine treats as equal:
    ``x - y`` / ``x + -y``, ``x / y`` / ``x * y**-1``, ``1 / y`` / ``y**-1``,
    ``sqr(x)`` / ``x**2``, ``sqrt(x)`` / ``x**0.5``, ``-x`` / ``-1 * x``.
    Recursion follows the nesting of the pattern, not of a graph.
    """
    if not isinstance(pattern, ExpressionTuple) or len(pattern) == 0:
        return [pattern]
    memo = {} if _memo is None else _memo
    options = [spellings(a, memo) if isinstance(a, ExpressionTuple) else [a] for a in pattern]
    combos: list[list] = [[]]
    for opts in options:
        combos = [c + [o] for c in combos for o in opts][:MAX_SPELLINGS]
    out: list = []
    seen: set = set()
    for items in combos:
        t = pattern if all(a is b for a, b in zip(items, pattern)) else ExpressionTuple(items)
        for u in [t, *_local_spellings(t)]:
            key = _key(u, memo)
            if key not in seen:
                seen.add(key)
                out.append(u)
    return out[:MAX_SPELLINGS]


def _key(t: Any, memo: dict | None = None) -> Any:
    """A hashable structural key of a (small) pattern.

    ``memo`` (``id -> (term, key)``; the term is held so its id stays its own) saves
    re-keying the subterms that the spellings of a pattern share."""
    if isinstance(t, ExpressionTuple):
        if memo is None:
            return ("et", *(_key(a) for a in t))
        hit = memo.get(id(t))
        if hit is not None:
            return hit[1]
        k = ("et", *(_key(a, memo) for a in t))
        memo[id(t)] = (t, k)
        return k
    try:
        hash(t)
    except TypeError:
        return ("id", id(t))
    if isinstance(t, (Variable, Op)):
        return ("id", id(t))
    return ("v", type(t).__name__, t)


# Normal forms -----------------------------------------------------------------------

def _graph_of(term: Any, wilds: dict) -> Variable | None:
    """The term built as a graph over float64 scalar wilds, or ``None`` if it is not a
    plain expression (op heads, logic variables, numbers and graph variables only)."""
    from aesara_cas.logic.build import build

    def leaf(t: Any) -> Any:
        if is_lvar(t):
            if t not in wilds:
                wilds[t] = Wild(TensorType("float64", ()), name=str(t.token), lvar=t)
            return wilds[t]
        return t

    stack = [term]
    while stack:
        t = stack.pop()
        if isinstance(t, ExpressionTuple):
            if len(t) == 0 or not isinstance(normalize_head(t[0]), Op):
                return None
            stack.extend(t._tuple[1:])
        elif not (is_lvar(t) or isinstance(t, (Variable, int, float, np.number))):
            return None
    try:
        out = build(_map_leaves(term, leaf))
    except Exception:  # noqa: BLE001 - not buildable with scalar placeholders
        return None
    return out if isinstance(out, Variable) else None


def _map_leaves(term: Any, leaf: Any) -> Any:
    if isinstance(term, ExpressionTuple):
        return ExpressionTuple([term[0], *[_map_leaves(t, leaf) for t in term._tuple[1:]]])
    return leaf(term)


def canonical_form(term: Any) -> Any:
    """``term`` in the spelling the ``canonicalize`` set gives it, or ``None`` if it
    cannot be built as a plain expression (or canonicalising it fails)."""
    from aesara_cas.rewriting import simplify

    graph = _graph_of(term, {})
    if graph is None:
        return None
    try:
        out = simplify(graph, include=["canonicalize"])
    except Exception:  # noqa: BLE001 - keep the pattern as written
        return None
    return pattern_of(out)


def canonical_forms(terms: Sequence[Any]) -> list:
    """:func:`canonical_form` of each of ``terms``, canonicalised in one ``simplify``
    call (a call costs about as much to set up as to run on a small pattern).

    Each term is built over its own placeholders, so two patterns share no variable
    and the joint graph rewrites each exactly as alone; if the joint run fails, each
    term is canonicalised by itself.
    """
    from aesara_cas.rewriting import simplify

    graphs = [_graph_of(t, {}) for t in terms]
    built = [g for g in graphs if g is not None]
    if len(built) < 2:
        return [canonical_form(t) for t in terms]
    try:
        outs = iter(simplify(built, include=["canonicalize"]))
    except Exception:  # noqa: BLE001 - one pattern spoils the batch: one by one
        return [canonical_form(t) for t in terms]
    return [None if g is None else pattern_of(next(outs)) for g in graphs]


def normal_forms(term: Any, canon: Any = _UNSET) -> list:
    """The pattern as written, its canonical form, and their equivalent spellings.

    Forms that lose one of the pattern's variables (``x * 0 + y`` is ``y``
    canonically) or that are no longer an operation (``log(exp(x))`` is ``x``) are
    left out: they would match something else.  ``canon``: the canonical form, when
    already known (:func:`canonical_forms`).
    """
    forms = [term]
    if canon is _UNSET:
        canon = canonical_form(term)
    keep = term_vars(term)
    if canon is not None and isinstance(canon, ExpressionTuple) and term_vars(canon) == keep:
        forms.append(canon)
    out: list = []
    seen: set = set()
    memo: dict = {}
    for f in forms:
        for s in spellings(f, memo):
            k = _key(s, memo)
            if k not in seen and isinstance(s, ExpressionTuple) and term_vars(s) == keep:
                seen.add(k)
                out.append(s)
    return out
