"""``aesara-cas cache info|clear``: inspect and empty the compile cache.

Only what the cache itself created is counted or removed:

* an *entry* ``<shard>/<key>/`` (``shard`` is ``key[:2]``, ``key`` 64 hex digits) whose
  ``meta.json`` is well formed, whose module file matches its recorded SHA-256, and which
  holds nothing else;
* a *lock file* ``locks/<key>.lock`` (a plain file, removed only while no one holds it);
* a *temporary directory* ``<shard>/.tmp-<key>-<random>`` left by a build that was
  killed, removed only while no build of that key is running (it holds the key's lock).

Everything else (other files, directories, symbolic links, damaged entries) is left
where it is and listed, so pointing the cache at the wrong directory loses nothing.
Shard and ``locks`` directories are removed only when this run emptied them.
``info`` also says whether the kernel interpreter built at install is in use, and
why not if not (see :mod:`.interp_prebuilt`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from aesara_cas.compile.cython.cache_fs import (
    ENV_VAR,
    KEY_RE,
    LOCK_RE,
    LOCKS,
    META,
    SHARD_RE,
    TMP_PREFIX,
    TMP_RE,
    CacheError,
    cache_root,
    entry_lock,
    file_digest,
    read_meta,
)


@dataclass
class _Scan:
    """What is under the cache root, sorted into the cache's own items and the rest."""

    entries: list[tuple[str, Path, int]] = field(default_factory=list)  # key, dir, bytes
    locks: list[tuple[str, Path]] = field(default_factory=list)
    temps: list[tuple[str, Path]] = field(default_factory=list)
    other: list[Path] = field(default_factory=list)


def _entry_size(entry: Path, key: str) -> int | None:
    """Bytes of a recognised entry (None if it is not one the cache made, or damaged)."""
    meta = read_meta(entry, key)
    if meta is None:
        return None
    try:
        names = sorted(os.listdir(entry))
    except OSError:
        return None
    if names != sorted([META, meta["file"]]):
        return None
    if file_digest(entry / meta["file"], meta["size"]) != meta["sha256"]:
        return None
    return sum(os.lstat(entry / n).st_size for n in names)


def _is_dir(path: os.DirEntry) -> bool:
    return path.is_dir(follow_symlinks=False)


def _scan(root: Path) -> _Scan:
    found = _Scan()
    for item in sorted(os.scandir(root), key=lambda e: e.name):
        path = Path(item.path)
        if item.name == LOCKS and _is_dir(item):
            for lock in sorted(os.scandir(path), key=lambda e: e.name):
                m = LOCK_RE.match(lock.name)
                if m and lock.is_file(follow_symlinks=False):
                    found.locks.append((m.group(1), Path(lock.path)))
                else:
                    found.other.append(Path(lock.path))
        elif SHARD_RE.match(item.name) and _is_dir(item):
            children = sorted(os.scandir(path), key=lambda e: e.name)
            if not children:
                found.other.append(path)
            for child in children:
                cpath = Path(child.path)
                name = child.name
                tmp = TMP_RE.match(name)
                if KEY_RE.match(name) and name[:2] == item.name and _is_dir(child):
                    size = _entry_size(cpath, name)
                    if size is not None:
                        found.entries.append((name, cpath, size))
                        continue
                elif tmp and tmp.group(1)[:2] == item.name and _is_dir(child):
                    found.temps.append((tmp.group(1), cpath))
                    continue
                found.other.append(cpath)
        else:
            found.other.append(path)
    return found


def _idle_temps(root: Path, temps: list[tuple[str, Path]]) -> tuple[list, list]:
    """Split temporary directories into stale ones (no build of their key is running)
    and those of builds in progress."""
    stale, busy = [], []
    for key, path in temps:
        with entry_lock(root, key, blocking=False, create=False) as free:
            (stale if free else busy).append(path)
    return stale, busy


def info() -> dict:
    """The cache's location, its modules and their size in bytes, stale temporary build
    directories (``stale_temp``), builds in progress and items that are not the cache's.

    Raises :class:`CacheError` if the directory cannot be used safely.
    """
    root = cache_root(create=False)
    data = {"path": str(root), "entries": 0, "bytes": 0, "stale_temp": 0, "building": 0,
            "other": []}
    if not os.path.lexists(root):
        return data
    found = _scan(root)
    stale, busy = _idle_temps(root, found.temps)
    data.update(entries=len(found.entries), bytes=sum(s for _, _, s in found.entries),
                stale_temp=len(stale), building=len(busy),
                other=[str(p.relative_to(root)) for p in found.other])
    return data


def _remove_tree(path: Path) -> None:
    """Rename ``path`` aside (readers then see it gone at once) and delete it."""
    aside = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{path.name}-", dir=path.parent))
    try:
        os.rename(path, aside / "old")
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def _remove_lock(root: Path, key: str, path: Path) -> bool:
    with entry_lock(root, key, blocking=False, create=False) as free:
        if free and stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)  # a process waiting on it re-opens the new file (see entry_lock)
            return True
    return False


def clear() -> dict:
    """Remove the cache's modules, stale temporary build directories and idle lock files.

    Returns ``{"path", "removed", "temp_removed", "locks_removed", "left"}`` where
    ``left`` lists (relative to the cache directory) what was not removed: items the
    cache did not create, damaged entries, and entries or builds in use.  Processes that
    loaded a module keep it.  Raises :class:`CacheError` if the directory cannot be used.
    """
    root = cache_root(create=False)
    report = {"path": str(root), "removed": 0, "temp_removed": 0, "locks_removed": 0,
              "left": []}
    if not os.path.lexists(root):
        return report
    found = _scan(root)
    left = list(found.other)
    touched: set[Path] = set()
    for key, path, _ in found.entries:
        with entry_lock(root, key, blocking=False, create=False) as free:
            if free:
                _remove_tree(path)
                report["removed"] += 1
                touched.add(path.parent)
            else:
                left.append(path)
    for key, path in found.temps:
        with entry_lock(root, key, blocking=False, create=False) as free:
            if free:
                shutil.rmtree(path, ignore_errors=True)
                report["temp_removed"] += 1
                touched.add(path.parent)
            else:
                left.append(path)
    for key, path in found.locks:
        if _remove_lock(root, key, path):
            report["locks_removed"] += 1
            touched.add(path.parent)
        else:
            left.append(path)
    for directory in sorted(touched):
        with contextlib.suppress(OSError):
            os.rmdir(directory)  # only if this run emptied it
    report["left"] = sorted(str(p.relative_to(root)) for p in left)
    return report


def _listing(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def cache_command(argv: list[str] | None = None) -> int:
    """``aesara-cas cache info|clear``; a cache that cannot be used is one line, exit 2."""
    parser = argparse.ArgumentParser(prog="aesara-cas cache",
                                     description="Inspect or empty the compiled-module cache.")
    parser.add_argument("action", choices=["info", "clear"])
    args = parser.parse_args(argv)
    try:
        if args.action == "info":
            data = info()
            print(f"path: {data['path']}")
            print(f"modules: {data['entries']}")
            print(f"size: {data['bytes'] / 1e6:.1f} MB")
            print(f"stale temporary build directories: {data['stale_temp']}"
                  + (" (`aesara-cas cache clear` removes them)" if data["stale_temp"] else ""))
            if data["building"]:
                print(f"builds in progress: {data['building']}")
            if data["other"]:
                print(f"not recognised as the cache's (clear leaves them): "
                      f"{_listing(data['other'])}")
            from aesara_cas.compile.cython import interp

            # (Built at install, outside the cache; when it is not used, the cache has
            # or gets the interpreter.)
            print(f"packaged kernel interpreter: {interp.status()}")
        else:
            report = clear()
            print(f"removed {report['removed']} cached module(s), {report['temp_removed']} "
                  f"stale temporary build dir(s) and {report['locks_removed']} lock "
                  f"file(s) from {report['path']}")
            if report["left"]:
                print(f"left {len(report['left'])} item(s) not made by the cache, damaged or "
                      f"in use: {_listing(report['left'])}")
    except CacheError as err:
        print(f"aesara-cas: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # e.g. a directory inside the cache that cannot be read
        print(f"aesara-cas: error: cache {args.action}: {err}; set {ENV_VAR} to choose "
              f"another cache directory", file=sys.stderr)
        return 2
    return 0
