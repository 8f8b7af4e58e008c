"""``FunctionGraph``: a graph with fixed inputs and outputs that can be edited in place."""

from __future__ import annotations

from collections.abc import Sequence

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.graph.traversal import clone_nodes, toposort

#: A client of a variable: the node that uses it and the input position, or
#: ``("output", i)`` for the graph's i-th output.
Client = tuple[Apply | str, int]
#: The clients of one variable, in the order they were added.  A dict used as an
#: ordered set: removing a client is O(1) (a list made pruning a long chain quadratic).
Clients = dict[Client, None]


class FunctionGraph:
    """A mutable view of the graph between ``inputs`` and ``outputs``.

    Tracks, for every variable, its clients (who uses it, iterated in the order
    they were added), so rewrites can ``replace`` a variable everywhere at once.

    Parameters
    ----------
    inputs
        The graph inputs; every ownerless non-constant variable the outputs depend
        on must be among them.
    outputs
        The variables the graph computes.
    clone
        Copy the graph first, so editing it leaves the caller's graph untouched.
    """

    # Class-level defaults too: a graph unpickled from an older version has neither.
    _version = 0
    _order: tuple | None = None

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable], clone: bool = True):
        inputs, outputs = list(inputs), list(outputs)
        # A copy's nodes come in topological order: importing them needs no sort.
        nodes = None
        if clone:
            inputs, outputs, _, nodes = clone_nodes(outputs, inputs)
        self.inputs: list[Variable] = inputs
        self.outputs: list[Variable] = outputs
        self.clients: dict[Variable, Clients] = {}
        self.apply_nodes: set[Apply] = set()
        self.variables: set[Variable] = set()
        self._listeners: list = []
        # Edits made through this class (import, replace, prune) bump the version;
        # the last sort is reused while it is unchanged (the compile pipeline sorts
        # the same rewritten graph more than once).
        self._version = 0
        self._order: tuple | None = None
        for inp in self.inputs:
            self._add_variable(inp)
        self._import(self.outputs, nodes)
        for i, out in enumerate(self.outputs):
            self.clients[out]["output", i] = None
        if nodes is not None:  # the first toposort() (the rewrite's) is this order
            self._order = (self._order_key(), nodes)
        given = set(self.inputs)
        missing = [
            v for v in self.variables
            if v.owner is None and not isinstance(v, Constant) and v not in given
        ]
        if missing:
            names = ", ".join(sorted(repr(v) for v in missing))
            raise ValueError(
                f"the outputs depend on variables that are not inputs: {names}; "
                "pass them in `inputs` (or use `givens`)"
            )

    def _add_variable(self, var: Variable) -> None:
        if var not in self.variables:
            self.variables.add(var)
            self.clients[var] = {}

    def _import(self, outputs: Sequence[Variable],
                nodes: list[Apply] | None = None) -> list[Apply]:
        """Add the nodes behind ``outputs`` that the graph does not have yet
        (``nodes``: all of them, in topological order, when the caller knows)."""
        variables = self.variables
        node = outputs[0].owner if len(outputs) == 1 else None
        if nodes is not None:
            new_nodes = nodes
        elif len(outputs) == 1 and outputs[0] in variables:
            new_nodes = []  # a value the graph has (a merge): nothing to sort
        elif node is not None and all(i in variables for i in node.inputs):
            # One new node over values the graph has (what most rewrites make): the
            # sort below would find just it.
            new_nodes = [] if node in self.apply_nodes else [node]
        else:
            new_nodes = [n for n in toposort(outputs, variables) if n not in self.apply_nodes]
        if new_nodes:
            self._version += 1
        # (``_add_variable`` inlined: this loop runs once per node of a cloned graph)
        add_node, clients, add_var = self.apply_nodes.add, self.clients, variables.add
        for node in new_nodes:
            add_node(node)
            for i, inp in enumerate(node.inputs):
                if inp not in variables:
                    add_var(inp)
                    clients[inp] = {}
                clients[inp][node, i] = None
            for out in node.outputs:
                if out not in variables:
                    add_var(out)
                    clients[out] = {}
        for out in outputs:
            self._add_variable(out)
        return new_nodes

    def _prune(self, var: Variable) -> None:
        """Drop the nodes that no longer have any client, starting from ``var``."""
        apply_nodes, all_clients, variables = self.apply_nodes, self.clients, self.variables
        stack = [var]
        while stack:
            v = stack.pop()
            node = v.owner
            if node is None or node not in apply_nodes:
                continue
            outs = node.outputs
            if (all_clients.get(outs[0]) if len(outs) == 1
                    else any(all_clients.get(o) for o in outs)):
                continue
            apply_nodes.discard(node)
            self._version += 1
            for o in outs:
                variables.discard(o)
                all_clients.pop(o, None)
            for i, inp in enumerate(node.inputs):
                clients = all_clients.get(inp)
                if clients is not None:
                    clients.pop((node, i), None)
                    if not clients and inp.owner is not None:
                        stack.append(inp)
            for listener in self._listeners:
                listener.on_prune(self, node)

    def replace(self, old: Variable, new: Variable, reason: str | None = None) -> None:
        """Make every client of ``old`` use ``new`` instead."""
        variables = self.variables
        if old is new or old not in variables:
            return
        if old.type is not new.type and old.type != new.type:
            raise TypeError(
                f"cannot replace {old!r} of type {old.type} with {new!r} of type {new.type}"
            )
        owner = new.owner
        if new in variables:  # (a merge: nothing to check or import)
            new_nodes: list[Apply] = []
        elif owner is not None and all([i in variables for i in owner.inputs]):
            # One new node over values the graph has (what most rewrites make): no
            # new input to look for, and the node is the whole import.
            new_nodes = self._import([new], [owner])
        else:
            self._check_no_new_inputs(new)
            new_nodes = self._import([new])
        self._version += 1
        all_clients = self.clients
        old_clients = all_clients[old]
        if new_nodes:
            # Only the clients `old` had before: the new sub-graph may itself use `old`
            # (replacing z by z + q), and those uses must stay, or the graph gets a cycle.
            fresh = set(new_nodes)
            clients = [c for c in old_clients if c[0] not in fresh]
            all_clients[old] = {c: None for c in old_clients if c[0] in fresh}
        else:
            clients = list(old_clients)
            all_clients[old] = {}
        new_clients = all_clients[new]
        for client, i in clients:
            if client == "output":
                self.outputs[i] = new
            else:
                client.inputs[i] = new
            new_clients[client, i] = None
        for listener in self._listeners:
            listener.on_replace(self, old, new, new_nodes, reason)
        self._prune(old)

    def _check_no_new_inputs(self, new: Variable) -> None:
        """Refuse a replacement that depends on a graph input the graph does not have."""
        stack, seen = [new], set()
        while stack:
            v = stack.pop()
            if v in self.variables or v in seen:
                continue
            seen.add(v)
            if v.owner is None:
                if not isinstance(v, Constant):
                    raise ValueError(
                        f"the replacement {new!r} depends on {v!r}, which is not an input "
                        "of the graph"
                    )
            else:
                stack.extend(v.owner.inputs)

    def replace_all(
        self, pairs: Sequence[tuple[Variable, Variable]], reason: str | None = None
    ) -> None:
        for old, new in pairs:
            self.replace(old, new, reason)

    def attach(self, listener) -> None:
        """Register an object with ``on_replace`` and ``on_prune`` callbacks."""
        self._listeners.append(listener)

    def detach(self, listener) -> None:
        self._listeners.remove(listener)

    def toposort(self) -> list[Apply]:
        """The nodes in an order where each comes after the nodes it depends on.

        A new list each call (the caller may change it).
        """
        key = self._order_key()
        if self._order is not None and self._order[0] == key:
            return list(self._order[1])
        order = toposort(self.outputs, self.inputs)
        self._order = (key, order)
        return list(order)

    def _order_key(self) -> tuple:
        return (self._version, len(self.apply_nodes), tuple(map(id, self.outputs)),
                tuple(map(id, self.inputs)))

    def clone(self) -> FunctionGraph:
        return FunctionGraph(self.inputs, self.outputs, clone=True)

    def __repr__(self) -> str:
        return f"FunctionGraph({self.inputs} -> {self.outputs}, {len(self.apply_nodes)} nodes)"
