"""``ac.function(..., profile=True)``: where a function spends its time.

``f.profile`` collects, over all calls of ``f``, the number of calls, the total
time of the calls and, per step of the program (a node in the NumPy mode, a
fused kernel, reduction, BLAS call or ``perform`` in the compiled mode), the time
spent and how often it ran.  ``print(f.profile)`` shows a table sorted by time.
Timing costs a clock read per step, so it is opt-in.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

__all__ = ["Profile"]


class Profile:
    """Times of a function's calls and of each step of its program.

    Attributes
    ----------
    calls
        How many times the function was called.
    total_time
        Seconds spent in those calls (argument checks and outputs included).
    labels, step_times, step_calls
        Per step: what it computes, its seconds in total, how often it ran.
    """

    def __init__(self, name: str, labels: list[str]):
        self.name = name
        self.labels = list(labels)
        # Arrays, so compiled code can add to them in place.
        self.step_times = np.zeros(len(labels), dtype=np.float64)
        self.step_calls = np.zeros(len(labels), dtype=np.int64)
        self.calls = 0
        self.total_time = 0.0

    def reset(self) -> None:
        """Forget what was measured so far."""
        self.step_times[:] = 0.0
        self.step_calls[:] = 0
        self.calls = 0
        self.total_time = 0.0

    def rows(self) -> list[tuple[str, float, int]]:
        """``(label, seconds, calls)`` per step, the slowest first."""
        rows = [(label, float(t), int(c))
                for label, t, c in zip(self.labels, self.step_times, self.step_calls)]
        return sorted(rows, key=lambda r: -r[1])

    def __str__(self) -> str:
        per_call = self.total_time / self.calls if self.calls else 0.0
        lines = [
            f"Profile of {self.name}: {self.calls} call(s), {self.total_time:.6f} s in all "
            f"({per_call * 1e6:.1f} us per call)",
            f"{'time (s)':>12} {'%':>6} {'calls':>8} {'us/call':>10}  step",
        ]
        total = self.total_time or 1.0
        for label, seconds, calls in self.rows():
            each = seconds / calls * 1e6 if calls else 0.0
            lines.append(f"{seconds:12.6f} {100 * seconds / total:6.1f} {calls:8d} "
                         f"{each:10.2f}  {label}")
        other = max(self.total_time - float(self.step_times.sum()), 0.0)
        lines.append(f"{other:12.6f} {100 * other / total:6.1f} {self.calls:8d} "
                     f"{other / max(self.calls, 1) * 1e6:10.2f}  (calling: arguments, outputs, "
                     "updates)")
        return "\n".join(lines)

    __repr__ = __str__


_PROFILING: dict[type, type] = {}


def profiling_class(base: type) -> type:
    """``base`` with a ``__call__`` that counts and times every call in ``self.profile``
    (and, for a compiled module, lets it charge each step's time to the profile)."""
    cls = _PROFILING.get(base)
    if cls is None:
        inner = base.__call__

        def __call__(self, *args: Any, **kwargs: Any):
            profile = self.profile
            module = getattr(getattr(self, "_cython_program", None), "module", None)
            if module is not None:
                module.profile_attach(profile.step_times.ctypes.data,
                                      profile.step_calls.ctypes.data, len(profile.labels))
            start = time.perf_counter()
            try:
                return inner(self, *args, **kwargs)
            finally:
                profile.total_time += time.perf_counter() - start
                profile.calls += 1
                if module is not None:
                    module.profile_attach(0, 0, 0)

        cls = type(base.__name__, (base,), {"__call__": __call__,
                                            "__module__": base.__module__,
                                            "__doc__": base.__doc__})
        _PROFILING[base] = cls
    return cls


def attach_profile(fn: Any, program: Any) -> Profile:
    """A new profile for ``fn`` (whose program is ``program``), wired to its steps."""
    profile = Profile(fn.name or repr(fn), program.step_labels())
    if hasattr(program, "profile"):
        program.profile = profile
    fn.profile = profile
    fn.__class__ = profiling_class(type(fn))
    return profile
