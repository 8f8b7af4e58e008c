"""Normal forms of sums and products, the built-in rewrites ``sum_form``/``product_form``.

A sum is a *linear form* ``c0 + c1*t1 + c2*t2 + ...`` over atom classes ``ti`` with
scalar constant coefficients; a product is ``c * t1**e1 * t2**e2 * ...``.  Every
``add``/``mul`` e-node is also its normal form: nested sums (products) flattened,
constant multiples (integer powers) distributed, like terms collected (``x + x`` is
``2*x``, ``x - x`` is ``0``, ``x * x`` is ``x**2``, ``x * x**-1`` is ``1``) and
constants folded.

Only this one form is added per e-node.  Adding every one-level flattening and every
pairwise collection instead made the class of a sum of n terms hold a node for each
way of grouping them: thousands of e-nodes for ``x - ((x + z) - ((x + z) - x))``.

The *expansion* of a class (what its parents see of it): a scalar constant is a
constant; a graph input is an atom; a class with ``add`` (``mul``) e-nodes expands
the one whose form has the fewest atoms (the most cancelled); ``c * b`` (``b ** k``,
floats, ``k`` an integer or ``b`` one atom) is ``b``'s expansion scaled (raised);
anything else, and a
class met again while it is being expanded (``x + 0`` in the class of ``x``), is an
atom.  Everything is iterative: no recursion over the depth of a graph.

Assumptions, as in the greedy ``add_collect``/``mul_collect``: ``x - x`` is ``0``
(``x`` finite) and ``x * x**-1`` is ``1`` (``x`` non-zero).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.rewriting.egraph.egraph import ADD, MUL, POW, EGraph, ENode, Leaf

#: Forms with more atoms than this are not built (the class is an atom instead).
MAX_ATOMS = 16

#: A form: ``({atom class: coefficient or exponent}, constant)``.
Form = tuple[dict, Any]
_ACTIVE = object()


def scalar_value(eg: EGraph, cid: int) -> Any:
    """The value of a scalar (0-d) numeric constant class, else ``None``."""
    c = eg.const_of(cid)
    if c is None:
        return None
    data = np.asarray(c.data)
    if data.ndim != 0 or data.dtype.kind not in "iuf":
        return None
    return data.item()


def _integer(v: Any) -> bool:
    return isinstance(v, (int, float)) and float(v).is_integer()


class Forms:
    """The normal forms of the sums (``head=ADD``) or products (``head=MUL``) of an
    e-graph, computed once per iteration."""

    def __init__(self, eg: EGraph, head: Any):
        self.eg = eg
        self.head = head
        self.sum = head is ADD
        self.unit = 0 if self.sum else 1
        self.memo: dict[int, Any] = {}

    # Expansions ---------------------------------------------------------------------

    def _plan(self, cid: int) -> tuple:
        """``("const", v)``, ``("nodes", [e-nodes])``, ``("scale", k, b)`` or ``("atom",)``."""
        eg = self.eg
        v = scalar_value(eg, cid)
        if v is not None:
            return ("const", v)
        cls = eg.classes[cid]
        dtype = getattr(cls.type, "dtype", None)
        is_float = dtype is not None and np.dtype(dtype).kind == "f"
        nodes, scale = [], None
        for n in cls.nodes:
            head = n[0]
            if type(head) is Leaf:
                return ("atom",)  # an input stays itself (not "s - z" once x = s - z)
            if head is self.head:
                if len(n) <= MAX_ATOMS + 1 and cid not in n[1:] and eg.is_ac(n) and \
                        getattr(eg.classes[n[1]].type, "dtype", None) == dtype:
                    nodes.append(n)
            elif scale is None and self.sum and head is MUL and len(n) == 3:
                for c, b in ((n[1], n[2]), (n[2], n[1])):
                    k = scalar_value(eg, c)
                    if k is not None and b != cid and eg.classes[b].type == cls.type:
                        scale = ("scale", k, b)
                        break
            elif scale is None and not self.sum and head is POW and is_float and \
                    n[1] != cid and eg.classes[n[1]].type == cls.type:
                k = scalar_value(eg, n[2])
                if k is not None and k != 0:
                    scale = ("scale", int(k) if _integer(k) else k, n[1])
        if nodes:
            return ("nodes", nodes)
        return scale if scale is not None else ("atom",)

    def expansion(self, root: int) -> Form:
        """The expansion of class ``root`` (see the module docstring)."""
        memo = self.memo
        hit = memo.get(root)
        if hit is not None and hit is not _ACTIVE:
            return hit
        stack: list[tuple[int, tuple | None]] = [(root, None)]
        while stack:
            cid, plan = stack.pop()
            if plan is None:
                if cid in memo:
                    continue
                plan = self._plan(cid)
                if plan[0] == "const":
                    memo[cid] = ({}, plan[1])
                    continue
                if plan[0] == "atom":
                    memo[cid] = ({cid: 1}, self.unit)
                    continue
                memo[cid] = _ACTIVE
                stack.append((cid, plan))
                kids = [plan[2]] if plan[0] == "scale" else [k for n in plan[1] for k in n[1:]]
                stack.extend((k, None) for k in kids if k not in memo)
                continue
            if plan[0] == "scale":
                form = self._scaled(self._get(plan[2]), plan[1])
            else:
                form = min((self.node_form(n) for n in plan[1]),
                           key=lambda f: (len(f[0]), f[1] == self.unit))
            ok = form is not None and len(form[0]) <= MAX_ATOMS
            memo[cid] = form if ok else ({cid: 1}, self.unit)
        return memo[root]

    def _scaled(self, form: Form, k: Any) -> Form | None:
        terms, const = form
        if self.sum:
            return {a: c * k for a, c in terms.items()}, const * k
        if not _integer(k):
            # (a * b)**k is a**k * b**k for integer k only; a power of one atom is
            # that atom with a real exponent (x**0.5 * x**0.5 is x).
            return ({a: e * k for a, e in terms.items()}, 1) \
                if const == 1 and len(terms) == 1 else None
        if const == 0 and k < 0:
            return None
        return {a: e * k for a, e in terms.items()}, const ** k

    def _get(self, cid: int) -> Form:
        f = self.memo.get(cid)
        if f is None or f is _ACTIVE:
            return ({cid: 1}, self.unit)  # being expanded: a cycle, so an atom here
        return f

    def node_form(self, node: ENode) -> Form:
        """The form of an ``add`` (``mul``) e-node: its children's expansions combined."""
        terms: dict = {}
        const = self.unit
        for k in node[1:]:
            kt, kc = self._get(k)
            const = const + kc if self.sum else const * kc
            for atom, c in kt.items():
                terms[atom] = terms.get(atom, 0) + c
        return terms, const

    # Actions --------------------------------------------------------------------------

    def node_action(self, cid: int, node: ENode, out: list, queued: set) -> None:
        """Queue the union of class ``cid`` with the normal form of its e-node ``node``."""
        eg = self.eg
        if len(node) > MAX_ATOMS + 1:
            return
        for k in node[1:]:
            if k not in self.memo:
                self.expansion(k)
        terms, const = self.node_form(node)
        if len(terms) > MAX_ATOMS or (not self.sum and const == 0):
            return  # (a product with a zero factor is mul_zero's)
        kind = np.dtype(eg.classes[cid].type.dtype).kind
        live = tuple(sorted((a, c) for a, c in terms.items() if c != 0))
        if kind != "f" and not all(_integer(c) and (self.sum or c > 0) for _, c in live):
            return  # integers: whole coefficients, and powers as repeated factors
        zero_of: tuple = ()
        if not live and const == self.unit and self.sum:
            # Everything cancelled: a zero of the sum's type (0 * the cancelled atoms,
            # whose sum has the broadcast shape of the input).
            zero_of = tuple(sorted(terms))
        key = (self.head, cid, live, const)
        if key in queued:
            return  # (a form already in the class makes an action that adds nothing)
        queued.add(key)
        name = "sum_form" if self.sum else "product_form"
        out.append((cid, lambda: self.build(cid, live, const, zero_of), name))

    def build(self, cid: int, live: tuple, const: Any, zero_of: tuple) -> int | None:
        """Add the normal form ``live``/``const`` of class ``cid``; its class."""
        eg = self.eg
        t = eg[cid].type
        dtype = t.dtype
        is_float = np.dtype(dtype).kind == "f"
        if not is_float and _integer(const):
            const = int(const)
        items: list[int] = []
        for atom, c in live:
            if not is_float and _integer(c):
                c = int(c)
            if c == 1:
                items.append(atom)
            elif self.sum:
                items.append(eg.add_op(MUL, [eg.constant(c, dtype), atom]))
            elif is_float:
                items.append(eg.add_op(POW, [atom, eg.constant(c, dtype)]))
            else:
                items.extend([atom] * c)
        if const != self.unit or not items:
            if not items and zero_of:
                filled = _filled(eg, cid, 0)
                if filled is not None:
                    return filled
                return eg.add_op(MUL, [eg.constant(0, dtype), *zero_of[:1]]) \
                    if len(zero_of) == 1 else \
                    eg.add_op(MUL, [eg.constant(0, dtype), eg.add_op(ADD, list(zero_of))])
            if not items:
                filled = _filled(eg, cid, const)
                if filled is not None:
                    return filled
                c = eg.constant(const, dtype)
                return c if eg[c].type == t else None
            items.append(eg.constant(const, dtype))
        if len(items) > MAX_ATOMS:
            return None
        return items[0] if len(items) == 1 else eg.add_op(self.head, items)


def _filled(eg: EGraph, cid: int, value: Any) -> int | None:
    """A constant class of ``cid``'s type filled with ``value`` (static shapes only)."""
    t = eg[cid].type
    shape = getattr(t, "shape", None)
    if shape is None or any(s is None for s in shape):
        return None
    return eg.constant(np.full(shape, value, dtype=t.dtype), t.dtype, shape)
