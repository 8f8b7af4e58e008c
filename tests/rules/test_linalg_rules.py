"""Every rule of ``rules/linalg.py`` and ``rules/special.py``: it fires on an example, both
sides agree on random inputs, and the new form is right where the original overflows."""

import re

import numpy as np
import pytest
from aesara_cas.rules import linalg as linalg_rules
from aesara_cas.rules import special as special_rules

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.tensor import linalg as la
from tests.rewriting.rulecheck import Case, check_case, check_coverage

M = ("dmatrix", -1.0, 1.0)
T3 = ("dtensor3", -1.0, 1.0)
I4 = np.eye(4)
V = ("dvector", -1.0, 1.0)
SHIFT = 5 * np.eye(5)


def _shift(x, keepdims=True):
    """x - max(x, axis=1), the max kept or re-broadcast as the softmax rules leave it."""
    m = at.max(x, axis=1, keepdims=keepdims)
    return x - (m if keepdims else m.dimshuffle(0, "x"))


def spd(x):
    """A symmetric positive-definite 5x5 matrix built from any 5x5 ``x``."""
    return at.matmul(x, x.T) + SHIFT


#: x = 1e40 * I: det(spd(x)) = 1e400 overflows; its log is 400 log(10).
BIG = [1e40 * np.eye(5)]


LINALG_CASES = [
    Case("solve_from_inv", lambda x, y: la.inv(x) @ y, [("dmatrix", 2.0, 3.0), V], rtol=1e-9),
    Case("solve_from_inv", lambda x, y: la.inv(x) @ y, [("dmatrix", 2.0, 3.0), M], rtol=1e-9,
         expect="solve(x, y)"),
    Case("solve_from_inv_dot", lambda x, y: at.dot(la.inv(x), y), [("dmatrix", 2.0, 3.0), V],
         rtol=1e-9, expect="solve(x, y)"),
    Case("row_solve_from_inv", lambda x, y: y @ la.inv(x), [("dmatrix", 2.0, 3.0), V],
         rtol=1e-9, expect="solve(x.T, y)"),
    Case("rows_solve_from_inv", lambda x, y: y @ la.inv(x), [("dmatrix", 2.0, 3.0), M],
         rtol=1e-9, expect="solve(x.T, y.T).T"),
    Case("solve_of_cholesky", lambda x, y: la.solve(la.cholesky(spd(x)), y), [M, V],
         rtol=1e-10),
    Case("solve_of_cholesky", lambda x, y: la.solve(la.cholesky(spd(x), lower=False), y),
         [M, M], rtol=1e-10),
    Case("solve_of_triangular_part", lambda x, y: la.solve(la.triu(x), y),
         [("dmatrix", 1.0, 2.0), M], rtol=1e-8),
    Case("solve_of_triangular_part", lambda x, y: la.solve(la.tril(x), y),
         [("dmatrix", 1.0, 2.0), V], rtol=1e-8),
    Case("diagonal_of_diag_embed", lambda x: la.diagonal(la.diag_embed(x)), [V], expect="x"),
    Case("det_of_triangular", lambda x: la.det(la.cholesky(spd(x))), [M], rtol=1e-10),
    Case("det_of_triangular", lambda x: la.det(la.tril(x)), [M], rtol=1e-10,
         expect="prod(diagonal(tril(x)))"),
    Case("det_of_triangular_3d", lambda x: la.det(la.triu(x)), [T3], rtol=1e-10,
         shape=(2, 4, 4), expect="prod(diagonal(triu(x)), axis=1)"),
    Case("det_of_triangular_4d", lambda x: la.det(la.tril(x.reshape((1, 2, 4, 4)))), [T3],
         rtol=1e-10, shape=(2, 4, 4)),
    Case("log_det", lambda x: at.log(la.det(spd(x))), [M], rtol=1e-12,
         expect="logdet(x @ x.T + constant{float64, shape=(5, 5)})",
         extremes=[(BIG, [400 * np.log(10.0)])]),
    Case("log_abs_det", lambda x: at.log(at.abs(la.det(x))), [M], rtol=1e-10,
         expect="logabsdet(x)"),
    Case("log_prod_cholesky_diagonal",
         lambda x: at.log(at.prod(la.diagonal(la.cholesky(spd(x))))), [M], rtol=1e-12),
    Case("log_prod_cholesky_diagonal",
         lambda x: at.log(at.prod(la.diagonal(la.cholesky(x @ at.transpose(x, (0, 2, 1)) + 4 * I4)),
                                  axis=1, keepdims=True)),
         [T3], rtol=1e-12, shape=(2, 4, 4)),
]

SPECIAL_CASES = [
    Case("log_gamma", lambda x: at.log(at.gamma(x)), [("dvector", 0.1, 150.0)],
         expect="gammaln(x)", rtol=1e-12,
         extremes=[([np.array([200.0, 1000.0])], [857.9336698258574, 5905.220423209181])]),
    Case("log_gamma", lambda x: at.log(at.gamma(x)), [("dvector", -1.9, -1.1)],
         expect="gammaln(x)", rtol=1e-12),
    # The log of the stable softmax, as the softmax rules leave it (in every spelling).
    Case("log_softmax", lambda x: at.log(at.mul(at.exp(_shift(x)),
                                                at.pow(at.sum(at.exp(_shift(x)), axis=1,
                                                              keepdims=True), -1))),
         [M], expect="x - max(x, axis=1, keepdims=True) - log(sum(exp(x - max(x, axis=1, "
                     "keepdims=True)), axis=1, keepdims=True))",
         extremes=[([np.array([[1000.0, 0.0, -1000.0]])], [[0.0, -1000.0, -2000.0]])]),
    Case("log_softmax_div", lambda x: at.log(at.exp(_shift(x)) / at.sum(
        at.exp(_shift(x)), axis=1, keepdims=True)), [M],
         extremes=[([np.array([[-1000.0, -1000.0]])], [[-np.log(2.0)] * 2])]),
    Case("log_softmax_broadcast", lambda x: at.log(at.mul(at.exp(_shift(x, False)), at.pow(
        at.sum(at.exp(_shift(x)), axis=1).dimshuffle(0, "x"), -1))), [M],
         extremes=[([np.array([[1000.0, 0.0, -1000.0]])], [[0.0, -1000.0, -2000.0]])]),
    Case("log_softmax_div_broadcast", lambda x: at.log(at.exp(_shift(x, False)) / at.sum(
        at.exp(_shift(x)), axis=1).dimshuffle(0, "x")), [M],
         extremes=[([np.array([[-1000.0, -1000.0]])], [[-np.log(2.0)] * 2])]),
]


def test_every_rule_has_a_case():
    check_coverage(linalg_rules, LINALG_CASES)
    check_coverage(special_rules, SPECIAL_CASES)


@pytest.mark.parametrize("case", LINALG_CASES + SPECIAL_CASES,
                         ids=lambda c: c.rule)
def test_rule(case):
    rules = {r.name: r for r in linalg_rules.RULES + special_rules.RULES}
    check_case(case, rules, np.random.default_rng(5), n_samples=3)


def test_standard_sets_rewrite_a_gaussian_log_density():
    """log N(x | 0, S) written naively uses a Cholesky solve and a log-determinant."""
    S, x = at.dmatrix("S"), at.dvector("x")
    naive = -0.5 * (x @ (la.inv(S) @ x)) - 0.5 * at.log(la.det(S))
    out = ac.simplify(naive)
    text = ac.pprint(out)
    assert not re.search(r"\binv\(|\bdet\(", text) and "logdet(S)" in text, text
    f = ac.function([S, x], out, mode="numpy")
    A = np.random.default_rng(0).normal(size=(5, 5))
    cov = A @ A.T + np.eye(5)
    xv = np.arange(5.0)
    sign, logdet = np.linalg.slogdet(cov)
    np.testing.assert_allclose(f(cov, xv), -0.5 * xv @ np.linalg.solve(cov, xv) - 0.5 * logdet,
                               rtol=1e-12)
    # 1e6 * I (500x500 would be typical; 80x80 suffices): det overflows, the rewrite does not.
    big = 1e6 * np.eye(80)
    g = ac.function([S, x], out, mode="numpy")
    np.testing.assert_allclose(g(big, np.ones(80)), -0.5 * 80 / 1e6 - 0.5 * 80 * np.log(1e6),
                               rtol=1e-12)


def test_log_det_of_a_cholesky_factor_is_a_sum_of_logs():
    """det_of_triangular, then log_prod_cholesky_diagonal (log_det leaves triangular A)."""
    x = at.dmatrix("x")
    out = ac.simplify(at.log(la.det(la.cholesky(spd(x)))))
    text = ac.pprint(out)
    assert text.startswith("sum(log(diagonal(cholesky(") and "det" not in text, text
    f = ac.function([x], out, mode="numpy")
    np.testing.assert_allclose(f(BIG[0]), 200 * np.log(10.0), rtol=1e-13)
    xv = np.random.default_rng(2).normal(size=(5, 5))
    np.testing.assert_allclose(f(xv), 0.5 * np.linalg.slogdet(xv @ xv.T + SHIFT)[1],
                               rtol=1e-12)


def test_a_triangular_solve_keeps_one_factorisation():
    """inv(L) @ b of a Cholesky factor: solve_from_inv, then solve_of_cholesky; the factor
    is computed once (the rewrite's copy of cholesky(S) is merged with the original)."""
    S, bv = at.dmatrix("S"), at.dvector("b")
    f = ac.function([S, bv], la.inv(la.cholesky(S)) @ bv, mode="numpy")
    ops = [type(n.op).__name__ for n in f.fgraph.toposort()]
    assert ops.count("Cholesky") == 1 and "SolveTriangular" in ops and "Solve" not in ops, ops
    a = np.random.default_rng(1).normal(size=(4, 4))
    s = a @ a.T + 4 * np.eye(4)
    np.testing.assert_allclose(f(s, np.arange(4.0)),
                               np.linalg.solve(np.linalg.cholesky(s), np.arange(4.0)),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="solve_triangular: singular"):
        g = ac.function([S, bv], la.solve(la.tril(S), bv), mode="numpy")
        g(np.zeros((3, 3)), np.ones(3))


def test_deeper_stacks_keep_det():
    x5 = at.tensor("float64", shape=(None,) * 5, name="x")
    out = ac.simplify(la.det(la.tril(x5)), include=[], rules=linalg_rules.RULES)
    assert ac.pprint(out) == "det(tril(x))"
    # ... and their log is left to log_det, not to a rule that does not fire.
    out = ac.simplify(at.log(la.det(la.tril(x5))), include=[], rules=linalg_rules.RULES)
    assert ac.pprint(out) == "logdet(tril(x))"


def test_logdet_ops_match_slogdet_and_differentiate():
    A = at.dtensor3("A")
    f = ac.function([A], [la.logdet(A), la.logabsdet(A)], mode="numpy")
    a = np.stack([np.diag([2.0, 3.0]), np.diag([-2.0, 3.0]), np.zeros((2, 2))])
    logdet, logabs = f(a)
    np.testing.assert_allclose(logdet, [np.log(6.0), np.nan, -np.inf])
    np.testing.assert_allclose(logabs, [np.log(6.0), np.log(6.0), -np.inf])
    g = np.random.default_rng(4).normal(size=(3, 3)) + 3 * np.eye(3)
    ac.verify_grad(la.logdet, [g], rng=1)
    ac.verify_grad(la.logabsdet, [-g], rng=1)
