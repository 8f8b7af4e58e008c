"""Argument loading of a generated module: a table per module, one fixed loop.

Each input of the graph is one row of static C tables: where its value goes (a
field of the call's frame or a slot of the storage list), its dtype, its number of
dimensions and its static lengths.  The code that checks and stores the arguments
is the same text in every module and loops over those rows, so an input adds a few
numbers to the source rather than a block of code.  (Unrolled per-input code made a
graph with 5,000 scalar inputs generate about 30 MB of C, which took gcc minutes
and gigabytes.)

Checks, per argument, in order:

1. a Python ``float``/``int``/``bool`` (exact types) for a 0-d frame scalar is
   stored directly when it converts exactly as NumPy would;
2. an argument that is exactly an ``ndarray`` (not a subclass: masked arrays and
   matrices get no shortcut) of the right dtype, dimensions and static lengths,
   aligned and in native byte order, is taken as it is;
3. everything else goes through the input type's ``filter``, which converts or
   raises the same errors as the NumPy mode.

Shared variables' values and the already-checked values of the generic entry
points are stored without checks.
"""

from __future__ import annotations

from aesara_cas.compile.cython import scalar_c
from aesara_cas.compile.cython.lower import Plan
from aesara_cas.compile.cython.wrapper import P_NAMES, P_SHARED, P_TYPES

#: Table kinds: a 0-d value in the frame (Python scalars accepted directly), any
#: other frame value (static shape of ones), an array in a storage slot.
KIND_SCALAR0, KIND_SCALAR, KIND_ARRAY = 0, 1, 2

#: C helpers every module defines (after its frame struct and input tables).
C_HELPERS = r"""
/* v is already an acceptable value for input i: exactly an ndarray (a subclass
   such as a masked array goes through filter()), of the input's dtype, number of
   dimensions and static lengths, aligned and in native byte order. */
static inline int ac_arg_ok(PyObject *v, Py_ssize_t i) {
    if (Py_TYPE(v) != &PyArray_Type) return 0;
    PyArrayObject *a = (PyArrayObject *)v;
    if (PyArray_TYPE(a) != ac_in_typenum[i] || PyArray_NDIM(a) != ac_in_ndim[i]
            || !PyArray_ISALIGNED(a) || !PyArray_ISNOTSWAPPED(a)) return 0;
    for (int k = ac_in_shape_at[i]; k < ac_in_shape_at[i + 1]; k += 2)
        if (PyArray_DIMS(a)[ac_in_shape[k]] != ac_in_shape[k + 1]) return 0;
    return 1;
}

/* Store a Python float/int/bool (exact types) into a 0-d value of typenum when
   NumPy's same_kind conversion is exact; 0 when filter() has to decide. */
static inline int ac_pyscalar(PyObject *v, void *dst, int typenum) {
    PyTypeObject *t = Py_TYPE(v);
    if (t == &PyFloat_Type) {
        if (typenum == NPY_FLOAT64) { *(double *)dst = PyFloat_AS_DOUBLE(v); return 1; }
        if (typenum == NPY_FLOAT32) { *(float *)dst = (float)PyFloat_AS_DOUBLE(v); return 1; }
        return 0;
    }
    if (t == &PyLong_Type) return ac_pyint(v, dst, typenum);
    if (t == &PyBool_Type && typenum == NPY_BOOL) {
        *(npy_bool *)dst = (npy_bool)(v == Py_True);
        return 1;
    }
    return 0;
}
"""

#: The Cython declarations of the tables and helpers above.
PYX_DECLS = [
    "const signed char *ac_in_kind",
    "const int *ac_in_typenum",
    "const Py_ssize_t *ac_in_dest",
    "bint ac_arg_ok(object v, Py_ssize_t i)",
    "bint ac_pyscalar(object v, void *dst, int typenum)",
]


def _rows(values: list[str], per_line: int = 16) -> str:
    return ",\n    ".join(
        ", ".join(values[i:i + per_line]) for i in range(0, len(values), per_line)
    ) or "0"


def tables(plan: Plan) -> str:
    """The C tables describing ``plan``'s inputs (graph inputs, then shared)."""
    kinds, typenums, ndims, dests, shape_at, shape = [], [], [], [], ["0"], []
    for var in plan.fgraph.inputs:
        where = plan.storage[var]
        if where[0] == "scalar":
            kinds.append(str(KIND_SCALAR0 if var.ndim == 0 else KIND_SCALAR))
            dests.append(f"offsetof(ac_frame, s{where[1]})")
        else:
            kinds.append(str(KIND_ARRAY))
            dests.append(str(where[1]))
        typenums.append(scalar_c.typenum(var.dtype))
        ndims.append(str(var.ndim))
        for axis, n in enumerate(var.type.shape):
            if n is not None:
                shape += [str(axis), str(n)]
        shape_at.append(str(len(shape)))
    return (
        f"static const signed char ac_in_kind[] = {{\n    {_rows(kinds, 32)}}};\n"
        f"static const int ac_in_typenum[] = {{\n    {_rows(typenums, 8)}}};\n"
        f"static const int ac_in_ndim[] = {{\n    {_rows(ndims, 32)}}};\n"
        f"static const Py_ssize_t ac_in_dest[] = {{\n    {_rows(dests, 4)}}};\n"
        f"static const int ac_in_shape_at[] = {{\n    {_rows(shape_at)}}};\n"
        f"static const npy_intp ac_in_shape[] = {{\n    {_rows(shape)}}};\n"
    )


def loader(n_args: int, n_inputs: int) -> str:
    """The Cython loaders: ``_load_args`` (checked positional arguments, then the
    shared values) and ``_load`` (a list of values that need no checks)."""
    shared = "" if n_inputs == n_args else (
        f"    for i in range({n_inputs - n_args}):\n"
        f"        _load_value(P, F, S, {n_args} + i, P[{P_SHARED}][i][0], False)\n"
    )
    return f"""
cdef inline int _load_value(list P, ac_frame *F, list S, Py_ssize_t i, object v,
                            bint check) except -1:
    cdef int kind = ac_in_kind[i]
    cdef int tn = ac_in_typenum[i]
    cdef char *dst
    if kind == {KIND_ARRAY}:
        if check and not ac_arg_ok(v, i):
            v = P[{P_TYPES}][i].filter(v, P[{P_NAMES}][i])
        S[ac_in_dest[i]] = v
        return 0
    dst = (<char *>F) + ac_in_dest[i]
    if check:
        if kind == {KIND_SCALAR0} and ac_pyscalar(v, dst, tn):
            return 0
        if not ac_arg_ok(v, i):
            v = P[{P_TYPES}][i].filter(v, P[{P_NAMES}][i])
    ac_read(v, dst, tn)
    return 0


cdef inline int _load_args(list P, ac_frame *F, list S, tuple args) except -1:
    cdef Py_ssize_t i
    for i in range({n_args}):
        _load_value(P, F, S, i, args[i], True)
{shared}    return 0


cdef int _load(list P, ac_frame *F, list S, list values) except -1:
    cdef Py_ssize_t i
    if len(values) != {n_inputs}:
        raise ValueError(f"expected {n_inputs} input values, got {{len(values)}}")
    for i in range({n_inputs}):
        _load_value(P, F, S, i, values[i], False)
    return 0
"""
