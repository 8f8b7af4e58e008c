"""aesara_cas: define, rewrite, differentiate and compile expressions over NumPy arrays.

>>> import aesara_cas as ac
>>> from aesara_cas import tensor as at
>>> a, b = at.dscalar("a"), at.dscalar("b")
>>> f = ac.function([a, b], a + b)
>>> float(f(1.5, 2.5))
4.0
"""

from aesara_cas import tensor
from aesara_cas.compile.function import Function, function
from aesara_cas.compile.shared import SharedVariable, shared
from aesara_cas.dot import to_dot
from aesara_cas.gradient import grad, hessian, jacobian, jvp
from aesara_cas.gradient_check import verify_grad
from aesara_cas.graph.fg import FunctionGraph
from aesara_cas.ifelse import ifelse
from aesara_cas.latex import latex
from aesara_cas.logic.mirror import etuplize
from aesara_cas.logprob import logprob
from aesara_cas.printing import dprint, pprint
from aesara_cas.random import RandomStream
from aesara_cas.rewriting import rule, simplify, wild
from aesara_cas.scan import map, scan
from aesara_cas.sympy_bridge import from_sympy, to_sympy

__version__ = "0.1.0"

__all__ = [
    "Function", "FunctionGraph", "SharedVariable", "dprint", "function", "pprint",
    "shared", "tensor",
    "grad", "hessian", "jacobian", "jvp", "verify_grad",
    "etuplize", "rule", "simplify", "wild",
    "RandomStream", "ifelse", "logprob", "map", "scan",
    "from_sympy", "latex", "to_dot", "to_sympy",
]
