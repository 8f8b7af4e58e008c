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

When the outermost pause ends, everything it allocated that is still alive sits in
the youngest generation, and the collector's next young pass would scan all of it
(0.2 s for the 400,000 objects of a compiled 10,000-op chain and its gradient), and
the middle generation's pass again soon after: what a big graph allocated mostly
lives as long as the graph.  So a pause that leaves many young objects moves them
straight to the oldest generation (``gc.freeze()`` then ``gc.unfreeze()``, which
splices the lists without scanning).  Cyclic garbage among them is collected by the
next full collection.  Memory stays bounded: the collector schedules full
collections by the objects that *it* moved to the oldest generation, so at most
:data:`PROMOTE_BUDGET` objects are moved this way between two full collections;
past that, young objects take the collector's usual path.  Nothing is moved while
objects are frozen (``gc.get_freeze_count()``): unfreezing would release what the
program froze on purpose.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: A pause that leaves at least this many young objects moves them to the oldest
#: generation (below it the young pass is cheap: a few milliseconds).
PROMOTE_MIN = 50_000
#: At most this many objects are moved so between two full collections.
PROMOTE_BUDGET = 1_000_000

_promoted = 0


def _on_collect(phase: str, info: dict) -> None:
    # A full collection examined everything moved so far: the budget starts again.
    global _promoted
    if phase == "stop" and info.get("generation") == 2:
        _promoted = 0


gc.callbacks.append(_on_collect)


def _promote_young() -> None:
    """Move the young objects to the oldest generation if many, within the budget."""
    global _promoted
    young = gc.get_count()[0]  # allocations minus deallocations since the last pass
    if young < PROMOTE_MIN or _promoted + young > PROMOTE_BUDGET or gc.get_freeze_count():
        return
    _promoted += young
    gc.freeze()
    gc.unfreeze()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Turn the cyclic garbage collector off for the ``with`` block (if it was on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _promote_young()
            gc.enable()


def pausing_gc(fn: F) -> F:
    """Decorator: ``fn`` runs with the collector paused (see :func:`paused_gc`)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with paused_gc():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
