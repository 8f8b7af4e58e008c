"""C for element-wise steps: fused loops over the broadcast output.

A group of up to :data:`STAGED_MEMBERS` ops becomes one loop (with a unit-stride
variant that vectorises); a bigger group is strip-mined into stages.  The same
row functions fill the values that reductions fold (:mod:`.reduce_c`).
"""

from __future__ import annotations

import numpy as np

from aesara_cas.compile.cython import scalar_c
from aesara_cas.compile.cython.kernel_base import POW_ERROR, Kernel, KernelContext
from aesara_cas.compile.cython.lower import Group, Step, fold_steps
from aesara_cas.graph.basic import Variable


def _body(ctx: KernelContext, g: Group, names: dict[Variable, str]) -> tuple[list[str], bool]:
    """Statements computing every member of ``g``; ``names`` maps leaves to C names
    and is extended with the members' outputs.  Returns (lines, uses_err)."""
    per_member, uses_err = _member_lines(ctx, g, names)
    return [line for lines in per_member for line in lines], uses_err


def _member_lines(ctx: KernelContext, g: Group,
                  names: dict[Variable, str]) -> tuple[list[list[str]], bool]:
    """Like :func:`_body`, with the statements of each member kept apart."""
    per_member: list[list[str]] = []
    uses_err = False
    for j, node in enumerate(g.members):
        lines: list[str] = []
        per_member.append(lines)
        sop = node.op.scalar_op
        out = node.outputs[0]
        in_dtypes = [v.dtype for v in node.inputs]
        operands = [names[v] for v in node.inputs]
        if sop.nin == -1 and len(operands) > 2:
            acc, acc_dtype = operands[0], in_dtypes[0]
            for k, (step_dtype, op_dtypes) in enumerate(fold_steps(node)):
                a = scalar_c.cast(acc, acc_dtype, op_dtypes[0])
                b = scalar_c.cast(operands[k + 1], in_dtypes[k + 1], op_dtypes[1])
                expr = scalar_c.emit(sop, op_dtypes, step_dtype, [a, b])
                tmp = f"t{j}_{k}"
                lines.append(f"const {scalar_c.CTYPES[step_dtype]} {tmp} = {expr};")
                acc, acc_dtype = tmp, step_dtype
            expr = scalar_c.cast(acc, acc_dtype, out.dtype)
        else:
            op_dtypes = scalar_c.operand_dtypes(sop, in_dtypes, out.dtype)
            cast = [scalar_c.cast(o, d, t) for o, d, t in zip(operands, in_dtypes, op_dtypes)]
            expr = scalar_c.emit(sop, op_dtypes, out.dtype, cast)
        uses_err = uses_err or "&ac_err" in expr
        name = f"t{j}"
        lines.append(f"const {scalar_c.CTYPES[out.dtype]} {name} = {expr};")
        names[out] = name
    return per_member, uses_err


def group_cost(g: Group) -> float:
    cost = 1.0
    for node in g.members:
        cost += 10.0 if node.op.scalar_op.name in scalar_c.EXPENSIVE else 0.5
    return cost


def _leaf_names(ctx: KernelContext, g: Group,
                arrays: list[Variable]) -> tuple[dict[Variable, str], list[str]]:
    """C names of a group's leaves (``x<k>`` arrays, ``f<i>`` frame scalars) and the
    declarations of the scalars."""
    names: dict[Variable, str] = {}
    pre = []
    for i, v in enumerate(g.leaves):
        if not ctx.is_array(v):
            names[v] = f"f{i}"
            pre.append(f"    const {scalar_c.CTYPES[v.dtype]} f{i} = {ctx.frame(v)};")
    for k, v in enumerate(arrays):
        names[v] = f"x{k + 1}"
    return names, pre


def inner_fn(ctx: KernelContext, g: Group, fname: str,
              outs: list[tuple[Variable, str]]) -> tuple[str, list[Variable]]:
    """A row function ``fname(n, p, s, F)``: p[0..m-1] receive the ``m`` values of
    ``outs`` (each cast to its dtype), p[m..] are the group's array leaves.
    Returns (C, array leaves)."""
    arrays = [v for v in g.leaves if ctx.is_array(v)]
    names, pre = _leaf_names(ctx, g, arrays)
    if len(g.members) > STAGED_MEMBERS and all(v.owner in g.members for v, _ in outs):
        return _staged_inner_fn(ctx, g, fname, outs, arrays, names, pre), arrays
    m = len(outs)
    body, uses_err = _body(ctx, g, names)
    results = [scalar_c.cast(names[v], v.dtype, dt) for v, dt in outs]
    octs = [scalar_c.CTYPES[dt] for _, dt in outs]
    loads_c, loads_s = [], []
    conds = [f"s[{j}] == sizeof({ct})" for j, ct in enumerate(octs)]
    for k, v in enumerate(arrays):
        ct = scalar_c.CTYPES[v.dtype]
        conds.append(f"s[{m + k}] == sizeof({ct})")
        loads_c.append(f"const {ct} x{k + 1} = a{k + 1}[i];")
        loads_s.append(f"const {ct} x{k + 1} = *(const {ct} *)(p[{m + k}] + i * s[{m + k}]);")
    ptrs = [f"{ct} *o{j} = ({ct} *)p[{j}];" for j, ct in enumerate(octs)] + [
        f"const {scalar_c.CTYPES[v.dtype]} *a{k + 1} = "
        f"(const {scalar_c.CTYPES[v.dtype]} *)p[{m + k}];"
        for k, v in enumerate(arrays)
    ]
    stores_c = [f"o{j}[i] = {r};" for j, r in enumerate(results)]
    stores_s = [f"*({ct} *)(p[{j}] + i * s[{j}]) = {r};"
                for j, (ct, r) in enumerate(zip(octs, results))]
    ind = "            "
    simd = "" if uses_err else "        #pragma omp simd\n"
    contig = (
        f"    if ({' && '.join(conds)}) {{\n"
        + "".join(f"        {x}\n" for x in ptrs)
        + f"{simd}        for (npy_intp i = 0; i < n; i++) {{\n"
        + "".join(f"{ind}{x}\n" for x in loads_c + body + stores_c)
        + "        }\n    } else "
    )
    code = (
        f"static void {fname}(npy_intp n, char **p, const npy_intp *s, void *ctx) {{\n"
        f"    ac_frame *F = (ac_frame *)ctx;\n    int ac_err = 0;\n    (void)F;\n"
        + "".join(x + "\n" for x in pre)
        + contig
        + "{\n        for (npy_intp i = 0; i < n; i++) {\n"
        + "".join(f"{ind}{x}\n" for x in loads_s + body + stores_s)
        + "        }\n    }\n"
        + "    if (ac_err) F->err = 1;\n}\n"
    )
    return code, arrays


#: Groups with more members than this are computed in stages (see below).
STAGED_MEMBERS = 48
#: Members per stage: a loop body this size still vectorises and builds quickly.
STAGE_SIZE = 24
#: Bytes of block buffers a staged kernel keeps on the stack (per thread).
STAGE_POOL_BYTES = 64 * 1024


def _staged_inner_fn(ctx: KernelContext, g: Group, fname: str,
                     outs: list[tuple[Variable, str]], arrays: list[Variable],
                     names: dict[Variable, str], pre: list[str]) -> str:
    """The row function of a big group, strip-mined: blocks of ``B`` elements, and
    within a block one vector loop per stage of :data:`STAGE_SIZE` members.

    One loop over a body of hundreds of statements neither vectorises nor builds
    in reasonable time; stages hand their values on through small block buffers
    (L1-resident).  Inputs with a stride are gathered into a buffer first, and
    outputs are written to buffers and copied out after the last stage, so an
    output that shares memory with an input (a donated buffer) is written only
    once every stage has read the block.
    """
    m = len(outs)
    per_member, uses_err = _member_lines(ctx, g, names)
    stages = [range(i, min(i + STAGE_SIZE, len(g.members)))
              for i in range(0, len(g.members), STAGE_SIZE)]
    stage_of = {g.members[j].outputs[0]: si for si, st in enumerate(stages) for j in st}
    leaf_col = {v: k for k, v in enumerate(arrays)}
    # Values a later stage reads, and values copied out, live in block buffers
    # (an ordered set: the buffers are declared in a fixed order).
    handed: dict[Variable, None] = {}
    used_leaves: list[list[int]] = []
    reads: list[list[Variable]] = []
    for si, st in enumerate(stages):
        leaves, earlier = set(), {}
        for j in st:
            for inp in g.members[j].inputs:
                if inp in leaf_col:
                    leaves.add(leaf_col[inp])
                elif stage_of.get(inp, si) < si:
                    earlier[inp] = None
                    handed[inp] = None
        used_leaves.append(sorted(leaves))
        reads.append(list(earlier))
    for v, _ in outs:
        handed[v] = None
    buffered = list(handed)
    per_elem = sum(np.dtype(v.dtype).itemsize for v in arrays + buffered)
    block = max(8, min(256, STAGE_POOL_BYTES // max(per_elem, 1)) // 8 * 8)

    def ct(dtype: str) -> str:
        return scalar_c.CTYPES[dtype]

    # O1 (which still vectorises `omp simd` loops) builds several times faster than
    # O3 on bodies this size and runs about as fast: the time is in the math calls.
    lines = ["#pragma GCC push_options", '#pragma GCC optimize ("O1")',
             f"static void {fname}(npy_intp n, char **p, const npy_intp *s, void *ctx) {{",
             "    ac_frame *F = (ac_frame *)ctx;", "    int ac_err = 0;", "    (void)F;",
             *pre,
             *[f"    {ct(v.dtype)} gx{k + 1}[{block}];" for k, v in enumerate(arrays)],
             *[f"    {ct(v.dtype)} b_{names[v]}[{block}];" for v in buffered],
             f"    for (npy_intp i0 = 0; i0 < n; i0 += {block}) {{",
             f"        const npy_intp nb = n - i0 < {block} ? n - i0 : {block};"]
    for k, v in enumerate(arrays):
        t, q = ct(v.dtype), m + k
        lines.append(f"        const {t} *in{k + 1} = (const {t} *)ac_block_in("
                     f"p[{q}] + i0 * s[{q}], s[{q}], (char *)gx{k + 1}, nb, sizeof({t}));")
    simd = [] if uses_err else ["        #pragma omp simd"]
    for si, st in enumerate(stages):
        body = [f"const {ct(arrays[k].dtype)} x{k + 1} = in{k + 1}[j];" for k in used_leaves[si]]
        body += [f"const {ct(v.dtype)} {names[v]} = b_{names[v]}[j];" for v in reads[si]]
        for j in st:
            body += per_member[j]
            v = g.members[j].outputs[0]
            if v in handed:
                body.append(f"b_{names[v]}[j] = {names[v]};")
        lines += simd + ["        for (npy_intp j = 0; j < nb; j++) {"]
        lines += [f"            {x}" for x in body] + ["        }"]
    for j, (v, dt) in enumerate(outs):
        if dt == v.dtype:
            lines.append(f"        ac_block_out(p[{j}] + i0 * s[{j}], s[{j}], "
                         f"(const char *)b_{names[v]}, nb, sizeof({ct(dt)}));")
            continue
        value = scalar_c.cast(f"b_{names[v]}[j]", v.dtype, dt)
        lines += [f"        for (npy_intp j = 0; j < nb; j++) "
                  f"*({ct(dt)} *)(p[{j}] + (i0 + j) * s[{j}]) = {value};"]
    lines += ["    }", "    if (ac_err) F->err = 1;", "}", "#pragma GCC pop_options"]
    return "\n".join(lines) + "\n"


def _deps(g: Group, arrays: list[Variable]) -> list[list[int]]:
    """For each output of ``g``, which array leaves (0/1 per leaf) its value depends
    on: its NumPy shape is their broadcast, which may be smaller than the loop's."""
    col = {v: k for k, v in enumerate(arrays)}
    dep: dict[Variable, set] = {}
    for node in g.members:
        acc: set = set()
        for inp in node.inputs:
            if inp in dep:
                acc |= dep[inp]
            elif inp in col:
                acc.add(col[inp])
        dep[node.outputs[0]] = acc
    return [[1 if k in dep[v] else 0 for k in range(len(arrays))] for v in g.outputs]


def emit_elemwise(ctx: KernelContext, step: Step, k: int) -> Kernel:
    g = step.group
    outs = g.outputs
    fname = f"ac_k{k}"
    if not ctx.is_array(outs[0]):
        # Every operand is a frame scalar: straight-line C, no loop.
        names = {v: ctx.frame(v) for v in g.leaves}
        body, _ = _body(ctx, g, names)
        code = (
            f"static int {fname}(ac_frame *F) {{\n    int ac_err = 0;\n"
            + "".join(f"    {x}\n" for x in body)
            + "".join(f"    {ctx.frame(v)} = {names[v]};\n" for v in outs)
            + "    if (ac_err) {\n"
            + f"        PyErr_SetString(PyExc_ValueError, \"{POW_ERROR}\");\n"
            + "        return -1;\n    }\n    return 0;\n}\n"
        )
        return Kernel(code, f"int {fname}(ac_frame *F) except -1")
    inner, arrays = inner_fn(ctx, g, f"{fname}_inner", [(v, v.dtype) for v in outs])
    n, m = len(arrays), len(outs)
    deps = _deps(g, arrays)
    params = "".join(f", PyObject *a{i}" for i in range(n))
    types = ", ".join(scalar_c.typenum(v.dtype) for v in arrays)
    otypes = ", ".join(scalar_c.typenum(v.dtype) for v in outs)
    mask = ", ".join(str(b) for row in deps for b in row) or "0"
    slots = [ctx.plan.storage[v][1] for v in outs]
    code = inner + (
        f"static int {fname}(ac_frame *F, PyObject *S{params}, PyObject *donor) {{\n"
        f"    PyObject *ins[{max(n, 1)}] = {{{', '.join(f'a{i}' for i in range(n)) or 'NULL'}}};\n"
        f"    static const int types[{max(n, 1)}] = {{{types or '0'}}};\n"
        f"    static const int otypes[{m}] = {{{otypes}}};\n"
        f"    static const unsigned char deps[{max(n * m, 1)}] = {{{mask}}};\n"
        f"    PyObject *outs[{m}];\n"
        f"    if (ac_elemwise_multi({g.nd}, {n}, ins, types, {m}, otypes, deps, donor, outs, "
        f"{fname}_inner, F, {group_cost(g)}) < 0) return -1;\n"
        f"    if (F->err) {{\n        F->err = 0;\n"
        f"        for (int j = 0; j < {m}; j++) Py_DECREF(outs[j]);\n"
        f"        PyErr_SetString(PyExc_ValueError, \"{POW_ERROR}\");\n"
        f"        return -1;\n    }}\n"
        + "".join(f"    PyList_SetItem(S, {s_}, outs[{j}]);\n" for j, s_ in enumerate(slots))
        + "    return 0;\n}\n"
    )
    decl_params = "".join(", object" for _ in range(n))
    return Kernel(code, f"int {fname}(ac_frame *F, object S{decl_params}, object donor) except -1")
