"""Shared fixtures: the detector list every contract test runs over, and data."""

import contextlib
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import pyod_aeplus as pa

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
if SHARED_DATA.is_dir() and "PYOD_AEPLUS_DATA" not in os.environ:
    os.environ["PYOD_AEPLUS_DATA"] = str(SHARED_DATA)

# Keep CI's two cores busy without oversubscribing them.
torch.set_num_threads(min(2, os.cpu_count() or 1))


@contextlib.contextmanager
def torch_threads(n):
    """torch's CPU thread count set to ``n`` inside, the caller's count after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)

#: Every detector of the package, with settings that make contract tests fast.
#: A new detector joins the contract suite with one line here.
FAST = dict(epochs=4, random_state=0)
DETECTORS = {
    "DenseAE": lambda **kw: pa.DenseAE(**{**FAST, **kw}),
    "DeepAE": lambda **kw: pa.DeepAE(**{**FAST, "dropout": 0.1, "batch_norm": True, **kw}),
    "SparseAE": lambda **kw: pa.SparseAE(**{**FAST, **kw}),
    "DenoisingAE": lambda **kw: pa.DenoisingAE(**{**FAST, **kw}),
    "ConvAE": lambda **kw: pa.ConvAE(**{**FAST, **kw}),
    "VAE": lambda **kw: pa.VAE(**{**FAST, **kw}),
}
if hasattr(pa, "AEPlus"):
    DETECTORS["AEPlus"] = lambda **kw: pa.AEPlus(**{**FAST, **kw})


@pytest.fixture(params=sorted(DETECTORS))
def make_detector(request):
    """A factory for each detector in turn: ``make_detector(**params)``."""
    return DETECTORS[request.param]


@pytest.fixture(scope="session")
def small_data():
    """300 × 6 training rows (5 % outliers) and 100 test rows, float64."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    X[:15] += 6.0
    X_test = rng.normal(size=(100, 6))
    X_test[:5] += 6.0
    return X, X_test


def write_creditcard_csv(path, n_rows=300, fraud_every=10, seed=0):
    """A small file with the ULB credit-card schema (quoted header, quoted Class)."""
    from pyod_aeplus.datasets import CREDITCARD_COLUMNS

    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ",".join(f'"{c}"' for c in CREDITCARD_COLUMNS)
    lines = []
    for i in range(n_rows):
        fraud = int(i % fraud_every == 0)
        values = rng.normal(size=30) + 3.0 * fraud
        lines.append(",".join([*(f"{v:.6f}" for v in values), f'"{fraud}"']))
    path.write_text(header + "\n" + "\n".join(lines) + "\n")
    return path
