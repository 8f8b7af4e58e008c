"""The Cython side of a generated module: argument checks, the step sequence, outputs.

The module defines

* ``call(self, *args, **kwargs)``: the ``__call__`` of the function object (wrapped
  by ``make_method()`` into a method descriptor); it checks and converts the
  arguments itself (fast paths for exact Python floats and ints and native arrays,
  ``TensorType.filter`` otherwise, so every error message is the NumPy mode's),
  runs the steps and returns owned arrays.
* ``run(P, values)``: the generic interface of ``link()``.

Per-function data that is not in the source (non-scalar constants, the nodes that
run ``perform``, input types and labels, shared containers) lives in a list ``P``
(``self._ac_state``).  Nothing user-controlled (variable names, constant arrays)
reaches this source: names stay in ``P``, scalars become numeric literals.  The
module has no cdef class and no binding functions: Cython's support code for those
doubles the C the compiler has to chew through.
"""

from __future__ import annotations

import re

from aesara_cas.compile.cython import scalar_c
from aesara_cas.compile.cython.kernels import KernelContext, kernel_for
from aesara_cas.compile.cython.lower import Plan
from aesara_cas.graph.basic import Variable
from aesara_cas.tensor.type import TensorType

HEADER = """# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
# cython: cdivision=True, auto_pickle=False, binding=False, embedsignature=False
# cython: infer_types=False
from cpython.float cimport PyFloat_AS_DOUBLE
"""

RUNTIME_DECLS = """
cdef extern from "ac_runtime.h":
    ctypedef unsigned char npy_bool
    ctypedef signed char npy_int8
    ctypedef short npy_int16
    ctypedef int npy_int32
    ctypedef long long npy_int64
    ctypedef unsigned char npy_uint8
    ctypedef unsigned short npy_uint16
    ctypedef unsigned int npy_uint32
    ctypedef unsigned long long npy_uint64
    int _import_array() except -1
    int NPY_BOOL, NPY_INT8, NPY_INT16, NPY_INT32, NPY_INT64, NPY_UINT8, NPY_UINT16
    int NPY_UINT32, NPY_UINT64, NPY_FLOAT16, NPY_FLOAT32, NPY_FLOAT64
    void ac_set_step(int step)
    int ac_get_step()
    void ac_profile_attach(double *times, long long *counts, int n)
    object ac_box(void *src, int typenum, int nd)
    int ac_read(object obj, void *dst, int typenum) except -1
    object ac_result(object obj, int typenum, int nd)
    object ac_copy(object obj)
    bint ac_pyint(object obj, void *dst, int typenum)
    object ac_make_method(object func)
"""

#: Positions in the per-function state list ``P`` (built by ``program.py``).
P_LABELS, P_TYPES, P_NAMES, P_SHARED, P_UPDATES, P_SINGLE, P_CONSTS, P_NODES = range(8)
#: ``P[P_NAME_ERROR](err, step, S, args, kwargs)`` names a failing step's operands.
P_NAME_ERROR = 8


def fresh_outputs(op) -> frozenset[int]:
    """The outputs ``op.perform`` always returns as newly allocated arrays that nothing
    else references (not an input, a view of one, a constant or anything the op keeps):
    an op says so with a ``fresh_outputs`` attribute (a tuple of output positions).

    The module hands such an output to the caller, or lets a later kernel write into
    it, without the copy every other ``perform`` result gets (a 1e6-element random draw
    copied costs a third of the draw).  An output that is also an update value, or is
    returned twice, is still copied (see ``module._output_exprs``)."""
    return frozenset(getattr(op, "fresh_outputs", ()))


def _const_or_function(line: str) -> bool:
    """A line declaring something static is a constant or a function (no state)."""
    return "const" in line.split() or re.match(r"\s*static\s[^=;]*\(", line) is not None


def _ctype(var: Variable) -> str:
    return scalar_c.CTYPES[var.dtype]


class WrapperWriter:
    """Writes the Cython text for a plan (kernels come from ``kernels.py``)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.ctx = KernelContext(plan)
        self.c_parts: list[str] = []
        self.decls: list[str] = []
        self.uses_blas = False
        #: Helper C of earlier kernels (names normalised) -> the kernel defining it.
        self._helpers: dict[str, int] = {}

    # -- value references ---------------------------------------------------
    def obj(self, var: Variable) -> str:
        """A Python-object expression for ``var``'s value (boxing frame scalars)."""
        where = self.plan.storage[var]
        if where[0] == "array":
            return f"S[{where[1]}]"
        if where[0] == "cslot":
            return f"P[{P_CONSTS}][{where[1]}]"
        if where[0] == "const":
            return f"P[{P_CONSTS}][{where[2]}]"
        return f"ac_box(&F.s{where[1]}, {scalar_c.typenum(var.dtype)}, {var.ndim})"

    def frame(self, var: Variable) -> str:
        where = self.plan.storage[var]
        return f"F.s{where[1]}" if where[0] == "scalar" else where[1]

    # -- steps ----------------------------------------------------------------
    def step_lines(self) -> list[list[str]]:
        plan = self.plan
        outputs = set(plan.fgraph.outputs)
        clients_kind: dict[Variable, set[str]] = {}
        for step in plan.steps:
            ins = step.group.leaves if step.group is not None else step.node.inputs
            for v in ins:
                clients_kind.setdefault(v, set()).add(step.kind)
        self.fresh: set[Variable] = set()
        result = []
        for i, step in enumerate(plan.steps):
            lines = [f"ac_set_step({i})"]
            node = step.node
            out = node.outputs[0]
            kernel = kernel_for(self.ctx, step, i)
            if kernel is not None:
                self.c_parts.append(self._share_helpers(kernel.c, i))
                self.decls.append(kernel.decl)
            fname = f"ac_k{i}"
            if step.kind == "ew":
                leaves = [v for v in step.group.leaves if self.ctx.is_array(v)]
                g_outs = step.group.outputs
                if not self.ctx.is_array(g_outs[0]):
                    lines.append(f"{fname}(F)")
                else:
                    # The kernel stores its outputs into S itself; only the first
                    # may take over a dying operand's buffer.
                    donor = "None"
                    for v in leaves:
                        if self._donor_ok(v, i, g_outs[0], outputs, clients_kind):
                            donor = self.obj(v)
                            break
                    args = "".join(f", {self.obj(v)}" for v in leaves)
                    lines.append(f"{fname}(F, S{args}, {donor})")
                    self.fresh.update(g_outs)
            elif step.kind == "reduce":
                leaves = [v for v in step.group.leaves if self.ctx.is_array(v)]
                args = "".join(f", {self.obj(v)}" for v in leaves)
                lines += self._store(out, f"{fname}(F{args})")
                self.fresh.add(out)
            elif step.kind == "blas" and len(node.inputs) == 5:  # Gemm(C, alpha, A, B, beta)
                self.uses_blas = True
                c, _, a, b, _ = node.inputs
                donor = self.obj(c) if self._donor_ok(c, i, out, outputs, clients_kind) else "None"
                lines += self._store(out, f"{fname}(F, {self.obj(c)}, {self.obj(a)}, "
                                          f"{self.obj(b)}, {donor})")
                self.fresh.add(out)
            elif step.kind == "blas":
                self.uses_blas = True
                a, b = node.inputs
                lines += self._store(out, f"{fname}({self.obj(a)}, {self.obj(b)})")
                self.fresh.add(out)
            elif step.kind == "index":
                # A gather (x, idx) or scatter (x, y, idx): a new array, or x updated
                # in place when x is an intermediate dying here (the donor).
                x = node.inputs[0]
                donor = self.obj(x) if len(node.inputs) == 3 and (
                    getattr(node.op, "inplace", False)  # see tensor/inplace.py
                    or self._donor_ok(x, i, out, outputs, clients_kind)) else "None"
                args = ", ".join(self.obj(v) for v in node.inputs)
                lines += self._store(out, f"{fname}({args}, {donor})")
                self.fresh.add(out)
            elif step.kind == "view":
                lines.append(f"{self.obj(out)} = {fname}({self.obj(node.inputs[0])})")
            elif step.kind == "alias":
                lines.append(f"{self.frame(out)} = {self.frame(node.inputs[0])}")
            else:
                ins = ", ".join(self.obj(v) for v in node.inputs)
                j = self.perform_index(node)
                lines.append(f"nd = P[{P_NODES}][{j}]")
                lines.append(f"r = nd.op.perform(nd, [{ins}])")
                fresh = fresh_outputs(node.op)
                for j, o in enumerate(node.outputs):
                    if isinstance(o.type, TensorType):
                        lines += self._store(
                            o, f"ac_result(r[{j}], {scalar_c.typenum(o.dtype)}, {o.ndim})")
                        if j in fresh:  # returned without a copy (see fresh_outputs)
                            self.fresh.add(o)
                    else:
                        lines.append(f"{self.obj(o)} = r[{j}]")
            # Drop intermediates after their last use (frees memory early).
            ins = step.group.leaves if step.group is not None else node.inputs
            for v in dict.fromkeys(ins):
                if (plan.last_use.get(v) == i and plan.storage[v][0] == "array"
                        and v not in outputs and v not in plan.fgraph.inputs):
                    lines.append(f"S[{plan.storage[v][1]}] = None")
            result.append(lines)
        return result

    def _share_helpers(self, c: str, k: int) -> str:
        """Kernel ``k``'s C, reusing an earlier kernel's helper functions when its
        own are the same text but for their names.

        A kernel is helper functions (named ``ac_k{k}_*``) followed by its driver
        ``ac_k{k}``.  Kernels of the same family and dtype often differ only in their
        drivers (a reduction's axes and ``keepdims`` are driver arguments), and the
        helpers are most of the C: a module with 28 reductions of one kind compiles
        one set of them instead of 28.  Helpers with static mutable state are never
        shared.
        """
        m = re.search(rf"^static [^\n;]*\bac_k{k}\(", c, re.M)
        if m is None or not c[:m.start()].strip():
            return c
        helpers, driver = c[:m.start()], c[m.start():]
        if not all(_const_or_function(line) for line in helpers.splitlines()
                   if re.match(r"\s*static\s", line)):
            return c
        own = re.compile(rf"\bac_k{k}_")
        owner = self._helpers.setdefault(own.sub("ac_k@_", helpers), k)
        return c if owner == k else own.sub(f"ac_k{owner}_", driver)

    def _donor_ok(self, v: Variable, i: int, out: Variable, outputs: set,
                  clients_kind: dict) -> bool:
        """Whether step ``i`` may write its output into ``v``'s buffer: ``v`` is an
        array this program made, dies at step ``i``, is no output, and only kernels
        (which keep no reference to it, unlike views) ever read it.  The kernel still
        checks shape, dtype and layout at run time."""
        return (
            self.plan.storage[v][0] == "array"
            and v in self.fresh
            and self.plan.last_use.get(v) == i
            and v not in outputs
            and v.dtype == out.dtype
            and v.ndim == out.ndim
            and clients_kind.get(v, set()) <= {"ew", "reduce", "blas", "index"}
        )

    def _store(self, var: Variable, expr: str) -> list[str]:
        if self.plan.storage[var][0] == "scalar":
            return [f"ac_read({expr}, &F.s{self.plan.storage[var][1]}, "
                    f"{scalar_c.typenum(var.dtype)})"]
        return [f"{self.obj(var)} = {expr}"]

    def perform_index(self, node) -> int:
        if not hasattr(self, "_perform"):
            self._perform: dict = {}
        if node not in self._perform:
            self._perform[node] = len(self._perform)
        return self._perform[node]

    def perform_nodes(self) -> list:
        return list(getattr(self, "_perform", {}))
