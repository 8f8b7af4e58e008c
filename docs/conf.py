"""Sphinx configuration of the aesara_cas documentation.

Build (after ``pip install -e '.[docs]'``)::

    python -m sphinx -W -b html docs build/docs

The Markdown pages are read by MyST; the API reference (``api.rst``) and the list of
standard rules (``rule_list.rst``) are generated from the installed package at build time
by the local extension ``_ext/aesara_cas_docs.py``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

import aesara_cas  # noqa: E402

project = "aesara_cas"
author = "the aesara_cas authors"
copyright = "the aesara_cas authors"  # noqa: A001 - Sphinx's option name
release = version = aesara_cas.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "aesara_cas_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "build"]

# Markdown headings get anchors, so pages can link to sections (`guide.md#functions`).
myst_heading_anchors = 3

# The docstrings are NumPy style.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_member_order = "bysource"
autodoc_typehints = "signature"

html_theme = "alabaster"
html_title = "aesara_cas"
