"""Sphinx configuration of the pyod_aeplus documentation.

Build from the repository root with ``sphinx-build -W -b html docs docs/_build/html``
(``pip install -e ".[docs]"`` first).
"""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))
sys.path.insert(0, str(DOCS.parent))  # the package from this checkout

import pyod_aeplus  # noqa: E402
from pyod_aeplus.datasets import is_cached  # noqa: E402

project = "pyod_aeplus"
author = "pyod_aeplus developers"
copyright = "2026, pyod_aeplus developers"
release = pyod_aeplus.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.githubpages",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "sphinxext", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.json"]
templates_path = ["_templates"]

# API reference: one page per public name, numpydoc docstrings.
autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# The gallery: every example runs in its fast mode (--fast) and its saved figures
# are shown. Examples whose data set is not embedded in the package run only when
# the file is in the data folder (PYOD_AEPLUS_DATA, else ~/.cache/pyod_aeplus);
# otherwise their page shows the code alone.
NEEDS_DATA = {
    "ecg5000": ["ecg/ecg.csv"],
    "mnist_one_class": ["mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"],
    "creditcard": ["creditcard/creditcard.csv"],
}
EXAMPLES = sorted(p.stem for p in (DOCS.parent / "examples").glob("*.py"))
RUN = [name for name in EXAMPLES if all(is_cached(f) for f in NEEDS_DATA.get(name, []))]
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"[\\/](" + "|".join(RUN) + r")\.py$",
    "reset_argv": "gallery_support.example_argv",
    "image_scrapers": ("gallery_support.saved_figures",),
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"pyod_aeplus {release}"
html_static_path = []
html_theme_options = {
    "github_url": "https://github.com/pyod-aeplus/pyod_aeplus",
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_context = {"default_mode": "light"}
