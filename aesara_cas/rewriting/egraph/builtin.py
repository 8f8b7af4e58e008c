"""Built-in rewrites of n-ary sums and products, run in every saturation iteration.

Because ``add``/``mul`` e-nodes are n-ary multisets, what a binary e-graph needs
rules for is done here, natively and without ever enumerating orders:

* ``sum_form`` and ``product_form``: every sum and product is also its normal form
  (:mod:`.forms`): nested sums and products flattened, like terms collected
  (``x + x`` is ``2*x``, ``x - x`` is ``0``, ``x * x**-1`` is ``1``), constants
  folded; one form per e-node, never every partial regrouping;
* ``flatten`` (other dtypes, such as boolean sums): ``a + (b + c)`` is also
  ``a + b + c`` (at most :data:`MAX_FLAT` arguments);
* ``fold_constants``: ``2 + x + 3`` is also ``5 + x``;
* ``drop_neutral``: ``x + 0`` is ``x``, ``x * 1`` is ``x``;
* ``mul_zero``: ``x * 0`` is ``0`` (floats; ``x`` finite is assumed, as in the
  greedy ``mul_zero`` rule).

Each is found as a list of ``(class, build, name)`` actions; the runner applies
them with the rule matches of the same iteration.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from aesara_cas.rewriting.egraph.egraph import ADD, MUL, EGraph, ENode
from aesara_cas.rewriting.egraph.forms import Forms

#: Flattening stops at sums and products of this many arguments.
MAX_FLAT = 16

Action = tuple[int, Callable[[], int], str]


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
    forms = {ADD: Forms(eg, ADD), MUL: Forms(eg, MUL)}
    for cid, cls in eg.classes.items():
        if time.perf_counter() > deadline:
            break
        dtype = getattr(cls.type, "dtype", None)
        if dtype is None:
            continue
        numeric = dtype != "bool"
        normal = np.dtype(dtype).kind in "if"
        for node in cls.nodes:
            head = node[0]
            if (head is not ADD and head is not MUL) or not eg.is_ac(node):
                continue
            if normal:
                forms[head].node_action(cid, node, out, queued)
            else:
                _flatten(eg, cid, node, dtype, out, queued)
            if numeric:
                _fold_and_drop(eg, cid, node, out)
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
