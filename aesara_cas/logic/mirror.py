"""The S-expression mirror: graphs seen as ``etuple(op, *inputs)``, one node at a time.

Registering ``car``/``cdr`` (and so ``rator``/``rands``) for :class:`Variable`,
:class:`Apply` and :class:`Op` lets ``etuples``, ``cons`` and ``unification`` walk
a graph *lazily*: unifying the pattern ``etuple(at.log, etuple(at.exp, x))``
against a variable expands that variable into ``etuple(log, <input>)``, and only
expands ``<input>`` when the pattern asks for it.  Nothing here builds a deep
etuple, so graphs of any depth are safe (a deep etuple would overflow the stack
when hashed).

Ops with parameters (the axis of a sum, the pattern of a dimshuffle, a cast's
dtype) are themselves etuplizable: ``car(op)`` is the op's class and ``cdr(op)``
its constructor arguments, so a pattern ``etuple(Reduce, "sum", axis, keepdims)``
in head position binds the parameters of any sum.

A number in a pattern unifies with a constant holding that value (a scalar, or an
array all of whose elements equal it).
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Number
from typing import Any

import numpy as np
from cons.core import ConsError, ConsPair, _car, _cdr
from etuples import etuple
from etuples.core import ExpressionTuple
from etuples.dispatch import rands, rator
from unification.core import _unify

from aesara_cas.graph.basic import Apply, Constant, Op, Variable
from aesara_cas.tensor.scalar import Cast

# Ops whose constructor arguments are not their ``__props__``.
_CTOR_ARGS = {Cast: lambda op: (op.dtype,)}
_PARAMS_CACHE: dict[Op, tuple | None] = {}
# Looked up by identity first: hashing an op hashes all its parameters.
_PARAMS_BY_ID: dict[int, tuple[Op, tuple | None]] = {}


def op_params(op: Any) -> tuple | None:
    """The arguments ``a`` with ``type(op)(*a) == op``, or ``None`` if there are none.

    Parametrised ops (``Reduce``, ``DimShuffle``, ``Elemwise``, ``Cast``, ...) can
    be rebuilt from their class and these arguments, so they are etuplizable.
    Ops that cannot be rebuilt that way (a bare ``ScalarOp``) are atoms.
    """
    if not isinstance(op, Op):
        return None
    hit = _PARAMS_BY_ID.get(id(op))
    if hit is not None and hit[0] is op:
        return hit[1]
    try:
        result = _PARAMS_CACHE[op]
    except KeyError:
        pass
    except TypeError:  # an unhashable parameter: treat the op as an atom
        return None
    else:
        _remember(op, result)
        return result
    ctor = _CTOR_ARGS.get(type(op))
    args = ctor(op) if ctor is not None else op._props()
    try:
        ok = type(op)(*args) == op
    except Exception:  # the constructor does not take the props: an atom
        ok = False
    result = tuple(args) if ok else None
    _PARAMS_CACHE[op] = result
    _remember(op, result)
    return result


def _remember(op: Op, result: tuple | None) -> None:
    if len(_PARAMS_BY_ID) > 50_000:
        _PARAMS_BY_ID.clear()
    _PARAMS_BY_ID[id(op)] = (op, result)


def _node_of(x: Any) -> Apply:
    if isinstance(x, Apply):
        node = x
    else:
        node = x.owner
        if node is None:
            raise ConsError(f"{x!r} is a graph input or constant, not an expression")
    if len(node.outputs) != 1:
        raise ConsError(f"{node.op} has {len(node.outputs)} outputs; only one-output nodes "
                        "have an S-expression form")
    return node


def _car_graph(x: Variable | Apply) -> Any:
    return _node_of(x).op


def _cdr_graph(x: Variable | Apply) -> ExpressionTuple:
    return etuple(*_node_of(x).inputs)


def _car_op(op: Op) -> type:
    if op_params(op) is None:
        raise ConsError(f"{op} is an atom (it has no constructor parameters)")
    return type(op)


def _cdr_op(op: Op) -> ExpressionTuple:
    params = op_params(op)
    if params is None:
        raise ConsError(f"{op} is an atom (it has no constructor parameters)")
    return etuple(*params)


for _cls in (Variable, Apply):
    _car.add((_cls,), _car_graph)
    _cdr.add((_cls,), _cdr_graph)
    rator.add((_cls,), _car_graph)
    rands.add((_cls,), _cdr_graph)
_car.add((Op,), _car_op)
_cdr.add((Op,), _cdr_op)
rator.add((Op,), _car_op)
rands.add((Op,), _cdr_op)


def _head_aliases() -> dict:
    """Builder functions accepted as etuple heads for their op (``at.dot`` for ``Dot()``)."""
    from aesara_cas.tensor import blas

    return {blas.dot: blas._dot, blas.matmul: blas._matmul}


def normalize_head(head: Any) -> Any:
    """``head`` with builder functions such as ``at.dot`` replaced by their op."""
    try:
        return _head_aliases().get(head, head)
    except TypeError:  # unhashable head
        return head


def etuplize(x: Any, depth: int | None = 1) -> Any:
    """The S-expression of ``x``: ``etuple(op, *inputs)`` for a computed variable.

    Parameters
    ----------
    x
        A variable, an ``Apply`` node or a parametrised op.
    depth
        How many levels to expand.  The default, 1, leaves the inputs as graph
        variables (unification expands them lazily when a pattern needs it).
        ``None`` expands everything: only for small graphs, because etuples hash
        recursively.

    Returns
    -------
    ExpressionTuple or the atom itself
        Graph inputs and constants are atoms and are returned unchanged.  The
        etuple's ``evaled_obj`` is ``x`` itself.
    """
    if depth is not None and depth < 1:
        raise ValueError(f"etuplize: depth must be at least 1 or None, got {depth}")
    if isinstance(x, Op):
        params = op_params(x)
        if params is None:
            return x
        return etuple(type(x), *params, evaled_obj=x)
    if not isinstance(x, (Variable, Apply)):
        raise TypeError(f"etuplize takes a graph variable, node or op, got {type(x).__name__}")
    try:
        _node_of(x)
    except ConsError:
        if isinstance(x, Apply):
            raise TypeError(f"etuplize: {x} has several outputs; etuplize one of them") from None
        return x
    # Iterative post-order expansion; shared sub-graphs map to one etuple.
    memo: dict[int, Any] = {}
    stack: list[tuple[Any, int, bool]] = [(x, 0, False)]
    while stack:
        v, level, ready = stack.pop()
        if id(v) in memo:
            continue
        try:
            node = _node_of(v)
        except ConsError:
            memo[id(v)] = v
            continue
        expand = depth is None or level + 1 < depth
        if not ready:
            stack.append((v, level, True))
            if expand:
                stack.extend((i, level + 1, False) for i in node.inputs if id(i) not in memo)
            continue
        args = [memo.get(id(i), i) if expand else i for i in node.inputs]
        out = node.outputs[0] if isinstance(v, Apply) else v
        memo[id(v)] = etuple(node.op, *args, evaled_obj=out)
    return memo[id(x)]


# Unification -------------------------------------------------------------------

def uniform_value(c: Constant) -> Any:
    """The single value all elements of constant ``c`` share, or ``None``."""
    tag = c.tag
    if "_uniform" in tag:
        return tag["_uniform"]
    data = np.asarray(c.data)
    value = None
    if data.size > 0:
        first = data.flat[0]
        if data.size == 1 or bool(np.all(data == first)):
            value = first.item()
            if isinstance(value, float) and np.isnan(value):
                value = None
    tag["_uniform"] = value
    return value


def constant_equals(c: Any, number: Any) -> bool:
    """Whether ``c`` is a constant all of whose elements equal ``number``."""
    if not isinstance(c, Constant):
        return False
    value = uniform_value(c)
    if value is None:
        return False
    # A boolean constant only matches a boolean pattern (True is not the number 1).
    if isinstance(value, bool) != isinstance(number, (bool, np.bool_)):
        return False
    return value == number


def _unify_number_constant(u: Any, v: Any, s: Mapping) -> Any:
    num, const = (u, v) if isinstance(v, Constant) else (v, u)
    return s if constant_equals(const, num) else False


def _unify_constants(u: Constant, v: Constant, s: Mapping) -> Any:
    if u is v:
        return s
    return s if u.type == v.type and u.signature() == v.signature() else False


def _unify_expand_graph(u: Any, v: Any, s: Mapping):
    """Unify a pattern with a graph object by expanding the graph object one level."""
    pattern, obj = (u, v) if isinstance(v, (Variable, Apply, Op)) else (v, u)
    if isinstance(obj, Op):
        et = etuplize(obj)
        if not isinstance(et, ExpressionTuple):
            yield False
            return
    else:
        try:
            node = _node_of(obj)
        except ConsError:
            yield False
            return
        et = etuple(node.op, *node.inputs, evaled_obj=obj)
    if isinstance(pattern, ExpressionTuple) and len(pattern) > 0:
        head = normalize_head(pattern[0])
        if head is not pattern[0]:
            pattern = etuple(head, *pattern[1:])
    yield _unify(pattern, et, s)


def _unify_function_op(u: Any, v: Any, s: Mapping) -> Any:
    fn, op = (u, v) if isinstance(v, Op) else (v, u)
    return s if normalize_head(fn) == op else False


for _num in (Number, np.number, np.bool_):
    _unify.add((_num, Constant, Mapping), _unify_number_constant)
    _unify.add((Constant, _num, Mapping), _unify_number_constant)
_unify.add((Constant, Constant, Mapping), _unify_constants)
for _pat in (ExpressionTuple, ConsPair):
    for _obj in (Variable, Apply, Op):
        _unify.add((_pat, _obj, Mapping), _unify_expand_graph)
        _unify.add((_obj, _pat, Mapping), _unify_expand_graph)
_unify.add((type(etuplize), Op, Mapping), _unify_function_op)
_unify.add((Op, type(etuplize), Mapping), _unify_function_op)
