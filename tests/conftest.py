"""Shared test fixtures.

``mode`` runs a test once per backend: the NumPy interpreter and the compiled
(Cython) default.  Tests that compile functions take it rather than hard-coding
a mode, so the whole suite checks both backends.

Compiled modules go to one temporary cache directory per test run (shared by all
pytest-xdist workers, removed at the end), never to the user's cache, unless the
caller sets ``AESARA_CAS_CACHE_DIR`` (then that directory is used and kept).
"""

import os
import shutil
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# On CI the examples are derandomized, so a red run is reproducible and never a coin toss.
settings.register_profile(
    "ci",
    derandomize=bool(os.environ.get("CI")),
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

MODES = ["numpy", "cython"]

CACHE_VAR = "AESARA_CAS_CACHE_DIR"

# The default mode builds native modules synchronously in the suite (tests compare the
# compiled tier); tests of the tiers themselves pass mode="tiered".
os.environ.setdefault("AESARA_CAS_SYNC_BUILD", "1")
_WORKER_KEY = "aesara_cas_cache_dir"


def pytest_configure(config):
    """Point the build cache at a fresh private directory before any test runs (the
    library reads the variable at each build, so nothing was cached elsewhere)."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and workerinput.get(_WORKER_KEY):
        os.environ[CACHE_VAR] = workerinput[_WORKER_KEY]  # the controller's directory
        return
    if os.environ.get(CACHE_VAR):
        return
    root = tempfile.mkdtemp(prefix="aesara_cas_tests_")  # mode 0700, owned by us
    os.environ[CACHE_VAR] = os.path.join(root, "cache")
    config._aesara_cas_tmp_cache = root


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: every worker builds into the controller's cache directory."""
    node.workerinput[_WORKER_KEY] = os.environ.get(CACHE_VAR, "")


def pytest_unconfigure(config):
    root = getattr(config, "_aesara_cas_tmp_cache", None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)
        os.environ.pop(CACHE_VAR, None)


@pytest.fixture(params=MODES)
def mode(request):
    """The compilation mode under test: ``"numpy"`` or ``"cython"`` (the default)."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(20261126)
