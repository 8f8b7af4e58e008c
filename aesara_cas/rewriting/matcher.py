"""Patterns compiled into direct structural matchers.

A rule's input pattern (an etuple or cons term with logic variables) is compiled
once into a small tree of :class:`PNode` checks: "the op here is ``log``, its
input's op is ``exp``, this position holds a constant equal to 1, these two
positions hold the same variable".  Matching a graph variable against it costs a
few microseconds, against tens for a ``kanren`` run, so it serves as the
structural pre-check in front of every relation, and, for rules built with
:func:`~aesara_cas.rewriting.rule.rule`, as the matcher itself (tests check it
agrees with unification).

Patterns the compiler does not understand make :func:`compile_pattern` return
``None``; callers then fall back to unification on every node of the right head.

``add`` and ``mul`` are matched modulo commutativity: their pattern arguments may
match the node's inputs in any order (the given order is tried first, so a
pattern written in canonical order costs nothing more).  A pattern compiled with
``partial=True`` also matches a sub-multiset of a longer sum or product at its
root; the inputs it did not use are returned under :data:`REMAINDER`.
A *rest variable* (:func:`rest_var`) among the arguments of a pattern's ``add`` or
``mul`` binds to the rest of the sum or product, of any length: the one input left, or a
new ``add``/``mul`` of the inputs left (``log(1 + x)`` with ``x`` a rest variable
matches ``log(1 + a + b)`` with ``x = a + b``).
:func:`spellings` lists the equivalent spellings of a pattern (``x - y`` and
``x + -y``, ``x / y`` and ``x * y**-1``, ``sqr(x)`` and ``x**2``, ``-x`` and
``-1 * x``, ``sqrt(x)`` and ``x**0.5``).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from numbers import Number
from typing import Any

import numpy as np
from cons.core import ConsPair
from etuples.core import ExpressionTuple
from unification.variable import LVarType, Var, isvar
from unification.variable import _global_logic_variables as _GLOBAL_VARS

from aesara_cas.graph.basic import Constant, Op, Variable
from aesara_cas.logic.mirror import constant_equals, normalize_head, op_params
from aesara_cas.rewriting.terms import ops_equal

# Kinds of pattern nodes.
VAR, NUMBER, CONST, GRAPHVAR, APPLY = range(5)
# Kinds of heads of an APPLY node.
HEAD_OP, HEAD_VAR, HEAD_PARAMS = range(3)
#: Index key of patterns whose head is a logic variable: they meet every node.
WILDCARD = "*"


class PNode:
    """One compiled position of a pattern.

    ``ac``: an ``add``/``mul`` whose arguments match in any order; ``search``: this
    node or one below it needs the backtracking matcher; ``partial`` (the root
    only): a sub-multiset of the node's inputs may match.
    """

    __slots__ = ("kind", "value", "head_kind", "head", "params", "args", "rest", "ac",
                 "search", "partial", "tail")

    def __init__(self, kind: int, value: Any = None):
        self.kind = kind
        self.value = value
        self.head_kind = None
        self.head = None
        self.params: list | None = None
        self.args: list[PNode] = []
        self.rest: Var | None = None
        self.ac = False
        self.search = False
        self.partial = False
        # A rest variable of an add/mul: bound to the inputs the other arguments left.
        self.tail: Var | None = None


#: The key of the bindings holding the inputs a partial match left over.
REMAINDER = object()
#: The logic variables made by :func:`rest_var`.
_REST_VARS: set = set()


def rest_var(name: str = "rest") -> Var:
    """A fresh logic variable that, as an argument of a pattern's ``add`` or ``mul``,
    matches the rest of the sum or product (one input or more): bound to the input
    left, or to a new ``add``/``mul`` of the inputs left, in their order (a graph
    variable either way, so a ``where`` reads its dtype and shape)."""
    v = Var(prefix=f"{name}_rest")
    _REST_VARS.add(v)
    return v


def is_rest_var(v: Any) -> bool:
    """Whether ``v`` was made by :func:`rest_var`."""
    return type(v) is Var and v in _REST_VARS


#: Partial matches tried per node at most (a long sum has many sub-multisets).
MAX_AC_SOLUTIONS = 64


class _Unsupported(Exception):
    pass


def _isvar(t: Any) -> bool:
    """``isvar(t)`` that hashes ``t`` only while global logic variables are declared
    (``unification.variables``): an etuple hashes its whole term, and compiling
    asks of every sub-term."""
    return type(t) is Var or isinstance(type(t), LVarType) or (
        bool(_GLOBAL_VARS) and isvar(t))


def _split_apply(p: Any) -> tuple[Any, list, Var | None]:
    """``(head, fixed arguments, rest variable or None)`` of an etuple/cons pattern."""
    if isinstance(p, ExpressionTuple):
        items = list(p)
        if not items:
            raise _Unsupported
        return items[0], items[1:], None
    items = []
    while issubclass(type(p), ConsPair):
        items.append(p.car)
        p = p.cdr
    if _isvar(p):
        rest = p
    elif isinstance(p, (ExpressionTuple, tuple, list)):
        items.extend(p)
        rest = None
    else:
        raise _Unsupported
    if not items:
        raise _Unsupported
    return items[0], items[1:], rest


def _variables_used_twice(pattern: Any) -> frozenset:
    """The logic variables that occur more than once in ``pattern`` (anywhere: in
    arguments and in op parameters).  Walks the pattern with a stack."""
    seen: set = set()
    twice: set = set()
    stack = [pattern]
    while stack:
        t = stack.pop()
        if _isvar(t):
            (twice if t in seen else seen).add(t)
        elif isinstance(t, (ExpressionTuple, tuple, list)):
            stack.extend(t)
        elif issubclass(type(t), ConsPair):
            stack.extend((t.car, t.cdr))
    return frozenset(twice)


def _compile(p: Any, shared: frozenset = frozenset()) -> PNode:
    if _isvar(p):
        return PNode(VAR, p)
    if isinstance(p, Constant):
        return PNode(CONST, p)
    if isinstance(p, Variable):
        return PNode(GRAPHVAR, p)
    if isinstance(p, (bool, np.bool_)) or (isinstance(p, (Number, np.number))
                                          and not isinstance(p, complex)):
        return PNode(NUMBER, p)
    if isinstance(p, ExpressionTuple) or issubclass(type(p), ConsPair):
        head, args, rest = _split_apply(p)
        node = PNode(APPLY)
        head = normalize_head(head)
        if _isvar(head):
            node.head_kind, node.head = HEAD_VAR, head
        elif isinstance(head, Op):
            node.head_kind, node.head = HEAD_OP, head
        elif isinstance(head, ExpressionTuple) and len(head) > 0 and isinstance(head[0], type):
            node.head_kind, node.head = HEAD_PARAMS, head[0]
            node.params = list(head[1:])
        else:
            raise _Unsupported
        node.args = [_compile(a, shared) for a in args]
        node.rest = rest
        tails = [a for a in node.args if a.kind == VAR and is_rest_var(a.value)]
        if tails:
            # "The rest of the sum": the other arguments match a sub-multiset of the
            # inputs, the rest variable takes what they leave (at least one input).
            if (len(tails) > 1 or rest is not None or node.head_kind != HEAD_OP
                    or not _is_ac(node.head) or len(node.args) < 2):
                raise _Unsupported
            node.tail = tails[0].value
            node.args = [a for a in node.args if a is not tails[0]]
            node.ac = node.search = node.partial = True
            return node
        # Distinct variables used nowhere else match in the written order whenever
        # any order matches: arguments with structure, or variables that recur (here
        # or elsewhere in the pattern: ``log(a + b) - log(a)``), need the search.
        plain = all(a.kind == VAR and a.value not in shared for a in node.args) and len(
            {a.value for a in node.args}) == len(node.args)
        node.ac = (node.head_kind == HEAD_OP and rest is None and len(node.args) >= 2
                   and not plain and _is_ac(node.head))
        node.search = node.ac or any(a.search for a in node.args)
        return node
    raise _Unsupported


def _is_ac(op: Any) -> bool:
    from aesara_cas.tensor import elemwise as E

    return ops_equal(op, E.add) or ops_equal(op, E.mul)


_COMPILED: dict[Any, PNode | None] = {}


def compile_pattern(pattern: Any, partial: bool = False) -> PNode | None:
    """The compiled form of ``pattern``, or ``None`` if it uses unsupported terms.

    Equal patterns share one compiled object, so the engine can match a node once
    for all the rules that use the same input pattern.  ``partial=True``: a root
    ``add``/``mul`` also matches part of a longer sum or product.
    """
    key = (pattern, partial) if partial else pattern
    try:
        return _COMPILED[key]
    except (KeyError, TypeError):
        pass
    try:
        compiled = _compile(pattern, _variables_used_twice(pattern))
    except _Unsupported:
        compiled = None
    if (compiled is not None and partial and compiled.kind == APPLY
            and compiled.head_kind == HEAD_OP and compiled.rest is None
            and len(compiled.args) >= 2 and _is_ac(compiled.head)):
        # A private copy: the shared one is not partial.
        compiled = _compile(pattern, _variables_used_twice(pattern))
        compiled.ac = compiled.search = compiled.partial = True
    with contextlib.suppress(TypeError):  # an unhashable pattern is not cached
        _COMPILED[key] = compiled
    return compiled


class _MatchMemo(threading.local):
    """The matches of the node being looked at, shared by its candidate rules (per
    thread: threads rewrite different graphs)."""

    def __init__(self) -> None:
        self.node: Any = None
        self.generation = -1
        self.results: dict[int, dict | None] = {}


_memo = _MatchMemo()


def forget() -> None:
    """Drop the memo of the last node matched (it holds the node, hence its graph)."""
    _memo.node, _memo.generation, _memo.results = None, -1, {}


def match_node(p: PNode, node: Any, generation: int) -> dict | None:
    """:func:`match` of ``node``'s output, reusing the result of an identical pattern
    already matched against the same node (while the graph has not changed)."""
    memo = _memo
    if memo.node is not node or memo.generation != generation:
        memo.node, memo.generation, memo.results = node, generation, {}
    key = id(p)
    if key in memo.results:
        b = memo.results[key]
        return None if b is None else dict(b)
    b = match(p, node.outputs[0])
    memo.results[key] = b
    return None if b is None else dict(b)


def index_key(p: PNode | None) -> Any:
    """The key a pattern is indexed under: its head op, its head op class, or ``WILDCARD``."""
    if p is None or p.kind != APPLY or p.head_kind == HEAD_VAR:
        return WILDCARD
    return p.head


_MISSING = object()


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, Constant) and isinstance(b, Constant):
        return a.type == b.type and a.signature() == b.signature()
    if isinstance(a, Variable) or isinstance(b, Variable):
        return False
    try:
        return bool(a == b)
    except Exception:
        return False


def _bind(bindings: dict, key: Var, value: Any) -> bool:
    prev = bindings.get(key, _MISSING)
    if prev is _MISSING:
        bindings[key] = value
        return True
    return _same(prev, value)


def _match_params(patterns: list, values: tuple, bindings: dict) -> bool:
    """Match op-parameter patterns (plain values, logic variables, nested op patterns)."""
    stack = list(zip(patterns, values))
    while stack:
        p, v = stack.pop()
        if isvar(p):
            if not _bind(bindings, p, v):
                return False
        elif isinstance(p, ExpressionTuple):
            if len(p) == 0 or not isinstance(p[0], type) or type(v) is not p[0]:
                return False
            sub = op_params(v)
            if sub is None or len(sub) != len(p) - 1:
                return False
            stack.extend(zip(list(p[1:]), sub))
        elif not _same(p, v):
            return False
    return True


def match(p: PNode, var: Any, bindings: dict | None = None) -> dict | None:
    """Match compiled pattern ``p`` against graph variable ``var``.

    Returns the bindings of the pattern's logic variables (graph variables, op
    parameters, or for a cons tail an etuple of the remaining inputs), or ``None``.
    """
    if p.search:
        for b in solutions(p, var, bindings):
            return b
        return None
    b: dict = {} if bindings is None else bindings
    stack = [(p, var)]
    while stack:
        p, v = stack.pop()
        kind = p.kind
        if kind == VAR:
            if not _bind(b, p.value, v):
                return None
        elif kind == APPLY:
            node = getattr(v, "owner", None)
            if node is None or len(node.outputs) != 1:
                return None
            op = node.op
            hk = p.head_kind
            if hk == HEAD_OP:
                if not ops_equal(op, p.head):
                    return None
            elif hk == HEAD_PARAMS:
                if type(op) is not p.head:
                    return None
                params = op_params(op)
                if params is None or len(params) != len(p.params):
                    return None
                if not _match_params(p.params, params, b):
                    return None
            elif not _bind(b, p.head, op):
                return None
            ins = node.inputs
            n = len(p.args)
            if p.rest is None:
                if len(ins) != n:
                    return None
            else:
                if len(ins) < n or not _bind(b, p.rest, ExpressionTuple(ins[n:])):
                    return None
            stack.extend(zip(p.args, ins))
        elif kind == NUMBER:
            if not constant_equals(v, p.value):
                return None
        elif kind == CONST:
            if not _same(p.value, v):
                return None
        elif v is not p.value:  # GRAPHVAR
            return None
    return b


# Matching modulo commutativity (and partial sums and products) --------------------

def solutions(p: PNode, var: Any, bindings: dict | None = None) -> Any:
    """Every match of ``p`` against ``var`` (at most :data:`MAX_AC_SOLUTIONS` when the
    pattern has commutative nodes), as binding dicts, the given argument order first.

    Recursion follows the nesting of the *pattern* (a few levels), never the graph.
    """
    b = {} if bindings is None else dict(bindings)
    if not p.search:
        out = match(p, var, b)
        if out is not None:
            yield out
        return
    yield from itertools.islice(_solve(p, var, b), MAX_AC_SOLUTIONS)


def _head(p: PNode, v: Any, b: dict) -> tuple[list, dict] | None:
    """The inputs of ``v``'s node and the bindings after matching ``p``'s head."""
    node = getattr(v, "owner", None)
    if node is None or len(node.outputs) != 1:
        return None
    op = node.op
    hk = p.head_kind
    b = dict(b)
    if hk == HEAD_OP:
        if not ops_equal(op, p.head):
            return None
    elif hk == HEAD_PARAMS:
        if type(op) is not p.head:
            return None
        params = op_params(op)
        if params is None or len(params) != len(p.params):
            return None
        if not _match_params(p.params, params, b):
            return None
    elif not _bind(b, p.head, op):
        return None
    return node.inputs, b


def _solve(p: PNode, v: Any, b: dict) -> Any:
    if p.kind != APPLY or not p.search:
        out = match(p, v, dict(b))
        if out is not None:
            yield out
        return
    found = _head(p, v, b)
    if found is None:
        return
    ins, b = found
    n = len(p.args)
    if p.ac:
        if len(ins) < n or (len(ins) > n and not p.partial):
            return
        tail = p.tail
        if tail is not None and len(ins) == n:
            return
        # Constrained arguments (operations, constants) first: fewer choices.
        order = sorted(range(n), key=lambda i: p.args[i].kind == VAR)
        for out, used in _assign(p.args, order, 0, ins, (), b):
            if len(ins) > n:
                left = tuple(x for j, x in enumerate(ins) if j not in used)
                if tail is None:
                    out[REMAINDER] = left
                elif not _bind(out, tail, left[0] if len(left) == 1 else
                               v.owner.op(*left)):
                    continue
            yield out
        return
    if p.rest is None:
        if len(ins) != n:
            return
    else:
        if len(ins) < n or not _bind(b, p.rest, ExpressionTuple(ins[n:])):
            return
    yield from _sequence(p.args, ins, 0, b)


def _sequence(args: list, ins: list, i: int, b: dict) -> Any:
    if i == len(args):
        yield b
        return
    for b2 in _solve(args[i], ins[i], b):
        yield from _sequence(args, ins, i + 1, b2)


def _assign(args: list, order: list, k: int, ins: list, used: tuple, b: dict) -> Any:
    """Injective assignments of the pattern arguments to inputs, the natural order first."""
    if k == len(order):
        yield b, used
        return
    i = order[k]
    candidates = [i] if i < len(ins) and i not in used else []
    candidates += [j for j in range(len(ins)) if j != i and j not in used]
    for j in candidates:
        for b2 in _solve(args[i], ins[j], b):
            yield from _assign(args, order, k + 1, ins, used + (j,), b2)


# Equivalent spellings ---------------------------------------------------------------

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
