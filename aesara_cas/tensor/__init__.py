"""The NumPy-like tensor API: types, constructors and operations.

``from aesara_cas import tensor as at`` gives ``at.dvector("x")``, ``at.exp(x)``,
``at.sum(x, axis=0)``, ``at.dot(A, x)`` and the rest of the public contract.
"""

from aesara_cas.tensor.blas import Dot, MatMul, dot, matmul, outer
from aesara_cas.tensor.elemwise import (
    ELEMWISE_OPS, Elemwise, abs, add, and_, arccos, arccosh, arcsin, arcsinh, arctan, arctan2,
    arctanh, cast, ceil, clip, cos, cosh, eq, erf, erfc, exp, exp2, expm1, floor, ge, gt, hypot,
    int_div, invert, isinf, isnan, le, log, log1mexp, log1p, log2, log10, lt, maximum, minimum,
    mod, mul, neg, neq, or_, pow, sigmoid, sign, sin, sinh, softplus, sqr, sqrt, sub, switch, tan,
    tanh, true_div, where,
)
from aesara_cas.tensor.reduction import (
    Reduce, all, any, logsumexp, max, mean, min, prod, sum,
)
from aesara_cas.tensor.scalar import SCALAR_OPS, Cast, ScalarOp
from aesara_cas.tensor.shape import (
    Alloc, DimShuffle, Join, MakeVector, Reshape, Shape, alloc, concatenate, dimshuffle,
    expand_dims, flatten, reshape, shape, squeeze, stack, transpose,
)
from aesara_cas.tensor.subtensor import (
    IncSubtensor, Subtensor, getitem, inc_subtensor, set_subtensor,
)
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import (
    CONSTRUCTORS, TensorConstant, TensorVariable, as_tensor_variable, bmatrix, bscalar,
    btensor3, bvector, constant, dmatrix, dscalar, dtensor3, dvector, fmatrix, fscalar,
    ftensor3, fvector, imatrix, iscalar, itensor3, ivector, lmatrix, lscalar, ltensor3,
    lvector, matrix, scalar, tensor, tensor3, tensor4, vector,
)

__all__ = [name for name in dir() if not name.startswith("_")]
