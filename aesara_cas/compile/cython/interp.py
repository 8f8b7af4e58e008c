"""The kernel interpreter: one native module, built once into the cache, that runs
any fused element-wise or reduction group as a small bytecode (see ``interp.h``).

Its op loops are generated from the same scalar C expressions as the per-graph
kernels (:mod:`.scalar_c`), with the same defines and optimisation level, and its
reductions are the kernels' own reduction code (:mod:`.reduce_c`) with the
interpreter as the function that fills their blocks; both run under the runtime's
loop drivers (``ac_elemwise_multi``, ``ac_reduce``).  So a group gives the same bits
on the interpreter as in a graph's module on contiguous rows (rows with a strided
operand use scalar math calls, as most kernels' strided loops do; GCC vectorises some
of those with gathers, and the last bit of a math function may then differ).

:func:`load` returns the module: the one built when the package was installed
(:mod:`.interp_prebuilt`) if it was built from this source for this machine, else
the cache's (built at first use under the cache's rules); :mod:`.interp_encode`
turns plan steps into its bytecode.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from types import ModuleType

from aesara_cas.compile.cython import scalar_c
from aesara_cas.tensor.scalar import SCALAR_OPS

DTYPES = list(scalar_c.CTYPES)
#: Dtypes ops compute in (casts go between all of ``DTYPES``); a group computing in
#: another runs ``perform`` (exact integer operations: NumPy's bits are the module's).
OP_DTYPES = ("bool", "uint8", "int32", "int64", "float32", "float64")
#: Reductions the interpreter runs: kind -> accumulator dtypes (others: ``perform``).
REDUCTIONS = {
    "sum": ("float64", "float32", "int64"), "mean": ("float64", "float32"),
    "prod": ("float64", "float32"), "max": ("float64", "float32", "int64"),
    "min": ("float64", "float32", "int64"), "all": ("bool",), "any": ("bool",),
    "logsumexp": ("float64", "float32"),
}


def _operand_sets(name: str, nin: int) -> list[tuple[tuple[str, ...], str]]:
    """(operand dtypes, result dtype) of every loop of op ``name``, following
    ``scalar_c.operand_dtypes``."""
    out = []
    for T in OP_DTYPES:
        if name in scalar_c.COMPARE_IN_COMMON:
            out.append(((T, T), "bool"))
        elif name in scalar_c.OWN_DTYPE:
            out.append(((T,), "bool"))
        elif name == "switch":
            out.append((("bool", T, T), T))
        else:
            out.append(((T,) * nin, T))
    return out


#: A call in a loop body (a math function or a helper that calls one).
_CALL = re.compile(r"\b[a-z_][a-z_0-9]*\(")


def _loops() -> tuple[dict[tuple, int], list[str], list[str], set[int]]:
    """Every op loop: key -> index, and the C functions of loops that call vector
    math (built like the kernels, at O3) and of the others (built at O1, which is
    several times faster: they are exact operations, the same bits vectorised or
    not)."""
    keys: dict[tuple, int] = {}
    heavy: list[str] = []
    light: list[str] = []
    scalar_twin: set[int] = set()

    ct = scalar_c.CTYPES
    sig = "(npy_intp n, char *o_, const char *a_, const char *b_, const char *c_) {\n"
    # A new process generates this text to check the packaged interpreter against
    # (before its first function): the parts shared by loops of one signature are made
    # once per signature.
    heads: dict[tuple, tuple[str, str]] = {}

    def add(key: tuple, ins: tuple[str, ...], out: str, expr: str) -> None:
        k = len(keys)
        keys[key] = k
        head = heads.get((ins, out))
        if head is None:
            decl = [f"    {ct[out]} *o = ({ct[out]} *)o_;"]
            decl += [f"    const {ct[d]} *{p} = (const {ct[d]} *){p}_;"
                     for p, d in zip("abc", ins)]
            loads = "".join(f"const {ct[d]} v{i} = {p}[i]; "
                            for i, (p, d) in enumerate(zip("abc", ins)))
            head = heads[(ins, out)] = (
                "\n".join(decl) + "\n    int ac_err = 0; (void)a_; (void)b_; (void)c_;\n",
                f"    for (npy_intp i = 0; i < n; i++) {{ {loads}o[i] = ")
        tail = f"{expr}; }}\n    return ac_err;\n}}\n"
        simd = "" if "&ac_err" in expr else "    #pragma omp simd\n"
        if out in scalar_c.FLOATS and _CALL.search(expr):
            # The scalar twin runs rows a kernel runs in its plain (strided) loop.
            heavy.append(f"static int ir_o{k}{sig}{head[0]}{simd}{head[1]}{tail}")
            # (Scalar calls give the same bits at any optimisation level: O1, quick.)
            light.append(f"__attribute__((optimize(\"no-tree-vectorize\"))) "
                         f"static int ir_s{k}{sig}{head[0]}{head[1]}{tail}")
            scalar_twin.add(k)
        else:
            light.append(f"static int ir_o{k}{sig}{head[0]}{simd}{head[1]}{tail}")

    for src in DTYPES:
        for dst in DTYPES:
            if src != dst:
                add(("cast", src, dst), (src,), dst, scalar_c.cast("v0", src, dst))
    for name, sop in SCALAR_OPS.items():
        nin = 2 if sop.nin == -1 else sop.nin
        for ins, out in _operand_sets(name, nin):
            expr = scalar_c.emit(sop, list(ins), out, [f"v{i}" for i in range(nin)])
            if expr is not None:
                add(("op", name, ins, out), ins, out, expr)
    return keys, heavy, light, scalar_twin


def _reducers() -> tuple[dict[tuple, int], list[str], list[str], str]:
    """The kernels' reduction code once per (kind, accumulator dtype, direct)."""
    from aesara_cas.compile.cython.reduce_c import _OPNAMES, _pairwise, _reduce_parts

    keys: dict[tuple, int] = {}
    heavy, light, table = [], [], []
    for kind, dtypes in REDUCTIONS.items():
        for dtype in dtypes:
            # Reading a contiguous operand in place changes the bits only where it
            # changes the blocks the values are folded in: logsumexp's shifts.
            for direct in (False, True) if kind == "logsumexp" else (False,):
                v = len(keys)
                keys[(kind, dtype, direct)] = v
                f = f"ir_r{v}"
                code = heavy if dtype in scalar_c.FLOATS else light
                code.append(f"#define {f}_fill ir_inner\n"
                            f"#define {f}_nops (((const ir_ctx *)ctx)->nin)\n")
                if kind in ("sum", "mean") and dtype in scalar_c.FLOATS:
                    code.append(_pairwise(dtype, f, direct, "(((const ir_ctx *)ctx)->cost)"))
                code.append(_reduce_parts(kind, dtype, f, direct))
                T = scalar_c.CTYPES[dtype]
                passes = 2 if kind == "logsumexp" else 1
                aux = f"sizeof({T})" if kind == "logsumexp" else "0"
                table.append(
                    f"    {{{passes}, 1, sizeof({T}), {f}_init, {f}_rrow, {f}_rstart, "
                    f"{f}_rmid, {f}_rend, sizeof({f}_st), {f}_arow, {f}_amid, {f}_aend, "
                    f"{aux}, 0.0}},")
                code.append(f'static const char ir_r{v}_name[] = "{_OPNAMES.get(kind, kind)}";\n')
    names = "".join(f"ir_r{v}_name, " for v in range(len(keys)))
    tail = ("static const ac_reducer ir_reducers[] = {\n" + "\n".join(table) + "\n};\n"
            f"static const char *ir_reducer_names[] = {{{names}}};\n")
    return keys, heavy, light, tail


_ENTRY = r"""
static PyObject *ir_outputs(PyObject **outs, int nout) {
    PyObject *list = PyList_New(nout);
    if (list == NULL) { for (int j = 0; j < nout; j++) Py_DECREF(outs[j]); return NULL; }
    for (int j = 0; j < nout; j++) PyList_SET_ITEM(list, j, outs[j]);
    return list;
}

static int ir_setup(ir_ctx *c, PyObject *prog, int nin, int nscal, const npy_int32 *stypes,
                    PyObject *scalars, double cost) {
    c->prog = (const npy_int32 *)PyBytes_AS_STRING(prog);
    c->table = ir_table;
    c->stable = ir_stable;
    c->nin = nin;
    c->err = 0;
    c->cost = cost;
    for (int k = 0; k < nscal; k++) {
        c->scal[k] = 0;
        if (ac_read(PyList_GET_ITEM(scalars, k), &c->scal[k], stypes[k]) < 0) return -1;
    }
    return 0;
}

static int ir_failed(ir_ctx *c) {
    if (c->err == 2) PyErr_NoMemory();
    else PyErr_SetString(PyExc_ValueError, "Integers to negative integer powers are not allowed.");
    return -1;
}

/* meta: nd, nin, nscal, nout, types[nin], stypes[nscal], otypes[nout], deps[nout*nin] */
static PyObject *ir_ew(PyObject *prog, PyObject *meta, PyObject *arrays, PyObject *scalars,
                       double cost) {
    const npy_int32 *M = (const npy_int32 *)PyBytes_AS_STRING(meta);
    const int nd = M[0], nin = M[1], nscal = M[2], nout = M[3];
    const npy_int32 *types = M + 4, *stypes = types + nin, *otypes = stypes + nscal;
    const npy_int32 *depw = otypes + nout;
    unsigned char deps[nout * nin > 0 ? nout * nin : 1];
    for (int k = 0; k < nout * nin; k++) deps[k] = (unsigned char)depw[k];
    PyObject *ins[nin > 0 ? nin : 1];
    for (int k = 0; k < nin; k++) ins[k] = PyList_GET_ITEM(arrays, k);
    ir_ctx c;
    if (ir_setup(&c, prog, nin, nscal, stypes, scalars, cost) < 0) return NULL;
    PyObject *outs[nout];
    if (ac_elemwise_multi(nd, nin, ins, (const int *)types, nout, (const int *)otypes, deps,
                          Py_None, outs, ir_inner, &c, cost) < 0)
        return NULL;
    if (c.err) {
        for (int j = 0; j < nout; j++) Py_DECREF(outs[j]);
        ir_failed(&c);
        return NULL;
    }
    return ir_outputs(outs, nout);
}

/* meta: nd, nin, nscal, acc_type, keepdims, needs, types[nin], stypes[nscal], red[nd] */
static PyObject *ir_red(int variant, PyObject *prog, PyObject *meta, PyObject *arrays,
                        PyObject *scalars, double cost) {
    const npy_int32 *M = (const npy_int32 *)PyBytes_AS_STRING(meta);
    const int nd = M[0], nin = M[1], nscal = M[2];
    const npy_int32 *types = M + 6, *stypes = types + nin, *redw = stypes + nscal;
    unsigned char red[nd > 0 ? nd : 1];
    for (int d = 0; d < nd; d++) red[d] = (unsigned char)redw[d];
    PyObject *ins[nin > 0 ? nin : 1];
    for (int k = 0; k < nin; k++) ins[k] = PyList_GET_ITEM(arrays, k);
    ir_ctx c;
    if (ir_setup(&c, prog, nin, nscal, stypes, scalars, cost) < 0) return NULL;
    ac_reducer R = ir_reducers[variant];
    R.cost = cost;
    PyObject *r = ac_reduce(nd, nin, ins, (const int *)types, M[3], red, M[4], M[5],
                            ir_reducer_names[variant], &R, &c);
    if (r != NULL && c.err) { Py_DECREF(r); ir_failed(&c); return NULL; }
    return r;
}
"""

_PYX_TAIL = """
    object ir_ew(object prog, object meta, object arrays, object scalars, double cost)
    object ir_red(int variant, object prog, object meta, object arrays, object scalars,
                  double cost)

_import_array()


def ew(bytes prog, bytes meta, list arrays, list scalars, double cost):
    \"\"\"Run an element-wise program: the list of its outputs.\"\"\"
    return ir_ew(prog, meta, arrays, scalars, cost)


def red(int variant, bytes prog, bytes meta, list arrays, list scalars, double cost):
    \"\"\"Run a reduction whose values a program computes: the reduced array.\"\"\"
    return ir_red(variant, prog, meta, arrays, scalars, cost)
"""


class _Tables:
    """The op and reducer indices (for the encoder) and the module's source.  (A plain
    class: making a dataclass costs a new process's first function 0.4 ms.)"""

    __slots__ = ("ops", "reducers", "text")

    def __init__(self, ops: dict[tuple, int], reducers: dict[tuple, int], text: str):
        self.ops = ops
        self.reducers = reducers
        self.text = text


_TABLES: _Tables | None = None
_HERE = Path(__file__).resolve().parent
_module: ModuleType | None = None
_lock = threading.Lock()


def tables() -> _Tables:
    """The op and reducer indices and the module's source (generated once)."""
    global _TABLES
    if _TABLES is None:
        from aesara_cas.compile.cython.module import _mvec_defines
        from aesara_cas.compile.cython.wrapper import HEADER, RUNTIME_DECLS

        ops, op_heavy, op_light, twins = _loops()
        reducers, red_heavy, red_light, red_tail = _reducers()
        defines = [f"#define {d} 1" for d in _mvec_defines()]
        defines += ["#pragma GCC push_options", '#pragma GCC optimize ("O3")']
        # One join (not a chain of ``+`` copying the growing text each time).
        c_text = "".join([
            (_HERE / "interp.h").read_text(), *op_heavy, *red_heavy,
            '#pragma GCC push_options\n#pragma GCC optimize ("O1")\n', *op_light, *red_light,
            "static const ir_op_fn ir_table[] = {\n",
            *[f"    ir_o{k},\n" for k in range(len(ops))], "};\n",
            "static const ir_op_fn ir_stable[] = {\n",
            *[f"    ir_{'s' if k in twins else 'o'}{k},\n" for k in range(len(ops))], "};\n",
            red_tail, _ENTRY, "#pragma GCC pop_options\n#pragma GCC pop_options\n",
        ])
        text = "".join([
            HEADER, 'cdef extern from *:\n    """\n', "\n".join(defines), '\n    """\n',
            RUNTIME_DECLS, 'cdef extern from *:\n    """\n', c_text.replace("\\", "\\\\"),
            '    """\n', _PYX_TAIL,
        ])
        _TABLES = _Tables(ops, reducers, text)
    return _TABLES


#: Where the packaged interpreter (:mod:`.interp_prebuilt`, built at install) is
#: looked for: this package's directory and nowhere else.  None ignores it (the tests
#: of the cache path set that).
PREBUILT_DIR: Path | None = _HERE
#: Packaged module files that failed to import here, and why.
_prebuilt_failed: dict[str, str] = {}


def prebuilt() -> tuple[Path | None, str]:
    """The packaged interpreter's file if this process can use it with ``""``, else
    ``None`` and why not."""
    from aesara_cas.compile.cython import interp_prebuilt

    if PREBUILT_DIR is None:
        return None, "disabled"
    path, why = interp_prebuilt.check(PREBUILT_DIR, tables().text)
    if path is not None and str(path) in _prebuilt_failed:
        return None, _prebuilt_failed[str(path)]
    return path, why


def _load_prebuilt() -> ModuleType | None:
    """The packaged interpreter, imported from its one file; None (logged once) if it
    is not there, not this source's or this machine's, or does not import."""
    from aesara_cas.compile.cython import cache, interp_prebuilt

    path, _ = prebuilt()
    if path is None:
        return None
    try:
        return cache.import_file(interp_prebuilt.MODULE, path)
    except ImportError as err:
        _prebuilt_failed[str(path)] = f"{path} does not import ({err})"
        cache.logger.info("aesara_cas: the packaged kernel interpreter %s does not import "
                          "(%s); using the cache's", path, err)
        return None


def cached() -> bool:
    """Whether the interpreter module is in the cache (built before)."""
    from aesara_cas.compile.cython import cache, cache_fs

    return cache_fs.entry_module(cache.cache_root(), cache.cache_key(tables().text)) is not None


def _take_prebuilt() -> None:
    """Import the packaged interpreter as this process's if it can be (once)."""
    global _module
    if _module is None:
        with _lock:
            if _module is None:
                _module = _load_prebuilt()


def ready() -> bool:
    """Whether :func:`load` returns without a build: the module is loaded, the
    packaged one imports (it is imported now), or the cache has it."""
    _take_prebuilt()
    return _module is not None or cached()


def load(announce: bool = True) -> ModuleType:
    """The interpreter module: the packaged one (see :func:`prebuilt`), else loaded
    from the cache, or built into it at first use (saying so first if ``announce``:
    someone waits for it)."""
    global _module
    if _module is None:
        with _lock:
            if _module is None:
                from aesara_cas.compile.cython import cache

                module = _load_prebuilt()
                if module is None:
                    if announce and not cached():
                        cache.logger.warning("aesara_cas: building the kernel interpreter "
                                             "(once per cache directory; some seconds)")
                    module = cache.load_module(tables().text)
                _module = module
    return _module


def loaded() -> bool:
    """Whether the interpreter module is in memory already."""
    return _module is not None


def status() -> str:
    """Whether this process runs the packaged interpreter (importing it if that is
    still to be tried), or why not: for ``aesara-cas cache info``."""
    _take_prebuilt()
    path, why = prebuilt()
    if path is None:
        return f"not used: {why}"
    if _module is None or getattr(_module, "__file__", None) != str(path):
        return "not used: this process loaded the cache's interpreter before"
    return f"in use ({path})"
