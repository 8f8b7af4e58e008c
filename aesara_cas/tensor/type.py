"""``TensorType``: the dtype and (partly) static shape of an array-valued variable."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Type

#: The dtypes the public constructors offer; any numeric NumPy dtype works.
DTYPE_SHORTCUTS = {"d": "float64", "f": "float32", "i": "int32", "l": "int64", "b": "bool"}


#: dtype specifications already checked (names, dtype objects, scalar types) -> the
#: canonical name.  Every new variable's type and constant asks, and NumPy's
#: ``dtype.name`` is a Python-level property (about 1.6 us).  Keys that compare equal
#: are the same dtype, so they share a name whatever the key's kind.
_DTYPE_NAMES: dict[Any, str] = {}


def normalize_dtype(dtype: Any) -> str:
    """The canonical dtype name, or a ``TypeError`` naming what is accepted."""
    cacheable = type(dtype) in (str, type) or isinstance(dtype, np.dtype)
    if cacheable:
        hit = _DTYPE_NAMES.get(dtype)
        if hit is not None:
            return hit
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be a NumPy dtype such as 'float64', got {dtype!r}") from err
    if dt.kind not in "biuf":
        raise TypeError(
            f"dtype must be boolean, integer or floating point, got {dt.name!r}"
        )
    if cacheable and len(_DTYPE_NAMES) < 512:
        _DTYPE_NAMES[dtype] = dt.name
    return dt.name


#: dtype object -> its name, for any dtype (numeric or not).
_NAMES: dict[np.dtype, str] = {}


def dtype_name(dt: np.dtype) -> str:
    """``dt.name``, answered from a table after the first time (see ``_DTYPE_NAMES``)."""
    hit = _NAMES.get(dt)
    if hit is None:
        hit = dt.name
        if len(_NAMES) < 512:
            _NAMES[dt] = hit
    return hit


def base_array(value: np.ndarray, name: str = "input") -> np.ndarray:
    """``value`` (an instance of an ``ndarray`` subclass) as a plain ``ndarray``.

    The result is a view of the same data (no copy): ``np.matrix``, ``np.memmap``
    and other subclasses are taken as the arrays they hold, and the graph's
    operations keep NumPy's array semantics (no matrix product for ``*``, no
    squeezing back to 2-D).  A masked array raises ``TypeError``: dropping its mask
    would compute with the hidden values, and honouring it is not supported.
    """
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{name}: masked arrays are not supported (the mask would be ignored); pass "
            "arr.filled(value) to choose what masked entries count as, or np.asarray(arr) "
            "to use the data under the mask"
        )
    return value.view(np.ndarray)


def normalize_shape(shape: Sequence[int | None]) -> tuple[int | None, ...]:
    """``shape`` as a tuple of non-negative Python ints and ``None``, or ``TypeError``."""
    if type(shape) is tuple:
        for s in shape:
            if s is not None and (type(s) is not int or s < 0):
                break
        else:
            return shape  # already normal (the common case)
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        items = tuple(shape)
    except TypeError as err:
        raise TypeError(f"shape must be a tuple of ints or None, got {shape!r}") from err
    out = []
    for s in items:
        if s is None:
            out.append(None)
        elif isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0:
            out.append(int(s))
        else:
            raise TypeError(f"shape entries must be non-negative ints or None, got {shape!r}")
    return tuple(out)


#: (class, dtype name, shape) -> the one type object of that value.  Types are
#: immutable and compared by value, so sharing them only saves the work of making and
#: normalising them (every new variable has a type); past the limit, new types are
#: made unshared, equal as before.
_INTERNED: dict[tuple, TensorType] = {}
_INTERN_LIMIT = 1 << 16
_BLANK: Any = object()


class TensorType(Type):
    """An n-dimensional array of ``dtype``; ``shape`` holds ``None`` where unknown.

    Equal types are usually one shared (immutable) object, but equality and hashing
    are by value: compare types with ``==``, never ``is``.

    Parameters
    ----------
    dtype
        A NumPy dtype name (``"float64"``, ``"int32"``, ``"bool"``, ...).
    shape
        One entry per dimension: its length when known when the graph is built,
        else ``None``.
    """

    __slots__ = ("dtype", "shape", "_hash")

    def __new__(cls, dtype: Any = _BLANK, shape: Sequence[int | None] = ()) -> TensorType:
        if dtype is _BLANK:  # unpickling a type pickled by an earlier version (or an error)
            return object.__new__(cls)
        key = (cls, normalize_dtype(dtype), normalize_shape(shape))
        hit = _INTERNED.get(key)
        if hit is None:
            hit = object.__new__(cls)
            hit._init(key[1], key[2])
            if len(_INTERNED) < _INTERN_LIMIT:
                _INTERNED[key] = hit
        return hit

    def __init__(self, dtype: Any = _BLANK, shape: Sequence[int | None] = ()):
        # (Only a call of the class comes here, not unpickling: the dtype is required.)
        if dtype is _BLANK:
            raise TypeError("TensorType() missing 1 required positional argument: 'dtype'")

    def _init(self, dtype: str, shape: tuple[int | None, ...]) -> None:
        set_ = object.__setattr__
        set_(self, "dtype", dtype)
        set_(self, "shape", shape)
        # (The class's hash is its address: computed here, never pickled.)
        set_(self, "_hash", hash((type(self), dtype, shape)))

    def __setattr__(self, name: str, value: Any) -> None:
        # Equal types are one shared object: changing one would change them all.
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple:
        # Rebuilt through the constructor: the unpickled type is this process's shared
        # instance, and its hash is computed here.
        return (type(self), (self.dtype, self.shape))

    def __setstate__(self, state: Any) -> None:
        # Pickles made before types were shared hold the slots' values as state.
        slots = state[1] if isinstance(state, tuple) else state
        self._init(normalize_dtype(slots["dtype"]), normalize_shape(slots["shape"]))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return tuple(s == 1 for s in self.shape)

    def __eq__(self, other: object) -> bool:
        # Value semantics: equal types made elsewhere (a full intern table, a type
        # unpickled from an earlier version) compare equal; identity is a shortcut.
        return self is other or (
            type(other) is type(self)
            and other.dtype == self.dtype
            and other.shape == self.shape
        )

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        if not self.shape:
            return self.dtype
        dims = ", ".join("?" if s is None else str(s) for s in self.shape)
        return f"{self.dtype}[{dims}]"

    def __repr__(self) -> str:
        return f"TensorType({self.dtype}, shape={self.shape})"

    def clone(self, dtype: Any = None, shape: Sequence[int | None] | None = None) -> TensorType:
        return TensorType(dtype or self.dtype, self.shape if shape is None else shape)

    def is_super(self, other: TensorType) -> bool:
        """Whether every value of ``other`` is also a value of this type."""
        return (
            isinstance(other, TensorType)
            and other.dtype == self.dtype
            and other.ndim == self.ndim
            and all(s is None or s == o for s, o in zip(self.shape, other.shape))
        )

    def filter(self, value: Any, name: str = "input") -> np.ndarray:
        """Convert ``value`` to an array of this type, or say clearly why not.

        Casting follows NumPy's ``same_kind`` rule: ints become floats, float64
        becomes float32, but a float never silently becomes an int.  Instances of
        ``ndarray`` subclasses become plain arrays (see ``base_array``), so every
        mode computes with NumPy's own semantics; masked arrays are refused.
        """
        if type(value) is not np.ndarray and isinstance(value, np.ndarray):
            value = base_array(value, name)
        if isinstance(value, np.ndarray) and dtype_name(value.dtype) == self.dtype:
            arr = value
        else:
            given = type(value).__name__  # before conversion: "str", not "ndarray"
            if type(value) in (int, float, bool):
                src_dtype = np.result_type(value) if not isinstance(value, bool) else np.dtype(bool)
                is_int = isinstance(value, int) and not isinstance(value, bool)
                if is_int and np.dtype(self.dtype).kind in "iu":
                    info = np.iinfo(self.dtype)
                    if not info.min <= value <= info.max:
                        raise ValueError(
                            f"{name}: {value} does not fit in {self.dtype} "
                            f"(range {info.min} to {info.max})"
                        )
                    src_dtype = np.dtype(self.dtype)
            else:
                try:
                    value = np.asarray(value)
                except Exception as err:
                    raise TypeError(
                        f"{name}: expected an array of {self.dtype}, got {given}"
                    ) from err
                src_dtype = value.dtype
            if src_dtype.kind not in "biuf":
                raise TypeError(
                    f"{name}: expected a numeric array of {self.dtype}, got "
                    f"{given} of dtype {src_dtype}"
                )
            if not np.can_cast(src_dtype, self.dtype, casting="same_kind"):
                raise TypeError(
                    f"{name}: cannot convert {src_dtype} to {self.dtype} without losing "
                    f"information (NumPy 'same_kind' casting); cast it explicitly"
                )
            if (
                src_dtype.kind in "iu" and np.dtype(self.dtype).kind in "iu"
                and not np.can_cast(src_dtype, self.dtype) and np.size(value)
            ):
                # 'same_kind' allows int64 -> int32, but NumPy's astype would wrap
                # out-of-range values around: a silent wrong answer, so refuse them.
                info = np.iinfo(self.dtype)
                if np.min(value) < info.min or np.max(value) > info.max:
                    raise ValueError(
                        f"{name}: values of {src_dtype} outside the range of {self.dtype} "
                        f"({info.min} to {info.max}); cast them explicitly"
                    )
            arr = np.asarray(value, dtype=self.dtype)
        if arr.ndim != self.ndim:
            raise ValueError(
                f"{name}: expected {self.ndim} dimension(s) ({self}), got an array with "
                f"{arr.ndim} dimension(s) of shape {arr.shape}"
            )
        for axis, (want, got) in enumerate(zip(self.shape, arr.shape)):
            if want is not None and want != got:
                raise ValueError(
                    f"{name}: expected shape {self} but dimension {axis} has length {got}"
                )
        return arr

    def value_signature(self, data: np.ndarray) -> tuple:
        """A hashable key for a constant's value (used to merge equal constants)."""
        arr = np.ascontiguousarray(data)
        if arr.size <= 16:
            return (self.dtype, arr.shape, arr.tobytes())
        return (self.dtype, arr.shape, hashlib.sha256(arr.tobytes()).hexdigest())

    def make_variable(self, name: str | None = None):
        # Every node output comes here: the class is looked up once, not imported.
        cls = _VARIABLE_CLASS
        if cls is None:
            cls = _variable_class()
        return cls(self, name=name)

    def make_constant(self, value: Any, name: str | None = None):
        from aesara_cas.tensor.variable import TensorConstant

        return TensorConstant(self, value, name=name)


_VARIABLE_CLASS: type | None = None


def _variable_class() -> type:
    # (tensor.variable imports this module: it is imported at first use.)
    global _VARIABLE_CLASS
    from aesara_cas.tensor.variable import TensorVariable

    _VARIABLE_CLASS = TensorVariable
    return TensorVariable
