"""Shape rules (in the ``canonicalize`` set): shapes computed from shapes only.

``x.shape`` of an element-wise expression or of a matrix product is read from
the inputs' shapes, so the expression itself is not computed to learn it; and
the shape-only reference of a gradient's ``sum_to_like``/``broadcast_like`` is
moved to a cheaper variable with the same run-time shape, so a gradient does not
keep a forward computation (a gather ``W[idx]``, a product) alive to read its shape.

All are pattern rules.  The reference moves one step at a time (one operand of an
element-wise op, the updated array of an ``inc_subtensor``, the index of a gather); the
guards ask the shape analysis ``same_shape`` whether the step keeps the shape, and the
rules, applied to a fixpoint, walk a chain back to its root.

Broadcasting follows NumPy: a dimension of unknown length may be 1 at run time.
Each rule rewrites only when the shapes are equal for every run-time length
(``same_shape`` below), never from static lengths alone.
"""

from __future__ import annotations

from cons import cons
from etuples import etuple
from unification import var

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.rewriting.rule import rule
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.advanced import AdvancedIncSubtensor, AdvancedSubtensor
from aesara_cas.tensor.blas import MatMul
from aesara_cas.tensor.grad_ops import BroadcastLike, SumToLike, _broadcast_like, _sum_to_like
from aesara_cas.tensor.shape import Shape
from aesara_cas.tensor.subtensor import IncSubtensor, Subtensor

x, y, g, r, r2, k, a, b, i, A, B = (var() for _ in range(11))
f, sop, rest = var("f"), var("sop"), var("rest")


#: Operations whose output has exactly the shape (and type) of their first input
#: (``inc_subtensor``/``set_subtensor``: a copy of ``x`` with ``x[index]`` updated) ...
FIRST_INPUT_SHAPED = (IncSubtensor, AdvancedIncSubtensor)
#: ... or of their second input (``sum_to_like``/``broadcast_like``: the reference's).
SECOND_INPUT_SHAPED = (SumToLike, BroadcastLike)


def _is_ones_shape(v: Variable) -> bool:
    return all(s == 1 for s in v.type.shape)


def _step(v: Variable, root_of) -> Variable | None:
    """The variable one step back with ``v``'s run-time shape, or None."""
    node = v.owner
    if isinstance(node.op, E.Elemwise):
        full = [i for i in node.inputs if not _is_ones_shape(i)]
        if not full or any(i.ndim != v.ndim for i in full):
            return None
        roots = {id(root_of(i)) for i in full}
        return root_of(full[0]) if len(roots) == 1 else None
    if isinstance(node.op, AdvancedSubtensor) and node.op.idx_list == (("array", 1),) \
            and node.inputs[0].ndim == 1 and node.inputs[1].ndim == v.ndim:
        return node.inputs[1]
    if isinstance(node.op, FIRST_INPUT_SHAPED):
        return node.inputs[0]
    if isinstance(node.op, SECOND_INPUT_SHAPED):
        return node.inputs[1]
    return None


def _walk(v: Variable, root_of) -> Variable:
    while v.owner is not None:
        nxt = _step(v, root_of)
        if nxt is None or nxt is v or isinstance(nxt, Constant):
            break
        v = nxt
    return v


def _chain_root(v: Variable) -> Variable:
    # Steps through nodes with one operand of the full shape only (no recursion).
    return _walk(v, lambda i: i)


def shape_root(v: Variable) -> Variable:
    """The earliest variable known to have ``v``'s run-time shape for every input.

    Walks back, iteratively, through element-wise ops whose operands of more than
    length-1 dimensions all have the output's ndim and one same root (a unary op, an
    operation with a scalar, ``exp(A) * sin(A)``), through gathers ``x[idx]`` of a
    1-D ``x`` (shaped as ``idx``), and through the ops of ``FIRST_INPUT_SHAPED`` and
    ``SECOND_INPUT_SHAPED``.  Constants end the walk: a variable is the cheaper
    reference.
    """
    return _walk(v, _chain_root)


def same_shape(u: Variable, v: Variable) -> bool:
    """Whether ``u`` and ``v`` have the same run-time shape for every input."""
    return u.ndim == v.ndim and shape_root(u) is shape_root(v)


def _tied(a: Variable, others: tuple, keep_static: bool) -> bool:
    """Whether ``f(a, *others)`` (element-wise) has ``a``'s run-time shape for every input,
    and, with ``keep_static``, its static shape too (``sum_to_like``/``broadcast_like`` take
    their type from the reference).  A constant is never the cheaper reference."""
    if isinstance(a, Constant):
        return False
    for o in others:
        if o.ndim > a.ndim or not (_is_ones_shape(o) or same_shape(o, a)):
            return False
    if not keep_static:
        return True
    try:
        return E.broadcast_shapes([a.type.shape, *(o.type.shape for o in others)]) == \
            a.type.shape
    except ValueError:
        return False


def _first_shaped(keep_static: bool):
    def guard(bd) -> bool:
        op = bd[f]
        if isinstance(op, FIRST_INPUT_SHAPED):
            return not isinstance(bd[a], Constant)
        return isinstance(op, E.Elemwise) and _tied(bd[a], bd[rest], keep_static)
    return guard


def _second_shaped(keep_static: bool):
    def guard(bd) -> bool:
        op = bd[f]
        if isinstance(op, SECOND_INPUT_SHAPED):
            return not isinstance(bd[a], Constant)
        return isinstance(op, E.Elemwise) and _tied(bd[a], (bd[b],), keep_static)
    return guard


def _gather_tied(bd) -> bool:
    # x[i] of a 1-D x has i's shape (static too).
    return bd[x].ndim == 1 and not isinstance(bd[i], Constant)


def _entry(bd, want: int) -> bool:
    idx = bd[a]
    return len(idx) == 1 and idx[0][0] == "int" and idx[0][1] == want


def _rows(bd) -> bool:
    """shape(A @ B)[0] is A's row count: A a matrix, B a matrix or a vector."""
    return _entry(bd, 0) and bd[A].ndim == 2 and bd[B].ndim in (1, 2)


def _cols(bd) -> bool:
    """shape(A @ B)[-1] is B's column count: B a matrix, A a matrix or a vector."""
    return _entry(bd, -1) and bd[B].ndim == 2 and bd[A].ndim in (1, 2)


#: The operations whose reference r (the second input; of ``shape``, the only one) is read
#: for its shape alone: ``(rule name, how it prints, the term around r, whether the
#: result's type is r's static shape)``.
_REF_HEADS = (
    ("sum_to_like_cheaper_ref", "sum_to_like(g, {})", lambda r: etuple(_sum_to_like, g, r),
     True),
    ("broadcast_like_cheaper_ref", "broadcast_like(g, {})",
     lambda r: etuple(_broadcast_like, g, r), True),
    ("shape_of_elemwise", "shape({})", lambda r: etuple(Shape(), r), False),
)


def _reference_rules(name: str, what: str, at_ref, static: bool) -> list:
    """One step back from the reference ``r`` to a variable of the same run-time shape:
    an operand of an element-wise ``r`` whose shape it has, the updated array of an
    ``inc_subtensor``, the reference of a ``sum_to_like``, the index of a gather from a
    1-D array.  Applied to a fixpoint, they walk a chain back to its root."""
    keeps = "" if not static else " and static shape"
    return [
        rule(at_ref(cons(f, cons(a, rest))), at_ref(a), where=_first_shaped(static), name=name,
             doc=f"{what.format('f(a, *c)')} -> {what.format('a')} where f(a, *c) has a's "
                 f"run-time shape{keeps} for every input: f element-wise with other operands "
                 "c of only length-1 dimensions or a's run-time shape (same_shape), none of "
                 "more dimensions than a; or f an inc_subtensor/set_subtensor (a copy of a "
                 "with a region updated).  shape(exp(A) * sin(A)) -> shape(A) (the reference "
                 "walks back one step; the rule applies again): the forward value f(a, *c) "
                 "is no longer needed for its shape."),
        rule(at_ref(etuple(f, b, a)), at_ref(a), where=_second_shaped(static),
             name=f"{name}_second",
             doc=f"{what.format('f(c, a)')} -> {what.format('a')} where f(c, a) has a's "
                 f"run-time shape{keeps}: f binary element-wise as for {name}, or f a "
                 "sum_to_like/broadcast_like (whose result has its reference's shape).  "
                 "shape(2 * exp(A)) -> shape(exp(A))."),
        rule(at_ref(etuple(etuple(AdvancedSubtensor, (("array", 1),)), x, i)), at_ref(i),
             where=_gather_tied, name=f"{name}_gather",
             doc=f"{what.format('x[i]')} -> {what.format('i')} for a 1-D x and a 1-D integer "
                 "array i (the gather has i's shape): the gradient of an embedding lookup W[i] "
                 "keeps no gather alive to read its shape."),
    ]


reference_rules = [r for head in _REF_HEADS for r in _reference_rules(*head)]

sum_to_like_same = rule(
    etuple(_sum_to_like, g, r), g,
    where=lambda bd: bd[g].type == bd.term.type and same_shape(bd[g], bd[r]),
    name="sum_to_like_same",
    doc="sum_to_like(g, r) -> g when g and r have the same run-time shape for every input "
        "(and g already has the result's type).",
)


def _mul_ref_tied(bd) -> bool:
    """k a scalar, y of f(x, y)'s dimensions, and x * broadcast_like(k, y) of the
    product's static shape (its type)."""
    xv, yv = bd[x], bd[y]
    if bd[k].ndim != 0 or yv.ndim < xv.ndim:
        return False
    try:
        return E.broadcast_shapes([xv.type.shape, yv.type.shape]) == bd.term.type.shape
    except ValueError:
        return False


mul_broadcast_ref = rule(
    etuple(E.mul, x, etuple(_broadcast_like, k, etuple(etuple(E.Elemwise, sop), x, y))),
    etuple(E.mul, x, etuple(_broadcast_like, k, y)), where=_mul_ref_tied,
    name="mul_broadcast_ref",
    doc="x * broadcast_like(k, f(x, y)) -> x * broadcast_like(k, y) for a scalar k and an "
        "element-wise f: both have the shape broadcast(x, y), and the product no longer "
        "keeps f(x, y) alive (broadcast_like_cheaper_ref then walks y back).",
)
mul_broadcast_ref_second = rule(
    etuple(E.mul, x, etuple(_broadcast_like, k, etuple(etuple(E.Elemwise, sop), y, x))),
    etuple(E.mul, x, etuple(_broadcast_like, k, y)), where=_mul_ref_tied,
    name="mul_broadcast_ref_second",
    doc="x * broadcast_like(k, f(y, x)) -> x * broadcast_like(k, y), as mul_broadcast_ref.",
)
sum_to_like_of_broadcast = rule(
    etuple(_sum_to_like, etuple(E.mul, x, etuple(_broadcast_like, k, r2)), r),
    etuple(_sum_to_like, etuple(E.mul, x, k), r),
    where=lambda bd: bd[k].ndim == 0 and bd[x].ndim >= bd[r].ndim
    and same_shape(bd[r], bd[r2]),
    name="sum_to_like_of_broadcast",
    doc="sum_to_like(x * broadcast_like(k, r), r) -> sum_to_like(x * k, r) for a scalar k: "
        "x broadcast against r and summed back to r's shape either way (sum_to_like "
        "broadcasts a length-1 dimension of its value).",
)
shape_of_matmul_rows = rule(
    etuple(etuple(Subtensor, a), etuple(Shape(), etuple(MatMul(), A, B))),
    etuple(etuple(Subtensor, a), etuple(Shape(), A)), where=_rows, name="shape_of_matmul_rows",
    doc="shape(A @ B)[0] -> shape(A)[0] for a matrix A and a matrix or vector B.",
)
shape_of_matmul_cols = rule(
    etuple(etuple(Subtensor, a), etuple(Shape(), etuple(MatMul(), A, B))),
    etuple(etuple(Subtensor, a), etuple(Shape(), B)), where=_cols, name="shape_of_matmul_cols",
    doc="shape(A @ B)[-1] -> shape(B)[-1] for a matrix B and a matrix or vector A.",
)

#: Part of the ``canonicalize`` set.
RULES = [
    *reference_rules, sum_to_like_same, mul_broadcast_ref, mul_broadcast_ref_second,
    sum_to_like_of_broadcast, shape_of_matmul_rows, shape_of_matmul_cols,
]
