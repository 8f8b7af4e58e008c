"""Safe file-system steps for the compile cache: trust checks, private directories, locks.

The cache loads native code, so a file planted in it runs as the user.  The rules
(the same idea as OpenSSH's checks on ``~/.ssh``):

* The root (``$AESARA_CAS_CACHE_DIR``, else ``$XDG_CACHE_HOME/aesara_cas`` or
  ``~/.cache/aesara_cas``; symbolic links in *that* path are resolved once) must be a
  directory owned by the current user and not writable by group or others, and every
  directory above it must be owned by the user or by root and not writable by others
  unless it is sticky (as ``/tmp`` is).  Group write permission is harmless, and
  allowed, when the group is the user's private group (named after the user, no other
  members), as under ``umask 002`` on many Linux systems.  Otherwise the cache is refused with a
  :class:`CacheError`; it never falls back to another directory behind the user's back.
* Below the root, nothing is followed through a symbolic link: shard directories, entry
  directories and the ``locks`` directory are checked with ``lstat`` (a real directory,
  owned by the user, not writable by others), lock files are opened with
  ``O_NOFOLLOW``, and a module file must be a plain file inside its entry's directory.
* Anything the cache cannot use gives one :class:`CacheError` naming the path and the
  ``AESARA_CAS_CACHE_DIR`` switch, never a raw traceback from the file system.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import re
import stat
import sysconfig
from collections.abc import Iterator
from pathlib import Path

ENV_VAR = "AESARA_CAS_CACHE_DIR"

#: An entry's directory name: the full SHA-256 key.  Its shard is ``key[:2]``.
KEY_RE = re.compile(r"[0-9a-f]{64}\Z")
SHARD_RE = re.compile(r"[0-9a-f]{2}\Z")
LOCK_RE = re.compile(r"([0-9a-f]{64})\.lock\Z")
#: A build (or an entry being replaced or removed) lives in ``.tmp-<key>-<random>``
#: inside the shard until it is renamed into place or deleted.
TMP_PREFIX = ".tmp-"
TMP_RE = re.compile(r"\.tmp-([0-9a-f]{64})-[A-Za-z0-9_]{1,16}\Z")
LOCKS = "locks"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class CacheError(OSError):
    """The compile cache directory cannot be used safely (or at all).

    The message names the offending path and the ``AESARA_CAS_CACHE_DIR`` switch.
    """


def _uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def configured_root() -> Path:
    """The cache directory as configured (not yet checked, maybe not existing)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(os.path.abspath(os.path.expanduser(env)))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(os.path.abspath(base)) / "aesara_cas"


def error(root: Path | str, path: Path | str, problem: str) -> CacheError:
    """A :class:`CacheError` saying what is wrong with ``path`` and how to get around it."""
    where = f"{path} {problem}" if str(path) != str(root) else f"it {problem}"
    return CacheError(
        f"cannot use the compile cache directory {root}: {where}; set {ENV_VAR} to a "
        f"directory that only you can write (or use the NumPy mode)"
    )


@functools.cache
def _group_is_private(gid: int) -> bool:
    """Whether ``gid`` is the user's own group (a "user private group": the user's
    primary group, named after the user, with no other members), so that group write
    permission gives nobody else access (the usual default under ``umask 002``)."""
    try:
        import grp
        import pwd

        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(gid)
    except (ImportError, KeyError):
        return False
    return gid == os.getgid() and group.gr_name == user and set(group.gr_mem) <= {user}


def _why_untrusted(st: os.stat_result, ancestor: bool) -> str | None:
    """Why a directory with status ``st`` cannot be trusted (None if it can)."""
    uid = _uid()
    if uid is None:  # pragma: no cover - not POSIX: no owners or mode bits to check
        return None
    if st.st_uid != uid and not (ancestor and st.st_uid == 0):
        return f"is owned by uid {st.st_uid}, not by you (uid {uid})"
    writable = st.st_mode & 0o002 or (st.st_mode & 0o020 and not _group_is_private(st.st_gid))
    if writable and not (ancestor and st.st_mode & stat.S_ISVTX):
        return f"is writable by other users (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def check_dir(root: Path, path: Path, st: os.stat_result | None = None) -> os.stat_result:
    """Require ``path`` (below the root) to be a real, private directory of the user.

    ``st`` is its ``lstat`` result if the caller has one.  Raises :class:`CacheError`.
    """
    if st is None:
        try:
            st = os.lstat(path)
        except OSError as err:
            raise error(root, path, f"cannot be read ({err.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        raise error(root, path, "is a symbolic link (the cache never creates one)")
    if not stat.S_ISDIR(st.st_mode):
        raise error(root, path, "is not a directory")
    why = _why_untrusted(st, ancestor=False)
    if why:
        raise error(root, path, why)
    return st


def lstat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def cache_root(create: bool = True) -> Path:
    """The checked cache directory (created private, mode 0700, if missing and ``create``).

    Raises :class:`CacheError` if it cannot be created or is not safe to load code from.
    With ``create=False`` a missing directory is returned as is (unchecked).
    """
    root = configured_root()
    if not os.path.lexists(root):
        if not create:
            return root
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as err:
            raise error(root, root, f"cannot be created ({err.strerror})") from None
        with contextlib.suppress(OSError):
            os.chmod(root, 0o700)
    real = Path(os.path.realpath(root))
    try:
        st = os.stat(real)
    except OSError as err:
        raise error(root, real, f"cannot be read ({err.strerror})") from None
    if not stat.S_ISDIR(st.st_mode):
        raise error(root, real, "is not a directory")
    why = _why_untrusted(st, ancestor=False)
    if why:
        raise error(root, real, why)
    # Whoever can write a directory above the root can swap the root for their own.
    for parent in real.parents:
        try:
            pst = os.stat(parent)
        except OSError as err:
            raise error(root, parent, f"cannot be read ({err.strerror})") from None
        why = _why_untrusted(pst, ancestor=True)
        if why:
            raise error(root, parent, f"(a directory above it) {why}")
    return real


def private_dir(root: Path, path: Path) -> Path:
    """``path`` (a direct child of a checked directory) as a checked private directory,
    created (mode 0700) if missing."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as err:
        raise error(root, path, f"cannot be created ({err.strerror})") from None
    check_dir(root, path)
    return path


def open_nofollow(path: Path, flags: int = os.O_RDONLY, mode: int = 0o600) -> int:
    """``os.open`` that refuses a symbolic link as the last component (``ELOOP``)."""
    return os.open(path, flags | _NOFOLLOW | _CLOEXEC, mode)


def read_private_file(path: Path, limit: int | None = None) -> bytes | None:
    """The bytes of the plain file ``path`` (None if missing, a link, not a plain file,
    or longer than ``limit``)."""
    try:
        fd = open_nofollow(path)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or (limit is not None and st.st_size > limit):
            return None
        return fh.read()


@contextlib.contextmanager
def entry_lock(root: Path, key: str, blocking: bool = True,
               create: bool = True) -> Iterator[bool]:
    """An exclusive lock on one cache entry, across processes and threads.

    Yields True when held; False if ``blocking`` is false and another holds it (or, with
    ``create`` false, if there is no lock file: then nobody holds it, and True is
    yielded without locking).  The lock file ``<root>/locks/<key>.lock`` is opened with
    ``O_NOFOLLOW``; if ``cache clear`` removed it while we waited, the new one is taken.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: renames alone keep entries whole
        yield True
        return
    locks = root / LOCKS
    if create:
        private_dir(root, locks)
    elif lstat_or_none(locks) is None:
        yield True
        return
    else:
        check_dir(root, locks)
    path = locks / f"{key}.lock"
    flags = os.O_RDWR | os.O_NONBLOCK | (os.O_CREAT if create else 0)
    while True:
        try:
            fd = open_nofollow(path, flags)
        except FileNotFoundError:
            if create:  # ``cache clear`` removed the directory just now: make it again
                private_dir(root, locks)
                continue
            break  # no lock file: nobody holds the lock
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise error(root, path, "is a symbolic link (the cache never creates one)"
                            ) from None
            raise error(root, path, f"cannot be opened ({err.strerror})") from None
        state = "replaced"
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise error(root, path, "is not a plain file")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                state = "busy"
            else:
                now = lstat_or_none(path)
                if now is not None and (now.st_ino, now.st_dev) == (st.st_ino, st.st_dev):
                    state = "held"
        finally:
            if state != "held":
                os.close(fd)
        if state == "busy":
            yield False
            return
        if state == "held":
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        # The file was removed or replaced while we waited for it: lock the current one.
    yield True


# --- entries -------------------------------------------------------------------------

META = "meta.json"
_NAME_RE = re.compile(r"acmod_([0-9a-f]{40})(_[0-9a-f]{8})?\Z")
_SHA_RE = re.compile(r"[0-9a-f]{64}\Z")


def entry_dir(root: Path, key: str) -> Path:
    return root / key[:2] / key


def module_name(key: str, fresh: bool = False) -> str:
    """The module's name; ``fresh`` adds a random suffix (a rebuild in a process that
    already opened the entry's old file must load it from a new path)."""
    base = f"acmod_{key[:40]}"
    return f"{base}_{os.urandom(4).hex()}" if fresh else base


def module_file(name: str) -> str:
    return name + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")


def read_meta(entry: Path, key: str) -> dict | None:
    """``entry``'s metadata if it is well formed and names a module of ``key`` in a file
    directly inside the entry (``meta.json`` is untrusted input: every field is checked)."""
    data = read_private_file(entry / META, limit=1 << 16)
    if data is None:
        return None
    try:
        meta = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(meta, dict):
        return None
    name, file, size, sha = (meta.get(k) for k in ("module", "file", "size", "sha256"))
    if not (isinstance(name, str) and isinstance(file, str) and isinstance(sha, str)
            and type(size) is int and size >= 0):
        return None
    match = _NAME_RE.match(name)
    if match is None or match.group(1) != key[:40] or file != module_file(name):
        return None
    if not _SHA_RE.match(sha):
        return None
    return meta


def file_digest(path: Path, size: int) -> str | None:
    """SHA-256 of the plain file ``path`` if it has ``size`` bytes (never through a link)."""
    try:
        fd = open_nofollow(path)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size != size:
            return None
        h = hashlib.sha256()
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
        return h.hexdigest()


def entry_module(root: Path, key: str) -> tuple[str, Path] | None:
    """The module name and file of ``key``'s entry if it is complete and intact.

    None if the entry is missing or damaged (it is then rebuilt); :class:`CacheError` if
    its shard or directory is a link, not a directory, or not private.
    """
    shard = root / key[:2]
    st = lstat_or_none(shard)
    if st is None:
        return None
    check_dir(root, shard, st)
    entry = shard / key
    st = lstat_or_none(entry)
    if st is None:
        return None
    check_dir(root, entry, st)
    meta = read_meta(entry, key)
    if meta is None:
        return None
    path = entry / meta["file"]
    if file_digest(path, meta["size"]) != meta["sha256"]:
        return None
    return meta["module"], path
