"""The graph IR: types, variables, constants, applications of operations.

A graph is a bipartite DAG of :class:`Variable` and :class:`Apply` nodes.  A
variable records the :class:`Apply` that produced it (``owner``) and its position
in that node's outputs (``index``); an ``Apply`` records its :class:`Op`, its
input variables and its output variables.  Nothing here recurses over the depth
of a graph: every traversal lives in :mod:`aesara_cas.graph.traversal` and is
iterative.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

_ids = itertools.count()


def next_id() -> int:
    """An id no variable made before this call has (every later one has a larger id)."""
    return next(_ids)


class Type:
    """The kind of value a :class:`Variable` stands for.

    Subclasses define equality and hashing from their parameters, so that two
    variables of equal types can be used interchangeably.
    """

    def filter(self, value: Any, name: str = "input") -> Any:
        """Convert ``value`` to this type or raise ``TypeError``/``ValueError``."""
        raise NotImplementedError

    def make_variable(self, name: str | None = None) -> Variable:
        return Variable(self, name=name)

    def make_constant(self, value: Any, name: str | None = None) -> Constant:
        return Constant(self, value, name=name)


class Variable:
    """A symbolic value in a graph.

    Parameters
    ----------
    type_
        The :class:`Type` of the value.
    owner
        The :class:`Apply` node that computes it, or ``None`` for a graph input.
    index
        The position of this variable in ``owner.outputs``.
    name
        An optional user-facing name (any string; it is never trusted as code).
    """

    __slots__ = ("type", "owner", "index", "name", "id", "tag", "__weakref__")

    def __init__(
        self,
        type_: Type,
        owner: Apply | None = None,
        index: int | None = None,
        name: str | None = None,
    ):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"a variable name must be a str or None, got {type(name).__name__}")
        self.type = type_
        self.owner = owner
        self.index = index
        self.name = name
        self.id = next(_ids)
        self.tag: dict[str, Any] = {}

    def __bool__(self) -> bool:
        raise TypeError(
            "the truth value of a symbolic variable is undefined; "
            "compare graphs with `is`, or evaluate them first"
        )

    def __repr__(self) -> str:
        return self.name if self.name is not None else f"<{self.type} #{self.id}>"

    def clone(self) -> Variable:
        """A new graph input of the same type and name (no owner)."""
        out = type(self)(self.type, name=self.name)
        out.tag = dict(self.tag)
        return out


class Constant(Variable):
    """A variable whose value is known when the graph is built."""

    __slots__ = ("data", "_signature")

    def __init__(self, type_: Type, data: Any, name: str | None = None):
        super().__init__(type_, None, None, name)
        self.data = data
        self._signature = None

    def signature(self) -> tuple:
        """A hashable key: two constants with equal signatures hold equal values."""
        if self._signature is None:
            self._signature = self.type.value_signature(self.data)
        return self._signature

    def clone(self) -> Constant:
        return type(self)(self.type, self.data, name=self.name)

    def __repr__(self) -> str:
        return self.name if self.name is not None else repr(self.data)


class Apply:
    """The application of an :class:`Op` to input variables."""

    __slots__ = ("op", "inputs", "outputs", "tag")

    def __init__(self, op: Op, inputs: Sequence[Variable], output_types: Sequence[Type]):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = [t.make_variable() for t in output_types]
        for i, out in enumerate(self.outputs):
            out.owner = self
            out.index = i
        self.tag: dict[str, Any] = {}

    @property
    def out(self) -> Variable:
        (out,) = self.outputs
        return out

    def clone_with_new_inputs(self, inputs: Sequence[Variable]) -> Apply:
        """Rebuild this node through its op, so types are inferred again."""
        return self.op.make_node(*inputs)

    def __repr__(self) -> str:
        return f"Apply({self.op}, {self.inputs})"


class Op:
    """An operation: ``make_node`` builds an :class:`Apply`, ``perform`` computes it.

    An op's parameters are listed in ``__props__``; they alone define equality,
    hashing and printing, so equal sub-graphs are recognised and merged.  Ops are
    immutable once built.
    """

    __props__: tuple[str, ...] = ()
    # Caches of a frozen op, set on the instance on first use (class-level None
    # until then: reading an attribute is quicker than ``__dict__.get``, and
    # rewriting hashes and compares ops constantly).
    _props_value: tuple | None = None
    _hash_value: int | None = None

    def _props(self) -> tuple:
        cached = self._props_value
        if cached is not None:
            return cached
        props = tuple(getattr(self, p) for p in self.__props__)
        if self.__dict__.get("_frozen", False):
            object.__setattr__(self, "_props_value", props)
        return props

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self) -> int:
        cached = self._hash_value
        if cached is not None:
            return cached
        h = hash((type(self), self._props()))
        if self.__dict__.get("_frozen", False):
            object.__setattr__(self, "_hash_value", h)
        return h

    def __getstate__(self) -> dict:
        # The cached hash belongs to this process (it hashes the op's class, whose
        # hash is its address): an unpickled op computes its own, or it would differ
        # from an equal op made there (and rules indexed by op would miss it).
        state = dict(self.__dict__)
        state.pop("_hash_value", None)
        state.pop("_props_value", None)
        return state

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(f"{type(self).__name__} is immutable")
        object.__setattr__(self, name, value)

    def _freeze(self) -> None:
        object.__setattr__(self, "_frozen", True)

    def __str__(self) -> str:
        props = self._props()
        if not props:
            return type(self).__name__
        return f"{type(self).__name__}{{{', '.join(map(str, props))}}}"

    __repr__ = __str__

    def make_node(self, *inputs: Variable) -> Apply:
        raise NotImplementedError

    def __call__(self, *inputs: Any, **kwargs: Any) -> Variable | list[Variable]:
        node = self.make_node(*inputs, **kwargs)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def perform(self, node: Apply, inputs: list[Any]) -> list[Any]:
        """Compute the outputs of ``node`` from NumPy ``inputs``; return a list."""
        raise NotImplementedError

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        """Symbolic output shapes from symbolic input shapes (tuples of scalars)."""
        raise NotImplementedError(f"{self} does not infer shapes")
