"""Packaging: the metadata is in setup.cfg; this file adds one build step.

``build_py`` also builds the kernel interpreter (``aesara_cas.compile.cython``'s
``_interp_prebuilt`` module and its ``.json`` description, see
``aesara_cas/compile/cython/interp_prebuilt.py``) with the module cache's own build
pipeline, into the wheel's package directory, or into the source tree for an
editable install.  It never fails the install: without a C compiler or on any error
it prints one warning line and the interpreter is built into the cache at first use
instead, as it would be without this step.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PACKAGE_DIR = Path("aesara_cas", "compile", "cython")
#: The packaged interpreter's files start with this (``interp_prebuilt.STEM``).
STEM = "_interp_prebuilt"

# Run in a child process (an error there, even a crash, cannot stop the install) with
# the build environment's Python, which has NumPy and Cython (pyproject.toml) but not
# the other requirements: the generator needs only NumPy, so every aesara_cas package
# is made an empty one (its __init__, which imports everything, does not run) and
# only the modules the generator imports are loaded, all from this source tree (never
# from an installed copy).
_CHILD = """
import importlib.machinery, importlib.util, os, sys

root, target = sys.argv[1], sys.argv[2]


class SourceTree:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] != "aesara_cas":
            return None
        where = os.path.join(root, *name.split("."))
        if os.path.isfile(os.path.join(where, "__init__.py")):
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations = [where]
            return spec
        if os.path.isfile(where + ".py"):
            return importlib.util.spec_from_file_location(name, where + ".py")
        raise ModuleNotFoundError(f"no module named {name!r} in {root}", name=name)


sys.meta_path.insert(0, SourceTree)
try:
    from aesara_cas.compile.cython import interp_prebuilt

    if target == "-":  # the source's digest only (the tests compare it with the package's)
        from aesara_cas.compile.cython import interp

        print(interp_prebuilt.source_digest(interp.tables().text))
    else:
        interp_prebuilt.build_into(target)
except Exception as err:
    # The parent shows the last line: the error's first line.
    lines = str(err).strip().splitlines() or [""]
    sys.exit(f"{type(err).__name__}: {lines[0]}")
"""


def run_child(target: str) -> subprocess.CompletedProcess:
    """The child process building the interpreter into ``target`` (``"-"``: printing
    the SHA-256 of its source instead)."""
    return subprocess.run([sys.executable, "-c", _CHILD, str(HERE), target],
                          capture_output=True, text=True, timeout=900)


def build_interpreter(target: Path) -> bool:
    """Build the packaged interpreter into ``target``; False (and one warning line on
    stderr) if it could not be built."""
    # What an earlier build left there goes first: the result is this build's or none.
    for old in target.glob(STEM + "*"):
        old.unlink()
    try:
        proc = run_child(str(target))
        if proc.returncode == 0:
            return True
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        why = lines[-1] if lines else f"exit status {proc.returncode}"
    except (OSError, subprocess.SubprocessError) as err:
        why = f"{type(err).__name__}: {err}"
    print(f"warning: aesara_cas: the kernel interpreter was not built at install ({why[:300]});"
          " it will be built into the compile cache at first use", file=sys.stderr)
    return False


class BuildPyWithInterpreter(build_py):
    """``build_py``, then the packaged interpreter (next to the package's modules)."""

    def run(self) -> None:
        super().run()
        if os.environ.get("AESARA_CAS_NO_PREBUILT", "").strip() not in ("", "0"):
            print("aesara_cas: AESARA_CAS_NO_PREBUILT is set: the kernel interpreter is not "
                  "built at install", file=sys.stderr)
            return
        # An editable install imports the package from the source tree.
        base = HERE if getattr(self, "editable_mode", False) else Path(self.build_lib)
        target = base / PACKAGE_DIR
        target.mkdir(parents=True, exist_ok=True)
        build_interpreter(target)


class PlatformDistribution(Distribution):
    """The wheel holds a native module: tag it for this platform and Python."""

    def has_ext_modules(self) -> bool:
        return True


if __name__ == "__main__":  # (setuptools runs this file as __main__; tests import it)
    setup(cmdclass={"build_py": BuildPyWithInterpreter}, distclass=PlatformDistribution)
