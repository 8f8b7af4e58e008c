"""Derivatives of the linear-algebra ops (reverse ``*_L_op`` and forward ``*_R_op``).

Real matrices throughout; references for the formulas:

- solve, inverse, determinant: Giles, "An extended collection of matrix derivative
  results for forward and reverse mode AD" (2008): ``x = A^-1 b`` gives
  ``b_bar = A^-T x_bar``, ``A_bar = -b_bar x^T``; ``Y = A^-1`` gives
  ``A_bar = -Y^T Y_bar Y^T``; ``d = det A`` gives ``A_bar = d_bar d A^-T``.
- Cholesky: Murray, "Differentiation of the Cholesky decomposition" (2016):
  ``A_bar = Phi`` applied to ``L^-T Phi(L^T L_bar) L^-1``, ``Phi`` taking the lower
  triangle with half the diagonal.
- eigh: ``A_bar = V (diag(w_bar) + F o (V^T V_bar)) V^T`` with
  ``F_ij = 1 / (w_j - w_i)`` off the diagonal (distinct eigenvalues).
- pinv: Golub and Pereyra (1973), as the transpose of
  ``dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P`` (constant rank).
- svd, qr: Townsend, "Differentiating the singular value decomposition" (2016)
  (reduced SVD, distinct non-zero singular values); Walter and Lehmann (2018) for QR
  with ``m >= n``.

An op that reads only one triangle of ``a`` (``cholesky``, ``eigh``, ``solve`` with
``assume_a="sym"``/``"pos"``, ``solve_triangular``) gets a gradient in that triangle
only: it is the exact derivative of the function as computed (perturbing the other
triangle changes nothing), and equals the symmetric form on symmetric perturbations.
"""

from __future__ import annotations

from aesara_cas.graph.basic import Variable
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.blas import matmul
from aesara_cas.tensor.grad_ops import fit, is_float, sum_to_like
from aesara_cas.tensor.linalg.matrix import diag_embed, diagonal, mT, tril, triu
from aesara_cas.tensor.reduction import Reduce
from aesara_cas.tensor.shape import expand_dims, squeeze

# Helpers -----------------------------------------------------------------------------


def _mv(A: Variable, x: Variable) -> Variable:
    """Batched matrix-vector product ``A[..., :, :] @ x[..., :]``."""
    return squeeze(matmul(A, expand_dims(x, -1)), -1)


def _outer(u: Variable, v: Variable) -> Variable:
    """Batched outer product ``u[..., :, None] * v[..., None, :]``."""
    return E.mul(expand_dims(u, -1), expand_dims(v, -2))


def _triangle(lower: bool, x: Variable, k: int = 0) -> Variable:
    return tril(x, k) if lower else triu(x, k)


def _fold_to_triangle(G: Variable, lower: bool) -> Variable:
    """The gradient of a function of ``sym(A)`` (built from one triangle of ``A``) given
    the symmetric-input gradient ``G``: off-diagonal ``G_ij + G_ji``, diagonal ``G_ii``."""
    return E.sub(_triangle(lower, E.add(G, mT(G))), diag_embed(diagonal(G)))


def _symmetric_from_triangle(dA: Variable, lower: bool) -> Variable:
    """The symmetric matrix an op reading one triangle of ``dA`` sees."""
    return E.add(_triangle(lower, dA), mT(_triangle(lower, dA, -1 if lower else 1)))


def _phi(X: Variable) -> Variable:
    """The lower triangle of ``X`` with its diagonal halved."""
    return E.sub(tril(X), E.mul(0.5, diag_embed(diagonal(X))))


def _trace(X: Variable) -> Variable:
    return Reduce("sum", (X.ndim - 2,), False)(diagonal(X))


def _expand2(d: Variable) -> Variable:
    """A batch of scalars as ``(..., 1, 1)`` to scale a batch of matrices."""
    return expand_dims(expand_dims(d, -1), -1)


def _to(g: Variable | None, x: Variable) -> Variable | None:
    """``g`` summed over broadcast batch axes and given ``x``'s exact type."""
    if g is None or not is_float(x):
        return None
    if g.ndim > x.ndim or g.ndim > 2:
        g = sum_to_like(g, x)
    return fit(g, x)


def _solve_tri(L: Variable, b: Variable, lower: bool, trans: int) -> Variable:
    from aesara_cas.tensor.linalg.solve import SolveTriangular

    return SolveTriangular(lower, trans)(L, b)


# Linear systems ---------------------------------------------------------------------


def _apply_system(op, a: Variable, rhs: Variable, vector: bool) -> Variable:
    """``op(a, rhs)`` where ``rhs`` is shaped like the result: for a 1-D ``b`` and batched
    ``a`` it has batch axes, so it is solved as a stack of single columns."""
    if vector and rhs.ndim > 1:
        return squeeze(op(a, expand_dims(rhs, -1)), -1)
    return op(a, rhs)


def _system_cotangents(a, x, bbar, vector: bool) -> Variable:
    """``-bbar x^T`` (``A``'s cotangent before any triangle projection)."""
    if vector:
        return E.neg(_outer(bbar, x))
    return E.neg(matmul(bbar, mT(x)))


def solve_L_op(op, inputs, outputs, output_grads):
    from aesara_cas.tensor.linalg.solve import Solve

    (a, b), (x,), (g,) = inputs, outputs, output_grads
    if g is None:
        return [None, None]
    at = a if op.assume_a != "gen" else mT(a)
    bbar = _apply_system(Solve(op.assume_a, op.lower), at, g, b.ndim == 1)
    abar = _system_cotangents(a, x, bbar, b.ndim == 1)
    if op.assume_a != "gen":
        abar = _fold_to_triangle(abar, op.lower)
    return [_to(abar, a), _to(bbar, b)]


def solve_R_op(op, inputs, outputs, eval_points):
    (a, b), (x,), (ta, tb) = inputs, outputs, eval_points
    rhs = tb if tb is not None and is_float(b) else None
    if ta is not None and is_float(a):
        da = ta if op.assume_a == "gen" else _symmetric_from_triangle(ta, op.lower)
        ax = _mv(da, x) if b.ndim == 1 else matmul(da, x)
        rhs = E.neg(ax) if rhs is None else E.sub(rhs, ax)
    if rhs is None:
        return [None]
    return [_apply_system(op, a, rhs, b.ndim == 1)]


def _tri_mask(op, abar: Variable) -> Variable:
    k = 0 if not op.unit_diagonal else (-1 if op.lower else 1)
    return _triangle(op.lower, abar, k)


def solve_triangular_L_op(op, inputs, outputs, output_grads):
    from aesara_cas.tensor.linalg.solve import SolveTriangular

    (a, b), (x,), (g,) = inputs, outputs, output_grads
    if g is None:
        return [None, None]
    bbar = _apply_system(SolveTriangular(op.lower, 1 - op.trans, op.unit_diagonal), a, g,
                         b.ndim == 1)
    if op.trans == 0:
        abar = _system_cotangents(a, x, bbar, b.ndim == 1)
    else:
        abar = _system_cotangents(a, bbar, x, b.ndim == 1)
    return [_to(_tri_mask(op, abar), a), _to(bbar, b)]


def solve_triangular_R_op(op, inputs, outputs, eval_points):
    (a, b), (x,), (ta, tb) = inputs, outputs, eval_points
    rhs = tb if tb is not None and is_float(b) else None
    if ta is not None and is_float(a):
        da = _tri_mask(op, ta)
        if op.trans:
            da = mT(da)
        ax = _mv(da, x) if b.ndim == 1 else matmul(da, x)
        rhs = E.neg(ax) if rhs is None else E.sub(rhs, ax)
    if rhs is None:
        return [None]
    return [_apply_system(op, a, rhs, b.ndim == 1)]


def inv_L_op(op, inputs, outputs, output_grads):
    (a,), (y,), (g,) = inputs, outputs, output_grads
    if g is None:
        return [None]
    yt = mT(y)
    return [_to(E.neg(matmul(matmul(yt, g), yt)), a)]


def inv_R_op(op, inputs, outputs, eval_points):
    (y,), (t,) = outputs, eval_points
    if t is None:
        return [None]
    return [E.neg(matmul(matmul(y, t), y))]


def pinv_L_op(op, inputs, outputs, output_grads):
    (a,), (p,), (g,) = inputs, outputs, output_grads
    if g is None:
        return [None]
    pt, gt = mT(p), mT(g)
    term1 = E.neg(matmul(matmul(pt, g), pt))
    # (I - A P) G^T P P^T without forming I: X - A (P X).
    x2 = matmul(gt, matmul(p, pt))
    term2 = E.sub(x2, matmul(a, matmul(p, x2)))
    x3 = matmul(matmul(pt, p), gt)
    term3 = E.sub(x3, matmul(matmul(x3, p), a))
    return [_to(E.add(term1, term2, term3), a)]


def pinv_R_op(op, inputs, outputs, eval_points):
    (a,), (p,), (t,) = inputs, outputs, eval_points
    if t is None:
        return [None]
    tt, pt = mT(t), mT(p)
    term1 = E.neg(matmul(matmul(p, t), p))
    y2 = matmul(matmul(p, pt), tt)
    term2 = E.sub(y2, matmul(matmul(y2, a), p))
    y3 = matmul(tt, matmul(pt, p))
    term3 = E.sub(y3, matmul(p, matmul(a, y3)))
    return [E.add(term1, term2, term3)]


# Factorisations ---------------------------------------------------------------------


def cholesky_L_op(op, inputs, outputs, output_grads):
    (a,), (c,), (g,) = inputs, outputs, output_grads
    if g is None:
        return [None]
    # Work with the lower factor: the upper one is its transpose (of a's transpose).
    L, Lbar = (c, g) if op.lower else (mT(c), mT(g))
    P = _phi(matmul(mT(L), Lbar))
    X = _solve_tri(L, P, True, 1)  # L^-T P
    S = mT(_solve_tri(L, mT(X), True, 1))  # L^-T P L^-1
    abar = _fold_to_triangle(S, True)
    return [_to(abar if op.lower else mT(abar), a)]


def cholesky_R_op(op, inputs, outputs, eval_points):
    (c,), (t,) = outputs, eval_points
    if t is None:
        return [None]
    L = c if op.lower else mT(c)
    dS = _symmetric_from_triangle(t, op.lower)
    Y = _solve_tri(L, dS, True, 0)  # L^-1 dS
    M = _solve_tri(L, mT(Y), True, 0)  # L^-1 dS L^-T
    dL = matmul(L, _phi(M))
    return [dL if op.lower else mT(dL)]


def det_L_op(op, inputs, outputs, output_grads):
    from aesara_cas.tensor.linalg.solve import inv

    (a,), (d,), (g,) = inputs, outputs, output_grads
    if g is None:
        return [None]
    return [_to(E.mul(_expand2(E.mul(g, d)), mT(inv(a))), a)]


def det_R_op(op, inputs, outputs, eval_points):
    from aesara_cas.tensor.linalg.solve import solve

    (a,), (d,), (t,) = inputs, outputs, eval_points
    if t is None:
        return [None]
    return [E.mul(d, _trace(solve(a, t)))]


def slogdet_L_op(op, inputs, outputs, output_grads):
    from aesara_cas.tensor.linalg.solve import inv

    (a,), _, (_, g) = inputs, outputs, output_grads
    if g is None:
        return [None]
    return [_to(E.mul(_expand2(g), mT(inv(a))), a)]


def slogdet_R_op(op, inputs, outputs, eval_points):
    from aesara_cas.tensor.linalg.solve import solve

    (a,), (t,) = inputs, eval_points
    if t is None:
        return [None, None]
    return [None, _trace(solve(a, t))]


def _eig_gaps(w: Variable) -> Variable:
    """``F[..., i, j] = 1 / (w_j - w_i)`` off the diagonal, 0 where ``w_j == w_i``."""
    diff = E.sub(expand_dims(w, -2), expand_dims(w, -1))
    zero = E.eq(diff, 0)
    return E.switch(zero, 0, E.true_div(1, E.switch(zero, 1, diff)))


def eigh_L_op(op, inputs, outputs, output_grads):
    (a,), (w, v), (gw, gv) = inputs, outputs, output_grads
    inner = None
    if gw is not None:
        inner = diag_embed(gw)
    if gv is not None:
        term = E.mul(_eig_gaps(w), matmul(mT(v), gv))
        inner = term if inner is None else E.add(inner, term)
    if inner is None:
        return [None]
    G = matmul(matmul(v, inner), mT(v))
    return [_to(_fold_to_triangle(G, op.lower), a)]


def eigh_R_op(op, inputs, outputs, eval_points):
    (w, v), (t,) = outputs, eval_points
    if t is None:
        return [None, None]
    dS = _symmetric_from_triangle(t, op.lower)
    M = matmul(matmul(mT(v), dS), v)
    return [diagonal(M), matmul(v, E.mul(_eig_gaps(w), M))]


def svd_L_op(op, inputs, outputs, output_grads):
    from aesara_cas.tensor.linalg.decomp import SVD

    (a,) = inputs
    if not op.compute_uv:
        (gs,) = output_grads
        if gs is None:
            return [None]
        u, _, vh = SVD(False, True)(a)
        return [_to(matmul(E.mul(u, expand_dims(gs, -2)), vh), a)]
    u, s, vh = outputs
    gu, gs, gvh = output_grads
    _reduced_only(op, a, "gradient")
    # Reduced SVD A = U S V^T (Townsend 2016), real case.
    v = mT(vh)
    gv = None if gvh is None else mT(gvh)
    s2 = E.sqr(s)
    F = _eig_gaps(s2)  # 1 / (s_j^2 - s_i^2)
    inner = diag_embed(gs) if gs is not None else None
    s_row = expand_dims(s, -2)  # scales columns: X S
    s_col = expand_dims(s, -1)  # scales rows:    S X
    inv_s = E.true_div(1, s)
    pieces = []
    if gu is not None:
        ut_gu = matmul(mT(u), gu)
        j = E.mul(F, E.sub(ut_gu, mT(ut_gu)))
        inner = E.mul(j, s_row) if inner is None else E.add(inner, E.mul(j, s_row))
        # (I - U U^T) gU S^-1 V^T
        rest = E.sub(gu, matmul(u, ut_gu))
        pieces.append(matmul(E.mul(rest, expand_dims(inv_s, -2)), vh))
    if gv is not None:
        vt_gv = matmul(mT(v), gv)
        k = E.mul(F, E.sub(vt_gv, mT(vt_gv)))
        inner = E.mul(s_col, k) if inner is None else E.add(inner, E.mul(s_col, k))
        # U S^-1 gV^T (I - V V^T)
        rest = E.sub(mT(gv), matmul(mT(vt_gv), vh))
        pieces.append(matmul(u, E.mul(expand_dims(inv_s, -1), rest)))
    if inner is not None:
        pieces.append(matmul(matmul(u, inner), vh))
    if not pieces:
        return [None]
    return [_to(pieces[0] if len(pieces) == 1 else E.add(*pieces), a)]


def qr_L_op(op, inputs, outputs, output_grads):
    (a,) = inputs
    m, n = a.type.shape[-2:]
    if op.mode != "reduced" or m is None or n is None or m < n:
        raise NotImplementedError(
            "qr: the gradient is implemented for mode='reduced' and a matrix with known "
            "m >= n")
    q, r = outputs
    gq, gr = output_grads
    # M = R gR^T - gQ^T Q; A_bar = (gQ + Q copyltu(M)) R^-T  (Walter and Lehmann 2018).
    M = None
    if gr is not None:
        M = matmul(r, mT(gr))
    if gq is not None:
        t = matmul(mT(gq), q)
        M = E.neg(t) if M is None else E.sub(M, t)
    if M is None:
        return [None]
    low = tril(M, -1)
    copyltu = E.add(E.add(low, mT(low)), diag_embed(diagonal(M)))
    b = matmul(q, copyltu)
    if gq is not None:
        b = E.add(gq, b)
    # b R^-T = (R^-1 b^T)^T
    abar = mT(_solve_tri(r, mT(b), False, 0))
    return [_to(abar, a)]


def _reduced_only(op, a, what: str) -> None:
    m, n = a.type.shape[-2:]
    if op.full_matrices and not (m is not None and m == n):
        raise NotImplementedError(
            f"svd: the {what} with full_matrices=True needs a square matrix of known size "
            "(the extra singular vectors are not unique); use full_matrices=False")


def svd_R_op(op, inputs, outputs, eval_points):
    from aesara_cas.tensor.linalg.decomp import SVD

    (a,), (t,) = inputs, eval_points
    if t is None:
        return [None] * len(outputs)
    if not op.compute_uv:
        u, _, vh = SVD(False, True)(a)
        return [diagonal(matmul(matmul(mT(u), t), mT(vh)))]
    _reduced_only(op, a, "forward derivative")
    # Townsend (2016), forward mode of the reduced SVD A = U S V^T.
    u, s, vh = outputs
    v = mT(vh)
    dP = matmul(matmul(mT(u), t), v)
    F = _eig_gaps(E.sqr(s))
    s_row, s_col = expand_dims(s, -2), expand_dims(s, -1)
    inv_s_row = expand_dims(E.true_div(1, s), -2)
    dP_t = mT(dP)
    du_in = E.mul(F, E.add(E.mul(dP, s_row), E.mul(s_col, dP_t)))
    dv_in = E.mul(F, E.add(E.mul(s_col, dP), E.mul(dP_t, s_row)))
    t_v = matmul(t, v)
    du = E.add(matmul(u, du_in), E.mul(E.sub(t_v, matmul(u, matmul(mT(u), t_v))), inv_s_row))
    tt_u = matmul(mT(t), u)
    dv = E.add(matmul(v, dv_in), E.mul(E.sub(tt_u, matmul(v, matmul(vh, tt_u))), inv_s_row))
    return [du, diagonal(dP), mT(dv)]


def qr_R_op(op, inputs, outputs, eval_points):
    (a,), (t,) = inputs, eval_points
    m, n = a.type.shape[-2:]
    if op.mode != "reduced" or m is None or n is None or m < n:
        raise NotImplementedError(
            "qr: the forward derivative is implemented for mode='reduced' and a matrix with "
            "known m >= n")
    if t is None:
        return [None, None]
    q, r = outputs
    # dA R^-1 = (R^-T dA^T)^T
    dx_rinv = mT(_solve_tri(r, mT(t), False, 1))
    c = matmul(mT(q), dx_rinv)
    low = tril(c, -1)
    omega = E.sub(low, mT(low))  # skew-symmetric
    dq = E.add(matmul(q, E.sub(omega, c)), dx_rinv)
    dr = matmul(E.sub(c, omega), r)
    return [dq, dr]
