"""Fusion of element-wise nodes into loops (multi-output groups).

Two passes over the topologically sorted nodes, both iterative:

1. *Trees* (walking backwards): an element-wise node whose value has a single
   reader group (and is no graph output) joins that reader's tree, so every tree
   has one root, and a reduction absorbs the element-wise tree feeding it.
2. *Groups* (walking forwards): element-wise trees with the same loop merge into
   one group that stores several values, even when those values have other
   readers (a forward chain read by its own gradient, for instance).

No cycles between steps: a group's step runs at its last member's place; a
group is closed (grows no more) as soon as anything outside it reads one of its
values, so every outside reader comes after the group's final step; a tree
joins a group only when all its other inputs come from closed groups or plain
steps, which run before it and hence before the group's step.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from aesara_cas.compile.cython import scalar_c
from aesara_cas.graph.basic import Apply, Variable
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.tensor.elemwise import Elemwise
from aesara_cas.tensor.type import TensorType

#: Most element-wise ops in one loop; longer chains are split so the C compiler
#: never sees a giant function (and build time stays linear).
MAX_FUSED = 128
#: Most operand reads (inputs of members) in one loop: bounds a kernel's leaves.
MAX_READS = 256
#: n-ary add/mul nodes with more inputs are split into a chain (see ``split_wide``).
WIDE = 16
#: Recent open groups tried per tree when looking for one to join.
_CANDIDATES = 8


#: ``is_scalar_class`` by type (lowering asks it several times per node).
_SCALAR_CLASS: dict = {}


def is_scalar_class(var: Variable) -> bool:
    t = var.type
    # A tensor type is keyed by its fields (equal types have equal fields): hashing
    # the tuple is C, the type's own ``__hash__`` is Python, asked ~3x per node.
    key = (t.dtype, t.shape) if type(t) is TensorType else t
    found = _SCALAR_CLASS.get(key)
    if found is None:
        found = (
            isinstance(t, TensorType)
            and scalar_c.supported(t.dtype)
            and all(s == 1 for s in t.shape)
        )
        if len(_SCALAR_CLASS) > 4096:
            _SCALAR_CLASS.clear()
        _SCALAR_CLASS[key] = found
    return found


@dataclass
class Group:
    """Fused element-wise nodes, optionally ending in a reduction (``kind="reduce"``).

    ``root`` is the last member (the step runs in its place); an element-wise
    group stores every value in ``outputs``, a reduction group only reduces."""

    kind: str
    root: Apply
    nd: int
    loop_shape: tuple
    members: list[Apply] = field(default_factory=list)
    leaves: list[Variable] = field(default_factory=list)
    #: values stored out of the loop (element-wise groups; in member order)
    outputs: list[Variable] = field(default_factory=list)
    #: whether the group computes frame scalars (no loop)
    scalar: bool = False
    #: operand reads of the members (inputs of each member), kept up to date as
    #: members are added: summing them again for every candidate member made
    #: fusing a long chain quadratic
    n_reads: int = 0

    @property
    def output(self) -> Variable:
        return self.root.outputs[0]


def _reads(g: Group) -> int:
    return g.n_reads


def split_wide(fgraph: FunctionGraph) -> list[Apply]:
    """Replace each n-ary add/mul with more than ``WIDE`` inputs (a gradient of a
    long chain multiplies thousands of factors in one node) by a chain of narrower
    nodes of the same op, so no kernel takes thousands of operands.  The chain folds
    the inputs in the same left-to-right order as the wide node, so results are
    bit-identical; nodes mixing dtypes are left alone (their pairwise promotion
    may not match a regrouping).  Returns the nodes in topological order (one sort:
    a split node's chain takes its place in the order)."""
    nodes = fgraph.toposort()
    order: list[Apply] = []
    for node in nodes:
        op = node.op
        if (
            not isinstance(op, Elemwise)
            or op.scalar_op.nin != -1
            or len(node.inputs) <= WIDE
            or len(node.outputs) != 1
        ):
            order.append(node)
            continue
        out = node.outputs[0]
        if any(v.dtype != out.dtype for v in node.inputs):
            order.append(node)
            continue
        acc = op(*node.inputs[:WIDE])
        chain = [acc.owner]
        rest = node.inputs[WIDE:]
        for i in range(0, len(rest), WIDE - 1):
            acc = op(acc, *rest[i:i + WIDE - 1])
            chain.append(acc.owner)
        if acc.type == out.type:
            fgraph.replace(out, acc, reason="cython: split wide n-ary node")
            # The chain reads what the node read and is read by what read it: in its
            # place the order stays topological (no second sort of a big graph).
            order.extend(chain)
        else:
            order.append(node)
    return order


def _no_recompute(var: Variable, loop_shape: tuple) -> bool:
    """Fusing ``var`` into a loop over ``loop_shape`` would not evaluate it more often
    than NumPy does (it is not broadcast along a dimension the loop is long in)."""
    shape = var.type.shape
    if shape == loop_shape:  # the usual case
        return True
    return all(not (s == 1 and ls != 1) for s, ls in zip(shape, loop_shape))


def _trees(fgraph: FunctionGraph, nodes: list[Apply], kinds: dict) -> dict[Apply, Group]:
    tree_of: dict[Apply, Group] = {}
    outputs = set(fgraph.outputs)
    all_clients = fgraph.clients
    get_tree = tree_of.get
    for node in reversed(nodes):
        kind = kinds[node]
        if kind != "ew":
            if kind == "reduce":
                x = node.inputs[0]
                tree_of[node] = Group("reduce", node, x.type.ndim, x.type.shape)
            continue
        out = node.outputs[0]
        otype = out.type
        scalar = is_scalar_class(out)
        target = None
        clients = all_clients.get(out)
        if clients and out not in outputs:
            # The one tree every reader belongs to (None: readers outside trees, a
            # graph output, or several trees).
            g: Group | None = None
            for c, _ in clients:
                t = get_tree(c)  # (None for "output")
                if t is None or (g is not None and t is not g):
                    g = None
                    break
                g = t
            if (
                g is not None
                and g.nd == len(otype.shape)
                and len(g.members) < MAX_FUSED
                and g.n_reads + len(node.inputs) <= MAX_READS
                # (an element-wise tree's ``scalar`` is its root's class)
                and scalar == (g.kind == "ew" and g.scalar)
                and _no_recompute(out, g.loop_shape)
            ):
                target = g
        if target is None:
            target = Group("ew", node, len(otype.shape), otype.shape)
            target.scalar = scalar
        target.members.append(node)
        target.n_reads += len(node.inputs)
        tree_of[node] = target
    return tree_of


def _tree_inputs(tree: Group) -> list[Variable]:
    """What the tree reads from outside (a reduction's root is no member)."""
    nodes = tree.members if tree.root in tree.members else [*tree.members, tree.root]
    inside = {m.outputs[0] for m in nodes}
    return list(dict.fromkeys(v for m in nodes for v in m.inputs if v not in inside))


def _same_loop(var: Variable, g: Group) -> bool:
    """``var`` can be computed and stored in ``g``'s loop: same rank and class, and
    neither is broadcast where the other is long."""
    return (
        var.ndim == g.nd
        and is_scalar_class(var) == g.scalar
        and _no_recompute(var, g.loop_shape)
        and all(not (ls == 1 and s != 1) for s, ls in zip(var.type.shape, g.loop_shape))
    )


class _Merger:
    """State of the forward pass."""

    def __init__(self) -> None:
        self.group_of: dict[Apply, Group] = {}
        self.open: dict[int, bool] = {}
        # Source arrays of each value a group stores, and of each group.
        self.deps: dict[Variable, frozenset] = {}
        self.leaf_set: dict[int, frozenset] = {}
        # Groups that read a value from outside, and the latest groups made (to
        # find siblings to fuse with).
        self.readers: dict[Variable, list[Group]] = {}
        self.recent: list[Group] = []
        self.reads: dict[int, int] = {}

    def owner_group(self, v: Variable) -> Group | None:
        return self.group_of.get(v.owner) if v.owner is not None else None

    def deps_in(self, ins: list[Variable]) -> frozenset:
        """The source arrays behind ``ins``: values made outside element-wise groups
        (inputs, reductions, ``perform`` results...).  A value's NumPy shape is the
        broadcast of its sources' shapes."""
        acc: set = set()
        for v in ins:
            if v in self.deps:
                acc |= self.deps[v]
            elif not is_scalar_class(v):
                acc.add(v)
        return frozenset(acc)

    def fits(self, tree: Group, ins: list[Variable], g: Group) -> frozenset | None:
        """The tree's sources if it may join ``g``.  Outside frame groups the tree
        must depend on every source of ``g``: then NumPy itself broadcasts them all
        together, so the loop's broadcast fails only when NumPy's would."""
        if not self.open.get(id(g)) or len(g.members) + len(tree.members) > MAX_FUSED:
            return None
        if self.reads[id(g)] + _reads(tree) > MAX_READS:
            return None
        if not _same_loop(tree.output, g):
            return None
        d = self.deps_in(ins)
        if not g.scalar and not d >= self.leaf_set[id(g)]:
            return None
        return d

    def add(self, tree: Group, ins: list[Variable]) -> None:
        group_of, is_open = self.group_of, self.open
        # (group_of.get(None) is None: a graph input belongs to no group)
        reads = [g for g in [group_of.get(v.owner) for v in ins]
                 if g is not None and g.kind == "ew" and is_open.get(id(g))]
        target, d = None, None
        if tree.kind == "ew":
            # Groups it reads first, then recent groups reading the same values.
            sib = (g for v in ins for g in reversed(self.readers.get(v, ())))
            recent = itertools.islice(reversed(self.recent), _CANDIDATES)
            for g in itertools.islice(itertools.chain(reads, sib, recent), 3 * _CANDIDATES):
                d = self.fits(tree, ins, g)
                if d is not None:
                    target = g
                    break
        for g in reads:
            if g is not target:
                self.open[id(g)] = False
        if tree.kind != "ew":
            return
        if target is None:
            target = tree
            self.open[id(tree)] = True
            self.recent.append(tree)
            if len(self.recent) > 4 * _CANDIDATES:
                self.recent = [g for g in self.recent if self.open[id(g)]][-_CANDIDATES:]
            self.leaf_set[id(tree)] = frozenset()
            d = self.deps_in(ins)
        else:
            target.members.extend(tree.members)
            target.n_reads += tree.n_reads
            target.root = tree.root
        self.reads[id(target)] = self.reads.get(id(target), 0) + _reads(tree)
        group_of.update(dict.fromkeys(tree.members, target))
        self.deps[tree.output] = d
        self.leaf_set[id(target)] = self.leaf_set[id(target)] | d
        for v in ins:
            if group_of.get(v.owner) is not target:
                lst = self.readers.setdefault(v, [])
                if not lst or lst[-1] is not target:
                    lst.append(target)
        if len(target.members) >= MAX_FUSED or self.reads[id(target)] >= MAX_READS:
            self.open[id(target)] = False


def group_elemwise(fgraph: FunctionGraph, nodes: list[Apply],
                   kinds: dict) -> dict[Apply, Group]:
    """The group of every fused node (element-wise groups and reductions)."""
    tree_of = _trees(fgraph, nodes, kinds)
    merger = _Merger()
    for node in nodes:
        tree = tree_of.get(node)
        if tree is None:
            merger.add(Group("plain", node, 0, ()), list(node.inputs))
        elif tree.root is node:
            merger.add(tree, _tree_inputs(tree))
            if tree.kind == "reduce":
                for m in [*tree.members, node]:
                    merger.group_of[m] = tree
    # Values leaving the loop: graph outputs and values read outside the group.
    group_of = merger.group_of
    outputs = set(fgraph.outputs)
    all_clients = fgraph.clients
    get_group = group_of.get
    for g in {id(g): g for g in group_of.values() if g.kind == "ew"}.values():
        outs = []
        for m in g.members:
            v = m.outputs[0]
            if v in outputs:
                outs.append(v)
                continue
            for c, _ in all_clients.get(v, ()):
                if get_group(c) is not g:  # (None for "output")
                    outs.append(v)
                    break
        g.outputs = outs or [g.output]
    return group_of
