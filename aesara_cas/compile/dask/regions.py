"""Compile time of ``mode="dask"``: the rewritten graph cut into block-wise regions.

The Cython backend's fusion (:func:`~aesara_cas.compile.cython.fuse.group_elemwise`)
decides the regions: each fused element-wise group, and each reduction with the
element-wise tree feeding it, becomes one *region* whose nodes are compiled into one
kernel (a :class:`~aesara_cas.compile.function.Function` of a small sub-graph whose
inputs are the region's leaves, with unknown lengths so one kernel serves every
chunk).  At call time a region is one ``dask.array.blockwise`` layer: one task per
chunk.  ``dot``/``matmul``/``gemm`` become block-wise matrix products, shape ops go to
``dask.array`` itself, and nodes that read no argument (constants, shapes) run
eagerly with NumPy when the graph is built.
"""

from __future__ import annotations

import os
import pickle
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aesara_cas.compile.cython.fuse import group_elemwise, split_wide
from aesara_cas.compile.cython.lower import classify
from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.tensor.blas import Dot, Gemm, MatMul
from aesara_cas.tensor.elemwise import Elemwise, switch
from aesara_cas.tensor.grad_ops import BroadcastLike, SumToLike
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import Alloc, DimShuffle, Join, Reshape, Shape
from aesara_cas.tensor.subtensor import Subtensor
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import constant

#: Ops that ``dask.array`` runs itself (see ``blocks.array_op``).
ARRAY_OPS = (DimShuffle, Reshape, Subtensor, Join, SumToLike, BroadcastLike, Alloc)

#: Kernels restored in this process, by token (the most recent ``_KEEP``): a worker
#: rebuilds each kernel once, however many of its tasks carry it, even when the task
#: objects themselves are unpickled and dropped one by one.
_RESTORED: OrderedDict[str, Kernel] = OrderedDict()
_RESTORED_LOCK = threading.Lock()
_KEEP = 256


class Kernel:
    """A per-block function (a compiled sub-graph) that pickles as its graph.

    ``fn(*blocks)`` returns one array, or a tuple when the region stores several
    values.  Pickles are small (the sub-graph's records); a process rebuilds the
    module from its compile cache (or builds it) the first time it meets the token.
    """

    def __init__(self, fn: Any, n_out: int):
        self.fn = fn
        self.n_out = n_out
        self.token = uuid.uuid4().hex
        self._pickled: bytes | None = None

    def __call__(self, *blocks: Any) -> Any:
        out = self.fn(*blocks)
        return tuple(out) if self.n_out > 1 else out

    def __reduce__(self):
        if self._pickled is None:
            self._pickled = pickle.dumps(self.fn, protocol=pickle.HIGHEST_PROTOCOL)
        return _restore_kernel, (self.token, self.n_out, self._pickled)


def _restore_kernel(token: str, n_out: int, data: bytes) -> Kernel:
    with _RESTORED_LOCK:
        kernel = _RESTORED.get(token)
        if kernel is not None:
            _RESTORED.move_to_end(token)
            return kernel
    kernel = Kernel.__new__(Kernel)
    kernel.fn, kernel.n_out, kernel.token, kernel._pickled = (
        pickle.loads(data), n_out, token, data)
    with _RESTORED_LOCK:
        kernel = _RESTORED.setdefault(token, kernel)
        while len(_RESTORED) > _KEEP:
            _RESTORED.popitem(last=False)
    return kernel


def loose_input(var: Variable) -> Variable:
    """A fresh input like ``var`` whose lengths are unknown except the broadcast 1s."""
    shape = tuple(1 if s == 1 else None for s in var.type.shape)
    return TensorType(var.dtype, shape).make_variable(name=var.name)


def compile_kernel(nodes: list[Apply], leaves: list[Variable] | None,
                   outputs: list[Variable], mode: str, last_op: Any = None,
                   positions: list[int] | None = None) -> Kernel:
    """A kernel computing ``outputs`` of ``nodes`` (topologically sorted) from ``leaves``.

    Nodes are rebuilt with ``make_node`` on loosened inputs, so static lengths of the
    whole array never reach a kernel that sees one chunk.  ``last_op`` replaces the op
    of the last node (a reduction computed per chunk with ``keepdims=True``).
    ``positions`` (instead of ``leaves``): the kernel of one node takes its inputs at
    these positions, each its own argument even when they are the same variable.
    """
    from aesara_cas.compile.function import assemble

    if positions is not None:  # one node, its inputs at these positions given apart
        (node,) = nodes
        new_in = [loose_input(node.inputs[k]) for k in positions]
        ins = list(node.inputs)
        for k, v in zip(positions, new_in):
            ins[k] = v
        mapping = dict(zip(node.outputs, node.op.make_node(*ins).outputs))
    else:
        new_in = [loose_input(v) for v in leaves]
        mapping = dict(zip(leaves, new_in))
    for k, node in enumerate(nodes if positions is None else []):
        op = last_op if last_op is not None and k == len(nodes) - 1 else node.op
        new = op.make_node(*[mapping.get(i, i) for i in node.inputs])
        mapping.update(zip(node.outputs, new.outputs))
    outs = [mapping[v] for v in outputs]
    fgraph = FunctionGraph(new_in, outs, clone=False)
    fn = assemble(new_in, outs, len(outs) == 1, [], fgraph, [], "dask block", mode)
    return Kernel(fn, len(outs))


@dataclass
class Region:
    """Nodes run per chunk by one kernel.  ``kind`` is ``"map"`` (element-wise,
    storing ``outputs``) or ``"reduce"`` (the last node reduces over ``axes`` of an
    ``nd``-dimensional loop; ``kernel`` keeps the reduced axes, length 1)."""

    kind: str
    nd: int
    leaves: list[Variable]
    outputs: list[Variable]
    kernel: Kernel
    axes: tuple = ()
    reduce_kind: str = ""
    keepdims: bool = False


@dataclass
class Step:
    """One thing the call does: ``region``, ``contract`` (dot, matmul, gemm: ``kernel``
    takes whole row/column panels), ``array`` (a ``dask.array`` operation) or
    ``eager`` (NumPy ``perform`` on values known when the graph is built)."""

    kind: str
    node: Apply | None = None
    region: Region | None = None
    kernel: Kernel | None = None
    extra: dict = field(default_factory=dict)


def _leaves(nodes: list[Apply]) -> list[Variable]:
    produced = {o for m in nodes for o in m.outputs}
    return list(dict.fromkeys(
        v for m in nodes for v in m.inputs if v not in produced and not isinstance(v, Constant)))


def lazy_variables(fgraph: FunctionGraph, nodes: list[Apply]) -> set[Variable]:
    """Values that depend on the data of an input (a shape depends on no data)."""
    lazy = set(fgraph.inputs)
    for node in nodes:
        if not isinstance(node.op, Shape) and any(i in lazy for i in node.inputs):
            lazy.update(node.outputs)
    return lazy


def _region_of_group(g: Any, order: dict) -> Region:
    g.members.sort(key=order.__getitem__)
    if g.kind == "reduce":
        root = g.root
        nodes = [*g.members, root]
        op = root.op
        x = root.inputs[0]
        axes = op.reduced_axes(x.ndim)
        kind = "sum" if op.kind == "mean" else op.kind
        leaves = _leaves(nodes) if g.members else [x]
        kernel = _Pending(nodes, leaves, [root.outputs[0]], "cython",
                                last_op=Reduce(kind, op.axis, keepdims=True))
        return Region("reduce", x.ndim, leaves, [root.outputs[0]], kernel, tuple(axes),
                      op.kind, op.keepdims)
    leaves = _leaves(g.members)
    kernel = _Pending(g.members, leaves, list(g.outputs), "cython")
    return Region("map", g.nd, leaves, list(g.outputs), kernel)


def _plain_region(node: Apply) -> Region:
    """A region of one node the Cython backend has no kernel for, run per chunk by
    the NumPy mode (an element-wise op on an unsupported dtype, say)."""
    op = node.op
    leaves = _leaves([node])
    if isinstance(op, Reduce) and node.inputs[0].ndim > 0:
        x = node.inputs[0]
        kind = "sum" if op.kind == "mean" else op.kind
        kernel = _Pending([node], leaves, node.outputs, "numpy",
                                last_op=Reduce(kind, op.axis, keepdims=True))
        return Region("reduce", x.ndim, leaves, list(node.outputs), kernel,
                      tuple(op.reduced_axes(x.ndim)), op.kind, op.keepdims)
    kernel = _Pending([node], leaves, node.outputs, "numpy")
    return Region("map", node.outputs[0].ndim, leaves, list(node.outputs), kernel)


def _contract_ok(node: Apply) -> bool:
    if isinstance(node.op, Gemm):
        return True
    a, b = node.inputs
    return a.ndim in (1, 2) and b.ndim in (1, 2)


class _Pending:
    """A kernel to compile (all of a graph's kernels are built concurrently: a build
    mostly waits for the C compiler, a separate process)."""

    def __init__(self, *args: Any, **kwargs: Any):
        self.args, self.kwargs = args, kwargs

    def build(self) -> Kernel:
        return compile_kernel(*self.args, **self.kwargs)


def _resolve(steps: list[Step]) -> None:
    holders = [(s, "kernel") for s in steps if isinstance(s.kernel, _Pending)]
    holders += [(s.region, "kernel") for s in steps if s.region is not None]
    jobs = [getattr(obj, attr) for obj, attr in holders]
    if len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1, 4)) as pool:
            kernels = list(pool.map(_Pending.build, jobs))
    else:
        kernels = [job.build() for job in jobs]
    for (obj, attr), kernel in zip(holders, kernels):
        setattr(obj, attr, kernel)


def has_shape_plumbing(fgraph: FunctionGraph) -> bool:
    return any(isinstance(n.op, (SumToLike, BroadcastLike)) for n in fgraph.apply_nodes)


def _shape_free_graph(fgraph: FunctionGraph, drop: bool) -> FunctionGraph:
    """``fgraph`` with constants broadcast to a shape as element-wise nodes (see
    ``_as_fill``) and, with ``drop``, without the ``sum_to_like``/``broadcast_like``
    nodes that are the identity unless an input's dimension of unknown length turns
    out to be 1 at run time (a gradient's usual case).  Such nodes cut element-wise
    regions in two; calls whose arguments have no such length-1 dimension use the
    graph without them."""
    mapping: dict[Variable, Variable] = {}
    for node in fgraph.toposort():
        ins = [mapping.get(i, i) for i in node.inputs]
        out = node.outputs[0]
        if drop and isinstance(node.op, (SumToLike, BroadcastLike)) and ins[0].ndim == out.ndim \
                and all((a == 1) == (b == 1) for a, b in zip(ins[0].type.shape, out.type.shape)):
            mapping[out] = ins[0]
            continue
        fill = _as_fill(node, ins)
        if fill is not None:
            mapping[out] = fill
            continue
        new = node.op.make_node(*ins)
        mapping.update(zip(node.outputs, new.outputs))
    return FunctionGraph(fgraph.inputs, [mapping.get(o, o) for o in fgraph.outputs],
                         clone=False)


def _as_fill(node: Apply, ins: list[Variable]) -> Variable | None:
    """``broadcast_like(c, ref)`` of a scalar constant (a gradient's seed, ``ones_like``)
    as the element-wise ``switch(True, c, ref)``: the same values, but an element-wise
    node fuses with its readers (the kernel never loads ``ref``: the branch is
    constant)."""
    if not isinstance(node.op, BroadcastLike):
        return None
    g, ref = ins
    out = node.outputs[0]
    if not (isinstance(g, Constant)
            and all(n == 1 for n in g.type.shape) and g.ndim <= ref.ndim):
        return None
    filled = switch(constant(True), g, ref)
    return filled if filled.dtype == out.dtype and filled.ndim == out.ndim else None


def no_runtime_broadcast(fgraph: FunctionGraph, shapes: list[tuple]) -> bool:
    """Whether no input has length 1 where its type does not say so (then the graph
    of :func:`_shape_free_graph` computes the same values)."""
    return all(n != 1 for v, shape in zip(fgraph.inputs, shapes)
               for s, n in zip(v.type.shape, shape) if s is None)


def partition(fgraph: FunctionGraph,
              shape_free: bool = False) -> tuple[list[Step], list[Variable]]:
    """The steps of ``fgraph`` in execution order (see the module docstring), and the
    variables holding its outputs (``shape_free``: of :func:`_shape_free_graph`).

    Raises
    ------
    NotImplementedError
        A node reading argument data has no block-wise form (e.g. a loop, sorting).
    """
    if has_shape_plumbing(fgraph):
        fgraph = _shape_free_graph(fgraph, drop=shape_free)
    split_wide(fgraph)
    nodes = fgraph.toposort()
    order = {node: i for i, node in enumerate(nodes)}
    lazy = lazy_variables(fgraph, nodes)
    kinds = {}
    for node in nodes:
        kinds[node] = classify(node) if any(i in lazy for i in node.outputs) else "eager"
    # Only lazy nodes are fused: the rest are computed once, eagerly.
    group_of = group_elemwise(fgraph, nodes,
                              {n: ("perform" if k == "eager" else k) for n, k in kinds.items()})
    steps: list[Step] = []
    for node in nodes:
        g = group_of.get(node)
        if g is not None:
            if g.root is node:
                steps.append(Step("region", region=_region_of_group(g, order)))
            continue
        op = node.op
        if isinstance(op, Alloc):  # never filled eagerly: a broadcast view at call time
            steps.append(Step("array", node))
        elif kinds[node] == "eager" or isinstance(op, Shape):
            steps.append(Step("eager", node))
        elif isinstance(op, (Dot, MatMul, Gemm)) and _contract_ok(node):
            # By position: dot(a, a) reads one variable with two layouts.
            positions = [k for k, v in enumerate(node.inputs) if not isinstance(v, Constant)]
            mode = "cython" if kinds[node] == "blas" else "numpy"
            steps.append(Step("contract", node,
                              kernel=_Pending([node], None, node.outputs, mode,
                                              positions=positions),
                              extra={"positions": positions}))
        elif isinstance(op, (Elemwise, Reduce)) and len(node.outputs) == 1:
            steps.append(Step("region", region=_plain_region(node)))
        elif isinstance(op, ARRAY_OPS):
            steps.append(Step("array", node))
        else:
            raise NotImplementedError(
                f"mode='dask' cannot run {op} block by block (it reads argument data and "
                "has no chunk-wise form); compile this graph with mode=None or 'numpy'"
            )
    _resolve(steps)
    return steps, list(fgraph.outputs)
