"""The rewrite engine (in progress)."""

from aesara_cas.graph.fg import FunctionGraph


def rewrite_graph(fgraph: FunctionGraph) -> None:
    """Rewrite ``fgraph`` in place with the standard rule sets."""
