"""sphinx-gallery helpers: run each example in its fast mode and show the figures it saves.

The examples are plain scripts that take ``--fast`` and ``--output DIR`` and
save their figures as PNG files there (closing them, so that a script run in a
loop does not pile figures up). :func:`example_argv` gives each run its own
empty output folder, and :func:`saved_figures` is an image scraper that puts
the PNG files written there into the example's page, in the order written.
"""

import shutil
import tempfile
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst

OUTPUT = Path(tempfile.mkdtemp(prefix="pyod_aeplus_gallery_"))
# Arguments beyond --fast for the gallery's run: one small embedded set keeps the
# four synthetic-anomaly fits (a Gaussian mixture each) to seconds.
EXTRA_ARGS = {"anomaly_kinds": ["--dataset", "Stamps"]}
_shown = set()


def _output_of(src_file):
    return OUTPUT / Path(src_file).stem


def example_argv(gallery_conf, script_vars):
    """``sys.argv[1:]`` for an example: fast mode, its own empty output folder."""
    out = _output_of(script_vars["src_file"])
    shutil.rmtree(out, ignore_errors=True)
    name = Path(script_vars["src_file"]).stem
    return ["--fast", "--output", str(out), *EXTRA_ARGS.get(name, [])]


def saved_figures(block, block_vars, gallery_conf):
    """reST for the PNG files the example saved since the last code block."""
    out = _output_of(block_vars["src_file"])
    if not out.is_dir():
        return ""
    written = sorted(out.glob("*.png"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    paths = []
    for png in written:
        if png in _shown:
            continue
        _shown.add(png)
        target = next(block_vars["image_path_iterator"])
        shutil.copyfile(png, target)
        paths.append(target)
    return figure_rst(paths, gallery_conf["src_dir"]) if paths else ""
