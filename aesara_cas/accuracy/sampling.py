"""Sample points for the accuracy search, and their exact results.

Points are drawn as Herbie draws them: uniformly over the *bit patterns* of
float64 (every float is equally likely, so each binade gets the same share:
tiny, ordinary and huge magnitudes are all tried), restricted to the caller's
``domain`` intervals, then filtered to the points where the expression is
defined (its exact value, from the mpmath reference evaluator, is not NaN).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Variable

try:  # the exact reference is mpmath's, an optional dependency
    from aesara_cas.testing import reference_eval, round_to_dtype
except ImportError as err:  # pragma: no cover - mpmath is in the test extra
    raise ImportError("the accuracy search needs mpmath for its exact reference: "
                      "pip install mpmath") from err

FMAX = float(np.finfo(np.float64).max)
_SIGN = np.int64(-0x8000000000000000)
#: Sampling rounds before concluding the expression has too few valid points.
ROUNDS = 4


def to_ordinal(x: np.ndarray) -> np.ndarray:
    """The position of each float64 in the ordered floats (``-0.0`` and ``0.0`` are 0)."""
    bits = np.asarray(x, dtype=np.float64).view(np.int64)
    return np.where(bits < 0, -(bits & ~_SIGN), bits)


def from_ordinal(o: np.ndarray) -> np.ndarray:
    """The inverse of :func:`to_ordinal`."""
    o = np.asarray(o, dtype=np.int64)
    bits = np.where(o < 0, (-o) | _SIGN, o)
    return bits.view(np.float64)


def _intervals(spec: Any, label: str) -> list[tuple[float, float]]:
    """``spec`` (``(lo, hi)`` or a list of them) as a list of finite float intervals."""
    if (isinstance(spec, Sequence) and len(spec) == 2
            and all(isinstance(v, (int, float, np.number)) for v in spec)):
        spec = [spec]
    if not isinstance(spec, Sequence) or not spec:
        raise TypeError(f"domain[{label}] must be an interval (lo, hi) or a list of them, "
                        f"got {spec!r}")
    out = []
    for iv in spec:
        if not (isinstance(iv, Sequence) and len(iv) == 2):
            raise TypeError(f"domain[{label}]: expected an interval (lo, hi), got {iv!r}")
        lo, hi = (float(v) for v in iv)
        if np.isnan(lo) or np.isnan(hi):
            raise ValueError(f"domain[{label}]: interval bounds must not be NaN: {iv!r}")
        lo, hi = max(lo, -FMAX), min(hi, FMAX)
        if lo <= hi:
            out.append((lo, hi))
    if not out:
        raise ValueError(f"domain[{label}] excludes every point: no finite float lies in "
                         f"{spec!r}")
    return out


def domain_intervals(inputs: Sequence[Variable], domain: Mapping | None
                     ) -> list[list[tuple[float, float]]]:
    """Per input, the list of intervals to sample (the finite floats by default).

    ``domain`` maps inputs (variables or their names) to ``(lo, hi)`` or a list of
    such intervals; inputs it does not name range over every finite float.
    """
    full = [(-FMAX, FMAX)]
    if domain is None:
        return [full for _ in inputs]
    if not isinstance(domain, Mapping):
        raise TypeError(f"domain must be a dict {{input: (lo, hi)}}, got {domain!r}")
    by_name = {v.name: i for i, v in enumerate(inputs) if v.name}
    out = [full for _ in inputs]
    for key, spec in domain.items():
        if isinstance(key, Variable):
            hits = [i for i, v in enumerate(inputs) if v is key]
        elif isinstance(key, str):
            hits = [by_name[key]] if key in by_name else []
        else:
            raise TypeError(f"domain keys must be input variables or names, got {key!r}")
        if not hits:
            raise ValueError(f"domain names {key!r}, which is not an input of the expression")
        out[hits[0]] = _intervals(spec, repr(key if isinstance(key, str) else key.name))
    return out


def sample_floats(intervals: list[tuple[float, float]], n: int,
                  rng: np.random.Generator) -> np.ndarray:
    """``n`` floats uniform over the bit patterns in a union of intervals."""
    lo = np.array([to_ordinal(np.float64(a)) for a, _ in intervals], dtype=np.int64)
    hi = np.array([to_ordinal(np.float64(b)) for _, b in intervals], dtype=np.int64)
    width = (hi - lo).astype(np.float64) + 1.0
    pick = rng.choice(len(intervals), size=n, p=width / width.sum())
    # Draw offsets as floats in [0, 1): ordinal ranges exceed what integers() accepts
    # across the sign boundary, and 53 bits of resolution is plenty for a sample.
    offs = np.floor(rng.random(n) * width[pick]).astype(np.int64)
    return from_ordinal(np.minimum(lo[pick] + offs, hi[pick]))


def valid_points(expr: Variable, inputs: Sequence[Variable],
                 intervals: list[list[tuple[float, float]]], n: int,
                 rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    """Up to ``n`` points where ``expr`` is defined, and its exact, rounded result there.

    Raises
    ------
    ValueError
        When no sampled point gives a defined (non-NaN) exact result.
    """
    keep_vals: list[list[np.ndarray]] = [[] for _ in inputs]
    keep_exact: list[np.ndarray] = []
    found = 0
    for _ in range(ROUNDS):
        batch = [sample_floats(iv, 2 * n, rng) for iv in intervals]
        with np.errstate(all="ignore"):
            exact, resolved = reference_eval(expr, dict(zip(inputs, batch)),
                                             return_resolved=True)
        ref = np.broadcast_to(round_to_dtype(exact, "float64"), (2 * n,))
        ok = np.broadcast_to(resolved, ref.shape) & ~np.isnan(ref)
        for k, b in enumerate(batch):
            keep_vals[k].append(b[ok])
        keep_exact.append(ref[ok])
        found += int(ok.sum())
        if found >= n:
            break
    if found == 0:
        raise ValueError(
            f"no valid sample: {expr} is undefined (NaN) at every point sampled from the "
            f"domain ({ROUNDS * 2 * n} tried); check the domain intervals")
    values = {v: np.concatenate(keep_vals[k])[:n] for k, v in enumerate(inputs)}
    return values, np.concatenate(keep_exact)[:n]
