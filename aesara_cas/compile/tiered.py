"""Tiered execution: a compiled function answers at once and gets faster later.

``ac.function`` in the default mode lowers the rewritten graph to a kernel plan,
returns a function that runs the plan on the *fast tier* (fused element-wise and
reduction groups on the kernel interpreter, :mod:`.cython.interp`, other nodes with
their NumPy ``perform`` like the NumPy VM), and queues the build of the graph's own
native module on a background thread.  The first call after the build finished
switches the function to the module for good (its class becomes the module's
``Function`` subclass, whose ``__call__`` is native).  Both tiers run the same
scalar C functions in the same order, so results are bit for bit the same on
contiguous data (see :mod:`.cython.interp` for strided rows).

The build goes through the module cache (:func:`.cython.cache.load_module`) and its
locks, like a synchronous build; a failed build is logged once and leaves the
function on the fast tier.  One worker thread builds the queued modules one after
another and exits when the queue is empty; a function dropped before its build
started is skipped (its job holds only a weak reference to it).  A function's build
starts once its first call returned, or :data:`FIRST_CALL_GRACE` after it was made,
whichever comes first: the build runs Python in this process, and the first result
should not share the interpreter lock with it (:func:`wait_idle` starts them at once).

``AESARA_CAS_SYNC_BUILD=1`` (or ``mode="cython"``) builds synchronously, as before;
``mode="tiered"`` asks for tiers whatever the variable says.  Functions with
``profile=True`` are built synchronously (a profile describes the native module).
"""

from __future__ import annotations

import atexit
import collections
import logging
import os
import threading
import time
import weakref
from typing import Any

from aesara_cas.compile.cython.build import CompilerUnavailable
from aesara_cas.compile.cython.cache_fs import CacheError
from aesara_cas.compile.cython.program import CythonProgram
from aesara_cas.graph.fg import FunctionGraph

logger = logging.getLogger("aesara_cas.compile")

#: Environment variable: a non-empty value other than ``0`` makes the default mode
#: build the native module synchronously (no tiers).
SYNC_VAR = "AESARA_CAS_SYNC_BUILD"

_PENDING, _DONE, _FAILED, _SKIPPED = "pending", "done", "failed", "skipped"
_THREAD_NAME = "aesara_cas-build"


class _QuietBackgroundBuilds(logging.Filter):
    """The cache says at WARNING level when a build is slow, for whoever waits for it;
    nobody waits for a background build: its line becomes an INFO record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.threadName == _THREAD_NAME and record.levelno == logging.WARNING
                and str(record.msg).startswith("aesara_cas: compiling a function took")):
            record.levelno, record.levelname = logging.INFO, "INFO"
            return logger.isEnabledFor(logging.INFO)
        return True


logger.addFilter(_QuietBackgroundBuilds())


def sync_requested() -> bool:
    """Whether ``AESARA_CAS_SYNC_BUILD`` asks for synchronous builds."""
    return os.environ.get(SYNC_VAR, "").strip() not in ("", "0")


def use_tiers(mode: str | None, profile: bool) -> bool:
    """Whether a function compiled with ``mode`` starts on the fast tier."""
    if profile:
        return False
    if mode == "tiered":
        return True
    return mode is None and not sync_requested()


#: Seconds a function's build waits for its first call to return: the build runs
#: Python (generating the source, Cython) in this process, and the first call would
#: share the interpreter lock with it.
FIRST_CALL_GRACE = 0.1


class _Job:
    """One background build: the plan to generate, and what came of it.

    ``hold_until``: the build does not start before this time (``time.monotonic``)
    unless released (0.0) earlier: by the end of the function's first call, by
    :func:`wait_idle`, or by the function's death."""

    __slots__ = ("fn", "plan", "state", "program", "error", "hold_until", "__weakref__")

    def __init__(self, fn: Any, plan: Any, hold: float = 0.0):
        self.fn = weakref.ref(fn)
        self.plan = plan
        self.state = _PENDING
        self.program: Any = None
        self.error: BaseException | None = None
        self.hold_until = time.monotonic() + hold if hold > 0 else 0.0


_cond = threading.Condition()
_queue: collections.deque[_Job] = collections.deque()
_worker: threading.Thread | None = None
_current: _Job | None = None
_stopping = False
_switch_lock = threading.Lock()


def build_program(plan: Any) -> Any:
    """The native program of ``plan`` (generated, then built or loaded via the cache)."""
    from aesara_cas.compile.cython import cache
    from aesara_cas.compile.cython.module import generate

    source = generate(plan)
    module = cache.load_module(source.text)
    return PrebuiltProgram(plan, source, module)


class PrebuiltProgram(CythonProgram):
    """A :class:`CythonProgram` from an already generated source and built module."""

    def __init__(self, plan: Any, source: Any, module: Any):
        self._setup(plan, source, module)


def _work() -> None:
    """The worker thread: build queued jobs until the queue is empty."""
    global _worker, _current
    me = threading.current_thread()
    while True:
        with _cond:
            while True:
                if not _queue or _stopping or _worker is not me:
                    if _worker is me:
                        _worker = None
                    _current = None
                    _cond.notify_all()
                    return
                wait = _held(_queue[0])
                if wait <= 0:
                    break
                _cond.wait(wait)  # (without the interpreter lock)
            job = _current = _queue.popleft()
        if job.plan is _INTERP_PLAN:
            _build_interpreter(job)
            continue
        if job.fn() is None:  # nobody can switch to it any more
            job.state = _SKIPPED
            job.plan = None
            continue
        try:
            job.program = build_program(job.plan)
            job.state = _DONE
        except BaseException as err:  # noqa: BLE001  (reported, and the fast tier stays)
            job.error = err
            job.state = _FAILED
            logger.warning("aesara_cas: building the native module in the background "
                           "failed; the function keeps running on the kernel interpreter: "
                           "%s: %s", type(err).__name__, err)
        finally:
            job.plan = None


class _Forever:
    """What the interpreter's job builds for (never dropped)."""


_FOREVER = _Forever()
#: The plan of the job that builds the kernel interpreter.
_INTERP_PLAN = object()
_interp_queued = False


def _queue_interpreter() -> None:
    """Build the interpreter in the background (once): functions made meanwhile are
    built synchronously, as before tiers, instead of waiting for it."""
    global _interp_queued
    with _cond:
        if not _interp_queued:
            _interp_queued = True
            _queue.appendleft(_Job(_FOREVER, _INTERP_PLAN))
            _start_worker()


def _build_interpreter(job: _Job) -> None:
    from aesara_cas.compile.cython import interp

    try:
        interp.load(announce=False)
        job.state = _DONE
    except Exception as err:  # noqa: BLE001  (the interpreter is an optimisation)
        job.error = err
        job.state = _FAILED
        _interpreter_failed(err)
    finally:
        job.plan = None


def _interpreter_failed(err: BaseException) -> None:
    global _interp_broken
    if not _interp_broken:
        _interp_broken = True
        logger.warning("aesara_cas: the kernel interpreter is unavailable (%s: %s); "
                       "functions are built synchronously", type(err).__name__, err)


def _held(job: _Job) -> float:
    """Seconds ``job`` still waits for its function's first call (0: none)."""
    until = job.hold_until
    if until == 0.0:
        return 0.0
    left = until - time.monotonic()
    if left <= 0 or job.fn() is None:  # the grace is over, or nobody will call
        job.hold_until = 0.0
        return 0.0
    return left


def _release(job: _Job) -> None:
    """Let ``job``'s build start now (its function's first call returned)."""
    with _cond:
        job.hold_until = 0.0
        _cond.notify_all()


def _start_worker() -> None:
    """Start a worker if jobs wait and none runs (the caller holds ``_cond``)."""
    global _worker
    if _worker is None and _queue and not _stopping:
        _worker = threading.Thread(target=_work, name=_THREAD_NAME, daemon=True)
        _worker.start()


def submit(fn: Any, plan: Any, hold: float = 0.0) -> _Job:
    """Queue the build of ``plan``'s module for ``fn``; it starts once ``fn``'s first
    call returned, or ``hold`` seconds from now, whichever comes first."""
    job = _Job(fn, plan, hold)
    with _cond:
        _queue.append(job)
        _start_worker()
    return job


def wait_idle(timeout: float | None = None) -> bool:
    """Wait until every queued build finished and the worker thread exited.
    Returns False on timeout (benchmarks and tests use it)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    seen: list[threading.Thread] = []
    with _cond:
        for job in _queue:  # the builds waiting for a first call start now
            job.hold_until = 0.0
        _cond.notify_all()
        while _queue or _worker is not None:
            if _worker is not None and _worker not in seen:
                seen.append(_worker)
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            _cond.wait(left)
    for thread in seen:  # it was leaving: let it finish
        thread.join(None if deadline is None else max(deadline - time.monotonic(), 0.0))
    return not any(t.is_alive() for t in seen)


def _after_fork_in_child() -> None:
    """The parent's worker does not exist in a forked child: its job goes back into
    the queue, and the next call of a waiting function starts a new worker."""
    global _cond, _worker, _current, _switch_lock
    _cond = threading.Condition()
    _switch_lock = threading.Lock()
    if _current is not None and _current.state == _PENDING and _current.plan is not None:
        _queue.appendleft(_current)
    _worker = None
    _current = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _stop() -> None:
    """At exit: start no new build, but let a running build of the interpreter finish
    (it happens once per cache; a script shorter than it would otherwise never get it)."""
    global _stopping
    with _cond:
        _stopping = True
        current, worker = _current, _worker
        _cond.notify_all()  # a worker waiting for a first call leaves
    if current is not None and current.plan is _INTERP_PLAN and worker is not None:
        worker.join(600)


atexit.register(_stop)  # no new builds start while the interpreter exits


def _switch(fn: Any, job: _Job) -> type | None:
    """Move ``fn`` to its native module (or give up on it if the build failed).
    Returns the module's Function class, or None to stay on the fast tier."""
    from aesara_cas.compile.function import _locking_class

    with _switch_lock:
        if fn._job is not job:  # another thread switched first
            return getattr(fn, "_native_class", None)
        fn._job = None
        if job.state != _DONE:
            return None
        program = job.program
        program.attach(fn)
        fn._program = program
        cls = program.function_class
        fn._native_class = cls
        fn.__class__ = _locking_class(cls) if getattr(fn, "_locks", None) else cls
        return cls


def make_function_class() -> type:
    """The ``Function`` subclass of functions on the fast tier: its ``__call__``
    switches to the native module once the build is done, and it pickles in the
    default mode (made once, lazily: ``function.py`` imports this module)."""
    from aesara_cas.compile.function import Function

    class TieredFunction(Function):
        __doc__ = Function.__doc__

        _job: _Job | None = None

        def __call__(self, *args: Any, **kwargs: Any):
            job = self._job
            if job is not None:
                if job.state != _PENDING:
                    cls = _switch(self, job)
                    if cls is not None:
                        return cls.__call__(self, *args, **kwargs)
                else:
                    if _worker is None and _queue:
                        with _cond:
                            _start_worker()
                    if job.hold_until:
                        # The first call: the build waits for it (FIRST_CALL_GRACE).
                        try:
                            return Function.__call__(self, *args, **kwargs)
                        finally:
                            _release(job)
            return Function.__call__(self, *args, **kwargs)

        def __reduce__(self):
            from aesara_cas.compile.pickling import function_state, restore_function

            state = function_state(self)
            state[4]["mode"] = None  # unpickled in the default mode (tiered or not)
            return restore_function, (state,)

    TieredFunction.__module__ = Function.__module__
    TieredFunction.__name__ = TieredFunction.__qualname__ = "Function"
    return TieredFunction


_TIERED: type | None = None


_interp_broken = False


def fast_program(fgraph: FunctionGraph, plan: Any, wait: bool = False) -> Any:
    """The fast tier's program for ``plan``; else None (the interpreter failed to
    build: the function is built synchronously) or ``_NOT_YET`` (the interpreter is
    neither packaged, i.e. built at install and usable here, nor in the cache, and
    ``wait`` is false: the function is built synchronously, which is faster than
    building the interpreter first, and the interpreter after it)."""
    from aesara_cas.compile.cython import interp
    from aesara_cas.compile.cython.interp_program import InterpProgram

    if _interp_broken:
        return None
    if not wait and not interp.ready():
        return _NOT_YET
    return InterpProgram(fgraph, plan)


#: What ``fast_program`` returns while the interpreter needs a build.
_NOT_YET: Any = object()


def assemble(inputs: list, outs: list, single: bool, upd: list, fgraph: FunctionGraph,
             shared_inputs: list, name: str | None, mode: str | None = None) -> Any:
    """A function running ``fgraph`` on the fast tier, its native build queued
    (``mode="tiered"`` waits for the interpreter if it still has to be built)."""
    global _TIERED
    from aesara_cas.compile.cython.lower import lower
    from aesara_cas.compile.function import _locking_class

    if _TIERED is None:
        _TIERED = make_function_class()
    plan = lower(fgraph)  # here, not in the worker: lowering may rewrite fgraph
    try:
        program = fast_program(fgraph, plan, wait=mode == "tiered")
    except (CompilerUnavailable, CacheError):
        raise  # what a synchronous build would raise too
    except Exception as err:  # noqa: BLE001  (the interpreter is an optimisation)
        _interpreter_failed(err)
        program = None
    if program is None or program is _NOT_YET:
        from aesara_cas.compile.function import assemble as assemble_sync

        fn = assemble_sync(inputs, outs, single, upd, fgraph, shared_inputs, name, "cython")
        if program is _NOT_YET:
            _queue_interpreter()  # for the next functions, now that this one is built
        return fn
    fn = _TIERED(inputs, outs, single, upd, fgraph, program, shared_inputs, name)
    if upd:
        touched = {id(v): v for v in shared_inputs}
        touched.update((id(t), t) for t, _ in upd)
        fn._locks = tuple(v.lock for v in sorted(touched.values(), key=lambda v: v.id))
        fn.__class__ = _locking_class(_TIERED)
    fn._job = submit(fn, plan, FIRST_CALL_GRACE)
    return fn
