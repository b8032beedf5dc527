"""Re-create ``pyod_aeplus/datasets/_data/*.csv.gz`` from the ADBench files.

Usage: python tools/make_embedded_data.py /path/to/adbench/Classical

Values are written with ``repr`` so they read back bit-identical; the label
is the last column (1 = anomaly). gzip's mtime is fixed so the bytes repeat.
"""

import gzip
import sys
from pathlib import Path

import numpy as np

from pyod_aeplus.datasets._registry import EMBEDDED


def main(source):
    out = Path(__file__).resolve().parents[1] / "pyod_aeplus" / "datasets" / "_data"
    for name in EMBEDDED:
        data = np.load(Path(source) / f"{name}.npz", allow_pickle=False)
        lines = [",".join([*(repr(float(v)) for v in row), str(int(label))])
                 for row, label in zip(data["X"], data["y"])]
        payload = ("\n".join(lines) + "\n").encode()
        (out / f"{name}.csv.gz").write_bytes(gzip.compress(payload, 9, mtime=0))


if __name__ == "__main__":
    main(sys.argv[1])
