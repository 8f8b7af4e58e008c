"""C for reductions: loops that fold rows (R mode, one output at a time) or update
rows of outputs (A mode), fused with the element-wise sub-graph they reduce."""

from __future__ import annotations

from aesara_cas.compile.cython import scalar_c
from aesara_cas.compile.cython.elemwise_c import group_cost, inner_fn
from aesara_cas.compile.cython.kernel_base import Kernel, KernelContext, err_check
from aesara_cas.compile.cython.lower import Group, Step

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
        rrow = f"""    S->acc += {fname}_pw_top(n, p, s, ctx);\n"""
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


def _pairwise(dtype: str, fname: str, direct: bool, cost: float) -> str:
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
/* A long row: the top levels of the same pairwise tree on up to four threads, so the
 * sum is the serial one bit for bit, whatever the number of threads. */
static {T} {fname}_pw_top(npy_intp n, char **p, const npy_intp *s, void *ctx) {{
#ifdef _OPENMP
    if ((double)n * {cost} > AC_PAR_WORK && n > 1024 && !omp_in_parallel()) {{
        int t = ac_threads();
        if (t > 1) {{
            const int nops = {fname}_nops;
            int leaves = t >= 4 ? 4 : 2;
            npy_intp lo[4], len[4];
            npy_intp h = n / 2;
            h -= h % 8;
            lo[0] = 0; len[0] = h; lo[1] = h; len[1] = n - h;
            if (leaves == 4) {{
                npy_intp a = len[0] / 2, b = len[1] / 2;
                a -= a % 8; b -= b % 8;
                lo[3] = h + b; len[3] = len[1] - b; lo[2] = h; len[2] = b;
                lo[1] = a; len[1] = len[0] - a; len[0] = a;
            }}
            {T} part[4];
            #pragma omp parallel for num_threads(leaves < t ? leaves : t) schedule(static, 1)
            for (int k = 0; k < leaves; k++) {{
                char *pk[nops];
                for (int j = 0; j < nops; j++) pk[j] = p[j] + lo[k] * s[j];
                part[k] = {fname}_pw(len[k], pk, s, ctx);
            }}
            return leaves == 2 ? part[0] + part[1] : (part[0] + part[1]) + (part[2] + part[3]);
        }}
    }}
#endif
    return {fname}_pw(n, p, s, ctx);
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
        fill, arrays = inner_fn(ctx, g, f"{fname}_fill", [(x, acc)])
    else:
        fake = Group("ew", node, g.nd, g.loop_shape, [], [x])
        fill, arrays = inner_fn(ctx, fake, f"{fname}_fill", [(x, acc)])
    n = len(arrays)
    direct = not g.members and len(arrays) == 1 and x.dtype == acc
    parts = _reduce_parts(op.kind, acc, fname, direct)
    pairwise = op.kind in ("sum", "mean") and acc in scalar_c.FLOATS
    axes = set(op.reduced_axes(g.nd))
    red = ", ".join("1" if d in axes else "0" for d in range(g.nd))
    cost = group_cost(g) + (10.0 if op.kind == "logsumexp" else 1.0)
    pw = _pairwise(acc, fname, direct, cost) if pairwise else ""
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
        + err_check(
            f"ac_reduce({g.nd}, {n}, ins, types, {scalar_c.typenum(acc)}, red, "
            f"{int(op.keepdims)}, {needs}, \"{_OPNAMES.get(op.kind, op.kind)}\", &R, F)"
        )
        + "}\n"
    )
    decl_params = "".join(", object" for _ in range(n))
    return Kernel(code, f"object {fname}(ac_frame *F{decl_params})")
