"""Benchmarks of loops, random draws and log-densities, measured in one run.

Run::

    python benchmarks/bench_scan.py            # everything
    python benchmarks/bench_scan.py --quick    # fewer repeats
    python benchmarks/bench_scan.py --only normals   # one section

Cases:

* the 10,000-step scalar recurrence ``x_t = a * x_{t-1} + u_t`` and its gradient
  (of ``sum(x**2)`` with respect to ``a`` and ``u``), compiled and in the NumPy mode,
  against a NumPy Python loop (forward, and a hand-written reverse loop for the
  gradient) and, when importable, PyTensor's ``scan`` and ``jax.lax.scan``;
* a 1,000-step RNN with 8 units and its gradient against NumPy loops;
* drawing 1e6 normals with ``RandomStream`` against ``numpy.random.Generator.normal``;
* the log-density and its gradient of a hierarchical normal model (8 groups, 1,000
  observations) against a hand-written NumPy version.

Figures are medians of several repeats.  The script unsets OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE for its own process (they slow down a current NumPy on this machine).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402

REPEATS = 7


def median_time(fn, repeat: int = REPEATS, min_time: float = 0.05) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` batches of >= ``min_time``."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-9)
    number = max(1, int(min_time / one))
    times = timeit.repeat(fn, number=number, repeat=repeat)
    return statistics.median(t / number for t in times)


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.2f} s "


def row(label: str, seconds: float, ref: float | None = None) -> None:
    ratio = f"  ({seconds / ref:.2f}x the reference)" if ref else ""
    print(f"  {label:<44} {fmt(seconds)}{ratio}")


# Recurrence ----------------------------------------------------------------------------

def numpy_recurrence(a: float, u: np.ndarray) -> np.ndarray:
    x = np.empty_like(u)
    prev = 0.0
    for t in range(len(u)):
        prev = a * prev + u[t]
        x[t] = prev
    return x


def numpy_recurrence_grad(a: float, u: np.ndarray) -> tuple[float, np.ndarray]:
    """d sum(x**2) / d(a, u) by a hand-written reverse loop."""
    x = numpy_recurrence(a, u)
    n = len(u)
    gu = np.empty_like(u)
    ga = 0.0
    lam = 0.0
    for t in range(n - 1, -1, -1):
        lam = 2.0 * x[t] + lam * a if t < n - 1 else 2.0 * x[t]
        gu[t] = lam
        ga += lam * (x[t - 1] if t > 0 else 0.0)
    return ga, gu


def bench_recurrence(repeat: int) -> None:
    import aesara_cas as ac
    from aesara_cas import tensor as at

    print("10,000-step recurrence x_t = a*x_{t-1} + u_t")
    n = 10_000
    u_np = np.random.default_rng(0).normal(size=n)
    a_val = 0.999
    a = at.dscalar("a")
    u = at.dvector("u")
    xs, _ = ac.scan(lambda ut, prev: a * prev + ut, sequences=u, outputs_info=at.constant(0.0))
    cost = at.sum(xs ** 2)
    g = ac.grad(cost, [a, u])
    ref_f = median_time(lambda: numpy_recurrence(a_val, u_np), repeat)
    ref_g = median_time(lambda: numpy_recurrence_grad(a_val, u_np), repeat)
    row("NumPy Python loop: forward", ref_f)
    row("NumPy Python loop: gradient (hand-written)", ref_g)
    for mode in ("cython", "numpy"):
        f = ac.function([a, u], xs, mode=mode)
        fg = ac.function([a, u], g, mode=mode)
        np.testing.assert_allclose(f(a_val, u_np), numpy_recurrence(a_val, u_np), rtol=1e-9)
        ga, gu = fg(a_val, u_np)
        rga, rgu = numpy_recurrence_grad(a_val, u_np)
        np.testing.assert_allclose(gu, rgu, rtol=1e-8)
        np.testing.assert_allclose(ga, rga, rtol=1e-8)
        r = 1 if mode == "numpy" else repeat
        row(f"aesara_cas {mode}: forward", median_time(lambda f=f: f(a_val, u_np), r), ref_f)
        row(f"aesara_cas {mode}: gradient", median_time(lambda fg=fg: fg(a_val, u_np), r), ref_g)
    try:
        import pytensor
        import pytensor.tensor as pt
        from pytensor.compile.mode import Mode
    except ImportError:
        print("  (PyTensor not importable)")
    else:
        # PyTensor's C virtual machine (its default backend since 3.0 needs numba).
        mode = Mode(linker="cvm", optimizer="fast_run")
        pa, pu = pt.dscalar(), pt.dvector()
        pxs = pytensor.scan(lambda ut, prev: pa * prev + ut, sequences=pu,
                            outputs_info=pt.as_tensor(np.float64(0.0)), return_updates=False)
        pf = pytensor.function([pa, pu], pxs, mode=mode)
        pg = pytensor.function([pa, pu], pytensor.grad((pxs ** 2).sum(), [pa, pu]), mode=mode)
        row("PyTensor scan (C VM): forward", median_time(lambda: pf(a_val, u_np), repeat), ref_f)
        row("PyTensor scan (C VM): gradient", median_time(lambda: pg(a_val, u_np), repeat),
            ref_g)
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        print("  (jax not importable)")
    else:
        jax.config.update("jax_enable_x64", True)

        def jax_fwd(a, u):
            return jax.lax.scan(lambda c, ut: (a * c + ut, a * c + ut), 0.0, u)[1]

        jf = jax.jit(jax_fwd)
        jg = jax.jit(jax.grad(lambda a, u: jnp.sum(jax_fwd(a, u) ** 2), argnums=(0, 1)))
        row("jax.lax.scan (jit): forward",
            median_time(lambda: jf(a_val, u_np).block_until_ready(), repeat), ref_f)
        row("jax.lax.scan (jit): gradient",
            median_time(lambda: jg(a_val, u_np)[1].block_until_ready(), repeat), ref_g)


def bench_rnn(repeat: int) -> None:
    import aesara_cas as ac
    from aesara_cas import tensor as at

    print("1,000-step RNN h_t = tanh(W h_{t-1} + x_t), 8 units: value and gradient wrt W")
    rng = np.random.default_rng(0)
    Wv = rng.normal(size=(8, 8)) * 0.3
    xv = rng.normal(size=(1000, 8))

    def numpy_rnn(W):
        h = np.zeros(8)
        hs = np.empty_like(xv)
        for t in range(len(xv)):
            h = np.tanh(W @ h + xv[t])
            hs[t] = h
        return hs

    def numpy_rnn_grad(W):
        hs = numpy_rnn(W)
        gW = np.zeros_like(W)
        lam = np.zeros(8)
        for t in range(len(xv) - 1, -1, -1):
            d = (1.0 + lam) * (1.0 - hs[t] ** 2)
            gW += np.outer(d, hs[t - 1] if t > 0 else np.zeros(8))
            lam = W.T @ d
        return hs.sum(), gW

    ref = median_time(lambda: numpy_rnn_grad(Wv), repeat)
    row("NumPy Python loop (forward + reverse)", ref)
    W = at.dmatrix("W")
    xs = at.dmatrix("xs")
    hs, _ = ac.scan(lambda x, h: at.tanh(at.dot(W, h) + x), sequences=xs,
                    outputs_info=at.zeros(8))
    out = [hs.sum(), ac.grad(hs.sum(), W)]
    want = numpy_rnn_grad(Wv)
    for mode in ("cython", "numpy"):
        f = ac.function([W, xs], out, mode=mode)
        got = f(Wv, xv)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-9, atol=1e-12)
        row(f"aesara_cas {mode}", median_time(lambda f=f: f(Wv, xv), repeat), ref)


# Random draws --------------------------------------------------------------------------

def bench_normals(repeat: int) -> None:
    import aesara_cas as ac

    print("1e6 normal draws")
    gen = np.random.default_rng(0)
    ref = median_time(lambda: gen.normal(0.0, 1.0, size=1_000_000), repeat)
    row("numpy Generator.normal", ref)
    srng = ac.RandomStream(0)
    x = srng.normal(0.0, 1.0, size=(1_000_000,))
    for mode in ("cython", "numpy"):
        f = ac.function([], x, mode=mode)
        row(f"aesara_cas {mode}", median_time(f, repeat), ref)


# Hierarchical normal model -------------------------------------------------------------

def bench_hierarchical(repeat: int) -> None:
    import aesara_cas as ac
    from aesara_cas import tensor as at

    print("hierarchical normal model: logp + gradient (8 groups, 1,000 observations)")
    rng = np.random.default_rng(1)
    n_groups, n_obs = 8, 1000
    group = rng.integers(0, n_groups, size=n_obs)
    y_obs = rng.normal(size=n_obs) + group * 0.1
    mu0, log_tau0, theta0 = 0.3, -0.2, rng.normal(size=n_groups)

    def numpy_logp_grad(mu, log_tau, theta):
        tau = np.exp(log_tau)
        c = 0.5 * np.log(2 * np.pi)
        d_mu = mu / 5.0
        d_theta = (theta - mu) / tau
        resid = y_obs - theta[group]
        logp = (-0.5 * d_mu ** 2 - np.log(5.0) - c
                + np.sum(-0.5 * d_theta ** 2 - log_tau - c)
                + np.sum(-0.5 * resid ** 2 - c) + log_tau)
        g_mu = -d_mu / 5.0 + np.sum(d_theta) / tau
        g_log_tau = np.sum(d_theta ** 2) - n_groups + 1.0
        g_theta = -d_theta / tau + np.bincount(group, weights=resid, minlength=n_groups)
        return logp, g_mu, g_log_tau, g_theta

    srng = ac.RandomStream(0)
    mu = at.dscalar("mu")
    log_tau = at.dscalar("log_tau")
    theta = at.dvector("theta")
    g = at.constant(group)
    y = at.constant(y_obs)
    tau = at.exp(log_tau)
    mu_rv = srng.normal(0.0, 5.0)
    theta_rv = srng.normal(mu, tau, size=(n_groups,))
    y_rv = srng.normal(theta[g], 1.0)
    logp = (ac.logprob(mu_rv, mu) + ac.logprob(theta_rv, theta).sum()
            + ac.logprob(y_rv, y).sum() + log_tau)
    grads = ac.grad(logp, [mu, log_tau, theta])
    ref = median_time(lambda: numpy_logp_grad(mu0, log_tau0, theta0), repeat)
    row("hand-written NumPy", ref)
    expected = numpy_logp_grad(mu0, log_tau0, theta0)
    for mode in ("cython", "numpy"):
        f = ac.function([mu, log_tau, theta], [logp] + grads, mode=mode)
        for got, want in zip(f(mu0, log_tau0, theta0), expected):
            np.testing.assert_allclose(got, want, rtol=1e-9)
        row(f"aesara_cas {mode}", median_time(lambda f=f: f(mu0, log_tau0, theta0), repeat), ref)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    sections = {"recurrence": bench_recurrence, "rnn": bench_rnn, "normals": bench_normals,
                "hierarchical": bench_hierarchical}
    parser.add_argument("--only", choices=sorted(sections), action="append",
                        help="run only this section (repeatable)")
    args = parser.parse_args()
    repeat = 3 if args.quick else REPEATS
    for name, bench in sections.items():
        if not args.only or name in args.only:
            bench(repeat)


if __name__ == "__main__":
    main()
