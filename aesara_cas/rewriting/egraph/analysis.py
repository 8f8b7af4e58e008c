"""E-class analyses: what is known about the value of every expression in a class.

Each e-class carries

* its **type** (dtype and static shape; every e-node of a class has the same type:
  the e-graph refuses a union of two classes of different types);
* its **constant value**, when one of its e-nodes is a constant or every input of
  one of its e-nodes is (constant folding, egg's canonical analysis);
* **facts**: an interval ``lo <= value <= hi`` and whether the value is known to be
  non-zero, for every element (NaN aside: facts describe the values that are not NaN).

Facts are computed from each e-node's inputs and *joined* (intersected) when two
classes merge, since both describe the same values.  Bounds are snapped outwards to
a few landmarks (``-inf, -MAX, -1, 0, 1, MAX, inf``), a finite lattice, so joining
and propagating always terminates.

Rule guards read facts through :func:`facts`, which works on any graph variable:
during saturation it answers from the e-graph's analysis of the variable's class;
otherwise it computes facts from the variable's own graph (a bounded walk).  So a
guard such as ``where=lambda b: facts(b[x]).positive`` works in both engines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Constant, Variable

INF = math.inf
FMAX = float(np.finfo(np.float64).max)
#: The landmarks bounds are snapped to (outwards).
LANDMARKS = (-INF, -FMAX, -1.0, 0.0, 1.0, FMAX, INF)
#: How many nodes :func:`facts` looks at below a variable outside saturation.
LOCAL_DEPTH_NODES = 64


def _snap_lo(v: float) -> float:
    if math.isnan(v):
        return -INF
    for mark in reversed(LANDMARKS):
        if mark <= v:
            return mark
    return -INF


def _snap_hi(v: float) -> float:
    if math.isnan(v):
        return INF
    for mark in LANDMARKS:
        if mark >= v:
            return mark
    return INF


class Facts:
    """``lo <= value <= hi`` for every (non-NaN) element; ``nonzero``: no element is 0."""

    __slots__ = ("lo", "hi", "nonzero")

    def __init__(self, lo: float = -INF, hi: float = INF, nonzero: bool = False):
        self.lo = _snap_lo(float(lo))
        self.hi = _snap_hi(float(hi))
        self.nonzero = bool(nonzero) or self.lo > 0 or self.hi < 0

    @property
    def positive(self) -> bool:
        """Every element is > 0."""
        return self.lo >= 0 and self.nonzero

    @property
    def negative(self) -> bool:
        """Every element is < 0."""
        return self.hi <= 0 and self.nonzero

    @property
    def nonnegative(self) -> bool:
        return self.lo >= 0

    @property
    def finite(self) -> bool:
        """Every (non-NaN) element is finite."""
        return self.lo > -INF and self.hi < INF

    def join(self, other: Facts) -> Facts:
        """What is known when both hold (the intersection)."""
        return Facts(max(self.lo, other.lo), min(self.hi, other.hi),
                     self.nonzero or other.nonzero)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Facts) and self.lo == other.lo and self.hi == other.hi
                and self.nonzero == other.nonzero)

    def __hash__(self) -> int:
        return hash((self.lo, self.hi, self.nonzero))

    def __repr__(self) -> str:
        nz = ", nonzero" if self.nonzero else ""
        return f"Facts([{self.lo}, {self.hi}]{nz})"


ANY = Facts()


def facts_of_value(value: Any) -> Facts:
    """The facts of a constant array."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf" or arr.size == 0:
        return ANY
    with np.errstate(all="ignore"):
        a = arr.astype(np.float64)
        finite = a[~np.isnan(a)]
    if finite.size == 0:
        return ANY
    return Facts(float(finite.min()), float(finite.max()), bool(np.all(finite != 0)))


def facts_of_type(dtype: str) -> Facts:
    """What the dtype alone says (unsigned and boolean values are >= 0)."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return Facts(0.0, 1.0)
    if kind == "u":
        return Facts(0.0, INF)
    return ANY


def _mul_iv(a: Facts, b: Facts) -> tuple[float, float]:
    with np.errstate(all="ignore"):
        prods = []
        for x in (a.lo, a.hi):
            for y in (b.lo, b.hi):
                p = x * y
                prods.append(0.0 if math.isnan(p) else p)
    return min(prods), max(prods)


def _monotone(f, a: Facts, lo_dom: float = -INF) -> tuple[float, float]:
    with np.errstate(all="ignore"):
        lo = float(f(max(a.lo, lo_dom)))
        hi = float(f(a.hi))
    return lo, hi


def node_facts(name: str, ins: Sequence[Facts], const_exponent: Any = None) -> Facts:
    """The facts of an element-wise op ``name`` applied to inputs with facts ``ins``."""
    if name == "add":
        lo = sum(f.lo for f in ins)
        hi = sum(f.hi for f in ins)
        nz = all(f.lo >= 0 for f in ins) and any(f.positive for f in ins) or \
            all(f.hi <= 0 for f in ins) and any(f.negative for f in ins)
        return Facts(-INF if math.isnan(lo) else lo, INF if math.isnan(hi) else hi, nz)
    if name == "mul":
        acc = ins[0]
        for f in ins[1:]:
            lo, hi = _mul_iv(acc, f)
            acc = Facts(lo, hi, acc.nonzero and f.nonzero)
        return acc
    if len(ins) == 1:
        return _unary_facts(name, ins[0])
    if name == "pow" and const_exponent is not None:
        return _pow_facts(ins[0], const_exponent)
    if name == "pow":
        a = ins[0]
        return Facts(0.0, INF, a.nonzero and a.finite) if a.positive else ANY
    if name in ("maximum", "minimum"):
        a, b = ins
        if name == "maximum":
            return Facts(max(a.lo, b.lo), max(a.hi, b.hi), a.positive or b.positive)
        return Facts(min(a.lo, b.lo), min(a.hi, b.hi), a.negative or b.negative)
    if name == "hypot":
        return Facts(0.0, INF, ins[0].nonzero or ins[1].nonzero)
    if name in ("lt", "le", "gt", "ge", "eq", "neq"):
        return Facts(0.0, 1.0)
    return ANY


def _unary_facts(name: str, a: Facts) -> Facts:
    if name == "exp":
        lo, hi = _monotone(np.exp, a)
        return Facts(lo, hi, True)
    if name == "expm1":
        lo, hi = _monotone(np.expm1, a)
        return Facts(lo, hi, a.nonzero)
    if name in ("log", "log2", "log10"):
        if a.lo <= 0:
            return Facts(-INF, INF if a.hi >= 1 else 0.0)
        fn = {"log": np.log, "log2": np.log2, "log10": np.log10}[name]
        lo, hi = _monotone(fn, a)
        return Facts(lo, hi)
    if name == "log1p":
        lo, hi = _monotone(np.log1p, a, -1.0)
        return Facts(lo, hi, a.nonzero and a.lo > -1)
    if name == "sqrt":
        lo, hi = _monotone(np.sqrt, a, 0.0)
        return Facts(lo, hi, a.positive)
    if name == "cbrt":
        # Increasing and odd: bounds map through, the sign and non-zeroness are kept.
        lo, hi = _monotone(np.cbrt, a)
        return Facts(lo, hi, a.nonzero)
    if name in ("sqr", "abs"):
        m = max(abs(a.lo), abs(a.hi))
        low = 0.0 if a.lo <= 0 <= a.hi else min(abs(a.lo), abs(a.hi))
        hi = m * m if name == "sqr" else m
        return Facts(low * low if name == "sqr" else low, hi, a.nonzero)
    if name == "neg":
        return Facts(-a.hi, -a.lo, a.nonzero)
    if name in ("sin", "cos"):
        return Facts(-1.0, 1.0)
    if name in ("tanh", "erf", "sinh", "arcsinh", "arctan"):
        # Odd, increasing functions: the sign is kept (tanh and erf stay in [-1, 1]).
        bound = 1.0 if name in ("tanh", "erf") else INF
        return Facts(0.0 if a.lo >= 0 else -bound, 0.0 if a.hi <= 0 else bound, a.nonzero)
    if name == "cosh":
        return Facts(1.0, INF, True)
    if name in ("sigmoid", "erfc"):
        return Facts(0.0, 2.0 if name == "erfc" else 1.0, a.finite)
    if name == "softplus":
        return Facts(0.0, INF if a.hi > 0 else 1.0, a.lo > -INF)
    if name == "log1mexp":
        return Facts(-INF, 0.0, a.hi < 0)
    if name == "sign":
        return Facts(-1.0, 1.0, a.nonzero)
    if name in ("floor", "ceil"):
        return Facts(a.lo - 1 if a.lo > -INF else -INF, a.hi + 1 if a.hi < INF else INF)
    if name in ("isnan", "isinf", "invert"):
        return Facts(0.0, 1.0) if name != "invert" else ANY
    return ANY


def _pow_facts(a: Facts, e: Any) -> Facts:
    try:
        e = float(e)
    except (TypeError, ValueError):
        return ANY
    if e == 0:
        return Facts(1.0, 1.0, True)
    if e.is_integer() and e % 2 == 0:
        sq = _unary_facts("sqr", a)
        return Facts(0.0, INF if sq.hi > 1 or e < 0 else sq.hi, a.nonzero and (e > 0 or a.finite))
    if a.positive:
        return Facts(0.0, INF, True if e > 0 else a.finite)
    if a.nonnegative:
        return Facts(0.0, INF, False)
    if e.is_integer():
        return Facts(-INF, INF, a.nonzero and (e > 0 or a.finite))
    return ANY


# Facts of graph variables --------------------------------------------------------

_ACTIVE: list[Any] = []  # the e-graphs whose analyses facts() consults (innermost last)


def facts(v: Any) -> Facts:
    """What is known about the values of graph variable ``v`` (or a number).

    During equality saturation the e-graph's analysis of ``v``'s e-class answers
    (it knows every equal form of ``v``); otherwise the facts are computed from
    ``v``'s graph, a few dozen nodes deep.
    """
    if not isinstance(v, Variable):
        try:
            return facts_of_value(np.asarray(v))
        except (TypeError, ValueError):
            return ANY
    for eg in reversed(_ACTIVE):
        cid = eg.lookup_var(v)
        if cid is not None:
            return eg.facts_of(cid)
    return _local_facts(v)


def _local_facts(v: Variable) -> Facts:
    """Facts of ``v`` from its own graph: a bounded, iterative bottom-up walk."""
    from aesara_cas.tensor.elemwise import Elemwise

    order: list[Variable] = []
    seen: set[int] = set()
    stack = [v]
    while stack and len(order) < LOCAL_DEPTH_NODES:
        u = stack.pop()
        if id(u) in seen:
            continue
        seen.add(id(u))
        order.append(u)
        if u.owner is not None:
            stack.extend(u.owner.inputs)
    known: dict[int, Facts] = {}
    for u in reversed(order):
        dtype = getattr(u, "dtype", None)
        base = facts_of_type(dtype) if dtype is not None else ANY
        if isinstance(u, Constant):
            known[id(u)] = facts_of_value(u.data)
            continue
        node = u.owner
        if node is None or not isinstance(node.op, Elemwise) or len(node.outputs) != 1:
            known[id(u)] = base
            continue
        ins = [known.get(id(i), ANY) for i in node.inputs]
        name = node.op.scalar_op.name
        exponent = None
        if name == "pow" and isinstance(node.inputs[1], Constant):
            data = np.asarray(node.inputs[1].data)
            if data.size == 1:
                exponent = data.item()
        known[id(u)] = base.join(node_facts(name, ins, exponent))
    return known.get(id(v), ANY)


# Guards for rules (read facts; usable in ``where=``) -------------------------------

def positive(v: Any) -> bool:
    """Every element of ``v`` is known to be > 0."""
    return facts(v).positive


def nonzero(v: Any) -> bool:
    """No element of ``v`` is known to be 0."""
    return facts(v).nonzero


def nonnegative(v: Any) -> bool:
    """Every element of ``v`` is known to be >= 0."""
    return facts(v).nonnegative


def finite(v: Any) -> bool:
    """Every (non-NaN) element of ``v`` is known to be finite."""
    return facts(v).finite


def is_float(v: Any) -> bool:
    """``v`` has a floating-point dtype."""
    dtype = getattr(v, "dtype", None)
    return dtype is not None and np.dtype(dtype).kind == "f"
