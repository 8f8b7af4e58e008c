"""Graph views and series used by :mod:`aesara_cas.rules.cancellation`.

The views recognise a computation whatever spelling canonicalisation gave it:
``a - b`` as ``sub(a, b)``, ``add(a, neg(b))`` or ``add(a, -k)``; ``a + c`` as
any n-ary ``add`` containing ``a``; ``b*b`` as ``sqr(b)``, ``mul(b, b)`` or
``b ** 2``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
from etuples import etuple

from aesara_cas import tensor as at
from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.rewriting.context import current_graph
from aesara_cas.rewriting.rule import Rule, fresh, rule
from aesara_cas.rewriting.terms import (
    add_of,
    inputs_if,
    negated_constant,
    ops_equal,
    scalar_constant,
)


def const_value(v: Any) -> float | None:
    """The value of a zero-dimensional numeric constant, else ``None``."""
    c = scalar_constant(v)
    if c is None or isinstance(c, (bool, np.bool_)):
        return None
    return float(c)


def is_const(v: Any, value: float) -> bool:
    return const_value(v) == value


def negate(v: Variable) -> Variable:
    """``-v``, folded when ``v`` is a constant."""
    if isinstance(v, Constant) and const_value(v) is not None:
        return negated_constant(v)
    return at.neg(v)


def difference(v: Variable) -> tuple[Variable, Variable] | None:
    """``(a, b)`` if ``v`` computes ``a - b``.

    Recognises ``sub(a, b)``, a two-term ``add`` with a ``neg`` term, and a
    two-term ``add`` with a negative constant term (``add(-1, y)`` is ``y - 1``).
    """
    ins = inputs_if(v, at.sub)
    if ins is not None:
        return ins[0], ins[1]
    ins = inputs_if(v, at.add)
    if ins is None or len(ins) != 2:
        return None
    for i in (0, 1):
        negated = negation(ins[1 - i])
        if negated is not None:
            return ins[i], negated
    for i in (0, 1):
        c = const_value(ins[1 - i])
        if c is not None and c < 0:
            return ins[i], negate(ins[1 - i])
    return None


def shift(s: Variable, a: Variable) -> Variable | None:
    """``c`` such that ``s`` computes ``a + c``, or ``None``.

    ``s`` may be an n-ary ``add`` with ``a`` among its terms, ``sub(a, d)``
    (``c = -d``); ``a`` may be a constant, matched by value.
    """
    value = const_value(a)

    def same(t: Variable) -> bool:
        return t is a or (value is not None and const_value(t) == value)

    ins = inputs_if(s, at.add)
    if ins is not None:
        for i, term in enumerate(ins):
            if same(term):
                return add_of(ins[:i] + ins[i + 1:])
    ins = inputs_if(s, at.sub)
    if ins is not None and same(ins[0]):
        return negate(ins[1])
    return None


def square_base(t: Variable) -> Variable | None:
    """``b`` if ``t`` computes ``b * b`` (``sqr(b)``, ``mul(b, b)`` or ``b ** 2``)."""
    ins = inputs_if(t, at.sqr)
    if ins is not None:
        return ins[0]
    ins = inputs_if(t, at.mul)
    if ins is not None and len(ins) == 2 and ins[0] is ins[1]:
        return ins[0]
    ins = inputs_if(t, at.pow)
    if ins is not None and const_value(ins[1]) == 2:
        return ins[0]
    return None


def sqrt_arg(t: Variable) -> Variable | None:
    """``u`` if ``t`` computes ``sqrt(u)`` (``sqrt(u)`` or ``u ** 0.5``)."""
    ins = inputs_if(t, at.sqrt)
    if ins is not None:
        return ins[0]
    ins = inputs_if(t, at.pow)
    if ins is not None and const_value(ins[1]) == 0.5:
        return ins[0]
    return None


def reciprocal_of(t: Variable) -> Variable | None:
    """``u`` if ``t`` computes ``1 / u`` (``true_div(1, u)`` or ``u ** -1``)."""
    ins = inputs_if(t, at.true_div)
    if ins is not None and const_value(ins[0]) == 1:
        return ins[1]
    ins = inputs_if(t, at.pow)
    if ins is not None and const_value(ins[1]) == -1:
        return ins[0]
    return None


def quotient(t: Variable) -> tuple[Variable, Variable] | None:
    """``(p, q)`` if ``t`` computes ``p / q`` (``true_div(p, q)`` or ``mul(p, q ** -1)``)."""
    ins = inputs_if(t, at.true_div)
    if ins is not None:
        return ins[0], ins[1]
    ins = inputs_if(t, at.mul)
    if ins is not None and len(ins) == 2:
        for i in (0, 1):
            q = reciprocal_of(ins[1 - i])
            if q is not None:
                return ins[i], q
    return None


def negation(t: Variable) -> Variable | None:
    """``u`` if ``t`` computes ``-u`` (``neg(u)`` or ``mul(-1, u)``)."""
    ins = inputs_if(t, at.neg)
    if ins is not None:
        return ins[0]
    ins = inputs_if(t, at.mul)
    if ins is not None and len(ins) == 2:
        for i in (0, 1):
            if const_value(ins[i]) == -1:
                return ins[1 - i]
    return None


def split_square(s: Variable, base: Variable | None = None) -> tuple[Variable, Variable] | None:
    """``(b, e)`` if ``s`` computes ``b*b + e`` (a term of an ``add``, or ``b*b - d``);
    with ``base`` given, only ``b is base`` counts."""
    ins = inputs_if(s, at.add)
    if ins is not None:
        for i, term in enumerate(ins):
            b = square_base(term)
            if b is not None and (base is None or b is base):
                return b, add_of(ins[:i] + ins[i + 1:])
    pair = difference(s)
    if pair is not None:
        b = square_base(pair[0])
        if b is not None and (base is None or b is base):
            return b, negate(pair[1])
    return None


def root_of_square_sum(r: Variable, b: Variable) -> tuple[Variable, Variable | None] | None:
    """``(e, w)`` if ``r`` computes ``sqrt(b*b + e)``: ``w`` is ``None`` for a ``sqrt``;
    for ``hypot(b, w)``, ``e = w*w`` and ``w`` is given so ``e`` can be avoided."""
    u = sqrt_arg(r)
    if u is not None:
        split = split_square(u, b)
        return None if split is None else (split[1], None)
    ins = inputs_if(r, at.hypot)
    if ins is not None:
        for i in (0, 1):
            if ins[i] is b:
                return at.sqr(ins[1 - i]), ins[1 - i]
    return None


def find_node(op: Any, inputs: tuple) -> Variable | None:
    """The output of the node ``op(*inputs)`` in the graph being rewritten, if any."""
    fg = current_graph()
    if fg is None or not inputs:
        return None
    # Scan the uses of the least used input; compare inputs (identity) before ops
    # (op equality compares props, which is slower).
    clients = min((fg.clients.get(i, ()) for i in inputs), key=len)
    for client, _ in clients:
        if client != "output" and len(client.inputs) == len(inputs) and all(
                u is w for u, w in zip(client.inputs, inputs)) and client.op == op:
            return client.outputs[0]
    return None


def guarded(v: Variable | None) -> bool:
    """Whether ``v`` is already the fallback (``else``) branch of a ``switch`` in the
    graph being rewritten: a rule that keeps the original expression as that branch
    must not fire on it again."""
    fg = current_graph()
    if fg is None or v is None:
        return False
    return any(client != "output" and client.op == at.switch and i == 2
               for client, i in fg.clients.get(v, ()))


def has_client(v: Variable, op: Any) -> bool:
    """Whether some node of the graph being rewritten applies ``op`` to ``v``."""
    fg = current_graph()
    if fg is None:
        return False
    return any(client != "output" and client.op == op for client, _ in fg.clients.get(v, ()))


def only_used_by(v: Variable | None, ops: tuple) -> bool:
    """Whether every use of ``v`` in the graph being rewritten is an output or a node
    applying one of ``ops`` (``True`` outside the engine)."""
    fg = current_graph()
    if fg is None or v is None:
        return True
    return all(client == "output" or client.op in ops for client, _ in fg.clients.get(v, ()))


def is_float(*vs: Variable) -> bool:
    return all(isinstance(v, Variable) and v.dtype.startswith("float") for v in vs)


# ---------------------------------------------------------------- series


def series(coef, threshold: float, tol: float = 2.0 ** -60) -> list[float]:
    """``[c_0, c_1, ...]`` of ``x**3 * sum(c_k x**(2k))``, stopping at the first term
    below ``tol`` times the leading one for every ``|x| < threshold``."""
    out: list[float] = []
    first = abs(coef(0))
    k = 0
    while True:
        c = coef(k)
        out.append(float(c))
        if abs(c) * threshold ** (2 * k) < tol * first:
            return out
        k += 1


def odd_series(x: Variable, coeffs: list[float]) -> Variable:
    """``x**3 * (c0 + c1 x**2 + ...)`` by Horner's rule in ``x**2``."""
    x2 = at.sqr(x)
    acc: Any = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = acc * x2 + c
    return x * x2 * acc


@functools.cache
def tangent_numbers(n: int) -> tuple[int, ...]:
    """``(T_1, T_3, ..., T_(2n-1))``, the tangent numbers: ``tan x = sum T_k x**k / k!``.

    Integer-only (Brent & Harvey's recurrence), so it is exact and costs microseconds;
    Bernoulli numbers as fractions would cost tens of milliseconds at import time.
    """
    t = [0, 1] + [0] * (n - 1)
    for k in range(2, n + 1):
        t[k] = (k - 1) * t[k - 1]
    for k in range(2, n + 1):
        for j in range(k, n + 1):
            t[j] = (j - k) * t[j - 1] + (j - k + 2) * t[j]
    return tuple(t[1:])


def tan_coefficient(k: int) -> Fraction:
    """The coefficient of ``x**(2k+3)`` in ``tan x``: ``T_(2k+3) / (2k+3)!``."""
    m = k + 2
    return Fraction(tangent_numbers(max(m, 64))[m - 1], math.factorial(2 * m - 1))


# ---------------------------------------------------------------- registering rules


class Registry:
    """Collects a module's rules: ``build`` functions become :func:`rule` objects.

    A ``build`` gets the matched node's inputs (or, for ``on_difference``, the
    ``a`` and ``b`` of ``a - b``) and returns the replacement or ``None``.  No rule
    fires on a node that is the fallback branch of a ``switch`` (:func:`guarded`).
    """

    def __init__(self) -> None:
        self.rules: list[Rule] = []

    def register(self, name: str, heads: tuple, nin: int, build: Callable, doc: str) -> None:
        """``build(head, *inputs)`` as one rule matching a node of any op in ``heads``
        (``nin`` inputs): the ops are spellings of one operation (``sub`` and ``add``
        for a difference), so the rule is one object with one input pattern per op."""
        args = fresh(nin, prefix=name)

        def rhs(bindings) -> Any:
            ins = tuple(bindings[a] for a in args)
            owner = getattr(bindings.term, "owner", None)
            for head in heads:
                if owner is not None and ops_equal(owner.op, head):
                    break
            else:
                return None
            if guarded(find_node(head, ins)):
                return None
            return build(head, *ins)

        patterns = [etuple(head, *args) for head in heads]
        self.rules.append(rule(patterns[0], rhs, name=name, doc=doc, also=patterns[1:]))

    def on_difference(self, name: str, doc: str, with_node: bool = False) -> Callable:
        """Decorator: ``build(a, b)`` on every float node computing ``a - b``
        (``build(a, b, v)`` with ``with_node``: ``v`` the node's output in the graph being
        rewritten, or ``None`` outside the engine)."""

        def deco(build: Callable) -> Callable:
            def from_node(head, p, q):
                v = find_node(head, (p, q))
                if head == at.sub:
                    pair = (p, q)
                else:
                    pair = difference(v if v is not None else at.add(p, q))
                if pair is None or not is_float(*pair):
                    return None
                return build(*pair, v) if with_node else build(*pair)

            self.register(name, (at.sub, at.add), 2, from_node, doc)
            return build

        return deco

    def on_quotient(self, name: str, doc: str) -> Callable:
        """Decorator: ``build(p, q)`` on every node computing ``p / q``."""

        def deco(build: Callable) -> Callable:
            def from_node(head, u, w):
                if head == at.true_div:
                    return build(u, w)
                v = find_node(head, (u, w))
                pair = quotient(v if v is not None else at.mul(u, w))
                return None if pair is None else build(*pair)

            self.register(name, (at.true_div, at.mul), 2, from_node, doc)
            return build

        return deco

    def on_op(self, name: str, head: Any, nin: int, doc: str) -> Callable:
        """Decorator: ``build(*inputs)`` on every node of ``head``."""

        def deco(build: Callable) -> Callable:
            self.register(name, (head,), nin, lambda _h, *ins: build(*ins), doc)
            return build

        return deco


def input_of(v: Variable, op: Any) -> Variable | None:
    """The (first) input of ``v``'s node if that node applies ``op``."""
    node = v.owner
    if node is None or node.op != op:
        return None
    return node.inputs[0]
