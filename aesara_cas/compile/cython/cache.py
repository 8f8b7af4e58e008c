"""The on-disk cache of built modules.

Layout: ``<root>/<key[:2]>/<key>/`` holds the module file and ``meta.json`` (its
size and SHA-256); ``<root>/locks/<key>.lock`` is that entry's lock.  The root is
``$AESARA_CAS_CACHE_DIR`` or ``$XDG_CACHE_HOME/aesara_cas`` (``~/.cache/...``),
created private (0700).

The key hashes the generated source together with everything that changes the
machine code: the runtime header, the compiler and its flags, the CPU's features
and the Python / NumPy / Cython versions.

Concurrency: an entry is built in a temporary directory and renamed into place,
under a lock of its own (not a global one), so two processes building the same
module both succeed (the second finds the first's result) and readers never see
half-written files.  A missing, truncated or corrupt entry is rebuilt.
"""

from __future__ import annotations

import argparse
import contextlib
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

logger = logging.getLogger("aesara_cas.compile")

#: A build slower than this says so in a log line (the user should know why they wait).
SLOW_BUILD_SECONDS = 1.0

_loaded: dict[str, ModuleType] = {}
_loaded_lock = threading.Lock()
_identity: str | None = None


def cache_root() -> Path:
    """The cache directory (created, mode 0700)."""
    env = os.environ.get("AESARA_CAS_CACHE_DIR")
    if env:
        root = Path(env).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = Path(base) / "aesara_cas"
    if not root.is_dir():
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(root, 0o700)
    return root


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


def build_identity() -> str:
    """Everything besides the source that decides the built module (computed once)."""
    global _identity
    if _identity is None:
        import Cython

        cc = build.find_compiler()
        _identity = "\n".join([
            " ".join(cc), _compiler_version(cc), " ".join(build.flags()), _cpu_features(),
            build.python_identity(), np.__version__, Cython.__version__, platform.machine(),
            build.runtime_text(),
        ])
    return _identity


def cache_key(text: str) -> str:
    h = hashlib.sha256()
    h.update(build_identity().encode())
    h.update(b"\0")
    h.update(text.encode())
    return h.hexdigest()


def _entry(root: Path, key: str) -> Path:
    return root / key[:2] / key


def _module_name(key: str) -> str:
    return f"acmod_{key[:40]}"


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _valid(entry: Path, name: str) -> Path | None:
    """The module file of ``entry`` if it is complete and intact."""
    try:
        meta = json.loads((entry / "meta.json").read_text())
        path = entry / meta["file"]
        if meta.get("module") != name or path.stat().st_size != meta["size"]:
            return None
        if _file_digest(path) != meta["sha256"]:
            return None
        return path
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def _lock(root: Path, key: str):
    """An exclusive lock on one cache entry, across processes."""
    locks = root / "locks"
    locks.mkdir(mode=0o700, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: rename alone keeps entries whole
        yield
        return
    with open(locks / f"{key}.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _import(name: str, path: Path) -> ModuleType:
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, str(path), loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules[name] = module
    return module


def _build_entry(root: Path, key: str, name: str, text: str) -> Path:
    entry = _entry(root, key)
    entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key[:16]}-", dir=entry.parent))
    try:
        start = time.perf_counter()
        path = build.build(text, name, tmp)
        seconds = time.perf_counter() - start
        meta = {"module": name, "file": path.name, "size": path.stat().st_size,
                "sha256": _file_digest(path), "build_seconds": round(seconds, 3)}
        for extra in tmp.iterdir():
            if extra != path:
                extra.unlink()
        (tmp / "meta.json").write_text(json.dumps(meta))
        if entry.exists():  # a corrupt entry: move it aside, then replace it
            trash = Path(tempfile.mkdtemp(prefix=".trash-", dir=entry.parent))
            os.rename(entry, trash / "old")
            shutil.rmtree(trash, ignore_errors=True)
        os.rename(tmp, entry)
        if seconds > SLOW_BUILD_SECONDS:
            logger.warning("aesara_cas: compiling a function took %.1f s (cached in %s; "
                           "the next load is fast)", seconds, entry)
        return entry / meta["file"]
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def load_module(text: str) -> ModuleType:
    """The built module for ``text``: from memory, from disk, or built now."""
    key = cache_key(text)
    with _loaded_lock:
        module = _loaded.get(key)
        if module is not None:
            return module
        root = cache_root()
        name = _module_name(key)
        path = _valid(_entry(root, key), name)
        module = None
        if path is not None:
            try:
                module = _import(name, path)
            except ImportError:
                module = None
        if module is None:
            with _lock(root, key):
                path = _valid(_entry(root, key), name)
                if path is None:
                    path = _build_entry(root, key, name, text)
                try:
                    module = _import(name, path)
                except ImportError:
                    # Intact by checksum but unloadable (e.g. built by an incompatible
                    # toolchain): rebuild once.
                    path = _build_entry(root, key, name, text)
                    module = _import(name, path)
        _loaded[key] = module
        return module


def info() -> dict:
    """The cache's location, number of modules and size in bytes."""
    root = cache_root()
    entries = 0
    size = 0
    for meta in root.glob("??/*/meta.json"):
        entries += 1
        size += sum(f.stat().st_size for f in meta.parent.iterdir() if f.is_file())
    return {"path": str(root), "entries": entries, "bytes": size}


def clear() -> int:
    """Remove every cached module (processes that loaded one keep it); returns the count."""
    root = cache_root()
    removed = 0
    for meta in list(root.glob("??/*/meta.json")):
        entry = meta.parent
        key = entry.name
        with _lock(root, key):
            shutil.rmtree(entry, ignore_errors=True)
        removed += 1
    for sub in root.iterdir():
        if sub.is_dir() and len(sub.name) == 2:
            shutil.rmtree(sub, ignore_errors=True)
    shutil.rmtree(root / "locks", ignore_errors=True)
    return removed


def cache_command(argv: list[str] | None = None) -> int:
    """``aesara-cas cache info|clear``."""
    parser = argparse.ArgumentParser(prog="aesara-cas cache",
                                     description="Inspect or empty the compiled-module cache.")
    parser.add_argument("action", choices=["info", "clear"])
    args = parser.parse_args(argv)
    if args.action == "info":
        data = info()
        print(f"path: {data['path']}")
        print(f"modules: {data['entries']}")
        print(f"size: {data['bytes'] / 1e6:.1f} MB")
    else:
        n = clear()
        print(f"removed {n} cached module(s) from {cache_root()}")
    return 0
