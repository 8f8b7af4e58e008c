"""Pickling compiled functions.

A pickle holds the function's rewritten graph, flattened into a list of records
(deep graphs would overflow pickle's recursion over object references), its
mode, name, and the values of its shared variables.  Unpickling rebuilds the
graph and links it again without rewriting: in the default mode the module
source is the same, so it is loaded from the compile cache when it is there
(another process, another machine: it is built).

Shared variables come back as new shared variables holding the pickled values
(one per original, also when several functions in one pickle share them).
"""

from __future__ import annotations

from typing import Any

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.graph.fg import FunctionGraph

#: Version of the record format; unpickling refuses another.
FORMAT = 1


def _leaf_record(v: Variable) -> tuple:
    from aesara_cas.compile.shared import SharedVariable

    if isinstance(v, SharedVariable):
        return ("shared", v, v.type, v.name)
    if isinstance(v, Constant):
        return ("constant", type(v), v.type, v.data, v.name)
    return ("input", type(v), v.type, v.name)


def _rebuild_leaf(record: tuple) -> Variable:
    kind = record[0]
    if kind == "shared":
        return record[1]
    if kind == "constant":
        _, cls, type_, data, name = record
        return cls(type_, data, name=name)
    _, cls, type_, name = record
    return cls(type_, name=name)


def function_state(fn: Any) -> tuple:
    """What a pickle of ``fn`` holds (see the module docstring)."""
    fgraph = fn.fgraph
    index: dict[int, int] = {}
    records: list[tuple] = []

    def ref(v: Variable) -> int:
        k = index.get(id(v))
        if k is None:
            k = index[id(v)] = len(index)
            records.append(("leaf", k, _leaf_record(v)))
        return k

    inputs = [ref(v) for v in fgraph.inputs]
    for node in fgraph.toposort():
        ins = [ref(i) for i in node.inputs]
        outs = []
        for o in node.outputs:
            index[id(o)] = len(index)
            outs.append(o.name)
        records.append(("node", node.op, ins, [o.type for o in node.outputs], outs))
    outputs = [ref(o) for o in fgraph.outputs]
    targets = [ref(t) for t, _ in fn._updates]
    mode = "numpy" if getattr(fn, "_cython_program", None) is None else "cython"
    meta = {"n_inputs": len(fn.inputs), "n_outputs": fn._n_out, "single": fn._single,
            "update_targets": targets, "name": fn.name, "mode": mode}
    return (FORMAT, records, inputs, outputs, meta)


def restore_function(state: tuple) -> Any:
    """The function a pickle holds: the graph rebuilt and linked again."""
    from aesara_cas.compile.function import assemble

    if not isinstance(state, tuple) or len(state) != 5 or state[0] != FORMAT:
        raise ValueError("not a pickle of an aesara_cas function of this version")
    _, records, input_refs, output_refs, meta = state
    values: list[Variable] = []
    for record in records:
        if record[0] == "leaf":
            values.append(_rebuild_leaf(record[2]))
            continue
        _, op, ins, types, names = record
        node = Apply(op, [values[k] for k in ins], types)
        for out, name in zip(node.outputs, names):
            out.name = name
            values.append(out)
    inputs = [values[k] for k in input_refs]
    outputs = [values[k] for k in output_refs]
    fgraph = FunctionGraph(inputs, outputs, clone=False)
    n_in, n_out = meta["n_inputs"], meta["n_outputs"]
    updates = list(zip([values[k] for k in meta["update_targets"]], outputs[n_out:]))
    return assemble(inputs[:n_in], outputs[:n_out], meta["single"], updates, fgraph,
                    inputs[n_in:], meta["name"], meta["mode"])
