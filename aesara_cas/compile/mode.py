"""Which rewrites and which backend a compilation mode uses."""

from __future__ import annotations

from aesara_cas.compile.cython import CythonProgram
from aesara_cas.compile.vm import NumPyProgram
from aesara_cas.graph.fg import FunctionGraph


def rewrite(fgraph: FunctionGraph) -> None:
    """Run the standard rewrite pipeline on ``fgraph`` in place."""
    from aesara_cas.rewriting import rewrite_graph

    rewrite_graph(fgraph)


def link(fgraph: FunctionGraph, mode: str | None):
    """A runnable program for ``fgraph``: ``program.run(values) -> outputs``."""
    if mode == "numpy":
        return NumPyProgram(fgraph)
    if mode == "dask":
        from aesara_cas.compile.dask import DaskProgram

        return DaskProgram(fgraph)
    return CythonProgram(fgraph)
