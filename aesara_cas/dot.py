"""Graph pictures: ``to_dot`` writes Graphviz DOT text, ``render`` draws it.

``to_dot`` needs nothing but the graph: the text is what the ``dot`` program (or
the ``graphviz``/``pydot`` Python packages) reads.  Apply nodes are boxes labelled
with their op, variables are ellipses labelled with their name (or value) and
type.  For a compiled function in the default mode the element-wise nodes that
run as one fused loop are drawn inside one cluster.

Every label is user input (variable names): it is escaped, never pasted raw.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.graph.traversal import toposort
from aesara_cas.printing import _leaf_name

__all__ = ["render", "to_dot"]

#: Output formats ``render`` accepts (from the file's suffix).
RENDER_FORMATS = ("svg", "png", "pdf", "dot")


def _quote(text: str) -> str:
    """``text`` as a DOT double-quoted string (quotes, backslashes, newlines escaped)."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
    )
    return f'"{escaped}"'


def _outputs_of(obj: Any) -> tuple[list[Variable], Any]:
    """The output variables of ``obj`` and, for a compiled function, its graph."""
    if isinstance(obj, Variable):
        return [obj], None
    if isinstance(obj, FunctionGraph):
        return list(obj.outputs), obj
    fgraph = getattr(obj, "fgraph", None)
    if isinstance(fgraph, FunctionGraph):
        return list(fgraph.outputs), obj
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(o, Variable) for o in obj):
        return list(obj), None
    raise TypeError(
        "to_dot takes a variable, a list of variables, a FunctionGraph or a compiled "
        f"function, got {type(obj).__name__}"
    )


def _fused_groups(function: Any) -> list[list[Apply]]:
    """The fused element-wise groups of a compiled (default-mode) function."""
    if getattr(function, "_cython_program", None) is None:
        return []
    from aesara_cas.compile.cython.lower import lower

    plan = lower(function.fgraph)
    return [step.group.members for step in plan.steps
            if step.group is not None and len(step.group.members) > 1]


def _variable_label(v: Variable) -> str:
    if v.owner is None:
        return f"{_leaf_name(v)}\n{v.type}"
    return f"{v.name}\n{v.type}" if v.name else str(v.type)


def to_dot(obj: Any, name: str = "G") -> str:
    """The graph of ``obj`` as Graphviz DOT text.

    Parameters
    ----------
    obj
        A variable, a list of variables, a ``FunctionGraph`` or a compiled function.
        For a function compiled in the default mode, the nodes of each fused loop
        are drawn inside one cluster labelled ``fused``.
    name
        The name of the DOT digraph.

    Returns
    -------
    str
        DOT text; pass it to ``dot -Tsvg`` or to :func:`render`.

    Examples
    --------
    >>> from aesara_cas import tensor as at
    >>> x = at.dscalar("x")
    >>> print(to_dot(at.exp(x)).splitlines()[0])
    digraph "G" {
    """
    outputs, owner = _outputs_of(obj)
    nodes = toposort(outputs)
    groups = _fused_groups(owner) if owner is not None else []
    ids: dict[int, str] = {}

    def ident(thing: Any, prefix: str) -> str:
        key = id(thing)
        if key not in ids:
            ids[key] = f"{prefix}{len(ids)}"
        return ids[key]

    lines = [f"digraph {_quote(name)} {{", "  rankdir=BT;",
             '  node [fontname="Helvetica", fontsize=10];']
    in_cluster = {id(n) for members in groups for n in members}
    for k, members in enumerate(groups):
        lines.append(f"  subgraph cluster_fused{k} {{")
        lines.append(f"    label={_quote(f'fused loop {k}')}; style=dashed; color=blue;")
        for node in members:
            lines.append(f"    {ident(node, 'n')} [shape=box, label={_quote(str(node.op))}];")
        lines.append("  }")
    seen_vars: set[int] = set()

    def declare(v: Variable) -> str:
        vid = ident(v, "v")
        if id(v) not in seen_vars:
            seen_vars.add(id(v))
            style = ", style=filled, fillcolor=lightgrey" if isinstance(v, Constant) else ""
            if v in output_set:
                style += ", peripheries=2"
            lines.append(f"  {vid} [shape=ellipse, label={_quote(_variable_label(v))}{style}];")
        return vid

    output_set = set(outputs)
    for node in nodes:
        nid = ident(node, "n")
        if id(node) not in in_cluster:
            lines.append(f"  {nid} [shape=box, label={_quote(str(node.op))}];")
        for pos, inp in enumerate(node.inputs):
            label = f" [label={pos}]" if len(node.inputs) > 1 else ""
            lines.append(f"  {declare(inp)} -> {nid}{label};")
        for out in node.outputs:
            lines.append(f"  {nid} -> {declare(out)};")
    for o in outputs:
        declare(o)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(obj: Any, path: str | Path) -> Path:
    """Draw ``obj`` (anything :func:`to_dot` takes) to ``path``.

    The format comes from the suffix: ``.svg``, ``.png``, ``.pdf`` (drawn by the
    Graphviz ``dot`` program) or ``.dot`` (the text itself, no program needed).

    Raises
    ------
    ValueError
        For an unknown suffix.
    RuntimeError
        When the ``dot`` program is not installed (``apt-get install graphviz``) or fails.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in RENDER_FORMATS:
        raise ValueError(
            f"render: path {str(path)!r} must end in one of "
            f"{', '.join('.' + f for f in RENDER_FORMATS)}"
        )
    text = to_dot(obj)
    if fmt == "dot":
        path.write_text(text)
        return path
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError(
            "render: the Graphviz 'dot' program is not installed (install the 'graphviz' "
            "system package), so only .dot output is possible; to_dot(obj) gives the text"
        )
    result = subprocess.run([program, f"-T{fmt}", "-o", str(path)], input=text.encode(),
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"render: dot failed: {result.stderr.decode(errors='replace')}")
    return path
