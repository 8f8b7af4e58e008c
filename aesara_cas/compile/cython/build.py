"""Turn generated ``.pyx`` text into an extension module file.

Cython runs in this process (its command-line tool costs about a second per call;
in-process it is tens of milliseconds after the first); the C compiler runs once
per module.  Flags: ``-O1`` for Cython's glue, ``O3`` (a pragma in the source) for
the runtime and kernels (``-O0`` and ``O1`` for huge modules, see
``BIG_MODULE_MARK``), ``-fno-math-errno`` and OpenMP so loops call glibc's vector
math (libmvec) and run on several cores, ``-fwrapv`` for NumPy's wrap-around integer
arithmetic and ``-ffp-contract=off`` so ``a*b + c`` rounds
like NumPy.  Never ``-ffast-math``: it breaks NaN and infinity.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path

import numpy as np

RUNTIME_DIR = Path(__file__).resolve().parent
RUNTIME_HEADERS = ("ac_runtime.h", "ac_reduce.h", "ac_blas.h")


def runtime_text() -> str:
    """The C runtime every module includes (part of the cache key)."""
    return "".join((RUNTIME_DIR / name).read_text() for name in RUNTIME_HEADERS)

CFLAGS = [
    "-O1", "-fPIC", "-shared",
    "-fwrapv", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off",
    "-fopenmp", "-fno-semantic-interposition", "-w",
]
_cython_lock = threading.Lock()


class CompilerUnavailable(RuntimeError):
    """The default (compiled) mode cannot build modules on this machine."""


def _hint() -> str:
    return (
        "The default mode of aesara_cas.function compiles graphs with Cython and a C "
        "compiler. Install one (e.g. `apt-get install gcc`), or pass mode=\"numpy\" to "
        "run the graph with NumPy alone."
    )


def find_compiler() -> list[str]:
    """The C compiler command (``$CC``, Python's configured compiler, cc or gcc)."""
    candidates = []
    if os.environ.get("CC"):
        candidates.append(os.environ["CC"])
    configured = sysconfig.get_config_var("CC")
    if configured:
        candidates.append(configured)
    candidates += ["cc", "gcc", "clang"]
    for cand in candidates:
        parts = shlex.split(cand)
        if parts and shutil.which(parts[0]):
            return parts
    raise CompilerUnavailable(f"No C compiler was found (looked for {', '.join(candidates)}). "
                              + _hint())


def march_flags() -> list[str]:
    """Tune for this CPU unless AESARA_CAS_PORTABLE is set (the CPU is in the cache key)."""
    if os.environ.get("AESARA_CAS_PORTABLE"):
        return []
    return ["-march=native"]


def libraries() -> list[str]:
    from aesara_cas.compile.cython.module import _mvec_defines

    return (["-lmvec"] if _mvec_defines() else []) + ["-lm"]


def flags() -> list[str]:
    """Everything that changes the machine code, for the cache key."""
    return CFLAGS + march_flags() + libraries()


def cythonize(pyx: Path, module_name: str) -> Path:
    """Run Cython in this process; returns the ``.c`` path."""
    try:
        from Cython.Compiler.Main import CompilationOptions, compile_single, default_options
    except ImportError as err:
        raise CompilerUnavailable("Cython is not installed. " + _hint()) from err
    # Messages go to a listing file next to the source, not to sys.stderr: builds run on
    # background threads too, and swapping sys.stdout/stderr would swallow what other
    # threads print meanwhile.
    options = CompilationOptions(default_options, language_level=3, errors_to_stderr=False,
                                 use_listing_file=True)
    with _cython_lock:
        result = compile_single(str(pyx), options, full_module_name=module_name)
    if result.num_errors:
        listing = Path(result.listing_file or pyx.with_suffix(".lis"))
        log = listing.read_text() if listing.exists() else ""
        raise RuntimeError(
            f"internal error: Cython rejected the generated module {pyx}:\n{log[-4000:]}"
        )
    return Path(result.c_file)


#: First line of a module too big to optimise fully (written by ``module.py``): its
#: Cython glue is built at -O0 and its kernels at O1, which cuts gcc's time about
#: threefold on graphs of thousands of nodes.
BIG_MODULE_MARK = "# aesara_cas: big module\n"


def compile_c(c_file: Path, out: Path, big: bool = False) -> None:
    """Compile and link ``c_file`` into the extension module ``out`` (``big``: see
    ``BIG_MODULE_MARK``)."""
    cc = find_compiler()
    cflags = ["-O0" if f == "-O1" else f for f in CFLAGS] if big else CFLAGS
    cmd = [
        *cc, *cflags, *march_flags(),
        f"-I{sysconfig.get_paths()['include']}", f"-I{np.get_include()}", f"-I{RUNTIME_DIR}",
        str(c_file), "-o", str(out), *libraries(),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as err:
        raise CompilerUnavailable(
            f"Could not run the C compiler {cc[0]}: {err}. " + _hint()) from err
    if proc.returncode != 0:
        raise RuntimeError(
            f"internal error: the C compiler failed on {c_file} (exit {proc.returncode}):\n"
            f"{' '.join(cmd)}\n{proc.stderr[-4000:]}"
        )


def build(text: str, module_name: str, workdir: Path) -> Path:
    """Build the module ``module_name`` from ``text`` inside ``workdir``; returns the file."""
    pyx = workdir / f"{module_name}.pyx"
    pyx.write_text(text)
    c_file = cythonize(pyx, module_name)
    out = workdir / f"{module_name}{sysconfig.get_config_var('EXT_SUFFIX') or '.so'}"
    compile_c(c_file, out, big=text.startswith(BIG_MODULE_MARK))
    return out


def python_identity() -> str:
    return f"{sys.version} {sys.implementation.cache_tag} {sysconfig.get_config_var('EXT_SUFFIX')}"
