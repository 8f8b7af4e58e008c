"""``TensorType``: the dtype and (partly) static shape of an array-valued variable."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Type

#: The dtypes the public constructors offer; any numeric NumPy dtype works.
DTYPE_SHORTCUTS = {"d": "float64", "f": "float32", "i": "int32", "l": "int64", "b": "bool"}


#: dtype names already checked -> canonical name (every new variable's type asks).
_DTYPE_NAMES: dict[str, str] = {}


def normalize_dtype(dtype: Any) -> str:
    """The canonical dtype name, or a ``TypeError`` naming what is accepted."""
    if type(dtype) is str:
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
    if type(dtype) is str and len(_DTYPE_NAMES) < 256:
        _DTYPE_NAMES[dtype] = dt.name
    return dt.name


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


class TensorType(Type):
    """An n-dimensional array of ``dtype``; ``shape`` holds ``None`` where unknown.

    Parameters
    ----------
    dtype
        A NumPy dtype name (``"float64"``, ``"int32"``, ``"bool"``, ...).
    shape
        One entry per dimension: its length when known when the graph is built,
        else ``None``.
    """

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype: Any, shape: Sequence[int | None] = ()):
        self.dtype = normalize_dtype(dtype)
        self.shape = normalize_shape(shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return tuple(s == 1 for s in self.shape)

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and other.dtype == self.dtype
            and other.shape == self.shape
        )

    def __hash__(self) -> int:
        return hash((type(self), self.dtype, self.shape))

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
        if isinstance(value, np.ndarray) and value.dtype.name == self.dtype:
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
        from aesara_cas.tensor.variable import TensorVariable

        return TensorVariable(self, name=name)

    def make_constant(self, value: Any, name: str | None = None):
        from aesara_cas.tensor.variable import TensorConstant

        return TensorConstant(self, value, name=name)
