"""What every kernel emitter shares: the :class:`Kernel` it returns and the
:class:`KernelContext` telling it where the plan keeps each value."""

from __future__ import annotations

from dataclasses import dataclass

from aesara_cas.compile.cython.lower import Plan
from aesara_cas.graph.basic import Variable

POW_ERROR = "Integers to negative integer powers are not allowed."


@dataclass
class Kernel:
    """C text of one step, and its Cython declaration."""

    c: str
    decl: str


class KernelContext:
    """What emitters need to know about the plan: where each value lives."""

    def __init__(self, plan: Plan):
        self.plan = plan

    def frame(self, var: Variable) -> str:
        """A C expression for a frame scalar or a scalar literal."""
        where = self.plan.storage[var]
        if where[0] == "scalar":
            return f"F->s{where[1]}"
        if where[0] == "const":
            return where[1]
        raise AssertionError(f"{var} is not a scalar")

    def is_array(self, var: Variable) -> bool:
        return self.plan.storage[var][0] in ("array", "cslot")


def err_check(call: str) -> str:
    return (
        f"    PyObject *r = {call};\n"
        f"    if (r != NULL && F->err) {{\n"
        f"        Py_DECREF(r); F->err = 0;\n"
        f"        PyErr_SetString(PyExc_ValueError, \"{POW_ERROR}\");\n"
        f"        return NULL;\n    }}\n    return r;\n"
    )
