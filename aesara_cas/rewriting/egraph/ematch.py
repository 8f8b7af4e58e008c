"""E-matching: the rules' own patterns, matched against e-classes.

A rule's input pattern (the etuple ``lhs`` of an ``ac.rule``, or a relation's
learned pattern) is compiled into a small tree of :class:`EPat` checks.  Matching
a pattern against an e-class is a miniKanren-style search: the class is a
disjunction of its e-nodes, and every e-node whose head fits is tried, its
children matched in turn (the recursion follows the *pattern*, a few levels deep,
never the graph).

* ``add``/``mul`` patterns match modulo associativity and commutativity.  At the
  top of a pattern, ``add(p1, p2)`` matches any two children of a longer sum; the
  unmatched children are the match's *remainder*, re-attached to the rewritten
  part (``a + sin(y)**2 + b + cos(y)**2`` gives ``a + b + 1``).  Inside a pattern,
  children match in any order, and a pattern variable in the last variable
  position may stand for the sum (or product) of several leftover children.
* Patterns are spelled canonically, like the e-graph (floats): ``x - y`` is
  ``x + -1*y``, ``-x`` is ``-1*x``, ``x / y`` is ``x * y**-1``, ``sqr(x)`` and
  ``x * x`` are ``x**2``; the pattern as written is tried as well (it matches
  integer graphs).

The patterns are the same etuple terms the greedy engine compiles in
:mod:`aesara_cas.rewriting.matcher` (and parsed with its helpers).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from numbers import Number
from typing import Any

import numpy as np
from etuples.core import ExpressionTuple
from unification.variable import isvar

from aesara_cas.graph.basic import Constant, Op, Variable
from aesara_cas.logic.mirror import constant_equals, normalize_head, op_params
from aesara_cas.rewriting.egraph.egraph import (
    AC_OPS,
    ADD,
    DIV,
    MUL,
    NEG,
    POW,
    SQR,
    SUB,
    EGraph,
    intern_op,
)
from aesara_cas.rewriting.matcher import _match_params, _same
from aesara_cas.rewriting.pattern import _split_apply

VAR, NUM, CONST, GVAR, APP = range(5)
HEAD_OP, HEAD_VAR, HEAD_PARAMS = range(3)
#: At most this many child assignments are tried per AC e-node and pattern.
AC_BUDGET = 4000


class Unsupported(ValueError):
    """A pattern the e-matcher cannot compile."""


class Bag:
    """A binding standing for ``op(*children)`` of leftover AC children (not yet an
    e-node; it is added when a rule's output uses it)."""

    __slots__ = ("op", "kids")

    def __init__(self, op: Op, kids: tuple[int, ...]):
        self.op = op
        self.kids = kids

    def __eq__(self, other: object) -> bool:
        return type(other) is Bag and other.op is self.op and other.kids == self.kids

    def __hash__(self) -> int:
        return hash((id(self.op), self.kids))


class Rest(tuple):
    """The binding of a ``cons`` tail: the remaining children's class ids."""


class EPat:
    """One compiled position of a pattern."""

    __slots__ = ("kind", "value", "head_kind", "head", "params", "args", "rest", "ac",
                 "absorber")

    def __init__(self, kind: int, value: Any = None):
        self.kind = kind
        self.value = value
        self.head_kind: int | None = None
        self.head: Any = None
        self.params: list | None = None
        self.args: list[EPat] = []
        self.rest: Any = None
        self.ac = False
        self.absorber: int | None = None

    def __repr__(self) -> str:
        if self.kind == APP:
            head = self.head if self.head_kind != HEAD_PARAMS else self.head.__name__
            tail = f", *{self.rest}" if self.rest is not None else ""
            return f"{head}({', '.join(map(repr, self.args))}{tail})"
        return repr(self.value)


def _is_number(p: Any) -> bool:
    return isinstance(p, (bool, np.bool_)) or (
        isinstance(p, (Number, np.number)) and not isinstance(p, complex))


def _compile(p: Any) -> EPat:
    if isvar(p):
        return EPat(VAR, p)
    if isinstance(p, Constant):
        return EPat(CONST, p)
    if isinstance(p, Variable):
        return EPat(GVAR, p)
    if _is_number(p):
        return EPat(NUM, p)
    if isinstance(p, ExpressionTuple) or hasattr(p, "car"):
        try:
            head, args, rest = _split_apply(p)
        except Exception as err:
            raise Unsupported(f"cannot read the pattern {p}") from err
        node = EPat(APP)
        head = normalize_head(head)
        if isvar(head):
            node.head_kind, node.head = HEAD_VAR, head
        elif isinstance(head, Op):
            node.head_kind, node.head = HEAD_OP, intern_op(head)
        elif isinstance(head, ExpressionTuple) and len(head) > 0 and isinstance(head[0], type):
            node.head_kind, node.head = HEAD_PARAMS, head[0]
            node.params = list(head[1:])
        else:
            raise Unsupported(f"the head {head!r} of {p} is not an op")
        node.args = [_compile(a) for a in args]
        node.rest = rest
        return node
    raise Unsupported(f"cannot match {p!r} in a pattern")


def _app(op: Op, args: list[EPat]) -> EPat:
    node = EPat(APP)
    node.head_kind, node.head, node.args = HEAD_OP, op, args
    return node


def _num(v: Any) -> EPat:
    return EPat(NUM, v)


def _negate(p: EPat) -> EPat:
    if p.kind == NUM and not isinstance(p.value, (bool, np.bool_)):
        return _num(-p.value)
    return _app(MUL, [_num(-1), p])


def _is(p: EPat, op: Op) -> bool:
    return p.kind == APP and p.head_kind == HEAD_OP and p.head is op and p.rest is None


def _canonical(p: EPat) -> EPat:
    """``p`` spelled as the e-graph spells floats (see the module docstring)."""
    if p.kind != APP:
        return p
    out = EPat(APP)
    out.head_kind, out.head, out.params, out.rest = p.head_kind, p.head, p.params, p.rest
    out.args = [_canonical(a) for a in p.args]
    if p.head_kind != HEAD_OP or p.rest is not None:
        return out
    args = out.args
    if _is(out, SUB) and len(args) == 2:
        return _canonical(_app(ADD, [args[0], _negate(args[1])]))
    if _is(out, NEG) and len(args) == 1:
        return _canonical(_negate(args[0]))
    if _is(out, DIV) and len(args) == 2:
        return _canonical(_app(MUL, [args[0], _app(POW, [args[1], _num(-1)])]))
    if _is(out, SQR) and len(args) == 1:
        return _app(POW, [args[0], _num(2)])
    if _is(out, ADD) or _is(out, MUL):
        op = ADD if _is(out, ADD) else MUL
        flat: list[EPat] = []
        for a in args:
            flat.extend(a.args if _is(a, op) else [a])
        nums = [a.value for a in flat if a.kind == NUM and not isinstance(a.value, bool)]
        others = [a for a in flat if not (a.kind == NUM and not isinstance(a.value, bool))]
        if len(nums) >= 2 or (nums and nums[0] == (0 if op is ADD else 1)):
            value = sum(nums) if op is ADD else float(np.prod(nums))
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            nums = [] if value == (0 if op is ADD else 1) and others else [value]
        if op is MUL:
            # A repeated factor is a power, as in the e-graph's normal form of
            # products (``x * x`` is ``x**2`` there, see :mod:`.forms`).
            groups: dict[str, list[EPat]] = {}
            for a in others:
                groups.setdefault(repr(a), []).append(a)
            others = [g[0] if len(g) == 1 else _app(POW, [g[0], _num(len(g))])
                      for g in groups.values()]
        flat = [_num(v) for v in nums] + others
        if len(flat) == 1:
            return flat[0]
        return _app(op, flat)
    return out


def _finish(p: EPat, top: bool) -> None:
    """Mark AC nodes, pick absorbers and order AC arguments (most constrained first)."""
    stack = [(p, top)]
    while stack:
        q, is_top = stack.pop()
        if q.kind != APP:
            continue
        q.ac = q.head_kind == HEAD_OP and any(q.head is op for op in AC_OPS)
        if q.ac:
            # Constants first (a cheap test that rules out most e-nodes), then
            # operations, then variables (which match anything).
            q.args.sort(key=lambda a: (a.kind == VAR, a.kind == APP))
            if not is_top and q.rest is None:
                var_pos = [i for i, a in enumerate(q.args) if a.kind == VAR]
                q.absorber = var_pos[-1] if var_pos else None
        stack.extend((a, False) for a in q.args)


def compile_epatterns(lhs: Any) -> list[EPat]:
    """The e-patterns of a rule's ``lhs``: its canonical spelling, and the pattern as
    written when that differs.  Raises :class:`Unsupported` for other terms."""
    raw = _compile(lhs)
    if raw.kind != APP:
        raise Unsupported(f"a pattern must be an operation, not {lhs!r}")
    canon = _canonical(raw)
    out = []
    if canon.kind == APP:
        _finish(canon, True)
        out.append(canon)
    if repr(canon) != repr(raw):
        _finish(raw, True)
        out.append(raw)
    return out


def _ac_key(p: EPat) -> Any:
    """``p`` up to associativity and commutativity of ``add``/``mul`` (a ``cons`` tail
    of a sum or product is one more argument of it)."""
    memo: dict[int, Any] = {}
    stack = [(p, False)]
    while stack:
        q, done = stack.pop()
        if q.kind != APP:
            memo[id(q)] = (q.kind, repr(q.value))
            continue
        if not done:
            stack.append((q, True))
            stack.extend((a, False) for a in q.args)
            continue
        head = q.head if q.head_kind != HEAD_PARAMS else (q.head, repr(q.params))
        items = [memo[id(a)] for a in q.args]
        if q.ac:
            if q.rest is not None:
                items.append((VAR, repr(q.rest)))
            flat = []
            for a, key in zip([*q.args, None], items):
                if a is not None and a.kind == APP and a.head is q.head and a.ac:
                    flat.extend(key[1])
                else:
                    flat.append(key)
            memo[id(q)] = (head, tuple(sorted(flat, key=repr)))
        else:
            memo[id(q)] = (head, tuple(items), repr(q.rest))
    return memo[id(p)]


def respells_only(lhs: Any, rhs: Any) -> bool:
    """Whether the rule ``lhs -> rhs`` only respells its input: both sides are the same
    term in the e-graph's canonical spelling, up to regrouping sums and products
    (``a + -b -> a - b``, ``-1 * rest -> -(rest)``).  Under saturation such a rule adds
    nothing but sub-sums and sub-products (extraction spells results naturally)."""
    try:
        lp, rp = compile_epatterns(lhs)[0], compile_epatterns(rhs)[0]
    except Unsupported:
        return False
    return _ac_key(lp) == _ac_key(rp)


def pattern_vars(p: EPat) -> tuple[set, set]:
    """``(term variables, other variables)`` of a compiled pattern: the first are bound
    to e-classes, the second to ops, op parameters or cons tails."""
    terms, others = set(), set()
    stack = [p]
    while stack:
        q = stack.pop()
        if q.kind == VAR:
            terms.add(q.value)
        elif q.kind == APP:
            if q.head_kind == HEAD_VAR:
                others.add(q.head)
            if q.params:
                pstack = list(q.params)
                while pstack:
                    x = pstack.pop()
                    if isvar(x):
                        others.add(x)
                    elif isinstance(x, ExpressionTuple):
                        pstack.extend(list(x)[1:])
            if q.rest is not None:
                others.add(q.rest)
            stack.extend(q.args)
    return terms, others


# Matching ----------------------------------------------------------------------------

class Match:
    """One match: the class, the bindings, the AC remainder and the matched e-nodes."""

    __slots__ = ("cid", "bindings", "remainder", "node", "nodes")

    def __init__(self, cid: int, bindings: dict, remainder: tuple, node: tuple,
                 nodes: dict):
        self.cid = cid
        self.bindings = bindings
        self.remainder = remainder
        self.node = node
        self.nodes = nodes


def _same_binding(eg: EGraph, a: Any, b: Any) -> bool:
    if type(a) is int and type(b) is int:
        return eg.find(a) == eg.find(b)
    if type(a) is Bag and type(b) is Bag:
        return a.op is b.op and sorted(map(eg.find, a.kids)) == sorted(map(eg.find, b.kids))
    if type(a) is Rest and type(b) is Rest:
        return [eg.find(k) for k in a] == [eg.find(k) for k in b]
    return _same(a, b)


def _head_bindings(p: EPat, head: Any, b: dict) -> dict | None:
    hk = p.head_kind
    if not isinstance(head, Op):
        return None
    if hk == HEAD_OP:
        ph = p.head
        return b if (head is ph or (hash(head) == hash(ph) and head == ph)) else None
    if hk == HEAD_PARAMS:
        if type(head) is not p.head:
            return None
        params = op_params(head)
        if params is None or len(params) != len(p.params):
            return None
        nb = dict(b)
        return nb if _match_params(p.params, params, nb) else None
    prev = b.get(p.head)
    if prev is None:
        nb = dict(b)
        nb[p.head] = head
        return nb
    return b if _same(prev, head) else None


_NEEDED: dict[int, tuple] = {}


def _needed_heads(p: EPat) -> frozenset:
    """The fixed ops of pattern ``p`` (cached per pattern object)."""
    hit = _NEEDED.get(id(p))
    if hit is not None and hit[0] is p:
        return hit[1]
    need = set()
    stack = [p]
    while stack:
        q = stack.pop()
        if q.kind == APP:
            if q.head_kind == HEAD_OP:
                need.add(q.head)
            stack.extend(q.args)
    out = frozenset(need)
    if len(_NEEDED) > 50_000:
        _NEEDED.clear()
    _NEEDED[id(p)] = (p, out)
    return out


class Matcher:
    """Finds every match of compiled patterns in one (rebuilt) e-graph."""

    def __init__(self, eg: EGraph):
        self.eg = eg
        self.by_head: dict[Any, list[int]] = {}
        self.by_type: dict[type, list[int]] = {}
        for cid, cls in eg.classes.items():
            heads = {n[0] for n in cls.nodes}
            for h in heads:
                if isinstance(h, Op):
                    self.by_head.setdefault(h, []).append(cid)
            for t in {type(h) for h in heads if isinstance(h, Op)}:
                self.by_type.setdefault(t, []).append(cid)
        #: ``{op: classes with an e-node of that op}``: a sub-pattern ``f(...)`` is not
        #: tried on a class without an ``f`` (most classes of a big sum are not ``dot``s).
        self.head_sets = {h: frozenset(cids) for h, cids in self.by_head.items()}

    def possible(self, p: EPat) -> bool:
        """Whether every op ``p`` names is in the e-graph (else it cannot match)."""
        need = _needed_heads(p)
        return all(h in self.head_sets for h in need)

    def candidates(self, p: EPat) -> list[int]:
        if p.head_kind == HEAD_OP:
            return self.by_head.get(p.head, [])
        if p.head_kind == HEAD_PARAMS:
            return self.by_type.get(p.head, [])
        return [cid for cid, cls in self.eg.classes.items()
                if any(isinstance(n[0], Op) for n in cls.nodes)]

    def search(self, p: EPat, limit: int | None = None,
               deadline: float = float("inf")) -> list[Match]:
        """All matches of top-level pattern ``p`` (at most ``limit``; those found by
        ``deadline``, a ``time.perf_counter()`` value, if it passes)."""
        out: list[Match] = []
        if not self.possible(p):
            return out
        for n, cid in enumerate(self.candidates(p)):
            if n % 32 == 31 and time.perf_counter() > deadline:
                return out
            for m in self.match_class(p, cid):
                out.append(m)
                if limit is not None and len(out) >= limit:
                    return out
        return out

    def match_class(self, p: EPat, cid: int) -> Iterator[Match]:
        eg = self.eg
        cls = eg.classes[eg.find(cid)]
        for node in list(cls.nodes):
            b = _head_bindings(p, node[0], {})
            if b is None:
                continue
            nodes = {id(p): node}
            if p.ac and p.rest is None and eg.is_ac(node):
                kids = node[1:]
                if len(kids) < len(p.args):
                    continue
                budget = [AC_BUDGET]
                for b1, used, nodes1 in self._assign(p.args, kids, frozenset(), b, nodes,
                                                     budget):
                    rem = tuple(k for i, k in enumerate(kids) if i not in used)
                    yield Match(cls.id, b1, rem, node, nodes1)
            else:
                for b1, nodes1 in self._args(p, node, b, nodes):
                    yield Match(cls.id, b1, (), node, nodes1)

    def _match(self, p: EPat, cid: int, b: dict, nodes: dict) -> Iterator[tuple[dict, dict]]:
        eg = self.eg
        kind = p.kind
        if kind == VAR:
            prev = b.get(p.value)
            if prev is None:
                nb = dict(b)
                nb[p.value] = eg.find(cid)
                yield nb, nodes
            elif _same_binding(eg, prev, cid):
                yield b, nodes
            return
        if kind == NUM:
            c = eg.const_of(cid)
            if c is not None and constant_equals(c, p.value):
                yield b, nodes
            return
        if kind == CONST:
            c = eg.const_of(cid)
            if c is not None and _same(c, p.value):
                yield b, nodes
            return
        if kind == GVAR:
            if eg.lookup_var(p.value) == eg.find(cid):
                yield b, nodes
            return
        cid = eg.find(cid)
        if p.head_kind == HEAD_OP and cid not in self.head_sets.get(p.head, ()):
            return
        cls = eg.classes[cid]
        for node in list(cls.nodes):
            b1 = _head_bindings(p, node[0], b)
            if b1 is None:
                continue
            n1 = dict(nodes)
            n1[id(p)] = node
            yield from self._args(p, node, b1, n1)

    def _args(self, p: EPat, node: tuple, b: dict, nodes: dict) -> Iterator[tuple[dict, dict]]:
        kids = node[1:]
        n = len(p.args)
        eg = self.eg
        if p.ac and eg.is_ac(node):
            if p.rest is not None:
                if len(kids) < n:
                    return
                for b1, used, n1 in self._assign(p.args, kids, frozenset(), b, nodes,
                                                 [AC_BUDGET]):
                    rem = Rest(k for i, k in enumerate(kids) if i not in used)
                    prev = b1.get(p.rest)
                    if prev is None:
                        b2 = dict(b1)
                        b2[p.rest] = rem
                        yield b2, n1
                    elif _same_binding(eg, prev, rem):
                        yield b1, n1
                return
            if len(kids) == n:
                for b1, _, n1 in self._assign(p.args, kids, frozenset(), b, nodes,
                                              [AC_BUDGET]):
                    yield b1, n1
                return
            if len(kids) < n or p.absorber is None:
                return
            absorber = p.args[p.absorber]
            if absorber.value in b:
                return
            fixed = [a for i, a in enumerate(p.args) if i != p.absorber]
            for b1, used, n1 in self._assign(fixed, kids, frozenset(), b, nodes, [AC_BUDGET]):
                rem = tuple(k for i, k in enumerate(kids) if i not in used)
                if absorber.value in b1:
                    continue
                b2 = dict(b1)
                b2[absorber.value] = Bag(node[0], rem)
                yield b2, n1
            return
        if p.rest is None:
            if len(kids) != n:
                return
        elif len(kids) < n:
            return
        yield from self._seq(p.args, kids[:n], 0, b, nodes, p, kids[n:])

    def _seq(self, pats: list, kids: tuple, i: int, b: dict, nodes: dict, p: EPat,
             tail: tuple) -> Iterator[tuple[dict, dict]]:
        if i == len(pats):
            if p.rest is None:
                yield b, nodes
                return
            rest = Rest(tail)
            prev = b.get(p.rest)
            if prev is None:
                b2 = dict(b)
                b2[p.rest] = rest
                yield b2, nodes
            elif _same_binding(self.eg, prev, rest):
                yield b, nodes
            return
        for b1, n1 in self._match(pats[i], kids[i], b, nodes):
            yield from self._seq(pats, kids, i + 1, b1, n1, p, tail)

    def _assign(self, pats: list, kids: tuple, used: frozenset, b: dict, nodes: dict,
                budget: list) -> Iterator[tuple[dict, frozenset, dict]]:
        """Injective assignments of ``pats`` to children, in any order."""
        if not pats:
            yield b, used, nodes
            return
        p = pats[0]
        tried = set()
        for i, k in enumerate(kids):
            if i in used or k in tried:
                continue
            budget[0] -= 1
            if budget[0] < 0:
                return
            tried.add(k)
            for b1, n1 in self._match(p, k, b, nodes):
                yield from self._assign(pats[1:], kids, used | {i}, b1, n1, budget)
