/* ac_blas.h: dot and gemm through scipy.linalg.cython_blas (included by ac_runtime.h
 * when a module defines AC_USE_BLAS).  Part of the cache key. */
#ifndef AC_BLAS_H
#define AC_BLAS_H

/* ------------------------------------------------------------------------- */
/* BLAS (scipy.linalg.cython_blas, pointers taken from its capsules).         */
#ifdef AC_USE_BLAS
typedef void (*ac_dgemm_t)(char *, char *, int *, int *, int *, double *, double *, int *,
                           double *, int *, double *, double *, int *);
typedef void (*ac_sgemm_t)(char *, char *, int *, int *, int *, float *, float *, int *,
                           float *, int *, float *, float *, int *);
typedef void (*ac_dgemv_t)(char *, int *, int *, double *, double *, int *, double *, int *,
                           double *, double *, int *);
typedef void (*ac_sgemv_t)(char *, int *, int *, float *, float *, int *, float *, int *,
                           float *, float *, int *);
typedef double (*ac_ddot_t)(int *, double *, int *, double *, int *);
typedef float (*ac_sdot_t)(int *, float *, int *, float *, int *);
static ac_dgemm_t ac_dgemm;
static ac_sgemm_t ac_sgemm;
static ac_dgemv_t ac_dgemv;
static ac_sgemv_t ac_sgemv;
static ac_ddot_t ac_ddot;
static ac_sdot_t ac_sdot;

static void *ac_capsule(PyObject *capi, const char *name) {
    PyObject *cap = PyDict_GetItemString(capi, name);
    if (cap == NULL) {
        PyErr_Format(PyExc_ImportError, "scipy.linalg.cython_blas does not export %s", name);
        return NULL;
    }
    return PyCapsule_GetPointer(cap, PyCapsule_GetName(cap));
}

static int ac_blas_init(PyObject *capi) {
    if (!PyDict_Check(capi)) {
        PyErr_SetString(PyExc_ImportError, "scipy.linalg.cython_blas.__pyx_capi__ is not a dict");
        return -1;
    }
    if (!(ac_dgemm = (ac_dgemm_t)ac_capsule(capi, "dgemm"))) return -1;
    if (!(ac_sgemm = (ac_sgemm_t)ac_capsule(capi, "sgemm"))) return -1;
    if (!(ac_dgemv = (ac_dgemv_t)ac_capsule(capi, "dgemv"))) return -1;
    if (!(ac_sgemv = (ac_sgemv_t)ac_capsule(capi, "sgemv"))) return -1;
    if (!(ac_ddot = (ac_ddot_t)ac_capsule(capi, "ddot"))) return -1;
    if (!(ac_sdot = (ac_sdot_t)ac_capsule(capi, "sdot"))) return -1;
    return 0;
}

/* A 2-D operand BLAS can read: C- or F-contiguous (else a C copy).  *rowmajor says which. */
static PyArrayObject *ac_blas_matrix(PyArrayObject *a, int *rowmajor) {
    if (PyArray_IS_C_CONTIGUOUS(a)) { *rowmajor = 1; Py_INCREF(a); return a; }
    if (PyArray_IS_F_CONTIGUOUS(a)) { *rowmajor = 0; Py_INCREF(a); return a; }
    *rowmajor = 1;
    return (PyArrayObject *)PyArray_NewCopy(a, NPY_CORDER);
}

/* A 1-D operand with a positive stride (else a contiguous copy); *inc in elements. */
static PyArrayObject *ac_blas_vector(PyArrayObject *a, int *inc) {
    npy_intp st = PyArray_STRIDES(a)[0], it = PyArray_ITEMSIZE(a);
    if (PyArray_DIMS(a)[0] <= 1) { *inc = 1; Py_INCREF(a); return a; }
    if (st > 0 && st % it == 0 && st / it < INT_MAX) { *inc = (int)(st / it); Py_INCREF(a); return a; }
    *inc = 1;
    return (PyArrayObject *)PyArray_NewCopy(a, NPY_CORDER);
}

/* C = M @ v, or M.T @ v when `trans`, for M of rows x cols (row-major when `rowmajor`,
 * else column-major, as ac_blas_matrix left it) and v with element stride `inc`. BLAS
 * sees a row-major M as its transpose stored column-major. */
static void ac_gemv(int dbl, PyArrayObject *m, int rowmajor, int rows, int cols, int trans,
                    PyArrayObject *v, int inc, char *C) {
    char t = rowmajor != trans ? 'T' : 'N';
    int frows = rowmajor ? cols : rows, fcols = rowmajor ? rows : cols, one = 1;
    double d1 = 1.0, d0 = 0.0;
    float f1 = 1.0f, f0 = 0.0f;
    Py_BEGIN_ALLOW_THREADS
    if (dbl) ac_dgemv(&t, &frows, &fcols, &d1, (double *)PyArray_DATA(m), &frows,
                      (double *)PyArray_DATA(v), &inc, &d0, (double *)C, &one);
    else ac_sgemv(&t, &frows, &fcols, &f1, (float *)PyArray_DATA(m), &frows,
                  (float *)PyArray_DATA(v), &inc, &f0, (float *)C, &one);
    Py_END_ALLOW_THREADS
}

/* np.dot for 1-D and 2-D float32/float64 operands of one dtype. */
static PyObject *ac_dot(PyObject *ao, PyObject *bo, int typenum) {
    PyArrayObject *a0 = ac_operand(ao, typenum, 2), *b0 = NULL, *a = NULL, *b = NULL;
    PyArrayObject *out = NULL;
    if (a0 == NULL) return NULL;
    b0 = ac_operand(bo, typenum, 2);
    if (b0 == NULL) { Py_DECREF(a0); return NULL; }
    int na = PyArray_NDIM(a0), nb = PyArray_NDIM(b0);
    if (na == 0 || nb == 0) { PyErr_SetString(PyExc_ValueError, "dot: expected 1-D or 2-D operands"); goto fail; }
    {
    npy_intp m = na == 2 ? PyArray_DIMS(a0)[0] : 1, k = PyArray_DIMS(a0)[na - 1];
    npy_intp k2 = PyArray_DIMS(b0)[0], n = nb == 2 ? PyArray_DIMS(b0)[1] : 1;
    if (k != k2) {
        PyErr_Format(PyExc_ValueError, "shapes not aligned for dot: %ld (dim %d) != %ld (dim 0)",
                     (long)k, na - 1, (long)k2);
        goto fail;
    }
    npy_intp oshape[2];
    int ond = 0;
    if (na == 2) oshape[ond++] = m;
    if (nb == 2) oshape[ond++] = n;
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX) {
        Py_DECREF(a0); Py_DECREF(b0);
        return PyArray_MatrixProduct2(ao, bo, NULL);
    }
    out = (PyArrayObject *)PyArray_SimpleNew(ond, oshape, typenum);
    if (out == NULL) goto fail;
    if (m == 0 || n == 0) goto done;
    if (k == 0) { memset(PyArray_DATA(out), 0, (size_t)PyArray_NBYTES(out)); goto done; }
    int im = (int)m, in = (int)n, ik = (int)k;
    int dbl = typenum == NPY_FLOAT64;
    double d1 = 1.0, d0 = 0.0;
    float f1 = 1.0f, f0 = 0.0f;
    char *C = PyArray_BYTES(out);
    if (na == 2 && nb == 2) {
        int ra, rb;
        a = ac_blas_matrix(a0, &ra);
        b = ac_blas_matrix(b0, &rb);
        if (a == NULL || b == NULL) goto fail;
        char ta = ra ? 'N' : 'T', tb = rb ? 'N' : 'T';
        int lda = ra ? ik : im, ldb = rb ? in : ik;
        Py_BEGIN_ALLOW_THREADS
        if (dbl) ac_dgemm(&tb, &ta, &in, &im, &ik, &d1, (double *)PyArray_DATA(b), &ldb,
                          (double *)PyArray_DATA(a), &lda, &d0, (double *)C, &in);
        else ac_sgemm(&tb, &ta, &in, &im, &ik, &f1, (float *)PyArray_DATA(b), &ldb,
                      (float *)PyArray_DATA(a), &lda, &f0, (float *)C, &in);
        Py_END_ALLOW_THREADS
    } else if (na == 2) {  /* A @ v */
        int ra, inc;
        a = ac_blas_matrix(a0, &ra);
        b = ac_blas_vector(b0, &inc);
        if (a == NULL || b == NULL) goto fail;
        ac_gemv(dbl, a, ra, im, ik, 0, b, inc, C);
    } else if (nb == 2) {  /* v @ B = B.T @ v */
        int rb, inc;
        a = ac_blas_vector(a0, &inc);
        b = ac_blas_matrix(b0, &rb);
        if (a == NULL || b == NULL) goto fail;
        ac_gemv(dbl, b, rb, ik, in, 1, a, inc, C);
    } else {
        int ia, ib;
        a = ac_blas_vector(a0, &ia);
        b = ac_blas_vector(b0, &ib);
        if (a == NULL || b == NULL) goto fail;
        if (dbl) *(double *)C = ac_ddot(&ik, (double *)PyArray_DATA(a), &ia, (double *)PyArray_DATA(b), &ib);
        else *(float *)C = ac_sdot(&ik, (float *)PyArray_DATA(a), &ia, (float *)PyArray_DATA(b), &ib);
    }
    }
done:
    Py_XDECREF(a); Py_XDECREF(b); Py_DECREF(a0); Py_DECREF(b0);
    return (PyObject *)out;
fail:
    Py_XDECREF(a); Py_XDECREF(b); Py_XDECREF(a0); Py_XDECREF(b0); Py_XDECREF(out);
    return NULL;
}

/* alpha * dot(A, B) + beta * C (a new array; C is read, never written unless it is
 * `donor`, a dying intermediate of the output's shape).  BLAS skips A*B when
 * alpha == 0 and ignores C when beta == 0, which would drop NaN/inf; those cases
 * (and C broadcasting to a larger shape) take the plain NumPy route. */
static PyObject *ac_gemm(PyObject *Co, double alpha, PyObject *Ao, PyObject *Bo, double beta,
                         int typenum, PyObject *donor) {
    PyArrayObject *A = NULL, *B = NULL, *C = NULL, *a = NULL, *b = NULL, *out = NULL;
    PyObject *tmp = NULL, *res = NULL;
    A = ac_operand(Ao, typenum, 2);
    B = ac_operand(Bo, typenum, 2);
    C = ac_operand(Co, typenum, 2);
    if (!A || !B || !C) goto done;
    if (PyArray_NDIM(A) != 2 || PyArray_NDIM(B) != 2) {
        PyErr_SetString(PyExc_ValueError, "gemm: A and B must be matrices");
        goto done;
    }
    npy_intp m = PyArray_DIMS(A)[0], k = PyArray_DIMS(A)[1];
    npy_intp k2 = PyArray_DIMS(B)[0], n = PyArray_DIMS(B)[1];
    if (k != k2) {
        PyErr_Format(PyExc_ValueError, "shapes not aligned for dot: %ld (dim 1) != %ld (dim 0)",
                     (long)k, (long)k2);
        goto done;
    }
    int cn = PyArray_NDIM(C);
    npy_intp c0 = cn == 2 ? PyArray_DIMS(C)[0] : 1, c1 = cn >= 1 ? PyArray_DIMS(C)[cn - 1] : 1;
    int fits = (c0 == m || c0 == 1) && (c1 == n || c1 == 1);
    if (alpha == 0.0 || beta == 0.0 || !fits || m > INT_MAX || n > INT_MAX || k > INT_MAX ||
        m == 0 || n == 0 || k == 0) {
        PyObject *d = ac_dot((PyObject *)A, (PyObject *)B, typenum), *t1 = NULL, *t2 = NULL;
        PyObject *fa = PyFloat_FromDouble(alpha), *fb = PyFloat_FromDouble(beta);
        if (d && fa && fb) t1 = PyNumber_Multiply(fa, d);
        if (t1) t2 = PyNumber_Multiply(fb, (PyObject *)C);
        if (t2) tmp = PyNumber_Add(t1, t2);
        Py_XDECREF(d); Py_XDECREF(t1); Py_XDECREF(t2); Py_XDECREF(fa); Py_XDECREF(fb);
        if (tmp) res = ac_result(tmp, typenum, 2);
        goto done;
    }
    npy_intp oshape[2] = {m, n};
    if (donor == Co && ac_can_donate(donor, 2, oshape, typenum)) {
        Py_INCREF(donor);
        out = (PyArrayObject *)donor;
    } else {
        out = (PyArrayObject *)PyArray_SimpleNew(2, oshape, typenum);
        if (out == NULL || PyArray_CopyInto(out, C) < 0) goto done;
    }
    {
        int ra, rb, im = (int)m, in = (int)n, ik = (int)k;
        a = ac_blas_matrix(A, &ra);
        b = ac_blas_matrix(B, &rb);
        if (a == NULL || b == NULL) goto done;
        char ta = ra ? 'N' : 'T', tb = rb ? 'N' : 'T';
        int lda = ra ? ik : im, ldb = rb ? in : ik;
        double da = alpha, db = beta;
        float fa = (float)alpha, fb = (float)beta;
        Py_BEGIN_ALLOW_THREADS
        if (typenum == NPY_FLOAT64)
            ac_dgemm(&tb, &ta, &in, &im, &ik, &da, (double *)PyArray_DATA(b), &ldb,
                     (double *)PyArray_DATA(a), &lda, &db, (double *)PyArray_DATA(out), &in);
        else
            ac_sgemm(&tb, &ta, &in, &im, &ik, &fa, (float *)PyArray_DATA(b), &ldb,
                     (float *)PyArray_DATA(a), &lda, &fb, (float *)PyArray_DATA(out), &in);
        Py_END_ALLOW_THREADS
    }
    res = (PyObject *)out;
    out = NULL;
done:
    Py_XDECREF(A); Py_XDECREF(B); Py_XDECREF(C); Py_XDECREF(a); Py_XDECREF(b);
    Py_XDECREF(out); Py_XDECREF(tmp);
    return res;
}
#endif  /* AC_USE_BLAS */

#endif  /* AC_BLAS_H */
