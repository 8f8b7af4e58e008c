"""The graph IR: ``Type``, ``Variable``, ``Constant``, ``Apply``, ``Op``, ``FunctionGraph``."""

from aesara_cas.graph.basic import Apply, Constant, Op, Type, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.traversal import ancestors, clone_graph, clone_replace, graph_inputs, toposort

__all__ = [
    "Apply", "Constant", "FunctionGraph", "Op", "Type", "Variable",
    "ancestors", "clone_graph", "clone_replace", "graph_inputs", "toposort",
]
