"""The engine's normal form of sums and products: one rewriter, its steps in order.

Every other rule matches against this form, so it is the engine's own, not a rule
of a set (``python -m aesara_cas.rules`` does not count it):

* ``x - y`` is ``x + -y``; ``x / y`` (floats of one dtype) is ``x * y ** -1``;
* a sum or product is flat (``(a + b) + c`` is ``a + b + c`` when ``a + b`` has no
  other use and the same dtype), its constants combined into one, its neutral
  elements dropped (``0`` and ``1``, keeping NumPy's sign of zero), ``x * 0`` is
  ``0`` where the zero's sign is known, its arguments in canonical order, and like
  terms collected (``2*x + 3*x`` is ``5*x``, ``x * x`` is ``x ** 2``).

:data:`NORMAL_FORM` applies these steps to a node in that order and stops at the
first that rewrites it, so the result is that of the steps run as separate rules one
after another; but a node already in normal form (nearly every node the engine
meets) is answered by one call that does a few cheap checks, not by a dozen rules
that each match it and build their output to throw it away.  A trace names the step
that fired (``add_order``, ``mul_collect``, ...), and ``exclude=`` accepts the step
names as it does rule names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from unification import unify
from unification.utils import transitive_get as walk

from aesara_cas.graph.basic import Apply, Constant, Variable, next_id
from aesara_cas.rewriting.collect import collect_powers, collect_terms, is_value
from aesara_cas.rewriting.context import KEPT_BY, n_clients
from aesara_cas.rewriting.replacement import keep_shape, materialize
from aesara_cas.rewriting.rewriter import NodeRewriter
from aesara_cas.rewriting.terms import (
    add_of,
    canonical_order,
    constant_zero_sign,
    inputs_if,
    is_float,
    key_less,
    mul_of,
    never_negative,
    never_negative_zero,
    ops_equal,
    order_token,
    reorderable,
)
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.elemwise import output_dtype
from aesara_cas.tensor.shape import Alloc
from aesara_cas.tensor.variable import constant

#: Flattening stops when a sum or product would get more arguments than this.
MAX_ARITY = 32

#: A step: ``(out, ins) -> replacement`` (a variable, a number, or ``None``: no change).
StepFn = Callable[[Variable, Sequence[Variable]], Any]


def _flattenable(arg: Variable, op: Any, out: Variable) -> bool:
    """Whether ``arg`` is an ``op`` node that may be merged into its user ``out``."""
    return (inputs_if(arg, op) is not None and arg.dtype == out.dtype
            and n_clients(arg) in (None, 1))


def _build(op: Any, items: list) -> Any:
    """``op`` (``add``/``mul``) of ``items``, in canonical order when that is exact."""
    return (add_of if op is E.add else mul_of)(items, canonical=True)


def _build_like(op: Any, items: list, out: Variable) -> Any:
    """``_build(op, items)`` where that is a node of ``out``'s own type: every item has
    ``out``'s dtype and shape (a flattened sum of terms of one type, the common case).
    Then the result's type is known, so it is made directly, without the type inference
    of ``make_node`` (which a long sum would repeat over every partial sum's terms)."""
    otype = out.type
    dtype, shape = otype.dtype, otype.shape
    if len(items) < 2 or output_dtype(op.scalar_op, (dtype, dtype)) != dtype:
        return _build(op, items)
    for i in items:
        t = i.type
        if t is not otype and (t.dtype != dtype or t.shape != shape):
            return _build(op, items)
    # Same dtypes: reorderable, and the broadcast of equal shapes is that shape.  The
    # terms of a flattened normal form are mostly in order already: checked first.
    if not _in_order(items):
        items = canonical_order(items)
    return Apply(op, items, [otype]).outputs[0]


def _flatten(op: Any) -> StepFn:
    def flatten(out, ins):
        # Nothing to splice (the common case): no input is an ``op`` node.  The terms of
        # a sum mostly share one op (``mul``): an op just found unequal is not compared again.
        other = None
        for arg in ins:
            owner = arg.owner
            if owner is None or owner.op is other:
                continue
            if owner.op is op or ops_equal(owner.op, op):
                break
            other = owner.op
        else:
            return None
        flat, changed = [], False
        for i, arg in enumerate(ins):
            inner = inputs_if(arg, op)
            if (inner is not None and _flattenable(arg, op, out)
                    and len(flat) + len(inner) + len(ins) - i - 1 <= MAX_ARITY):
                flat.extend(inner)
                changed = True
            else:
                flat.append(arg)
        return _build_like(op, flat, out) if changed else None

    return flatten


def _combine_constants(op: Any) -> StepFn:
    def combine(out, ins):
        consts = [i for i in ins if isinstance(i, Constant)]
        if len(consts) < 2 or len(consts) == len(ins) or not reorderable(ins):
            return None
        rest = [i for i in ins if not isinstance(i, Constant)]
        value = op.scalar_op.compute(*[c.data for c in consts])
        return _build(op, [constant(value), *rest])

    return combine


def _may_be_constant(ins: Sequence[Variable]) -> bool:
    """Whether an argument is a constant or a broadcast one (the only kinds that can be a
    neutral or absorbing element); a cheap test before the value is looked at."""
    for i in ins:
        if isinstance(i, Constant):
            return True
        node = i.owner
        if node is not None and isinstance(node.op, Alloc):
            return True
    return False


def _drop_ones(out, ins):
    if not _may_be_constant(ins):
        return None
    rest = [i for i in ins if not is_value(i, 1)]
    if len(rest) == len(ins) or not rest:
        return None
    return _build(E.mul, rest)


def _drop_zeros(out, ins):
    """x + 0 -> x, keeping NumPy's sign of zero: -0.0 + 0.0 is +0.0, so a +0.0 term is
    dropped only if the other terms can never all be -0.0 (a -0.0 term always goes)."""
    signs = [_zero_sign(i) if isinstance(i, Constant) else None for i in ins]
    rest = [i for i, z in zip(ins, signs) if z is None]
    if len(rest) == len(ins) or not rest:
        return None
    zeros = [i for i, z in zip(ins, signs) if z is not None]
    if is_float(out) and not any(never_negative_zero(i) for i in rest):
        positive = [z for z in zeros if _zero_sign(z) != -1]
        if not positive:
            return _build(E.add, rest)
        if len(zeros) == 1:
            return None
        rest = [positive[0], *rest]  # one +0.0 keeps a zero sum +0.0
    return _build(E.add, rest)


def _mul_zero(out, ins):
    """x * 0 -> 0.  For floats only when the sign of the zero is known: all the other
    factors are never negative (NumPy's -1.0 * 0.0 is -0.0)."""
    if not _may_be_constant(ins) or not any(is_value(i, 0) for i in ins):
        return None
    signs = [_zero_sign(i) for i in ins]
    if not is_float(out):
        return 0
    if 0 in signs or not all(z is not None or never_negative(i) for i, z in zip(ins, signs)):
        return None
    negative = sum(1 for z in signs if z == -1) % 2
    return constant(np.asarray(-0.0 if negative else 0.0, dtype=out.dtype))


def _in_order(ins: Sequence[Variable]) -> bool:
    """Whether ``ins`` are sorted by :func:`order_key` (as ``canonical_order`` sorts)."""
    prev = order_token(ins[0])
    for k in range(1, len(ins)):
        tok = ins[k].tag.get("_order_token")  # order_token(ins[k]), inlined: it is hot
        if tok is None:
            tok = order_token(ins[k])
        if tok < prev:
            return False
        if tok == prev:
            # Tied nodes (c1 * f, c2 * g): their first inputs' tokens (known once an
            # order was checked) usually decide, as in key_less, here without a call.
            a, b = ins[k - 1].owner, ins[k].owner
            if a is not None and b is not None and a.inputs and b.inputs:
                ta = a.inputs[0].tag.get("_order_token")
                tb = b.inputs[0].tag.get("_order_token")
                if ta is not None and tb is not None and ta != tb:
                    if tb < ta:
                        return False
                    continue
            if key_less(ins[k], ins[k - 1]):
                return False
        prev = tok
    return True


def _zero_sign(v: Variable) -> int | None:
    """``constant_zero_sign(v)``, cached on a constant (its value never changes)."""
    if not isinstance(v, Constant):
        return None
    tag = v.tag
    if "_zero_sign" in tag:
        return tag["_zero_sign"]
    sign = tag["_zero_sign"] = constant_zero_sign(v)
    return sign


def _order(op: Any) -> StepFn:
    def order(out, ins):
        # With mixed dtypes the left-to-right evaluation order decides where
        # promotion happens; only two arguments commute exactly then.
        dtype = out.dtype
        same = True
        for i in ins:
            if i.dtype != dtype:
                same = False
                break
        if not same and len(ins) > 2:
            return None
        # Already sorted (the common case): no sort, no new node.  An order key starts
        # with a token of the argument itself (its op, or a constant's value), which
        # usually decides; the whole key (a walk of the sub-graph) only on a tie.
        if _in_order(ins):
            return None
        # Distinct first tokens decide the order alone; whole keys only for ties.
        tokens = [order_token(i) for i in ins]
        if len(set(tokens)) == len(tokens):
            ordered = sorted(ins, key=order_token)
        else:
            ordered = canonical_order(ins)
        if same:
            # A permutation of same-dtype arguments has the node's own type (the
            # broadcast shape does not depend on the order): no type inference.
            return Apply(op, ordered, [out.type]).outputs[0]
        return op(*ordered)

    return order


def _sub_to_add(out, ins):
    x, y = ins
    return add_of([x, E.neg(y)], canonical=True)


def _div_to_mul(out, ins):
    x, y = ins
    if not (is_float(out) and x.dtype == out.dtype == y.dtype):
        return None
    return mul_of([x, E.pow(y, -1)], canonical=True)


#: The steps of each op, in the order they are tried: ``(name, step, identity)``.
STEPS: dict[Any, list[tuple[str, StepFn, str]]] = {
    E.sub: [
        ("sub_to_add", _sub_to_add, "x - y -> x + -y, for all x, y"),
    ],
    E.add: [
        ("add_flatten", _flatten(E.add),
         "(a + b) + c -> a + b + c when a + b has no other use and the same dtype"),
        ("add_constants", _combine_constants(E.add),
         "2 + x + 3 -> 5 + x: the constants of a sum combined into one"),
        ("add_zero", _drop_zeros,
         "x + 0 -> x (0 may be an array of zeros; the shape is kept).  Floats: x + -0.0 -> x "
         "always; x + 0.0 -> x only where x is never -0.0 (-0.0 + 0.0 is 0.0)"),
        ("add_order", _order(E.add),
         "y + x -> x + y: arguments in canonical order (constants, inputs by name, then "
         "expressions)"),
        ("add_collect", collect_terms,
         "x + x -> 2*x, 2*x + 3*x -> 5*x, x - x -> 0: like terms collected"),
    ],
    E.true_div: [
        ("div_to_mul", _div_to_mul, "x / y -> x * y**-1 for floats of one dtype"),
    ],
    E.mul: [
        ("mul_flatten", _flatten(E.mul),
         "(a * b) * c -> a * b * c when a * b has no other use and the same dtype"),
        ("mul_constants", _combine_constants(E.mul),
         "2 * x * 3 -> 6 * x: the constants of a product combined into one"),
        ("mul_one", _drop_ones, "x * 1 -> x (1 may be an array of ones; the shape is kept)"),
        ("mul_zero", _mul_zero,
         "x * 0 -> 0, for finite x (convention: assumed, not proved).  Floats: only where "
         "the sign of the zero is known (the other factors never negative); x * 0.0 stays, "
         "as it is -0.0 for negative x"),
        ("mul_order", _order(E.mul),
         "y * x -> x * y: arguments in canonical order (constants, inputs by name, then "
         "expressions)"),
        ("mul_collect", collect_powers,
         "x * x -> x**2, x**a * x**b -> x**(a+b), x * x**-1 -> 1 (floats; x != 0 by "
         "convention for negative powers; fractional powers only of never-negative x, which "
         "keeps the signs of zero and inf)"),
    ],
}
# The steps of add and mul leave boolean results alone (logical or/and).


class NormalForm(NodeRewriter):
    """Rewrites a node to the next step of its normal form (the first step that applies).

    Parameters
    ----------
    steps
        The step names to run (default: all of :data:`STEPS`); the others are skipped.
    name
        The rewriter's name (``exclude=[name]`` leaves all its steps out).

    After a rewrite, :attr:`last_step` names the step that made it (traces show it).
    """

    #: Whether :attr:`last_step` names what a rewrite did (read by the driver).
    named_steps = True

    def __init__(self, steps: Iterable[str] | None = None, name: str = "normal_form"):
        chosen = None if steps is None else set(steps)
        self.name = name
        self._steps: list[tuple[Any, list[tuple[str, StepFn]]]] = []
        for op, entries in STEPS.items():
            kept = [(n, f) for n, f, _ in entries if chosen is None or n in chosen]
            if kept:
                self._steps.append((op, kept))
        self.keys = tuple(op for op, _ in self._steps)
        self._by_id = {id(op): (op, steps) for op, steps in self._steps}
        self.step_names = tuple(n for _, entries in self._steps for n, _ in entries)
        self._local = threading.local()
        self.__doc__ = "The engine's normal form of sums and products, step by step:\n\n" + \
            "\n".join(f"* {n}: {doc}." for entries in STEPS.values() for n, _, doc in entries
                      if n in self.step_names) + \
            "\n\nPython: the engine's own normal form, which every rule matches against " \
            "(not counted as a rule; see aesara_cas.rewriting.normal_form)."

    @property
    def last_step(self) -> str | None:
        """The step that made this thread's last rewrite (one rewriter serves every thread)."""
        return getattr(self._local, "step", None)

    def __call__(self, in_term: Any, out_term: Any) -> Callable:
        """The miniKanren relation: a goal relating a variable to its next normal-form
        step (none for an unknown input or a node in normal form)."""

        def normal_form_goal(s: Any) -> Iterator:
            node = getattr(walk(in_term, s), "owner", None)
            new = None if node is None else self.rewrite(node)
            if new is not None:
                s2 = unify(out_term, new, s)
                if s2 is not False:
                    yield s2

        return normal_form_goal

    def without(self, names: Iterable[str]) -> NormalForm:
        """A copy without the steps ``names`` (as ``exclude=`` names them)."""
        drop = set(names)
        return NormalForm([n for n in self.step_names if n not in drop], self.name)

    def rewrite(self, node: Apply) -> Variable | None:
        op = node.op
        # Ops are shared instances (at.add): found by identity, compared only otherwise.
        hit = self._by_id.get(id(op))
        if hit is not None and hit[0] is op:
            head, steps = hit
        else:
            head = steps = None
            for h, s in self._steps:
                if ops_equal(op, h):
                    head, steps = h, s
                    break
            if steps is None:
                return None
        if len(node.outputs) != 1:
            return None
        old = node.outputs[0]
        if (head is E.add or head is E.mul) and old.dtype == "bool":
            return None
        ins = node.inputs
        tag = old.tag
        kept = tag.get(KEPT_BY) if tag else None
        for name, step in steps:
            if kept is not None and name in kept:
                continue
            since = next_id()
            term = step(old, ins)
            if term is None:
                continue
            if isinstance(term, Variable) and term.type is old.type:
                # Already of the node's type (a sort keeps it); a collection that
                # cancelled a term may still have to keep its broadcast.
                new = keep_shape(term, old, since)
            else:
                # As a rule's output: fitted to the node's type, rebuilt from upcast
                # inputs if it came out in a narrower float type.
                new = materialize(term, old,
                                  lambda leaf, step=step: step(old, [leaf(i) for i in ins]))
            if new is None or new is old:
                continue
            owner = new.owner
            if owner is not None and owner.inputs == ins and ops_equal(owner.op, op):
                continue  # the same node rebuilt: not a change
            self._local.step = name
            return new
        return None


#: The normal form of ``canonicalize``: every step.
NORMAL_FORM = NormalForm()
#: The sorts alone (``specialize`` sorts again once terms are spelled as specialised).
add_order = NormalForm(["add_order"], name="add_order")
mul_order = NormalForm(["mul_order"], name="mul_order")
