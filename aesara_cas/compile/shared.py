"""Shared variables: graph inputs that hold their own value between calls."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from aesara_cas.tensor.type import TensorType, base_array
from aesara_cas.tensor.variable import TensorVariable


class SharedVariable(TensorVariable):
    """A tensor variable with a stored value, read by every function that uses it.

    ``ac.function(..., updates={s: expr})`` writes ``expr`` into it after each call.
    Each shared variable has a re-entrant lock: a function with updates holds the
    locks of all the shared variables it reads or writes for its whole call (taken
    in a fixed order, so two functions never deadlock), and ``set_value`` takes it
    too; see "Threads" in the guide.
    """

    __slots__ = ("container", "lock")
    is_shared = True

    def get_value(self, borrow: bool = False) -> np.ndarray:
        """The current value (a copy unless ``borrow``)."""
        return self.container[0] if borrow else np.array(self.container[0], copy=True)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Store a new value; it must fit the variable's type (dtype, dimensions)."""
        arr = self.type.filter(value, name=f"shared variable {self.name or ''}".strip())
        arr = arr if borrow and arr is value else np.array(arr, copy=True)
        with self.lock:
            self.container[0] = arr

    def clone(self) -> SharedVariable:
        return self

    def __reduce__(self):
        # A lock does not pickle; the copy gets a new one and the current value.
        return _restore_shared, (type(self), self.type, self.name, self.container[0])


def _restore_shared(cls: type, type_: Any, name: str | None, value: Any) -> SharedVariable:
    """A shared variable of class ``cls`` holding ``value`` (what unpickling calls)."""
    var = cls(type_, name=name)
    var.container = [value]
    var.lock = threading.RLock()
    if hasattr(cls, "default_update"):
        var.default_update = None
    return var


def shared(value: Any, name: str | None = None, shape: tuple | None = None) -> SharedVariable:
    """A shared variable holding ``value`` (an array or a number).

    Its dimensions are fixed; its lengths may change with ``set_value`` unless a
    static ``shape`` is given.  As for function arguments, an instance of an
    ``ndarray`` subclass (``np.matrix``, ``np.memmap``) is stored as the plain array
    it holds, and a masked array raises ``TypeError`` (its mask would be ignored).
    """
    if isinstance(value, TensorVariable):
        raise TypeError("shared() takes a value (an array or a number), not a symbolic variable")
    if type(value) in (int, float, bool):
        arr = np.asarray(value, dtype={bool: "bool", int: "int64", float: "float64"}[type(value)])
    elif isinstance(value, np.ndarray):
        # As for function arguments: a subclass is the plain array it holds (np.matrix
        # keeps its 2 dimensions), a masked array is refused rather than unmasked.
        arr = base_array(value, f"shared(): value{f' of {name!r}' if name else ''}")
    else:
        try:
            arr = np.asarray(value)
        except Exception as err:
            raise TypeError(f"shared(): cannot convert {type(value).__name__} to an array") from err
    ttype = TensorType(arr.dtype, shape if shape is not None else (None,) * arr.ndim)
    var = SharedVariable(ttype, name=name)
    var.container = [None]
    var.lock = threading.RLock()
    var.set_value(arr)
    return var
