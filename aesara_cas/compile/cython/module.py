"""Assemble the full ``.pyx`` text of a plan: C kernels, frame, loaders, steps, outputs.

The text depends only on the graph's structure, dtypes and static shapes (and scalar
constants), never on variable names or ids, so equal graphs give equal sources and
share one cached module.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from aesara_cas.compile.cython import argload, scalar_c
from aesara_cas.compile.cython.build import BIG_MODULE_MARK
from aesara_cas.compile.cython.kernels import describe
from aesara_cas.compile.cython.lower import Plan
from aesara_cas.compile.cython.wrapper import (
    HEADER,
    P_NAME_ERROR,
    P_SHARED,
    P_SINGLE,
    P_UPDATES,
    RUNTIME_DECLS,
    WrapperWriter,
)
from aesara_cas.graph.basic import Variable

#: Steps per generated Cython function (long programs are split into several).
STEPS_PER_FUNCTION = 150
#: A frame field in generated Cython.
_FIELD = re.compile(r"\bF\.s(\d+)\b")
#: Kernel C above which a module counts as big (built at lower optimisation).
BIG_KERNEL_CHARS = 400_000


@dataclass
class ModuleSource:
    """The generated text and the run-time data its state list ``P`` needs."""

    text: str
    consts: list
    perform_nodes: list
    step_labels: list[str]


def _indent(lines: list[str], n: int = 4) -> str:
    pad = " " * n
    return "".join(pad + line + "\n" for line in lines)


def _frame_struct(plan: Plan, pyx_lines: list[str]) -> tuple[str, str]:
    """The frame struct in C, and its Cython declaration with only the fields the
    Cython lines ``pyx_lines`` use (Cython's time grows with every declared field;
    most frame values only ever meet C: the argument tables and the kernels)."""
    fields = [f"{scalar_c.CTYPES[v.dtype]} s{i};" for i, v in enumerate(plan.scalars)]
    c = "typedef struct {\n    int err;\n    int step;\n" + "".join(
        f"    {f}\n" for f in fields) + "} ac_frame;\n"
    used = sorted({int(m) for line in pyx_lines for m in _FIELD.findall(line)})
    pyx = "    ctypedef struct ac_frame:\n        int err\n        int step\n" + "".join(
        f"        {scalar_c.CTYPES[plan.scalars[i].dtype]} s{i}\n" for i in used)
    return c, pyx


def _output_exprs(plan: Plan, writer: WrapperWriter) -> list[str]:
    exprs = []
    used: set[Variable] = set()
    for var in plan.fgraph.outputs:
        where = plan.storage[var]
        if where[0] == "scalar" or where[0] == "array" and var in writer.fresh and var not in used:
            exprs.append(writer.obj(var))
        else:
            exprs.append(f"ac_copy({writer.obj(var)})")
        used.add(var)
    return exprs


def generate(plan: Plan) -> ModuleSource:
    """The module text for ``plan`` and the data its state list ``P`` takes."""
    writer = WrapperWriter(plan)
    steps = writer.step_lines()
    out_exprs = _output_exprs(plan, writer)
    frame_c, frame_pyx = _frame_struct(plan, [ln for step in steps for ln in step] + out_exprs)
    n_args = len(plan.fgraph.inputs) - _n_shared(plan)
    n_slots = plan.n_slots

    defines = ["#define AC_USE_BLAS 1"] if writer.uses_blas else []
    defines += [f"#define {d} 1" for d in _mvec_defines()]
    # The kernels and the scalar helpers they inline are optimised harder than
    # Cython's glue around them (build.CFLAGS is -O1): most of a module's C is glue.
    # (The runtime's drivers switch themselves back to O1: see ac_runtime.h.)
    # Huge modules (thousands of nodes) trade kernel speed for build time: gcc's
    # time grows with the C size, and O3 on megabytes of kernels takes minutes.
    kernel_chars = sum(len(c) for c in writer.c_parts)
    big = kernel_chars > BIG_KERNEL_CHARS
    level = "O1" if big else "O3"
    defines += ["#pragma GCC push_options", f'#pragma GCC optimize ("{level}")']
    parts = [BIG_MODULE_MARK + HEADER if big else HEADER]
    parts.append('cdef extern from *:\n    """\n' + "\n".join(defines) + '\n    """\n')
    parts.append(RUNTIME_DECLS)
    if writer.uses_blas:
        parts.append("    int ac_blas_init(object capi) except -1\n")
    c_text = (frame_c + argload.tables(plan) + argload.C_HELPERS + "".join(writer.c_parts)
              + "#pragma GCC pop_options\n")
    parts.append(
        'cdef extern from *:\n    """\n' + c_text.replace("\\", "\\\\") + '    """\n'
        + frame_pyx
        + "".join(f"    {d}\n" for d in argload.PYX_DECLS + writer.decls)
    )
    parts.append("\n_import_array()\n")
    if writer.uses_blas:
        parts.append(
            "import scipy.linalg.cython_blas as _cython_blas\n"
            "ac_blas_init(_cython_blas.__pyx_capi__)\n"
        )
    parts.append(argload.loader(n_args, len(plan.fgraph.inputs)))
    chunks = [steps[i:i + STEPS_PER_FUNCTION] for i in range(0, len(steps), STEPS_PER_FUNCTION)]
    for c, chunk in enumerate(chunks):
        body = [line for step in chunk for line in step]
        parts.append(
            f"\ncdef int _core_{c}(list P, ac_frame *F, list S) except -1:\n"
            + _indent(body) + "    return 0\n"
        )
    parts.append(
        "\ncdef int _core(list P, ac_frame *F, list S) except -1:\n"
        + _indent([f"_core_{c}(P, F, S)" for c in range(len(chunks))] or ["pass"])
        + "    ac_set_step(-1)\n    return 0\n"
    )
    parts.append(
        "\ncdef list _outputs(list P, ac_frame *F, list S):\n"
        + f"    return [{', '.join(out_exprs)}]\n"
    )
    parts.append(
        "\ndef run(list P, list values):\n"
        "    \"\"\"Outputs then update values, for input values then shared values.\"\"\"\n"
        "    cdef ac_frame F\n"
        "    F.err = 0\n"
        f"    cdef list S = [None] * {n_slots}\n"
        "    _load(P, &F, S, values)\n"
        "    ac_set_step(-1)\n"
        "    _core(P, &F, S)\n"
        "    return _outputs(P, &F, S)\n"
    )
    fast_single = ""
    if len(out_exprs) == 1:
        fast_single = (
            f"    if P[{P_SINGLE}] and not P[{P_UPDATES}]:\n"
            f"        return {out_exprs[0].replace('F.', 'F.')}\n"
        )
    parts.append(
        "\ndef call(self, *args, **kwargs):\n"
        "    cdef list P = self._ac_state\n"
        "    cdef ac_frame F\n"
        "    F.err = 0\n"
        "    ac_set_step(-1)\n"
        f"    cdef list S = [None] * {n_slots}\n"
        f"    if kwargs or len(args) != {n_args}:\n"
        f"        _load(P, &F, S, list(self._bind(args, kwargs)) + [c[0] for c in P[{P_SHARED}]])\n"
        "    else:\n"
        "        _load_args(P, &F, S, args)\n"
        "    try:\n"
        "        _core(P, &F, S)\n"
        "    except (ValueError, TypeError, IndexError) as err:\n"
        f"        P[{P_NAME_ERROR}](err, ac_get_step(), S, args, kwargs)\n"
        "        raise\n"
        + fast_single
        + "    cdef list vals = _outputs(P, &F, S)\n"
        f"    cdef list upd = P[{P_UPDATES}]\n"
        "    cdef Py_ssize_t n_out = len(vals) - len(upd)\n"
        "    for j in range(len(upd)):\n"
        "        upd[j][0] = vals[n_out + j]\n"
        f"    if P[{P_SINGLE}]:\n"
        "        return vals[0]\n"
        "    return vals[:n_out]\n"
        "\ndef last_step():\n"
        "    return ac_get_step()\n"
        "\ndef profile_attach(Py_ssize_t times, Py_ssize_t counts, int n):\n"
        "    \"\"\"Charge step times to the buffers at these addresses (0: stop).\"\"\"\n"
        "    ac_profile_attach(<double *>times, <long long *>counts, n if times else 0)\n"
        "\ndef make_method():\n"
        "    \"\"\"``call`` as a method descriptor, for a class's ``__call__``.\"\"\"\n"
        "    return ac_make_method(call)\n"
    )
    text = "".join(parts)
    labels = [describe(step.node) for step in plan.steps]
    consts = [v.data for v in plan.consts]
    return ModuleSource(text, consts, writer.perform_nodes(), labels)


def _n_shared(plan: Plan) -> int:
    return sum(1 for v in plan.fgraph.inputs if getattr(v, "is_shared", False))


_MVEC: list[str] | None = None


def _mvec_defines() -> list[str]:
    """Which libmvec declarations this glibc supports (2.22: exp/log/sin/cos/pow;
    2.35: the rest).  Off elsewhere (macOS, musl) and with AESARA_CAS_NO_MVEC."""
    global _MVEC
    if _MVEC is None:
        _MVEC = []
        try:
            name, version = os.confstr("CS_GNU_LIBC_VERSION").split()
            major, minor = (int(x) for x in version.split(".")[:2])
        except (ValueError, OSError, AttributeError):
            name, major, minor = "", 0, 0
        if name == "glibc" and not os.environ.get("AESARA_CAS_NO_MVEC"):
            if (major, minor) >= (2, 35):
                _MVEC = ["AC_MVEC_BASIC", "AC_MVEC_FULL"]
            elif (major, minor) >= (2, 22):
                _MVEC = ["AC_MVEC_BASIC"]
    return _MVEC
