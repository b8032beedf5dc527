"""Work split over threads gives what the same work gives in one piece."""

import numpy as np
import pytest
import torch

import pyod_aeplus as pa
from conftest import torch_threads
from pyod_aeplus import _parallel, _tails


@pytest.fixture
def two_threads():
    with torch_threads(2):
        yield


def test_in_parallel_covers_every_index_once_in_contiguous_parts(two_threads):
    seen = []
    _parallel.in_parallel(lambda lo, hi: seen.append((lo, hi)), 101, _parallel.PARALLEL_VALUES)
    assert sorted(seen) == [(0, 50), (50, 101)]
    seen.clear()
    _parallel.in_parallel(lambda lo, hi: seen.append((lo, hi)), 101, 10)  # small: one part
    assert seen == [(0, 101)]


def test_robust_scaling_in_column_blocks_equals_numpys_percentiles(two_threads):
    X = np.random.default_rng(0).standard_t(3, size=(3000, 40)) * np.arange(1, 41)
    center, scale = pa.DenseAE(preprocessing="robust")._fit_scaling(X)
    magnitude = np.abs(X).max(axis=0)
    q25, q50, q75 = np.percentile(X / magnitude, [25, 50, 75], axis=0)
    np.testing.assert_array_equal(center, q50 * magnitude)
    np.testing.assert_array_equal(scale, (q75 - q25) * magnitude)


def test_fit_tails_in_column_blocks_equals_one_sort_and_leaves_its_input(two_threads):
    columns = torch.from_numpy(
        np.random.default_rng(1).exponential(size=(2000, 64)).astype(np.float32))
    before = columns.clone()
    split = _tails.fit_tails(columns)
    assert torch.equal(columns, before)
    with torch_threads(1):
        whole = _tails.fit_tails(columns)
    for a, b in zip(split, whole):
        assert torch.equal(a, b)
