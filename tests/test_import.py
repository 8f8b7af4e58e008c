"""What ``import aesara_cas`` and a first compiled function load (startup cost)."""

import subprocess
import sys

import numpy as np

import aesara_cas as ac
from aesara_cas import tensor as at

HEAVY = ("scipy.special", "scipy.linalg", "mpmath", "hypothesis")


def _modules_after(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(*sys.modules)"],
                          capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_import_does_not_load_heavy_modules():
    loaded = _modules_after("import aesara_cas")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_special_functions_load_scipy_on_first_use():
    x = at.dvector("x")
    f = ac.function([x], [at.sigmoid(x), at.erf(x), at.erfc(x)], mode="numpy")
    v = np.array([-3.0, 0.0, 2.0])
    import scipy.special

    for got, want in zip(f(v), (scipy.special.expit(v), scipy.special.erf(v),
                                scipy.special.erfc(v))):
        np.testing.assert_array_equal(got, want)
