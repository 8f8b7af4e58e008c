"""C kernels for the commonest advanced indexing: ``W[idx]`` and its scatter.

A gather of whole rows (``AdvancedSubtensor`` whose index is one integer array on
axis 0) copies rows; the matching scatter (``AdvancedIncSubtensor``, the gradient
of the gather) adds (or writes) them back one index at a time, in index order, so
repeated indices accumulate exactly as ``numpy.add.at`` does (the same sums in the
same order: the same bits).  Out-of-range indices raise ``IndexError`` with
NumPy's message.  The scatter writes into its base array in place when the plan
donates it (an intermediate that dies at this step); otherwise into a fresh copy.

Each kernel is self-contained C: helpers named after the kernel (the loops) and a
one-line driver, so kernels of one dtype and kind share their helpers' text and a
module may hold several.  Other index kinds run the ops' NumPy ``perform``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aesara_cas.compile.cython import scalar_c
from aesara_cas.compile.cython.kernel_base import Kernel, KernelContext
from aesara_cas.graph.basic import Apply

if TYPE_CHECKING:
    from aesara_cas.compile.cython.lower import Step

#: Value dtypes the kernels handle (the index may be any signed integer type).
VALUE_DTYPES = frozenset({"float64", "float32", "int64", "int32"})
INDEX_DTYPES = frozenset({"int8", "int16", "int32", "int64"})
#: Rows x indices above which the loop runs without the GIL.
NOGIL_WORK = 20000


def kernel_ok(node: Apply) -> bool:
    """Whether ``node`` is a row gather or scatter these kernels implement."""
    from aesara_cas.tensor.advanced import AdvancedIncSubtensor, AdvancedSubtensor

    op = node.op
    if not isinstance(op, (AdvancedSubtensor, AdvancedIncSubtensor)):
        return False
    if len(op.idx_list) != 1 or op.idx_list[0][0] != "array":
        return False
    x, idx = node.inputs[0], node.inputs[-1]
    if x.dtype not in VALUE_DTYPES or idx.dtype not in INDEX_DTYPES or x.ndim == 0:
        return False
    if isinstance(op, AdvancedIncSubtensor):
        return node.inputs[1].dtype == x.dtype
    return True


def _prologue(fname: str) -> str:
    return (
        f"static PyArrayObject *{fname}_arr(PyObject *obj, int typenum) {{\n"
        f"    return (PyArrayObject *)PyArray_FROM_OTF(obj, typenum,\n"
        f"        NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);\n}}\n"
        f"static void {fname}_bounds(long long bad, npy_intp n) {{\n"
        f"    PyErr_Format(PyExc_IndexError, \"index %lld is out of bounds for axis 0 with \"\n"
        f"                 \"size %lld\", bad, (long long)n);\n}}\n"
    )


def emit_gather(ctx: KernelContext, step: Step, k: int) -> Kernel:
    node = step.node
    x, idx = node.inputs
    T, Ix = scalar_c.CTYPES[x.dtype], scalar_c.CTYPES[idx.dtype]
    tn, itn = scalar_c.typenum(x.dtype), scalar_c.typenum(idx.dtype)
    fname = f"ac_k{k}"
    code = _prologue(fname) + f"""static PyObject *{fname}_impl(PyObject *x_obj, PyObject *i_obj) {{
    PyArrayObject *x = {fname}_arr(x_obj, {tn});
    if (x == NULL) return NULL;
    PyArrayObject *ix = {fname}_arr(i_obj, {itn});
    if (ix == NULL) {{ Py_DECREF(x); return NULL; }}
    int xnd = PyArray_NDIM(x), ind = PyArray_NDIM(ix);
    npy_intp dims[AC_MAXD];
    if (xnd - 1 + ind > AC_MAXD) {{
        Py_DECREF(x); Py_DECREF(ix);
        PyErr_SetString(PyExc_ValueError, "getitem: too many dimensions");
        return NULL;
    }}
    npy_intp row = 1;
    for (int d = 0; d < ind; d++) dims[d] = PyArray_DIMS(ix)[d];
    for (int d = 1; d < xnd; d++) {{
        dims[ind + d - 1] = PyArray_DIMS(x)[d];
        row *= PyArray_DIMS(x)[d];
    }}
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(ind + xnd - 1, dims, {tn});
    if (out == NULL) {{ Py_DECREF(x); Py_DECREF(ix); return NULL; }}
    const npy_intp n = PyArray_DIMS(x)[0], m = PyArray_SIZE(ix);
    const {T} *src = (const {T} *)PyArray_DATA(x);
    {T} *dst = ({T} *)PyArray_DATA(out);
    const {Ix} *ip = (const {Ix} *)PyArray_DATA(ix);
    npy_intp fail = -1;
    NPY_BEGIN_THREADS_DEF;
    if (m * row > {NOGIL_WORK}) NPY_BEGIN_THREADS;
    npy_intp lo = 0, hi = 0;
    if (m > 0) {{
        lo = hi = (npy_intp)ip[0];
        for (npy_intp j = 1; j < m; j++) {{
            npy_intp i = (npy_intp)ip[j];
            lo = i < lo ? i : lo;
            hi = i > hi ? i : hi;
        }}
    }}
    if (row == 1 && lo >= 0 && hi < n) {{
        for (npy_intp j = 0; j < m; j++) {{
            if (j + 16 < m) __builtin_prefetch(src + ip[j + 16], 0);
            dst[j] = src[ip[j]];
        }}
    }} else if (row == 1) {{
        for (npy_intp j = 0; j < m; j++) {{
            npy_intp i = (npy_intp)ip[j];
            if (i < 0) i += n;
            if (i < 0 || i >= n) {{ fail = j; break; }}
            dst[j] = src[i];
        }}
    }} else {{
        for (npy_intp j = 0; j < m; j++) {{
            npy_intp i = (npy_intp)ip[j];
            if (i < 0) i += n;
            if (i < 0 || i >= n) {{ fail = j; break; }}
            memcpy(dst + j * row, src + i * row, (size_t)row * sizeof({T}));
        }}
    }}
    NPY_END_THREADS;
    if (fail >= 0) {{
        {fname}_bounds((long long)ip[fail], n);
        Py_DECREF(out); out = NULL;
    }}
    Py_DECREF(x); Py_DECREF(ix);
    return (PyObject *)out;
}}
static PyObject *{fname}(PyObject *x_obj, PyObject *i_obj, PyObject *donor) {{
    return {fname}_impl(x_obj, i_obj);
}}
"""
    return Kernel(code, f"object {fname}(object x, object i, object donor)")


def emit_scatter(ctx: KernelContext, step: Step, k: int) -> Kernel:
    node = step.node
    x, y, idx = node.inputs
    T, Ix = scalar_c.CTYPES[x.dtype], scalar_c.CTYPES[idx.dtype]
    tn, itn = scalar_c.typenum(x.dtype), scalar_c.typenum(idx.dtype)
    op = "=" if node.op.set_instead_of_inc else "+="
    verb = "set_subtensor" if node.op.set_instead_of_inc else "inc_subtensor"
    fname = f"ac_k{k}"
    code = _prologue(fname) + f"""static PyArrayObject *{fname}_values(PyObject *y_obj,
                                          PyArrayObject *ix, PyArrayObject *x) {{
    /* y broadcast to idx.shape + x.shape[1:], C-contiguous (a view of y when possible). */
    int ind = PyArray_NDIM(ix), xnd = PyArray_NDIM(x), tnd = ind + xnd - 1;
    npy_intp dims[AC_MAXD];
    for (int d = 0; d < ind; d++) dims[d] = PyArray_DIMS(ix)[d];
    for (int d = 1; d < xnd; d++) dims[ind + d - 1] = PyArray_DIMS(x)[d];
    PyArrayObject *y = {fname}_arr(y_obj, {tn});
    if (y == NULL) return NULL;
    int ynd = PyArray_NDIM(y), same = ynd == tnd;
    for (int d = 0; same && d < tnd; d++) same = PyArray_DIMS(y)[d] == dims[d];
    if (same || PyArray_SIZE(y) == 1) return y;
    PyArrayObject *full = (PyArrayObject *)PyArray_SimpleNew(tnd, dims, {tn});
    if (full != NULL && PyArray_CopyInto(full, y) < 0) {{
        Py_DECREF(full); full = NULL;
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_Format(PyExc_ValueError, "{verb}: the value cannot be broadcast to the indexed "
                     "region (%S)", v ? v : Py_None);
        Py_XDECREF(t); Py_XDECREF(v); Py_XDECREF(tb);
    }}
    Py_DECREF(y);
    return full;
}}
static PyObject *{fname}_impl(PyObject *x_obj, PyObject *y_obj, PyObject *i_obj,
                                   PyObject *donor) {{
    PyArrayObject *x = {fname}_arr(x_obj, {tn});
    if (x == NULL) return NULL;
    PyArrayObject *ix = {fname}_arr(i_obj, {itn});
    if (ix == NULL) {{ Py_DECREF(x); return NULL; }}
    if (PyArray_NDIM(ix) + PyArray_NDIM(x) - 1 > AC_MAXD) {{
        Py_DECREF(x); Py_DECREF(ix);
        PyErr_SetString(PyExc_ValueError, "{verb}: too many dimensions");
        return NULL;
    }}
    PyArrayObject *yv = {fname}_values(y_obj, ix, x);
    if (yv == NULL) {{ Py_DECREF(x); Py_DECREF(ix); return NULL; }}
    PyArrayObject *out;
    if (donor != Py_None && (PyObject *)x == donor && PyArray_ISWRITEABLE(x)) {{
        out = x; Py_INCREF(out);  /* the plan's intermediate, dying here: update in place */
    }} else {{
        out = (PyArrayObject *)PyArray_NewLikeArray(x, NPY_CORDER, NULL, 0);
        if (out == NULL || PyArray_CopyInto(out, x) < 0) {{
            Py_XDECREF(out); Py_DECREF(x); Py_DECREF(ix); Py_DECREF(yv);
            return NULL;
        }}
    }}
    const npy_intp n = PyArray_DIMS(x)[0], m = PyArray_SIZE(ix);
    npy_intp row = 1;
    for (int d = 1; d < PyArray_NDIM(x); d++) row *= PyArray_DIMS(x)[d];
    const int scalar = PyArray_SIZE(yv) == 1;
    const {T} *src = (const {T} *)PyArray_DATA(yv);
    {T} *dst = ({T} *)PyArray_DATA(out);
    const {Ix} *ip = (const {Ix} *)PyArray_DATA(ix);
    npy_intp fail = -1;
    NPY_BEGIN_THREADS_DEF;
    if (m * row > {NOGIL_WORK}) NPY_BEGIN_THREADS;
    /* One vectorised pass finds whether every index is already in [0, n); then the
       common case (one element per row) runs without wrapping or checks. */
    npy_intp lo = 0, hi = 0;
    if (m > 0) {{
        lo = hi = (npy_intp)ip[0];
        for (npy_intp j = 1; j < m; j++) {{
            npy_intp i = (npy_intp)ip[j];
            lo = i < lo ? i : lo;
            hi = i > hi ? i : hi;
        }}
    }}
    if (row == 1 && !scalar && lo >= 0 && hi < n) {{
        for (npy_intp j = 0; j < m; j++) {{
            if (j + 16 < m) __builtin_prefetch(dst + ip[j + 16], 1);
            dst[ip[j]] {op} src[j];
        }}
    }} else {{
        for (npy_intp j = 0; j < m; j++) {{
            npy_intp i = (npy_intp)ip[j];
            if (i < 0) i += n;
            if (i < 0 || i >= n) {{ fail = j; break; }}
            {T} *o = dst + i * row;
            const {T} *s = scalar ? src : src + j * row;
            if (scalar) {{ for (npy_intp r = 0; r < row; r++) o[r] {op} s[0]; }}
            else {{ for (npy_intp r = 0; r < row; r++) o[r] {op} s[r]; }}
        }}
    }}
    NPY_END_THREADS;
    if (fail >= 0) {{
        {fname}_bounds((long long)ip[fail], n);
        Py_DECREF(out); out = NULL;
    }}
    Py_DECREF(x); Py_DECREF(ix); Py_DECREF(yv);
    return (PyObject *)out;
}}
static PyObject *{fname}(PyObject *x_obj, PyObject *y_obj, PyObject *i_obj, PyObject *donor) {{
    return {fname}_impl(x_obj, y_obj, i_obj, donor);
}}
"""
    return Kernel(code, f"object {fname}(object x, object y, object i, object donor)")
