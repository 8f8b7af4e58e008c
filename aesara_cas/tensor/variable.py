"""Tensor variables and constants: the NumPy-like face of a graph."""

from __future__ import annotations

from typing import Any

import numpy as np

from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.tensor.type import TensorType, base_array


class _TensorOperators:
    """Python operators, methods and properties shared by tensor variables.

    The ops live in modules that themselves build tensor variables, so they are
    looked up when an operator is used rather than imported here.
    """

    __slots__ = ()

    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable

    @property
    def shape(self):
        from aesara_cas.tensor.shape import shape

        return shape(self)

    @property
    def T(self):
        from aesara_cas.tensor.shape import transpose

        return transpose(self)

    def __len__(self) -> int:
        raise TypeError("len() of a symbolic tensor is undefined; use `x.shape[0]`")

    def __iter__(self):
        raise TypeError("a symbolic tensor cannot be iterated; index it instead")

    # Arithmetic -----------------------------------------------------------------
    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().sub(self, other)

    def __rsub__(self, other):
        return _ops().sub(other, self)

    def __mul__(self, other):
        return _ops().mul(self, other)

    def __rmul__(self, other):
        return _ops().mul(other, self)

    def __truediv__(self, other):
        return _ops().true_div(self, other)

    def __rtruediv__(self, other):
        return _ops().true_div(other, self)

    def __floordiv__(self, other):
        return _ops().int_div(self, other)

    def __rfloordiv__(self, other):
        return _ops().int_div(other, self)

    def __mod__(self, other):
        return _ops().mod(self, other)

    def __rmod__(self, other):
        return _ops().mod(other, self)

    def __pow__(self, other):
        return _ops().pow(self, other)

    def __rpow__(self, other):
        return _ops().pow(other, self)

    def __matmul__(self, other):
        from aesara_cas.tensor.blas import matmul

        return matmul(self, other)

    def __rmatmul__(self, other):
        from aesara_cas.tensor.blas import matmul

        return matmul(other, self)

    def __neg__(self):
        return _ops().neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops().abs(self)

    def __invert__(self):
        return _ops().invert(self)

    def __and__(self, other):
        return _ops().and_(self, other)

    def __rand__(self, other):
        return _ops().and_(other, self)

    def __or__(self, other):
        return _ops().or_(self, other)

    def __ror__(self, other):
        return _ops().or_(other, self)

    def __lt__(self, other):
        return _ops().lt(self, other)

    def __le__(self, other):
        return _ops().le(self, other)

    def __gt__(self, other):
        return _ops().gt(self, other)

    def __ge__(self, other):
        return _ops().ge(self, other)

    # `==` keeps identity semantics (graphs live in dicts and sets); use `at.eq`.
    __hash__ = object.__hash__

    # Makes NumPy defer to our reflected operators: `np.ones(3) + x` builds a graph
    # instead of an object array of variables.
    __array_ufunc__ = None

    # Reductions and shape --------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        return _red().sum(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return _red().prod(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return _red().mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _red().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _red().min(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return _red().all(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return _red().any(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        from aesara_cas.tensor.sort import argmax

        return argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        from aesara_cas.tensor.sort import argmin

        return argmin(self, axis=axis, keepdims=keepdims)

    def argsort(self, axis=-1):
        from aesara_cas.tensor.sort import argsort

        return argsort(self, axis=axis)

    def cumsum(self, axis=None):
        from aesara_cas.tensor.sort import cumsum

        return cumsum(self, axis=axis)

    def cumprod(self, axis=None):
        from aesara_cas.tensor.sort import cumprod

        return cumprod(self, axis=axis)

    def round(self, decimals=0):
        from aesara_cas.tensor.extra_ops import round

        return round(self, decimals)

    def repeat(self, repeats, axis=None):
        from aesara_cas.tensor.extra_ops import repeat

        return repeat(self, repeats, axis=axis)

    def take(self, indices, axis=None):
        from aesara_cas.tensor.advanced import take

        return take(self, indices, axis=axis)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        from aesara_cas.tensor.extra_ops import diagonal

        return diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1):
        from aesara_cas.tensor.extra_ops import trace

        return trace(self, offset, axis1, axis2)

    def reshape(self, *shape, ndim=None):
        from aesara_cas.tensor.shape import reshape

        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = shape[0]
        return reshape(self, shape, ndim=ndim)

    def dimshuffle(self, *pattern):
        from aesara_cas.tensor.shape import dimshuffle

        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = pattern[0]
        return dimshuffle(self, pattern)

    def flatten(self, ndim=1):
        from aesara_cas.tensor.shape import flatten

        return flatten(self, ndim)

    def astype(self, dtype):
        return _ops().cast(self, dtype)

    def __getitem__(self, index):
        from aesara_cas.tensor.subtensor import getitem

        return getitem(self, index)

    def eval(self, inputs: dict | None = None) -> np.ndarray:
        """Evaluate with NumPy, giving values for the graph's inputs in ``inputs``."""
        from aesara_cas.compile.function import evaluate

        return evaluate(self, inputs or {})

    def _repr_latex_(self) -> str:
        """The expression as LaTeX math, for notebooks."""
        from aesara_cas.latex import latex

        return f"${latex(self)}$"


def _ops():
    from aesara_cas.tensor import elemwise

    return elemwise


def _red():
    from aesara_cas.tensor import reduction

    return reduction


class TensorVariable(_TensorOperators, Variable):
    """A symbolic array."""

    __slots__ = ()


class TensorConstant(_TensorOperators, Constant):
    """An array known when the graph is built."""

    __slots__ = ()

    def __init__(self, type_: TensorType, data: Any, name: str | None = None):
        data = type_.filter(data, name or "constant")
        data = np.array(data, copy=True)
        data.setflags(write=False)
        super().__init__(type_, data, name)

    @property
    def value(self) -> np.ndarray:
        return self.data


#: Exact Python number types -> the dtype of their constants.
_PYTHON_DTYPES: dict[type, str] = {bool: "bool", int: "int64", float: "float64"}
#: NumPy's numeric scalar types (``np.float32(2.5)``, ``np.bool_(True)``, ...).
_NUMPY_SCALARS = frozenset(np.dtype(c).type for c in "?" + np.typecodes["AllInteger"]
                           + np.typecodes["Float"])
#: Numeric dtype object -> the type of its 0-d constants; a dtype not here is checked.
_SCALAR_TYPES: dict[np.dtype, TensorType] = {}


def _scalar_type(dt: np.dtype) -> TensorType:
    """The 0-d ``TensorType`` of the numeric dtype ``dt`` (kept for the first 256)."""
    hit = _SCALAR_TYPES.get(dt)
    if hit is None:
        hit = TensorType(dt, ())
        if len(_SCALAR_TYPES) < 256:
            _SCALAR_TYPES[dt] = hit
    return hit


def _numeric_array(value: Any, dtype: Any) -> np.ndarray:
    """``np.asarray(value, dtype)``, which must be boolean, integer or floating point
    (a ``TypeError`` naming ``value`` otherwise)."""
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as err:
        raise TypeError(f"cannot make a constant of {value!r}: {err}") from err
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"constants must be numeric, got {value!r} of dtype {arr.dtype}")
    return arr


def _array_constant(value: Any, name: str | None, dtype: Any) -> TensorConstant:
    """``constant(value)`` the general way: NumPy converts, the type is made from the
    array, and ``TensorConstant`` filters and copies it."""
    arr = _numeric_array(value, dtype)
    return TensorConstant(TensorType(arr.dtype, arr.shape), arr, name=name)


def _scalar_constant(value: Any, name: str | None, dtype: Any) -> TensorConstant:
    """``constant(value)`` for a Python or NumPy number: the general path's result, made
    without its conversions that do nothing here (``np.asarray`` makes a new 0-d array
    of a number, so it needs no copy, and it already has the type's dtype and shape)."""
    if dtype is None:
        dtype = _PYTHON_DTYPES.get(type(value))  # None for NumPy scalars: their own
    arr = _numeric_array(value, dtype)
    ttype = _scalar_type(arr.dtype)
    arr.setflags(write=False)
    out = TensorConstant.__new__(TensorConstant)
    Constant.__init__(out, ttype, arr, name)
    return out


def constant(value: Any, name: str | None = None, dtype: Any = None) -> TensorConstant:
    """A constant tensor holding ``value`` (a number, nested list or array)."""
    if type(value) in _PYTHON_DTYPES or type(value) in _NUMPY_SCALARS:
        return _scalar_constant(value, name, dtype)  # the common case, about 4x quicker
    if isinstance(value, Variable):
        raise TypeError(f"constant() takes a value, got the symbolic variable {value!r}")
    if isinstance(value, np.ndarray) and type(value) is not np.ndarray:
        value = base_array(value, name or "constant")  # masked arrays: TypeError
    return _array_constant(value, name, dtype)


def as_tensor_variable(x: Any, name: str | None = None, ndim: int | None = None) -> TensorVariable:
    """``x`` as a tensor variable: variables pass through, values become constants."""
    if isinstance(x, Variable):
        if not isinstance(x.type, TensorType):
            raise TypeError(f"expected a tensor variable, got {x!r} of type {x.type}")
        var = x
    else:
        var = constant(x, name=name)
    if ndim is not None and var.ndim != ndim:
        raise ValueError(f"expected {ndim} dimension(s), got {var!r} with {var.ndim}")
    return var


# Constructors ---------------------------------------------------------------------

def tensor(dtype: Any = "float64", shape: tuple = (), name: str | None = None) -> TensorVariable:
    """A symbolic input of ``dtype`` with ``shape`` (``None`` for unknown lengths)."""
    if isinstance(dtype, tuple) and isinstance(shape, (str, np.dtype)):
        dtype, shape = shape, dtype
    return TensorVariable(TensorType(dtype, shape), name=name)


def _constructor(ndim: int, default_dtype: str | None, kind: str):
    def make(
        name: str | None = None, dtype: Any = None, shape: tuple | None = None
    ) -> TensorVariable:
        dtype = dtype or default_dtype or "float64"
        if shape is None:
            shape = (None,) * ndim
        elif len(tuple(shape)) != ndim:
            raise ValueError(f"a {kind} has {ndim} dimension(s); got shape {shape!r}")
        return tensor(dtype, shape, name)

    prefix = f"{default_dtype} " if default_dtype else ""
    make.__name__ = kind
    make.__doc__ = f"A symbolic {prefix}{kind} ({ndim} dimension(s)) named ``name``."
    return make


_KINDS = {"scalar": 0, "vector": 1, "matrix": 2, "tensor3": 3, "tensor4": 4}

scalar = _constructor(0, None, "scalar")
vector = _constructor(1, None, "vector")
matrix = _constructor(2, None, "matrix")
tensor3 = _constructor(3, None, "tensor3")
tensor4 = _constructor(4, None, "tensor4")

dscalar = _constructor(0, "float64", "dscalar")
dvector = _constructor(1, "float64", "dvector")
dmatrix = _constructor(2, "float64", "dmatrix")
dtensor3 = _constructor(3, "float64", "dtensor3")
fscalar = _constructor(0, "float32", "fscalar")
fvector = _constructor(1, "float32", "fvector")
fmatrix = _constructor(2, "float32", "fmatrix")
ftensor3 = _constructor(3, "float32", "ftensor3")
iscalar = _constructor(0, "int32", "iscalar")
ivector = _constructor(1, "int32", "ivector")
imatrix = _constructor(2, "int32", "imatrix")
itensor3 = _constructor(3, "int32", "itensor3")
lscalar = _constructor(0, "int64", "lscalar")
lvector = _constructor(1, "int64", "lvector")
lmatrix = _constructor(2, "int64", "lmatrix")
ltensor3 = _constructor(3, "int64", "ltensor3")
bscalar = _constructor(0, "bool", "bscalar")
bvector = _constructor(1, "bool", "bvector")
bmatrix = _constructor(2, "bool", "bmatrix")
btensor3 = _constructor(3, "bool", "btensor3")


#: Constructor by name, for the CLI's ``--var x:dvector``.
CONSTRUCTORS = {
    name: obj for name, obj in dict(globals()).items()
    if callable(obj) and getattr(obj, "__name__", None) == name
    and name.lstrip("dfilb") in _KINDS
}
