"""The kernel interpreter built at install (``setup.py``, :mod:`.interp_prebuilt`): taken
when it was built from this source for this machine, otherwise the cache's interpreter;
never a crash or other numbers."""

import importlib.util
import json
import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.compile import tiered
from aesara_cas.compile.cython import cache, interp, interp_prebuilt
from aesara_cas.compile.cython.interp_program import InterpProgram
from aesara_cas.compile.cython.lower import lower

ROOT = Path(__file__).resolve().parents[2]


def _setup_module():
    """``setup.py`` as a module (its ``setup()`` call runs only as ``__main__``)."""
    spec = importlib.util.spec_from_file_location("aesara_cas_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    """A package-like directory holding the interpreter built as ``setup.py`` builds it."""
    directory = tmp_path_factory.mktemp("package")
    interp_prebuilt.build_into(directory)
    return directory


@pytest.fixture(scope="module")
def cache_built():
    """The interpreter built into (or found in) the cache, as without a packaged one."""
    return cache.load_module(interp.tables().text)


@pytest.fixture(scope="module")
def program():
    """A small plan (fused element-wise and reductions) and values for it."""
    x, y = at.dvector("x"), at.dvector("y")
    X = at.dmatrix("X")
    outs = [at.exp(-x * x / 2) * at.sin(y) + at.log1p(at.exp(y)),
            (at.exp(X) * x).sum(axis=1), at.logsumexp(X, axis=0)]
    f = ac.function([x, y, X], outs, mode="numpy")  # the rewritten graph, nothing built
    rng = np.random.default_rng(1)
    values = [rng.normal(size=67) * 3, rng.normal(size=67) * 3, rng.normal(size=(5, 67))]
    return f.fgraph, lower(f.fgraph), values


@pytest.fixture
def fresh(monkeypatch):
    """No interpreter loaded in this process; returns a setter of the package directory."""
    monkeypatch.setattr(interp, "_module", None)
    monkeypatch.setattr(interp, "_prebuilt_failed", {})
    monkeypatch.delenv(interp_prebuilt.ENV_VAR, raising=False)

    def use(directory):
        monkeypatch.setattr(interp, "PREBUILT_DIR", directory)

    return use


def _run(program, module, monkeypatch):
    """The plan's outputs on the interpreter ``module``."""
    fgraph, plan, values = program
    monkeypatch.setattr(interp, "_module", module)
    return InterpProgram(fgraph, plan).run(values)


def _same(results, expected):
    return all(a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
               for a, b in zip(results, expected))


def test_packaged_interpreter_is_taken_with_an_empty_cache(packaged, cache_built, program,
                                                           fresh, monkeypatch, capsys):
    fresh(packaged)
    path, why = interp.prebuilt()
    assert path == packaged / interp_prebuilt.file_name() and why == ""
    # What a new process does on an empty cache: the fast tier at once, no build.
    monkeypatch.setattr(interp, "cached", lambda: False)
    fgraph, plan, values = program
    fast = tiered.fast_program(fgraph, plan)
    assert isinstance(fast, InterpProgram)
    module = interp.load()
    assert module.__file__ == str(path) and module is not cache_built
    assert interp.status() == f"in use ({path})"
    assert cache.cache_command(["info"]) == 0
    assert f"packaged kernel interpreter: in use ({path})" in capsys.readouterr().out
    # Built like the cache's interpreter: the same bits.
    assert _same(fast.run(values), _run(program, cache_built, monkeypatch))


def _damage(directory: Path, how: str, monkeypatch) -> str:
    """Spoil the package-like copy ``directory`` as ``how`` says; returns a phrase of
    the reason the packaged module is not used."""
    meta = directory / interp_prebuilt.META_NAME
    module = directory / interp_prebuilt.file_name()
    info = json.loads(meta.read_text())
    if how == "source":
        info["source_sha256"] = "0" * 64
        phrase = "another version of the interpreter's source"
    elif how == "identity":
        info["identity_sha256"] = "0" * 64
        phrase = "another compiler"
    elif how == "no description":
        meta.unlink()
        return "the install did not build it"
    elif how == "garbled description":
        meta.write_text('{"format": 1, "file": ')
        return "is unreadable"
    elif how == "replaced module":
        data = module.read_bytes()
        module.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # same size, other bytes
        return "is not the file"
    elif how == "unloadable":
        module.write_bytes(b"\x7fELF but not a shared object")
        info["size"] = module.stat().st_size
        info["sha256"] = cache.file_digest(module, info["size"])
        phrase = "does not import"
    else:
        monkeypatch.setenv(interp_prebuilt.ENV_VAR, "1")
        return interp_prebuilt.ENV_VAR
    meta.write_text(json.dumps(info))
    return phrase


@pytest.mark.parametrize("how", ["source", "identity", "no description", "garbled description",
                                 "replaced module", "unloadable", "switched off"])
def test_unusable_packaged_interpreter_falls_back_to_the_cache(
        how, packaged, cache_built, program, fresh, tmp_path, monkeypatch, caplog):
    copy = tmp_path / "package"
    shutil.copytree(packaged, copy)
    phrase = _damage(copy, how, monkeypatch)
    fresh(copy)
    with caplog.at_level(logging.INFO, logger="aesara_cas.compile"):
        module = interp.load()
        monkeypatch.setattr(interp, "_module", None)
        assert interp.load() is module  # tried once, and logged once
    assert module is cache_built
    assert sum("does not import" in r.getMessage() for r in caplog.records) == (
        how == "unloadable")
    path, why = interp.prebuilt()
    assert path is None and phrase in why
    assert interp.status() == f"not used: {why}"
    assert _same(_run(program, module, monkeypatch), _run(program, cache_built, monkeypatch))


def test_setup_generates_the_same_source_and_never_fails_the_install(tmp_path, monkeypatch,
                                                                      capsys):
    setup = _setup_module()
    # The install's generator (without the package's other requirements) writes the
    # source the package checks against, or the packaged module would never be taken.
    child = setup.run_child("-")
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == interp_prebuilt.source_digest(interp.tables().text)
    assert setup.STEM == interp_prebuilt.STEM
    # A build that fails leaves no files of an earlier build and one warning line.
    stale = tmp_path / interp_prebuilt.META_NAME
    stale.write_text("{}")
    monkeypatch.setattr(setup, "HERE", tmp_path)  # no package there: the child fails
    assert setup.build_interpreter(tmp_path) is False
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning: aesara_cas:")
    assert "ModuleNotFoundError" in err[0] and not stale.exists()


def test_module_file_untouched_since_the_install_is_not_hashed_again(tmp_path, monkeypatch):
    # (``check`` does not import the file: any bytes, described as ``build_into`` does.)
    text = interp.tables().text
    path = tmp_path / "package" / interp_prebuilt.file_name()
    path.parent.mkdir()
    path.write_bytes(bytes(range(256)) * 64)
    interp_prebuilt.describe(path, text)
    hashed = []

    def digest(path, size):
        hashed.append(path)
        return cache.file_digest(path, size)

    monkeypatch.setattr(interp_prebuilt, "file_digest", digest)
    assert interp_prebuilt.check(path.parent, text) == (path, "") and hashed == []
    # A copy (a wheel's install) is another file: its digest decides.
    copy = tmp_path / "copy"
    shutil.copytree(path.parent, copy)
    assert interp_prebuilt.check(copy, text) == (copy / path.name, "")
    assert hashed == [copy / path.name]
    # Other bytes written in place with the recorded size and modification time back:
    # the status-change time still differs, so the digest is checked and refuses them.
    recorded = json.loads((path.parent / interp_prebuilt.META_NAME).read_text())["stat"]
    time.sleep(0.05)  # past the file system's clock tick
    path.write_bytes(bytes(range(1, 256)) * 64 + bytes(64))
    os.utime(path, ns=(recorded[2], recorded[2]))
    found, why = interp_prebuilt.check(path.parent, text)
    assert found is None and "is not the file" in why and len(hashed) == 2
