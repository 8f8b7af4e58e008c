"""Pausing Python's cyclic garbage collector while big graphs are built.

Graphs are full of reference cycles (nodes <-> variables), and building one
allocates several objects per node.  Every few thousand allocations the collector
runs, and every so often it scans *all* live objects: while a gradient or a
compiled function of a 10,000-op chain is built, those full scans of a million
objects cost seconds (a third of ``ac.grad``, and most of the toposorts after a
rewrite).  Pausing it around such work keeps the cost linear; the collector
resumes afterwards, so cyclic garbage is collected as usual.

The pause is process-wide (the collector has one switch): a pause started while
another is in progress (another thread, or a nested call) leaves the switch to
whoever turned it off, so the collector is never left off.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def paused_gc() -> Iterator[None]:
    """Turn the cyclic garbage collector off for the ``with`` block (if it was on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def pausing_gc(fn: F) -> F:
    """Decorator: ``fn`` runs with the collector paused (see :func:`paused_gc`)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with paused_gc():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
