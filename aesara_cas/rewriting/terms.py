"""Small helpers rule modules use to inspect matched values and build results.

These keep rule definitions short and readable: ``scalar_constant(v)`` instead
of type checks, ``add_of(terms)`` instead of special-casing one or zero terms,
and :func:`order_key`, the canonical order of the arguments of commutative ops.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.logic.mirror import uniform_value
from aesara_cas.rewriting.context import generation, unchanged_since
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.shape import Alloc
from aesara_cas.tensor.variable import constant

#: At most this many nodes of a sub-graph decide its place in the canonical order.
ORDER_KEY_NODES = 24


_EQ_CACHE: dict[tuple[int, int], tuple[Any, Any, bool]] = {}


def ops_equal(a: Any, b: Any) -> bool:
    """``a == b`` for ops, cached by identity (ops are immutable; comparing parameters
    on every match is the engine's hottest path)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    key = (id(a), id(b))
    hit = _EQ_CACHE.get(key)
    if hit is not None and hit[0] is a and hit[1] is b:
        return hit[2]
    if len(_EQ_CACHE) > 50_000:
        _EQ_CACHE.clear()
    result = a == b
    _EQ_CACHE[key] = (a, b, result)
    return result


def owner_op(v: Any) -> Any:
    """The op that computes ``v`` (``None`` for inputs, constants and non-variables)."""
    node = getattr(v, "owner", None)
    return None if node is None else node.op


def inputs_if(v: Any, op: Any) -> list[Variable] | None:
    """The inputs of ``v``'s node if that node applies ``op``, else ``None``."""
    node = getattr(v, "owner", None)
    if node is None or not ops_equal(node.op, op):
        return None
    return node.inputs


def uniform_constant(v: Any) -> Any:
    """The value every element of ``v`` equals, if ``v`` is a constant or a constant
    broadcast by ``alloc``; else ``None``."""
    if isinstance(v, Constant):
        return uniform_value(v)
    node = getattr(v, "owner", None)
    if node is not None and isinstance(node.op, Alloc) and isinstance(node.inputs[0], Constant):
        return uniform_value(node.inputs[0])
    return None


def scalar_constant(v: Any) -> Any:
    """The value of ``v`` if it is a zero-dimensional constant, else ``None``."""
    if isinstance(v, Constant) and v.type.ndim == 0:
        return uniform_value(v)
    return None


def negated_constant(c: Constant) -> Constant:
    """The constant ``-c`` of ``c``'s own dtype, wrapping as NumPy does.

    Integer negation wraps at the edge of the dtype (``-np.int8(-128)`` is ``-128``,
    and ``x - c`` equals ``x + (-c)`` in wrap-around arithmetic), so this never raises
    the ``OverflowError`` that negating a Python number and converting back would.
    """
    data = np.asarray(c.data)
    with np.errstate(over="ignore"):
        neg = np.negative(data) if data.dtype != bool else data
    return constant(np.asarray(neg, dtype=data.dtype))


def wrap_to_dtype(value: Any, dtype: str) -> Any:
    """``value`` (a Python number) as a NumPy scalar of ``dtype``, integers wrapping
    modulo 2**bits as NumPy's integer arithmetic does (floats convert normally)."""
    dt = np.dtype(dtype)
    if dt.kind in "iu" and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        bits = 8 * dt.itemsize
        value = int(value) % (1 << bits)
        if dt.kind == "i" and value >= 1 << (bits - 1):
            value -= 1 << bits
    return dt.type(value)


# ------------------------------------------------------------------ signs of zero
#
# A rewrite must keep NumPy's sign of zero.  ``x + 0.0`` turns -0.0 into +0.0 and
# leaves every other value alone, so rules that would lose a +0.0 result keep one
# with :func:`plus_zero`; these predicates decide, conservatively and looking at
# most :data:`SIGN_DEPTH` nodes deep, when that is not needed.

#: How deep the sign predicates look (a bounded recursion: never graph-depth deep).
SIGN_DEPTH = 4

_NONNEGATIVE_OPS = ("exp", "exp2", "abs", "sqr", "cosh", "sigmoid", "softplus", "erfc")
#: Ops whose result is never -0.0 (though it may be negative).
_NO_NEGATIVE_ZERO_OPS = ("log", "log2", "log10", "cos")


def constant_zero_sign(v: Any) -> int | None:
    """For a constant all of whose elements are zero: -1 if all are -0.0, +1 if all
    are +0.0 (or integer zeros), 0 if mixed; ``None`` for anything else."""
    if not isinstance(v, Constant):
        return None
    data = np.asarray(v.data)
    if data.size == 0 or data.dtype == bool or np.any(data != 0):
        return None
    if data.dtype.kind != "f":
        return 1
    neg = np.signbit(data)
    return -1 if neg.all() else (1 if not neg.any() else 0)


def _scalar_name(v: Any) -> str | None:
    node = getattr(v, "owner", None)
    if node is None or not isinstance(node.op, E.Elemwise):
        return None
    return node.op.scalar_op.name


def never_negative(v: Any, depth: int = SIGN_DEPTH) -> bool:
    """Whether no element of ``v`` can have its sign bit set (NaN aside): ``exp(x)``,
    ``abs(x)``, ``x * x``, constants without negative values or -0.0, ..."""
    if isinstance(v, Constant):
        data = np.asarray(v.data)
        return data.dtype == bool or data.dtype.kind == "u" or not np.any(np.signbit(data))
    if depth <= 0:
        return False
    name = _scalar_name(v)
    if name in _NONNEGATIVE_OPS:
        return True
    ins = v.owner.inputs if name is not None else ()
    if name == "mul" and len(ins) == 2 and ins[0] is ins[1]:
        return True  # x * x
    if name in ("add", "mul", "true_div"):
        return all(never_negative(i, depth - 1) for i in ins)
    if name == "maximum":
        # maximum(a, b) is b where a == b, so maximum(0.0, -0.0) is -0.0: the last
        # operand decides (when it is never negative, a larger a is positive too).
        return never_negative(ins[-1], depth - 1)
    if name == "pow":
        c = scalar_constant(ins[1])
        return (isinstance(c, (int, float)) and not isinstance(c, bool) and float(c).is_integer()
                and int(c) % 2 == 0) or never_negative(ins[0], depth - 1)
    return False


def never_negative_zero(v: Any, depth: int = SIGN_DEPTH) -> bool:
    """Whether no element of ``v`` can be -0.0 (integers never are)."""
    if np.dtype(getattr(v, "dtype", "float64")).kind != "f":
        return True
    if never_negative(v, depth):
        return True
    if isinstance(v, Constant):
        return not np.any((np.asarray(v.data) == 0) & np.signbit(v.data))
    if depth <= 0:
        return False
    name = _scalar_name(v)
    if name in _NO_NEGATIVE_ZERO_OPS:
        return True
    if name == "add":  # a rounded-to-nearest sum is -0.0 only if every term is -0.0
        return any(never_negative_zero(i, depth - 1) for i in v.owner.inputs)
    return False


def plus_zero(v: Any) -> Any:
    """``v + 0.0`` (in ``v``'s dtype) unless ``v`` is never -0.0: the same values, but a
    zero is +0.0, as NumPy's ``log(1 + x)`` gives at ``x = -0.0`` where ``log1p`` gives -0.0."""
    if never_negative_zero(v):
        return v
    return E.add(v, constant(np.zeros((), dtype=v.dtype)))


def is_float(v: Any) -> bool:
    return isinstance(v, Variable) and np.dtype(v.dtype).kind == "f"


def add_of(terms: Sequence[Any], canonical: bool = False) -> Any:
    """``terms[0] + terms[1] + ...`` as one n-ary ``add``; one term is itself; none is 0.

    ``canonical=True`` puts the terms in canonical order when that cannot change
    the result (see :func:`reorderable`).
    """
    terms = list(terms)
    if not terms:
        return 0
    if len(terms) == 1:
        return terms[0]
    if canonical and reorderable(terms):
        terms = canonical_order(terms)
    return E.add(*terms)


def mul_of(factors: Sequence[Any], canonical: bool = False) -> Any:
    """``factors[0] * ...`` as one n-ary ``mul``; one factor is itself; none is 1."""
    factors = list(factors)
    if not factors:
        return 1
    if len(factors) == 1:
        return factors[0]
    if canonical and reorderable(factors):
        factors = canonical_order(factors)
    return E.mul(*factors)


def reorderable(items: Sequence[Any]) -> bool:
    """Whether the arguments of a commutative n-ary op may be reordered exactly.

    Two arguments always commute.  With more, the left-to-right evaluation decides
    where dtype promotion happens, so they must share one dtype.
    """
    if len(items) <= 2:
        return True
    dtypes = {getattr(i, "dtype", None) for i in items}
    return len(dtypes) == 1 and None not in dtypes


def _make_token(v: Variable) -> str:
    if isinstance(v, Constant):
        value = uniform_value(v)
        if value is not None and v.type.ndim == 0:
            return f"0{v.dtype}:{value!r}"
        return f"0{v.dtype}:{v.type.shape}:{v.signature()!r}"
    node = v.owner
    if node is None:
        return f"1{v.name or ''}:{v.id:012d}"
    return f"2{node.op}/{len(node.inputs)}/{v.index}"


def order_token(v: Variable) -> str:
    """The first element of :func:`order_key`: a token of ``v`` itself (its op and number
    of inputs, a constant's value, an input's name), which usually decides the order."""
    tok = v.tag.get("_order_token")
    if tok is None:
        tok = v.tag["_order_token"] = _make_token(v)
    return tok


# id(var) -> [generation, var, key, nodes whose inputs the key was read from]: reused
# while none of those nodes changed (most rewrites leave most keys as they were).
_KEYS: dict[int, list] = {}


def order_key(v: Variable) -> tuple[str, ...]:
    """A structural sort key: constants first, then inputs by name, then expressions.

    Built from the first :data:`ORDER_KEY_NODES` nodes of ``v``'s sub-graph
    (breadth first), so it depends on what ``v`` computes, not on when its node
    was created; that keeps canonical forms independent of rule order.
    """
    hit = _KEYS.get(id(v))
    gen = generation()
    if hit is not None and hit[1] is v:
        if hit[0] == gen:
            return hit[2]
        # Precise invalidation: the key only changes if one of the nodes it read
        # had its inputs replaced since it was computed.
        if unchanged_since(hit[0], hit[3]):
            hit[0] = gen
            return hit[2]
    if hit is None and len(_KEYS) > 200_000:
        _KEYS.clear()
    # Breadth first over a plain list (an index instead of popleft): this runs for
    # every argument of every commutative node the rules rebuild.
    queue = [v]
    tokens = []
    read = []
    for u in queue:
        tok = u.tag.get("_order_token")
        if tok is None:
            tok = u.tag["_order_token"] = _make_token(u)
        tokens.append(tok)
        if len(tokens) == ORDER_KEY_NODES:
            break
        node = u.owner
        if node is not None and len(queue) < ORDER_KEY_NODES:
            queue.extend(node.inputs)
            read.append(node)
    key = tuple(tokens)
    _KEYS[id(v)] = [gen, v, key, read]
    return key


def key_less(a: Variable, b: Variable) -> bool:
    """``order_key(a) < order_key(b)`` for ``a`` and ``b`` of equal :func:`order_token`.

    Equal tokens of two nodes' outputs mean the same op and number of inputs, so the
    keys' next elements are the tokens of their inputs, in order: the first that
    differ decide (a coefficient, usually), without walking either sub-graph."""
    na, nb = a.owner, b.owner
    if na is not None and nb is not None:
        ia, ib = na.inputs, nb.inputs
        for k in range(min(len(ia), len(ib), ORDER_KEY_NODES - 1)):
            ta = ia[k].tag.get("_order_token")
            if ta is None:
                ta = order_token(ia[k])
            tb = ib[k].tag.get("_order_token")
            if tb is None:
                tb = order_token(ib[k])
            if ta != tb:
                return ta < tb
    return order_key(a) < order_key(b)


def forget_order_keys() -> None:
    """Drop the cached order keys (they hold their variables, hence their graphs).  The
    driver calls it when it is done: a new session distrusts them anyway."""
    _KEYS.clear()


def canonical_order(items: Sequence[Variable]) -> list[Variable]:
    """``items`` sorted by :func:`order_key` (a stable sort)."""
    return sorted(items, key=order_key)


def split_coefficient(term: Variable) -> tuple[Any, tuple[Variable, ...]]:
    """``term`` as ``coefficient * product(factors)``: ``-(3 * x * y)`` is ``(-3, (x, y))``.

    The coefficient is a Python number taken from zero-dimensional constants and
    ``neg``; a term without one has coefficient 1 and is its own single factor.
    """
    coef: Any = 1
    t = term
    for _ in range(8):  # neg(neg(...)) chains are short once canonical
        ins = inputs_if(t, E.neg)
        if ins is None:
            break
        coef = -coef
        t = ins[0]
    ins = inputs_if(t, E.mul)
    if ins is None:
        return coef, (t,)
    factors = []
    for f in ins:
        c = scalar_constant(f)
        if c is not None and not isinstance(c, bool):
            coef = coef * c
        else:
            factors.append(f)
    if not factors:
        return coef, ()
    return coef, tuple(factors)


def same_dtype(items: Sequence[Variable], dtype: str) -> bool:
    return all(i.dtype == dtype for i in items)


def edge_signs(k: Any) -> tuple[bool, bool | None]:
    """Whether ``x ** k`` is negative at ``x = -0.0`` and at ``x = -inf`` (``None``:
    NaN there).  NumPy computes ``x ** 0.5`` as ``sqrt(x)``: -0.0 at -0.0, NaN at -inf;
    other fractional and even powers are +0.0 or +inf there; odd integer powers keep
    the sign."""
    k = float(k)
    if k == 0.5:
        return True, None
    odd = k.is_integer() and int(k) % 2 == 1
    return odd, odd


def power_edge_verdict(at_zero: bool, at_inf: bool | None, e: Any) -> str:
    """How ``x ** e`` compares with a form negative at ``x = -0.0`` iff ``at_zero`` and
    at ``x = -inf`` iff ``at_inf`` (``None``: NaN there): ``"same"`` signs (where the
    form is not NaN), ``"abs"`` when ``abs(x) ** e`` has them, else ``"keep"``."""
    z, i = edge_signs(e) if e != 0 else (False, False)
    if z == at_zero and (at_inf is None or i == at_inf):
        return "same"
    if not at_zero and not at_inf:
        return "abs"
    return "keep"
