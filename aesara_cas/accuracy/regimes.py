"""Regime inference: split the range of one input between candidate forms.

Given the bits of error of several candidates at the sample points, find for one
input ``x`` the split points ``t1 < t2 < ...`` and a candidate per segment that
minimise the total error, each split paying a penalty (so a split must earn its
place), as Herbie does.  The result is ``switch(x < t1, a, switch(x < t2, b, c))``.
Split points are chosen between two neighbouring sample values, preferring a short
number (a power of ten or of two) between them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from aesara_cas.graph.basic import Variable
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.variable import constant

#: Most segments a regime split may have.
MAX_SEGMENTS = 4
#: What a split costs, in mean bits of error over the samples.
SPLIT_PENALTY = 0.1
#: Fewest sample points a segment may hold.
MIN_POINTS = 3
#: Bisection steps that place a threshold between two samples.
REFINE_STEPS = 14


def _short_between(lo: float, hi: float) -> float:
    """A short number ``t`` with ``lo < t <= hi`` (``lo < hi``)."""
    if lo < 0 <= hi:
        return 0.0
    for base in (10.0, 2.0):
        a, b = sorted((abs(lo), abs(hi)))
        top = math.ceil(math.log(b, base)) + 1
        bottom = math.floor(math.log(a, base)) - 1 if a > 0 else top - 60
        fits = []
        for k in range(max(bottom, -1074), min(top, 309 if base == 10.0 else 1024)):
            t = math.copysign(base ** k, hi)
            if lo < t <= hi:
                fits.append((abs(k), t))
        if fits:
            return min(fits)[1]
    mid = lo / 2 + hi / 2
    for digits in range(1, 18):  # the fewest significant digits that fit
        t = float(f"{mid:.{digits}g}")
        if lo < t <= hi:
            return t
    return hi


def best_split(errors: np.ndarray, x: np.ndarray) -> tuple[float, list]:
    """The best segmentation of the points by ``x``.

    Parameters
    ----------
    errors
        ``(candidates, points)`` bits of error.
    x
        The input's value at each point.

    Returns
    -------
    (mean error with the penalty, [(Split, or None for the last segment, candidate)])
    """
    k, n = errors.shape
    order = np.argsort(x, kind="stable")
    xs, err = x[order], errors[:, order]
    prefix = np.concatenate([np.zeros((k, 1)), np.cumsum(err, axis=1)], axis=1)
    # Positions where a split may go: between two different values.
    can = np.zeros(n + 1, dtype=bool)
    can[0] = can[n] = True
    can[1:n] = xs[1:] > xs[:-1]
    pen = SPLIT_PENALTY * n
    big = np.inf
    # dp[s][i]: best cost of the first i points in s segments (ending at a split).
    dp = np.full((MAX_SEGMENTS + 1, n + 1), big)
    back = np.zeros((MAX_SEGMENTS + 1, n + 1, 2), dtype=np.int64)
    dp[0, 0] = 0.0
    idx = np.arange(n + 1)
    for s in range(1, MAX_SEGMENTS + 1):
        for i in range(MIN_POINTS, n + 1):
            if not can[i]:
                continue
            js = idx[: i - MIN_POINTS + 1]
            js = js[can[js] & np.isfinite(dp[s - 1, js])]
            if js.size == 0:
                continue
            seg = prefix[:, i][:, None] - prefix[:, js]      # (k, len(js))
            cand = seg.argmin(axis=0)
            tot = dp[s - 1, js] + seg[cand, np.arange(js.size)] + (pen if s > 1 else 0.0)
            m = int(tot.argmin())
            dp[s, i] = tot[m]
            back[s, i] = (js[m], cand[m])
    s_best = int(np.argmin(dp[:, n]))
    segments: list[tuple[Split | None, int]] = []
    i = n
    s = s_best
    while s > 0:
        j, c = back[s, i]
        split = None if i == n else Split(float(xs[i - 1]), float(xs[i]), int(order[i]))
        segments.append((split, int(c)))
        i, s = int(j), s - 1
    segments.reverse()
    return float(dp[s_best, n] / n), segments


class Split:
    """A split between the sample values ``lo < hi``; ``index``: the sample at ``hi``."""

    __slots__ = ("lo", "hi", "index")

    def __init__(self, lo: float, hi: float, index: int):
        self.lo, self.hi, self.index = lo, hi, index


def refine(split: Split, left_is_better: Callable[[float], bool | None],
           steps: int = REFINE_STEPS) -> float:
    """The threshold of ``split``: bisect ``(lo, hi]`` over the floats for where the
    right segment's form starts to be the better one (``left_is_better(x)`` says which
    is more accurate at ``x``; ``None`` when it cannot tell), then take a short number
    near that point."""
    from aesara_cas.accuracy.sampling import from_ordinal, to_ordinal

    a, b = int(to_ordinal(np.float64(split.lo))), int(to_ordinal(np.float64(split.hi)))
    for _ in range(steps):
        if b - a <= 1:
            break
        m = (a + b) // 2
        verdict = left_is_better(float(from_ordinal(np.int64(m))))
        if verdict is None:
            break
        if verdict:
            a = m
        else:
            b = m
    return _short_between(float(from_ordinal(np.int64(a))), float(from_ordinal(np.int64(b))))


def regime_graph(x: Variable, thresholds: Sequence[float], choice: Sequence[int],
                 forms: Sequence[Variable]) -> Variable:
    """``switch(x < t1, forms[c1], switch(x < t2, ...))``: ``choice`` has one more
    entry than ``thresholds``."""
    out = forms[choice[-1]]
    for thr, c in zip(reversed(thresholds), reversed(choice[:-1])):
        out = E.switch(E.lt(x, constant(thr, dtype=x.dtype)), forms[c], out)
    return out
