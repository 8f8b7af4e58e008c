/* interp.h: the kernel interpreter of aesara_cas's fast tier (see interp.py).
 *
 * A fused element-wise group is a small program of instructions (op, out, a, b, c)
 * over registers.  The loop drivers of ac_runtime.h call ir_inner() on rows of the
 * broadcast loop space exactly as they call a generated kernel's row function; the
 * interpreter cuts each row into L1-sized blocks and runs every instruction as one
 * vector loop over the block (the op loops are generated from the same scalar C
 * expressions as the kernels, so each element gets the same operations in the same
 * order).  Blocks are multiples of 64 elements and start where the row starts, so a
 * loop's vector body and scalar tail cover the same elements as the kernel's.
 *
 * Program layout (int32 words, built by interp.py):
 *   [0] nregs  [1] ninstr  [2] nin (array leaves)  [3] nscal (scalar leaves)
 *   [4] nout   [5] ntemp (registers backed by scratch blocks)
 *   [6] staged (1: the kernel is strip-mined, see elemwise_c.py: always vector loops)
 *   then nin  x (reg, itemsize)     array leaves, in the driver's operand order
 *   then nscal x (reg, itemsize)    scalar leaves (values in ir_ctx.scal)
 *   then nout x (reg, itemsize)     outputs
 *   then ntemp x (reg)              registers that get a scratch block
 *   then ninstr x (op, out, a, b, c)
 */
#ifndef AC_INTERP_H
#define AC_INTERP_H

#define IR_BLOCK 256
#define IR_MAXSCAL 64

typedef int (*ir_op_fn)(npy_intp n, char *o, const char *a, const char *b, const char *c);

typedef struct {
    const npy_int32 *prog;
    const ir_op_fn *table;     /* vector loops */
    const ir_op_fn *stable;    /* the same ops in scalar loops */
    int nin;             /* array leaves (the driver's operands) */
    int err;             /* set by ops that fail (integer powers) */
    double cost;
    /* Scalar leaves: the value once per register (8 bytes each). */
    npy_uint64 scal[IR_MAXSCAL];
} ir_ctx;

static void ir_fill(char *dst, const void *value, size_t itemsize, npy_intp n) {
    for (npy_intp j = 0; j < n; j++) memcpy(dst + j * itemsize, value, itemsize);
}

/* The row function (ac_inner_fn): p[0..nout-1] outputs, p[nout..] array leaves. */
/* Not inlined into the reductions that call it: one copy is enough. */
__attribute__((noinline)) static void ir_inner(npy_intp n, char **p, const npy_intp *s,
                                               void *vctx) {
    ir_ctx *c = (ir_ctx *)vctx;
    const npy_int32 *P = c->prog;
    const int nregs = P[0], ninstr = P[1], nin = P[2], nscal = P[3], nout = P[4];
    const int ntemp = P[5], staged = P[6];
    const npy_int32 *leaf = P + 7, *scal = leaf + 2 * nin, *outs = scal + 2 * nscal;
    const npy_int32 *temps = outs + 2 * nout, *code = temps + ntemp;
    /* Scratch: temporaries, gather buffers of strided leaves, scalar blocks. */
    size_t nblocks = (size_t)(ntemp + nin + nscal);
    size_t bytes = nblocks * IR_BLOCK * 8 + 64;
    char stackbuf[nblocks <= 24 ? bytes : 1];
    char *heap = NULL, *base = stackbuf;
    if (nblocks > 24) {
        heap = (char *)malloc(bytes);
        if (heap == NULL) { c->err = 2; return; }
        base = heap;
    }
    base = (char *)(((size_t)base + 63) & ~(size_t)63);
    char *R[nregs > 0 ? nregs : 1];
    for (int t = 0; t < ntemp; t++) R[temps[t]] = base + (size_t)t * IR_BLOCK * 8;
    char *gather = base + (size_t)ntemp * IR_BLOCK * 8;
    char *sblk = gather + (size_t)nin * IR_BLOCK * 8;
    for (int k = 0; k < nscal; k++) {
        R[scal[2 * k]] = sblk + (size_t)k * IR_BLOCK * 8;
        ir_fill(R[scal[2 * k]], &c->scal[k], (size_t)scal[2 * k + 1], IR_BLOCK);
    }
    /* A kernel's row function has a vector loop for rows where every operand is
     * contiguous and a plain loop (scalar math calls) for the others: so do we. */
    const ir_op_fn *table = c->table;
    if (!staged) {
        for (int j = 0; j < nout; j++) if (s[j] != outs[2 * j + 1]) table = c->stable;
        for (int k = 0; k < nin; k++) if (s[nout + k] != leaf[2 * k + 1]) table = c->stable;
    }
    int err = 0;
    for (npy_intp i0 = 0; i0 < n; i0 += IR_BLOCK) {
        const npy_intp nb = n - i0 < IR_BLOCK ? n - i0 : IR_BLOCK;
        for (int k = 0; k < nin; k++) {
            const int q = nout + k;
            R[leaf[2 * k]] = (char *)ac_block_in(p[q] + i0 * s[q], s[q],
                                                 gather + (size_t)k * IR_BLOCK * 8, nb,
                                                 (size_t)leaf[2 * k + 1]);
        }
        for (int i = 0; i < ninstr; i++) {
            const npy_int32 *ins = code + 5 * i;
            err |= table[ins[0]](nb, R[ins[1]], R[ins[2]], R[ins[3]], R[ins[4]]);
        }
        for (int j = 0; j < nout; j++)
            ac_block_out(p[j] + i0 * s[j], s[j], R[outs[2 * j]], nb, (size_t)outs[2 * j + 1]);
    }
    if (err) c->err = 1;
    free(heap);
}

#endif  /* AC_INTERP_H */
