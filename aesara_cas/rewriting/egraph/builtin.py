"""Built-in rewrites of n-ary sums and products, run in every saturation iteration.

Because ``add``/``mul`` e-nodes are n-ary multisets, what a binary e-graph needs
rules for is done here, natively and without ever enumerating orders:

* ``sum_form``: every sum is also its *linear normal form*: nested sums flattened,
  constant multiples distributed (``-1*(a + -1*b)`` is ``-1*a + b``), like terms
  collected (``x + x`` is ``2*x``, ``a*x + b*x`` is ``(a+b)*x``, ``x - x`` is ``0``)
  and constants folded, at most :data:`MAX_FLAT` terms.  Only this one form is
  added per sum, not every partial regrouping: adding each one-level flattening and
  each pairwise collection made a class of a sum of n terms hold a node for every
  way of grouping them (thousands of e-nodes for ``x - ((x+z) - ((x+z) - x))``);
* ``flatten`` (products): ``a * (b * c)`` is also ``a * b * c`` (at most
  :data:`MAX_FLAT` arguments);
* ``fold_constants``: ``2 + x + 3`` is also ``5 + x``;
* ``drop_neutral``: ``x + 0`` is ``x``, ``x * 1`` is ``x``;
* ``mul_zero``: ``x * 0`` is ``0`` (floats; ``x`` finite is assumed, as in the
  greedy ``mul_zero`` rule);
* ``collect_powers``: ``x * x`` is ``x**2``, ``x**a * x**b`` is ``x**(a+b)``
  (floats; constant exponents; ``x * x**-1`` is ``1``, ``x != 0`` assumed as in
  the greedy ``mul_collect``).

Each is found as a list of ``(class, build, name)`` actions; the runner applies
them with the rule matches of the same iteration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from aesara_cas.rewriting.egraph.egraph import ADD, MUL, POW, EGraph, ENode, Leaf

#: Flattening stops at sums and products of this many arguments.
MAX_FLAT = 16

Action = tuple[int, Callable[[], int], str]


def _scalar_value(eg: EGraph, cid: int):
    c = eg.const_of(cid)
    if c is None:
        return None
    data = np.asarray(c.data)
    if data.ndim != 0 or data.dtype.kind not in "iuf":
        return None
    return data.item()


def _uniform(eg: EGraph, cid: int):
    c = eg.const_of(cid)
    if c is None:
        return None
    data = np.asarray(c.data)
    if data.size == 0 or data.dtype.kind not in "iuf":
        return None
    first = data.flat[0]
    return first.item() if bool(np.all(data == first)) else None


def _filled(eg: EGraph, cid: int, value) -> int | None:
    """A constant class of ``cid``'s type filled with ``value`` (static shapes only)."""
    t = eg[cid].type
    shape = getattr(t, "shape", None)
    if shape is None or any(s is None for s in shape):
        return None
    return eg.constant(np.full(shape, value, dtype=t.dtype), t.dtype, shape)


def _rebuilt(eg: EGraph, head, kids: list[int], cid: int, neutral) -> int | None:
    if not kids:
        return _filled(eg, cid, neutral)
    if len(kids) == 1:
        return kids[0]
    return eg.add_op(head, kids)


def builtin_actions(eg: EGraph, deadline: float = float("inf")) -> list[Action]:
    """The built-in rewrites that apply to the e-graph as it is now (those found by
    ``deadline``, a ``time.perf_counter()`` value, if it passes)."""
    out: list[Action] = []
    #: the flattened e-nodes already queued (most flattenings of a sum repeat others)
    queued: set = set()
    forms = SumForms(eg)
    for cid, cls in eg.classes.items():
        if time.perf_counter() > deadline:
            break
        dtype = getattr(cls.type, "dtype", None)
        if dtype is None:
            continue
        numeric = dtype != "bool"
        is_float = np.dtype(dtype).kind == "f"
        for node in cls.nodes:
            head = node[0]
            if (head is not ADD and head is not MUL) or not eg.is_ac(node):
                continue
            if head is ADD and numeric:
                forms.node_action(cid, node, out, queued)
            else:
                _flatten(eg, cid, node, dtype, out, queued)
            if not numeric:
                continue
            _fold_and_drop(eg, cid, node, out)
            if head is MUL and is_float:
                _collect(eg, cid, node, _powers, _make_power, out, "collect_powers")
    return out


def _flatten(eg: EGraph, cid: int, node: ENode, dtype: str, out: list,
             queued: set) -> None:
    head, kids = node[0], node[1:]
    seen = set()
    for i, k in enumerate(kids):
        if k in seen or k == cid or eg.const_of(k) is not None:
            continue  # a class inside itself, or a constant: nothing to flatten
        seen.add(k)
        kcls = eg[k]
        if getattr(kcls.type, "dtype", None) != dtype:
            continue
        neutral = 0 if head is ADD else 1
        for inner in kcls.nodes:
            if inner[0] is head and eg.is_ac(inner) and k not in inner[1:] and \
                    cid not in inner[1:] and \
                    not any(_uniform(eg, c) == neutral for c in inner[1:]):
                # (a node inside its own class, or with a neutral argument, would only
                # flatten into ever longer copies of itself)
                new = list(kids[:i]) + list(kids[i + 1:]) + list(inner[1:])
                if len(new) > MAX_FLAT:
                    continue
                key = eg.canon((head, *new))
                if key in queued or key in eg.memo:
                    continue  # already in the e-graph (or about to be): nothing to add
                queued.add(key)
                out.append((cid, lambda h=head, n=new: eg.add_op(h, n), "flatten"))


def _fold_and_drop(eg: EGraph, cid: int, node: ENode, out: list) -> None:
    head, kids = node[0], list(node[1:])
    neutral = 0 if head is ADD else 1
    consts = [k for k in kids if eg.const_of(k) is not None]
    if len(consts) >= 2:
        rest = [k for k in kids if eg.const_of(k) is None]

        def fold(h=head, cs=consts, rest=rest, cid=cid):
            folded = eg.add_op(h, cs)
            return _rebuilt(eg, h, [folded, *rest], cid, neutral)

        out.append((cid, fold, "fold_constants"))
    for i, k in enumerate(kids):
        value = _uniform(eg, k)
        if value is None:
            continue
        if value == neutral:
            rest = kids[:i] + kids[i + 1:]
            out.append((cid, lambda h=head, r=rest: _rebuilt(eg, h, r, cid, neutral),
                        "drop_neutral"))
        elif head is MUL and value == 0 and np.dtype(eg[cid].type.dtype).kind == "f":
            out.append((cid, lambda: _filled(eg, cid, 0), "mul_zero"))


def _powers(eg: EGraph, k: int) -> list[tuple[float, int]]:
    """``k`` as ``base ** exponent``: itself, and ``b ** c`` for constant exponents."""
    options = [(1, k)]
    for n in eg[k].nodes:
        if n[0] is POW:
            v = _scalar_value(eg, n[2])
            if v is not None and eg[n[1]].type == eg[k].type:
                options.append((v, eg.find(n[1])))
    return options


def _make_power(eg: EGraph, exp, base: int, like: int) -> int | None:
    if exp == 0:
        return None
    if exp == 1:
        return base
    return eg.add_op(POW, [base, eg.constant(exp, eg[like].type.dtype)])


def _collect(eg: EGraph, cid: int, node: ENode, split, make, out: list, name: str) -> None:
    head, kids = node[0], node[1:]
    neutral = 0 if head is ADD else 1
    options = [split(eg, k) for k in kids]
    done = set()
    for i in range(len(kids)):
        for j in range(i + 1, len(kids)):
            for ci, bi in options[i]:
                for cj, bj in options[j]:
                    if bi != bj or (i, j, bi) in done:
                        continue
                    done.add((i, j, bi))
                    rest = [k for n, k in enumerate(kids) if n not in (i, j)]
                    coef = ci + cj
                    if isinstance(coef, float) and coef.is_integer() and \
                            np.dtype(eg[cid].type.dtype).kind != "f":
                        coef = int(coef)

                    def build(c=coef, b=bi, like=kids[i], rest=rest):
                        term = make(eg, c, b, like)
                        items = rest if term is None else [term, *rest]
                        return _rebuilt(eg, head, items, cid, neutral)

                    out.append((cid, build, name))


# Linear normal forms of sums ---------------------------------------------------------

#: A linear form: ``({atom class: coefficient}, constant term)``.
Form = tuple[dict, object]
_ACTIVE = object()


class SumForms:
    """The linear normal form of sums, computed once per iteration.

    The *expansion* of a class is one linear form of it: a scalar constant is a
    constant term; a graph input is an atom; a class with a sum e-node expands that
    sum (the sum whose expansion has the fewest terms, so the most cancelled form is
    the one parents see); ``c * b`` (``c`` a scalar constant) is ``c`` times the expansion of ``b``;
    anything else is an atom.  A class met again while it is being expanded (a
    class that contains itself, ``x + 0`` in the class of ``x``) is an atom.
    Iterative: no recursion over the depth of the graph.
    """

    def __init__(self, eg: EGraph):
        self.eg = eg
        self.memo: dict[int, Any] = {}

    def _plan(self, cid: int) -> tuple:
        """``("const", v)``, ``("sums", [nodes])``, ``("scale", c, b)`` or ``("atom",)``."""
        eg = self.eg
        v = _scalar_value(eg, cid)
        if v is not None:
            return ("const", v)
        cls = eg.classes[cid]
        dtype = getattr(cls.type, "dtype", None)
        sums, scale = [], None
        for n in cls.nodes:
            if type(n[0]) is Leaf:
                return ("atom",)  # an input stays itself (not "s - z" once x = s - z)
            if n[0] is ADD and len(n) <= MAX_FLAT + 1 and eg.is_ac(n) and \
                    cid not in n[1:] and \
                    getattr(eg.classes[n[1]].type, "dtype", None) == dtype:
                sums.append(n)
            elif scale is None and n[0] is MUL and len(n) == 3:
                for c, b in ((n[1], n[2]), (n[2], n[1])):
                    k = _scalar_value(eg, c)
                    if k is not None and b != cid and eg.classes[b].type == cls.type:
                        scale = ("scale", k, b)
                        break
        if sums:
            return ("sums", sums)
        return scale if scale is not None else ("atom",)

    def expansion(self, root: int) -> Form:
        """The expansion of class ``root``."""
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
                    memo[cid] = ({cid: 1}, 0)
                    continue
                memo[cid] = _ACTIVE
                stack.append((cid, plan))
                kids = [plan[2]] if plan[0] == "scale" else \
                    [k for n in plan[1] for k in n[1:]]
                stack.extend((k, None) for k in kids if k not in memo)
                continue
            if plan[0] == "scale":
                form = _scaled(self._get(plan[2]), plan[1])
            else:
                form = min((self.node_form(n) for n in plan[1]),
                           key=lambda f: (len(f[0]), f[1] == 0))
            memo[cid] = form if len(form[0]) <= MAX_FLAT else ({cid: 1}, 0)
        return memo[root]

    def _get(self, cid: int) -> Form:
        f = self.memo.get(cid)
        if f is None or f is _ACTIVE:
            return ({cid: 1}, 0)  # being expanded: a cycle, so an atom here
        return f

    def node_form(self, node: ENode) -> Form:
        """The linear form of a sum e-node (its children's expansions added)."""
        terms: dict = {}
        const: Any = 0
        for k in node[1:]:
            kt, kc = self._get(k)
            const = const + kc
            for atom, coef in kt.items():
                terms[atom] = terms.get(atom, 0) + coef
        return terms, const

    def node_action(self, cid: int, node: ENode, out: list, queued: set) -> None:
        """Queue the union of ``cid`` with the normal form of its sum ``node``."""
        eg = self.eg
        if len(node) > MAX_FLAT + 1:
            return
        for k in node[1:]:
            if k not in self.memo:
                self.expansion(k)
        terms, const = self.node_form(node)
        if len(terms) > MAX_FLAT:
            return
        live = tuple(sorted((a, c) for a, c in terms.items() if c != 0))
        if not live and const == 0:
            # Everything cancelled: a zero of the sum's type.
            zero_of = tuple(sorted(a for a in terms if eg.classes[a].type == eg[cid].type))
            key = ("zero", cid)
        else:
            zero_of = ()
            key = (cid, live, const)
        if key in queued:
            return
        if _is_own_form(eg, node, live, const):
            return
        queued.add(key)
        out.append((cid, lambda: _build(eg, cid, live, const, zero_of), "sum_form"))


def _scaled(form: Form, k: Any) -> Form:
    terms, const = form
    return {a: c * k for a, c in terms.items()}, const * k


def _is_own_form(eg: EGraph, node: ENode, live: tuple, const: Any) -> bool:
    """Whether ``node`` is already spelled as its normal form (nothing to add)."""
    kids = node[1:]
    n_const = sum(1 for k in kids if _scalar_value(eg, k) is not None)
    if n_const > 1 or (n_const == 1 and const == 0) or (n_const == 0 and const != 0):
        return False
    if len(kids) != len(live) + n_const:
        return False
    for atom, coef in live:
        want = atom if coef == 1 else None
        if want is not None:
            if want not in kids:
                return False
            continue
        found = False
        for k in kids:
            for n in eg.classes[eg.find(k)].nodes:
                if n[0] is MUL and len(n) == 3 and atom in n[1:]:
                    other = n[1] if n[2] == atom else n[2]
                    if _scalar_value(eg, other) == coef:
                        found = True
                        break
            if found:
                break
        if not found:
            return False
    return True


def _build(eg: EGraph, cid: int, live: tuple, const: Any, zero_of: tuple) -> int | None:
    dtype = eg[cid].type.dtype
    if np.dtype(dtype).kind != "f":
        const = int(const) if float(const).is_integer() else const
    items = []
    for atom, coef in live:
        if np.dtype(dtype).kind != "f" and float(coef).is_integer():
            coef = int(coef)
        items.append(atom if coef == 1 else eg.add_op(MUL, [eg.constant(coef, dtype), atom]))
    if const != 0:
        items.append(eg.constant(const, dtype))
    if items:
        return items[0] if len(items) == 1 else eg.add_op(ADD, items)
    filled = _filled(eg, cid, 0)
    if filled is not None:
        return filled
    if zero_of:  # shape unknown: 0 * x has x's shape (x finite assumed, as mul_zero)
        return eg.add_op(MUL, [eg.constant(0, dtype), zero_of[0]])
    return None
