"""Shape rules (in the ``canonicalize`` set): shapes computed from shapes only.

``x.shape`` of an element-wise expression or of a matrix product is read from
the inputs' shapes, so the expression itself is not computed to learn it; and
the shape-only reference of a gradient's ``sum_to_like``/``broadcast_like`` is
moved to a cheaper variable with the same run-time shape, so a gradient does not
keep a forward computation (a gather ``W[idx]``, a product) alive to read its shape.

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
from aesara_cas.tensor.advanced import AdvancedSubtensor
from aesara_cas.tensor.blas import MatMul
from aesara_cas.tensor.grad_ops import BroadcastLike, _broadcast_like, _sum_to_like
from aesara_cas.tensor.shape import Shape
from aesara_cas.tensor.subtensor import Subtensor

x, g, r, r2, k, a, A, B = (var() for _ in range(8))
args = var()


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
    operation with a scalar, ``exp(A) * sin(A)``), and through gathers ``x[idx]`` of a
    1-D ``x`` (shaped as ``idx``).  Constants end the walk: a variable is the cheaper
    reference.
    """
    return _walk(v, _chain_root)


def same_shape(u: Variable, v: Variable) -> bool:
    """Whether ``u`` and ``v`` have the same run-time shape for every input."""
    return u.ndim == v.ndim and shape_root(u) is shape_root(v)


def _cheaper_ref(bd):
    node = bd.term.owner
    val, ref = node.inputs
    root = shape_root(ref)
    if root is ref or root.type.shape != ref.type.shape:
        return None
    return node.op(val, root)


def _mul_broadcast_ref(bd):
    """x * broadcast_like(k, R) with R = f(x, y) -> x * broadcast_like(k, root(y))."""
    node = bd.term.owner
    if len(node.inputs) != 2:
        return None
    for k in (0, 1):
        xv, b = node.inputs[k], node.inputs[1 - k]
        if b.owner is None or not isinstance(b.owner.op, BroadcastLike) \
                or b.owner.inputs[0].ndim:
            continue
        big = b.owner.inputs[1]
        inner = big.owner
        if inner is None or not isinstance(inner.op, E.Elemwise) or len(inner.inputs) != 2 \
                or xv not in inner.inputs or big.ndim != xv.ndim:
            continue
        other = inner.inputs[1] if inner.inputs[0] is xv else inner.inputs[0]
        if other.ndim != big.ndim:
            continue
        root = shape_root(other)
        if root.type.shape != other.type.shape:
            continue
        new_b = _broadcast_like(b.owner.inputs[0], root)
        out = node.op(*([xv, new_b] if k == 0 else [new_b, xv]))
        if out.type != bd.term.type:
            continue
        return out
    return None


def _shape_of(bd):
    """shape(y) from the shapes of what computes y."""
    y = bd[x]
    node = y.owner
    if node is None:
        return None
    if isinstance(node.op, E.Elemwise):
        root = shape_root(y)
        return None if root is y else Shape()(root)
    return None


def _entry(bd, want: int) -> bool:
    idx = bd[a]
    return len(idx) == 1 and idx[0][0] == "int" and idx[0][1] == want


def _rows(bd) -> bool:
    """shape(A @ B)[0] is A's row count: A a matrix, B a matrix or a vector."""
    return _entry(bd, 0) and bd[A].ndim == 2 and bd[B].ndim in (1, 2)


def _cols(bd) -> bool:
    """shape(A @ B)[-1] is B's column count: B a matrix, A a matrix or a vector."""
    return _entry(bd, -1) and bd[B].ndim == 2 and bd[A].ndim in (1, 2)


sum_to_like_cheaper_ref = rule(
    etuple(_sum_to_like, g, r), _cheaper_ref, name="sum_to_like_cheaper_ref",
    doc="sum_to_like(g, r) -> sum_to_like(g, r0) where r0 has r's run-time shape for "
        "every input: r = f(r0) element-wise with other operands of length-1 dimensions, "
        "or r = x[r0] for a 1-D x.  Python: the shape is traced back through the graph.",
)
broadcast_like_cheaper_ref = rule(
    etuple(_broadcast_like, g, r), _cheaper_ref, name="broadcast_like_cheaper_ref",
    doc="broadcast_like(g, r) -> broadcast_like(g, r0), r0 as for sum_to_like_cheaper_ref.  "
        "Python: the shape is traced back through the graph.",
)
sum_to_like_same = rule(
    etuple(_sum_to_like, g, r), g,
    where=lambda bd: bd[g].type == bd.term.type and same_shape(bd[g], bd[r]),
    name="sum_to_like_same",
    doc="sum_to_like(g, r) -> g when g and r have the same run-time shape for every input "
        "(and g already has the result's type).",
)
mul_broadcast_ref = rule(
    cons(E.mul, args), _mul_broadcast_ref, name="mul_broadcast_ref",
    doc="x * broadcast_like(k, f(x, y)) -> x * broadcast_like(k, y0) for a scalar k, an "
        "element-wise f and y0 of y's run-time shape: both have the shape broadcast(x, y).  "
        "Python: the shape of y is traced back through the graph.",
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
shape_of_elemwise = rule(
    etuple(Shape(), x), _shape_of, name="shape_of_elemwise",
    doc="shape(f(x, c)) -> shape(x) for element-wise f whose other operands have only "
        "length-1 dimensions (or share x's shape): shape(exp(A) * sin(A)) -> shape(A).  "
        "Python: the shape is traced back through the graph.",
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
    sum_to_like_cheaper_ref, broadcast_like_cheaper_ref, sum_to_like_same, mul_broadcast_ref,
    sum_to_like_of_broadcast,
    shape_of_elemwise, shape_of_matmul_rows, shape_of_matmul_cols,
]
