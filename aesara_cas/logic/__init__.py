"""The S-expression mirror of graphs: etuplization, unification and reification.

Importing this package registers the ``cons``/``etuples``/``unification``
dispatch for graph objects (see :mod:`aesara_cas.logic.mirror`).
"""

from aesara_cas.logic.build import TermError, build, is_lvar, substitute
from aesara_cas.logic.mirror import (
    constant_equals,
    etuplize,
    normalize_head,
    op_params,
    uniform_value,
)

__all__ = [
    "TermError", "build", "constant_equals", "etuplize", "is_lvar", "normalize_head",
    "op_params", "substitute", "uniform_value",
]
