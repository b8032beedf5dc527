"""Run a benchmark grid: ``python benchmarks/run.py --help`` (same as pyod-aeplus-benchmark).

When PYOD_AEPLUS_DATA is unset, it is set to the folder ``shared/datasets``
beside the project's folder if there is one (the development data).
"""

import os
import sys
from pathlib import Path

shared = Path(__file__).resolve().parents[2] / "shared" / "datasets"
if shared.is_dir():
    os.environ.setdefault("PYOD_AEPLUS_DATA", str(shared))

from pyod_aeplus.benchmark.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
