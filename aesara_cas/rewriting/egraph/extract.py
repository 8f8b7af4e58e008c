"""Cost-based extraction: the cheapest expression of every e-class, as a graph.

The cost of an expression is the sum of the costs of its nodes (tree cost).  The
default table follows Herbie's spirit: arithmetic is cheap, division and ``sqrt``
dearer, powers and transcendental functions dear; the stable special functions
(``expm1``, ``log1p``, ``softplus``, ``log1mexp``, ``sigmoid``) cost about one
transcendental call, so they beat the unstable spellings they replace
(``exp(x) - 1`` costs ``exp`` plus an addition and a constant).

``cost=`` overrides it: a dict ``{op or op name or op class: cost}`` (an op's own
cost; its inputs' costs are added), or a function ``cost(info)`` of a
:class:`NodeInfo` returning the node's own cost (``None``: the default).

Extraction is greedy and bottom-up (exact for tree cost); ties are broken by a
structural key, never by e-class ids, so the result does not depend on the order
rules ran in.  Results are spelled naturally: ``x + -1*y`` becomes ``x - y``,
``x * y**-1`` becomes ``x / y``, ``-1*x`` becomes ``-x``.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Constant, Op, Variable
from aesara_cas.rewriting.egraph.egraph import (
    ADD,
    MUL,
    POW,
    ConstHead,
    EGraph,
    ENode,
    Leaf,
    scalar_name,
)
from aesara_cas.rewriting.terms import canonical_order
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import DimShuffle
from aesara_cas.tensor.variable import TensorConstant

#: Own cost of each element-wise op, by scalar name.
OP_COSTS: dict[str, float] = {
    **dict.fromkeys(["add", "sub", "mul", "neg", "abs", "sqr", "maximum", "minimum", "lt",
                     "le", "gt", "ge", "eq", "neq", "and_", "or_", "invert", "switch",
                     "floor", "ceil", "sign", "isnan", "isinf"], 1.0),
    **dict.fromkeys(["true_div", "int_div", "mod", "clip"], 2.0),
    "sqrt": 4.0, "hypot": 6.0, "pow": 8.0,
    **dict.fromkeys(["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin",
                     "cos", "tan", "cbrt"], 10.0),
    **dict.fromkeys(["arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh",
                     "sigmoid", "softplus", "log1mexp", "erf", "erfc"], 12.0),
    **dict.fromkeys(["arcsinh", "arccosh", "arctanh"], 14.0),
}
#: Costs are compared as integers in units of 1 / COST_SCALE.
COST_SCALE = 1000
LEAF_COST = 1.0
CONST_COST = 0.5
OTHER_COST = 2.0
#: Own cost of ``x ** c`` for constant exponents that are cheap to compute.
POW_CONST_COSTS = {2.0: 1.0, -1.0: 2.0, 0.5: 4.0, 3.0: 2.0, -2.0: 3.0}


class NodeInfo:
    """What a ``cost`` function sees of one e-node.

    Attributes
    ----------
    op
        The op (``None`` for a graph input or a constant).
    inputs
        The types of its inputs.
    type
        Its output type.
    value
        The constant's value (a NumPy array) for a constant, else ``None``.
    default
        The built-in cost of the node.
    """

    __slots__ = ("op", "inputs", "type", "value", "default")

    def __init__(self, op, inputs, type_, value, default):
        self.op, self.inputs, self.type, self.value, self.default = \
            op, inputs, type_, value, default


class CostModel:
    """Own cost of e-nodes: the default table, optionally overridden by ``cost``."""

    def __init__(self, cost: Mapping | Callable | None = None):
        if cost is not None and not (callable(cost) or isinstance(cost, Mapping)):
            raise TypeError(f"cost must be a dict {{op: cost}} or a function of a node, "
                            f"got {cost!r}")
        self.table: dict = {}
        self.fn: Callable | None = None
        if isinstance(cost, Mapping):
            for k, v in cost.items():
                if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                    raise ValueError(f"cost: the cost of {k!r} must be a number >= 0, "
                                     f"got {v!r}")
                self.table[k] = float(v)
        elif cost is not None:
            self.fn = cost

    def default(self, eg: EGraph, node: ENode) -> float:
        head = node[0]
        if type(head) is Leaf:
            return LEAF_COST if head.cost is None else head.cost
        if type(head) is ConstHead:
            return CONST_COST
        name = scalar_name(head)
        if name is None:
            if isinstance(head, DimShuffle):
                return 0.5
            if isinstance(head, Reduce):
                return OTHER_COST
            return OTHER_COST
        if name in ("add", "mul"):
            return OP_COSTS[name] * max(1, len(node) - 2)
        if name == "pow":
            c = eg.const_of(node[2])
            if c is not None and np.asarray(c.data).size == 1:
                return POW_CONST_COSTS.get(float(np.asarray(c.data).item()), OP_COSTS["pow"])
        return OP_COSTS.get(name, OTHER_COST)

    def __call__(self, eg: EGraph, node: ENode) -> float:
        base = self.default(eg, node)
        head = node[0]
        if self.table:
            op = head if isinstance(head, Op) else None
            for key in (op, scalar_name(head), type(op) if op is not None else None):
                if key is None:
                    continue
                try:
                    hit = self.table.get(key)
                except TypeError:
                    hit = None
                if hit is not None:
                    if scalar_name(head) in ("add", "mul"):
                        return hit * max(1, len(node) - 2)
                    return hit
            return base
        if self.fn is not None:
            op = head if isinstance(head, Op) else None
            value = head.const.data if type(head) is ConstHead else None
            info = NodeInfo(op, [eg[c].type for c in node[1:]], eg[eg.memo.get(node, 0)].type
                            if node in eg.memo else None, value, base)
            out = self.fn(info)
            if out is None:
                return base
            if isinstance(out, bool) or not isinstance(out, (int, float, np.number)) or out < 0:
                raise ValueError(f"cost function returned {out!r} for {op}; expected a "
                                 "number >= 0")
            return float(out)
        return base


def graph_cost(var: Variable) -> float:
    """The default cost of ``var``'s graph, each node counted once (the cost of an
    opaque leaf standing for it)."""
    total = 0.0
    seen: set[int] = set()
    stack = [var]
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        node = v.owner
        if node is None:
            total += CONST_COST if isinstance(v, Constant) else LEAF_COST
            continue
        name = scalar_name(node.op)
        total += OP_COSTS.get(name, OTHER_COST) if name is not None else OTHER_COST
        stack.extend(node.inputs)
    return total


_HEAD_TOKENS: dict[Any, int] = {}
_MASK = (1 << 61) - 1


def _token(eg: EGraph, node: ENode, kid_tokens: list) -> int:
    """A structural tie-break key, the same in every process (no ``hash`` of strings)."""
    head = node[0]
    h = _HEAD_TOKENS.get(head)
    if h is None:
        if type(head) is Leaf:
            text = f"leaf:{head.var.name}:{head.var.id}"
        elif type(head) is ConstHead:
            text = f"const:{head.key[0]}:{head.key[1]!r}"
        else:
            text = f"op:{head}"
        h = zlib.crc32(text.encode()) + 1
        if len(_HEAD_TOKENS) > 100_000:
            _HEAD_TOKENS.clear()
        _HEAD_TOKENS[head] = h
    for t in kid_tokens:
        h = (h * 1_000_003 + t) & _MASK
    return h


class Extractor:
    """The cheapest e-node of every e-class of a (rebuilt) e-graph."""

    def __init__(self, eg: EGraph, cost: CostModel | None = None):
        self.eg = eg
        self.cost = cost if cost is not None else CostModel()
        #: class id -> (total cost, tie-break token, e-node)
        self.best: dict[int, tuple[float, int, ENode]] = {}
        self._vars: dict[int, Variable] = {}
        self._compute()

    def _compute(self) -> None:
        eg, best, cost = self.eg, self.best, self.cost
        find = eg.find
        # Costs are kept as exact integers (thousandths, plus one unit per node):
        # tree costs of shared graphs grow exponentially, and in floating point
        # ``c + 1.5 == c`` once c is large, which would let an e-node inside its own
        # class look as cheap as the class and make a cycle.
        own: dict[ENode, int] = {}
        queue = deque(eg.classes)
        queued = set(queue)
        while queue:
            cid = queue.popleft()
            queued.discard(cid)
            cls = eg.classes.get(cid)
            if cls is None:
                continue
            cur = best.get(cid)
            improved = False
            for node in cls.nodes:
                total = own.get(node)
                if total is None:
                    total = own[node] = int(round(cost(eg, node) * COST_SCALE)) + 1
                toks = []
                ok = True
                for k in node[1:]:
                    fk = find(k)
                    kb = best.get(fk)
                    if kb is None or fk == cid:
                        ok = False
                        break
                    total += kb[0]
                    toks.append(kb[1])
                if not ok:
                    continue
                cand = (total, _token(eg, node, toks), node)
                if cur is None or cand[:2] < cur[:2]:
                    cur = cand
                    improved = True
            if improved:
                best[cid] = cur
                for _, pcid in cls.parents:
                    r = find(pcid)
                    if r not in queued:
                        queued.add(r)
                        queue.append(r)

    def cost_of(self, cid: int) -> float:
        """The cost of the cheapest form of class ``cid`` (``inf`` beyond floats)."""
        total = self.best[self.eg.find(cid)][0]
        try:
            return total / COST_SCALE
        except OverflowError:
            return float("inf")

    def node_of(self, cid: int) -> ENode:
        return self.best[self.eg.find(cid)][2]

    # Building graphs ------------------------------------------------------------------

    def _deps(self, node: ENode) -> list[int]:
        """The classes whose variables assembling ``node`` needs."""
        eg = self.eg
        head = node[0]
        # The children themselves too: the literal form is the fallback when a
        # natural spelling does not have the class's exact type.
        if head is ADD and eg.is_ac(node):
            return [*node[1:], *(self._negated(k)[1] for k in node[1:])]
        if head is MUL and eg.is_ac(node):
            return [*node[1:], *(self._reciprocal(k)[1] for k in node[1:])]
        return list(node[1:])

    def _negated(self, cid: int) -> tuple[bool, int]:
        """``(True, t)`` when the best form of ``cid`` is ``-1 * t``."""
        node = self.node_of(cid)
        if node[0] is MUL and len(node) == 3:
            for c, t in ((node[1], node[2]), (node[2], node[1])):
                if _is_value(self.eg, c, -1):
                    return True, self.eg.find(t)
        return False, self.eg.find(cid)

    def _reciprocal(self, cid: int) -> tuple[bool, int]:
        """``(True, z)`` when the best form of ``cid`` is ``z ** -1``."""
        node = self.node_of(cid)
        if node[0] is POW and _is_value(self.eg, node[2], -1) and _float(self.eg, cid):
            return True, self.eg.find(node[1])
        return False, self.eg.find(cid)

    def variable(self, cid: int) -> Variable:
        """The cheapest expression of class ``cid`` as a graph variable."""
        cid = self.eg.find(cid)
        hit = self._vars.get(cid)
        if hit is not None:
            return hit
        stack = [(cid, False)]
        expanded: set[int] = set()
        while stack:
            c, ready = stack.pop()
            if c in self._vars:
                continue
            node = self.node_of(c)
            if not ready:
                if c in expanded:  # shared: already on its way (no exponential re-walks)
                    continue
                expanded.add(c)
                stack.append((c, True))
                deps = [self.eg.find(d) for d in self._deps(node)]
                stack.extend((d, False) for d in deps if d not in self._vars)
                continue
            self._vars[c] = self.assemble(c, node)
        return self._vars[cid]

    def assemble(self, cid: int, node: ENode, kid_var: Callable | None = None) -> Variable:
        """The graph of ``node`` (of class ``cid``) over its children's variables."""
        eg = self.eg
        kid_var = kid_var or self.variable
        head = node[0]
        want = eg[cid].type
        if type(head) is Leaf:
            out = head.var
        elif type(head) is ConstHead:
            out = head.const
        else:
            out = None
            if head is ADD and eg.is_ac(node):
                out = self._spell_sum(node, kid_var)
            elif head is MUL and eg.is_ac(node):
                out = self._spell_product(node, kid_var)
            elif head is POW and _is_value(eg, node[2], -1) and _float(eg, cid):
                out = E.true_div(E.as_operands((1, kid_var(node[1])))[0], kid_var(node[1]))
            if out is None or out.type != want:
                out = head.make_node(*[kid_var(k) for k in node[1:]]).outputs[0]
        eg.remember(out, cid)
        return out

    def _spell_sum(self, node: ENode, kid_var: Callable) -> Variable:
        eg = self.eg
        pos, neg = [], []
        for k in node[1:]:
            c = eg.const_of(k)
            if c is not None and _float(eg, k) and np.asarray(c.data).ndim == 0 \
                    and float(c.data) < 0:
                neg.append(TensorConstant(c.type, np.asarray(-c.data)))
                continue
            negated, t = self._negated(k) if _float(eg, k) else (False, k)
            if negated:
                neg.append(kid_var(t))
            else:
                pos.append(kid_var(k))
        pos = canonical_order(pos)
        neg = canonical_order(neg)
        if not pos:
            out = E.neg(neg.pop(0))
        elif len(pos) == 1:
            out = pos[0]
        else:
            out = E.add(*pos)
        for n in neg:
            out = E.sub(out, n)
        return out

    def _spell_product(self, node: ENode, kid_var: Callable) -> Variable:
        eg = self.eg
        num, den, negate = [], [], False
        for k in node[1:]:
            if not negate and _float(eg, k) and _is_value(eg, k, -1) and len(node) > 2:
                negate = True
                continue
            recip, z = self._reciprocal(k)
            if recip:
                den.append(kid_var(z))
            else:
                num.append(kid_var(k))
        num = canonical_order(num)
        out = None
        if len(num) == 1:
            out = num[0]
        elif num:
            out = E.mul(*num)
        if den:
            den = canonical_order(den)
            d = den[0] if len(den) == 1 else E.mul(*den)
            out = E.true_div(out if out is not None else E.as_operands((1, d))[0], d)
        if negate:
            out = E.neg(out) if out is not None else E.as_operands((-1,))[0]
        return out


def _is_value(eg: EGraph, cid: int, number: float) -> bool:
    c = eg.const_of(cid)
    if c is None:
        return False
    data = np.asarray(c.data)
    return data.dtype.kind in "iuf" and data.size >= 1 and bool(np.all(data == number))


def _float(eg: EGraph, cid: int) -> bool:
    dtype = getattr(eg[cid].type, "dtype", None)
    return dtype is not None and np.dtype(dtype).kind == "f"
