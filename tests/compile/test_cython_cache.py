"""The compiled-module cache: location, privacy, concurrency, corruption, inspection."""

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile.cython import CompilerUnavailable, build, cache


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("AESARA_CAS_CACHE_DIR", str(root))
    monkeypatch.setattr(cache, "_loaded", {})
    return root


def _make_function():
    x = at.dvector("x")
    # A graph no other test builds, so the module is really built here.
    return ac.function([x], at.tanh(x) * 7.25 - 0.125, mode="cython")


@pytest.fixture(scope="module")
def seed_cache(tmp_path_factory):
    """A cache holding ``_make_function``'s module, built once for this file."""
    root = tmp_path_factory.mktemp("seed") / "cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AESARA_CAS_CACHE_DIR", str(root))
        mp.setattr(cache, "_loaded", {})
        _make_function()
    return root


@pytest.fixture
def built_cache(fresh_cache, seed_cache):
    """``fresh_cache`` holding a copy of the seed's module (loading it builds nothing)."""
    shutil.copytree(seed_cache, fresh_cache)
    return fresh_cache


def _entries(root):
    return sorted(p.parent for p in root.glob("??/*/meta.json"))


def _replace_file(path, data):
    """Put new bytes at ``path`` without touching the old inode: this process has the
    old module mapped, and rewriting a mapped file in place crashes it (SIGBUS)."""
    tmp = path.with_name(path.name + ".new")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def test_cache_dir_is_private_and_reused_and_a_slow_build_is_logged(fresh_cache, monkeypatch,
                                                                     caplog):
    monkeypatch.setattr(cache, "SLOW_BUILD_SECONDS", 0.0)
    with caplog.at_level(logging.WARNING, logger="aesara_cas.compile"):
        f = _make_function()
    assert any("compiling a function took" in r.getMessage() for r in caplog.records)
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), np.tanh([0.0, 1.0]) * 7.25 - 0.125)
    assert fresh_cache.is_dir()
    assert (fresh_cache.stat().st_mode & 0o777) == 0o700
    assert len(_entries(fresh_cache)) == 1
    # A new process loads it instead of building it again.
    cache._loaded.clear()
    g = _make_function()
    assert g._cython_program.module.__file__.startswith(str(fresh_cache))
    assert len(_entries(fresh_cache)) == 1


SCRIPT = textwrap.dedent("""
    import numpy as np
    import aesara_cas as ac
    from aesara_cas import tensor as at
    x = at.dvector("x")
    f = ac.function([x], at.arctan(x) * 3.5 + 0.25, mode="cython")
    print(float(f(np.array([1.0]))[0]))
""")


def test_two_processes_building_the_same_module_both_succeed(fresh_cache):
    env = dict(os.environ, AESARA_CAS_CACHE_DIR=str(fresh_cache))
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
        assert float(out.split()[-1]) == pytest.approx(np.arctan(1.0) * 3.5 + 0.25)
    assert len(_entries(fresh_cache)) == 1
    assert not list(fresh_cache.glob("??/.*"))  # no temporary directories left


def test_truncated_module_is_rebuilt(built_cache):
    (entry,) = _entries(built_cache)
    meta = json.loads((entry / "meta.json").read_text())
    so = entry / meta["file"]
    _replace_file(so, so.read_bytes()[: meta["size"] // 2])
    cache._loaded.clear()
    f = _make_function()
    np.testing.assert_allclose(f(np.array([2.0])), np.tanh([2.0]) * 7.25 - 0.125)
    assert so.stat().st_size == json.loads((entry / "meta.json").read_text())["size"]


def test_garbage_module_with_matching_checksum_is_rebuilt(built_cache):
    (entry,) = _entries(built_cache)
    meta = json.loads((entry / "meta.json").read_text())
    so = entry / meta["file"]
    _replace_file(so, b"this is not a shared object")
    meta.update(size=so.stat().st_size, sha256=hashlib.sha256(so.read_bytes()).hexdigest())
    (entry / "meta.json").write_text(json.dumps(meta))
    cache._loaded.clear()
    f = _make_function()
    np.testing.assert_allclose(f(np.array([0.5])), np.tanh([0.5]) * 7.25 - 0.125)


def test_missing_metadata_is_rebuilt(built_cache):
    (entry,) = _entries(built_cache)
    (entry / "meta.json").unlink()
    cache._loaded.clear()
    f = _make_function()
    assert f(np.array([0.0]))[0] == -0.125
    assert len(_entries(built_cache)) == 1


def test_info_clear_and_command(built_cache, capsys):
    f = _make_function()
    data = cache.info()
    assert data["path"] == str(built_cache)
    assert data["entries"] == 1 and data["bytes"] > 0
    assert cache.cache_command(["info"]) == 0
    assert "modules: 1" in capsys.readouterr().out
    assert cache.cache_command(["clear"]) == 0
    assert "removed 1" in capsys.readouterr().out
    assert cache.info()["entries"] == 0
    # Functions built before keep working (their module stays loaded).
    assert f(np.array([0.0]))[0] == -0.125


def test_a_cached_load_does_not_wait_for_another_modules_build(built_cache, monkeypatch):
    building, cached_loaded = threading.Event(), threading.Event()
    outcome = {}

    def slow_build(text, name, workdir):
        building.set()
        # Held until the other thread has loaded its cached module (a global build lock
        # would make it wait for this build instead: the wait then times out).
        outcome["loaded_during_build"] = cached_loaded.wait(timeout=20)
        raise RuntimeError("build stopped by the test")

    monkeypatch.setattr(cache.build, "build", slow_build)

    def build_other():
        y = at.dvector("y")
        try:
            ac.function([y], at.sinh(y) + 0.375, mode="cython")
        except RuntimeError as err:
            outcome["error"] = str(err)

    thread = threading.Thread(target=build_other)
    thread.start()
    assert building.wait(timeout=60)
    g = _make_function()
    cached_loaded.set()
    thread.join(timeout=60)
    assert outcome == {"loaded_during_build": True, "error": "build stopped by the test"}
    np.testing.assert_allclose(g(np.array([1.0])), np.tanh([1.0]) * 7.25 - 0.125)


def test_key_depends_on_source_and_build_settings(monkeypatch):
    a = cache.cache_key("x")
    assert a == cache.cache_key("x")
    assert a != cache.cache_key("y")
    monkeypatch.setattr(cache, "_identity", cache.build_identity() + "other flags")
    assert a != cache.cache_key("x")


def test_no_compiler_suggests_numpy_mode(fresh_cache, monkeypatch):
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    monkeypatch.setattr(cache, "_identity", None)
    x = at.dvector("x")
    with pytest.raises(CompilerUnavailable, match='mode="numpy"'):
        ac.function([x], at.exp(x) + 0.5, mode="cython")
    # The NumPy mode still works.
    f = ac.function([x], at.exp(x) + 0.5, mode="numpy")
    np.testing.assert_allclose(f(np.zeros(2)), [1.5, 1.5])


SOURCE_SCRIPT = textwrap.dedent("""
    import hashlib
    import aesara_cas as ac
    from aesara_cas import tensor as at
    x, r = at.dmatrix("x"), at.dvector("r")
    v, outs = at.exp(x) * 2.0, []
    steps = [lambda u: at.sin(u) + r, lambda u: u * 0.5, lambda u: at.cos(u) - 1.0,
             lambda u: u ** 2]
    for i in range(120):  # big enough for staged kernels, with several outputs
        v = steps[i % 4](v)
        if i % 17 == 0:
            outs.append(v * 1.5)
    outs += [v, at.logsumexp(v, axis=0), (x > 0) & (r < 1)]
    f = ac.function([x, r], outs, mode="cython")
    print(hashlib.sha256(f._cython_program.source.encode()).hexdigest())
""")


def test_generated_source_is_the_same_in_every_process(fresh_cache):
    """The cache key is a hash of the source: a source that depended on set order
    (string hashing is salted per process) would rebuild in every new process."""
    digests = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", SOURCE_SCRIPT], env=env,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.split()[-1])
    assert len(digests) == 1
    assert len(_entries(fresh_cache)) == 1


def test_a_forked_child_does_not_inherit_a_held_build_lock():
    key = "f" * 64
    with cache._key_lock(key):  # as if another thread were building at the fork
        pid = os.fork()
        if pid == 0:  # the child: the lock must be free
            os._exit(0 if cache._key_lock(key).acquire(timeout=10) else 1)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
