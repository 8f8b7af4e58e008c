"""C kernels for the steps of a plan: one small emitter per op family.

``KERNEL_EMITTERS`` maps an op class to the function that writes the C for a step
of that family; steps whose op has no entry run ``perform`` from the wrapper and
need no C.  Every emitter returns a :class:`Kernel`: the C text and how the
Cython wrapper calls it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aesara_cas.compile.cython import scalar_c
from aesara_cas.compile.cython.lower import Group, Plan, Step, fold_steps
from aesara_cas.graph.basic import Apply, Variable
from aesara_cas.tensor.blas import Dot, Gemm, MatMul
from aesara_cas.tensor.elemwise import Elemwise
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import DimShuffle

POW_ERROR = "Integers to negative integer powers are not allowed."


@dataclass
class Kernel:
    """C text of one step, and its Cython declaration."""

    c: str
    decl: str


class KernelContext:
    """What emitters need to know about the plan: where each value lives."""

    def __init__(self, plan: Plan):
        self.plan = plan

    def frame(self, var: Variable) -> str:
        """A C expression for a frame scalar or a scalar literal."""
        where = self.plan.storage[var]
        if where[0] == "scalar":
            return f"F->s{where[1]}"
        if where[0] == "const":
            return where[1]
        raise AssertionError(f"{var} is not a scalar")

    def is_array(self, var: Variable) -> bool:
        return self.plan.storage[var][0] in ("array", "cslot")


# --------------------------------------------------------------------------- #
# Element-wise bodies (shared by element-wise and reduction kernels).           #

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


def _cost(g: Group) -> float:
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


def _inner_fn(ctx: KernelContext, g: Group, fname: str,
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
    out_vars = {v for v, _ in outs}
    # Values a later stage reads, and values copied out, live in block buffers.
    handed: dict[Variable, int] = {}
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
                    handed[inp] = stage_of[inp]
        used_leaves.append(sorted(leaves))
        reads.append(list(earlier))
    for v in out_vars:
        handed.setdefault(v, stage_of[v])
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


def _err_check(call: str) -> str:
    return (
        f"    PyObject *r = {call};\n"
        f"    if (r != NULL && F->err) {{\n"
        f"        Py_DECREF(r); F->err = 0;\n"
        f"        PyErr_SetString(PyExc_ValueError, \"{POW_ERROR}\");\n"
        f"        return NULL;\n    }}\n    return r;\n"
    )


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
    inner, arrays = _inner_fn(ctx, g, f"{fname}_inner", [(v, v.dtype) for v in outs])
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
        f"{fname}_inner, F, {_cost(g)}) < 0) return -1;\n"
        f"    if (F->err) {{\n        F->err = 0;\n"
        f"        for (int j = 0; j < {m}; j++) Py_DECREF(outs[j]);\n"
        f"        PyErr_SetString(PyExc_ValueError, \"{POW_ERROR}\");\n"
        f"        return -1;\n    }}\n"
        + "".join(f"    PyList_SetItem(S, {s_}, outs[{j}]);\n" for j, s_ in enumerate(slots))
        + "    return 0;\n}\n"
    )
    decl_params = "".join(", object" for _ in range(n))
    return Kernel(code, f"int {fname}(ac_frame *F, object S{decl_params}, object donor) except -1")


# --------------------------------------------------------------------------- #
# Reductions.                                                                  #

_OPNAMES = {"max": "maximum", "min": "minimum"}


def _identity(kind: str, dtype: str) -> str:
    ct = scalar_c.CTYPES[dtype]
    if kind in ("sum", "mean", "any"):
        return f"(({ct})0)"
    if kind in ("prod", "all"):
        return f"(({ct})1)"
    if dtype in scalar_c.FLOATS:
        return f"(-({ct})INFINITY)" if kind in ("max", "logsumexp") else f"(({ct})INFINITY)"
    if dtype == "bool":
        return "((npy_bool)0)" if kind == "max" else "((npy_bool)1)"
    info = {"max": "MIN", "min": "MAX"}[kind]
    bits = dtype.replace("uint", "UINT").replace("int", "INT")
    if dtype.startswith("uint") and kind == "max":
        return f"(({ct})0)"
    return f"(({ct})NPY_{info}_{bits})"


def _reduce_parts(kind: str, dtype: str, fname: str, direct: bool) -> str:
    """rstart/rrow/rmid/rend and init/arow/amid/aend for ``kind`` on ``dtype``.

    ``direct``: the values are the single operand itself (same dtype), so a
    contiguous row is read in place instead of being copied to a buffer first.
    """
    T = scalar_c.CTYPES[dtype]
    is_float = dtype in scalar_c.FLOATS
    f = "f" if dtype == "float32" else ""
    ident = _identity(kind, dtype)
    fill = f"""        {fname}_fill(m, q, qs, ctx);
        const {T} *buf = bufm;
"""
    if direct:
        fill = f"""        const {T} *buf = bufm;
        if (s[0] == sizeof({T})) buf = (const {T} *)q[1];
        else {fname}_fill(m, q, qs, ctx);
"""
    # Blocks of 256 values go through a buffer; a contiguous operand read in place
    # is taken whole (logsumexp: in L1-sized blocks, each is read twice).
    whole = "1024" if kind == "logsumexp" else "(n > 0 ? n : 1)"
    bs = f"s[0] == sizeof({T}) ? {whole} : 256" if direct else "256"
    block = f"""    {T} bufm[256];
    char *q[nops + 1]; npy_intp qs[nops + 1];
    q[0] = (char *)bufm; qs[0] = sizeof({T});
    for (int k = 0; k < nops; k++) qs[k + 1] = s[k];
    const npy_intp bs = {bs};
    for (npy_intp i0 = 0; i0 < n; i0 += bs) {{
        npy_intp m = n - i0 < bs ? n - i0 : bs;
        for (int k = 0; k < nops; k++) q[k + 1] = p[k] + i0 * s[k];
{fill}"""
    # R mode: fold a block into the state.
    if kind in ("sum", "mean") and is_float:
        rrow = f"""    S->acc += {fname}_pw(n, p, s, ctx);\n"""
    else:
        if kind in ("sum", "mean"):
            fold = f"""        {T} a = S->acc;
        #pragma omp simd reduction(+:a)
        for (npy_intp i = 0; i < m; i++) a += buf[i];
        S->acc = a;"""
        elif kind == "prod":
            fold = """        for (npy_intp i = 0; i < m; i++) S->acc *= buf[i];"""
        elif kind in ("all", "any"):
            op = "&" if kind == "all" else "|"
            fold = f"""        int a = S->acc;
        for (npy_intp i = 0; i < m; i++) a {op}= buf[i];
        S->acc = ({T})a;"""
        elif kind in ("max", "min"):
            cmp = ">" if kind == "max" else "<"
            fold = f"""        {T} a = S->acc; int nan = 0;
        #pragma omp simd reduction({kind}:a) reduction(|:nan)
        for (npy_intp i = 0; i < m; i++) {{
            {T} v = buf[i]; a = v {cmp} a ? v : a; nan |= (v != v);
        }}
        S->acc = a; S->nan |= nan;"""
        else:
            # logsumexp in one pass over the data (online): the running maximum
            # is the shift, and the sum is rescaled when a block raises it.
            fold = f"""        {T} bm = -({T})INFINITY; int nan = 0;
        #pragma omp simd reduction(max:bm) reduction(|:nan)
        for (npy_intp i = 0; i < m; i++) {{
            {T} v = buf[i]; bm = v > bm ? v : bm; nan |= (v != v);
        }}
        S->nan |= nan;
        if (bm > S->acc) {{ S->s *= exp{f}(S->acc - bm); S->acc = bm; }}
        if (isfinite(S->acc)) {{
            {T} a = 0, sh = S->acc;
            #pragma omp simd reduction(+:a)
            for (npy_intp i = 0; i < m; i++) a += exp{f}(buf[i] - sh);
            S->s += a;
        }}"""
        rrow = block + fold + "\n    }\n"
    rmid = ""
    if kind == "logsumexp":
        rend = (f"    *({T} *)out = S->nan ? ({T})NAN : isfinite(S->acc) ? "
                f"log{f}(S->s) + S->acc : S->acc;")
    elif kind in ("max", "min") and is_float:
        rend = f"    *({T} *)out = S->nan ? ({T})NAN : S->acc;"
    elif kind == "mean":
        rend = f"    *({T} *)out = S->acc / ({T})rcount;"
    else:
        rend = f"    *({T} *)out = S->acc;"
    # A mode: element-wise update of output rows.
    if kind in ("sum", "mean"):
        upd = "O(i) += v;"
    elif kind == "prod":
        upd = "O(i) *= v;"
    elif kind == "all":
        upd = "O(i) = O(i) & v;"
    elif kind == "any":
        upd = "O(i) = O(i) | v;"
    else:
        cmp = ">" if kind in ("max", "logsumexp") else "<"
        nan = " || v != v" if is_float else ""
        upd = f"O(i) = (v {cmp} O(i){nan}) ? v : O(i);"
    updates = [upd]
    if kind == "logsumexp":  # pass 0: the maximum; pass 1: the shifted sum in aux
        updates.append(f"{T} mm = O(i); {T} sh = isfinite(mm) ? mm : ({T})0; "
                       f"A(i) += exp{f}(v - sh);")

    def loops(simd: str) -> str:
        code = [f"""            {simd}
            for (npy_intp i = 0; i < m; i++) {{ {T} v = buf[i]; {u} }}""" for u in updates]
        if len(code) == 1:
            return code[0]
        return f"""            if (pass == 0) {{
    {code[0]}
            }} else {{
    {code[1]}
            }}"""

    # Contiguous output rows (the usual case) get a vector loop.
    arow = block + f"""        char *ob = out + i0 * os;
        char *xb = aux ? aux + i0 * os : NULL; (void)xb;
        if (os == (npy_intp)sizeof({T})) {{
            #define O(i) ((({T} *)ob)[i])
            #define A(i) ((({T} *)xb)[i])
{loops("#pragma omp simd")}
            #undef O
            #undef A
        }} else {{
            #define O(i) (*({T} *)(ob + (i) * os))
            #define A(i) (*({T} *)(xb + (i) * os))
{loops("")}
            #undef O
            #undef A
        }}
    }}
"""
    if kind == "logsumexp":
        aend = (f"    for (npy_intp i = 0; i < n; i++) {{ {T} mm = ((({T} *)out)[i]); "
                f"{T} sh = isfinite(mm) ? mm : ({T})0; "
                f"(({T} *)out)[i] = log{f}((({T} *)aux)[i]) + sh; }}")
    elif kind == "mean":
        aend = f"    for (npy_intp i = 0; i < n; i++) (({T} *)out)[i] /= ({T})rcount;"
    else:
        aend = "    (void)out; (void)n;"
    return f"""typedef struct {{ {T} acc; int nan; {T} shift; {T} s; }} {fname}_st;
static void {fname}_rstart(char *state) {{
    {fname}_st *S = ({fname}_st *)state;
    S->acc = {ident}; S->nan = 0; S->shift = 0; S->s = 0;
}}
static void {fname}_rmid(char *state) {{
    {fname}_st *S = ({fname}_st *)state; (void)S;
{rmid}
}}
static void {fname}_rrow(char *state, npy_intp n, char **p, const npy_intp *s, void *ctx,
                         int pass) {{
    {fname}_st *S = ({fname}_st *)state; (void)pass;
    const int nops = {fname}_nops;
{rrow}}}
static void {fname}_rend(char *state, char *out, npy_intp rcount) {{
    {fname}_st *S = ({fname}_st *)state; (void)rcount;
{rend}
}}
static void {fname}_init(char *out, char *aux, npy_intp n) {{
    for (npy_intp i = 0; i < n; i++) (({T} *)out)[i] = {ident};
    (void)aux;
}}
static void {fname}_arow(char *out, char *aux, npy_intp n, npy_intp os, char **p,
                         const npy_intp *s, void *ctx, int pass) {{
    const int nops = {fname}_nops; (void)pass;
{arow}}}
static void {fname}_amid(char *out, char *aux, npy_intp n) {{ (void)out; (void)aux; (void)n; }}
static void {fname}_aend(char *out, char *aux, npy_intp n, npy_intp rcount) {{
    (void)aux; (void)rcount;
{aend}
}}
"""


def _pairwise(dtype: str, fname: str, direct: bool) -> str:
    """NumPy's pairwise summation (8 accumulators, blocks of 128), on values the
    fused loop computes on the fly, so float sums match NumPy's rounding."""
    T = scalar_c.CTYPES[dtype]
    leaf = f"{fname}_fill(n, q, qs, ctx);"
    if direct:
        leaf = f"if (s[0] == sizeof({T})) a = (const {T} *)p[0]; else {leaf}"
    return f"""static {T} {fname}_pw(npy_intp n, char **p, const npy_intp *s, void *ctx) {{
    const int nops = {fname}_nops;
    if (n <= 128) {{
        {T} ab[128];
        const {T} *a = ab;
        char *q[nops + 1]; npy_intp qs[nops + 1];
        q[0] = (char *)ab; qs[0] = sizeof({T});
        for (int k = 0; k < nops; k++) {{ q[k + 1] = p[k]; qs[k + 1] = s[k]; }}
        {leaf}
        if (n < 8) {{
            {T} res = 0;
            for (npy_intp i = 0; i < n; i++) res += a[i];
            return res;
        }}
        {T} r[8];
        for (int j = 0; j < 8; j++) r[j] = a[j];
        npy_intp i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++) r[j] += a[i + j];
        {T} res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }}
    npy_intp n2 = n / 2;
    n2 -= n2 % 8;
    char *p2[nops];
    for (int k = 0; k < nops; k++) p2[k] = p[k] + n2 * s[k];
    return {fname}_pw(n2, p, s, ctx) + {fname}_pw(n - n2, p2, s, ctx);
}}
"""


def emit_reduce(ctx: KernelContext, step: Step, k: int) -> Kernel:
    g = step.group
    node = step.node
    op = node.op
    x, out = node.inputs[0], node.outputs[0]
    acc = out.dtype
    fname = f"ac_k{k}"
    if g.members:
        fill, arrays = _inner_fn(ctx, g, f"{fname}_fill", [(x, acc)])
    else:
        fake = Group("ew", node, g.nd, g.loop_shape, [], [x])
        fill, arrays = _inner_fn(ctx, fake, f"{fname}_fill", [(x, acc)])
    n = len(arrays)
    direct = not g.members and len(arrays) == 1 and x.dtype == acc
    parts = _reduce_parts(op.kind, acc, fname, direct)
    pairwise = op.kind in ("sum", "mean") and acc in scalar_c.FLOATS
    pw = _pairwise(acc, fname, direct) if pairwise else ""
    axes = set(op.reduced_axes(g.nd))
    red = ", ".join("1" if d in axes else "0" for d in range(g.nd))
    cost = _cost(g) + (10.0 if op.kind == "logsumexp" else 1.0)
    passes = 2 if op.kind == "logsumexp" else 1  # A mode; R mode is always one pass
    aux = f"sizeof({scalar_c.CTYPES[acc]})" if op.kind == "logsumexp" else "0"
    needs = 1 if op.kind in ("max", "min") else 0
    params = "".join(f", PyObject *a{i}" for i in range(n))
    types = ", ".join(scalar_c.typenum(v.dtype) for v in arrays)
    code = fill + f"static const int {fname}_nops = {n};\n" + pw + parts + (
        f"static PyObject *{fname}(ac_frame *F{params}) {{\n"
        f"    static const ac_reducer R = {{{passes}, 1, sizeof({scalar_c.CTYPES[acc]}), "
        f"{fname}_init, {fname}_rrow, {fname}_rstart, {fname}_rmid, {fname}_rend, "
        f"sizeof({fname}_st), {fname}_arow, {fname}_amid, {fname}_aend, {aux}, {cost}}};\n"
        f"    static const unsigned char red[{g.nd}] = {{{red}}};\n"
        f"    PyObject *ins[{n}] = {{{', '.join(f'a{i}' for i in range(n))}}};\n"
        f"    static const int types[{n}] = {{{types}}};\n"
        + _err_check(
            f"ac_reduce({g.nd}, {n}, ins, types, {scalar_c.typenum(acc)}, red, "
            f"{int(op.keepdims)}, {needs}, \"{_OPNAMES.get(op.kind, op.kind)}\", &R, F)"
        )
        + "}\n"
    )
    decl_params = "".join(", object" for _ in range(n))
    return Kernel(code, f"object {fname}(ac_frame *F{decl_params})")


# --------------------------------------------------------------------------- #
# Views and BLAS.                                                               #

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
