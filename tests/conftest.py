"""Shared test fixtures.

``mode`` runs a test once per backend: the NumPy interpreter and the compiled
(Cython) default.  Tests that compile functions take it rather than hard-coding
a mode, so the whole suite checks both backends.
"""

import os

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


@pytest.fixture(params=MODES)
def mode(request):
    """The compilation mode under test: ``"numpy"`` or ``"cython"`` (the default)."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(20261126)
