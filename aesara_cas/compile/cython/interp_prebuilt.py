"""The kernel interpreter built when the package is installed.

``setup.py``'s build step calls :func:`build_into` on the package's own directory
(the wheel's, or the source tree's for an editable install): the interpreter's
source (:func:`.interp.tables`) built by the cache's own pipeline
(:func:`.build.build`: the same Cython options, compiler, flags and libraries), as
``_interp_prebuilt<EXT_SUFFIX>``, beside ``_interp_prebuilt.json`` which records the
SHA-256 of the module file (and its size, inode and times, see ``_same_file``), of
the source and of :func:`.cache.machine_identity` (the compiler, flags,
CPU, Python ABI and C runtime; not the NumPy and Cython versions, which do not
change what the module computes).

At run time :func:`.interp.load` imports that exact file when both digests are this
process's (:func:`check`); otherwise, or if it does not import, the interpreter is
built into the cache as before.  ``AESARA_CAS_NO_PREBUILT=1`` ignores the packaged
module.  Reinstalling the package rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sysconfig
import tempfile
from pathlib import Path

from aesara_cas.compile.cython import build
from aesara_cas.compile.cython.cache_fs import file_digest

#: The module's name in the package (its file name adds the ``EXT_SUFFIX``).
STEM = "_interp_prebuilt"
MODULE = f"aesara_cas.compile.cython.{STEM}"
META_NAME = f"{STEM}.json"
#: A non-empty value other than ``0`` ignores the packaged module.
ENV_VAR = "AESARA_CAS_NO_PREBUILT"
_FORMAT = 1


def file_name() -> str:
    """The module's file name for this Python."""
    return STEM + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def source_digest(text: str) -> str:
    """SHA-256 of the interpreter's source ``text``, as the description records it."""
    return _sha256(text)


def identity_digest() -> str:
    """SHA-256 of what decides the module's machine code besides its source."""
    from aesara_cas.compile.cython import cache

    return _sha256(cache.machine_identity())


def disabled() -> bool:
    """Whether ``AESARA_CAS_NO_PREBUILT`` asks to ignore the packaged module."""
    return os.environ.get(ENV_VAR, "").strip() not in ("", "0")


def build_into(directory: Path | str, text: str | None = None) -> Path:
    """Build the interpreter (source ``text``, by default :func:`.interp.tables`'s)
    into ``directory``, with its description; returns the module file.

    Raises whatever the build raises (:class:`.build.CompilerUnavailable`, a Cython or
    compiler error).  The files appear by renames, the description last.
    """
    if text is None:
        from aesara_cas.compile.cython import interp

        text = interp.tables().text
    directory = Path(directory)
    meta = directory / META_NAME
    target = directory / file_name()
    with tempfile.TemporaryDirectory(prefix="aesara_cas_interp_") as work:
        built = build.build(text, STEM, Path(work))
        # The description goes first and comes back last: never one for another file.
        meta.unlink(missing_ok=True)
        staged = directory / f".{target.name}.tmp"
        shutil.copyfile(built, staged)
        os.replace(staged, target)
    describe(target, text)
    return target


def describe(target: Path, text: str) -> None:
    """Write the description of the module file ``target`` built from ``text`` beside
    it (by a rename: readers never see half of it)."""
    import Cython
    import numpy as np

    size = target.stat().st_size
    info = {
        "format": _FORMAT, "file": target.name, "size": size,
        "sha256": file_digest(target, size), "stat": _stat_record(target),
        "source_sha256": source_digest(text), "identity_sha256": identity_digest(),
        # For people reading the file; not checked (they do not change the results).
        "numpy": np.__version__, "cython": Cython.__version__,
    }
    staged = target.parent / f".{META_NAME}.tmp"
    staged.write_text(json.dumps(info, indent=1) + "\n")
    os.replace(staged, target.parent / META_NAME)


def _stat_record(path: Path) -> list[int] | None:
    """What any change of the plain file ``path`` changes: its size, inode, and its
    modification and status-change times (the kernel sets the latter on every write,
    rename or ``utime``; no tool sets it back); None for anything but a plain file."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return [st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]


def _same_file(path: Path, info: dict) -> bool:
    """Whether ``path`` is the module file ``info`` describes.

    The file lies in the package's own directory, beside the Python modules that are
    run without any check: its digest guards against mistakes (a copy of another
    build, a damaged file), not against someone who can write there.  So while the
    file is the one the install recorded (same inode and times: nothing has written
    to it since), its digest is not computed again (half a millisecond of each new
    process).  A copied install (a wheel's) has other times: the digest is checked.
    """
    size = info.get("size")
    if info.get("file") != path.name or not isinstance(size, int):
        return False
    recorded = info.get("stat")
    if isinstance(recorded, list) and recorded[:1] == [size] and _stat_record(path) == recorded:
        return True
    return file_digest(path, size) == info.get("sha256")


def check(directory: Path | str, text: str) -> tuple[Path | None, str]:
    """The packaged module's file in ``directory`` if it was built from ``text`` for
    this machine, with ``""``; else ``None`` and why it is not used.  Reads the
    description, hashes the source and the machine's identity, and checks the module
    file (its digest, unless it is untouched since the install: see ``_same_file``)."""
    if disabled():
        return None, f"{ENV_VAR} is set"
    directory = Path(directory)
    meta_path = directory / META_NAME
    try:
        info = json.loads(meta_path.read_text())
    except FileNotFoundError:
        return None, (f"none in {directory} (the install did not build it: no C compiler "
                      f"or Cython then, or a failed build; reinstalling builds it)")
    except (OSError, ValueError) as err:
        return None, f"{meta_path} is unreadable ({err})"
    if not isinstance(info, dict) or info.get("format") != _FORMAT:
        return None, f"{meta_path} is not a description this version understands"
    path = directory / file_name()
    if not os.path.exists(path):
        return None, f"{path} is missing"
    if not _same_file(path, info):
        return None, f"{path} is not the file {meta_path} describes"
    reinstall = "; reinstalling the package rebuilds it"
    if info.get("source_sha256") != source_digest(text):
        return None, "built from another version of the interpreter's source" + reinstall
    try:
        identity = identity_digest()
    except build.CompilerUnavailable:
        return None, "no C compiler here to check what it was built for"
    if info.get("identity_sha256") != identity:
        return None, ("built for another compiler, compiler flags, CPU or Python"
                      + reinstall)
    return path, ""
