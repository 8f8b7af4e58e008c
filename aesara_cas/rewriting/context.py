"""The graph being rewritten, for rule conditions that need more than the match.

While the engine runs, :func:`n_clients` answers "how many nodes use this
variable?" (a rule flattening ``(a + b) + c`` only does so when ``a + b`` has no
other use, so shared work is not duplicated).  Outside the engine (a relation run
by hand with ``kanren.run``) the answer is ``None``: unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aesara_cas.graph.basic import Variable
from aesara_cas.graph.fg import FunctionGraph

_stack: list[FunctionGraph] = []
_generation = [0]


@contextmanager
def rewriting(fgraph: FunctionGraph) -> Iterator[None]:
    """Make ``fgraph`` the graph rule conditions ask about."""
    _stack.append(fgraph)
    try:
        yield
    finally:
        _stack.pop()


def current_graph() -> FunctionGraph | None:
    return _stack[-1] if _stack else None


def n_clients(var: Variable) -> int | None:
    """How many uses ``var`` has in the graph being rewritten (``None``: unknown)."""
    fg = current_graph()
    if fg is None:
        return None
    return len(fg.clients.get(var, ()))


def generation() -> int:
    """A counter bumped on every change of the graph being rewritten (for caches)."""
    return _generation[0]


def changed() -> None:
    """Called by the driver after each replacement: invalidates derived caches."""
    _generation[0] += 1
