"""setup.cfg installs every package and data file of the source tree.

A wheel contains only the packages setup.cfg lists (the list is explicit because ``rules/``
installs as ``aesara_cas.rules``), so a new sub-package missing from it would import from a
checkout and fail from an installed wheel.
"""

import fnmatch
from pathlib import Path

from setuptools.config.setupcfg import read_configuration

ROOT = Path(__file__).resolve().parents[1]


def _options() -> dict:
    return read_configuration(str(ROOT / "setup.cfg"))["options"]


def _package_dir(name: str, package_dir: dict) -> Path:
    """The directory of package ``name`` under setup.cfg's ``package_dir`` mapping."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in package_dir:
            return ROOT / package_dir[prefix] / Path(*parts[i:])
    return ROOT / Path(*parts)


def _source_packages() -> set[str]:
    found = set()
    for top, name in (("aesara_cas", "aesara_cas"), ("rules", "aesara_cas.rules")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            if "__pycache__" not in rel:
                found.add(".".join((name, *rel)))
    return found


def test_every_package_directory_is_installed():
    options = _options()
    listed = set(options["packages"])
    missing = sorted(_source_packages() - listed)
    assert not missing, f"setup.cfg [options] packages lacks {missing}"
    package_dir = options.get("package_dir", {})
    for name in listed:
        assert (_package_dir(name, package_dir) / "__init__.py").is_file(), (
            f"setup.cfg lists {name}, which has no __init__.py"
        )


def test_every_data_file_is_installed():
    from aesara_cas.compile.cython import interp_prebuilt

    options = _options()
    package_dir = options.get("package_dir", {})
    package_data = options.get("package_data", {})
    # (An editable install builds the packaged interpreter's description into the tree.)
    generated = {interp_prebuilt.META_NAME}
    unlisted = []
    for name in options["packages"]:
        directory = _package_dir(name, package_dir)
        patterns = package_data.get(name, []) + package_data.get("", [])
        for path in directory.iterdir():
            if (path.is_file() and path.suffix not in (".py", ".pyc", ".so")
                    and path.name not in generated
                    and not any(fnmatch.fnmatch(path.name, p) for p in patterns)):
                unlisted.append(str(path.relative_to(ROOT)))
    assert not unlisted, f"files not in setup.cfg [options.package_data]: {unlisted}"
