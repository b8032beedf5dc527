"""Work split over threads gives what the same work gives in one piece."""

import multiprocessing
import os
import threading

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


@pytest.mark.parametrize("block_values", [2 ** 19, 3000 * 3])  # all columns, or 3 at a time
def test_robust_scaling_in_column_blocks_equals_numpys_percentiles(two_threads, monkeypatch,
                                                                    block_values):
    monkeypatch.setattr(pa.base, "SCALING_BLOCK_VALUES", block_values)
    X = np.random.default_rng(0).standard_t(3, size=(3000, 40)) * np.arange(1, 41)
    center, scale = pa.DenseAE(preprocessing="robust")._fit_scaling(X)
    magnitude = np.abs(X).max(axis=0)
    q25, q50, q75 = np.percentile(X / magnitude, [25, 50, 75], axis=0)
    np.testing.assert_array_equal(center, q50 * magnitude)
    np.testing.assert_array_equal(scale, (q75 - q25) * magnitude)


@pytest.mark.parametrize("block_values", [2 ** 19, 2000 * 5])  # all columns, or 5 at a time
def test_fit_tails_in_column_blocks_equals_one_sort_and_leaves_its_input(two_threads, monkeypatch,
                                                                         block_values):
    monkeypatch.setattr(_tails, "SORT_BLOCK_VALUES", block_values)
    columns = torch.from_numpy(
        np.random.default_rng(1).exponential(size=(2000, 64)).astype(np.float32))
    columns[:, 3] = columns[:, 3].round()  # ties at the threshold
    before = columns.clone()
    split = _tails.fit_tails(columns)
    assert torch.equal(columns, before)
    with torch_threads(1):
        monkeypatch.setattr(_tails, "SORT_BLOCK_VALUES", 2 ** 30)
        whole = _tails.fit_tails(columns)
    for a, b in zip(split, whole):
        assert torch.equal(a, b)
    # As defined: knots at ranks (0.9 (i + 1/2) / 256) (n - 1), the threshold at
    # rank 0.9 (n - 1), the scale the mean excess of the values above it.
    ordered = columns.double().sort(dim=0).values
    ranks = (0.9 * (torch.arange(256) + 0.5) / 256 * 1999).round().long()
    threshold = ordered[round(0.9 * 1999)]
    excess = (ordered - threshold).clamp(min=0)
    scale = excess.sum(dim=0) / (ordered > threshold).sum(dim=0)
    assert torch.equal(split[0].double(), ordered[ranks].T)
    assert torch.equal(split[1].double(), threshold)
    torch.testing.assert_close(split[2].double(), scale, rtol=1e-6, atol=0)


class Count:
    def __init__(self):
        self.n = 0

    def update(self):
        self.n += 1


def test_map_in_order_keeps_the_order_on_one_torch_thread_each_and_gives_the_threads_back(
        two_threads):
    def work(i):
        assert not torch.is_grad_enabled()  # scoring runs without gradients
        return i, torch.get_num_threads(), threading.current_thread().name

    progress = Count()
    results = _parallel.map_in_order(work, range(9), progress)
    assert [i for i, _, _ in results] == list(range(9))
    assert {threads for _, threads, _ in results} == {1}
    assert all(name.startswith("pyod_aeplus") for _, _, name in results)
    assert progress.n == 9
    assert torch.get_num_threads() == 2
    with torch_threads(1):  # one thread: the calls run in this one
        results = _parallel.map_in_order(work, range(3), progress)
        assert {name for _, _, name in results} == {threading.current_thread().name}
    # Not parallel (a GPU's work): in this thread too, with the caller's thread count.
    results = _parallel.map_in_order(lambda i: (i, torch.get_num_threads(),
                                                threading.current_thread().name),
                                     range(3), parallel=False)
    assert results == [(i, 2, threading.current_thread().name) for i in range(3)]


def test_map_in_order_passes_an_error_on_and_runs_nothing_after_it(two_threads):
    started = []

    def work(i):
        started.append(i)
        if i == 1:
            raise ValueError("chunk 1 is bad")
        return i

    with pytest.raises(ValueError, match="chunk 1 is bad"):
        _parallel.map_in_order(work, range(100))
    assert len(started) < 100
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("name", ["DenseAE", "VAE", "ConvAE", "AEPlus"])
def test_scores_do_not_depend_on_the_number_of_threads(name):
    X = np.random.default_rng(2).normal(size=(3000, 12)).astype(np.float32)
    detector = getattr(pa, name)(epochs=2, random_state=0)
    with torch_threads(2):
        detector.fit(X)
        two = detector.decision_function(X)
    with torch_threads(1):
        one = detector.decision_function(X)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(two, detector.decision_scores_)


def test_tiny_members_score_a_row_alike_alone_or_with_others():
    # hidden 8 x 3 features: a product torch computes by another routine for a
    # few rows than for many, unless the layer pads it.
    X = 3 * np.random.RandomState(0).uniform(size=(20, 3))
    detector = pa.AEPlus(n_estimators=2, hidden_size=8, epochs=2, random_state=1).fit(X)
    alone = np.concatenate([detector.decision_function(row[None]) for row in X])
    np.testing.assert_array_equal(alone, detector.decision_function(X))


def test_robust_scaling_of_a_column_with_a_constant_middle_half_uses_its_spread(two_threads):
    rows = np.arange(1000)
    X = np.column_stack([(rows % 10 == 0) * 4.0, np.full(1000, 3.0), rows * 1.0])
    center, scale = pa.AEPlus()._fit_scaling(X)
    np.testing.assert_allclose(center, [0.0, 3.0, 499.5])
    np.testing.assert_allclose(scale, [X[:, 0].std(), 1.0, 499.5], rtol=1e-12)


def _score_in_child(detector, X):
    return detector.decision_function(X)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_process_scores_after_the_parent_used_its_threads(two_threads):
    # The parent's thread pools exist (it scored in parallel); a forked child
    # has none of their threads and must make its own rather than wait forever.
    X = np.random.default_rng(0).normal(size=(20000, 8)).astype(np.float32)
    detector = pa.AEPlus(epochs=1, random_state=0).fit(X)
    expected = detector.decision_function(X)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        scores = pool.apply_async(_score_in_child, (detector, X)).get(timeout=60)
    np.testing.assert_array_equal(scores, expected)


@pytest.mark.parametrize("block_values", [2 ** 19, 1000 * 3])  # all columns, or 3 at a time
def test_column_medians_in_blocks_equal_torchs_lower_median(two_threads, monkeypatch,
                                                            block_values):
    monkeypatch.setattr(_tails, "SORT_BLOCK_VALUES", block_values)
    columns = torch.from_numpy(
        np.random.default_rng(3).normal(size=(1000, 20)).astype(np.float32))  # even: two middles
    columns[:, 0] = columns[:, 0].round()
    assert torch.equal(_tails.column_medians(columns), columns.median(dim=0).values)
    assert torch.equal(_tails.column_medians(columns[:999]), columns[:999].median(dim=0).values)
