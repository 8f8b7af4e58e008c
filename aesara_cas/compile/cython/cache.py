"""The on-disk cache of built modules.

Layout: ``<root>/<key[:2]>/<key>/`` holds the module file and ``meta.json`` (its
name, size and SHA-256); ``<root>/locks/<key>.lock`` is that entry's lock.  The root
is ``$AESARA_CAS_CACHE_DIR`` or ``$XDG_CACHE_HOME/aesara_cas`` (``~/.cache/...``),
created private (0700); it is used only if it is the user's own and private, and
nothing below it is followed through a symbolic link (see :mod:`.cache_fs`).

The key hashes the generated source together with everything that changes the
machine code: the runtime header, the compiler and its flags, the CPU's features
and the Python / NumPy / Cython versions.

Concurrency: an entry is built in a temporary directory and renamed into place,
under a lock of its own (a file lock across processes, a thread lock within one;
never a global one, so loading a cached module never waits for another module's
build), so two processes building the same module both succeed (the second finds
the first's result) and readers never see half-written files.  A missing, truncated
or corrupt entry is rebuilt; if this process already tried to load the entry's file,
the rebuilt module gets a fresh name and file (the dynamic loader would return the
library it opened before).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from aesara_cas.compile.cython import build
from aesara_cas.compile.cython.cache_admin import cache_command, clear, info
from aesara_cas.compile.cython.cache_fs import (
    META,
    TMP_PREFIX,
    CacheError,
    cache_root,
    check_dir,
    entry_lock,
    entry_module,
    error,
    file_digest,
    lstat_or_none,
    module_file,
    module_name,
    private_dir,
)

logger = logging.getLogger("aesara_cas.compile")

#: A build slower than this says so in a log line (the user should know why they wait).
SLOW_BUILD_SECONDS = 1.0

__all__ = ["CacheError", "cache_command", "cache_key", "cache_root", "clear", "info",
           "load_module"]

_loaded: dict[str, ModuleType] = {}
#: One thread lock per key (so a build blocks only loads of the same module) and the
#: short-lived lock that guards this table.
_key_locks: dict[str, threading.Lock] = {}
_key_locks_guard = threading.Lock()
#: Module files whose import failed in this process: the dynamic loader may hold them.
_failed_paths: set[str] = set()
_identity: str | None = None
_machine: str | None = None


def _cpu_features() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    return " ".join(sorted(line.split(":", 1)[1].split()))
    except OSError:
        pass
    return f"{platform.machine()} {platform.processor()}"


def _compiler_version(cc: list[str]) -> str:
    """The compiler binary's identity (path, size, mtime): an upgrade changes it.
    Cheaper than running ``cc --version`` on every warm load."""
    path = shutil.which(cc[0])
    if path is None:
        return ""
    real = os.path.realpath(path)
    st = os.stat(real)
    return f"{real} {st.st_size} {st.st_mtime_ns}"


def machine_identity() -> str:
    """What decides a built module's machine code besides its source and the NumPy and
    Cython versions: the compiler (path, size, mtime) and its flags, the CPU's
    features, the Python ABI, the machine and the C runtime headers (computed once).
    The packaged interpreter (:mod:`.interp_prebuilt`) is checked against it."""
    global _machine
    if _machine is None:
        _machine = "\n".join(_machine_parts())
    return _machine


def _machine_parts() -> list[str]:
    cc = build.find_compiler()
    return [" ".join(cc), _compiler_version(cc), " ".join(build.flags()), _cpu_features(),
            build.python_identity(), platform.machine(), build.runtime_text()]


def build_identity() -> str:
    """Everything besides the source that decides the built module (computed once):
    :func:`machine_identity` and the NumPy and Cython versions."""
    global _identity
    if _identity is None:
        import Cython

        parts = _machine_parts()
        # (The versions keep the place they always had in the key: caches stay valid.)
        parts[5:5] = [np.__version__, Cython.__version__]
        _identity = "\n".join(parts)
    return _identity


def cache_key(text: str) -> str:
    h = hashlib.sha256()
    h.update(build_identity().encode())
    h.update(b"\0")
    h.update(text.encode())
    return h.hexdigest()


def import_file(name: str, path: Path) -> ModuleType:
    """Import the extension module ``name`` from the file ``path`` (no search)."""
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, str(path), loader=loader)
    try:
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except ImportError:
        _failed_paths.add(str(path))
        raise
    sys.modules[name] = module
    return module


def _try_import(found: tuple[str, Path] | None) -> ModuleType | None:
    if found is None or str(found[1]) in _failed_paths:
        return None
    try:
        return import_file(*found)
    except ImportError:
        # Intact by checksum but unloadable (e.g. built by an incompatible toolchain,
        # or not the module it claims to be): rebuilt by the caller.
        return None


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _build_entry(root: Path, key: str, text: str) -> tuple[str, Path]:
    """Build ``key``'s module in a temporary directory and rename it into place (the
    caller holds the entry's lock).  Returns the module name and file."""
    shard = private_dir(root, root / key[:2])
    entry = shard / key
    name = module_name(key)
    if str(entry / module_file(name)) in _failed_paths:
        name = module_name(key, fresh=True)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{key}-", dir=shard))
    except OSError as err:
        raise error(root, shard, f"is not writable ({err.strerror})") from None
    try:
        start = time.perf_counter()
        path = build.build(text, name, tmp)
        seconds = time.perf_counter() - start
        size = path.stat().st_size
        meta = {"module": name, "file": path.name, "size": size,
                "sha256": file_digest(path, size), "build_seconds": round(seconds, 3)}
        for extra in tmp.iterdir():
            if extra != path:
                extra.unlink()
        _write_new(tmp / META, json.dumps(meta).encode())
        if lstat_or_none(entry) is not None:  # a damaged entry: move it aside, then drop it
            check_dir(root, entry)
            trash = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{key}-", dir=shard))
            os.rename(entry, trash / "old")
            shutil.rmtree(trash, ignore_errors=True)
        os.rename(tmp, entry)
    except OSError as err:
        if isinstance(err, CacheError):
            raise
        raise error(root, getattr(err, "filename", None) or shard,
                    f"cannot be written ({err.strerror})") from None
    finally:
        if os.path.lexists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    if seconds > SLOW_BUILD_SECONDS:
        logger.warning("aesara_cas: compiling a function took %.1f s (cached in %s; "
                       "the next load is fast)", seconds, entry)
    return name, entry / path.name


def _forget_locks_in_child() -> None:
    """A forked child starts with fresh thread locks (another thread of the parent may
    have held one at the fork, and that thread does not exist in the child)."""
    global _key_locks, _key_locks_guard
    _key_locks = {}
    _key_locks_guard = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


def _key_lock(key: str) -> threading.Lock:
    with _key_locks_guard:
        lock = _key_locks.get(key)
        if lock is None:
            lock = _key_locks[key] = threading.Lock()
        return lock


def load_module(text: str) -> ModuleType:
    """The built module for ``text``: from memory, from disk, or built now.

    Raises :class:`CacheError` if the cache directory cannot be used.
    """
    key = cache_key(text)
    module = _loaded.get(key)
    if module is not None:
        return module
    with _key_lock(key):
        module = _loaded.get(key)
        if module is not None:
            return module
        root = cache_root()
        module = _try_import(entry_module(root, key))
        if module is None:
            with entry_lock(root, key):
                module = _try_import(entry_module(root, key))
                if module is None:
                    module = import_file(*_build_entry(root, key, text))
        _loaded[key] = module
        return module
