"""Compilation: ``function``, shared variables, the NumPy VM and the Cython backend."""

from aesara_cas.compile.function import Function, function
from aesara_cas.compile.shared import SharedVariable, shared

__all__ = ["Function", "SharedVariable", "function", "shared"]
