"""The Cython backend: the default mode of ``ac.function``.

``link(fgraph, "cython")`` lowers the rewritten graph to a kernel plan
(:mod:`.lower`), writes one Cython module for it (:mod:`.kernels` with
:mod:`.elemwise_c` and :mod:`.reduce_c`, :mod:`.wrapper`,
:mod:`.module`), builds or loads it through the on-disk cache (:mod:`.build`,
:mod:`.cache`; its file-system safety in :mod:`.cache_fs`, ``cache info|clear`` in
:mod:`.cache_admin`) and wraps it in a :class:`CythonProgram`.
"""

from aesara_cas.compile.cython.build import CompilerUnavailable
from aesara_cas.compile.cython.cache import CacheError, cache_command, clear, info
from aesara_cas.compile.cython.program import CythonProgram

__all__ = ["CacheError", "CompilerUnavailable", "CythonProgram", "cache_command", "clear",
           "info"]
