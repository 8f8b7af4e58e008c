"""Collecting like terms of a sum and like factors of a product (normal-form steps).

``2*x + 3*x`` is ``5*x``, ``x * x`` is ``x ** 2``, keeping NumPy's values at the
edges: the sign of a zero sum, and of ``x ** k`` at ``x = -0.0`` and ``-inf``.
Used by :mod:`aesara_cas.rewriting.normal_form`; each function takes the node's
output and inputs and returns the collected form, or ``None`` when nothing collects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.rewriting.context import n_clients
from aesara_cas.rewriting.terms import (
    add_of,
    edge_signs,
    inputs_if,
    is_float,
    mul_of,
    never_negative,
    ops_equal,
    plus_zero,
    power_edge_verdict,
    scalar_constant,
    split_coefficient,
    uniform_constant,
    wrap_to_dtype,
)
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.elemwise import as_operands
from aesara_cas.tensor.variable import constant


def is_const(v: Any) -> bool:
    return isinstance(v, Constant)


def is_value(v: Any, number: Any) -> bool:
    """Whether ``v`` is a (non-boolean) constant all of whose elements equal ``number``."""
    c = uniform_constant(v)
    return c is not None and not isinstance(c, bool) and c == number


def _merges_into(arg: Variable, op: Any, out: Variable) -> bool:
    """Whether ``arg`` is an ``op`` node that flattening would merge into ``out`` (then
    collecting waits for the flat form)."""
    return (inputs_if(arg, op) is not None and arg.dtype == out.dtype
            and n_clients(arg) in (None, 1))


def collect_terms(out: Variable, ins: Sequence[Variable]) -> Any:
    """``x + x -> 2*x``, ``2*x + 3*x -> 5*x``, ``x - x -> 0`` (a +0.0 zero for floats)."""
    if any(_merges_into(i, E.add, out) for i in ins):
        return None
    groups: dict[tuple, list] = {}
    for term in ins:
        coef, body = split_coefficient(term)
        key = tuple(map(id, body)) if body else ("constant", id(term))
        if not body:
            coef, body = 1, (term,)
        if key in groups:
            g = groups[key]
            g[0] += coef
            g[2] += 1
            g[4].append(coef > 0)
            if coef == 1 and g[1] is None:
                g[1] = term
        else:
            groups[key] = [coef, term if coef == 1 else None, 1, body, [coef > 0]]
    if len(groups) == len(ins):
        return None
    terms = []
    # x + y - y and 2*x - x give +0.0 at x = -0.0 in NumPy (two terms of opposite signs
    # always sum to a +0.0 zero); the collected sum keeps that with a +0.0 term.
    mixed = any(len(set(g[4])) > 1 for g in groups.values())
    for coef, whole, _, body, _signs in groups.values():
        if coef == 0:
            continue
        if coef == 1:
            terms.append(whole if whole is not None else mul_of(body, canonical=True))
        elif coef == -1:
            terms.append(E.neg(whole if whole is not None else mul_of(body, canonical=True)))
        else:
            if np.dtype(out.dtype).kind in "iu":
                # Integer coefficients wrap as NumPy's arithmetic does (2**62*x + 2**62*x).
                coef = wrap_to_dtype(coef, out.dtype)
                if coef == 0:
                    continue
            # as_operands gives the coefficient NumPy's weak-scalar dtype.
            terms.append(mul_of(as_operands((coef, *body)), canonical=True))
    if mixed and is_float(out):
        if not terms:
            return constant(np.zeros((), dtype=out.dtype))
        return add_of([plus_zero(add_of(terms, canonical=True))], canonical=True)
    return add_of(terms, canonical=True)


def _base_exponent(f: Variable) -> tuple[Variable, Any]:
    node = f.owner
    if node is None:  # an input or a constant (the common case: no op to compare)
        return f, 1
    op, ins = node.op, node.inputs
    if ops_equal(op, E.pow):
        e = scalar_constant(ins[1])
        if e is not None and not isinstance(e, bool):
            return ins[0], e
    elif ops_equal(op, E.sqr):
        return ins[0], 2
    elif ops_equal(op, E.sqrt):
        return ins[0], 0.5
    return f, 1


def collect_powers(out: Variable, ins: Sequence[Variable]) -> Any:
    """``x * x -> x**2``, ``x**a * x**b -> x**(a+b)``, ``x * x**-1 -> 1`` (floats of one
    dtype; the signs at -0.0 and -inf kept)."""
    # Only factors other than constants and exp(...) collect: with fewer than two of
    # them (a coefficient times a term, the common case) nothing can.
    candidates = 0
    for f in ins:
        if not isinstance(f, Constant):
            node = f.owner
            if node is None or not (node.op is E.exp or ops_equal(node.op, E.exp)):
                candidates += 1
    if candidates < 2:
        return None
    if not is_float(out) or any(_merges_into(i, E.mul, out) for i in ins):
        return None
    if any(i.dtype != out.dtype for i in ins):
        return None
    groups: dict[int, list] = {}
    order = []
    for f in ins:
        if is_const(f) or inputs_if(f, E.exp) is not None:
            order.append(("keep", f))
            continue
        base, e = _base_exponent(f)
        if id(base) in groups:
            groups[id(base)][1] += e
            groups[id(base)][2] += 1
            groups[id(base)][3].append(f)
        else:
            groups[id(base)] = [base, e, 1, [f]]
            order.append(("group", id(base)))
    if all(g[2] == 1 for g in groups.values()):
        return None
    for g in groups.values():
        if g[2] > 1 and not never_negative(g[0]):
            _keep_edge_signs(g)
    if all(g[2] == 1 for g in groups.values()):
        return None
    factors = []
    for kind, item in order:
        if kind == "keep":
            factors.append(item)
            continue
        base, e, count, originals = groups[item]
        if count == 1:
            factors.extend(originals)
            continue
        if e == 0:
            continue
        factors.append(base if e == 1 else E.pow(base, e))
    return mul_of(factors, canonical=True)


def _written_vs_collected(written: list, e: Any) -> str:
    """``"same"`` if ``x ** e`` has the signs at -0.0 and -inf of the product of
    ``x ** k`` for ``k`` in ``written`` (where that is not NaN), ``"abs"`` if
    ``abs(x) ** e`` has them, else ``"keep"``."""
    at_zero, at_inf = False, False
    for k in written:
        z, i = edge_signs(k)
        at_zero ^= z
        at_inf = None if at_inf is None or i is None else at_inf ^ i
    return power_edge_verdict(at_zero, at_inf, e)


def _keep_edge_signs(group: list) -> None:
    """Make a collected group ``[base, e, count, factors]`` keep NumPy's signs at
    ``base = -0.0`` and ``-inf``: it becomes ``abs(base) ** e`` or stays as written
    when ``base ** e`` would change them."""
    base, e, _, factors = group
    verdict = _written_vs_collected([_base_exponent(f)[1] for f in factors], e)
    if verdict == "abs":
        group[0] = E.abs(base)
    elif verdict == "keep":
        group[2] = 1
