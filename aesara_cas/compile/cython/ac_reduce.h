/* ac_reduce.h: the reduction driver of aesara_cas's generated modules (included by
 * ac_runtime.h).  Part of the cache key like every header here. */
#ifndef AC_REDUCE_H
#define AC_REDUCE_H

/* ------------------------------------------------------------------------- */
/* Reductions.  The loop space is the broadcast shape of the operands; `red`
 * marks the reduced dimensions.  Kind-specific code comes from the kernel:
 *   init(out)                 identity into one output element
 *   row(out, aux, n, p, s, ctx, pass)   fold n values (p[1..], strides s) into it
 *     (R mode: out/aux point at per-output state; A mode: at output rows)
 * R mode (innermost dimension reduced): one output at a time, rows of its
 * reduced sub-space.  A mode (innermost dimension kept): whole rows of outputs
 * are updated element-wise, which is what memory order favours.              */

typedef struct {
    int passes;              /* A mode: passes over the data (logsumexp: max, then sum) */
    int rpasses;             /* R mode: the same (logsumexp folds both into one pass) */
    size_t itemsize;         /* output element */
    void (*init)(char *out, char *aux, npy_intp n);               /* n outputs, contiguous */
    void (*rrow)(char *state, npy_intp n, char **p, const npy_intp *s, void *ctx, int pass);
    void (*rstart)(char *state);
    void (*rmid)(char *state);
    void (*rend)(char *state, char *out, npy_intp rcount);
    size_t state_size;
    void (*arow)(char *out, char *aux, npy_intp n, npy_intp os, char **p, const npy_intp *s,
                 void *ctx, int pass);
    void (*amid)(char *out, char *aux, npy_intp n);
    void (*aend)(char *out, char *aux, npy_intp n, npy_intp rcount);
    size_t aux_itemsize;     /* A mode: a second accumulator per output (0: none) */
    double cost;
} ac_reducer;

/* Loop over the sub-space (shape/strides of nops operands, width w, nd dims), calling
 * rrow for each row of its last dimension. */
static void ac_red_rows(const ac_reducer *R, char *state, int nd, const npy_intp *shape,
                        int nops, char **base, const npy_intp *st, int w, void *ctx, int pass) {
    npy_intp rows = 1;
    for (int d = 0; d < nd - 1; d++) rows *= shape[d];
    npy_intp n = shape[nd - 1];
    char *p[nops];
    npy_intp s[nops];
    for (int k = 0; k < nops; k++) s[k] = st[k * w + nd - 1];
    for (npy_intp r = 0; r < rows; r++) {
        npy_intp q = r;
        for (int k = 0; k < nops; k++) p[k] = base[k];
        for (int d = nd - 2; d >= 0; d--) {
            npy_intp i = q % shape[d];
            q /= shape[d];
            for (int k = 0; k < nops; k++) p[k] += i * st[k * w + d];
        }
        R->rrow(state, n, p, s, ctx, pass);
    }
}

/* ops: value operands (already broadcast-checked); out: contiguous output of the
 * kept shape.  Returns 0. */
static int ac_reduce_run(const ac_reducer *R, int nd, npy_intp *shape, const unsigned char *red,
                         int nops, char **base, npy_intp *st, char *out, void *ctx) {
    /* Output strides in the loop space: contiguous over the kept dims, 0 on reduced. */
    int w = nd > 0 ? nd : 1;
    npy_intp ost[AC_MAXD];
    npy_intp nout = 1;
    for (int d = nd - 1; d >= 0; d--) {
        if (red[d]) { ost[d] = 0; continue; }
        ost[d] = shape[d] == 1 ? 0 : (npy_intp)R->itemsize * nout;
        nout *= shape[d];
    }
    npy_intp rcount = 1;
    for (int d = 0; d < nd; d++) if (red[d]) rcount *= shape[d];
    npy_intp total = nout * rcount;
    char *aux = NULL;
    if (R->aux_itemsize) {
        aux = (char *)PyMem_RawCalloc(nout > 0 ? (size_t)nout : 1, R->aux_itemsize);
        if (aux == NULL) { PyErr_NoMemory(); return -1; }
    }
    /* Split the space: kept dims then reduced dims, each collapsed separately. */
    npy_intp kshape[AC_MAXD], rshape[AC_MAXD];
    int nk = 0, nr = 0;
    int nops1 = nops + 1;  /* row 0: the output */
    npy_intp kst[nops1 * w], rst[nops1 * w];
    unsigned char inner_red = 0;
    for (int d = nd - 1; d >= 0; d--) if (shape[d] != 1) { inner_red = red[d]; break; }
    for (int d = 0; d < nd; d++) {
        if (red[d]) {
            rshape[nr] = shape[d];
            rst[nr] = 0;
            for (int k = 0; k < nops; k++) rst[(k + 1) * w + nr] = st[k * nd + d];
            nr++;
        } else {
            kshape[nk] = shape[d];
            kst[nk] = ost[d];
            for (int k = 0; k < nops; k++) kst[(k + 1) * w + nk] = st[k * nd + d];
            nk++;
        }
    }
    if (total == 0 || nout == 0) goto finish;
    if (inner_red) {
        /* R mode. */
        int mk = ac_collapse(nk, kshape, nops1, kst, w);
        int mr = ac_collapse(nr, rshape, nops1, rst, w);
        int par = 0;
#ifdef _OPENMP
        par = (double)total * R->cost > AC_PAR_WORK && nout > 1 ? ac_threads() : 1;
#endif
        Py_BEGIN_ALLOW_THREADS
        #pragma omp parallel if (par > 1) num_threads(par > 1 ? par : 1)
        {
            char state[R->state_size > 0 ? R->state_size : 1];
            char *pb[nops > 0 ? nops : 1];
            #pragma omp for schedule(dynamic, 8)
            for (npy_intp o = 0; o < nout; o++) {
                npy_intp q = o;
                char *op = out;
                for (int k = 0; k < nops; k++) pb[k] = base[k];
                for (int d = mk - 1; d >= 0; d--) {
                    npy_intp i = q % kshape[d];
                    q /= kshape[d];
                    for (int k = 0; k < nops; k++) pb[k] += i * kst[(k + 1) * w + d];
                }
                op = out + o * (npy_intp)R->itemsize;
                R->rstart(state);
                for (int pass = 0; pass < R->rpasses; pass++) {
                    if (pass) R->rmid(state);
                    ac_red_rows(R, state, mr, rshape, nops, pb, rst + w, w, ctx, pass);
                }
                R->rend(state, op, rcount);
            }
        }
        Py_END_ALLOW_THREADS
    } else {
        /* A mode: walk the whole space in memory order, outputs updated row-wise. */
        npy_intp fshape[AC_MAXD];
        npy_intp fst[nops1 * w];
        for (int d = 0; d < nd; d++) {
            fshape[d] = shape[d];
            fst[d] = ost[d];
            for (int k = 0; k < nops; k++) fst[(k + 1) * w + d] = st[k * nd + d];
        }
        int m = ac_collapse(nd, fshape, nops1, fst, w);
        npy_intp rows = 1;
        for (int d = 0; d < m - 1; d++) rows *= fshape[d];
        npy_intp n = fshape[m - 1];
        npy_intp s[nops > 0 ? nops : 1];
        for (int k = 0; k < nops; k++) s[k] = fst[(k + 1) * w + m - 1];
        npy_intp os = fst[m - 1];
        /* Threads split the output columns: each output element still folds its
         * values in the same order, so the result does not depend on the threads. */
        int par = 1;
#ifdef _OPENMP
        par = (double)total * R->cost > AC_PAR_WORK && n >= 64 ? ac_threads() : 1;
#endif
        R->init(out, aux, nout);
        Py_BEGIN_ALLOW_THREADS
        for (int pass = 0; pass < R->passes; pass++) {
            if (pass) R->amid(out, aux, nout);
            #pragma omp parallel if (par > 1) num_threads(par > 1 ? par : 1)
            {
                int nt = 1, t = 0;
#ifdef _OPENMP
                nt = omp_get_num_threads();
                t = omp_get_thread_num();
#endif
                /* column ranges rounded to 8 so vector loops keep their alignment */
                npy_intp c0 = (n * t / nt) & ~(npy_intp)7;
                npy_intp c1 = t == nt - 1 ? n : (n * (t + 1) / nt) & ~(npy_intp)7;
                char *p[nops > 0 ? nops : 1];
                for (npy_intp r = 0; r < rows && c1 > c0; r++) {
                    npy_intp q = r, off = 0;
                    for (int k = 0; k < nops; k++) p[k] = base[k] + c0 * s[k];
                    for (int d = m - 2; d >= 0; d--) {
                        npy_intp i = q % fshape[d];
                        q /= fshape[d];
                        off += i * fst[d];
                        for (int k = 0; k < nops; k++) p[k] += i * fst[(k + 1) * w + d];
                    }
                    char *xa = aux ? aux + off / (npy_intp)R->itemsize * (npy_intp)R->aux_itemsize
                                         + c0 * os : NULL;
                    R->arow(out + off + c0 * os, xa, c1 - c0, os, p, s, ctx, pass);
                }
            }
        }
        Py_END_ALLOW_THREADS
    }
    if (!inner_red) R->aend(out, aux, nout, rcount);
    PyMem_RawFree(aux);
    return 0;
finish:
    /* Nothing to loop over: finish the identities. */
    if (nout > 0) {
        R->init(out, aux, nout);
        if (R->passes > 1) R->amid(out, aux, nout);
        R->aend(out, aux, nout, rcount);
    }
    PyMem_RawFree(aux);
    return 0;
}

/* Output shape of a reduction and the broadcast loop space of its operands. */
static PyObject *ac_reduce(int nd, int nin, PyObject **ins, const int *types, int out_type,
                           const unsigned char *red, int keepdims, int needs_items,
                           const char *opname, const ac_reducer *R, void *ctx) {
    PyArrayObject *ops[nin > 0 ? nin : 1];
    npy_intp shape[AC_MAXD], oshape[AC_MAXD];
    npy_intp st[(nin > 0 ? nin : 1) * (nd > 0 ? nd : 1)];
    char *base[nin > 0 ? nin : 1];
    PyArrayObject *out = NULL;
    int k, made = 0, ond = 0;
    for (k = 0; k < nin; k++) {
        ops[k] = ac_operand(ins[k], types[k], nd);
        if (ops[k] == NULL) goto fail;
        made++;
    }
    if (ac_broadcast(nd, nin, ops, shape, st) < 0) goto fail;
    for (int d = 0; d < nd; d++) {
        if (red[d]) {
            if (needs_items && shape[d] == 0) {
                PyErr_Format(PyExc_ValueError,
                             "zero-size array to reduction operation %s which has no identity",
                             opname);
                goto fail;
            }
            if (keepdims) oshape[ond++] = 1;
        } else {
            oshape[ond++] = shape[d];
        }
    }
    out = (PyArrayObject *)PyArray_SimpleNew(ond, oshape, out_type);
    if (out == NULL) goto fail;
    for (k = 0; k < nin; k++) base[k] = PyArray_BYTES(ops[k]);
    if (ac_reduce_run(R, nd, shape, red, nin, base, st, PyArray_BYTES(out), ctx) < 0) goto fail;
    for (k = 0; k < made; k++) Py_DECREF(ops[k]);
    return (PyObject *)out;
fail:
    for (k = 0; k < made; k++) Py_DECREF(ops[k]);
    Py_XDECREF(out);
    return NULL;
}

#endif  /* AC_REDUCE_H */
