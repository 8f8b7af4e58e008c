"""The e-graph: hash-consed e-nodes over the project's ops, in union-find e-classes.

An **e-node** is a tuple ``(head, *children)``: ``head`` is an op (compared by its
``__props__``), a :class:`Leaf` (a graph input, or a value the e-graph does not look
into) or a :class:`ConstHead` (a constant, compared by type and value), and the
children are e-class ids.  An **e-class** is a set of e-nodes known to compute the
same value; every e-node of a class has the same type.

Design points (after egg, POPL 2021):

* ``add`` and ``mul`` are n-ary and AC-normalised: the children of an ``add`` or
  ``mul`` e-node are a sorted multiset of class ids, so argument order never makes
  two e-nodes; associativity is a built-in rewrite that gives every sum and
  product its flattened normal form (:mod:`.builtin`, :mod:`.forms`), and patterns
  match any sub-multiset (:mod:`.ematch`).
* Spellings are canonicalised on insertion (floats): ``x - y`` is ``x + -1*y``,
  ``-x`` is ``-1*x``, ``x / y`` is ``x * y**-1``, ``sqr(x)`` is ``x**2``; one e-node
  stands for all of them (extraction spells the result naturally again).
* Unions only record what must be repaired; :meth:`EGraph.rebuild` restores
  congruence (and the hash-cons invariant) once per iteration, not per union.
* Analyses (:mod:`.analysis`): type, constant value (constant folding adds the
  constant's e-node to the class), and facts (interval, non-zero), joined on merge
  and propagated to parents during rebuild.

Everything is iterative: no recursion over the depth of a graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Constant, Op, Variable
from aesara_cas.graph.traversal import toposort
from aesara_cas.rewriting.egraph.analysis import (
    ANY,
    Facts,
    facts_of_type,
    facts_of_value,
    node_facts,
)
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import TensorConstant

ADD, MUL, SUB, NEG, DIV, SQR, POW = E.add, E.mul, E.sub, E.neg, E.true_div, E.sqr, E.pow
AC_OPS = (ADD, MUL)
#: Constant folding skips results with more elements than this.
FOLD_MAX_SIZE = 1 << 12

ENode = tuple


class Leaf:
    """The head of an e-node standing for one graph variable, opaque to rewriting.

    ``cost`` is the extraction cost of a variable whose graph is not entered (an
    opaque computation, see :meth:`EGraph.add_graph`); ``None`` for an input.
    """

    __slots__ = ("var", "cost")

    def __init__(self, var: Variable, cost: float | None = None):
        self.var = var
        self.cost = cost

    def __hash__(self) -> int:
        return id(self.var)

    def __eq__(self, other: object) -> bool:
        return type(other) is Leaf and other.var is self.var

    def __repr__(self) -> str:
        return f"Leaf({self.var!r})"


class ConstHead:
    """The head of a constant's e-node: equal constants (type and value) are one e-node."""

    __slots__ = ("const", "key")

    def __init__(self, const: Constant):
        self.const = const
        self.key = (const.type, const.signature())

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return type(other) is ConstHead and other.key == self.key

    def __repr__(self) -> str:
        return f"Const({self.const!r})"


class EClass:
    """One e-class: its e-nodes, the e-nodes that use it, and its analysis data."""

    __slots__ = ("id", "nodes", "parents", "type", "const", "facts")

    def __init__(self, cid: int, type_: Any):
        self.id = cid
        self.nodes: dict[ENode, None] = {}
        self.parents: list[tuple[ENode, int]] = []
        self.type = type_
        self.const: Constant | None = None
        self.facts: Facts = ANY


_INTERNED: dict[int, tuple[Op, Op]] = {}


def intern_op(op: Any) -> Any:
    """The module-level instance equal to ``op`` (``at.add`` for any ``Elemwise(add)``),
    so the e-graph's heads compare with ``is``."""
    hit = _INTERNED.get(id(op))
    if hit is not None and hit[0] is op:
        return hit[1]
    canonical = op
    if isinstance(op, E.Elemwise):
        named = E.ELEMWISE_OPS.get(op.scalar_op.name)
        if named is not None and named == op:
            canonical = named
    if len(_INTERNED) > 10_000:
        _INTERNED.clear()
    _INTERNED[id(op)] = (op, canonical)
    return canonical


def is_op(head: Any) -> bool:
    return isinstance(head, Op)


def scalar_name(head: Any) -> str | None:
    """The scalar op name of an element-wise head (``"add"``, ``"exp"``), else ``None``."""
    if isinstance(head, E.Elemwise):
        return head.scalar_op.name
    return None


class EGraph:
    """An e-graph over the project's ops.

    Parameters
    ----------
    explain
        Record why each union happened (for :meth:`explain`-style traces).
    """

    def __init__(self, explain: bool = False):
        self._parent: list[int] = []
        self.classes: dict[int, EClass] = {}
        self.memo: dict[ENode, int] = {}
        self._pending: list[int] = []
        self._dirty: list[int] = []
        self._var_class: dict[int, tuple[Variable, int]] = {}
        self._probe_cache: dict[Any, Variable] = {}
        self._type_cache: dict[Any, Any] = {}
        self._ac: dict[ENode, bool] = {}
        self.explain = explain
        #: (birth id a, birth id b, reason) for every union, when explaining.
        self.proofs: list[tuple[int, int, str]] = []
        #: The id each e-node was first created with.
        self.birth: dict[ENode, int] = {}
        self.n_unions = 0
        self.version = 0

    # Union-find ---------------------------------------------------------------------

    def find(self, cid: int) -> int:
        parent = self._parent
        root = cid
        while parent[root] != root:
            root = parent[root]
        while parent[cid] != root:
            parent[cid], cid = root, parent[cid]
        return root

    @property
    def n_nodes(self) -> int:
        return len(self.memo)

    @property
    def n_ids(self) -> int:
        """How many e-nodes were ever created (ids are never reused)."""
        return len(self._parent)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def __getitem__(self, cid: int) -> EClass:
        return self.classes[self.find(cid)]

    # Canonical e-nodes ---------------------------------------------------------------

    def is_ac(self, node: ENode) -> bool:
        """Whether ``node`` is an ``add``/``mul`` whose arguments may be reordered exactly."""
        head = node[0]
        if head is not ADD and head is not MUL:
            return False
        if len(node) <= 3:
            return True
        hit = self._ac.get(node)
        if hit is None:
            classes, find = self.classes, self.find
            first = classes[find(node[1])].type.dtype
            hit = self._ac[node] = all(classes[find(c)].type.dtype == first for c in node[2:])
        return hit

    def canon(self, node: ENode) -> ENode:
        find = self.find
        kids = [find(c) for c in node[1:]]
        head = node[0]
        if (head is ADD or head is MUL) and self.is_ac((head, *kids)):
            kids.sort()
        return (head, *kids)

    # Types -----------------------------------------------------------------------------

    def _probe(self, cid: int) -> Variable:
        cls = self.classes[self.find(cid)]
        if cls.const is not None:
            return cls.const
        t = cls.type
        v = self._probe_cache.get(t)
        if v is None:
            v = self._probe_cache[t] = t.make_variable()
        return v

    def infer_type(self, head: Any, kids: Sequence[int]) -> Any:
        """The output type of ``head`` applied to classes ``kids`` (raises if invalid)."""
        probes = [self._probe(c) for c in kids]
        key = (head, tuple(p.type if not isinstance(p, Constant) else (p.type, p.signature())
                           for p in probes))
        hit = self._type_cache.get(key)
        if hit is None:
            node = head.make_node(*probes)
            if len(node.outputs) != 1:
                raise TypeError(f"{head} has {len(node.outputs)} outputs")
            hit = self._type_cache[key] = node.outputs[0].type
        return hit

    # Adding --------------------------------------------------------------------------

    def add_enode(self, node: ENode, type_: Any = None) -> int:
        """The class of ``node`` (added if new).  Raises ``TypeError``/``ValueError`` for
        an e-node its op cannot build."""
        node = self.canon(node)
        hit = self.memo.get(node)
        if hit is not None:
            return self.find(hit)
        head = node[0]
        if type_ is None:
            if type(head) is Leaf:
                type_ = head.var.type
            elif type(head) is ConstHead:
                type_ = head.const.type
            else:
                type_ = self.infer_type(head, node[1:])
        cid = len(self._parent)
        self._parent.append(cid)
        cls = EClass(cid, type_)
        cls.nodes[node] = None
        self.classes[cid] = cls
        self.memo[node] = cid
        self.birth[node] = cid
        for child in dict.fromkeys(node[1:]):
            self.classes[child].parents.append((node, cid))
        self.version += 1
        self._analyse_new(cls, node)
        return cid

    def _analyse_new(self, cls: EClass, node: ENode) -> None:
        head = node[0]
        dtype = getattr(cls.type, "dtype", None)
        base = facts_of_type(dtype) if dtype is not None else ANY
        if type(head) is ConstHead:
            cls.const = head.const
            cls.facts = facts_of_value(head.const.data)
            return
        if type(head) is Leaf:
            cls.facts = base
            return
        cls.facts = base.join(self.node_facts(node))
        value = self.fold(node, cls.type)
        if value is not None:
            cid = self.add_enode((ConstHead(value),))
            self.union(cls.id, cid, "constant_folding")

    def node_facts(self, node: ENode) -> Facts:
        name = scalar_name(node[0])
        if name is None:
            return ANY
        ins = [self.classes[self.find(c)].facts for c in node[1:]]
        exponent = None
        if name == "pow":
            c = self.classes[self.find(node[2])].const
            if c is not None and np.asarray(c.data).size == 1:
                exponent = np.asarray(c.data).item()
        return node_facts(name, ins, exponent)

    def fold(self, node: ENode, cls_type: Any = None) -> Constant | None:
        """The constant ``node`` computes (of type ``cls_type``), if all its children
        are constants."""
        head = node[0]
        if not is_op(head) or len(node) == 1:
            return None
        consts = [self.classes[self.find(c)].const for c in node[1:]]
        if any(c is None for c in consts):
            return None
        try:
            apply = head.make_node(*consts)
        except (TypeError, ValueError):
            return None
        out = apply.outputs[0]
        if len(apply.outputs) != 1 or not isinstance(out.type, TensorType):
            return None
        if cls_type is not None and out.type != cls_type:
            return None
        static = out.type.shape
        if any(s is None for s in static) or int(np.prod(static)) > FOLD_MAX_SIZE:
            return None
        try:
            with np.errstate(all="ignore"):
                (value,) = head.perform(apply, [c.data for c in consts])
        except Exception:  # noqa: BLE001 - a value we cannot compute is left symbolic
            return None
        value = np.asarray(value)
        if value.dtype.name != out.dtype or value.shape != static:
            return None
        return TensorConstant(out.type, value)

    def constant(self, value: Any, dtype: str, shape: tuple = ()) -> int:
        """The class of a constant ``value`` of ``dtype`` (and static ``shape``)."""
        arr = np.asarray(value, dtype=dtype)
        if arr.shape != tuple(shape):
            arr = np.broadcast_to(arr, shape).copy()
        return self.add_enode((ConstHead(TensorConstant(TensorType(dtype, arr.shape), arr)),))

    def intern(self, op: Op) -> Op:
        return intern_op(op)

    def add_op(self, op: Op, kids: Sequence[int], type_: Any = None) -> int:
        """The class of ``op(*kids)``, with subtraction, negation, division and ``sqr``
        spelled canonically (floats): ``x + -1*y``, ``-1*x``, ``x * y**-1``, ``x**2``.

        ``type_`` is the type the result must have (from the original graph); a
        canonical spelling of another type is not used.
        """
        kids = [self.find(k) for k in kids]
        op = self.intern(op)
        canon = self._canonical_spelling(op, kids)
        if canon is not None:
            try:
                cid = canon()
            except (TypeError, ValueError):
                cid = None
            if cid is not None and (type_ is None or self[cid].type == type_):
                return cid
        return self.add_enode((op, *kids), type_)

    def _float(self, cid: int) -> str | None:
        t = self.classes[self.find(cid)].type
        dtype = getattr(t, "dtype", None)
        return dtype if dtype is not None and np.dtype(dtype).kind == "f" else None

    def _canonical_spelling(self, op: Op, kids: list[int]):
        if op is SUB:
            a, b = kids
            dt = self._float(a)
            if dt is None or self._float(b) != dt:
                return None
            return lambda: self.add_op(ADD, [a, self.add_op(MUL, [self.constant(-1, dt), b])])
        if op is NEG:
            dt = self._float(kids[0])
            if dt is None:
                return None
            return lambda: self.add_op(MUL, [self.constant(-1, dt), kids[0]])
        if op is DIV:
            a, b = kids
            dt = self._float(a)
            if dt is None or self._float(b) != dt:
                return None
            return lambda: self.add_op(MUL, [a, self.add_op(POW, [b, self.constant(-1, dt)])])
        if op is SQR:
            dt = self._float(kids[0])
            if dt is None:
                return None
            return lambda: self.add_op(POW, [kids[0], self.constant(2, dt)])
        return None

    def add_var(self, var: Variable) -> int:
        """The class of a graph input or constant (a leaf)."""
        hit = self._var_class.get(id(var))
        if hit is not None and hit[0] is var:
            return self.find(hit[1])
        if isinstance(var, Constant):
            cid = self.add_enode((ConstHead(var),))
        else:
            cid = self.add_enode((Leaf(var),))
        self._var_class[id(var)] = (var, cid)
        return cid

    def add_graph(self, outputs: Iterable[Variable],
                  known: dict[int, int] | None = None,
                  opaque: Callable[[Variable], float | None] | None = None) -> list[int]:
        """Insert the graphs of ``outputs``; returns their classes.

        ``known`` maps ``id(variable)`` to a class for variables already in the
        e-graph (their graphs are not entered).  Nodes with several outputs, or of
        non-tensor types, become leaves.  ``opaque(v)``, if given, is the cost of
        ``v`` as a leaf whose graph is not entered (no rule looks inside it, and the
        extracted result uses ``v`` itself), or ``None`` to enter ``v``'s graph.
        """
        outputs = list(outputs)
        vc = self._var_class
        stops = set()
        for out in outputs:
            stack = [out]
            seen: set[int] = set()
            while stack:
                v = stack.pop()
                if id(v) in seen:
                    continue
                seen.add(id(v))
                hit = vc.get(id(v))
                if (hit is not None and hit[0] is v) or (known and id(v) in known):
                    stops.add(v)
                elif v.owner is not None:
                    cost = opaque(v) if opaque is not None else None
                    if cost is not None:
                        vc[id(v)] = (v, self.add_enode((Leaf(v, cost),)))
                        stops.add(v)
                        continue
                    stack.extend(v.owner.inputs)
        for node in toposort(outputs, stops):
            if len(node.outputs) != 1 or not all(
                    isinstance(o.type, TensorType) for o in (*node.inputs, *node.outputs)):
                for o in node.outputs:
                    self.add_var(o)
                continue
            kids = [self._class_of(i, known) for i in node.inputs]
            out = node.outputs[0]
            try:
                cid = self.add_op(node.op, kids, out.type)
            except (TypeError, ValueError):
                cid = self.add_enode((Leaf(out),))
            vc[id(out)] = (out, cid)
        return [self._class_of(o, known) for o in outputs]

    def _class_of(self, v: Variable, known: dict[int, int] | None) -> int:
        if known and id(v) in known:
            return self.find(known[id(v)])
        hit = self._var_class.get(id(v))
        if hit is not None and hit[0] is v:
            return self.find(hit[1])
        return self.add_var(v)

    def lookup_var(self, v: Variable) -> int | None:
        """The class of a graph variable the e-graph knows (inserted or extracted)."""
        hit = self._var_class.get(id(v))
        if hit is not None and hit[0] is v:
            return self.find(hit[1])
        return None

    def remember(self, v: Variable, cid: int) -> None:
        """Record that graph variable ``v`` stands for class ``cid``."""
        self._var_class[id(v)] = (v, cid)

    def facts_of(self, cid: int) -> Facts:
        return self.classes[self.find(cid)].facts

    def const_of(self, cid: int) -> Constant | None:
        return self.classes[self.find(cid)].const

    # Unions and rebuilding ------------------------------------------------------------

    def union(self, a: int, b: int, reason: str = "", birth_a: int | None = None,
              birth_b: int | None = None) -> bool:
        """Merge the classes of ``a`` and ``b``; ``False`` if already one, or if their
        types differ (then nothing is merged)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        ca, cb = self.classes[ra], self.classes[rb]
        if ca.type != cb.type:
            return False
        if self.explain:
            self.proofs.append((a if birth_a is None else birth_a,
                                b if birth_b is None else birth_b, reason))
        if len(ca.nodes) + len(ca.parents) < len(cb.nodes) + len(cb.parents):
            ra, rb, ca, cb = rb, ra, cb, ca
        self._parent[rb] = ra
        ca.nodes.update(cb.nodes)
        ca.parents.extend(cb.parents)
        del self.classes[rb]
        self.n_unions += 1
        self.version += 1
        self._pending.append(ra)
        changed = (ca.const is None) != (cb.const is None)
        if ca.const is None:
            ca.const = cb.const
        joined = ca.facts.join(cb.facts)
        if joined != ca.facts or joined != cb.facts:
            changed = True
        ca.facts = joined
        if changed:
            self._dirty.append(ra)
        return True

    def rebuild(self) -> int:
        """Restore congruence and canonical e-nodes; returns the number of repairs."""
        repairs = 0
        stale: set[int] = set()
        rounds = 0
        while self._pending or self._dirty:
            rounds += 1
            todo = {self.find(c) for c in self._pending}
            self._pending = []
            for cid in todo:
                repairs += 1
                self._repair(cid, stale)
            dirty = {self.find(c) for c in self._dirty}
            self._dirty = []
            for cid in dirty:
                self._propagate(cid)
        for cid in {self.find(c) for c in stale}:
            cls = self.classes[cid]
            cls.nodes = dict.fromkeys(self.canon(n) for n in cls.nodes)
        for cls in self.classes.values():
            if cls.const is not None and len(cls.nodes) > 1:
                # A constant class is its constant: other e-nodes would only be
                # matched and flattened in vain (egg prunes them likewise).
                cls.nodes = {n: None for n in cls.nodes if type(n[0]) is ConstHead}
        return repairs

    def _repair(self, cid: int, stale: set[int]) -> None:
        cid = self.find(cid)
        cls = self.classes[cid]
        parents, cls.parents = cls.parents, []
        memo = self.memo
        fresh: dict[ENode, int] = {}
        for pnode, pcid in parents:
            old = memo.pop(pnode, None)
            node = self.canon(pnode)
            if node != pnode and pnode in self.birth and node not in self.birth:
                self.birth[node] = self.birth[pnode]
            pcid = self.find(pcid)
            for other in (fresh.get(node), memo.get(node), old if node == pnode else None):
                if other is not None and self.find(other) != pcid:
                    self.union(other, pcid, "congruence")
                    pcid = self.find(pcid)
            stale.add(pcid)
            memo[node] = pcid
            fresh[node] = pcid
        root = self.classes[self.find(cid)]
        root.parents.extend(fresh.items())

    def _propagate(self, cid: int) -> None:
        """Recompute the analysis of ``cid``'s parents after its own analysis changed."""
        cls = self.classes[self.find(cid)]
        for pnode, pcid in list(cls.parents):
            pcid = self.find(pcid)
            pcls = self.classes[pcid]
            node = self.canon(pnode)
            if pcls.const is None:
                value = self.fold(node, pcls.type)
                if value is not None:
                    ccid = self.add_enode((ConstHead(value),))
                    self.union(pcid, ccid, "constant_folding")
                    continue
            joined = pcls.facts.join(self.node_facts(node))
            if joined != pcls.facts:
                pcls.facts = joined
                self._dirty.append(pcid)

    # Inspection ---------------------------------------------------------------------

    def nodes_of(self, cid: int) -> list[ENode]:
        return list(self.classes[self.find(cid)].nodes)

    def equivalent(self, a: int, b: int) -> bool:
        return self.find(a) == self.find(b)

    def __repr__(self) -> str:
        return f"EGraph({self.n_classes} classes, {self.n_nodes} e-nodes)"
