"""Element-wise operations with NumPy broadcasting and dtype promotion.

:class:`Elemwise` lifts a :class:`~aesara_cas.tensor.scalar.ScalarOp` to arrays.
The module-level names (``exp``, ``add``, ...) are ``Elemwise`` instances: calling
one builds a node, and the instance itself is the head of the node's etuple.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Op, Variable
from aesara_cas.tensor.scalar import SCALAR_OPS, Cast, ScalarOp
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable, constant

_PYTHON_SCALARS = (int, float, bool)


@functools.lru_cache(maxsize=4096)
def output_dtype(scalar_op: ScalarOp, dtypes: tuple[str, ...]) -> str:
    """The dtype NumPy gives ``scalar_op`` on inputs of ``dtypes``.

    Asked of NumPy itself (on one-element arrays), so promotion matches it exactly;
    an implementation may state its result dtype instead (``impl.result_dtype``).
    """
    stated = getattr(scalar_op.impl, "result_dtype", None)
    if stated is not None and (dtype := stated(dtypes)) is not None:
        return dtype
    probes = [np.ones(1, dtype=d) for d in dtypes]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            out = scalar_op.compute(*probes)
        except TypeError as err:
            raise TypeError(
                f"{scalar_op} is not defined for inputs of dtype {', '.join(dtypes)}: {err}"
            ) from None
    return np.asarray(out).dtype.name


def _same_shape(shapes: list[tuple[int | None, ...]]) -> tuple | None:
    """The broadcast shape when it is plain: the shapes other than ``()`` (which do not
    change a broadcast) all equal (then they are the result); else ``None``."""
    first = None
    for s in shapes:
        if s:
            if first is None:
                first = s
            elif s != first:
                return None
    return () if first is None else tuple(first)


def broadcast_shapes(shapes: list[tuple[int | None, ...]], what: str = "inputs") -> tuple:
    """The static broadcast shape, or ``ValueError`` when known lengths clash."""
    same = _same_shape(shapes)
    if same is not None:
        return same
    ndim = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    out = []
    for axis in range(ndim):
        lengths = [s[axis] for s in padded]
        known = {n for n in lengths if n is not None and n != 1}
        if len(known) > 1:
            raise ValueError(
                f"{what} cannot be broadcast together: shapes "
                f"{', '.join(str(tuple('?' if n is None else n for n in s)) for s in shapes)} "
                f"differ in dimension {axis} ({' vs '.join(map(str, sorted(known)))})"
            )
        if known:
            out.append(known.pop())
        elif all(n == 1 for n in lengths):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


#: (type of a Python float or bool, dtypes) -> NumPy's result dtype: for these the value
#: never matters (a weak scalar takes the arrays' kind), so it is asked once.
_WEAK: dict[tuple, np.dtype] = {}


def _weak_result_type(kind: type, dtypes: tuple, x: Any) -> np.dtype:
    if kind is int:  # an int's value may not fit the dtype: asked every time
        return np.result_type(*dtypes, x)
    key = (kind, dtypes)
    hit = _WEAK.get(key)
    if hit is None:
        hit = np.result_type(*dtypes, x)
        if len(_WEAK) < 1024:
            _WEAK[key] = hit
    return hit


def as_operands(inputs: tuple) -> list[Variable]:
    """Convert raw values to constants; Python numbers take NumPy 2's weak promotion.

    A Python ``2`` next to a float32 variable becomes a float32 constant, as in
    ``np.float32 array * 2``.
    """
    for x in inputs:
        if not (isinstance(x, Variable) and isinstance(x.type, TensorType)):
            break
    else:
        return list(inputs)  # variables only (the common case): nothing to convert
    strong = [x for x in inputs if type(x) not in _PYTHON_SCALARS]
    strong_vars = [as_tensor_variable(x) for x in strong]
    strong_dtypes = [v.dtype for v in strong_vars]
    it = iter(strong_vars)
    out = []
    for x in inputs:
        if type(x) in _PYTHON_SCALARS:
            if strong_dtypes:
                try:
                    dtype = _weak_result_type(type(x), tuple(strong_dtypes), x)
                except (TypeError, OverflowError) as err:
                    raise TypeError(f"cannot combine {x!r} with {strong_dtypes}: {err}") from None
                if dtype.kind in "iu" and isinstance(x, int) and not isinstance(x, bool):
                    info = np.iinfo(dtype)
                    if not info.min <= x <= info.max:
                        dtype = np.result_type(*strong_dtypes, np.int64)
                out.append(constant(x, dtype=dtype))
            else:
                out.append(constant(x))
        else:
            out.append(next(it))
    return out


#: (dtype, shape) -> its TensorType: a type is immutable, so the outputs of element-wise
#: nodes share one per kind instead of each making (and normalising) its own.
_TYPES: dict[tuple, TensorType] = {}


def _tensor_type(dtype: str, shape: tuple) -> TensorType:
    key = (dtype, shape)
    hit = _TYPES.get(key)
    if hit is None:
        hit = TensorType(dtype, shape)
        if len(_TYPES) < 4096:
            _TYPES[key] = hit
    return hit


class Elemwise(Op):
    """Apply ``scalar_op`` element by element, broadcasting the inputs (NumPy rules)."""

    __props__ = ("scalar_op",)

    def __init__(self, scalar_op: ScalarOp):
        self.scalar_op = scalar_op
        self._freeze()

    def __str__(self) -> str:
        return str(self.scalar_op)

    @property
    def nin(self) -> int:
        return self.scalar_op.nin

    def make_node(self, *inputs: Any) -> Apply:
        nin = self.scalar_op.nin
        if (nin == -1 and len(inputs) < 1) or (nin != -1 and len(inputs) != nin):
            want = "at least 1" if nin == -1 else str(nin)
            raise TypeError(f"{self} takes {want} input(s), got {len(inputs)}")
        operands = as_operands(inputs)
        dtypes = tuple(v.dtype for v in operands)
        shapes = [v.type.shape for v in operands]
        shape = _same_shape(shapes)
        if shape is None:  # the general case (the message is made only here)
            shape = broadcast_shapes(shapes, f"the inputs of {self}")
        return Apply(self, operands, [_tensor_type(output_dtype(self.scalar_op, dtypes), shape)])

    def perform(self, node: Apply, inputs: list[Any]) -> list[Any]:
        out = self.scalar_op.compute(*inputs)
        dtype = node.outputs[0].dtype
        out = np.asarray(out)
        if out.dtype.name != dtype:
            out = out.astype(dtype)
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        from aesara_cas.tensor.shape import broadcast_symbolic_shapes

        return [broadcast_symbolic_shapes(input_shapes, [i.type.shape for i in node.inputs])]

    def L_op(self, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
        """Gradients of the inputs (vector-Jacobian product); see ``scalar_grad``."""
        from aesara_cas.tensor.scalar_grad import elemwise_L_op

        return elemwise_L_op(self, node, inputs, outputs, output_grads)

    def R_op(self, node: Apply, inputs: list, eval_points: list) -> list:
        """Tangent of the output (Jacobian-vector product); see ``scalar_grad``."""
        from aesara_cas.tensor.scalar_grad import elemwise_R_op

        return elemwise_R_op(self, node, inputs, eval_points)


def _elemwise(name: str) -> Elemwise:
    op = Elemwise(SCALAR_OPS[name])
    return op


add = _elemwise("add")
sub = _elemwise("sub")
mul = _elemwise("mul")
true_div = _elemwise("true_div")
int_div = _elemwise("int_div")
mod = _elemwise("mod")
pow = _elemwise("pow")
neg = _elemwise("neg")
abs = _elemwise("abs")
exp = _elemwise("exp")
exp2 = _elemwise("exp2")
expm1 = _elemwise("expm1")
log = _elemwise("log")
log2 = _elemwise("log2")
log10 = _elemwise("log10")
log1p = _elemwise("log1p")
sqrt = _elemwise("sqrt")
cbrt = _elemwise("cbrt")
sqr = _elemwise("sqr")
sin = _elemwise("sin")
cos = _elemwise("cos")
tan = _elemwise("tan")
arcsin = _elemwise("arcsin")
arccos = _elemwise("arccos")
arctan = _elemwise("arctan")
arctan2 = _elemwise("arctan2")
hypot = _elemwise("hypot")
sinh = _elemwise("sinh")
cosh = _elemwise("cosh")
tanh = _elemwise("tanh")
arcsinh = _elemwise("arcsinh")
arccosh = _elemwise("arccosh")
arctanh = _elemwise("arctanh")
sigmoid = _elemwise("sigmoid")
softplus = _elemwise("softplus")
log1mexp = _elemwise("log1mexp")
erf = _elemwise("erf")
erfc = _elemwise("erfc")
erfcx = _elemwise("erfcx")
gamma = _elemwise("gamma")
gammaln = _elemwise("gammaln")
digamma = _elemwise("digamma")
polygamma = _elemwise("polygamma")
xlogy = _elemwise("xlogy")
maximum = _elemwise("maximum")
minimum = _elemwise("minimum")
lt = _elemwise("lt")
le = _elemwise("le")
gt = _elemwise("gt")
ge = _elemwise("ge")
eq = _elemwise("eq")
neq = _elemwise("neq")
and_ = _elemwise("and_")
or_ = _elemwise("or_")
invert = _elemwise("invert")
switch = _elemwise("switch")
clip = _elemwise("clip")
floor = _elemwise("floor")
ceil = _elemwise("ceil")
sign = _elemwise("sign")
isnan = _elemwise("isnan")
isinf = _elemwise("isinf")

where = switch
log1pexp = softplus

#: Every element-wise op by scalar name.
ELEMWISE_OPS: dict[str, Elemwise] = {
    name: obj for name, obj in dict(globals()).items()
    if isinstance(obj, Elemwise) and obj.scalar_op.name == name
}


def cast(x: Any, dtype: Any) -> Variable:
    """``x`` converted to ``dtype`` (like ``ndarray.astype``); a no-op if already so."""
    x = as_tensor_variable(x)
    op = Elemwise(Cast(dtype))
    if x.dtype == op.scalar_op.dtype:
        return x
    return op(x)
