"""A scan as one native loop: no Python per step.

When the (rewritten) step is made only of element-wise operations on scalars and on
vectors of one common length (plus full sums and dot products of such vectors, and
the gradients' shape plumbing) that the compiled backend can write in C, the whole
loop is generated as one C function: sequences are read in place with their strides,
scalar states live in C variables, vector states are read from the row the previous
step stored, per-step results go straight into the output arrays.  The module is
built and cached like any compiled function (``compile/cython/cache``).  Other scans
run their step graph once per step; so does a native loop whose vectors turn out to
differ in length when it runs (the step graph broadcasts them, or says why not).
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.tensor.elemwise import Elemwise
from aesara_cas.tensor.type import TensorType

__all__ = ["NativeLoop", "native_loop"]


def _scalar_ok(var: Variable) -> bool:
    from aesara_cas.compile.cython import scalar_c

    t = var.type
    return isinstance(t, TensorType) and t.ndim == 0 and scalar_c.supported(t.dtype)


def _value_ok(var: Variable) -> bool:
    """A 0-d value, or a vector (all vectors of a step have one length, checked when
    the loop runs)."""
    from aesara_cas.compile.cython import scalar_c

    t = var.type
    return isinstance(t, TensorType) and t.ndim in (0, 1) and scalar_c.supported(t.dtype)


def _node_kind(node) -> str | None:
    """``elemwise``, ``alias`` (shape plumbing that is the identity when every vector
    has one length), ``reduce`` (a full sum or a vector dot product) or ``None``."""
    from aesara_cas.tensor.blas import Dot
    from aesara_cas.tensor.grad_ops import BroadcastLike, SumToLike
    from aesara_cas.tensor.reduction import Reduce

    op, out = node.op, node.outputs[0]
    if isinstance(op, Elemwise):
        return "elemwise"
    if isinstance(op, (SumToLike, BroadcastLike)):
        src = node.inputs[0]
        if isinstance(op, SumToLike) and src.ndim != out.ndim:
            return None
        return "alias" if src.ndim <= out.ndim else None
    if out.ndim != 0 or out.dtype not in ("float32", "float64"):
        return None
    if isinstance(op, Dot) and all(v.ndim == 1 and v.dtype == out.dtype for v in node.inputs):
        return "reduce"
    if isinstance(op, Reduce) and op.kind == "sum" and node.inputs[0].ndim == 1 \
            and node.inputs[0].dtype == out.dtype:
        return "reduce"
    return None


def _node_lines(node, names: dict, k: int) -> list[str] | None:
    """C statements computing the element-wise ``node`` (``None`` if not expressible)."""
    from aesara_cas.compile.cython import scalar_c
    from aesara_cas.compile.cython.lower import fold_steps

    sop = node.op.scalar_op
    out = node.outputs[0]
    in_dtypes = [v.dtype for v in node.inputs]
    operands = [names[v] for v in node.inputs]
    lines = []
    if sop.nin == -1 and len(operands) > 2:
        acc, acc_dtype = operands[0], in_dtypes[0]
        for j, (step_dtype, op_dtypes) in enumerate(fold_steps(node)):
            a = scalar_c.cast(acc, acc_dtype, op_dtypes[0])
            b = scalar_c.cast(operands[j + 1], in_dtypes[j + 1], op_dtypes[1])
            expr = scalar_c.emit(sop, op_dtypes, step_dtype, [a, b])
            if expr is None:
                return None
            tmp = f"u{k}_{j}"
            lines.append(f"const {scalar_c.CTYPES[step_dtype]} {tmp} = {expr};")
            acc, acc_dtype = tmp, step_dtype
        expr = scalar_c.cast(acc, acc_dtype, out.dtype)
    else:
        op_dtypes = scalar_c.operand_dtypes(sop, in_dtypes, out.dtype)
        if op_dtypes is None or not all(scalar_c.supported(d) for d in op_dtypes):
            return None
        cast = [scalar_c.cast(o, d, t) for o, d, t in zip(operands, in_dtypes, op_dtypes)]
        expr = scalar_c.emit(sop, op_dtypes, out.dtype, cast)
        if expr is None:
            return None
    lines.append(f"const {scalar_c.CTYPES[out.dtype]} u{k} = {expr};")
    return lines


def loop_source(op, fgraph) -> str | None:
    """The module text of the native loop for ``op`` (step ``fgraph``, rewritten), or
    ``None`` when the step cannot be lowered.

    Values are scalars or vectors of one common length ``M``: scalar work runs once
    per step, vector work in an inner loop over ``M`` elements.  Vector states are
    read from the row the previous step stored.
    """
    from aesara_cas.compile.cython import scalar_c
    from aesara_cas.compile.cython.kernel_base import POW_ERROR
    from aesara_cas.compile.cython.wrapper import HEADER, RUNTIME_DECLS

    ns, nst, nnt, nl = op.n_seqs, op.n_sitsot, op.n_nitsot, op.n_last
    ins, outs = fgraph.inputs, fgraph.outputs
    if not all(_value_ok(v) for v in list(ins) + list(outs)):
        return None
    if not all(_scalar_ok(v) for v in ins[ns + nst:ns + nst + nl]):
        return None  # carried states keep one value: scalars only
    names: dict[Variable, str] = {}
    is_vec: dict[Variable, bool] = {v: v.ndim == 1 for v in ins}
    decls: list[str] = []
    ct = scalar_c.CTYPES
    slot = itertools.count()

    def data() -> str:
        return f"A[{next(slot)}]"

    for i in range(ns):
        d = ins[i].dtype
        decls.append(f"const {ct[d]} *q{i} = (const {ct[d]} *){data()};")
        decls.append(f"const ptrdiff_t k{i} = (ptrdiff_t){data()};")
        if is_vec[ins[i]]:
            decls.append(f"const ptrdiff_t c{i} = (ptrdiff_t){data()};")
            names[ins[i]] = f"q{i}[t * k{i} + e * c{i}]"
        else:
            names[ins[i]] = f"q{i}[t * k{i}]"
    for j in range(nst + nl):
        v = ins[ns + j]
        d = v.dtype
        if is_vec[v]:
            decls.append(f"const {ct[d]} *x{j} = (const {ct[d]} *){data()};")
            names[v] = f"x{j}[e]"
        else:
            decls.append(f"{ct[d]} x{j} = *(const {ct[d]} *){data()};")
            names[v] = f"x{j}"
    for k, v in enumerate(ins[ns + nst + nl:]):
        d = v.dtype
        if is_vec[v]:
            decls.append(f"const {ct[d]} *p{k} = (const {ct[d]} *){data()};")
            names[v] = f"p{k}[e]"
        else:
            decls.append(f"const {ct[d]} p{k} = *(const {ct[d]} *){data()};")
            names[v] = f"p{k}"
    for m, out in enumerate(outs[:nst + nnt]):
        decls.append(f"{ct[out.dtype]} *o{m} = ({ct[out.dtype]} *){data()};")
    # Each value has a level: the number of reductions (sums over the elements) it
    # depends on.  A step runs, per level, its scalar work and then one loop over the
    # elements; a reduction's result is available from the next level on.  Vector
    # temporaries live inside one element loop, so a later level may not read them.
    level: dict[Variable, int] = {v: 0 for v in ins}
    temp_level: dict[Variable, int] = {}
    scalar_body: dict[int, list[str]] = {}
    vector_body: dict[int, list[str]] = {}

    def operand(v: Variable, lvl: int) -> bool:
        if v not in names:
            if not (isinstance(v, Constant) and _scalar_ok(v)):
                return False
            names[v] = scalar_c.literal(np.asarray(v.data).reshape(()), v.dtype)
            is_vec[v] = False
            level[v] = 0
        return temp_level.get(v, lvl) == lvl

    for k, node in enumerate(fgraph.toposort()):
        op, out = node.op, node.outputs[0]
        if len(node.outputs) != 1 or not _value_ok(out):
            return None
        kind = _node_kind(node)
        if kind is None:
            return None
        if kind == "alias":  # sum_to_like / broadcast_like: the identity at one length
            src = node.inputs[0]
            if src not in names and not operand(src, 0):
                return None
            names[out], is_vec[out], level[out] = names[src], out.ndim == 1, level[src]
            if src in temp_level:
                temp_level[out] = temp_level[src]
            continue
        for v in node.inputs:
            if v not in names and not operand(v, 0):
                return None
        lvl = max(level[v] for v in node.inputs)
        if not all(operand(v, lvl) for v in node.inputs if is_vec[v]):
            return None
        if kind == "reduce":
            acc = f"r{k}"
            T = ct[out.dtype]
            terms = [scalar_c.cast(names[v], v.dtype, out.dtype) for v in node.inputs]
            scalar_body.setdefault(lvl, []).append(f"{T} {acc} = 0;")
            vector_body.setdefault(lvl, []).append(f"{acc} += {' * '.join(terms)};")
            names[out], is_vec[out], level[out] = acc, False, lvl + 1
            continue
        vec = any(is_vec[v] for v in node.inputs)
        if vec != (out.ndim == 1):
            return None
        lines = _node_lines(node, names, k)
        if lines is None:
            return None
        (vector_body if vec else scalar_body).setdefault(lvl, []).extend(lines)
        names[out], is_vec[out], level[out] = f"u{k}", vec, lvl
        if vec:
            temp_level[out] = lvl
    for v in outs:
        if v not in names:
            if not (isinstance(v, Constant) and _scalar_ok(v)):
                return None
            names[v] = scalar_c.literal(np.asarray(v.data).reshape(()), v.dtype)
            is_vec[v] = False
            level[v] = 0
    for j in range(nst):  # a vector state's new value is a vector (its type says so)
        if is_vec[ins[ns + j]] != is_vec[outs[j]]:
            return None
    stacked = range(nst + nnt)
    for m in stacked:
        if is_vec[outs[m]]:
            lvl = temp_level.get(outs[m], 0)
            vector_body.setdefault(lvl, []).append(f"o{m}[t * M + e] = {names[outs[m]]};")
    stores = [f"o{m}[t] = {names[outs[m]]};" for m in stacked if not is_vec[outs[m]]]

    def new_value(j: int) -> Variable:
        return outs[j if j < nst else nnt + j]

    # New scalar states are read from the step's results before any is overwritten.
    scalar_states = [j for j in range(nst + nl) if not is_vec[ins[ns + j]]]
    nxt = [f"const {ct[new_value(j).dtype]} n{j} = {names[new_value(j)]};"
           for j in scalar_states]
    assign = [f"x{j} = n{j};" for j in scalar_states]
    assign += [f"x{j} = o{j} + t * M;" for j in range(nst) if is_vec[ins[ns + j]]]
    finals = [f"*({ct[ins[ns + nst + c].dtype]} *){data()} = x{nst + c};" for c in range(nl)]
    step: list[str] = []
    for lvl in range(max(list(scalar_body) + list(vector_body), default=-1) + 1):
        step += scalar_body.get(lvl, [])
        if vector_body.get(lvl):
            step += ["for (long long e = 0; e < M; e++) {"]
            step += [f"    {line}" for line in vector_body[lvl]] + ["}"]
    step += stores + nxt + assign
    loop = (
        "static int ac_scan_loop(size_t addrs, long long n, long long M) {\n"
        "    const size_t *A = (const size_t *)addrs;\n    int ac_err = 0;\n"
        + "".join(f"    {d}\n" for d in decls)
        + "    for (long long t = 0; t < n; t++) {\n"
        + "".join(f"        {line}\n" for line in step)
        + "    }\n"
        + "".join(f"    {line}\n" for line in finals)
        + "    (void)M;\n"
        + f"    if (ac_err) {{\n        PyErr_SetString(PyExc_ValueError, \"{POW_ERROR}\");\n"
        + "        return -1;\n    }\n    return 0;\n}\n"
    )
    # Most steps need only <math.h>: a module without the backend's runtime header
    # builds in a fifth of the time.  Steps calling the runtime's helpers include it.
    if "ac_" in "".join(step).replace("ac_err", ""):
        prelude, decl_text, init = '#include "ac_runtime.h"\n', RUNTIME_DECLS, "\n_import_array()\n"
    else:
        prelude, decl_text, init = _TYPEDEFS, "", ""
    return (
        HEADER + decl_text
        + 'cdef extern from *:\n    """\n' + (prelude + loop).replace("\\", "\\\\")
        + '    """\n'
        + "    int ac_scan_loop(size_t addrs, long long n, long long M) except -1\n"
        + init
        + "\ndef loop(size_t addrs, long long n, long long M):\n"
        + "    ac_scan_loop(addrs, n, M)\n"
    )


#: The C types of the dtypes (as the backend's runtime header names them).
_TYPEDEFS = """#include <math.h>
#include <stddef.h>
typedef unsigned char npy_bool;
typedef signed char npy_int8;
typedef short npy_int16;
typedef int npy_int32;
typedef long long npy_int64;
typedef unsigned char npy_uint8;
typedef unsigned short npy_uint16;
typedef unsigned int npy_uint32;
typedef unsigned long long npy_uint64;
"""


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


class NativeLoop:
    """Runs a scan through its generated module: ``run(n, seqs, states, carried,
    nonseqs) -> outputs`` (the layout of ``Scan.perform``)."""

    def __init__(self, op, fgraph, module, text: str):
        self.module = module
        self.text = text
        ns, nst, nl = op.n_seqs, op.n_sitsot, op.n_last
        ins = fgraph.inputs
        self.seq_dtypes = [v.dtype for v in ins[:ns]]
        self.state_dtypes = [v.dtype for v in ins[ns:ns + nst + nl]]
        self.nonseq_dtypes = [v.dtype for v in ins[ns + nst + nl:]]
        self.out_dtypes = [t.dtype for t in op.out_types]
        self.n_stacked = op.n_sitsot + op.n_nitsot
        self.seq_vec = [v.ndim == 1 for v in ins[:ns]]
        self.state_vec = [v.ndim == 1 for v in ins[ns:ns + nst + nl]]
        self.nonseq_vec = [v.ndim == 1 for v in ins[ns + nst + nl:]]
        self.out_vec = [t.ndim == 2 for t in op.out_types[:self.n_stacked]]

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["module"]  # rebuilt (or loaded from the cache) from the source text
        return state

    def __setstate__(self, state: dict) -> None:
        from aesara_cas.compile.cython import cache

        self.__dict__.update(state)
        self.module = cache.load_module(self.text)

    def run(self, n: int, seqs: list, states: list, carried: list,
            nonseqs: list) -> list[Any] | None:
        """The outputs, or ``None`` when the vectors differ in length (the caller then
        runs the step graph, which broadcasts or reports the mismatch)."""
        lengths = set()
        words: list[int] = []
        keep: list[np.ndarray] = []
        for s, d, vec in zip(seqs, self.seq_dtypes, self.seq_vec):
            # Any view of the right dtype is read in place (reversed ones included).
            s = np.asarray(s)[:n]
            if s.dtype != d or any(st % s.itemsize for st in s.strides):
                s = np.ascontiguousarray(s, dtype=d)
            keep.append(s)
            words += [_address(s), s.strides[0] // s.itemsize]
            if vec:
                lengths.add(s.shape[1])
                words.append(s.strides[1] // s.itemsize)
        values = list(zip(states + carried, self.state_dtypes, self.state_vec))
        values += list(zip(nonseqs, self.nonseq_dtypes, self.nonseq_vec))
        for x, d, vec in values:
            a = np.ascontiguousarray(x, dtype=d) if vec else np.asarray(x, dtype=d).reshape(())
            if vec:
                lengths.add(a.shape[0])
            keep.append(a)
            words.append(_address(a))
        if len(lengths) > 1:
            return None
        m = lengths.pop() if lengths else 0
        outs = [np.empty((n, m) if vec else n, dtype=d)
                for d, vec in zip(self.out_dtypes[:self.n_stacked], self.out_vec)]
        outs += [np.empty((), dtype=d) for d in self.out_dtypes[self.n_stacked:]]
        words += [_address(a) for a in outs]
        addrs = np.array(words or [0], dtype=np.int64).view(np.uintp)
        self.module.loop(_address(addrs), n, m)
        return outs


def native_loop(op) -> NativeLoop | None:
    """A native loop for ``op``'s step if the backend can lower it, else ``None``."""
    from aesara_cas.compile.mode import rewrite

    fgraph = op.fgraph.clone()
    rewrite(fgraph)
    try:
        text = loop_source(op, fgraph)
    except (KeyError, TypeError, ValueError):
        return None
    if text is None:
        return None
    from aesara_cas.compile.cython import cache

    try:
        module = cache.load_module(text)
    except RuntimeError as err:  # a build failure: the step still runs, step by step
        warnings.warn(f"scan: the native loop did not build ({err}); running the step "
                      "graph once per step instead", RuntimeWarning, stacklevel=2)
        return None
    return NativeLoop(op, fgraph, module, text)
