"""C kernels for the steps of a plan: one small emitter per op family.

``KERNEL_EMITTERS`` maps an op class to the function that writes the C for a step
of that family; steps whose op has no entry run ``perform`` from the wrapper and
need no C.  Every emitter returns a :class:`Kernel`: the C text and how the
Cython wrapper calls it.  Element-wise steps are in :mod:`.elemwise_c`, reductions
in :mod:`.reduce_c`; views and BLAS calls are small enough to live here.
"""

from __future__ import annotations

from aesara_cas.compile.cython import scalar_c
from aesara_cas.compile.cython.elemwise_c import emit_elemwise
from aesara_cas.compile.cython.indexing_c import emit_gather, emit_scatter
from aesara_cas.compile.cython.kernel_base import Kernel, KernelContext
from aesara_cas.compile.cython.lower import Step
from aesara_cas.compile.cython.reduce_c import emit_reduce
from aesara_cas.graph.basic import Apply
from aesara_cas.tensor.advanced import AdvancedIncSubtensor, AdvancedSubtensor
from aesara_cas.tensor.blas import Dot, Gemm, MatMul
from aesara_cas.tensor.elemwise import Elemwise
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import DimShuffle

__all__ = ["KERNEL_EMITTERS", "Kernel", "KernelContext", "describe", "kernel_for"]


def emit_view(ctx: KernelContext, step: Step, k: int) -> Kernel:
    op = step.node.op
    order = [-1 if d == "x" else int(d) for d in op.new_order] or [0]
    drop = list(op.drop) or [0]
    fname = f"ac_k{k}"
    code = (
        f"static PyObject *{fname}(PyObject *x) {{\n"
        f"    static const int order[] = {{{', '.join(map(str, order))}}};\n"
        f"    static const int drop[] = {{{', '.join(map(str, drop))}}};\n"
        f"    return ac_dimshuffle(x, {op.input_ndim}, {len(op.new_order)}, order, "
        f"{len(op.drop)}, drop);\n}}\n"
    )
    return Kernel(code, f"object {fname}(object x)")


def emit_gemm(ctx: KernelContext, step: Step, k: int) -> Kernel:
    C, alpha, A, B, beta = step.node.inputs
    out = step.node.outputs[0]
    fname = f"ac_k{k}"
    code = (
        f"static PyObject *{fname}(ac_frame *F, PyObject *c, PyObject *a, PyObject *b, "
        f"PyObject *donor) {{\n"
        f"    return ac_gemm(c, (double){ctx.frame(alpha)}, a, b, (double){ctx.frame(beta)}, "
        f"{scalar_c.typenum(out.dtype)}, donor);\n}}\n"
    )
    return Kernel(code, f"object {fname}(ac_frame *F, object c, object a, object b, object donor)")


def emit_blas(ctx: KernelContext, step: Step, k: int) -> Kernel:
    out = step.node.outputs[0]
    fname = f"ac_k{k}"
    code = (
        f"static PyObject *{fname}(PyObject *a, PyObject *b) {{\n"
        f"    return ac_dot(a, b, {scalar_c.typenum(out.dtype)});\n}}\n"
    )
    return Kernel(code, f"object {fname}(object a, object b)")


#: op class -> C emitter for the steps of that family (others: ``perform``).
KERNEL_EMITTERS = {
    AdvancedSubtensor: emit_gather,
    AdvancedIncSubtensor: emit_scatter,
    Elemwise: emit_elemwise,
    Reduce: emit_reduce,
    DimShuffle: emit_view,
    Dot: emit_blas,
    MatMul: emit_blas,
    Gemm: emit_gemm,
}


def kernel_for(ctx: KernelContext, step: Step, k: int) -> Kernel | None:
    """The C of step ``k``, or None when the step needs none (perform, alias)."""
    if step.kind in ("perform", "alias"):
        return None
    emitter = KERNEL_EMITTERS.get(type(step.node.op))
    if emitter is None:
        return None
    return emitter(ctx, step, k)


def describe(node: Apply) -> str:
    return f"{node.op} of {node.inputs}"
