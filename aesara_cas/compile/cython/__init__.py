"""The Cython backend (in progress): until it lands, compiled mode runs the NumPy VM."""

from aesara_cas.compile.vm import NumPyProgram as CythonProgram

__all__ = ["CythonProgram"]
