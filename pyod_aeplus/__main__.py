"""``python -m pyod_aeplus``: the project's main job, the quick benchmark.

Extra arguments are passed on (``python -m pyod_aeplus --output DIR``); the
full grid is ``pyod-aeplus-benchmark`` without ``--quick``. Fitting and
scoring your own data: ``pyod-aeplus fit`` / ``pyod-aeplus score``.
"""

import sys

from .benchmark.cli import main

if __name__ == "__main__":
    sys.exit(main(["--quick", *sys.argv[1:]], prog="python -m pyod_aeplus"))
