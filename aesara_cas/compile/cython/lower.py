"""Lowering: a rewritten graph becomes a kernel plan.

The plan is a list of steps in execution order.  Element-wise nodes are fused
into groups (one loop each, storing every value read outside it; see ``fuse.py``);
a reduction absorbs the element-wise tree that feeds it; ``dot``/``matmul`` go to
BLAS; ``DimShuffle`` becomes a strided view; every other node runs its NumPy ``perform``.

Values live in one of three places, decided per variable:

``scalar``  a C variable in the call's frame: any value whose static shape is all
            ones (0-d included) and whose dtype kernels handle;
``const``   a scalar constant, written into the source as a literal;
``array``   an ``ndarray`` in a slot of the call's storage list.

Everything here is iterative (no recursion over graph depth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aesara_cas.compile.cython import scalar_c
from aesara_cas.compile.cython.fuse import (  # noqa: F401  (MAX_FUSED: re-exported)
    MAX_FUSED,
    Group,
    group_elemwise,
    is_scalar_class,
    split_wide,
)
from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.tensor.blas import Dot, Gemm, MatMul
from aesara_cas.tensor.elemwise import Elemwise, output_dtype
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import DimShuffle

REDUCE_KINDS = frozenset({"sum", "prod", "max", "min", "mean", "all", "any", "logsumexp"})


@dataclass
class Step:
    """One thing the generated program does.  ``kind`` is one of ``ew`` (element-wise
    group), ``reduce``, ``view`` (DimShuffle of an array), ``alias`` (DimShuffle of
    a frame scalar), ``blas``, ``index`` (row gather/scatter) and ``perform``."""

    kind: str
    node: Apply
    group: Group | None = None


@dataclass
class Plan:
    fgraph: FunctionGraph
    steps: list[Step]
    storage: dict[Variable, tuple]
    n_slots: int
    scalars: list[Variable]
    consts: list[Variable]
    last_use: dict[Variable, int]


#: ``_elemwise_ok`` by (op, input dtypes, output dtype): a big graph repeats a few
#: signatures thousands of times, and deciding one writes C for it.
_EW_OK: dict[tuple, bool] = {}


def _elemwise_ok(node: Apply) -> bool:
    op = node.op
    if not isinstance(op, Elemwise) or len(node.outputs) != 1:
        return False
    dtypes = [v.dtype for v in node.inputs] + [node.outputs[0].dtype]
    key = (op, *dtypes)
    ok = _EW_OK.get(key)
    if ok is None:
        if len(_EW_OK) > 4096:
            _EW_OK.clear()
        ok = _EW_OK[key] = _elemwise_decide(node, op, dtypes)
    return ok


def _elemwise_decide(node: Apply, op: Elemwise, dtypes: list[str]) -> bool:
    if not all(scalar_c.supported(d) for d in dtypes):
        return False
    op_dtypes = scalar_c.operand_dtypes(op.scalar_op, dtypes[:-1], dtypes[-1])
    if op_dtypes is None:
        return False
    names = [f"v{i}" for i in range(len(node.inputs))]
    if op.scalar_op.nin == -1 and len(names) > 2:
        return _fold_ok(node)
    return scalar_c.emit(op.scalar_op, op_dtypes, dtypes[-1], names) is not None


def _fold_ok(node: Apply) -> bool:
    """An n-ary add/mul folds pairwise like ``ScalarOp.compute`` (each step's dtype
    as NumPy gives it)."""
    for dtype, op_dtypes in fold_steps(node):
        if scalar_c.emit(node.op.scalar_op, op_dtypes, dtype, ["a", "b"]) is None:
            return False
    return True


def fold_steps(node: Apply) -> list[tuple[str, list[str]]]:
    """(result dtype, operand dtypes) of each pairwise step of an n-ary op."""
    sop = node.op.scalar_op
    acc = node.inputs[0].dtype
    steps = []
    for inp in node.inputs[1:]:
        out = output_dtype(sop, (acc, inp.dtype))
        steps.append((out, [out, out]))
        acc = out
    return steps


def _reduce_ok(node: Apply) -> bool:
    op = node.op
    if not isinstance(op, Reduce) or op.kind not in REDUCE_KINDS:
        return False
    x, out = node.inputs[0], node.outputs[0]
    if x.ndim == 0 or is_scalar_class(x):
        return False
    if not (scalar_c.supported(x.dtype) and scalar_c.supported(out.dtype)):
        return False
    return not (op.kind in ("mean", "logsumexp") and out.dtype not in scalar_c.FLOATS)


def _blas_ok(node: Apply) -> bool:
    if isinstance(node.op, Gemm):
        C, alpha, A, B, beta = node.inputs
        out = node.outputs[0]
        return (
            out.dtype in scalar_c.FLOATS
            and A.dtype == B.dtype == C.dtype == out.dtype
            and is_scalar_class(alpha) and is_scalar_class(beta)
            and alpha.dtype != "bool" and beta.dtype != "bool"
        )
    if not isinstance(node.op, (Dot, MatMul)):
        return False
    a, b = node.inputs
    out = node.outputs[0]
    if out.dtype not in scalar_c.FLOATS or a.dtype != out.dtype or b.dtype != out.dtype:
        return False
    return (a.ndim, b.ndim) in ((2, 2), (2, 1), (1, 2), (1, 1))


def classify(node: Apply) -> str:
    if _elemwise_ok(node):
        return "ew"
    if _reduce_ok(node):
        return "reduce"
    if isinstance(node.op, DimShuffle):
        return "alias" if is_scalar_class(node.inputs[0]) else "view"
    if _blas_ok(node):
        return "blas"
    from aesara_cas.compile.cython.indexing_c import kernel_ok

    if kernel_ok(node):
        return "index"  # row gather/scatter (see indexing_c.py)
    return "perform"


def lower(fgraph: FunctionGraph) -> Plan:
    """The kernel plan of ``fgraph`` (which may get equivalent, narrower n-ary
    nodes, see ``split_wide``)."""
    nodes = split_wide(fgraph)
    order = {node: i for i, node in enumerate(nodes)}
    kinds = {node: classify(node) for node in nodes}
    group_of = group_elemwise(fgraph, nodes, kinds)

    steps: list[Step] = []
    seen_groups: set[int] = set()
    for node in nodes:
        g = group_of.get(node)
        if g is not None:
            if g.root is not node:
                continue
            seen_groups.add(id(g))
            g.members.sort(key=order.__getitem__)
            produced = {o for m in g.members for o in m.outputs}
            leaves: list[Variable] = []
            seen: set[Variable] = set()
            for m in g.members:
                for inp in m.inputs:
                    if inp not in produced and inp not in seen:
                        seen.add(inp)
                        leaves.append(inp)
            if g.kind == "reduce" and not g.members:
                leaves = [node.inputs[0]]
            g.leaves = leaves
            steps.append(Step(g.kind, node, g))
        else:
            steps.append(Step(kinds[node], node))

    storage: dict[Variable, tuple] = {}
    scalars: list[Variable] = []
    consts: list[Variable] = []
    n_slots = 0

    def place(var: Variable) -> None:
        nonlocal n_slots
        if var in storage:
            return
        if isinstance(var, Constant):
            idx = len(consts)
            consts.append(var)
            if is_scalar_class(var):
                value = np.asarray(var.data).reshape(())
                storage[var] = ("const", scalar_c.literal(value, var.dtype), idx)
            else:
                storage[var] = ("cslot", idx)
        elif is_scalar_class(var):
            storage[var] = ("scalar", len(scalars))
            scalars.append(var)
        else:
            storage[var] = ("array", n_slots)
            n_slots += 1

    for var in fgraph.inputs:
        place(var)
    for step in steps:
        if step.group is not None:
            for leaf in step.group.leaves:
                place(leaf)
        else:
            for inp in step.node.inputs:
                place(inp)
        step_outs = step.group.outputs if step.kind == "ew" else step.node.outputs
        for out in step_outs:
            place(out)
    for out in fgraph.outputs:
        place(out)

    last_use: dict[Variable, int] = {}
    for i, step in enumerate(steps):
        ins = step.group.leaves if step.group is not None else step.node.inputs
        for v in ins:
            last_use[v] = i
    return Plan(fgraph, steps, storage, n_slots, scalars, consts, last_use)
