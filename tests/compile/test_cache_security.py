"""The compile cache against a hostile or careless file system.

Each test runs the library in a fresh process on a cache directory of its own
(``AESARA_CAS_CACHE_DIR``).  One tiny graph is built once for the whole module
(``seed``) and its cache copied where a test needs a built module, so only the tests
that must rebuild pay for a compilation.
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from aesara_cas.compile.cython import cache_fs

SCRIPT = textwrap.dedent("""
    import os
    if os.environ.get("ACC_TEST_READONLY"):  # a read-only directory, for a root user
        import errno
        _root, _mkdir = os.environ["AESARA_CAS_CACHE_DIR"], os.mkdir
        def _mkdir_ro(path, *args, **kwargs):
            if os.fspath(path).startswith(_root):
                raise PermissionError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
            return _mkdir(path, *args, **kwargs)
        os.mkdir = _mkdir_ro
    import json
    import numpy as np
    import aesara_cas as ac
    from aesara_cas import tensor as at
    from aesara_cas.compile.cython import cache
    x = at.dvector("x")
    f = ac.function([x], at.tanh(x) * 2.5 + 0.75, mode="cython")
    (key,) = cache._loaded
    print(json.dumps({"value": float(f(np.array([1.0]))[0]), "key": key,
                      "file": f._cython_program.module.__file__}))
""")
EXPECTED = float(np.tanh(1.0) * 2.5 + 0.75)
ENV = cache_fs.ENV_VAR


def _env(root, **extra):
    env = dict(os.environ, **extra)
    env[ENV] = str(root)
    return env


def run_library(root, **extra):
    """Build-or-load the graph in a new process; the completed process."""
    return subprocess.run([sys.executable, "-c", SCRIPT], env=_env(root, **extra),
                          capture_output=True, text=True, timeout=600)


def run_cli(root, *args):
    return subprocess.run([sys.executable, "-m", "aesara_cas.cli", *args], env=_env(root),
                          capture_output=True, text=True, timeout=600)


def loaded(proc):
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["value"] == pytest.approx(EXPECTED)
    return out


def refused(proc, *fragments):
    """The process stopped with one CacheError naming the switch and ``fragments``."""
    assert proc.returncode != 0 and not proc.stdout
    last = proc.stderr.strip().splitlines()[-1]
    assert "CacheError: cannot use the compile cache directory" in last, proc.stderr
    assert ENV in last
    for fragment in fragments:
        assert str(fragment) in last
    return last


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """A cache holding the one module of this file: (root, key, module file)."""
    root = tmp_path_factory.mktemp("seed") / "cache"
    out = loaded(run_library(root))
    return root, out["key"], Path(out["file"])


@pytest.fixture
def seeded(seed, tmp_path):
    """A private copy of the seed cache: (root, key, entry directory)."""
    root = tmp_path / "cache"
    shutil.copytree(seed[0], root, symlinks=True)
    key = seed[1]
    return root, key, root / key[:2] / key


def test_root_writable_by_others_is_refused(seeded):
    # Anyone can write a 0777 directory: a module planted there would run as the user.
    root, _, _ = seeded
    os.chmod(root, 0o777)
    refused(run_library(root), root, "writable by other users", "0777")
    proc = run_cli(root, "cache", "info")
    assert proc.returncode == 2 and not proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1 and str(root) in proc.stderr


def test_root_owned_by_another_user_is_refused(seeded):
    root, _, _ = seeded
    if os.geteuid() == 0:  # give the planted cache to "nobody"
        owner = 65534
        for dirpath, _, files in os.walk(root):
            os.chown(dirpath, owner, owner)
            for name in files:
                os.chown(os.path.join(dirpath, name), owner, owner)
    else:  # an ordinary user cannot give files away: use a directory root owns
        owner, root = 0, Path("/")
    refused(run_library(root), root, f"owned by uid {owner}, not by you (uid {os.geteuid()})")


def test_group_writable_root_is_refused_unless_the_group_is_the_users_own(tmp_path,
                                                                          monkeypatch):
    root = tmp_path / "cache"
    root.mkdir()
    os.chmod(root, 0o770)
    monkeypatch.setenv(ENV, str(root))
    if os.geteuid() == 0:
        os.chown(root, -1, 65534)  # a group other users are in
        with pytest.raises(cache_fs.CacheError, match=r"writable by other users \(mode 0770\)"):
            cache_fs.cache_root()
    os.chown(root, -1, os.getgid())  # a private group (umask 002 systems) gives no one access
    if cache_fs._group_is_private(os.getgid()):
        assert cache_fs.cache_root() == root
    else:
        with pytest.raises(cache_fs.CacheError, match="writable by other users"):
            cache_fs.cache_root()


def test_directory_above_the_root_writable_by_others_is_refused(seeded, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # not sticky: anyone could swap the cache for their own
    root = shared / "cache"
    shutil.copytree(seeded[0], root)
    refused(run_library(root), shared, "a directory above it")


def test_lock_file_symlink_is_not_followed(seeded, tmp_path):
    root, key, entry = seeded
    shutil.rmtree(entry)  # so the library must take the lock to build
    victim = tmp_path / "victim"
    victim.write_text("precious")
    lock = root / "locks" / f"{key}.lock"
    lock.parent.mkdir(exist_ok=True)
    lock.unlink(missing_ok=True)
    lock.symlink_to(victim)
    refused(run_library(root), lock, "symbolic link")
    assert victim.read_text() == "precious"


@pytest.mark.parametrize("level", ["shard", "entry"])
def test_symlinked_shard_or_entry_is_not_loaded(seeded, tmp_path, level):
    root, key, entry = seeded
    target = entry.parent if level == "shard" else entry
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.rename(target, elsewhere / target.name)
    target.symlink_to(elsewhere / target.name)
    refused(run_library(root), target, "symbolic link")


def test_meta_file_outside_the_entry_is_not_loaded(seeded):
    root, key, entry = seeded
    meta = json.loads((entry / "meta.json").read_text())
    outside = root / "x.so"
    os.rename(entry / meta["file"], outside)
    meta["file"] = "../../x.so"
    (entry / "meta.json").write_text(json.dumps(meta))
    out = loaded(run_library(root))  # the entry is damaged: rebuilt, not loaded from x.so
    assert Path(out["file"]).parent == entry
    assert json.loads((entry / "meta.json").read_text())["file"] != "../../x.so"


@pytest.mark.parametrize("change", [
    {"file": "../../x.so"}, {"file": "/tmp/x.so"}, {"file": ["x.so"]}, {"size": "123"},
    {"size": True}, {"size": -1}, {"sha256": None}, {"sha256": "../x"}, {"module": 7},
    {"module": "os"}, {"module": "acmod_" + "0" * 40}, {"nested": [[[[[]]]]] * 3},
])
def test_meta_fields_are_type_checked(tmp_path, change):
    key = "ab" * 32
    name = cache_fs.module_name(key)
    meta = {"module": name, "file": cache_fs.module_file(name), "size": 3, "sha256": "0" * 64}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    assert cache_fs.read_meta(tmp_path, key) == meta
    meta.update(change)
    if "nested" in change:  # deep enough to exhaust the JSON parser's recursion
        (tmp_path / "meta.json").write_text("[" * 20000 + "]" * 20000)
    else:
        (tmp_path / "meta.json").write_text(json.dumps(meta))
    assert cache_fs.read_meta(tmp_path, key) is None


def test_clear_deletes_only_what_the_cache_created(seeded):
    # A project directory given by mistake, with the cache's files mixed in.
    root, key, entry = seeded
    os.chmod(root, 0o755)
    (root / "go").mkdir()
    (root / "go" / "main.go").write_text("package main\n")
    (root / "db").mkdir()  # a two-hex-digit name, like a shard
    (root / "db" / "app.db").write_bytes(b"data")
    lookalike = root / "db" / ("db" * 32)  # named like an entry, without its metadata
    lookalike.mkdir()
    (lookalike / "notes.txt").write_text("mine")
    (root / "README").write_text("hello")
    before = {p for p in root.rglob("*") if entry not in p.parents and p != entry}
    proc = run_cli(root, "cache", "clear")
    assert proc.returncode == 0, proc.stderr
    assert "removed 1 cached module(s)" in proc.stdout
    assert "left 4 item(s)" in proc.stdout
    for name in ("README", "go", "db/app.db", f"db/{'db' * 32}"):
        assert name in proc.stdout
    assert not entry.exists()
    assert not (root / "locks").exists()  # its lock file went, then the emptied directory
    after = set(root.rglob("*"))
    assert after == {p for p in before if "locks" not in p.parts and p != entry.parent}
    assert (root / "go" / "main.go").read_text() == "package main\n"
    assert (lookalike / "notes.txt").read_text() == "mine"


def test_rebuild_in_the_same_process_gets_a_fresh_name(seeded):
    # An intact-by-checksum file that is not the module: loading it fails, and the
    # rebuild must not be loaded from the same path (the loader would return the old one).
    import _json

    root, key, entry = seeded
    meta = json.loads((entry / "meta.json").read_text())
    so = entry / meta["file"]
    so.unlink()
    shutil.copy(_json.__file__, so)
    data = so.read_bytes()
    meta.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    (entry / "meta.json").write_text(json.dumps(meta))
    out = loaded(run_library(root))
    assert Path(out["file"]).parent == entry and Path(out["file"]).name != meta["file"]
    assert loaded(run_library(root))["file"] == out["file"]  # and the next process reuses it


def test_uncreatable_root_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    root = blocker / "cache"
    refused(run_library(root), root, "cannot be created")
    proc = run_cli(root, "x + 1", "--var", "x:dvector", "--mode", "cython")
    assert proc.returncode == 2 and str(root) in proc.stderr and ENV in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_read_only_root_is_one_clear_error(tmp_path):
    root = tmp_path / "cache"
    root.mkdir(mode=0o700)
    os.chmod(root, 0o500)
    extra = {}
    immutable = False
    if os.geteuid() == 0:  # root writes through mode bits: make it immutable, or simulate
        immutable = subprocess.run(["chattr", "+i", str(root)], capture_output=True).returncode == 0
        if not immutable:
            extra["ACC_TEST_READONLY"] = "1"
    try:
        refused(run_library(root, **extra), root / "locks", "cannot be created")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(root)], check=True)
        os.chmod(root, 0o700)


def test_shard_that_is_a_file_is_one_clear_error(seeded):
    root, key, entry = seeded
    shutil.rmtree(entry.parent)
    entry.parent.write_text("not a directory")
    refused(run_library(root), entry.parent, "is not a directory")


def test_stale_temporary_build_dirs_are_counted_and_removed(seeded):
    root, key, entry = seeded
    dead = entry.parent / f".tmp-{key}-k1lled"  # a build killed mid-way
    dead.mkdir()
    (dead / "half.c").write_text("int x;")
    other = "cd" * 32
    (root / other[:2]).mkdir()
    live = root / other[:2] / f".tmp-{other}-running"  # a build in progress: its lock is held
    live.mkdir()
    foreign = entry.parent / ".tmp-not-ours"
    foreign.mkdir()
    (root / "locks").mkdir(exist_ok=True)
    with open(root / "locks" / f"{other}.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        info = run_cli(root, "cache", "info")
        assert info.returncode == 0, info.stderr
        assert "stale temporary build directories: 1" in info.stdout
        assert "builds in progress: 1" in info.stdout
        clear = run_cli(root, "cache", "clear")
        assert clear.returncode == 0, clear.stderr
        assert "1 stale temporary build dir(s)" in clear.stdout
    assert not dead.exists() and live.is_dir() and foreign.is_dir()
    assert (root / "locks" / f"{other}.lock").exists()
